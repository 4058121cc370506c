// What the performance service needs from storage, as one small interface:
// versioned documents (KPI definitions, OKRs, plans, statements, scorecards,
// splits), field maps changed field by field (credit facts, KPI counters,
// targets: writers that only add never read first, so concurrent event
// handlers commute), lexicographic indexes, request_id replay, and the ids of
// applied events. Every write is one Change, committed atomically with the
// events it publishes (transactional outbox) and, for event handlers, with
// the ids of the events it applies (effectively once).
//
//   Change c;
//   c.PutDoc(DocKind::kKpi, "bookings", kpi.SerializeAsString(), /*expect_version=*/0);
//   c.AddToIndex("kpi", "bookings");
//   c.Emit(created_event);
//   SALESOPS_RETURN_IF_ERROR(repo.Commit(c));
//
// Implementations: RedisPerformanceRepository (the service; the only code
// that knows key formats) and InMemoryPerformanceRepository (unit tests).
// Both are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/events/cloud_event.h"

namespace salesops::performance {

inline constexpr char kPerformanceTopic[] = "salesops.performance.events.v1";
inline constexpr char kPerformanceSource[] = "/salesops/performance";

// Documents: protobuf bytes with a version, written whole.
enum class DocKind {
  kKpi,        // KpiDefinition, id = kpi id
  kOkr,        // Okr, id = okr id
  kPlan,       // CommissionPlan, id = plan id
  kStatement,  // CommissionStatement, id = "<period>.<member>"
  kIssue,      // StoredIssue of an issued statement, same id
  kScorecard,  // Scorecard, id = "<period>.<m|t>.<member or unit>"
  kSplit,      // CreditSplit, id = opportunity id
  kReview,     // BiweeklyReview, id = "<cycle>.<member>"
  kScript,     // SalesScript with all versions, id = script id
  kProgramme,  // TrainingProgramme, id = programme id
  kEnrolment,  // Enrolment, id = "<programme>.<member>"
  kDrill,      // Drill, id = drill id
};
absl::string_view DocKindName(DocKind kind);
// The API resource a document is, for messages: "kpis/x", "commissionPlans/x", …
std::string DocResourceName(DocKind kind, absl::string_view id);

// Field maps: hashes whose fields are set, deleted or incremented one by one.
enum class MapKind {
  kRepInputs,     // "<member>:<period>": the inputs of a statement (facts, awards, adjustments)
  kDeal,          // "<deal>": the deal's facts and owner
  kCounters,      // "<period>:<subject key>": KPI inputs (integers)
  kTargets,       // "<period>": subject name → StoredTarget
  kOpportunity,   // "<opportunity>": StoredOpportunity
  kFirstWin,      // "": customer → its first won deal
  kOverdue,       // "": "<contract>|<instalment>" → overdue amount and whose
  kCauses,        // "<work key>": events applied and not yet reported on
  kRevisions,     // "": work key → bumped by every change of its inputs
  kScriptUses,    // "<opportunity>": "<script>|<version>" → "1"; "!outcome" → won | lost
  kScriptStats,   // "<script>": "<version>:uses|closed|won", "drills", "drill_sum", "r:<member>"
  kCases,         // "": opportunity → NegotiationCase (key-account deals closed)
  kOpenWarnings,  // "<member>": warning name → WarningSummary (open warnings about the rep)
  kInsights,      // "": insight name → InsightSummary (market insights not archived)
};
absl::string_view MapKindName(MapKind kind);

struct Doc {
  std::string id;
  int64_t version = 0;
  std::string data;
};

using FieldMap = std::vector<std::pair<std::string, std::string>>;  // sorted by field

// One atomic change. Guards are checked before any write; when one fails
// nothing is written.
struct Change {
  struct DocPut {
    DocKind kind;
    std::string id;
    std::string data;
    int64_t expect_version;  // 0: must not exist yet
    bool other = false;      // PutOtherDoc: a lost race is WRITE_CONFLICT
  };
  struct FieldOp {
    enum Op { kSet, kDel, kAdd, kExpect } op;
    MapKind map;
    std::string id;
    std::string field;
    std::string value;   // kSet, kExpect ("" = absent)
    int64_t by = 0;      // kAdd
    bool other = false;  // kExpect of ExpectOtherField: a lost race is WRITE_CONFLICT
  };
  struct IndexOp {
    std::string index;
    std::string member;
    bool remove = false;
  };
  std::vector<DocPut> docs;
  std::vector<FieldOp> fields;
  std::vector<IndexOp> indexes;
  std::string request_caller, request_id, request_resource;
  std::vector<CloudEvent> events;

