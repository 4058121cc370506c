// WarningApi over its in-memory store (store/in_memory_warning_store.h), wired as main.cc wires it
// (WarningStore, OrgDirectory, RuleSet seeded with the shipped rules, WarningEngine,
// WarningScheduler re-evaluating after a rule change), the org chart filled
// through the real directory projection, warnings raised the way production
// raises them (a customers event handed to the WarningConsumer), and a fake
// clock: what each use case writes and emits, what it refuses and with which
// status, reason and field, and who may see what — without Redis, Kafka or gRPC.
//
// Role gates that live in the method policy (the RpcRunner applies
// WarningMethodPolicy() before the handler runs) are checked on the policy;
// everything else on the handlers.
#include "services/warning/api/warning_api.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/directory/testing/directory_seed.h"
#include "common/docstore/in_memory_kv.h"
#include "common/events/cloud_event.h"
#include "common/projection/projection_store.h"
#include "common/status/errors.h"
#include "common/testing/api_test_support.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/warning/domain/rules.h"
#include "services/warning/domain/subjects.h"
#include "services/warning/events/warning_consumer.h"
#include "services/warning/jobs/scheduler.h"
#include "services/warning/store/in_memory_warning_store.h"
#include "services/warning/store/rule_set.h"
#include "services/warning/store/warning_store.h"

