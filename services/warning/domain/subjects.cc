#include "services/warning/domain/subjects.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

using customers::v1::OpportunityStage;
using google::protobuf::Timestamp;

bool IsOpen(OpportunityStage stage) {
  return stage >= customers::v1::OPPORTUNITY_STAGE_LEAD &&
         stage <= customers::v1::OPPORTUNITY_STAGE_CONTRACT;
}
absl::CivilDay DayOf(const common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}
bool ValidDate(const common::v1::Date& d) {
  return d.year() > 0 && d.month() >= 1 && d.month() <= 12 && d.day() >= 1 && d.day() <= 31;
}

// Re-weights the deal; true when anything changed.
bool Reweigh(const StageWeights& w, v1::SubjectState* s) {
  const int64_t weighted =
      s->closed() ? 0
                  : WeightedAmount(w, s->stage(), s->has_amount_minor() ? s->amount_minor() : 0);
  const bool changed = weighted != s->weighted_minor();
  s->set_weighted_minor(weighted);
  return changed;
}

}  // namespace

StageWeights DefaultStageWeights() {
  return {{customers::v1::OPPORTUNITY_STAGE_LEAD, 1000},
          {customers::v1::OPPORTUNITY_STAGE_QUALIFIED, 2500},
          {customers::v1::OPPORTUNITY_STAGE_PROPOSAL, 5000},
          {customers::v1::OPPORTUNITY_STAGE_NEGOTIATION, 7000},
          {customers::v1::OPPORTUNITY_STAGE_CONTRACT, 9000}};
}

absl::StatusOr<StageWeights> ParseStageWeights(absl::string_view spec, absl::string_view field) {
  static const std::vector<std::pair<std::string, OpportunityStage>> kStages = {
      {"lead", customers::v1::OPPORTUNITY_STAGE_LEAD},
      {"qualified", customers::v1::OPPORTUNITY_STAGE_QUALIFIED},
      {"proposal", customers::v1::OPPORTUNITY_STAGE_PROPOSAL},
      {"negotiation", customers::v1::OPPORTUNITY_STAGE_NEGOTIATION},
      {"contract", customers::v1::OPPORTUNITY_STAGE_CONTRACT}};
  StageWeights out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(part, ':');
    if (parts.size() != 2) {
      return InvalidField(std::string(field),
                          absl::StrCat("'", part, "' is not <stage>:<basis points>"));
    }
    std::pair<absl::string_view, absl::string_view> kv = {parts[0], parts[1]};
    auto it = std::find_if(kStages.begin(), kStages.end(),
                           [&](const auto& e) { return e.first == kv.first; });
    int64_t bp = 0;
    if (it == kStages.end()) {
      return InvalidField(std::string(field), absl::StrCat("unknown open stage '", kv.first, "'"));
    }
    if (!absl::SimpleAtoi(kv.second, &bp) || bp < 0 || bp > 10000) {
      return InvalidField(std::string(field),
                          absl::StrCat("weight of ", kv.first, " must be 0..10000 basis points"));
    }
    if (!out.emplace(it->second, bp).second) {
      return InvalidField(std::string(field), absl::StrCat(kv.first, " given twice"));
    }
  }
  if (out.size() != kStages.size()) {
    return InvalidField(std::string(field),
                        "must give a weight for each of lead, qualified, proposal, negotiation, "
                        "contract");
  }
  return out;
}

int64_t WeightedAmount(const StageWeights& weights, OpportunityStage stage, int64_t amount_minor) {
  auto it = weights.find(stage);
  if (!IsOpen(stage) || it == weights.end() || amount_minor <= 0) {
    return 0;
  }
  return static_cast<int64_t>(static_cast<__int128>(amount_minor) * it->second / 10000);
}

