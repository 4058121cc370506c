#include "services/targets/domain/allocation.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::targets {
namespace {

using int128 = __int128;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// One unlocked cell taking part in a largest-remainder split.
struct Part {
  size_t index;      // position in the caller's vector
  int64_t weight;    // >= 0
  size_t rank;       // position of the key in key order (unique): the last tie-break
  int128 remainder;  // (amount * weight) mod total_weight
};

// Order in which the leftover units go out: larger remainder, then larger
// weight, then smaller key. A strict total order because ranks are unique, so
// the set that receives a unit does not depend on the input order.
bool GetsUnitFirst(const Part& a, const Part& b) {
  if (a.remainder != b.remainder) {
    return a.remainder > b.remainder;
  }
  if (a.weight != b.weight) {
    return a.weight > b.weight;
  }
  return a.rank < b.rank;
}

// Splits `amount` (>= 0) over `parts` by weight, writing into out[part.index].
// `total_weight` is the sum of the weights and must be > 0 when amount > 0.
// amount * weight < 2^126 always fits in __int128.
void LargestRemainder(int64_t amount, int128 total_weight, std::vector<Part>& parts,
                      std::vector<int64_t>& out) {
  if (amount == 0 || parts.empty()) {
    for (const Part& p : parts) {
      out[p.index] = 0;
    }
    return;
  }
  int128 assigned = 0;
  for (Part& p : parts) {
    const int128 product = static_cast<int128>(amount) * p.weight;
    const int128 floor = product / total_weight;
    p.remainder = product % total_weight;
    out[p.index] = static_cast<int64_t>(floor);
    assigned += floor;
  }
  // Each remainder is < total_weight and they sum to leftover * total_weight,
  // so leftover < number of cells with a non-zero remainder: zero-weight cells
  // never receive a unit.
  const auto leftover = static_cast<size_t>(amount - assigned);
  if (leftover == 0) {
    return;
  }
  std::nth_element(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(leftover - 1),
                   parts.end(), GetsUnitFirst);
  for (size_t i = 0; i < leftover; ++i) {
    ++out[parts[i].index];
  }
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> Allocate(int64_t total, const std::vector<Share>& shares,
                                              const std::string& field) {
  if (shares.empty()) {
    return InvalidField(field, "must have at least one share");
  }
  if (total < 0) {
    return InvalidArgument({{"total", absl::StrCat("must not be negative, got ", total)}},
                           "NEGATIVE_TOTAL");
  }

  // Key order gives the final tie-break and finds duplicates in O(n log n).
  std::vector<size_t> by_key(shares.size());
  std::iota(by_key.begin(), by_key.end(), size_t{0});
  std::sort(by_key.begin(), by_key.end(), [&shares](size_t a, size_t b) {
    return std::tie(shares[a].key, a) < std::tie(shares[b].key, b);
  });

  Violations violations;
  for (size_t i = 0; i < shares.size(); ++i) {
    const Share& s = shares[i];
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (s.key.empty()) {
      violations.Add(absl::StrCat(at, ".key"), "must not be empty");
    }
    if (s.locked.has_value()) {
      if (*s.locked < 0) {
        violations.Add(absl::StrCat(at, ".amount"), "locked amount must not be negative");
      }
    } else if (s.weight < 0) {
      violations.Add(absl::StrCat(at, ".weight"), "must not be negative");
    }
  }
  for (size_t k = 1; k < by_key.size(); ++k) {
    const Share& prev = shares[by_key[k - 1]];
    const Share& cur = shares[by_key[k]];
    if (!cur.key.empty() && cur.key == prev.key) {
      violations.Add(absl::StrCat(field, "[", by_key[k], "].key"),
                     absl::StrCat("duplicates ", field, "[", by_key[k - 1], "].key ",
                                  QuoteUntrusted(cur.key)));
    }
  }
  if (!violations.empty()) {
    return violations.Finish();
  }

  std::vector<size_t> rank(shares.size());
  for (size_t k = 0; k < by_key.size(); ++k) {
    rank[by_key[k]] = k;
  }

  std::vector<int64_t> out(shares.size(), 0);
  std::vector<Part> parts;
  parts.reserve(shares.size());
  int128 locked_sum = 0;
  int128 total_weight = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    const Share& s = shares[i];
    if (s.locked.has_value()) {
      out[i] = *s.locked;
      locked_sum += *s.locked;
    } else {
      parts.push_back(Part{i, s.weight, rank[i], 0});
      total_weight += s.weight;
    }
  }
  if (locked_sum > total) {
    return FailedPrecondition(
        "LOCKED_EXCEEDS_TOTAL",
        absl::StrCat(field, ": locked amounts exceed the total ", total, " by ",
                     static_cast<int64_t>(std::min<int128>(locked_sum - total, kInt64Max))));
  }
  const auto remaining = static_cast<int64_t>(total - locked_sum);
  if (remaining > 0 && total_weight == 0) {
    return FailedPrecondition(
        "ALL_WEIGHTS_ZERO",
        absl::StrCat(field, ": ", remaining,
                     " remains to allocate but no unlocked share has a positive weight"));
  }
  LargestRemainder(remaining, total_weight, parts, out);
  return out;
}

absl::StatusOr<std::vector<int64_t>> Phase(int64_t amount, int months,
                                           const std::vector<int32_t>& profile_bp) {
  constexpr char kProfileField[] = "seasonality.month_share_basis_points";
  if (months <= 0) {
    return InvalidField("months", absl::StrCat("must be positive, got ", months));
  }
  if (amount < 0) {
    return InvalidArgument({{"amount", absl::StrCat("must not be negative, got ", amount)}},
                           "NEGATIVE_TOTAL");
  }
  std::vector<Part> parts;
  parts.reserve(static_cast<size_t>(months));
  int128 total_weight = 0;
  if (profile_bp.empty()) {
    for (int m = 0; m < months; ++m) {
      parts.push_back(Part{static_cast<size_t>(m), 1, static_cast<size_t>(m), 0});
    }
    total_weight = months;
  } else {
    if (profile_bp.size() != static_cast<size_t>(months)) {
      return InvalidField(kProfileField, absl::StrCat("must have one entry per month (", months,
                                                      "), got ", profile_bp.size()));
    }
    Violations violations;
    int64_t sum = 0;
    for (size_t m = 0; m < profile_bp.size(); ++m) {
      if (profile_bp[m] < 0) {
        violations.Add(absl::StrCat(kProfileField, "[", m, "]"), "must not be negative");
      }
      sum += profile_bp[m];
      // Earlier months win ties: the month index is the key.
      parts.push_back(Part{m, profile_bp[m], m, 0});
    }
    if (!violations.empty()) {
      return violations.Finish();
    }
    if (sum != 10000) {
      return InvalidField(kProfileField, absl::StrCat("must sum to 10000, got ", sum));
    }
    total_weight = sum;
  }
  std::vector<int64_t> out(static_cast<size_t>(months), 0);
  LargestRemainder(amount, total_weight, parts, out);
  return out;
}

int64_t ExpectedToDate(const PeriodProgress& p) {
  const size_t months = std::min(p.monthly.size(), p.days_in_month.size());
  const size_t full = p.month_index <= 0 ? 0 : std::min(static_cast<size_t>(p.month_index), months);
  int128 expected = 0;
  for (size_t m = 0; m < full; ++m) {
    expected += p.monthly[m];
  }
  if (p.month_index >= 0 && static_cast<size_t>(p.month_index) < months) {
    const int days = p.days_in_month[static_cast<size_t>(p.month_index)];
    if (days > 0) {
      const int elapsed = std::clamp(p.day_of_month, 0, days);
      expected +=
          static_cast<int128>(p.monthly[static_cast<size_t>(p.month_index)]) * elapsed / days;
    }
  }
  return static_cast<int64_t>(
      std::clamp<int128>(expected, std::numeric_limits<int64_t>::min(), kInt64Max));
}

int32_t RatioBasisPoints(int64_t actual, int64_t denominator) {
  if (denominator == 0) {
    return 0;
  }
  const int128 bp = static_cast<int128>(actual) * 10000 / denominator;
  return static_cast<int32_t>(std::clamp<int128>(bp, std::numeric_limits<int32_t>::min(),
                                                 std::numeric_limits<int32_t>::max()));
}

namespace {

// A cell's side of a move and how much it can give or take.
struct Side {
  std::string_view key;
  size_t index;    // input position, the last tie-break (keys should be unique)
  int64_t amount;  // > 0
};

bool LargerFirst(const Side& a, const Side& b) {
  if (a.amount != b.amount) {
    return a.amount > b.amount;
  }
  if (a.key != b.key) {
    return a.key < b.key;
  }
  return a.index < b.index;
}

// Splits `amount` over `sides` in proportion to their capacity (amount <= the
// sum of capacities, so nobody gets more than its capacity). Sides left with
// nothing are dropped.
std::vector<Side> Scale(int64_t amount, const std::vector<Side>& sides, int128 capacity) {
  std::vector<Part> parts;
  parts.reserve(sides.size());
  std::vector<size_t> by_key(sides.size());
  std::iota(by_key.begin(), by_key.end(), size_t{0});
  std::sort(by_key.begin(), by_key.end(), [&sides](size_t a, size_t b) {
    return std::tie(sides[a].key, sides[a].index) < std::tie(sides[b].key, sides[b].index);
  });
  std::vector<size_t> rank(sides.size());
  for (size_t k = 0; k < by_key.size(); ++k) {
    rank[by_key[k]] = k;
  }
  for (size_t i = 0; i < sides.size(); ++i) {
    parts.push_back(Part{i, sides[i].amount, rank[i], 0});
  }
  std::vector<int64_t> split(sides.size(), 0);
  LargestRemainder(amount, capacity, parts, split);
  std::vector<Side> out;
  for (size_t i = 0; i < sides.size(); ++i) {
    if (split[i] > 0) {
      out.push_back(Side{sides[i].key, sides[i].index, split[i]});
    }
  }
  std::sort(out.begin(), out.end(), LargerFirst);
  return out;
}

}  // namespace

std::vector<Move> SuggestMoves(const std::vector<PaceCell>& cells, int32_t behind_bp,
                               int max_moves) {
  if (max_moves <= 0) {
    return {};
  }
  std::vector<Side> givers, takers;
  int128 can_give = 0, can_take = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    const PaceCell& c = cells[i];
    // Without a positive expectation there is no pace to judge.
    if (c.locked || c.expected <= 0 || c.target < 0 || c.actual < 0) {
      continue;
    }
    const int128 projected = static_cast<int128>(c.actual) * c.target / c.expected;
    const int32_t pace = RatioBasisPoints(c.actual, c.expected);
    // Giving needs projected < target and taking projected > target, so no
    // cell is on both sides even when behind_bp > 10000.
    const int128 keep = std::max<int128>(projected, c.actual);
    if (pace < behind_bp && c.target > keep) {
      const auto give = static_cast<int64_t>(c.target - keep);
      givers.push_back(Side{c.key, i, give});
      can_give += give;
    } else if (pace >= 10000 && projected > c.target) {
      const auto take = static_cast<int64_t>(std::min<int128>(projected - c.target, kInt64Max));
      takers.push_back(Side{c.key, i, take});
      can_take += take;
    }
  }
  if (givers.empty() || takers.empty()) {
    return {};
  }
  // Move no more than the takers are projected to overshoot, so no taker is
  // pushed behind pace.
  const auto amount = static_cast<int64_t>(std::min({can_give, can_take, int128{kInt64Max}}));
  std::vector<Side> from = Scale(amount, givers, can_give);
  std::vector<Side> to = Scale(amount, takers, can_take);

  // Pair the largest remaining giver with the largest remaining taker; both
  // lists sum to `amount`, so every move keeps the grand total and at most
  // |from| + |to| - 1 moves result.
  std::vector<Move> moves;
  size_t f = 0, t = 0;
  while (f < from.size() && t < to.size()) {
    const int64_t step = std::min(from[f].amount, to[t].amount);
    moves.push_back(Move{std::string(from[f].key), std::string(to[t].key), step});
    from[f].amount -= step;
    to[t].amount -= step;
    if (from[f].amount == 0) {
      ++f;
    }
    if (to[t].amount == 0) {
      ++t;
    }
  }
  std::stable_sort(moves.begin(), moves.end(), [](const Move& a, const Move& b) {
    if (a.amount != b.amount) {
      return a.amount > b.amount;
    }
    return std::tie(a.from, a.to) < std::tie(b.from, b.to);
  });
  if (moves.size() > static_cast<size_t>(max_moves)) {
    moves.resize(static_cast<size_t>(max_moves));
  }
  return moves;
}

}  // namespace salesops::targets
