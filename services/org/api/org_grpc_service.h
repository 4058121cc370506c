// gRPC adapter for OrgService (callback API): every method goes through the
// RpcRunner guard (trace id, JWT, role policy, metrics, status mapping) and
// hands the request to OrgApi. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "services/org/api/org_api.h"

namespace salesops::org {

inline constexpr char kOrgServiceName[] = "salesops.org.v1.OrgService";

class OrgGrpcService final : public v1::OrgService::CallbackService {
 public:
  OrgGrpcService(OrgApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

  grpc::ServerUnaryReactor* CreateOrgUnit(grpc::CallbackServerContext* ctx,
                                          const v1::CreateOrgUnitRequest* req,
                                          v1::CreateOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "CreateOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.CreateOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetOrgUnit(grpc::CallbackServerContext* ctx,
                                       const v1::GetOrgUnitRequest* req,
                                       v1::GetOrgUnitResponse* resp) override {
    return rpc_.RunAsync(ctx, "GetOrgUnit",
                         [this, req, resp](const CallContext& call, RpcRunner::Done done) {
                           api_.GetOrgUnitAsync(call, *req, resp, std::move(done));
                         });
  }
  grpc::ServerUnaryReactor* ListOrgUnits(grpc::CallbackServerContext* ctx,
                                         const v1::ListOrgUnitsRequest* req,
                                         v1::ListOrgUnitsResponse* resp) override {
    return rpc_.Run(ctx, "ListOrgUnits", [this, req, resp](const CallContext& call) {
      return api_.ListOrgUnits(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateOrgUnit(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateOrgUnitRequest* req,
                                          v1::UpdateOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "UpdateOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.UpdateOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DeleteOrgUnit(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteOrgUnitRequest* req,
                                          v1::DeleteOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "DeleteOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.DeleteOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateMember(grpc::CallbackServerContext* ctx,
                                         const v1::CreateMemberRequest* req,
                                         v1::CreateMemberResponse* resp) override {
    return rpc_.Run(ctx, "CreateMember", [this, req, resp](const CallContext& call) {
      return api_.CreateMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetMember(grpc::CallbackServerContext* ctx,
                                      const v1::GetMemberRequest* req,
                                      v1::GetMemberResponse* resp) override {
    return rpc_.Run(ctx, "GetMember", [this, req, resp](const CallContext& call) {
      return api_.GetMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListMembers(grpc::CallbackServerContext* ctx,
                                        const v1::ListMembersRequest* req,
                                        v1::ListMembersResponse* resp) override {
    return rpc_.Run(ctx, "ListMembers", [this, req, resp](const CallContext& call) {
      return api_.ListMembers(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateMember(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateMemberRequest* req,
                                         v1::UpdateMemberResponse* resp) override {
    return rpc_.Run(ctx, "UpdateMember", [this, req, resp](const CallContext& call) {
      return api_.UpdateMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DeleteMember(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteMemberRequest* req,
                                         v1::DeleteMemberResponse* resp) override {
    return rpc_.Run(ctx, "DeleteMember", [this, req, resp](const CallContext& call) {
      return api_.DeleteMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* MoveMember(grpc::CallbackServerContext* ctx,
                                       const v1::MoveMemberRequest* req,
                                       v1::MoveMemberResponse* resp) override {
    return rpc_.Run(ctx, "MoveMember", [this, req, resp](const CallContext& call) {
      return api_.MoveMember(call, *req, resp);
    });
  }

  grpc::ServerUnaryReactor* CreatePosition(grpc::CallbackServerContext* ctx,
                                           const v1::CreatePositionRequest* req,
                                           v1::CreatePositionResponse* resp) override {
    return rpc_.Run(ctx, "CreatePosition", [this, req, resp](const CallContext& call) {
      return api_.CreatePosition(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetPosition(grpc::CallbackServerContext* ctx,
                                        const v1::GetPositionRequest* req,
                                        v1::GetPositionResponse* resp) override {
    return rpc_.Run(ctx, "GetPosition", [this, req, resp](const CallContext& call) {
      return api_.GetPosition(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListPositions(grpc::CallbackServerContext* ctx,
                                          const v1::ListPositionsRequest* req,
                                          v1::ListPositionsResponse* resp) override {
    return rpc_.Run(ctx, "ListPositions", [this, req, resp](const CallContext& call) {
      return api_.ListPositions(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ChangeDuties(grpc::CallbackServerContext* ctx,
                                         const v1::ChangeDutiesRequest* req,
                                         v1::ChangeDutiesResponse* resp) override {
    return rpc_.Run(ctx, "ChangeDuties", [this, req, resp](const CallContext& call) {
      return api_.ChangeDuties(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetMemberDuties(grpc::CallbackServerContext* ctx,
                                            const v1::GetMemberDutiesRequest* req,
                                            v1::GetMemberDutiesResponse* resp) override {
    return rpc_.Run(ctx, "GetMemberDuties", [this, req, resp](const CallContext& call) {
      return api_.GetMemberDuties(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SplitTeam(grpc::CallbackServerContext* ctx,
                                      const v1::SplitTeamRequest* req,
                                      v1::SplitTeamResponse* resp) override {
    return rpc_.Run(ctx, "SplitTeam", [this, req, resp](const CallContext& call) {
      return api_.SplitTeam(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* MergeTeams(grpc::CallbackServerContext* ctx,
                                       const v1::MergeTeamsRequest* req,
                                       v1::MergeTeamsResponse* resp) override {
    return rpc_.Run(ctx, "MergeTeams", [this, req, resp](const CallContext& call) {
      return api_.MergeTeams(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DissolveTeam(grpc::CallbackServerContext* ctx,
                                         const v1::DissolveTeamRequest* req,
                                         v1::DissolveTeamResponse* resp) override {
    return rpc_.Run(ctx, "DissolveTeam", [this, req, resp](const CallContext& call) {
      return api_.DissolveTeam(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListReorganisations(grpc::CallbackServerContext* ctx,
                                                const v1::ListReorganisationsRequest* req,
                                                v1::ListReorganisationsResponse* resp) override {
    return rpc_.Run(ctx, "ListReorganisations", [this, req, resp](const CallContext& call) {
      return api_.ListReorganisations(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetMemberHistory(grpc::CallbackServerContext* ctx,
                                             const v1::GetMemberHistoryRequest* req,
                                             v1::GetMemberHistoryResponse* resp) override {
    return rpc_.Run(ctx, "GetMemberHistory", [this, req, resp](const CallContext& call) {
      return api_.GetMemberHistory(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetTeamEfficiency(grpc::CallbackServerContext* ctx,
                                              const v1::GetTeamEfficiencyRequest* req,
                                              v1::GetTeamEfficiencyResponse* resp) override {
    return rpc_.Run(ctx, "GetTeamEfficiency", [this, req, resp](const CallContext& call) {
      return api_.GetTeamEfficiency(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SetTeamTarget(grpc::CallbackServerContext* ctx,
                                          const v1::SetTeamTargetRequest* req,
                                          v1::SetTeamTargetResponse* resp) override {
    return rpc_.Run(ctx, "SetTeamTarget", [this, req, resp](const CallContext& call) {
      return api_.SetTeamTarget(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetTalentConfig(grpc::CallbackServerContext* ctx,
                                            const v1::GetTalentConfigRequest* req,
                                            v1::GetTalentConfigResponse* resp) override {
    return rpc_.Run(ctx, "GetTalentConfig", [this, req, resp](const CallContext& call) {
      return api_.GetTalentConfig(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateTalentConfig(grpc::CallbackServerContext* ctx,
                                               const v1::UpdateTalentConfigRequest* req,
                                               v1::UpdateTalentConfigResponse* resp) override {
    return rpc_.Run(ctx, "UpdateTalentConfig", [this, req, resp](const CallContext& call) {
      return api_.UpdateTalentConfig(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RecordAssessment(grpc::CallbackServerContext* ctx,
                                             const v1::RecordAssessmentRequest* req,
                                             v1::RecordAssessmentResponse* resp) override {
    return rpc_.Run(ctx, "RecordAssessment", [this, req, resp](const CallContext& call) {
      return api_.RecordAssessment(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListAssessments(grpc::CallbackServerContext* ctx,
                                            const v1::ListAssessmentsRequest* req,
                                            v1::ListAssessmentsResponse* resp) override {
    return rpc_.Run(ctx, "ListAssessments", [this, req, resp](const CallContext& call) {
      return api_.ListAssessments(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateDevelopmentPlan(
      grpc::CallbackServerContext* ctx, const v1::CreateDevelopmentPlanRequest* req,
      v1::CreateDevelopmentPlanResponse* resp) override {
    return rpc_.Run(ctx, "CreateDevelopmentPlan", [this, req, resp](const CallContext& call) {
      return api_.CreateDevelopmentPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateDevelopmentPlan(
      grpc::CallbackServerContext* ctx, const v1::UpdateDevelopmentPlanRequest* req,
      v1::UpdateDevelopmentPlanResponse* resp) override {
    return rpc_.Run(ctx, "UpdateDevelopmentPlan", [this, req, resp](const CallContext& call) {
      return api_.UpdateDevelopmentPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListDevelopmentPlans(grpc::CallbackServerContext* ctx,
                                                 const v1::ListDevelopmentPlansRequest* req,
                                                 v1::ListDevelopmentPlansResponse* resp) override {
    return rpc_.Run(ctx, "ListDevelopmentPlans", [this, req, resp](const CallContext& call) {
      return api_.ListDevelopmentPlans(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreatePromotionTrack(grpc::CallbackServerContext* ctx,
                                                 const v1::CreatePromotionTrackRequest* req,
                                                 v1::CreatePromotionTrackResponse* resp) override {
    return rpc_.Run(ctx, "CreatePromotionTrack", [this, req, resp](const CallContext& call) {
      return api_.CreatePromotionTrack(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListPromotionTracks(grpc::CallbackServerContext* ctx,
                                                const v1::ListPromotionTracksRequest* req,
                                                v1::ListPromotionTracksResponse* resp) override {
    return rpc_.Run(ctx, "ListPromotionTracks", [this, req, resp](const CallContext& call) {
      return api_.ListPromotionTracks(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SubmitPromotionRequest(
      grpc::CallbackServerContext* ctx, const v1::SubmitPromotionRequestRequest* req,
      v1::SubmitPromotionRequestResponse* resp) override {
    return rpc_.Run(ctx, "SubmitPromotionRequest", [this, req, resp](const CallContext& call) {
      return api_.SubmitPromotionRequest(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ApprovePromotionRequest(
      grpc::CallbackServerContext* ctx, const v1::ApprovePromotionRequestRequest* req,
      v1::ApprovePromotionRequestResponse* resp) override {
    return rpc_.Run(ctx, "ApprovePromotionRequest", [this, req, resp](const CallContext& call) {
      return api_.ApprovePromotionRequest(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RejectPromotionRequest(
      grpc::CallbackServerContext* ctx, const v1::RejectPromotionRequestRequest* req,
      v1::RejectPromotionRequestResponse* resp) override {
    return rpc_.Run(ctx, "RejectPromotionRequest", [this, req, resp](const CallContext& call) {
      return api_.RejectPromotionRequest(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetPromotionRequest(grpc::CallbackServerContext* ctx,
                                                const v1::GetPromotionRequestRequest* req,
                                                v1::GetPromotionRequestResponse* resp) override {
    return rpc_.Run(ctx, "GetPromotionRequest", [this, req, resp](const CallContext& call) {
      return api_.GetPromotionRequest(call, *req, resp);
    });
  }

 private:
  OrgApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::org
