// What the org API needs from storage, as a small interface; the Redis
// adapter is RedisOrgRepository (store/). Writes take the event(s) to publish
// and commit them atomically with the change (transactional outbox), and carry
// the versions they were decided on: a concurrent change makes them fail with
// ABORTED instead of overwriting.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/events/cloud_event.h"
#include "services/org/domain/org_model.h"

namespace salesops::org {

struct UnitPage {
  std::vector<OrgUnit> units;
  std::string last_scanned;  // empty when the list is exhausted
};
struct MemberPage {
  std::vector<Member> members;
  std::string last_scanned;
};

// A unit and the versions of its ancestors (for cycle-safe re-parenting).
struct Ancestry {
  std::vector<std::string> ids;   // unit first, root last
  std::vector<int64_t> versions;  // same order
};

// Resources stored whole, as serialized protobuf bytes with a version: positions,
// the talent config, assessments, development plans, promotion tracks and
// requests, team targets. The rules live in the domain; storage only needs to
// keep a version per document and a few indexes.
enum class DocKind {
  kPosition,
  kTalentConfig,
  kAssessment,
  kDevelopmentPlan,
  kPromotionTrack,
  kPromotionRequest,
  kTeamTarget,
  kPositionSlot,  // (team, role) → position id: one position per team and role
};
struct Doc {
  std::string id;
  int64_t version = 0;
  std::string data;
};
struct DocWrite {
  DocKind kind = DocKind::kPosition;
  Doc doc;                           // doc.version: the version after the write
  int64_t expected_version = 0;      // 0: the document must not exist yet
  std::vector<std::string> indexes;  // secondary indexes (e.g. a team or member id) listing it
};

// One reorganisation command, written atomically with its log entry, the
// membership history it appends and its events. Guards: the version of every
// existing unit and member touched, the member set (members_rev) of every unit
// that must be emptied, the absence of units created, no children under units
// removed, and (re-parent) the ancestry of the new parent.
struct ReorgCommit {
  std::vector<OrgUnit> units_before;  // existing units touched, as read
  std::vector<OrgUnit> units_after;   // their new state (same order)
  std::vector<OrgUnit> created_units;
  std::vector<OrgUnit> removed_units;              // as read; their member set is guarded too
  std::vector<std::pair<Member, Member>> members;  // before, after
  std::vector<MembershipEntry> history;
  std::optional<Ancestry> ancestry_of_new_parent;
  // The log entry: its id, date, the units it is listed under, and the
  // serialized salesops.org.v1.Reorganisation.
  std::string reorg_id;
  absl::CivilDay effective;
  std::vector<std::string> reorg_unit_ids;
  std::string reorg_data;
  std::vector<CloudEvent> events;
};

// Won revenue per team over some months (from the deal-event projection).
struct TeamRevenue {
  std::string team_id;
  int64_t revenue_minor = 0;
  int64_t won_deals = 0;
  std::set<std::string> coverage;  // "region|product_line"
};

class OrgRepository {
 public:
  virtual ~OrgRepository() = default;

  virtual absl::StatusOr<std::optional<OrgUnit>> GetUnit(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<Member>> GetMember(const std::string& id) = 0;
  // The unit and its headcount in one round trip (the read path of GetOrgUnit).
  virtual absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>> GetUnitWithHeadcount(
      const std::string& id) = 0;
  // The same, answered through `done` exactly once, possibly later on another
  // thread (Redis through a RedisMux), so the caller holds no thread meanwhile.
  using UnitWithHeadcount = absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>>;
  virtual void GetUnitWithHeadcountAsync(const std::string& id,
                                         std::function<void(UnitWithHeadcount)> done) {
    done(GetUnitWithHeadcount(id));
  }
  // NOT_FOUND if the unit does not exist. Loops are cut (defensive).
  virtual absl::StatusOr<Ancestry> GetAncestry(const std::string& unit_id) = 0;
  // Ids in order after `after`, at most `scan_limit` scanned.
  virtual absl::StatusOr<UnitPage> ScanUnits(const std::string& after, int scan_limit) = 0;
  virtual absl::StatusOr<MemberPage> ScanMembers(const std::string& after, int scan_limit) = 0;
  virtual absl::StatusOr<std::vector<std::string>> MemberIdsOfUnit(const std::string& unit_id) = 0;
  virtual absl::StatusOr<int64_t> Headcount(const std::string& unit_id) = 0;
  virtual absl::StatusOr<std::vector<int64_t>> Headcounts(
      const std::vector<std::string>& unit_ids) = 0;
  // The resource name stored for a create's request_id, if any.
  virtual absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& request_id) = 0;

  // ALREADY_EXISTS (id or request_id) / NOT_FOUND (the parent vanished, or is
  // no longer of `parent_kind`, the kind its placement was checked against:
  // a parent deleted and made again under the same id). `parent_kind` is
  // ignored for a root.
  virtual absl::Status CreateUnit(const OrgUnit& unit, UnitKind parent_kind,
                                  const std::string& request_id, const CloudEvent& event) = 0;
  // `ancestry_of_new_parent` is re-checked atomically when re-parenting.
  virtual absl::Status UpdateUnit(const OrgUnit& before, const OrgUnit& after,
                                  const Ancestry* ancestry_of_new_parent,
                                  const CloudEvent& event) = 0;
  // FAILED_PRECONDITION when it still has children or members.
  virtual absl::Status DeleteUnit(const OrgUnit& unit, const CloudEvent& event) = 0;

  virtual absl::Status CreateMember(const Member& member, const std::string& request_id,
                                    const CloudEvent& event) = 0;
  virtual absl::Status UpdateMember(const Member& before, const Member& after,
                                    const CloudEvent& event) = 0;
  virtual absl::Status DeleteMember(const Member& member, const CloudEvent& event) = 0;

  // ---- reorganisation and history
  // ABORTED CONCURRENT_REORGANISATION when a guard fails, FAILED_PRECONDITION
  // ORG_UNIT_HAS_CHILDREN when a removed unit has children.
  virtual absl::Status CommitReorg(const ReorgCommit& commit) = 0;
  // Entries in recording order (empty for members from before history was kept).
  virtual absl::StatusOr<std::vector<MembershipEntry>> MemberHistory(
      const std::string& member_id) = 0;
  // Serialized Reorganisation entries listed under the unit with an effective
  // date in [from, to], oldest first.
  virtual absl::StatusOr<std::vector<std::string>> ReorgsOfUnit(const std::string& unit_id,
                                                                absl::CivilDay from,
                                                                absl::CivilDay to) = 0;

  // ---- documents
  virtual absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id) = 0;
  // Several documents in one round trip; parallel to `ids` (nullopt = absent).
  virtual absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(
      DocKind kind, const std::vector<std::string>& ids) = 0;
  // All documents of a kind listed under `index` ("" = every document of the kind), by id.
  virtual absl::StatusOr<std::vector<Doc>> ListDocs(DocKind kind, const std::string& index) = 0;
  // All or nothing: ABORTED ETAG_MISMATCH when a version guard fails,
  // ALREADY_EXISTS RESOURCE_EXISTS / REQUEST_REPLAYED on creates.
  // `request_id` (optional) remembers `request_resource` for safe retries.
  virtual absl::Status WriteDocs(const std::vector<DocWrite>& writes, const std::string& request_id,
                                 const std::string& request_resource,
                                 const std::vector<CloudEvent>& events) = 0;

  // ---- team efficiency
  // Months as "YYYY-MM".
  virtual absl::StatusOr<std::vector<TeamRevenue>> Revenue(
      const std::vector<std::string>& months) = 0;
};

}  // namespace salesops::org
