// The sync use cases against the in-memory repository and directory: task
// forces (automatic proposal once per deal, forming, milestones, updates,
// credit split, close), receptions, feedback queues and answers, customer
// shares and the share topic, the SLA clocks, notification deliveries,
// scope and bad input.
#include "services/sync/api/sync_api.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/sync/domain/feedback.h"
#include "services/sync/events/share_publisher.h"
#include "services/sync/events/sync_projection.h"
#include "services/sync/jobs/sla_jobs.h"
#include "services/sync/store/in_memory_directory.h"
#include "services/sync/store/in_memory_sync_repository.h"

namespace salesops::sync {
namespace {

using ::testing::HasSubstr;
namespace cv1 = salesops::customers::v1;
namespace wv1 = salesops::warning::v1;

CallContext As(Role role, std::string member, std::string unit) {
  return CallContext{{std::move(member), role, std::move(unit)}, "trace-1", "test"};
}

absl::Time ChinaNoon(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::FixedTimeZone(8 * 3600));
}

salesops::common::v1::Date ToDate(absl::CivilDay d) {
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

std::string Field(const absl::Status& s) {
  std::vector<FieldViolation> v = FieldViolations(s);
  return v.empty() ? "" : v[0].field;
}

constexpr char kRoutes[] = R"({"routes": [
  {"id": "east-1-wecom", "org_unit": "team-east-1", "platform": "wecom",
   "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY",
   "events": ["warning_raised", "task_force_proposed", "feedback_answered"]},
  {"id": "east-2-feishu", "org_unit": "team-east-2", "platform": "feishu",
   "url": "https://open.feishu.cn/open-apis/bot/v2/hook/HOOK", "secret": "s3",
   "events": ["warning_raised"]}
]})";

// A sent notification: which route, which event.
struct Sent {
  std::string key;
  std::optional<std::string> value;
};
class RecordingSink final : public ShareSink {
 public:
  absl::Status Publish(const std::string& key, const std::optional<std::string>& value,
                       const KafkaHeaders& headers) override {
    // What happens elsewhere while this record is on its way (once).
    if (during_publish) {
      std::exchange(during_publish, nullptr)();
    }
    records.push_back({key, value});
    last_headers = headers;
    return absl::OkStatus();
  }
  std::vector<Sent> records;
  KafkaHeaders last_headers;
  std::function<void()> during_publish;
};

class SyncApiTest : public ::testing::Test {
 protected:
  SyncApiTest()
      : clock_(ChinaNoon(2026, 11, 2)),
        repo_(clock_),
        routes_(*RouteTable::FromJson(kRoutes, "test")),
        api_(repo_, dir_, routes_, clock_),
        projection_(repo_, dir_, routes_, clock_),
        sla_(repo_, clock_),
        publisher_(repo_, sink_, clock_) {
    dir_.AddUnit("acme", "");
    dir_.AddUnit("region-east", "acme", /*region=*/true);
    dir_.AddUnit("team-east-1", "region-east");
    dir_.AddUnit("team-east-2", "region-east");
    dir_.AddUnit("dept-product", "acme");
    dir_.AddUnit("dept-marketing", "acme");
    dir_.AddMember("sup-1", "team-east-1", 2, v1::DEPARTMENT_SALES);
    dir_.AddMember("rep-1", "team-east-1", 1, v1::DEPARTMENT_SALES);
    dir_.AddMember("rep-2", "team-east-1", 1, v1::DEPARTMENT_SALES);
    dir_.AddMember("rep-3", "team-east-2", 1, v1::DEPARTMENT_SALES);
    dir_.AddMember("mgr-east", "region-east", 3, v1::DEPARTMENT_SALES);
    dir_.AddMember("pm-1", "dept-product", 1, v1::DEPARTMENT_PRODUCT);
    dir_.AddMember("mk-1", "dept-marketing", 1, v1::DEPARTMENT_MARKETING);
    dir_.AddMember("dir-1", "acme", 4, v1::DEPARTMENT_SALES);
  }

  // ---- customers events as the customers service publishes them
  CloudEvent CustomerCreated(const std::string& id, cv1::CustomerTier tier) {
    cv1::CustomerCreated e;
    cv1::Customer* c = e.mutable_customer();
    c->set_name("customers/" + id);
    c->set_display_name("华东制造集团");
    c->set_tier(tier);
    c->set_owner("members/rep-1");
    c->set_team("orgUnits/team-east-1");
    c->mutable_tags()->set_region("orgUnits/region-east");
    cv1::Contact* contact = c->add_contacts();
    contact->set_display_name("张伟");
    contact->set_phone("13812345678");
    contact->set_email("zhangwei@example.com");
    contact->set_primary(true);
    CloudEvent ev = MakeCloudEvent("/salesops/customers", id, c->name(), e, clock_.Now());
    ev.id = "cc-" + id;
    return ev;
  }
  CloudEvent Stage(const std::string& event_id, const std::string& opp, cv1::OpportunityStage to,
                   int64_t amount_minor, const std::string& customer = "cust-1") {
    cv1::OpportunityStageChanged e;
    e.set_opportunity("opportunities/" + opp);
    e.set_customer("customers/" + customer);
    e.set_display_name("智能工厂二期");
    e.set_to_stage(to);
    e.set_owner("members/rep-1");
    e.set_team("orgUnits/team-east-1");
    e.set_region("orgUnits/region-east");
    e.set_product_line("orgUnits/pl-cloud");
    e.mutable_amount()->set_amount_minor(amount_minor);
    e.mutable_amount()->set_currency_code("CNY");
    CloudEvent ev =
        MakeCloudEvent("/salesops/customers", customer, e.opportunity(), e, clock_.Now());
    ev.id = event_id;
    return ev;
  }
  CloudEvent Lost(const std::string& event_id, const std::string& opp, int64_t amount_minor,
                  const std::string& reason, const std::string& competitor) {
    cv1::OpportunityLost e;
    e.set_opportunity("opportunities/" + opp);
    e.set_customer("customers/cust-1");
    e.set_owner("members/rep-1");
    e.set_team("orgUnits/team-east-1");
    e.set_region("orgUnits/region-east");
    e.set_product_line("orgUnits/pl-cloud");
    e.mutable_amount()->set_amount_minor(amount_minor);
    e.mutable_amount()->set_currency_code("CNY");
    e.set_reason(reason);
    e.set_lost_to_competitor(competitor);
    CloudEvent ev =
        MakeCloudEvent("/salesops/customers", "cust-1", e.opportunity(), e, clock_.Now());
    ev.id = event_id;
    return ev;
  }
  // A sharing grant of cust-1 to `grantee`'s subtree, granted or (revoked) revoked.
  CloudEvent Grant(const std::string& id, const std::string& grantee, bool revoked = false) {
    cv1::SharingGrant g;
    g.set_name("sharingGrants/" + id);
    g.set_customer("customers/cust-1");
    g.set_grantee("orgUnits/" + grantee);
    g.set_purpose("行业案例");
    CloudEvent ev;
    if (revoked) {
      *g.mutable_revoke_time() = ToTs(clock_.Now());
      cv1::SharingRevoked e;
      *e.mutable_sharing_grant() = g;
      ev = MakeCloudEvent("/salesops/customers", id, g.name(), e, clock_.Now());
    } else {
      cv1::SharingGranted e;
      *e.mutable_sharing_grant() = g;
      ev = MakeCloudEvent("/salesops/customers", id, g.name(), e, clock_.Now());
    }
    ev.id = (revoked ? "gr-" : "gg-") + id;
    return ev;
  }
  // rep-1 sharing cust-1 with `unit` under sharing grant `grant`.
  absl::Status ShareUnder(const std::string& grant, const std::string& unit,
                          v1::ShareCustomerResponse* resp) {
    v1::ShareCustomerRequest req;
    req.mutable_share()->set_customer("customers/cust-1");
    req.mutable_share()->set_recipient("orgUnits/" + unit);
    req.mutable_share()->set_sharing_grant("sharingGrants/" + grant);
    req.mutable_share()->set_purpose("行业案例");
    return api_.ShareCustomer(rep1_, req, resp);
  }
  // `writer` lands between the next commit's read and its apply; commits_after_
  // then counts the commits tried after it (the call run again).
  void BeforeNextCommit(std::function<void()> writer) {
    repo_.BeforeNextCommit([this, writer = std::move(writer)] {
      writer();
      CountCommits();
    });
  }
  void CountCommits() {
    repo_.BeforeNextCommit([this] {
      ++commits_after_;
      CountCommits();
    });
  }

