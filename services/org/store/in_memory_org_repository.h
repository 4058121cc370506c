// OrgRepository in memory, for unit tests and fuzzing of OrgApi: the same
// guards as the Redis adapter (versions, uniqueness, empty-before-delete,
// ancestry versions), with the events each write would publish recorded in
// order. Never used by the service itself. Thread-safe.
#pragma once

#include <map>
#include <set>

#include "absl/synchronization/mutex.h"
#include "services/org/domain/org_repository.h"

namespace salesops::org {

class InMemoryOrgRepository final : public OrgRepository {
 public:
  absl::StatusOr<std::optional<OrgUnit>> GetUnit(const std::string& id) override;
  absl::StatusOr<std::optional<Member>> GetMember(const std::string& id) override;
  absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>> GetUnitWithHeadcount(
      const std::string& id) override;
  absl::StatusOr<Ancestry> GetAncestry(const std::string& unit_id) override;
  absl::StatusOr<UnitPage> ScanUnits(const std::string& after, int scan_limit) override;
  absl::StatusOr<MemberPage> ScanMembers(const std::string& after, int scan_limit) override;
  absl::StatusOr<std::vector<std::string>> MemberIdsOfUnit(const std::string& unit_id) override;
  absl::StatusOr<int64_t> Headcount(const std::string& unit_id) override;
  absl::StatusOr<std::vector<int64_t>> Headcounts(const std::vector<std::string>& ids) override;
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& request_id) override;
  absl::Status CreateUnit(const OrgUnit& unit, UnitKind parent_kind, const std::string& request_id,
                          const CloudEvent& event) override;
  absl::Status UpdateUnit(const OrgUnit& before, const OrgUnit& after,
                          const Ancestry* ancestry_of_new_parent, const CloudEvent& event) override;
  absl::Status DeleteUnit(const OrgUnit& unit, const CloudEvent& event) override;
  absl::Status CreateMember(const Member& member, const std::string& request_id,
                            const CloudEvent& event) override;
  absl::Status UpdateMember(const Member& before, const Member& after,
                            const CloudEvent& event) override;
  absl::Status DeleteMember(const Member& member, const CloudEvent& event) override;

  absl::Status CommitReorg(const ReorgCommit& commit) override;
  absl::StatusOr<std::vector<MembershipEntry>> MemberHistory(const std::string& member_id) override;
  absl::StatusOr<std::vector<std::string>> ReorgsOfUnit(const std::string& unit_id,
                                                        absl::CivilDay from,
                                                        absl::CivilDay to) override;
  absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id) override;
  absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(
      DocKind kind, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<Doc>> ListDocs(DocKind kind, const std::string& index) override;
  absl::Status WriteDocs(const std::vector<DocWrite>& writes, const std::string& request_id,
                         const std::string& request_resource,
                         const std::vector<CloudEvent>& events) override;
  absl::StatusOr<std::vector<TeamRevenue>> Revenue(const std::vector<std::string>& months) override;

  // Test hook: what the deal-event projection would have accumulated.
  void AddRevenue(const std::string& month, const std::string& team, int64_t amount_minor,
                  const std::string& cell);

  std::vector<CloudEvent> events() const;

 private:
  absl::Status CheckUnitVersion(const OrgUnit& u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckMemberVersion(const Member& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, OrgUnit> units_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Member> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> emails_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<CloudEvent> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<MembershipEntry>> history_ ABSL_GUARDED_BY(mu_);
  // reorg id → (effective day, units, data)
  struct StoredReorg {
    absl::CivilDay effective;
    std::vector<std::string> unit_ids;
    std::string data;
  };
  std::vector<StoredReorg> reorgs_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<DocKind, std::string>, Doc> docs_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<DocKind, std::string>, std::set<std::string>> doc_indexes_
      ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, TeamRevenue> revenue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::org
