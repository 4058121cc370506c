// Regression tests for the security review's findings (issue 12), against the
// real org, customers and targets services on the test Redis and Kafka. Each
// test names the finding it covers and fails on the code before the fix:
//   1 replays answer only with what the request_id made, after the access check
//   2 re-allocation stays inside the caller's part of the plan
//   3 fields a caller must not set are derived or ignored
//   4 reads are scoped to the caller
//   5 work per call is bounded
//   6 a token no longer matching its member is refused
//   8 peers of one's own rank, backdated activity
//   9 bookings between a draft version and its publication are counted
#include <atomic>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "common/validation/output_only.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/targets_env.h"

namespace salesops::testing {
namespace {

namespace cv1 = salesops::customers::v1;
namespace ov1 = salesops::org::v1;
namespace tv1 = salesops::targets::v1;
namespace pb = google::protobuf;

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

std::string Digits(int n) {
  static std::atomic<int64_t> counter{absl::ToUnixMicros(absl::Now())};
  std::string s = absl::StrCat(counter.fetch_add(7919));
  while (static_cast<int>(s.size()) < n) {
    s = "9" + s;
  }
  return s.substr(s.size() - n);
}

// Two regions (the second with one team here), reps, supervisors, managers, a director.
struct FixtureOrg {
  std::string sfx, company, r1, r2, t11, t12, t21, pl;
  std::string rep11, rep11b, rep12, rep21, sup11, sup21, mgr1, mgr1b, mgr2;
};

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    org_server_ = new OrgServer();
    org_server_->Start();
    customers_ = new CustomersServer();
    customers_->Start();
    targets_ = new TargetsServer();
    targets_->Start();
    org_ = new FixtureOrg();
    FixtureOrg& o = *org_;
    o.sfx = UniqueSuffix();
    auto id = [&](const std::string& base) { return base + "-" + o.sfx; };
    o.company = id("co");
    o.r1 = id("r1");
    o.r2 = id("r2");
    o.t11 = id("t11");
    o.t12 = id("t12");
    o.t21 = id("t21");
    o.pl = id("pl");
    CreateOrgUnit(*org_server_, o.company, ov1::ORG_UNIT_KIND_COMPANY, "");
    CreateOrgUnit(*org_server_, o.r1, ov1::ORG_UNIT_KIND_REGION, o.company);
    CreateOrgUnit(*org_server_, o.r2, ov1::ORG_UNIT_KIND_REGION, o.company);
    CreateOrgUnit(*org_server_, o.t11, ov1::ORG_UNIT_KIND_TEAM, o.r1);
    CreateOrgUnit(*org_server_, o.t12, ov1::ORG_UNIT_KIND_TEAM, o.r1);
    CreateOrgUnit(*org_server_, o.t21, ov1::ORG_UNIT_KIND_TEAM, o.r2);
    CreateOrgUnit(*org_server_, o.pl, ov1::ORG_UNIT_KIND_PRODUCT_LINE, o.company);
    auto member = [&](const std::string& base, ov1::Role role, const std::string& unit) {
      CreateMember(*org_server_, id(base), role, unit);
      return id(base);
    };
    o.rep11 = member("rep11", ov1::ROLE_REP, o.t11);
    o.rep11b = member("rep11b", ov1::ROLE_REP, o.t11);
    o.rep12 = member("rep12", ov1::ROLE_REP, o.t12);
    o.rep21 = member("rep21", ov1::ROLE_REP, o.t21);
    o.sup11 = member("sup11", ov1::ROLE_SUPERVISOR, o.t11);
    o.sup21 = member("sup21", ov1::ROLE_SUPERVISOR, o.t21);
    o.mgr1 = member("mgr1", ov1::ROLE_MANAGER, o.r1);
    o.mgr1b = member("mgr1b", ov1::ROLE_MANAGER, o.r1);
    o.mgr2 = member("mgr2", ov1::ROLE_MANAGER, o.r2);
    // The customers service learns the org from events: wait until it places
    // the last member and knows the product line.
    bool ready = false;
    for (int i = 0; i < 300 && !ready; ++i) {
      cv1::CreateCustomerRequest req;
      req.mutable_customer()->set_display_name("探针" + o.sfx);
      req.mutable_customer()->set_owner("members/" + o.rep21);
      req.set_customer_id("sec-probe-" + o.sfx);
      cv1::CreateCustomerResponse resp;
      grpc::ClientContext admin_ctx;
      Authorize(admin_ctx, Admin());
      grpc::Status s = customers_->stub().CreateCustomer(&admin_ctx, req, &resp);
      ready = (s.ok() && !resp.customer().tags().region().empty()) ||
              s.error_code() == grpc::StatusCode::ALREADY_EXISTS;
      if (!ready) {
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    ASSERT_TRUE(ready) << "customers never learned the org:\n" << customers_->Logs();
  }
  static void TearDownTestSuite() {
    delete targets_;
    delete customers_;
    delete org_server_;
    delete org_;
  }

  static std::string Admin() { return Token(Role::kAdmin, "admin", ""); }
  const FixtureOrg& org() const { return *org_; }
  std::string Rep11() const { return Token(Role::kRep, org_->rep11, org_->t11); }
  std::string Rep11b() const { return Token(Role::kRep, org_->rep11b, org_->t11); }
  std::string Rep12() const { return Token(Role::kRep, org_->rep12, org_->t12); }
  std::string Rep21() const { return Token(Role::kRep, org_->rep21, org_->t21); }
  std::string Sup11() const { return Token(Role::kSupervisor, org_->sup11, org_->t11); }
  std::string Sup21() const { return Token(Role::kSupervisor, org_->sup21, org_->t21); }
  std::string Mgr1() const { return Token(Role::kManager, org_->mgr1, org_->r1); }
  std::string Mgr2() const { return Token(Role::kManager, org_->mgr2, org_->r2); }
  std::string Director() const { return Token(Role::kDirector, "dir-" + org_->sfx, org_->company); }

  template <typename Stub, typename Req, typename Resp>
  static grpc::Status Call(Stub& stub, const std::string& token,
                           grpc::Status (Stub::*fn)(grpc::ClientContext*, const Req&, Resp*),
                           const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (stub.*fn)(&ctx, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status Cust(const std::string& token,
                    grpc::Status (cv1::CustomersService::Stub::*fn)(grpc::ClientContext*,
                                                                    const Req&, Resp*),
                    const Req& req, Resp* resp) {
    return Call(customers_->stub(), token, fn, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status Tgt(const std::string& token,
                   grpc::Status (tv1::TargetsService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                                 Resp*),
                   const Req& req, Resp* resp) {
    return Call(targets_->stub(), token, fn, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status OrgCall(const std::string& token,
                       grpc::Status (ov1::OrgService::Stub::*fn)(grpc::ClientContext*, const Req&,
                                                                 Resp*),
                       const Req& req, Resp* resp) {
    return Call(org_server_->stub(), token, fn, req, resp);
  }

  cv1::Customer NewCustomer(const std::string& token, const std::string& owner,
                            const std::string& tax = "") {
    cv1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name("安全测试客户" + UniqueSuffix());
    req.mutable_customer()->set_customer_type("enterprise");
    req.mutable_customer()->set_tax_id(tax);
    if (!owner.empty()) {
      req.mutable_customer()->set_owner("members/" + owner);
    }
    cv1::Contact* ct = req.mutable_customer()->add_contacts();
    ct->set_display_name("王经理");
    ct->set_phone("138" + Digits(8));
    ct->set_email("wang@example.com");
    cv1::CreateCustomerResponse resp;
    grpc::Status s = Cust(token, &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  cv1::Opportunity NewDeal(const std::string& token, const cv1::Customer& c, int64_t amount) {
    cv1::CreateOpportunityRequest req;
    req.mutable_opportunity()->set_customer(c.name());
    req.mutable_opportunity()->set_display_name("安全测试项目");
    *req.mutable_opportunity()->mutable_amount() = Cny(amount);
    req.mutable_opportunity()->set_product_line("orgUnits/" + org().pl);
    req.mutable_opportunity()->set_channel("direct");
    cv1::CreateOpportunityResponse resp;
    grpc::Status s = Cust(token, &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.opportunity();
  }

  // A signed contract of `c` (made and signed by `token`), one instalment of `amount`.
  cv1::Contract SignedContract(const std::string& token, const cv1::Customer& c, int64_t amount) {
    cv1::CreateContractRequest cc;
    cc.mutable_contract()->set_customer(c.name());
    cc.mutable_contract()->set_title("安全测试合同");
    *cc.mutable_contract()->mutable_amount() = Cny(amount);
    auto* in = cc.mutable_contract()->mutable_payment_schedule()->add_instalments();
    in->set_instalment_id("1");
    *in->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 30));
    *in->mutable_amount() = Cny(amount);
    cv1::CreateContractResponse created;
    EXPECT_TRUE(Cust(token, &cv1::CustomersService::Stub::CreateContract, cc, &created).ok());
    cv1::SignContractRequest sign;
    sign.set_name(created.contract().name());
    cv1::SignContractResponse signed_resp;
    EXPECT_TRUE(Cust(token, &cv1::CustomersService::Stub::SignContract, sign, &signed_resp).ok());
    return signed_resp.contract();
  }

  static inline OrgServer* org_server_ = nullptr;
  static inline CustomersServer* customers_ = nullptr;
  static inline TargetsServer* targets_ = nullptr;
  static inline FixtureOrg* org_ = nullptr;
};

// ---- Finding 1: replays ---------------------------------------------------------------

// A rep reusing one of their own request_ids on another team's contract gets
// REQUEST_ID_REUSED and nothing of that contract; a true retry gets its own
// contract back with the payment recorded once.
TEST_F(SecurityTest, F1PaymentReplayNeverReturnsAnotherContract) {
  const cv1::Contract mine = SignedContract(Rep11(), NewCustomer(Rep11(), org().rep11), 50000);
  const cv1::Contract theirs = SignedContract(Rep12(), NewCustomer(Rep12(), org().rep12), 70000);
  const std::string rid = "sec-pay-" + UniqueSuffix();
  cv1::RecordPaymentRequest pay;
  pay.set_contract(mine.name());
  pay.set_request_id(rid);
  *pay.mutable_payment()->mutable_amount() = Cny(1000);
  *pay.mutable_payment()->mutable_received_date() = DateOf(absl::Now());
  cv1::RecordPaymentResponse paid;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::RecordPayment, pay, &paid).ok());

  cv1::RecordPaymentRequest probe = pay;
  probe.set_contract(theirs.name());
  cv1::RecordPaymentResponse leaked;
  grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::RecordPayment, probe, &leaked);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorReasonOf(s), "REQUEST_ID_REUSED");
  EXPECT_FALSE(leaked.has_contract());
  EXPECT_EQ(s.error_message().find(theirs.name()), std::string::npos);

  cv1::RecordRefundRequest refund;
  refund.set_contract(theirs.name());
  refund.set_request_id(rid);
  refund.set_reason("探测");
  *refund.mutable_refund()->mutable_amount() = Cny(1);
  cv1::RecordRefundResponse refunded;
  s = Cust(Rep11(), &cv1::CustomersService::Stub::RecordRefund, refund, &refunded);
  EXPECT_EQ(ErrorReasonOf(s), "REQUEST_ID_REUSED") << s.error_message();
  EXPECT_FALSE(refunded.has_contract());

  cv1::RecordPaymentResponse again;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::RecordPayment, pay, &again).ok());
  EXPECT_EQ(again.contract().name(), mine.name());
  EXPECT_EQ(again.contract().received_total().amount_minor(), 1000);
}

// A create's retry gets the resource only while the caller may still read it:
// after the customer is handed to another region, replaying the deal's
// request_id answers PERMISSION_DENIED, not the deal.
TEST_F(SecurityTest, F1CreateReplayChecksAccessAgain) {
  cv1::Customer c = NewCustomer(Rep11(), org().rep11);
  const std::string rid = "sec-opp-" + UniqueSuffix();
  cv1::CreateOpportunityRequest req;
  req.set_request_id(rid);
  req.mutable_opportunity()->set_customer(c.name());
  req.mutable_opportunity()->set_display_name("重放项目");
  *req.mutable_opportunity()->mutable_amount() = Cny(9000);
  req.mutable_opportunity()->set_product_line("orgUnits/" + org().pl);
  req.mutable_opportunity()->set_channel("direct");
  cv1::CreateOpportunityResponse first;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::CreateOpportunity, req, &first).ok());
  cv1::HandOverCustomerRequest hand;
  hand.set_name(c.name());
  hand.set_new_owner("members/" + org().rep21);
  hand.set_reason("转交西区");
  hand.set_include_open_opportunities(true);
  cv1::HandOverCustomerResponse handed;
  ASSERT_TRUE(Cust(Admin(), &cv1::CustomersService::Stub::HandOverCustomer, hand, &handed).ok());
  cv1::CreateOpportunityResponse replay;
  grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::CreateOpportunity, req, &replay);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_FALSE(replay.has_opportunity());
}

