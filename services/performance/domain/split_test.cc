// Split credit: worked examples of the largest-remainder split and its
// tie-break, validation errors with field paths, and a property test over
// thousands of random splits (fixed seed): parts sum exactly, each is within
// one unit of its exact share, and the order of shares does not matter.
#include "services/performance/domain/split.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::performance {
namespace {

using ::testing::ElementsAre;

// 100.00 three ways (33.3334 % / 33.3333 % / 33.3333 %): floors 33.33 each, the
// leftover cent goes to the largest remainder (rep-a's 0.334 cent).
TEST(SplitTest, LeftoverCentGoesToTheLargestRemainder) {
  // 10000 × 0.333334 = 3333.34 → 3333 r .34; 10000 × 0.333333 = 3333.33 → 3333 r .33 (twice).
  auto parts = SplitAmount(100'00, {{"rep-a", 333'334}, {"rep-b", 333'333}, {"rep-c", 333'333}},
                           ShareScale::kMillionths, "deal.split");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(3334, 3333, 3333));
}

// An odd cent split 50/50: equal remainders and shares, so the smaller member id gets it.
TEST(SplitTest, OddCentTieGoesToTheSmallerMemberIdWhateverTheOrder) {
  // 100.01 × 50 % = 50.005 each: floors 50.00 + 50.00, one cent left, tie → "rep-a".
  auto ab =
      SplitAmount(100'01, {{"rep-a", 5'000}, {"rep-b", 5'000}}, ShareScale::kBasisPoints, "s");
  auto ba =
      SplitAmount(100'01, {{"rep-b", 5'000}, {"rep-a", 5'000}}, ShareScale::kBasisPoints, "s");
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_THAT(*ab, ElementsAre(50'01, 50'00));
  EXPECT_THAT(*ba, ElementsAre(50'00, 50'01));
}

// Equal remainders but different shares: the larger share gets the unit.
TEST(SplitTest, EqualRemaindersGoToTheLargerShare) {
  // 2 units at 25 % / 75 %: exact 0.5 and 1.5, equal remainders → the 75 % share.
  auto parts = SplitAmount(2, {{"a", 2'500}, {"b", 7'500}}, ShareScale::kBasisPoints, "s");
  ASSERT_TRUE(parts.ok());
  EXPECT_THAT(*parts, ElementsAre(0, 2));
}

// A refund splits as the mirror image, so a full refund undoes each rep's part exactly.
TEST(SplitTest, NegativeAmountsMirrorThePositiveSplit) {
  std::vector<CreditShare> s = {{"rep-a", 333'334}, {"rep-b", 333'333}, {"rep-c", 333'333}};
  auto plus = SplitAmount(100'00, s, ShareScale::kMillionths, "s");
  auto minus = SplitAmount(-100'00, s, ShareScale::kMillionths, "s");
  ASSERT_TRUE(plus.ok() && minus.ok());
  EXPECT_THAT(*minus, ElementsAre(-3334, -3333, -3333));
  EXPECT_EQ(PartFor(-100'00, s, ShareScale::kMillionths, "rep-a"), -3334);
  EXPECT_EQ(PartFor(100'00, s, ShareScale::kMillionths, "nobody"), 0);
}

// Shares that do not sum to 100 % name the split with a stable reason.
TEST(SplitTest, SharesNotSummingTo100PercentAreRejected) {
  auto parts =
      SplitAmount(100, {{"a", 600'000}, {"b", 300'000}}, ShareScale::kMillionths, "facts[3].split");
  ASSERT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(parts.status()), "SPLIT_NOT_100_PERCENT");
  ASSERT_EQ(FieldViolations(parts.status()).size(), 1u);
  EXPECT_EQ(FieldViolations(parts.status())[0].field, "facts[3].split");
}

// Bad entries are named by index: empty or repeated member, share out of range, no shares.
TEST(SplitTest, BadSharesNameTheIndexedField) {
  absl::Status st =
      ValidateShares({{"", 5'000}, {"a", 0}, {"a", 5'000}}, ShareScale::kBasisPoints, "deal.split");
  std::vector<std::string> fields;
  for (const FieldViolation& v : FieldViolations(st)) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ElementsAre("deal.split[0].member_id", "deal.split[1].share",
                                  "deal.split[2].member_id"));
  EXPECT_EQ(ValidateShares({}, ShareScale::kBasisPoints, "deal.split").code(),
            absl::StatusCode::kInvalidArgument);
}

// AllocateByWeight: exact sums, ties to the larger weight then the lower index, zero weights get
// nothing.
TEST(SplitTest, AllocateByWeight) {
  EXPECT_THAT(AllocateByWeight(10, {5, 3, 1}), ElementsAre(6, 3, 1));  // 5.56, 3.33, 1.11
  EXPECT_THAT(AllocateByWeight(1, {1, 1}), ElementsAre(1, 0));
  EXPECT_THAT(AllocateByWeight(3, {0, 2, 0, 2}), ElementsAre(0, 2, 0, 1));
  EXPECT_THAT(AllocateByWeight(5, {0, 0}), ElementsAre(0, 0));
}

// Random splits (fixed seed): parts sum exactly, are within one unit of the exact share,
// order-free.
TEST(SplitPropertyTest, RandomSplitsSumExactlyAndAreOrderFree) {
  std::mt19937_64 rng(20250913);
  for (int round = 0; round < 5'000; ++round) {
    const int n = std::uniform_int_distribution<int>(1, 7)(rng);
    // Random shares summing to 1'000'000: cut points on [0, 1'000'000].
    std::vector<int64_t> cuts = {0, 1'000'000};
    while (static_cast<int>(cuts.size()) < n + 1) {
      const int64_t c = std::uniform_int_distribution<int64_t>(1, 999'999)(rng);
      if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) {
        cuts.push_back(c);
      }
    }
    std::sort(cuts.begin(), cuts.end());
    std::vector<CreditShare> shares;
    for (int i = 0; i < n; ++i) {
      shares.push_back({absl::StrCat("rep-", i), cuts[i + 1] - cuts[i]});
    }
    const int64_t amount =
        std::uniform_int_distribution<int64_t>(-1'000'000'000'00, 1'000'000'000'00)(rng);
    auto parts = SplitAmount(amount, shares, ShareScale::kMillionths, "s");
    ASSERT_TRUE(parts.ok()) << parts.status();
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      sum += (*parts)[i];
      const __int128 exact_times_scale = static_cast<__int128>(amount) * shares[i].share;
      const __int128 diff = static_cast<__int128>((*parts)[i]) * 1'000'000 - exact_times_scale;
      ASSERT_LT(diff < 0 ? -diff : diff, 1'000'000) << "part " << i << " strays from its share";
    }
    ASSERT_EQ(sum, amount);
    // Reversed order: each member gets the same part.
    std::vector<CreditShare> reversed(shares.rbegin(), shares.rend());
    auto again = SplitAmount(amount, reversed, ShareScale::kMillionths, "s");
    ASSERT_TRUE(again.ok());
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ((*again)[n - 1 - i], (*parts)[i]);
    }
  }
}

}  // namespace
}  // namespace salesops::performance
