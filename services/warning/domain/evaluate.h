// The pure warning evaluator: does a rule's condition hold for one subject
// right now, and what should happen to the warning already stored for that
// (rule, subject[, period]). Used both on events (a fact changed) and by the
// scheduler (time passed: stalled deals, neglected customers, overdue
// payments); both paths call the same functions, so the result depends only
// on the facts and `now`.
//
//   v1::Rule rule = EffectiveRule(stored_rule, unit_chain);
//   SALESOPS_ASSIGN_OR_RETURN(Evaluation ev, Evaluate(rule, facts, now));
//   const v1::Warning* open = store.FindActive(ev.warning.dedup_key());  // or nullptr
//   SALESOPS_ASSIGN_OR_RETURN(Reconciliation r, Reconcile(open, ev, now));
//   switch (r.action) { case Action::kRaise: ... publish WarningRaised(r.warning) ... }
//
// Idempotent by construction: one warning per dedup key while the condition
// holds; the same facts evaluated again give Action::kNone; a clearing
// condition gives kResolve once (a resolved warning is no longer active).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/warning/v1/warning_resources.pb.h"

namespace salesops::warning {

// What the projections know about one subject. Only the fields the rule's
// condition reads need to be set; an unset field the condition needs makes the
// verdict kUnknown (never a false resolve). Money is in minor units of
// `currency_code`.
struct SubjectFacts {
  // Identity and routing (copied into the warning).
  std::string subject;                 // "members/7", "opportunities/9", "customers/3", ...
  std::string subject_display_name;    // {subject} in messages; falls back to `subject`
  std::string org_unit;                // "orgUnits/{id}": the team of the subject
  std::string responsible_supervisor;  // "members/{id}"
  std::string rep;                     // "members/{id}", if any
  std::string period;                  // "fiscalPeriods/{id}" for period-based conditions
  std::string currency_code = "CNY";
  // The subject no longer exists as something to watch: opportunity closed,
  // contract paid off, period closed. Resolves with SUBJECT_CLOSED.
  bool subject_closed = false;

  // PACE_BELOW_PLAN / PIPELINE_COVERAGE_LOW / FORECAST_GAP.
  std::optional<int64_t> pace_bp;              // actual / expected-to-date, basis points
  std::optional<int32_t> period_elapsed_days;  // for grace_days
  // When the period began and when it closes (the scheduler's due times).
  std::optional<absl::Time> period_start;
  std::optional<absl::Time> period_close;
  // The business zone the period's days are counted in.
  absl::TimeZone time_zone = absl::UTCTimeZone();
  std::optional<int64_t> target_remaining_minor;
  std::optional<int64_t> weighted_pipeline_minor;
  std::optional<int64_t> forecast_minor;
  std::optional<int64_t> target_minor;

  // OPPORTUNITY_STALLED.
  customers::v1::OpportunityStage stage = customers::v1::OPPORTUNITY_STAGE_UNSPECIFIED;
  std::optional<absl::Time> stage_entered;  // last stage change
  std::optional<int64_t> amount_minor;      // opportunity amount

  // KEY_CUSTOMER_NEGLECTED / TIER_DOWNGRADE.
  customers::v1::CustomerTier tier = customers::v1::CUSTOMER_TIER_UNSPECIFIED;
  // The tier before the most recent tier change (UNSPECIFIED = never changed).
  customers::v1::CustomerTier previous_tier = customers::v1::CUSTOMER_TIER_UNSPECIFIED;
  // Last logged activity (the creation time for a customer with none).
  std::optional<absl::Time> last_activity;
  // Used when a NEGLECTED rule has days = 0.
  std::optional<int32_t> visit_cadence_days;

