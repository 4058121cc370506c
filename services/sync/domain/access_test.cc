// Tests for the object checks of the sync service: for each Can* rule, what a
// rep, supervisor, manager, director and admin of the sales line may do, what
// product and marketing department members may do whatever their role, and
// that nobody sees another department's queue.
#include "services/sync/domain/access.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace salesops::sync {
namespace {

// The sales line of the fixtures: rep-1 in team-e1 of region east; team-w1 in west.
Viewer V(Role role, const std::string& member_id, const std::string& unit,
         v1::Department department = v1::DEPARTMENT_SALES) {
  Viewer v;
  v.principal.role = role;
  v.principal.member_id = member_id;
  v.principal.org_unit_id = unit;
  v.department = department;
  v.units = {unit};
  return v;
}

const Viewer kOwner = V(Role::kRep, "rep-1", "team-e1");
const Viewer kOtherRep = V(Role::kRep, "rep-2", "team-e1");
const Viewer kSupervisor = V(Role::kSupervisor, "sup-1", "team-e1");
const Viewer kOtherSupervisor = V(Role::kSupervisor, "sup-2", "team-w1");
const Viewer kManager = V(Role::kManager, "mgr-1", "east");
const Viewer kOtherManager = V(Role::kManager, "mgr-2", "west");
const Viewer kDirector = V(Role::kDirector, "dir-1", "sales-hq");
const Viewer kAdmin = V(Role::kAdmin, "admin-1", "", v1::DEPARTMENT_UNSPECIFIED);
// Department members with the lowest role: their department, not their role, counts.
const Viewer kProduct = V(Role::kRep, "pm-1", "product", v1::DEPARTMENT_PRODUCT);
const Viewer kMarketing = V(Role::kRep, "mk-1", "marketing", v1::DEPARTMENT_MARKETING);
const Viewer kProductHead = V(Role::kManager, "pm-head", "product", v1::DEPARTMENT_PRODUCT);

const SalesScope kScope = {"rep-1", "team-e1", "east"};

// ---- Viewer and the sales line

TEST(ViewerTest, WithinLooksUpTheUnitChain) {
  Viewer v = kOwner;
  v.units = {"team-e1", "east", "company"};
  EXPECT_TRUE(v.Within("team-e1"));
  EXPECT_TRUE(v.Within("company"));
  EXPECT_FALSE(v.Within("west"));
  EXPECT_FALSE(v.Within(""));
}

TEST(ViewerTest, RoleHelpers) {
  EXPECT_TRUE(kManager.AtLeast(Role::kSupervisor));
  EXPECT_TRUE(kManager.AtLeast(Role::kManager));
  EXPECT_FALSE(kManager.AtLeast(Role::kDirector));
  EXPECT_TRUE(kDirector.SeesAll());
  EXPECT_TRUE(kAdmin.SeesAll());
  EXPECT_FALSE(kManager.SeesAll());
  EXPECT_TRUE(kAdmin.IsAdmin());
  EXPECT_FALSE(kDirector.IsAdmin());
}

TEST(SalesScopeTest, InSalesScopeFollowsTheLine) {
  EXPECT_TRUE(InSalesScope(kOwner, kScope));
  EXPECT_FALSE(InSalesScope(kOtherRep, kScope));
  EXPECT_TRUE(InSalesScope(kSupervisor, kScope));
  EXPECT_FALSE(InSalesScope(kOtherSupervisor, kScope));
  EXPECT_TRUE(InSalesScope(kManager, kScope));
  EXPECT_FALSE(InSalesScope(kOtherManager, kScope));
  EXPECT_TRUE(InSalesScope(kDirector, kScope));
  EXPECT_TRUE(InSalesScope(kAdmin, kScope));
  EXPECT_FALSE(InSalesScope(kProduct, kScope));
}

TEST(SalesScopeTest, LeadsSalesScopeExcludesTheRep) {
  EXPECT_FALSE(LeadsSalesScope(kOwner, kScope));
  EXPECT_TRUE(LeadsSalesScope(kSupervisor, kScope));
  EXPECT_TRUE(LeadsSalesScope(kManager, kScope));
  EXPECT_TRUE(LeadsSalesScope(kDirector, kScope));
  EXPECT_TRUE(LeadsSalesScope(kAdmin, kScope));
  EXPECT_FALSE(LeadsSalesScope(kOtherSupervisor, kScope));
}

TEST(SalesScopeTest, EmptyIdsNeverMatchEmptyScopes) {
  const SalesScope empty = {"", "", ""};
  EXPECT_FALSE(InSalesScope(V(Role::kRep, "", "team-e1"), empty));
  EXPECT_FALSE(InSalesScope(V(Role::kSupervisor, "sup-1", ""), empty));
  EXPECT_FALSE(InSalesScope(V(Role::kManager, "mgr-1", ""), empty));
}

TEST(SalesScopeTest, ProductAndMarketingAreTheDepartmentQueues) {
  EXPECT_TRUE(InProductOrMarketing(kProduct));
  EXPECT_TRUE(InProductOrMarketing(kMarketing));
  EXPECT_FALSE(InProductOrMarketing(kManager));
  EXPECT_FALSE(InProductOrMarketing(kAdmin));
  EXPECT_FALSE(InProductOrMarketing(V(Role::kRep, "f-1", "finance", v1::DEPARTMENT_FINANCE)));
}

// ---- feedback

v1::Feedback Feedback(v1::Department routed) {
  v1::Feedback f;
  f.set_name("feedback/f-1");
  f.set_author("members/rep-1");
  f.set_author_team("orgUnits/team-e1");
  f.set_author_region("orgUnits/east");
  f.set_routed_department(routed);
  return f;
}

TEST(FeedbackAccessTest, AuthorScopeStripsCollections) {
  const SalesScope s = AuthorScope(Feedback(v1::DEPARTMENT_PRODUCT));
  EXPECT_EQ(s.owner, "rep-1");
  EXPECT_EQ(s.team, "team-e1");
  EXPECT_EQ(s.region, "east");
}

TEST(FeedbackAccessTest, ReadByTheAuthorsLineAndTheQueuesDepartment) {
  const v1::Feedback f = Feedback(v1::DEPARTMENT_PRODUCT);
  EXPECT_TRUE(CanReadFeedback(kOwner, f));
  EXPECT_FALSE(CanReadFeedback(kOtherRep, f));
  EXPECT_TRUE(CanReadFeedback(kSupervisor, f));
  EXPECT_FALSE(CanReadFeedback(kOtherSupervisor, f));
  EXPECT_TRUE(CanReadFeedback(kManager, f));
  EXPECT_FALSE(CanReadFeedback(kOtherManager, f));
  EXPECT_TRUE(CanReadFeedback(kDirector, f));
  EXPECT_TRUE(CanReadFeedback(kAdmin, f));
  EXPECT_TRUE(CanReadFeedback(kProduct, f));
  EXPECT_FALSE(CanReadFeedback(kMarketing, f));  // another department's queue
  EXPECT_TRUE(CanReadFeedback(kMarketing, Feedback(v1::DEPARTMENT_MARKETING)));
  EXPECT_FALSE(CanReadFeedback(kProduct, Feedback(v1::DEPARTMENT_MARKETING)));
}

TEST(FeedbackAccessTest, UnroutedFeedbackIsInNoDepartmentsQueue) {
  const v1::Feedback f = Feedback(v1::DEPARTMENT_UNSPECIFIED);
  const Viewer no_department = V(Role::kRep, "x-1", "x", v1::DEPARTMENT_UNSPECIFIED);
  EXPECT_FALSE(CanReadFeedback(no_department, f));
  EXPECT_FALSE(CanReadFeedback(kProduct, f));
  EXPECT_FALSE(CanHandleFeedback(no_department, f));
  EXPECT_TRUE(CanReadFeedback(kOwner, f));
}

TEST(FeedbackAccessTest, HandledByTheRoutedDepartmentAndAdminsOnly) {
  const v1::Feedback f = Feedback(v1::DEPARTMENT_PRODUCT);
  EXPECT_TRUE(CanHandleFeedback(kProduct, f));
  EXPECT_TRUE(CanHandleFeedback(kProductHead, f));
  EXPECT_FALSE(CanHandleFeedback(kMarketing, f));
  EXPECT_TRUE(CanHandleFeedback(kAdmin, f));
  EXPECT_FALSE(CanHandleFeedback(kDirector, f));
  EXPECT_FALSE(CanHandleFeedback(kOwner, f));
  EXPECT_FALSE(CanHandleFeedback(kManager, f));
  EXPECT_TRUE(CanHandleFeedback(kMarketing, Feedback(v1::DEPARTMENT_MARKETING)));
}

TEST(FeedbackAccessTest, QueuesAreReadByTheirDepartmentDirectorsAndAdmins) {
  EXPECT_TRUE(CanReadQueue(kProduct, v1::DEPARTMENT_PRODUCT));
  EXPECT_FALSE(CanReadQueue(kProduct, v1::DEPARTMENT_MARKETING));
  EXPECT_TRUE(CanReadQueue(kMarketing, v1::DEPARTMENT_MARKETING));
  EXPECT_FALSE(CanReadQueue(kMarketing, v1::DEPARTMENT_PRODUCT));
  for (const Viewer& v : {kDirector, kAdmin}) {
    EXPECT_TRUE(CanReadQueue(v, v1::DEPARTMENT_PRODUCT));
    EXPECT_TRUE(CanReadQueue(v, v1::DEPARTMENT_MARKETING));
  }
  for (const Viewer& v : {kOwner, kSupervisor, kManager}) {
    EXPECT_FALSE(CanReadQueue(v, v1::DEPARTMENT_PRODUCT));
    EXPECT_FALSE(CanReadQueue(v, v1::DEPARTMENT_MARKETING));
  }
  const Viewer no_department = V(Role::kRep, "x-1", "x", v1::DEPARTMENT_UNSPECIFIED);
  EXPECT_FALSE(CanReadQueue(no_department, v1::DEPARTMENT_UNSPECIFIED));
}

// ---- launches, insights, campaigns

TEST(LaunchAccessTest, ManagedByProductMarketingAndAdmins) {
  EXPECT_TRUE(CanManageLaunches(kProduct));
  EXPECT_TRUE(CanManageLaunches(kMarketing));
  EXPECT_TRUE(CanManageLaunches(kAdmin));
  EXPECT_FALSE(CanManageLaunches(kDirector));
  EXPECT_FALSE(CanManageLaunches(kManager));
  EXPECT_FALSE(CanManageLaunches(kOwner));
}

TEST(LaunchAccessTest, AnnouncedAndWithdrawnLaunchesAreForEveryoneDraftsAreNot) {
  v1::ProductLaunch l;
  for (auto state : {v1::LAUNCH_STATE_ANNOUNCED, v1::LAUNCH_STATE_WITHDRAWN}) {
    l.set_state(state);
    EXPECT_TRUE(CanReadLaunch(kOwner, l)) << v1::LaunchState_Name(state);
  }
  for (auto state : {v1::LAUNCH_STATE_DRAFT, v1::LAUNCH_STATE_UNSPECIFIED}) {
    l.set_state(state);
    const std::string label = v1::LaunchState_Name(state);
    EXPECT_FALSE(CanReadLaunch(kOwner, l)) << label;
    EXPECT_FALSE(CanReadLaunch(kManager, l)) << label;
    EXPECT_TRUE(CanReadLaunch(kDirector, l)) << label;
    EXPECT_TRUE(CanReadLaunch(kAdmin, l)) << label;
    EXPECT_TRUE(CanReadLaunch(kProduct, l)) << label;
    EXPECT_TRUE(CanReadLaunch(kMarketing, l)) << label;
  }
}

TEST(InsightAccessTest, PublishedByProductMarketingAndManagersUp) {
  EXPECT_TRUE(CanPublishInsight(kProduct));
  EXPECT_TRUE(CanPublishInsight(kMarketing));
  EXPECT_TRUE(CanPublishInsight(kManager));
  EXPECT_TRUE(CanPublishInsight(kDirector));
  EXPECT_TRUE(CanPublishInsight(kAdmin));
  EXPECT_FALSE(CanPublishInsight(kSupervisor));
  EXPECT_FALSE(CanPublishInsight(kOwner));
}

TEST(CampaignAccessTest, ManagedByMarketingDirectorsAndAdmins) {
  EXPECT_TRUE(CanManageCampaigns(kMarketing));
  EXPECT_TRUE(CanManageCampaigns(kDirector));
  EXPECT_TRUE(CanManageCampaigns(kAdmin));
  EXPECT_FALSE(CanManageCampaigns(kProduct));
  EXPECT_FALSE(CanManageCampaigns(kProductHead));
  EXPECT_FALSE(CanManageCampaigns(kManager));
  EXPECT_FALSE(CanManageCampaigns(kOwner));
}

// ---- leads

v1::CampaignLead Lead() {
  v1::CampaignLead l;
  l.set_assigned_rep("members/rep-1");
  l.set_team("orgUnits/team-e1");
  l.set_region("orgUnits/east");
  return l;
}

TEST(LeadAccessTest, LeadScopeStripsCollections) {
  const SalesScope s = LeadScope(Lead());
  EXPECT_EQ(s.owner, "rep-1");
  EXPECT_EQ(s.team, "team-e1");
  EXPECT_EQ(s.region, "east");
}

TEST(LeadAccessTest, ReadByTheRepsLineAndMarketing) {
  const v1::CampaignLead l = Lead();
  EXPECT_TRUE(CanReadLead(kOwner, l));
  EXPECT_FALSE(CanReadLead(kOtherRep, l));
  EXPECT_TRUE(CanReadLead(kSupervisor, l));
  EXPECT_FALSE(CanReadLead(kOtherSupervisor, l));
  EXPECT_TRUE(CanReadLead(kManager, l));
  EXPECT_FALSE(CanReadLead(kOtherManager, l));
  EXPECT_TRUE(CanReadLead(kDirector, l));
  EXPECT_TRUE(CanReadLead(kAdmin, l));
  EXPECT_TRUE(CanReadLead(kMarketing, l));
  EXPECT_FALSE(CanReadLead(kProduct, l));
}

TEST(LeadAccessTest, WorkedByTheRepTheirSupervisorManagerAndAdmins) {
  const v1::CampaignLead l = Lead();
  EXPECT_TRUE(CanWorkLead(kOwner, l));
  EXPECT_FALSE(CanWorkLead(kOtherRep, l));
  EXPECT_TRUE(CanWorkLead(kSupervisor, l));
  EXPECT_FALSE(CanWorkLead(kOtherSupervisor, l));
  EXPECT_TRUE(CanWorkLead(kManager, l));
  EXPECT_FALSE(CanWorkLead(kOtherManager, l));
  EXPECT_FALSE(CanWorkLead(kDirector, l));
  EXPECT_TRUE(CanWorkLead(kAdmin, l));
  EXPECT_FALSE(CanWorkLead(kMarketing, l));
}

// ---- task forces

v1::TaskForceMember TfMember(const std::string& id, v1::TaskForceRole role) {
  v1::TaskForceMember m;
  m.set_member("members/" + id);
  m.set_role(role);
  return m;
}

// rep-1's deal; pm-1 (product) is a plain member, sup-9 from elsewhere the sponsor.
v1::TaskForce Tf() {
  v1::TaskForce t;
  t.set_owner("members/rep-1");
  t.set_team("orgUnits/team-e1");
  t.set_region("orgUnits/east");
  *t.add_members() = TfMember("rep-1", v1::TASK_FORCE_ROLE_LEAD);
  *t.add_members() = TfMember("pm-1", v1::TASK_FORCE_ROLE_MEMBER);
  *t.add_members() = TfMember("sup-9", v1::TASK_FORCE_ROLE_SPONSOR);
  return t;
}

TEST(TaskForceAccessTest, MembershipAndRoles) {
  const v1::TaskForce t = Tf();
  EXPECT_TRUE(IsTaskForceMember(t, "rep-1"));
  EXPECT_TRUE(IsTaskForceMember(t, "pm-1"));
  EXPECT_FALSE(IsTaskForceMember(t, "rep-2"));
  EXPECT_FALSE(IsTaskForceMember(t, ""));
  EXPECT_TRUE(HasTaskForceRole(t, "rep-1", v1::TASK_FORCE_ROLE_LEAD));
  EXPECT_FALSE(HasTaskForceRole(t, "rep-1", v1::TASK_FORCE_ROLE_SPONSOR));
  EXPECT_TRUE(HasTaskForceRole(t, "sup-9", v1::TASK_FORCE_ROLE_SPONSOR));
  EXPECT_FALSE(HasTaskForceRole(t, "pm-1", v1::TASK_FORCE_ROLE_LEAD));
  const SalesScope s = DealScope(t);
  EXPECT_EQ(s.owner, "rep-1");
  EXPECT_EQ(s.team, "team-e1");
  EXPECT_EQ(s.region, "east");
}

TEST(TaskForceAccessTest, ReadByMembersTheDealsLineDirectorsAndAdmins) {
  const v1::TaskForce t = Tf();
  EXPECT_TRUE(CanReadTaskForce(kOwner, t));
  EXPECT_TRUE(CanReadTaskForce(kProduct, t));  // a member, outside the sales line
  EXPECT_TRUE(CanReadTaskForce(V(Role::kSupervisor, "sup-9", "team-w9"), t));
  EXPECT_TRUE(CanReadTaskForce(kSupervisor, t));
  EXPECT_TRUE(CanReadTaskForce(kManager, t));
  EXPECT_TRUE(CanReadTaskForce(kDirector, t));
  EXPECT_TRUE(CanReadTaskForce(kAdmin, t));
  EXPECT_FALSE(CanReadTaskForce(kOtherRep, t));
  EXPECT_FALSE(CanReadTaskForce(kOtherManager, t));
  EXPECT_FALSE(CanReadTaskForce(kMarketing, t));  // not a member
}

TEST(TaskForceAccessTest, DecidedByTheDealsManagerDirectorsAndAdmins) {
  const v1::TaskForce t = Tf();
  EXPECT_TRUE(CanDecideTaskForce(kManager, t));
  EXPECT_FALSE(CanDecideTaskForce(kOtherManager, t));
  EXPECT_FALSE(CanDecideTaskForce(kSupervisor, t));
  EXPECT_FALSE(CanDecideTaskForce(kOwner, t));                                    // the lead
  EXPECT_FALSE(CanDecideTaskForce(V(Role::kSupervisor, "sup-9", "team-w9"), t));  // the sponsor
  EXPECT_TRUE(CanDecideTaskForce(kDirector, t));
  EXPECT_TRUE(CanDecideTaskForce(kAdmin, t));
  EXPECT_FALSE(CanDecideTaskForce(kProductHead, t));  // a manager, but not of the deal's line
}

TEST(TaskForceAccessTest, SteeredByTheLeadTheSponsorDirectorsAndAdmins) {
  const v1::TaskForce t = Tf();
  EXPECT_TRUE(CanSteerTaskForce(kOwner, t));
  EXPECT_TRUE(CanSteerTaskForce(V(Role::kSupervisor, "sup-9", "team-w9"), t));
  EXPECT_TRUE(CanSteerTaskForce(kDirector, t));
  EXPECT_TRUE(CanSteerTaskForce(kAdmin, t));
  EXPECT_FALSE(CanSteerTaskForce(kProduct, t));  // a plain member
  EXPECT_FALSE(CanSteerTaskForce(kManager, t));  // the deal's manager, not in the task force
  EXPECT_FALSE(CanSteerTaskForce(kSupervisor, t));
  EXPECT_FALSE(CanSteerTaskForce(kOtherRep, t));
}

// ---- receptions

v1::CustomerReception Reception() {
  v1::CustomerReception r;
  r.set_organizer("members/rep-1");
  r.set_team("orgUnits/team-e1");
  r.set_region("orgUnits/east");
  v1::ReceptionHost* h = r.add_hosts();
  h->set_member("members/pm-1");
  h->set_department(v1::DEPARTMENT_PRODUCT);
  return r;
}

TEST(ReceptionAccessTest, ReadByTheOrganizersLineAndTheHosts) {
  const v1::CustomerReception r = Reception();
  const SalesScope s = ReceptionScope(r);
  EXPECT_EQ(s.owner, "rep-1");
  EXPECT_TRUE(CanReadReception(kOwner, r));
  EXPECT_TRUE(CanReadReception(kSupervisor, r));
  EXPECT_TRUE(CanReadReception(kManager, r));
  EXPECT_TRUE(CanReadReception(kDirector, r));
  EXPECT_TRUE(CanReadReception(kAdmin, r));
  EXPECT_TRUE(CanReadReception(kProduct, r));  // a host
  EXPECT_FALSE(CanReadReception(kOtherRep, r));
  EXPECT_FALSE(CanReadReception(kMarketing, r));
  EXPECT_FALSE(CanReadReception(kOtherManager, r));
}

TEST(ReceptionAccessTest, ManagedByTheOrganizersLineNotByHosts) {
  const v1::CustomerReception r = Reception();
  EXPECT_TRUE(CanManageReception(kOwner, r));
  EXPECT_TRUE(CanManageReception(kSupervisor, r));
  EXPECT_TRUE(CanManageReception(kManager, r));
  EXPECT_TRUE(CanManageReception(kDirector, r));
  EXPECT_TRUE(CanManageReception(kAdmin, r));
  EXPECT_FALSE(CanManageReception(kProduct, r));
  EXPECT_FALSE(CanManageReception(kOtherRep, r));
  EXPECT_FALSE(CanManageReception(kOtherSupervisor, r));
}

}  // namespace
}  // namespace salesops::sync
