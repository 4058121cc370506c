// Fuzzes the targets domain (services/targets/domain): Allocate (largest
// remainder with locked cells), Phase (seasonality), ExpectedToDate and
// RatioBasisPoints (pace), SuggestMoves (re-allocation) and the fiscal
// calendar, with fuzzed amounts up to the int64 limits.
//
// Invariants: no crash and no UB; errors are INVALID_ARGUMENT naming a field,
// or FAILED_PRECONDITION with a stable reason, never anything else, and their
// messages are valid UTF-8. When OK: Allocate's parts sum exactly to the total,
// keep locked cells, give every unlocked cell the floor or ceiling of its exact
// share (zero weight ⇒ 0, never negative) and do not depend on the input order;
// Phase's months sum exactly to the amount, are never negative, and earlier
// months win ties; expected-to-date stays within 0..sum of the months and grows
// with the day; moves are positive, at most max_moves, never touch locked
// cells, never push a giver below max(actual, projection) nor a taker above its
// projection, and do not depend on the input order; a fiscal quarter contains
// its day, has its three months and its days, and the next quarter starts the
// day after.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status/errors.h"
#include "common/validation/validation.h"
#include "services/targets/domain/allocation.h"
#include "services/targets/domain/fiscal_calendar.h"

namespace {

using namespace salesops;
using namespace salesops::targets;
using Int128 = __int128;

void Check(bool invariant) {
  if (!invariant) {
    __builtin_trap();
  }
}

void CheckError(const absl::Status& s) {
  Check(!s.ok());
  Check(Utf8Length(s.message()) >= 0);  // it travels in proto string fields
  const std::string reason = ErrorReason(s);
  if (s.code() == absl::StatusCode::kInvalidArgument) {
    const std::vector<FieldViolation> fv = FieldViolations(s);
    Check(!fv.empty());
    for (const FieldViolation& v : fv) {
      Check(!v.field.empty() && !v.description.empty());
    }
    return;
  }
  Check(s.code() == absl::StatusCode::kFailedPrecondition);
  Check(reason == "LOCKED_EXCEEDS_TOTAL" || reason == "ALL_WEIGHTS_ZERO");
}

// Amounts near the interesting edges: 0, small, large, int64 extremes.
int64_t Amount(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return in.ConsumeIntegralInRange<int64_t>(-3, 1000);
    case 1:
      return in.ConsumeIntegralInRange<int64_t>(0, 100'000'000'000'000);
    case 2:
      return std::numeric_limits<int64_t>::max() - in.ConsumeIntegralInRange<int64_t>(0, 3);
    default:
      return in.ConsumeIntegral<int64_t>();
  }
}

// A permutation of 0..n-1 from the fuzzer.
std::vector<size_t> Permutation(FuzzedDataProvider& in, size_t n) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) {
    p[i] = i;
  }
  for (size_t i = n; i > 1; --i) {
    std::swap(p[i - 1], p[in.ConsumeIntegralInRange<size_t>(0, i - 1)]);
  }
  return p;
}

void FuzzAllocate(FuzzedDataProvider& in) {
  const int64_t total = Amount(in);
  std::vector<Share> shares(in.ConsumeIntegralInRange(0, 40));
  const bool unique_keys = in.ConsumeBool();
  for (size_t i = 0; i < shares.size(); ++i) {
    Share& s = shares[i];
    s.key = unique_keys ? absl::StrCat("rep-", i) : in.PickValueInArray({"a", "b", "c", ""});
    s.weight = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-1, 10) : Amount(in);
    if (in.ConsumeIntegralInRange(0, 3) == 0) {
      s.locked = Amount(in);
    }
  }
  absl::StatusOr<std::vector<int64_t>> parts = Allocate(total, shares, "inputs");
  if (!parts.ok()) {
    CheckError(parts.status());
    if (total < 0 && !shares.empty()) {
      Check(parts.status().code() == absl::StatusCode::kInvalidArgument);
    }
    return;
  }
  Check(total >= 0 && parts->size() == shares.size());
  Int128 sum = 0, locked = 0, weights = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    sum += (*parts)[i];
    if (shares[i].locked) {
      locked += *shares[i].locked;
    } else {
      weights += shares[i].weight;
    }
  }
  Check(sum == total);
  const Int128 remaining = total - locked;
  for (size_t i = 0; i < shares.size(); ++i) {
    const int64_t part = (*parts)[i];
    if (shares[i].locked) {
      Check(part == *shares[i].locked);
      continue;
    }
    Check(part >= 0);
    if (shares[i].weight == 0 || remaining == 0) {
      Check(part == 0);
      continue;
    }
    const Int128 exact = remaining * shares[i].weight;  // < 2^126
    const Int128 floor = exact / weights;
    Check(part == floor || (part == floor + 1 && exact % weights != 0));
  }
  // Same input in another order ⇒ same part per key.
  const std::vector<size_t> perm = Permutation(in, shares.size());
  std::vector<Share> shuffled;
  for (size_t i : perm) {
    shuffled.push_back(shares[i]);
  }
  absl::StatusOr<std::vector<int64_t>> again = Allocate(total, shuffled, "inputs");
  Check(again.ok());
  for (size_t k = 0; k < perm.size(); ++k) {
    Check((*again)[k] == (*parts)[perm[k]]);
  }
}