namespace salesops::warning {
namespace {

namespace ov1 = ::salesops::org::v1;
namespace cv1 = ::salesops::customers::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kOverdueRule[] = "rules/payment-overdue";

using ::salesops::test_support::BusinessZone;
constexpr auto FieldOf = &::salesops::test_support::FirstViolatedField;

std::vector<std::string> FieldsOf(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

EngineOptions Options() {
  EngineOptions o;
  o.tz = BusinessZone();
  return o;
}

class WarningApiTest : public ::testing::Test {
 protected:
  // The org chart: two regions, three teams; reps, a supervisor per team but
  // t-sh (its warnings go up to the east manager), a manager per region and a
  // director. Published as the org service does. Then the shipped rules, as
  // main.cc seeds them.
  void SetUp() override {
    seed_.Unit("acme", "", ov1::ORG_UNIT_KIND_COMPANY);
    seed_.Unit("east", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("west", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("t-hz", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-sh", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-cd", "west", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Member("rep-1", "t-hz", ov1::ROLE_REP);
    seed_.Member("rep-2", "t-hz", ov1::ROLE_REP);
    seed_.Member("sup-1", "t-hz", ov1::ROLE_SUPERVISOR);
    seed_.Member("rep-3", "t-cd", ov1::ROLE_REP);
    seed_.Member("sup-3", "t-cd", ov1::ROLE_SUPERVISOR);
    seed_.Member("rep-4", "t-sh", ov1::ROLE_REP);
    seed_.Member("mgr-e", "east", ov1::ROLE_MANAGER);
    seed_.Member("mgr-w", "west", ov1::ROLE_MANAGER);
    seed_.Member("dir-1", "acme", ov1::ROLE_DIRECTOR);
    absl::StatusOr<RuleList> shipped = DefaultRules();
    ASSERT_TRUE(shipped.ok()) << shipped.status();
    shipped_rules_ = static_cast<int>(shipped->size());
    ASSERT_TRUE(rules_.Seed(*shipped, clock_.Now()).ok());
  }

  static CallContext As(Role role, std::string member, std::string unit) {
    return CallContext{{std::move(member), role, std::move(unit)}, kTrace, "test"};
  }

  salesops::common::v1::Date DateIn(absl::Duration from_now) const {
    const absl::CivilDay d = absl::ToCivilDay(clock_.Now() + from_now, tz_);
    salesops::common::v1::Date out;
    out.set_year(static_cast<int>(d.year()));
    out.set_month(d.month());
    out.set_day(d.day());
    return out;
  }

  // The customers service reports an instalment of `contract` (owned by `rep`
  // of `team`) ten days overdue; the engine consumes it as in production.
  // Returns the warning it raised (read from the store, etag filled).
  v1::Warning RaiseOverdue(const std::string& contract, const std::string& rep,
                           const std::string& team) {
    cv1::PaymentOverdue e;
    e.set_contract(absl::StrCat("contracts/", contract));
    e.set_customer(absl::StrCat("customers/c-", contract));
    e.set_instalment_id("1");
    *e.mutable_due_date() = DateIn(-absl::Hours(24 * 10));
    e.mutable_outstanding()->set_amount_minor(1'000'000);
    e.mutable_outstanding()->set_currency_code("CNY");
    e.set_owner(absl::StrCat("members/", rep));
    e.set_team(absl::StrCat("orgUnits/", team));
    CloudEvent ce =
        MakeCloudEvent("/salesops/customers", contract, e.contract(), e, clock_.Now(), kTrace);
    absl::Status s = consumer_.Handle(ce);
    EXPECT_TRUE(s.ok()) << s;
    absl::StatusOr<std::vector<Versioned<v1::Warning>>> active =
        store_.ActiveWarnings(SubjectKey(e.contract(), ""));
    EXPECT_TRUE(active.ok()) << active.status();
    if (!active.ok() || active->size() != 1) {
      ADD_FAILURE() << "expected one active warning on " << e.contract();
      return v1::Warning();
    }
    v1::Warning w = (*active)[0].doc;
    w.set_etag(absl::StrCat((*active)[0].version));
    return w;
  }

  absl::StatusOr<v1::Warning> GetWarning(const CallContext& call, const std::string& name) {
    v1::GetWarningRequest req;
    req.set_name(name);
    v1::GetWarningResponse resp;
    absl::Status s = api_.GetWarning(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.warning();
  }

  absl::StatusOr<std::vector<std::string>> ListWarningNames(const CallContext& call,
                                                            v1::ListWarningsRequest req = {}) {
    v1::ListWarningsResponse resp;
    absl::Status s = api_.ListWarnings(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    std::vector<std::string> out;
    for (const v1::Warning& w : resp.warnings()) {
      out.push_back(w.name());
    }
    return out;
  }

  absl::StatusOr<v1::Warning> Acknowledge(const CallContext& call, const std::string& name,
                                          const std::string& etag, const std::string& note) {
    v1::AcknowledgeWarningRequest req;
    req.set_name(name);
    req.set_etag(etag);
    req.set_note(note);
    v1::AcknowledgeWarningResponse resp;
    absl::Status s = api_.AcknowledgeWarning(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.warning();
  }

  absl::StatusOr<v1::Rule> GetRule(const CallContext& call, const std::string& name) {
    v1::GetRuleRequest req;
    req.set_name(name);
    v1::GetRuleResponse resp;
    absl::Status s = api_.GetRule(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.rule();
  }

  // A valid payment-overdue rule (the shipped one's shape) to create.
  static v1::CreateRuleRequest RuleRequest(const std::string& rule_id) {
    v1::CreateRuleRequest req;
    req.set_rule_id(rule_id);
    v1::Rule* r = req.mutable_rule();
    r->set_display_name("大额回款逾期 / Large payment overdue");
    r->set_condition(v1::CONDITION_KIND_PAYMENT_OVERDUE);
    r->set_enabled(true);
    r->mutable_threshold()->set_days(30);
    r->set_severity(v1::SEVERITY_CRITICAL);
    r->mutable_message_template()->set_zh("合同 {subject} 有 {amount} 回款已逾期 {days} 天");
    r->mutable_message_template()->set_en("Contract {subject} has {amount} overdue by {days} days");
    return req;
  }

  absl::StatusOr<v1::Rule> CreateRule(const CallContext& call, const v1::CreateRuleRequest& req) {
    v1::CreateRuleResponse resp;
    absl::Status s = api_.CreateRule(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.rule();
  }

  absl::StatusOr<v1::Rule> UpdateRule(const CallContext& call, const v1::Rule& rule,
                                      const std::vector<std::string>& paths,
                                      const std::string& reason = "") {
    v1::UpdateRuleRequest req;
    *req.mutable_rule() = rule;
    for (const std::string& p : paths) {
      req.mutable_update_mask()->add_paths(p);
    }
    req.set_reason(reason);
    v1::UpdateRuleResponse resp;
    absl::Status s = api_.UpdateRule(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.rule();
  }

  v1::CreateProposalRequest ProposalRequest(const v1::Warning& w) const {
    v1::CreateProposalRequest req;
    req.mutable_proposal()->set_title("华东杭州组回款催收调整");
    req.mutable_proposal()->set_description("逾期合同由主管陪同拜访，下周内确定回款计划");
    req.mutable_proposal()->add_warnings(w.name());
    return req;
  }

  absl::StatusOr<v1::StrategyProposal> CreateProposal(const CallContext& call,
                                                      const v1::CreateProposalRequest& req) {
    v1::CreateProposalResponse resp;
    absl::Status s = api_.CreateProposal(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.proposal();
  }

  // A proposal by sup-1 on a fresh warning of rep-1's contract `contract`.
  v1::StrategyProposal NewProposal(const std::string& contract) {
    const v1::Warning w = RaiseOverdue(contract, "rep-1", "t-hz");
    absl::StatusOr<v1::StrategyProposal> p = CreateProposal(sup1_, ProposalRequest(w));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : v1::StrategyProposal();
  }

  absl::StatusOr<v1::StrategyProposal> Vote(const CallContext& call, const std::string& proposal,
                                            v1::VoteChoice choice) {
    v1::VoteOnProposalRequest req;
    req.set_proposal(proposal);
    req.set_choice(choice);
    v1::VoteOnProposalResponse resp;
    absl::Status s = api_.VoteOnProposal(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.proposal();
  }

  absl::StatusOr<v1::CommentOnProposalResponse> Comment(const CallContext& call,
                                                        const std::string& proposal,
                                                        const std::string& text,
                                                        const std::string& request_id = "",
                                                        const std::string& reply_to = "") {
    v1::CommentOnProposalRequest req;
    req.set_proposal(proposal);
    req.set_text(text);
    req.set_request_id(request_id);
    req.set_reply_to(reply_to);
    v1::CommentOnProposalResponse resp;
    absl::Status s = api_.CommentOnProposal(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp;
  }

  v1::ActionInput ActionFor(const std::string& owner, absl::Duration due_in) const {
    v1::ActionInput a;
    a.set_description("陪同拜访客户财务，确认回款计划");
    a.set_owner(absl::StrCat("members/", owner));
    *a.mutable_due_date() = DateIn(due_in);
    return a;
  }

  absl::StatusOr<v1::StrategyProposal> Decide(const CallContext& call,
                                              const v1::StrategyProposal& p,
                                              v1::DecisionOutcome outcome,
                                              const std::vector<v1::ActionInput>& actions = {},
                                              const std::string& rationale = "先催收，再复盘") {
    v1::DecideProposalRequest req;
    req.set_proposal(p.name());
    req.set_etag(p.etag());
    req.set_outcome(outcome);
    req.set_rationale(rationale);
    for (const v1::ActionInput& a : actions) {
      *req.add_actions() = a;
    }
    v1::DecideProposalResponse resp;
    absl::Status s = api_.DecideProposal(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.proposal();
  }

  absl::StatusOr<v1::UpdateActionResponse> UpdateAction(const CallContext& call,
                                                        const std::string& proposal,
                                                        const std::string& action_id,
                                                        const v1::FollowUpAction& change,
                                                        const std::vector<std::string>& paths) {
    v1::UpdateActionRequest req;
    req.set_proposal(proposal);
    req.set_action_id(action_id);
    *req.mutable_action() = change;
    for (const std::string& p : paths) {
      req.mutable_update_mask()->add_paths(p);
    }
    v1::UpdateActionResponse resp;
    absl::Status s = api_.UpdateAction(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp;
  }

  static v1::FollowUpAction WithStatus(v1::ActionStatus status) {
    v1::FollowUpAction a;
    a.set_status(status);
    return a;
  }

  // The payloads of the committed events of one type, in commit order.
  template <typename T>
  std::vector<T> Payloads(const std::string& type) const {
    std::vector<T> out;
    for (const CloudEvent& e : kv_.EventsOfType(type)) {
      T m;
      EXPECT_TRUE(m.ParseFromString(e.data)) << type;
      out.push_back(std::move(m));
    }
    return out;
  }

  size_t Count(const std::string& type) const { return kv_.EventsOfType(type).size(); }

  // Events on the warning topic, in commit order.
  std::vector<std::string> WarningEventTypes() const {
    std::vector<std::string> out;
    for (const auto& [e, topic] : kv_.Events()) {
      if (topic == kWarningTopic) {
        out.push_back(e.type);
      }
    }
    return out;
  }

  const absl::TimeZone tz_ = BusinessZone();
  // Monday 2026-03-02 10:00 in the business zone.
  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), BusinessZone())};
  InMemoryWarningStore store_;
  InMemoryKv& kv_ = store_.memory();
  org::testing::DirectorySeed seed_{kv_, kKeyPrefix};
  // As main.cc: one store and one directory over the service's keyspace.
  org::OrgDirectory directory_{kv_, kKeyPrefix};
  RuleSet rules_{store_, absl::Seconds(2)};
  WarningEngine engine_{store_, directory_, rules_, Options()};
  WarningScheduler scheduler_{store_, engine_, clock_};
  int rule_changes_ = 0;
  WarningApi api_{store_, engine_, directory_, clock_, tz_, [this] {
                    ++rule_changes_;
                    ASSERT_TRUE(scheduler_.SweepAll().ok());
                  }};
  ProjectionStore engine_seen_{kv_, WarnKey("eng:seen:")};
  WarningConsumer consumer_{engine_seen_, store_, engine_, clock_};
  int shipped_rules_ = 0;

  const CallContext rep1_ = As(Role::kRep, "rep-1", "t-hz");
  const CallContext rep2_ = As(Role::kRep, "rep-2", "t-hz");
  const CallContext rep3_ = As(Role::kRep, "rep-3", "t-cd");
  const CallContext sup1_ = As(Role::kSupervisor, "sup-1", "t-hz");
  const CallContext sup3_ = As(Role::kSupervisor, "sup-3", "t-cd");
  const CallContext mgr_east_ = As(Role::kManager, "mgr-e", "east");
  const CallContext mgr_west_ = As(Role::kManager, "mgr-w", "west");
  const CallContext director_ = As(Role::kDirector, "dir-1", "acme");
  const CallContext admin_ = As(Role::kAdmin, "admin", "");
};

// ---------------------------------------------------------------- rules

// The method policy the RpcRunner applies before a handler: rules are read by
// leads, created by directors and admins, edited also by managers (overrides
// only, checked by the handler); a rep reads warnings but acknowledges none.
TEST_F(WarningApiTest, MethodPolicyLimitsRuleAndAcknowledgeCallsByRole) {
  const MethodPolicy policy = WarningMethodPolicy();
  auto code = [&](const std::string& method, const CallContext& call) {
    return policy.Check(method, call.principal).code();
  };
  for (const CallContext* c : {&rep1_, &sup1_, &mgr_east_}) {
    EXPECT_EQ(code("CreateRule", *c), absl::StatusCode::kPermissionDenied)
        << c->principal.member_id;
  }
  EXPECT_EQ(ErrorReason(policy.Check("CreateRule", rep1_.principal)), "ROLE_NOT_ALLOWED");
  EXPECT_EQ(code("CreateRule", director_), absl::StatusCode::kOk);
  EXPECT_EQ(code("CreateRule", admin_), absl::StatusCode::kOk);
  EXPECT_EQ(code("UpdateRule", rep1_), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("UpdateRule", sup1_), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("UpdateRule", mgr_east_), absl::StatusCode::kOk);
  EXPECT_EQ(code("UpdateRule", director_), absl::StatusCode::kOk);
  EXPECT_EQ(code("ListRules", rep1_), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("GetRule", rep1_), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("ListRules", sup1_), absl::StatusCode::kOk);
  EXPECT_EQ(code("GetRule", sup1_), absl::StatusCode::kOk);
  EXPECT_EQ(code("AcknowledgeWarning", rep1_), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("AcknowledgeWarning", sup1_), absl::StatusCode::kOk);
  EXPECT_EQ(code("ListWarnings", rep1_), absl::StatusCode::kOk);
  EXPECT_EQ(code("VoteOnProposal", rep1_), absl::StatusCode::kOk);
  EXPECT_EQ(code("DecideProposal", rep1_), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("CreateProposal", rep1_), absl::StatusCode::kPermissionDenied);
}

// A director's new rule is stored under its id with etag 1 and the clock's
// times, emits one RuleCreated with the actor, triggers the re-evaluation
// hook, and shows in ListRules next to the shipped ones; a retried request_id
// answers with the same rule and creates nothing; the same id again is
// ALREADY_EXISTS.
TEST_F(WarningApiTest, CreateRuleStoresEmitsAndReplaysTheRequestId) {
  const size_t created_before = Count("salesops.warning.v1.RuleCreated");
  v1::CreateRuleRequest req = RuleRequest("large-overdue");
  req.set_request_id("rule-req-1");
  absl::StatusOr<v1::Rule> rule = CreateRule(director_, req);
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->name(), "rules/large-overdue");
  EXPECT_EQ(rule->etag(), "1");
  EXPECT_EQ(FromTs(rule->create_time()), clock_.Now());
  EXPECT_EQ(rule->threshold().days(), 30);
  EXPECT_EQ(rule_changes_, 1);

  std::vector<CloudEvent> events = kv_.EventsOfType("salesops.warning.v1.RuleCreated");
  ASSERT_EQ(events.size(), created_before + 1);
  EXPECT_EQ(events.back().key, "large-overdue");
  EXPECT_EQ(events.back().subject, "rules/large-overdue");
  EXPECT_EQ(events.back().trace_id, kTrace);
  v1::RuleCreated e;
  ASSERT_TRUE(e.ParseFromString(events.back().data));
  EXPECT_EQ(e.rule().severity(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(e.actor().member_id(), "dir-1");

  absl::StatusOr<v1::Rule> read = GetRule(sup1_, "rules/large-overdue");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->display_name(), rule->display_name());
  EXPECT_EQ(read->etag(), "1");

  v1::ListRulesResponse all;
  ASSERT_TRUE(api_.ListRules(sup1_, v1::ListRulesRequest(), &all).ok());
  EXPECT_EQ(all.rules_size(), shipped_rules_ + 1);

  req.mutable_rule()->set_display_name("改了名的重试");
  const CallContext retry = director_;
  absl::StatusOr<v1::Rule> again = CreateRule(retry, req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(again->name(), rule->name());
  EXPECT_EQ(again->display_name(), rule->display_name());
  EXPECT_EQ(Count("salesops.warning.v1.RuleCreated"), created_before + 1);

  req.clear_request_id();
  absl::Status s = CreateRule(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(Count("salesops.warning.v1.RuleCreated"), created_before + 1);
  EXPECT_EQ(rule_changes_, 1);
}

// Bad rules are INVALID_ARGUMENT naming the field; nothing is stored or emitted.
TEST_F(WarningApiTest, CreateRuleBadInputNamesTheField) {
  const std::vector<std::string> before = WarningEventTypes();

  absl::Status s = CreateRule(director_, RuleRequest("x")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "rule_id");

  v1::CreateRuleRequest no_name = RuleRequest("no-name");
  no_name.mutable_rule()->clear_display_name();
  s = CreateRule(director_, no_name).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "rule.display_name");

  v1::CreateRuleRequest stalled = RuleRequest("stalled-zero");
  stalled.mutable_rule()->set_condition(v1::CONDITION_KIND_OPPORTUNITY_STALLED);
  stalled.mutable_rule()->mutable_threshold()->set_days(0);
  stalled.mutable_rule()->mutable_message_template()->set_zh("{subject} 停滞 {days} 天");
  stalled.mutable_rule()->mutable_message_template()->set_en("{subject} stalled {days} days");
  s = CreateRule(director_, stalled).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "rule.threshold.days");

  v1::CreateRuleRequest placeholder = RuleRequest("bad-placeholder");
  placeholder.mutable_rule()->mutable_message_template()->set_en("{subject} owes {pace_pct}");
  s = CreateRule(director_, placeholder).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(FieldsOf(s), ElementsAre("rule.message_template.en"));

  EXPECT_EQ(GetRule(admin_, "rules/no-name").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetRule(admin_, "rules/stalled-zero").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(WarningEventTypes(), before);
  EXPECT_EQ(rule_changes_, 0);

  s = GetRule(admin_, "payment-overdue").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "name");
}

// UpdateRule changes only the masked fields, bumps the etag and emits
// RuleUpdated with the previous rule, the changed fields, the reason and the
// actor; a stale etag is ABORTED; a bad mask or an unknown rule is refused.
TEST_F(WarningApiTest, UpdateRuleChangesMaskedFieldsAndRefusesAStaleEtag) {
  absl::StatusOr<v1::Rule> cur = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(cur.ok()) << cur.status();
  ASSERT_EQ(cur->etag(), "1");
  v1::Rule change = *cur;
  change.mutable_threshold()->set_days(5);
  change.set_display_name("not in the mask");
  clock_.Advance(absl::Hours(1));
  absl::StatusOr<v1::Rule> updated =
      UpdateRule(admin_, change, {"threshold"}, "finance asked for five days");
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->threshold().days(), 5);
  EXPECT_EQ(updated->display_name(), cur->display_name());
  EXPECT_EQ(FromTs(updated->update_time()), clock_.Now());
  EXPECT_EQ(rule_changes_, 1);

  std::vector<v1::RuleUpdated> events =
      Payloads<v1::RuleUpdated>("salesops.warning.v1.RuleUpdated");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].changed_fields(), ElementsAre("threshold"));
  EXPECT_EQ(events[0].previous().threshold().days(), 1);
  EXPECT_EQ(events[0].rule().threshold().days(), 5);
  EXPECT_EQ(events[0].reason(), "finance asked for five days");
  EXPECT_EQ(events[0].actor().member_id(), "admin");

  change.mutable_threshold()->set_days(9);  // still etag "1"
  absl::Status s = UpdateRule(director_, change, {"threshold"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH");

  change.set_etag("2");
  s = UpdateRule(director_, change, {"name"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "update_mask.paths[0]");
  s = UpdateRule(director_, change, {}).status();
  EXPECT_EQ(FieldOf(s), "update_mask");
  change.mutable_threshold()->set_days(-1);
  s = UpdateRule(director_, change, {"threshold"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "rule.threshold.days");

  v1::Rule unknown = change;
  unknown.set_name("rules/no-such-rule");
  s = UpdateRule(director_, unknown, {"enabled"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(ErrorReason(s), "RULE_NOT_FOUND");

  absl::StatusOr<v1::Rule> after = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->etag(), "2");
  EXPECT_EQ(after->threshold().days(), 5);
  EXPECT_EQ(Count("salesops.warning.v1.RuleUpdated"), 1u);
  EXPECT_EQ(rule_changes_, 1);
}

// A manager may change only overrides, and only for units in their region
// (adding or removing one); anything else is PERMISSION_DENIED.
TEST_F(WarningApiTest, ManagerEditsOnlyOverridesOfTheirRegion) {
  absl::StatusOr<v1::Rule> cur = GetRule(mgr_east_, kOverdueRule);
  ASSERT_TRUE(cur.ok()) << cur.status();

  v1::Rule off = *cur;
  off.set_enabled(false);
  absl::Status s = UpdateRule(mgr_east_, off, {"enabled"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OVERRIDES_ONLY");

  v1::Rule west = *cur;
  v1::RuleOverride* o = west.add_overrides();
  o->set_org_unit("orgUnits/t-cd");
  o->mutable_threshold()->set_days(3);
  s = UpdateRule(mgr_east_, west, {"overrides"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OUTSIDE_SCOPE");
  EXPECT_EQ(Count("salesops.warning.v1.RuleUpdated"), 0u);

  v1::Rule east = *cur;
  o = east.add_overrides();
  o->set_org_unit("orgUnits/t-hz");
  o->mutable_threshold()->set_days(3);
  absl::StatusOr<v1::Rule> ok = UpdateRule(mgr_east_, east, {"overrides"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->overrides_size(), 1);
  EXPECT_EQ(ok->overrides(0).org_unit(), "orgUnits/t-hz");
  EXPECT_EQ(ok->etag(), "2");

  // The west manager may not remove the east team's override.
  v1::Rule removed = *ok;
  removed.clear_overrides();
  s = UpdateRule(mgr_west_, removed, {"overrides"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OUTSIDE_SCOPE");
  EXPECT_EQ(Count("salesops.warning.v1.RuleUpdated"), 1u);
  absl::StatusOr<v1::Rule> after = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->overrides_size(), 1);
}

// ListRules filters by condition, pages without repeats, and (for a unit)
// hides a rule its override disables when only enabled rules are asked for;
// a token is bound to its query.
TEST_F(WarningApiTest, ListRulesFiltersPagesAndAppliesOverridesPerUnit) {
  v1::ListRulesRequest stalled;
  stalled.set_condition(v1::CONDITION_KIND_OPPORTUNITY_STALLED);
  stalled.set_page_size(3);
  v1::ListRulesResponse first;
  ASSERT_TRUE(api_.ListRules(sup1_, stalled, &first).ok());
  ASSERT_EQ(first.rules_size(), 3);
  ASSERT_FALSE(first.next_page_token().empty());
  stalled.set_page_token(first.next_page_token());
  v1::ListRulesResponse second;
  ASSERT_TRUE(api_.ListRules(sup1_, stalled, &second).ok());
  ASSERT_EQ(second.rules_size(), 2);
  EXPECT_TRUE(second.next_page_token().empty());
  std::vector<std::string> names;
  for (const auto* page : {&first, &second}) {
    for (const v1::Rule& r : page->rules()) {
      EXPECT_EQ(r.condition(), v1::CONDITION_KIND_OPPORTUNITY_STALLED);
      names.push_back(r.name());
    }
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());

  v1::ListRulesRequest other_query;
  other_query.set_page_token(first.next_page_token());
  v1::ListRulesResponse bad;
  absl::Status s = api_.ListRules(sup1_, other_query, &bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "page_token");

  absl::StatusOr<v1::Rule> cur = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(cur.ok());
  v1::Rule with_override = *cur;
  v1::RuleOverride* o = with_override.add_overrides();
  o->set_org_unit("orgUnits/east");
  o->set_disabled(true);
  ASSERT_TRUE(UpdateRule(admin_, with_override, {"overrides"}).ok());
  auto listed_for = [&](const std::string& unit) {
    v1::ListRulesRequest req;
    req.set_condition(v1::CONDITION_KIND_PAYMENT_OVERDUE);
    req.set_org_unit(unit);
    req.set_enabled_only(true);
    v1::ListRulesResponse resp;
    absl::Status st = api_.ListRules(sup1_, req, &resp);
    EXPECT_TRUE(st.ok()) << st;
    return resp.rules_size();
  };
  EXPECT_EQ(listed_for("orgUnits/t-hz"), 0);  // under east
  EXPECT_EQ(listed_for("orgUnits/t-cd"), 1);  // west

  v1::ListRulesRequest bad_unit;
  bad_unit.set_org_unit("t-hz");
  s = api_.ListRules(sup1_, bad_unit, &bad);
  EXPECT_EQ(FieldOf(s), "org_unit");
}

// The re-evaluation hook main.cc wires: after a rule is switched off, the
// scheduler's next pass resolves its open warnings as RULE_CHANGED.
TEST_F(WarningApiTest, SwitchingARuleOffResolvesItsWarningsOnTheNextPass) {
  const v1::Warning w = RaiseOverdue("k-off", "rep-1", "t-hz");
  absl::StatusOr<v1::Rule> cur = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(cur.ok());
  v1::Rule off = *cur;
  off.set_enabled(false);
  ASSERT_TRUE(UpdateRule(director_, off, {"enabled"}, "noisy").ok());
  EXPECT_EQ(rule_changes_, 1);
  EXPECT_EQ(Count("salesops.warning.v1.WarningResolved"), 0u);

  absl::StatusOr<int> ran = scheduler_.RunDue();
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_GE(*ran, 1);
  std::vector<v1::WarningResolved> resolved =
      Payloads<v1::WarningResolved>("salesops.warning.v1.WarningResolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].warning().name(), w.name());
  EXPECT_EQ(resolved[0].resolution(), v1::WARNING_RESOLUTION_RULE_CHANGED);
  absl::StatusOr<v1::Warning> read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state(), v1::WARNING_STATE_RESOLVED);
  absl::StatusOr<std::vector<std::string>> active = ListWarningNames(sup1_);
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->empty());
}

// ---------------------------------------------------------------- warnings

// A PaymentOverdue consumed by the engine raises one warning for the rep's
// team, routed to the team's supervisor, readable through the API with etag 1.
TEST_F(WarningApiTest, OverduePaymentRaisesAWarningForTheTeamsSupervisor) {
  const v1::Warning w = RaiseOverdue("k-1", "rep-1", "t-hz");
  EXPECT_EQ(w.rule(), kOverdueRule);
  EXPECT_EQ(w.state(), v1::WARNING_STATE_OPEN);
  EXPECT_EQ(w.rep(), "members/rep-1");
  EXPECT_EQ(w.org_unit(), "orgUnits/t-hz");
  EXPECT_EQ(w.responsible_supervisor(), "members/sup-1");
  EXPECT_EQ(w.subject(), "contracts/k-1");
  std::vector<v1::WarningRaised> raised =
      Payloads<v1::WarningRaised>("salesops.warning.v1.WarningRaised");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].warning().name(), w.name());
  EXPECT_EQ(raised[0].cause_event_source(), "/salesops/customers");

  absl::StatusOr<v1::Warning> read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->etag(), "1");
  EXPECT_EQ(read->condition(), v1::CONDITION_KIND_PAYMENT_OVERDUE);
  EXPECT_THAT(read->message().en(), HasSubstr("contracts/k-1"));

  // t-sh has no supervisor: its warnings go up to the east manager.
  const v1::Warning up = RaiseOverdue("k-sh", "rep-4", "t-sh");
  EXPECT_EQ(up.responsible_supervisor(), "members/mgr-e");
}

// A rep sees only the warnings where they are the rep, even on their own
// team; asking for a colleague's is PERMISSION_DENIED.
TEST_F(WarningApiTest, RepSeesOnlyTheirOwnWarnings) {
  const v1::Warning mine = RaiseOverdue("k-r1", "rep-1", "t-hz");
  const v1::Warning colleague = RaiseOverdue("k-r2", "rep-2", "t-hz");
  const v1::Warning other_team = RaiseOverdue("k-r3", "rep-3", "t-cd");

  absl::StatusOr<std::vector<std::string>> listed = ListWarningNames(rep1_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ElementsAre(mine.name()));
  v1::ListWarningsRequest team;
  team.set_org_unit("orgUnits/t-hz");
  listed = ListWarningNames(rep1_, team);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ElementsAre(mine.name()));

  EXPECT_TRUE(GetWarning(rep1_, mine.name()).ok());
  absl::Status s = GetWarning(rep1_, colleague.name()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OUTSIDE_SCOPE");
  EXPECT_EQ(GetWarning(rep1_, other_team.name()).status().code(),
            absl::StatusCode::kPermissionDenied);

  v1::ListWarningsRequest of_colleague;
  of_colleague.set_rep("members/rep-2");
  s = ListWarningNames(rep1_, of_colleague).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
}

// A supervisor sees their team's warnings, a manager their region's, a
// director all; another team's supervisor is PERMISSION_DENIED on the
// warning and on the unit.
TEST_F(WarningApiTest, LeadsSeeTheirSubtreeAndOtherTeamsAreOutsideScope) {
  const v1::Warning a = RaiseOverdue("k-a", "rep-1", "t-hz");
  const v1::Warning b = RaiseOverdue("k-b", "rep-2", "t-hz");
  const v1::Warning c = RaiseOverdue("k-c", "rep-3", "t-cd");

  absl::StatusOr<std::vector<std::string>> listed = ListWarningNames(sup1_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, UnorderedElementsAre(a.name(), b.name()));
  listed = ListWarningNames(sup3_);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre(c.name()));
  listed = ListWarningNames(mgr_east_);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, UnorderedElementsAre(a.name(), b.name()));
  listed = ListWarningNames(director_);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, UnorderedElementsAre(a.name(), b.name(), c.name()));

  v1::ListWarningsRequest by_rep;
  by_rep.set_rep("members/rep-2");
  listed = ListWarningNames(sup1_, by_rep);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre(b.name()));
  listed = ListWarningNames(sup3_, by_rep);  // filtered to what sup-3 may see
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());

  absl::Status s = GetWarning(sup3_, a.name()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OUTSIDE_SCOPE");
  EXPECT_EQ(GetWarning(mgr_west_, a.name()).status().code(), absl::StatusCode::kPermissionDenied);
  v1::ListWarningsRequest east_team;
  east_team.set_org_unit("orgUnits/t-hz");
  s = ListWarningNames(sup3_, east_team).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;

  s = GetWarning(director_, "warnings/nope").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(ErrorReason(s), "WARNING_NOT_FOUND");
}

// Bad list filters are INVALID_ARGUMENT naming the field.
TEST_F(WarningApiTest, ListWarningsBadInputNamesTheField) {
  auto field_of = [&](v1::ListWarningsRequest req) {
    absl::Status s = ListWarningNames(sup1_, req).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return FieldOf(s);
  };
  v1::ListWarningsRequest r;
  r.set_page_size(-1);
  EXPECT_EQ(field_of(r), "page_size");
  r = {};
  r.add_states(v1::WARNING_STATE_OPEN);
  r.add_states(static_cast<v1::WarningState>(42));
  EXPECT_EQ(field_of(r), "states[1]");
  r = {};
  r.set_org_unit("t-hz");
  EXPECT_EQ(field_of(r), "org_unit");
  r = {};
  r.set_subject("k-1");
  EXPECT_EQ(field_of(r), "subject");
  r = {};
  r.set_page_token("not-a-token");
  EXPECT_EQ(field_of(r), "page_token");
}

// The responsible supervisor acknowledges an open warning once (etag checked,
// WarningAcknowledged emitted with the note and actor); another team's
// supervisor may not; a repeat without etag is answered as done, a stale etag
// is ABORTED, and a different note on an acknowledged warning is
// FAILED_PRECONDITION.
TEST_F(WarningApiTest, AcknowledgeIsForTheTeamsLeadsAndHappensOnce) {
  const v1::Warning w = RaiseOverdue("k-ack", "rep-1", "t-hz");

  absl::Status s = Acknowledge(sup3_, w.name(), w.etag(), "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OUTSIDE_SCOPE");
  s = Acknowledge(sup1_, w.name(), w.etag(), std::string(2001, 'x')).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "note");
  s = Acknowledge(sup1_, "k-ack", "", "").status();
  EXPECT_EQ(FieldOf(s), "name");
  EXPECT_EQ(Count("salesops.warning.v1.WarningAcknowledged"), 0u);

  clock_.Advance(absl::Minutes(5));
  absl::StatusOr<v1::Warning> acked = Acknowledge(sup1_, w.name(), w.etag(), "明天去客户处");
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->state(), v1::WARNING_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked->acknowledged_by(), "members/sup-1");
  EXPECT_EQ(acked->acknowledge_note(), "明天去客户处");
  EXPECT_EQ(FromTs(acked->acknowledge_time()), clock_.Now());
  EXPECT_EQ(acked->etag(), "2");
  std::vector<CloudEvent> events = kv_.EventsOfType("salesops.warning.v1.WarningAcknowledged");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, w.name());
  v1::WarningAcknowledged e;
  ASSERT_TRUE(e.ParseFromString(events[0].data));
  EXPECT_EQ(e.note(), "明天去客户处");
  EXPECT_EQ(e.actor().member_id(), "sup-1");
  EXPECT_EQ(e.warning().etag(), "2");

  absl::StatusOr<v1::Warning> repeat = Acknowledge(sup1_, w.name(), "", "明天去客户处");
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->etag(), "2");
  s = Acknowledge(sup1_, w.name(), w.etag(), "明天去客户处").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH");
  s = Acknowledge(mgr_east_, w.name(), "", "我来跟").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "WARNING_NOT_OPEN");
  EXPECT_EQ(Count("salesops.warning.v1.WarningAcknowledged"), 1u);

  s = Acknowledge(sup1_, "warnings/nope", "", "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;

  v1::ListWarningsRequest acked_only;
  acked_only.add_states(v1::WARNING_STATE_ACKNOWLEDGED);
  absl::StatusOr<std::vector<std::string>> listed = ListWarningNames(sup1_, acked_only);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre(w.name()));
}

// ---------------------------------------------------------------- proposals

// A supervisor of the warning's team opens a proposal (author, OPEN, tally
// pending over the team's members, the warning names it, ProposalOpened); a
// rep or another team's supervisor may not; a retried request_id answers with
// the same proposal.
TEST_F(WarningApiTest, SupervisorOpensAProposalOnTheirTeamsWarning) {
  const v1::Warning w = RaiseOverdue("k-p", "rep-1", "t-hz");
  v1::CreateProposalRequest req = ProposalRequest(w);
  req.set_request_id("open-1");

  absl::Status s = CreateProposal(rep1_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "SUPERVISOR_REQUIRED");
  s = CreateProposal(sup3_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "OUTSIDE_SCOPE");
  EXPECT_EQ(Count("salesops.warning.v1.ProposalOpened"), 0u);

  absl::StatusOr<v1::StrategyProposal> p = CreateProposal(sup1_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->author(), "members/sup-1");
  EXPECT_EQ(p->state(), v1::PROPOSAL_STATE_OPEN);
  EXPECT_EQ(p->org_unit(), "orgUnits/t-hz");
  EXPECT_THAT(p->warnings(), ElementsAre(w.name()));
  EXPECT_EQ(p->tally().pending_count(), 3);  // rep-1, rep-2, sup-1
  EXPECT_EQ(p->etag(), "1");
  std::vector<v1::ProposalOpened> opened =
      Payloads<v1::ProposalOpened>("salesops.warning.v1.ProposalOpened");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].proposal().name(), p->name());
  EXPECT_EQ(opened[0].actor().member_id(), "sup-1");

  absl::StatusOr<v1::Warning> read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(read->proposals(), ElementsAre(p->name()));

  const CallContext retry = sup1_;
  v1::CreateProposalResponse again;
  ASSERT_TRUE(api_.CreateProposal(retry, req, &again).ok());
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(again.proposal().name(), p->name());
  EXPECT_EQ(Count("salesops.warning.v1.ProposalOpened"), 1u);

  // Visible to the team (reps included), not to another team.
  v1::GetProposalRequest get;
  get.set_name(p->name());
  v1::GetProposalResponse got;
  EXPECT_TRUE(api_.GetProposal(rep2_, get, &got).ok());
  s = api_.GetProposal(rep3_, get, &got);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  v1::ListProposalsResponse listed;
  ASSERT_TRUE(api_.ListProposals(rep1_, v1::ListProposalsRequest(), &listed).ok());
  ASSERT_EQ(listed.proposals_size(), 1);
  EXPECT_EQ(listed.proposals(0).name(), p->name());
  listed.Clear();
  ASSERT_TRUE(api_.ListProposals(sup3_, v1::ListProposalsRequest(), &listed).ok());
  EXPECT_EQ(listed.proposals_size(), 0);
}

// Opening a proposal also writes the warning it is about (its list of
// proposals). The warning changing between the proposal's read and its commit
// (acknowledged, another proposal on it) is a race on a document the request
// does not name: it runs again on the fresh warning and keeps what the other
// writers did, never ABORTED ETAG_MISMATCH for a request that sent no etag.
TEST_F(WarningApiTest, TheWarningChangingWhileAProposalOpensRunsItAgain) {
  const v1::Warning w = RaiseOverdue("k-race", "rep-1", "t-hz");
  v1::CreateProposalRequest req = ProposalRequest(w);
  req.set_request_id("open-race");
  std::string theirs;
  int runs_again = 0;
  std::function<void()> count = [&] {
    ++runs_again;
    kv_.BeforeNextCommit(count);
  };
  kv_.BeforeNextCommit([&] {
    ASSERT_TRUE(Acknowledge(sup1_, w.name(), "", "这周跟进").ok());
    v1::CreateProposalRequest other = ProposalRequest(w);
    other.mutable_proposal()->set_title("另一个方案");
    absl::StatusOr<v1::StrategyProposal> p = CreateProposal(sup1_, other);
    ASSERT_TRUE(p.ok()) << p.status();
    theirs = p->name();
    kv_.BeforeNextCommit(count);
  });
  absl::StatusOr<v1::StrategyProposal> mine = CreateProposal(sup1_, req);
  kv_.BeforeNextCommit(nullptr);
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(runs_again, 1);
  EXPECT_EQ(mine->state(), v1::PROPOSAL_STATE_OPEN);
  EXPECT_EQ(Count("salesops.warning.v1.ProposalOpened"), 2u);
  absl::StatusOr<v1::Warning> read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state(), v1::WARNING_STATE_ACKNOWLEDGED) << "the acknowledgement is kept";
  EXPECT_THAT(read->proposals(), ElementsAre(theirs, mine->name()));
}

// Bad proposal input is INVALID_ARGUMENT naming the field (NOT_FOUND for a
// warning that does not exist, FAILED_PRECONDITION for a resolved one);
// nothing is opened.
TEST_F(WarningApiTest, CreateProposalBadInputNamesTheField) {
  const v1::Warning w = RaiseOverdue("k-bad", "rep-1", "t-hz");
  auto status_of = [&](v1::CreateProposalRequest req) {
    return CreateProposal(sup1_, req).status();
  };

  v1::CreateProposalRequest r = ProposalRequest(w);
  r.mutable_proposal()->clear_warnings();
  absl::Status s = status_of(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "proposal.warnings");

  r = ProposalRequest(w);
  r.set_proposal_id("x");
  EXPECT_EQ(FieldOf(status_of(r)), "proposal_id");

  r = ProposalRequest(w);
  r.mutable_proposal()->clear_title();
  s = status_of(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "proposal.title");

  r = ProposalRequest(w);
  *r.mutable_proposal()->mutable_voting_deadline() = ToTs(clock_.Now() - absl::Hours(1));
  EXPECT_EQ(FieldOf(status_of(r)), "proposal.voting_deadline");

  r = ProposalRequest(w);
  r.mutable_proposal()->set_warnings(0, "warnings/nope");
  s = status_of(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  r.mutable_proposal()->set_warnings(0, "nope");
  EXPECT_EQ(FieldOf(status_of(r)), "proposal.warnings[0]");

  EXPECT_EQ(Count("salesops.warning.v1.ProposalOpened"), 0u);
  absl::StatusOr<v1::Warning> read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->proposals_size(), 0);
  EXPECT_EQ(read->etag(), "1");
}

// Members of the unit (and leads above it) comment; a retried request_id adds
// the comment once; a reply must name an earlier comment; an outsider is
// refused. Each comment emits one ProposalCommented.
TEST_F(WarningApiTest, CommentsAreAddedOncePerRequestIdByMembers) {
  const v1::StrategyProposal p = NewProposal("k-c1");

  absl::StatusOr<v1::CommentOnProposalResponse> c =
      Comment(rep1_, p.name(), "客户预算冻结到下月", "c-1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->comment().author(), "members/rep-1");
  EXPECT_EQ(c->proposal().comments_size(), 1);
  EXPECT_EQ(c->proposal().etag(), "2");
  absl::StatusOr<v1::CommentOnProposalResponse> again =
      Comment(rep1_, p.name(), "客户预算冻结到下月", "c-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->comment().comment_id(), c->comment().comment_id());
  EXPECT_EQ(again->proposal().comments_size(), 1);

  absl::StatusOr<v1::CommentOnProposalResponse> reply =
      Comment(mgr_east_, p.name(), "同意，先做技术交流", "", c->comment().comment_id());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->comment().reply_to(), c->comment().comment_id());
  EXPECT_EQ(reply->proposal().comments_size(), 2);

  absl::Status s = Comment(rep2_, p.name(), "回复谁？", "", "no-such-comment").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "reply_to");
  s = Comment(rep2_, p.name(), "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "text");
  s = Comment(rep2_, p.name(), "x", "bad id!").status();
  EXPECT_EQ(FieldOf(s), "request_id");
  s = Comment(rep3_, p.name(), "路过").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  s = Comment(rep1_, "proposals/nope", "x").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(ErrorReason(s), "PROPOSAL_NOT_FOUND");

  std::vector<v1::ProposalCommented> events =
      Payloads<v1::ProposalCommented>("salesops.warning.v1.ProposalCommented");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].comment().text(), "客户预算冻结到下月");
  EXPECT_EQ(events[0].actor().member_id(), "rep-1");
  EXPECT_EQ(events[1].actor().member_id(), "mgr-e");
}

// Each member of the unit has one vote; voting again replaces it (the event
// carries the previous vote) and the tally counts every voter once. Someone
// outside the unit, or a lead above it who is not a member, does not vote;
// an unset choice is INVALID_ARGUMENT.
TEST_F(WarningApiTest, OneVotePerMemberAndARevoteReplacesIt) {
  const v1::StrategyProposal p = NewProposal("k-v");
  ASSERT_TRUE(Vote(rep1_, p.name(), v1::VOTE_CHOICE_FOR).ok());
  ASSERT_TRUE(Vote(rep2_, p.name(), v1::VOTE_CHOICE_AGAINST).ok());
  absl::StatusOr<v1::StrategyProposal> after = Vote(rep1_, p.name(), v1::VOTE_CHOICE_ABSTAIN);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->votes_size(), 2);
  EXPECT_EQ(after->tally().for_count(), 0);
  EXPECT_EQ(after->tally().against_count(), 1);
  EXPECT_EQ(after->tally().abstain_count(), 1);
  EXPECT_EQ(after->tally().pending_count(), 1);  // sup-1
  EXPECT_EQ(after->etag(), "4");

  std::vector<v1::ProposalVoted> events =
      Payloads<v1::ProposalVoted>("salesops.warning.v1.ProposalVoted");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(events[0].has_previous_vote());
  EXPECT_EQ(events[2].vote().choice(), v1::VOTE_CHOICE_ABSTAIN);
  EXPECT_EQ(events[2].previous_vote().choice(), v1::VOTE_CHOICE_FOR);
  EXPECT_EQ(events[2].tally().abstain_count(), 1);

  absl::Status s = Vote(rep3_, p.name(), v1::VOTE_CHOICE_FOR).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  s = Vote(mgr_east_, p.name(), v1::VOTE_CHOICE_FOR).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "NOT_ELIGIBLE_TO_VOTE");
  s = Vote(rep2_, p.name(), v1::VOTE_CHOICE_UNSPECIFIED).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "choice");
  EXPECT_EQ(Count("salesops.warning.v1.ProposalVoted"), 3u);

  v1::GetProposalRequest get;
  get.set_name(p.name());
  v1::GetProposalResponse got;
  ASSERT_TRUE(api_.GetProposal(sup1_, get, &got).ok());
  EXPECT_EQ(got.proposal().votes_size(), 2);
  EXPECT_EQ(got.proposal().etag(), "4");
}

// Deciding needs the etag the decider saw; a rep is not a decider; actions
// are checked (due date not in the past); an approval with an action makes
// the proposal DECIDED with action a1 (TODO) and emits ProposalDecided;
// afterwards votes and a second decision are FAILED_PRECONDITION.
TEST_F(WarningApiTest, DecideNeedsTheEtagAndADeciderAndClosesVoting) {
  v1::StrategyProposal p = NewProposal("k-d");

  v1::StrategyProposal no_etag = p;
  no_etag.clear_etag();
  absl::Status s = Decide(sup1_, no_etag, v1::DECISION_OUTCOME_APPROVED).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "etag");
  ASSERT_TRUE(Vote(rep1_, p.name(), v1::VOTE_CHOICE_FOR).ok());  // etag now 2
  s = Decide(sup1_, p, v1::DECISION_OUTCOME_APPROVED).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH");
  p.set_etag("2");
  s = Decide(rep1_, p, v1::DECISION_OUTCOME_APPROVED).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "NOT_DECIDER");
  s = Decide(sup1_, p, v1::DECISION_OUTCOME_APPROVED, {ActionFor("rep-1", -absl::Hours(48))})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "actions[0].due_date");
  s = Decide(sup1_, p, v1::DECISION_OUTCOME_APPROVED, {}, "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "rationale");
  s = Decide(sup1_, p, v1::DECISION_OUTCOME_REJECTED, {ActionFor("rep-1", absl::Hours(72))})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorReason(s), "OUTCOME_TAKES_NO_ACTIONS");
  EXPECT_EQ(Count("salesops.warning.v1.ProposalDecided"), 0u);

  absl::StatusOr<v1::StrategyProposal> decided =
      Decide(sup1_, p, v1::DECISION_OUTCOME_APPROVED, {ActionFor("rep-1", absl::Hours(72))});
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->state(), v1::PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(decided->decision().decided_by(), "members/sup-1");
  ASSERT_EQ(decided->actions_size(), 1);
  EXPECT_EQ(decided->actions(0).action_id(), "a1");
  EXPECT_EQ(decided->actions(0).status(), v1::ACTION_STATUS_TODO);
  EXPECT_EQ(decided->etag(), "3");
  std::vector<v1::ProposalDecided> events =
      Payloads<v1::ProposalDecided>("salesops.warning.v1.ProposalDecided");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].proposal().decision().outcome(), v1::DECISION_OUTCOME_APPROVED);

  s = Vote(rep2_, p.name(), v1::VOTE_CHOICE_AGAINST).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "PROPOSAL_NOT_OPEN");
  s = Decide(sup1_, *decided, v1::DECISION_OUTCOME_DEFERRED).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Count("salesops.warning.v1.ProposalDecided"), 1u);
}

