// The customers & CRM service over gRPC against real Redis and Kafka, with the
// real org service feeding its org directory: customers and duplicates, bad
// input naming the field, the opportunity → contract → payment flow and its
// events (with the facts targets and commission need), authorisation per role
// (including a rep reading another team's customer by id), sharing with
// minimised personal data, the public pool with its scheduled release, claim
// limits and parallel claims, tiering on events, overdue payments raised once,
// and CSV import/export (all or nothing, Chinese names round-trip).
#include <atomic>
#include <map>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "services/customers/store/customers_store.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/directory_barrier.h"

namespace salesops::testing {
namespace {

namespace cv1 = salesops::customers::v1;
namespace ov1 = salesops::org::v1;
using ::testing::HasSubstr;

constexpr char kTopic[] = "salesops.customers.events.v1";

google::protobuf::Timestamp Ago(absl::Duration d) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(absl::Now() - d));
  return ts;
}

salesops::common::v1::Date DateOf(absl::Time t) {
  absl::CivilDay d = absl::ToCivilDay(t, absl::UTCTimeZone());
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

// One org (built through the org service) shared by the suite.
struct Org {
  std::string sfx;
  std::string company, region, region2, team1, team2, team3, product_line, marketing;
  std::string rep1, rep2, rep3, sup1, mgr, mk1;
};

class CustomersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    org_server_ = new OrgServer();
    org_server_->Start();
    server_ = new CustomersServer();
    server_->Start();
    org_ = new Org();
    BuildOrg();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete org_server_;
    delete org_;
  }

  static void BuildOrg() {
    Org& o = *org_;
    o.sfx = UniqueSuffix();
    const std::string admin = Token(Role::kAdmin, "admin", "");
    auto unit = [&](const std::string& id, ov1::OrgUnitKind kind, const std::string& parent) {
      grpc::ClientContext ctx;
      Authorize(ctx, admin);
      ov1::CreateOrgUnitRequest req;
      req.set_org_unit_id(id);
      req.mutable_org_unit()->set_display_name(id);
      req.mutable_org_unit()->set_kind(kind);
      if (!parent.empty()) {
        req.mutable_org_unit()->set_parent("orgUnits/" + parent);
      }
      ov1::CreateOrgUnitResponse resp;
      grpc::Status s = org_server_->stub().CreateOrgUnit(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      return id;
    };
    auto member = [&](const std::string& id, ov1::Role role, const std::string& unit_id) {
      grpc::ClientContext ctx;
      Authorize(ctx, admin);
      ov1::CreateMemberRequest req;
      req.set_member_id(id);
      req.mutable_member()->set_display_name("成员" + id);
      req.mutable_member()->set_email(id + "@example.com");
      req.mutable_member()->set_role(role);
      req.mutable_member()->set_department(ov1::DEPARTMENT_SALES);
      req.mutable_member()->set_org_unit("orgUnits/" + unit_id);
      ov1::CreateMemberResponse resp;
      grpc::Status s = org_server_->stub().CreateMember(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      return id;
    };
    const std::string c = unit("co-" + o.sfx, ov1::ORG_UNIT_KIND_COMPANY, "");
    o.company = c;
    o.region = unit("east-" + o.sfx, ov1::ORG_UNIT_KIND_REGION, c);
    o.region2 = unit("west-" + o.sfx, ov1::ORG_UNIT_KIND_REGION, c);
    o.team1 = unit("t1-" + o.sfx, ov1::ORG_UNIT_KIND_TEAM, o.region);
    o.team2 = unit("t2-" + o.sfx, ov1::ORG_UNIT_KIND_TEAM, o.region);
    o.team3 = unit("t3-" + o.sfx, ov1::ORG_UNIT_KIND_TEAM, o.region2);
    o.product_line = unit("pl-" + o.sfx, ov1::ORG_UNIT_KIND_PRODUCT_LINE, c);
    o.marketing = unit("mkt-" + o.sfx, ov1::ORG_UNIT_KIND_DEPARTMENT, c);
    o.rep1 = member("rep1-" + o.sfx, ov1::ROLE_REP, o.team1);
    o.rep2 = member("rep2-" + o.sfx, ov1::ROLE_REP, o.team1);
    o.rep3 = member("rep3-" + o.sfx, ov1::ROLE_REP, o.team3);
    o.sup1 = member("sup1-" + o.sfx, ov1::ROLE_SUPERVISOR, o.team1);
    o.mgr = member("mgr-" + o.sfx, ov1::ROLE_MANAGER, o.region);
    o.mk1 = member("mk1-" + o.sfx, ov1::ROLE_REP, o.marketing);
    // The customers service learns the org from events, each unit and member
    // on its own partition: wait until its directory holds all of them.
    DirectoryBarrier barrier(customers::kKeyPrefix);
    barrier.Unit(o.company, "");
    for (const std::string* u : {&o.region, &o.region2, &o.product_line, &o.marketing}) {
      barrier.Unit(*u, o.company);
    }
    barrier.Unit(o.team1, o.region);
    barrier.Unit(o.team2, o.region);
    barrier.Unit(o.team3, o.region2);
    for (const std::string* m : {&o.rep1, &o.rep2, &o.sup1}) {
      barrier.Member(*m, o.team1);
    }
    barrier.Member(o.rep3, o.team3);
    barrier.Member(o.mgr, o.region);
    barrier.Member(o.mk1, o.marketing);
    ASSERT_TRUE(barrier.Wait()) << server_->Logs();
  }

  cv1::CustomersService::Stub& stub() { return server_->stub(); }
  const Org& org() const { return *org_; }
  std::string Rep1() const { return Token(Role::kRep, org_->rep1, org_->team1); }
  std::string Rep2() const { return Token(Role::kRep, org_->rep2, org_->team1); }
  std::string Rep3() const { return Token(Role::kRep, org_->rep3, org_->team3); }
  std::string Sup1() const { return Token(Role::kSupervisor, org_->sup1, org_->team1); }
  std::string Mgr() const { return Token(Role::kManager, org_->mgr, org_->region); }
  std::string Mk1() const { return Token(Role::kRep, org_->mk1, org_->marketing); }
  std::string Admin() const { return Token(Role::kAdmin, "admin", ""); }
  std::string Director() const { return Token(Role::kDirector, "dir", org_->company); }

  template <typename Req, typename Resp, typename Fn>
  grpc::Status Call(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (stub().*fn)(&ctx, req, resp);
  }

  cv1::Customer NewCustomer(const std::string& token, const std::string& name,
                            const std::string& tax = "", const std::string& phone = "",
                            grpc::Status* status = nullptr, const std::string& owner = "") {
    cv1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_tax_id(tax);
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_customer_type("enterprise");
    req.mutable_customer()->mutable_tags()->set_industry("manufacturing");
    if (!owner.empty()) {
      req.mutable_customer()->set_owner("members/" + owner);
    }
    cv1::Contact* ct = req.mutable_customer()->add_contacts();
    ct->set_display_name("王经理");
    ct->set_phone("13800000000");
    ct->set_email("wang@example.com");
    cv1::CreateCustomerResponse resp;
    grpc::Status s = Call(token, &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp.customer();
  }

  cv1::Opportunity NewOpportunity(const std::string& token, const cv1::Customer& c, int64_t amount,
                                  grpc::Status* status = nullptr) {
    cv1::CreateOpportunityRequest req;
    auto* o = req.mutable_opportunity();
    o->set_customer(c.name());
    o->set_display_name("年度采购项目");
    *o->mutable_amount() = Cny(amount);
    o->set_product_line("orgUnits/" + org_->product_line);
    o->set_channel("direct");
    cv1::CreateOpportunityResponse resp;
    grpc::Status s = Call(token, &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp.opportunity();
  }

  grpc::Status Stage(const std::string& token, cv1::Opportunity& o, cv1::OpportunityStage stage,
                     const std::string& reason = "") {
    cv1::ChangeOpportunityStageRequest req;
    req.set_name(o.name());
    req.set_etag(o.etag());
    req.set_stage(stage);
    req.set_reason(reason);
    cv1::ChangeOpportunityStageResponse resp;
    grpc::Status s = Call(token, &cv1::CustomersService::Stub::ChangeOpportunityStage, req, &resp);
    if (s.ok()) {
      o = resp.opportunity();
    }
    return s;
  }

  static inline OrgServer* org_server_ = nullptr;
  static inline CustomersServer* server_ = nullptr;
  static inline Org* org_ = nullptr;
};

std::string Unique(const std::string& base) { return base + UniqueSuffix(); }

// Digits only, unique per call (phones and tax ids must not collide across runs).
std::string UniqueDigits(int n) {
  static std::atomic<int64_t> counter{absl::ToUnixMicros(absl::Now())};
  std::string s = absl::StrCat(counter.fetch_add(7919));
  while (static_cast<int>(s.size()) < n) {
    s = "9" + s;
  }
  return s.substr(s.size() - n);
}

TEST_F(CustomersTest, CreateFillsTeamAndRegionFromTheOrgAndPublishesCustomerCreated) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::Customer c = NewCustomer(Rep1(), Unique("杭州测试科技有限公司"));
  EXPECT_EQ(c.owner(), "members/" + org().rep1);
  EXPECT_EQ(c.team(), "orgUnits/" + org().team1);
  EXPECT_EQ(c.tags().region(), "orgUnits/" + org().region);
  EXPECT_EQ(c.pool_state(), cv1::POOL_STATE_OWNED);
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_C);
  EXPECT_TRUE(c.has_protection_until());
  const std::string id = c.name().substr(strlen("customers/"));
  auto records =
      reader.ReadUntil([&](const Record& r) { return r.key == id; }, 1, absl::Seconds(20));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(EventType(records[0]), "salesops.customers.v1.CustomerCreated");
  // The record names its schema (docs/events): a consumer needs nothing else.
  auto schema = records[0].headers.find("ce_dataschema");
  ASSERT_NE(schema, records[0].headers.end());
  EXPECT_EQ(schema->second, "urn:salesops:proto:salesops.customers.v1.CustomerCreated");
  cv1::CustomerCreated e;
  ASSERT_TRUE(e.ParseFromString(records[0].value));
  EXPECT_EQ(e.customer().display_name(), c.display_name());
  EXPECT_EQ(e.actor().member_id(), org().rep1);
}

TEST_F(CustomersTest, DuplicateTaxIdOrPhoneIsAlreadyExistsNamingTheCustomer) {
  const std::string tax = "91330100" + UniqueDigits(10);
  const std::string phone = "0571" + UniqueDigits(8);
  cv1::Customer first = NewCustomer(Rep1(), Unique("甲公司"), tax, phone);
  grpc::Status s;
  NewCustomer(Rep2(), Unique("乙公司"), tax.substr(0, 9) + " " + tax.substr(9), "", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ErrorReasonOf(s), "DUPLICATE_TAX_ID");
  EXPECT_THAT(s.error_message(), HasSubstr(first.name()));
  NewCustomer(Rep2(), Unique("丙公司"), "", "+86 " + phone, &s);
  // +86 is dropped for comparison, so a number written differently still matches.
  EXPECT_EQ(ErrorReasonOf(s), "DUPLICATE_PHONE") << s.error_message();
  cv1::CheckCustomerConflictsRequest check;
  check.set_tax_id(tax);
  cv1::CheckCustomerConflictsResponse conflicts;
  ASSERT_TRUE(
      Call(Sup1(), &cv1::CustomersService::Stub::CheckCustomerConflicts, check, &conflicts).ok());
  ASSERT_EQ(conflicts.conflicts_size(), 1);
  EXPECT_EQ(conflicts.conflicts(0).customer(), first.name());
  // Another rep learns only that it exists (security review, finding 4).
  ASSERT_TRUE(
      Call(Rep2(), &cv1::CustomersService::Stub::CheckCustomerConflicts, check, &conflicts).ok());
  ASSERT_EQ(conflicts.conflicts_size(), 1);
  EXPECT_EQ(conflicts.conflicts(0).customer(), "");
  EXPECT_EQ(conflicts.conflicts(0).owner(), "");
}

TEST_F(CustomersTest, BadInputNamesTheField) {
  cv1::Customer c = NewCustomer(Rep1(), Unique("字段校验公司"));
  grpc::Status s;
  cv1::CreateCustomerRequest empty;
  cv1::CreateCustomerResponse ignored;
  s = Call(Rep1(), &cv1::CustomersService::Stub::CreateCustomer, empty, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "customer.display_name");

  NewOpportunity(Rep1(), c, -100, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "opportunity.amount.amount_minor");

  cv1::CreateOpportunityRequest req;
  req.mutable_opportunity()->set_customer(c.name());
  req.mutable_opportunity()->set_display_name("x");
  req.mutable_opportunity()->mutable_amount()->set_amount_minor(100);
  req.mutable_opportunity()->mutable_amount()->set_currency_code("RMB");
  req.mutable_opportunity()->set_product_line("orgUnits/" + org().product_line);
  req.mutable_opportunity()->set_channel("direct");
  cv1::CreateOpportunityResponse resp;
  s = Call(Rep1(), &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
  EXPECT_EQ(ViolatedFieldOf(s), "opportunity.amount.currency_code");

  req.mutable_opportunity()->mutable_amount()->set_currency_code("CNY");
  *req.mutable_opportunity()->mutable_expected_close_date() = DateOf(absl::Now() - absl::Hours(72));
  s = Call(Rep1(), &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
  EXPECT_EQ(ViolatedFieldOf(s), "opportunity.expected_close_date");

  req.mutable_opportunity()->clear_expected_close_date();
  req.mutable_opportunity()->set_product_line("orgUnits/" + org().team1);  // not a product line
  s = Call(Rep1(), &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
  EXPECT_EQ(ViolatedFieldOf(s), "opportunity.product_line");

  // won → negotiation is not a transition.
  cv1::Opportunity o = NewOpportunity(Rep1(), c, 100000);
  for (auto st : {cv1::OPPORTUNITY_STAGE_QUALIFIED, cv1::OPPORTUNITY_STAGE_PROPOSAL,
                  cv1::OPPORTUNITY_STAGE_NEGOTIATION, cv1::OPPORTUNITY_STAGE_CONTRACT,
                  cv1::OPPORTUNITY_STAGE_WON}) {
    ASSERT_TRUE(Stage(Rep1(), o, st).ok());
  }
  s = Stage(Rep1(), o, cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReasonOf(s), "STAGE_TRANSITION_NOT_ALLOWED");

  cv1::Opportunity lost = NewOpportunity(Rep1(), c, 100000);
  s = Stage(Rep1(), lost, cv1::OPPORTUNITY_STAGE_LOST);
  EXPECT_EQ(ViolatedFieldOf(s), "reason");
}

TEST_F(CustomersTest, DealToContractToPaymentCarriesTheFactsDownstreamNeedsOnce) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::Customer c = NewCustomer(Rep1(), Unique("签约客户"));
  const std::string cid = c.name().substr(strlen("customers/"));
  cv1::Opportunity o = NewOpportunity(Rep1(), c, 30000000);
  EXPECT_EQ(o.stage(), cv1::OPPORTUNITY_STAGE_LEAD);
  EXPECT_EQ(o.region(), "orgUnits/" + org().region);
  for (auto st : {cv1::OPPORTUNITY_STAGE_QUALIFIED, cv1::OPPORTUNITY_STAGE_PROPOSAL,
                  cv1::OPPORTUNITY_STAGE_NEGOTIATION, cv1::OPPORTUNITY_STAGE_CONTRACT}) {
    ASSERT_TRUE(Stage(Rep1(), o, st).ok());
  }
  EXPECT_EQ(o.stage_history_size(), 5);

  // Entering a stage created its follow-up task.
  cv1::ListTasksRequest lt;
  lt.set_opportunity(o.name());
  cv1::ListTasksResponse tasks;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::ListTasks, lt, &tasks).ok());
  EXPECT_EQ(tasks.tasks_size(), 5);

  cv1::CreateContractRequest cc;
  auto* k = cc.mutable_contract();
  k->set_customer(c.name());
  k->set_opportunity(o.name());
  k->set_title("年度采购合同");
  *k->mutable_amount() = Cny(30000000);
  auto* i1 = k->mutable_payment_schedule()->add_instalments();
  i1->set_instalment_id("1");
  *i1->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 30));
  *i1->mutable_amount() = Cny(10000000);
  auto* i2 = k->mutable_payment_schedule()->add_instalments();
  i2->set_instalment_id("2");
  *i2->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 90));
  *i2->mutable_amount() = Cny(20000000);
  cv1::CreateContractResponse created;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::CreateContract, cc, &created).ok());
  EXPECT_EQ(created.contract().state(), cv1::CONTRACT_STATE_DRAFT);

  // Moving the deal to WON directly is refused: it is won by signing.
  o.clear_etag();  // linking the contract changed the deal
  grpc::Status s = Stage(Rep1(), o, cv1::OPPORTUNITY_STAGE_WON);
  EXPECT_EQ(ErrorReasonOf(s), "SIGN_THE_CONTRACT");

  cv1::SignContractRequest sign;
  sign.set_name(created.contract().name());
  cv1::SignContractResponse signed_resp;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::SignContract, sign, &signed_resp).ok());
  EXPECT_EQ(signed_resp.opportunity().stage(), cv1::OPPORTUNITY_STAGE_WON);

  cv1::RecordPaymentRequest pay;
  pay.set_contract(created.contract().name());
  *pay.mutable_payment()->mutable_amount() = Cny(10000000);
  *pay.mutable_payment()->mutable_received_date() = DateOf(absl::Now());
  pay.set_request_id(Unique("pay-"));
  cv1::RecordPaymentResponse paid;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::RecordPayment, pay, &paid).ok());
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::RecordPayment, pay, &paid).ok());  // retry
  EXPECT_EQ(paid.contract().received_total().amount_minor(), 10000000);
  EXPECT_EQ(paid.contract().payment_schedule().instalments(0).state(),
            cv1::INSTALMENT_STATE_RECEIVED);
  // Paying more than is owed is refused.
  pay.set_request_id(Unique("pay-"));
  *pay.mutable_payment()->mutable_amount() = Cny(20000001);
  s = Call(Rep1(), &cv1::CustomersService::Stub::RecordPayment, pay, &paid);
  EXPECT_EQ(ErrorReasonOf(s), "PAYMENT_EXCEEDS_OUTSTANDING");

  // Barrier instead of watching a while: one more write of the customer (an
  // activity: same key, same partition) comes after everything above,
  // copies included.
  cv1::LogActivityRequest sentinel;
  sentinel.mutable_activity()->set_customer(c.name());
  sentinel.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_CALL);
  sentinel.mutable_activity()->set_summary("付款确认电话");
  cv1::LogActivityResponse logged;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::LogActivity, sentinel, &logged).ok());
  std::vector<Record> records;
  ASSERT_EQ(reader
                .ReadUntil(
                    [&](const Record& r) {
                      if (r.key != cid) {
                        return false;
                      }
                      records.push_back(r);
                      return EventType(r) == "salesops.customers.v1.ActivityLogged";
                    },
                    1, absl::Seconds(20))
                .size(),
            1u);
  int won = 0, received = 0;
  for (const Record& r : records) {
    if (EventType(r) != "salesops.customers.v1.OpportunityWon" &&
        EventType(r) != "salesops.customers.v1.PaymentReceived") {
      continue;
    }
    if (EventType(r) == "salesops.customers.v1.OpportunityWon") {
      ++won;
      cv1::OpportunityWon e;
      ASSERT_TRUE(e.ParseFromString(r.value));
      EXPECT_EQ(e.owner(), "members/" + org().rep1);
      EXPECT_EQ(e.team(), "orgUnits/" + org().team1);
      EXPECT_EQ(e.region(), "orgUnits/" + org().region);
      EXPECT_EQ(e.product_line(), "orgUnits/" + org().product_line);
      EXPECT_EQ(e.channel(), "direct");
      EXPECT_EQ(e.customer_type(), "enterprise");
      EXPECT_EQ(e.amount().amount_minor(), 30000000);
      EXPECT_EQ(e.contract(), created.contract().name());
    } else {
      ++received;
      cv1::PaymentReceived e;
      ASSERT_TRUE(e.ParseFromString(r.value));
      EXPECT_EQ(e.amount().amount_minor(), 10000000);
      EXPECT_EQ(e.product_line(), "orgUnits/" + org().product_line);
    }
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(received, 1) << "a retried payment must be recorded once";
}

