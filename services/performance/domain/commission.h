// The commission engine: a pure, deterministic function from a commission
// plan (its effective-dated versions), a rep's target, the rep's credit facts
// of one period (deals won, payments received, refunds, cancellations) and
// what the previous statement carried forward, to the rep's statement for the
// period: every line traced to the event, deal / contract / payment, plan
// version, rule and rate behind it, totals that are exact sums of the lines,
// and what to carry into the next period.
//
//   StatementInput in;
//   in.statement_id = "st-2025Q3-rep-1";
//   in.member_id = "rep-1";
//   in.period_start = ...; in.period_end = ...;   // [start, end)
//   in.plan_versions = {plan_v1, plan_v2};        // v2 effective from mid-period
//   in.target_minor = 1'000'000'00;
//   in.facts = facts_of_rep_1_in_q3;              // any order
//   in.carried = previous_statement.carry_forward;
//   SALESOPS_ASSIGN_OR_RETURN(Statement st, ComputeStatement(in));
//   // st.totals.net_payable_minor == sum of st.lines[i].amount_minor
//
// How a statement is computed (README.md has worked examples):
//  1. Facts are put in canonical order (time, kind, event id), so the same
//     set of facts gives the same statement whatever order they arrived in;
//     an event id seen twice with the same content counts once.
//  2. Each fact credits the rep their split share (split.h) of its amount:
//     BOOKING basis credits deals won, COLLECTION basis credits payments
//     received. A refund or cancellation of something credited in this
//     period reverses the credit (negative lines); of something credited on
//     an earlier statement, it claws the commission back (CLAWBACK lines)
//     if within the plan's clawback window.
//  3. Credits are rated against attainment (cumulative credit vs target,
//     compared in money, see ThresholdAmount) with the bands of the plan
//     version in effect at the fact's time (per product line if it has its
//     own bands): FLAT — the band finally reached rates everything;
//     MARGINAL — each slice at its own band's rate (a deal spanning two
//     bands gets two lines); RETROACTIVE — each credit at the band reached
//     when it came in, then one RETRO_ADJUSTMENT line per earlier credit
//     re-rating it to the final band, so it ends at exactly the FLAT total.
//     Accelerators multiply the rate on the revenue above their threshold;
//     a decelerator multiplies all commission when final attainment is below
//     its threshold.
//  4. Caps per deal, then per period (CAP lines); holds (commission on a deal
//     whose first instalment has not been received is HELD, released by a
//     RELEASE line on the statement where it arrives); clawbacks; bonuses
//     and SPIFFs; carried adjustments and negative balance; draw advance or
//     recovery; a negative result is carried forward.
//
// Rounding: half-even, once per line (rounding.h). Every sum is checked for
// int64 overflow (INVALID_ARGUMENT, reason AMOUNT_OVERFLOW).
// Cost: O(n log n) in the number of facts for the sort, linear after it.
// Thread-safety: pure functions over values; call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/performance/domain/rounding.h"
#include "services/performance/domain/split.h"

