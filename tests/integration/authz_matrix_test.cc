// The authorization matrix, generated: every RPC of every service, called by
// every role (rep, supervisor, manager, director, admin) on objects in the
// caller's own scope, in another team of the caller's region and in another
// region, against the real services. The expected answer of each call comes
// from the service's own policy table (which roles may call the method at
// all) and the row's reach rule (which objects each role may touch);
// PERMISSION_DENIED (or NOT_FOUND, hiding existence) is a denial, any other
// answer past the guard is an allow; a call the service refuses as invalid,
// or cannot answer, is a broken row. The test prints the counts and fails on
// any unexpected outcome, and on any RPC of a covered service without a row,
// so a new RPC cannot land without its authorization being stated.
#include <array>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "salesops/sync/v1/sync_service.grpc.pb.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "salesops/warning/v1/warning_service.grpc.pb.h"
#include "services/customers/api/customers_api.h"
#include "services/forecast/api/forecast_api.h"
#include "services/org/api/org_api.h"
#include "services/performance/api/performance_api.h"
#include "services/sync/api/sync_api.h"
#include "services/targets/api/targets_api.h"
#include "services/warning/api/warning_api.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/forecast_env.h"
#include "tests/integration/performance_env.h"
#include "tests/integration/sync_env.h"
#include "tests/integration/targets_env.h"
#include "tests/integration/warning_env.h"

namespace salesops::testing {
namespace {

namespace cv1 = salesops::customers::v1;
namespace fv1 = salesops::forecast::v1;
namespace ov1 = salesops::org::v1;
namespace pv1 = salesops::performance::v1;
namespace sv1 = salesops::sync::v1;
namespace tv1 = salesops::targets::v1;
namespace wv1 = salesops::warning::v1;

// Where the object of a call sits, seen from the callers (all of team t11, region r1).
enum class Scope { kOwn, kTeam, kRegion };
constexpr Scope kScopes[] = {Scope::kOwn, Scope::kTeam, Scope::kRegion};
const char* ScopeName(Scope s) {
  return s == Scope::kOwn ? "own" : s == Scope::kTeam ? "other-team" : "other-region";
}
constexpr Role kRoles[] = {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector,
                           Role::kAdmin};

// Which objects each role reaches once its role may call the method:
// rows = role (rep .. admin), columns = scope (own, other team, other region).
using Reach = std::array<std::array<bool, 3>, 5>;
// Reps their own, supervisors their team, managers their region, directors
// and admins everything: the rule of customers, deals, members, numbers.
constexpr Reach kOwner = {{{1, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}}};
// Everything the role may call at all (reference data, company-wide objects).
constexpr Reach kAny = {{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}}};
// A team's plan: its supervisor, directors and admins (managers plan regions).
constexpr Reach kTeamPlan = {{{0, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 1, 1}, {1, 1, 1}}};
// The company-level part of a plan: directors and admins.
constexpr Reach kCompany = {{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}, {1, 1, 1}}};
// A vote on a team's proposal: members of that team only (the team decides how it works).
constexpr Reach kTeamMembers = {{{1, 0, 0}, {1, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}};
// A unit's own numbers (forecast's rule): the leads of the unit and those
// above it; a rep sees only the forecasts of their own member scope.
constexpr Reach kUnitLeads = {{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}}};
// A rep's forecast call (forecast's rule): the rep submits their own number;
// managers and above adjust the numbers of the scopes below them (their
// region; directors and admins everything); a supervisor neither submits a
// rep's number nor adjusts it.
constexpr Reach kForecastCall = {{{1, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}}};
// A commission plan (performance's rule): a rep sees the plans that apply to
// them (the scope's plan names its reps); every other role sees all plans.
constexpr Reach kPlanReaders = {{{1, 0, 0}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}}};
// A dispute on a statement (performance's rule): only the rep whose statement
// it is raises one, never their supervisors.
constexpr Reach kStatementRep = {{{1, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}};
// Company-wide coaching material (scripts, programmes): supervisors and above
// write it, whatever the scope.
constexpr Reach kSupervisorsUp = {{{0, 0, 0}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}}};
// The sync service's department-owned work (routing and answering feedback,
// launches, archiving an admin's insight): none of the callers is in product
// or marketing, so admins only.
constexpr Reach kAdminOnly = {{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}}};
// Feedback insights: a manager their own region, directors and admins all.
constexpr Reach kManagersUp = {{{0, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}}};
// Publishing a market insight: managers and above, whatever the scope.
constexpr Reach kManagersAny = {{{0, 0, 0}, {0, 0, 0}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}}};
// A task force's milestones: its lead (the rep) and sponsor (the supervisor),
// directors and admins; the deal's manager decides on the task force, not its plan.
constexpr Reach kLeadSponsor = {{{1, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 1, 1}, {1, 1, 1}}};
// Revoking a customer share: who shared it (the rep), the customer's manager,
// directors and admins; not the supervisor.
constexpr Reach kSharerOrManager = {{{1, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}}};
// Working a campaign lead: the assigned rep's line and admins; directors only read it.
constexpr Reach kLeadWorkers = {{{1, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 1, 1}}};

int RoleIndex(Role r) { return static_cast<int>(r) - 1; }

enum class Outcome { kAllowed, kDenied, kBroken };
struct Result {
  Outcome outcome;
  std::string detail;
};

// PERMISSION_DENIED and NOT_FOUND deny; the answers a caller gets past the
// guard (OK and business refusals) allow; anything else means the row itself
// is wrong (an invalid request, an unauthenticated token, a server error).
Result FromStatus(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::NOT_FOUND:
      return {Outcome::kDenied, s.error_message()};
    case grpc::StatusCode::OK:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return {Outcome::kAllowed, s.error_message()};
    default:
      return {Outcome::kBroken, absl::StrCat(s.error_code(), " ", ErrorReasonOf(s), ": ",
                                             s.error_message(), " ", ViolatedFieldOf(s))};
  }
}
// A list: allowed when the scope's object is in it, denied when the call is
// refused or the object is left out.
Result Listed(const grpc::Status& s, bool included) {
  if (!s.ok()) {
    Result r = FromStatus(s);
    if (r.outcome == Outcome::kAllowed) {
      r.outcome = Outcome::kBroken;
    }
    return r;
  }
  return {included ? Outcome::kAllowed : Outcome::kDenied, ""};
}

struct Caller {
  Role role;
  std::string member, unit, token;
};

