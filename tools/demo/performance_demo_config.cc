#include "tools/demo/performance_demo_config.h"

#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace salesops::demo {
namespace {

namespace pv1 = salesops::performance::v1;

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

salesops::common::v1::Date Date(absl::CivilDay d) {
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

absl::CivilDay QuarterStart(absl::CivilDay d) {
  return absl::CivilDay(absl::CivilMonth(d.year(), (d.month() - 1) / 3 * 3 + 1));
}

}  // namespace

pv1::CreateCommissionPlanRequest DemoPlan(absl::CivilDay today) {
  pv1::CreateCommissionPlanRequest req;
  req.set_commission_plan_id(kDemoPlanId);
  req.set_request_id("demo-rep-plan");
  pv1::CommissionPlan* p = req.mutable_commission_plan();
  p->set_display_name("销售代表提成方案（演示）");
  const absl::CivilDay start = QuarterStart(today);
  *p->mutable_effective_start_date() = Date(absl::CivilDay(absl::CivilMonth(start) - 36));
  p->add_roles("rep");
  p->set_basis(pv1::COMMISSION_BASIS_BOOKING);
  p->set_tier_mode(pv1::TIER_MODE_MARGINAL);
  for (const auto& [min, max, rate] : std::vector<std::tuple<int, int, int64_t>>{
           {0, 10'000, 20'000}, {10'000, 15'000, 30'000}, {15'000, 0, 40'000}}) {
    auto* b = p->add_bands();
    b->set_min_attainment_basis_points(min);
    b->set_max_attainment_basis_points(max);
    b->set_rate_millionths(rate);
  }
  auto* acc = p->add_accelerators();
  acc->set_above_attainment_basis_points(12'000);
  acc->set_multiplier_millionths(1'200'000);
  *p->mutable_per_deal_cap() = Cny(60'000'00);
  p->set_clawback_window_days(180);
  auto bonus = [&](const char* id, pv1::BonusKind kind, const char* name, int bp, int64_t amount) {
    auto* b = p->add_bonuses();
    b->set_bonus_id(id);
    b->set_kind(kind);
    b->set_display_name(name);
    b->set_min_attainment_basis_points(bp);
    *b->mutable_amount() = Cny(amount);
  };
  bonus("target-reached", pv1::BONUS_KIND_INDIVIDUAL, "季度达标奖", 10'000, 3'000'00);
  bonus("team-target", pv1::BONUS_KIND_TEAM, "团队达标奖", 10'000, 1'000'00);
  bonus("special", pv1::BONUS_KIND_SPECIAL_CONTRIBUTION, "特别贡献奖", 0, 10'000'00);
  auto* spiff = p->add_spiffs();
  spiff->set_spiff_id("security-big-deal");
  spiff->set_display_name("安全产品大单激励");
  spiff->set_product_line("orgUnits/pl-security");
  *spiff->mutable_min_deal_amount() = Cny(500'000'00);
  *spiff->mutable_amount_per_deal() = Cny(2'000'00);
  spiff->set_max_deals_per_period(3);
  *p->mutable_default_target() = Cny(2'500'000'00);
  return req;
}

std::vector<pv1::CreateKpiDefinitionRequest> DemoKpis() {
  struct K {
    const char* id;
    const char* name;
    pv1::KpiMetric metric;
    int weight;
    bool lower_is_better;
    int64_t target;
  };
  // Weights sum to 100 %; targets are one rep's quarter.
  const K kpis[] = {
      {"bookings", "签约额", pv1::KPI_METRIC_BOOKINGS, 2'500, false, 2'500'000'00},
      {"collections", "回款额", pv1::KPI_METRIC_COLLECTIONS, 1'500, false, 1'500'000'00},
      {"new-customers", "新客户数", pv1::KPI_METRIC_NEW_CUSTOMERS, 1'000, false, 3},
      {"visits", "拜访次数", pv1::KPI_METRIC_VISITS, 1'000, false, 20},
      {"activities", "跟进次数", pv1::KPI_METRIC_ACTIVITIES, 500, false, 60},
      {"win-rate", "赢单率", pv1::KPI_METRIC_WIN_RATE, 1'000, false, 4'000},
      {"deal-size", "平均单额", pv1::KPI_METRIC_AVERAGE_DEAL_SIZE, 500, false, 300'000'00},
      {"cycle-days", "销售周期（天）", pv1::KPI_METRIC_SALES_CYCLE_DAYS, 500, true, 60},
      {"overdue", "逾期应收", pv1::KPI_METRIC_OVERDUE_RECEIVABLES, 500, true, 100'000'00},
      {"csat", "客户满意度", pv1::KPI_METRIC_CUSTOMER_SATISFACTION, 1'000, false, 9'000},
  };
  std::vector<pv1::CreateKpiDefinitionRequest> out;
  for (const K& k : kpis) {
    pv1::CreateKpiDefinitionRequest req;
    req.set_kpi_definition_id(absl::StrCat("demo-", k.id));
    req.set_request_id(absl::StrCat("demo-kpi-", k.id));
    pv1::KpiDefinition* d = req.mutable_kpi_definition();
    d->set_display_name(k.name);
    d->set_metric(k.metric);
    d->set_weight_basis_points(k.weight);
    d->set_direction(k.lower_is_better ? pv1::KPI_DIRECTION_LOWER_IS_BETTER
                                       : pv1::KPI_DIRECTION_HIGHER_IS_BETTER);
    switch (k.metric) {
      case pv1::KPI_METRIC_BOOKINGS:
      case pv1::KPI_METRIC_COLLECTIONS:
      case pv1::KPI_METRIC_AVERAGE_DEAL_SIZE:
      case pv1::KPI_METRIC_OVERDUE_RECEIVABLES:
        *d->mutable_target()->mutable_money() = Cny(k.target);
        break;
      case pv1::KPI_METRIC_WIN_RATE:
      case pv1::KPI_METRIC_CUSTOMER_SATISFACTION:
        d->mutable_target()->set_basis_points(k.target);
        break;
      default:
        d->mutable_target()->set_count(k.target);
    }
    // Up to 120 % for the money KPIs, a piecewise curve for visits (half
    // marks from 50 %), a step curve for overdue receivables.
    pv1::ScoringCurve* c = d->mutable_curve();
    c->set_cap_basis_points(k.metric == pv1::KPI_METRIC_BOOKINGS ? 12'000 : 10'000);
    if (k.metric == pv1::KPI_METRIC_VISITS) {
      c->set_kind(pv1::SCORING_CURVE_KIND_PIECEWISE);
      for (auto [a, s] : std::vector<std::pair<int, int>>{{5'000, 2'500}, {10'000, 10'000}}) {
        auto* pt = c->add_points();
        pt->set_achievement_basis_points(a);
        pt->set_score_basis_points(s);
      }
    } else if (k.metric == pv1::KPI_METRIC_OVERDUE_RECEIVABLES) {
      c->set_kind(pv1::SCORING_CURVE_KIND_STEP);
      for (auto [a, s] : std::vector<std::pair<int, int>>{{5'000, 5'000}, {10'000, 10'000}}) {
        auto* pt = c->add_points();
        pt->set_achievement_basis_points(a);
        pt->set_score_basis_points(s);
      }
    } else {
      c->set_kind(pv1::SCORING_CURVE_KIND_LINEAR);
    }
    out.push_back(std::move(req));
  }
  return out;
}

std::vector<pv1::CreateOkrRequest> DemoOkrs(const DemoOrg& org, absl::CivilDay today) {
  const int q = (today.month() - 1) / 3 + 1;
  const std::string period =
      absl::StrFormat("fiscalPeriods/FY%04d-Q%d", static_cast<int>(today.year()), q);
  std::vector<pv1::CreateOkrRequest> out;
  for (const DemoRegion& r : org.regions) {
    for (const DemoTeam& t : r.teams) {
      pv1::CreateOkrRequest req;
      req.set_okr_id(absl::StrCat("demo-okr-", t.id));
      req.set_request_id(absl::StrCat("demo-okr-", t.id));
      pv1::Okr* o = req.mutable_okr();
      o->set_subject("orgUnits/" + t.id);
      o->set_period(period);
      o->set_objective(absl::StrCat(t.display_name, "：本季度拓展重点行业客户"));
      auto* measured = o->add_key_results();
      measured->set_key_result_id("kr-bookings");
      measured->set_description("团队签约额达到2500万元");
      measured->set_weight_basis_points(6'000);
      measured->set_source(pv1::KEY_RESULT_SOURCE_MEASURED);
      measured->set_kpi("kpis/demo-bookings");
      *measured->mutable_start_value()->mutable_money() = Cny(0);
      *measured->mutable_target_value()->mutable_money() = Cny(25'000'000'00);
      auto* recorded = o->add_key_results();
      recorded->set_key_result_id("kr-references");
      recorded->set_description("新增2个行业标杆案例");
      recorded->set_weight_basis_points(4'000);
      recorded->set_source(pv1::KEY_RESULT_SOURCE_RECORDED);
      out.push_back(std::move(req));
    }
  }
  return out;
}

}  // namespace salesops::demo
