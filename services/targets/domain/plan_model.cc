#include "services/targets/domain/plan_model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
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
std::string StripName(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
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
  if (!dim.product_line().empty() && Tail(dim.product_line()) != d.product_line) {
    return false;
  }
  if (!dim.region().empty() && Tail(dim.region()) != d.region) {
    return false;
  }
  if (!dim.channel().empty() && dim.channel() != d.channel) {
    return false;
  }
  if (!dim.customer_type().empty() && dim.customer_type() != d.customer_type) {
    return false;
  }
  if (c.axis() == v1::ALLOCATION_AXIS_TEAM || !c.member().empty()) {
    if (!c.org_unit().empty() && Tail(c.org_unit()) != d.team) {
      return false;
    }
  }
  if (!c.member().empty() && Tail(c.member()) != d.rep) {
    return false;
  }
  return true;
}

int64_t CellExpectedToDate(const v1::FiscalPeriod& period, const v1::AllocationCell& cell,
                           absl::CivilDay today) {
  const int64_t target = cell.amount().amount_minor();
  // Expected to date from the cell's monthly phasing.
  PeriodProgress p;
  const absl::CivilDay start(period.start_date().year(), period.start_date().month(),
                             period.start_date().day());
  const absl::CivilDay end(period.end_date().year(), period.end_date().month(),
                           period.end_date().day());
  if (today < start) {
    return 0;
  }
  if (today > end) {
    return target;
  }
  if (cell.monthly_amounts().empty()) {
    return 0;
  }
  p.month_index = 0;
  int idx = 0;
  p.monthly.reserve(cell.monthly_amounts_size());
  p.days_in_month.reserve(cell.monthly_amounts_size());
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
  return ExpectedToDate(p);
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
  if (cell.axis() == v1::ALLOCATION_AXIS_TEAM || !cell.member().empty()) {
    a.set_team(cell.org_unit());
  }
  a.set_region(cell.dimensions().region());
  a.set_level(!cell.member().empty()                      ? v1::ATTAINMENT_LEVEL_REP
              : cell.axis() == v1::ALLOCATION_AXIS_TEAM   ? v1::ATTAINMENT_LEVEL_TEAM
              : cell.parent_cell().empty()                ? v1::ATTAINMENT_LEVEL_COMPANY
              : cell.axis() == v1::ALLOCATION_AXIS_REGION ? v1::ATTAINMENT_LEVEL_REGION
                                                          : v1::ATTAINMENT_LEVEL_CELL);
  a.set_basis(plan.attainment_basis());
  const std::string cur = plan.total().currency_code();
  const int64_t target = cell.amount().amount_minor();
  const int64_t expected = CellExpectedToDate(period, cell, absl::ToCivilDay(now, tz));
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

RollupBooking BookingOf(const DealFacts& d) {
  return {d.rep, d.team, d.region, d.product_line, d.channel, d.customer_type, d.amount_minor};
}

absl::StatusOr<PlanModel> BuildPlanModel(
    v1::TargetPlan plan, int64_t version, v1::FiscalPeriod period,
    std::vector<v1::AllocationCell> cells,
    const std::function<absl::StatusOr<std::string>(const std::string& team)>& region_of) {
  PlanModel model;
  model.plan = std::move(plan);
  model.version = version;
  model.period = std::move(period);
  PlanModel* m = &model;
  std::vector<RollupCell> rc;
  absl::flat_hash_map<std::string, std::string> team_region;
  for (auto& d : cells) {
    RollupCell r;
    r.key = StripName(d.name());
    r.parent = d.parent_cell().empty() ? "" : StripName(d.parent_cell());
    r.member = d.member().empty() ? "" : StripName(d.member());
    r.team_axis = d.axis() == v1::ALLOCATION_AXIS_TEAM && d.member().empty();
    if (r.team_axis || !r.member.empty()) {
      r.team = StripName(d.org_unit());
    }
    r.product_line = StripName(d.dimensions().product_line());
    r.region = StripName(d.dimensions().region());
    r.channel = d.dimensions().channel();
    r.customer_type = d.dimensions().customer_type();
    r.target = d.amount().amount_minor();
    if (!r.team.empty() && !team_region.contains(r.team)) {
      SALESOPS_ASSIGN_OR_RETURN(team_region[r.team], region_of(r.team));
    }
    m->cell_index[r.key] = m->cells.size();
    m->cells.push_back(std::move(d));
    rc.push_back(std::move(r));
  }
  SALESOPS_ASSIGN_OR_RETURN(m->rollup, RollupModel::Build(std::move(rc), std::move(team_region)));
  for (const RollupSubject& rep : m->rollup.Subjects(RollupLevel::kRep)) {
    m->rep_team[rep.id] = TeamOfTopmostCells(*m, rep);
  }
  return model;
}

std::string SubjectName(const PlanModel& model, const RollupSubject& s) {
  switch (s.level) {
    case RollupLevel::kRep:
      return absl::StrCat("members/", s.id);
    case RollupLevel::kTeam:
    case RollupLevel::kRegion:
      return absl::StrCat("orgUnits/", s.id);
    case RollupLevel::kCompany:
      return model.plan.scope();
  }
  return "";
}

v1::AttainmentLevel LevelOf(RollupLevel level) {
  switch (level) {
    case RollupLevel::kRep:
      return v1::ATTAINMENT_LEVEL_REP;
    case RollupLevel::kTeam:
      return v1::ATTAINMENT_LEVEL_TEAM;
    case RollupLevel::kRegion:
      return v1::ATTAINMENT_LEVEL_REGION;
    case RollupLevel::kCompany:
      return v1::ATTAINMENT_LEVEL_COMPANY;
  }
  return v1::ATTAINMENT_LEVEL_UNSPECIFIED;
}

std::string RepTeam(const PlanModel& model, const RollupSubject& rep) {
  auto it = model.rep_team.find(rep.id);
  return it != model.rep_team.end() ? it->second : TeamOfTopmostCells(model, rep);
}

std::string TeamOfTopmostCells(const PlanModel& model, const RollupSubject& rep) {
  for (const std::string& key : model.rollup.TopmostCells(rep)) {
    auto it = model.cell_index.find(key);
    if (it == model.cell_index.end()) {
      continue;
    }
    std::string team = StripName(model.cells[it->second].org_unit());
    if (!team.empty()) {
      return team;
    }
  }
  return "";
}

v1::Attainment RollupAttainment(const PlanModel& model, const RollupSubject& s, int64_t actual,
                                int64_t unplanned, absl::Time now, absl::TimeZone tz) {
  const absl::CivilDay today = absl::ToCivilDay(now, tz);
  const std::string subject_field = ActualField(s);
  std::optional<int64_t> expected;
  if (model.expected_memo != nullptr) {
    absl::MutexLock lock(&model.expected_memo->mu);
    auto it = model.expected_memo->by_subject.find(subject_field);
    if (it != model.expected_memo->by_subject.end() && it->second.first == today) {
      expected = it->second.second;
    }
  }
  if (!expected) {
    int64_t sum = 0;
    for (const std::string& key : model.rollup.TopmostCells(s)) {
      auto it = model.cell_index.find(key);
      if (it != model.cell_index.end()) {
        sum += CellExpectedToDate(model.period, model.cells[it->second], today);
      }
    }
    expected = sum;
    if (model.expected_memo != nullptr) {
      absl::MutexLock lock(&model.expected_memo->mu);
      model.expected_memo->by_subject[subject_field] = {today, sum};
    }
  }
  std::string team = s.level == RollupLevel::kRep ? RepTeam(model, s) : "";
  v1::Attainment a;
  a.set_plan(model.plan.name());
  a.set_period(model.plan.period());
  a.set_level(LevelOf(s.level));
  a.set_subject(SubjectName(model, s));
  a.set_basis(model.plan.attainment_basis());
  if (s.level == RollupLevel::kRep) {
    a.set_rep(a.subject());
    if (!team.empty()) {
      a.set_team(absl::StrCat("orgUnits/", team));
    }
  }
  if (s.level == RollupLevel::kTeam) {
    team = s.id;
    a.set_team(a.subject());
  }
  const std::string region =
      s.level == RollupLevel::kRegion ? s.id : model.rollup.RegionOfTeam(team);
  if (!region.empty() && s.level != RollupLevel::kCompany) {
    a.set_region(absl::StrCat("orgUnits/", region));
  }
  const std::string cur = model.plan.total().currency_code();
  auto money = [&cur](int64_t v) {
    salesops::common::v1::Money m;
    m.set_amount_minor(v);
    m.set_currency_code(cur);
    return m;
  };
  const int64_t target = model.rollup.Target(s);
  *a.mutable_target() = money(target);
  *a.mutable_actual() = money(actual);
  *a.mutable_expected_to_date() = money(*expected);
  *a.mutable_unplanned() = money(unplanned);
  a.set_attainment_basis_points(RatioBasisPoints(actual, target));
  a.set_pace_basis_points(*expected > 0 ? RatioBasisPoints(actual, *expected) : 10000);
  *a.mutable_gap_to_expected() = money(*expected - actual);
  *a.mutable_remaining() = money(target - actual);
  *a.mutable_as_of() = ToTs(now);
  return a;
}

}  // namespace salesops::targets
