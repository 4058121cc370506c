#include "services/sync/api/sync_api.h"

#include "common/status/status_macros.h"

namespace salesops::sync {

MethodPolicy SyncMethodPolicy() {
  MethodPolicy p;
  // Object checks decide for these (departments are not in the token).
  for (const char* m :
       {"SubmitFeedback",    "GetFeedback",        "ListFeedback",        "RouteFeedback",
        "RespondToFeedback", "GetFeedbackRouting", "GetFeedbackInsights", "CreateLaunch",
        "GetLaunch",         "ListLaunches",       "UpdateLaunch",        "AnnounceLaunch",
        "PublishInsight",    "GetInsight",         "ListInsights",        "ArchiveInsight",
        "CreateCampaign",    "GetCampaign",        "ListCampaigns",       "HandOverLeads",
        "GetLead",           "ListLeads",          "RecordLeadContact",   "UpdateLeadOutcome",
        "ShareCustomer",     "ListCustomerShares", "RevokeCustomerShare", "GetTaskForce",
        "ListTaskForces",    "AddTaskForceMember", "UpdateMilestone",     "PostTaskForceUpdate",
        "CloseTaskForce",    "AgreeCreditSplit",   "GetTaskForcePolicy",  "PlanReception",
        "GetReception",      "ListReceptions",     "UpdateReception"}) {
    p.AllowAll(m);
  }
  p.Allow("ProposeTaskForce", {Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin});
  for (const char* m : {"FormTaskForce", "DeclineTaskForce"}) {
    p.Allow(m, {Role::kManager, Role::kDirector, Role::kAdmin});
  }
  for (const char* m : {"UpdateTaskForcePolicy", "UpdateFeedbackRouting", "ListNotificationRoutes",
                        "ListDeliveries"}) {
    p.Allow(m, {Role::kDirector, Role::kAdmin});
  }
  p.Allow("RetryDelivery", {Role::kAdmin});
  return p;
}

absl::StatusOr<Viewer> SyncApi::ViewerOf(const CallContext& call) {
  Viewer v;
  v.principal = call.principal;
  if (!call.principal.member_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m,
                              directory_.Member(call.principal.member_id));
    if (m && !m->left) {
      v.department = m->department;
    }
  }
  if (!call.principal.org_unit_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(v.units, directory_.UnitAndAncestors(call.principal.org_unit_id));
  }
  return v;
}

}  // namespace salesops::sync
