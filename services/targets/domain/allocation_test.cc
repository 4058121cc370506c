// Tests for target allocation: worked examples of the largest-remainder split
// and its tie-break, every error reason and field, phasing, pace, and
// re-allocation suggestions; plus property tests over thousands of random
// inputs (fixed seeds) that check the invariants the targets service relies on:
// exact sums at every level, locked cells untouched, determinism, independence
// of input order, and every part within one unit of its exact share.
#include "services/targets/domain/allocation.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::targets {
namespace {

using int128 = __int128;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

int128 Sum(const std::vector<int64_t>& v) {
  int128 s = 0;
  for (int64_t x : v) {
    s += x;
  }
  return s;
}

Share Weighted(std::string key, int64_t weight) { return Share{std::move(key), weight, {}}; }
Share Locked(std::string key, int64_t amount) { return Share{std::move(key), 0, amount}; }

// ---------------------------------------------------------------------------
// Allocate: examples

TEST(AllocateTest, HeaderExampleSplitsByWeightAndKeepsTheLockedCell) {
  auto parts =
      Allocate(1'000'000, {Weighted("rep-1", 3), Weighted("rep-2", 1), Share{"rep-3", 0, 500'000}},
               "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(375'000, 125'000, 500'000));
}

TEST(AllocateTest, LeftoverUnitsGoToTheLargestRemainders) {
  // Exact shares 10*5/9=5.56, 10*3/9=3.33, 10*1/9=1.11: floors 5,3,1, one unit left → 5.56.
  auto parts = Allocate(10, {Weighted("a", 5), Weighted("b", 3), Weighted("c", 1)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(6, 3, 1));
}

TEST(AllocateTest, EqualRemaindersGoToTheLargerWeight) {
  // Exact shares 0.5 and 1.5 have equal remainders; the larger weight gets the unit.
  auto parts = Allocate(2, {Weighted("a", 1), Weighted("b", 3)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(0, 2));
}

TEST(AllocateTest, EqualRemaindersAndWeightsGoToTheSmallerKeyWhateverTheInputOrder) {
  auto parts = Allocate(10, {Weighted("c", 1), Weighted("b", 1), Weighted("a", 1)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(3, 3, 4));
}

TEST(AllocateTest, ZeroWeightCellsGetNothing) {
  auto parts = Allocate(7, {Weighted("a", 0), Weighted("b", 1), Weighted("c", 0)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(0, 7, 0));
}

TEST(AllocateTest, ZeroTotalWithAllWeightsZeroIsAllZeros) {
  auto parts = Allocate(0, {Weighted("a", 0), Weighted("b", 0)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(0, 0));
}

TEST(AllocateTest, LockedCellsCoveringTheTotalLeaveZeroForZeroWeights) {
  auto parts = Allocate(100, {Locked("a", 60), Locked("b", 40), Weighted("c", 0)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(60, 40, 0));
}

TEST(AllocateTest, WeightOfALockedCellIsIgnoredEvenWhenNegative) {
  auto parts = Allocate(10, {Share{"a", -5, 4}, Weighted("b", 1)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(4, 6));
}

TEST(AllocateTest, ExtremeWeightsAndTotalDoNotOverflow) {
  // total * weight ~ 2^126 and the weight sum ~ 2^64 both need 128 bits.
  auto parts =
      Allocate(kMax, {Weighted("a", kMax), Weighted("b", kMax), Weighted("c", 1)}, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  // Exact shares are kMax/2 + ~0.25 (twice) and ~0.5: the single leftover unit
  // goes to the tiny weight, whose remainder is the largest.
  EXPECT_THAT(*parts, ElementsAre(kMax / 2, kMax / 2, 1));
}

// ---------------------------------------------------------------------------
// Allocate: errors

TEST(AllocateErrorsTest, NoSharesNamesTheField) {
  auto parts = Allocate(10, {}, "plan.cells");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), ElementsAre("plan.cells"));
  EXPECT_EQ(ErrorReason(parts.status()), "INVALID_ARGUMENT");
}

TEST(AllocateErrorsTest, NegativeTotalIsNegativeTotalOnTotal) {
  auto parts = Allocate(-1, {Weighted("a", 1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), ElementsAre("total"));
  EXPECT_EQ(ErrorReason(parts.status()), "NEGATIVE_TOTAL");
}

TEST(AllocateErrorsTest, NegativeWeightNamesTheIndexedWeight) {
  auto parts = Allocate(10, {Weighted("a", 1), Weighted("b", -1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), ElementsAre("inputs[1].weight"));
  EXPECT_EQ(ErrorReason(parts.status()), "INVALID_ARGUMENT");
}

TEST(AllocateErrorsTest, NegativeLockedAmountNamesTheIndexedAmount) {
  auto parts = Allocate(10, {Locked("a", -3), Weighted("b", 1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), ElementsAre("inputs[0].amount"));
}

TEST(AllocateErrorsTest, EmptyKeyNamesTheIndexedKey) {
  auto parts = Allocate(10, {Weighted("a", 1), Weighted("", 1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), ElementsAre("inputs[1].key"));
}

TEST(AllocateErrorsTest, DuplicateKeyNamesTheLaterOccurrence) {
  auto parts = Allocate(10, {Weighted("a", 1), Weighted("b", 1), Weighted("a", 1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), ElementsAre("inputs[2].key"));
}

TEST(AllocateErrorsTest, AllBadFieldsAreReportedTogether) {
  auto parts = Allocate(10, {Weighted("", 1), Weighted("b", -2), Locked("c", -1), Weighted("b", 1)},
                        "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(parts.status()), UnorderedElementsAre("inputs[0].key", "inputs[1].weight",
                                                           "inputs[2].amount", "inputs[3].key"));
}

TEST(AllocateErrorsTest, LockedAboveTotalIsLockedExceedsTotal) {
  auto parts = Allocate(100, {Locked("a", 60), Locked("b", 41), Weighted("c", 1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(parts.status()), "LOCKED_EXCEEDS_TOTAL");
}

TEST(AllocateErrorsTest, LockedSumBeyondInt64IsLockedExceedsTotalNotOverflow) {
  auto parts = Allocate(kMax, {Locked("a", kMax), Locked("b", kMax), Weighted("c", 1)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(parts.status()), "LOCKED_EXCEEDS_TOTAL");
}

TEST(AllocateErrorsTest, RemainderWithOnlyZeroWeightsIsAllWeightsZero) {
  auto parts = Allocate(100, {Locked("a", 60), Weighted("b", 0), Weighted("c", 0)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(parts.status()), "ALL_WEIGHTS_ZERO");
}

TEST(AllocateErrorsTest, RemainderWithNoUnlockedCellIsAllWeightsZero) {
  auto parts = Allocate(100, {Locked("a", 60), Locked("b", 30)}, "inputs");
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(parts.status()), "ALL_WEIGHTS_ZERO");
}

// ---------------------------------------------------------------------------
// Allocate: properties over random inputs

int64_t Uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
bool Chance(std::mt19937_64& rng, double p) { return std::bernoulli_distribution(p)(rng); }

int RandomSize(std::mt19937_64& rng) {
  const int64_t bucket = Uniform(rng, 0, 9);
  if (bucket < 6) {
    return static_cast<int>(Uniform(rng, 1, 20));
  }
  if (bucket < 9) {
    return static_cast<int>(Uniform(rng, 21, 200));
  }
  return static_cast<int>(Uniform(rng, 201, 2000));
}

// Weights from one of several regimes: tiny, moderate, near INT64_MAX, or a mix.
int64_t RandomWeight(std::mt19937_64& rng, int regime, double zero_p) {
  if (Chance(rng, zero_p)) {
    return 0;
  }
  switch (regime == 3 ? static_cast<int>(Uniform(rng, 0, 2)) : regime) {
    case 0:
      return Uniform(rng, 0, 10);
    case 1:
      return Uniform(rng, 0, 1'000'000'000);
    default:
      return Uniform(rng, kMax - 1000, kMax);
  }
}

int64_t RandomTotal(std::mt19937_64& rng) {
  switch (Uniform(rng, 0, 3)) {
    case 0:
      return Uniform(rng, 0, 1000);
    case 1:
      return Uniform(rng, 0, 1'000'000'000'000);
    case 2:
      return Uniform(rng, 9'000'000'000'000'000'000, kMax);
    default:
      return Uniform(rng, 0, kMax);
  }
}

struct Case {
  int64_t total = 0;
  std::vector<Share> shares;
};

// A valid random case: unique keys in an order unrelated to the input order,
// a random locked subset whose sum fits in the total, and some positive
// unlocked weight whenever something remains to allocate.
Case RandomCase(std::mt19937_64& rng) {
  Case c;
  c.total = RandomTotal(rng);
  const int n = RandomSize(rng);
  std::vector<int> names(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    names[static_cast<size_t>(i)] = i;
  }
  std::shuffle(names.begin(), names.end(), rng);
  const int regime = static_cast<int>(Uniform(rng, 0, 3));
  const double zero_p = std::vector<double>{0.0, 0.1, 0.5, 0.95}[Uniform(rng, 0, 3)];
  const double lock_p = std::vector<double>{0.0, 0.1, 0.5, 0.9}[Uniform(rng, 0, 3)];
  std::vector<size_t> locked;
  for (int i = 0; i < n; ++i) {
    Share s{absl::StrCat("cell-", names[static_cast<size_t>(i)]),
            RandomWeight(rng, regime, zero_p),
            {}};
    if (Chance(rng, lock_p)) {
      locked.push_back(static_cast<size_t>(i));
    }
    c.shares.push_back(std::move(s));
  }
  if (!locked.empty()) {
    const int64_t budget = Uniform(rng, 0, c.total);
    const int64_t each = budget / static_cast<int64_t>(locked.size());
    for (size_t i : locked) {
      c.shares[i].locked = Uniform(rng, 0, each);
    }
  }
  int128 locked_sum = 0, weight_sum = 0;
  for (const Share& s : c.shares) {
    if (s.locked) {
      locked_sum += *s.locked;
    } else {
      weight_sum += s.weight;
    }
  }
  if (locked_sum < c.total && weight_sum == 0) {
    auto unlocked = std::find_if(c.shares.begin(), c.shares.end(),
                                 [](const Share& s) { return !s.locked.has_value(); });
    if (unlocked != c.shares.end()) {
      unlocked->weight = 1;
    } else {
      *c.shares.back().locked += static_cast<int64_t>(c.total - locked_sum);
    }
  }
  return c;
}

// Checks every documented property of one allocation result.
void ExpectValidAllocation(const Case& c, const std::vector<int64_t>& parts) {
  ASSERT_EQ(parts.size(), c.shares.size());
  EXPECT_TRUE(Sum(parts) == c.total) << "sum differs from total " << c.total;
  int128 locked_sum = 0, weight_sum = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Share& s = c.shares[i];
    if (s.locked) {
      ASSERT_EQ(parts[i], *s.locked) << "locked cell " << s.key << " changed";
      locked_sum += *s.locked;
    } else {
      weight_sum += s.weight;
    }
  }
  const int128 remaining = c.total - locked_sum;
  // Within one unit of the exact share: part = floor(exact) or, when exact is
  // not an integer, floor(exact) + 1. Units above the floor go in tie-break
  // order, so the weakest cell rounded up still beats the strongest one not.
  using Rank = std::tuple<int128, int64_t, std::string>;  // remainder, weight, key
  auto before = [](const Rank& a, const Rank& b) {
    if (std::get<0>(a) != std::get<0>(b)) {
      return std::get<0>(a) > std::get<0>(b);
    }
    if (std::get<1>(a) != std::get<1>(b)) {
      return std::get<1>(a) > std::get<1>(b);
    }
    return std::get<2>(a) < std::get<2>(b);
  };
  std::optional<Rank> weakest_up, strongest_down;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Share& s = c.shares[i];
    if (s.locked) {
      continue;
    }
    ASSERT_GE(parts[i], 0);
    if (weight_sum == 0) {
      ASSERT_EQ(parts[i], 0);
      continue;
    }
    const int128 product = remaining * s.weight;
    const int128 floor = product / weight_sum;
    const int128 rem = product % weight_sum;
    const Rank rank{rem, s.weight, s.key};
    if (parts[i] == floor + 1) {
      ASSERT_NE(rem, 0) << s.key << " rounded up an exact share";
      if (!weakest_up || before(*weakest_up, rank)) {
        weakest_up = rank;
      }
    } else {
      ASSERT_TRUE(parts[i] == floor) << s.key << " is not within 1 of its exact share";
      if (!strongest_down || before(rank, *strongest_down)) {
        strongest_down = rank;
      }
    }
  }
  if (weakest_up && strongest_down) {
    EXPECT_TRUE(before(*weakest_up, *strongest_down)) << "tie-break order violated";
  }
}

std::map<std::string, int64_t> ByKey(const std::vector<Share>& shares,
                                     const std::vector<int64_t>& parts) {
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < shares.size(); ++i) {
    out[shares[i].key] = parts[i];
  }
  return out;
}

TEST(AllocatePropertyTest, RandomInputsSumExactlyKeepLocksAndStayWithinOneOfTheExactShare) {
  for (uint64_t seed = 1; seed <= 4000; ++seed) {
    std::mt19937_64 rng(seed);
    const Case c = RandomCase(rng);
    auto parts = Allocate(c.total, c.shares, "inputs");
    ASSERT_TRUE(parts.ok()) << "seed " << seed << ": " << parts.status();
    SCOPED_TRACE(absl::StrCat("seed ", seed, " n=", c.shares.size()));
    ExpectValidAllocation(c, *parts);
    if (HasFatalFailure()) {
      return;
    }
  }
}

TEST(AllocatePropertyTest, SameInputGivesTheSameOutput) {
  for (uint64_t seed = 10'001; seed <= 11'000; ++seed) {
    std::mt19937_64 rng(seed);
    const Case c = RandomCase(rng);
    auto first = Allocate(c.total, c.shares, "inputs");
    auto second = Allocate(c.total, c.shares, "inputs");
    ASSERT_TRUE(first.ok() && second.ok()) << "seed " << seed;
    ASSERT_EQ(*first, *second) << "seed " << seed;
  }
}

TEST(AllocatePropertyTest, PermutedInputGivesTheSamePartPerKey) {
  for (uint64_t seed = 20'001; seed <= 22'000; ++seed) {
    std::mt19937_64 rng(seed);
    const Case c = RandomCase(rng);
    Case shuffled = c;
    std::shuffle(shuffled.shares.begin(), shuffled.shares.end(), rng);
    auto a = Allocate(c.total, c.shares, "inputs");
    auto b = Allocate(shuffled.total, shuffled.shares, "inputs");
    ASSERT_TRUE(a.ok() && b.ok()) << "seed " << seed;
    ASSERT_EQ(ByKey(c.shares, *a), ByKey(shuffled.shares, *b)) << "seed " << seed;
  }
}

TEST(AllocatePropertyTest, LockedAboveTotalIsAlwaysRejected) {
  for (uint64_t seed = 30'001; seed <= 31'000; ++seed) {
    std::mt19937_64 rng(seed);
    Case c = RandomCase(rng);
    if (c.total == kMax) {
      continue;
    }
    const size_t i =
        static_cast<size_t>(Uniform(rng, 0, static_cast<int64_t>(c.shares.size()) - 1));
    c.shares[i].locked = c.total + 1;
    auto parts = Allocate(c.total, c.shares, "inputs");
    ASSERT_EQ(ErrorReason(parts.status()), "LOCKED_EXCEEDS_TOTAL") << "seed " << seed;
  }
}

TEST(AllocatePropertyTest, MaximalCellCountAndWeightsSplitEvenlyBySmallerKey) {
  std::vector<Share> shares;
  for (int i = 0; i < 2000; ++i) {
    shares.push_back(Weighted(absl::StrCat("rep-", 10000 + i), kMax));
  }
  auto parts = Allocate(kMax, shares, "inputs");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_TRUE(Sum(*parts) == kMax);
  const int64_t base = kMax / 2000;
  const int64_t extra = kMax % 2000;  // the first `extra` keys get one more
  for (int64_t i = 0; i < 2000; ++i) {
    ASSERT_EQ((*parts)[static_cast<size_t>(i)], base + (i < extra ? 1 : 0)) << i;
  }
}

// The plan is decomposed twice: company total → 108 cells over four
// dimensions (4 product lines × 3 regions × 3 channels × 3 customer types),
// then each cell → its reps. Each level must be exact on its own, so the
// reps add up to the company total.
TEST(AllocatePropertyTest, TwoLevelDecompositionIsExactAtEveryLevel) {
  for (uint64_t seed = 40'001; seed <= 40'300; ++seed) {
    std::mt19937_64 rng(seed);
    const int64_t company = RandomTotal(rng);
    std::vector<Share> cells;
    for (int p = 0; p < 4; ++p) {
      for (int r = 0; r < 3; ++r) {
        for (int ch = 0; ch < 3; ++ch) {
          for (int ct = 0; ct < 3; ++ct) {
            cells.push_back(Weighted(absl::StrCat("pl", p, "/r", r, "/ch", ch, "/ct", ct),
                                     RandomWeight(rng, 3, 0.2)));
          }
        }
      }
    }
    if (Chance(rng, 0.5)) {
      cells[5].locked = Uniform(rng, 0, company / 4);
    }
    cells[0].weight = std::max<int64_t>(cells[0].weight, 1);
    auto cell_parts = Allocate(company, cells, "cells");
    ASSERT_TRUE(cell_parts.ok()) << "seed " << seed << ": " << cell_parts.status();
    ASSERT_TRUE(Sum(*cell_parts) == company) << "seed " << seed;

    int128 all_reps = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
      const int64_t cell_total = (*cell_parts)[i];
      Case reps{cell_total, {}};
      const int n = static_cast<int>(Uniform(rng, 1, 40));
      for (int k = 0; k < n; ++k) {
        reps.shares.push_back(Weighted(absl::StrCat("rep-", i, "-", k), RandomWeight(rng, 3, 0.1)));
      }
      if (n > 1 && Chance(rng, 0.3)) {
        reps.shares[1].locked = Uniform(rng, 0, cell_total / 2);
      }
      reps.shares[0].weight = std::max<int64_t>(reps.shares[0].weight, 1);
      auto rep_parts = Allocate(reps.total, reps.shares, "reps");
      ASSERT_TRUE(rep_parts.ok()) << "seed " << seed << ": " << rep_parts.status();
      SCOPED_TRACE(absl::StrCat("seed ", seed, " cell ", cells[i].key));
      ExpectValidAllocation(reps, *rep_parts);
      if (HasFatalFailure()) {
        return;
      }
      all_reps += Sum(*rep_parts);
    }
    ASSERT_TRUE(all_reps == company) << "seed " << seed;
  }
}

// ---------------------------------------------------------------------------
// Phase

TEST(PhaseTest, ProfileSplitsByBasisPoints) {
  auto months = Phase(1000, 3, {5000, 3000, 2000});
  ASSERT_TRUE(months.ok()) << months.status();
  EXPECT_THAT(*months, ElementsAre(500, 300, 200));
}

TEST(PhaseTest, EmptyProfileMeansEqualMonthsWithEarlierMonthsTakingTheLeftover) {
  auto months = Phase(100, 12, {});
  ASSERT_TRUE(months.ok()) << months.status();
  EXPECT_THAT(*months, ElementsAre(9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8));
}

TEST(PhaseTest, RoundingLeftoverGoesToTheLargestRemainder) {
  // Exact 3.334, 3.333, 3.333: floors 3,3,3, one unit left to the first month.
  auto months = Phase(10, 3, {3334, 3333, 3333});
  ASSERT_TRUE(months.ok()) << months.status();
  EXPECT_THAT(*months, ElementsAre(4, 3, 3));
}

TEST(PhaseTest, ZeroMonthInProfileGetsNothing) {
  auto months = Phase(999, 3, {0, 10000, 0});
  ASSERT_TRUE(months.ok()) << months.status();
  EXPECT_THAT(*months, ElementsAre(0, 999, 0));
}

TEST(PhaseTest, ProfileNotSummingTo10000NamesTheProfile) {
  auto months = Phase(1000, 3, {5000, 4000, 0});
  EXPECT_EQ(months.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(months.status()), ElementsAre("seasonality.month_share_basis_points"));
}

TEST(PhaseTest, ProfileOfTheWrongLengthNamesTheProfile) {
  auto months = Phase(1000, 4, {5000, 3000, 2000});
  EXPECT_EQ(months.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(months.status()), ElementsAre("seasonality.month_share_basis_points"));
}

TEST(PhaseTest, NegativeProfileEntryNamesTheIndexedEntry) {
  auto months = Phase(1000, 3, {12000, -1000, -1000});
  EXPECT_EQ(months.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(months.status()), ElementsAre("seasonality.month_share_basis_points[1]",
                                                   "seasonality.month_share_basis_points[2]"));
}

TEST(PhaseTest, NonPositiveMonthCountNamesMonths) {
  auto months = Phase(1000, 0, {});
  EXPECT_EQ(months.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(months.status()), ElementsAre("months"));
}

TEST(PhaseTest, NegativeAmountIsNegativeTotalOnAmount) {
  auto months = Phase(-5, 3, {});
  EXPECT_EQ(months.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(months.status()), ElementsAre("amount"));
  EXPECT_EQ(ErrorReason(months.status()), "NEGATIVE_TOTAL");
}

TEST(PhasePropertyTest, RandomProfilesSumExactlyAndStayWithinOneOfTheExactShare) {
  for (uint64_t seed = 50'001; seed <= 52'000; ++seed) {
    std::mt19937_64 rng(seed);
    const int n = static_cast<int>(Uniform(rng, 1, 24));
    const int64_t amount = RandomTotal(rng);
    std::vector<int32_t> profile;
    if (Chance(rng, 0.8)) {
      // n-1 random cut points in [0, 10000] give n non-negative parts summing to 10000.
      std::vector<int32_t> cuts{0, 10000};
      for (int i = 1; i < n; ++i) {
        cuts.push_back(static_cast<int32_t>(Uniform(rng, 0, 10000)));
      }
      std::sort(cuts.begin(), cuts.end());
      for (size_t i = 1; i < cuts.size(); ++i) {
        profile.push_back(cuts[i] - cuts[i - 1]);
      }
    }
    auto months = Phase(amount, n, profile);
    ASSERT_TRUE(months.ok()) << "seed " << seed << ": " << months.status();
    ASSERT_EQ(months->size(), static_cast<size_t>(n));
    ASSERT_TRUE(Sum(*months) == amount) << "seed " << seed;
    for (int m = 0; m < n; ++m) {
      const int128 weight = profile.empty() ? 1 : profile[static_cast<size_t>(m)];
      const int128 total_weight = profile.empty() ? n : 10000;
      const int128 floor = static_cast<int128>(amount) * weight / total_weight;
      const int64_t got = (*months)[static_cast<size_t>(m)];
      ASSERT_TRUE(got == floor || got == floor + 1) << "seed " << seed << " month " << m;
    }
  }
}

// ---------------------------------------------------------------------------
// ExpectedToDate and RatioBasisPoints

PeriodProgress Quarter(int month_index, int day_of_month) {
  return PeriodProgress{{300, 300, 400}, {30, 31, 30}, month_index, day_of_month};
}

TEST(ExpectedToDateTest, NothingIsExpectedAtTheStart) {
  EXPECT_EQ(ExpectedToDate(Quarter(0, 0)), 0);
}

TEST(ExpectedToDateTest, MidMonthAddsTheCurrentMonthProRataByDay) {
  // 300 for January + 300 * 15 / 31 = 145 (floored).
  EXPECT_EQ(ExpectedToDate(Quarter(1, 15)), 445);
  EXPECT_EQ(ExpectedToDate(Quarter(0, 10)), 100);
}

TEST(ExpectedToDateTest, LastDayOfAMonthExpectsTheWholeMonth) {
  EXPECT_EQ(ExpectedToDate(Quarter(2, 30)), 1000);
}

TEST(ExpectedToDateTest, AfterThePeriodTheWholeAmountIsExpected) {
  EXPECT_EQ(ExpectedToDate(Quarter(3, 0)), 1000);
  EXPECT_EQ(ExpectedToDate(Quarter(12, 5)), 1000);
}

TEST(ExpectedToDateTest, DaysBeyondTheMonthAreClampedToIt) {
  EXPECT_EQ(ExpectedToDate(Quarter(0, 45)), 300);
}

TEST(ExpectedToDateTest, HugeMonthlyAmountsDoNotOverflowTheProRataProduct) {
  PeriodProgress p{{kMax / 2, kMax / 2}, {31, 30}, 1, 15};
  EXPECT_EQ(ExpectedToDate(p),
            kMax / 2 + static_cast<int64_t>(static_cast<int128>(kMax / 2) * 15 / 30));
}

TEST(RatioBasisPointsTest, ZeroDenominatorIsZero) {
  EXPECT_EQ(RatioBasisPoints(123, 0), 0);
  EXPECT_EQ(RatioBasisPoints(0, 0), 0);
}

TEST(RatioBasisPointsTest, RatioIsInBasisPointsTruncated) {
  EXPECT_EQ(RatioBasisPoints(50, 100), 5000);
  EXPECT_EQ(RatioBasisPoints(1, 3), 3333);
  EXPECT_EQ(RatioBasisPoints(3, 2), 15000);
}

TEST(RatioBasisPointsTest, SaturatesAtInt32Limits) {
  EXPECT_EQ(RatioBasisPoints(kMax, 1), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(RatioBasisPoints(1'000'000, 1), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(RatioBasisPoints(-kMax, 1), std::numeric_limits<int32_t>::min());
}

// ---------------------------------------------------------------------------
// SuggestMoves

// behind: pace 2000 bp, projected 200, can give 800.
// ahead: pace 15000 bp, projected 1500, can take 500. ahead-2: projected 1200, can take 200.
std::vector<PaceCell> Team() {
  return {
      PaceCell{"behind", 1000, 100, 500, false},
      PaceCell{"ahead", 1000, 750, 500, false},
      PaceCell{"on-pace", 1000, 500, 500, false},
      PaceCell{"ahead-2", 1000, 600, 500, false},
      PaceCell{"locked-behind", 1000, 0, 500, true},
      PaceCell{"locked-ahead", 1000, 1000, 500, true},
  };
}

std::map<std::string, int64_t> Apply(const std::vector<PaceCell>& cells,
                                     const std::vector<Move>& moves) {
  std::map<std::string, int64_t> t;
  for (const PaceCell& c : cells) {
    t[c.key] = c.target;
  }
  for (const Move& m : moves) {
    t[m.from] -= m.amount;
    t[m.to] += m.amount;
  }
  return t;
}

TEST(SuggestMovesTest, MovesFromBehindToAheadInProportionToOverPerformanceLargestFirst) {
  const std::vector<Move> moves = SuggestMoves(Team(), 8000, 10);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].from, "behind");
  EXPECT_EQ(moves[0].to, "ahead");
  EXPECT_EQ(moves[0].amount, 500);
  EXPECT_EQ(moves[1].from, "behind");
  EXPECT_EQ(moves[1].to, "ahead-2");
  EXPECT_EQ(moves[1].amount, 200);
}

TEST(SuggestMovesTest, LockedCellsAreNeverMovedAndTheTotalIsKept) {
  const std::vector<PaceCell> team = Team();
  const auto after = Apply(team, SuggestMoves(team, 8000, 10));
  EXPECT_EQ(after.at("locked-behind"), 1000);
  EXPECT_EQ(after.at("locked-ahead"), 1000);
  EXPECT_EQ(after.at("on-pace"), 1000);
  int64_t total = 0;
  for (const auto& [key, target] : after) {
    total += target;
  }
  EXPECT_EQ(total, 6000);
}

TEST(SuggestMovesTest, GivesNoMoreThanTheUnachievablePartSoTargetStaysAboveActual) {
  // Only 100 can be given (projected 900), though the taker could absorb far more.
  const std::vector<PaceCell> team = {PaceCell{"slow", 1000, 450, 500, false},
                                      PaceCell{"fast", 1000, 5000, 500, false}};
  const std::vector<Move> moves = SuggestMoves(team, 9500, 10);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].amount, 100);
  EXPECT_GE(Apply(team, moves).at("slow"), 450);
}

TEST(SuggestMovesTest, NeverTakesATargetBelowActual) {
  // Expected above target (bad data): projected 250 < actual 400, so keep 400.
  const std::vector<PaceCell> team = {PaceCell{"odd", 500, 400, 800, false},
                                      PaceCell{"fast", 1000, 1000, 500, false}};
  const std::vector<Move> moves = SuggestMoves(team, 8000, 10);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].amount, 100);
  EXPECT_EQ(Apply(team, moves).at("odd"), 400);
}

TEST(SuggestMovesTest, MaxMovesKeepsTheLargestMoves) {
  const std::vector<Move> moves = SuggestMoves(Team(), 8000, 1);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].to, "ahead");
  EXPECT_EQ(moves[0].amount, 500);
  EXPECT_THAT(SuggestMoves(Team(), 8000, 0), IsEmpty());
}

TEST(SuggestMovesTest, NobodyBehindOrNobodyAheadMeansNoMoves) {
  EXPECT_THAT(SuggestMoves(Team(), 1000, 10), IsEmpty());  // 2000 bp is not behind 1000 bp
  EXPECT_THAT(SuggestMoves({PaceCell{"behind", 1000, 100, 500, false}}, 8000, 10), IsEmpty());
}

TEST(SuggestMovesTest, CellsWithNothingExpectedYetAreLeftAlone) {
  const std::vector<PaceCell> team = {PaceCell{"new", 1000, 0, 0, false},
                                      PaceCell{"fast", 1000, 1000, 500, false}};
  EXPECT_THAT(SuggestMoves(team, 8000, 10), IsEmpty());
}

TEST(SuggestMovesTest, InputOrderDoesNotChangeTheMoves) {
  std::vector<PaceCell> team = Team();
  const std::vector<Move> a = SuggestMoves(team, 8000, 10);
  std::reverse(team.begin(), team.end());
  const std::vector<Move> b = SuggestMoves(team, 8000, 10);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::tie(a[i].from, a[i].to, a[i].amount), std::tie(b[i].from, b[i].to, b[i].amount));
  }
}

TEST(SuggestMovesPropertyTest, RandomTeamsKeepSumsLocksActualsAndOrderInvariance) {
  for (uint64_t seed = 60'001; seed <= 62'000; ++seed) {
    std::mt19937_64 rng(seed);
    const int n = static_cast<int>(Uniform(rng, 1, 200));
    std::vector<PaceCell> team;
    for (int i = 0; i < n; ++i) {
      PaceCell c;
      c.key = absl::StrCat("rep-", Uniform(rng, 0, 1'000'000), "-", i);
      c.target = Uniform(rng, 0, Chance(rng, 0.1) ? 1'000'000'000'000'000 : 1'000'000);
      c.expected = Uniform(rng, 0, c.target);
      c.actual = Uniform(rng, 0, std::max<int64_t>(1, c.expected * 2));
      c.locked = Chance(rng, 0.2);
      team.push_back(c);
    }
    const int32_t behind_bp = static_cast<int32_t>(Uniform(rng, 0, 12000));
    const int max_moves = static_cast<int>(Uniform(rng, 0, 50));
    const std::vector<Move> moves = SuggestMoves(team, behind_bp, max_moves);
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    ASSERT_LE(moves.size(), static_cast<size_t>(max_moves));

    std::map<std::string, const PaceCell*> by_key;
    for (const PaceCell& c : team) {
      by_key[c.key] = &c;
    }
    for (size_t i = 0; i < moves.size(); ++i) {
      ASSERT_GT(moves[i].amount, 0);
      ASSERT_FALSE(by_key.at(moves[i].from)->locked);
      ASSERT_FALSE(by_key.at(moves[i].to)->locked);
      if (i > 0) {
        ASSERT_GE(moves[i - 1].amount, moves[i].amount) << "not largest first";
      }
    }
    const auto after = Apply(team, moves);
    int128 before_sum = 0, after_sum = 0;
    for (const PaceCell& c : team) {
      before_sum += c.target;
      after_sum += after.at(c.key);
      const int64_t now = after.at(c.key);
      if (now < c.target) {
        // A giver keeps at least its projection and its actual.
        const int128 projected = static_cast<int128>(c.actual) * c.target / c.expected;
        ASSERT_GE(now, c.actual) << c.key;
        ASSERT_TRUE(now >= projected) << c.key;
        ASSERT_LT(RatioBasisPoints(c.actual, c.expected), behind_bp) << c.key;
      } else if (now > c.target) {
        // A taker is not pushed behind its projection.
        const int128 projected = static_cast<int128>(c.actual) * c.target / c.expected;
        ASSERT_TRUE(now <= projected) << c.key;
        ASSERT_GE(RatioBasisPoints(c.actual, c.expected), 10000) << c.key;
      }
    }
    ASSERT_TRUE(before_sum == after_sum);

    std::vector<PaceCell> shuffled = team;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const std::vector<Move> again = SuggestMoves(shuffled, behind_bp, max_moves);
    ASSERT_EQ(again.size(), moves.size());
    for (size_t i = 0; i < moves.size(); ++i) {
      ASSERT_EQ(std::tie(moves[i].from, moves[i].to, moves[i].amount),
                std::tie(again[i].from, again[i].to, again[i].amount));
    }
  }
}

}  // namespace
}  // namespace salesops::targets
