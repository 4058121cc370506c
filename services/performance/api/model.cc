#include "services/performance/api/model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/auth/principal.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validation.h"

namespace salesops::performance {
namespace {

constexpr int kMaxKeyResults = 20;

int64_t RateOf(int64_t millionths, int32_t basis_points) {
  return millionths != 0 ? millionths : int64_t{basis_points} * 100;
}

absl::Time DayStart(absl::CivilDay d, absl::TimeZone tz) { return absl::FromCivil(d, tz); }

}  // namespace

// ---- names and times

std::string StripName(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}
std::string MemberName(absl::string_view id) { return absl::StrCat("members/", id); }
std::string UnitName(absl::string_view id) { return absl::StrCat("orgUnits/", id); }
std::string PeriodName(absl::string_view id) { return absl::StrCat("fiscalPeriods/", id); }
std::string StatementId(absl::string_view period, absl::string_view member) {
  return absl::StrCat(period, ".", member);
}
std::string StatementName(absl::string_view statement_id) {
  return absl::StrCat("commissionStatements/", statement_id);
}
std::optional<std::pair<std::string, std::string>> SplitStatementId(absl::string_view id) {
  const size_t dot = id.find('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 >= id.size()) {
    return std::nullopt;
  }
  return std::make_pair(std::string(id.substr(0, dot)), std::string(id.substr(dot + 1)));
}
std::string SubjectKey(absl::string_view subject) {
  if (absl::StartsWith(subject, "orgUnits/")) {
    return absl::StrCat("t.", subject.substr(9));
  }
  return absl::StrCat("m.", StripName(subject));
}
std::string ScorecardId(absl::string_view period, absl::string_view subject) {
  return absl::StrCat(period, ".", SubjectKey(subject));
}

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }
bool IsValidDate(const salesops::common::v1::Date& d) {
  return d.year() >= 1970 && d.year() <= 9998 && d.month() >= 1 && d.month() <= 12 &&
         d.day() >= 1 && d.day() <= 31 &&
         absl::CivilDay(d.year(), d.month(), d.day()).day() == d.day();
}

absl::CivilDay DayOf(const salesops::common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}
salesops::common::v1::Date ToDate(absl::CivilDay d) {
  salesops::common::v1::Date out;
  out.set_year(static_cast<int32_t>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}
salesops::common::v1::Money Money(int64_t minor, absl::string_view currency) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code(std::string(currency));
  return m;
}
std::string FormatMinor(int64_t minor) {
  const bool negative = minor < 0;
  const uint64_t m = negative ? 0 - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  return absl::StrCat(negative ? "-" : "", m / 100, ".", m % 100 < 10 ? "0" : "", m % 100);
}

// ---- facts and carry

CreditFact ToCreditFact(const v1::StoredFact& f) {
  CreditFact c;
  c.event_id = f.event_id();
  c.kind = static_cast<FactKind>(f.kind());
  c.time = FromMicros(f.time_micros());
  c.member_id = f.owner();
  c.deal_id = f.deal_id();
  c.contract_id = f.contract_id();
  c.payment_id = f.payment_id();
  c.product_line = f.product_line();
  c.amount_minor = f.amount_minor();
  for (const auto& s : f.split()) {
    c.split.push_back({StripName(s.member()), s.share_millionths()});
  }
  c.first_instalment_received = f.first_instalment_received();
  return c;
}

std::vector<CreditShare> SharesOf(const v1::CreditSplit& split) {
  std::vector<CreditShare> out;
  for (const auto& s : split.shares()) {
    out.push_back({StripName(s.member()), s.share_millionths()});
  }
  return out;
}

v1::StoredAdjustment ToStoredAdjustment(const Adjustment& a) {
  v1::StoredAdjustment s;
  s.set_adjustment_id(a.adjustment_id);
  s.set_source(a.source);
  s.set_original_statement_id(a.original_statement_id);
  s.set_reason(a.reason);
  s.set_amount_minor(a.amount_minor);
  return s;
}

Adjustment FromStoredAdjustment(const v1::StoredAdjustment& s) {
  return Adjustment{s.adjustment_id(), s.source(), s.original_statement_id(), s.reason(),
                    s.amount_minor()};
}

