#include "services/warning/domain/evaluate.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

using customers::v1::CustomerTier;
using customers::v1::OpportunityStage;

int64_t DaysBetween(absl::Time from, absl::Time to) {
  if (to <= from) {
    return 0;
  }
  absl::Duration rem;
  return absl::IDivDuration(to - from, absl::Hours(24), &rem);
}

int64_t SaturatingInt64(absl::int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) {
    return std::numeric_limits<int64_t>::max();
  }
  if (v < std::numeric_limits<int64_t>::min()) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(v);
}

// num * 10000 / den, truncated toward zero; den > 0.
int64_t BasisPoints(int64_t num, int64_t den) {
  return SaturatingInt64(absl::int128(num) * 10000 / den);
}

// `value` / `scale` with up to two decimals, trailing zeros dropped: 72.5, 3, 1.23.
std::string Decimal(int64_t value, int64_t scale) {
  const bool negative = value < 0;
  const absl::uint128 abs = negative ? absl::uint128(-absl::int128(value)) : absl::uint128(value);
  const absl::uint128 hundredths = abs * 100 / static_cast<uint64_t>(scale);
  const uint64_t whole = absl::Uint128Low64(hundredths / 100);
  const uint64_t frac = absl::Uint128Low64(hundredths % 100);
  std::string out = absl::StrCat(negative ? "-" : "", whole);
  if (frac != 0) {
    absl::StrAppend(&out, ".", frac / 10);
    if (frac % 10 != 0) {
      absl::StrAppend(&out, frac % 10);
    }
  }
  return out;
}

std::string Percent(int64_t bp) { return absl::StrCat(Decimal(bp, 100), "%"); }
std::string Times(int64_t bp) { return absl::StrCat(Decimal(bp, 10000), "×"); }

std::string FormatMoney(int64_t minor, const std::string& currency) {
  const bool negative = minor < 0;
  const absl::uint128 abs = negative ? absl::uint128(-absl::int128(minor)) : absl::uint128(minor);
  std::string digits = absl::StrCat(absl::Uint128Low64(abs / 100));
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      grouped.push_back(',');
    }
    grouped.push_back(digits[i]);
  }
  const uint64_t cents = absl::Uint128Low64(abs % 100);
  return absl::StrCat(negative ? "-" : "", grouped, ".", cents < 10 ? "0" : "", cents, " ",
                      currency.empty() ? "CNY" : currency);
}

absl::string_view TierName(CustomerTier tier) {
  switch (tier) {
    case customers::v1::CUSTOMER_TIER_S:
      return "S";
    case customers::v1::CUSTOMER_TIER_A:
      return "A";
    case customers::v1::CUSTOMER_TIER_B:
      return "B";
    case customers::v1::CUSTOMER_TIER_C:
      return "C";
    default:
      return "?";
  }
}

struct StageNames {
  absl::string_view key, zh;
};
StageNames StageNameOf(OpportunityStage stage) {
  switch (stage) {
    case customers::v1::OPPORTUNITY_STAGE_LEAD:
      return {"lead", "线索"};
    case customers::v1::OPPORTUNITY_STAGE_QUALIFIED:
      return {"qualified", "需求确认"};
    case customers::v1::OPPORTUNITY_STAGE_PROPOSAL:
      return {"proposal", "方案"};
    case customers::v1::OPPORTUNITY_STAGE_NEGOTIATION:
      return {"negotiation", "谈判"};
    case customers::v1::OPPORTUNITY_STAGE_CONTRACT:
      return {"contract", "合同"};
    case customers::v1::OPPORTUNITY_STAGE_WON:
      return {"won", "赢单"};
    case customers::v1::OPPORTUNITY_STAGE_LOST:
      return {"lost", "输单"};
    default:
      return {"unspecified", "未知"};
  }
}

bool IsOpenStage(OpportunityStage s) {
  return s >= customers::v1::OPPORTUNITY_STAGE_LEAD &&
         s <= customers::v1::OPPORTUNITY_STAGE_CONTRACT;
}

