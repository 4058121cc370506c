// Who may see and do what in the sync service, as plain functions over the
// caller (a Viewer: the token's principal plus the department and unit chain
// the service's org directory projection knows) and the resource's place in
// the sales line (a SalesScope). The role policy per method (MethodPolicy)
// runs first; these object checks run on every resource a request names or
// a list returns.
//
//   Viewer v = ...;                                   // api/ builds it per call
//   if (!CanReadFeedback(v, feedback)) return PermissionDenied(...);
//
// The rules: a rep sees what is their own, a supervisor their team's, a
// manager their region's, directors and admins everything; members of the
// product and marketing departments see their department's queues (feedback
// routed to it) whatever their role; nobody sees another department's queue.
#pragma once

#include <string>
#include <vector>

#include "common/auth/principal.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

struct Viewer {
  Principal principal;
  // salesops.sync.v1.Department (numbers of salesops.org.v1.Department).
  v1::Department department = v1::DEPARTMENT_UNSPECIFIED;
  // The principal's unit and its ancestors (ids), the unit first.
  std::vector<std::string> units;

  bool AtLeast(Role r) const { return principal.role >= r; }
  bool IsAdmin() const { return principal.role == Role::kAdmin; }
  // Director or admin: sees everything.
  bool SeesAll() const { return principal.role >= Role::kDirector; }
  // The principal's unit is `unit_id` or below it.
  bool Within(const std::string& unit_id) const;
};

// Where something sits in the sales line (ids without collection prefixes).
struct SalesScope {
  std::string owner;
  std::string team;
  std::string region;
};

// Owner (rep), the team's supervisor, the region's manager, director, admin.
bool InSalesScope(const Viewer& v, const SalesScope& s);
// Supervisor of the team, manager of the region, director, admin (not the rep).
bool LeadsSalesScope(const Viewer& v, const SalesScope& s);

// Product or marketing department members (any role).
bool InProductOrMarketing(const Viewer& v);

// ---- feedback
SalesScope AuthorScope(const v1::Feedback& f);
// The author's line (author, supervisor, manager), the department whose queue
// it is in, director, admin.
bool CanReadFeedback(const Viewer& v, const v1::Feedback& f);
// Route and respond: members of the department it is routed to, admin.
bool CanHandleFeedback(const Viewer& v, const v1::Feedback& f);
// Reading a department's whole queue: its members, director, admin.
bool CanReadQueue(const Viewer& v, v1::Department queue);

// ---- launches, insights, campaigns
bool CanManageLaunches(const Viewer& v);  // product/marketing members, admin
bool CanReadLaunch(const Viewer& v, const v1::ProductLaunch& l);
bool CanPublishInsight(const Viewer& v);   // product/marketing members, manager+
bool CanManageCampaigns(const Viewer& v);  // marketing members, director, admin
SalesScope LeadScope(const v1::CampaignLead& l);
bool CanReadLead(const Viewer& v, const v1::CampaignLead& l);
// Record contact and outcome: the assigned rep, their supervisor/manager, admin.
bool CanWorkLead(const Viewer& v, const v1::CampaignLead& l);

// ---- task forces
SalesScope DealScope(const v1::TaskForce& t);
bool IsTaskForceMember(const v1::TaskForce& t, const std::string& member_id);
bool HasTaskForceRole(const v1::TaskForce& t, const std::string& member_id, v1::TaskForceRole role);
// Members, the deal's line, director, admin.
bool CanReadTaskForce(const Viewer& v, const v1::TaskForce& t);
// Form / decline: the deal's manager, director, admin.
bool CanDecideTaskForce(const Viewer& v, const v1::TaskForce& t);
// Lead or sponsor, director, admin: members, close, credit split.
bool CanSteerTaskForce(const Viewer& v, const v1::TaskForce& t);

// ---- receptions
SalesScope ReceptionScope(const v1::CustomerReception& r);
bool CanReadReception(const Viewer& v, const v1::CustomerReception& r);
bool CanManageReception(const Viewer& v, const v1::CustomerReception& r);

}  // namespace salesops::sync