v1::StoredCarry ToStoredCarry(const CarryForward& c) {
  v1::StoredCarry s;
  s.set_draw_balance_minor(c.draw_balance_minor);
  s.set_negative_balance_minor(c.negative_balance_minor);
  for (const Adjustment& a : c.adjustments) {
    *s.add_adjustments() = ToStoredAdjustment(a);
  }
  for (const CreditRecord& r : c.credits) {
    v1::StoredCredit* o = s.add_credits();
    o->set_credit_key(r.credit_key);
    o->set_deal_id(r.deal_id);
    o->set_contract_id(r.contract_id);
    o->set_payment_id(r.payment_id);
    o->set_product_line(r.product_line);
    o->set_statement_id(r.statement_id);
    o->set_plan_id(r.plan_id);
    o->set_plan_version(r.plan_version);
    o->set_event_id(r.event_id);
    o->set_credit_time_micros(ToMicros(r.credit_time));
    if (r.clawback_until == absl::InfinitePast()) {
      o->set_clawback_until_past(true);
    } else if (r.clawback_until == absl::InfiniteFuture()) {
      o->set_clawback_until_future(true);
    } else {
      o->set_clawback_until_micros(ToMicros(r.clawback_until));
    }
    o->set_credited_minor(r.credited_minor);
    o->set_commission_minor(r.commission_minor);
    o->set_held_minor(r.held_minor);
    o->set_refunded_minor(r.refunded_minor);
    o->set_taken_back_minor(r.taken_back_minor);
    o->set_cancelled(r.cancelled);
  }
  return s;
}

CarryForward FromStoredCarry(const v1::StoredCarry& s) {
  CarryForward c;
  c.draw_balance_minor = s.draw_balance_minor();
  c.negative_balance_minor = s.negative_balance_minor();
  for (const auto& a : s.adjustments()) {
    c.adjustments.push_back(FromStoredAdjustment(a));
  }
  for (const auto& o : s.credits()) {
    CreditRecord r;
    r.credit_key = o.credit_key();
    r.deal_id = o.deal_id();
    r.contract_id = o.contract_id();
    r.payment_id = o.payment_id();
    r.product_line = o.product_line();
    r.statement_id = o.statement_id();
    r.plan_id = o.plan_id();
    r.plan_version = o.plan_version();
    r.event_id = o.event_id();
    r.credit_time = FromMicros(o.credit_time_micros());
    r.clawback_until = o.clawback_until_past()     ? absl::InfinitePast()
                       : o.clawback_until_future() ? absl::InfiniteFuture()
                                                   : FromMicros(o.clawback_until_micros());
    r.credited_minor = o.credited_minor();
    r.commission_minor = o.commission_minor();
    r.held_minor = o.held_minor();
    r.refunded_minor = o.refunded_minor();
    r.taken_back_minor = o.taken_back_minor();
    r.cancelled = o.cancelled();
    c.credits.push_back(std::move(r));
  }
  return c;
}

// ---- plans

absl::StatusOr<CommissionPlan> ToDomainPlan(const v1::CommissionPlan& p,
                                            const std::string& chain_id, absl::TimeZone tz) {
  CommissionPlan d;
  d.plan_id = chain_id;
  d.version = std::max(1, p.version());
  if (p.has_effective_start_date()) {
    d.effective_from = DayStart(DayOf(p.effective_start_date()), tz);
  }
  if (p.has_effective_end_date()) {
    d.effective_until = DayStart(DayOf(p.effective_end_date()) + 1, tz);
  }
  d.currency_code =
      p.default_target().currency_code().empty() ? "CNY" : p.default_target().currency_code();
  d.basis = p.basis() == v1::COMMISSION_BASIS_COLLECTION ? CommissionBasis::kCollection
            : p.basis() == v1::COMMISSION_BASIS_BOOKING  ? CommissionBasis::kBooking
                                                         : static_cast<CommissionBasis>(0);
  switch (p.tier_mode()) {
    case v1::TIER_MODE_FLAT:
      d.tier_mode = TierMode::kFlat;
      break;
    case v1::TIER_MODE_MARGINAL:
      d.tier_mode = TierMode::kMarginal;
      break;
    case v1::TIER_MODE_RETROACTIVE:
      d.tier_mode = TierMode::kRetroactive;
      break;
    default:
      d.tier_mode = static_cast<TierMode>(0);
  }
  auto bands = [](const auto& in) {
    std::vector<CommissionBand> out;
    for (const auto& b : in) {
      out.push_back({b.min_attainment_basis_points(), b.max_attainment_basis_points(),
                     RateOf(b.rate_millionths(), b.rate_basis_points())});
    }
    return out;
  };
  d.bands = bands(p.bands());
  for (const auto& r : p.product_line_rates()) {
    d.product_line_bands.push_back({StripName(r.product_line()), bands(r.bands())});
  }
  for (const auto& a : p.accelerators()) {
    d.accelerators.push_back({a.above_attainment_basis_points(),
                              RateOf(a.multiplier_millionths(), a.multiplier_basis_points())});
  }
  for (const auto& x : p.decelerators()) {
    d.decelerators.push_back({x.below_attainment_basis_points(), x.multiplier_millionths()});
  }
  d.per_deal_cap_minor = p.per_deal_cap().amount_minor();
  d.period_cap_minor = p.cap().amount_minor();
  d.clawback_window_days = p.clawback_window_days();
  d.hold = p.hold() == v1::HOLD_RULE_UNTIL_FIRST_INSTALMENT ? HoldRule::kUntilFirstInstalment
                                                            : HoldRule::kNone;
  for (const auto& b : p.bonuses()) {
    BonusRule r;
    r.bonus_id = b.bonus_id();
    r.kind = static_cast<BonusKind>(b.kind());
    r.min_attainment_bp = b.min_attainment_basis_points();
    r.amount_minor = b.amount().amount_minor();
    d.bonuses.push_back(std::move(r));
  }
  for (const auto& s : p.spiffs()) {
    Spiff x;
    x.spiff_id = s.spiff_id();
    x.product_line = StripName(s.product_line());
    x.min_deal_amount_minor = s.min_deal_amount().amount_minor();
    x.amount_per_deal_minor = s.amount_per_deal().amount_minor();
    if (s.has_start_time()) {
      x.start = FromTs(s.start_time());
    }
    if (s.has_end_time()) {
      x.end = FromTs(s.end_time());
    }
    x.max_deals_per_period = s.max_deals_per_period();
    d.spiffs.push_back(std::move(x));
  }
  d.draw.kind = static_cast<DrawKind>(p.draw().kind());
  d.draw.amount_per_period_minor = p.draw().amount_per_period().amount_minor();
  d.draw.max_recovery_per_period_minor = p.draw().max_recovery_per_period().amount_minor();
  return d;
}

