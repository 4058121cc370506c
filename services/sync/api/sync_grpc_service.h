// gRPC adapter for SyncService (callback API): every method goes through the
// RpcRunner guard (trace id, JWT, member check, role policy, metrics, status
// mapping) and hands the request to SyncApi. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/sync/v1/sync_service.grpc.pb.h"
#include "services/sync/api/sync_api.h"

namespace salesops::sync {

inline constexpr char kSyncServiceName[] = "salesops.sync.v1.SyncService";

class SyncGrpcService final : public v1::SyncService::CallbackService {
 public:
  SyncGrpcService(SyncApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

#define SALESOPS_SYNC_RPC(M)                                                                       \
  grpc::ServerUnaryReactor* M(grpc::CallbackServerContext* ctx, const v1::M##Request* req,         \
                              v1::M##Response* resp) override {                                    \
    return rpc_.Run(                                                                               \
        ctx, #M, [this, req, resp](const CallContext& call) { return api_.M(call, *req, resp); }); \
  }

  SALESOPS_SYNC_RPC(SubmitFeedback)
  SALESOPS_SYNC_RPC(GetFeedback)
  SALESOPS_SYNC_RPC(ListFeedback)
  SALESOPS_SYNC_RPC(RouteFeedback)
  SALESOPS_SYNC_RPC(RespondToFeedback)
  SALESOPS_SYNC_RPC(CreateLaunch)
  SALESOPS_SYNC_RPC(GetLaunch)
  SALESOPS_SYNC_RPC(ListLaunches)
  SALESOPS_SYNC_RPC(UpdateLaunch)
  SALESOPS_SYNC_RPC(AnnounceLaunch)
  SALESOPS_SYNC_RPC(PublishInsight)
  SALESOPS_SYNC_RPC(GetInsight)
  SALESOPS_SYNC_RPC(ListInsights)
  SALESOPS_SYNC_RPC(ArchiveInsight)
  SALESOPS_SYNC_RPC(ShareCustomer)
  SALESOPS_SYNC_RPC(ListCustomerShares)
  SALESOPS_SYNC_RPC(RevokeCustomerShare)
  SALESOPS_SYNC_RPC(ProposeTaskForce)
  SALESOPS_SYNC_RPC(GetTaskForce)
  SALESOPS_SYNC_RPC(ListTaskForces)
  SALESOPS_SYNC_RPC(FormTaskForce)
  SALESOPS_SYNC_RPC(DeclineTaskForce)
  SALESOPS_SYNC_RPC(AddTaskForceMember)
  SALESOPS_SYNC_RPC(UpdateMilestone)
  SALESOPS_SYNC_RPC(PostTaskForceUpdate)
  SALESOPS_SYNC_RPC(CloseTaskForce)
  SALESOPS_SYNC_RPC(GetTaskForcePolicy)
  SALESOPS_SYNC_RPC(UpdateTaskForcePolicy)
  SALESOPS_SYNC_RPC(GetFeedbackRouting)
  SALESOPS_SYNC_RPC(UpdateFeedbackRouting)
  SALESOPS_SYNC_RPC(GetFeedbackInsights)
  SALESOPS_SYNC_RPC(CreateCampaign)
  SALESOPS_SYNC_RPC(GetCampaign)
  SALESOPS_SYNC_RPC(ListCampaigns)
  SALESOPS_SYNC_RPC(HandOverLeads)
  SALESOPS_SYNC_RPC(GetLead)
  SALESOPS_SYNC_RPC(ListLeads)
  SALESOPS_SYNC_RPC(RecordLeadContact)
  SALESOPS_SYNC_RPC(UpdateLeadOutcome)
  SALESOPS_SYNC_RPC(AgreeCreditSplit)
  SALESOPS_SYNC_RPC(PlanReception)
  SALESOPS_SYNC_RPC(GetReception)
  SALESOPS_SYNC_RPC(ListReceptions)
  SALESOPS_SYNC_RPC(UpdateReception)
  SALESOPS_SYNC_RPC(ListNotificationRoutes)
  SALESOPS_SYNC_RPC(ListDeliveries)
  SALESOPS_SYNC_RPC(RetryDelivery)
#undef SALESOPS_SYNC_RPC

 private:
  SyncApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::sync