class World;
struct Row {
  std::string service;  // full service name
  std::string method;
  Reach reach;
  std::function<Result(World&, const Caller&, Scope)> call;
};

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}
salesops::common::v1::Date DateOf(absl::Time t) {
  const absl::CivilDay d = absl::ToCivilDay(t, absl::FixedTimeZone(8 * 3600));
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

template <typename Stub, typename Req, typename Resp>
grpc::Status Invoke(Stub& stub, const std::string& token,
                    grpc::Status (Stub::*fn)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  Authorize(ctx, token);
  return (stub.*fn)(&ctx, req, resp);
}

// The fixture org and the objects of each scope, built through the services.
class World {
 public:
  std::string sfx = UniqueSuffix();
  std::string clock_file;
  std::unique_ptr<OrgServer> org;
  std::unique_ptr<CustomersServer> customers;
  std::unique_ptr<TargetsServer> targets;
  std::unique_ptr<WarningServer> warning;
  std::unique_ptr<ForecastServer> forecast;
  std::unique_ptr<PerformanceServer> performance;

  std::string Id(const std::string& base) const { return base + "-" + sfx; }
  std::string company() const { return Id("co"); }
  std::string pl() const { return Id("pl"); }
  std::string marketing() const { return Id("mkt"); }
  // Per scope: the region, the team, its two reps, its supervisor.
  std::string Region(Scope s) const { return Id(s == Scope::kRegion ? "r2" : "r1"); }
  std::string Team(Scope s) const {
    return Id(s == Scope::kOwn ? "t11" : s == Scope::kTeam ? "t12" : "t21");
  }
  std::string Rep(Scope s) const { return Team(s) + "-rep"; }
  std::string Rep2(Scope s) const { return Team(s) + "-rep2"; }
  std::string Sup(Scope s) const { return Team(s) + "-sup"; }
  std::string Admin() const { return Token(Role::kAdmin, "admin-" + sfx, ""); }
  std::string Director() const { return Token(Role::kDirector, Id("dir"), company()); }

  std::vector<Caller> Callers() const {
    return {{Role::kRep, Rep(Scope::kOwn), Team(Scope::kOwn), ""},
            {Role::kSupervisor, Sup(Scope::kOwn), Team(Scope::kOwn), ""},
            {Role::kManager, Id("mgr1"), Region(Scope::kOwn), ""},
            {Role::kDirector, Id("dir"), company(), ""},
            {Role::kAdmin, "admin-" + sfx, "", ""}};
  }

  int next = 0;
  std::string Fresh(const std::string& base) { return absl::StrCat(base, "-", sfx, "-", next++); }

  void SetClockOffset(absl::Duration d) {
    const std::string tmp = clock_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << absl::ToInt64Seconds(d) << "\n";
    }
    std::rename(tmp.c_str(), clock_file.c_str());
  }

  // ---- org
  template <typename Req, typename Resp>
  grpc::Status O(const std::string& token,
                 grpc::Status (ov1::OrgService::Stub::*fn)(grpc::ClientContext*, const Req&, Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(org->stub(), token, fn, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status C(const std::string& token,
                 grpc::Status (cv1::CustomersService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                                 Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(customers->stub(), token, fn, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status T(const std::string& token,
                 grpc::Status (tv1::TargetsService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                               Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(targets->stub(), token, fn, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status W(const std::string& token,
                 grpc::Status (wv1::WarningService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                               Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(warning->stub(), token, fn, req, resp);
  }

  template <typename Req, typename Resp>
  grpc::Status F(const std::string& token,
                 grpc::Status (fv1::ForecastService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                                Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(forecast->stub(), token, fn, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status P(const std::string& token,
                 grpc::Status (pv1::PerformanceService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                                   Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(performance->stub(), token, fn, req, resp);
  }
  std::string RepToken(Scope s) const { return Token(Role::kRep, Rep(s), Team(s)); }
  std::string SupToken(Scope s) const { return Token(Role::kSupervisor, Sup(s), Team(s)); }

  std::string NewTeam(Scope s, int members = 1) {
    const std::string id = Fresh("tm");
    CreateOrgUnit(*org, id, ov1::ORG_UNIT_KIND_TEAM, Region(s));
    for (int i = 0; i < members; ++i) {
      CreateMember(*org, id + "-m" + std::to_string(i), ov1::ROLE_REP, id);
    }
    return id;
  }
  std::string NewRep(Scope s) {
    const std::string id = Fresh("rep");
    CreateMember(*org, id, ov1::ROLE_REP, Team(s));
    return id;
  }
  std::string NewPosition(Scope s) {
    const std::string team = NewTeam(s, 0);
    ov1::CreatePositionRequest req;
    req.set_position_id(Fresh("pos"));
    req.mutable_position()->set_team("orgUnits/" + team);
    req.mutable_position()->set_role(ov1::ROLE_REP);
    req.mutable_position()->set_title("客户经理");
    req.mutable_position()->add_duty_history()->add_duties("新客户开发");
    ov1::CreatePositionResponse resp;
    EXPECT_TRUE(O(Admin(), &ov1::OrgService::Stub::CreatePosition, req, &resp).ok());
    return resp.position().name();
  }
  std::string NewDevelopmentPlan(Scope s) {
    ov1::CreateDevelopmentPlanRequest req;
    req.mutable_development_plan()->set_member("members/" + Rep(s));
    auto* item = req.mutable_development_plan()->add_items();
    item->set_title("谈判课程");
    item->set_kind(ov1::DEVELOPMENT_ITEM_KIND_TRAINING);
    ov1::CreateDevelopmentPlanResponse resp;
    grpc::Status st = O(Admin(), &ov1::OrgService::Stub::CreateDevelopmentPlan, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.development_plan().name();
  }
  std::string NewPromotionRequest(Scope s) {
    ov1::SubmitPromotionRequestRequest req;
    req.mutable_promotion_request()->set_member("members/" + Rep(s));
    req.mutable_promotion_request()->set_track("promotionTracks/" + Id("track"));
    req.mutable_promotion_request()->set_justification("业绩突出");
    ov1::SubmitPromotionRequestResponse resp;
    grpc::Status st = O(Admin(), &ov1::OrgService::Stub::SubmitPromotionRequest, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.promotion_request().name();
  }

  // ---- customers
  cv1::Customer NewCustomer(Scope s) {
    cv1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name("矩阵客户" + Fresh("c"));
    req.mutable_customer()->set_tax_id("9133" + std::to_string(absl::ToUnixMicros(absl::Now())) +
                                       std::to_string(next++));
    req.mutable_customer()->set_owner("members/" + Rep(s));
    req.mutable_customer()->add_contacts()->set_display_name("王经理");
    cv1::CreateCustomerResponse resp;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.customer();
  }
  cv1::Customer NewPoolCustomer(Scope s) {
    cv1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name("矩阵公海" + Fresh("p"));
    req.mutable_customer()->mutable_tags()->set_region("orgUnits/" + Region(s));
    cv1::CreateCustomerResponse resp;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.customer();
  }
  cv1::Opportunity NewDeal(Scope s) {
    cv1::CreateOpportunityRequest req;
    req.mutable_opportunity()->set_customer(NewCustomer(s).name());
    req.mutable_opportunity()->set_display_name("矩阵项目");
    *req.mutable_opportunity()->mutable_amount() = Cny(100000);
    req.mutable_opportunity()->set_product_line("orgUnits/" + pl());
    req.mutable_opportunity()->set_channel("direct");
    cv1::CreateOpportunityResponse resp;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.opportunity();
  }
  cv1::Contract NewContract(Scope s, bool sign) {
    const cv1::Customer c = NewCustomer(s);
    cv1::CreateContractRequest req;
    req.mutable_contract()->set_customer(c.name());
    req.mutable_contract()->set_title("矩阵合同");
    *req.mutable_contract()->mutable_amount() = Cny(50000);
    auto* in = req.mutable_contract()->mutable_payment_schedule()->add_instalments();
    in->set_instalment_id("1");
    *in->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 30));
    *in->mutable_amount() = Cny(50000);
    cv1::CreateContractResponse resp;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::CreateContract, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!sign) {
      return resp.contract();
    }
    cv1::SignContractRequest sreq;
    sreq.set_name(resp.contract().name());
    cv1::SignContractResponse signed_resp;
    EXPECT_TRUE(C(Admin(), &cv1::CustomersService::Stub::SignContract, sreq, &signed_resp).ok());
    return signed_resp.contract();
  }
  cv1::FollowUpTask NewTask(Scope s) {
    cv1::CreateTaskRequest req;
    req.mutable_task()->set_customer(NewCustomer(s).name());
    req.mutable_task()->set_title("回访");
    req.mutable_task()->set_assignee("members/" + Rep(s));
    req.mutable_task()->mutable_due_time()->set_seconds(
        absl::ToUnixSeconds(absl::Now() + absl::Hours(48)));
    cv1::CreateTaskResponse resp;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::CreateTask, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.task();
  }
  cv1::SharingGrant NewGrant(Scope s) {
    cv1::GrantSharingRequest req;
    req.mutable_sharing_grant()->set_customer(NewCustomer(s).name());
    req.mutable_sharing_grant()->set_grantee("orgUnits/" + marketing());
    req.mutable_sharing_grant()->set_access(cv1::SHARING_ACCESS_READ_ONLY);
    req.mutable_sharing_grant()->set_purpose("市场活动");
    cv1::GrantSharingResponse resp;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::GrantSharing, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sharing_grant();
  }

  // ---- targets: a published plan company → region → team → reps (current quarter).
  std::string period, plan, draft;
  std::map<std::string, std::string> team_cell, rep_cell;  // team / rep id → cell name

  // ---- warnings: one stalled-deal warning per scope; a proposal per scope.
  std::map<Scope, std::string> warning_of, proposal_of;

  // ---- forecast: a call on each scope's rep (in the targets period).
  std::map<Scope, std::string> forecast_call_of;
  fv1::ForecastScope MemberScope(Scope s) const {
    fv1::ForecastScope out;
    out.set_member("members/" + Rep(s));
    return out;
  }

  // ---- performance (its own quarter names, "fiscalPeriods/FY2026-Q4"): a KPI;
  // per scope an active commission plan naming the scope's reps, a won deal
  // of each rep, the rep's statement issued with a dispute on its first line,
  // the second rep's statement still a draft, an active OKR of the rep.
  std::string quarter, kpi;
  std::map<Scope, std::string> perf_plan_of, won_deal_of, issued_of, draft_of, okr_of;
  // Per scope the rep's biweekly review (generated by an admin) with one open
  // action item "a1".
  std::map<Scope, std::string> review_of;
  // Coaching: a published script with a draft second version, a programme
  // (module "m1", session "s1") each scope's rep is enrolled in and drilled
  // on, and each scope's won deal as a negotiation case.
  std::string script, programme;
  std::map<Scope, std::string> case_of;
  std::string Quarter() const { return "fiscalPeriods/" + quarter; }
  // ---- sync: per scope a ¥2,000,000 deal at PROPOSAL with its automatic task
  // force, the rep's feedback on it, a reception the rep planned, a share the
  // rep made, a campaign lead assigned to the rep; an announced launch, an
  // insight, a campaign (admin's), and one notification delivery.
  std::unique_ptr<SyncServer> sync;
  std::string routes_file, launch, insight, campaign, delivery;
  std::map<Scope, std::string> sync_customer_of, sync_deal_of, tf_of, feedback_of, reception_of,
      share_of, lead_of;
  template <typename Req, typename Resp>
  grpc::Status Y(const std::string& token,
                 grpc::Status (sv1::SyncService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                            Resp*),
                 const Req& req, Resp* resp) {
    return Invoke(sync->stub(), token, fn, req, resp);
  }

  pv1::CommissionPlan PlanFor(const std::vector<std::string>& members) {
    pv1::CommissionPlan p;
    p.set_display_name("矩阵提成方案" + Fresh("cp"));
    p.mutable_effective_start_date()->set_year(2020);
    p.mutable_effective_start_date()->set_month(1);
    p.mutable_effective_start_date()->set_day(1);
    for (const auto& m : members) {
      p.add_members("members/" + m);
    }
    p.set_basis(pv1::COMMISSION_BASIS_BOOKING);
    p.set_tier_mode(pv1::TIER_MODE_MARGINAL);
    auto* b1 = p.add_bands();
    b1->set_max_attainment_basis_points(10'000);
    b1->set_rate_millionths(20'000);
    auto* b2 = p.add_bands();
    b2->set_min_attainment_basis_points(10'000);
    b2->set_rate_millionths(30'000);
    p.set_clawback_window_days(365);
    *p.mutable_default_target() = Cny(100'000'00);
    auto* bonus = p.add_bonuses();
    bonus->set_bonus_id("special");
    bonus->set_kind(pv1::BONUS_KIND_SPECIAL_CONTRIBUTION);
    bonus->set_display_name("特殊贡献奖");
    *bonus->mutable_amount() = Cny(1'000'00);
    return p;
  }
  // A DRAFT plan for nobody of the fixture (so activating it moves no statement).
  std::string NewDraftPlan() {
    pv1::CreateCommissionPlanRequest req;
    *req.mutable_commission_plan() = PlanFor({Fresh("nobody")});
    pv1::CreateCommissionPlanResponse resp;
    grpc::Status st = P(Admin(), &pv1::PerformanceService::Stub::CreateCommissionPlan, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.commission_plan().name();
  }
  pv1::KpiDefinition KpiFor(const std::string& name) {
    pv1::KpiDefinition k;
    k.set_display_name(name);
    k.set_metric(pv1::KPI_METRIC_BOOKINGS);
    *k.mutable_target()->mutable_money() = Cny(100'000'00);
    k.set_weight_basis_points(10'000);
    k.set_direction(pv1::KPI_DIRECTION_HIGHER_IS_BETTER);
    return k;
  }
  pv1::Okr OkrFor(Scope s) {
    pv1::Okr o;
    o.set_subject("members/" + Rep(s));
    o.set_period(Quarter());
    o.set_objective("拓展新客户");
    auto* kr = o.add_key_results();
    kr->set_key_result_id("kr1");
    kr->set_description("签约五家新客户");
    kr->set_weight_basis_points(10'000);
    kr->set_source(pv1::KEY_RESULT_SOURCE_RECORDED);
    return o;
  }
  // A deal of `owner` (a member of scope `s`) won through the customers service.
  std::string WonDeal(const std::string& owner) {
    cv1::CreateCustomerRequest creq;
    creq.mutable_customer()->set_display_name("矩阵赢单客户" + Fresh("w"));
    creq.mutable_customer()->set_owner("members/" + owner);
    cv1::CreateCustomerResponse customer;
    grpc::Status st = C(Admin(), &cv1::CustomersService::Stub::CreateCustomer, creq, &customer);
    EXPECT_TRUE(st.ok()) << st.error_message();
    cv1::CreateOpportunityRequest req;
    req.mutable_opportunity()->set_customer(customer.customer().name());
    req.mutable_opportunity()->set_display_name("矩阵赢单");
    *req.mutable_opportunity()->mutable_amount() = Cny(100000);
    req.mutable_opportunity()->set_product_line("orgUnits/" + pl());
    req.mutable_opportunity()->set_channel("direct");
    cv1::CreateOpportunityResponse opp;
    st = C(Admin(), &cv1::CustomersService::Stub::CreateOpportunity, req, &opp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    cv1::Opportunity o = opp.opportunity();
    for (cv1::OpportunityStage stage :
         {cv1::OPPORTUNITY_STAGE_CONTRACT, cv1::OPPORTUNITY_STAGE_WON}) {
      cv1::ChangeOpportunityStageRequest sreq;
      sreq.set_name(o.name());
      sreq.set_etag(o.etag());
      sreq.set_stage(stage);
      cv1::ChangeOpportunityStageResponse sresp;
      st = C(Admin(), &cv1::CustomersService::Stub::ChangeOpportunityStage, sreq, &sresp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      o = sresp.opportunity();
    }
    return o.name();
  }
};

// Polls `done` every 200 ms until it holds or about a minute passed.
bool Eventually(const std::function<bool()>& done, int tries = 300) {
  for (int i = 0; i < tries; ++i) {
    if (done()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return done();
}

// Forecast and performance objects per scope, through the public RPCs; each
// wait is on the object (or the service's directory) showing up.
void BuildForecastAndPerformance(World& w) {
  using PS = pv1::PerformanceService::Stub;
  using FS = fv1::ForecastService::Stub;
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  w.quarter =
      absl::StrFormat("FY%04d-Q%d", static_cast<int>(today.year()), (today.month() - 1) / 3 + 1);

  // A KPI for the fixture's company; per scope a plan for its two reps.
  pv1::CreateKpiDefinitionRequest kreq;
  *kreq.mutable_kpi_definition() = w.KpiFor("矩阵签约额");
  kreq.mutable_kpi_definition()->add_org_units("orgUnits/" + w.company());
  pv1::CreateKpiDefinitionResponse kresp;
  grpc::Status st = w.P(w.Admin(), &PS::CreateKpiDefinition, kreq, &kresp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  w.kpi = kresp.kpi_definition().name();
  for (Scope s : kScopes) {
    pv1::CreateCommissionPlanRequest req;
    *req.mutable_commission_plan() = w.PlanFor({w.Rep(s), w.Rep2(s)});
    pv1::CreateCommissionPlanResponse created;
    st = w.P(w.Admin(), &PS::CreateCommissionPlan, req, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    pv1::ActivateCommissionPlanRequest act;
    act.set_name(created.commission_plan().name());
    pv1::ActivateCommissionPlanResponse activated;
    st = w.P(w.Admin(), &PS::ActivateCommissionPlan, act, &activated);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.perf_plan_of[s] = created.commission_plan().name();
  }

  // A won deal of each rep: statements, scorecards and forecasts follow from its events.
  for (Scope s : kScopes) {
    w.won_deal_of[s] = w.WonDeal(w.Rep(s));
    (void)w.WonDeal(w.Rep2(s));
  }
  if (::testing::Test::HasFailure()) {
    return;
  }
  auto statement = [&](const std::string& token, const std::string& member) {
    pv1::GetCommissionStatementRequest req;
    req.set_member("members/" + member);
    req.set_period(w.Quarter());
    pv1::GetCommissionStatementResponse resp;
    const grpc::Status s = w.P(token, &PS::GetCommissionStatement, req, &resp);
    return s.ok() && resp.commission_statement().lines_size() > 0
               ? std::optional<pv1::CommissionStatement>(resp.commission_statement())
               : std::nullopt;
  };
  // The supervisor sees both reps' statements once the service placed them in
  // its org directory and credited their wins.
  for (Scope s : kScopes) {
    ASSERT_TRUE(Eventually([&] {
      return statement(w.SupToken(s), w.Rep(s)) && statement(w.SupToken(s), w.Rep2(s));
    })) << ScopeName(s)
        << "\n"
        << w.performance->Logs();
  }
  for (Scope s : kScopes) {
    pv1::GenerateReviewRequest gen;
    gen.set_member("members/" + w.Rep(s));
    pv1::GenerateReviewResponse review;
    st = w.P(w.Admin(), &PS::GenerateReview, gen, &review);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.review_of[s] = review.review().name();
    pv1::AddActionItemRequest add;
    add.set_review(w.review_of[s]);
    add.mutable_action_item()->set_description("矩阵行动项");
    *add.mutable_action_item()->mutable_due_date() = salesops::performance::ToDate(today + 14);
    pv1::AddActionItemResponse added;
    st = w.P(w.Admin(), &PS::AddActionItem, add, &added);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  {
    pv1::CreateSalesScriptRequest cs;
    cs.set_script_id(w.Fresh("mx-script"));
    cs.mutable_script()->set_title("矩阵话术");
    cs.mutable_script()->set_scenario(pv1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
    cs.set_body("认同 → 提问 → 拆解");
    pv1::CreateSalesScriptResponse created;
    st = w.P(w.Admin(), &PS::CreateSalesScript, cs, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.script = created.script().name();
    for (pv1::ScriptVersionState to :
         {pv1::SCRIPT_VERSION_STATE_IN_REVIEW, pv1::SCRIPT_VERSION_STATE_PUBLISHED}) {
      pv1::SetScriptVersionStateRequest mv;
      mv.set_script(w.script);
      mv.set_version(1);
      mv.set_state(to);
      pv1::SetScriptVersionStateResponse moved;
      st = w.P(w.Admin(), &PS::SetScriptVersionState, mv, &moved);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
    // Version 2 published too (the rows compare 1 and 2), version 3 a draft
    // (the rows send it to review).
    for (const char* body : {"第二版", "第三版"}) {
      pv1::AddScriptVersionRequest next;
      next.set_script(w.script);
      next.set_body(body);
      pv1::AddScriptVersionResponse added;
      st = w.P(w.Admin(), &PS::AddScriptVersion, next, &added);
      ASSERT_TRUE(st.ok()) << st.error_message();
      if (std::string(body) != "第二版") {
        break;
      }
      for (pv1::ScriptVersionState to :
           {pv1::SCRIPT_VERSION_STATE_IN_REVIEW, pv1::SCRIPT_VERSION_STATE_PUBLISHED}) {
        pv1::SetScriptVersionStateRequest mv;
        mv.set_script(w.script);
        mv.set_version(2);
        mv.set_state(to);
        pv1::SetScriptVersionStateResponse moved;
        st = w.P(w.Admin(), &PS::SetScriptVersionState, mv, &moved);
        ASSERT_TRUE(st.ok()) << st.error_message();
      }
    }
    pv1::CreateTrainingProgrammeRequest cp;
    cp.set_programme_id(w.Fresh("mx-prog"));
    cp.mutable_programme()->set_title("矩阵训练营");
    auto* m = cp.mutable_programme()->add_modules();
    m->set_module_id("m1");
    m->set_title("异议处理");
    m->set_pass_score_basis_points(5'000);
    auto* session = cp.mutable_programme()->add_sessions();
    session->set_session_id("s1");
    session->set_title("第一课");
    pv1::CreateTrainingProgrammeResponse prog;
    st = w.P(w.Admin(), &PS::CreateTrainingProgramme, cp, &prog);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.programme = prog.programme().name();
  }
  for (Scope s : kScopes) {
    pv1::EnrolMemberRequest en;
    en.set_programme(w.programme);
    en.set_member("members/" + w.Rep(s));
    pv1::EnrolMemberResponse enrolled;
    st = w.P(w.Admin(), &PS::EnrolMember, en, &enrolled);
    ASSERT_TRUE(st.ok()) << st.error_message();
    pv1::RecordDrillRequest rd;
    rd.mutable_drill()->set_member("members/" + w.Rep(s));
    rd.mutable_drill()->set_kind(pv1::DRILL_KIND_ROLE_PLAY);
    rd.mutable_drill()->set_scenario(pv1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
    rd.mutable_drill()->set_programme(w.programme);
    rd.mutable_drill()->set_module_id("m1");
    auto* c = rd.mutable_drill()->add_criteria();
    c->set_criterion("异议处理");
    c->set_score_basis_points(7'000);
    pv1::RecordDrillResponse drilled;
    st = w.P(w.Admin(), &PS::RecordDrill, rd, &drilled);
    ASSERT_TRUE(st.ok()) << st.error_message();
    const std::string opp = w.won_deal_of[s].substr(std::string("opportunities/").size());
    ASSERT_TRUE(Eventually([&] {
      pv1::ListNegotiationCasesRequest lc;
      lc.set_query("矩阵赢单");
      lc.set_page_size(500);
      pv1::ListNegotiationCasesResponse cases;
      if (!w.P(w.Admin(), &PS::ListNegotiationCases, lc, &cases).ok()) {
        return false;
      }
      for (const auto& k : cases.cases()) {
        if (k.opportunity() == w.won_deal_of[s]) {
          w.case_of[s] = k.name();
        }
      }
      return !w.case_of[s].empty();
    })) << ScopeName(s)
        << " " << opp << "\n"
        << w.performance->Logs();
  }
  for (Scope s : kScopes) {
    const pv1::CommissionStatement rep = *statement(w.Admin(), w.Rep(s));
    w.draft_of[s] = statement(w.Admin(), w.Rep2(s))->name();
    pv1::IssueCommissionStatementRequest issue;
    issue.set_name(rep.name());
    pv1::IssueCommissionStatementResponse issued;
    st = w.P(w.Admin(), &PS::IssueCommissionStatement, issue, &issued);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.issued_of[s] = rep.name();
    pv1::RaiseStatementDisputeRequest raise;
    raise.set_statement(rep.name());
    raise.set_line_number(issued.commission_statement().lines(0).line_number());
    raise.set_reason("金额有误");
    pv1::RaiseStatementDisputeResponse raised;
    st = w.P(w.RepToken(s), &PS::RaiseStatementDispute, raise, &raised);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(raised.dispute().dispute_id(), "d-1");

    pv1::CreateOkrRequest okr;
    *okr.mutable_okr() = w.OkrFor(s);
    pv1::CreateOkrResponse created;
    st = w.P(w.Admin(), &PS::CreateOkr, okr, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    pv1::UpdateOkrRequest activate;
    activate.mutable_okr()->set_name(created.okr().name());
    activate.mutable_okr()->set_state(pv1::OKR_STATE_ACTIVE);
    activate.mutable_update_mask()->add_paths("state");
    pv1::UpdateOkrResponse active;
    st = w.P(w.Admin(), &PS::UpdateOkr, activate, &active);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.okr_of[s] = created.okr().name();
  }
  // Each rep's scorecard is computed from the win (and the OKR).
  for (Scope s : kScopes) {
    ASSERT_TRUE(Eventually([&] {
      pv1::GetScorecardRequest req;
      req.set_subject("members/" + w.Rep(s));
      req.set_period(w.Quarter());
      pv1::GetScorecardResponse resp;
      return w.P(w.Admin(), &PS::GetScorecard, req, &resp).ok();
    })) << ScopeName(s)
        << "\n"
        << w.performance->Logs();
  }

  // Forecasts: each rep's and each team's, seen by the team's supervisor
  // (the forecast service's own directory placed them).
  for (Scope s : kScopes) {
    ASSERT_TRUE(Eventually(
        [&] {
          fv1::GetForecastRequest req;
          *req.mutable_scope() = w.MemberScope(s);
          req.set_period(w.period);
          req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
          fv1::GetForecastResponse resp;
          fv1::GetForecastRequest team = req;
          team.clear_scope();
          team.mutable_scope()->set_org_unit("orgUnits/" + w.Team(s));
          return w.F(w.SupToken(s), &FS::GetForecast, req, &resp).ok() &&
                 w.F(w.SupToken(s), &FS::GetForecast, team, &resp).ok();
          // Up to three minutes: in the full suite the forecast service first reads
          // every earlier test's records (and retries their poison ones) before
          // it reaches this world's deals.
        },
        900))
        << ScopeName(s) << "\n"
        << w.forecast->Logs();
    fv1::SubmitForecastCallRequest call;
    *call.mutable_call()->mutable_scope() = w.MemberScope(s);
    call.mutable_call()->set_period(w.period);
    call.mutable_call()->set_category(fv1::FORECAST_CATEGORY_COMMIT);
    *call.mutable_call()->mutable_amount() = Cny(80000);
    call.set_kind(fv1::FORECAST_CALL_KIND_SUBMITTED);
    fv1::SubmitForecastCallResponse resp;
    st = w.F(w.RepToken(s), &FS::SubmitForecastCall, call, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.forecast_call_of[s] = resp.call().name();
  }
}

// Builds everything; returns false (and fails the test) when a service never caught up.
void BuildSync(World& w);

void BuildWorld(World& w) {
  w.clock_file = absl::StrCat(TestEnv::Get().tmp, "/matrix-clock-", w.sfx);
  w.SetClockOffset(absl::ZeroDuration());
  const std::string clock_flag = "--clock_offset_file=" + w.clock_file;
  // Rate limiting is tested on its own (common_rpc_guard_test): here it would
  // turn object-level denials into RESOURCE_EXHAUSTED.
  const std::string no_limit = "--rpc_rate_limit=0";
  w.org = std::make_unique<OrgServer>("", std::vector<std::string>{no_limit});
  w.org->Start();
  w.customers = std::make_unique<CustomersServer>(
      std::vector<std::string>{clock_flag, no_limit, "--customers_jobs_interval=0s"});
  w.customers->Start();
  w.targets = std::make_unique<TargetsServer>(std::vector<std::string>{clock_flag, no_limit});
  w.targets->Start();
  w.warning = std::make_unique<WarningServer>(std::vector<std::string>{clock_flag, no_limit});
  w.warning->Start();
  // Forecast and performance run on the wall clock: their objects are built
  // before the business clock of the others moves on (below).
  w.forecast = std::make_unique<ForecastServer>(std::vector<std::string>{no_limit});
  w.forecast->Start();
  // Every won deal is a "key account" here, so each scope has a negotiation case.
  w.performance = std::make_unique<PerformanceServer>(
      std::vector<std::string>{no_limit, "--performance_case_min_amount_minor=1"});
  w.performance->Start();
  // The sync service, with one group route (the own team's task force
  // proposals) to a loopback port nothing listens on: its deliveries die
  // after one attempt, so the rows have a dead letter to retry.
  w.routes_file = absl::StrCat(TestEnv::Get().tmp, "/matrix-routes-", w.sfx, ".json");
  {
    std::ofstream out(w.routes_file);
    out << R"({"routes": [{"id": "matrix-)" << w.sfx << R"(", "org_unit": ")" << w.Team(Scope::kOwn)
        << R"(", "platform": "wecom", "url": "http://127.0.0.1:)" << FreePort()
        << R"(/cgi-bin/webhook/send?key=matrix", "events": ["task_force_proposed"]}]})";
  }
  w.sync = std::make_unique<SyncServer>(
      w.routes_file, std::vector<std::string>{no_limit, "--sync_notify_max_attempts=1"});
  w.sync->Start();

  CreateOrgUnit(*w.org, w.company(), ov1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(*w.org, w.Id("r1"), ov1::ORG_UNIT_KIND_REGION, w.company());
  CreateOrgUnit(*w.org, w.Id("r2"), ov1::ORG_UNIT_KIND_REGION, w.company());
  CreateOrgUnit(*w.org, w.pl(), ov1::ORG_UNIT_KIND_PRODUCT_LINE, w.company());
  CreateOrgUnit(*w.org, w.marketing(), ov1::ORG_UNIT_KIND_DEPARTMENT, w.company());
  for (Scope s : kScopes) {
    CreateOrgUnit(*w.org, w.Team(s), ov1::ORG_UNIT_KIND_TEAM, w.Region(s));
    CreateMember(*w.org, w.Rep(s), ov1::ROLE_REP, w.Team(s));
    CreateMember(*w.org, w.Rep2(s), ov1::ROLE_REP, w.Team(s));
    CreateMember(*w.org, w.Sup(s), ov1::ROLE_SUPERVISOR, w.Team(s));
  }
  CreateOrgUnit(*w.org, w.Id("t22"), ov1::ORG_UNIT_KIND_TEAM, w.Id("r2"));
  CreateMember(*w.org, w.Id("mgr1"), ov1::ROLE_MANAGER, w.Id("r1"));
  CreateMember(*w.org, w.Id("mgr2"), ov1::ROLE_MANAGER, w.Id("r2"));
  CreateMember(*w.org, w.Id("dir"), ov1::ROLE_DIRECTOR, w.company());

  // Talent: periods and a track anyone qualifies for.
  ov1::UpdateTalentConfigRequest cfg;
  auto* c = cfg.mutable_talent_config();
  c->set_performance_weight_bp(5000);
  c->set_capability_weight_bp(3000);
  c->set_potential_weight_bp(2000);
  c->set_low_threshold(40);
  c->set_high_threshold(70);
  auto* p = c->add_periods();
  p->set_id("matrix-h1");
  p->mutable_start_date()->set_year(2026);
  p->mutable_start_date()->set_month(1);
  p->mutable_start_date()->set_day(1);
  p->mutable_end_date()->set_year(2026);
  p->mutable_end_date()->set_month(6);
  p->mutable_end_date()->set_day(30);
  {  // The config is one per company: other suites on this Redis may have set it.
    ov1::GetTalentConfigResponse current;
    ASSERT_TRUE(w.O(w.Admin(), &ov1::OrgService::Stub::GetTalentConfig,
                    ov1::GetTalentConfigRequest(), &current)
                    .ok());
    c->set_etag(current.talent_config().etag());
  }
  ov1::UpdateTalentConfigResponse cfgr;
  const grpc::Status cfg_status =
      w.O(w.Admin(), &ov1::OrgService::Stub::UpdateTalentConfig, cfg, &cfgr);
  ASSERT_TRUE(cfg_status.ok()) << cfg_status.error_message();
  ov1::CreatePromotionTrackRequest track;
  track.set_promotion_track_id(w.Id("track"));
  track.mutable_promotion_track()->set_display_name("代表晋升");
  track.mutable_promotion_track()->set_from_role(ov1::ROLE_REP);
  track.mutable_promotion_track()->set_to_role(ov1::ROLE_SUPERVISOR);
  ov1::CreatePromotionTrackResponse trackr;
  ASSERT_TRUE(w.O(w.Admin(), &ov1::OrgService::Stub::CreatePromotionTrack, track, &trackr).ok());

  // Customers learns the org from events: wait until it places the last rep.
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    cv1::CreateCustomerRequest req;
    req.set_customer_id(w.Id("probe"));
    req.mutable_customer()->set_display_name("探针" + w.sfx);
    req.mutable_customer()->set_owner("members/" + w.Rep(Scope::kRegion));
    cv1::CreateCustomerResponse resp;
    grpc::Status s = w.C(w.Admin(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
    ready = s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS;
    if (!ready) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  ASSERT_TRUE(ready) << w.customers->Logs();

  // The plan.
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  tv1::CreateFiscalPeriodRequest preq;
  preq.set_fiscal_period_id(w.Id("q"));
  preq.mutable_fiscal_period()->set_display_name("本季度");
  preq.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
  preq.mutable_fiscal_period()->set_fiscal_year(static_cast<int>(today.year()));
  preq.mutable_fiscal_period()->set_number((today.month() - 1) / 3 + 1);
  tv1::CreateFiscalPeriodResponse presp;
  ASSERT_TRUE(w.T(w.Admin(), &tv1::TargetsService::Stub::CreateFiscalPeriod, preq, &presp).ok());
  w.period = presp.fiscal_period().name();
  auto allocate = [&](const std::string& plan, const std::string& parent, tv1::AllocationAxis axis,
                      const std::vector<std::string>& keys) {
    tv1::AllocatePlanRequest req;
    req.set_plan(plan);
    req.set_parent_cell(parent);
    req.set_axis(axis);
    req.set_method(tv1::ALLOCATION_METHOD_EQUAL);
    for (const auto& k : keys) {
      req.add_inputs()->set_key(k);
    }
    tv1::AllocatePlanResponse resp;
    grpc::Status s;
    for (int i = 0; i < 100; ++i) {
      s = w.T(w.Admin(), &tv1::TargetsService::Stub::AllocatePlan, req, &resp);
      if (s.ok() || i > 60) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  auto make_plan = [&](const std::string& id) {
    tv1::CreatePlanRequest cp;
    cp.set_plan_id(id);
    cp.mutable_plan()->set_display_name("矩阵计划");
    cp.mutable_plan()->set_period(w.period);
    cp.mutable_plan()->set_scope("orgUnits/" + w.company());
    *cp.mutable_plan()->mutable_total() = Cny(6'000'000);
    cp.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
    tv1::CreatePlanResponse plan;
    grpc::Status s;
    for (int i = 0; i < 100; ++i) {
      s = w.T(w.Admin(), &tv1::TargetsService::Stub::CreatePlan, cp, &plan);
      if (s.ok() || ErrorReasonOf(s) != "ORG_UNIT_NOT_FOUND") {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    const auto regions = allocate(plan.plan().name(), "", tv1::ALLOCATION_AXIS_REGION,
                                  {"orgUnits/" + w.Id("r1"), "orgUnits/" + w.Id("r2")});
    for (const auto& rc : regions.cells()) {
      std::vector<std::string> teams;
      for (Scope s : kScopes) {
        if ("orgUnits/" + w.Region(s) == rc.dimensions().region()) {
          teams.push_back("orgUnits/" + w.Team(s));
        }
      }
      const auto team_cells =
          allocate(plan.plan().name(), rc.name(), tv1::ALLOCATION_AXIS_TEAM, teams);
      for (const auto& tc : team_cells.cells()) {
        const std::string team = tc.org_unit().substr(9);
        w.team_cell[team] = tc.name();
        const auto reps = allocate(plan.plan().name(), tc.name(), tv1::ALLOCATION_AXIS_REP,
                                   {"members/" + team + "-rep", "members/" + team + "-rep2"});
        for (const auto& rc2 : reps.cells()) {
          w.rep_cell[rc2.member().substr(8)] = rc2.name();
        }
      }
    }
    return plan.plan().name();
  };
  w.plan = make_plan(w.Id("plan"));
  tv1::PublishPlanRequest pub;
  pub.set_name(w.plan);
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(w.T(w.Admin(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());

  BuildForecastAndPerformance(w);
  if (::testing::Test::HasFatalFailure()) {
    return;
  }

  // One stalled deal per scope; the business clock moves on; the warnings come.
  std::map<Scope, std::string> deal_of;
  for (Scope s : kScopes) {
    deal_of[s] = w.NewDeal(s).name();
  }
  w.SetClockOffset(absl::Hours(24 * 40));
  for (int i = 0; i < 300 && w.warning_of.size() < 3; ++i) {
    for (Scope s : kScopes) {
      if (w.warning_of.contains(s)) {
        continue;
      }
      wv1::ListWarningsRequest req;
      req.set_subject(deal_of[s]);
      wv1::ListWarningsResponse resp;
      if (w.W(w.Admin(), &wv1::WarningService::Stub::ListWarnings, req, &resp).ok() &&
          resp.warnings_size() > 0) {
        w.warning_of[s] = resp.warnings(0).name();
      }
    }
    if (w.warning_of.size() < 3) {
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  ASSERT_EQ(w.warning_of.size(), 3u) << w.warning->Logs();
  for (Scope s : kScopes) {
    wv1::CreateProposalRequest cp;
    cp.mutable_proposal()->set_title("推进方案");
    cp.mutable_proposal()->set_description("安排高层拜访");
    cp.mutable_proposal()->add_warnings(w.warning_of[s]);
    wv1::CreateProposalResponse resp;
    grpc::Status st = w.W(Token(Role::kSupervisor, w.Sup(s), w.Team(s)),
                          &wv1::WarningService::Stub::CreateProposal, cp, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.proposal_of[s] = resp.proposal().name();
  }
  BuildSync(w);
}

// A proposal of the scope decided with one action owned by the scope's rep.
wv1::StrategyProposal DecidedProposal(World& w, Scope s) {
  const std::string sup = Token(Role::kSupervisor, w.Sup(s), w.Team(s));
  wv1::CreateProposalRequest cp;
  cp.mutable_proposal()->set_title("决策方案");
  cp.mutable_proposal()->set_description("说明");
  cp.mutable_proposal()->add_warnings(w.warning_of[s]);
  wv1::CreateProposalResponse created;
  EXPECT_TRUE(w.W(sup, &wv1::WarningService::Stub::CreateProposal, cp, &created).ok());
  wv1::DecideProposalRequest d;
  d.set_proposal(created.proposal().name());
  d.set_etag(created.proposal().etag());
  d.set_outcome(wv1::DECISION_OUTCOME_APPROVED);
  d.set_rationale("同意");
  auto* a = d.add_actions();
  a->set_description("拜访");
  a->set_owner("members/" + w.Rep(s));
  *a->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 60));
  wv1::DecideProposalResponse decided;
  grpc::Status st = w.W(sup, &wv1::WarningService::Stub::DecideProposal, d, &decided);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return decided.proposal();
}

// The sync objects per scope, through the public RPCs of customers and sync;
// each wait is on the object showing up in the sync service.
void BuildSync(World& w) {
  using YS = sv1::SyncService::Stub;
  grpc::Status st;
  for (Scope s : kScopes) {
    const cv1::Customer customer = w.NewCustomer(s);
    w.sync_customer_of[s] = customer.name();
    cv1::CreateOpportunityRequest co;
    co.mutable_opportunity()->set_customer(customer.name());
    co.mutable_opportunity()->set_display_name("矩阵大项目");
    *co.mutable_opportunity()->mutable_amount() = Cny(2'000'000'00);
    co.mutable_opportunity()->set_product_line("orgUnits/" + w.pl());
    co.mutable_opportunity()->set_channel("direct");
    cv1::CreateOpportunityResponse opp;
    st = w.C(w.Admin(), &cv1::CustomersService::Stub::CreateOpportunity, co, &opp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    cv1::ChangeOpportunityStageRequest stage;
    stage.set_name(opp.opportunity().name());
    stage.set_etag(opp.opportunity().etag());
    stage.set_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
    cv1::ChangeOpportunityStageResponse staged;
    st = w.C(w.Admin(), &cv1::CustomersService::Stub::ChangeOpportunityStage, stage, &staged);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.sync_deal_of[s] = opp.opportunity().name();
  }
  for (Scope s : kScopes) {
    ASSERT_TRUE(Eventually([&] {
      sv1::ListTaskForcesRequest req;
      req.set_opportunity(w.sync_deal_of[s]);
      sv1::ListTaskForcesResponse resp;
      if (!w.Y(w.Admin(), &YS::ListTaskForces, req, &resp).ok() || resp.task_forces_size() == 0) {
        return false;
      }
      w.tf_of[s] = resp.task_forces(0).name();
      return true;
    })) << ScopeName(s)
        << "\n"
        << w.sync->Logs();
    sv1::SubmitFeedbackRequest fb;
    fb.mutable_feedback()->set_kind(sv1::FEEDBACK_KIND_FEATURE_REQUEST);
    fb.mutable_feedback()->set_title("矩阵反馈");
    fb.mutable_feedback()->add_opportunities(w.sync_deal_of[s]);
    sv1::SubmitFeedbackResponse submitted;
    st = w.Y(w.RepToken(s), &YS::SubmitFeedback, fb, &submitted);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.feedback_of[s] = submitted.feedback().name();
    sv1::PlanReceptionRequest plan;
    sv1::CustomerReception* r = plan.mutable_reception();
    r->set_customer(w.sync_customer_of[s]);
    r->set_title("矩阵客户来访");
    *r->mutable_visit_date() = DateOf(absl::Now() + absl::Hours(24 * 7));
    sv1::ReceptionHost* h1 = r->add_hosts();
    h1->set_member("members/" + w.Rep(s));
    h1->set_department(sv1::DEPARTMENT_SALES);
    sv1::ReceptionHost* h2 = r->add_hosts();
    h2->set_member("members/" + w.Rep2(s));
    h2->set_department(sv1::DEPARTMENT_PRODUCT);
    sv1::PlanReceptionResponse planned;
    st = w.Y(w.RepToken(s), &YS::PlanReception, plan, &planned);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.reception_of[s] = planned.reception().name();
    sv1::ShareCustomerRequest share;
    share.mutable_share()->set_customer(w.sync_customer_of[s]);
    share.mutable_share()->set_recipient("systems/matrix-erp");
    share.mutable_share()->set_purpose("矩阵共享");
    sv1::ShareCustomerResponse shared;
    st = w.Y(w.RepToken(s), &YS::ShareCustomer, share, &shared);
    ASSERT_TRUE(st.ok()) << st.error_message();
    w.share_of[s] = shared.share().name();
  }
  sv1::CreateLaunchRequest cl;
  cl.mutable_launch()->set_title("矩阵新品");
  cl.mutable_launch()->set_kind(sv1::LAUNCH_KIND_NEW_PRODUCT);
  cl.mutable_launch()->set_product_line("orgUnits/" + w.pl());
  sv1::CreateLaunchResponse launched;
  st = w.Y(w.Admin(), &YS::CreateLaunch, cl, &launched);
  ASSERT_TRUE(st.ok()) << st.error_message();
  w.launch = launched.launch().name();
  sv1::AnnounceLaunchRequest an;
  an.set_name(w.launch);
  sv1::AnnounceLaunchResponse announced;
  st = w.Y(w.Admin(), &YS::AnnounceLaunch, an, &announced);
  ASSERT_TRUE(st.ok()) << st.error_message();
  sv1::PublishInsightRequest pi;
  pi.mutable_insight()->set_kind(sv1::INSIGHT_KIND_COMPETITOR);
  pi.mutable_insight()->set_title("矩阵竞品动态");
  sv1::PublishInsightResponse published;
  st = w.Y(w.Admin(), &YS::PublishInsight, pi, &published);
  ASSERT_TRUE(st.ok()) << st.error_message();
  w.insight = published.insight().name();
  sv1::CreateCampaignRequest cc;
  cc.mutable_campaign()->set_title("矩阵峰会");
  cc.mutable_campaign()->set_first_contact_sla_hours(48);
  sv1::CreateCampaignResponse campaign;
  st = w.Y(w.Admin(), &YS::CreateCampaign, cc, &campaign);
  ASSERT_TRUE(st.ok()) << st.error_message();
  w.campaign = campaign.campaign().name();
  for (Scope s : kScopes) {
    sv1::HandOverLeadsRequest ho;
    ho.set_campaign(w.campaign);
    sv1::CampaignLead* l = ho.add_leads();
    l->set_company_name("矩阵线索公司" + w.Fresh("l"));
    l->set_contact_phone("13800000000");
    l->set_assigned_rep("members/" + w.Rep(s));
    sv1::HandOverLeadsResponse handed;
    st = w.Y(w.Admin(), &YS::HandOverLeads, ho, &handed);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(handed.leads_size(), 1);
    w.lead_of[s] = handed.leads(0).name();
  }
  // The own team's route took the task force proposal: a delivery exists.
  ASSERT_TRUE(Eventually([&] {
    sv1::ListDeliveriesRequest req;
    req.set_route("notificationRoutes/matrix-" + w.sfx);
    sv1::ListDeliveriesResponse resp;
    if (!w.Y(w.Admin(), &YS::ListDeliveries, req, &resp).ok() || resp.deliveries_size() == 0) {
      return false;
    }
    w.delivery = resp.deliveries(0).name();
    return true;
  })) << w.sync->Logs();
}

std::vector<Row> Rows();

class AuthzMatrixTest : public ::testing::Test {};

TEST_F(AuthzMatrixTest, EveryRpcEveryRoleEveryScope) {
  World w;
  BuildWorld(w);
  if (HasFatalFailure()) {
    return;
  }
  const std::vector<Row> rows = Rows();
  // Every method of every covered service has a row.
  const std::map<std::string, MethodPolicy> policies = {
      {"salesops.org.v1.OrgService", org::OrgMethodPolicy()},
      {"salesops.customers.v1.CustomersService", customers::CustomersMethodPolicy()},
      {"salesops.targets.v1.TargetsService", targets::TargetsMethodPolicy()},
      {"salesops.warning.v1.WarningService", warning::WarningMethodPolicy()},
      {"salesops.forecast.v1.ForecastService", forecast::ForecastMethodPolicy()},
      {"salesops.performance.v1.PerformanceService", performance::PerformanceMethodPolicy()},
      {"salesops.sync.v1.SyncService", sync::SyncMethodPolicy()}};
  std::vector<std::string> missing;
  for (const auto& [service, policy] : policies) {
    const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) {
      bool found = false;
      for (const Row& r : rows) {
        found |= r.service == service && r.method == d->method(i)->name();
      }
      if (!found) {
        missing.push_back(absl::StrCat(service, "/", d->method(i)->name()));
      }
    }
  }
  EXPECT_TRUE(missing.empty()) << "RPCs without a row in the authorization matrix:\n  "
                               << absl::StrJoin(missing, "\n  ");

  int calls = 0, allowed = 0, denied = 0;
  std::vector<std::string> unexpected;
  std::vector<Caller> callers = w.Callers();
  for (Caller& c : callers) {
    c.token = Token(c.role, c.member, c.unit);
  }
  for (const Row& row : rows) {
    const MethodPolicy& policy = policies.at(row.service);
    for (Scope s : kScopes) {
      for (const Caller& c : callers) {
        const bool role_ok = policy.Check(row.method, {c.member, c.role, c.unit}).ok();
        const bool expect = role_ok && row.reach[RoleIndex(c.role)][static_cast<int>(s)];
        const Result r = row.call(w, c, s);
        ++calls;
        if (r.outcome == Outcome::kAllowed) {
          ++allowed;
        }
        if (r.outcome == Outcome::kDenied) {
          ++denied;
        }
        const bool ok = r.outcome != Outcome::kBroken && (r.outcome == Outcome::kAllowed) == expect;
        if (!ok) {
          unexpected.push_back(
              absl::StrCat(row.method, " as ", RoleName(c.role), " on ", ScopeName(s),
                           ": expected ", expect ? "allow" : "deny", ", got ",
                           r.outcome == Outcome::kAllowed  ? "allow"
                           : r.outcome == Outcome::kDenied ? "deny"
                                                           : "broken",
                           r.detail.empty() ? "" : " (" + r.detail.substr(0, 160) + ")"));
        }
      }
    }
  }
  std::printf("authorization matrix: %zu rows, %d calls, %d allowed, %d denied, %zu unexpected\n",
              rows.size(), calls, allowed, denied, unexpected.size());
  EXPECT_TRUE(unexpected.empty()) << absl::StrJoin(unexpected, "\n");
}

// ---- the rows ----------------------------------------------------------------------

#define ORG "salesops.org.v1.OrgService"
#define CUST "salesops.customers.v1.CustomersService"
#define TGT "salesops.targets.v1.TargetsService"
#define WARN "salesops.warning.v1.WarningService"
#define FCST "salesops.forecast.v1.ForecastService"
#define PERF "salesops.performance.v1.PerformanceService"
#define SYNC "salesops.sync.v1.SyncService"

template <typename List, typename Pred>
bool Any(const List& items, Pred pred) {
  for (const auto& i : items) {
    if (pred(i)) {
      return true;
    }
  }
  return false;
}

std::vector<Row> OrgRows() {
  using S = ov1::OrgService::Stub;
  std::vector<Row> r;
  r.push_back({ORG, "CreateOrgUnit", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::CreateOrgUnitRequest req;
                 req.set_org_unit_id(w.Fresh("ou"));
                 req.mutable_org_unit()->set_display_name("新组");
                 req.mutable_org_unit()->set_kind(ov1::ORG_UNIT_KIND_TEAM);
                 req.mutable_org_unit()->set_parent("orgUnits/" + w.Region(s));
                 ov1::CreateOrgUnitResponse resp;
                 return FromStatus(w.O(c.token, &S::CreateOrgUnit, req, &resp));
               }});
  r.push_back({ORG, "GetOrgUnit", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::GetOrgUnitRequest req;
                 req.set_name("orgUnits/" + w.Team(s));
                 ov1::GetOrgUnitResponse resp;
                 return FromStatus(w.O(c.token, &S::GetOrgUnit, req, &resp));
               }});
  r.push_back({ORG, "ListOrgUnits", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::ListOrgUnitsRequest req;
                 req.set_parent("orgUnits/" + w.Region(s));
                 ov1::ListOrgUnitsResponse resp;
                 grpc::Status st = w.O(c.token, &S::ListOrgUnits, req, &resp);
                 return Listed(st, Any(resp.org_units(), [&](const auto& u) {
                                 return u.name() == "orgUnits/" + w.Team(s);
                               }));
               }});
  r.push_back({ORG, "UpdateOrgUnit", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::UpdateOrgUnitRequest req;
                 req.mutable_org_unit()->set_name("orgUnits/" + w.NewTeam(s, 0));
                 req.mutable_org_unit()->set_display_name("改名");
                 req.mutable_update_mask()->add_paths("display_name");
                 ov1::UpdateOrgUnitResponse resp;
                 return FromStatus(w.O(c.token, &S::UpdateOrgUnit, req, &resp));
               }});
  r.push_back({ORG, "DeleteOrgUnit", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::DeleteOrgUnitRequest req;
                 req.set_name("orgUnits/" + w.NewTeam(s, 0));
                 ov1::DeleteOrgUnitResponse resp;
                 return FromStatus(w.O(c.token, &S::DeleteOrgUnit, req, &resp));
               }});
  r.push_back({ORG, "CreateMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::CreateMemberRequest req;
                 req.set_member_id(w.Fresh("m"));
                 req.mutable_member()->set_display_name("新人");
                 req.mutable_member()->set_email(req.member_id() + "@example.com");
                 req.mutable_member()->set_role(ov1::ROLE_REP);
                 req.mutable_member()->set_department(ov1::DEPARTMENT_SALES);
                 req.mutable_member()->set_org_unit("orgUnits/" + w.Team(s));
                 ov1::CreateMemberResponse resp;
                 return FromStatus(w.O(c.token, &S::CreateMember, req, &resp));
               }});
  r.push_back({ORG, "GetMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::GetMemberRequest req;
                 req.set_name("members/" + w.Rep(s));
                 ov1::GetMemberResponse resp;
                 return FromStatus(w.O(c.token, &S::GetMember, req, &resp));
               }});
  r.push_back({ORG, "ListMembers", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::ListMembersRequest req;
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 ov1::ListMembersResponse resp;
                 grpc::Status st = w.O(c.token, &S::ListMembers, req, &resp);
                 return Listed(st, Any(resp.members(), [&](const auto& m) {
                                 return m.name() == "members/" + w.Rep(s);
                               }));
               }});
  r.push_back({ORG, "UpdateMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::UpdateMemberRequest req;
                 req.mutable_member()->set_name("members/" + w.NewRep(s));
                 req.mutable_member()->set_display_name("改名");
                 req.mutable_update_mask()->add_paths("display_name");
                 ov1::UpdateMemberResponse resp;
                 return FromStatus(w.O(c.token, &S::UpdateMember, req, &resp));
               }});
  r.push_back({ORG, "DeleteMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::DeleteMemberRequest req;
                 req.set_name("members/" + w.NewRep(s));
                 ov1::DeleteMemberResponse resp;
                 return FromStatus(w.O(c.token, &S::DeleteMember, req, &resp));
               }});
  r.push_back({ORG, "MoveMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::MoveMemberRequest req;
                 req.set_name("members/" + w.NewRep(s));
                 // Within the same region: the other team there.
                 req.set_org_unit("orgUnits/" + (s == Scope::kOwn    ? w.Team(Scope::kTeam)
                                                 : s == Scope::kTeam ? w.Team(Scope::kOwn)
                                                                     : w.Id("t22")));
                 ov1::MoveMemberResponse resp;
                 return FromStatus(w.O(c.token, &S::MoveMember, req, &resp));
               }});
  r.push_back({ORG, "CreatePosition", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::CreatePositionRequest req;
                 req.set_position_id(w.Fresh("pos"));
                 req.mutable_position()->set_team("orgUnits/" + w.NewTeam(s, 0));
                 req.mutable_position()->set_role(ov1::ROLE_REP);
                 req.mutable_position()->set_title("客户经理");
                 req.mutable_position()->add_duty_history()->add_duties("开发");
                 ov1::CreatePositionResponse resp;
                 return FromStatus(w.O(c.token, &S::CreatePosition, req, &resp));
               }});
  r.push_back({ORG, "GetPosition", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::GetPositionRequest req;
                 req.set_name(w.NewPosition(s));
                 ov1::GetPositionResponse resp;
                 return FromStatus(w.O(c.token, &S::GetPosition, req, &resp));
               }});
  r.push_back({ORG, "ListPositions", kAny, [](World& w, const Caller& c, Scope s) {
                 const std::string name = w.NewPosition(s);
                 ov1::GetPositionRequest get;
                 get.set_name(name);
                 ov1::GetPositionResponse got;
                 (void)w.O(w.Admin(), &S::GetPosition, get, &got);
                 ov1::ListPositionsRequest req;
                 req.set_team(got.position().team());
                 ov1::ListPositionsResponse resp;
                 grpc::Status st = w.O(c.token, &S::ListPositions, req, &resp);
                 return Listed(
                     st, Any(resp.positions(), [&](const auto& p) { return p.name() == name; }));
               }});
  r.push_back({ORG, "ChangeDuties", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::ChangeDutiesRequest req;
                 req.set_name(w.NewPosition(s));
                 req.set_etag("1");
                 *req.mutable_duties()->mutable_effective_date() =
                     DateOf(absl::Now() + absl::Hours(24 * 10));
                 req.mutable_duties()->add_duties("重点客户");
                 req.mutable_duties()->set_reason("市场变化");
                 ov1::ChangeDutiesResponse resp;
                 return FromStatus(w.O(c.token, &S::ChangeDuties, req, &resp));
               }});
  r.push_back({ORG, "GetMemberDuties", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::GetMemberDutiesRequest req;
                 req.set_member("members/" + w.Rep(s));
                 ov1::GetMemberDutiesResponse resp;
                 return FromStatus(w.O(c.token, &S::GetMemberDuties, req, &resp));
               }});
  r.push_back({ORG, "SplitTeam", kAny, [](World& w, const Caller& c, Scope s) {
                 const std::string team = w.NewTeam(s, 2);
                 ov1::SplitTeamRequest req;
                 req.set_team("orgUnits/" + team);
                 req.set_reason("拆分");
                 auto* nt = req.add_new_teams();
                 nt->set_org_unit_id(w.Fresh("split"));
                 nt->set_display_name("新组");
                 nt->add_members("members/" + team + "-m0");
                 ov1::SplitTeamResponse resp;
                 return FromStatus(w.O(c.token, &S::SplitTeam, req, &resp));
               }});
  r.push_back({ORG, "MergeTeams", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::MergeTeamsRequest req;
                 req.set_source("orgUnits/" + w.NewTeam(s, 1));
                 req.set_target("orgUnits/" + w.NewTeam(s, 1));
                 req.set_reason("合并");
                 ov1::MergeTeamsResponse resp;
                 return FromStatus(w.O(c.token, &S::MergeTeams, req, &resp));
               }});
  r.push_back({ORG, "DissolveTeam", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::DissolveTeamRequest req;
                 req.set_team("orgUnits/" + w.NewTeam(s, 0));
                 req.set_reason("撤销");
                 ov1::DissolveTeamResponse resp;
                 return FromStatus(w.O(c.token, &S::DissolveTeam, req, &resp));
               }});
  r.push_back({ORG, "ListReorganisations", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::ListReorganisationsRequest req;
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 ov1::ListReorganisationsResponse resp;
                 return FromStatus(w.O(c.token, &S::ListReorganisations, req, &resp));
               }});
  r.push_back({ORG, "GetMemberHistory", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::GetMemberHistoryRequest req;
                 req.set_member("members/" + w.Rep(s));
                 ov1::GetMemberHistoryResponse resp;
                 return FromStatus(w.O(c.token, &S::GetMemberHistory, req, &resp));
               }});
  r.push_back({ORG, "GetTeamEfficiency", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::GetTeamEfficiencyRequest req;
                 *req.mutable_start_month() = DateOf(absl::Now());
                 *req.mutable_end_month() = DateOf(absl::Now());
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 ov1::GetTeamEfficiencyResponse resp;
                 grpc::Status st = w.O(c.token, &S::GetTeamEfficiency, req, &resp);
                 return Listed(st, Any(resp.teams(), [&](const auto& t) {
                                 return t.team() == "orgUnits/" + w.Team(s);
                               }));
               }});
  r.push_back({ORG, "SetTeamTarget", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::SetTeamTargetRequest req;
                 req.set_team("orgUnits/" + w.Team(s));
                 *req.mutable_month() = DateOf(absl::Now());
                 *req.mutable_amount() = Cny(100000);
                 ov1::SetTeamTargetResponse resp;
                 return FromStatus(w.O(c.token, &S::SetTeamTarget, req, &resp));
               }});
  r.push_back({ORG, "GetTalentConfig", kAny, [](World& w, const Caller& c, Scope) {
                 ov1::GetTalentConfigRequest req;
                 ov1::GetTalentConfigResponse resp;
                 return FromStatus(w.O(c.token, &S::GetTalentConfig, req, &resp));
               }});
  r.push_back({ORG, "UpdateTalentConfig", kAny, [](World& w, const Caller& c, Scope) {
                 ov1::GetTalentConfigRequest get;
                 ov1::GetTalentConfigResponse cur;
                 (void)w.O(w.Admin(), &S::GetTalentConfig, get, &cur);
                 ov1::UpdateTalentConfigRequest req;
                 *req.mutable_talent_config() = cur.talent_config();
                 req.set_reason("复核");
                 ov1::UpdateTalentConfigResponse resp;
                 return FromStatus(w.O(c.token, &S::UpdateTalentConfig, req, &resp));
               }});
  r.push_back({ORG, "RecordAssessment", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::RecordAssessmentRequest req;
                 req.mutable_assessment()->set_member("members/" + w.Rep(s));
                 req.mutable_assessment()->set_period("matrix-h1");
                 req.mutable_assessment()->set_performance(80);
                 req.mutable_assessment()->set_capability(70);
                 req.mutable_assessment()->set_potential(75);
                 ov1::RecordAssessmentResponse resp;
                 return FromStatus(w.O(c.token, &S::RecordAssessment, req, &resp));
               }});
  r.push_back({ORG, "ListAssessments", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::ListAssessmentsRequest req;
                 req.set_member("members/" + w.Rep(s));
                 ov1::ListAssessmentsResponse resp;
                 return FromStatus(w.O(c.token, &S::ListAssessments, req, &resp));
               }});
  r.push_back({ORG, "CreateDevelopmentPlan", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::CreateDevelopmentPlanRequest req;
                 req.mutable_development_plan()->set_member("members/" + w.Rep(s));
                 auto* item = req.mutable_development_plan()->add_items();
                 item->set_title("课程");
                 item->set_kind(ov1::DEVELOPMENT_ITEM_KIND_TRAINING);
                 ov1::CreateDevelopmentPlanResponse resp;
                 return FromStatus(w.O(c.token, &S::CreateDevelopmentPlan, req, &resp));
               }});
  r.push_back({ORG, "UpdateDevelopmentPlan", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::UpdateDevelopmentPlanRequest req;
                 req.mutable_development_plan()->set_name(w.NewDevelopmentPlan(s));
                 req.mutable_development_plan()->set_etag("1");
                 req.mutable_development_plan()->set_member("members/" + w.Rep(s));
                 auto* item = req.mutable_development_plan()->add_items();
                 item->set_title("课程二");
                 item->set_kind(ov1::DEVELOPMENT_ITEM_KIND_TRAINING);
                 ov1::UpdateDevelopmentPlanResponse resp;
                 return FromStatus(w.O(c.token, &S::UpdateDevelopmentPlan, req, &resp));
               }});
  r.push_back({ORG, "ListDevelopmentPlans", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::ListDevelopmentPlansRequest req;
                 req.set_member("members/" + w.Rep(s));
                 ov1::ListDevelopmentPlansResponse resp;
                 return FromStatus(w.O(c.token, &S::ListDevelopmentPlans, req, &resp));
               }});
  r.push_back({ORG, "CreatePromotionTrack", kAny, [](World& w, const Caller& c, Scope) {
                 ov1::CreatePromotionTrackRequest req;
                 req.set_promotion_track_id(w.Fresh("trk"));
                 req.mutable_promotion_track()->set_display_name("晋升");
                 req.mutable_promotion_track()->set_from_role(ov1::ROLE_REP);
                 req.mutable_promotion_track()->set_to_role(ov1::ROLE_SUPERVISOR);
                 ov1::CreatePromotionTrackResponse resp;
                 return FromStatus(w.O(c.token, &S::CreatePromotionTrack, req, &resp));
               }});
  r.push_back({ORG, "ListPromotionTracks", kAny, [](World& w, const Caller& c, Scope) {
                 ov1::ListPromotionTracksRequest req;
                 ov1::ListPromotionTracksResponse resp;
                 return FromStatus(w.O(c.token, &S::ListPromotionTracks, req, &resp));
               }});
  r.push_back({ORG, "SubmitPromotionRequest", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::SubmitPromotionRequestRequest req;
                 req.mutable_promotion_request()->set_member("members/" + w.Rep(s));
                 req.mutable_promotion_request()->set_track("promotionTracks/" + w.Id("track"));
                 req.mutable_promotion_request()->set_justification("业绩");
                 ov1::SubmitPromotionRequestResponse resp;
                 return FromStatus(w.O(c.token, &S::SubmitPromotionRequest, req, &resp));
               }});
  r.push_back({ORG, "ApprovePromotionRequest", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::ApprovePromotionRequestRequest req;
                 req.set_name(w.NewPromotionRequest(s));
                 ov1::ApprovePromotionRequestResponse resp;
                 return FromStatus(w.O(c.token, &S::ApprovePromotionRequest, req, &resp));
               }});
  r.push_back({ORG, "RejectPromotionRequest", kAny, [](World& w, const Caller& c, Scope s) {
                 ov1::RejectPromotionRequestRequest req;
                 req.set_name(w.NewPromotionRequest(s));
                 req.set_note("再观察");
                 ov1::RejectPromotionRequestResponse resp;
                 return FromStatus(w.O(c.token, &S::RejectPromotionRequest, req, &resp));
               }});
  r.push_back({ORG, "GetPromotionRequest", kOwner, [](World& w, const Caller& c, Scope s) {
                 ov1::GetPromotionRequestRequest req;
                 req.set_name(w.NewPromotionRequest(s));
                 ov1::GetPromotionRequestResponse resp;
                 return FromStatus(w.O(c.token, &S::GetPromotionRequest, req, &resp));
               }});
  return r;
}

std::vector<Row> CustomersRows() {
  using S = cv1::CustomersService::Stub;
  std::vector<Row> r;
  r.push_back({CUST, "CreateCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CreateCustomerRequest req;
                 req.mutable_customer()->set_display_name("新客户" + w.Fresh("n"));
                 req.mutable_customer()->set_owner("members/" + w.Rep(s));
                 cv1::CreateCustomerResponse resp;
                 return FromStatus(w.C(c.token, &S::CreateCustomer, req, &resp));
               }});
  r.push_back({CUST, "GetCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::GetCustomerRequest req;
                 req.set_name(w.NewCustomer(s).name());
                 cv1::GetCustomerResponse resp;
                 return FromStatus(w.C(c.token, &S::GetCustomer, req, &resp));
               }});
  r.push_back({CUST, "ListCustomers", kOwner, [](World& w, const Caller& c, Scope s) {
                 const std::string name = w.NewCustomer(s).name();
                 cv1::ListCustomersRequest req;
                 req.set_owner("members/" + w.Rep(s));
                 req.set_page_size(500);
                 cv1::ListCustomersResponse resp;
                 grpc::Status st = w.C(c.token, &S::ListCustomers, req, &resp);
                 return Listed(
                     st, Any(resp.customers(), [&](const auto& x) { return x.name() == name; }));
               }});
  r.push_back({CUST, "UpdateCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::UpdateCustomerRequest req;
                 req.mutable_customer()->set_name(w.NewCustomer(s).name());
                 req.mutable_customer()->set_address("杭州市");
                 req.mutable_update_mask()->add_paths("address");
                 cv1::UpdateCustomerResponse resp;
                 return FromStatus(w.C(c.token, &S::UpdateCustomer, req, &resp));
               }});
  r.push_back({CUST, "CheckCustomerConflicts", kOwner, [](World& w, const Caller& c, Scope s) {
                 const cv1::Customer existing = w.NewCustomer(s);
                 cv1::CheckCustomerConflictsRequest req;
                 req.set_tax_id(existing.tax_id());
                 cv1::CheckCustomerConflictsResponse resp;
                 grpc::Status st = w.C(c.token, &S::CheckCustomerConflicts, req, &resp);
                 return Listed(st, Any(resp.conflicts(), [&](const auto& x) {
                                 return x.customer() == existing.name();
                               }));
               }});
  r.push_back({CUST, "EvaluateCustomerTier", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::EvaluateCustomerTierRequest req;
                 req.set_name(w.NewCustomer(s).name());
                 cv1::EvaluateCustomerTierResponse resp;
                 return FromStatus(w.C(c.token, &S::EvaluateCustomerTier, req, &resp));
               }});
  r.push_back({CUST, "ClaimCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::ClaimCustomerRequest req;
                 req.set_name(w.NewPoolCustomer(s).name());
                 req.set_owner("members/" + w.Rep(s));
                 cv1::ClaimCustomerResponse resp;
                 return FromStatus(w.C(c.token, &S::ClaimCustomer, req, &resp));
               }});
  r.push_back({CUST, "ReleaseCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::ReleaseCustomerRequest req;
                 req.set_name(w.NewCustomer(s).name());
                 cv1::ReleaseCustomerResponse resp;
                 return FromStatus(w.C(c.token, &S::ReleaseCustomer, req, &resp));
               }});
  r.push_back({CUST, "HandOverCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::HandOverCustomerRequest req;
                 req.set_name(w.NewCustomer(s).name());
                 req.set_new_owner("members/" + w.Rep2(s));
                 req.set_reason("转交");
                 cv1::HandOverCustomerResponse resp;
                 return FromStatus(w.C(c.token, &S::HandOverCustomer, req, &resp));
               }});
  r.push_back({CUST, "GrantSharing", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::GrantSharingRequest req;
                 req.mutable_sharing_grant()->set_customer(w.NewCustomer(s).name());
                 req.mutable_sharing_grant()->set_grantee("orgUnits/" + w.marketing());
                 req.mutable_sharing_grant()->set_access(cv1::SHARING_ACCESS_READ_ONLY);
                 req.mutable_sharing_grant()->set_purpose("市场活动");
                 cv1::GrantSharingResponse resp;
                 return FromStatus(w.C(c.token, &S::GrantSharing, req, &resp));
               }});
  r.push_back({CUST, "RevokeSharing", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::RevokeSharingRequest req;
                 req.set_name(w.NewGrant(s).name());
                 cv1::RevokeSharingResponse resp;
                 return FromStatus(w.C(c.token, &S::RevokeSharing, req, &resp));
               }});
  r.push_back({CUST, "ListSharingGrants", kOwner, [](World& w, const Caller& c, Scope s) {
                 const cv1::SharingGrant g = w.NewGrant(s);
                 cv1::ListSharingGrantsRequest req;
                 req.set_customer(g.customer());
                 cv1::ListSharingGrantsResponse resp;
                 grpc::Status st = w.C(c.token, &S::ListSharingGrants, req, &resp);
                 return Listed(st, Any(resp.sharing_grants(),
                                       [&](const auto& x) { return x.name() == g.name(); }));
               }});
  r.push_back({CUST, "GetTierPolicy", kAny, [](World& w, const Caller& c, Scope) {
                 cv1::GetTierPolicyRequest req;
                 cv1::GetTierPolicyResponse resp;
                 return FromStatus(w.C(c.token, &S::GetTierPolicy, req, &resp));
               }});
  r.push_back({CUST, "UpdateTierPolicy", kAny, [](World& w, const Caller& c, Scope) {
                 cv1::GetTierPolicyRequest get;
                 cv1::GetTierPolicyResponse cur;
                 (void)w.C(w.Admin(), &S::GetTierPolicy, get, &cur);
                 cv1::UpdateTierPolicyRequest req;
                 req.mutable_tier_policy()->set_reevaluate_every_days(
                     cur.tier_policy().reevaluate_every_days());
                 req.mutable_update_mask()->add_paths("reevaluate_every_days");
                 req.set_reason("复核");
                 cv1::UpdateTierPolicyResponse resp;
                 return FromStatus(w.C(c.token, &S::UpdateTierPolicy, req, &resp));
               }});
  r.push_back({CUST, "GetPoolPolicy", kAny, [](World& w, const Caller& c, Scope) {
                 cv1::GetPoolPolicyRequest req;
                 cv1::GetPoolPolicyResponse resp;
                 return FromStatus(w.C(c.token, &S::GetPoolPolicy, req, &resp));
               }});
  r.push_back({CUST, "UpdatePoolPolicy", kAny, [](World& w, const Caller& c, Scope) {
                 cv1::GetPoolPolicyRequest get;
                 cv1::GetPoolPolicyResponse cur;
                 (void)w.C(w.Admin(), &S::GetPoolPolicy, get, &cur);
                 cv1::UpdatePoolPolicyRequest req;
                 req.mutable_pool_policy()->set_protection_days(
                     cur.pool_policy().protection_days());
                 req.mutable_update_mask()->add_paths("protection_days");
                 req.set_reason("复核");
                 cv1::UpdatePoolPolicyResponse resp;
                 return FromStatus(w.C(c.token, &S::UpdatePoolPolicy, req, &resp));
               }});
  r.push_back({CUST, "CreateOpportunity", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CreateOpportunityRequest req;
                 req.mutable_opportunity()->set_customer(w.NewCustomer(s).name());
                 req.mutable_opportunity()->set_display_name("项目");
                 *req.mutable_opportunity()->mutable_amount() = Cny(1000);
                 req.mutable_opportunity()->set_product_line("orgUnits/" + w.pl());
                 req.mutable_opportunity()->set_channel("direct");
                 cv1::CreateOpportunityResponse resp;
                 return FromStatus(w.C(c.token, &S::CreateOpportunity, req, &resp));
               }});
  r.push_back({CUST, "GetOpportunity", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::GetOpportunityRequest req;
                 req.set_name(w.NewDeal(s).name());
                 cv1::GetOpportunityResponse resp;
                 return FromStatus(w.C(c.token, &S::GetOpportunity, req, &resp));
               }});
  r.push_back({CUST, "ListOpportunities", kOwner, [](World& w, const Caller& c, Scope s) {
                 const cv1::Opportunity o = w.NewDeal(s);
                 cv1::ListOpportunitiesRequest req;
                 req.set_owner("members/" + w.Rep(s));
                 req.set_page_size(500);
                 cv1::ListOpportunitiesResponse resp;
                 grpc::Status st = w.C(c.token, &S::ListOpportunities, req, &resp);
                 return Listed(st, Any(resp.opportunities(),
                                       [&](const auto& x) { return x.name() == o.name(); }));
               }});
  r.push_back({CUST, "UpdateOpportunity", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::UpdateOpportunityRequest req;
                 req.mutable_opportunity()->set_name(w.NewDeal(s).name());
                 req.mutable_opportunity()->set_next_step("报价");
                 req.mutable_update_mask()->add_paths("next_step");
                 cv1::UpdateOpportunityResponse resp;
                 return FromStatus(w.C(c.token, &S::UpdateOpportunity, req, &resp));
               }});
  r.push_back({CUST, "ChangeOpportunityStage", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::ChangeOpportunityStageRequest req;
                 req.set_name(w.NewDeal(s).name());
                 req.set_stage(cv1::OPPORTUNITY_STAGE_QUALIFIED);
                 cv1::ChangeOpportunityStageResponse resp;
                 return FromStatus(w.C(c.token, &S::ChangeOpportunityStage, req, &resp));
               }});
  r.push_back({CUST, "LogActivity", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::LogActivityRequest req;
                 req.mutable_activity()->set_customer(w.NewCustomer(s).name());
                 req.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_CALL);
                 req.mutable_activity()->set_summary("电话");
                 cv1::LogActivityResponse resp;
                 return FromStatus(w.C(c.token, &S::LogActivity, req, &resp));
               }});
  r.push_back({CUST, "ListActivities", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::ListActivitiesRequest req;
                 req.set_customer(w.NewCustomer(s).name());
                 cv1::ListActivitiesResponse resp;
                 return FromStatus(w.C(c.token, &S::ListActivities, req, &resp));
               }});
  r.push_back({CUST, "CreateTask", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CreateTaskRequest req;
                 req.mutable_task()->set_customer(w.NewCustomer(s).name());
                 req.mutable_task()->set_title("回访");
                 req.mutable_task()->mutable_due_time()->set_seconds(
                     absl::ToUnixSeconds(absl::Now() + absl::Hours(48)));
                 cv1::CreateTaskResponse resp;
                 return FromStatus(w.C(c.token, &S::CreateTask, req, &resp));
               }});
  r.push_back({CUST, "ListTasks", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::ListTasksRequest req;
                 req.set_customer(w.NewTask(s).customer());
                 cv1::ListTasksResponse resp;
                 return FromStatus(w.C(c.token, &S::ListTasks, req, &resp));
               }});
  r.push_back({CUST, "CompleteTask", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CompleteTaskRequest req;
                 req.set_name(w.NewTask(s).name());
                 cv1::CompleteTaskResponse resp;
                 return FromStatus(w.C(c.token, &S::CompleteTask, req, &resp));
               }});
  r.push_back({CUST, "CreateContract", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CreateContractRequest req;
                 req.mutable_contract()->set_customer(w.NewCustomer(s).name());
                 req.mutable_contract()->set_title("合同");
                 *req.mutable_contract()->mutable_amount() = Cny(1000);
                 auto* in = req.mutable_contract()->mutable_payment_schedule()->add_instalments();
                 in->set_instalment_id("1");
                 *in->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 30));
                 *in->mutable_amount() = Cny(1000);
                 cv1::CreateContractResponse resp;
                 return FromStatus(w.C(c.token, &S::CreateContract, req, &resp));
               }});
  r.push_back({CUST, "GetContract", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::GetContractRequest req;
                 req.set_name(w.NewContract(s, false).name());
                 cv1::GetContractResponse resp;
                 return FromStatus(w.C(c.token, &S::GetContract, req, &resp));
               }});
  r.push_back({CUST, "ListContracts", kOwner, [](World& w, const Caller& c, Scope s) {
                 const cv1::Contract k = w.NewContract(s, false);
                 cv1::ListContractsRequest req;
                 req.set_customer(k.customer());
                 cv1::ListContractsResponse resp;
                 grpc::Status st = w.C(c.token, &S::ListContracts, req, &resp);
                 return Listed(st, Any(resp.contracts(),
                                       [&](const auto& x) { return x.name() == k.name(); }));
               }});
  r.push_back({CUST, "SignContract", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::SignContractRequest req;
                 req.set_name(w.NewContract(s, false).name());
                 cv1::SignContractResponse resp;
                 return FromStatus(w.C(c.token, &S::SignContract, req, &resp));
               }});
  r.push_back({CUST, "CancelContract", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CancelContractRequest req;
                 req.set_name(w.NewContract(s, true).name());
                 req.set_reason("客户撤单");
                 cv1::CancelContractResponse resp;
                 return FromStatus(w.C(c.token, &S::CancelContract, req, &resp));
               }});
  r.push_back({CUST, "CloseContract", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::CloseContractRequest req;
                 req.set_name(w.NewContract(s, true).name());
                 req.set_reason("履约完成");
                 cv1::CloseContractResponse resp;
                 return FromStatus(w.C(c.token, &S::CloseContract, req, &resp));
               }});
  r.push_back({CUST, "RecordPayment", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::RecordPaymentRequest req;
                 req.set_contract(w.NewContract(s, true).name());
                 *req.mutable_payment()->mutable_amount() = Cny(100);
                 *req.mutable_payment()->mutable_received_date() = DateOf(absl::Now());
                 cv1::RecordPaymentResponse resp;
                 return FromStatus(w.C(c.token, &S::RecordPayment, req, &resp));
               }});
  r.push_back({CUST, "RecordRefund", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::RecordPaymentRequest pay;
                 pay.set_contract(w.NewContract(s, true).name());
                 *pay.mutable_payment()->mutable_amount() = Cny(100);
                 *pay.mutable_payment()->mutable_received_date() = DateOf(absl::Now());
                 cv1::RecordPaymentResponse paid;
                 EXPECT_TRUE(w.C(w.Admin(), &S::RecordPayment, pay, &paid).ok());
                 cv1::RecordRefundRequest req;
                 req.set_contract(pay.contract());
                 *req.mutable_refund()->mutable_amount() = Cny(50);
                 *req.mutable_refund()->mutable_received_date() = DateOf(absl::Now());
                 req.set_reason("退款");
                 cv1::RecordRefundResponse resp;
                 return FromStatus(w.C(c.token, &S::RecordRefund, req, &resp));
               }});
  r.push_back({CUST, "ImportCustomersCsv", kOwner, [](World& w, const Caller& c, Scope s) {
                 cv1::ImportCustomersCsvRequest req;
                 req.set_csv("display_name\r\n导入客户" + w.Fresh("i") + "\r\n");
                 req.set_default_owner("members/" + w.Rep(s));
                 req.set_request_id(w.Fresh("imp"));
                 cv1::ImportCustomersCsvResponse resp;
                 // Out-of-scope owners are refused row by row (the import then writes nothing).
                 grpc::Status st = w.C(c.token, &S::ImportCustomersCsv, req, &resp);
                 return Listed(st, resp.created_count() == 1);
               }});
  r.push_back({CUST, "ExportCustomersCsv", kOwner, [](World& w, const Caller& c, Scope s) {
                 const cv1::Customer x = w.NewCustomer(s);
                 cv1::ExportCustomersCsvRequest req;
                 req.set_owner("members/" + w.Rep(s));
                 cv1::ExportCustomersCsvResponse resp;
                 grpc::Status st = w.C(c.token, &S::ExportCustomersCsv, req, &resp);
                 return Listed(st, absl::StrContains(resp.csv(), x.display_name()));
               }});
  return r;
}