// ---- Finding 3: fields a caller must not set -----------------------------------------

// A manager cannot place a customer of another region's rep in their own
// region; a pool customer's region must be a known region in the caller's
// reach; client protection is ignored.
TEST_F(SecurityTest, F3CustomerRegionIsDerivedNotTrusted) {
  cv1::CreateCustomerRequest req;
  req.mutable_customer()->set_display_name("区域伪造" + UniqueSuffix());
  req.mutable_customer()->set_owner("members/" + org().rep21);
  req.mutable_customer()->mutable_tags()->set_region("orgUnits/" + org().r1);
  cv1::CreateCustomerResponse resp;
  grpc::Status s = Cust(Mgr1(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
  EXPECT_FALSE(s.ok()) << "a manager of r1 created a customer of r2's rep";
  EXPECT_FALSE(resp.has_customer());

  cv1::CreateCustomerRequest pool;
  pool.mutable_customer()->set_display_name("公海客户" + UniqueSuffix());
  pool.mutable_customer()->mutable_tags()->set_region("orgUnits/no-such-region-" + org().sfx);
  s = Cust(Mgr1(), &cv1::CustomersService::Stub::CreateCustomer, pool, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "customer.tags.region");

  pool.mutable_customer()->mutable_tags()->set_region("orgUnits/" + org().r2);
  s = Cust(Mgr1(), &cv1::CustomersService::Stub::CreateCustomer, pool, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();

  pool.mutable_customer()->mutable_tags()->set_region("orgUnits/" + org().r1);
  pool.mutable_customer()->mutable_protection_until()->set_seconds(4102444800);  // 2100
  ASSERT_TRUE(Cust(Mgr1(), &cv1::CustomersService::Stub::CreateCustomer, pool, &resp).ok());
  EXPECT_EQ(resp.customer().pool_state(), cv1::POOL_STATE_PUBLIC_POOL);
  EXPECT_FALSE(resp.customer().has_protection_until());
}

// Every output-only field of a created resource, filled with junk by the
// caller, is ignored (or the request refused): generated from the protos'
// OUTPUT_ONLY annotations, so a new such field is covered automatically.
namespace junk {
constexpr char kText[] = "junk-zz";
constexpr int64_t kNumber = 424242;
constexpr int64_t kSeconds = 4102444800;  // 2100-01-01

void Fill(pb::Message* m, int depth) {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* r = m->GetReflection();
  if (d->full_name() == "google.protobuf.Timestamp") {
    r->SetInt64(m, d->FindFieldByName("seconds"), kSeconds);
    return;
  }
  for (int i = 0; i < d->field_count() && depth > 0; ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->is_map()) {
      continue;
    }
    if (f->is_repeated()) {
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        Fill(r->AddMessage(m, f), depth - 1);
      }
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
        r->AddString(m, f, kText);
      }
      continue;
    }
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        r->SetString(m, f, kText);
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        r->SetInt64(m, f, kNumber);
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        r->SetInt32(m, f, static_cast<int32_t>(kNumber));
        break;
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        Fill(r->MutableMessage(m, f), depth - 1);
        break;
      default:
        break;
    }
  }
}

