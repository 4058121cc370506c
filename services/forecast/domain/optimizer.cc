#include "services/forecast/domain/optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace salesops::forecast {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// One run of Nelder–Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2).
class Simplex {
 public:
  Simplex(absl::FunctionRef<double(absl::Span<const double>)> f, const std::vector<double>& lower,
          const std::vector<double>& upper, const NelderMeadOptions& options, int* evaluations)
      : f_(f), lower_(lower), upper_(upper), options_(options), evaluations_(evaluations) {}

  // Returns the best vertex found starting from `start`.
  Minimum Run(const std::vector<double>& start) {
    const size_t d = start.size();
    vertices_.assign(d + 1, start);
    values_.assign(d + 1, kInfinity);
    for (size_t i = 0; i < d; ++i) {
      const double range = upper_[i] - lower_[i];
      double step = options_.step_fraction * range;
      if (step == 0) {
        step = 0;
      } else if (start[i] + step > upper_[i]) {
        step = -step;  // step inwards at the upper bound
      }
      vertices_[i + 1][i] += step;
    }
    for (size_t i = 0; i <= d; ++i) {
      values_[i] = Evaluate(vertices_[i]);
    }
    std::vector<double> centroid(d), trial(d), trial2(d);
    while (*evaluations_ < options_.max_evaluations) {
      // Best, worst and second worst in one pass (the simplex is tiny).
      size_t best = 0, worst = 0;
      for (size_t i = 1; i <= d; ++i) {
        if (values_[i] < values_[best]) {
          best = i;
        }
        if (values_[i] >= values_[worst]) {
          worst = i;
        }
      }
      size_t second_worst = best;
      for (size_t i = 0; i <= d; ++i) {
        if (i != worst && values_[i] >= values_[second_worst]) {
          second_worst = i;
        }
      }
      if (Converged(best, worst)) {
        break;
      }
      std::fill(centroid.begin(), centroid.end(), 0.0);
      for (size_t i = 0; i <= d; ++i) {
        if (i == worst) {
          continue;
        }
        for (size_t j = 0; j < d; ++j) {
          centroid[j] += vertices_[i][j] / d;
        }
      }
      Along(centroid, vertices_[worst], -1.0, &trial);  // reflection
      const double reflected = Evaluate(trial);
      if (reflected < values_[best]) {
        Along(centroid, vertices_[worst], -2.0, &trial2);  // expansion
        const double expanded = Evaluate(trial2);
        if (expanded < reflected) {
          Replace(worst, trial2, expanded);
        } else {
          Replace(worst, trial, reflected);
        }
        continue;
      }
      if (reflected < values_[second_worst]) {
        Replace(worst, trial, reflected);
        continue;
      }
      // Contraction: outside if the reflection improved on the worst, else inside.
      const bool outside = reflected < values_[worst];
      Along(centroid, vertices_[worst], outside ? -0.5 : 0.5, &trial2);
      const double contracted = Evaluate(trial2);
      if (contracted < (outside ? reflected : values_[worst])) {
        Replace(worst, trial2, contracted);
        continue;
      }
      // Shrink towards the best vertex.
      for (size_t i = 0; i <= d; ++i) {
        if (i == best) {
          continue;
        }
        for (size_t j = 0; j < d; ++j) {
          vertices_[i][j] = vertices_[best][j] + 0.5 * (vertices_[i][j] - vertices_[best][j]);
        }
        values_[i] = Evaluate(vertices_[i]);
      }
    }
    const size_t best =
        static_cast<size_t>(std::min_element(values_.begin(), values_.end()) - values_.begin());
    return Minimum{vertices_[best], values_[best], *evaluations_};
  }

 private:
  double Evaluate(std::vector<double>& x) {
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = std::clamp(x[i], lower_[i], upper_[i]);
    }
    ++*evaluations_;
    const double value = f_(x);
    return std::isfinite(value) ? value : kInfinity;
  }

  // out = centroid + t·(point - centroid), i.e. t = -1 reflects `point`.
  static void Along(const std::vector<double>& centroid, const std::vector<double>& point, double t,
                    std::vector<double>* out) {
    for (size_t j = 0; j < centroid.size(); ++j) {
      (*out)[j] = centroid[j] + t * (point[j] - centroid[j]);
    }
  }

  void Replace(size_t i, const std::vector<double>& x, double value) {
    vertices_[i] = x;
    values_[i] = value;
  }

  bool Converged(size_t best, size_t worst) const {
    const double fb = values_[best];
    const double fw = values_[worst];
    if (!std::isfinite(fw)) {
      return false;
    }
    if (std::fabs(fw - fb) > options_.tolerance * (std::fabs(fb) + options_.tolerance)) {
      return false;
    }
    for (const std::vector<double>& v : vertices_) {
      for (size_t j = 0; j < v.size(); ++j) {
        const double range = upper_[j] - lower_[j];
        if (std::fabs(v[j] - vertices_[best][j]) > 1e3 * options_.tolerance * (range + 1e-12)) {
          return false;
        }
      }
    }
    return true;
  }

  absl::FunctionRef<double(absl::Span<const double>)> f_;
  const std::vector<double>& lower_;
  const std::vector<double>& upper_;
  const NelderMeadOptions& options_;
  int* evaluations_;
  std::vector<std::vector<double>> vertices_;
  std::vector<double> values_;
};

}  // namespace

Minimum MinimizeNelderMead(absl::FunctionRef<double(absl::Span<const double>)> f,
                           std::vector<double> start, const std::vector<double>& lower,
                           const std::vector<double>& upper, const NelderMeadOptions& options) {
  for (size_t i = 0; i < start.size(); ++i) {
    start[i] = std::clamp(start[i], lower[i], upper[i]);
  }
  int evaluations = 0;
  if (start.empty()) {
    return Minimum{start, f(start), 1};
  }
  Simplex simplex(f, lower, upper, options, &evaluations);
  Minimum best = simplex.Run(start);
  for (int r = 0; r < options.restarts && evaluations < options.max_evaluations; ++r) {
    Minimum again = simplex.Run(best.x);
    if (again.value < best.value) {
      best = again;
    } else {
      break;
    }
  }
  best.evaluations = evaluations;
  return best;
}

}  // namespace salesops::forecast
