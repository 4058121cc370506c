// What the warning engine knows about each watched subject, as pure functions:
// other services' events folded into a SubjectState (the projection's stored
// form), a SubjectState turned into the SubjectFacts a rule is evaluated on,
// which conditions watch which kind of subject, and when time alone could
// change a verdict (the scheduler's due time). No I/O.
//
//   v1::SubjectState s;
//   ApplyOpportunityCreated(created, event.time, weights, &s);
//   SubjectFacts f = ToFacts(s, /*weighted_pipeline=*/std::nullopt, now, tz);
//   std::optional<absl::Time> due = NextChange(effective_rule, f, now);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/forecast/v1/forecast_resources.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_resources.pb.h"
#include "salesops/warning/v1/warning_store.pb.h"
#include "services/warning/domain/evaluate.h"

namespace salesops::warning {

// Win probability per open stage in basis points: the weight of a deal in its
// owner's weighted pipeline (coverage = weighted pipeline / remaining target).
using StageWeights = absl::flat_hash_map<int, int64_t>;  // OpportunityStage → bp

// lead 10 %, qualified 25 %, proposal 50 %, negotiation 70 %, contract 90 %.
StageWeights DefaultStageWeights();
// "lead:1000,qualified:2500,proposal:5000,negotiation:7000,contract:9000";
// every open stage exactly once, 0..10000. INVALID_ARGUMENT naming `field`.
absl::StatusOr<StageWeights> ParseStageWeights(absl::string_view spec, absl::string_view field);
// amount × weight / 10000, truncated; 0 for closed stages.
int64_t WeightedAmount(const StageWeights& weights, customers::v1::OpportunityStage stage,
                       int64_t amount_minor);

// Whether a condition is evaluated for a kind of subject.
bool AppliesTo(v1::ConditionKind condition, v1::SubjectKind kind);

// The stored id of a subject's state: the subject, plus "|<period>" for period subjects.
std::string SubjectKey(absl::string_view subject, absl::string_view period);

// ---- Events → state. Each returns false when the event changes nothing the
// engine watches (the caller then skips evaluation). `at` is the event time.
bool ApplyOpportunityCreated(const customers::v1::OpportunityCreated& e, absl::Time at,
                             const StageWeights& w, v1::SubjectState* s);
bool ApplyStageChanged(const customers::v1::OpportunityStageChanged& e, absl::Time at,
                       const StageWeights& w, v1::SubjectState* s);
// Amount or owner changed.
bool ApplyOpportunityUpdated(const customers::v1::Opportunity& o, const StageWeights& w,
                             v1::SubjectState* s);
// Won or lost: the deal leaves the pipeline, nothing left to watch.
bool ApplyOpportunityClosed(absl::string_view opportunity, customers::v1::OpportunityStage stage,
                            v1::SubjectState* s);

bool ApplyCustomerCreated(const customers::v1::Customer& c, absl::Time at, v1::SubjectState* s);
bool ApplyTierChanged(const customers::v1::CustomerTierChanged& e, v1::SubjectState* s);
// An activity at `occur` (later activities win; an older backfilled one does not rewind).
bool ApplyActivity(absl::string_view customer, absl::Time occur, v1::SubjectState* s);
// Claimed or handed over: new owner and team; a pool customer is watched again.
bool ApplyCustomerOwner(absl::string_view customer, absl::string_view display_name,
                        absl::string_view owner, absl::string_view team, absl::Time at,
                        v1::SubjectState* s);
bool ApplyCustomerReleased(absl::string_view customer, v1::SubjectState* s);

// Instalment due dates are business dates: due until the end of the day in `tz`.
bool ApplyPaymentOverdue(const customers::v1::PaymentOverdue& e, absl::TimeZone tz,
                         v1::SubjectState* s);
bool ApplyPaymentReceived(const customers::v1::PaymentReceived& e, v1::SubjectState* s);
bool ApplyContractEnded(absl::string_view contract, v1::SubjectState* s);

// The subject of a rep- or team-level AttainmentUpdated: the rep
// ("members/{id}") or the team ("orgUnits/{id}"); "" for other levels.
std::string AttainmentSubject(const targets::v1::AttainmentUpdated& e);
// A rep- or team-level AttainmentUpdated (other levels: false, state
// untouched). The event is about one allocation cell; the subject's figures
// are the sums over its cells of the same plan (pace = Σ actual / Σ expected
// to date), and a newer plan's figures replace an older plan's.
bool ApplyAttainment(const targets::v1::AttainmentUpdated& e, v1::SubjectState* s);

// The subject the forecast-gap rule evaluates for a forecast: the member
// ("members/{id}") of a member-level or the team ("orgUnits/{id}") of a
// team-level PIPELINE forecast over all product lines; "" for any other
// forecast (regions, the company, product lines, COMMIT / BEST_CASE).
std::string ForecastSubject(const forecast::v1::Forecast& f);
// A forecast of such a subject (from ForecastUpdated, or the figures of
// ForecastGapDetected / ForecastGapClosed): its amount and target become the
// subject's forecast facts; the period's days fill in when the subject has
// none yet. False when nothing changed or the forecast is not one the rule
// watches.
bool ApplyForecast(const forecast::v1::Forecast& f, v1::SubjectState* s);

// ---- State → facts. `weighted_pipeline` is the open weighted pipeline of the
// rep or team (period subjects only). Period subjects close the day after the
// period ends (in `tz`); period_elapsed_days counts from its first day.
SubjectFacts ToFacts(const v1::SubjectState& s, std::optional<int64_t> weighted_pipeline,
                     absl::Time now, absl::TimeZone tz);

// The earliest instant after `now` at which time alone may change the
// verdict of `rule` (already effective) on `facts`: a stall or neglect
// reaching its day count, an overdue payment its days, a period's grace days
// ending or the period closing. nullopt when no such instant exists (only an
// event can change the verdict).
std::optional<absl::Time> NextChange(const v1::Rule& rule, const SubjectFacts& facts,
                                     absl::Time now);

// The period a subject's facts are counted in closes at the start of the day
// after `end` in `tz`.
absl::Time PeriodCloseTime(const common::v1::Date& end, absl::TimeZone tz);

}  // namespace salesops::warning