bool TierListed(const v1::Threshold& t, CustomerTier tier) {
  return std::find(t.tiers().begin(), t.tiers().end(), tier) != t.tiers().end();
}

// Collects the typed facts behind a warning and their rendered form per
// language (the values for the message templates).
class FactSink {
 public:
  explicit FactSink(v1::Warning& warning) : warning_(warning) {}

  void Text(absl::string_view key, absl::string_view zh_label, absl::string_view en_label,
            absl::string_view value, absl::string_view zh, absl::string_view en) {
    Add(key, zh_label, en_label).set_text(std::string(value));
    Render(key, std::string(zh), std::string(en));
  }
  void Count(absl::string_view key, absl::string_view zh_label, absl::string_view en_label,
             int64_t n) {
    Add(key, zh_label, en_label).set_count(n);
    std::string s = absl::StrCat(n);
    Render(key, s, s);
  }
  void Bp(absl::string_view key, absl::string_view zh_label, absl::string_view en_label, int64_t bp,
          bool as_multiple) {
    Add(key, zh_label, en_label).set_basis_points(bp);
    std::string s = as_multiple ? Times(bp) : Percent(bp);
    Render(key, s, s);
  }
  void Money(absl::string_view key, absl::string_view zh_label, absl::string_view en_label,
             int64_t minor, const std::string& currency) {
    v1::Fact& f = Add(key, zh_label, en_label);
    f.mutable_money()->set_amount_minor(minor);
    f.mutable_money()->set_currency_code(currency);
    std::string s = FormatMoney(minor, currency);
    Render(key, s, s);
  }
  void Subject(const std::string& display) { Render("subject", display, display); }

  const absl::flat_hash_map<std::string, std::string>& zh() const { return zh_; }
  const absl::flat_hash_map<std::string, std::string>& en() const { return en_; }

 private:
  v1::Fact& Add(absl::string_view key, absl::string_view zh_label, absl::string_view en_label) {
    v1::Fact* f = warning_.add_facts();
    f->set_key(std::string(key));
    f->mutable_label()->set_zh(std::string(zh_label));
    f->mutable_label()->set_en(std::string(en_label));
    return *f;
  }
  void Render(absl::string_view key, std::string zh, std::string en) {
    zh_[key] = std::move(zh);
    en_[key] = std::move(en);
  }

  v1::Warning& warning_;
  absl::flat_hash_map<std::string, std::string> zh_;
  absl::flat_hash_map<std::string, std::string> en_;
};

// The verdicts other than kHolds, set in place (an Evaluation is not copied: its
// warning is a large message, and most evaluations end here).
absl::Status Clear(Evaluation& ev, v1::WarningResolution why) {
  ev.verdict = Verdict::kClear;
  ev.resolution = why;
  ev.warning.clear_facts();
  return absl::OkStatus();
}

absl::Status Unknown(Evaluation& ev, absl::string_view missing) {
  ev.verdict = Verdict::kUnknown;
  ev.missing = absl::StrCat("facts.", missing);
  ev.warning.clear_facts();
  return absl::OkStatus();
}

bool BelowMinAmount(const v1::Threshold& t, int64_t amount) {
  return t.has_min_amount() && amount < t.min_amount().amount_minor();
}

// Whether a minimum amount in another currency makes the comparison meaningless.
bool CurrencyMismatch(const v1::Threshold& t, const std::string& currency) {
  return t.has_min_amount() && t.min_amount().amount_minor() > 0 &&
         !t.min_amount().currency_code().empty() && !currency.empty() &&
         t.min_amount().currency_code() != currency;
}

// Shared by the period conditions: the grace check. True when it decided `ev`;
// false = go on (and the days elapsed, when known, become the warning's first
// fact: Elapsed()).
bool Grace(Evaluation& ev, const v1::Threshold& t, const SubjectFacts& f) {
  if (t.grace_days() <= 0) {
    return false;
  }
  if (!f.period_elapsed_days.has_value()) {
    (void)Unknown(ev, "period_elapsed_days");
    return true;
  }
  if (*f.period_elapsed_days < t.grace_days()) {
    (void)Clear(ev, v1::WARNING_RESOLUTION_CONDITION_CLEARED);
    return true;
  }
  return false;
}