absl::Status ProtoFieldPaths(const absl::Status& s, absl::string_view domain_root,
                             absl::string_view proto_root) {
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return s;
  }
  std::vector<FieldViolation> out;
  for (FieldViolation v : FieldViolations(s)) {
    std::string f = v.field;
    if (absl::StartsWith(f, domain_root)) {
      f = absl::StrCat(proto_root, f.substr(domain_root.size()));
    }
    // Money amounts are Money messages in the protos; ratios are "basis_points".
    f = absl::StrReplaceAll(
        f, {{".per_deal_cap_minor", ".per_deal_cap.amount_minor"},
            {".period_cap_minor", ".cap.amount_minor"},
            {"product_line_bands", "product_line_rates"},
            {".min_deal_amount_minor", ".min_deal_amount.amount_minor"},
            {".amount_per_deal_minor", ".amount_per_deal.amount_minor"},
            {".amount_per_period_minor", ".amount_per_period.amount_minor"},
            {".max_recovery_per_period_minor", ".max_recovery_per_period.amount_minor"},
            {".effective_until", ".effective_end_date"},
            {".currency_code", ".default_target.currency_code"},
            {"_attainment_bp", "_attainment_basis_points"},
            {".weight_bp", ".weight_basis_points"},
            {".grade_bp", ".grade_basis_points"},
            {".achievement_bp", ".achievement_basis_points"},
            {".score_bp", ".score_basis_points"},
            {".floor_bp", ".floor_basis_points"},
            {".cap_bp", ".cap_basis_points"},
            {".target_value", ".target_value"},
            {".kpi_id", ".kpi"}});
    if (absl::EndsWith(f, "].amount_minor") && absl::StrContains(f, ".bonuses[")) {
      f = absl::StrCat(f.substr(0, f.size() - std::string(".amount_minor").size()),
                       ".amount.amount_minor");
    }
    if (absl::EndsWith(f, "].end") && absl::StrContains(f, ".spiffs[")) {
      f += "_time";
    }
    out.push_back({std::move(f), std::move(v.description)});
  }
  if (out.empty()) {
    return s;
  }
  const std::string reason = ErrorReason(s);
  return InvalidArgument(std::move(out), reason.empty() ? "INVALID_ARGUMENT" : reason);
}

// ---- statements

