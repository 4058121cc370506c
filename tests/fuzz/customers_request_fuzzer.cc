// Fuzzes request decoding and the pure validation of the customers service: any
// bytes, decoded as the input type of any CustomersService method (found
// through the generated descriptors, so a new RPC is fuzzed without touching
// this file), walked by reflection; every resource, money, date, stage and
// string met on the way goes through the domain checks its handler runs:
// CheckCustomerFields, ValidateOpportunityFields, CheckStageChange,
// ValidateNewContract (then paying and refunding it in full), ApplyPayment /
// ApplyRefund on a valid seeded contract, ValidatePoolPolicy + CheckClaim,
// ValidateTierPolicy + Score, GrantAccess / CustomerAccess for a fuzzed
// principal, CheckMoney, CheckText, page tokens and ClearOutputOnly.
//
// Invariants: no crash and no UB; an error is never INTERNAL or UNKNOWN,
// carries a reason and a valid UTF-8 message; INVALID_ARGUMENT carries field
// violations, each with a non-empty field path (under the resource's prefix)
// and description; a contract that validates has instalments summing exactly to
// its amount (computed without overflow) and a payment never leaves received
// money below 0, above the amount, or out of step with received_total; a failed
// payment leaves the contract as it was; scores stay in 0..10000; access never
// exceeds what role, scope and grants give; minimised customers keep no
// personal data; ClearOutputOnly leaves no output-only field set.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "salesops/customers/v1/customers_service.pb.h"
#include "services/customers/domain/access.h"
#include "services/customers/domain/contracts.h"
#include "services/customers/domain/customer_rules.h"
#include "services/customers/domain/pipeline.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/tiering.h"

namespace {

using namespace salesops;
using namespace salesops::customers;
namespace pb = google::protobuf;
using Int128 = __int128;

// Bytes at the start of the input that choose the method and the context;
// the rest is the serialized request.
constexpr size_t kParamBytes = 32;
constexpr int kMaxDepth = 6;

void Check(bool invariant) {
  if (!invariant) {
    __builtin_trap();
  }
}

// The status rules every handler's errors follow (STYLE.md example 5);
// `prefix` is the field path every violation must start with ("" = any).
void CheckStatus(const absl::Status& s, absl::string_view prefix = "") {
  if (s.ok()) {
    return;
  }
  Check(s.code() != absl::StatusCode::kInternal && s.code() != absl::StatusCode::kUnknown);
  Check(!ErrorReason(s).empty());
  Check(Utf8Length(s.message()) >= 0);  // it travels in proto string fields
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return;
  }
  const std::vector<FieldViolation> fv = FieldViolations(s);
  Check(!fv.empty());
  for (const FieldViolation& v : fv) {
    Check(!v.field.empty() && !v.description.empty());
    Check(absl::StartsWith(v.field, prefix));
  }
}

const pb::ServiceDescriptor& Service() {
  static const pb::ServiceDescriptor* service =
      v1::CreateCustomerRequest::descriptor()->file()->FindServiceByName("CustomersService");
  return *service;
}

v1::Instalment Instalment(const char* id, int year, int month, int day, int64_t amount) {
  v1::Instalment in;
  in.set_instalment_id(id);
  *in.mutable_due_date() = ToDate(absl::CivilDay(year, month, day));
  in.mutable_amount()->set_amount_minor(amount);
  in.mutable_amount()->set_currency_code("CNY");
  return in;
}