namespace salesops::performance {

// ---- The plan ----

// What revenue is credited to the rep.
enum class CommissionBasis { kBooking = 1, kCollection = 2 };

// How bands apply to credited revenue.
enum class TierMode {
  // The rate of the highest band reached applies to all credited revenue.
  kFlat = 1,
  // Each slice of revenue at its own band's rate (also called step).
  kMarginal = 2,
  // Like kFlat in the end, but each credit is first rated at the band reached
  // when it came in, and earlier credits are re-rated by adjustment lines.
  kRetroactive = 3,
};

// The rate for credited revenue while attainment is in [min, max).
struct CommissionBand {
  int32_t min_attainment_bp = 0;
  // 0 = no upper bound (the last band only).
  int32_t max_attainment_bp = 0;
  // 0..1'000'000 (0..100 %).
  int64_t rate_millionths = 0;
};

// Bands replacing the default ones for one product line.
struct ProductLineBands {
  std::string product_line;
  std::vector<CommissionBand> bands;
};

// The rate is multiplied by `multiplier` on revenue above the threshold.
struct Accelerator {
  int32_t above_attainment_bp = 10'000;
  // > 1'000'000 (e.g. 1'500'000 = 1.5×), at most 10'000'000.
  int64_t multiplier_millionths = kRateOne;
};

// All commission of the period is multiplied by `multiplier` when the final
// attainment is below the threshold (the lowest matching threshold wins).
struct Decelerator {
  int32_t below_attainment_bp = 0;
  // 0..999'999 (e.g. 500'000 = half rate).
  int64_t multiplier_millionths = kRateOne;
};

enum class HoldRule {
  kNone = 0,
  // Nothing payable on a deal until its first instalment is fully received.
  kUntilFirstInstalment = 1,
};

enum class BonusKind { kTeam = 1, kIndividual = 2, kSpecialContribution = 3 };

struct BonusRule {
  std::string bonus_id;  // unique within the plan
  BonusKind kind = BonusKind::kIndividual;
  // TEAM: the team's attainment; INDIVIDUAL: the rep's; paid when reached.
  int32_t min_attainment_bp = 0;
  // Fixed amount; for SPECIAL_CONTRIBUTION the most a manager may award.
  int64_t amount_minor = 0;
};

// A SPIFF: a fixed amount per deal won that meets the criteria, split like
// the deal. Applies to deals won in [start, end) whatever the basis.
struct Spiff {
  std::string spiff_id;  // unique within the plan
  // Empty = any product line.
  std::string product_line;
  // The deal's full amount (before split) must be at least this.
  int64_t min_deal_amount_minor = 0;
  int64_t amount_per_deal_minor = 0;
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  // Most deals paid per period (first in canonical order); 0 = no limit.
  int32_t max_deals_per_period = 0;
};

enum class DrawKind {
  kNone = 0,
  // Advances below the draw are recovered from later earnings above it.
  kRecoverable = 1,
  // A guarantee: advances are never recovered.
  kNonRecoverable = 2,
};

struct DrawTerms {
  DrawKind kind = DrawKind::kNone;
  // The rep is paid at least this per period (before clawbacks carried).
  int64_t amount_per_period_minor = 0;
  // Most recovered per period; 0 = no limit.
  int64_t max_recovery_per_period_minor = 0;
};

// One version of a commission plan. A plan change is a new version with a
// later effective_from; rates (bands) of a credit come from the version in
// effect at the fact's time, everything period-wide (basis, tier mode,
// accelerators, decelerators, caps, holds, clawback window, bonuses, SPIFFs,
// draw) from the version in effect at the end of the period.
struct CommissionPlan {
  std::string plan_id;
  int32_t version = 1;
  // [effective_from, effective_until).
  absl::Time effective_from = absl::InfinitePast();
  absl::Time effective_until = absl::InfiniteFuture();
  std::string currency_code = "CNY";
  CommissionBasis basis = CommissionBasis::kBooking;
  TierMode tier_mode = TierMode::kMarginal;
  // Ascending and contiguous from 0; only the last may be open-ended.
  std::vector<CommissionBand> bands;
  std::vector<ProductLineBands> product_line_bands;
  // Thresholds strictly ascending.
  std::vector<Accelerator> accelerators;
  // Thresholds strictly ascending, none above the lowest accelerator.
  std::vector<Decelerator> decelerators;
  // Most commission per deal per statement / per period (before bonuses); 0 = no cap.
  int64_t per_deal_cap_minor = 0;
  int64_t period_cap_minor = 0;
  // Commission on a credit refunded or cancelled within this many days of
  // crediting is clawed back; 0 = never.
  int32_t clawback_window_days = 0;
  HoldRule hold = HoldRule::kNone;
  std::vector<BonusRule> bonuses;
  std::vector<Spiff> spiffs;
  DrawTerms draw;
};

// Largest amount the engine accepts for any one input amount (10^15 minor
// units); sums of many are overflow-checked.
inline constexpr int64_t kMaxAmountMinor = 1'000'000'000'000'000;

// OK or INVALID_ARGUMENT with a violation per problem, named from `field`,
// e.g. "plan.bands[2].min_attainment_bp" (bands not contiguous),
// "plan.bands[0].rate_millionths" (out of 0..1'000'000),
// "plan.accelerators[1].above_attainment_bp" (not ascending).
absl::Status ValidatePlan(const CommissionPlan& plan, absl::string_view field = "plan");

// ---- Facts ----

enum class FactKind {
  kDealWon = 1,
  kPaymentReceived = 2,
  kPaymentRefunded = 3,
  kContractCancelled = 4,
};

// One event that moves a rep's credit (mapped by the API from the customers
// service's OpportunityWon, PaymentReceived, PaymentRefunded, ContractCancelled).
struct CreditFact {
  // ce_id of the event: unique per fact, the final tie-break of the order.
  std::string event_id;
  FactKind kind = FactKind::kDealWon;
  absl::Time time;
  // The deal's owner; the credited rep when `split` is empty.
  std::string member_id;
  // Required. Ties refunds and cancellations to what they undo.
  std::string deal_id;
  std::string contract_id;
  // Payments and refunds; required on COLLECTION basis.
  std::string payment_id;
  std::string product_line;
  // > 0: the deal, payment or refund amount before any split. Ignored for a
  // cancellation (everything remaining is undone).
  int64_t amount_minor = 0;
  // Split credit in millionths summing to exactly 1'000'000; empty = all to member_id.
  std::vector<CreditShare> split;
  // Payments: true when, after this payment, the deal's first instalment is
  // fully received (lifts HoldRule::kUntilFirstInstalment).
  bool first_instalment_received = false;