v1::StatementLineKind ToProtoLineKind(LineKind kind) {
  switch (kind) {
    case LineKind::kBase:
      return v1::STATEMENT_LINE_KIND_BASE;
    case LineKind::kAccelerator:
      return v1::STATEMENT_LINE_KIND_ACCELERATOR;
    case LineKind::kDecelerator:
      return v1::STATEMENT_LINE_KIND_DECELERATOR;
    case LineKind::kRetroAdjustment:
      return v1::STATEMENT_LINE_KIND_RETRO_ADJUSTMENT;
    case LineKind::kCap:
      return v1::STATEMENT_LINE_KIND_CAP;
    case LineKind::kHold:
      return v1::STATEMENT_LINE_KIND_HOLD;
    case LineKind::kRelease:
      return v1::STATEMENT_LINE_KIND_RELEASE;
    case LineKind::kHoldForfeit:
      return v1::STATEMENT_LINE_KIND_HOLD_FORFEIT;
    case LineKind::kClawback:
      return v1::STATEMENT_LINE_KIND_CLAWBACK;
    case LineKind::kBonus:
      return v1::STATEMENT_LINE_KIND_BONUS;
    case LineKind::kSpiff:
      return v1::STATEMENT_LINE_KIND_SPIFF;
    case LineKind::kAdjustment:
      return v1::STATEMENT_LINE_KIND_ADJUSTMENT;
    case LineKind::kCarriedBalance:
      return v1::STATEMENT_LINE_KIND_CARRIED_BALANCE;
    case LineKind::kDrawAdvance:
      return v1::STATEMENT_LINE_KIND_DRAW_ADVANCE;
    case LineKind::kDrawRecovery:
      return v1::STATEMENT_LINE_KIND_DRAW_RECOVERY;
    case LineKind::kDeferredBalance:
      return v1::STATEMENT_LINE_KIND_DEFERRED_BALANCE;
  }
  return v1::STATEMENT_LINE_KIND_UNSPECIFIED;
}

LineKind FromProtoLineKind(v1::StatementLineKind kind) {
  for (int k = 1; k <= 16; ++k) {
    if (ToProtoLineKind(static_cast<LineKind>(k)) == kind) {
      return static_cast<LineKind>(k);
    }
  }
  return LineKind::kAdjustment;
}

namespace {

// A short Chinese description of a line for the rep and for payroll.
std::string Describe(const StatementLine& l) {
  static const std::map<LineKind, const char*> kLabels = {
      {LineKind::kBase, "基本提成"},
      {LineKind::kAccelerator, "加速提成"},
      {LineKind::kDecelerator, "未达标扣减"},
      {LineKind::kRetroAdjustment, "跨档追溯调整"},
      {LineKind::kCap, "封顶扣减"},
      {LineKind::kHold, "暂扣（待首付款）"},
      {LineKind::kRelease, "暂扣释放"},
      {LineKind::kHoldForfeit, "暂扣作废"},
      {LineKind::kClawback, "追回"},
      {LineKind::kBonus, "奖金"},
      {LineKind::kSpiff, "专项激励"},
      {LineKind::kAdjustment, "调整"},
      {LineKind::kCarriedBalance, "上期负余额"},
      {LineKind::kDrawAdvance, "预支"},
      {LineKind::kDrawRecovery, "预支回收"},
      {LineKind::kDeferredBalance, "负余额递延"},
  };
  auto it = kLabels.find(l.kind);
  std::string out = it == kLabels.end() ? std::string(LineKindName(l.kind)) : it->second;
  std::string formula;
  if (l.rate_millionths != 0 && l.base_minor != 0) {
    formula =
        absl::StrCat(FormatMinor(l.base_minor), " × ", l.rate_millionths / 10000, ".",
                     absl::StrFormat("%04d", static_cast<int>(l.rate_millionths % 10000)), "%");
    absl::StrAppend(&out, " ", formula);
  }
  // The engine's note for a rated line is the same formula: said once.
  std::string note = l.note;
  if (!formula.empty() && note == formula) {
    note.clear();
  } else if (!formula.empty() && note == absl::StrCat("reversal: ", formula)) {
    note = "冲回";
  }
  if (!note.empty()) {
    absl::StrAppend(&out, "（", note, "）");
  }
  return out;
}

std::string SourceName(const std::string& source) {
  // The engine's "deals/{id}" are opportunities in the API.
  if (absl::StartsWith(source, "deals/")) {
    return absl::StrCat("opportunities/", source.substr(6));
  }
  return source;
}

}  // namespace