// A signed contract of 1,000,000.00 CNY in three instalments; `paid` minor
// units already received.
v1::Contract SeededContract(int64_t paid) {
  v1::Contract c;
  c.set_name("contracts/c-1");
  c.set_customer("customers/cust-1");
  c.set_title("年度服务合同");
  c.mutable_amount()->set_amount_minor(100'000'000);
  c.mutable_amount()->set_currency_code("CNY");
  *c.mutable_payment_schedule()->add_instalments() = Instalment("1", 2026, 1, 31, 30'000'000);
  *c.mutable_payment_schedule()->add_instalments() = Instalment("2", 2026, 4, 30, 30'000'000);
  *c.mutable_payment_schedule()->add_instalments() = Instalment("3", 2026, 7, 31, 40'000'000);
  if (!ValidateNewContract(c).ok()) {
    __builtin_trap();
  }
  c.set_state(v1::CONTRACT_STATE_SIGNED);
  if (paid > 0) {
    v1::Payment p;
    p.mutable_amount()->set_amount_minor(paid);
    p.mutable_amount()->set_currency_code("CNY");
    *p.mutable_received_date() = ToDate(absl::CivilDay(2026, 2, 1));
    if (!ApplyPayment(c, p, absl::CivilDay(2026, 2, 1)).ok()) {
      __builtin_trap();
    }
  }
  return c;
}

// An owned customer in team-1 / region east.
v1::Customer SeededCustomer() {
  v1::Customer c;
  c.set_name("customers/cust-1");
  c.set_display_name("杭州某某科技有限公司");
  c.set_owner("members/rep-1");
  c.set_team("orgUnits/team-1");
  c.mutable_tags()->set_region("orgUnits/east");
  c.mutable_tags()->set_industry("manufacturing");
  c.set_tier(v1::CUSTOMER_TIER_A);
  c.set_pool_state(v1::POOL_STATE_OWNED);
  return c;
}

// Everything besides the request that the checks read, chosen by the fuzzer.
struct Context {
  Viewer viewer;
  absl::Time now;
  absl::Time created;  // of the opportunity being updated
  absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  v1::OpportunityStage from_stage = v1::OPPORTUNITY_STAGE_UNSPECIFIED;
  int64_t contract_paid = 0;
  ClaimFacts claim;
  PurchaseFacts purchase;
  std::vector<WonDeal> won;
  std::vector<v1::SharingGrant> grants;
};

Context MakeContext(FuzzedDataProvider& p) {
  Context ctx;
  Principal& who = ctx.viewer.principal;
  who.role = static_cast<Role>(p.ConsumeIntegralInRange(1, 5));
  who.member_id = p.PickValueInArray({"rep-1", "rep-2", ""});
  static const std::vector<std::vector<std::string>> kChains = {
      {}, {"team-1", "east", "acme"}, {"east", "acme"}, {"acme"}, {"team-2", "west", "acme"}};
  ctx.viewer.unit_and_ancestors = kChains[p.ConsumeIntegralInRange<size_t>(0, kChains.size() - 1)];
  who.org_unit_id = ctx.viewer.unit_and_ancestors.empty() ? "" : ctx.viewer.unit_and_ancestors[0];
  ctx.now = absl::FromCivil(absl::CivilSecond(2026, 6, 15, 10, 0, 0), ctx.tz) +
            absl::Minutes(p.ConsumeIntegralInRange(-600'000, 600'000));
  ctx.created = ctx.now - absl::Hours(p.ConsumeIntegralInRange(0, 24 * 800));
  ctx.from_stage = static_cast<v1::OpportunityStage>(p.ConsumeIntegralInRange(0, 8));
  ctx.contract_paid = p.PickValueInArray<int64_t>({0, 1, 30'000'000, 45'000'000, 100'000'000});
  ctx.claim.now = ctx.now;
  ctx.claim.in_pool = p.ConsumeBool();
  ctx.claim.protection_until = ctx.now + absl::Hours(p.ConsumeIntegralInRange(-1000, 1000));
  ctx.claim.cooldown_until = ctx.now + absl::Hours(p.ConsumeIntegralInRange(-1000, 1000));
  ctx.claim.owned_by_claimant = p.ConsumeIntegralInRange(0, 2'000'000);
  ctx.claim.claims_this_month = p.ConsumeIntegralInRange(0, 200'000);
  const int deals = p.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < deals; ++i) {
    ctx.won.push_back({ctx.now - absl::Hours(p.ConsumeIntegralInRange(-100, 24 * 900)),
                       p.ConsumeIntegral<int64_t>()});
  }
  ctx.purchase = FactsFromDeals(ctx.won, p.ConsumeIntegral<int64_t>(), ctx.now);
  return ctx;
}

