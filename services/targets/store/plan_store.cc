#include "services/targets/store/plan_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops::targets {

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

const char* BasisCode(v1::AttainmentBasis b) {
  return b == v1::ATTAINMENT_BASIS_COLLECTION ? "col" : "book";
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
      absl::StrCat("rollup_bd:", plan_id, ":", std::string(1, LevelCode(s.level)), "|", s.id));
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
      s.level = LevelFromCode(field[2]);
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
  std::vector<v1::AllocationCell> docs;
  docs.reserve(cells.size());
  for (auto& c : cells) {
    docs.push_back(std::move(c.doc));
  }
  SALESOPS_ASSIGN_OR_RETURN(
      PlanModel built,
      BuildPlanModel(std::move(m->plan), m->version, std::move(m->period), std::move(docs),
                     [&directory](const std::string& team) { return directory.RegionOf(team); }));
  *m = std::move(built);
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

}  // namespace salesops::targets