// A rejected proposal closes at once and takes no actions later.
TEST_F(WarningApiTest, RejectedProposalClosesAndTakesNoActions) {
  v1::StrategyProposal p = NewProposal("k-rej");
  absl::StatusOr<v1::StrategyProposal> rejected =
      Decide(mgr_east_, p, v1::DECISION_OUTCOME_REJECTED, {}, "成本太高");
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->state(), v1::PROPOSAL_STATE_CLOSED);
  v1::AddActionRequest add;
  add.set_proposal(p.name());
  *add.mutable_action() = ActionFor("rep-1", absl::Hours(72));
  v1::AddActionResponse added;
  absl::Status s = api_.AddAction(sup1_, add, &added);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Count("salesops.warning.v1.ActionUpdated"), 0u);
  s = Comment(rep1_, p.name(), "已关闭").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "PROPOSAL_FINISHED");
}

// Follow-up actions: a decider adds one (a2, once per request_id, which
// another proposal cannot reuse); the owner moves its status but may not
// cancel it; another rep may not touch it; when every action is done or
// cancelled the proposal closes and the ActionUpdated event says so.
TEST_F(WarningApiTest, ActionsAreAddedByDecidersAndMovedByTheirOwners) {
  v1::StrategyProposal p = NewProposal("k-act");
  absl::StatusOr<v1::StrategyProposal> decided =
      Decide(sup1_, p, v1::DECISION_OUTCOME_APPROVED, {ActionFor("rep-1", absl::Hours(72))});
  ASSERT_TRUE(decided.ok()) << decided.status();

  v1::AddActionRequest add;
  add.set_proposal(p.name());
  add.set_etag(decided->etag());
  add.set_request_id("add-1");
  *add.mutable_action() = ActionFor("rep-2", absl::Hours(96));
  v1::AddActionResponse added;
  absl::Status s = api_.AddAction(rep1_, add, &added);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "NOT_DECIDER");
  v1::AddActionRequest bad = add;
  bad.mutable_action()->set_owner("rep-2");
  s = api_.AddAction(sup1_, bad, &added);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "action.owner");
  ASSERT_TRUE(api_.AddAction(sup1_, add, &added).ok());
  EXPECT_EQ(added.action().action_id(), "a2");
  EXPECT_EQ(added.action().owner(), "members/rep-2");
  EXPECT_EQ(added.proposal().actions_size(), 2);
  const CallContext retry = sup1_;
  v1::AddActionResponse again;
  ASSERT_TRUE(api_.AddAction(retry, add, &again).ok());  // same (now stale) etag
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(again.action().action_id(), "a2");
  EXPECT_EQ(again.proposal().actions_size(), 2);
  EXPECT_EQ(Count("salesops.warning.v1.ActionUpdated"), 1u);

  // rep-2 may not touch rep-1's action; rep-1 may not cancel it.
  s = UpdateAction(rep2_, p.name(), "a1", WithStatus(v1::ACTION_STATUS_DONE), {"status"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "NOT_ACTION_OWNER");
  s = UpdateAction(rep1_, p.name(), "a1", WithStatus(v1::ACTION_STATUS_CANCELLED), {"status"})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "SUPERVISOR_ONLY_CHANGE");
  s = UpdateAction(rep1_, p.name(), "a1", WithStatus(v1::ACTION_STATUS_DONE), {"priority"})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "update_mask.paths[0]");
  s = UpdateAction(rep1_, p.name(), "", WithStatus(v1::ACTION_STATUS_DONE), {"status"}).status();
  EXPECT_EQ(FieldOf(s), "action_id");
  s = UpdateAction(sup1_, p.name(), "a9", WithStatus(v1::ACTION_STATUS_DONE), {"status"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(ErrorReason(s), "ACTION_NOT_FOUND");
  EXPECT_EQ(Count("salesops.warning.v1.ActionUpdated"), 1u);

  absl::StatusOr<v1::UpdateActionResponse> moved =
      UpdateAction(rep1_, p.name(), "a1", WithStatus(v1::ACTION_STATUS_IN_PROGRESS), {"status"});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->action().status(), v1::ACTION_STATUS_IN_PROGRESS);
  absl::StatusOr<v1::UpdateActionResponse> same =
      UpdateAction(rep1_, p.name(), "a1", WithStatus(v1::ACTION_STATUS_IN_PROGRESS), {"status"});
  ASSERT_TRUE(same.ok()) << same.status();  // nothing changed: nothing written
  EXPECT_EQ(same->proposal().etag(), moved->proposal().etag());
  EXPECT_EQ(Count("salesops.warning.v1.ActionUpdated"), 2u);

  ASSERT_TRUE(
      UpdateAction(rep1_, p.name(), "a1", WithStatus(v1::ACTION_STATUS_DONE), {"status"}).ok());
  absl::StatusOr<v1::UpdateActionResponse> closed =
      UpdateAction(sup1_, p.name(), "a2", WithStatus(v1::ACTION_STATUS_CANCELLED), {"status"});
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->proposal().state(), v1::PROPOSAL_STATE_CLOSED);
  std::vector<v1::ActionUpdated> events =
      Payloads<v1::ActionUpdated>("salesops.warning.v1.ActionUpdated");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_FALSE(events[2].proposal_closed());
  EXPECT_TRUE(events[3].proposal_closed());
  EXPECT_EQ(events[3].previous_status(), v1::ACTION_STATUS_TODO);
  EXPECT_EQ(events[3].action().status(), v1::ACTION_STATUS_CANCELLED);
  EXPECT_EQ(events[3].actor().member_id(), "sup-1");

  // The request_id made a2 on this proposal; another proposal cannot reuse it.
  v1::StrategyProposal other = NewProposal("k-act-2");
  absl::StatusOr<v1::StrategyProposal> other_decided =
      Decide(sup1_, other, v1::DECISION_OUTCOME_APPROVED);
  ASSERT_TRUE(other_decided.ok()) << other_decided.status();
  v1::AddActionRequest crossed = add;
  crossed.set_proposal(other.name());
  crossed.clear_etag();
  v1::AddActionResponse crossed_resp;
  s = api_.AddAction(sup1_, crossed, &crossed_resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(ErrorReason(s), "REQUEST_ID_REUSED");
  EXPECT_FALSE(crossed_resp.has_action());
}