std::vector<Row> TargetsRows() {
  using S = tv1::TargetsService::Stub;
  std::vector<Row> r;
  r.push_back({TGT, "CreateFiscalPeriod", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::CreateFiscalPeriodRequest req;
                 req.set_fiscal_period_id(w.Fresh("fp"));
                 req.mutable_fiscal_period()->set_display_name("月度");
                 req.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_MONTH);
                 req.mutable_fiscal_period()->set_fiscal_year(2031);
                 req.mutable_fiscal_period()->set_number(1);
                 tv1::CreateFiscalPeriodResponse resp;
                 return FromStatus(w.T(c.token, &S::CreateFiscalPeriod, req, &resp));
               }});
  r.push_back({TGT, "GetFiscalPeriod", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::GetFiscalPeriodRequest req;
                 req.set_name(w.period);
                 tv1::GetFiscalPeriodResponse resp;
                 return FromStatus(w.T(c.token, &S::GetFiscalPeriod, req, &resp));
               }});
  r.push_back({TGT, "ListFiscalPeriods", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::ListFiscalPeriodsRequest req;
                 req.set_page_size(1000);
                 tv1::ListFiscalPeriodsResponse resp;
                 grpc::Status st = w.T(c.token, &S::ListFiscalPeriods, req, &resp);
                 return FromStatus(st);
               }});
  r.push_back({TGT, "UpdateFiscalPeriod", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::UpdateFiscalPeriodRequest req;
                 req.mutable_fiscal_period()->set_name(w.period);
                 req.mutable_fiscal_period()->set_display_name("本季度（改）");
                 req.mutable_update_mask()->add_paths("display_name");
                 tv1::UpdateFiscalPeriodResponse resp;
                 return FromStatus(w.T(c.token, &S::UpdateFiscalPeriod, req, &resp));
               }});
  r.push_back({TGT, "DeleteFiscalPeriod", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::CreateFiscalPeriodRequest create;
                 create.set_fiscal_period_id(w.Fresh("del"));
                 create.mutable_fiscal_period()->set_display_name("临时");
                 create.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_MONTH);
                 create.mutable_fiscal_period()->set_fiscal_year(2032);
                 create.mutable_fiscal_period()->set_number(2);
                 tv1::CreateFiscalPeriodResponse created;
                 EXPECT_TRUE(w.T(w.Admin(), &S::CreateFiscalPeriod, create, &created).ok());
                 tv1::DeleteFiscalPeriodRequest req;
                 req.set_name(created.fiscal_period().name());
                 tv1::DeleteFiscalPeriodResponse resp;
                 return FromStatus(w.T(c.token, &S::DeleteFiscalPeriod, req, &resp));
               }});
  r.push_back({TGT, "CreatePlan", kTeamPlan, [](World& w, const Caller& c, Scope s) {
                 tv1::CreatePlanRequest req;
                 req.set_plan_id(w.Fresh("tp"));
                 req.mutable_plan()->set_display_name("团队计划");
                 req.mutable_plan()->set_period(w.period);
                 req.mutable_plan()->set_scope("orgUnits/" + w.Team(s));
                 *req.mutable_plan()->mutable_total() = Cny(100000);
                 req.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
                 tv1::CreatePlanResponse resp;
                 return FromStatus(w.T(c.token, &S::CreatePlan, req, &resp));
               }});
  r.push_back({TGT, "GetPlan", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::GetPlanRequest req;
                 req.set_name(w.plan);
                 tv1::GetPlanResponse resp;
                 return FromStatus(w.T(c.token, &S::GetPlan, req, &resp));
               }});
  r.push_back({TGT, "ListPlans", kAny, [](World& w, const Caller& c, Scope) {
                 tv1::ListPlansRequest req;
                 req.set_period(w.period);
                 tv1::ListPlansResponse resp;
                 grpc::Status st = w.T(c.token, &S::ListPlans, req, &resp);
                 return FromStatus(st);
               }});
  r.push_back({TGT, "CreatePlanVersion", kCompany, [](World& w, const Caller& c, Scope) {
                 tv1::CreatePlanVersionRequest req;
                 req.set_source_plan(w.plan);
                 req.set_change_reason("复核");
                 tv1::CreatePlanVersionResponse resp;
                 return FromStatus(w.T(c.token, &S::CreatePlanVersion, req, &resp));
               }});
  r.push_back({TGT, "AllocatePlan", kOwner, [](World& w, const Caller& c, Scope s) {
                 // A draft version of the plan, split in the scope's team cell.
                 tv1::CreatePlanVersionRequest v;
                 v.set_source_plan(w.plan);
                 v.set_change_reason("分解");
                 tv1::CreatePlanVersionResponse draft;
                 EXPECT_TRUE(w.T(w.Admin(), &S::CreatePlanVersion, v, &draft).ok());
                 const std::string cell = w.team_cell[w.Team(s)];
                 tv1::AllocatePlanRequest req;
                 req.set_plan(draft.plan().name());
                 req.set_parent_cell(draft.plan().name() + cell.substr(cell.find("/cells/")));
                 req.set_axis(tv1::ALLOCATION_AXIS_CHANNEL);
                 req.set_method(tv1::ALLOCATION_METHOD_EQUAL);
                 req.add_inputs()->set_key("direct");
                 tv1::AllocatePlanResponse resp;
                 return FromStatus(w.T(c.token, &S::AllocatePlan, req, &resp));
               }});
  r.push_back({TGT, "ListAllocationCells", kOwner, [](World& w, const Caller& c, Scope s) {
                 tv1::ListAllocationCellsRequest req;
                 req.set_plan(w.plan);
                 req.set_member("members/" + w.Rep(s));
                 tv1::ListAllocationCellsResponse resp;
                 grpc::Status st = w.T(c.token, &S::ListAllocationCells, req, &resp);
                 return Listed(st, resp.cells_size() > 0);
               }});
  r.push_back({TGT, "SetPhasing", kCompany, [](World& w, const Caller& c, Scope) {
                 tv1::CreatePlanVersionRequest v;
                 v.set_source_plan(w.plan);
                 v.set_change_reason("季节性");
                 tv1::CreatePlanVersionResponse draft;
                 EXPECT_TRUE(w.T(w.Admin(), &S::CreatePlanVersion, v, &draft).ok());
                 tv1::SetPhasingRequest req;
                 req.set_plan(draft.plan().name());
                 for (int share : {3000, 3000, 4000}) {
                   req.mutable_seasonality()->add_month_share_basis_points(share);
                 }
                 tv1::SetPhasingResponse resp;
                 return FromStatus(w.T(c.token, &S::SetPhasing, req, &resp));
               }});
  r.push_back({TGT, "PublishPlan", kCompany, [](World& w, const Caller& c, Scope) {
                 tv1::CreatePlanVersionRequest v;
                 v.set_source_plan(w.plan);
                 v.set_change_reason("发布");
                 tv1::CreatePlanVersionResponse draft;
                 EXPECT_TRUE(w.T(w.Admin(), &S::CreatePlanVersion, v, &draft).ok());
                 tv1::PublishPlanRequest req;
                 req.set_name(draft.plan().name());
                 tv1::PublishPlanResponse resp;
                 grpc::Status st = w.T(c.token, &S::PublishPlan, req, &resp);
                 if (st.ok()) {
                   w.plan = resp.plan().name();  // the published version from now on
                 }
                 return FromStatus(st);
               }});
  r.push_back({TGT, "GetAttainment", kOwner, [](World& w, const Caller& c, Scope s) {
                 tv1::GetAttainmentRequest req;
                 req.set_period(w.period);
                 req.set_subject("members/" + w.Rep(s));
                 tv1::GetAttainmentResponse resp;
                 return FromStatus(w.T(c.token, &S::GetAttainment, req, &resp));
               }});
  r.push_back({TGT, "ListAttainment", kOwner, [](World& w, const Caller& c, Scope s) {
                 tv1::ListAttainmentRequest req;
                 req.set_period(w.period);
                 req.set_level(tv1::ATTAINMENT_LEVEL_REP);
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 tv1::ListAttainmentResponse resp;
                 grpc::Status st = w.T(c.token, &S::ListAttainment, req, &resp);
                 return Listed(st, Any(resp.attainments(), [&](const auto& a) {
                                 return a.subject() == "members/" + w.Rep(s);
                               }));
               }});
  r.push_back({TGT, "SuggestReallocation", kOwner, [](World& w, const Caller& c, Scope s) {
                 const std::string cell = w.team_cell[w.Team(s)];
                 tv1::SuggestReallocationRequest req;
                 req.set_plan(w.plan);
                 req.set_scope(w.plan + cell.substr(cell.find("/cells/")));
                 tv1::SuggestReallocationResponse resp;
                 return FromStatus(w.T(c.token, &S::SuggestReallocation, req, &resp));
               }});
  r.push_back({TGT, "ApplyReallocation", kOwner, [](World& w, const Caller& c, Scope s) {
                 const std::string a = w.rep_cell[w.Rep(s)], b = w.rep_cell[w.Rep2(s)];
                 tv1::ApplyReallocationRequest req;
                 req.set_plan(w.plan);
                 req.set_reason("调整");
                 auto* mv = req.add_moves();
                 mv->set_from_cell(w.plan + a.substr(a.find("/cells/")));
                 mv->set_to_cell(w.plan + b.substr(b.find("/cells/")));
                 *mv->mutable_amount() = Cny(100);
                 tv1::ApplyReallocationResponse resp;
                 return FromStatus(w.T(c.token, &S::ApplyReallocation, req, &resp));
               }});
  return r;
}