// ---- Checks per resource type -------------------------------------------------

void OnCustomer(const v1::Customer& c, const Context& ctx) {
  Violations v;
  CheckCustomerFields(v, "customer", c);
  CheckStatus(v.Finish(), "customer.");
  Check(NormalTaxId(NormalTaxId(c.tax_id())) == NormalTaxId(c.tax_id()));
  (void)NormalPhone(c.phone());

  const Access a = CustomerAccess(ctx.viewer, c, ctx.grants, ctx.now);
  const Principal& who = ctx.viewer.principal;
  Check(!CanWrite(a) || CanRead(a));
  Check(!CanLogActivity(a) || CanRead(a));
  Check(CanWrite(a) == InOwnerScope(who, ScopeOf(c)));
  if (who.role == Role::kAdmin || who.role == Role::kDirector) {
    Check(a == Access::kOwnerScope);
  }
  if (ctx.grants.empty() && c.pool_state() != v1::POOL_STATE_PUBLIC_POOL) {
    Check(a == Access::kNone || a == Access::kOwnerScope);
  }
  if (IsMinimised(a)) {
    v1::Customer m = c;
    MinimisePersonalData(m);
    Check(m.phone().empty());
    for (const v1::Contact& ct : m.contacts()) {
      Check(ct.phone().empty() && ct.email().empty() && ct.wechat_id().empty() &&
            ct.notes().empty());
    }
  }
}

void OnOpportunity(const v1::Opportunity& o, const std::string& reason, const Context& ctx) {
  const absl::Status s = ValidateOpportunityFields(o, ctx.created, ctx.tz);
  CheckStatus(s, "opportunity.");
  if (s.ok()) {
    Check(o.amount().amount_minor() >= 0 && o.amount().amount_minor() <= kMaxDealAmountMinor);
    Check(IsKnownCurrency(o.amount().currency_code()));
  }
  const absl::Status t = CheckStageChange(ctx.from_stage, o.stage(), reason);
  CheckStatus(t);
  if (t.ok()) {
    Check(IsAllowedTransition(ctx.from_stage, o.stage()));
  }
  Check(!StageName(o.stage()).empty());
  (void)FollowUpForStage(o.stage());
}

// received_total, per-instalment received and states agree with the amounts.
void CheckContractBooks(const v1::Contract& c) {
  Int128 received = 0;
  for (const v1::Instalment& in : c.payment_schedule().instalments()) {
    const int64_t got = in.received_amount().amount_minor();
    Check(got >= 0 && got <= in.amount().amount_minor());
    Check((got == in.amount().amount_minor()) == (in.state() == v1::INSTALMENT_STATE_RECEIVED));
    received += got;
  }
  Check(received == c.received_total().amount_minor());
  Check(received <= c.amount().amount_minor());
}

int64_t Applied(const std::vector<PaymentApplied>& applied) {
  Int128 sum = 0;
  for (const PaymentApplied& a : applied) {
    Check(a.amount_minor > 0);
    sum += a.amount_minor;
  }
  Check(sum <= INT64_MAX);
  return static_cast<int64_t>(sum);
}

