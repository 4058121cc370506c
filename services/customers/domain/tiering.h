// Customer tiering: a configurable scoring model (value = revenue in the last
// 12 months; purchase history as recency, frequency, monetary; potential =
// open pipeline) that maps a customer to S/A/B/C and its service plan. Every
// score is 0..10000 basis points, integer arithmetic only, so a result is
// exact and reproducible from the policy etag and the facts it records.
//
//   PurchaseFacts f = FactsFromDeals(won_deals, open_pipeline_minor, now);
//   v1::ScoreBreakdown s = Score(policy, f, now);
//   v1::CustomerTier tier = TierFor(policy, s.total_score());
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

inline constexpr int kFullScore = 10000;

// What the model reads about one customer.
struct PurchaseFacts {
  int64_t revenue_last_12_months_minor = 0;
  int purchases_last_12_months = 0;
  int days_since_last_purchase = -1;  // -1: never bought
  int64_t open_pipeline_minor = 0;
};

struct WonDeal {
  absl::Time close_time;
  int64_t amount_minor = 0;
};
// Aggregates won deals (any age) and the open pipeline into facts as of `now`.
PurchaseFacts FactsFromDeals(const std::vector<WonDeal>& won, int64_t open_pipeline_minor,
                             absl::Time now);

// The shipped default: weights 30/15/15/15/25 %, CNY scales, S ≥ 7500,
// A ≥ 5000, B ≥ 2500, C ≥ 0 with visit cadences 14/30/60/90 days.
v1::TierPolicy DefaultTierPolicy();

// INVALID_ARGUMENT naming "tier_policy.<field>": weights must be 0..10000 and
// sum to 10000; one plan per tier S, A, B, C with thresholds strictly
// descending from S and C at 0; scales positive; recency_full < recency_zero.
absl::Status ValidateTierPolicy(const v1::TierPolicy& policy);

// The component scores, weighted total and the facts behind them.
v1::ScoreBreakdown Score(const v1::TierPolicy& policy, const PurchaseFacts& facts, absl::Time now);

// The highest tier whose min_total_score the total reaches (C if none).
v1::CustomerTier TierFor(const v1::TierPolicy& policy, int total_score);
const v1::TierServicePlan* PlanFor(const v1::TierPolicy& policy, v1::CustomerTier tier);

// Whether a tier change is a downgrade (S → A is; C → B is not).
bool IsDowngrade(v1::CustomerTier from, v1::CustomerTier to);

}  // namespace salesops::customers