std::vector<Row> WarningRows() {
  using S = wv1::WarningService::Stub;
  std::vector<Row> r;
  r.push_back({WARN, "ListWarnings", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::ListWarningsRequest req;
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 req.add_states(wv1::WARNING_STATE_OPEN);
                 req.add_states(wv1::WARNING_STATE_ACKNOWLEDGED);
                 req.set_page_size(500);
                 wv1::ListWarningsResponse resp;
                 grpc::Status st = w.W(c.token, &S::ListWarnings, req, &resp);
                 return Listed(st, Any(resp.warnings(),
                                       [&](const auto& x) { return x.name() == w.warning_of[s]; }));
               }});
  r.push_back({WARN, "GetWarning", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::GetWarningRequest req;
                 req.set_name(w.warning_of[s]);
                 wv1::GetWarningResponse resp;
                 return FromStatus(w.W(c.token, &S::GetWarning, req, &resp));
               }});
  r.push_back({WARN, "AcknowledgeWarning", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::AcknowledgeWarningRequest req;
                 req.set_name(w.warning_of[s]);
                 req.set_note("已安排");
                 wv1::AcknowledgeWarningResponse resp;
                 return FromStatus(w.W(c.token, &S::AcknowledgeWarning, req, &resp));
               }});
  r.push_back({WARN, "ListRules", kAny, [](World& w, const Caller& c, Scope) {
                 wv1::ListRulesRequest req;
                 wv1::ListRulesResponse resp;
                 return FromStatus(w.W(c.token, &S::ListRules, req, &resp));
               }});
  r.push_back({WARN, "GetRule", kAny, [](World& w, const Caller& c, Scope) {
                 wv1::GetRuleRequest req;
                 req.set_name("rules/opportunity-stalled-proposal");
                 wv1::GetRuleResponse resp;
                 return FromStatus(w.W(c.token, &S::GetRule, req, &resp));
               }});
  r.push_back({WARN, "CreateRule", kAny, [](World& w, const Caller& c, Scope) {
                 wv1::GetRuleRequest get;
                 get.set_name("rules/opportunity-stalled-proposal");
                 wv1::GetRuleResponse base;
                 EXPECT_TRUE(w.W(w.Admin(), &S::GetRule, get, &base).ok());
                 wv1::CreateRuleRequest req;
                 *req.mutable_rule() = base.rule();
                 req.mutable_rule()->set_enabled(false);
                 req.mutable_rule()->clear_overrides();
                 req.set_rule_id(w.Fresh("rule"));
                 wv1::CreateRuleResponse resp;
                 return FromStatus(w.W(c.token, &S::CreateRule, req, &resp));
               }});
  r.push_back({WARN, "UpdateRule", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::GetRuleRequest get;
                 get.set_name("rules/opportunity-stalled-proposal");
                 wv1::GetRuleResponse base;
                 EXPECT_TRUE(w.W(w.Admin(), &S::GetRule, get, &base).ok());
                 wv1::UpdateRuleRequest req;
                 req.mutable_rule()->set_name(base.rule().name());
                 *req.mutable_rule()->mutable_overrides() = base.rule().overrides();
                 bool present = false;
                 for (const auto& o : base.rule().overrides()) {
                   present |= o.org_unit() == "orgUnits/" + w.Team(s);
                 }
                 if (!present) {
                   auto* o = req.mutable_rule()->add_overrides();
                   o->set_org_unit("orgUnits/" + w.Team(s));
                   o->set_severity(base.rule().severity());
                 }
                 req.mutable_update_mask()->add_paths("overrides");
                 req.set_reason("团队阈值");
                 wv1::UpdateRuleResponse resp;
                 return FromStatus(w.W(c.token, &S::UpdateRule, req, &resp));
               }});
  r.push_back({WARN, "CreateProposal", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::CreateProposalRequest req;
                 req.mutable_proposal()->set_title("方案");
                 req.mutable_proposal()->set_description("说明");
                 req.mutable_proposal()->add_warnings(w.warning_of[s]);
                 wv1::CreateProposalResponse resp;
                 return FromStatus(w.W(c.token, &S::CreateProposal, req, &resp));
               }});
  r.push_back({WARN, "GetProposal", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::GetProposalRequest req;
                 req.set_name(w.proposal_of[s]);
                 wv1::GetProposalResponse resp;
                 return FromStatus(w.W(c.token, &S::GetProposal, req, &resp));
               }});
  r.push_back({WARN, "ListProposals", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::ListProposalsRequest req;
                 req.set_warning(w.warning_of[s]);
                 wv1::ListProposalsResponse resp;
                 grpc::Status st = w.W(c.token, &S::ListProposals, req, &resp);
                 return Listed(st, Any(resp.proposals(), [&](const auto& x) {
                                 return x.name() == w.proposal_of[s];
                               }));
               }});
  r.push_back({WARN, "CommentOnProposal", kOwner, [](World& w, const Caller& c, Scope s) {
                 wv1::CommentOnProposalRequest req;
                 req.set_proposal(w.proposal_of[s]);
                 req.set_text("同意");
                 wv1::CommentOnProposalResponse resp;
                 return FromStatus(w.W(c.token, &S::CommentOnProposal, req, &resp));
               }});
  r.push_back({WARN, "VoteOnProposal", kTeamMembers, [](World& w, const Caller& c, Scope s) {
                 wv1::VoteOnProposalRequest req;
                 req.set_proposal(w.proposal_of[s]);
                 req.set_choice(wv1::VOTE_CHOICE_FOR);
                 wv1::VoteOnProposalResponse resp;
                 return FromStatus(w.W(c.token, &S::VoteOnProposal, req, &resp));
               }});
  r.push_back({WARN, "DecideProposal", kOwner, [](World& w, const Caller& c, Scope s) {
                 const std::string sup = Token(Role::kSupervisor, w.Sup(s), w.Team(s));
                 wv1::CreateProposalRequest cp;
                 cp.mutable_proposal()->set_title("待决");
                 cp.mutable_proposal()->set_description("说明");
                 cp.mutable_proposal()->add_warnings(w.warning_of[s]);
                 wv1::CreateProposalResponse created;
                 EXPECT_TRUE(w.W(sup, &S::CreateProposal, cp, &created).ok());
                 wv1::DecideProposalRequest req;
                 req.set_proposal(created.proposal().name());
                 req.set_etag(created.proposal().etag());
                 req.set_outcome(wv1::DECISION_OUTCOME_REJECTED);
                 req.set_rationale("暂缓");
                 wv1::DecideProposalResponse resp;
                 return FromStatus(w.W(c.token, &S::DecideProposal, req, &resp));
               }});
  r.push_back({WARN, "AddAction", kOwner, [](World& w, const Caller& c, Scope s) {
                 const wv1::StrategyProposal p = DecidedProposal(w, s);
                 wv1::AddActionRequest req;
                 req.set_proposal(p.name());
                 req.mutable_action()->set_description("补充");
                 req.mutable_action()->set_owner("members/" + w.Rep(s));
                 *req.mutable_action()->mutable_due_date() =
                     DateOf(absl::Now() + absl::Hours(24 * 60));
                 wv1::AddActionResponse resp;
                 return FromStatus(w.W(c.token, &S::AddAction, req, &resp));
               }});
  r.push_back({WARN, "UpdateAction", kOwner, [](World& w, const Caller& c, Scope s) {
                 const wv1::StrategyProposal p = DecidedProposal(w, s);
                 wv1::UpdateActionRequest req;
                 req.set_proposal(p.name());
                 req.set_action_id(p.actions(0).action_id());
                 req.mutable_action()->set_note("进行中");
                 req.mutable_update_mask()->add_paths("note");
                 wv1::UpdateActionResponse resp;
                 return FromStatus(w.W(c.token, &S::UpdateAction, req, &resp));
               }});
  return r;
}