  CloudEvent WarningRaised(const std::string& event_id, const std::string& team) {
    wv1::WarningRaised e;
    wv1::Warning* w = e.mutable_warning();
    w->set_name("warnings/w-" + event_id);
    w->set_org_unit("orgUnits/" + team);
    w->set_subject_display_name("智能工厂二期");
    w->set_rule("warningRules/stalled-deal");
    w->set_severity(wv1::SEVERITY_CRITICAL);
    w->mutable_message()->set_zh("商机停滞 15 天");
    CloudEvent ev =
        MakeCloudEvent("/salesops/warning", "w-" + event_id, w->name(), e, clock_.Now());
    ev.id = event_id;
    return ev;
  }

  std::vector<v1::NotificationDelivery> Deliveries() {
    v1::ListDeliveriesResponse resp;
    v1::ListDeliveriesRequest req;
    req.set_page_size(500);
    EXPECT_TRUE(api_.ListDeliveries(admin_, req, &resp).ok());
    return {resp.deliveries().begin(), resp.deliveries().end()};
  }
  std::vector<v1::TaskForce> TaskForcesOf(const std::string& opp) {
    v1::ListTaskForcesRequest req;
    req.set_opportunity("opportunities/" + opp);
    v1::ListTaskForcesResponse resp;
    absl::Status s = api_.ListTaskForces(dir1_, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return {resp.task_forces().begin(), resp.task_forces().end()};
  }
  int EventsOf(const std::string& type) {
    return static_cast<int>(repo_.EventsOfType(type).size());
  }
  v1::TaskForceMember Member(const std::string& id, v1::TaskForceRole role,
                             v1::TaskForceFunction function) {
    v1::TaskForceMember m;
    m.set_member("members/" + id);
    m.set_role(role);
    m.set_function(function);
    return m;
  }
  // A deal over the threshold at PROPOSAL: its automatic task force.
  v1::TaskForce AutoTaskForce(const std::string& opp) {
    EXPECT_TRUE(
        projection_.Handle(Stage("s-" + opp, opp, cv1::OPPORTUNITY_STAGE_PROPOSAL, 2'000'000'00))
            .ok());
    std::vector<v1::TaskForce> tfs = TaskForcesOf(opp);
    EXPECT_EQ(tfs.size(), 1u);
    return tfs.empty() ? v1::TaskForce() : tfs[0];
  }
  v1::TaskForce Form(const v1::TaskForce& t) {
    v1::FormTaskForceRequest req;
    req.set_name(t.name());
    *req.add_members() = Member("rep-1", v1::TASK_FORCE_ROLE_LEAD, v1::TASK_FORCE_FUNCTION_SALES);
    *req.add_members() =
        Member("sup-1", v1::TASK_FORCE_ROLE_SPONSOR, v1::TASK_FORCE_FUNCTION_SALES);
    *req.add_members() =
        Member("pm-1", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_PRODUCT);
    v1::FormTaskForceResponse resp;
    absl::Status s = api_.FormTaskForce(mgr_, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.task_force();
  }

  int commits_after_ = 0;
  FakeClock clock_;
  InMemorySyncRepository repo_;
  InMemoryDirectory dir_;
  RouteTable routes_;
  SyncApi api_;
  SyncProjection projection_;
  SlaJobs sla_;
  RecordingSink sink_;
  SharePublisher publisher_;
  CallContext rep1_ = As(Role::kRep, "rep-1", "team-east-1");
  CallContext rep3_ = As(Role::kRep, "rep-3", "team-east-2");
  CallContext sup1_ = As(Role::kSupervisor, "sup-1", "team-east-1");
  CallContext mgr_ = As(Role::kManager, "mgr-east", "region-east");
  CallContext pm1_ = As(Role::kRep, "pm-1", "dept-product");
  CallContext mk1_ = As(Role::kRep, "mk-1", "dept-marketing");
  CallContext dir1_ = As(Role::kDirector, "dir-1", "acme");
  CallContext admin_ = As(Role::kAdmin, "admin", "acme");
};

// ---------------------------------------------------------------- task forces

TEST_F(SyncApiTest, DealOverThresholdAtProposalGetsOneTaskForceEvenWhenRedelivered) {
  const CloudEvent early = Stage("s-1", "opp-1", cv1::OPPORTUNITY_STAGE_QUALIFIED, 2'000'000'00);
  ASSERT_TRUE(projection_.Handle(early).ok());
  EXPECT_TRUE(TaskForcesOf("opp-1").empty()) << "before the trigger stage";

  const CloudEvent proposal = Stage("s-2", "opp-1", cv1::OPPORTUNITY_STAGE_PROPOSAL, 2'000'000'00);
  ASSERT_TRUE(projection_.Handle(proposal).ok());
  ASSERT_TRUE(projection_.Handle(proposal).ok());  // redelivered
  ASSERT_TRUE(
      projection_.Handle(Stage("s-3", "opp-1", cv1::OPPORTUNITY_STAGE_NEGOTIATION, 2'000'000'00))
          .ok());
  std::vector<v1::TaskForce> tfs = TaskForcesOf("opp-1");
  ASSERT_EQ(tfs.size(), 1u);
  EXPECT_EQ(tfs[0].state(), v1::TASK_FORCE_STATE_PROPOSED);
  EXPECT_EQ(tfs[0].trigger(), v1::TASK_FORCE_TRIGGER_AUTO);
  EXPECT_EQ(tfs[0].owner(), "members/rep-1");
  EXPECT_EQ(tfs[0].amount().amount_minor(), 2'000'000'00);
  // The owner leads, the team's supervisor sponsors.
  ASSERT_EQ(tfs[0].members_size(), 2);
  EXPECT_EQ(tfs[0].members(0).member(), "members/rep-1");
  EXPECT_EQ(tfs[0].members(1).member(), "members/sup-1");
  EXPECT_EQ(tfs[0].members(1).role(), v1::TASK_FORCE_ROLE_SPONSOR);
  ASSERT_EQ(EventsOf("salesops.sync.v1.TaskForceProposed"), 1);
  auto proposed = DecodePayload<v1::TaskForceProposed>(
      repo_.EventsOfType("salesops.sync.v1.TaskForceProposed")[0].event);
  ASSERT_TRUE(proposed.ok());
  EXPECT_EQ(proposed->cause_event_id(), "s-2");
}

TEST_F(SyncApiTest, SmallDealNoTaskForceUnlessTierSCustomer) {
  ASSERT_TRUE(
      projection_
          .Handle(Stage("s-1", "opp-small", cv1::OPPORTUNITY_STAGE_PROPOSAL, 10'000'00, "cust-a"))
          .ok());
  EXPECT_TRUE(TaskForcesOf("opp-small").empty());

  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-s", cv1::CUSTOMER_TIER_S)).ok());
  ASSERT_TRUE(
      projection_
          .Handle(Stage("s-2", "opp-s", cv1::OPPORTUNITY_STAGE_PROPOSAL, 10'000'00, "cust-s"))
          .ok());
  std::vector<v1::TaskForce> tfs = TaskForcesOf("opp-s");
  ASSERT_EQ(tfs.size(), 1u);
  EXPECT_EQ(tfs[0].customer_tier(), cv1::CUSTOMER_TIER_S);
}

TEST_F(SyncApiTest, PolicyChangesTheThreshold) {
  v1::UpdateTaskForcePolicyRequest req;
  req.mutable_policy()->mutable_min_amount()->set_amount_minor(5'000'000'00);
  req.mutable_policy()->mutable_min_amount()->set_currency_code("CNY");
  req.mutable_update_mask()->add_paths("min_amount");
  v1::UpdateTaskForcePolicyResponse resp;
  ASSERT_TRUE(api_.UpdateTaskForcePolicy(dir1_, req, &resp).ok());
  EXPECT_EQ(resp.policy().etag(), "1");
  ASSERT_TRUE(
      projection_.Handle(Stage("s-1", "opp-1", cv1::OPPORTUNITY_STAGE_PROPOSAL, 2'000'000'00))
          .ok());
  EXPECT_TRUE(TaskForcesOf("opp-1").empty()) << "¥2,000,000 is under the new ¥5,000,000";
  EXPECT_EQ(EventsOf("salesops.sync.v1.TaskForcePolicyUpdated"), 1);

  v1::UpdateTaskForcePolicyRequest bad;
  bad.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(Field(api_.UpdateTaskForcePolicy(dir1_, bad, &resp)), "update_mask");
}

TEST_F(SyncApiTest, ManualProposalOnlyOneOpenPerDealAndOnlyFromTheLine) {
  ASSERT_TRUE(
      projection_.Handle(Stage("s-1", "opp-9", cv1::OPPORTUNITY_STAGE_LEAD, 10'000'00)).ok());
  v1::ProposeTaskForceRequest req;
  req.mutable_task_force()->set_opportunity("opportunities/opp-9");
  req.mutable_task_force()->set_title("二期攻坚");
  req.set_request_id("11111111-1111-4111-8111-111111111111");
  v1::ProposeTaskForceResponse resp;
  // Another team's supervisor may not.
  CallContext sup_other = As(Role::kSupervisor, "sup-2", "team-east-2");
  EXPECT_EQ(api_.ProposeTaskForce(sup_other, req, &resp).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.ProposeTaskForce(sup1_, req, &resp).ok());
  EXPECT_EQ(resp.task_force().trigger(), v1::TASK_FORCE_TRIGGER_MANUAL);
  EXPECT_EQ(resp.task_force().title(), "二期攻坚");
  EXPECT_EQ(resp.task_force().proposed_by(), "members/sup-1");
  // The same request again: the same task force.
  v1::ProposeTaskForceResponse again;
  absl::Status replayed = api_.ProposeTaskForce(sup1_, req, &again);
  ASSERT_TRUE(replayed.ok()) << replayed;
  EXPECT_EQ(again.task_force().name(), resp.task_force().name());
  // A second proposal for the deal while the first is open.
  req.set_request_id("");
  absl::Status second = api_.ProposeTaskForce(sup1_, req, &again);
  EXPECT_EQ(second.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReason(second), "TASK_FORCE_EXISTS");
  // Declined, the deal may get another.
  v1::DeclineTaskForceRequest decline;
  decline.set_name(resp.task_force().name());
  decline.set_reason("客户预算冻结");
  v1::DeclineTaskForceResponse declined;
  EXPECT_EQ(api_.DeclineTaskForce(sup1_, decline, &declined).code(),
            absl::StatusCode::kPermissionDenied)
      << "a supervisor proposes; the manager decides";
  ASSERT_TRUE(api_.DeclineTaskForce(mgr_, decline, &declined).ok());
  EXPECT_EQ(declined.task_force().state(), v1::TASK_FORCE_STATE_DECLINED);
  EXPECT_TRUE(api_.ProposeTaskForce(sup1_, req, &again).ok());
  EXPECT_EQ(TaskForcesOf("opp-9").size(), 2u);
}

TEST_F(SyncApiTest, FormedTaskForceMilestonesUpdatesSplitAndClose) {
  v1::TaskForce t = Form(AutoTaskForce("opp-1"));
  EXPECT_EQ(t.state(), v1::TASK_FORCE_STATE_FORMED);
  EXPECT_EQ(EventsOf("salesops.sync.v1.TaskForceFormed"), 1);

  // The product member now finds it under their own name.
  v1::ListTaskForcesRequest mine;
  v1::ListTaskForcesResponse listed;
  ASSERT_TRUE(api_.ListTaskForces(pm1_, mine, &listed).ok());
  ASSERT_EQ(listed.task_forces_size(), 1);
  EXPECT_EQ(listed.task_forces(0).name(), t.name());
  // A rep of another team does not.
  v1::ListTaskForcesResponse theirs;
  ASSERT_TRUE(api_.ListTaskForces(rep3_, mine, &theirs).ok());
  EXPECT_EQ(theirs.task_forces_size(), 0);
  v1::GetTaskForceRequest get;
  get.set_name(t.name());
  v1::GetTaskForceResponse got;
  EXPECT_EQ(api_.GetTaskForce(rep3_, get, &got).code(), absl::StatusCode::kPermissionDenied);

  // Milestones: added by the lead, updated by mask.
  v1::UpdateMilestoneRequest ms;
  ms.set_task_force(t.name());
  ms.mutable_milestone()->set_title("技术方案评审");
  ms.mutable_milestone()->set_owner("members/pm-1");
  v1::UpdateMilestoneResponse ms_resp;
  ASSERT_TRUE(api_.UpdateMilestone(rep1_, ms, &ms_resp).ok());
  EXPECT_EQ(ms_resp.milestone().milestone_id(), "m1");
  EXPECT_EQ(ms_resp.milestone().state(), v1::MILESTONE_STATE_PLANNED);
  v1::UpdateMilestoneRequest done;
  done.set_task_force(t.name());
  done.mutable_milestone()->set_milestone_id("m1");
  done.mutable_milestone()->set_state(v1::MILESTONE_STATE_DONE);
  done.mutable_update_mask()->add_paths("state");
  // The milestone's owner may update it; a stranger may not.
  EXPECT_EQ(api_.UpdateMilestone(rep3_, done, &ms_resp).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.UpdateMilestone(pm1_, done, &ms_resp).ok());
  EXPECT_EQ(ms_resp.milestone().state(), v1::MILESTONE_STATE_DONE);
  EXPECT_EQ(ms_resp.milestone().title(), "技术方案评审") << "fields outside the mask are kept";

  // Updates: a retry with the same request_id posts once.
  v1::PostTaskForceUpdateRequest post;
  post.set_task_force(t.name());
  post.set_text("客户 CIO 认可方案，下周报价");
  post.set_request_id("22222222-2222-4222-8222-222222222222");
  v1::PostTaskForceUpdateResponse p1, p2;
  ASSERT_TRUE(api_.PostTaskForceUpdate(pm1_, post, &p1).ok());
  ASSERT_TRUE(api_.PostTaskForceUpdate(pm1_, post, &p2).ok());
  EXPECT_EQ(p1.update().update_id(), p2.update().update_id());
  ASSERT_TRUE(api_.GetTaskForce(rep1_, get, &got).ok());
  EXPECT_EQ(got.task_force().updates_size(), 1);
  EXPECT_EQ(got.task_force().updates(0).author(), "members/pm-1");

  // Credit split: must be members and sum to exactly 100 %.
  v1::AgreeCreditSplitRequest split;
  split.set_name(t.name());
  v1::CreditShare* a = split.add_shares();
  a->set_member("members/rep-1");
  a->set_share_millionths(700'000);
  v1::CreditShare* b = split.add_shares();
  b->set_member("members/pm-1");
  b->set_share_millionths(200'000);
  v1::AgreeCreditSplitResponse split_resp;
  absl::Status short_split = api_.AgreeCreditSplit(rep1_, split, &split_resp);
  EXPECT_EQ(short_split.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Field(short_split), HasSubstr("shares"));
  b->set_share_millionths(300'000);
  EXPECT_EQ(api_.AgreeCreditSplit(pm1_, split, &split_resp).code(),
            absl::StatusCode::kPermissionDenied)
      << "a plain member does not decide the split";
  ASSERT_TRUE(api_.AgreeCreditSplit(rep1_, split, &split_resp).ok());
  ASSERT_EQ(EventsOf("salesops.sync.v1.TaskForceCreditSplitAgreed"), 1);
  const OutEvent agreed = repo_.EventsOfType("salesops.sync.v1.TaskForceCreditSplitAgreed")[0];
  EXPECT_EQ(agreed.event.key, "opp-1") << "keyed by the deal for the commission engine";
  auto split_event = DecodePayload<v1::TaskForceCreditSplitAgreed>(agreed.event);
  ASSERT_TRUE(split_event.ok());
  EXPECT_EQ(split_event->opportunity(), "opportunities/opp-1");
  EXPECT_EQ(split_event->shares_size(), 2);
  EXPECT_EQ(split_event->amount().amount_minor(), 2'000'000'00);

  // Close: outcome required; closing frees the deal for another task force.
  v1::CloseTaskForceRequest close;
  close.set_name(t.name());
  v1::CloseTaskForceResponse closed;
  EXPECT_EQ(Field(api_.CloseTaskForce(rep1_, close, &closed)), "outcome");
  close.set_outcome(v1::TASK_FORCE_OUTCOME_WON);
  ASSERT_TRUE(api_.CloseTaskForce(rep1_, close, &closed).ok());
  EXPECT_EQ(closed.task_force().state(), v1::TASK_FORCE_STATE_CLOSED);
  EXPECT_EQ(api_.PostTaskForceUpdate(pm1_, post, &p1).code(), absl::StatusCode::kOk)
      << "the replay still answers with the recorded update";
  post.set_request_id("");
  EXPECT_EQ(ErrorReason(api_.PostTaskForceUpdate(pm1_, post, &p1)), "TASK_FORCE_CLOSED");
}

TEST_F(SyncApiTest, FormingNeedsALeadAndAnotherFunction) {
  v1::TaskForce t = AutoTaskForce("opp-1");
  v1::FormTaskForceRequest req;
  req.set_name(t.name());
  v1::FormTaskForceResponse resp;
  // As proposed: sales only, not cross-department yet.
  EXPECT_EQ(ErrorReason(api_.FormTaskForce(mgr_, req, &resp)), "TASK_FORCE_MEMBERS");
  *req.add_members() = Member("rep-1", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_SALES);
  *req.add_members() = Member("pm-1", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_PRODUCT);
  absl::Status no_lead = api_.FormTaskForce(mgr_, req, &resp);
  EXPECT_EQ(no_lead.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Field(no_lead), HasSubstr("members"));
  EXPECT_EQ(api_.FormTaskForce(rep1_, req, &resp).code(), absl::StatusCode::kInvalidArgument)
      << "bad input is named before access is decided";
  req.mutable_members(0)->set_role(v1::TASK_FORCE_ROLE_LEAD);
  EXPECT_EQ(api_.FormTaskForce(sup1_, req, &resp).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.FormTaskForce(mgr_, req, &resp).ok());
  // A stale etag loses.
  v1::AddTaskForceMemberRequest add;
  add.set_name(t.name());
  add.set_etag("1");
  *add.mutable_member() =
      Member("mk-1", v1::TASK_FORCE_ROLE_ADVISOR, v1::TASK_FORCE_FUNCTION_MARKETING);
  v1::AddTaskForceMemberResponse added;
  EXPECT_EQ(api_.AddTaskForceMember(rep1_, add, &added).code(), absl::StatusCode::kAborted);
  add.set_etag(resp.task_force().etag());
  ASSERT_TRUE(api_.AddTaskForceMember(rep1_, add, &added).ok());
  EXPECT_EQ(added.task_force().members_size(), 3);
  add.clear_etag();
  EXPECT_EQ(ErrorReason(api_.AddTaskForceMember(rep1_, add, &added)), "MEMBER_EXISTS");
  *add.mutable_member() =
      Member("ghost", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_DELIVERY);
  EXPECT_EQ(Field(api_.AddTaskForceMember(rep1_, add, &added)), "member.member");
}

TEST_F(SyncApiTest, TheOpenTaskForceFollowsTheDealToItsNewOwner) {
  const v1::TaskForce t = AutoTaskForce("opp-1");
  cv1::OpportunityUpdated e;
  cv1::Opportunity* o = e.mutable_opportunity();
  o->set_name("opportunities/opp-1");
  o->set_customer("customers/cust-1");
  o->set_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
  o->set_owner("members/rep-3");
  o->set_team("orgUnits/team-east-2");
  o->set_region("orgUnits/region-east");
  o->mutable_amount()->set_amount_minor(2'000'000'00);
  o->mutable_amount()->set_currency_code("CNY");
  CloudEvent ev = MakeCloudEvent("/salesops/customers", "cust-1", o->name(), e, clock_.Now());
  ev.id = "moved-opp-1";
  ASSERT_TRUE(projection_.Handle(ev).ok());
  v1::GetTaskForceRequest get;
  get.set_name(t.name());
  v1::GetTaskForceResponse got;
  ASSERT_TRUE(api_.GetTaskForce(rep3_, get, &got).ok()) << "the new owner reads it";
  EXPECT_EQ(got.task_force().team(), "orgUnits/team-east-2");
  // The new team's supervisor finds it in the team's list; the old one no longer.
  v1::ListTaskForcesResponse theirs, ours;
  ASSERT_TRUE(api_.ListTaskForces(As(Role::kSupervisor, "sup-2", "team-east-2"), {}, &theirs).ok());
  EXPECT_EQ(theirs.task_forces_size(), 1);
  ASSERT_TRUE(api_.ListTaskForces(sup1_, {}, &ours).ok());
  EXPECT_EQ(ours.task_forces_size(), 0);
}

// ---------------------------------------------------------------- receptions

TEST_F(SyncApiTest, ReceptionIsHostedByTwoDepartments) {
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A)).ok());
  v1::PlanReceptionRequest req;
  v1::CustomerReception* r = req.mutable_reception();
  r->set_customer("customers/cust-1");
  r->set_title("华东制造集团高层来访");
  *r->mutable_visit_date() = ToDate(absl::CivilDay(2026, 11, 20));
  v1::ReceptionHost* h1 = r->add_hosts();
  h1->set_member("members/rep-1");
  h1->set_department(v1::DEPARTMENT_SALES);
  v1::PlanReceptionResponse resp;
  EXPECT_EQ(Field(api_.PlanReception(rep1_, req, &resp)), "reception.hosts");
  v1::ReceptionHost* h2 = r->add_hosts();
  h2->set_member("members/pm-1");
  h2->set_department(v1::DEPARTMENT_PRODUCT);
  v1::AgendaItem* item = r->add_agenda();
  item->set_title("产品路线图");
  item->set_host("members/rep-3");
  EXPECT_EQ(Field(api_.PlanReception(rep1_, req, &resp)), "reception.agenda[0].host");
  item->set_host("members/pm-1");
  EXPECT_EQ(api_.PlanReception(rep3_, req, &resp).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.PlanReception(rep1_, req, &resp).ok());
  EXPECT_EQ(resp.reception().state(), v1::RECEPTION_STATE_PLANNED);
  EXPECT_EQ(resp.reception().team(), "orgUnits/team-east-1");
  // The product host finds it among theirs.
  v1::ListReceptionsRequest list;
  v1::ListReceptionsResponse listed;
  ASSERT_TRUE(api_.ListReceptions(pm1_, list, &listed).ok());
  EXPECT_EQ(listed.receptions_size(), 1);
  v1::UpdateReceptionRequest up;
  up.set_name(resp.reception().name());
  up.set_state(v1::RECEPTION_STATE_DONE);
  up.set_summary("客户确认二期预算");
  v1::UpdateReceptionResponse updated;
  ASSERT_TRUE(api_.UpdateReception(rep1_, up, &updated).ok());
  EXPECT_EQ(updated.reception().state(), v1::RECEPTION_STATE_DONE);
  up.set_state(v1::RECEPTION_STATE_CONFIRMED);
  EXPECT_EQ(api_.UpdateReception(rep1_, up, &updated).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SyncApiTest, CustomerWithoutRegionTagTakesItsTeamsRegionForScope) {
  CloudEvent created = CustomerCreated("cust-9", cv1::CUSTOMER_TIER_B);
  cv1::CustomerCreated e = *DecodePayload<cv1::CustomerCreated>(created);
  e.mutable_customer()->mutable_tags()->clear_region();
  created.data = e.SerializeAsString();
  ASSERT_TRUE(projection_.Handle(created).ok());
  // The region's manager reaches the customer through its team's region.
  v1::PlanReceptionRequest req;
  v1::CustomerReception* r = req.mutable_reception();
  r->set_customer("customers/cust-9");
  r->set_title("区域经理陪同拜访");
  *r->mutable_visit_date() = ToDate(absl::CivilDay(2026, 11, 21));
  for (const auto& [member, dept] : std::vector<std::pair<std::string, v1::Department>>{
           {"members/mgr-east", v1::DEPARTMENT_SALES}, {"members/pm-1", v1::DEPARTMENT_PRODUCT}}) {
    v1::ReceptionHost* h = r->add_hosts();
    h->set_member(member);
    h->set_department(dept);
  }
  v1::PlanReceptionResponse resp;
  absl::Status s = api_.PlanReception(mgr_, req, &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.reception().region(), "orgUnits/region-east");
}

// ---------------------------------------------------------------- feedback

TEST_F(SyncApiTest, FeedbackGoesToProductAnsweredRepNotifiedOverdueOnce) {
  v1::SubmitFeedbackRequest req;
  req.mutable_feedback()->set_kind(v1::FEEDBACK_KIND_FEATURE_REQUEST);
  req.mutable_feedback()->set_title("支持钉钉审批流");
  v1::SubmitFeedbackResponse resp;
  ASSERT_TRUE(api_.SubmitFeedback(rep1_, req, &resp).ok());
  const v1::Feedback f = resp.feedback();
  EXPECT_EQ(f.routed_department(), v1::DEPARTMENT_PRODUCT);

  // The product queue is the product department's; a rep and marketing may not read it.
  v1::ListFeedbackRequest queue;
  queue.set_department(v1::DEPARTMENT_PRODUCT);
  v1::ListFeedbackResponse listed;
  EXPECT_EQ(api_.ListFeedback(rep1_, queue, &listed).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(api_.ListFeedback(mk1_, queue, &listed).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.ListFeedback(pm1_, queue, &listed).ok());
  ASSERT_EQ(listed.feedback_size(), 1);

  // Past its SLA: one FeedbackOverdue, however often the job runs.
  clock_.Advance(absl::Hours(kDefaultSlaHours) + absl::Minutes(1));
  ASSERT_TRUE(sla_.RunOnce().ok());
  ASSERT_TRUE(sla_.RunOnce().ok());
  EXPECT_EQ(EventsOf("salesops.sync.v1.FeedbackOverdue"), 1);

  v1::RespondToFeedbackRequest answer;
  answer.set_name(f.name());
  answer.set_state(v1::FEEDBACK_STATE_ACCEPTED);
  answer.set_response("已排期 Q1 上线");
  *answer.mutable_planned_date() = ToDate(absl::CivilDay(2027, 3, 1));
  v1::RespondToFeedbackResponse answered;
  EXPECT_EQ(api_.RespondToFeedback(mk1_, answer, &answered).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.RespondToFeedback(pm1_, answer, &answered).ok());
  ASSERT_EQ(EventsOf("salesops.sync.v1.FeedbackResponded"), 1);

  // The answer reaches the rep's team group, once even if redelivered.
  const CloudEvent responded = repo_.EventsOfType("salesops.sync.v1.FeedbackResponded")[0].event;
  ASSERT_TRUE(projection_.Handle(responded).ok());
  ASSERT_TRUE(projection_.Handle(responded).ok());
  std::vector<v1::NotificationDelivery> d = Deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].route(), "notificationRoutes/east-1-wecom");
  EXPECT_EQ(d[0].state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_THAT(d[0].title(), HasSubstr("支持钉钉审批流"));
}

TEST_F(SyncApiTest, LostDealsFeedInsights) {
  ASSERT_TRUE(projection_.Handle(Lost("l-1", "opp-1", 300'000'00, "价格偏高", "竞品A")).ok());
  ASSERT_TRUE(projection_.Handle(Lost("l-2", "opp-2", 100'000'00, "价格偏高", "竞品A")).ok());
  ASSERT_TRUE(projection_.Handle(Lost("l-2", "opp-2", 100'000'00, "价格偏高", "竞品A")).ok());
  ASSERT_TRUE(projection_.Handle(Lost("l-3", "opp-3", 50'000'00, "交付周期长", "")).ok());
  v1::GetFeedbackInsightsRequest req;
  v1::GetFeedbackInsightsResponse resp;
  EXPECT_EQ(api_.GetFeedbackInsights(rep1_, req, &resp).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.GetFeedbackInsights(pm1_, req, &resp).ok());
  const std::string text = resp.insights().Utf8DebugString();
  EXPECT_THAT(text, HasSubstr("价格偏高"));
  EXPECT_THAT(text, HasSubstr("竞品A"));
  EXPECT_THAT(text, HasSubstr("40000000")) << "¥400,000 lost on price, the redelivery not counted";
}

// ---------------------------------------------------------------- shares

TEST_F(SyncApiTest, ShareTopicCarriesAMinimisedRecordThenATombstone) {
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A)).ok());
  v1::ShareCustomerRequest req;
  req.mutable_share()->set_customer("customers/cust-1");
  req.mutable_share()->set_recipient("systems/finance-erp");
  req.mutable_share()->set_purpose("开票与回款核对");
  req.mutable_share()->set_include_primary_contact(true);
  v1::ShareCustomerResponse resp;
  EXPECT_EQ(api_.ShareCustomer(rep3_, req, &resp).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.ShareCustomer(rep1_, req, &resp).ok());

  ASSERT_EQ(*publisher_.RunOnce(), 1);
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].key, "cust-1");
  ASSERT_TRUE(sink_.records[0].value.has_value());
  v1::SharedCustomerRecord record;
  ASSERT_TRUE(record.ParseFromString(*sink_.records[0].value));
  EXPECT_EQ(record.customer().display_name(), "华东制造集团");
  EXPECT_EQ(record.customer().primary_contact().phone(), "138****5678");
  EXPECT_THAT(sink_.records[0].value->find("13812345678"), std::string::npos);
  EXPECT_THAT(sink_.records[0].value->find("zhangwei@"), std::string::npos);
  ASSERT_EQ(record.shared_with_size(), 1);
  EXPECT_EQ(record.shared_with(0).recipient(), "systems/finance-erp");
  bool typed = false;
  for (const auto& [k, v] : sink_.last_headers) {
    typed = typed || (k == "ce_type" && v == "salesops.sync.v1.SharedCustomerRecord");
  }
  EXPECT_TRUE(typed);
  // Nothing changed: nothing published.
  EXPECT_EQ(*publisher_.RunOnce(), 0);

  v1::RevokeCustomerShareRequest revoke;
  revoke.set_name(resp.share().name());
  revoke.set_reason("合作结束");
  v1::RevokeCustomerShareResponse revoked;
  ASSERT_TRUE(api_.RevokeCustomerShare(rep1_, revoke, &revoked).ok());
  ASSERT_EQ(*publisher_.RunOnce(), 1);
  ASSERT_EQ(sink_.records.size(), 2u);
  EXPECT_EQ(sink_.records[1].key, "cust-1");
  EXPECT_FALSE(sink_.records[1].value.has_value()) << "a tombstone";
}

// A share under a grant re-puts the grant, so that a revocation committed
// meanwhile fails it. Two shares under one grant at once therefore race on the
// grant, which the request does not name: the second runs again and both are
// made, never ABORTED ETAG_MISMATCH for a request without an etag.
TEST_F(SyncApiTest, TwoSharesUnderOneGrantAtOnceAreBothMade) {
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A)).ok());
  ASSERT_TRUE(projection_.Handle(Grant("g-1", "acme")).ok());
  v1::ShareCustomerResponse theirs;
  BeforeNextCommit([&] { ASSERT_TRUE(ShareUnder("g-1", "dept-product", &theirs).ok()); });
  v1::ShareCustomerResponse mine;
  absl::Status s = ShareUnder("g-1", "dept-marketing", &mine);
  repo_.BeforeNextCommit(nullptr);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(commits_after_, 1) << "run once more, on the fresh grant";
  EXPECT_EQ(mine.share().state(), v1::SHARE_STATE_ACTIVE);
  EXPECT_EQ(EventsOf("salesops.sync.v1.CustomerShared"), 2);
  v1::ListCustomerSharesRequest list;
  list.set_customer("customers/cust-1");
  v1::ListCustomerSharesResponse listed;
  ASSERT_TRUE(api_.ListCustomerShares(rep1_, list, &listed).ok());
  std::vector<std::string> names;
  for (const v1::CustomerShare& sh : listed.shares()) {
    names.push_back(sh.name());
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(mine.share().name(), theirs.share().name()));
}

// The grant revoked between a share's read and its commit: the share runs again,
// finds the grant revoked and is refused (FAILED_PRECONDITION), so no share
// outlives the revocation that never saw it.
TEST_F(SyncApiTest, AGrantRevokedWhileAShareIsMadeRefusesTheShare) {
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A)).ok());
  ASSERT_TRUE(projection_.Handle(Grant("g-1", "dept-marketing")).ok());
  BeforeNextCommit(
      [&] { ASSERT_TRUE(projection_.Handle(Grant("g-1", "dept-marketing", true)).ok()); });
  v1::ShareCustomerResponse resp;
  absl::Status s = ShareUnder("g-1", "dept-marketing", &resp);
  repo_.BeforeNextCommit(nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "GRANT_DOES_NOT_ALLOW") << s;
  EXPECT_EQ(commits_after_, 0) << "the run again is refused before its commit";
  EXPECT_EQ(EventsOf("salesops.sync.v1.CustomerShared"), 0);
}

// Two publishers (replicas): A reads the customer with its share active; the
// share is revoked and B publishes the tombstone and clears the mark; then A's
// older record goes out. A marks the customer again, so the next pass puts
// the tombstone back on top.
TEST_F(SyncApiTest, AnOlderRecordPublishedLateIsFollowedByTheCurrentState) {
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A)).ok());
  v1::ShareCustomerRequest req;
  req.mutable_share()->set_customer("customers/cust-1");
  req.mutable_share()->set_recipient("systems/finance-erp");
  req.mutable_share()->set_purpose("开票与回款核对");
  v1::ShareCustomerResponse shared;
  ASSERT_TRUE(api_.ShareCustomer(rep1_, req, &shared).ok());
  RecordingSink other_sink;
  SharePublisher replica_b(repo_, other_sink, clock_);
  sink_.during_publish = [&] {
    v1::RevokeCustomerShareRequest revoke;
    revoke.set_name(shared.share().name());
    v1::RevokeCustomerShareResponse revoked;
    ASSERT_TRUE(api_.RevokeCustomerShare(rep1_, revoke, &revoked).ok());
    ASSERT_EQ(*replica_b.RunOnce(), 1);
    ASSERT_FALSE(other_sink.records.back().value.has_value());
  };
  ASSERT_EQ(*publisher_.RunOnce(), 1);
  ASSERT_TRUE(sink_.records.back().value.has_value()) << "the older record, late";
  ASSERT_EQ(*publisher_.RunOnce(), 1);
  EXPECT_FALSE(sink_.records.back().value.has_value()) << "the current state after it";
  EXPECT_EQ(*publisher_.RunOnce(), 0);
}

TEST_F(SyncApiTest, ExpiredShareBecomesATombstone) {
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A)).ok());
  v1::ShareCustomerRequest req;
  req.mutable_share()->set_customer("customers/cust-1");
  req.mutable_share()->set_recipient("systems/bi");
  req.mutable_share()->set_purpose("季度经营分析");
  *req.mutable_share()->mutable_expire_time() = ToTs(clock_.Now() + absl::Hours(24));
  v1::ShareCustomerResponse resp;
  ASSERT_TRUE(api_.ShareCustomer(rep1_, req, &resp).ok());
  ASSERT_EQ(*publisher_.RunOnce(), 1);
  ASSERT_TRUE(sla_.RunOnce().ok());
  EXPECT_EQ(*publisher_.RunOnce(), 0) << "not expired yet";
  clock_.Advance(absl::Hours(25));
  ASSERT_EQ(sla_.RunOnce()->shares_expired, 1);
  ASSERT_EQ(*publisher_.RunOnce(), 1);
  EXPECT_FALSE(sink_.records.back().value.has_value());
  // A customer change after the end publishes nothing new for it... but a
  // tombstone again is harmless; what matters is no live record returns.
  ASSERT_TRUE(projection_.Handle(CustomerCreated("cust-1", cv1::CUSTOMER_TIER_S)).ok());
  (void)publisher_.RunOnce();
  EXPECT_FALSE(sink_.records.back().value.has_value());
}