  bool operator==(const CreditFact&) const = default;
};

// ---- Carried between statements ----

// What a statement credited for one credit key (the deal on BOOKING basis,
// the payment on COLLECTION basis), kept while it can still be clawed back or
// released: the ledger later refunds and cancellations are matched against.
struct CreditRecord {
  std::string credit_key;
  std::string deal_id;
  std::string contract_id;
  std::string payment_id;
  std::string product_line;
  std::string statement_id;
  std::string plan_id;
  int32_t plan_version = 0;
  // The fact that created it.
  std::string event_id;
  absl::Time credit_time;
  // Refunds and cancellations before this instant claw back.
  absl::Time clawback_until;
  // The rep's credited revenue (after reversals in its own period).
  int64_t credited_minor = 0;
  // Commission attributed to it after caps, held part included.
  int64_t commission_minor = 0;
  // The part of commission_minor still held (not yet paid).
  int64_t held_minor = 0;
  // Revenue refunded since (rep's share) and commission taken back since
  // (clawed back or forfeited from the held part).
  int64_t refunded_minor = 0;
  int64_t taken_back_minor = 0;
  bool cancelled = false;
};

// A correction to pay (either sign) on the next statement: an accepted
// dispute, or a change found after a statement was issued.
struct Adjustment {
  std::string adjustment_id;
  // What it corrects, e.g. "statements/st-1/lines/7" or "disputes/d-1".
  std::string source;
  std::string original_statement_id;
  std::string reason;
  int64_t amount_minor = 0;
};

struct CarryForward {
  // Recoverable draw advanced and not yet recovered (>= 0).
  int64_t draw_balance_minor = 0;
  // A negative result of an earlier statement still to be offset (<= 0).
  int64_t negative_balance_minor = 0;
  std::vector<Adjustment> adjustments;
  std::vector<CreditRecord> credits;
};

// A special-contribution bonus awarded by a manager for this period.
struct BonusAward {
  std::string award_id;
  // A kSpecialContribution bonus of the governing plan version.
  std::string bonus_id;
  // 0 < amount <= the bonus's amount.
  int64_t amount_minor = 0;
  std::string reason;
};

struct StatementInput {
  std::string statement_id;
  std::string member_id;
  std::string period_id;
  // [period_start, period_end); every fact's time must be inside.
  absl::Time period_start;
  absl::Time period_end;
  // The effective-dated versions of the rep's plan (one plan id, distinct
  // versions, non-overlapping). One version must be in effect at the end of
  // the period and at every crediting fact's time.
  std::vector<CommissionPlan> plan_versions;
  // > 0.
  int64_t target_minor = 0;
  std::vector<CreditFact> facts;
  CarryForward carried;
  std::vector<BonusAward> awards;
  // The rep's team's attainment, for TEAM bonuses; unset = not paid.
  std::optional<int32_t> team_attainment_bp;
};

// ---- The statement ----

enum class LineKind {
  // Credited revenue × band rate (negative when a credit is reversed).
  kBase = 1,
  // Extra from an accelerator on revenue above its threshold.
  kAccelerator = 2,
  // Reduction (negative) from a decelerator.
  kDecelerator = 3,
  // RETROACTIVE mode: an earlier credit re-rated to the band finally reached.
  kRetroAdjustment = 4,
  // Negative: commission above a per-deal or per-period cap.
  kCap = 5,
  // Negative: commission held until the deal's first instalment arrives.
  kHold = 6,
  // Positive: commission held on an earlier statement, now payable.
  kRelease = 7,
  // Zero amount: held commission forfeited by a cancellation or refund (trace only).
  kHoldForfeit = 8,
  // Negative: commission paid on an earlier statement taken back.
  kClawback = 9,
  kBonus = 10,
  kSpiff = 11,
  // Either sign: carried from a dispute or a post-issue change.
  kAdjustment = 12,
  // Negative: the negative result of an earlier statement.
  kCarriedBalance = 13,
  // Positive: draw paid to bring the period up to the draw amount.
  kDrawAdvance = 14,
  // Negative: earlier recoverable draw recovered from this period's earnings.
  kDrawRecovery = 15,
  // Positive: a negative result moved to the next statement (net is then 0).
  kDeferredBalance = 16,
};

// Stable lower_snake name of a kind ("base", "retro_adjustment", …).
absl::string_view LineKindName(LineKind kind);

struct StatementLine {
  // 1-based position, stable for a given input (disputes refer to it).
  int32_t line_no = 0;
  LineKind kind = LineKind::kBase;
  // What it is about: "deals/{id}", "payments/{id}", "bonuses/{id}", "spiffs/{id}",
  // "adjustments/{id}", "plans/{id}/caps/period", "draws/{plan id}", …
  std::string source;
  // The fact behind it (empty for period-wide lines).
  std::string event_id;
  // RETRO_ADJUSTMENT: the event whose credit reached the final band;
  // CLAWBACK / RELEASE / HOLD_FORFEIT: the event that first credited it.
  std::string related_event_id;
  std::string deal_id;
  std::string contract_id;
  std::string payment_id;
  std::string product_line;
  std::string plan_id;
  int32_t plan_version = 0;
  // The rule applied, a path into the plan: "bands[1]",
  // "product_line_bands[0].bands[2]", "accelerators[0]", "decelerators[0]",
  // "per_deal_cap_minor", "period_cap_minor", "hold", "clawback_window_days",
  // "bonuses[1]", "spiffs[0]", "draw", "carried".
  std::string rule;
  // Rate applied to base_minor (millionths); 0 where no rate applies.
  int64_t rate_millionths = 0;
  // Accelerator / decelerator multiplier (millionths); 0 elsewhere.
  int64_t multiplier_millionths = 0;
  // The amount the rate applies to (credited revenue for rated lines, the
  // refunded revenue for a clawback, the pre-cap commission for a cap).
  int64_t base_minor = 0;
  // What the line adds to the statement (either sign).
  int64_t amount_minor = 0;
  // CLAWBACK / RELEASE / HOLD_FORFEIT / ADJUSTMENT: the statement it corrects.
  std::string original_statement_id;
  // A short explanation for the rep.
  std::string note;
};

// Every figure is the exact sum of the lines of its kinds; net_payable is the
// sum of all lines and equals
//   gross - cap_reduction - held + released - clawbacks + bonuses
//   + adjustments + carried_balance + draw_advance - draw_recovery + deferred.
struct StatementTotals {
  // Credited revenue net of in-period reversals, and attainment (truncated,
  // for display; bands compare money, not this figure).
  int64_t credited_revenue_minor = 0;
  int32_t attainment_bp = 0;
  // BASE + ACCELERATOR + DECELERATOR + RETRO_ADJUSTMENT.
  int64_t gross_minor = 0;
  // Positive: -sum(CAP).
  int64_t cap_reduction_minor = 0;
  // Positive: -sum(HOLD).
  int64_t held_minor = 0;
  int64_t released_minor = 0;
  // Positive: -sum(CLAWBACK).
  int64_t clawback_minor = 0;
  // BONUS + SPIFF.
  int64_t bonus_minor = 0;
  int64_t adjustment_minor = 0;
  // <= 0.
  int64_t carried_balance_minor = 0;
  int64_t draw_advance_minor = 0;
  // Positive: -sum(DRAW_RECOVERY).
  int64_t draw_recovery_minor = 0;
  // >= 0.
  int64_t deferred_balance_minor = 0;
  // What finance pays (>= 0).
  int64_t net_payable_minor = 0;
};

// A fact that moved no money, and why (so nothing is dropped silently).
struct IgnoredFact {
  std::string event_id;
  // DUPLICATE_EVENT, NOTHING_CREDITED (refund/cancellation of nothing
  // credited), OUTSIDE_CLAWBACK_WINDOW, ALREADY_TAKEN_BACK, NOT_CREDITED_ON_BASIS,
  // ZERO_SHARE (a split part below one minor unit), COLLECTED_CASH_KEPT (a
  // cancellation on COLLECTION basis: commission on cash stays until refunded).
  std::string reason;
};

struct Statement {
  std::string statement_id;
  std::string member_id;
  std::string period_id;
  std::string currency_code;
  // The governing version (in effect at the end of the period).
  std::string plan_id;
  int32_t plan_version = 0;
  TierMode tier_mode = TierMode::kMarginal;
  CommissionBasis basis = CommissionBasis::kBooking;
  int64_t target_minor = 0;
  std::vector<StatementLine> lines;
  StatementTotals totals;
  // Ledger records created or changed by this statement.
  std::vector<CreditRecord> credits;
  std::vector<IgnoredFact> ignored;
  // The input for the next period's statement.
  CarryForward carry_forward;
};

// Computes the statement (see the file comment). Errors:
//   INVALID_ARGUMENT naming the field: a bad plan version
//     ("plan_versions[i].bands[2].min_attainment_bp"), overlapping or mixed
//     plan versions, a bad fact ("facts[i].amount_minor", "facts[i].split"
//     with SPLIT_NOT_100_PERCENT, "facts[i].time" outside the period, an
//     event id reused with different content), a bad award
//     ("awards[i].amount_minor"), target <= 0, or a sum that overflows
//     (reason AMOUNT_OVERFLOW);
//   FAILED_PRECONDITION NO_EFFECTIVE_PLAN when no version is in effect at
//     the end of the period or at a crediting fact's time.
absl::StatusOr<Statement> ComputeStatement(const StatementInput& input);

}  // namespace salesops::performance