TEST_F(CustomersTest, ObjectLevelAuthorisationPerRole) {
  cv1::Customer c = NewCustomer(Rep1(), Unique("权限客户"));
  cv1::GetCustomerRequest get;
  get.set_name(c.name());
  cv1::GetCustomerResponse resp;
  EXPECT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).ok());
  EXPECT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).ok());
  EXPECT_TRUE(Call(Mgr(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).ok());
  grpc::Status ds = Call(Director(), &cv1::CustomersService::Stub::GetCustomer, get, &resp);
  EXPECT_TRUE(ds.ok()) << ds.error_message();
  // Same team, other rep; other region's rep; another region's manager.
  EXPECT_EQ(Call(Rep2(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(Rep3(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(Token(Role::kManager, "m2", org().region2),
                 &cv1::CustomersService::Stub::GetCustomer, get, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A deal of that customer is equally out of reach, by id.
  cv1::Opportunity o = NewOpportunity(Rep1(), c, 5000);
  cv1::GetOpportunityRequest go;
  go.set_name(o.name());
  cv1::GetOpportunityResponse gor;
  EXPECT_EQ(Call(Rep3(), &cv1::CustomersService::Stub::GetOpportunity, go, &gor).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  cv1::Opportunity copy = o;
  EXPECT_EQ(Stage(Rep2(), copy, cv1::OPPORTUNITY_STAGE_QUALIFIED).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Listing without filters shows a rep only their own customers.
  cv1::ListCustomersRequest list;
  list.set_page_size(1000);
  cv1::ListCustomersResponse listed;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::ListCustomers, list, &listed).ok());
  for (const auto& x : listed.customers()) {
    EXPECT_EQ(x.owner(), "members/" + org().rep2);
  }
  // Policies are for directors and admins.
  cv1::UpdatePoolPolicyRequest up;
  cv1::UpdatePoolPolicyResponse upr;
  EXPECT_EQ(Call(Mgr(), &cv1::CustomersService::Stub::UpdatePoolPolicy, up, &upr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CustomersTest, SharingGivesAnotherDepartmentAMinimisedReadOnlyView) {
  cv1::Customer c = NewCustomer(Rep1(), Unique("共享客户"), "", "0571" + UniqueDigits(8));
  cv1::GetCustomerRequest get;
  get.set_name(c.name());
  cv1::GetCustomerResponse resp;
  EXPECT_EQ(Call(Mk1(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  cv1::GrantSharingRequest grant;
  grant.mutable_sharing_grant()->set_customer(c.name());
  grant.mutable_sharing_grant()->set_grantee("orgUnits/" + org().marketing);
  grant.mutable_sharing_grant()->set_access(cv1::SHARING_ACCESS_READ_ONLY);
  grant.mutable_sharing_grant()->set_purpose("市场部做行业案例");
  cv1::GrantSharingResponse granted;
  EXPECT_EQ(Call(Rep1(), &cv1::CustomersService::Stub::GrantSharing, grant, &granted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // reps do not grant
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::GrantSharing, grant, &granted).ok());
  ASSERT_TRUE(Call(Mk1(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).ok());
  EXPECT_EQ(resp.customer().display_name(), c.display_name());
  EXPECT_TRUE(resp.customer().phone().empty()) << "personal data must be minimised";
  ASSERT_EQ(resp.customer().contacts_size(), 1);
  EXPECT_TRUE(resp.customer().contacts(0).phone().empty());
  EXPECT_TRUE(resp.customer().contacts(0).email().empty());
  // Read-only: no changes.
  cv1::UpdateCustomerRequest upd;
  upd.mutable_customer()->set_name(c.name());
  upd.mutable_customer()->set_address("x");
  upd.mutable_update_mask()->add_paths("address");
  cv1::UpdateCustomerResponse updr;
  EXPECT_EQ(Call(Mk1(), &cv1::CustomersService::Stub::UpdateCustomer, upd, &updr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  cv1::RevokeSharingRequest revoke;
  revoke.set_name(granted.sharing_grant().name());
  cv1::RevokeSharingResponse revoked;
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::RevokeSharing, revoke, &revoked).ok());
  EXPECT_EQ(Call(Mk1(), &cv1::CustomersService::Stub::GetCustomer, get, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CustomersTest, TieringMovesACustomerUpOnItsOwnWonDealAndSaysWhy) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::Customer c = NewCustomer(Rep1(), Unique("大客户"));
  const std::string cid = c.name().substr(strlen("customers/"));
  // ¥6,000,000 won today: full value, recency and monetary scores.
  cv1::Opportunity o = NewOpportunity(Rep1(), c, 600000000);
  for (auto st : {cv1::OPPORTUNITY_STAGE_QUALIFIED, cv1::OPPORTUNITY_STAGE_PROPOSAL,
                  cv1::OPPORTUNITY_STAGE_NEGOTIATION, cv1::OPPORTUNITY_STAGE_CONTRACT,
                  cv1::OPPORTUNITY_STAGE_WON}) {
    ASSERT_TRUE(Stage(Rep1(), o, st).ok());
  }
  auto records = reader.ReadUntil(
      [&](const Record& r) {
        return r.key == cid && EventType(r) == "salesops.customers.v1.CustomerTierChanged";
      },
      1, absl::Seconds(20));
  ASSERT_EQ(records.size(), 1u) << "the tier job re-evaluates a customer on its own events";
  cv1::CustomerTierChanged e;
  ASSERT_TRUE(e.ParseFromString(records[0].value));
  EXPECT_EQ(e.old_tier(), cv1::CUSTOMER_TIER_C);
  // value 30 % + recency 15 % + monetary 15 % + frequency 1666 bp × 15 % = 62.49 % ≥ A's 50 %.
  EXPECT_EQ(e.score().total_score(), 6249);  // frequency 1/6 floors to 1666 bp
  EXPECT_EQ(e.new_tier(), cv1::CUSTOMER_TIER_A);
  EXPECT_EQ(e.score().value_score(), 10000);
  EXPECT_EQ(e.score().revenue_last_12_months().amount_minor(), 600000000);
  EXPECT_EQ(e.trigger(), cv1::TIER_EVALUATION_TRIGGER_EVENT);
  cv1::EvaluateCustomerTierRequest ev;
  ev.set_name(c.name());
  cv1::EvaluateCustomerTierResponse evr;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::EvaluateCustomerTier, ev, &evr).ok());
  EXPECT_FALSE(evr.tier_changed()) << "evaluating again changes nothing";
  EXPECT_EQ(evr.customer().tier(), cv1::CUSTOMER_TIER_A);
}

TEST_F(CustomersTest, OverdueInstalmentRaisesPaymentOverdueExactlyOnce) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::Customer c = NewCustomer(Rep1(), Unique("逾期客户"));
  const std::string cid = c.name().substr(strlen("customers/"));
  // A signed contract of the customer whose one instalment is 3 days overdue.
  auto overdue_contract = [&]() {
    cv1::CreateContractRequest cc;
    auto* k = cc.mutable_contract();
    k->set_customer(c.name());
    k->set_title("服务合同");
    *k->mutable_amount() = Cny(500000);
    auto* i1 = k->mutable_payment_schedule()->add_instalments();
    i1->set_instalment_id("1");
    *i1->mutable_due_date() = DateOf(absl::Now() - absl::Hours(24 * 3));
    *i1->mutable_amount() = Cny(500000);
    cv1::CreateContractResponse created;
    EXPECT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::CreateContract, cc, &created).ok());
    cv1::SignContractRequest sign;
    sign.set_name(created.contract().name());
    *sign.mutable_sign_date() = DateOf(absl::Now() - absl::Hours(24 * 10));
    cv1::SignContractResponse signed_resp;
    EXPECT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::SignContract, sign, &signed_resp).ok());
    return created.contract().name();
  };
  // PaymentOverdue events of the customer (one key, so one partition, in
  // commit order), by contract, until `until`'s arrives.
  std::map<std::string, int> overdue;
  std::map<std::string, cv1::PaymentOverdue> last_of;
  auto read_until = [&](const std::string& until) {
    return reader
        .ReadUntil(
            [&](const Record& r) {
              cv1::PaymentOverdue e;
              if (r.key != cid || EventType(r) != "salesops.customers.v1.PaymentOverdue" ||
                  !e.ParseFromString(r.value)) {
                return false;
              }
              ++overdue[e.contract()];
              last_of[e.contract()] = e;
              return e.contract() == until;
            },
            1, absl::Seconds(20))
        .size();
  };
  const std::string first = overdue_contract();
  ASSERT_EQ(read_until(first), 1u);
  EXPECT_EQ(last_of[first].outstanding().amount_minor(), 500000);
  EXPECT_EQ(last_of[first].owner(), "members/" + org().rep1);
  // Barrier instead of watching a while: two more overdue contracts, each
  // raised by a later run of the job (which runs every 200 ms, one run at a
  // time). The run that raised the second had the first in view, and every
  // event of that run precedes the third's: a second PaymentOverdue for the
  // first contract would have arrived by then.
  const std::string second = overdue_contract();
  ASSERT_EQ(read_until(second), 1u);
  const std::string third = overdue_contract();
  ASSERT_EQ(read_until(third), 1u);
  EXPECT_EQ(overdue[first], 1) << "no second event for the same instalment";
  EXPECT_EQ(overdue[second], 1);

  cv1::ListContractsRequest lc;
  lc.set_customer(c.name());
  lc.set_overdue_only(true);
  cv1::ListContractsResponse listed;
  ASSERT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::ListContracts, lc, &listed).ok());
  ASSERT_EQ(listed.contracts_size(), 3);
  for (const auto& k : listed.contracts()) {
    EXPECT_EQ(k.payment_schedule().instalments(0).state(), cv1::INSTALMENT_STATE_OVERDUE)
        << k.name();
  }
}

TEST_F(CustomersTest, CancelAndCloseFollowTheContractRulesAndPublishTheirEvents) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::Customer c = NewCustomer(Rep1(), Unique("合同客户"));
  const std::string cid = c.name().substr(strlen("customers/"));
  auto contract = [&](bool sign) {
    cv1::CreateContractRequest cc;
    auto* k = cc.mutable_contract();
    k->set_customer(c.name());
    k->set_title("年度服务合同");
    *k->mutable_amount() = Cny(300000);
    auto* i1 = k->mutable_payment_schedule()->add_instalments();
    i1->set_instalment_id("1");
    *i1->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 30));
    *i1->mutable_amount() = Cny(300000);
    cv1::CreateContractResponse created;
    EXPECT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::CreateContract, cc, &created).ok());
    if (!sign) {
      return created.contract();
    }
    cv1::SignContractRequest s;
    s.set_name(created.contract().name());
    *s.mutable_sign_date() = DateOf(absl::Now());
    cv1::SignContractResponse signed_resp;
    EXPECT_TRUE(Call(Rep1(), &cv1::CustomersService::Stub::SignContract, s, &signed_resp).ok());
    return signed_resp.contract();
  };

  const cv1::Contract a = contract(true);
  cv1::CancelContractRequest cancel;
  cancel.set_name(a.name());
  cv1::CancelContractResponse cancelled;
  grpc::Status s = Call(Rep1(), &cv1::CustomersService::Stub::CancelContract, cancel, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "reason") << "a cancellation says why";
  cancel.set_reason("客户预算取消");
  cancel.set_etag("999");
  s = Call(Rep1(), &cv1::CustomersService::Stub::CancelContract, cancel, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  cancel.set_etag(a.etag());
  s = Call(Rep2(), &cv1::CustomersService::Stub::CancelContract, cancel, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << "another rep's contract";
  s = Call(Rep1(), &cv1::CustomersService::Stub::CancelContract, cancel, &cancelled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(cancelled.contract().state(), cv1::CONTRACT_STATE_CANCELLED);
  EXPECT_EQ(cancelled.contract().cancel_reason(), "客户预算取消");
  EXPECT_NE(cancelled.contract().etag(), a.etag());
  cv1::CloseContractRequest close;
  close.set_name(a.name());
  cv1::CloseContractResponse closed;
  s = Call(Rep1(), &cv1::CustomersService::Stub::CloseContract, close, &closed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "cancelled is final";

  const cv1::Contract b = contract(true);
  close.set_name(b.name());
  s = Call(Rep1(), &cv1::CustomersService::Stub::CloseContract, close, &closed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(closed.contract().state(), cv1::CONTRACT_STATE_CLOSED);

  const cv1::Contract draft = contract(false);
  cancel.set_name(draft.name());
  cancel.clear_etag();
  s = Call(Rep1(), &cv1::CustomersService::Stub::CancelContract, cancel, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "a draft is not cancelled";

  auto events = reader.ReadUntil(
      [&](const Record& r) {
        return r.key == cid && (EventType(r) == "salesops.customers.v1.ContractCancelled" ||
                                EventType(r) == "salesops.customers.v1.ContractClosed");
      },
      2, absl::Seconds(20));
  ASSERT_EQ(events.size(), 2u);
  cv1::ContractCancelled ce;
  cv1::ContractClosed cl;
  for (const Record& r : events) {
    if (EventType(r) == "salesops.customers.v1.ContractCancelled") {
      ASSERT_TRUE(ce.ParseFromString(r.value));
    } else {
      ASSERT_TRUE(cl.ParseFromString(r.value));
    }
  }
  EXPECT_EQ(ce.contract().name(), a.name());
  EXPECT_EQ(ce.owner(), "members/" + org().rep1);
  EXPECT_EQ(ce.reason(), "客户预算取消");
  EXPECT_EQ(ce.actor().member_id(), org().rep1);
  EXPECT_EQ(cl.contract().name(), b.name());
  EXPECT_EQ(cl.contract().state(), cv1::CONTRACT_STATE_CLOSED);
}

TEST_F(CustomersTest, CsvImportIsAllOrNothingAndExportRoundTripsChineseNames) {
  const std::string p1 = "0571" + UniqueDigits(8), p2 = "0571" + UniqueDigits(8);
  const std::string n1 = Unique("宁波甬江机械有限公司"), n2 = Unique("温州瓯海\"鞋业\",有限公司");
  std::string bad = "\xEF\xBB\xBF客户名称,电话,行业,负责人\r\n";
  absl::StrAppend(&bad, n1, ",", p1, ",manufacturing,", org().rep1, "\r\n");
  absl::StrAppend(&bad, ",", p2, ",retail,", org().rep1, "\r\n");  // no name
  cv1::ImportCustomersCsvRequest imp;
  imp.set_csv(bad);
  cv1::ImportCustomersCsvResponse report;
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::ImportCustomersCsv, imp, &report).ok());
  EXPECT_EQ(report.created_count(), 0);
  EXPECT_EQ(report.failed_count(), 1);
  ASSERT_EQ(report.rows_size(), 2);
  EXPECT_EQ(report.rows(1).row_number(), 3);
  EXPECT_EQ(report.rows(1).status(), cv1::IMPORT_ROW_STATUS_FAILED);
  ASSERT_GE(report.rows(1).errors_size(), 1);
  EXPECT_EQ(report.rows(1).errors(0).column(), "display_name");
  cv1::CheckCustomerConflictsRequest check;
  check.set_phone(p1);
  cv1::CheckCustomerConflictsResponse none;
  ASSERT_TRUE(
      Call(Sup1(), &cv1::CustomersService::Stub::CheckCustomerConflicts, check, &none).ok());
  EXPECT_EQ(none.conflicts_size(), 0) << "nothing may be imported when a row fails";

  std::string good = "\xEF\xBB\xBF客户名称,电话,行业,负责人\r\n";
  absl::StrAppend(&good, n1, ",", p1, ",manufacturing,", org().rep1, "\r\n");
  absl::StrAppend(&good, "\"温州瓯海\"\"鞋业\"\",有限公司", n2.substr(n2.size() - 0), "\",", p2,
                  ",retail,", org().rep1, "\r\n");
  imp.set_csv(good);
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::ImportCustomersCsv, imp, &report).ok());
  EXPECT_EQ(report.created_count(), 2) << report.DebugString();

  cv1::ExportCustomersCsvRequest exp;
  exp.set_owner("members/" + org().rep1);
  exp.set_query(n1.substr(0, n1.size()));
  exp.add_columns("display_name");
  exp.add_columns("phone");
  cv1::ExportCustomersCsvResponse out;
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::ExportCustomersCsv, exp, &out).ok());
  EXPECT_TRUE(absl::StartsWith(out.csv(),
                               "\xEF\xBB\xBF"
                               "display_name,phone\r\n"))
      << out.csv();
  EXPECT_THAT(out.csv(), HasSubstr(n1 + "," + p1));
  // Importing the export again finds the duplicates; with SKIP nothing is created.
  imp.set_csv(out.csv());
  imp.set_on_conflict(cv1::IMPORT_CONFLICT_POLICY_SKIP);
  imp.set_default_owner("members/" + org().rep1);
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::ImportCustomersCsv, imp, &report).ok());
  EXPECT_EQ(report.created_count(), 0);
  EXPECT_EQ(report.skipped_count(), 1);
}

