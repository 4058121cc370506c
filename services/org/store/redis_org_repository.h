// OrgRepository on Redis. The whole org tree shares one hash tag, {org}, so a
// command that touches several units (a re-parent checks every ancestor, a
// delete checks children) is still one atomic script in one Redis Cluster
// slot; an org has hundreds of units and thousands of members, well within one
// slot's reach.
//
// Keys (prefix "org:{org}:"):
//   unit:<id>            hash   the unit
//   units                zset   all unit ids (score 0, lexicographic order)
//   children:<id>        set    child unit ids
//   unit_members:<id>    set    member ids directly in the unit
//   member:<id>          hash   the member
//   members              zset   all member ids
//   email:<email>        string member id (unique e-mail, lower case)
//   req:<request_id>     string resource name created by that request (24 h)
//   headcount            hash   unit id → members (projection, see events/)
//   history:<member>     zset   membership entries (score: effective day)
//   reorg:<id>           string a reorganisation log entry (serialized proto)
//   reorgs_of:<unit>     zset   reorganisation ids touching the unit (score: effective day)
//   doc:<kind>:<id>      hash   a document (common/docstore: v, pb)
//   ix:<kind>[:<ix>]     zset   document ids, all or under a secondary index
//   revenue:<yyyy-mm>    hash   team → won amount, team#deals → won deals (projection)
//   coverage:<yyyy-mm>:<team> set "region|product_line" cells won (projection)
//   outbox               stream events waiting for the relay
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/docstore/doc_store.h"
#include "common/docstore/kv.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "services/org/domain/org_repository.h"

namespace salesops::org {

inline constexpr char kKeyPrefix[] = "org:{org}:";
inline constexpr char kOrgTopic[] = "salesops.org.events.v1";
std::string OrgKey(absl::string_view suffix);
std::string RevenueKey(absl::string_view month);
std::string CoverageKey(absl::string_view month, absl::string_view team);

class RedisOrgRepository final : public OrgRepository {
 public:
  // With `mux` (not owned), GetUnitWithHeadcountAsync reads through it.
  RedisOrgRepository(RedisClient& redis, TransactionalOutbox& outbox, RedisMux* mux = nullptr)
      : owned_kv_(std::make_unique<RedisKvReader>(redis, mux)),
        kv_(*owned_kv_),
        outbox_(outbox),
        docs_(kv_, outbox_, kKeyPrefix) {}
  // Reads through `kv`, commits through `committer` (InMemoryKv for both runs
  // this code without Redis).
  RedisOrgRepository(KvReader& kv, BatchCommitter& committer)
      : kv_(kv), outbox_(committer), docs_(kv_, outbox_, kKeyPrefix) {}

  absl::StatusOr<std::optional<OrgUnit>> GetUnit(const std::string& id) override;
  absl::StatusOr<std::optional<Member>> GetMember(const std::string& id) override;
  absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>> GetUnitWithHeadcount(
      const std::string& id) override;
  void GetUnitWithHeadcountAsync(const std::string& id,
                                 std::function<void(UnitWithHeadcount)> done) override;
  absl::StatusOr<Ancestry> GetAncestry(const std::string& unit_id) override;
  absl::StatusOr<UnitPage> ScanUnits(const std::string& after, int scan_limit) override;
  absl::StatusOr<MemberPage> ScanMembers(const std::string& after, int scan_limit) override;
  absl::StatusOr<std::vector<std::string>> MemberIdsOfUnit(const std::string& unit_id) override;
  absl::StatusOr<int64_t> Headcount(const std::string& unit_id) override;
  absl::StatusOr<std::vector<int64_t>> Headcounts(
      const std::vector<std::string>& unit_ids) override;
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

 private:
  absl::Status Commit(const WriteBatch& batch);

  std::unique_ptr<KvReader> owned_kv_;
  KvReader& kv_;
  BatchCommitter& outbox_;
  DocStore docs_;  // org's versioned documents (talent, positions, team targets)
};

}  // namespace salesops::org