bool AppliesTo(v1::ConditionKind condition, v1::SubjectKind kind) {
  switch (condition) {
    case v1::CONDITION_KIND_PACE_BELOW_PLAN:
    case v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW:
    case v1::CONDITION_KIND_FORECAST_GAP:
      return kind == v1::SUBJECT_KIND_REP_PERIOD || kind == v1::SUBJECT_KIND_TEAM_PERIOD;
    case v1::CONDITION_KIND_OPPORTUNITY_STALLED:
      return kind == v1::SUBJECT_KIND_OPPORTUNITY;
    case v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED:
    case v1::CONDITION_KIND_TIER_DOWNGRADE:
      return kind == v1::SUBJECT_KIND_CUSTOMER;
    case v1::CONDITION_KIND_PAYMENT_OVERDUE:
      return kind == v1::SUBJECT_KIND_CONTRACT;
    default:
      return false;
  }
}

std::string SubjectKey(absl::string_view subject, absl::string_view period) {
  return period.empty() ? std::string(subject) : absl::StrCat(subject, "|", period);
}

bool ApplyOpportunityCreated(const customers::v1::OpportunityCreated& e, absl::Time at,
                             const StageWeights& w, v1::SubjectState* s) {
  // Creation is a deal's first event: anything recorded already is newer.
  if (s->kind() == v1::SUBJECT_KIND_OPPORTUNITY && s->stage() != 0) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_OPPORTUNITY);
  s->set_subject(e.opportunity());
  s->set_display_name(e.display_name());
  s->set_org_unit(e.team());
  s->set_rep(e.owner());
  if (!e.amount().currency_code().empty()) {
    s->set_currency_code(e.amount().currency_code());
  }
  s->set_amount_minor(e.amount().amount_minor());
  s->set_stage(e.stage());
  *s->mutable_stage_entered() = ToTs(at);
  s->set_closed(!IsOpen(e.stage()));
  Reweigh(w, s);
  return true;
}

bool ApplyStageChanged(const customers::v1::OpportunityStageChanged& e, absl::Time at,
                       const StageWeights& w, v1::SubjectState* s) {
  // An older stage change arriving after a newer one (replayed history) does not rewind.
  if (s->has_stage_entered() && FromTs(s->stage_entered()) > at && s->stage() != 0) {
    return false;
  }
  // Won and lost are final: a late stage change does not reopen the deal.
  if (s->kind() == v1::SUBJECT_KIND_OPPORTUNITY && s->closed() && !IsOpen(s->stage()) &&
      s->stage() != 0) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_OPPORTUNITY);
  s->set_subject(e.opportunity());
  if (!e.display_name().empty()) {
    s->set_display_name(e.display_name());
  }
  s->set_org_unit(e.team());
  s->set_rep(e.owner());
  if (!e.amount().currency_code().empty()) {
    s->set_currency_code(e.amount().currency_code());
  }
  if (e.has_amount()) {
    s->set_amount_minor(e.amount().amount_minor());
  }
  s->set_stage(e.to_stage());
  *s->mutable_stage_entered() = ToTs(at);
  s->set_closed(!IsOpen(e.to_stage()));
  Reweigh(w, s);
  return true;
}

bool ApplyOpportunityUpdated(const customers::v1::Opportunity& o, const StageWeights& w,
                             v1::SubjectState* s) {
  if (s->kind() != v1::SUBJECT_KIND_OPPORTUNITY) {
    return false;  // never seen created
  }
  const std::string before = s->SerializeAsString();
  s->set_display_name(o.display_name());
  s->set_org_unit(o.team());
  s->set_rep(o.owner());
  if (o.has_amount()) {
    s->set_amount_minor(o.amount().amount_minor());
  }
  Reweigh(w, s);
  return s->SerializeAsString() != before;
}

bool ApplyOpportunityClosed(absl::string_view opportunity, OpportunityStage stage,
                            v1::SubjectState* s) {
  if (s->closed() && s->stage() == stage) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_OPPORTUNITY);
  s->set_subject(std::string(opportunity));
  s->set_stage(stage);
  s->set_closed(true);
  s->set_weighted_minor(0);
  return true;
}