v1::CommissionStatement ToStatementProto(const Statement& st, const PlanVersionNames& plans,
                                         absl::Time compute_time) {
  v1::CommissionStatement s;
  const std::string& cur = st.currency_code;
  s.set_name(StatementName(st.statement_id));
  s.set_member(MemberName(st.member_id));
  s.set_period(PeriodName(st.period_id));
  auto plan_name = [&](int32_t version) -> std::string {
    auto it = plans.find(version);
    return it == plans.end() ? absl::StrCat("commissionPlans/", st.plan_id) : it->second;
  };
  s.set_plan(plan_name(st.plan_version));
  s.set_plan_version(st.plan_version);
  s.set_state(v1::STATEMENT_STATE_DRAFT);
  const StatementTotals& t = st.totals;
  *s.mutable_credited_revenue() = Money(t.credited_revenue_minor, cur);
  *s.mutable_target() = Money(st.target_minor, cur);
  s.set_attainment_basis_points(t.attainment_bp);
  for (const StatementLine& l : st.lines) {
    v1::StatementLine* o = s.add_lines();
    o->set_kind(ToProtoLineKind(l.kind));
    o->set_description(Describe(l));
    o->set_source(SourceName(l.source));
    if (!l.product_line.empty()) {
      o->set_product_line(UnitName(l.product_line));
    }
    *o->mutable_credited_amount() = Money(l.base_minor, cur);
    o->set_rate_basis_points(static_cast<int32_t>(l.rate_millionths / 100));
    *o->mutable_amount() = Money(l.amount_minor, cur);
    o->set_line_number(l.line_no);
    o->set_event_id(l.event_id);
    o->set_related_event_id(l.related_event_id);
    if (!l.deal_id.empty()) {
      o->set_opportunity(absl::StrCat("opportunities/", l.deal_id));
    }
    if (!l.contract_id.empty()) {
      o->set_contract(absl::StrCat("contracts/", l.contract_id));
    }
    o->set_payment_id(l.payment_id);
    if (!l.plan_id.empty()) {
      o->set_plan(plan_name(l.plan_version));
    }
    o->set_plan_version(l.plan_version);
    o->set_rule(l.rule);
    o->set_rate_millionths(l.rate_millionths);
    o->set_multiplier_millionths(l.multiplier_millionths);
    if (!l.original_statement_id.empty()) {
      o->set_original_statement(StatementName(l.original_statement_id));
    }
    if (l.kind == LineKind::kClawback) {
      v1::Clawback* c = s.add_clawbacks();
      c->set_clawback_id(absl::StrCat("line-", l.line_no));
      c->set_reason(absl::StrContains(l.note, "cancel") ? v1::CLAWBACK_REASON_CONTRACT_CANCELLED
                                                        : v1::CLAWBACK_REASON_REFUND);
      c->set_source(SourceName(l.source));
      if (!l.original_statement_id.empty()) {
        c->set_original_statement(StatementName(l.original_statement_id));
      }
      *c->mutable_amount() = Money(-l.amount_minor, cur);
      c->set_note(l.note);
    }
  }
  *s.mutable_gross() = Money(t.gross_minor, cur);
  *s.mutable_cap_reduction() = Money(t.cap_reduction_minor, cur);
  *s.mutable_bonus_total() = Money(t.bonus_minor, cur);
  *s.mutable_clawback_total() = Money(t.clawback_minor, cur);
  *s.mutable_net() =
      Money(t.gross_minor - t.cap_reduction_minor + t.bonus_minor - t.clawback_minor, cur);
  if (compute_time != absl::InfinitePast()) {
    *s.mutable_compute_time() = ToTs(compute_time);
  }
  *s.mutable_held() = Money(t.held_minor, cur);
  *s.mutable_released() = Money(t.released_minor, cur);
  *s.mutable_adjustment_total() = Money(t.adjustment_minor, cur);
  *s.mutable_carried_balance() = Money(t.carried_balance_minor, cur);
  *s.mutable_draw_advance() = Money(t.draw_advance_minor, cur);
  *s.mutable_draw_recovery() = Money(t.draw_recovery_minor, cur);
  *s.mutable_deferred_balance() = Money(t.deferred_balance_minor, cur);
  *s.mutable_net_payable() = Money(t.net_payable_minor, cur);
  *s.mutable_draw_balance_after() = Money(st.carry_forward.draw_balance_minor, cur);
  *s.mutable_negative_balance_after() = Money(st.carry_forward.negative_balance_minor, cur);
  for (const IgnoredFact& i : st.ignored) {
    v1::IgnoredEvent* e = s.add_ignored_events();
    e->set_event_id(i.event_id);
    e->set_reason(i.reason);
  }
  return s;
}

Statement FromStatementProto(const v1::CommissionStatement& s) {
  Statement st;
  st.statement_id = StripName(s.name());
  st.member_id = StripName(s.member());
  st.period_id = StripName(s.period());
  st.currency_code = s.net_payable().currency_code();
  st.plan_version = s.plan_version();
  for (const auto& l : s.lines()) {
    StatementLine o;
    o.line_no = l.line_number();
    o.kind = FromProtoLineKind(l.kind());
    o.source = absl::StartsWith(l.source(), "opportunities/")
                   ? absl::StrCat("deals/", l.source().substr(14))
                   : l.source();
    o.event_id = l.event_id();
    o.amount_minor = l.amount().amount_minor();
    st.lines.push_back(std::move(o));
  }
  st.totals.net_payable_minor = s.net_payable().amount_minor();
  return st;
}