std::vector<Row> ForecastRows() {
  using S = fv1::ForecastService::Stub;
  std::vector<Row> r;
  r.push_back({FCST, "GetForecast", kOwner, [](World& w, const Caller& c, Scope s) {
                 fv1::GetForecastRequest req;
                 *req.mutable_scope() = w.MemberScope(s);
                 req.set_period(w.period);
                 req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
                 fv1::GetForecastResponse resp;
                 return FromStatus(w.F(c.token, &S::GetForecast, req, &resp));
               }});
  r.push_back({FCST, "ListForecasts", kOwner, [](World& w, const Caller& c, Scope s) {
                 fv1::ListForecastsRequest req;
                 req.set_period(w.period);
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
                 req.set_members_only(true);
                 req.set_page_size(500);
                 fv1::ListForecastsResponse resp;
                 grpc::Status st = w.F(c.token, &S::ListForecasts, req, &resp);
                 return Listed(st, Any(resp.forecasts(), [&](const auto& f) {
                                 return f.scope().member() == "members/" + w.Rep(s);
                               }));
               }});
  r.push_back({FCST, "RollUp", kUnitLeads, [](World& w, const Caller& c, Scope s) {
                 fv1::RollUpRequest req;
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 req.set_period(w.period);
                 req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
                 fv1::RollUpResponse resp;
                 return FromStatus(w.F(c.token, &S::RollUp, req, &resp));
               }});
  r.push_back({FCST, "GetAccuracy", kOwner, [](World& w, const Caller& c, Scope s) {
                 fv1::GetAccuracyRequest req;
                 *req.mutable_scope() = w.MemberScope(s);
                 req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
                 fv1::GetAccuracyResponse resp;
                 return FromStatus(w.F(c.token, &S::GetAccuracy, req, &resp));
               }});
  r.push_back({FCST, "ListForecastSnapshots", kOwner, [](World& w, const Caller& c, Scope s) {
                 fv1::ListForecastSnapshotsRequest req;
                 *req.mutable_scope() = w.MemberScope(s);
                 req.set_period(w.period);
                 fv1::ListForecastSnapshotsResponse resp;
                 return FromStatus(w.F(c.token, &S::ListForecastSnapshots, req, &resp));
               }});
  r.push_back({FCST, "ListStageProbabilities", kOwner, [](World& w, const Caller& c, Scope s) {
                 fv1::ListStageProbabilitiesRequest req;
                 req.set_team("orgUnits/" + w.Team(s));
                 fv1::ListStageProbabilitiesResponse resp;
                 return FromStatus(w.F(c.token, &S::ListStageProbabilities, req, &resp));
               }});
  r.push_back({FCST, "SubmitForecastCall", kForecastCall, [](World& w, const Caller& c, Scope s) {
                 // The scope's rep's number: a rep submits it (their own), the
                 // others adjust it (a scope below them).
                 fv1::SubmitForecastCallRequest req;
                 *req.mutable_call()->mutable_scope() = w.MemberScope(s);
                 req.mutable_call()->set_period(w.period);
                 req.mutable_call()->set_category(fv1::FORECAST_CATEGORY_BEST_CASE);
                 *req.mutable_call()->mutable_amount() = Cny(90000);
                 req.set_kind(c.role == Role::kRep ? fv1::FORECAST_CALL_KIND_SUBMITTED
                                                   : fv1::FORECAST_CALL_KIND_ADJUSTED);
                 fv1::SubmitForecastCallResponse resp;
                 return FromStatus(w.F(c.token, &S::SubmitForecastCall, req, &resp));
               }});
  r.push_back({FCST, "ListForecastCalls", kOwner, [](World& w, const Caller& c, Scope s) {
                 fv1::ListForecastCallsRequest req;
                 req.set_period(w.period);
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 req.set_page_size(500);
                 fv1::ListForecastCallsResponse resp;
                 grpc::Status st = w.F(c.token, &S::ListForecastCalls, req, &resp);
                 return Listed(st, Any(resp.calls(), [&](const auto& x) {
                                 return x.name() == w.forecast_call_of[s];
                               }));
               }});
  return r;
}

