#include "services/targets/store/plan_store.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
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

namespace {

// A breakdown field "a|<l>|<id>|<d>=<v>" or "a|r|<id>|m=..." (its fourth part
// makes it one): its subject, "a|<l>|<id>" (a view into `field`), and where
// the part kept in the subject's hash starts. False for a field of the plan's
// roll-up hash.
bool SplitBreakdownField(const std::string& field, absl::string_view* subject, size_t* rest) {
  if (field.rfind("a|", 0) != 0) {
    return false;
  }
  const size_t second = field.find('|', 2);
  const size_t third = second == std::string::npos ? second : field.find('|', second + 1);
  if (third == std::string::npos) {
    return false;
  }
  *subject = absl::string_view(field).substr(0, third);
  *rest = third + 1;
  return true;
}

// The subject named "a|<l>|<id>".
RollupSubject SubjectOf(absl::string_view part) {
  return {LevelFromCode(part[2]), std::string(part.substr(4))};
}

}  // namespace

std::pair<std::string, std::string> CounterLocation(const std::string& plan_id,
                                                    const std::string& field) {
  absl::string_view subject;
  size_t rest = 0;
  if (SplitBreakdownField(field, &subject, &rest)) {
    return {RollupBreakdownKey(plan_id, SubjectOf(subject)), field.substr(rest)};
  }
  return {RollupKey(plan_id), field};
}

std::vector<std::pair<std::string, std::vector<std::pair<std::string, long long>>>> CountersByHash(
    const std::string& plan_id, std::vector<std::pair<std::string, int64_t>> increments) {
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, long long>>>> out;
  std::vector<std::pair<std::string, size_t>> subjects;  // "a|<l>|<id>" → its place in out
  size_t rollup = SIZE_MAX;
  for (auto& [field, delta] : increments) {
    absl::string_view subject;
    size_t rest = 0;
    if (!SplitBreakdownField(field, &subject, &rest)) {
      if (rollup == SIZE_MAX) {
        rollup = out.size();
        out.emplace_back(RollupKey(plan_id), std::vector<std::pair<std::string, long long>>());
      }
      out[rollup].second.emplace_back(std::move(field), delta);
      continue;
    }
    auto it = std::find_if(subjects.begin(), subjects.end(),
                           [subject](const auto& known) { return known.first == subject; });
    if (it == subjects.end()) {
      it = subjects.insert(subjects.end(), {std::string(subject), out.size()});
      out.emplace_back(RollupBreakdownKey(plan_id, SubjectOf(subject)),
                       std::vector<std::pair<std::string, long long>>());
    }
    out[it->second].second.emplace_back(field.substr(rest), delta);
  }
  return out;
}

std::string BookingTuple(const RollupBooking& b) {
  return absl::StrCat(EscapeTuplePart(b.rep), "|", EscapeTuplePart(b.team), "|",
                      EscapeTuplePart(b.region), "|", EscapeTuplePart(b.product_line), "|",
                      EscapeTuplePart(b.channel), "|", EscapeTuplePart(b.customer_type));
}

bool ParseBookingTuple(absl::string_view tuple, RollupBooking* out) {
  std::vector<absl::string_view> p = absl::StrSplit(tuple, '|');
  if (p.size() != 6) {
    return false;
  }
  out->rep = UnescapeTuplePart(p[0]);
  out->team = UnescapeTuplePart(p[1]);
  out->region = UnescapeTuplePart(p[2]);
  out->product_line = UnescapeTuplePart(p[3]);
  out->channel = UnescapeTuplePart(p[4]);
  out->customer_type = UnescapeTuplePart(p[5]);
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

absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> WonByDimension(
    TargetsStore& store, const std::string& currency, absl::CivilMonth first, absl::CivilMonth last,
    absl::string_view dimension) {
  static constexpr absl::string_view kCodes[] = {"rp", "tm", "rg", "pl", "ch", "ct"};
  const auto code = std::find(std::begin(kCodes), std::end(kCodes), dimension);
  if (code == std::end(kCodes)) {
    return absl::InternalError(absl::StrCat("no booking dimension ", dimension));
  }
  std::vector<std::vector<std::string>> reads;
  for (absl::CivilMonth m = first; m <= last; ++m) {
    reads.push_back({"HGETALL", FactsKey(v1::ATTAINMENT_BASIS_BOOKING, currency, m)});
    reads.push_back({"HGETALL", BookingsKey(currency, m)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> months, store.ReadMany(reads));
  absl::flat_hash_map<std::string, int64_t> out;
  auto add = [&out](std::string value, absl::string_view amount) {
    int64_t x = 0;
    if (absl::SimpleAtoi(amount, &x)) {
      int64_t& sum = out[std::move(value)];
      if (__builtin_add_overflow(sum, x, &sum)) {
        sum = x > 0 ? INT64_MAX : INT64_MIN;
      }
    }
  };
  const std::string legacy = absl::StrCat(dimension, "=");
  for (size_t i = 0; i + 1 < months.size(); i += 2) {
    const RedisValue& facts = months[i];
    if (!facts.elements.empty()) {
      for (size_t j = 0; j + 1 < facts.elements.size(); j += 2) {
        RollupBooking b;
        if (!ParseBookingTuple(facts.elements[j].str, &b)) {
          continue;  // not ours: the tuple format is the projection's
        }
        std::string* parts[] = {&b.rep,          &b.team,    &b.region,
                                &b.product_line, &b.channel, &b.customer_type};
        add(std::move(*parts[code - std::begin(kCodes)]), facts.elements[j + 1].str);
      }
      continue;
    }
    const RedisValue& older = months[i + 1];
    for (size_t j = 0; j + 1 < older.elements.size(); j += 2) {
      if (absl::StartsWith(older.elements[j].str, legacy)) {
        add(older.elements[j].str.substr(legacy.size()), older.elements[j + 1].str);
      }
    }
  }
  return out;
}

}  // namespace salesops::targets
