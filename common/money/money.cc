#include "common/money/money.h"

#include <algorithm>
#include <iterator>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace salesops {
namespace {

// Active ISO 4217 codes (2024 list), sorted for binary search.
constexpr absl::string_view kCurrencies[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL"};

}  // namespace

bool IsKnownCurrency(absl::string_view code) {
  return std::binary_search(std::begin(kCurrencies), std::end(kCurrencies), code);
}

int CurrencyMinorDigits(absl::string_view code) {
  for (absl::string_view c : {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                              "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}) {
    if (code == c) {
      return 0;
    }
  }
  for (absl::string_view c : {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}) {
    if (code == c) {
      return 3;
    }
  }
  return 2;
}

void CheckMoney(Violations& v, const std::string& field, const MoneyValue& money, MoneyRule rule) {
  if (money.currency_code.empty()) {
    v.Add(absl::StrCat(field, ".currency_code"), "required (ISO 4217, e.g. CNY)");
  } else if (!IsKnownCurrency(money.currency_code)) {
    v.Add(absl::StrCat(field, ".currency_code"),
          absl::StrCat(QuoteUntrusted(money.currency_code), " is not an ISO 4217 currency code"));
  }
  if (rule == MoneyRule::kPositive && money.amount_minor <= 0) {
    v.Add(absl::StrCat(field, ".amount_minor"), "must be greater than 0");
  } else if (rule == MoneyRule::kNonNegative && money.amount_minor < 0) {
    v.Add(absl::StrCat(field, ".amount_minor"), "must not be negative");
  }
}

std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

std::string FormatMoney(const MoneyValue& money) {
  const int digits = CurrencyMinorDigits(money.currency_code);
  const bool negative = money.amount_minor < 0;
  // Work in unsigned so INT64_MIN formats correctly.
  uint64_t abs = negative ? 0 - static_cast<uint64_t>(money.amount_minor)
                          : static_cast<uint64_t>(money.amount_minor);
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) {
    scale *= 10;
  }
  std::string frac = absl::StrCat(abs % scale);
  if (digits > 0) {
    frac.insert(0, digits - frac.size(), '0');
  }
  return absl::StrCat(negative ? "-" : "", abs / scale, digits > 0 ? "." : "",
                      digits > 0 ? frac : "", " ", money.currency_code);
}

std::optional<int64_t> ParseMajorUnits(absl::string_view text, absl::string_view currency_code) {
  text = absl::StripAsciiWhitespace(text);
  const int digits = CurrencyMinorDigits(currency_code);
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.empty() || parts.size() > 2 || parts[0].empty()) {
    return std::nullopt;
  }
  for (char c : parts[0]) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  std::string frac = parts.size() == 2 ? std::string(parts[1]) : "";
  if (static_cast<int>(frac.size()) > digits || (parts.size() == 2 && frac.empty())) {
    return std::nullopt;
  }
  for (char c : frac) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  frac.append(digits - frac.size(), '0');
  int64_t major = 0, minor = 0;
  if (!absl::SimpleAtoi(parts[0], &major)) {
    return std::nullopt;
  }
  if (!frac.empty() && !absl::SimpleAtoi(frac, &minor)) {
    return std::nullopt;
  }
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) {
    scale *= 10;
  }
  int64_t out = 0;
  if (__builtin_mul_overflow(major, scale, &out) || __builtin_add_overflow(out, minor, &out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace salesops
