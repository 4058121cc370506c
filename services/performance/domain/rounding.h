// Exact money × rate arithmetic for commission and scorecards, with the one
// rounding rule the performance service uses: round half to even ("banker's
// rounding"), applied once per statement line, never to intermediate results.
// Rates are integers in millionths (1'000'000 = 100 %), ratios and scores in
// basis points (10'000 = 100 %); products are formed in 128 bits, so nothing
// rounds or overflows before the final division.
//
//   ApplyRate(123'45, 25'000);              // 123.45 × 2.5 % = 3.08625 → 309 (3.09)
//   ApplyRates(100'00, 20'000, 1'500'000);  // 100.00 × 2 % × 1.5 = 3.00 → 300
//   DivRoundHalfEven(5, 2);                 // 2 (ties go to the even neighbour)
//   DivRoundHalfEven(-7, 2);                // -4 (symmetric around zero)
//
// Half-even is unbiased over many lines (half-up would add on average a
// quarter of a cent per tie line), which matters for commission paid on
// thousands of lines and matches what finance systems do.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace salesops::performance {

using int128 = __int128;

// 100 % as a rate in millionths.
inline constexpr int64_t kRateOne = 1'000'000;
// 100 % as basis points.
inline constexpr int64_t kBasisPointsOne = 10'000;

// num / den rounded to the nearest integer, ties to the even one. den != 0.
// |num| must stay below 2^126 (every caller multiplies at most an int64 by
// two factors below 2^31, so it does).
constexpr int128 DivRoundHalfEven(int128 num, int128 den) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  int128 quotient = num / den;    // truncates toward zero
  const int128 rest = num % den;  // has the sign of num
  const int128 twice_rest = (rest < 0 ? -rest : rest) * 2;
  if (twice_rest > den || (twice_rest == den && quotient % 2 != 0)) {
    quotient += num < 0 ? -1 : 1;
  }
  return quotient;
}

// The value as int64, or nullopt when it does not fit.
constexpr std::optional<int64_t> NarrowToInt64(int128 value) {
  if (value > std::numeric_limits<int64_t>::max() || value < std::numeric_limits<int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

// a × b / den, rounded half-even; nullopt when den == 0 or the result does not
// fit in int64.
constexpr std::optional<int64_t> MulDivHalfEven(int64_t a, int64_t b, int64_t den) {
  if (den == 0) {
    return std::nullopt;
  }
  return NarrowToInt64(DivRoundHalfEven(static_cast<int128>(a) * b, den));
}

// amount × rate (millionths), rounded half-even: the commission of one line.
constexpr std::optional<int64_t> ApplyRate(int64_t amount_minor, int64_t rate_millionths) {
  return MulDivHalfEven(amount_minor, rate_millionths, kRateOne);
}

// amount × rate × multiplier (both millionths) with a single rounding, so an
// accelerated line is not rounded twice. |rate|, |multiplier| < 2^31.
constexpr std::optional<int64_t> ApplyRates(int64_t amount_minor, int64_t rate_millionths,
                                            int64_t multiplier_millionths) {
  const int128 product =
      static_cast<int128>(amount_minor) * rate_millionths * multiplier_millionths;
  return NarrowToInt64(DivRoundHalfEven(product, static_cast<int128>(kRateOne) * kRateOne));
}

// An attainment threshold in basis points as an amount of money against
// `target_minor`: target × bp / 10000, rounded half-even. Tier boundaries are
// compared in money so no attainment percentage is ever rounded.
constexpr int64_t ThresholdAmount(int64_t target_minor, int64_t basis_points) {
  return static_cast<int64_t>(
      DivRoundHalfEven(static_cast<int128>(target_minor) * basis_points, kBasisPointsOne));
}

}  // namespace salesops::performance
