#include "services/performance/domain/split.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "services/performance/domain/rounding.h"

namespace salesops::performance {
namespace {

// Floors of amount × weight / total plus one unit each for the `leftover`
// largest remainders. `before(a, b)` orders indices with equal remainders.
// amount >= 0, total > 0, every weight in [0, 2^62), amount < 2^63.
template <typename TieBreak>
std::vector<int64_t> LargestRemainder(int64_t amount, const std::vector<int64_t>& weights,
                                      int128 total, TieBreak before) {
  std::vector<int64_t> parts(weights.size(), 0);
  std::vector<int128> remainders(weights.size(), 0);
  int128 assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const int128 product = static_cast<int128>(amount) * weights[i];
    parts[i] = static_cast<int64_t>(product / total);
    remainders[i] = product % total;
    assigned += parts[i];
  }
  // The remainders sum to leftover × total and each is < total, so fewer
  // than `leftover` weights have a zero remainder among those chosen: a zero
  // weight never receives a unit.
  const auto leftover = static_cast<size_t>(amount - assigned);
  if (leftover == 0) {
    return parts;
  }
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(leftover - 1),
                   order.end(), [&](size_t a, size_t b) {
                     if (remainders[a] != remainders[b]) {
                       return remainders[a] > remainders[b];
                     }
                     return before(a, b);
                   });
  for (size_t k = 0; k < leftover; ++k) {
    ++parts[order[k]];
  }
  return parts;
}

}  // namespace

absl::Status ValidateShares(const std::vector<CreditShare>& shares, ShareScale scale,
                            absl::string_view field) {
  if (shares.empty()) {
    return InvalidField(field, "must have at least one share");
  }
  Violations violations;
  absl::flat_hash_set<absl::string_view> seen;
  int128 sum = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    const CreditShare& s = shares[i];
    if (s.member_id.empty()) {
      violations.Add(absl::StrCat(field, "[", i, "].member_id"), "must not be empty");
    } else if (!seen.insert(s.member_id).second) {
      violations.Add(absl::StrCat(field, "[", i, "].member_id"),
                     absl::StrCat("duplicates ", QuoteUntrusted(s.member_id)));
    }
    if (s.share <= 0 || s.share > static_cast<int64_t>(scale)) {
      violations.Add(
          absl::StrCat(field, "[", i, "].share"),
          absl::StrCat("must be in 1..", static_cast<int64_t>(scale), ", got ", s.share));
    } else {
      sum += s.share;
    }
  }
  if (!violations.empty()) {
    return violations.Finish();
  }
  if (sum != static_cast<int64_t>(scale)) {
    return InvalidArgument(
        {{std::string(field),
          absl::StrCat("shares sum to ", static_cast<int64_t>(sum), ", must be exactly ",
                       static_cast<int64_t>(scale), " (100 %)")}},
        "SPLIT_NOT_100_PERCENT");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> SplitAmount(int64_t amount_minor,
                                                 const std::vector<CreditShare>& shares,
                                                 ShareScale scale, absl::string_view field) {
  if (absl::Status st = ValidateShares(shares, scale, field); !st.ok()) {
    return st;
  }
  if (amount_minor == std::numeric_limits<int64_t>::min()) {
    return InvalidField(field, "amount is out of range");
  }
  const bool negative = amount_minor < 0;
  const int64_t magnitude = negative ? -amount_minor : amount_minor;
  std::vector<int64_t> weights;
  weights.reserve(shares.size());
  for (const CreditShare& s : shares) {
    weights.push_back(s.share);
  }
  std::vector<int64_t> parts =
      LargestRemainder(magnitude, weights, static_cast<int64_t>(scale), [&](size_t a, size_t b) {
        if (shares[a].share != shares[b].share) {
          return shares[a].share > shares[b].share;
        }
        return shares[a].member_id < shares[b].member_id;
      });
  if (negative) {
    for (int64_t& p : parts) {
      p = -p;
    }
  }
  return parts;
}

int64_t PartFor(int64_t amount_minor, const std::vector<CreditShare>& shares, ShareScale scale,
                absl::string_view member_id) {
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].member_id == member_id) {
      absl::StatusOr<std::vector<int64_t>> parts =
          SplitAmount(amount_minor, shares, scale, "split");
      return parts.ok() ? (*parts)[i] : 0;
    }
  }
  return 0;
}

std::vector<int64_t> AllocateByWeight(int64_t amount, const std::vector<int64_t>& weights) {
  int128 total = 0;
  for (int64_t w : weights) {
    total += w;
  }
  if (amount <= 0 || total <= 0) {
    return std::vector<int64_t>(weights.size(), 0);
  }
  return LargestRemainder(amount, weights, total, [&](size_t a, size_t b) {
    if (weights[a] != weights[b]) {
      return weights[a] > weights[b];
    }
    return a < b;
  });
}

}  // namespace salesops::performance