StatementState FromProtoState(v1::StatementState s) {
  switch (s) {
    case v1::STATEMENT_STATE_ISSUED:
      return StatementState::kIssued;
    case v1::STATEMENT_STATE_PAID:
      return StatementState::kPaid;
    default:
      return StatementState::kDraft;
  }
}

v1::StatementState ToProtoState(StatementState s) {
  switch (s) {
    case StatementState::kIssued:
      return v1::STATEMENT_STATE_ISSUED;
    case StatementState::kPaid:
      return v1::STATEMENT_STATE_PAID;
    case StatementState::kDraft:
      return v1::STATEMENT_STATE_DRAFT;
  }
  return v1::STATEMENT_STATE_DRAFT;
}

v1::Dispute ToProtoDispute(const Dispute& d, absl::string_view statement_name,
                           absl::string_view currency) {
  v1::Dispute o;
  o.set_dispute_id(d.dispute_id);
  o.set_line_number(d.line_no);
  o.set_raised_by(MemberName(d.raised_by));
  o.set_reason(d.reason);
  *o.mutable_raise_time() = ToTs(d.raise_time);
  o.set_state(d.state == DisputeState::kAccepted   ? v1::DISPUTE_STATE_ACCEPTED
              : d.state == DisputeState::kRejected ? v1::DISPUTE_STATE_REJECTED
                                                   : v1::DISPUTE_STATE_OPEN);
  if (!d.resolved_by.empty()) {
    o.set_resolved_by(MemberName(d.resolved_by));
  }
  o.set_resolution(d.resolution);
  if (d.state == DisputeState::kAccepted) {
    *o.mutable_adjustment() = Money(d.adjustment_minor, currency);
  }
  if (d.state != DisputeState::kOpen) {
    *o.mutable_resolve_time() = ToTs(d.resolve_time);
  }
  o.set_statement(std::string(statement_name));
  return o;
}

Dispute FromProtoDispute(const v1::Dispute& o) {
  Dispute d;
  d.dispute_id = o.dispute_id();
  d.line_no = o.line_number();
  d.raised_by = StripName(o.raised_by());
  d.reason = o.reason();
  d.raise_time = FromTs(o.raise_time());
  d.state = o.state() == v1::DISPUTE_STATE_ACCEPTED   ? DisputeState::kAccepted
            : o.state() == v1::DISPUTE_STATE_REJECTED ? DisputeState::kRejected
                                                      : DisputeState::kOpen;
  d.resolved_by = StripName(o.resolved_by());
  d.resolution = o.resolution();
  d.adjustment_minor = o.adjustment().amount_minor();
  d.resolve_time = FromTs(o.resolve_time());
  return d;
}

// ---- KPIs, OKRs

bool IsMoneyMetric(v1::KpiMetric m) {
  return m == v1::KPI_METRIC_BOOKINGS || m == v1::KPI_METRIC_COLLECTIONS ||
         m == v1::KPI_METRIC_AVERAGE_DEAL_SIZE || m == v1::KPI_METRIC_OVERDUE_RECEIVABLES;
}

bool IsBasisPointMetric(v1::KpiMetric m) {
  return m == v1::KPI_METRIC_TARGET_ATTAINMENT || m == v1::KPI_METRIC_PIPELINE_COVERAGE ||
         m == v1::KPI_METRIC_WIN_RATE || m == v1::KPI_METRIC_CUSTOMER_SATISFACTION;
}

int64_t KpiValueOf(const v1::KpiValue& v) {
  switch (v.value_case()) {
    case v1::KpiValue::kMoney:
      return v.money().amount_minor();
    case v1::KpiValue::kCount:
      return v.count();
    case v1::KpiValue::kBasisPoints:
      return v.basis_points();
    case v1::KpiValue::VALUE_NOT_SET:
      return 0;
  }
  return 0;
}

v1::KpiValue MakeKpiValue(v1::KpiMetric metric, int64_t value, absl::string_view currency) {
  v1::KpiValue v;
  if (IsMoneyMetric(metric)) {
    *v.mutable_money() = Money(value, currency);
  } else if (IsBasisPointMetric(metric)) {
    v.set_basis_points(value);
  } else {
    v.set_count(value);
  }
  return v;
}

