// CustomersApi over its in-memory store (store/in_memory_customers_store.h), wired as main.cc wires
// it (CustomersStore and OrgDirectory on one keyspace, the org chart filled through the real
// directory projection), with a fake clock: what each use case writes and emits, what it refuses
// and with which status, reason and field, who may see what, and the scheduled pool and payment
// jobs — without Redis, Kafka or gRPC.
#include "services/customers/api/customers_api.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/directory/testing/directory_seed.h"
#include "common/docstore/in_memory_kv.h"
#include "common/status/errors.h"
#include "common/testing/api_test_support.h"
#include "common/testing/counting_kv.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/common/v1/common.pb.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/customers/api/customers_grpc_service.h"
#include "services/customers/jobs/customers_jobs.h"
#include "services/customers/store/customers_store.h"
#include "services/customers/store/in_memory_customers_store.h"

namespace salesops::customers {
namespace {

namespace ov1 = ::salesops::org::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";

using ::salesops::test_support::BusinessZone;
constexpr auto FieldOf = &::salesops::test_support::FirstViolatedField;

std::string IdFrom(const std::string& name) { return name.substr(name.find('/') + 1); }

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

class CustomersApiTest : public ::testing::Test {
 protected:
  // The org chart: two regions, three teams, a product line; reps, a
  // supervisor and a manager per region. Published as the org service does.
  void SetUp() override {
    seed_.Unit("acme", "", ov1::ORG_UNIT_KIND_COMPANY);
    seed_.Unit("east", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("west", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("t-hz", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-sh", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-cd", "west", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("pl-erp", "acme", ov1::ORG_UNIT_KIND_PRODUCT_LINE);
    seed_.Member("rep-1", "t-hz", ov1::ROLE_REP);
    seed_.Member("rep-2", "t-hz", ov1::ROLE_REP);
    seed_.Member("rep-3", "t-cd", ov1::ROLE_REP);
    seed_.Member("rep-4", "t-sh", ov1::ROLE_REP);
    seed_.Member("sup-1", "t-hz", ov1::ROLE_SUPERVISOR);
    seed_.Member("mgr-e", "east", ov1::ROLE_MANAGER);
    seed_.Member("mgr-w", "west", ov1::ROLE_MANAGER);
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

  static v1::CreateCustomerRequest CustomerRequest(const std::string& display_name) {
    v1::CreateCustomerRequest req;
    v1::Customer* c = req.mutable_customer();
    c->set_display_name(display_name);
    c->set_customer_type("enterprise");
    c->mutable_tags()->set_industry("manufacturing");
    v1::Contact* ct = c->add_contacts();
    ct->set_display_name("王经理");
    ct->set_phone("13800000000");
    ct->set_email("wang@example.com");
    return req;
  }

  absl::StatusOr<v1::Customer> Create(const CallContext& call,
                                      const v1::CreateCustomerRequest& req) {
    v1::CreateCustomerResponse resp;
    absl::Status s = api_.CreateCustomer(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.customer();
  }

  // A customer owned by the caller (a rep) or by `owner`.
  v1::Customer NewCustomer(const CallContext& call, const std::string& display_name,
                           const std::string& owner = "") {
    v1::CreateCustomerRequest req = CustomerRequest(display_name);
    if (!owner.empty()) {
      req.mutable_customer()->set_owner("members/" + owner);
    }
    absl::StatusOr<v1::Customer> c = Create(call, req);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : v1::Customer();
  }

  absl::StatusOr<v1::Customer> Get(const CallContext& call, const std::string& name) {
    v1::GetCustomerRequest req;
    req.set_name(name);
    v1::GetCustomerResponse resp;
    absl::Status s = api_.GetCustomer(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.customer();
  }

  absl::StatusOr<v1::Opportunity> CreateOpp(const CallContext& call, const v1::Customer& c,
                                            int64_t amount_minor) {
    v1::CreateOpportunityRequest req;
    v1::Opportunity* o = req.mutable_opportunity();
    o->set_customer(c.name());
    o->set_display_name("年度采购项目");
    *o->mutable_amount() = Cny(amount_minor);
    o->set_product_line("orgUnits/pl-erp");
    o->set_channel("direct");
    v1::CreateOpportunityResponse resp;
    absl::Status s = api_.CreateOpportunity(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.opportunity();
  }

  v1::Opportunity NewOpp(const CallContext& call, const v1::Customer& c, int64_t amount_minor) {
    absl::StatusOr<v1::Opportunity> o = CreateOpp(call, c, amount_minor);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : v1::Opportunity();
  }

  // Moves `o` (with its etag) to `stage`; on success `o` becomes the answer.
  absl::Status Stage(const CallContext& call, v1::Opportunity& o, v1::OpportunityStage stage,
                     const std::string& reason = "", const std::string& competitor = "") {
    v1::ChangeOpportunityStageRequest req;
    req.set_name(o.name());
    req.set_etag(o.etag());
    req.set_stage(stage);
    req.set_reason(reason);
    req.set_lost_to_competitor(competitor);
    v1::ChangeOpportunityStageResponse resp;
    absl::Status s = api_.ChangeOpportunityStage(call, req, &resp);
    if (s.ok()) {
      o = resp.opportunity();
    }
    return s;
  }

  absl::Status LogVisit(const CallContext& call, const v1::Customer& c,
                        std::optional<absl::Time> occur = std::nullopt) {
    v1::LogActivityRequest req;
    req.mutable_activity()->set_customer(c.name());
    req.mutable_activity()->set_kind(v1::ACTIVITY_KIND_VISIT);
    req.mutable_activity()->set_summary("拜访采购部");
    if (occur) {
      *req.mutable_activity()->mutable_occur_time() = ToTs(*occur);
    }
    v1::LogActivityResponse resp;
    return api_.LogActivity(call, req, &resp);
  }

  // A draft contract of `c` (and of deal `opp` when given) for 30,000,000
  // minor units in two instalments, due in 30 and 90 days.
  absl::StatusOr<v1::Contract> CreateContract(const CallContext& call, const v1::Customer& c,
                                              const std::string& opp = "") {
    v1::CreateContractRequest req;
    v1::Contract* k = req.mutable_contract();
    k->set_customer(c.name());
    k->set_opportunity(opp);
    k->set_title("年度采购合同");
    *k->mutable_amount() = Cny(30'000'000);
    v1::Instalment* i1 = k->mutable_payment_schedule()->add_instalments();
    i1->set_instalment_id("1");
    *i1->mutable_due_date() = DateIn(absl::Hours(24 * 30));
    *i1->mutable_amount() = Cny(10'000'000);
    v1::Instalment* i2 = k->mutable_payment_schedule()->add_instalments();
    i2->set_instalment_id("2");
    *i2->mutable_due_date() = DateIn(absl::Hours(24 * 90));
    *i2->mutable_amount() = Cny(20'000'000);
    v1::CreateContractResponse resp;
    absl::Status s = api_.CreateContract(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.contract();
  }

  absl::StatusOr<v1::SignContractResponse> Sign(
      const CallContext& call, const v1::Contract& k,
      std::optional<salesops::common::v1::Date> sign_date = std::nullopt) {
    v1::SignContractRequest req;
    req.set_name(k.name());
    if (sign_date) {
      *req.mutable_sign_date() = *sign_date;
    }
    v1::SignContractResponse resp;
    absl::Status s = api_.SignContract(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp;
  }

  // A deal of `c` (rep-1's) at the contract stage with a draft contract linked; the
  // deal's etag is cleared, since linking the contract changed the deal.
  std::pair<v1::Opportunity, v1::Contract> DealWithDraftContract(const v1::Customer& c) {
    v1::Opportunity o = NewOpp(rep1_, c, 30'000'000);
    for (auto st : {v1::OPPORTUNITY_STAGE_NEGOTIATION, v1::OPPORTUNITY_STAGE_CONTRACT}) {
      EXPECT_TRUE(Stage(rep1_, o, st).ok()) << st;
    }
    absl::StatusOr<v1::Contract> k = CreateContract(rep1_, c, o.name());
    EXPECT_TRUE(k.ok()) << k.status();
    o.clear_etag();
    return {o, k.ok() ? *k : v1::Contract()};
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

  // Events committed on the customers topic (the directory seed emits none there).
  std::vector<std::string> CustomerEventTypes() const {
    std::vector<std::string> out;
    for (const auto& [e, topic] : kv_.Events()) {
      if (topic == kCustomersTopic) {
        out.push_back(e.type);
      }
    }
    return out;
  }

  const absl::TimeZone tz_ = BusinessZone();
  // Monday 2026-03-02 10:00 in the business zone.
  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), BusinessZone())};
  InMemoryCustomersStore store_;
  InMemoryKv& kv_ = store_.memory();
  org::testing::DirectorySeed seed_{kv_, kKeyPrefix};
  // As main.cc: one store and one directory over the service's keyspace.
  OrgDirectory directory_{kv_, kKeyPrefix};
  CustomersApi api_{store_, directory_, clock_, tz_};
  CustomersJobs jobs_{store_, directory_, clock_, tz_};

  const CallContext rep1_ = As(Role::kRep, "rep-1", "t-hz");
  const CallContext rep2_ = As(Role::kRep, "rep-2", "t-hz");
  const CallContext rep3_ = As(Role::kRep, "rep-3", "t-cd");
  const CallContext sup1_ = As(Role::kSupervisor, "sup-1", "t-hz");
  const CallContext mgr_east_ = As(Role::kManager, "mgr-e", "east");
  const CallContext mgr_west_ = As(Role::kManager, "mgr-w", "west");
  const CallContext admin_ = As(Role::kAdmin, "admin", "");
};

// ---------------------------------------------------------------- customers

// A rep's new customer is theirs, on their team and in their team's region (all
// from the directory), protected for 30 days, with one CustomerCreated event.
TEST_F(CustomersApiTest, CreateCustomerTakesOwnerTeamAndRegionFromTheDirectory) {
  const absl::Time t0 = clock_.Now();
  v1::Customer c = NewCustomer(rep1_, "杭州测试科技有限公司");
  EXPECT_EQ(c.owner(), "members/rep-1");
  EXPECT_EQ(c.team(), "orgUnits/t-hz");
  EXPECT_EQ(c.tags().region(), "orgUnits/east");
  EXPECT_EQ(c.pool_state(), v1::POOL_STATE_OWNED);
  EXPECT_EQ(c.etag(), "1");
  EXPECT_EQ(FromTs(c.protection_until()), t0 + absl::Hours(24 * 30));
  EXPECT_EQ(FromTs(c.last_activity_time()), t0);
  EXPECT_EQ(FromTs(c.release_due_time()), t0 + absl::Hours(24 * 90));
  EXPECT_EQ(c.contacts(0).contact_id(), "c1");

  EXPECT_THAT(CustomerEventTypes(), ElementsAre("salesops.customers.v1.CustomerCreated"));
  const std::vector<CloudEvent> events = kv_.EventsOfType("salesops.customers.v1.CustomerCreated");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, IdFrom(c.name()));
  EXPECT_EQ(events[0].subject, c.name());
  EXPECT_EQ(events[0].trace_id, kTrace);
  EXPECT_EQ(events[0].time, t0);
  v1::CustomerCreated e;
  ASSERT_TRUE(e.ParseFromString(events[0].data));
  EXPECT_EQ(e.customer().team(), "orgUnits/t-hz");
  EXPECT_EQ(e.actor().member_id(), "rep-1");

  absl::StatusOr<v1::Customer> read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->display_name(), "杭州测试科技有限公司");
  EXPECT_EQ(read->etag(), "1");
}

// A supervisor creates for a rep of their team; a rep only for themself; nobody
// for a member outside their scope.
TEST_F(CustomersApiTest, CreateForAnotherOwnerIsLimitedToTheCallersScope) {
  v1::Customer c = NewCustomer(sup1_, "下属客户", "rep-2");
  EXPECT_EQ(c.owner(), "members/rep-2");
  EXPECT_EQ(c.team(), "orgUnits/t-hz");

  v1::CreateCustomerRequest other_team = CustomerRequest("外区客户");
  other_team.mutable_customer()->set_owner("members/rep-3");
  absl::Status s = Create(sup1_, other_team).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "NOT_IN_SCOPE");

  v1::CreateCustomerRequest for_colleague = CustomerRequest("同事客户");
  for_colleague.mutable_customer()->set_owner("members/rep-2");
  s = Create(rep1_, for_colleague).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "NOT_IN_SCOPE");

  // The manager of the east region reaches a rep of any east team.
  v1::Customer east = NewCustomer(mgr_east_, "上海客户", "rep-4");
  EXPECT_EQ(east.team(), "orgUnits/t-sh");
  EXPECT_EQ(east.tags().region(), "orgUnits/east");
  EXPECT_EQ(CustomerEventTypes().size(), 2u);
}

// The owner must be an active member the directory knows, and an owned
// customer sits in the owner's region whatever the request says.
TEST_F(CustomersApiTest, OwnerMustBeKnownAndActiveAndDecidesTheRegion) {
  v1::CreateCustomerRequest wrong_region = CustomerRequest("错区客户");
  wrong_region.mutable_customer()->mutable_tags()->set_region("orgUnits/west");
  absl::Status s = Create(rep1_, wrong_region).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorReason(s), "REGION_NOT_OWNERS");
  EXPECT_EQ(FieldOf(s), "customer.tags.region");

  seed_.Left("rep-2", "t-hz", ov1::ROLE_REP);
  v1::CreateCustomerRequest for_leaver = CustomerRequest("离职客户");
  for_leaver.mutable_customer()->set_owner("members/rep-2");
  s = Create(sup1_, for_leaver).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorReason(s), "OWNER_LEFT");
  EXPECT_EQ(FieldOf(s), "customer.owner");

  v1::CreateCustomerRequest for_stranger = CustomerRequest("未知客户");
  for_stranger.mutable_customer()->set_owner("members/rep-99");
  s = Create(admin_, for_stranger).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "OWNER_UNKNOWN");