// Sets the field at a dotted path (adding one element to repeated messages on the way).
void SetPath(pb::Message* m, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    const pb::Reflection* r = m->GetReflection();
    const bool last = i + 1 == parts.size();
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      pb::Message* sub =
          f->is_repeated()
              ? (r->FieldSize(*m, f) > 0 ? r->MutableRepeatedMessage(m, f, 0) : r->AddMessage(m, f))
              : r->MutableMessage(m, f);
      if (last) {
        Fill(sub, 2);
        return;
      }
      m = sub;
      continue;
    }
    if (f->is_repeated()) {
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
        r->AddString(m, f, kText);
      }
      return;
    }
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        r->SetString(m, f, kText);
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        r->SetInt64(m, f, kNumber);
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        r->SetInt32(m, f, static_cast<int32_t>(kNumber));
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        r->SetBool(m, f, true);
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        r->SetEnumValue(m, f, f->enum_type()->value(f->enum_type()->value_count() - 1)->number());
        break;
      default:
        break;
    }
    return;
  }
}

// Whether any junk string, number or instant survived anywhere in `m`.
bool Contains(const pb::Message& m) {
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> set;
  r->ListFields(m, &set);
  for (const pb::FieldDescriptor* f : set) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          const std::string v =
              f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
          if (absl::StrContains(v, kText)) {
            return true;
          }
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_INT64: {
          const int64_t v = f->is_repeated() ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f);
          if (v == kNumber || v == kSeconds) {
            return true;
          }
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          if (!f->is_map() &&
              Contains(f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f))) {
            return true;
          }
          break;
        default:
          break;
      }
    }
  }
  (void)d;
  return false;
}
}  // namespace junk