void FuzzPhase(FuzzedDataProvider& in) {
  const int64_t amount = Amount(in);
  const int months = in.ConsumeIntegralInRange(-2, 400);
  std::vector<int32_t> profile;
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      break;   // equal months
    case 1: {  // a valid profile: 10000 basis points spread at random
      if (months <= 0) {
        break;
      }
      profile.assign(static_cast<size_t>(months), 0);
      int32_t left = 10000;
      for (int m = 0; m + 1 < months && left > 0; ++m) {
        const int32_t take = in.ConsumeIntegralInRange<int32_t>(0, left);
        profile[static_cast<size_t>(m)] = take;
        left -= take;
      }
      profile.back() += left;
      break;
    }
    default: {
      const size_t n = in.ConsumeIntegralInRange<size_t>(0, 20);
      for (size_t i = 0; i < n; ++i) {
        profile.push_back(in.ConsumeIntegral<int32_t>());
      }
    }
  }
  absl::StatusOr<std::vector<int64_t>> parts = Phase(amount, months, profile);
  if (!parts.ok()) {
    CheckError(parts.status());
    Check(parts.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(months > 0 && amount >= 0 && parts->size() == static_cast<size_t>(months));
  Int128 sum = 0;
  for (size_t m = 0; m < parts->size(); ++m) {
    Check((*parts)[m] >= 0);
    sum += (*parts)[m];
    const int64_t w = profile.empty() ? 1 : profile[m];
    if (w == 0) {
      Check((*parts)[m] == 0);
    }
  }
  Check(sum == amount);
  for (size_t m = 1; m < parts->size(); ++m) {  // equal shares: the earlier month gets the unit
    const int64_t w0 = profile.empty() ? 1 : profile[m - 1], w1 = profile.empty() ? 1 : profile[m];
    if (w0 == w1) {
      Check((*parts)[m - 1] >= (*parts)[m]);
    }
  }

  // Pace over the phased months.
  PeriodProgress p;
  p.monthly = *parts;
  for (int m = 0; m < months; ++m) {
    p.days_in_month.push_back(DaysIn(absl::CivilMonth(2026, 1) + m));
  }
  p.month_index = in.ConsumeIntegralInRange(-1, months + 1);
  p.day_of_month = in.ConsumeIntegralInRange(-5, 40);
  const int64_t expected = ExpectedToDate(p);
  Check(expected >= 0 && expected <= amount);
  PeriodProgress later = p;
  ++later.day_of_month;
  Check(ExpectedToDate(later) >= expected);
  later.month_index = p.month_index + 1;
  later.day_of_month = 0;
  Check(ExpectedToDate(later) >= expected);
  const int64_t actual = Amount(in);
  const int32_t bp = RatioBasisPoints(actual, expected);
  if (expected == 0) {
    Check(bp == 0);
  }
  if (expected > 0 && actual >= 0) {
    Check(bp >= 0);
  }
  if (expected > 0 && actual < 0) {
    Check(bp <= 0);
  }
}

void FuzzExpectedRaw(FuzzedDataProvider& in) {
  PeriodProgress p;
  const size_t n = in.ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < n; ++i) {
    p.monthly.push_back(Amount(in));
  }
  const size_t d = in.ConsumeBool() ? n : in.ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < d; ++i) {
    p.days_in_month.push_back(in.ConsumeIntegralInRange(-1, 31));
  }
  p.month_index = in.ConsumeIntegral<int>();
  p.day_of_month = in.ConsumeIntegral<int>();
  (void)ExpectedToDate(p);
  (void)RatioBasisPoints(in.ConsumeIntegral<int64_t>(), in.ConsumeIntegral<int64_t>());
}

struct Key {
  std::string from, to;
  int64_t amount;
  bool operator<(const Key& o) const {
    return std::tie(from, to, amount) < std::tie(o.from, o.to, o.amount);
  }
  bool operator==(const Key& o) const {
    return std::tie(from, to, amount) == std::tie(o.from, o.to, o.amount);
  }
};

std::vector<Key> Sorted(const std::vector<Move>& moves) {
  std::vector<Key> out;
  for (const Move& m : moves) {
    out.push_back({m.from, m.to, m.amount});
  }
  std::sort(out.begin(), out.end());
  return out;
}

