// Tests for the bounded Nelder–Mead minimiser: it finds interior minima of
// smooth functions, respects the box (the answer lies on the bound when the
// unconstrained minimum is outside it), and never evaluates outside the box.
#include "services/forecast/domain/optimizer.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

TEST(NelderMeadTest, FindsTheMinimumOfRosenbrock) {
  auto rosenbrock = [](absl::Span<const double> x) {
    return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
  };
  NelderMeadOptions options;
  options.max_evaluations = 5000;
  options.tolerance = 1e-12;
  const Minimum m = MinimizeNelderMead(rosenbrock, {-1.2, 1.0}, {-5, -5}, {5, 5}, options);
  EXPECT_NEAR(m.x[0], 1.0, 1e-3);
  EXPECT_NEAR(m.x[1], 1.0, 1e-3);
  EXPECT_LT(m.value, 1e-6);
}

TEST(NelderMeadTest, StopsOnTheBoundWhenTheMinimumLiesOutside) {
  // Unconstrained minimum at (2, -3); the box is [0, 1] × [-1, 1].
  auto f = [](absl::Span<const double> x) { return std::pow(x[0] - 2, 2) + std::pow(x[1] + 3, 2); };
  const Minimum m = MinimizeNelderMead(f, {0.5, 0.0}, {0, -1}, {1, 1});
  EXPECT_NEAR(m.x[0], 1.0, 1e-6);
  EXPECT_NEAR(m.x[1], -1.0, 1e-6);
}

TEST(NelderMeadTest, NeverEvaluatesOutsideTheBox) {
  bool outside = false;
  auto f = [&](absl::Span<const double> x) {
    if (x[0] < 0.1 || x[0] > 0.9 || x[1] < -2 || x[1] > 2) {
      outside = true;
    }
    return -x[0] * x[0] + x[1] * x[1];  // pushes x[0] towards a bound
  };
  MinimizeNelderMead(f, {0.5, 1.5}, {0.1, -2}, {0.9, 2});
  EXPECT_FALSE(outside);
}

TEST(NelderMeadTest, ClampsAStartOutsideTheBox) {
  auto f = [](absl::Span<const double> x) { return std::pow(x[0] - 0.3, 2); };
  const Minimum m = MinimizeNelderMead(f, {7.0}, {0}, {1});
  EXPECT_NEAR(m.x[0], 0.3, 1e-4);
}

TEST(NelderMeadTest, TreatsNonFiniteValuesAsWorseThanAnything) {
  // NaN left of 0.2: the minimiser must still converge to the finite minimum at 0.5.
  auto f = [](absl::Span<const double> x) {
    return x[0] < 0.2 ? std::numeric_limits<double>::quiet_NaN() : std::pow(x[0] - 0.5, 2);
  };
  const Minimum m = MinimizeNelderMead(f, {0.9}, {0}, {1});
  EXPECT_NEAR(m.x[0], 0.5, 1e-4);
}

TEST(NelderMeadTest, RespectsTheEvaluationBudget) {
  int calls = 0;
  auto f = [&](absl::Span<const double> x) {
    ++calls;
    return std::pow(x[0] - 0.3, 2) + std::pow(x[1] - 0.6, 2) + std::sin(50 * x[0]) * 1e-3;
  };
  NelderMeadOptions options;
  options.max_evaluations = 40;
  options.tolerance = 1e-15;
  const Minimum m = MinimizeNelderMead(f, {0.9, 0.1}, {0, 0}, {1, 1}, options);
  // A step may evaluate up to d + 1 points after the check (a shrink).
  EXPECT_LE(calls, 40 + 3);
  EXPECT_EQ(m.evaluations, calls);
}

}  // namespace
}  // namespace salesops::forecast
