// CSV in and out for `salesops-forecast`: reads `series_id,date,value` rows
// (header required, columns in any order, extra columns ignored; dates
// YYYY-MM-DD; each series' rows ascending without gaps or duplicates at the
// given frequency) and writes `series_id,step,date,forecast,lo,hi,method`.
// Every parse error names the line (1-based, the header is line 1).
//
//   absl::StatusOr<std::vector<InputSeries>> series = ParseSeriesCsv(text, Frequency::kMonthly);
//   if (!series.ok()) { /* "line 7: value 'abc' is not a number" */ }
//   std::string out = CsvHeader();
//   out += FormatForecastRows(series->front(), forecast, Frequency::kMonthly);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/forecast/domain/forecaster.h"
#include "services/forecast/domain/series_math.h"

namespace salesops::forecast {

struct InputSeries {
  std::string id;
  std::vector<absl::CivilDay> dates;
  std::vector<double> values;
};

// Series in order of first appearance. INVALID_ARGUMENT "line N: ..." on a
// missing header or column, a wrong field count, an empty series_id, a bad
// date, a non-numeric or non-finite value, or a date that is not exactly the
// next period after the series' previous row (unsorted, duplicate, gap).
// Monthly series need consecutive calendar months (any day of the month);
// weekly ones exactly 7 days apart.
absl::StatusOr<std::vector<InputSeries>> ParseSeriesCsv(absl::string_view text,
                                                        Frequency frequency);

// The date `steps` periods after `last`. Monthly keeps the day of the month,
// clamped to the month's length, and keeps month ends at month ends.
absl::CivilDay StepDate(absl::CivilDay last, int steps, Frequency frequency);

// "series_id,step,date,forecast,lo,hi,method\n".
std::string CsvHeader();

// One row per step of the forecast of `series`.
std::string FormatForecastRows(const InputSeries& series, const SeriesForecast& forecast,
                               Frequency frequency);

}  // namespace salesops::forecast