  EXPECT_TRUE(CustomerEventTypes().empty());
}

// A tax id or phone already used (written differently) is ALREADY_EXISTS with
// the duplicate's reason, naming the existing customer; nothing is written.
TEST_F(CustomersApiTest, DuplicateTaxIdOrPhoneIsAlreadyExistsNamingTheCustomer) {
  v1::CreateCustomerRequest first_req = CustomerRequest("甲公司");
  first_req.mutable_customer()->set_tax_id("91330100MA27XYZ12K");
  first_req.mutable_customer()->set_phone("0571-88886666");
  absl::StatusOr<v1::Customer> first = Create(rep1_, first_req);
  ASSERT_TRUE(first.ok()) << first.status();

  v1::CreateCustomerRequest same_tax = CustomerRequest("乙公司");
  same_tax.mutable_customer()->set_tax_id("9133 0100 ma27 xyz1 2k");
  absl::Status s = Create(rep2_, same_tax).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(ErrorReason(s), "DUPLICATE_TAX_ID");
  EXPECT_THAT(std::string(s.message()), HasSubstr(first->name()));
  EXPECT_THAT(std::string(s.message()), HasSubstr("customer.tax_id"));

  v1::CreateCustomerRequest same_phone = CustomerRequest("丙公司");
  same_phone.mutable_customer()->set_phone("057188886666");
  s = Create(rep2_, same_phone).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(ErrorReason(s), "DUPLICATE_PHONE");
  EXPECT_THAT(std::string(s.message()), HasSubstr(first->name()));

  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.CustomerCreated").size(), 1u);
  v1::ListCustomersRequest list;
  v1::ListCustomersResponse all;
  ASSERT_TRUE(api_.ListCustomers(admin_, list, &all).ok());
  ASSERT_EQ(all.customers_size(), 1);
  EXPECT_EQ(all.customers(0).name(), first->name());
}

// A retried create (same caller, same request_id) answers with the customer
// the first call made, marks the call replayed and creates nothing; the
// request_id is the caller's own.
TEST_F(CustomersApiTest, RequestIdReplayReturnsTheFirstCustomer) {
  v1::CreateCustomerRequest req = CustomerRequest("重试客户");
  req.set_request_id("req-create-1");
  absl::StatusOr<v1::Customer> first = Create(rep1_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(rep1_.replayed);

  req.mutable_customer()->set_display_name("重试客户（改名）");
  v1::CreateCustomerResponse again;
  const CallContext retry = rep1_;
  ASSERT_TRUE(api_.CreateCustomer(retry, req, &again).ok());
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(again.customer().name(), first->name());
  EXPECT_EQ(again.customer().display_name(), "重试客户");
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.CustomerCreated").size(), 1u);

  absl::StatusOr<v1::Customer> other = Create(rep2_, req);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->name(), first->name());
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.CustomerCreated").size(), 2u);
}

// Bad input is INVALID_ARGUMENT naming the offending field, before anything is
// read or written.
TEST_F(CustomersApiTest, BadCustomerInputNamesTheField) {
  struct Case {
    std::string want_field;
    std::function<void(v1::CreateCustomerRequest&)> edit;
  };
  const std::vector<Case> cases = {
      {"customer.display_name", [](auto& r) { r.mutable_customer()->clear_display_name(); }},
      {"customer.tax_id", [](auto& r) { r.mutable_customer()->set_tax_id("123"); }},
      {"customer.phone", [](auto& r) { r.mutable_customer()->set_phone("call me"); }},
      {"customer.owner", [](auto& r) { r.mutable_customer()->set_owner("rep-1"); }},
      {"customer.customer_type", [](auto& r) { r.mutable_customer()->set_customer_type("Big"); }},
      {"customer.contacts[0].email",
       [](auto& r) { r.mutable_customer()->mutable_contacts(0)->set_email("not-an-address"); }},
      {"customer_id", [](auto& r) { r.set_customer_id("x"); }},
      {"request_id", [](auto& r) { r.set_request_id("has spaces!"); }},
  };
  for (const Case& c : cases) {
    v1::CreateCustomerRequest req = CustomerRequest("校验客户");
    c.edit(req);
    absl::Status s = Create(rep1_, req).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.want_field << ": " << s;
    EXPECT_EQ(FieldOf(s), c.want_field) << s;
  }
  EXPECT_TRUE(CustomerEventTypes().empty());
}

// Reps see their own customers only (not their teammates'); supervisors their
// team's, managers their region's. Reading outside scope is PERMISSION_DENIED
// NOT_IN_SCOPE, and so is every write; lists leave such customers out.
TEST_F(CustomersApiTest, CustomersOutsideTheCallersScopeAreDenied) {
  v1::Customer c = NewCustomer(rep1_, "私有客户");

  for (const CallContext* other : {&rep3_, &rep2_, &mgr_west_}) {
    absl::Status s = Get(*other, c.name()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << other->principal.member_id;
    EXPECT_EQ(ErrorReason(s), "NOT_IN_SCOPE");
  }
  for (const CallContext* inside : {&rep1_, &sup1_, &mgr_east_, &admin_}) {
    EXPECT_TRUE(Get(*inside, c.name()).ok()) << inside->principal.member_id;
  }

  v1::UpdateCustomerRequest up;
  up.mutable_customer()->set_name(c.name());
  up.mutable_customer()->set_display_name("改名");
  up.mutable_update_mask()->add_paths("display_name");
  v1::UpdateCustomerResponse updated;
  EXPECT_EQ(api_.UpdateCustomer(rep3_, up, &updated).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(LogVisit(rep3_, c).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CreateOpp(rep3_, c, 100).status().code(), absl::StatusCode::kPermissionDenied);

  // Listing another team by filter still checks each customer.
  v1::ListCustomersRequest list;
  list.set_team("orgUnits/t-hz");
  v1::ListCustomersResponse seen;
  ASSERT_TRUE(api_.ListCustomers(rep3_, list, &seen).ok());
  EXPECT_EQ(seen.customers_size(), 0);
  ASSERT_TRUE(api_.ListCustomers(sup1_, list, &seen).ok());
  ASSERT_EQ(seen.customers_size(), 1);
  EXPECT_EQ(seen.customers(0).name(), c.name());

  EXPECT_THAT(CustomerEventTypes(), ElementsAre("salesops.customers.v1.CustomerCreated"));
}

// A pool customer is visible to any rep with personal data minimised; claiming
// it makes it the rep's (team from the directory, region kept) with a
// CustomerClaimed event, after which other reps no longer see it.
TEST_F(CustomersApiTest, PoolCustomerIsVisibleMinimisedAndClaimable) {
  v1::CreateCustomerRequest req = CustomerRequest("公海客户");
  req.mutable_customer()->set_phone("0571-12345678");
  req.mutable_customer()->mutable_tags()->set_region("orgUnits/east");
  absl::StatusOr<v1::Customer> pool = Create(admin_, req);
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ(pool->pool_state(), v1::POOL_STATE_PUBLIC_POOL);
  EXPECT_EQ(pool->owner(), "");
  EXPECT_FALSE(pool->has_protection_until());

  absl::StatusOr<v1::Customer> seen = Get(rep3_, pool->name());
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->phone(), "");
  EXPECT_EQ(seen->contacts(0).phone(), "");
  EXPECT_EQ(seen->contacts(0).email(), "");
  EXPECT_EQ(seen->contacts(0).display_name(), "王经理");

  v1::ClaimCustomerRequest claim;
  claim.set_name(pool->name());
  v1::ClaimCustomerResponse claimed;
  ASSERT_TRUE(api_.ClaimCustomer(rep1_, claim, &claimed).ok());
  EXPECT_EQ(claimed.customer().owner(), "members/rep-1");
  EXPECT_EQ(claimed.customer().team(), "orgUnits/t-hz");
  EXPECT_EQ(claimed.customer().tags().region(), "orgUnits/east");
  EXPECT_EQ(claimed.customer().pool_state(), v1::POOL_STATE_OWNED);
  EXPECT_EQ(claimed.customer().etag(), "2");
  EXPECT_EQ(claimed.customer().phone(), "0571-12345678");

  std::vector<v1::CustomerClaimed> events =
      Payloads<v1::CustomerClaimed>("salesops.customers.v1.CustomerClaimed");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].owner(), "members/rep-1");
  EXPECT_EQ(events[0].team(), "orgUnits/t-hz");

