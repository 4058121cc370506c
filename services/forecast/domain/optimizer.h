// A bounded Nelder–Mead minimiser for the handful (≤ 8) of smoothing and
// initial-state parameters of the forecast models. Derivative-free because
// the likelihoods are cheap recursions whose gradients we do not want to
// maintain; bounded by projecting every trial point onto the box, which keeps
// the smoothing parameters in their admissible ranges. One restart from the
// best point guards against the simplex collapsing early. Deterministic.
//
//   Minimum m = MinimizeNelderMead(
//       [](absl::Span<const double> x) { return (x[0] - 1) * (x[0] - 1); },
//       /*start=*/{0.5}, /*lower=*/{0}, /*upper=*/{2});
//   // m.x[0] ≈ 1
#pragma once

#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"

namespace salesops::forecast {

struct NelderMeadOptions {
  int max_evaluations = 1000;
  // Stop when the simplex's function values agree to this relative tolerance
  // and its vertices to this fraction of each parameter's range.
  double tolerance = 1e-8;
  // First simplex: start + step_fraction·(upper - lower) along each axis.
  double step_fraction = 0.1;
  // Restarts from the best point with a fresh simplex (0 = none).
  int restarts = 1;
};

struct Minimum {
  std::vector<double> x;
  double value = 0;
  int evaluations = 0;
};

// Minimises f over the box [lower, upper] (same sizes as start; lower <= upper).
// `start` is clamped into the box first. A non-finite f counts as +infinity.
Minimum MinimizeNelderMead(absl::FunctionRef<double(absl::Span<const double>)> f,
                           std::vector<double> start, const std::vector<double>& lower,
                           const std::vector<double>& upper, const NelderMeadOptions& options = {});

}  // namespace salesops::forecast