TEST_F(SecurityTest, F3OutputOnlyFieldsAreIgnoredOnEveryCreate) {
  const cv1::Customer c = NewCustomer(Rep11(), org().rep11);
  const cv1::Opportunity o = NewDeal(Rep11(), c, 3000);
  int checked = 0;
  // Each create, with a valid resource; every OUTPUT_ONLY path of it in turn.
  auto check = [&](const std::string& what, const pb::Message& valid,
                   const std::function<grpc::Status(const pb::Message&, pb::Message*)>& create,
                   const pb::Descriptor& resp_resource) {
    for (const std::string& path : OutputOnlyFieldPaths(*valid.GetDescriptor())) {
      std::unique_ptr<pb::Message> forged(valid.New());
      forged->CopyFrom(valid);
      junk::SetPath(forged.get(), path);
      std::unique_ptr<pb::Message> out(
          pb::MessageFactory::generated_factory()->GetPrototype(&resp_resource)->New());
      grpc::Status s = create(*forged, out.get());
      ++checked;
      if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        continue;  // refused: fine
      }
      ASSERT_TRUE(s.ok()) << what << " with junk in " << path << ": " << s.error_message();
      EXPECT_FALSE(junk::Contains(*out)) << what << ": junk in " << path << " was kept:\n"
                                         << out->DebugString();
    }
  };
  cv1::Customer cust;
  cust.set_display_name("输出字段" + UniqueSuffix());
  check(
      "CreateCustomer", cust,
      [&](const pb::Message& m, pb::Message* out) {
        cv1::CreateCustomerRequest req;
        req.mutable_customer()->CopyFrom(m);
        req.mutable_customer()->set_display_name("输出字段" + UniqueSuffix());
        cv1::CreateCustomerResponse resp;
        grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::CreateCustomer, req, &resp);
        out->CopyFrom(resp.customer());
        return s;
      },
      *cv1::Customer::descriptor());
  cv1::Opportunity opp;
  opp.set_customer(c.name());
  opp.set_display_name("输出字段项目");
  *opp.mutable_amount() = Cny(1000);
  opp.set_product_line("orgUnits/" + org().pl);
  opp.set_channel("direct");
  check(
      "CreateOpportunity", opp,
      [&](const pb::Message& m, pb::Message* out) {
        cv1::CreateOpportunityRequest req;
        req.mutable_opportunity()->CopyFrom(m);
        req.mutable_opportunity()->set_customer(c.name());
        cv1::CreateOpportunityResponse resp;
        grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::CreateOpportunity, req, &resp);
        out->CopyFrom(resp.opportunity());
        return s;
      },
      *cv1::Opportunity::descriptor());
  cv1::Contract k;
  k.set_customer(c.name());
  k.set_title("输出字段合同");
  *k.mutable_amount() = Cny(2000);
  auto* in = k.mutable_payment_schedule()->add_instalments();
  in->set_instalment_id("1");
  *in->mutable_due_date() = DateOf(absl::Now() + absl::Hours(24 * 30));
  *in->mutable_amount() = Cny(2000);
  check(
      "CreateContract", k,
      [&](const pb::Message& m, pb::Message* out) {
        cv1::CreateContractRequest req;
        req.mutable_contract()->CopyFrom(m);
        req.mutable_contract()->set_customer(c.name());
        cv1::CreateContractResponse resp;
        grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::CreateContract, req, &resp);
        out->CopyFrom(resp.contract());
        return s;
      },
      *cv1::Contract::descriptor());
  cv1::Activity act;
  act.set_customer(c.name());
  act.set_kind(cv1::ACTIVITY_KIND_VISIT);
  act.set_summary("拜访");
  check(
      "LogActivity", act,
      [&](const pb::Message& m, pb::Message* out) {
        cv1::LogActivityRequest req;
        req.mutable_activity()->CopyFrom(m);
        req.mutable_activity()->set_customer(c.name());
        req.mutable_activity()->set_performed_by("");
        cv1::LogActivityResponse resp;
        grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::LogActivity, req, &resp);
        out->CopyFrom(resp.activity());
        return s;
      },
      *cv1::Activity::descriptor());
  cv1::FollowUpTask task;
  task.set_customer(c.name());
  task.set_title("回访");
  *task.mutable_due_time() = pb::Timestamp();
  task.mutable_due_time()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(48)));
  check(
      "CreateTask", task,
      [&](const pb::Message& m, pb::Message* out) {
        cv1::CreateTaskRequest req;
        req.mutable_task()->CopyFrom(m);
        req.mutable_task()->set_customer(c.name());
        cv1::CreateTaskResponse resp;
        grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::CreateTask, req, &resp);
        out->CopyFrom(resp.task());
        return s;
      },
      *cv1::FollowUpTask::descriptor());
  (void)o;
  EXPECT_GE(checked, 30);  // every annotated path of the five resources was tried
}