  EXPECT_EQ(Get(rep3_, pool->name()).status().code(), absl::StatusCode::kPermissionDenied);
  absl::Status again = api_.ClaimCustomer(rep2_, claim, &claimed);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_EQ(ErrorReason(again), "CUSTOMER_NOT_IN_POOL");
}

// An update names its fields and bumps the etag; an update against an older
// etag is ABORTED ETAG_MISMATCH and changes nothing.
TEST_F(CustomersApiTest, UpdateWithAStaleEtagIsAborted) {
  v1::Customer c = NewCustomer(rep1_, "旧名称");
  v1::UpdateCustomerRequest up;
  up.mutable_customer()->set_name(c.name());
  up.mutable_customer()->set_etag(c.etag());
  up.mutable_customer()->set_display_name("新名称");
  up.mutable_update_mask()->add_paths("display_name");
  up.set_reason("工商变更");
  v1::UpdateCustomerResponse updated;
  ASSERT_TRUE(api_.UpdateCustomer(rep1_, up, &updated).ok());
  EXPECT_EQ(updated.customer().display_name(), "新名称");
  EXPECT_EQ(updated.customer().etag(), "2");

  up.mutable_customer()->set_display_name("第三个名称");
  absl::Status s = api_.UpdateCustomer(rep1_, up, &updated);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH");

  absl::StatusOr<v1::Customer> now = Get(rep1_, c.name());
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->display_name(), "新名称");
  EXPECT_EQ(now->etag(), "2");
  std::vector<v1::CustomerUpdated> events =
      Payloads<v1::CustomerUpdated>("salesops.customers.v1.CustomerUpdated");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].previous().display_name(), "旧名称");
  EXPECT_THAT(events[0].changed_fields(), ElementsAre("display_name"));
  EXPECT_EQ(events[0].reason(), "工商变更");

  // Region is not updatable: the mask path is named.
  up.mutable_update_mask()->set_paths(0, "tags.region");
  up.mutable_customer()->clear_etag();
  s = api_.UpdateCustomer(rep1_, up, &updated);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "update_mask.paths[0]");
}

