// The sync service's use cases, one method per RPC: validate the request
// (every bad field named, request lists capped), authorise (the role policy
// runs in the RpcRunner; object checks here, through the service's own org
// directory projection), apply the domain rules, and commit the change with
// its events through the SyncRepository. Plain C++ over protobuf messages, no
// gRPC types and no Redis: tests call it against InMemorySyncRepository and
// InMemoryDirectory; SyncGrpcService only adapts.
//
// request_id (creates): a retry with the same id returns what that request
// created — only that, and only after the same access check as a fresh call.
// Client-sent resources lose their OUTPUT_ONLY fields (ClearOutputOnly).
//
// Thread-safe: no mutable state of its own.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/server/rpc.h"
#include "common/time/clock.h"
#include "salesops/sync/v1/sync_service.pb.h"
#include "services/sync/domain/access.h"
#include "services/sync/domain/directory.h"
#include "services/sync/domain/sync_repository.h"
#include "services/sync/notify/routes.h"

namespace salesops::sync {

// Which roles may call which method (object-level checks come on top).
MethodPolicy SyncMethodPolicy();

struct SyncOptions {
  absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);  // Asia/Shanghai
};

class SyncApi {
 public:
  SyncApi(SyncRepository& repo, Directory& directory, const RouteTable& routes, const Clock& clock,
          SyncOptions options = {})
      : repo_(repo), directory_(directory), routes_(routes), clock_(clock), options_(options) {}

#define SALESOPS_SYNC_METHOD(M) \
  absl::Status M(const CallContext& call, const v1::M##Request& req, v1::M##Response* resp);
  // Feedback (feedback_api.cc).
  SALESOPS_SYNC_METHOD(SubmitFeedback)
  SALESOPS_SYNC_METHOD(GetFeedback)
  SALESOPS_SYNC_METHOD(ListFeedback)
  SALESOPS_SYNC_METHOD(RouteFeedback)
  SALESOPS_SYNC_METHOD(RespondToFeedback)
  SALESOPS_SYNC_METHOD(GetFeedbackRouting)
  SALESOPS_SYNC_METHOD(UpdateFeedbackRouting)
  SALESOPS_SYNC_METHOD(GetFeedbackInsights)
  // Launches, insights, campaigns and leads (outreach_api.cc).
  SALESOPS_SYNC_METHOD(CreateLaunch)
  SALESOPS_SYNC_METHOD(GetLaunch)
  SALESOPS_SYNC_METHOD(ListLaunches)
  SALESOPS_SYNC_METHOD(UpdateLaunch)
  SALESOPS_SYNC_METHOD(AnnounceLaunch)
  SALESOPS_SYNC_METHOD(PublishInsight)
  SALESOPS_SYNC_METHOD(GetInsight)
  SALESOPS_SYNC_METHOD(ListInsights)
  SALESOPS_SYNC_METHOD(ArchiveInsight)
  SALESOPS_SYNC_METHOD(CreateCampaign)
  SALESOPS_SYNC_METHOD(GetCampaign)
  SALESOPS_SYNC_METHOD(ListCampaigns)
  SALESOPS_SYNC_METHOD(HandOverLeads)
  SALESOPS_SYNC_METHOD(GetLead)
  SALESOPS_SYNC_METHOD(ListLeads)
  SALESOPS_SYNC_METHOD(RecordLeadContact)
  SALESOPS_SYNC_METHOD(UpdateLeadOutcome)
  // Customer shares (share_api.cc).
  SALESOPS_SYNC_METHOD(ShareCustomer)
  SALESOPS_SYNC_METHOD(ListCustomerShares)
  SALESOPS_SYNC_METHOD(RevokeCustomerShare)
  // Task forces and receptions (task_force_api.cc).
  SALESOPS_SYNC_METHOD(ProposeTaskForce)
  SALESOPS_SYNC_METHOD(GetTaskForce)
  SALESOPS_SYNC_METHOD(ListTaskForces)
  SALESOPS_SYNC_METHOD(FormTaskForce)
  SALESOPS_SYNC_METHOD(DeclineTaskForce)
  SALESOPS_SYNC_METHOD(AddTaskForceMember)
  SALESOPS_SYNC_METHOD(UpdateMilestone)
  SALESOPS_SYNC_METHOD(PostTaskForceUpdate)
  SALESOPS_SYNC_METHOD(CloseTaskForce)
  SALESOPS_SYNC_METHOD(AgreeCreditSplit)
  SALESOPS_SYNC_METHOD(GetTaskForcePolicy)
  SALESOPS_SYNC_METHOD(UpdateTaskForcePolicy)
  SALESOPS_SYNC_METHOD(PlanReception)
  SALESOPS_SYNC_METHOD(GetReception)
  SALESOPS_SYNC_METHOD(ListReceptions)
  SALESOPS_SYNC_METHOD(UpdateReception)
  // Notifications (notify_api.cc).
  SALESOPS_SYNC_METHOD(ListNotificationRoutes)
  SALESOPS_SYNC_METHOD(ListDeliveries)
  SALESOPS_SYNC_METHOD(RetryDelivery)
#undef SALESOPS_SYNC_METHOD

 private:
  // The caller with their department and unit chain from the directory.
  absl::StatusOr<Viewer> ViewerOf(const CallContext& call);
  // One attempt of ShareCustomer (run again by WithRetry).
  absl::Status ShareCustomerOnce(const CallContext& call, const v1::ShareCustomerRequest& req,
                                 v1::ShareCustomerResponse* resp);

  SyncRepository& repo_;
  Directory& directory_;
  const RouteTable& routes_;
  const Clock& clock_;
  SyncOptions options_;
};

}  // namespace salesops::sync
