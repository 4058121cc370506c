#include "services/customers/domain/tiering.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"

namespace salesops::customers {
namespace {

using v1::CustomerTier;

// min(full, fact * full / scale) without overflow (fact, scale > 0).
int Ratio(int64_t fact, int64_t scale) {
  if (fact <= 0 || scale <= 0) {
    return 0;
  }
  if (fact >= scale) {
    return kFullScore;
  }
  // fact < scale here; __int128 keeps fact * 10000 exact for any int64.
  return static_cast<int>(static_cast<__int128>(fact) * kFullScore / scale);
}

}  // namespace

PurchaseFacts FactsFromDeals(const std::vector<WonDeal>& won, int64_t open_pipeline_minor,
                             absl::Time now) {
  PurchaseFacts f;
  f.open_pipeline_minor = std::max<int64_t>(0, open_pipeline_minor);
  absl::Time last = absl::InfinitePast();
  for (const WonDeal& d : won) {
    if (d.close_time > now) {
      continue;  // not yet (clock skew): ignore
    }
    last = std::max(last, d.close_time);
    if (now - d.close_time <= absl::Hours(24 * 365)) {
      f.revenue_last_12_months_minor =
          CheckedAdd(f.revenue_last_12_months_minor, std::max<int64_t>(0, d.amount_minor))
              .value_or(INT64_MAX);
      ++f.purchases_last_12_months;
    }
  }
  if (last != absl::InfinitePast()) {
    f.days_since_last_purchase = static_cast<int>((now - last) / absl::Hours(24));
  }
  return f;
}

v1::TierPolicy DefaultTierPolicy() {
  v1::TierPolicy p;
  p.set_name("tierPolicy");
  p.set_value_weight_basis_points(3000);
  p.set_recency_weight_basis_points(1500);
  p.set_frequency_weight_basis_points(1500);
  p.set_monetary_weight_basis_points(1500);
  p.set_potential_weight_basis_points(2500);
  p.set_reevaluate_every_days(7);
  p.set_currency_code("CNY");
  p.set_value_full_score_minor(500'000'000);      // ¥5,000,000 a year
  p.set_monetary_full_score_minor(100'000'000);   // ¥1,000,000 average deal
  p.set_potential_full_score_minor(300'000'000);  // ¥3,000,000 open pipeline
  p.set_frequency_full_score_count(6);
  p.set_recency_full_score_days(30);
  p.set_recency_zero_score_days(365);
  struct Row {
    CustomerTier tier;
    int min, cadence, sla;
  };
  for (Row r : {Row{v1::CUSTOMER_TIER_S, 7500, 14, 4}, Row{v1::CUSTOMER_TIER_A, 5000, 30, 8},
                Row{v1::CUSTOMER_TIER_B, 2500, 60, 24}, Row{v1::CUSTOMER_TIER_C, 0, 90, 48}}) {
    v1::TierServicePlan* plan = p.add_service_plans();
    plan->set_tier(r.tier);
    plan->set_min_total_score(r.min);
    plan->set_visit_cadence_days(r.cadence);
    plan->set_response_sla_hours(r.sla);
  }
  return p;
}

absl::Status ValidateTierPolicy(const v1::TierPolicy& p) {
  Violations v;
  const std::pair<const char*, int> weights[] = {
      {"value_weight_basis_points", p.value_weight_basis_points()},
      {"recency_weight_basis_points", p.recency_weight_basis_points()},
      {"frequency_weight_basis_points", p.frequency_weight_basis_points()},
      {"monetary_weight_basis_points", p.monetary_weight_basis_points()},
      {"potential_weight_basis_points", p.potential_weight_basis_points()}};
  int64_t sum = 0;
  bool each_ok = true;
  for (const auto& [name, w] : weights) {
    if (w < 0 || w > kFullScore) {
      v.Add(absl::StrCat("tier_policy.", name), "must be between 0 and 10000 basis points");
      each_ok = false;
    }
    sum += w;
  }
  if (each_ok && sum != kFullScore) {
    v.Add(
        "tier_policy.value_weight_basis_points",
        absl::StrCat("the five weights must sum to 10000 basis points (100 %); they sum to ", sum));
  }
  if (p.service_plans_size() != 4) {
    v.Add("tier_policy.service_plans", "exactly one plan per tier S, A, B, C");
  } else {
    for (int i = 0; i < 4; ++i) {
      const auto& plan = p.service_plans(i);
      const std::string f = absl::StrCat("tier_policy.service_plans[", i, "]");
      if (plan.tier() != static_cast<CustomerTier>(v1::CUSTOMER_TIER_S + i)) {
        v.Add(absl::StrCat(f, ".tier"), "plans must be ordered S, A, B, C");
      }
      if (plan.min_total_score() < 0 || plan.min_total_score() > kFullScore) {
        v.Add(absl::StrCat(f, ".min_total_score"), "must be between 0 and 10000");
      } else if (i > 0 && plan.min_total_score() >= p.service_plans(i - 1).min_total_score()) {
        v.Add(absl::StrCat(f, ".min_total_score"),
              "must be lower than the threshold of the tier above");
      }
      if (i == 3 && plan.min_total_score() != 0) {
        v.Add(absl::StrCat(f, ".min_total_score"),
              "tier C must start at 0 so every score has a tier");
      }
      if (plan.visit_cadence_days() < 0 || plan.visit_cadence_days() > 3650) {
        v.Add(absl::StrCat(f, ".visit_cadence_days"), "must be between 0 and 3650");
      }
      if (plan.response_sla_hours() < 0 || plan.response_sla_hours() > 24 * 365) {
        v.Add(absl::StrCat(f, ".response_sla_hours"), "must be between 0 and 8760");
      }
    }
  }
  if (p.reevaluate_every_days() < 1 || p.reevaluate_every_days() > 365) {
    v.Add("tier_policy.reevaluate_every_days", "must be between 1 and 365");
  }
  if (!IsKnownCurrency(p.currency_code())) {
    v.Add("tier_policy.currency_code", "must be an ISO 4217 code");
  }
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"value_full_score_minor", p.value_full_score_minor()},
        {"monetary_full_score_minor", p.monetary_full_score_minor()},
        {"potential_full_score_minor", p.potential_full_score_minor()},
        {"frequency_full_score_count", p.frequency_full_score_count()},
        {"recency_full_score_days", p.recency_full_score_days()}}) {
    if (value <= 0) {
      v.Add(absl::StrCat("tier_policy.", name), "must be greater than 0");
    }
  }
  if (p.recency_zero_score_days() <= p.recency_full_score_days()) {
    v.Add("tier_policy.recency_zero_score_days", "must be greater than recency_full_score_days");
  }
  return v.Finish();
}

