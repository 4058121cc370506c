#include "services/targets/api/plan_model.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
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
    if (keys.empty()) {
      break;
    }
    std::vector<std::string> ids;
    for (const auto& k : keys) {
      ids.push_back(CellDocId(plan_id, k));
    }
    SALESOPS_ASSIGN_OR_RETURN(auto cells, store.GetMany<v1::AllocationCell>(kCell, ids));
    for (auto& c : cells) {
      out.push_back(std::move(c));
    }
    after = keys.back();
    if (keys.size() < 5000) {
      break;
    }
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

// ---------------------------------------------------------------- roll-ups

namespace salesops::targets {
namespace {

const char* BasisCode(v1::AttainmentBasis b) {
  return b == v1::ATTAINMENT_BASIS_COLLECTION ? "col" : "book";
}

char LevelChar(RollupLevel l) {
  switch (l) {
    case RollupLevel::kRep:
      return 'r';
    case RollupLevel::kTeam:
      return 't';
    case RollupLevel::kRegion:
      return 'g';
    case RollupLevel::kCompany:
      return 'c';
  }
  return 'c';
}

// '|' separates tuple parts: escape it (and the escape) inside values.
std::string Escape(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '%') {
      out += "%25";
    } else if (c == '|') {
      out += "%7C";
    } else {
      out.push_back(c);
    }
  }
  return out;
}
std::string Unescape(absl::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.substr(i, 3) == "%7C") {
      out.push_back('|');
      i += 2;
    } else if (v.substr(i, 3) == "%25") {
      out.push_back('%');
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

}  // namespace

std::string RollupKey(const std::string& plan_id) {
  return TgtKey(absl::StrCat("rollup:", plan_id));
}
std::string RollupBreakdownKey(const std::string& plan_id, const RollupSubject& s) {
  return TgtKey(
      absl::StrCat("rollup_bd:", plan_id, ":", std::string(1, LevelChar(s.level)), "|", s.id));
}
std::string FactsKey(v1::AttainmentBasis basis, const std::string& currency, absl::CivilMonth m) {
  return TgtKey(
      absl::StrFormat("facts:%s:%s:%04d-%02d", BasisCode(basis), currency, m.year(), m.month()));
}
std::string FactsRevField(v1::AttainmentBasis basis, const std::string& currency) {
  return absl::StrCat("facts:", BasisCode(basis), ":", currency);
}

std::pair<std::string, std::string> CounterLocation(const std::string& plan_id,
                                                    const std::string& field) {
  // "a|<l>|<id>|<d>=<v>": the fourth part makes it a breakdown field.
  if (field.rfind("a|", 0) == 0) {
    const size_t second = field.find('|', 2);
    const size_t third = second == std::string::npos ? second : field.find('|', second + 1);
    if (third != std::string::npos) {
      RollupSubject s;
      const char l = field[2];
      s.level = l == 'r'   ? RollupLevel::kRep
                : l == 't' ? RollupLevel::kTeam
                : l == 'g' ? RollupLevel::kRegion
                           : RollupLevel::kCompany;
      s.id = field.substr(second + 1, third - second - 1);
      return {RollupBreakdownKey(plan_id, s), field.substr(third + 1)};
    }
  }
  return {RollupKey(plan_id), field};
}

std::string BookingTuple(const RollupBooking& b) {
  return absl::StrCat(Escape(b.rep), "|", Escape(b.team), "|", Escape(b.region), "|",
                      Escape(b.product_line), "|", Escape(b.channel), "|", Escape(b.customer_type));
}

bool ParseBookingTuple(absl::string_view tuple, RollupBooking* out) {
  std::vector<absl::string_view> p = absl::StrSplit(tuple, '|');
  if (p.size() != 6) {
    return false;
  }
  out->rep = Unescape(p[0]);
  out->team = Unescape(p[1]);
  out->region = Unescape(p[2]);
  out->product_line = Unescape(p[3]);
  out->channel = Unescape(p[4]);
  out->customer_type = Unescape(p[5]);
  return true;
}

RollupBooking BookingOf(const DealFacts& d) {
  return {d.rep, d.team, d.region, d.product_line, d.channel, d.customer_type, d.amount_minor};
}