  // PAYMENT_OVERDUE: the oldest unpaid instalment.
  std::optional<absl::Time> payment_due;
  std::optional<int64_t> overdue_amount_minor;  // 0 = nothing outstanding (paid)
};

enum class Verdict {
  kHolds,    // the condition is true: a warning should be open
  kClear,    // the condition is false: any open warning resolves
  kUnknown,  // a needed fact is missing: leave any open warning as it is
};

struct Evaluation {
  Verdict verdict = Verdict::kUnknown;
  // For kClear: why (CONDITION_CLEARED, SUBJECT_CLOSED, RULE_CHANGED).
  v1::WarningResolution resolution = v1::WARNING_RESOLUTION_UNSPECIFIED;
  // For kUnknown: the missing fact ("facts.stage_entered").
  std::string missing;
  // The warning as it should look. Always carries rule, condition, subject and
  // dedup_key; for kHolds also severity, message, facts, routing and
  // last_evaluate_time. No name, state or raise_time (Reconcile decides).
  v1::Warning warning;
};

// "<rule>|<subject>" or "<rule>|<subject>|<period>": equal keys are the same warning.
std::string DedupKey(absl::string_view rule, absl::string_view subject, absl::string_view period);

// Evaluates an effective rule (EffectiveRule) for one subject at `now`.
// Conditions (T = the rule's threshold; days are whole 24 h periods, floored):
//   PACE_BELOW_PLAN        pace_bp < T.ratio_basis_points, from day T.grace_days
//   PIPELINE_COVERAGE_LOW  weighted_pipeline / target_remaining < T.ratio (exact,
//                          no rounding), from day T.grace_days; nothing remaining = clear
//   OPPORTUNITY_STALLED    open stage (the rule's stage, if it names one) and
//                          days since stage_entered >= T.days and amount >= T.min_amount
//   KEY_CUSTOMER_NEGLECTED tier in T.tiers and days since last_activity >= T.days
//                          (T.days = 0: visit_cadence_days)
//   PAYMENT_OVERDUE        outstanding > 0, now > payment_due, days overdue >= T.days,
//                          outstanding >= T.min_amount
//   TIER_DOWNGRADE         previous_tier in T.tiers and tier lower than previous_tier
//   FORECAST_GAP           (target - forecast) / target > T.ratio, from day T.grace_days
// "Below" is strict: a value exactly at the threshold does not fire; day
// counts fire exactly at the threshold ("for D days"). A disabled rule
// clears with RULE_CHANGED; subject_closed clears with SUBJECT_CLOSED.
// INVALID_ARGUMENT "rule.condition" / "rule.name" / "facts.subject" when the
// rule or subject is not usable at all.
// `detail`: kFull as above; kVerdictOnly leaves the warning of a verdict other
// than kHolds empty, for a caller with no active warning of the rule (to whom any
// other verdict means kNone: Reconcile(nullptr, …)), spared building its strings.
enum class Detail { kFull, kVerdictOnly };
absl::StatusOr<Evaluation> Evaluate(const v1::Rule& rule, const SubjectFacts& facts, absl::Time now,
                                    Detail detail = Detail::kFull);
// The same into `ev`, which is reset first: a caller evaluating many rules keeps
// one Evaluation instead of constructing and destroying a Warning for each.
absl::Status EvaluateInto(const v1::Rule& rule, const SubjectFacts& facts, absl::Time now,
                          Detail detail, Evaluation& ev);

enum class Action {
  kNone,     // nothing to store or publish
  kRaise,    // store a new warning, publish WarningRaised
  kUpdate,   // store the changed warning (severity, message or facts); no new warning
  kResolve,  // store it RESOLVED, publish WarningResolved
};

struct Reconciliation {
  Action action = Action::kNone;
  // The warning to store (kRaise, kUpdate, kResolve); for kNone the warning
  // as given (empty when there was none).
  v1::Warning warning;
};

// Decides what the evaluation means for the active warning of its dedup key
// (`active` = nullptr when none; a RESOLVED warning counts as none):
//   holds,   no active warning            → kRaise (state OPEN, raise_time = now)
//   holds,   active, same severity/message/facts → kNone
//   holds,   active, any of those changed  → kUpdate (state, raise_time,
//                                            acknowledgement and name kept)
//   clear,   active                       → kResolve (resolution, resolve_time = now)
//   clear or unknown, no active warning   → kNone;  unknown, active → kNone
// INVALID_ARGUMENT "warning.dedup_key" when `active` belongs to another key.
absl::StatusOr<Reconciliation> Reconcile(const v1::Warning* active, const Evaluation& evaluation,
                                         absl::Time now);

absl::string_view ActionName(Action action);  // "RAISE", "UPDATE", "RESOLVE", "NONE"

}  // namespace salesops::warning