// ---- Finding 4: reads scoped to the caller -------------------------------------------

// A conflict check outside the caller's view says only "this exists".
TEST_F(SecurityTest, F4ConflictCheckRevealsNothingOutsideScope) {
  const std::string tax = "91330100" + Digits(10);
  const cv1::Customer c = NewCustomer(Rep11(), org().rep11, tax);
  cv1::CheckCustomerConflictsRequest check;
  check.set_tax_id(tax);
  cv1::CheckCustomerConflictsResponse out;
  ASSERT_TRUE(
      Cust(Rep21(), &cv1::CustomersService::Stub::CheckCustomerConflicts, check, &out).ok());
  ASSERT_EQ(out.conflicts_size(), 1);
  EXPECT_EQ(out.conflicts(0).customer(), "");
  EXPECT_EQ(out.conflicts(0).display_name(), "");
  EXPECT_EQ(out.conflicts(0).owner(), "");
  EXPECT_THAT(out.conflicts(0).matched_fields(), ::testing::ElementsAre("tax_id"));
  ASSERT_TRUE(Cust(Mgr1(), &cv1::CustomersService::Stub::CheckCustomerConflicts, check, &out).ok());
  ASSERT_EQ(out.conflicts_size(), 1);
  EXPECT_EQ(out.conflicts(0).customer(), c.name());
}

// A pool customer's contacts are minimised for the sales line until claimed.
TEST_F(SecurityTest, F4PoolCustomersCarryNoPersonalData) {
  cv1::CreateCustomerRequest req;
  req.mutable_customer()->set_display_name("公海联系人" + UniqueSuffix());
  req.mutable_customer()->mutable_tags()->set_region("orgUnits/" + org().r1);
  req.mutable_customer()->set_phone("0571" + Digits(8));
  auto* ct = req.mutable_customer()->add_contacts();
  ct->set_display_name("李总");
  ct->set_phone("139" + Digits(8));
  ct->set_email("li@example.com");
  cv1::CreateCustomerResponse created;
  ASSERT_TRUE(Cust(Mgr1(), &cv1::CustomersService::Stub::CreateCustomer, req, &created).ok());
  cv1::GetCustomerRequest get;
  get.set_name(created.customer().name());
  cv1::GetCustomerResponse seen;
  ASSERT_TRUE(Cust(Rep21(), &cv1::CustomersService::Stub::GetCustomer, get, &seen).ok());
  EXPECT_EQ(seen.customer().phone(), "");
  ASSERT_EQ(seen.customer().contacts_size(), 1);
  EXPECT_EQ(seen.customer().contacts(0).phone(), "");
  EXPECT_EQ(seen.customer().contacts(0).email(), "");
  EXPECT_EQ(seen.customer().contacts(0).display_name(), "李总");
  ASSERT_TRUE(Cust(Mgr1(), &cv1::CustomersService::Stub::GetCustomer, get, &seen).ok());
  EXPECT_NE(seen.customer().contacts(0).phone(), "");  // the region's manager owns the pool
}

// Listing someone else's activities and tasks shows only items on customers
// the caller may read: a rep's work on another region's shared customer stays
// out of their manager's list.
TEST_F(SecurityTest, F4MemberListsShowOnlyReadableCustomers) {
  const cv1::Customer west = NewCustomer(Rep21(), org().rep21);
  cv1::GrantSharingRequest grant;
  grant.mutable_sharing_grant()->set_customer(west.name());
  grant.mutable_sharing_grant()->set_grantee("orgUnits/" + org().t11);
  grant.mutable_sharing_grant()->set_access(cv1::SHARING_ACCESS_COLLABORATE);
  grant.mutable_sharing_grant()->set_purpose("联合跟进");
  cv1::GrantSharingResponse granted;
  ASSERT_TRUE(Cust(Admin(), &cv1::CustomersService::Stub::GrantSharing, grant, &granted).ok());
  cv1::LogActivityRequest log;
  log.mutable_activity()->set_customer(west.name());
  log.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_CALL);
  log.mutable_activity()->set_summary("协同电话");
  log.mutable_follow_up()->set_title("跟进报价");
  log.mutable_follow_up()->mutable_due_time()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  cv1::LogActivityResponse logged;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::LogActivity, log, &logged).ok());

  cv1::ListActivitiesRequest acts;
  acts.set_performed_by("members/" + org().rep11);
  acts.set_page_size(200);
  cv1::ListActivitiesResponse mine, managers;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::ListActivities, acts, &mine).ok());
  auto has = [&](const auto& items, const std::string& name) {
    for (const auto& i : items) {
      if (i.name() == name) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(mine.activities(), logged.activity().name()));
  ASSERT_TRUE(Cust(Mgr1(), &cv1::CustomersService::Stub::ListActivities, acts, &managers).ok());
  EXPECT_FALSE(has(managers.activities(), logged.activity().name()));

  cv1::ListTasksRequest tasks;
  tasks.set_assignee("members/" + org().rep11);
  tasks.set_page_size(200);
  cv1::ListTasksResponse own_tasks, mgr_tasks;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::ListTasks, tasks, &own_tasks).ok());
  ASSERT_EQ(logged.tasks_size(), 1);
  EXPECT_TRUE(has(own_tasks.tasks(), logged.tasks(0).name()));
  ASSERT_TRUE(Cust(Mgr1(), &cv1::CustomersService::Stub::ListTasks, tasks, &mgr_tasks).ok());
  EXPECT_FALSE(has(mgr_tasks.tasks(), logged.tasks(0).name()));
  EXPECT_EQ(Cust(Mgr2(), &cv1::CustomersService::Stub::ListTasks, tasks, &mgr_tasks).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Tasks go only to members in the caller's reach (or the customer's owner).