absl::StatusOr<std::shared_ptr<const PlanModel>> LoadPlanModel(TargetsStore& store,
                                                               org::OrgDirectory& directory,
                                                               const std::string& plan_id) {
  auto m = std::make_shared<PlanModel>();
  SALESOPS_ASSIGN_OR_RETURN(auto plan, store.Get<v1::TargetPlan>(kPlan, plan_id));
  if (!plan) {
    return NotFound("PLAN_NOT_FOUND", absl::StrCat(PlanName(plan_id), " does not exist"));
  }
  m->plan = std::move(plan->doc);
  m->version = plan->version;
  m->plan.set_etag(absl::StrCat(plan->version));
  SALESOPS_ASSIGN_OR_RETURN(auto period,
                            store.Get<v1::FiscalPeriod>(kPeriod, StripName(m->plan.period())));
  if (!period) {
    return FailedPrecondition(
        "PERIOD_NOT_FOUND",
        absl::StrCat(m->plan.period(), " of ", PlanName(plan_id), " does not exist"));
  }
  m->period = std::move(period->doc);
  SALESOPS_ASSIGN_OR_RETURN(auto cells, LoadCells(store, plan_id));
  std::vector<RollupCell> rc;
  absl::flat_hash_map<std::string, std::string> team_region;
  for (auto& c : cells) {
    const v1::AllocationCell& d = c.doc;
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
      SALESOPS_ASSIGN_OR_RETURN(team_region[r.team], directory.RegionOf(r.team));
    }
    m->cell_index[r.key] = m->cells.size();
    m->cells.push_back(std::move(c.doc));
    rc.push_back(std::move(r));
  }
  SALESOPS_ASSIGN_OR_RETURN(m->rollup, RollupModel::Build(std::move(rc), std::move(team_region)));
  return std::shared_ptr<const PlanModel>(std::move(m));
}

absl::StatusOr<std::shared_ptr<const PlanModel>> PlanModelCache::Get(const std::string& plan_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = models_.find(plan_id);
    if (it != models_.end()) {
      return it->second;
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const PlanModel> m,
                            LoadPlanModel(store_, directory_, plan_id));
  // Only a published (or superseded) version is frozen; a draft still changes.
  if (m->plan.state() == v1::PLAN_STATE_PUBLISHED || m->plan.state() == v1::PLAN_STATE_SUPERSEDED) {
    absl::MutexLock lock(&mu_);
    if (models_.size() >= 64) {
      models_.clear();
    }
    models_[plan_id] = m;
  }
  return m;
}

absl::StatusOr<PeriodBookings> LoadPeriodBookings(TargetsStore& store, const PlanModel& model) {
  PeriodBookings out;
  const auto& s = model.period.start_date();
  const auto& e = model.period.end_date();
  const absl::CivilMonth first(s.year(), s.month()), last(e.year(), e.month());
  const v1::AttainmentBasis basis = model.plan.attainment_basis();
  const std::string cur = model.plan.total().currency_code();
  std::vector<std::string> month_keys;
  for (absl::CivilMonth m = first; m <= last; ++m) {
    month_keys.push_back(FactsKey(basis, cur, m));
  }
  SALESOPS_ASSIGN_OR_RETURN(FactsRead facts,
                            store.ReadFacts(FactsRevField(basis, cur), month_keys));
  out.revision = facts.revision;
  for (const auto& month : facts.months) {
    for (const auto& [tuple, value] : month) {
      RollupBooking b;
      int64_t amount = 0;
      if (!ParseBookingTuple(tuple, &b) || !absl::SimpleAtoi(value, &amount)) {
        continue;  // not ours: the tuple format is the projection's
      }
      b.amount = amount;
      out.bookings.push_back(std::move(b));
    }
  }
  return out;
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

v1::Attainment RollupAttainment(const PlanModel& model, const RollupSubject& s, int64_t actual,
                                int64_t unplanned, absl::Time now, absl::TimeZone tz) {
  int64_t expected = 0;
  std::string team;
  for (const std::string& key : model.rollup.TopmostCells(s)) {
    auto it = model.cell_index.find(key);
    if (it == model.cell_index.end()) {
      continue;
    }
    const v1::AllocationCell& cell = model.cells[it->second];
    expected +=
        AttainmentOf(model.plan, model.period, cell, 0, now, tz).expected_to_date().amount_minor();
    if (team.empty() && s.level == RollupLevel::kRep) {
      team = StripName(cell.org_unit());
    }
  }
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
  }
  if (s.level == RollupLevel::kTeam) {
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
  *a.mutable_expected_to_date() = money(expected);
  *a.mutable_unplanned() = money(unplanned);
  a.set_attainment_basis_points(RatioBasisPoints(actual, target));
  a.set_pace_basis_points(expected > 0 ? RatioBasisPoints(actual, expected) : 10000);
  *a.mutable_gap_to_expected() = money(expected - actual);
  *a.mutable_remaining() = money(target - actual);
  *a.mutable_as_of() = ToTs(now);
  return a;
}

}  // namespace salesops::targets
