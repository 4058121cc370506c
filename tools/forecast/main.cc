// salesops-forecast: forecasts every series of a `series_id,date,value` CSV
// with the forecast service's own engine (services/forecast/domain) and
// writes `series_id,step,date,forecast,lo,hi,method`. See README.md.
//
// Exit codes: 0 success, 2 bad flags or bad CSV (the message names the line),
// 1 I/O failure.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/forecast/domain/forecaster.h"
#include "tools/forecast/series_csv.h"

ABSL_FLAG(std::string, input, "", "CSV file with series_id,date,value (\"-\" = stdin)");
ABSL_FLAG(std::string, output, "", "Where to write the forecast CSV (empty = stdout)");
ABSL_FLAG(int, horizon, 12, "Steps to forecast ahead");
ABSL_FLAG(std::string, frequency, "monthly", "monthly or weekly");
ABSL_FLAG(int, seasonal_period, 0, "Seasonal period; 0 = 12 for monthly, 52 for weekly");
ABSL_FLAG(double, confidence, 0.8, "Coverage of the prediction interval, in (0, 1)");
ABSL_FLAG(std::string, method, "auto",
          "auto|ses|holt|damped|hw_add|hw_mul|theta|otheta|ensemble|naive|mean");
ABSL_FLAG(int, threads, 1, "Worker threads (series are independent)");
ABSL_FLAG(bool, details, false, "Also print each series' chosen method and why to stderr");

namespace salesops::forecast {
namespace {

constexpr int kBadInput = 2;
constexpr int kIoError = 1;

int Fail(int code, const std::string& message) {
  std::cerr << "salesops-forecast: " << message << "\n";
  return code;
}

int Run() {
  const std::string frequency_name = absl::GetFlag(FLAGS_frequency);
  Frequency frequency;
  if (frequency_name == "monthly") {
    frequency = Frequency::kMonthly;
  } else if (frequency_name == "weekly") {
    frequency = Frequency::kWeekly;
  } else {
    return Fail(kBadInput,
                absl::StrCat("--frequency must be monthly or weekly, got '", frequency_name, "'"));
  }
  const std::optional<Method> method = ParseMethod(absl::GetFlag(FLAGS_method));
  if (!method) {
    return Fail(kBadInput,
                absl::StrCat("--method: unknown method '", absl::GetFlag(FLAGS_method), "'"));
  }
  ForecastOptions options;
  options.horizon = absl::GetFlag(FLAGS_horizon);
  options.confidence = absl::GetFlag(FLAGS_confidence);
  options.method = *method;
  options.seasonal_period = absl::GetFlag(FLAGS_seasonal_period) > 0
                                ? absl::GetFlag(FLAGS_seasonal_period)
                                : DefaultSeasonalPeriod(frequency);
  if (options.horizon < 1) {
    return Fail(kBadInput, "--horizon must be >= 1");
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    return Fail(kBadInput, "--confidence must be in (0, 1), e.g. 0.8");
  }
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1) {
    return Fail(kBadInput, "--threads must be >= 1");
  }

  const std::string input = absl::GetFlag(FLAGS_input);
  if (input.empty()) {
    return Fail(kBadInput, "--input is required (a CSV file, or - for stdin)");
  }
  std::string text;
  if (input == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(input, std::ios::binary);
    if (!file) {
      return Fail(kIoError, absl::StrCat("cannot open --input ", input));
    }
    std::ostringstream buffer;
    buffer << file.rdbuf();
    text = buffer.str();
  }

  absl::StatusOr<std::vector<InputSeries>> series = ParseSeriesCsv(text, frequency);
  if (!series.ok()) {
    return Fail(kBadInput, absl::StrCat(input, ": ", series.status().message()));
  }

  // Series are independent: each worker takes every threads-th series.
  std::vector<absl::StatusOr<SeriesForecast>> results(series->size(),
                                                      absl::UnknownError("not computed"));
  auto work = [&](size_t first) {
    for (size_t i = first; i < series->size(); i += threads) {
      results[i] = ForecastSeries((*series)[i].values, options);
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back(work, static_cast<size_t>(t));
    }
    for (std::thread& t : pool) {
      t.join();
    }
  }

  std::string out = CsvHeader();
  for (size_t i = 0; i < series->size(); ++i) {
    if (!results[i].ok()) {
      return Fail(kBadInput,
                  absl::StrCat("series '", (*series)[i].id, "': ", results[i].status().message()));
    }
    out += FormatForecastRows((*series)[i], *results[i], frequency);
    if (absl::GetFlag(FLAGS_details)) {
      std::cerr << (*series)[i].id << ": " << MethodName(results[i]->method) << ": "
                << results[i]->detail << "\n";
    }
  }
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) {
    std::cout << out;
    std::cout.flush();
    return std::cout ? 0 : Fail(kIoError, "writing stdout failed");
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  file << out;
  file.close();
  if (!file) {
    return Fail(kIoError, absl::StrCat("cannot write --output ", output));
  }
  return 0;
}

}  // namespace
}  // namespace salesops::forecast

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Forecasts every series of a series_id,date,value CSV.\n"
      "  salesops-forecast --input=bookings.csv --horizon=12 --frequency=monthly "
      "--confidence=0.8 --method=auto --output=forecast.csv");
  absl::ParseCommandLine(argc, argv);
  return salesops::forecast::Run();
}