TEST_F(SecurityTest, F4TaskAssigneesMustBeInReach) {
  const cv1::Customer c = NewCustomer(Rep11(), org().rep11);
  auto create = [&](const std::string& token, const std::string& assignee) {
    cv1::CreateTaskRequest req;
    req.mutable_task()->set_customer(c.name());
    req.mutable_task()->set_title("指派测试");
    req.mutable_task()->set_assignee(assignee);
    req.mutable_task()->mutable_due_time()->set_seconds(
        absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
    cv1::CreateTaskResponse resp;
    return Cust(token, &cv1::CustomersService::Stub::CreateTask, req, &resp);
  };
  EXPECT_EQ(create(Rep11(), "members/" + org().rep21).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(create(Sup11(), "members/" + org().rep21).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status unknown = create(Rep11(), "members/ghost-" + org().sfx);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(unknown), "task.assignee");
  EXPECT_TRUE(create(Sup11(), "members/" + org().rep11b).ok());
  EXPECT_TRUE(create(Rep11(), "members/" + org().rep11).ok());
}

// Reps do not read plans (company totals); a supervisor sees another scope's
// plan without its total; directors see it whole.
TEST_F(SecurityTest, F4PlansAreForPlanners) {
  tv1::CreateFiscalPeriodRequest period;
  period.set_fiscal_period_id("sec-q-" + org().sfx);
  period.mutable_fiscal_period()->set_display_name("安全季度");
  period.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
  period.mutable_fiscal_period()->set_fiscal_year(2026);
  period.mutable_fiscal_period()->set_number(4);
  tv1::CreateFiscalPeriodResponse pr;
  ASSERT_TRUE(Tgt(Admin(), &tv1::TargetsService::Stub::CreateFiscalPeriod, period, &pr).ok());
  tv1::CreatePlanRequest cp;
  cp.set_plan_id("sec-plan-" + org().sfx);
  cp.mutable_plan()->set_display_name("公司目标");
  cp.mutable_plan()->set_period(pr.fiscal_period().name());
  cp.mutable_plan()->set_scope("orgUnits/" + org().company);
  *cp.mutable_plan()->mutable_total() = Cny(9'000'000'00);
  cp.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
  tv1::CreatePlanResponse plan;
  grpc::Status s;
  for (int i = 0; i < 100; ++i) {  // the directory learns the company from org events
    s = Tgt(Director(), &tv1::TargetsService::Stub::CreatePlan, cp, &plan);
    if (s.ok() || ErrorReasonOf(s) != "ORG_UNIT_NOT_FOUND") {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  tv1::GetPlanRequest get;
  get.set_name(plan.plan().name());
  tv1::GetPlanResponse got;
  EXPECT_EQ(Tgt(Rep11(), &tv1::TargetsService::Stub::GetPlan, get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Tgt(Sup21(), &tv1::TargetsService::Stub::GetPlan, get, &got).ok());
  EXPECT_FALSE(got.plan().has_total());
  ASSERT_TRUE(Tgt(Director(), &tv1::TargetsService::Stub::GetPlan, get, &got).ok());
  EXPECT_EQ(got.plan().total().amount_minor(), 9'000'000'00);
}

// ---- Finding 5: bounded work ----------------------------------------------------------

// A near-INT64_MAX amount is refused at the door instead of overflowing the
// projections' sums later.
TEST_F(SecurityTest, F5StageChangeAmountIsCapped) {
  cv1::Opportunity o = NewDeal(Rep11(), NewCustomer(Rep11(), org().rep11), 1000);
  cv1::ChangeOpportunityStageRequest req;
  req.set_name(o.name());
  req.set_stage(cv1::OPPORTUNITY_STAGE_QUALIFIED);
  *req.mutable_amount() = Cny(9'000'000'000'000'000'000);
  cv1::ChangeOpportunityStageResponse resp;
  grpc::Status s = Cust(Rep11(), &cv1::CustomersService::Stub::ChangeOpportunityStage, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "amount.amount_minor");
}

// A filter matching nothing ends a customer list page early with a token to
// continue instead of reading every candidate in one call.
TEST_F(SecurityTest, F5CustomerListStopsAtItsScanBudget) {
  std::string csv = "display_name\r\n";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&csv, "扫描客户", org().sfx, "-", i, "\r\n");
  }
  for (int part = 0; part < 2; ++part) {
    cv1::ImportCustomersCsvRequest imp;
    imp.set_csv(part == 0 ? csv
                          : "display_name\r\n扫描补充" + org().sfx + "-a\r\n扫描补充" + org().sfx +
                                "-b\r\n");
    imp.set_request_id("sec-scan-" + org().sfx + "-" + std::to_string(part));
    cv1::ImportCustomersCsvResponse report;
    grpc::Status s = Cust(Admin(), &cv1::CustomersService::Stub::ImportCustomersCsv, imp, &report);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  cv1::ListCustomersRequest list;
  list.set_pool_state(cv1::POOL_STATE_PUBLIC_POOL);
  list.set_industry("no-such-industry");
  list.set_page_size(1000);
  cv1::ListCustomersResponse page;
  ASSERT_TRUE(Cust(Admin(), &cv1::CustomersService::Stub::ListCustomers, list, &page).ok());
  EXPECT_EQ(page.customers_size(), 0);
  EXPECT_FALSE(page.next_page_token().empty()) << "one call read past its scan budget";
  // Following the tokens gets to the end.
  int pages = 1;
  while (!page.next_page_token().empty() && pages < 20) {
    list.set_page_token(page.next_page_token());
    ASSERT_TRUE(Cust(Admin(), &cv1::CustomersService::Stub::ListCustomers, list, &page).ok());
    ++pages;
  }
  EXPECT_TRUE(page.next_page_token().empty());
}

// ---- Finding 6: tokens ---------------------------------------------------------------

// A member who left, or whose role changed, is refused although their token's
// signature is still valid.
TEST_F(SecurityTest, F6TokensOfLeftOrDemotedMembersAreRefused) {
  const std::string leaver = "sec-leaver-" + org().sfx;
  const std::string demoted = "sec-demoted-" + org().sfx;
  CreateMember(*org_server_, leaver, ov1::ROLE_REP, org().t11);
  CreateMember(*org_server_, demoted, ov1::ROLE_SUPERVISOR, org().t12);
  const std::string leaver_token = Token(Role::kRep, leaver, org().t11);
  const std::string sup_token = Token(Role::kSupervisor, demoted, org().t12);
  ov1::DeleteMemberRequest del;
  del.set_name("members/" + leaver);
  del.set_reason("离职");
  ov1::DeleteMemberResponse deleted;
  ASSERT_TRUE(OrgCall(Admin(), &ov1::OrgService::Stub::DeleteMember, del, &deleted).ok());
  ov1::UpdateMemberRequest up;
  up.mutable_member()->set_name("members/" + demoted);
  up.mutable_member()->set_role(ov1::ROLE_REP);
  up.mutable_update_mask()->add_paths("role");
  ov1::UpdateMemberResponse updated;
  ASSERT_TRUE(OrgCall(Admin(), &ov1::OrgService::Stub::UpdateMember, up, &updated).ok());
  // The org service refuses at once; the customers service once its directory has the events.
  ov1::GetMemberRequest gm;
  gm.set_name("members/" + org().rep11);
  ov1::GetMemberResponse member;
  grpc::Status s = OrgCall(leaver_token, &ov1::OrgService::Stub::GetMember, gm, &member);
  EXPECT_EQ(ErrorReasonOf(s), "MEMBER_LEFT") << s.error_message();
  s = OrgCall(sup_token, &ov1::OrgService::Stub::GetMember, gm, &member);
  EXPECT_EQ(ErrorReasonOf(s), "TOKEN_STALE") << s.error_message();
  cv1::ListCustomersRequest list;
  cv1::ListCustomersResponse listed;
  std::string left_reason, stale_reason;
  for (int i = 0; i < 200 && (left_reason.empty() || stale_reason.empty()); ++i) {
    if (left_reason.empty()) {
      left_reason = ErrorReasonOf(
          Cust(leaver_token, &cv1::CustomersService::Stub::ListCustomers, list, &listed));
    }
    if (stale_reason.empty()) {
      stale_reason = ErrorReasonOf(
          Cust(sup_token, &cv1::CustomersService::Stub::ListCustomers, list, &listed));
    }
    if (left_reason.empty() || stale_reason.empty()) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EXPECT_EQ(left_reason, "MEMBER_LEFT");
  EXPECT_EQ(stale_reason, "TOKEN_STALE");
}

// ---- Finding 8: smaller ones -----------------------------------------------------------

// A manager cannot create, promote or remove another manager (a peer).
TEST_F(SecurityTest, F8ManagersCannotManagePeers) {
  ov1::CreateMemberRequest create;
  create.set_member_id("sec-peer-" + org().sfx);
  create.mutable_member()->set_display_name("新经理");
  create.mutable_member()->set_email("peer@example.com");
  create.mutable_member()->set_role(ov1::ROLE_MANAGER);
  create.mutable_member()->set_department(ov1::DEPARTMENT_SALES);
  create.mutable_member()->set_org_unit("orgUnits/" + org().r1);
  ov1::CreateMemberResponse created;
  grpc::Status s = OrgCall(Mgr1(), &ov1::OrgService::Stub::CreateMember, create, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReasonOf(s), "ROLE_NOT_BELOW_OWN");
  ov1::UpdateMemberRequest up;
  up.mutable_member()->set_name("members/" + org().mgr1b);
  up.mutable_member()->set_display_name("改名");
  up.mutable_update_mask()->add_paths("display_name");
  ov1::UpdateMemberResponse updated;
  EXPECT_EQ(OrgCall(Mgr1(), &ov1::OrgService::Stub::UpdateMember, up, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ov1::DeleteMemberRequest del;
  del.set_name("members/" + org().mgr1b);
  ov1::DeleteMemberResponse deleted;
  EXPECT_EQ(OrgCall(Mgr1(), &ov1::OrgService::Stub::DeleteMember, del, &deleted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A visit logged today, then one backdated by 60 days: the customer's last
// activity stays today (it would otherwise look neglected and go to the pool).
TEST_F(SecurityTest, F8BackdatedActivityDoesNotMoveTheClockBack) {
  const cv1::Customer c = NewCustomer(Rep11(), org().rep11);
  auto log = [&](absl::Time when) {
    cv1::LogActivityRequest req;
    req.mutable_activity()->set_customer(c.name());
    req.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_VISIT);
    req.mutable_activity()->set_summary("拜访");
    req.mutable_activity()->mutable_occur_time()->set_seconds(absl::ToUnixSeconds(when));
    cv1::LogActivityResponse resp;
    return Cust(Rep11(), &cv1::CustomersService::Stub::LogActivity, req, &resp);
  };
  const absl::Time now = absl::Now();
  ASSERT_TRUE(log(now).ok());
  ASSERT_TRUE(log(now - absl::Hours(24 * 60)).ok());
  cv1::GetCustomerRequest get;
  get.set_name(c.name());
  cv1::GetCustomerResponse got;
  ASSERT_TRUE(Cust(Rep11(), &cv1::CustomersService::Stub::GetCustomer, get, &got).ok());
  EXPECT_GE(got.customer().last_activity_time().seconds(), absl::ToUnixSeconds(now) - 1);
}

// ---- Findings 2 and 9: targets -----------------------------------------------------------

class SecurityTargetsTest : public SecurityTest {
 protected:
  // A published plan: company → teams t11, t12, t21 → their reps (equal split).
  tv1::TargetPlan PublishedPlan(const std::string& id) {
    tv1::CreateFiscalPeriodRequest period;
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
    period.set_fiscal_period_id("sec-now-" + org().sfx);
    period.mutable_fiscal_period()->set_display_name("本季度");
    period.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
    period.mutable_fiscal_period()->set_fiscal_year(static_cast<int>(today.year()));
    period.mutable_fiscal_period()->set_number((today.month() - 1) / 3 + 1);
    tv1::CreateFiscalPeriodResponse pr;
    grpc::Status s = Tgt(Admin(), &tv1::TargetsService::Stub::CreateFiscalPeriod, period, &pr);
    EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    tv1::CreatePlanRequest cp;
    cp.set_plan_id(id);
    cp.mutable_plan()->set_display_name("安全测试计划");
    cp.mutable_plan()->set_period("fiscalPeriods/sec-now-" + org().sfx);
    cp.mutable_plan()->set_scope("orgUnits/" + org().company);
    *cp.mutable_plan()->mutable_total() = Cny(3'000'000);
    cp.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
    tv1::CreatePlanResponse plan;
    for (int i = 0; i < 100; ++i) {
      s = Tgt(Director(), &tv1::TargetsService::Stub::CreatePlan, cp, &plan);
      if (s.ok() || ErrorReasonOf(s) != "ORG_UNIT_NOT_FOUND") {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    tv1::AllocatePlanRequest teams;
    teams.set_plan(plan.plan().name());
    teams.set_axis(tv1::ALLOCATION_AXIS_TEAM);
    teams.set_method(tv1::ALLOCATION_METHOD_EQUAL);
    for (const std::string& t : {org().t11, org().t12, org().t21}) {
      teams.add_inputs()->set_key("orgUnits/" + t);
    }
    tv1::AllocatePlanResponse team_cells;
    for (int i = 0; i < 100; ++i) {
      s = Tgt(Director(), &tv1::TargetsService::Stub::AllocatePlan, teams, &team_cells);
      if (s.ok() || i > 60) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& cell : team_cells.cells()) {
      tv1::AllocatePlanRequest reps;
      reps.set_plan(plan.plan().name());
      reps.set_parent_cell(cell.name());
      reps.set_axis(tv1::ALLOCATION_AXIS_REP);
      reps.set_method(tv1::ALLOCATION_METHOD_EQUAL);
      tv1::AllocatePlanResponse rep_cells;
      EXPECT_TRUE(Tgt(Director(), &tv1::TargetsService::Stub::AllocatePlan, reps, &rep_cells).ok());
    }
    tv1::PublishPlanRequest pub;
    pub.set_name(plan.plan().name());
    tv1::PublishPlanResponse published;
    s = Tgt(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &published);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return published.plan();
  }

  std::string RepCell(const std::string& plan, const std::string& rep) {
    tv1::ListAllocationCellsRequest req;
    req.set_plan(plan);
    req.set_member("members/" + rep);
    tv1::ListAllocationCellsResponse resp;
    EXPECT_TRUE(Tgt(Director(), &tv1::TargetsService::Stub::ListAllocationCells, req, &resp).ok());
    return resp.cells_size() > 0 ? resp.cells(0).name() : "";
  }
};

// A supervisor may move target between their own reps, not onto another
// team in another region; only the published version is re-allocated, into a
// version id nobody could have reserved.
TEST_F(SecurityTargetsTest, F2ReallocationStaysInTheCallersPart) {
  const tv1::TargetPlan plan = PublishedPlan("sec-realloc-" + org().sfx);
  const std::string mine = RepCell(plan.name(), org().rep11);
  const std::string mine_b = RepCell(plan.name(), org().rep11b);
  const std::string far = RepCell(plan.name(), org().rep21);
  ASSERT_FALSE(mine.empty());
  ASSERT_FALSE(far.empty());
  tv1::ApplyReallocationRequest req;
  req.set_plan(plan.name());
  req.set_reason("调整");
  auto* mv = req.add_moves();
  mv->set_from_cell(mine);
  mv->set_to_cell(far);
  *mv->mutable_amount() = Cny(1000);
  tv1::ApplyReallocationResponse resp;
  grpc::Status s = Tgt(Sup11(), &tv1::TargetsService::Stub::ApplyReallocation, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  mv->set_to_cell(mine_b);
  s = Tgt(Sup11(), &tv1::TargetsService::Stub::ApplyReallocation, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.plan().state(), tv1::PLAN_STATE_DRAFT);
  EXPECT_NE(resp.plan().name(), plan.name() + "-v2") << "the next version's name is guessable";
  // The draft itself is not a source for re-allocation.
  req.set_plan(resp.plan().name());
  mv->set_from_cell(absl::StrReplaceAll(mine, {{plan.name(), resp.plan().name()}}));
  mv->set_to_cell(absl::StrReplaceAll(mine_b, {{plan.name(), resp.plan().name()}}));
  s = Tgt(Sup11(), &tv1::TargetsService::Stub::ApplyReallocation, req, &resp);
  EXPECT_EQ(ErrorReasonOf(s), "PLAN_NOT_PUBLISHED") << s.error_message();
}

}  // namespace
}  // namespace salesops::testing
