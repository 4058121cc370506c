#include "common/money/money.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

TEST(MoneyTest, KnowsIsoCodesAndRejectsOthers) {
  EXPECT_TRUE(IsKnownCurrency("CNY"));
  EXPECT_TRUE(IsKnownCurrency("USD"));
  EXPECT_TRUE(IsKnownCurrency("ZWL"));
  EXPECT_TRUE(IsKnownCurrency("AED"));
  EXPECT_FALSE(IsKnownCurrency("cny"));
  EXPECT_FALSE(IsKnownCurrency("RMB"));
  EXPECT_FALSE(IsKnownCurrency(""));
  EXPECT_FALSE(IsKnownCurrency("CNYY"));
}

TEST(MoneyTest, CheckMoneyNamesTheSubField) {
  Violations v;
  CheckMoney(v, "opportunity.amount", {-5, "XXX"}, MoneyRule::kPositive);
  auto list = FieldViolations(v.Finish());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].field, "opportunity.amount.currency_code");
  EXPECT_EQ(list[1].field, "opportunity.amount.amount_minor");
}

TEST(MoneyTest, ZeroIsAllowedOnlyWhenNonNegative) {
  Violations a, b;
  CheckMoney(a, "x", {0, "CNY"}, MoneyRule::kPositive);
  CheckMoney(b, "x", {0, "CNY"}, MoneyRule::kNonNegative);
  EXPECT_FALSE(a.empty());
  EXPECT_TRUE(b.empty());
}

TEST(MoneyTest, CheckedAddDetectsOverflow) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(CheckedAdd(1, 2), 3);
  EXPECT_EQ(CheckedAdd(max, 1), std::nullopt);
  EXPECT_EQ(CheckedAdd(max - 1, 1), max);
}

TEST(MoneyTest, FormatsWithTheCurrencysDigits) {
  EXPECT_EQ(FormatMoney({123456, "CNY"}), "1234.56 CNY");
  EXPECT_EQ(FormatMoney({5, "CNY"}), "0.05 CNY");
  EXPECT_EQ(FormatMoney({-5, "CNY"}), "-0.05 CNY");
  EXPECT_EQ(FormatMoney({500, "JPY"}), "500 JPY");
  EXPECT_EQ(FormatMoney({1234, "KWD"}), "1.234 KWD");
  EXPECT_EQ(FormatMoney({std::numeric_limits<int64_t>::min(), "CNY"}), "-92233720368547758.08 CNY");
}

TEST(MoneyTest, ParsesMajorUnitsExactly) {
  EXPECT_EQ(ParseMajorUnits("1234.56", "CNY"), 123456);
  EXPECT_EQ(ParseMajorUnits("1234.5", "CNY"), 123450);
  EXPECT_EQ(ParseMajorUnits(" 7 ", "CNY"), 700);
  EXPECT_EQ(ParseMajorUnits("500", "JPY"), 500);
  EXPECT_EQ(ParseMajorUnits("1.234", "CNY"), std::nullopt);  // too many digits
  EXPECT_EQ(ParseMajorUnits("1.5", "JPY"), std::nullopt);
  EXPECT_EQ(ParseMajorUnits("-1", "CNY"), std::nullopt);
  EXPECT_EQ(ParseMajorUnits("1e5", "CNY"), std::nullopt);
  EXPECT_EQ(ParseMajorUnits("1.", "CNY"), std::nullopt);
  EXPECT_EQ(ParseMajorUnits("", "CNY"), std::nullopt);
  EXPECT_EQ(ParseMajorUnits("99999999999999999999", "CNY"), std::nullopt);
  EXPECT_EQ(ParseMajorUnits("92233720368547758.08", "CNY"), std::nullopt);  // overflow
  EXPECT_EQ(ParseMajorUnits("92233720368547758.07", "CNY"), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace salesops