// A commit lost to the store is UNAVAILABLE and leaves nothing behind: no
// customer, no event, no tax-id claim and no request record, so the retry of
// the very same request succeeds.
TEST_F(CustomersApiTest, FailedCommitIsUnavailableAndWritesNothing) {
  v1::CreateCustomerRequest req = CustomerRequest("断线客户");
  req.set_customer_id("cust-lost");
  req.set_request_id("req-lost-1");
  req.mutable_customer()->set_tax_id("91330100MA27LOST01");
  kv_.FailNextCommit();
  absl::Status s = Create(rep1_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(IsRetryable(s));
  EXPECT_TRUE(CustomerEventTypes().empty());
  EXPECT_EQ(Get(admin_, "customers/cust-lost").status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<v1::Customer> retried = Create(rep1_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->name(), "customers/cust-lost");
  EXPECT_EQ(retried->tax_id(), "91330100MA27LOST01");
  EXPECT_THAT(CustomerEventTypes(), ElementsAre("salesops.customers.v1.CustomerCreated"));
}

// ---------------------------------------------------------------- opportunities

// A new deal starts as a lead with the customer's owner, team and region, one
// history entry, an OpportunityCreated event and the lead stage's follow-up task.
TEST_F(CustomersApiTest, NewOpportunityIsALeadOfTheCustomersOwner) {
  v1::Customer c = NewCustomer(rep1_, "商机客户");
  v1::Opportunity o = NewOpp(rep1_, c, 5'000'000);
  EXPECT_EQ(o.stage(), v1::OPPORTUNITY_STAGE_LEAD);
  EXPECT_EQ(o.owner(), "members/rep-1");
  EXPECT_EQ(o.team(), "orgUnits/t-hz");
  EXPECT_EQ(o.region(), "orgUnits/east");
  EXPECT_EQ(o.customer_type(), "enterprise");
  EXPECT_EQ(o.etag(), "1");
  ASSERT_EQ(o.stage_history_size(), 1);
  EXPECT_EQ(o.stage_history(0).changed_by(), "members/rep-1");

  EXPECT_THAT(CustomerEventTypes(), ElementsAre("salesops.customers.v1.CustomerCreated",
                                                "salesops.customers.v1.OpportunityCreated",
                                                "salesops.customers.v1.FollowUpTaskCreated"));
  std::vector<v1::FollowUpTaskCreated> tasks =
      Payloads<v1::FollowUpTaskCreated>("salesops.customers.v1.FollowUpTaskCreated");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].task().opportunity(), o.name());
  EXPECT_EQ(tasks[0].task().assignee(), "members/rep-1");
  EXPECT_EQ(FromTs(tasks[0].task().due_time()), clock_.Now() + absl::Hours(48));

  // Bad deal input names the field.
  v1::CreateOpportunityRequest bad;
  bad.mutable_opportunity()->set_customer(c.name());
  bad.mutable_opportunity()->set_display_name("负数商机");
  *bad.mutable_opportunity()->mutable_amount() = Cny(-1);
  bad.mutable_opportunity()->set_product_line("orgUnits/pl-erp");
  bad.mutable_opportunity()->set_channel("direct");
  v1::CreateOpportunityResponse resp;
  absl::Status s = api_.CreateOpportunity(rep1_, bad, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "opportunity.amount.amount_minor");
  *bad.mutable_opportunity()->mutable_amount() = Cny(100);
  bad.mutable_opportunity()->set_product_line("orgUnits/t-hz");  // a team, not a product line
  s = api_.CreateOpportunity(rep1_, bad, &resp);
  EXPECT_EQ(ErrorReason(s), "UNKNOWN_PRODUCT_LINE") << s;
  EXPECT_EQ(FieldOf(s), "opportunity.product_line");
  bad.mutable_opportunity()->set_product_line("orgUnits/pl-erp");
  bad.mutable_opportunity()->set_stage(v1::OPPORTUNITY_STAGE_WON);
  s = api_.CreateOpportunity(rep1_, bad, &resp);
  EXPECT_EQ(FieldOf(s), "opportunity.stage") << s;
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityCreated").size(), 1u);
}

// Open stages move forward one step or skip ahead, and back (a deal cools
// down); the same stage or WON from before CONTRACT is FAILED_PRECONDITION.
// Each move is in the history and emits OpportunityStageChanged.
TEST_F(CustomersApiTest, StagesMoveForwardSkipAheadAndBack) {
  v1::Customer c = NewCustomer(rep1_, "阶段客户");
  v1::Opportunity o = NewOpp(rep1_, c, 5'000'000);
  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_QUALIFIED).ok());
  clock_.Advance(absl::Hours(24 * 3));
  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_NEGOTIATION).ok());  // skips PROPOSAL
  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_PROPOSAL, "客户预算推迟").ok());  // back
  EXPECT_EQ(o.stage(), v1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_EQ(o.etag(), "4");
  ASSERT_EQ(o.stage_history_size(), 4);
  EXPECT_EQ(o.stage_history(3).from_stage(), v1::OPPORTUNITY_STAGE_NEGOTIATION);
  EXPECT_EQ(o.stage_history(3).to_stage(), v1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_EQ(o.stage_history(3).reason(), "客户预算推迟");

  absl::Status s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "STAGE_TRANSITION_NOT_ALLOWED");
  s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_WON);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("contract stage"));
  s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_UNSPECIFIED);
  EXPECT_EQ(FieldOf(s), "stage") << s;

  std::vector<v1::OpportunityStageChanged> changes =
      Payloads<v1::OpportunityStageChanged>("salesops.customers.v1.OpportunityStageChanged");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[1].from_stage(), v1::OPPORTUNITY_STAGE_QUALIFIED);
  EXPECT_EQ(changes[1].to_stage(), v1::OPPORTUNITY_STAGE_NEGOTIATION);
  EXPECT_EQ(changes[1].days_in_previous_stage(), 3);
  EXPECT_EQ(changes[2].to_stage(), v1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.OpportunityWon").empty());

  // A stage change against an old etag is ABORTED and changes nothing.
  v1::Opportunity stale = o;
  stale.set_etag("2");
  s = Stage(rep1_, stale, v1::OPPORTUNITY_STAGE_CONTRACT);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH");
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityStageChanged").size(), 3u);
}

