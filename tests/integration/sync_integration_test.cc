// The sync service end to end over Kafka and Redis, with the real org and
// customers services and a local HTTP server playing the WeCom and DingTalk
// group robots (it checks each message's JSON and DingTalk's signature): a
// deal over the threshold gets a task force proposed and the team's group
// hears of it; a stalled-deal warning reaches the team's group and, signed,
// the region's; feedback is routed to the product queue (a rep may not read
// it), answered, and the rep's group is told; the compacted share topic
// carries a minimised record, then a tombstone on revoke. Waits are on
// conditions (state, a message arriving), never on time alone.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/sync/v1/sync_service.grpc.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/sync/testing/fake_group_robot.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/sync_env.h"

namespace salesops::testing {
namespace {

namespace sv1 = salesops::sync::v1;
namespace ov1 = salesops::org::v1;
namespace cv1 = salesops::customers::v1;
namespace wv1 = salesops::warning::v1;

constexpr char kWarningTopic[] = "salesops.warning.events.v1";
constexpr char kShareTopic[] = "salesops.share.customers.v1";

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(60)) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (done()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

int CountTitled(const std::vector<salesops::sync::RobotMessage>& ms, const std::string& part) {
  int n = 0;
  for (const auto& m : ms) {
    n += absl::StrContains(m.title, part) ? 1 : 0;
  }
  return n;
}

class SyncE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sfx_ = new std::string(UniqueSuffix());
    wall_ = new SystemClock();
    robot_ = new salesops::sync::FakeGroupRobot(*wall_);
    robot_->AddWeCom("team", "k-" + *sfx_);
    robot_->AddDingTalk("region", "t-" + *sfx_, "secret-" + *sfx_);
    ASSERT_TRUE(robot_->Start().ok());
    routes_file_ = new std::string(absl::StrCat(::testing::TempDir(), "routes-", *sfx_, ".json"));
    {
      std::ofstream out(*routes_file_);
      out << R"({"routes": [{"id": "team-wecom", "org_unit": ")" << Id("team")
          << R"(", "platform": "wecom", "url": ")" << robot_->UrlOf("team")
          << R"(", "events": ["warning_raised", "task_force_proposed", "feedback_answered"]},
             {"id": "region-dingtalk", "org_unit": ")"
          << Id("east") << R"(", "platform": "dingtalk", "url": ")" << robot_->UrlOf("region")
          << R"(", "secret": "secret-)" << *sfx_
          << R"(", "include_subunits": true, "events": ["warning_raised"]}]})";
    }
    org_ = new OrgServer();
    org_->Start();
    customers_ = new CustomersServer();
    customers_->Start();
    sync_ = NewSync();
    sync_->Start();
    CreateOrgUnit(*org_, Id("co"), ov1::ORG_UNIT_KIND_COMPANY, "");
    CreateOrgUnit(*org_, Id("east"), ov1::ORG_UNIT_KIND_REGION, Id("co"));
    CreateOrgUnit(*org_, Id("team"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    CreateOrgUnit(*org_, Id("prod"), ov1::ORG_UNIT_KIND_DEPARTMENT, Id("co"));
    CreateOrgUnit(*org_, Id("pl"), ov1::ORG_UNIT_KIND_PRODUCT_LINE, Id("co"));
    CreateMember(*org_, Id("sup"), ov1::ROLE_SUPERVISOR, Id("team"));
    CreateMember(*org_, Id("r1"), ov1::ROLE_REP, Id("team"));
    CreateMember(*org_, Id("mgr"), ov1::ROLE_MANAGER, Id("east"));
    {
      grpc::ClientContext ctx;
      Authorize(ctx, Admin());
      ov1::CreateMemberRequest req;
      req.set_member_id(Id("pm"));
      req.mutable_member()->set_display_name("产品经理" + *sfx_);
      req.mutable_member()->set_email(Id("pm") + "@example.com");
      req.mutable_member()->set_role(ov1::ROLE_REP);
      req.mutable_member()->set_department(ov1::DEPARTMENT_PRODUCT);
      req.mutable_member()->set_org_unit("orgUnits/" + Id("prod"));
      ov1::CreateMemberResponse resp;
      grpc::Status s = org_->stub().CreateMember(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    // The sync service learns the org from events: the product member reads
    // the product queue once their department is known.
    ASSERT_TRUE(WaitFor([] {
      sv1::ListFeedbackRequest req;
      req.set_department(sv1::DEPARTMENT_PRODUCT);
      sv1::ListFeedbackResponse resp;
      return Call(Pm(), &sv1::SyncService::Stub::ListFeedback, req, &resp).ok();
    })) << sync_->Logs();
  }
  static void TearDownTestSuite() {
    delete sync_;
    delete customers_;
    delete org_;
    robot_->Stop();
    delete robot_;
    delete wall_;
    std::remove(routes_file_->c_str());
    delete routes_file_;
    delete sfx_;
  }

  // Short webhook time-outs and lease, so a crashed delivery turns in doubt
  // within seconds (the lease must cover connect 3 s + write + read).
  static SyncServer* NewSync(const std::string& suffix = "") {
    return new SyncServer(*routes_file_, {"--sync_webhook_timeout=1s", "--sync_notify_lease=6s"},
                          suffix);
  }
  static void RaiseWarning(const std::string& subject) {
    wv1::WarningRaised e;
    wv1::Warning* w = e.mutable_warning();
    w->set_name(absl::StrCat("warnings/", UniqueSuffix()));
    w->set_org_unit("orgUnits/" + Id("team"));
    w->set_subject_display_name(subject);
    w->set_rule("warningRules/stalled-deal");
    w->set_severity(wv1::SEVERITY_WARNING);
    const CloudEvent ev =
        MakeCloudEvent("/salesops/warning", IdOf(w->name()), w->name(), e, absl::Now());
    ASSERT_TRUE(ProduceRaw(TestEnv::Get().kafka_bootstrap, kWarningTopic, ev.key, ev.data,
                           ToKafkaHeaders(ev))
                    .ok());
  }
  static std::string IdOf(const std::string& name) { return name.substr(name.find('/') + 1); }

  static std::string Id(const std::string& base) { return base + "-" + *sfx_; }
  static std::string Admin() { return Token(Role::kAdmin, "admin", ""); }
  static std::string Rep() { return Token(Role::kRep, Id("r1"), Id("team")); }
  static std::string Mgr() { return Token(Role::kManager, Id("mgr"), Id("east")); }
  static std::string Pm() { return Token(Role::kRep, Id("pm"), Id("prod")); }

  template <typename Req, typename Resp, typename Fn>
  static grpc::Status Call(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (sync_->stub().*fn)(&ctx, req, resp);
  }
  template <typename Req, typename Resp, typename Fn>
  static grpc::Status CallCustomers(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (customers_->stub().*fn)(&ctx, req, resp);
  }

  // A customer of rep 1 with a primary contact (the customers service learns
  // the org from events too, so the first create may have to wait).
  static cv1::Customer NewCustomer(const std::string& id) {
    cv1::CreateCustomerRequest cc;
    cc.set_customer_id(Id(id));
    cc.mutable_customer()->set_display_name("华东精密制造有限公司" + Id(id));
    cc.mutable_customer()->set_customer_type("enterprise");
    cc.mutable_customer()->set_owner("members/" + Id("r1"));
    cv1::Contact* contact = cc.mutable_customer()->add_contacts();
    contact->set_display_name("王芳");
    contact->set_phone("13987654321");
    contact->set_email("wangfang@example.com");
    contact->set_primary(true);
    cv1::CreateCustomerResponse resp;
    EXPECT_TRUE(WaitFor([&] {
      return CallCustomers(Admin(), &cv1::CustomersService::Stub::CreateCustomer, cc, &resp).ok();
    })) << customers_->Logs();
    return resp.customer();
  }

  static inline std::string* sfx_ = nullptr;
  static inline std::string* routes_file_ = nullptr;
  static inline SystemClock* wall_ = nullptr;
  static inline salesops::sync::FakeGroupRobot* robot_ = nullptr;
  static inline OrgServer* org_ = nullptr;
  static inline CustomersServer* customers_ = nullptr;
  static inline SyncServer* sync_ = nullptr;
};

TEST_F(SyncE2eTest, ABigDealGetsATaskForceAndTheTeamsGroupHearsOfIt) {
  const cv1::Customer customer = NewCustomer("c-tf");
  cv1::CreateOpportunityRequest co;
  co.mutable_opportunity()->set_customer(customer.name());
  co.mutable_opportunity()->set_display_name("智能工厂二期" + *sfx_);
  *co.mutable_opportunity()->mutable_amount() = Cny(2'000'000'00);
  co.mutable_opportunity()->set_product_line("orgUnits/" + Id("pl"));
  co.mutable_opportunity()->set_channel("direct");
  cv1::CreateOpportunityResponse opp;
  grpc::Status s = CallCustomers(Rep(), &cv1::CustomersService::Stub::CreateOpportunity, co, &opp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  cv1::ChangeOpportunityStageRequest stage;
  stage.set_name(opp.opportunity().name());
  stage.set_etag(opp.opportunity().etag());
  stage.set_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
  cv1::ChangeOpportunityStageResponse staged;
  s = CallCustomers(Rep(), &cv1::CustomersService::Stub::ChangeOpportunityStage, stage, &staged);
  ASSERT_TRUE(s.ok()) << s.error_message();

  sv1::ListTaskForcesResponse listed;
  ASSERT_TRUE(WaitFor([&] {
    sv1::ListTaskForcesRequest req;
    req.set_opportunity(opp.opportunity().name());
    listed.Clear();
    return Call(Mgr(), &sv1::SyncService::Stub::ListTaskForces, req, &listed).ok() &&
           listed.task_forces_size() == 1;
  })) << sync_->Logs();
  const sv1::TaskForce& tf = listed.task_forces(0);
  EXPECT_EQ(tf.state(), sv1::TASK_FORCE_STATE_PROPOSED);
  EXPECT_EQ(tf.trigger(), sv1::TASK_FORCE_TRIGGER_AUTO);
  EXPECT_EQ(tf.amount().amount_minor(), 2'000'000'00);
  EXPECT_EQ(tf.owner(), "members/" + Id("r1"));
  ASSERT_TRUE(WaitFor([&] {
    return CountTitled(robot_->MessagesOf("team"), "智能工厂二期" + *sfx_) >= 1;
  })) << sync_->Logs();
  EXPECT_EQ(CountTitled(robot_->MessagesOf("team"), "智能工厂二期" + *sfx_), 1);

  // The manager forms it with pre-sales and product.
  sv1::FormTaskForceRequest form;
  form.set_name(tf.name());
  form.set_etag(tf.etag());
  auto add = [&](const std::string& m, sv1::TaskForceRole role, sv1::TaskForceFunction f) {
    sv1::TaskForceMember* x = form.add_members();
    x->set_member("members/" + Id(m));
    x->set_role(role);
    x->set_function(f);
  };
  add("r1", sv1::TASK_FORCE_ROLE_LEAD, sv1::TASK_FORCE_FUNCTION_SALES);
  add("pm", sv1::TASK_FORCE_ROLE_MEMBER, sv1::TASK_FORCE_FUNCTION_PRODUCT);
  sv1::FormTaskForceResponse formed;
  EXPECT_EQ(Call(Rep(), &sv1::SyncService::Stub::FormTaskForce, form, &formed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = Call(Mgr(), &sv1::SyncService::Stub::FormTaskForce, form, &formed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(formed.task_force().state(), sv1::TASK_FORCE_STATE_FORMED);
}

TEST_F(SyncE2eTest, AStalledDealWarningReachesTheTeamAndTheSignedRegionGroup) {
  wv1::WarningRaised e;
  wv1::Warning* w = e.mutable_warning();
  w->set_name("warnings/w-" + *sfx_);
  w->set_org_unit("orgUnits/" + Id("team"));
  w->set_subject_display_name("停滞商机" + *sfx_);
  w->set_rule("warningRules/stalled-deal");
  w->set_severity(wv1::SEVERITY_CRITICAL);
  w->mutable_message()->set_zh("商机在方案阶段停留 15 天");
  const CloudEvent ev =
      MakeCloudEvent("/salesops/warning", "w-" + *sfx_, w->name(), e, absl::Now());
  ASSERT_TRUE(
      ProduceRaw(TestEnv::Get().kafka_bootstrap, kWarningTopic, ev.key, ev.data, ToKafkaHeaders(ev))
          .ok());
  const std::string subject = "停滞商机" + *sfx_;
  ASSERT_TRUE(WaitFor([&] {
    return CountTitled(robot_->MessagesOf("team"), subject) >= 1 &&
           CountTitled(robot_->MessagesOf("region"), subject) >= 1;
  })) << sync_->Logs();
  // Each group got it once, formatted and (DingTalk) signed as the platform checks.
  EXPECT_EQ(CountTitled(robot_->MessagesOf("team"), subject), 1);
  EXPECT_EQ(CountTitled(robot_->MessagesOf("region"), subject), 1);
  for (const auto& m : robot_->MessagesOf("team")) {
    if (absl::StrContains(m.title, subject)) {
      EXPECT_THAT(m.text, ::testing::HasSubstr("商机在方案阶段停留 15 天"));
    }
  }
  EXPECT_TRUE(robot_->rejected().empty());
  // The deliveries are on record for an admin.
  sv1::ListDeliveriesRequest req;
  req.set_route("notificationRoutes/region-dingtalk");
  sv1::ListDeliveriesResponse resp;
  grpc::Status s = Call(Admin(), &sv1::SyncService::Stub::ListDeliveries, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GE(resp.deliveries_size(), 1);
  EXPECT_EQ(resp.deliveries(0).state(), sv1::DELIVERY_STATE_SENT);
  EXPECT_EQ(Call(Rep(), &sv1::SyncService::Stub::ListDeliveries, req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SyncE2eTest, FeedbackIsRoutedAnsweredAndTheRepsGroupIsTold) {
  sv1::SubmitFeedbackRequest bad;
  sv1::SubmitFeedbackResponse submitted;
  bad.mutable_feedback()->set_title("缺少类别");
  grpc::Status s = Call(Rep(), &sv1::SyncService::Stub::SubmitFeedback, bad, &submitted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "feedback.kind");

  sv1::SubmitFeedbackRequest req;
  req.mutable_feedback()->set_kind(sv1::FEEDBACK_KIND_FEATURE_REQUEST);
  req.mutable_feedback()->set_title("支持飞书审批" + *sfx_);
  s = Call(Rep(), &sv1::SyncService::Stub::SubmitFeedback, req, &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(submitted.feedback().routed_department(), sv1::DEPARTMENT_PRODUCT);

  // The product queue: not for a sales rep; the product member finds it.
  sv1::ListFeedbackRequest queue;
  queue.set_department(sv1::DEPARTMENT_PRODUCT);
  sv1::ListFeedbackResponse listed;
  EXPECT_EQ(Call(Rep(), &sv1::SyncService::Stub::ListFeedback, queue, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = Call(Pm(), &sv1::SyncService::Stub::ListFeedback, queue, &listed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  bool found = false;
  for (const auto& f : listed.feedback()) {
    found = found || f.name() == submitted.feedback().name();
  }
  EXPECT_TRUE(found);

  sv1::RespondToFeedbackRequest answer;
  answer.set_name(submitted.feedback().name());
  answer.set_state(sv1::FEEDBACK_STATE_DONE);
  answer.set_response("已在 3.2 版本支持");
  sv1::RespondToFeedbackResponse answered;
  s = Call(Pm(), &sv1::SyncService::Stub::RespondToFeedback, answer, &answered);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(WaitFor([&] {
    return CountTitled(robot_->MessagesOf("team"), "支持飞书审批" + *sfx_) >= 1;
  })) << sync_->Logs();
  EXPECT_EQ(CountTitled(robot_->MessagesOf("team"), "支持飞书审批" + *sfx_), 1);
}

// kill -9 while a message is on the wire (the group robot holds its answer):
// after the restart the message is never sent again by itself — it turns
// IN_DOUBT once its lease ran out (the group may have it) — while new events
// flow as usual, and events redelivered after the kill (offsets not yet
// committed) queue nothing twice. An admin may send it again on purpose.
TEST_F(SyncE2eTest, KilledMidDeliveryTheGroupGetsTheMessageOnceAfterRestart) {
  const std::string before = "重启前" + *sfx_;
  const std::string after = "重启后" + *sfx_;
  robot_->Script("team", {salesops::sync::RobotAnswer::Late(absl::Seconds(30))});
  RaiseWarning(before);
  ASSERT_TRUE(WaitFor([&] { return CountTitled(robot_->MessagesOf("team"), before) == 1; }))
      << sync_->Logs();
  const std::string groups = sync_->suffix();
  sync_->Kill9();
  delete sync_;
  sync_ = NewSync(groups);  // the same consumer groups, as a restarted pod has
  sync_->Start();

  sv1::NotificationDelivery in_doubt;
  ASSERT_TRUE(WaitFor([&] {
    sv1::ListDeliveriesRequest req;
    req.set_route("notificationRoutes/team-wecom");
    req.set_state(sv1::DELIVERY_STATE_IN_DOUBT);
    req.set_page_size(100);
    sv1::ListDeliveriesResponse resp;
    if (!Call(Admin(), &sv1::SyncService::Stub::ListDeliveries, req, &resp).ok()) {
      return false;
    }
    for (const auto& d : resp.deliveries()) {
      if (absl::StrContains(d.title(), before)) {
        in_doubt = d;
      }
    }
    return !in_doubt.name().empty();
  })) << sync_->Logs();
  EXPECT_EQ(in_doubt.attempts(), 1);
  RaiseWarning(after);
  ASSERT_TRUE(WaitFor([&] { return CountTitled(robot_->MessagesOf("team"), after) == 1; }))
      << sync_->Logs();
  EXPECT_EQ(CountTitled(robot_->MessagesOf("team"), before), 1);
  EXPECT_TRUE(robot_->rejected().empty());

  sv1::RetryDeliveryRequest retry;
  retry.set_name(in_doubt.name());
  sv1::RetryDeliveryResponse retried;
  EXPECT_EQ(Call(Mgr(), &sv1::SyncService::Stub::RetryDelivery, retry, &retried).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = Call(Admin(), &sv1::SyncService::Stub::RetryDelivery, retry, &retried);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(WaitFor([&] { return CountTitled(robot_->MessagesOf("team"), before) == 2; }))
      << sync_->Logs();
}

TEST_F(SyncE2eTest, ShareTopicCarriesAMinimisedRecordThenATombstone) {
  TopicReader topic(TestEnv::Get().kafka_bootstrap, kShareTopic);
  const cv1::Customer customer = NewCustomer("c-share");
  const std::string key = Id("c-share");
  sv1::ShareCustomerRequest req;
  req.mutable_share()->set_customer(customer.name());
  req.mutable_share()->set_recipient("systems/finance-erp");
  req.mutable_share()->set_purpose("开票核对");
  req.mutable_share()->set_include_primary_contact(true);
  sv1::ShareCustomerResponse shared;
  // The sync service knows the customer once the customers event got there.
  ASSERT_TRUE(WaitFor([&] {
    return Call(Rep(), &sv1::SyncService::Stub::ShareCustomer, req, &shared).ok();
  })) << sync_->Logs();

  std::vector<Record> records = topic.ReadUntil(
      [&](const Record& r) { return r.key == key && !r.value.empty(); }, 1, absl::Seconds(60));
  ASSERT_EQ(records.size(), 1u) << sync_->Logs();
  sv1::SharedCustomerRecord record;
  ASSERT_TRUE(record.ParseFromString(records[0].value));
  EXPECT_EQ(record.customer().customer(), customer.name());
  EXPECT_EQ(record.customer().primary_contact().phone(), "139****4321");
  EXPECT_EQ(records[0].value.find("13987654321"), std::string::npos);
  EXPECT_EQ(records[0].value.find("wangfang@"), std::string::npos);
  EXPECT_EQ(records[0].headers["ce_type"], "salesops.sync.v1.SharedCustomerRecord");

  sv1::RevokeCustomerShareRequest revoke;
  revoke.set_name(shared.share().name());
  revoke.set_reason("核对完成");
  sv1::RevokeCustomerShareResponse revoked;
  grpc::Status s = Call(Rep(), &sv1::SyncService::Stub::RevokeCustomerShare, revoke, &revoked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<Record> tombstones = topic.ReadUntil(
      [&](const Record& r) { return r.key == key && r.value.empty(); }, 1, absl::Seconds(60));
  EXPECT_EQ(tombstones.size(), 1u) << sync_->Logs();
}

}  // namespace
}  // namespace salesops::testing