void OnContract(const v1::Contract& raw, const Context& ctx) {
  v1::Contract c = raw;
  ClearOutputOnly(&c);  // as CreateContract does
  const absl::Status s = ValidateNewContract(c);
  CheckStatus(s, "contract.");
  (void)CheckContractTransition(raw.state(), v1::CONTRACT_STATE_SIGNED);
  if (!s.ok()) {
    return;
  }
  const auto& insts = c.payment_schedule().instalments();
  Int128 sum = 0;
  for (const v1::Instalment& in : insts) {
    Check(in.amount().amount_minor() > 0);
    Check(in.amount().currency_code() == c.amount().currency_code());
    sum += in.amount().amount_minor();
  }
  Check(sum == c.amount().amount_minor());
  Check(c.amount().amount_minor() > 0 && c.amount().amount_minor() <= kMaxDealAmountMinor);

  // Signed, paid in full, refunded in full: the books balance at every step.
  const absl::CivilDay today = absl::ToCivilDay(ctx.now, ctx.tz);
  c.set_state(v1::CONTRACT_STATE_SIGNED);
  Check(NextOpenDueDate(c).has_value());
  v1::Payment p;
  *p.mutable_amount() = c.amount();
  *p.mutable_received_date() = ToDate(std::min(today, absl::CivilDay(2200, 1, 1)));
  absl::StatusOr<std::vector<PaymentApplied>> paid = ApplyPayment(c, p, today);
  if (IsValidDate(p.received_date())) {
    Check(paid.ok());
    Check(Applied(*paid) == c.amount().amount_minor());
    CheckContractBooks(c);
    Check(!NextOpenDueDate(c).has_value());
    absl::StatusOr<std::vector<PaymentApplied>> back = ApplyRefund(c, p, today);
    Check(back.ok());
    Check(Applied(*back) == c.amount().amount_minor());
    CheckContractBooks(c);
    Check(c.received_total().amount_minor() == 0);
  }
  (void)RefreshInstalmentStates(c, today);
}

void OnPayment(const v1::Payment& p, bool refund, const Context& ctx) {
  v1::Contract c = SeededContract(ctx.contract_paid);
  const v1::Contract before = c;
  const absl::CivilDay today = absl::ToCivilDay(ctx.now, ctx.tz);
  absl::StatusOr<std::vector<PaymentApplied>> r =
      refund ? ApplyRefund(c, p, today) : ApplyPayment(c, p, today);
  CheckStatus(r.status(), refund ? "refund." : "payment.");
  if (!r.ok()) {
    Check(pb::util::MessageDifferencer::Equals(c, before));  // nothing half-applied
    return;
  }
  Check(Applied(*r) == p.amount().amount_minor());
  CheckContractBooks(c);
  const int64_t delta = c.received_total().amount_minor() - before.received_total().amount_minor();
  Check(delta == (refund ? -p.amount().amount_minor() : p.amount().amount_minor()));
  Check(c.payments_size() == before.payments_size() + 1);
  for (const PaymentApplied& a : *r) {
    Check(p.instalment_id().empty() || a.instalment_id == p.instalment_id());
  }
}

void OnPoolPolicy(const v1::PoolPolicy& p, const Context& ctx) {
  const absl::Status s = ValidatePoolPolicy(p);
  CheckStatus(s, "pool_policy.");
  if (!s.ok()) {
    return;
  }
  const absl::Status claim = CheckClaim(p, ctx.claim);
  CheckStatus(claim);
  if (claim.ok()) {
    Check(ctx.claim.in_pool && ctx.claim.now >= ctx.claim.protection_until &&
          ctx.claim.now >= ctx.claim.cooldown_until);
  } else {
    Check(claim.code() == absl::StatusCode::kFailedPrecondition);
  }
  const absl::Time last = ctx.created;
  Check(ReminderTime(p, last) <= ReleaseDueTime(p, last));
  Check(ReminderTime(p, last) >= last);
  Check(!ReleaseDue(p, last, ctx.now) || ReminderDue(p, last, ctx.now));
  Check(ProtectionUntil(p, last) >= last);
  Check(ClaimMonth(ctx.now, ctx.tz).size() == 7);
}