// Two deals of one customer moved at once both move the customer's activity
// clock. The one that commits second finds the clock moved since its read: a
// race on the customer, not on the deal its etag names, so it runs again
// (RetryingStale, as the gRPC adapter runs it) and succeeds. A change to the
// deal itself between read and commit is the caller's ETAG_MISMATCH, at once.
TEST_F(CustomersApiTest, AConcurrentTouchOfTheCustomerIsNotTheCallersEtagMismatch) {
  v1::Customer c = NewCustomer(rep1_, "并发客户");
  v1::Opportunity first = NewOpp(rep1_, c, 5'000'000);
  v1::Opportunity second = NewOpp(rep1_, c, 7'000'000);
  clock_.Advance(absl::Hours(2));  // both changes move the clock forward

  auto served = [&](v1::Opportunity& o, v1::OpportunityStage stage, int& attempts) {
    v1::ChangeOpportunityStageRequest req;
    req.set_name(o.name());
    req.set_etag(o.etag());
    req.set_stage(stage);
    v1::ChangeOpportunityStageResponse resp;
    absl::Status s = RetryingStale(req, [&] {
      ++attempts;
      resp.Clear();
      return api_.ChangeOpportunityStage(rep1_, req, &resp);
    });
    if (s.ok()) {
      o = resp.opportunity();
    }
    return s;
  };

  // The second deal's change lands between the first's read and its commit.
  kv_.BeforeNextCommit(
      [&] { ASSERT_TRUE(Stage(rep1_, second, v1::OPPORTUNITY_STAGE_QUALIFIED).ok()); });
  int attempts = 0;
  absl::Status s = served(first, v1::OPPORTUNITY_STAGE_QUALIFIED, attempts);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(first.stage(), v1::OPPORTUNITY_STAGE_QUALIFIED);
  EXPECT_EQ(first.etag(), "2");
  EXPECT_EQ(second.stage(), v1::OPPORTUNITY_STAGE_QUALIFIED);
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityStageChanged").size(), 2u);

  // Without the retry the lost race is a WRITE_CONFLICT naming the customer's clock,
  // never ETAG_MISMATCH: the caller's etag was current.
  clock_.Advance(absl::Hours(2));
  kv_.BeforeNextCommit(
      [&] { ASSERT_TRUE(Stage(rep1_, second, v1::OPPORTUNITY_STAGE_PROPOSAL).ok()); });
  s = Stage(rep1_, first, v1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "WRITE_CONFLICT") << s;
  EXPECT_EQ(first.stage(), v1::OPPORTUNITY_STAGE_QUALIFIED);

  // The deal itself moved meanwhile (by the same rep elsewhere): the caller's etag
  // is stale, so it gets ABORTED ETAG_MISMATCH after one attempt and nothing changes.
  clock_.Advance(absl::Hours(2));
  v1::Opportunity elsewhere = first;
  kv_.BeforeNextCommit(
      [&] { ASSERT_TRUE(Stage(rep1_, elsewhere, v1::OPPORTUNITY_STAGE_NEGOTIATION).ok()); });
  attempts = 0;
  s = served(first, v1::OPPORTUNITY_STAGE_PROPOSAL, attempts);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH") << s;
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(elsewhere.stage(), v1::OPPORTUNITY_STAGE_NEGOTIATION);
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityStageChanged").size(), 4u);
}

// Signing a contract also wins its deal. The deal moving between the signature's
// read and its commit is a race on a document the contract's etag does not name:
// it runs again on the fresh deal (here: no longer at the contract stage, so
// FAILED_PRECONDITION), never ABORTED ETAG_MISMATCH for a current etag.
TEST_F(CustomersApiTest, TheDealMovingWhileItsContractIsSignedRunsTheSignatureAgain) {
  v1::Customer c = NewCustomer(rep1_, "签约竞态客户");
  auto deal = DealWithDraftContract(c);
  v1::Opportunity& o = deal.first;
  const v1::Contract& k = deal.second;

  v1::SignContractRequest req;
  req.set_name(k.name());
  req.set_etag(k.etag());
  ASSERT_FALSE(req.etag().empty());
  v1::SignContractResponse resp;
  kv_.BeforeNextCommit([&] {
    ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_NEGOTIATION, "客户要求重谈").ok());
  });
  int attempts = 0;
  absl::Status s = RetryingStale(req, [&] {
    ++attempts;
    resp.Clear();
    return api_.SignContract(rep1_, req, &resp);
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "OPPORTUNITY_NOT_AT_CONTRACT") << s;
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.ContractSigned").empty());
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.OpportunityWon").empty());

  // Back at the contract stage, the same etag signs it.
  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_CONTRACT).ok());
  attempts = 0;
  s = RetryingStale(req, [&] {
    ++attempts;
    resp.Clear();
    return api_.SignContract(rep1_, req, &resp);
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(resp.opportunity().stage(), v1::OPPORTUNITY_STAGE_WON);
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityWon").size(), 1u);
}

// WON (from CONTRACT, no contract linked) closes the deal and emits
// OpportunityWon with the facts targets and commission need; a closed deal
// never changes again.
TEST_F(CustomersApiTest, WinningFromTheContractStageEmitsOpportunityWon) {
  v1::Customer c = NewCustomer(rep1_, "赢单客户");
  v1::Opportunity o = NewOpp(rep1_, c, 8'800'000);
  for (auto st : {v1::OPPORTUNITY_STAGE_QUALIFIED, v1::OPPORTUNITY_STAGE_PROPOSAL,
                  v1::OPPORTUNITY_STAGE_NEGOTIATION, v1::OPPORTUNITY_STAGE_CONTRACT}) {
    ASSERT_TRUE(Stage(rep1_, o, st).ok()) << st;
  }
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_WON).ok());
  EXPECT_EQ(o.stage(), v1::OPPORTUNITY_STAGE_WON);
  EXPECT_EQ(FromTs(o.close_time()), clock_.Now());

  const std::vector<CloudEvent> won_events =
      kv_.EventsOfType("salesops.customers.v1.OpportunityWon");
  ASSERT_EQ(won_events.size(), 1u);
  EXPECT_EQ(won_events[0].key, IdFrom(c.name()));  // a customer's deal events share a partition
  v1::OpportunityWon won;
  ASSERT_TRUE(won.ParseFromString(won_events[0].data));
  EXPECT_EQ(won.opportunity(), o.name());
  EXPECT_EQ(won.customer(), c.name());
  EXPECT_EQ(won.from_stage(), v1::OPPORTUNITY_STAGE_CONTRACT);
  EXPECT_EQ(won.owner(), "members/rep-1");
  EXPECT_EQ(won.team(), "orgUnits/t-hz");
  EXPECT_EQ(won.region(), "orgUnits/east");
  EXPECT_EQ(won.product_line(), "orgUnits/pl-erp");
  EXPECT_EQ(won.amount().amount_minor(), 8'800'000);
  EXPECT_EQ(won.amount().currency_code(), "CNY");
  EXPECT_EQ(won.won_date().year(), 2026);
  EXPECT_EQ(won.won_date().month(), 3);
  EXPECT_EQ(won.won_date().day(), 2);
  EXPECT_EQ(FromTs(won.close_time()), clock_.Now());
  EXPECT_EQ(won.actor().member_id(), "rep-1");
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.OpportunityLost").empty());

  absl::Status s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_NEGOTIATION);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "STAGE_TRANSITION_NOT_ALLOWED");
  v1::UpdateOpportunityRequest up;
  up.mutable_opportunity()->set_name(o.name());
  up.mutable_opportunity()->set_next_step("再谈");
  up.mutable_update_mask()->add_paths("next_step");
  v1::UpdateOpportunityResponse updated;
  s = api_.UpdateOpportunity(rep1_, up, &updated);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "OPPORTUNITY_CLOSED");
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityWon").size(), 1u);
}