// ---------------------------------------------------------------- notifications

TEST_F(SyncApiTest, WarningReachesOnlyItsTeamsRouteOnce) {
  ASSERT_TRUE(projection_.Handle(WarningRaised("w1", "team-east-1")).ok());
  ASSERT_TRUE(projection_.Handle(WarningRaised("w1", "team-east-1")).ok());  // redelivered
  ASSERT_TRUE(projection_.Handle(WarningRaised("w2", "team-east-2")).ok());
  std::vector<v1::NotificationDelivery> d = Deliveries();
  ASSERT_EQ(d.size(), 2u);
  std::vector<std::string> routes;
  for (const auto& x : d) {
    routes.push_back(x.route());
  }
  EXPECT_THAT(routes, ::testing::UnorderedElementsAre("notificationRoutes/east-1-wecom",
                                                      "notificationRoutes/east-2-feishu"));
  for (const auto& x : d) {
    EXPECT_THAT(x.title(), HasSubstr("预警"));
    EXPECT_THAT(x.text(), HasSubstr("商机停滞 15 天"));
  }
  // Routes are shown without the token in their URL, and only to directors and admins.
  v1::ListNotificationRoutesResponse shown;
  ASSERT_TRUE(api_.ListNotificationRoutes(dir1_, {}, &shown).ok());
  ASSERT_EQ(shown.routes_size(), 2);
  EXPECT_THAT(shown.DebugString(), ::testing::Not(HasSubstr("SECRET-KEY")));
  EXPECT_THAT(shown.DebugString(), ::testing::Not(HasSubstr("HOOK")));
  EXPECT_TRUE(shown.routes(1).signed_());
  // Dead letters are retried by an admin, and only dead or in-doubt ones.
  v1::RetryDeliveryRequest retry;
  retry.set_name(d[0].name());
  v1::RetryDeliveryResponse retried;
  EXPECT_EQ(ErrorReason(api_.RetryDelivery(admin_, retry, &retried)), "DELIVERY_STATE");
}