v1::ScoreBreakdown Score(const v1::TierPolicy& p, const PurchaseFacts& f, absl::Time now) {
  v1::ScoreBreakdown s;
  s.set_value_score(Ratio(f.revenue_last_12_months_minor, p.value_full_score_minor()));
  if (f.days_since_last_purchase < 0) {
    s.set_recency_score(0);
  } else if (f.days_since_last_purchase <= p.recency_full_score_days()) {
    s.set_recency_score(kFullScore);
  } else if (f.days_since_last_purchase >= p.recency_zero_score_days()) {
    s.set_recency_score(0);
  } else {
    const int span = p.recency_zero_score_days() - p.recency_full_score_days();
    const int left = p.recency_zero_score_days() - f.days_since_last_purchase;
    s.set_recency_score(static_cast<int>(int64_t{left} * kFullScore / span));
  }
  s.set_frequency_score(Ratio(f.purchases_last_12_months, p.frequency_full_score_count()));
  const int64_t average = f.purchases_last_12_months > 0
                              ? f.revenue_last_12_months_minor / f.purchases_last_12_months
                              : 0;
  s.set_monetary_score(Ratio(average, p.monetary_full_score_minor()));
  s.set_potential_score(Ratio(f.open_pipeline_minor, p.potential_full_score_minor()));
  const int64_t weighted = int64_t{s.value_score()} * p.value_weight_basis_points() +
                           int64_t{s.recency_score()} * p.recency_weight_basis_points() +
                           int64_t{s.frequency_score()} * p.frequency_weight_basis_points() +
                           int64_t{s.monetary_score()} * p.monetary_weight_basis_points() +
                           int64_t{s.potential_score()} * p.potential_weight_basis_points();
  s.set_total_score(static_cast<int>(weighted / kFullScore));
  s.mutable_revenue_last_12_months()->set_amount_minor(f.revenue_last_12_months_minor);
  s.mutable_revenue_last_12_months()->set_currency_code(p.currency_code());
  s.set_days_since_last_purchase(f.days_since_last_purchase);
  s.set_purchases_last_12_months(f.purchases_last_12_months);
  s.mutable_open_pipeline()->set_amount_minor(f.open_pipeline_minor);
  s.mutable_open_pipeline()->set_currency_code(p.currency_code());
  s.set_policy_version(p.etag());
  *s.mutable_evaluate_time() = ToTs(now);
  return s;
}

v1::CustomerTier TierFor(const v1::TierPolicy& p, int total) {
  for (const auto& plan : p.service_plans()) {  // ordered S..C
    if (total >= plan.min_total_score()) {
      return plan.tier();
    }
  }
  return v1::CUSTOMER_TIER_C;
}

const v1::TierServicePlan* PlanFor(const v1::TierPolicy& p, v1::CustomerTier tier) {
  for (const auto& plan : p.service_plans()) {
    if (plan.tier() == tier) {
      return &plan;
    }
  }
  return nullptr;
}

bool IsDowngrade(v1::CustomerTier from, v1::CustomerTier to) {
  return from != v1::CUSTOMER_TIER_UNSPECIFIED && to != v1::CUSTOMER_TIER_UNSPECIFIED && to > from;
}

}  // namespace salesops::customers