// ListProposals filters by warning, author, state and open-action owner (an
// action added with AddAction); each list is limited to what the caller may see.
TEST_F(WarningApiTest, ListProposalsFiltersByWarningAuthorStateAndActionOwner) {
  const v1::StrategyProposal first = NewProposal("k-l1");
  const v1::StrategyProposal second = NewProposal("k-l2");
  absl::StatusOr<v1::StrategyProposal> decided =
      Decide(sup1_, second, v1::DECISION_OUTCOME_APPROVED);
  ASSERT_TRUE(decided.ok()) << decided.status();
  v1::AddActionRequest add;
  add.set_proposal(second.name());
  *add.mutable_action() = ActionFor("rep-2", absl::Hours(72));
  v1::AddActionResponse added;
  ASSERT_TRUE(api_.AddAction(sup1_, add, &added).ok());

  auto names = [&](const CallContext& call, const v1::ListProposalsRequest& req) {
    v1::ListProposalsResponse resp;
    absl::Status s = api_.ListProposals(call, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    std::vector<std::string> out;
    for (const v1::StrategyProposal& p : resp.proposals()) {
      out.push_back(p.name());
    }
    return out;
  };
  EXPECT_THAT(names(rep1_, {}), UnorderedElementsAre(first.name(), second.name()));
  v1::ListProposalsRequest req;
  req.set_warning(first.warnings(0));
  EXPECT_THAT(names(sup1_, req), ElementsAre(first.name()));
  req = {};
  req.set_state(v1::PROPOSAL_STATE_DECIDED);
  EXPECT_THAT(names(mgr_east_, req), ElementsAre(second.name()));
  req = {};
  req.set_author("members/sup-1");
  EXPECT_THAT(names(director_, req), UnorderedElementsAre(first.name(), second.name()));
  EXPECT_TRUE(names(sup3_, req).empty());  // another team's proposals are filtered out
  req = {};
  req.set_action_owner("members/rep-2");
  EXPECT_THAT(names(rep2_, req), ElementsAre(second.name()));

  req = {};
  req.set_org_unit("orgUnits/t-hz");
  v1::ListProposalsResponse resp;
  absl::Status s = api_.ListProposals(sup3_, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  req = {};
  req.set_action_owner("rep-2");
  s = api_.ListProposals(sup1_, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "action_owner");
}

// The follow-up actions created with the decision are found by their owner,
// like those added later (DecideProposal once left them out of the index).
TEST_F(WarningApiTest, ListProposalsFindsActionsCreatedWithTheDecision) {
  const v1::StrategyProposal p = NewProposal("k-owner");
  absl::StatusOr<v1::StrategyProposal> decided =
      Decide(sup1_, p, v1::DECISION_OUTCOME_APPROVED, {ActionFor("rep-1", absl::Hours(72))});
  ASSERT_TRUE(decided.ok()) << decided.status();
  ASSERT_EQ(decided->actions_size(), 1);
  ASSERT_EQ(decided->actions(0).owner(), "members/rep-1");

  v1::ListProposalsRequest req;
  req.set_action_owner("members/rep-1");
  v1::ListProposalsResponse resp;
  ASSERT_TRUE(api_.ListProposals(rep1_, req, &resp).ok());
  ASSERT_EQ(resp.proposals_size(), 1);
  EXPECT_EQ(resp.proposals(0).name(), p.name());
}

// ---------------------------------------------------------------- commit failures

// A commit that fails (the store is unreachable) surfaces as UNAVAILABLE and
// leaves the rule absent and no event; the retry then succeeds.
TEST_F(WarningApiTest, FailedRuleCommitIsUnavailableAndWritesNothing) {
  const std::vector<std::string> before = WarningEventTypes();
  const size_t created_before = Count("salesops.warning.v1.RuleCreated");
  kv_.FailNextCommit();
  absl::Status s = CreateRule(director_, RuleRequest("lost-rule")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(IsRetryable(s));
  EXPECT_EQ(WarningEventTypes(), before);
  EXPECT_EQ(GetRule(admin_, "rules/lost-rule").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rule_changes_, 0);

  absl::StatusOr<v1::Rule> cur = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(cur.ok());
  v1::Rule change = *cur;
  change.set_severity(v1::SEVERITY_CRITICAL);
  kv_.FailNextCommit();
  s = UpdateRule(admin_, change, {"severity"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  absl::StatusOr<v1::Rule> unchanged = GetRule(admin_, kOverdueRule);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->etag(), "1");
  EXPECT_EQ(unchanged->severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(WarningEventTypes(), before);

  ASSERT_TRUE(CreateRule(director_, RuleRequest("lost-rule")).ok());
  EXPECT_EQ(Count("salesops.warning.v1.RuleCreated"), created_before + 1);
}

// The same for the warning and proposal workflow: a failed acknowledge, vote
// or proposal leaves the warning and proposal as they were and emits nothing.
TEST_F(WarningApiTest, FailedWorkflowCommitIsUnavailableAndWritesNothing) {
  const v1::Warning w = RaiseOverdue("k-fail", "rep-1", "t-hz");
  const std::vector<std::string> before = WarningEventTypes();

  kv_.FailNextCommit();
  absl::Status s = Acknowledge(sup1_, w.name(), w.etag(), "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  absl::StatusOr<v1::Warning> read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state(), v1::WARNING_STATE_OPEN);
  EXPECT_EQ(read->etag(), "1");

  v1::CreateProposalRequest req = ProposalRequest(w);
  req.set_request_id("lost-open");
  kv_.FailNextCommit();
  s = CreateProposal(sup1_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  read = GetWarning(sup1_, w.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->proposals_size(), 0);
  v1::ListProposalsResponse listed;
  ASSERT_TRUE(api_.ListProposals(director_, v1::ListProposalsRequest(), &listed).ok());
  EXPECT_EQ(listed.proposals_size(), 0);
  EXPECT_EQ(WarningEventTypes(), before);

  // The retried request opens it (the lost attempt recorded no request_id).
  absl::StatusOr<v1::StrategyProposal> p = CreateProposal(sup1_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  kv_.FailNextCommit();
  s = Vote(rep1_, p->name(), v1::VOTE_CHOICE_FOR).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  v1::GetProposalRequest get;
  get.set_name(p->name());
  v1::GetProposalResponse got;
  ASSERT_TRUE(api_.GetProposal(rep1_, get, &got).ok());
  EXPECT_EQ(got.proposal().votes_size(), 0);
  EXPECT_EQ(got.proposal().etag(), "1");
  EXPECT_EQ(Count("salesops.warning.v1.ProposalVoted"), 0u);
  EXPECT_EQ(Count("salesops.warning.v1.ProposalOpened"), 1u);
}

}  // namespace
}  // namespace salesops::warning