bool ApplyCustomerCreated(const customers::v1::Customer& c, absl::Time at, v1::SubjectState* s) {
  s->set_kind(v1::SUBJECT_KIND_CUSTOMER);
  s->set_subject(c.name());
  s->set_display_name(c.display_name());
  s->set_org_unit(c.team());
  s->set_rep(c.owner());
  s->set_tier(c.tier());
  s->set_closed(c.owner().empty());
  if (!s->has_last_activity()) {
    *s->mutable_last_activity() = c.has_last_activity_time() ? c.last_activity_time() : ToTs(at);
  }
  return true;
}

bool ApplyTierChanged(const customers::v1::CustomerTierChanged& e, v1::SubjectState* s) {
  if (s->kind() == v1::SUBJECT_KIND_CUSTOMER && s->tier() == e.new_tier()) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_CUSTOMER);
  s->set_subject(e.customer());
  if (!e.display_name().empty()) {
    s->set_display_name(e.display_name());
  }
  s->set_org_unit(e.team());
  s->set_rep(e.owner());
  s->set_previous_tier(e.old_tier());
  s->set_tier(e.new_tier());
  return true;
}

bool ApplyActivity(absl::string_view customer, absl::Time occur, v1::SubjectState* s) {
  if (s->has_last_activity() && FromTs(s->last_activity()) >= occur) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_CUSTOMER);
  s->set_subject(std::string(customer));
  *s->mutable_last_activity() = ToTs(occur);
  return true;
}

bool ApplyCustomerOwner(absl::string_view customer, absl::string_view display_name,
                        absl::string_view owner, absl::string_view team, absl::Time at,
                        v1::SubjectState* s) {
  s->set_kind(v1::SUBJECT_KIND_CUSTOMER);
  s->set_subject(std::string(customer));
  if (!display_name.empty()) {
    s->set_display_name(std::string(display_name));
  }
  s->set_rep(std::string(owner));
  s->set_org_unit(std::string(team));
  s->set_closed(owner.empty());
  // A new owner starts the neglect clock afresh.
  if (!s->has_last_activity() || FromTs(s->last_activity()) < at) {
    *s->mutable_last_activity() = ToTs(at);
  }
  return true;
}

bool ApplyCustomerReleased(absl::string_view customer, v1::SubjectState* s) {
  if (s->closed() && s->rep().empty()) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_CUSTOMER);
  s->set_subject(std::string(customer));
  s->clear_rep();
  s->set_closed(true);
  return true;
}

bool ApplyPaymentOverdue(const customers::v1::PaymentOverdue& e, absl::TimeZone tz,
                         v1::SubjectState* s) {
  s->set_kind(v1::SUBJECT_KIND_CONTRACT);
  s->set_subject(e.contract());
  if (s->display_name().empty()) {
    s->set_display_name(e.contract());
  }
  s->set_org_unit(e.team());
  s->set_rep(e.owner());
  if (!e.outstanding().currency_code().empty()) {
    s->set_currency_code(e.outstanding().currency_code());
  }
  for (const v1::OverdueInstalment& i : s->overdue()) {
    if (i.instalment_id() == e.instalment_id()) {
      return false;  // raised once per instalment
    }
  }
  v1::OverdueInstalment* i = s->add_overdue();
  i->set_instalment_id(e.instalment_id());
  *i->mutable_due_time() = ToTs(PeriodCloseTime(e.due_date(), tz));
  i->set_outstanding_minor(e.outstanding().amount_minor());
  std::sort(s->mutable_overdue()->begin(), s->mutable_overdue()->end(),
            [](const v1::OverdueInstalment& a, const v1::OverdueInstalment& b) {
              return FromTs(a.due_time()) < FromTs(b.due_time());
            });
  return true;
}