std::vector<Row> PerformanceRows() {
  using S = pv1::PerformanceService::Stub;
  std::vector<Row> r;
  // ---- KPI definitions: company-wide reference data.
  r.push_back({PERF, "CreateKpiDefinition", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::CreateKpiDefinitionRequest req;
                 *req.mutable_kpi_definition() = w.KpiFor("矩阵指标" + w.Fresh("k"));
                 // For directors only: no rep's or team's scorecard changes.
                 req.mutable_kpi_definition()->add_roles("director");
                 req.mutable_kpi_definition()->set_weight_basis_points(0);
                 pv1::CreateKpiDefinitionResponse resp;
                 return FromStatus(w.P(c.token, &S::CreateKpiDefinition, req, &resp));
               }});
  r.push_back({PERF, "GetKpiDefinition", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::GetKpiDefinitionRequest req;
                 req.set_name(w.kpi);
                 pv1::GetKpiDefinitionResponse resp;
                 return FromStatus(w.P(c.token, &S::GetKpiDefinition, req, &resp));
               }});
  r.push_back({PERF, "ListKpiDefinitions", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::ListKpiDefinitionsRequest req;
                 req.set_page_size(500);
                 pv1::ListKpiDefinitionsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListKpiDefinitions, req, &resp);
                 return Listed(st, Any(resp.kpi_definitions(),
                                       [&](const auto& k) { return k.name() == w.kpi; }));
               }});
  r.push_back({PERF, "UpdateKpiDefinition", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::UpdateKpiDefinitionRequest req;
                 req.mutable_kpi_definition()->set_name(w.kpi);
                 req.mutable_kpi_definition()->set_display_name("矩阵签约额" + w.Fresh("v"));
                 req.mutable_update_mask()->add_paths("display_name");
                 req.set_reason("改名");
                 pv1::UpdateKpiDefinitionResponse resp;
                 return FromStatus(w.P(c.token, &S::UpdateKpiDefinition, req, &resp));
               }});
  // ---- OKRs of the scope's rep.
  r.push_back({PERF, "CreateOkr", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::CreateOkrRequest req;
                 *req.mutable_okr() = w.OkrFor(s);
                 pv1::CreateOkrResponse resp;
                 return FromStatus(w.P(c.token, &S::CreateOkr, req, &resp));
               }});
  r.push_back({PERF, "GetOkr", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GetOkrRequest req;
                 req.set_name(w.okr_of[s]);
                 pv1::GetOkrResponse resp;
                 return FromStatus(w.P(c.token, &S::GetOkr, req, &resp));
               }});
  r.push_back({PERF, "ListOkrs", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListOkrsRequest req;
                 req.set_subject("members/" + w.Rep(s));
                 req.set_period(w.Quarter());
                 req.set_page_size(500);
                 pv1::ListOkrsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListOkrs, req, &resp);
                 return Listed(
                     st, Any(resp.okrs(), [&](const auto& o) { return o.name() == w.okr_of[s]; }));
               }});
  r.push_back({PERF, "UpdateOkr", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::UpdateOkrRequest req;
                 req.mutable_okr()->set_name(w.okr_of[s]);
                 req.mutable_okr()->set_objective("拓展新客户" + w.Fresh("o"));
                 req.mutable_update_mask()->add_paths("objective");
                 pv1::UpdateOkrResponse resp;
                 return FromStatus(w.P(c.token, &S::UpdateOkr, req, &resp));
               }});
  r.push_back({PERF, "GradeKeyResult", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GradeKeyResultRequest req;
                 req.set_okr(w.okr_of[s]);
                 req.set_key_result_id("kr1");
                 req.set_grade_basis_points(5000);
                 req.set_grade_note("过半");
                 pv1::GradeKeyResultResponse resp;
                 return FromStatus(w.P(c.token, &S::GradeKeyResult, req, &resp));
               }});
  // ---- Scorecards of the scope's rep.
  r.push_back({PERF, "GetScorecard", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GetScorecardRequest req;
                 req.set_subject("members/" + w.Rep(s));
                 req.set_period(w.Quarter());
                 pv1::GetScorecardResponse resp;
                 return FromStatus(w.P(c.token, &S::GetScorecard, req, &resp));
               }});
  r.push_back({PERF, "ListScorecards", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListScorecardsRequest req;
                 req.set_period(w.Quarter());
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 req.set_page_size(500);
                 pv1::ListScorecardsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListScorecards, req, &resp);
                 return Listed(st, Any(resp.scorecards(), [&](const auto& x) {
                                 return x.subject() == "members/" + w.Rep(s);
                               }));
               }});
  r.push_back({PERF, "ComputeScorecard", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ComputeScorecardRequest req;
                 req.set_subject("members/" + w.Rep(s));
                 req.set_period(w.Quarter());
                 pv1::ComputeScorecardResponse resp;
                 return FromStatus(w.P(c.token, &S::ComputeScorecard, req, &resp));
               }});
  // ---- Commission plans: company-wide; the scope's plan names its reps.
  r.push_back({PERF, "CreateCommissionPlan", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::CreateCommissionPlanRequest req;
                 *req.mutable_commission_plan() = w.PlanFor({w.Fresh("nobody")});
                 pv1::CreateCommissionPlanResponse resp;
                 return FromStatus(w.P(c.token, &S::CreateCommissionPlan, req, &resp));
               }});
  r.push_back({PERF, "GetCommissionPlan", kPlanReaders, [](World& w, const Caller& c, Scope s) {
                 pv1::GetCommissionPlanRequest req;
                 req.set_name(w.perf_plan_of[s]);
                 pv1::GetCommissionPlanResponse resp;
                 return FromStatus(w.P(c.token, &S::GetCommissionPlan, req, &resp));
               }});
  r.push_back({PERF, "ListCommissionPlans", kPlanReaders, [](World& w, const Caller& c, Scope s) {
                 pv1::ListCommissionPlansRequest req;
                 req.set_member("members/" + w.Rep(s));
                 req.set_page_size(500);
                 pv1::ListCommissionPlansResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListCommissionPlans, req, &resp);
                 return Listed(st, Any(resp.commission_plans(), [&](const auto& p) {
                                 return p.name() == w.perf_plan_of[s];
                               }));
               }});
  r.push_back({PERF, "UpdateCommissionPlan", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::UpdateCommissionPlanRequest req;
                 req.mutable_commission_plan()->set_name(w.NewDraftPlan());
                 req.mutable_commission_plan()->set_display_name("改名" + w.Fresh("cp"));
                 req.mutable_update_mask()->add_paths("display_name");
                 req.set_reason("改名");
                 pv1::UpdateCommissionPlanResponse resp;
                 return FromStatus(w.P(c.token, &S::UpdateCommissionPlan, req, &resp));
               }});
  r.push_back({PERF, "ActivateCommissionPlan", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::ActivateCommissionPlanRequest req;
                 req.set_name(w.NewDraftPlan());
                 pv1::ActivateCommissionPlanResponse resp;
                 return FromStatus(w.P(c.token, &S::ActivateCommissionPlan, req, &resp));
               }});
  // ---- Credit splits of the scope's rep's won deal.
  r.push_back({PERF, "SetCreditSplit", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::SetCreditSplitRequest req;
                 req.mutable_credit_split()->set_opportunity(w.won_deal_of[s]);
                 auto* share = req.mutable_credit_split()->add_shares();
                 share->set_member("members/" + w.Rep(s));
                 share->set_share_millionths(1'000'000);
                 req.set_reason("独立完成");
                 pv1::SetCreditSplitResponse resp;
                 return FromStatus(w.P(c.token, &S::SetCreditSplit, req, &resp));
               }});
  r.push_back({PERF, "GetCreditSplit", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GetCreditSplitRequest req;
                 req.set_opportunity(w.won_deal_of[s]);
                 pv1::GetCreditSplitResponse resp;
                 return FromStatus(w.P(c.token, &S::GetCreditSplit, req, &resp));
               }});
  // ---- Statements: the rep's (issued, disputed) and the second rep's (a draft).
  r.push_back({PERF, "GetCommissionStatement", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GetCommissionStatementRequest req;
                 req.set_name(w.issued_of[s]);
                 pv1::GetCommissionStatementResponse resp;
                 return FromStatus(w.P(c.token, &S::GetCommissionStatement, req, &resp));
               }});
  r.push_back({PERF, "ListCommissionStatements", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListCommissionStatementsRequest req;
                 req.set_member("members/" + w.Rep(s));
                 req.set_period(w.Quarter());
                 pv1::ListCommissionStatementsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListCommissionStatements, req, &resp);
                 return Listed(st, Any(resp.commission_statements(),
                                       [&](const auto& x) { return x.name() == w.issued_of[s]; }));
               }});
  r.push_back({PERF, "AwardBonus", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::AwardBonusRequest req;
                 req.set_statement(w.draft_of[s]);
                 req.set_bonus_id("special");
                 *req.mutable_amount() = Cny(100);
                 req.set_reason("攻克重点客户");
                 pv1::AwardBonusResponse resp;
                 return FromStatus(w.P(c.token, &S::AwardBonus, req, &resp));
               }});
  r.push_back({PERF, "AdjustCommissionStatement", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::AdjustCommissionStatementRequest req;
                 req.set_statement(w.draft_of[s]);
                 *req.mutable_amount() = Cny(-100);
                 req.set_reason("更正");
                 pv1::AdjustCommissionStatementResponse resp;
                 return FromStatus(w.P(c.token, &S::AdjustCommissionStatement, req, &resp));
               }});
  r.push_back({PERF, "IssueCommissionStatement", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::IssueCommissionStatementRequest req;
                 req.set_name(w.draft_of[s]);
                 pv1::IssueCommissionStatementResponse resp;
                 return FromStatus(w.P(c.token, &S::IssueCommissionStatement, req, &resp));
               }});
  r.push_back({PERF, "MarkCommissionStatementPaid", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::MarkCommissionStatementPaidRequest req;
                 req.set_name(w.issued_of[s]);
                 req.set_payment_reference("PAY-" + w.sfx);
                 pv1::MarkCommissionStatementPaidResponse resp;
                 return FromStatus(w.P(c.token, &S::MarkCommissionStatementPaid, req, &resp));
               }});
  r.push_back(
      {PERF, "RaiseStatementDispute", kStatementRep, [](World& w, const Caller& c, Scope s) {
         pv1::RaiseStatementDisputeRequest req;
         req.set_statement(w.issued_of[s]);
         req.set_line_number(1);
         req.set_reason("提成比例不对");
         pv1::RaiseStatementDisputeResponse resp;
         return FromStatus(w.P(c.token, &S::RaiseStatementDispute, req, &resp));
       }});
  r.push_back({PERF, "ResolveStatementDispute", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ResolveStatementDisputeRequest req;
                 req.set_statement(w.issued_of[s]);
                 req.set_dispute_id("d-1");
                 req.set_resolution(pv1::DISPUTE_RESOLUTION_REJECT);
                 req.set_reason("按方案计算无误");
                 pv1::ResolveStatementDisputeResponse resp;
                 return FromStatus(w.P(c.token, &S::ResolveStatementDispute, req, &resp));
               }});
  r.push_back({PERF, "ListStatementDisputes", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListStatementDisputesRequest req;
                 req.set_member("members/" + w.Rep(s));
                 req.set_page_size(500);
                 pv1::ListStatementDisputesResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListStatementDisputes, req, &resp);
                 return Listed(st, Any(resp.disputes(), [&](const auto& d) {
                                 return d.statement() == w.issued_of[s] && d.dispute_id() == "d-1";
                               }));
               }});
  r.push_back({PERF, "ExportCommissionStatements", kAny, [](World& w, const Caller& c, Scope s) {
                 pv1::ExportCommissionStatementsRequest req;
                 req.set_period(w.Quarter());
                 req.set_org_unit("orgUnits/" + w.Team(s));
                 pv1::ExportCommissionStatementsResponse resp;
                 return FromStatus(w.P(c.token, &S::ExportCommissionStatements, req, &resp));
               }});
  // ---- Biweekly reviews of the scope's rep: supervisors up generate and
  // update them; the rep and those above them read them and work on items.
  r.push_back({PERF, "GenerateReview", kUnitLeads, [](World& w, const Caller& c, Scope s) {
                 pv1::GenerateReviewRequest req;
                 req.set_member("members/" + w.Rep(s));
                 pv1::GenerateReviewResponse resp;
                 return FromStatus(w.P(c.token, &S::GenerateReview, req, &resp));
               }});
  r.push_back({PERF, "GetReview", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GetReviewRequest req;
                 req.set_name(w.review_of[s]);
                 pv1::GetReviewResponse resp;
                 return FromStatus(w.P(c.token, &S::GetReview, req, &resp));
               }});
  r.push_back({PERF, "ListReviews", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListReviewsRequest req;
                 req.set_member("members/" + w.Rep(s));
                 pv1::ListReviewsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListReviews, req, &resp);
                 return Listed(st, Any(resp.reviews(),
                                       [&](const auto& x) { return x.name() == w.review_of[s]; }));
               }});
  r.push_back({PERF, "UpdateReview", kUnitLeads, [](World& w, const Caller& c, Scope s) {
                 pv1::UpdateReviewRequest req;
                 req.mutable_review()->set_name(w.review_of[s]);
                 req.mutable_review()->set_supervisor_notes("矩阵备注");
                 req.mutable_update_mask()->add_paths("supervisor_notes");
                 pv1::UpdateReviewResponse resp;
                 return FromStatus(w.P(c.token, &S::UpdateReview, req, &resp));
               }});
  r.push_back({PERF, "AddActionItem", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::AddActionItemRequest req;
                 req.set_review(w.review_of[s]);
                 req.mutable_action_item()->set_description("矩阵新增行动项");
                 *req.mutable_action_item()->mutable_due_date() = salesops::performance::ToDate(
                     absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) + 7);
                 pv1::AddActionItemResponse resp;
                 return FromStatus(w.P(c.token, &S::AddActionItem, req, &resp));
               }});
  r.push_back({PERF, "UpdateActionItem", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::UpdateActionItemRequest req;
                 req.set_review(w.review_of[s]);
                 req.set_action_item_id("a1");
                 req.set_note("矩阵进展");
                 pv1::UpdateActionItemResponse resp;
                 return FromStatus(w.P(c.token, &S::UpdateActionItem, req, &resp));
               }});
  // ---- The script library: company-wide material, written by supervisors up.
  r.push_back({PERF, "CreateSalesScript", kSupervisorsUp, [](World& w, const Caller& c, Scope) {
                 pv1::CreateSalesScriptRequest req;
                 req.mutable_script()->set_title("矩阵新话术");
                 req.mutable_script()->set_scenario(pv1::SCRIPT_SCENARIO_CLOSING);
                 req.set_body("促成三步");
                 pv1::CreateSalesScriptResponse resp;
                 return FromStatus(w.P(c.token, &S::CreateSalesScript, req, &resp));
               }});
  r.push_back({PERF, "GetSalesScript", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::GetSalesScriptRequest req;
                 req.set_name(w.script);
                 pv1::GetSalesScriptResponse resp;
                 return FromStatus(w.P(c.token, &S::GetSalesScript, req, &resp));
               }});
  r.push_back({PERF, "ListSalesScripts", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::ListSalesScriptsRequest req;
                 req.set_scenario(pv1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
                 req.set_page_size(500);
                 pv1::ListSalesScriptsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListSalesScripts, req, &resp);
                 return Listed(
                     st, Any(resp.scripts(), [&](const auto& x) { return x.name() == w.script; }));
               }});
  r.push_back({PERF, "AddScriptVersion", kSupervisorsUp, [](World& w, const Caller& c, Scope) {
                 pv1::AddScriptVersionRequest req;
                 req.set_script(w.script);
                 req.set_body("矩阵新版本");
                 pv1::AddScriptVersionResponse resp;
                 return FromStatus(w.P(c.token, &S::AddScriptVersion, req, &resp));
               }});
  r.push_back({PERF, "SetScriptVersionState", kSupervisorsUp, [](World& w, const Caller& c, Scope) {
                 pv1::SetScriptVersionStateRequest req;
                 req.set_script(w.script);
                 req.set_version(3);
                 req.set_state(pv1::SCRIPT_VERSION_STATE_IN_REVIEW);
                 pv1::SetScriptVersionStateResponse resp;
                 return FromStatus(w.P(c.token, &S::SetScriptVersionState, req, &resp));
               }});
  r.push_back({PERF, "CompareScriptVersions", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::CompareScriptVersionsRequest req;
                 req.set_script(w.script);
                 req.set_version_a(1);
                 req.set_version_b(2);
                 pv1::CompareScriptVersionsResponse resp;
                 return FromStatus(w.P(c.token, &S::CompareScriptVersions, req, &resp));
               }});
  r.push_back({PERF, "RateSalesScript", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::RateSalesScriptRequest req;
                 req.set_script(w.script);
                 req.set_stars(4);
                 pv1::RateSalesScriptResponse resp;
                 return FromStatus(w.P(c.token, &S::RateSalesScript, req, &resp));
               }});
  // A use on the scope rep's deal: its owner and those above them.
  r.push_back({PERF, "RecordScriptUse", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::RecordScriptUseRequest req;
                 req.set_script(w.script);
                 req.set_opportunity(w.won_deal_of[s]);
                 pv1::RecordScriptUseResponse resp;
                 return FromStatus(w.P(c.token, &S::RecordScriptUse, req, &resp));
               }});
  // ---- Training: programmes are company-wide; enrolments, attendance and
  // drills are about the scope's reps.
  r.push_back(
      {PERF, "CreateTrainingProgramme", kSupervisorsUp, [](World& w, const Caller& c, Scope) {
         pv1::CreateTrainingProgrammeRequest req;
         req.mutable_programme()->set_title("矩阵新训练营");
         auto* m = req.mutable_programme()->add_modules();
         m->set_module_id("m1");
         m->set_title("开场");
         pv1::CreateTrainingProgrammeResponse resp;
         return FromStatus(w.P(c.token, &S::CreateTrainingProgramme, req, &resp));
       }});
  r.push_back({PERF, "GetTrainingProgramme", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::GetTrainingProgrammeRequest req;
                 req.set_name(w.programme);
                 pv1::GetTrainingProgrammeResponse resp;
                 return FromStatus(w.P(c.token, &S::GetTrainingProgramme, req, &resp));
               }});
  r.push_back({PERF, "ListTrainingProgrammes", kAny, [](World& w, const Caller& c, Scope) {
                 pv1::ListTrainingProgrammesRequest req;
                 req.set_page_size(500);
                 pv1::ListTrainingProgrammesResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListTrainingProgrammes, req, &resp);
                 return Listed(st, Any(resp.programmes(),
                                       [&](const auto& x) { return x.name() == w.programme; }));
               }});
  r.push_back({PERF, "EnrolMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::EnrolMemberRequest req;
                 req.set_programme(w.programme);
                 req.set_member("members/" + w.Rep(s));
                 pv1::EnrolMemberResponse resp;
                 return FromStatus(w.P(c.token, &S::EnrolMember, req, &resp));
               }});
  r.push_back({PERF, "ListEnrolments", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListEnrolmentsRequest req;
                 req.set_member("members/" + w.Rep(s));
                 pv1::ListEnrolmentsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListEnrolments, req, &resp);
                 return Listed(st, Any(resp.enrolments(), [&](const auto& x) {
                                 return x.member() == "members/" + w.Rep(s);
                               }));
               }});
  r.push_back({PERF, "RecordAttendance", kUnitLeads, [](World& w, const Caller& c, Scope s) {
                 pv1::RecordAttendanceRequest req;
                 req.set_enrolment(w.programme + "/enrolments/" + w.Rep(s));
                 req.set_session_id("s1");
                 req.set_attended(true);
                 pv1::RecordAttendanceResponse resp;
                 return FromStatus(w.P(c.token, &S::RecordAttendance, req, &resp));
               }});
  // A role play of the scope's second rep: a teammate (the rep) or those above them.
  r.push_back({PERF, "RecordDrill", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::RecordDrillRequest req;
                 req.mutable_drill()->set_member("members/" + w.Rep2(s));
                 req.mutable_drill()->set_kind(pv1::DRILL_KIND_ROLE_PLAY);
                 req.mutable_drill()->set_scenario(pv1::SCRIPT_SCENARIO_NEGOTIATION);
                 req.mutable_drill()->set_score_basis_points(6'500);
                 pv1::RecordDrillResponse resp;
                 return FromStatus(w.P(c.token, &S::RecordDrill, req, &resp));
               }});
  r.push_back({PERF, "ListDrills", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::ListDrillsRequest req;
                 req.set_member("members/" + w.Rep(s));
                 pv1::ListDrillsResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListDrills, req, &resp);
                 return Listed(st, Any(resp.drills(), [&](const auto& x) {
                                 return x.member() == "members/" + w.Rep(s);
                               }));
               }});
  r.push_back({PERF, "GetDrillProgress", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::GetDrillProgressRequest req;
                 req.set_member("members/" + w.Rep(s));
                 pv1::GetDrillProgressResponse resp;
                 return FromStatus(w.P(c.token, &S::GetDrillProgress, req, &resp));
               }});
  // ---- The case library: everyone learns from it; the deal's owner and
  // those above them add lessons.
  r.push_back({PERF, "ListNegotiationCases", kAny, [](World& w, const Caller& c, Scope s) {
                 pv1::ListNegotiationCasesRequest req;
                 req.set_query("矩阵赢单");
                 req.set_page_size(500);
                 pv1::ListNegotiationCasesResponse resp;
                 grpc::Status st = w.P(c.token, &S::ListNegotiationCases, req, &resp);
                 return Listed(st, Any(resp.cases(),
                                       [&](const auto& x) { return x.name() == w.case_of[s]; }));
               }});
  r.push_back({PERF, "AnnotateNegotiationCase", kOwner, [](World& w, const Caller& c, Scope s) {
                 pv1::AnnotateNegotiationCaseRequest req;
                 req.set_name(w.case_of[s]);
                 req.set_note("矩阵复盘要点");
                 pv1::AnnotateNegotiationCaseResponse resp;
                 return FromStatus(w.P(c.token, &S::AnnotateNegotiationCase, req, &resp));
               }});
  return r;
}

