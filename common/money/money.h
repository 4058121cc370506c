// Money as every SalesOps service handles it: int64 minor units plus an
// ISO 4217 currency code, never a double. Validation names the field
// ("opportunity.amount.currency_code"); sums are checked for overflow.
//
//   Violations v;
//   CheckMoney(v, "opportunity.amount", {req.amount().amount_minor(),
//                                        req.amount().currency_code()}, MoneyRule::kPositive);
//   std::optional<int64_t> total = CheckedAdd(a, b);  // nullopt on overflow
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/status/errors.h"

namespace salesops {

struct MoneyValue {
  int64_t amount_minor = 0;
  std::string currency_code;
};

// Active ISO 4217 codes (upper case, exactly three letters).
bool IsKnownCurrency(absl::string_view code);
// Digits after the decimal point (CNY 2, JPY 0, KWD 3); 2 when unknown.
int CurrencyMinorDigits(absl::string_view code);

enum class MoneyRule { kPositive, kNonNegative };
// Adds violations for `<field>.currency_code` (missing or not ISO 4217) and
// `<field>.amount_minor` (sign per `rule`).
void CheckMoney(Violations& v, const std::string& field, const MoneyValue& money, MoneyRule rule);

// a + b, or nullopt on int64 overflow.
std::optional<int64_t> CheckedAdd(int64_t a, int64_t b);

// "12345.67 CNY" — for messages and CSV; exact, no floating point.
std::string FormatMoney(const MoneyValue& money);
// Parses "12345.67" (at most the currency's minor digits) into minor units.
std::optional<int64_t> ParseMajorUnits(absl::string_view text, absl::string_view currency_code);

}  // namespace salesops