TEST_F(CustomersTest, HandOverMovesOpenDealsAndFollowUpsRaiseOverdueReminders) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::Customer c = NewCustomer(Rep1(), Unique("交接客户"));
  const std::string cid = c.name().substr(strlen("customers/"));
  cv1::Opportunity open = NewOpportunity(Rep1(), c, 880000);
  cv1::Opportunity lost = NewOpportunity(Rep1(), c, 10000);
  ASSERT_TRUE(Stage(Rep1(), lost, cv1::OPPORTUNITY_STAGE_LOST, "预算取消").ok());

  cv1::HandOverCustomerRequest ho;
  ho.set_name(c.name());
  ho.set_new_owner("members/" + org().rep2);
  ho.set_include_open_opportunities(true);
  cv1::HandOverCustomerResponse hor;
  EXPECT_EQ(Call(Rep1(), &cv1::CustomersService::Stub::HandOverCustomer, ho, &hor).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // reps do not hand over
  grpc::Status s = Call(Sup1(), &cv1::CustomersService::Stub::HandOverCustomer, ho, &hor);
  EXPECT_EQ(ViolatedFieldOf(s), "reason");
  ho.set_reason("王五调岗");
  // Another region's rep is outside a supervisor's scope.
  cv1::HandOverCustomerRequest far = ho;
  far.set_new_owner("members/" + org().rep3);
  EXPECT_EQ(Call(Sup1(), &cv1::CustomersService::Stub::HandOverCustomer, far, &hor).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::HandOverCustomer, ho, &hor).ok());
  EXPECT_EQ(hor.customer().owner(), "members/" + org().rep2);
  cv1::GetOpportunityRequest go;
  go.set_name(open.name());
  cv1::GetOpportunityResponse gor;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::GetOpportunity, go, &gor).ok());
  EXPECT_EQ(gor.opportunity().owner(), "members/" + org().rep2);
  go.set_name(lost.name());
  ASSERT_TRUE(Call(Sup1(), &cv1::CustomersService::Stub::GetOpportunity, go, &gor).ok());
  EXPECT_EQ(gor.opportunity().owner(), "members/" + org().rep1) << "closed deals keep their owner";
  cv1::GetCustomerRequest get;
  get.set_name(c.name());
  cv1::GetCustomerResponse got;
  EXPECT_EQ(Call(Rep1(), &cv1::CustomersService::Stub::GetCustomer, get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "the previous owner lost access";

  // The new owner logs a visit with a follow-up due almost at once.
  cv1::LogActivityRequest la;
  la.mutable_activity()->set_customer(c.name());
  la.mutable_activity()->set_opportunity(open.name());
  la.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_VISIT);
  la.mutable_activity()->set_outcome(cv1::ACTIVITY_OUTCOME_POSITIVE);
  la.mutable_activity()->set_summary("上门拜访，确认二期需求");
  la.mutable_follow_up()->set_title("发送二期报价");
  *la.mutable_follow_up()->mutable_due_time() = Ago(-absl::Seconds(1));
  cv1::LogActivityResponse lar;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::LogActivity, la, &lar).ok());
  ASSERT_EQ(lar.tasks_size(), 1);
  const std::string task = lar.tasks(0).name();
  auto events = reader.ReadUntil(
      [&](const Record& r) {
        return r.key == cid && (EventType(r) == "salesops.customers.v1.CustomerHandedOver" ||
                                EventType(r) == "salesops.customers.v1.FollowUpTaskOverdue");
      },
      2, absl::Seconds(20));
  ASSERT_EQ(events.size(), 2u);
  for (const Record& r : events) {
    if (EventType(r) == "salesops.customers.v1.CustomerHandedOver") {
      cv1::CustomerHandedOver e;
      ASSERT_TRUE(e.ParseFromString(r.value));
      EXPECT_EQ(e.from_owner(), "members/" + org().rep1);
      EXPECT_EQ(e.to_owner(), "members/" + org().rep2);
      ASSERT_EQ(e.moved_opportunities_size(), 1);
      EXPECT_EQ(e.moved_opportunities(0), open.name());
    } else {
      cv1::FollowUpTaskOverdue e;
      ASSERT_TRUE(e.ParseFromString(r.value));
      EXPECT_EQ(e.task().name(), task);
      EXPECT_EQ(e.team(), "orgUnits/" + org().team1);
    }
  }
  cv1::ListTasksRequest lt;
  lt.set_overdue_only(true);
  cv1::ListTasksResponse tasks;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::ListTasks, lt, &tasks).ok());
  bool found = false;
  for (const auto& t : tasks.tasks()) {
    found |= t.name() == task && t.overdue();
  }
  EXPECT_TRUE(found);
  cv1::CompleteTaskRequest done;
  done.set_name(task);
  cv1::CompleteTaskResponse doner;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::CompleteTask, done, &doner).ok());
  EXPECT_EQ(doner.task().state(), cv1::TASK_STATE_DONE);
  EXPECT_EQ(ErrorReasonOf(Call(Rep2(), &cv1::CustomersService::Stub::CompleteTask, done, &doner)),
            "TASK_NOT_OPEN");
  cv1::ListActivitiesRequest lact;
  lact.set_customer(c.name());
  cv1::ListActivitiesResponse acts;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::ListActivities, lact, &acts).ok());
  ASSERT_EQ(acts.activities_size(), 1);
  EXPECT_EQ(acts.activities(0).performed_by(), "members/" + org().rep2);
}