namespace {

void CheckKpiValue(Violations& v, const std::string& field, v1::KpiMetric metric,
                   const v1::KpiValue& value, bool required) {
  if (value.value_case() == v1::KpiValue::VALUE_NOT_SET) {
    if (required) {
      v.Add(field, "required");
    }
    return;
  }
  const bool want_money = IsMoneyMetric(metric);
  const bool want_bp = IsBasisPointMetric(metric);
  if (want_money && value.value_case() != v1::KpiValue::kMoney) {
    v.Add(field, "the metric is money: set money");
  } else if (want_bp && value.value_case() != v1::KpiValue::kBasisPoints) {
    v.Add(field, "the metric is a ratio: set basis_points");
  } else if (!want_money && !want_bp && value.value_case() != v1::KpiValue::kCount) {
    v.Add(field, "the metric is a count: set count");
  }
  if (KpiValueOf(value) < 0) {
    v.Add(field, "must not be negative");
  }
}

}  // namespace

absl::StatusOr<KpiDefinition> ToDomainKpi(const v1::KpiDefinition& k, absl::string_view field) {
  const std::string f(field);
  Violations v;
  CheckText(v, f + ".display_name", k.display_name(), 1, 100);
  if (k.metric() < v1::KPI_METRIC_BOOKINGS || k.metric() > v1::KPI_METRIC_CUSTOMER_SATISFACTION) {
    v.Add(f + ".metric", "required: one of the KPI_METRIC_* values");
  } else {
    CheckKpiValue(v, f + ".target", k.metric(), k.target(), true);
    if (k.target().value_case() != v1::KpiValue::VALUE_NOT_SET && KpiValueOf(k.target()) <= 0) {
      v.Add(f + ".target", "must be above 0");
    }
  }
  if (k.direction() != v1::KPI_DIRECTION_HIGHER_IS_BETTER &&
      k.direction() != v1::KPI_DIRECTION_LOWER_IS_BETTER) {
    v.Add(f + ".direction", "HIGHER_IS_BETTER or LOWER_IS_BETTER");
  }
  if (k.weight_basis_points() < 0 || k.weight_basis_points() > 10000) {
    v.Add(f + ".weight_basis_points", "must be in 0..10000");
  }
  if (k.roles_size() > 5) {
    v.Add(f + ".roles", "at most 5 role codes");
  }
  for (int i = 0; i < k.roles_size(); ++i) {
    Role r;
    if (!ParseRole(k.roles(i), &r)) {
      v.Add(absl::StrCat(f, ".roles[", i, "]"), "rep, supervisor, manager, director or admin");
    }
  }
  if (k.org_units_size() > 50) {
    v.Add(f + ".org_units", "at most 50 org units");
  }
  for (int i = 0; i < k.org_units_size(); ++i) {
    (void)ParseResourceName(v, absl::StrCat(f, ".org_units[", i, "]"), k.org_units(i), "orgUnits");
  }
  if (k.has_effective_start_date() && k.has_effective_end_date() &&
      DayOf(k.effective_end_date()) < DayOf(k.effective_start_date())) {
    v.Add(f + ".effective_end_date", "must not be before effective_start_date");
  }
  KpiDefinition d;
  d.kpi_id = StripName(k.name());
  d.display_name = k.display_name();
  d.metric = static_cast<KpiMetric>(k.metric());
  d.direction = k.direction() == v1::KPI_DIRECTION_LOWER_IS_BETTER ? KpiDirection::kLowerIsBetter
                                                                   : KpiDirection::kHigherIsBetter;
  d.weight_bp = k.weight_basis_points();
  d.target = KpiValueOf(k.target());
  const auto& c = k.curve();
  d.curve.kind = c.kind() == v1::SCORING_CURVE_KIND_PIECEWISE ? CurveKind::kPiecewise
                 : c.kind() == v1::SCORING_CURVE_KIND_STEP    ? CurveKind::kStep
                                                              : CurveKind::kLinear;
  if (c.kind() == v1::SCORING_CURVE_KIND_UNSPECIFIED && c.points_size() > 0) {
    v.Add(f + ".curve.kind", "PIECEWISE or STEP when points are given");
  }
  d.curve.floor_bp = c.floor_basis_points();
  d.curve.cap_bp = c.cap_basis_points() == 0 ? 10000 : c.cap_basis_points();
  if (c.points_size() > 50) {
    v.Add(f + ".curve.points", "at most 50 points");
  }
  for (const auto& p : c.points()) {
    d.curve.points.push_back({p.achievement_basis_points(), p.score_basis_points()});
  }
  absl::Status curve = ProtoFieldPaths(ValidateCurve(d.curve, f + ".curve"), f, f);
  for (const FieldViolation& fv : FieldViolations(curve)) {
    v.Add(fv.field, fv.description);
  }
  if (!curve.ok() && FieldViolations(curve).empty()) {
    return curve;
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return d;
}

absl::StatusOr<Okr> ToDomainOkr(const v1::Okr& o) {
  Violations v;
  CheckText(v, "okr.objective", o.objective(), 1, 200);
  if (o.key_results_size() == 0) {
    v.Add("okr.key_results", "at least one key result");
  }
  if (o.key_results_size() > kMaxKeyResults) {
    v.Add("okr.key_results", absl::StrCat("at most ", kMaxKeyResults, " key results"));
  }
  Okr d;
  d.okr_id = StripName(o.name());
  d.objective = o.objective();
  d.state = o.state() == v1::OKR_STATE_ACTIVE   ? OkrState::kActive
            : o.state() == v1::OKR_STATE_CLOSED ? OkrState::kClosed
                                                : OkrState::kDraft;
  if (d.state == OkrState::kClosed) {
    d.final_grade_bp = o.grade_basis_points();
  }
  for (int i = 0; i < o.key_results_size() && i < kMaxKeyResults; ++i) {
    const v1::KeyResult& k = o.key_results(i);
    const std::string at = absl::StrCat("okr.key_results[", i, "]");
    CheckText(v, at + ".description", k.description(), 1, 200);
    KeyResult r;
    r.key_result_id = k.key_result_id();
    r.description = k.description();
    r.weight_bp = k.weight_basis_points();
    r.source = k.source() == v1::KEY_RESULT_SOURCE_MEASURED ? ProgressSource::kMeasured
                                                            : ProgressSource::kRecorded;
    r.grade_bp = k.grade_basis_points();
    r.start_value = KpiValueOf(k.start_value());
    r.target_value = KpiValueOf(k.target_value());
    r.current_value = KpiValueOf(k.current_value());
    if (!k.kpi().empty()) {
      r.kpi_id = ParseResourceName(v, at + ".kpi", k.kpi(), "kpis");
      if (r.source != ProgressSource::kMeasured) {
        v.Add(at + ".kpi", "only for MEASURED key results");
      }
    }
    d.key_results.push_back(std::move(r));
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(ProtoFieldPaths(ValidateOkr(d, "okr"), "okr", "okr"));
  return d;
}

v1::OkrState ToProtoOkrState(OkrState s) {
  switch (s) {
    case OkrState::kDraft:
      return v1::OKR_STATE_DRAFT;
    case OkrState::kActive:
      return v1::OKR_STATE_ACTIVE;
    case OkrState::kClosed:
      return v1::OKR_STATE_CLOSED;
  }
  return v1::OKR_STATE_UNSPECIFIED;
}

v1::Scorecard ToScorecardProto(const Scorecard& c, const ScorecardConfig& config,
                               absl::string_view currency) {
  v1::Scorecard s;
  s.set_name(absl::StrCat("scorecards/", ScorecardId(c.period, c.subject)));
  s.set_subject_kind(absl::StartsWith(c.subject, "orgUnits/") ? v1::SUBJECT_KIND_ORG_UNIT
                                                              : v1::SUBJECT_KIND_MEMBER);
  s.set_subject(c.subject);
  s.set_period(PeriodName(c.period));
  for (const KpiLine& l : c.kpi_lines) {
    v1::ScorecardKpiLine* o = s.add_kpi_lines();
    const auto metric = static_cast<v1::KpiMetric>(l.metric);
    o->set_kpi(absl::StrCat("kpis/", l.kpi_id));
    o->set_display_name(l.display_name);
    *o->mutable_target() = MakeKpiValue(metric, l.target, currency);
    *o->mutable_actual() = MakeKpiValue(metric, l.value, currency);
    o->set_achievement_basis_points(l.achievement_bp);
    o->set_score_basis_points(l.score_bp);
    o->set_weight_basis_points(l.weight_bp);
    o->set_weighted_score_basis_points(l.contribution_bp);
    o->set_explanation(l.explanation);
  }
  for (const OkrLine& l : c.okr_lines) {
    v1::ScorecardOkrLine* o = s.add_okr_lines();
    o->set_okr(absl::StrCat("okrs/", l.okr_id));
    o->set_objective(l.objective);
    o->set_grade_basis_points(l.grade_bp);
    o->set_weight_basis_points(l.weight_bp);
    o->set_contribution_basis_points(l.contribution_bp);
  }
  s.set_kpi_score_basis_points(c.kpi_score_bp);
  s.set_okr_score_basis_points(c.okr_score_bp);
  s.set_kpi_share_basis_points(c.kpi_share_bp);
  s.set_total_score_basis_points(c.total_score_bp);
  s.set_rating(c.rating);
  for (const RatingBand& b : config.bands) {
    v1::RatingBand* o = s.add_rating_bands();
    o->set_min_score_basis_points(b.min_score_bp);
    o->set_label(b.label);
  }
  s.set_explanation(c.explanation);
  return s;
}

}  // namespace salesops::performance