bool ApplyPaymentReceived(const customers::v1::PaymentReceived& e, v1::SubjectState* s) {
  auto* list = s->mutable_overdue();
  for (int i = 0; i < list->size(); ++i) {
    v1::OverdueInstalment& inst = list->at(i);
    if (inst.instalment_id() != e.instalment_id()) {
      continue;
    }
    // In 128 bits: event amounts are untrusted, int64 subtraction could overflow.
    const __int128 left = __int128{inst.outstanding_minor()} - e.amount().amount_minor();
    if (e.instalment_state() == customers::v1::INSTALMENT_STATE_RECEIVED || left <= 0) {
      list->DeleteSubrange(i, 1);
    } else {
      inst.set_outstanding_minor(
          static_cast<int64_t>(std::min<__int128>(left, std::numeric_limits<int64_t>::max())));
    }
    return true;
  }
  return false;
}

bool ApplyContractEnded(absl::string_view contract, v1::SubjectState* s) {
  if (s->closed()) {
    return false;
  }
  s->set_kind(v1::SUBJECT_KIND_CONTRACT);
  s->set_subject(std::string(contract));
  s->set_closed(true);
  return true;
}

std::string ForecastSubject(const forecast::v1::Forecast& f) {
  if (f.category() != forecast::v1::FORECAST_CATEGORY_PIPELINE ||
      !f.scope().product_line().empty()) {
    return "";
  }
  if (f.scope().level() == forecast::v1::FORECAST_LEVEL_MEMBER) {
    return f.scope().member();
  }
  if (f.scope().level() == forecast::v1::FORECAST_LEVEL_TEAM) {
    return f.scope().org_unit();
  }
  return "";
}

bool ApplyForecast(const forecast::v1::Forecast& f, v1::SubjectState* s) {
  const std::string subject = ForecastSubject(f);
  if (subject.empty() || f.period().empty()) {
    return false;
  }
  const v1::SubjectState before = *s;
  const bool member = f.scope().level() == forecast::v1::FORECAST_LEVEL_MEMBER;
  s->set_kind(member ? v1::SUBJECT_KIND_REP_PERIOD : v1::SUBJECT_KIND_TEAM_PERIOD);
  s->set_subject(subject);
  if (s->display_name().empty()) {
    s->set_display_name(subject);
  }
  if (!f.scope().org_unit().empty()) {
    s->set_org_unit(f.scope().org_unit());
  }
  if (member) {
    s->set_rep(f.scope().member());
  }
  s->set_period(f.period());
  if (!f.amount().currency_code().empty()) {
    s->set_currency_code(f.amount().currency_code());
  }
  if (f.provisional()) {
    // Partial (the forecast service is catching up): no gap is judged on it.
    s->clear_forecast_minor();
  } else {
    s->set_forecast_minor(f.amount().amount_minor());
  }
  s->set_forecast_target_minor(f.target().amount_minor());
  if (!ValidDate(s->period_start()) && ValidDate(f.period_start_date())) {
    *s->mutable_period_start() = f.period_start_date();
  }
  if (!ValidDate(s->period_end()) && ValidDate(f.period_end_date())) {
    *s->mutable_period_end() = f.period_end_date();
  }
  return before.SerializeAsString() != s->SerializeAsString();
}

std::string AttainmentSubject(const targets::v1::AttainmentUpdated& e) {
  if (e.level() == targets::v1::ATTAINMENT_LEVEL_REP) {
    return e.rep();
  }
  if (e.level() == targets::v1::ATTAINMENT_LEVEL_TEAM) {
    return e.team();
  }
  return "";
}