// LOST needs a reason (INVALID_ARGUMENT naming "reason"); with one it closes
// the deal and emits OpportunityLost with the reason and the competitor.
TEST_F(CustomersApiTest, LosingNeedsAReasonAndEmitsOpportunityLost) {
  v1::Customer c = NewCustomer(rep1_, "丢单客户");
  v1::Opportunity o = NewOpp(rep1_, c, 1'000'000);
  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_PROPOSAL).ok());
  absl::Status s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_LOST);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "reason");
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.OpportunityLost").empty());

  ASSERT_TRUE(Stage(rep1_, o, v1::OPPORTUNITY_STAGE_LOST, "价格高于竞品", "竞争对手甲").ok());
  EXPECT_EQ(o.lost_reason(), "价格高于竞品");
  EXPECT_EQ(o.lost_to_competitor(), "竞争对手甲");
  std::vector<v1::OpportunityLost> lost =
      Payloads<v1::OpportunityLost>("salesops.customers.v1.OpportunityLost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].from_stage(), v1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_EQ(lost[0].reason(), "价格高于竞品");
  EXPECT_EQ(lost[0].lost_to_competitor(), "竞争对手甲");
  EXPECT_EQ(lost[0].team(), "orgUnits/t-hz");
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.OpportunityWon").empty());

  s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_LEAD);
  EXPECT_EQ(ErrorReason(s), "STAGE_TRANSITION_NOT_ALLOWED") << s;
}

// ---------------------------------------------------------------- activities

// An activity moves the customer's last-activity clock (and so its release
// date) forward; a backdated one is logged but never moves the clock back.
TEST_F(CustomersApiTest, BackdatedActivityDoesNotMoveTheActivityClockBack) {
  const absl::Time t0 = clock_.Now();
  v1::Customer c = NewCustomer(rep1_, "活动客户");
  clock_.Advance(absl::Hours(24 * 10));
  ASSERT_TRUE(LogVisit(rep1_, c).ok());
  absl::StatusOr<v1::Customer> read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(FromTs(read->last_activity_time()), t0 + absl::Hours(24 * 10));

  ASSERT_TRUE(LogVisit(rep1_, c, t0 + absl::Hours(24 * 2)).ok());  // entered late
  read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(FromTs(read->last_activity_time()), t0 + absl::Hours(24 * 10));
  EXPECT_EQ(FromTs(read->release_due_time()), t0 + absl::Hours(24 * 100));
  std::vector<v1::ActivityLogged> logged =
      Payloads<v1::ActivityLogged>("salesops.customers.v1.ActivityLogged");
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(FromTs(logged[1].activity().occur_time()), t0 + absl::Hours(24 * 2));
  EXPECT_EQ(logged[1].customer_owner(), "members/rep-1");

  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(LogVisit(rep1_, c).ok());
  read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(FromTs(read->last_activity_time()), t0 + absl::Hours(24 * 11));

  // An activity in the future is refused, naming the field.
  absl::Status s = LogVisit(rep1_, c, clock_.Now() + absl::Hours(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "activity.occur_time");
  v1::LogActivityRequest no_kind;
  no_kind.mutable_activity()->set_customer(c.name());
  v1::LogActivityResponse resp;
  EXPECT_EQ(FieldOf(api_.LogActivity(rep1_, no_kind, &resp)), "activity.kind");
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.ActivityLogged").size(), 3u);
}

// An activity with a follow-up creates the task for the performer; a rep may
// not log an activity in someone else's name.
TEST_F(CustomersApiTest, ActivityWithFollowUpCreatesATask) {
  v1::Customer c = NewCustomer(rep1_, "跟进客户");
  v1::LogActivityRequest req;
  req.mutable_activity()->set_customer(c.name());
  req.mutable_activity()->set_kind(v1::ACTIVITY_KIND_CALL);
  req.mutable_activity()->add_contact_ids("c1");
  req.mutable_follow_up()->set_title("发送报价单");
  *req.mutable_follow_up()->mutable_due_time() = ToTs(clock_.Now() + absl::Hours(24));
  v1::LogActivityResponse resp;
  ASSERT_TRUE(api_.LogActivity(rep1_, req, &resp).ok());
  EXPECT_EQ(resp.activity().performed_by(), "members/rep-1");
  ASSERT_EQ(resp.tasks_size(), 1);
  EXPECT_EQ(resp.tasks(0).assignee(), "members/rep-1");
  EXPECT_EQ(resp.tasks(0).activity(), resp.activity().name());
  EXPECT_EQ(resp.tasks(0).origin(), v1::TASK_ORIGIN_ACTIVITY);

  v1::ListTasksRequest list;
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(api_.ListTasks(rep1_, list, &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 1);
  EXPECT_EQ(tasks.tasks(0).title(), "发送报价单");
  EXPECT_FALSE(tasks.tasks(0).overdue());

  // The task job flags it once when it is past due.
  clock_.Advance(absl::Hours(25));
  absl::StatusOr<JobRun> run = jobs_.RunTaskOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 1);
  run = jobs_.RunTaskOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.FollowUpTaskOverdue").size(), 1u);

  req.mutable_activity()->set_performed_by("members/rep-2");
  req.clear_follow_up();
  absl::Status s = api_.LogActivity(rep1_, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  req.mutable_activity()->clear_performed_by();
  req.mutable_activity()->set_contact_ids(0, "c9");
  s = api_.LogActivity(rep1_, req, &resp);
  EXPECT_EQ(FieldOf(s), "activity.contact_ids[0]") << s;
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.ActivityLogged").size(), 1u);
}

// An overdue task names its assignee's team, for the supervisor's reminder:
// a pool customer has no team, and the assignee may be on another team than
// the customer.
TEST_F(CustomersApiTest, OverdueTaskNamesTheAssigneesTeam) {
  v1::Customer pooled = NewCustomer(rep1_, "公海客户");
  v1::ReleaseCustomerRequest rel;
  rel.set_name(pooled.name());
  rel.set_reason("客户暂无需求");
  v1::ReleaseCustomerResponse released;
  ASSERT_TRUE(api_.ReleaseCustomer(rep1_, rel, &released).ok());
  ASSERT_EQ(released.customer().team(), "");
  v1::Customer owned = NewCustomer(rep1_, "杭州客户");

  for (const v1::Customer* c : {&pooled, &owned}) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_customer(c->name());
    req.mutable_task()->set_assignee("members/rep-4");
    req.mutable_task()->set_title("回访");
    *req.mutable_task()->mutable_due_time() = ToTs(clock_.Now() + absl::Hours(1));
    v1::CreateTaskResponse created;
    absl::Status s = api_.CreateTask(mgr_east_, req, &created);
    ASSERT_TRUE(s.ok()) << s;
  }
  clock_.Advance(absl::Hours(2));
  absl::StatusOr<JobRun> run = jobs_.RunTaskOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 2);
  std::vector<v1::FollowUpTaskOverdue> overdue =
      Payloads<v1::FollowUpTaskOverdue>("salesops.customers.v1.FollowUpTaskOverdue");
  ASSERT_EQ(overdue.size(), 2u);
  for (const v1::FollowUpTaskOverdue& e : overdue) {
    EXPECT_EQ(e.task().assignee(), "members/rep-4");
    EXPECT_EQ(e.team(), "orgUnits/t-sh") << e.task().customer();
  }
}

// ---------------------------------------------------------------- pool jobs

