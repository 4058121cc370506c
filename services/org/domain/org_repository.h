// What the org API needs from storage, as a small interface; the Redis
// adapter is RedisOrgRepository (store/). Writes take the event(s) to publish
// and commit them atomically with the change (transactional outbox), and carry
// the versions they were decided on: a concurrent change makes them fail with
// ABORTED instead of overwriting.
#pragma once

#include <optional>
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

class OrgRepository {
 public:
  virtual ~OrgRepository() = default;

  virtual absl::StatusOr<std::optional<OrgUnit>> GetUnit(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<Member>> GetMember(const std::string& id) = 0;
  // The unit and its headcount in one round trip (the read path of GetOrgUnit).
  virtual absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>> GetUnitWithHeadcount(
      const std::string& id) = 0;
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

  // ALREADY_EXISTS (id or request_id) / NOT_FOUND (parent vanished).
  virtual absl::Status CreateUnit(const OrgUnit& unit, const std::string& request_id,
                                  const CloudEvent& event) = 0;
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
};

}  // namespace salesops::org
