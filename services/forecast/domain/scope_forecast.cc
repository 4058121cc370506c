#include "services/forecast/domain/scope_forecast.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace salesops::forecast {
namespace {

int64_t ToMinor(double v) {
  if (!std::isfinite(v)) {
    return 0;
  }
  if (v >= 9.0e18) {
    return static_cast<int64_t>(9'000'000'000'000'000'000LL);
  }
  if (v <= -9.0e18) {
    return -static_cast<int64_t>(9'000'000'000'000'000'000LL);
  }
  return std::llround(v);
}

}  // namespace

absl::StatusOr<std::optional<SeriesModel>> FitMonthlySeries(
    absl::Span<const DealRecord* const> deals, absl::CivilDay as_of, absl::CivilMonth until,
    const SeriesFitOptions& options) {
  if (deals.empty()) {
    return std::nullopt;
  }
  const absl::CivilMonth last = absl::CivilMonth(as_of) - 1;  // last complete month
  absl::CivilMonth first = absl::CivilMonth(as_of) - std::max(1, options.history_months);
  absl::CivilDay earliest = deals.front()->created;
  for (const DealRecord* d : deals) {
    earliest = std::min(earliest, d->created);
  }
  // Months before the scope's first deal are not zeros, they are unknown.
  first = std::max(first, absl::CivilMonth(earliest));
  if (first > last || until <= last) {
    return std::nullopt;
  }
  const std::vector<double> y = MonthlyBookings(deals, first, last);
  ForecastOptions fo;
  fo.horizon = static_cast<int>(until - last);
  fo.seasonal_period = DefaultSeasonalPeriod(Frequency::kMonthly);
  fo.confidence = options.confidence;
  fo.method = options.method;
  absl::StatusOr<SeriesForecast> f = ForecastSeries(y, fo);
  if (!f.ok()) {
    return f.status();
  }
  SeriesModel m;
  m.method = f->method;
  m.detail = f->detail;
  m.path.first = last + 1;
  for (size_t h = 0; h < f->path.mean.size(); ++h) {
    m.path.mean.push_back(ToMinor(f->path.mean[h]));
    m.path.low.push_back(ToMinor(f->path.lo[h]));
    m.path.high.push_back(ToMinor(f->path.hi[h]));
  }
  return m;
}

std::optional<Figures> SeriesForPeriod(
    const MonthlyPath& path, const Period& period, absl::CivilDay as_of,
    absl::FunctionRef<int64_t(absl::CivilMonth)> booked_in_month) {
  const absl::CivilMonth now(as_of);
  Figures f;
  for (const absl::CivilMonth m : MonthsOf(period)) {
    const int64_t booked = booked_in_month(m);
    if (m < now) {
      f.amount_minor += booked;
      f.low_minor += booked;
      f.high_minor += booked;
      continue;
    }
    const int64_t index = m - path.first;
    if (index < 0 || index >= static_cast<int64_t>(path.mean.size())) {
      return std::nullopt;
    }
    const size_t i = static_cast<size_t>(index);
    f.amount_minor += std::max(booked, path.mean[i]);
    f.low_minor += std::max(booked, std::min(path.low[i], path.mean[i]));
    f.high_minor += std::max(booked, std::max(path.high[i], path.mean[i]));
  }
  return f;
}

std::vector<BacktestOrigin> BacktestOrigins(const Period& current, absl::CivilDay today,
                                            int count) {
  std::vector<BacktestOrigin> out;
  const int months = MonthCount(current);
  const int64_t offset = std::max<int64_t>(0, today - current.start);
  for (int k = 1; k <= count; ++k) {
    BacktestOrigin o;
    o.period = ShiftMonths(current, -k * months);
    o.as_of = std::min(o.period.start + offset, o.period.end);
    out.push_back(o);
  }
  return out;
}

std::optional<double> AbsolutePercentageError(int64_t forecast_minor, int64_t actual_minor) {
  if (actual_minor <= 0) {
    return std::nullopt;
  }
  return std::abs(static_cast<double>(forecast_minor) - static_cast<double>(actual_minor)) /
         static_cast<double>(actual_minor);
}

absl::StatusOr<Backtest> RunBacktest(absl::Span<const DealRecord* const> deals,
                                     absl::Span<const BacktestOrigin> origins,
                                     const BacktestOptions& options) {
  Backtest out;
  for (size_t i = 0; i < origins.size(); ++i) {
    const BacktestOrigin& o = origins[i];
    if (o.stats == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("origins[", i, "].stats: required"));
    }
    BacktestPoint p;
    p.period = o.period;
    p.as_of = o.as_of;
    p.actual_minor = BookedBetween(deals, o.period.start, o.period.end);
    p.closed_at_as_of_minor = BookedBetween(deals, o.period.start, o.as_of);

    PipelineInput in;
    in.closed_to_date_minor = p.closed_at_as_of_minor;
    in.period = o.period;
    in.as_of = o.as_of;
    in.category = Category::kPipeline;
    in.confidence = options.series.confidence;
    in.prior_win_probability = options.prior_win_probability;
    for (const DealRecord* d : deals) {
      if (std::optional<OpenDeal> open = OpenAsOf(*d, o.as_of, /*with_expected_close=*/false)) {
        in.deals.push_back(*std::move(open));
      }
    }
    if (absl::StatusOr<PipelineForecast> f = ForecastPipeline(in, *o.stats); f.ok()) {
      p.pipeline_minor = f->amount_minor;
    }

    if (options.with_series) {
      absl::StatusOr<std::optional<SeriesModel>> m =
          FitMonthlySeries(deals, o.as_of, absl::CivilMonth(o.period.end), options.series);
      if (m.ok() && m->has_value()) {
        const absl::CivilMonth as_of_month(o.as_of);
        auto booked = [&](absl::CivilMonth month) -> int64_t {
          const absl::CivilDay first(month);
          const absl::CivilDay last =
              month == as_of_month ? o.as_of : absl::CivilDay(month + 1) - 1;
          return BookedBetween(deals, first, last);
        };
        if (std::optional<Figures> s = SeriesForPeriod((*m)->path, o.period, o.as_of, booked)) {
          p.series_minor = s->amount_minor;
          p.series_detail = (*m)->detail;
        }
      }
    }
    out.points.push_back(std::move(p));
  }

  double pipe_sum = 0, series_sum = 0, pipe_alone = 0;
  int pipe_alone_n = 0;
  for (const BacktestPoint& p : out.points) {
    if (!p.pipeline_minor) {
      continue;
    }
    const std::optional<double> pe = AbsolutePercentageError(*p.pipeline_minor, p.actual_minor);
    if (!pe) {
      continue;
    }
    pipe_alone += *pe;
    ++pipe_alone_n;
    if (!p.series_minor) {
      continue;
    }
    pipe_sum += *pe;
    series_sum += *AbsolutePercentageError(*p.series_minor, p.actual_minor);
    ++out.compared;
  }
  if (out.compared > 0) {
    out.pipeline_mape = pipe_sum / out.compared;
    out.series_mape = series_sum / out.compared;
    out.series_better = *out.series_mape < *out.pipeline_mape;
  } else if (pipe_alone_n > 0) {
    out.pipeline_mape = pipe_alone / pipe_alone_n;
  }
  return out;
}

}  // namespace salesops::forecast