// Default policy (release after 90 idle days, reminder 7 days before): the job
// reminds the owner once in the window, then releases the customer to the
// pool with the idle days; the previous owner is in cool-down, another rep
// may claim it.
TEST_F(CustomersApiTest, PoolJobRemindsThenReleasesANeglectedCustomer) {
  v1::Customer c = NewCustomer(rep1_, "沉睡客户");
  clock_.Advance(absl::Hours(24 * 82));
  absl::StatusOr<JobRun> run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0) << "82 days idle: not yet in the reminder window";

  clock_.Advance(absl::Hours(24 * 2));  // 84 days
  run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 1);
  run = jobs_.RunPoolJob(500);  // a second replica, or the next tick
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);
  std::vector<v1::CustomerReleaseReminder> reminders =
      Payloads<v1::CustomerReleaseReminder>("salesops.customers.v1.CustomerReleaseReminder");
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].customer(), c.name());
  EXPECT_EQ(reminders[0].owner(), "members/rep-1");
  EXPECT_EQ(reminders[0].days_without_activity(), 84);
  EXPECT_EQ(FromTs(reminders[0].release_due_time()), FromTs(c.release_due_time()));
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.CustomerReleasedToPool").empty());

  clock_.Advance(absl::Hours(24 * 7));  // 91 days
  run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 1);
  std::vector<v1::CustomerReleasedToPool> released =
      Payloads<v1::CustomerReleasedToPool>("salesops.customers.v1.CustomerReleasedToPool");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].previous_owner(), "members/rep-1");
  EXPECT_EQ(released[0].previous_team(), "orgUnits/t-hz");
  EXPECT_EQ(released[0].region(), "orgUnits/east");
  EXPECT_EQ(released[0].reason(), v1::RELEASE_REASON_INACTIVITY);
  EXPECT_EQ(released[0].days_without_activity(), 91);
  EXPECT_EQ(released[0].actor().member_id(), "system:pool-job");

  absl::StatusOr<v1::Customer> pooled = Get(admin_, c.name());
  ASSERT_TRUE(pooled.ok());
  EXPECT_EQ(pooled->pool_state(), v1::POOL_STATE_PUBLIC_POOL);
  EXPECT_EQ(pooled->owner(), "");
  EXPECT_EQ(pooled->team(), "");
  EXPECT_EQ(pooled->tags().region(), "orgUnits/east");
  run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->changed, 0);

  v1::ClaimCustomerRequest claim;
  claim.set_name(c.name());
  v1::ClaimCustomerResponse claimed;
  absl::Status s = api_.ClaimCustomer(rep1_, claim, &claimed);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "RECLAIM_COOLDOWN");
  ASSERT_TRUE(api_.ClaimCustomer(rep2_, claim, &claimed).ok());
  EXPECT_EQ(claimed.customer().owner(), "members/rep-2");
}

// Activity resets the idle time: a customer visited on day 60 is not released
// on day 91, only 90 days after that visit.
TEST_F(CustomersApiTest, PoolJobKeepsACustomerWithRecentActivity) {
  v1::Customer c = NewCustomer(rep1_, "活跃客户");
  clock_.Advance(absl::Hours(24 * 60));
  ASSERT_TRUE(LogVisit(rep1_, c).ok());
  clock_.Advance(absl::Hours(24 * 31));  // day 91
  absl::StatusOr<JobRun> run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);
  absl::StatusOr<v1::Customer> read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->pool_state(), v1::POOL_STATE_OWNED);
  EXPECT_TRUE(kv_.EventsOfType("salesops.customers.v1.CustomerReleasedToPool").empty());

  clock_.Advance(absl::Hours(24 * 59));  // 90 days after the visit
  run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 1);
  std::vector<v1::CustomerReleasedToPool> released =
      Payloads<v1::CustomerReleasedToPool>("salesops.customers.v1.CustomerReleasedToPool");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].days_without_activity(), 90);
}

// ---------------------------------------------------------------- contracts

// A deal with a contract is won by signing it (not by a stage change): signing
// wins the deal with the contract's amount, emits ContractSigned and
// OpportunityWon naming the contract; a retried payment is recorded once.
TEST_F(CustomersApiTest, SigningTheContractWinsTheDealAndPaymentsAreRecordedOnce) {
  v1::Customer c = NewCustomer(rep1_, "签约客户");
  auto deal = DealWithDraftContract(c);
  v1::Opportunity& o = deal.first;
  const v1::Contract& k = deal.second;
  EXPECT_EQ(k.state(), v1::CONTRACT_STATE_DRAFT);
  EXPECT_EQ(k.owner(), "members/rep-1");

  absl::Status s = Stage(rep1_, o, v1::OPPORTUNITY_STAGE_WON);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "SIGN_THE_CONTRACT");
  absl::StatusOr<v1::Contract> second = CreateContract(rep1_, c, o.name());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists) << second.status();
  EXPECT_EQ(ErrorReason(second.status()), "OPPORTUNITY_HAS_CONTRACT");

  // Another rep may not sign it.
  EXPECT_EQ(Sign(rep3_, k).status().code(), absl::StatusCode::kPermissionDenied);
  absl::StatusOr<v1::SignContractResponse> signed_resp = Sign(rep1_, k);
  ASSERT_TRUE(signed_resp.ok()) << signed_resp.status();
  EXPECT_EQ(signed_resp->contract().state(), v1::CONTRACT_STATE_SIGNED);
  EXPECT_EQ(signed_resp->opportunity().stage(), v1::OPPORTUNITY_STAGE_WON);
  std::vector<v1::OpportunityWon> won =
      Payloads<v1::OpportunityWon>("salesops.customers.v1.OpportunityWon");
  ASSERT_EQ(won.size(), 1u);
  EXPECT_EQ(won[0].contract(), k.name());
  EXPECT_EQ(won[0].amount().amount_minor(), 30'000'000);
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.ContractSigned").size(), 1u);

  v1::RecordPaymentRequest pay;
  pay.set_contract(k.name());
  *pay.mutable_payment()->mutable_amount() = Cny(10'000'000);
  *pay.mutable_payment()->mutable_received_date() = DateIn(absl::ZeroDuration());
  pay.set_request_id("pay-1");
  v1::RecordPaymentResponse paid;
  ASSERT_TRUE(api_.RecordPayment(rep1_, pay, &paid).ok());
  ASSERT_TRUE(api_.RecordPayment(rep1_, pay, &paid).ok());  // the retry
  EXPECT_EQ(paid.contract().received_total().amount_minor(), 10'000'000);
  EXPECT_EQ(paid.contract().payment_schedule().instalments(0).state(),
            v1::INSTALMENT_STATE_RECEIVED);
  std::vector<v1::PaymentReceived> received =
      Payloads<v1::PaymentReceived>("salesops.customers.v1.PaymentReceived");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].instalment_id(), "1");
  EXPECT_EQ(received[0].region(), "orgUnits/east");
  EXPECT_EQ(received[0].product_line(), "orgUnits/pl-erp");

  pay.set_request_id("pay-2");
  *pay.mutable_payment()->mutable_amount() = Cny(20'000'001);
  s = api_.RecordPayment(rep1_, pay, &paid);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(ErrorReason(s), "PAYMENT_EXCEEDS_OUTSTANDING");
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.PaymentReceived").size(), 1u);
}

// The payment job reports each unpaid instalment once, the day after it falls
// due, and nothing for a paid one.
TEST_F(CustomersApiTest, PaymentOverdueJobReportsEachUnpaidInstalmentOnce) {
  v1::Customer c = NewCustomer(rep1_, "回款客户");
  absl::StatusOr<v1::Contract> k = CreateContract(rep1_, c);
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_TRUE(Sign(rep1_, *k).ok());

  clock_.Advance(absl::Hours(24 * 30));  // instalment 1's due day
  absl::StatusOr<JobRun> run = jobs_.RunPaymentOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);

  clock_.Advance(absl::Hours(24 * 2));
  run = jobs_.RunPaymentOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 1);
  run = jobs_.RunPaymentOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);

  // Instalment 2 is paid before it falls due: never reported.
  v1::RecordPaymentRequest pay;
  pay.set_contract(k->name());
  *pay.mutable_payment()->mutable_amount() = Cny(20'000'000);
  pay.mutable_payment()->set_instalment_id("2");
  *pay.mutable_payment()->mutable_received_date() = DateIn(absl::ZeroDuration());
  v1::RecordPaymentResponse paid;
  ASSERT_TRUE(api_.RecordPayment(rep1_, pay, &paid).ok());
  clock_.Advance(absl::Hours(24 * 70));
  run = jobs_.RunPaymentOverdueJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);

  std::vector<v1::PaymentOverdue> overdue =
      Payloads<v1::PaymentOverdue>("salesops.customers.v1.PaymentOverdue");
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].contract(), k->name());
  EXPECT_EQ(overdue[0].instalment_id(), "1");
  EXPECT_EQ(overdue[0].outstanding().amount_minor(), 10'000'000);
  EXPECT_EQ(overdue[0].owner(), "members/rep-1");
}