void FuzzSuggestMoves(FuzzedDataProvider& in) {
  std::vector<PaceCell> cells(in.ConsumeIntegralInRange(0, 24));
  for (size_t i = 0; i < cells.size(); ++i) {
    PaceCell& c = cells[i];
    c.key = absl::StrCat("cell-", i);
    c.target = Amount(in);
    c.actual = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(0, 2000) : Amount(in);
    c.expected = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-1, 2000) : Amount(in);
    c.locked = in.ConsumeIntegralInRange(0, 4) == 0;
  }
  const int32_t behind = in.ConsumeIntegralInRange<int32_t>(-100, 30000);
  const int max_moves = in.ConsumeIntegralInRange(-1, 30);
  const std::vector<Move> moves = SuggestMoves(cells, behind, max_moves);
  Check(static_cast<int>(moves.size()) <= std::max(max_moves, 0));
  std::map<std::string, Int128> given, taken;
  std::map<std::string, const PaceCell*> by_key;
  for (const PaceCell& c : cells) {
    by_key[c.key] = &c;
  }
  for (const Move& m : moves) {
    Check(m.amount > 0 && m.from != m.to);
    Check(by_key.count(m.from) == 1 && by_key.count(m.to) == 1);
    Check(!by_key[m.from]->locked && !by_key[m.to]->locked);
    given[m.from] += m.amount;
    taken[m.to] += m.amount;
  }
  for (const auto& [key, amount] : given) {
    const PaceCell& c = *by_key[key];
    Check(taken.count(key) == 0);  // nobody both gives and takes
    Check(c.expected > 0);
    const Int128 projected = static_cast<Int128>(c.actual) * c.target / c.expected;
    Check(c.target - amount >= std::max<Int128>(projected, c.actual));
    Check(c.target - amount >= 0);
  }
  for (const auto& [key, amount] : taken) {
    const PaceCell& c = *by_key[key];
    Check(c.expected > 0);
    const Int128 projected = static_cast<Int128>(c.actual) * c.target / c.expected;
    Check(c.target + amount <= projected);
  }
  const std::vector<size_t> perm = Permutation(in, cells.size());
  std::vector<PaceCell> shuffled;
  for (size_t i : perm) {
    shuffled.push_back(cells[i]);
  }
  Check(Sorted(SuggestMoves(shuffled, behind, max_moves)) == Sorted(moves));
}

void FuzzCalendar(FuzzedDataProvider& in) {
  const int start = in.ConsumeIntegralInRange(-2, 14);
  const absl::Status s = FiscalCalendar::Validate(start);
  if (!s.ok()) {
    CheckError(s);
    Check(start < 1 || start > 12);
    return;
  }
  const FiscalCalendar cal(start);
  // Any fiscal year a request may carry (the API checks the quarter is 1..4).
  const FiscalQuarter any =
      cal.Quarter(in.ConsumeIntegral<int32_t>(), in.ConsumeIntegralInRange(1, 4));
  Check(any.start <= any.end);
  const absl::CivilDay day =
      absl::CivilDay(1900, 1, 1) + in.ConsumeIntegralInRange<int64_t>(0, 365 * 400);
  const FiscalQuarter q = cal.QuarterOf(day);
  Check(q.quarter >= 1 && q.quarter <= 4);
  Check(q.start <= day && day <= q.end);
  const FiscalQuarter same = cal.Quarter(q.fiscal_year, q.quarter);
  Check(same.start == q.start && same.end == q.end);
  const std::vector<absl::CivilMonth> months = cal.MonthsOf(q);
  Check(months.size() == 3 && months[0] == absl::CivilMonth(q.start));
  int days = 0;
  for (size_t i = 0; i < months.size(); ++i) {
    if (i > 0) {
      Check(months[i] == months[i - 1] + 1);
    }
    const int d = DaysIn(months[i]);
    Check(d >= 28 && d <= 31);
    days += d;
  }
  Check(days == q.end - q.start + 1);
  const FiscalQuarter next = cal.QuarterOf(q.end + 1);
  Check(next.start == q.end + 1);
  Check(next.quarter == q.quarter % 4 + 1);
  Check(next.fiscal_year == q.fiscal_year + (q.quarter == 4 ? 1 : 0));
  Check(cal.Quarter(q.fiscal_year, 1).start.month() == start);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      FuzzAllocate(in);
      break;
    case 1:
      FuzzPhase(in);
      break;
    case 2:
      FuzzExpectedRaw(in);
      break;
    case 3:
      FuzzSuggestMoves(in);
      break;
    default:
      FuzzCalendar(in);
  }
  return 0;
}