void OnTierPolicy(const v1::TierPolicy& p, const Context& ctx) {
  const absl::Status s = ValidateTierPolicy(p);
  CheckStatus(s, "tier_policy.");
  const PurchaseFacts& f = ctx.purchase;
  Check(f.revenue_last_12_months_minor >= 0 && f.open_pipeline_minor >= 0);
  Check(f.purchases_last_12_months <= static_cast<int>(ctx.won.size()));
  if (!s.ok()) {
    return;
  }
  const v1::ScoreBreakdown b = Score(p, f, ctx.now);
  for (int score : {b.value_score(), b.recency_score(), b.frequency_score(), b.monetary_score(),
                    b.potential_score(), b.total_score()}) {
    Check(score >= 0 && score <= kFullScore);
  }
  const v1::CustomerTier tier = TierFor(p, b.total_score());
  Check(tier >= v1::CUSTOMER_TIER_S && tier <= v1::CUSTOMER_TIER_C);
  Check(PlanFor(p, tier) != nullptr);
  Check(!IsDowngrade(tier, tier));
}

void OnGrant(const v1::SharingGrant& g, const Context& ctx) {
  static const v1::Customer kCustomer = SeededCustomer();
  const v1::SharingAccess a = GrantAccess(g, kCustomer, ctx.now);
  if (a != v1::SHARING_ACCESS_UNSPECIFIED) {
    Check(a == g.access() && !g.has_revoke_time());
  }
  const Access got = CustomerAccess(ctx.viewer, kCustomer, {g}, ctx.now);
  if (got == Access::kSharedRead || got == Access::kSharedCollaborate) {
    const std::vector<std::string>& chain = ctx.viewer.unit_and_ancestors;
    Check(std::find(chain.begin(), chain.end(), StripPrefix(g.grantee())) != chain.end());
    Check(a != v1::SHARING_ACCESS_UNSPECIFIED);
  }
}

void OnMoney(const salesops::common::v1::Money& m, const std::string& path) {
  for (MoneyRule rule : {MoneyRule::kPositive, MoneyRule::kNonNegative}) {
    Violations v;
    CheckMoney(v, path, {m.amount_minor(), m.currency_code()}, rule);
    CheckStatus(v.Finish(), path);
  }
  const std::string text = FormatMoney({m.amount_minor(), m.currency_code()});
  if (m.amount_minor() >= 0 && IsKnownCurrency(m.currency_code())) {
    const std::string number = text.substr(0, text.size() - 4);  // drop " CNY"
    Check(ParseMajorUnits(number, m.currency_code()) == m.amount_minor());
  }
}

void OnDate(const salesops::common::v1::Date& d) {
  if (!IsValidDate(d)) {
    return;
  }
  const salesops::common::v1::Date back = ToDate(ToCivil(d));
  Check(back.year() == d.year() && back.month() == d.month() && back.day() == d.day());
}

// ---- The reflection walk --------------------------------------------------------

// Whether no OUTPUT_ONLY field is set anywhere in `m`.
bool NoOutputOnly(const pb::Message& m, int depth) {
  if (depth > kMaxDepth) {
    return true;
  }
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (IsOutputOnly(*f)) {
      return false;
    }
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) {
      continue;
    }
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (!NoOutputOnly(r->GetRepeatedMessage(m, f, i), depth + 1)) {
          return false;
        }
      }
    } else if (!NoOutputOnly(r->GetMessage(m, f), depth + 1)) {
      return false;
    }
  }
  return true;
}

void Visit(const pb::Message& m, const std::string& path, int depth, const Context& ctx);

void VisitField(const pb::Message& m, const pb::FieldDescriptor* f, int index,
                const std::string& path, int depth, const Context& ctx) {
  const pb::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      Visit(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), path, depth + 1, ctx);
      break;
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      const std::string value = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      Violations v;
      CheckText(v, path, value, 0, 1000);
      if (f->name() == "page_token") {
        (void)DecodePageToken(v, path, value, "filter");
      }
      CheckStatus(v.Finish(), path);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT32:
      if (!rep && f->name() == "page_size") {
        Violations v;
        const int size = CheckPageSize(v, path, r->GetInt32(m, f), 50, 500);
        Check(size >= 1 && size <= 500);
        CheckStatus(v.Finish(), path);
      }
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      if (f->enum_type() == v1::OpportunityStage_descriptor()) {
        const auto stage = static_cast<v1::OpportunityStage>(
            rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
        const pb::FieldDescriptor* reason = m.GetDescriptor()->FindFieldByName("reason");
        const std::string why = reason != nullptr &&
                                        reason->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING &&
                                        !reason->is_repeated()
                                    ? r->GetString(m, reason)
                                    : "";
        CheckStatus(CheckStageChange(ctx.from_stage, stage, why));
        Check(!StageName(stage).empty());
      }
      break;
    default:
      break;
  }
}

