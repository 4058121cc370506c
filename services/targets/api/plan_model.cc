#include "services/targets/api/plan_model.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "services/targets/domain/allocation.h"
#include "services/targets/domain/fiscal_calendar.h"

namespace salesops::targets {

std::string PlanName(const std::string& plan_id) { return absl::StrCat("plans/", plan_id); }
std::string CellName(const std::string& plan_id, const std::string& cell_key) {
  return absl::StrCat("plans/", plan_id, "/cells/", cell_key);
}
std::optional<std::pair<std::string, std::string>> ParseCellName(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "plans" || parts[2] != "cells" || parts[1].empty() ||
      parts[3].empty()) {
    return std::nullopt;
  }
  return std::make_pair(parts[1], parts[3]);
}
std::string CellDocId(const std::string& plan_id, const std::string& cell_key) {
  return absl::StrCat(plan_id, "~", cell_key);
}
std::string CellsIndex(const std::string& plan_id) {
  return TargetsStore::Index("cells:", plan_id);
}
std::string ChildrenIndex(const std::string& plan_id, const std::string& cell_key) {
  return TargetsStore::Index("children:", absl::StrCat(plan_id, "~", cell_key));
}
std::string ActualKey(const std::string& plan_id) {
  return TgtKey(absl::StrCat("actual:", plan_id));
}
std::string StripName(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

absl::StatusOr<std::vector<Versioned<v1::AllocationCell>>> LoadCells(TargetsStore& store,
                                                                     const std::string& plan_id) {
  std::vector<Versioned<v1::AllocationCell>> out;
  std::string after;
  while (true) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                              store.Range(CellsIndex(plan_id), after, 5000));
    if (keys.empty()) break;
    std::vector<std::string> ids;
    for (const auto& k : keys) ids.push_back(CellDocId(plan_id, k));
    SALESOPS_ASSIGN_OR_RETURN(auto cells, store.GetMany<v1::AllocationCell>(kCell, ids));
    for (auto& c : cells) out.push_back(std::move(c));
    after = keys.back();
    if (keys.size() < 5000) break;
  }
  return out;
}

namespace {
// The id part of "collection/id" without copying (matching runs per cell per event).
absl::string_view Tail(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? absl::string_view(name)
                                    : absl::string_view(name).substr(slash + 1);
}
}  // namespace

bool CellMatches(const v1::AllocationCell& c, const DealFacts& d) {
  const auto& dim = c.dimensions();
  if (!dim.product_line().empty() && Tail(dim.product_line()) != d.product_line) return false;
  if (!dim.region().empty() && Tail(dim.region()) != d.region) return false;
  if (!dim.channel().empty() && dim.channel() != d.channel) return false;
  if (!dim.customer_type().empty() && dim.customer_type() != d.customer_type) return false;
  if (c.axis() == v1::ALLOCATION_AXIS_TEAM || !c.member().empty()) {
    if (!c.org_unit().empty() && Tail(c.org_unit()) != d.team) return false;
  }
  if (!c.member().empty() && Tail(c.member()) != d.rep) return false;
  return true;
}


v1::Attainment AttainmentOf(const v1::TargetPlan& plan, const v1::FiscalPeriod& period,
                            const v1::AllocationCell& cell, int64_t actual, absl::Time now,
                            absl::TimeZone tz) {
  v1::Attainment a;
  a.set_plan(plan.name());
  a.set_period(plan.period());
  a.set_subject(cell.name());
  *a.mutable_dimensions() = cell.dimensions();
  a.set_rep(cell.member());
  if (cell.axis() == v1::ALLOCATION_AXIS_TEAM || !cell.member().empty())
    a.set_team(cell.org_unit());
  a.set_region(cell.dimensions().region());
  a.set_level(!cell.member().empty()                      ? v1::ATTAINMENT_LEVEL_REP
              : cell.axis() == v1::ALLOCATION_AXIS_TEAM   ? v1::ATTAINMENT_LEVEL_TEAM
              : cell.parent_cell().empty()                ? v1::ATTAINMENT_LEVEL_COMPANY
              : cell.axis() == v1::ALLOCATION_AXIS_REGION ? v1::ATTAINMENT_LEVEL_REGION
                                                          : v1::ATTAINMENT_LEVEL_CELL);
  a.set_basis(plan.attainment_basis());
  const std::string cur = plan.total().currency_code();
  const int64_t target = cell.amount().amount_minor();
  // Expected to date from the cell's monthly phasing.
  PeriodProgress p;
  const absl::CivilDay today = absl::ToCivilDay(now, tz);
  const absl::CivilDay start(period.start_date().year(), period.start_date().month(),
                             period.start_date().day());
  const absl::CivilDay end(period.end_date().year(), period.end_date().month(),
                           period.end_date().day());
  p.month_index = 0;
  int idx = 0;
  for (const auto& m : cell.monthly_amounts()) {
    p.monthly.push_back(m.amount().amount_minor());
    const absl::CivilMonth cm(m.year(), m.month());
    p.days_in_month.push_back(DaysIn(cm));
    if (absl::CivilMonth(today) > cm) {
      p.month_index = idx + 1;
      p.day_of_month = 0;
    } else if (absl::CivilMonth(today) == cm) {
      p.month_index = idx;
      p.day_of_month = today.day();
    }
    ++idx;
  }
  int64_t expected = 0;
  if (today < start) {
    expected = 0;
  } else if (today > end || p.monthly.empty()) {
    expected = today > end ? target : 0;
  } else {
    expected = ExpectedToDate(p);
  }
  auto money = [&cur](int64_t v) {
    salesops::common::v1::Money m;
    m.set_amount_minor(v);
    m.set_currency_code(cur);
    return m;
  };
  *a.mutable_target() = money(target);
  *a.mutable_actual() = money(actual);
  *a.mutable_expected_to_date() = money(expected);
  a.set_attainment_basis_points(RatioBasisPoints(actual, target));
  a.set_pace_basis_points(expected > 0 ? RatioBasisPoints(actual, expected) : 10000);
  *a.mutable_gap_to_expected() = money(expected - actual);
  *a.mutable_remaining() = money(target - actual);
  *a.mutable_as_of() = ToTs(now);
  return a;
}

}  // namespace salesops::targets