std::vector<Row> SyncRows() {
  using S = sv1::SyncService::Stub;
  std::vector<Row> r;
  // ---- feedback
  r.push_back({SYNC, "SubmitFeedback", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::SubmitFeedbackRequest req;
                 req.mutable_feedback()->set_kind(sv1::FEEDBACK_KIND_DEFECT);
                 req.mutable_feedback()->set_title("矩阵缺陷");
                 req.mutable_feedback()->add_opportunities(w.sync_deal_of[s]);
                 sv1::SubmitFeedbackResponse resp;
                 return FromStatus(w.Y(c.token, &S::SubmitFeedback, req, &resp));
               }});
  r.push_back({SYNC, "GetFeedback", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::GetFeedbackRequest req;
                 req.set_name(w.feedback_of[s]);
                 sv1::GetFeedbackResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetFeedback, req, &resp));
               }});
  r.push_back({SYNC, "ListFeedback", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ListFeedbackRequest req;
                 req.set_author("members/" + w.Rep(s));
                 req.set_page_size(500);
                 sv1::ListFeedbackResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListFeedback, req, &resp);
                 return Listed(st, Any(resp.feedback(), [&](const auto& f) {
                                 return f.name() == w.feedback_of[s];
                               }));
               }});
  // Routing and answering are the routed department's (none of the callers
  // is in product or marketing) and admins'.
  r.push_back({SYNC, "RouteFeedback", kAdminOnly, [](World& w, const Caller& c, Scope s) {
                 sv1::RouteFeedbackRequest req;
                 req.set_name(w.feedback_of[s]);
                 req.set_routed_to("orgUnits/" + w.marketing());
                 sv1::RouteFeedbackResponse resp;
                 return FromStatus(w.Y(c.token, &S::RouteFeedback, req, &resp));
               }});
  r.push_back({SYNC, "RespondToFeedback", kAdminOnly, [](World& w, const Caller& c, Scope s) {
                 sv1::RespondToFeedbackRequest req;
                 req.set_name(w.feedback_of[s]);
                 req.set_state(sv1::FEEDBACK_STATE_DONE);
                 req.set_response("已支持");
                 sv1::RespondToFeedbackResponse resp;
                 return FromStatus(w.Y(c.token, &S::RespondToFeedback, req, &resp));
               }});
  r.push_back({SYNC, "GetFeedbackRouting", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::GetFeedbackRoutingResponse resp;
                 return FromStatus(
                     w.Y(c.token, &S::GetFeedbackRouting, sv1::GetFeedbackRoutingRequest(), &resp));
               }});
  r.push_back({SYNC, "UpdateFeedbackRouting", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::GetFeedbackRoutingResponse current;
                 grpc::Status st = w.Y(w.Admin(), &S::GetFeedbackRouting,
                                       sv1::GetFeedbackRoutingRequest(), &current);
                 if (!st.ok()) {
                   return FromStatus(st);
                 }
                 sv1::UpdateFeedbackRoutingRequest req;
                 *req.mutable_routing() = current.routing();
                 req.mutable_routing()->clear_etag();
                 sv1::UpdateFeedbackRoutingResponse resp;
                 return FromStatus(w.Y(c.token, &S::UpdateFeedbackRouting, req, &resp));
               }});
  // Managers see their region's insights; directors and admins all.
  r.push_back({SYNC, "GetFeedbackInsights", kManagersUp, [](World& w, const Caller& c, Scope s) {
                 sv1::GetFeedbackInsightsRequest req;
                 req.set_region("orgUnits/" + w.Region(s));
                 sv1::GetFeedbackInsightsResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetFeedbackInsights, req, &resp));
               }});
  // ---- launches: written by product and marketing (and admins), read by all once announced
  r.push_back({SYNC, "CreateLaunch", kAdminOnly, [](World& w, const Caller& c, Scope) {
                 sv1::CreateLaunchRequest req;
                 req.mutable_launch()->set_title("矩阵新版本");
                 req.mutable_launch()->set_kind(sv1::LAUNCH_KIND_NEW_VERSION);
                 req.mutable_launch()->set_product_line("orgUnits/" + w.pl());
                 sv1::CreateLaunchResponse resp;
                 return FromStatus(w.Y(c.token, &S::CreateLaunch, req, &resp));
               }});
  r.push_back({SYNC, "GetLaunch", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::GetLaunchRequest req;
                 req.set_name(w.launch);
                 sv1::GetLaunchResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetLaunch, req, &resp));
               }});
  r.push_back({SYNC, "ListLaunches", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::ListLaunchesRequest req;
                 req.set_product_line("orgUnits/" + w.pl());
                 req.set_page_size(500);
                 sv1::ListLaunchesResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListLaunches, req, &resp);
                 return Listed(
                     st, Any(resp.launches(), [&](const auto& l) { return l.name() == w.launch; }));
               }});
  r.push_back({SYNC, "UpdateLaunch", kAdminOnly, [](World& w, const Caller& c, Scope) {
                 sv1::UpdateLaunchRequest req;
                 req.mutable_launch()->set_name(w.launch);
                 req.mutable_launch()->set_title("矩阵新品（修订）");
                 req.mutable_update_mask()->add_paths("title");
                 sv1::UpdateLaunchResponse resp;
                 return FromStatus(w.Y(c.token, &S::UpdateLaunch, req, &resp));
               }});
  r.push_back({SYNC, "AnnounceLaunch", kAdminOnly, [](World& w, const Caller& c, Scope) {
                 sv1::AnnounceLaunchRequest req;
                 req.set_name(w.launch);
                 sv1::AnnounceLaunchResponse resp;
                 return FromStatus(w.Y(c.token, &S::AnnounceLaunch, req, &resp));
               }});
  // ---- insights: managers and up (and product, marketing) publish; everyone reads
  r.push_back({SYNC, "PublishInsight", kManagersAny, [](World& w, const Caller& c, Scope) {
                 sv1::PublishInsightRequest req;
                 req.mutable_insight()->set_kind(sv1::INSIGHT_KIND_MARKET_TREND);
                 req.mutable_insight()->set_title("矩阵市场变化");
                 sv1::PublishInsightResponse resp;
                 return FromStatus(w.Y(c.token, &S::PublishInsight, req, &resp));
               }});
  r.push_back({SYNC, "GetInsight", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::GetInsightRequest req;
                 req.set_name(w.insight);
                 sv1::GetInsightResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetInsight, req, &resp));
               }});
  r.push_back({SYNC, "ListInsights", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::ListInsightsRequest req;
                 req.set_kind(sv1::INSIGHT_KIND_COMPETITOR);
                 req.set_page_size(500);
                 sv1::ListInsightsResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListInsights, req, &resp);
                 return Listed(st, Any(resp.insights(),
                                       [&](const auto& i) { return i.name() == w.insight; }));
               }});
  // Its author (an admin here) or an admin archives it.
  r.push_back({SYNC, "ArchiveInsight", kAdminOnly, [](World& w, const Caller& c, Scope) {
                 sv1::ArchiveInsightRequest req;
                 req.set_name(w.insight);
                 sv1::ArchiveInsightResponse resp;
                 return FromStatus(w.Y(c.token, &S::ArchiveInsight, req, &resp));
               }});
  // ---- campaigns and leads: marketing (directors, admins) runs campaigns;
  // the assigned rep's line works a lead (directors only read it).
  r.push_back({SYNC, "CreateCampaign", kCompany, [](World& w, const Caller& c, Scope) {
                 sv1::CreateCampaignRequest req;
                 req.mutable_campaign()->set_title("矩阵活动");
                 req.mutable_campaign()->set_first_contact_sla_hours(24);
                 sv1::CreateCampaignResponse resp;
                 return FromStatus(w.Y(c.token, &S::CreateCampaign, req, &resp));
               }});
  r.push_back({SYNC, "GetCampaign", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::GetCampaignRequest req;
                 req.set_name(w.campaign);
                 sv1::GetCampaignResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetCampaign, req, &resp));
               }});
  r.push_back({SYNC, "ListCampaigns", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::ListCampaignsRequest req;
                 req.set_page_size(500);
                 sv1::ListCampaignsResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListCampaigns, req, &resp);
                 return Listed(st, Any(resp.campaigns(),
                                       [&](const auto& x) { return x.name() == w.campaign; }));
               }});
  r.push_back({SYNC, "HandOverLeads", kCompany, [](World& w, const Caller& c, Scope s) {
                 sv1::HandOverLeadsRequest req;
                 req.set_campaign(w.campaign);
                 sv1::CampaignLead* l = req.add_leads();
                 l->set_company_name("矩阵线索" + w.Fresh("hl"));
                 l->set_assigned_rep("members/" + w.Rep(s));
                 sv1::HandOverLeadsResponse resp;
                 return FromStatus(w.Y(c.token, &S::HandOverLeads, req, &resp));
               }});
  r.push_back({SYNC, "GetLead", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::GetLeadRequest req;
                 req.set_name(w.lead_of[s]);
                 sv1::GetLeadResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetLead, req, &resp));
               }});
  r.push_back({SYNC, "ListLeads", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ListLeadsRequest req;
                 req.set_assigned_rep("members/" + w.Rep(s));
                 req.set_page_size(500);
                 sv1::ListLeadsResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListLeads, req, &resp);
                 return Listed(st, Any(resp.leads(),
                                       [&](const auto& l) { return l.name() == w.lead_of[s]; }));
               }});
  r.push_back({SYNC, "RecordLeadContact", kLeadWorkers, [](World& w, const Caller& c, Scope s) {
                 sv1::RecordLeadContactRequest req;
                 req.set_name(w.lead_of[s]);
                 req.set_note("已电话联系");
                 sv1::RecordLeadContactResponse resp;
                 return FromStatus(w.Y(c.token, &S::RecordLeadContact, req, &resp));
               }});
  r.push_back({SYNC, "UpdateLeadOutcome", kLeadWorkers, [](World& w, const Caller& c, Scope s) {
                 sv1::UpdateLeadOutcomeRequest req;
                 req.set_name(w.lead_of[s]);
                 req.set_state(sv1::LEAD_STATE_DISQUALIFIED);
                 req.set_note("无预算");
                 sv1::UpdateLeadOutcomeResponse resp;
                 return FromStatus(w.Y(c.token, &S::UpdateLeadOutcome, req, &resp));
               }});
  // ---- customer shares
  r.push_back({SYNC, "ShareCustomer", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ShareCustomerRequest req;
                 req.mutable_share()->set_customer(w.sync_customer_of[s]);
                 req.mutable_share()->set_recipient("systems/matrix-bi");
                 req.mutable_share()->set_purpose("经营分析");
                 sv1::ShareCustomerResponse resp;
                 return FromStatus(w.Y(c.token, &S::ShareCustomer, req, &resp));
               }});
  r.push_back({SYNC, "ListCustomerShares", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ListCustomerSharesRequest req;
                 req.set_customer(w.sync_customer_of[s]);
                 req.set_page_size(500);
                 sv1::ListCustomerSharesResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListCustomerShares, req, &resp);
                 return Listed(st, Any(resp.shares(),
                                       [&](const auto& x) { return x.name() == w.share_of[s]; }));
               }});
  // Who shared it, the customer's manager, directors and admins (not the supervisor).
  r.push_back(
      {SYNC, "RevokeCustomerShare", kSharerOrManager, [](World& w, const Caller& c, Scope s) {
         sv1::RevokeCustomerShareRequest req;
         req.set_name(w.share_of[s]);
         req.set_reason("矩阵撤销");
         sv1::RevokeCustomerShareResponse resp;
         return FromStatus(w.Y(c.token, &S::RevokeCustomerShare, req, &resp));
       }});
  // ---- task forces (each scope's deal has one, proposed automatically; the
  // first allowed call forms it, later ones meet its state)
  r.push_back({SYNC, "ProposeTaskForce", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ProposeTaskForceRequest req;
                 req.mutable_task_force()->set_opportunity(w.sync_deal_of[s]);
                 sv1::ProposeTaskForceResponse resp;
                 return FromStatus(w.Y(c.token, &S::ProposeTaskForce, req, &resp));
               }});
  r.push_back({SYNC, "GetTaskForce", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::GetTaskForceRequest req;
                 req.set_name(w.tf_of[s]);
                 sv1::GetTaskForceResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetTaskForce, req, &resp));
               }});
  r.push_back({SYNC, "ListTaskForces", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ListTaskForcesRequest req;
                 req.set_opportunity(w.sync_deal_of[s]);
                 sv1::ListTaskForcesResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListTaskForces, req, &resp);
                 return Listed(st, Any(resp.task_forces(),
                                       [&](const auto& t) { return t.name() == w.tf_of[s]; }));
               }});
  r.push_back({SYNC, "FormTaskForce", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::FormTaskForceRequest req;
                 req.set_name(w.tf_of[s]);
                 auto add = [&](const std::string& m, sv1::TaskForceRole role,
                                sv1::TaskForceFunction f) {
                   sv1::TaskForceMember* x = req.add_members();
                   x->set_member("members/" + m);
                   x->set_role(role);
                   x->set_function(f);
                 };
                 add(w.Rep(s), sv1::TASK_FORCE_ROLE_LEAD, sv1::TASK_FORCE_FUNCTION_SALES);
                 add(w.Sup(s), sv1::TASK_FORCE_ROLE_SPONSOR, sv1::TASK_FORCE_FUNCTION_SALES);
                 add(w.Rep2(s), sv1::TASK_FORCE_ROLE_MEMBER, sv1::TASK_FORCE_FUNCTION_PRE_SALES);
                 sv1::FormTaskForceResponse resp;
                 return FromStatus(w.Y(c.token, &S::FormTaskForce, req, &resp));
               }});
  r.push_back({SYNC, "DeclineTaskForce", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::DeclineTaskForceRequest req;
                 req.set_name(w.tf_of[s]);
                 req.set_reason("矩阵婉拒");
                 sv1::DeclineTaskForceResponse resp;
                 return FromStatus(w.Y(c.token, &S::DeclineTaskForce, req, &resp));
               }});
  r.push_back({SYNC, "AddTaskForceMember", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::AddTaskForceMemberRequest req;
                 req.set_name(w.tf_of[s]);
                 req.mutable_member()->set_member("members/" + w.Rep2(s));
                 req.mutable_member()->set_role(sv1::TASK_FORCE_ROLE_MEMBER);
                 req.mutable_member()->set_function(sv1::TASK_FORCE_FUNCTION_DELIVERY);
                 sv1::AddTaskForceMemberResponse resp;
                 return FromStatus(w.Y(c.token, &S::AddTaskForceMember, req, &resp));
               }});
  // Milestones are the working team's: lead, sponsor (and a milestone's owner), directors, admins.
  r.push_back({SYNC, "UpdateMilestone", kLeadSponsor, [](World& w, const Caller& c, Scope s) {
                 sv1::UpdateMilestoneRequest req;
                 req.set_task_force(w.tf_of[s]);
                 req.mutable_milestone()->set_title("矩阵里程碑");
                 sv1::UpdateMilestoneResponse resp;
                 return FromStatus(w.Y(c.token, &S::UpdateMilestone, req, &resp));
               }});
  r.push_back({SYNC, "PostTaskForceUpdate", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::PostTaskForceUpdateRequest req;
                 req.set_task_force(w.tf_of[s]);
                 req.set_text("矩阵进展");
                 sv1::PostTaskForceUpdateResponse resp;
                 return FromStatus(w.Y(c.token, &S::PostTaskForceUpdate, req, &resp));
               }});
  r.push_back({SYNC, "AgreeCreditSplit", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::AgreeCreditSplitRequest req;
                 req.set_name(w.tf_of[s]);
                 sv1::CreditShare* x = req.add_shares();
                 x->set_member("members/" + w.Rep(s));
                 x->set_share_millionths(1'000'000);
                 sv1::AgreeCreditSplitResponse resp;
                 return FromStatus(w.Y(c.token, &S::AgreeCreditSplit, req, &resp));
               }});
  r.push_back({SYNC, "CloseTaskForce", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::CloseTaskForceRequest req;
                 req.set_name(w.tf_of[s]);
                 req.set_outcome(sv1::TASK_FORCE_OUTCOME_WON);
                 sv1::CloseTaskForceResponse resp;
                 return FromStatus(w.Y(c.token, &S::CloseTaskForce, req, &resp));
               }});
  r.push_back({SYNC, "GetTaskForcePolicy", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::GetTaskForcePolicyResponse resp;
                 return FromStatus(
                     w.Y(c.token, &S::GetTaskForcePolicy, sv1::GetTaskForcePolicyRequest(), &resp));
               }});
  r.push_back({SYNC, "UpdateTaskForcePolicy", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::UpdateTaskForcePolicyRequest req;
                 req.mutable_policy()->set_enabled(true);
                 req.mutable_update_mask()->add_paths("enabled");
                 sv1::UpdateTaskForcePolicyResponse resp;
                 return FromStatus(w.Y(c.token, &S::UpdateTaskForcePolicy, req, &resp));
               }});
  // ---- receptions (planned by each scope's rep)
  r.push_back({SYNC, "PlanReception", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::PlanReceptionRequest req;
                 sv1::CustomerReception* x = req.mutable_reception();
                 x->set_customer(w.sync_customer_of[s]);
                 x->set_title("矩阵来访");
                 *x->mutable_visit_date() = DateOf(absl::Now() + absl::Hours(24 * 10));
                 sv1::ReceptionHost* h1 = x->add_hosts();
                 h1->set_member("members/" + w.Rep(s));
                 h1->set_department(sv1::DEPARTMENT_SALES);
                 sv1::ReceptionHost* h2 = x->add_hosts();
                 h2->set_member("members/" + w.Rep2(s));
                 h2->set_department(sv1::DEPARTMENT_MARKETING);
                 sv1::PlanReceptionResponse resp;
                 return FromStatus(w.Y(c.token, &S::PlanReception, req, &resp));
               }});
  r.push_back({SYNC, "GetReception", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::GetReceptionRequest req;
                 req.set_name(w.reception_of[s]);
                 sv1::GetReceptionResponse resp;
                 return FromStatus(w.Y(c.token, &S::GetReception, req, &resp));
               }});
  r.push_back({SYNC, "ListReceptions", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::ListReceptionsRequest req;
                 req.set_customer(w.sync_customer_of[s]);
                 req.set_page_size(500);
                 sv1::ListReceptionsResponse resp;
                 grpc::Status st = w.Y(c.token, &S::ListReceptions, req, &resp);
                 return Listed(st, Any(resp.receptions(), [&](const auto& x) {
                                 return x.name() == w.reception_of[s];
                               }));
               }});
  r.push_back({SYNC, "UpdateReception", kOwner, [](World& w, const Caller& c, Scope s) {
                 sv1::UpdateReceptionRequest req;
                 req.set_name(w.reception_of[s]);
                 req.set_state(sv1::RECEPTION_STATE_CONFIRMED);
                 req.set_summary("确认来访");
                 sv1::UpdateReceptionResponse resp;
                 return FromStatus(w.Y(c.token, &S::UpdateReception, req, &resp));
               }});
  // ---- notifications: routes and deliveries for directors and admins; a retry for admins
  r.push_back({SYNC, "ListNotificationRoutes", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::ListNotificationRoutesResponse resp;
                 return FromStatus(w.Y(c.token, &S::ListNotificationRoutes,
                                       sv1::ListNotificationRoutesRequest(), &resp));
               }});
  r.push_back({SYNC, "ListDeliveries", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::ListDeliveriesRequest req;
                 req.set_page_size(5);
                 sv1::ListDeliveriesResponse resp;
                 return FromStatus(w.Y(c.token, &S::ListDeliveries, req, &resp));
               }});
  r.push_back({SYNC, "RetryDelivery", kAny, [](World& w, const Caller& c, Scope) {
                 sv1::RetryDeliveryRequest req;
                 req.set_name(w.delivery);
                 sv1::RetryDeliveryResponse resp;
                 return FromStatus(w.Y(c.token, &S::RetryDelivery, req, &resp));
               }});
  return r;
}

std::vector<Row> Rows() {
  std::vector<Row> all;
  for (auto rows : {OrgRows(), CustomersRows(), TargetsRows(), WarningRows(), ForecastRows(),
                    PerformanceRows(), SyncRows()}) {
    for (auto& r : rows) {
      all.push_back(std::move(r));
    }
  }
  return all;
}

}  // namespace
}  // namespace salesops::testing