// ---------------------------------------------------------------- regressions

// A claim retried after a lost reply (same request_id) answers with the
// customer the first call claimed, not CUSTOMER_NOT_IN_POOL.
TEST_F(CustomersApiTest, RetriedClaimWithTheSameRequestIdReturnsTheClaimedCustomer) {
  v1::CreateCustomerRequest req = CustomerRequest("重试认领客户");
  req.mutable_customer()->mutable_tags()->set_region("orgUnits/east");
  absl::StatusOr<v1::Customer> pool = Create(admin_, req);
  ASSERT_TRUE(pool.ok()) << pool.status();

  v1::ClaimCustomerRequest claim;
  claim.set_name(pool->name());
  claim.set_request_id("claim-1");
  v1::ClaimCustomerResponse first;
  ASSERT_TRUE(api_.ClaimCustomer(rep1_, claim, &first).ok());
  v1::ClaimCustomerResponse retried;
  absl::Status s = api_.ClaimCustomer(rep1_, claim, &retried);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(retried.customer().owner(), "members/rep-1");
  EXPECT_EQ(retried.customer().etag(), first.customer().etag());
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.CustomerClaimed").size(), 1u);
}

// A backdated sign_date must not move the activity clock back: a customer
// visited 35 days ago stays owned after its contract is entered with a sign
// date 94 days back (the pool job would release it otherwise).
TEST_F(CustomersApiTest, BackdatedContractSigningDoesNotMoveTheActivityClockBack) {
  const absl::Time t0 = clock_.Now();
  v1::Customer c = NewCustomer(rep1_, "补录合同客户");
  clock_.Advance(absl::Hours(24 * 60));
  ASSERT_TRUE(LogVisit(rep1_, c).ok());
  clock_.Advance(absl::Hours(24 * 35));  // day 95, last visit on day 60
  absl::StatusOr<v1::Contract> k = CreateContract(rep1_, c);
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_TRUE(Sign(rep1_, *k, DateIn(-absl::Hours(24 * 94))).ok());  // signed on day 1

  absl::StatusOr<v1::Customer> read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(FromTs(read->last_activity_time()), t0 + absl::Hours(24 * 60));
  absl::StatusOr<JobRun> run = jobs_.RunPoolJob(500);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->changed, 0);
  read = Get(rep1_, c.name());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->pool_state(), v1::POOL_STATE_OWNED);
}

// Issue #19: a new deal reads what it decides on in one round trip, then
// commits: the request id, the customer, both policies, the activity clock and
// the product line's kind come from one prefetched pipeline.
TEST_F(CustomersApiTest, CreateOpportunityReadsOnceBeforeItsCommit) {
  const CallContext rep = As(Role::kRep, "rep-1", "t-hz");
  const v1::Customer c = NewCustomer(rep, "杭州精密机械");
  test_support::CountingKv counting(kv_);
  CustomersStore store(counting, kv_);
  OrgDirectory directory(counting, kKeyPrefix);
  CustomersApi api(store, directory, clock_, tz_);
  v1::CreateOpportunityRequest req;
  req.set_request_id("2f1e4c7a-0d3b-4a8e-9c61-5b2f7e9d1a04");
  req.mutable_opportunity()->set_customer(c.name());
  req.mutable_opportunity()->set_display_name("年度采购项目");
  *req.mutable_opportunity()->mutable_amount() = Cny(500'000'00);
  req.mutable_opportunity()->set_product_line("orgUnits/pl-erp");
  req.mutable_opportunity()->set_channel("direct");
  v1::CreateOpportunityResponse resp;
  absl::Status created = api.CreateOpportunity(rep, req, &resp);
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(counting.reads, 1);
  EXPECT_EQ(resp.opportunity().owner(), "members/rep-1");
  EXPECT_EQ(resp.opportunity().team(), "orgUnits/t-hz");

  // Its retry reads the request id, then the deal it made: still no guesswork.
  counting.reads = 0;
  v1::CreateOpportunityResponse again;
  ASSERT_TRUE(api.CreateOpportunity(rep, req, &again).ok());
  EXPECT_EQ(again.opportunity().name(), resp.opportunity().name());
  EXPECT_EQ(kv_.EventsOfType("salesops.customers.v1.OpportunityCreated").size(), 1u);

  // Not a product line: refused, naming the field, from the same single read.
  counting.reads = 0;
  req.set_request_id("");
  req.mutable_opportunity()->set_product_line("orgUnits/t-hz");
  absl::Status s = api.CreateOpportunity(rep, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "opportunity.product_line");
  EXPECT_EQ(counting.reads, 1);
}

TEST_F(CustomersApiTest, LogActivityReadsOnceBeforeItsCommit) {
  const CallContext rep = As(Role::kRep, "rep-1", "t-hz");
  const v1::Customer c = NewCustomer(rep, "杭州精密机械");
  const v1::Opportunity o = NewOpp(rep, c, 500'000'00);
  test_support::CountingKv counting(kv_);
  CustomersStore store(counting, kv_);
  OrgDirectory directory(counting, kKeyPrefix);
  CustomersApi api(store, directory, clock_, tz_);
  clock_.Advance(absl::Hours(3));
  v1::LogActivityRequest req;
  req.set_request_id("6c0d2a9e-41b7-4f3a-8e5d-2b9c7a1f0e33");
  req.mutable_activity()->set_customer(c.name());
  req.mutable_activity()->set_opportunity(o.name());
  req.mutable_activity()->set_kind(v1::ACTIVITY_KIND_VISIT);
  req.mutable_activity()->set_summary("拜访采购部，确认预算");
  v1::LogActivityResponse resp;
  absl::Status s = api.LogActivity(rep, req, &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(counting.reads, 1);
  absl::StatusOr<v1::Customer> read = Get(rep, c.name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->last_activity_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  // A deal of another customer is still refused, naming the field.
  const v1::Customer other = NewCustomer(rep, "苏州电子");
  req.set_request_id("");
  req.mutable_activity()->set_customer(other.name());
  s = api.LogActivity(rep, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), "activity.opportunity");
}

TEST_F(CustomersApiTest, ChangeOpportunityStageReadsTwiceBeforeItsCommit) {
  const CallContext rep = As(Role::kRep, "rep-1", "t-hz");
  const v1::Customer c = NewCustomer(rep, "杭州精密机械");
  v1::Opportunity o = NewOpp(rep, c, 500'000'00);
  test_support::CountingKv counting(kv_);
  CustomersStore store(counting, kv_);
  OrgDirectory directory(counting, kKeyPrefix);
  CustomersApi api(store, directory, clock_, tz_);
  clock_.Advance(absl::Hours(2));
  v1::ChangeOpportunityStageRequest req;
  req.set_name(o.name());
  req.set_etag(o.etag());
  req.set_stage(v1::OPPORTUNITY_STAGE_QUALIFIED);
  v1::ChangeOpportunityStageResponse resp;
  absl::Status s = api.ChangeOpportunityStage(rep, req, &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(counting.reads, 2);
  EXPECT_EQ(resp.opportunity().stage(), v1::OPPORTUNITY_STAGE_QUALIFIED);
  // The activity clock moved with it, read from the prefetch and guarded.
  absl::StatusOr<v1::Customer> read = Get(rep, c.name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->last_activity_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  // A stale etag is still refused: the deal read for the check is the current one.
  s = api.ChangeOpportunityStage(rep, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
}

}  // namespace
}  // namespace salesops::customers
