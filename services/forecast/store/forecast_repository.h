// What the forecast service needs from storage, as a small interface; the
// Redis adapter is RedisForecastRepository, the in-memory twin (unit tests)
// InMemoryForecastRepository. Storage holds documents (serialized protobuf
// with a version), indexes (ordered id sets, read in id order) and hashes
// (string fields, counters); it knows nothing about forecasting. Names of
// indexes and hashes come from store/scopes.h; how they map to keys is the
// adapter's business.
//
// Every change is one ForecastChange, committed atomically with its events
// (transactional outbox) and, for a consumed event, with that event's id
// (effectively once):
//
//   ForecastChange c;
//   c.ExpectField(RevisionsHash(), node, "7", "rev");   // fails the commit if changed
//   c.PutDoc(DocKind::kForecast, id, forecast.SerializeAsString(), /*expect_version=*/3);
//   c.AddToIndex(ForecastIndex(period, "team-1"), id);
//   c.Emit(MakeCloudEvent(...));
//   SALESOPS_ASSIGN_OR_RETURN(CommitOutcome r, repo.Commit(c, &cause_event));
//   if (!r.committed) { /* r.failed_tag: "seen", "rev", "version:…", "exists:…", "request:" */ }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/events/cloud_event.h"
#include "google/protobuf/message_lite.h"

namespace salesops::forecast {

enum class DocKind {
  kDeal,
  kPeriod,
  kForecast,
  kCall,
  kSnapshot,
  kStageProbability,
  kScopeModel,
};

struct Doc {
  std::string id;
  int64_t version = 0;
  std::string data;
};

// expect_version for a write that replaces whatever is stored (the version is bumped).
inline constexpr int64_t kAnyVersion = -1;

class ForecastChange {
 public:
  struct Put {
    DocKind kind;
    std::string id;
    std::string data;
    int64_t expect_version;  // 0: must not exist; kAnyVersion: no guard
  };
  struct FieldGuard {
    std::string hash, field, value, tag;
  };
  struct FieldWrite {
    enum Op { kSet, kIncrement, kDelete } op;
    std::string hash, field, value;
    int64_t by = 0;
  };
  struct IndexWrite {
    std::string index, id;
    bool add = true;
  };

  // Guards (all checked before anything is written).
  void ExpectField(std::string hash, std::string field, std::string value, std::string tag);
  // Writes, applied in order.
  void PutDoc(DocKind kind, std::string id, std::string data, int64_t expect_version);
  void SetField(std::string hash, std::string field, std::string value);
  void IncrementField(std::string hash, std::string field, int64_t by);
  void DeleteField(std::string hash, std::string field);
  void AddToIndex(std::string index, std::string id);
  void RemoveFromIndex(std::string index, std::string id);
  // Remembers that `caller`'s `request_id` made `resource` (for a day);
  // a second change with the same pair fails with tag "request:".
  void RememberRequest(std::string caller, std::string request_id, std::string resource);
  // An event to publish (forecast topic) once the change commits.
  void Emit(CloudEvent event);

  bool empty() const {
    return guards_.empty() && puts_.empty() && fields_.empty() && indexes_.empty() &&
           events_.empty() && request_id_.empty();
  }
  const std::vector<FieldGuard>& guards() const { return guards_; }
  const std::vector<Put>& puts() const { return puts_; }
  const std::vector<FieldWrite>& fields() const { return fields_; }
  const std::vector<IndexWrite>& indexes() const { return indexes_; }
  const std::vector<CloudEvent>& events() const { return events_; }
  const std::string& request_caller() const { return request_caller_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& request_resource() const { return request_resource_; }

 private:
  std::vector<FieldGuard> guards_;
  std::vector<Put> puts_;
  std::vector<FieldWrite> fields_;
  std::vector<IndexWrite> indexes_;
  std::vector<CloudEvent> events_;
  std::string request_caller_, request_id_, request_resource_;
};

struct CommitOutcome {
  bool committed = false;
  // Which guard failed: "seen" (the cause event was applied before), the tag
  // of an ExpectField, "version:<kind>:<id>", "exists:<kind>:<id>", "request:".
  std::string failed_tag;
  // For "request:": the resource the request made before.
  std::string current;
};

// Several reads answered in one round trip.
struct ReadOp {
  enum Kind { kDocs, kRange, kFields, kAllFields } kind = kDocs;
  DocKind doc_kind = DocKind::kDeal;
  std::string name;               // index or hash (kRange, kFields, kAllFields)
  std::vector<std::string> keys;  // doc ids (kDocs) or fields (kFields)
  std::string after;              // kRange: exclusive lower bound, "" = from the start
  int limit = 0;                  // kRange
};
struct ReadResult {
  std::vector<std::optional<Doc>> docs;  // kDocs, parallel to keys
  std::vector<std::string> ids;          // kRange, in order
  std::vector<std::string> values;       // kFields, parallel to keys ("" = absent)
  std::vector<std::pair<std::string, std::string>> fields;  // kAllFields
};

inline ReadOp DocsOp(DocKind kind, std::vector<std::string> ids) {
  return {ReadOp::kDocs, kind, "", std::move(ids), "", 0};
}
inline ReadOp RangeOp(std::string index, std::string after, int limit) {
  return {ReadOp::kRange, DocKind::kDeal, std::move(index), {}, std::move(after), limit};
}
inline ReadOp FieldsOp(std::string hash, std::vector<std::string> fields) {
  return {ReadOp::kFields, DocKind::kDeal, std::move(hash), std::move(fields), "", 0};
}
inline ReadOp AllFieldsOp(std::string hash) {
  return {ReadOp::kAllFields, DocKind::kDeal, std::move(hash), {}, "", 0};
}

// Thread-safe implementations only.
class ForecastRepository {
 public:
  virtual ~ForecastRepository() = default;

  // One round trip; results parallel to `ops`.
  virtual absl::StatusOr<std::vector<ReadResult>> Read(const std::vector<ReadOp>& ops) = 0;
  // The resource a caller's request_id made, if it is remembered.
  virtual absl::StatusOr<std::optional<std::string>> SeenRequest(const std::string& caller,
                                                                 const std::string& request_id) = 0;
  // Atomic: every guard holds and everything is written with the events, or
  // nothing. With `causes`, also records each one's (source, id) in the same
  // step (kept 15 days, the consumed topics' retention and a margin); a cause
  // recorded before fails the change with tag "seen". UNAVAILABLE when
  // storage is down.
  virtual absl::StatusOr<CommitOutcome> CommitOnce(const ForecastChange& change,
                                                   absl::Span<const CloudEvent* const> causes) = 0;
  // The same with at most one cause (nullptr: none).
  absl::StatusOr<CommitOutcome> Commit(const ForecastChange& change, const CloudEvent* cause) {
    if (cause == nullptr) {
      return CommitOnce(change, {});
    }
    const CloudEvent* one[] = {cause};
    return CommitOnce(change, one);
  }

  // Conveniences over Read.
  absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(DocKind kind,
                                                          std::vector<std::string> ids);
  absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id);
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index, const std::string& after,
                                                 int limit);
  absl::StatusOr<std::vector<std::string>> GetFields(const std::string& hash,
                                                     std::vector<std::string> fields);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GetAllFields(
      const std::string& hash);
};

// Parses a stored document into `out`; INTERNAL CORRUPT_DOCUMENT when it does not parse.
absl::Status ParseDoc(const Doc& doc, google::protobuf::MessageLite* out);

}  // namespace salesops::forecast