bool ApplyAttainment(const targets::v1::AttainmentUpdated& e, v1::SubjectState* s) {
  const std::string subject = AttainmentSubject(e);
  if (subject.empty()) {
    return false;
  }
  s->set_kind(e.level() == targets::v1::ATTAINMENT_LEVEL_REP ? v1::SUBJECT_KIND_REP_PERIOD
                                                             : v1::SUBJECT_KIND_TEAM_PERIOD);
  s->set_subject(subject);
  s->set_display_name(subject);
  s->set_org_unit(e.team());
  s->set_rep(e.rep());
  s->set_period(e.period());
  if (!e.target().currency_code().empty()) {
    s->set_currency_code(e.target().currency_code());
  }
  if (s->plan() != e.plan()) {
    s->clear_cells();
    s->set_plan(e.plan());
  }
  // Since targets publishes roll-ups ("members/…", "orgUnits/…": the subject's
  // totals over all its cells), one such event is the whole figure. Per-cell
  // events of older versions are summed as before, but never on top of a roll-up.
  const bool rollup = !absl::StartsWith(e.subject(), "plans/");
  const bool have_rollup = s->cells_size() == 1 && !absl::StartsWith(s->cells(0).cell(), "plans/");
  if (rollup) {
    s->clear_cells();
  } else if (have_rollup) {
    return false;
  }
  v1::CellFigures* cell = nullptr;
  for (v1::CellFigures& c : *s->mutable_cells()) {
    if (c.cell() == e.subject()) {
      cell = &c;
    }
  }
  if (cell == nullptr) {
    cell = s->add_cells();
    cell->set_cell(e.subject());
  }
  cell->set_target_minor(e.target().amount_minor());
  cell->set_actual_minor(e.actual().amount_minor());
  cell->set_expected_minor(e.expected_to_date().amount_minor());
  __int128 target = 0, actual = 0, expected = 0;
  for (const v1::CellFigures& c : s->cells()) {
    target += c.target_minor();
    actual += c.actual_minor();
    expected += c.expected_minor();
  }
  s->set_target_minor(static_cast<int64_t>(target));
  s->set_actual_minor(static_cast<int64_t>(actual));
  if (s->cells_size() == 1 || expected <= 0) {
    s->set_pace_bp(
        e.pace_basis_points());  // targets' own figure (also when nothing is expected yet)
  } else {
    s->set_pace_bp(static_cast<int64_t>(actual * 10000 / expected));
  }
  *s->mutable_period_start() = e.period_start_date();
  *s->mutable_period_end() = e.period_end_date();
  return true;
}

absl::Time PeriodCloseTime(const common::v1::Date& end, absl::TimeZone tz) {
  return absl::FromCivil(DayOf(end) + 1, tz);
}

SubjectFacts ToFacts(const v1::SubjectState& s, std::optional<int64_t> weighted_pipeline,
                     absl::Time now, absl::TimeZone tz) {
  SubjectFacts f;
  f.subject = s.subject();
  f.subject_display_name = s.display_name();
  f.org_unit = s.org_unit();
  f.rep = s.rep();
  f.period = s.period();
  if (!s.currency_code().empty()) {
    f.currency_code = s.currency_code();
  }
  f.subject_closed = s.closed();
  switch (s.kind()) {
    case v1::SUBJECT_KIND_OPPORTUNITY:
      f.stage = s.stage();
      if (s.has_stage_entered()) {
        f.stage_entered = FromTs(s.stage_entered());
      }
      if (s.has_amount_minor()) {
        f.amount_minor = s.amount_minor();
      }
      break;
    case v1::SUBJECT_KIND_CUSTOMER:
      f.tier = s.tier();
      f.previous_tier = s.previous_tier();
      if (s.has_last_activity()) {
        f.last_activity = FromTs(s.last_activity());
      }
      break;
    case v1::SUBJECT_KIND_CONTRACT:
      if (s.overdue().empty()) {
        f.overdue_amount_minor = 0;
      } else {
        f.payment_due = FromTs(s.overdue(0).due_time());
        f.overdue_amount_minor = s.overdue(0).outstanding_minor();
      }
      break;
    case v1::SUBJECT_KIND_REP_PERIOD:
    case v1::SUBJECT_KIND_TEAM_PERIOD: {
      if (s.has_pace_bp()) {
        f.pace_bp = s.pace_bp();
      }
      if (s.has_target_minor()) {
        f.target_minor = s.target_minor();
        // In 128 bits: the figures come from events, int64 subtraction could overflow.
        const __int128 remaining =
            __int128{s.target_minor()} - (s.has_actual_minor() ? s.actual_minor() : 0);
        f.target_remaining_minor = static_cast<int64_t>(
            std::clamp<__int128>(remaining, 0, std::numeric_limits<int64_t>::max()));
      }
      if (s.has_forecast_minor()) {
        f.forecast_minor = s.forecast_minor();
      }
      // A subject the targets service has not reported on yet (no booking in
      // the period) still has the plan's target through the forecast.
      if (!f.target_minor && s.has_forecast_target_minor() && s.forecast_target_minor() > 0) {
        f.target_minor = s.forecast_target_minor();
      }
      f.weighted_pipeline_minor = weighted_pipeline;
      if (ValidDate(s.period_start())) {
        const absl::CivilDay today = absl::ToCivilDay(now, tz);
        f.period_elapsed_days =
            static_cast<int32_t>(std::max<int64_t>(0, today - DayOf(s.period_start())));
        f.period_start = absl::FromCivil(DayOf(s.period_start()), tz);
        f.time_zone = tz;
      }
      if (ValidDate(s.period_end())) {
        f.period_close = PeriodCloseTime(s.period_end(), tz);
        if (now >= *f.period_close) {
          f.subject_closed = true;
        }
      }
      break;
    }
    default:
      break;
  }
  return f;
}