void Visit(const pb::Message& m, const std::string& path, int depth, const Context& ctx) {
  if (depth > kMaxDepth) {
    return;
  }
  const pb::Descriptor* d = m.GetDescriptor();
  if (d == v1::Customer::descriptor()) {
    OnCustomer(static_cast<const v1::Customer&>(m), ctx);
  } else if (d == v1::Opportunity::descriptor()) {
    OnOpportunity(static_cast<const v1::Opportunity&>(m), "", ctx);
  } else if (d == v1::Contract::descriptor()) {
    OnContract(static_cast<const v1::Contract&>(m), ctx);
  } else if (d == v1::Payment::descriptor()) {
    OnPayment(static_cast<const v1::Payment&>(m), absl::StrContains(path, "refund"), ctx);
  } else if (d == v1::PoolPolicy::descriptor()) {
    OnPoolPolicy(static_cast<const v1::PoolPolicy&>(m), ctx);
  } else if (d == v1::TierPolicy::descriptor()) {
    OnTierPolicy(static_cast<const v1::TierPolicy&>(m), ctx);
  } else if (d == v1::SharingGrant::descriptor()) {
    OnGrant(static_cast<const v1::SharingGrant&>(m), ctx);
  } else if (d == salesops::common::v1::Money::descriptor()) {
    OnMoney(static_cast<const salesops::common::v1::Money&>(m), path);
  } else if (d == salesops::common::v1::Date::descriptor()) {
    OnDate(static_cast<const salesops::common::v1::Date&>(m));
  }
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    const std::string at = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (!f->is_repeated()) {
      VisitField(m, f, 0, at, depth, ctx);
      continue;
    }
    const int n = std::min(r->FieldSize(m, f), 20);
    for (int i = 0; i < n; ++i) {
      VisitField(m, f, i, absl::StrCat(at, "[", i, "]"), depth, ctx);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  // Fuzzed bytes often carry invalid UTF-8 in string fields; protobuf logs each
  // such parse, which would drown the fuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::vector<uint8_t> param_bytes = in.ConsumeBytes<uint8_t>(kParamBytes);
  FuzzedDataProvider params(param_bytes.data(), param_bytes.size());
  const pb::ServiceDescriptor& service = Service();
  const pb::MethodDescriptor* method =
      service.method(params.ConsumeIntegralInRange(0, service.method_count() - 1));
  Context ctx = MakeContext(params);
  ctx.grants = {};
  if (params.ConsumeBool()) {
    v1::SharingGrant g;  // a live read grant to the viewer's own unit
    g.set_grantee(absl::StrCat("orgUnits/", ctx.viewer.principal.org_unit_id));
    g.set_access(params.ConsumeBool() ? v1::SHARING_ACCESS_READ_ONLY
                                      : v1::SHARING_ACCESS_COLLABORATE);
    ctx.grants.push_back(g);
  }

  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(method->input_type());
  Check(prototype != nullptr);
  std::unique_ptr<pb::Message> req(prototype->New());
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  if (!req->ParseFromString(bytes)) {
    return 0;  // gRPC rejects it before any handler
  }

  Visit(*req, "", 0, ctx);

  // Handlers clear what only the server sets before validating a resource.
  std::unique_ptr<pb::Message> cleared(req->New());
  cleared->CopyFrom(*req);
  ClearOutputOnly(cleared.get());
  Check(NoOutputOnly(*cleared, 0));
  if (!pb::util::MessageDifferencer::Equals(*cleared, *req)) {
    Visit(*cleared, "", 0, ctx);
  }
  return 0;
}
