// The org service's use cases, one method per RPC: validate the request (every
// bad field named), authorise (role policy is checked by the RpcRunner;
// object-level scope here), apply the domain rules, and persist the change
// together with its event. Plain C++ over protobuf messages, no gRPC types, so
// tests can call it directly; OrgGrpcService only adapts.
//
// Thread-safe: its only state is a cache of units' kinds (UnitKindCache).
#pragma once

#include <functional>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/server/rpc.h"
#include "common/time/clock.h"
#include "salesops/org/v1/org_service.pb.h"
#include "services/org/domain/org_repository.h"

namespace salesops::org {

// Which roles may call which method (object-level checks come on top).
MethodPolicy OrgMethodPolicy();

// Units' kinds as last read, for placement checks without a read (a unit's
// kind never changes; a commit re-checks it). Bounded: emptied when full.
// Thread-safe.
class UnitKindCache {
 public:
  std::optional<UnitKind> Get(const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = kinds_.find(id);
    return it == kinds_.end() ? std::nullopt : std::optional<UnitKind>(it->second);
  }
  void Put(const std::string& id, UnitKind kind) {
    absl::MutexLock lock(&mu_);
    if (kinds_.size() >= kMaxEntries) {
      kinds_.clear();
    }
    kinds_[id] = kind;
  }
  void Erase(const std::string& id) {
    absl::MutexLock lock(&mu_);
    kinds_.erase(id);
  }

 private:
  static constexpr size_t kMaxEntries = 100000;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, UnitKind> kinds_ ABSL_GUARDED_BY(mu_);
};

class OrgApi {
 public:
  OrgApi(OrgRepository& repo, const Clock& clock) : repo_(repo), clock_(clock) {}

  absl::Status CreateOrgUnit(const CallContext& call, const v1::CreateOrgUnitRequest& req,
                             v1::CreateOrgUnitResponse* resp);
  absl::Status GetOrgUnit(const CallContext& call, const v1::GetOrgUnitRequest& req,
                          v1::GetOrgUnitResponse* resp);
  // The same answer through `done` (once, perhaps on another thread): the
  // read does not hold the calling thread (RpcRunner::RunAsync).
  void GetOrgUnitAsync(const CallContext& call, const v1::GetOrgUnitRequest& req,
                       v1::GetOrgUnitResponse* resp, std::function<void(absl::Status)> done);
  absl::Status ListOrgUnits(const CallContext& call, const v1::ListOrgUnitsRequest& req,
                            v1::ListOrgUnitsResponse* resp);
  absl::Status UpdateOrgUnit(const CallContext& call, const v1::UpdateOrgUnitRequest& req,
                             v1::UpdateOrgUnitResponse* resp);
  absl::Status DeleteOrgUnit(const CallContext& call, const v1::DeleteOrgUnitRequest& req,
                             v1::DeleteOrgUnitResponse* resp);
  absl::Status CreateMember(const CallContext& call, const v1::CreateMemberRequest& req,
                            v1::CreateMemberResponse* resp);
  absl::Status GetMember(const CallContext& call, const v1::GetMemberRequest& req,
                         v1::GetMemberResponse* resp);
  absl::Status ListMembers(const CallContext& call, const v1::ListMembersRequest& req,
                           v1::ListMembersResponse* resp);
  absl::Status UpdateMember(const CallContext& call, const v1::UpdateMemberRequest& req,
                            v1::UpdateMemberResponse* resp);
  absl::Status DeleteMember(const CallContext& call, const v1::DeleteMemberRequest& req,
                            v1::DeleteMemberResponse* resp);
  absl::Status MoveMember(const CallContext& call, const v1::MoveMemberRequest& req,
                          v1::MoveMemberResponse* resp);

  // Positions and duties, reorganisation and history (org_reorg_api.cc).
#define SALESOPS_ORG_METHOD(M) \
  absl::Status M(const CallContext& call, const v1::M##Request& req, v1::M##Response* resp);
  SALESOPS_ORG_METHOD(CreatePosition)
  SALESOPS_ORG_METHOD(GetPosition)
  SALESOPS_ORG_METHOD(ListPositions)
  SALESOPS_ORG_METHOD(ChangeDuties)
  SALESOPS_ORG_METHOD(GetMemberDuties)
  SALESOPS_ORG_METHOD(SplitTeam)
  SALESOPS_ORG_METHOD(MergeTeams)
  SALESOPS_ORG_METHOD(DissolveTeam)
  SALESOPS_ORG_METHOD(ListReorganisations)
  SALESOPS_ORG_METHOD(GetMemberHistory)
  // Team efficiency and core talent (org_talent_api.cc).
  SALESOPS_ORG_METHOD(GetTeamEfficiency)
  SALESOPS_ORG_METHOD(SetTeamTarget)
  SALESOPS_ORG_METHOD(GetTalentConfig)
  SALESOPS_ORG_METHOD(UpdateTalentConfig)
  SALESOPS_ORG_METHOD(RecordAssessment)
  SALESOPS_ORG_METHOD(ListAssessments)
  SALESOPS_ORG_METHOD(CreateDevelopmentPlan)
  SALESOPS_ORG_METHOD(UpdateDevelopmentPlan)
  SALESOPS_ORG_METHOD(ListDevelopmentPlans)
  SALESOPS_ORG_METHOD(CreatePromotionTrack)
  SALESOPS_ORG_METHOD(ListPromotionTracks)
  SALESOPS_ORG_METHOD(SubmitPromotionRequest)
  SALESOPS_ORG_METHOD(ApprovePromotionRequest)
  SALESOPS_ORG_METHOD(RejectPromotionRequest)
  SALESOPS_ORG_METHOD(GetPromotionRequest)
#undef SALESOPS_ORG_METHOD

 private:
  absl::StatusOr<OrgUnit> LoadUnit(const std::string& id, const std::string& field,
                                   bool missing_is_invalid);
  absl::StatusOr<Member> LoadMember(const std::string& id);
  absl::StatusOr<std::vector<int64_t>> Headcounts(const std::vector<OrgUnit>& units);
  absl::Status CheckCanManage(const CallContext& call, const std::string& unit_id);
  // The members directly in a unit, read one by one.
  absl::StatusOr<std::vector<Member>> MembersOf(const std::string& unit_id);
  // The member's history; a synthetic "joined" entry for members from before
  // history was kept.
  absl::StatusOr<std::vector<MembershipEntry>> HistoryOf(const Member& m);
  // The member and the ancestry of their unit, for object-level checks.
  absl::StatusOr<std::pair<Member, std::vector<std::string>>> MemberWithAncestry(
      const std::string& id);
  absl::StatusOr<v1::TalentConfig> LoadTalentConfig();

  OrgRepository& repo_;
  const Clock& clock_;
  UnitKindCache unit_kinds_;
};

}  // namespace salesops::org