// Changes the pool policy and restores it when it ends, whatever happens in
// between, so it may run at any point of a shuffled order.
TEST_F(CustomersTest, PoolReleasesIdleCustomersAndClaimsKeepTheirLimits) {
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  cv1::GetPoolPolicyResponse before;
  ASSERT_TRUE(Call(Admin(), &cv1::CustomersService::Stub::GetPoolPolicy,
                   cv1::GetPoolPolicyRequest(), &before)
                  .ok());
  cv1::UpdatePoolPolicyRequest up;
  auto* p = up.mutable_pool_policy();
  p->set_protection_days(0);
  p->set_release_after_days(2);
  p->set_reminder_days_before_release(1);
  p->set_max_owned_per_rep(0);
  p->set_max_claims_per_rep_per_month(0);  // unlimited
  p->set_reclaim_cooldown_days(30);
  up.set_reason("integration test");
  cv1::UpdatePoolPolicyResponse upr;
  grpc::Status s = Call(Admin(), &cv1::CustomersService::Stub::UpdatePoolPolicy, up, &upr);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message() << " " << ViolatedFieldOf(s);
  absl::Cleanup restore_policy = [&] {
    cv1::UpdatePoolPolicyRequest restore;
    *restore.mutable_pool_policy() = before.pool_policy();
    restore.mutable_pool_policy()->clear_etag();
    restore.set_reason("integration test: restore");
    cv1::UpdatePoolPolicyResponse restored;
    EXPECT_TRUE(
        Call(Admin(), &cv1::CustomersService::Stub::UpdatePoolPolicy, restore, &restored).ok());
  };
  // Bad policy names the field.
  cv1::UpdatePoolPolicyRequest bad = up;
  bad.mutable_pool_policy()->set_reminder_days_before_release(5);
  EXPECT_EQ(
      ViolatedFieldOf(Call(Admin(), &cv1::CustomersService::Stub::UpdatePoolPolicy, bad, &upr)),
      "pool_policy.reminder_days_before_release");

  // Idle for 3 days (migrated history): the job releases it; idle 1.5 days: reminded.
  auto create_idle = [&](const std::string& name, absl::Duration idle) {
    cv1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_owner("members/" + org().rep1);
    *req.mutable_backfill_time() = Ago(idle);
    cv1::CreateCustomerResponse resp;
    grpc::Status st = Call(Admin(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.customer();
  };
  cv1::Customer idle = create_idle(Unique("沉睡客户"), absl::Hours(72));
  cv1::Customer warm = create_idle(Unique("提醒客户"), absl::Hours(36));
  const std::string idle_id = idle.name().substr(strlen("customers/"));
  const std::string warm_id = warm.name().substr(strlen("customers/"));
  auto events = reader.ReadUntil(
      [&](const Record& r) {
        return (r.key == idle_id &&
                EventType(r) == "salesops.customers.v1.CustomerReleasedToPool") ||
               (r.key == warm_id &&
                EventType(r) == "salesops.customers.v1.CustomerReleaseReminder");
      },
      2, absl::Seconds(20));
  ASSERT_EQ(events.size(), 2u);
  // Backfill is for admins only.
  {
    cv1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name("x");
    *req.mutable_backfill_time() = Ago(absl::Hours(1));
    cv1::CreateCustomerResponse resp;
    EXPECT_EQ(Call(Rep1(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  cv1::GetCustomerRequest get;
  get.set_name(idle.name());
  cv1::GetCustomerResponse got;
  ASSERT_TRUE(Call(Rep2(), &cv1::CustomersService::Stub::GetCustomer, get, &got).ok())
      << "pool customers are visible to reps";
  EXPECT_EQ(got.customer().pool_state(), cv1::POOL_STATE_PUBLIC_POOL);

  // The previous owner is in cool-down; two other reps race for it: exactly one wins.
  cv1::ClaimCustomerRequest claim;
  claim.set_name(idle.name());
  cv1::ClaimCustomerResponse claimed;
  s = Call(Rep1(), &cv1::CustomersService::Stub::ClaimCustomer, claim, &claimed);
  EXPECT_EQ(ErrorReasonOf(s), "RECLAIM_COOLDOWN") << s.error_message();
  std::atomic<int> wins{0};
  std::vector<grpc::Status> results(2);
  std::thread a([&] {
    cv1::ClaimCustomerResponse r;
    results[0] = Call(Rep2(), &cv1::CustomersService::Stub::ClaimCustomer, claim, &r);
  });
  std::thread b([&] {
    cv1::ClaimCustomerResponse r;
    results[1] = Call(Rep3(), &cv1::CustomersService::Stub::ClaimCustomer, claim, &r);
  });
  a.join();
  b.join();
  for (const auto& r : results) {
    wins += r.ok() ? 1 : 0;
  }
  EXPECT_EQ(wins.load(), 1) << results[0].error_message() << " / " << results[1].error_message();

  // Monthly claim limit: with limit 0 claims left, a claim is refused by rule.
  up.mutable_pool_policy()->set_max_claims_per_rep_per_month(1);
  ASSERT_TRUE(Call(Admin(), &cv1::CustomersService::Stub::UpdatePoolPolicy, up, &upr).ok());
  cv1::Customer pool1 = NewCustomer(Admin(), Unique("公海客户一"));
  cv1::Customer pool2 = NewCustomer(Admin(), Unique("公海客户二"));
  EXPECT_EQ(pool1.pool_state(), cv1::POOL_STATE_PUBLIC_POOL);
  const std::string rep = "rep-claims-" + UniqueSuffix();
  const std::string rep_token = Token(Role::kRep, rep, org().team2);
  claim.set_name(pool1.name());
  ASSERT_TRUE(Call(rep_token, &cv1::CustomersService::Stub::ClaimCustomer, claim, &claimed).ok());
  claim.set_name(pool2.name());
  s = Call(rep_token, &cv1::CustomersService::Stub::ClaimCustomer, claim, &claimed);
  EXPECT_EQ(ErrorReasonOf(s), "MONTHLY_CLAIM_LIMIT_REACHED") << s.error_message();
}

// An owner moving team takes their customers and open deals along (org events).
TEST_F(CustomersTest, OwnerMovingTeamTakesCustomersAndOpenDealsAlong) {
  const std::string rep5 = "rep5-" + org().sfx;
  {
    grpc::ClientContext ctx;
    Authorize(ctx, Admin());
    ov1::CreateMemberRequest req;
    req.set_member_id(rep5);
    req.mutable_member()->set_display_name("赵六");
    req.mutable_member()->set_email(rep5 + "@example.com");
    req.mutable_member()->set_role(ov1::ROLE_REP);
    req.mutable_member()->set_department(ov1::DEPARTMENT_SALES);
    req.mutable_member()->set_org_unit("orgUnits/" + org().team1);
    ov1::CreateMemberResponse resp;
    ASSERT_TRUE(org_server_->stub().CreateMember(&ctx, req, &resp).ok());
  }
  grpc::Status s;
  cv1::Customer c;
  for (int i = 0; i < 100; ++i) {  // until the directory knows rep5
    c = NewCustomer(Admin(), Unique("随人客户"), "", "", &s, rep5);
    if (s.ok()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(c.team(), "orgUnits/" + org().team1);
  cv1::Opportunity open = NewOpportunity(Admin(), c, 120000);
  {
    grpc::ClientContext ctx;
    Authorize(ctx, Admin());
    ov1::MoveMemberRequest mv;
    mv.set_name("members/" + rep5);
    mv.set_org_unit("orgUnits/" + org().team2);
    mv.set_reason("支援二组");
    ov1::MoveMemberResponse mvr;
    s = org_server_->stub().MoveMember(&ctx, mv, &mvr);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  cv1::GetCustomerRequest get;
  get.set_name(c.name());
  cv1::GetCustomerResponse got;
  // Its consumer group first catches up with the whole org topic, which in a
  // full run holds the other suites' events (poison records among them): allow
  // a minute.
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(Call(Admin(), &cv1::CustomersService::Stub::GetCustomer, get, &got).ok());
    if (got.customer().team() == "orgUnits/" + org().team2) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(got.customer().team(), "orgUnits/" + org().team2);
  EXPECT_EQ(got.customer().tags().region(), c.tags().region()) << "the customer's region stays";
  cv1::GetOpportunityRequest go;
  go.set_name(open.name());
  cv1::GetOpportunityResponse gor;
  ASSERT_TRUE(Call(Admin(), &cv1::CustomersService::Stub::GetOpportunity, go, &gor).ok());
  EXPECT_EQ(gor.opportunity().team(), "orgUnits/" + org().team2);
  // The new team's supervisor now sees it; the old one no longer does.
  const std::string sup2 = Token(Role::kSupervisor, "sup2", org().team2);
  EXPECT_TRUE(Call(sup2, &cv1::CustomersService::Stub::GetCustomer, get, &got).ok());
  EXPECT_EQ(Call(Sup1(), &cv1::CustomersService::Stub::GetCustomer, get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace salesops::testing