std::optional<absl::Time> NextChange(const v1::Rule& rule, const SubjectFacts& facts,
                                     absl::Time now) {
  if (!rule.enabled() || facts.subject_closed) {
    return std::nullopt;
  }
  const v1::Threshold& t = rule.threshold();
  const SubjectFacts& f = facts;
  std::optional<absl::Time> at;
  switch (rule.condition()) {
    case v1::CONDITION_KIND_OPPORTUNITY_STALLED: {
      if (!IsOpen(f.stage) || !f.stage_entered) {
        break;
      }
      std::optional<OpportunityStage> only = StalledRuleStage(rule);
      if (only && *only != f.stage) {
        break;
      }
      at = *f.stage_entered + absl::Hours(24) * t.days();
      break;
    }
    case v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED: {
      const int days = t.days() > 0 ? t.days() : f.visit_cadence_days.value_or(0);
      if (!f.last_activity || days <= 0) {
        break;
      }
      if (std::find(t.tiers().begin(), t.tiers().end(), f.tier) == t.tiers().end()) {
        break;
      }
      at = *f.last_activity + absl::Hours(24) * days;
      break;
    }
    case v1::CONDITION_KIND_PAYMENT_OVERDUE:
      if (!f.payment_due || f.overdue_amount_minor.value_or(0) <= 0) {
        break;
      }
      // "now > due" and whole days overdue >= days.
      // (at days = 0, "now > due" needs one second past the due instant).
      at = *f.payment_due + absl::Hours(24) * t.days() +
           (t.days() == 0 ? absl::Seconds(1) : absl::ZeroDuration());
      break;
    case v1::CONDITION_KIND_PACE_BELOW_PLAN:
    case v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW:
    case v1::CONDITION_KIND_FORECAST_GAP: {
      // The grace days ending, else the period closing (which resolves).
      // Grace days are calendar days in the business zone (as period_elapsed_days).
      std::optional<absl::Time> grace_end;
      if (f.period_start) {
        grace_end = absl::FromCivil(absl::ToCivilDay(*f.period_start, f.time_zone) + t.grace_days(),
                                    f.time_zone);
      }
      if (grace_end && *grace_end > now) {
        // A grace longer than the period: the close (which resolves) comes first.
        at = f.period_close ? std::min(*grace_end, *f.period_close) : *grace_end;
      } else if (f.period_close) {
        at = *f.period_close;
      }
      break;
    }
    default:
      break;
  }
  // The period closing resolves whatever rule watches the subject (Evaluate
  // clears a closed subject), so it is a change for every rule, not only for
  // the period conditions above.
  if (f.period_close && *f.period_close > now && (!at || *f.period_close < *at)) {
    at = *f.period_close;
  }
  if (at && *at <= now) {
    at.reset();  // already reached: only an event changes it now
  }
  return at;
}

}  // namespace salesops::warning