  // Writes the document at expect_version + 1 (0 = it must not exist yet); a
  // version that moved meanwhile is ABORTED ETAG_MISMATCH: the document the
  // caller's etag names.
  void PutDoc(DocKind kind, std::string id, std::string data, int64_t expect_version) {
    docs.push_back({kind, std::move(id), std::move(data), expect_version});
  }
  // The same for a document the change writes besides the one the caller's etag
  // names (the plan a new version supersedes, a rep's other statements): a
  // version that moved meanwhile is ABORTED WRITE_CONFLICT, which runs the call
  // again (common/status/write_race.h), never the caller's ETAG_MISMATCH.
  void PutOtherDoc(DocKind kind, std::string id, std::string data, int64_t expect_version) {
    docs.push_back({kind, std::move(id), std::move(data), expect_version, true});
  }
  void SetField(MapKind map, std::string id, std::string field, std::string value) {
    fields.push_back({FieldOp::kSet, map, std::move(id), std::move(field), std::move(value)});
  }
  void DelField(MapKind map, std::string id, std::string field) {
    fields.push_back({FieldOp::kDel, map, std::move(id), std::move(field), ""});
  }
  void AddToField(MapKind map, std::string id, std::string field, int64_t by) {
    fields.push_back({FieldOp::kAdd, map, std::move(id), std::move(field), "", by});
  }
  // Guard: the field holds `value` ("" = absent), else ABORTED ETAG_MISMATCH
  // (a field the caller's etag names, such as a negotiation case's notes).
  void ExpectField(MapKind map, std::string id, std::string field, std::string value) {
    fields.push_back({FieldOp::kExpect, map, std::move(id), std::move(field), std::move(value)});
  }
  // Guard on a field the caller's etag does not name (a revision other writers
  // bump): else ABORTED WRITE_CONFLICT, like PutOtherDoc.
  void ExpectOtherField(MapKind map, std::string id, std::string field, std::string value) {
    fields.push_back(
        {FieldOp::kExpect, map, std::move(id), std::move(field), std::move(value), 0, true});
  }
  void AddToIndex(std::string index, std::string member) {
    indexes.push_back({std::move(index), std::move(member), false});
  }
  void RemoveFromIndex(std::string index, std::string member) {
    indexes.push_back({std::move(index), std::move(member), true});
  }
  // (caller, request_id) made `resource`, for a day; committing the same pair
  // again fails with ALREADY_EXISTS REQUEST_REPLAYED. Empty request_id: no-op.
  void RememberRequest(std::string caller, std::string rid, std::string resource) {
    request_caller = std::move(caller);
    request_id = std::move(rid);
    request_resource = std::move(resource);
  }
  // Published on the performance topic once committed.
  void Emit(CloudEvent event) { events.push_back(std::move(event)); }
  bool empty() const { return docs.empty() && fields.empty() && indexes.empty() && events.empty(); }
};

class PerformanceRepository {
 public:
  virtual ~PerformanceRepository() = default;

  virtual absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id) = 0;
  // One round trip; parallel to `ids` (nullopt = absent).
  virtual absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(
      DocKind kind, const std::vector<std::string>& ids) = 0;
  // Members of `index` that start with `prefix` and sort after `after`
  // (exclusive; "" = from the start), at most `limit`, in byte order.
  virtual absl::StatusOr<std::vector<std::string>> Range(const std::string& index,
                                                         const std::string& prefix,
                                                         const std::string& after, int limit) = 0;
  // Parallel to `fields` (nullopt = absent).
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> GetFields(
      MapKind map, const std::string& id, const std::vector<std::string>& fields) = 0;
  // Whole maps in one round trip; parallel to `ids`.
  virtual absl::StatusOr<std::vector<FieldMap>> GetMaps(MapKind map,
                                                        const std::vector<std::string>& ids) = 0;
  // The resource a request made, if (caller, request_id) was seen.
  virtual absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                                 const std::string& request_id) = 0;
  // Whether each event (by ce_source and ce_id) was applied before; parallel.
  virtual absl::StatusOr<std::vector<bool>> Applied(
      const std::vector<const CloudEvent*>& events) = 0;

  // Commits `change` atomically, recording every event of `applying` as
  // applied in the same transaction. Errors: ABORTED ETAG_MISMATCH (a version
  // or field guard), ABORTED WRITE_CONFLICT (a guard of PutOtherDoc or
  // ExpectOtherField), ALREADY_EXISTS RESOURCE_EXISTS (a document put with
  // expect_version 0), ALREADY_EXISTS REQUEST_REPLAYED (message = the
  // resource), ABORTED EVENT_ALREADY_APPLIED (one of `applying` was applied
  // meanwhile), UNAVAILABLE.
  virtual absl::Status Commit(const Change& change,
                              const std::vector<const CloudEvent*>& applying = {}) = 0;
};

}  // namespace salesops::performance