void Elapsed(const SubjectFacts& f, FactSink& sink) {
  if (f.period_elapsed_days.has_value()) {
    sink.Count("elapsed_days", "已过天数", "Days elapsed", *f.period_elapsed_days);
  }
}

bool IsPeriodCondition(v1::ConditionKind kind) {
  return kind == v1::CONDITION_KIND_PACE_BELOW_PLAN ||
         kind == v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW ||
         kind == v1::CONDITION_KIND_FORECAST_GAP;
}

}  // namespace

std::string DedupKey(absl::string_view rule, absl::string_view subject, absl::string_view period) {
  if (period.empty()) {
    return absl::StrCat(rule, "|", subject);
  }
  return absl::StrCat(rule, "|", subject, "|", period);
}

namespace {

// The verdict, and for kHolds what the warning says (Evaluate adds which warning it is).
absl::Status Judge(const v1::Rule& rule, const SubjectFacts& f, absl::Time now, Evaluation& ev) {
  const v1::ConditionKind kind = rule.condition();
  v1::Warning& w = ev.warning;
  if (!rule.enabled()) {
    return Clear(ev, v1::WARNING_RESOLUTION_RULE_CHANGED);
  }
  if (f.subject_closed) {
    return Clear(ev, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
  }

  const v1::Threshold& t = rule.threshold();
  const v1::WarningResolution cleared = v1::WARNING_RESOLUTION_CONDITION_CLEARED;
  FactSink sink(w);
  // Facts are rendered only once the condition holds: a cleared or unknown
  // verdict carries none, and most evaluations (every rule, every event) are
  // exactly that.

  switch (kind) {
    case v1::CONDITION_KIND_PACE_BELOW_PLAN: {
      if (!f.pace_bp.has_value()) {
        return Unknown(ev, "pace_bp");
      }
      if (Grace(ev, t, f)) {
        return absl::OkStatus();
      }
      if (!(*f.pace_bp < t.ratio_basis_points())) {
        return Clear(ev, cleared);
      }
      Elapsed(f, sink);
      sink.Bp("pace_pct", "进度", "Pace", *f.pace_bp, false);
      sink.Bp("threshold_pct", "阈值", "Threshold", t.ratio_basis_points(), false);
      break;
    }
    case v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW: {
      if (!f.target_remaining_minor.has_value()) {
        return Unknown(ev, "target_remaining_minor");
      }
      if (!f.weighted_pipeline_minor.has_value()) {
        return Unknown(ev, "weighted_pipeline_minor");
      }
      if (*f.target_remaining_minor <= 0) {
        return Clear(ev, cleared);  // target reached: no coverage needed
      }
      if (Grace(ev, t, f)) {
        return absl::OkStatus();
      }
      // Exact: pipeline / remaining < ratio / 10000, without rounding.
      if (!(absl::int128(*f.weighted_pipeline_minor) * 10000 <
            absl::int128(t.ratio_basis_points()) * *f.target_remaining_minor)) {
        return Clear(ev, cleared);
      }
      Elapsed(f, sink);
      sink.Bp("coverage_x", "覆盖倍数", "Coverage",
              BasisPoints(*f.weighted_pipeline_minor, *f.target_remaining_minor), true);
      sink.Bp("threshold_x", "阈值", "Threshold", t.ratio_basis_points(), true);
      sink.Money("weighted_pipeline", "加权商机", "Weighted pipeline", *f.weighted_pipeline_minor,
                 f.currency_code);
      sink.Money("target_remaining", "剩余目标", "Remaining target", *f.target_remaining_minor,
                 f.currency_code);
      break;
    }
    case v1::CONDITION_KIND_OPPORTUNITY_STALLED: {
      if (f.stage == customers::v1::OPPORTUNITY_STAGE_UNSPECIFIED) {
        return Unknown(ev, "stage");
      }
      if (!IsOpenStage(f.stage)) {
        return Clear(ev, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
      }
      if (std::optional<OpportunityStage> only = StalledRuleStage(rule);
          only.has_value() && *only != f.stage) {
        return Clear(ev, cleared);
      }
      if (!f.stage_entered.has_value()) {
        return Unknown(ev, "stage_entered");
      }
      if (t.has_min_amount() && t.min_amount().amount_minor() > 0) {
        if (!f.amount_minor.has_value()) {
          return Unknown(ev, "amount_minor");
        }
        if (CurrencyMismatch(t, f.currency_code)) {
          return Unknown(ev, "currency_code");
        }
      }
      const int64_t days = DaysBetween(*f.stage_entered, now);
      if (!(days >= t.days() &&
            !(f.amount_minor.has_value() && BelowMinAmount(t, *f.amount_minor)))) {
        return Clear(ev, cleared);
      }
      const StageNames names = StageNameOf(f.stage);
      sink.Text("stage", "阶段", "Stage", names.key, names.zh, names.key);
      sink.Count("days", "停留天数", "Days in stage", days);
      sink.Count("threshold_days", "阈值天数", "Limit (days)", t.days());
      if (f.amount_minor.has_value()) {
        sink.Money("amount", "金额", "Amount", *f.amount_minor, f.currency_code);
      }
      break;
    }
    case v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED: {
      if (f.tier == customers::v1::CUSTOMER_TIER_UNSPECIFIED) {
        return Unknown(ev, "tier");
      }
      if (!TierListed(t, f.tier)) {
        return Clear(ev, cleared);
      }
      if (!f.last_activity.has_value()) {
        return Unknown(ev, "last_activity");
      }
      int64_t limit = t.days();
      if (limit == 0) {
        if (!f.visit_cadence_days.has_value() || *f.visit_cadence_days <= 0) {
          return Unknown(ev, "visit_cadence_days");
        }
        limit = *f.visit_cadence_days;
      }
      const int64_t days = DaysBetween(*f.last_activity, now);
      if (!(days >= limit)) {
        return Clear(ev, cleared);
      }
      sink.Text("tier", "客户等级", "Tier", TierName(f.tier), TierName(f.tier), TierName(f.tier));
      sink.Count("days", "未跟进天数", "Days without activity", days);
      sink.Count("threshold_days", "阈值天数", "Limit (days)", limit);
      break;
    }
    case v1::CONDITION_KIND_PAYMENT_OVERDUE: {
      if (!f.overdue_amount_minor.has_value()) {
        return Unknown(ev, "overdue_amount_minor");
      }
      if (*f.overdue_amount_minor <= 0) {
        return Clear(ev, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);  // paid
      }
      if (!f.payment_due.has_value()) {
        return Unknown(ev, "payment_due");
      }
      if (CurrencyMismatch(t, f.currency_code)) {
        return Unknown(ev, "currency_code");
      }
      const int64_t days = DaysBetween(*f.payment_due, now);
      if (!(now > *f.payment_due && days >= t.days() &&
            !BelowMinAmount(t, *f.overdue_amount_minor))) {
        return Clear(ev, cleared);
      }
      sink.Count("days", "逾期天数", "Days overdue", days);
      sink.Count("threshold_days", "阈值天数", "Limit (days)", t.days());
      sink.Money("amount", "逾期金额", "Overdue amount", *f.overdue_amount_minor, f.currency_code);
      break;
    }
    case v1::CONDITION_KIND_TIER_DOWNGRADE: {
      if (f.tier == customers::v1::CUSTOMER_TIER_UNSPECIFIED) {
        return Unknown(ev, "tier");
      }
      // S = 1 … C = 4: a larger value is a lower tier.
      if (!(f.previous_tier != customers::v1::CUSTOMER_TIER_UNSPECIFIED &&
            TierListed(t, f.previous_tier) && f.tier > f.previous_tier)) {
        return Clear(ev, cleared);
      }
      sink.Text("from_tier", "原等级", "From tier", TierName(f.previous_tier),
                TierName(f.previous_tier), TierName(f.previous_tier));
      sink.Text("to_tier", "现等级", "To tier", TierName(f.tier), TierName(f.tier),
                TierName(f.tier));
      break;
    }
    case v1::CONDITION_KIND_FORECAST_GAP: {
      if (!f.forecast_minor.has_value()) {
        return Unknown(ev, "forecast_minor");
      }
      if (!f.target_minor.has_value()) {
        return Unknown(ev, "target_minor");
      }
      if (*f.target_minor <= 0) {
        return Clear(ev, cleared);
      }
      if (Grace(ev, t, f)) {
        return absl::OkStatus();
      }
      const absl::int128 gap = absl::int128(*f.target_minor) - *f.forecast_minor;
      if (!(gap * 10000 > absl::int128(t.ratio_basis_points()) * *f.target_minor)) {
        return Clear(ev, cleared);
      }
      Elapsed(f, sink);
      sink.Bp("gap_pct", "缺口", "Gap", SaturatingInt64(gap * 10000 / *f.target_minor), false);
      sink.Bp("threshold_pct", "阈值", "Threshold", t.ratio_basis_points(), false);
      sink.Money("forecast", "预测", "Forecast", *f.forecast_minor, f.currency_code);
      sink.Money("target", "目标", "Target", *f.target_minor, f.currency_code);
      break;
    }
    default:
      return InvalidField("rule.condition", "unknown condition");
  }

  // Here the condition holds.
  sink.Subject(f.subject_display_name.empty() ? f.subject : f.subject_display_name);
  ev.verdict = Verdict::kHolds;
  w.set_severity(rule.severity());
  w.set_subject_display_name(f.subject_display_name);
  w.set_org_unit(f.org_unit);
  w.set_responsible_supervisor(f.responsible_supervisor);
  w.set_rep(f.rep);
  w.mutable_message()->set_zh(RenderMessage(rule.message_template().zh(), sink.zh()));
  w.mutable_message()->set_en(RenderMessage(rule.message_template().en(), sink.en()));
  *w.mutable_last_evaluate_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  return absl::OkStatus();
}

}  // namespace

absl::Status EvaluateInto(const v1::Rule& rule, const SubjectFacts& f, absl::Time now,
                          Detail detail, Evaluation& ev) {
  ev.verdict = Verdict::kUnknown;
  ev.resolution = v1::WARNING_RESOLUTION_UNSPECIFIED;
  ev.missing.clear();
  ev.warning.Clear();
  const v1::ConditionKind kind = rule.condition();
  if (rule.name().empty()) {
    return InvalidField("rule.name", "must be set to evaluate a rule");
  }
  if (kind == v1::CONDITION_KIND_UNSPECIFIED || !v1::ConditionKind_IsValid(kind)) {
    return InvalidField("rule.condition", "must be set");
  }
  if (f.subject.empty()) {
    return InvalidField("facts.subject", "must name the subject");
  }
  SALESOPS_RETURN_IF_ERROR(Judge(rule, f, now, ev));
  if (detail == Detail::kVerdictOnly && ev.verdict != Verdict::kHolds) {
    return absl::OkStatus();  // most evaluations: no strings to build
  }
  v1::Warning& w = ev.warning;
  w.set_rule(rule.name());
  w.set_condition(kind);
  w.set_subject(f.subject);
  const std::string& period = IsPeriodCondition(kind) ? f.period : std::string();
  w.set_period(period);
  w.set_dedup_key(DedupKey(rule.name(), f.subject, period));
  return absl::OkStatus();
}

absl::StatusOr<Evaluation> Evaluate(const v1::Rule& rule, const SubjectFacts& f, absl::Time now,
                                    Detail detail) {
  absl::StatusOr<Evaluation> out(absl::in_place);
  SALESOPS_RETURN_IF_ERROR(EvaluateInto(rule, f, now, detail, *out));
  return out;
}

namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bool IsActive(const v1::Warning& w) {
  return w.state() == v1::WARNING_STATE_OPEN || w.state() == v1::WARNING_STATE_ACKNOWLEDGED;
}

bool SameMoney(const common::v1::Money& a, const common::v1::Money& b) {
  return a.amount_minor() == b.amount_minor() && a.currency_code() == b.currency_code();
}

// Field by field: MessageDifferencer's reflection made the steady state
// (an open warning, same facts) twice as slow as raising.
bool SameFact(const v1::Fact& a, const v1::Fact& b) {
  if (a.key() != b.key() || a.value_case() != b.value_case() || a.label().zh() != b.label().zh() ||
      a.label().en() != b.label().en()) {
    return false;
  }
  switch (a.value_case()) {
    case v1::Fact::kMoney:
      return SameMoney(a.money(), b.money());
    case v1::Fact::kBasisPoints:
      return a.basis_points() == b.basis_points();
    case v1::Fact::kCount:
      return a.count() == b.count();
    case v1::Fact::kText:
      return a.text() == b.text();
    case v1::Fact::kResource:
      return a.resource() == b.resource();
    default:  // time, date: not produced by the evaluator; compare exactly
      return google::protobuf::util::MessageDifferencer::Equals(a, b);
  }
}

bool SameFacts(const v1::Warning& a, const v1::Warning& b) {
  if (a.facts_size() != b.facts_size()) {
    return false;
  }
  for (int i = 0; i < a.facts_size(); ++i) {
    if (!SameFact(a.facts(i), b.facts(i))) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<Reconciliation> Reconcile(const v1::Warning* active, const Evaluation& ev,
                                         absl::Time now) {
  if (active != nullptr && !IsActive(*active)) {
    active = nullptr;  // resolved warnings are history, not the current one
  }
  if (active != nullptr && active->dedup_key() != ev.warning.dedup_key()) {
    return InvalidField("warning.dedup_key",
                        absl::StrCat("active warning is for ", QuoteUntrusted(active->dedup_key()),
                                     ", evaluation for ", QuoteUntrusted(ev.warning.dedup_key())));
  }
  Reconciliation r;
  switch (ev.verdict) {
    case Verdict::kHolds:
      if (active == nullptr) {
        r.action = Action::kRaise;
        r.warning = ev.warning;
        r.warning.set_state(v1::WARNING_STATE_OPEN);
        *r.warning.mutable_raise_time() = ToProto(now);
        *r.warning.mutable_last_evaluate_time() = ToProto(now);
        return r;
      }
      r.warning = *active;
      if (active->severity() == ev.warning.severity() &&
          active->message().zh() == ev.warning.message().zh() &&
          active->message().en() == ev.warning.message().en() && SameFacts(*active, ev.warning)) {
        r.action = Action::kNone;
        return r;
      }
      r.action = Action::kUpdate;
      r.warning.set_severity(ev.warning.severity());
      *r.warning.mutable_message() = ev.warning.message();
      *r.warning.mutable_facts() = ev.warning.facts();
      r.warning.set_subject_display_name(ev.warning.subject_display_name());
      r.warning.set_org_unit(ev.warning.org_unit());
      r.warning.set_responsible_supervisor(ev.warning.responsible_supervisor());
      r.warning.set_rep(ev.warning.rep());
      *r.warning.mutable_last_evaluate_time() = ToProto(now);
      return r;
    case Verdict::kClear:
      if (active == nullptr) {
        return r;
      }
      r.action = Action::kResolve;
      r.warning = *active;
      r.warning.set_state(v1::WARNING_STATE_RESOLVED);
      r.warning.set_resolution(ev.resolution == v1::WARNING_RESOLUTION_UNSPECIFIED
                                   ? v1::WARNING_RESOLUTION_CONDITION_CLEARED
                                   : ev.resolution);
      *r.warning.mutable_resolve_time() = ToProto(now);
      return r;
    case Verdict::kUnknown:
      if (active != nullptr) {
        r.warning = *active;
      }
      return r;
  }
  return r;
}

absl::string_view ActionName(Action action) {
  switch (action) {
    case Action::kNone:
      return "NONE";
    case Action::kRaise:
      return "RAISE";
    case Action::kUpdate:
      return "UPDATE";
    case Action::kResolve:
      return "RESOLVE";
  }
  return "NONE";
}

}  // namespace salesops::warning