TEST_F(SyncApiTest, PoisonEventIsRefusedNotSkippedSilently) {
  CloudEvent e = WarningRaised("w1", "team-east-1");
  e.data = "\xff\xff\xff not protobuf";
  absl::Status s = projection_.Handle(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Deliveries().empty());
  CloudEvent c = CustomerCreated("cust-1", cv1::CUSTOMER_TIER_A);
  c.data = "\x0a\xff";
  EXPECT_EQ(projection_.Handle(c).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- bad input

TEST_F(SyncApiTest, BadInputNamesTheField) {
  v1::ProposeTaskForceResponse p;
  v1::ProposeTaskForceRequest propose;
  EXPECT_EQ(Field(api_.ProposeTaskForce(sup1_, propose, &p)), "task_force.opportunity");
  propose.mutable_task_force()->set_opportunity("opportunities/opp-x");
  propose.set_task_force_id("bad id!");
  EXPECT_EQ(Field(api_.ProposeTaskForce(sup1_, propose, &p)), "task_force_id");
  propose.set_task_force_id("auto-opp-1");
  EXPECT_EQ(Field(api_.ProposeTaskForce(sup1_, propose, &p)), "task_force_id");
  v1::GetTaskForceResponse g;
  v1::GetTaskForceRequest get;
  get.set_name("customers/x");
  EXPECT_EQ(Field(api_.GetTaskForce(rep1_, get, &g)), "name");
  v1::ListTaskForcesResponse l;
  v1::ListTaskForcesRequest list;
  list.set_page_size(-1);
  EXPECT_EQ(Field(api_.ListTaskForces(rep1_, list, &l)), "page_size");
  v1::UpdateMilestoneRequest ms;
  ms.set_task_force("taskForces/tf-x");
  ms.mutable_milestone()->set_milestone_id("m1");
  v1::UpdateMilestoneResponse msr;
  EXPECT_EQ(Field(api_.UpdateMilestone(rep1_, ms, &msr)), "update_mask");
  v1::PostTaskForceUpdateRequest post;
  post.set_task_force("taskForces/tf-x");
  v1::PostTaskForceUpdateResponse pr;
  EXPECT_EQ(Field(api_.PostTaskForceUpdate(rep1_, post, &pr)), "text");
  v1::DeclineTaskForceRequest decline;
  decline.set_name("taskForces/tf-x");
  v1::DeclineTaskForceResponse dr;
  EXPECT_EQ(Field(api_.DeclineTaskForce(mgr_, decline, &dr)), "reason");
  v1::AgreeCreditSplitRequest split;
  split.set_name("taskForces/tf-x");
  v1::AgreeCreditSplitResponse sr;
  EXPECT_EQ(Field(api_.AgreeCreditSplit(rep1_, split, &sr)), "shares");
  v1::PlanReceptionRequest plan;
  v1::PlanReceptionResponse plr;
  EXPECT_EQ(Field(api_.PlanReception(rep1_, plan, &plr)), "reception.customer");
  v1::UpdateReceptionRequest up;
  up.set_name("receptions/rcp-x");
  v1::UpdateReceptionResponse upr;
  EXPECT_EQ(Field(api_.UpdateReception(rep1_, up, &upr)), "state");
  v1::ListDeliveriesRequest dl;
  dl.set_route("notificationRoutes/nope");
  v1::ListDeliveriesResponse dlr;
  EXPECT_EQ(Field(api_.ListDeliveries(admin_, dl, &dlr)), "route");
  v1::RetryDeliveryRequest retry;
  retry.set_name("x");
  v1::RetryDeliveryResponse rr;
  EXPECT_EQ(Field(api_.RetryDelivery(admin_, retry, &rr)), "name");
  v1::ListNotificationRoutesRequest routes;
  routes.set_org_unit("teams/x");
  v1::ListNotificationRoutesResponse rtr;
  EXPECT_EQ(Field(api_.ListNotificationRoutes(admin_, routes, &rtr)), "org_unit");
}

// A retried create (same request_id) answers with what the first made, in
// every create the helper serves; another caller's id is theirs.
TEST_F(SyncApiTest, RetriedCreatesAnswerWithTheFirstResult) {
  v1::SubmitFeedbackRequest fb;
  fb.mutable_feedback()->set_kind(v1::FEEDBACK_KIND_PRICING);
  fb.mutable_feedback()->set_title("报价审批太慢");
  fb.set_request_id("33333333-3333-4333-8333-333333333333");
  v1::SubmitFeedbackResponse f1, f2, f3;
  ASSERT_TRUE(api_.SubmitFeedback(rep1_, fb, &f1).ok());
  ASSERT_TRUE(api_.SubmitFeedback(rep1_, fb, &f2).ok());
  EXPECT_EQ(f1.feedback().name(), f2.feedback().name());
  ASSERT_TRUE(api_.SubmitFeedback(rep3_, fb, &f3).ok());
  EXPECT_NE(f3.feedback().name(), f1.feedback().name());
  EXPECT_EQ(EventsOf("salesops.sync.v1.FeedbackSubmitted"), 2);

  v1::CreateCampaignRequest cc;
  cc.mutable_campaign()->set_title("华东峰会");
  cc.mutable_campaign()->set_first_contact_sla_hours(24);
  cc.set_request_id("44444444-4444-4444-8444-444444444444");
  v1::CreateCampaignResponse c1, c2;
  ASSERT_TRUE(api_.CreateCampaign(dir1_, cc, &c1).ok());
  ASSERT_TRUE(api_.CreateCampaign(dir1_, cc, &c2).ok());
  EXPECT_EQ(c1.campaign().name(), c2.campaign().name());
  EXPECT_EQ(EventsOf("salesops.sync.v1.CampaignCreated"), 1);
}

// The feedback, outreach and share RPCs: each bad request names its field.
TEST_F(SyncApiTest, BadInputNamesTheFieldInFeedbackOutreachAndShares) {
  {
    v1::SubmitFeedbackRequest req;
    req.mutable_feedback()->set_title("缺类别");
    v1::SubmitFeedbackResponse resp;
    EXPECT_EQ(Field(api_.SubmitFeedback(rep1_, req, &resp)), "feedback.kind");
  }
  {
    v1::GetFeedbackRequest req;
    req.set_name("launches/x-1");
    v1::GetFeedbackResponse resp;
    EXPECT_EQ(Field(api_.GetFeedback(rep1_, req, &resp)), "name");
  }
  {
    v1::ListFeedbackRequest req;
    req.set_department(v1::DEPARTMENT_FINANCE);
    v1::ListFeedbackResponse resp;
    EXPECT_EQ(Field(api_.ListFeedback(rep1_, req, &resp)), "department");
  }
  {
    v1::RouteFeedbackRequest req;
    req.set_name("feedback/fb-1");
    v1::RouteFeedbackResponse resp;
    EXPECT_EQ(Field(api_.RouteFeedback(pm1_, req, &resp)), "routed_to");
  }
  {
    v1::RespondToFeedbackRequest req;
    req.set_name("feedback/fb-1");
    req.set_response("好");
    v1::RespondToFeedbackResponse resp;
    EXPECT_EQ(Field(api_.RespondToFeedback(pm1_, req, &resp)), "state");
  }
  {
    v1::GetFeedbackInsightsRequest req;
    req.set_limit(1000);
    v1::GetFeedbackInsightsResponse resp;
    EXPECT_EQ(Field(api_.GetFeedbackInsights(dir1_, req, &resp)), "limit");
  }
  {
    v1::CreateLaunchRequest req;
    req.mutable_launch()->set_kind(v1::LAUNCH_KIND_NEW_PRODUCT);
    req.mutable_launch()->set_product_line("orgUnits/pl-cloud");
    v1::CreateLaunchResponse resp;
    EXPECT_EQ(Field(api_.CreateLaunch(admin_, req, &resp)), "launch.title");
  }
  {
    v1::UpdateLaunchRequest req;
    req.mutable_launch()->set_name("launches/l-1");
    v1::UpdateLaunchResponse resp;
    EXPECT_EQ(Field(api_.UpdateLaunch(admin_, req, &resp)), "update_mask");
  }
  {
    v1::AnnounceLaunchRequest req;
    v1::AnnounceLaunchResponse resp;
    EXPECT_EQ(Field(api_.AnnounceLaunch(admin_, req, &resp)), "name");
  }
  {
    v1::ListLaunchesRequest req;
    req.set_page_size(-5);
    v1::ListLaunchesResponse resp;
    EXPECT_EQ(Field(api_.ListLaunches(rep1_, req, &resp)), "page_size");
  }
  {
    v1::PublishInsightRequest req;
    req.mutable_insight()->set_title("无类别");
    v1::PublishInsightResponse resp;
    EXPECT_EQ(Field(api_.PublishInsight(mgr_, req, &resp)), "insight.kind");
  }
  {
    v1::ArchiveInsightRequest req;
    req.set_name("insight/i-1");
    v1::ArchiveInsightResponse resp;
    EXPECT_EQ(Field(api_.ArchiveInsight(admin_, req, &resp)), "name");
  }
  {
    v1::CreateCampaignRequest req;
    req.mutable_campaign()->set_title("峰会");
    v1::CreateCampaignResponse resp;
    EXPECT_EQ(Field(api_.CreateCampaign(dir1_, req, &resp)), "campaign.first_contact_sla_hours");
  }
  {
    v1::HandOverLeadsRequest req;
    req.set_campaign("campaigns/c-1");
    v1::HandOverLeadsResponse resp;
    EXPECT_EQ(Field(api_.HandOverLeads(dir1_, req, &resp)), "leads");
  }
  {
    v1::UpdateLeadOutcomeRequest req;
    req.set_name("leads/l-1");
    req.set_state(v1::LEAD_STATE_WON);
    v1::UpdateLeadOutcomeResponse resp;
    EXPECT_EQ(Field(api_.UpdateLeadOutcome(rep1_, req, &resp)), "state");
  }
  {
    v1::ShareCustomerRequest req;
    req.mutable_share()->set_customer("customers/cust-1");
    req.mutable_share()->set_recipient("somewhere/x");
    req.mutable_share()->set_purpose("用途");
    v1::ShareCustomerResponse resp;
    EXPECT_EQ(Field(api_.ShareCustomer(rep1_, req, &resp)), "share.recipient");
  }
  {
    v1::RevokeCustomerShareRequest req;
    req.set_name("shares/s-1");
    v1::RevokeCustomerShareResponse resp;
    EXPECT_EQ(Field(api_.RevokeCustomerShare(rep1_, req, &resp)), "name");
  }
}

}  // namespace
}  // namespace salesops::sync
