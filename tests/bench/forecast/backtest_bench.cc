// The pipeline-weighted forecast back-tested on the demo history: the demo
// dataset generator (tools/demo/demo_dataset.h, the data `make run` loads)
// gives ~20,000 opportunities over 8 quarters with their stage paths; each
// past quarter is forecast from its week-4 snapshot — the deals open at the
// end of its 28th day in the stage they were in then, stage probabilities
// learned only from deals closed by that day, what was booked by then — and
// compared with what the quarter actually booked. The company's and each
// team's absolute percentage errors are printed, with the time-series
// forecast of the same quarters from the same point for comparison, and
// written to bench-results/forecast_backtest.json.
//
//   forecast_backtest_bench [--now=2026-11-27] [--scale=1.0]
//   [--out=bench-results/forecast_backtest.json]
#include <cstdio>
#include <fstream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "services/forecast/domain/deal_history.h"
#include "services/forecast/domain/scope_forecast.h"
#include "tools/demo/demo_dataset.h"

ABSL_FLAG(std::string, now, "2026-11-27",
          "Day (Asia/Shanghai) the demo history ends; fixed so the figures are reproducible");
ABSL_FLAG(double, scale, 1.0, "Fraction of the full demo dataset");
ABSL_FLAG(int, snapshot_day, 28, "Day of the quarter the forecast is made at the end of (week 4)");
ABSL_FLAG(std::string, out, "bench-results/forecast_backtest.json", "Where to write the results");

namespace {

using namespace salesops::forecast;
namespace demo = salesops::demo;

absl::TimeZone China() { return absl::FixedTimeZone(8 * 3600); }
absl::CivilDay Day(absl::Time t) { return absl::ToCivilDay(t, China()); }

Stage FromDemo(demo::Stage s) { return static_cast<Stage>(static_cast<int>(s)); }

// The deal as the forecast service would have folded it from the customers events.
DealRecord ToRecord(const demo::OpportunitySpec& o, const demo::CustomerSpec& c) {
  DealRecord d;
  d.id = o.id;
  d.owner = o.owner_id;
  d.team = c.team_id;
  d.product_line = o.product_line_id;
  d.amount_minor = o.FinalAmountMinor();
  d.created = Day(o.create_time);
  d.stages.push_back({Stage::kLead, d.created});
  for (const demo::StageStep& s : o.path) {
    const Stage stage = FromDemo(s.stage);
    if (IsOpenStage(stage)) {
      d.stages.push_back({stage, Day(s.time)});
    }
  }
  const demo::Stage final = o.FinalStage();
  if (final == demo::Stage::kWon) {
    d.outcome = Outcome::kWon;
    d.closed = Day(o.CloseTime());
  } else if (final == demo::Stage::kLost) {
    d.outcome = Outcome::kLost;
    d.closed = Day(o.CloseTime());
  }
  d.expected_close = absl::CivilDay(o.expected_close_date.year, o.expected_close_date.month,
                                    o.expected_close_date.day);
  return d;
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) {
    return 0;
  }
  double s = 0;
  for (double x : v) {
    s += x;
  }
  return s / static_cast<double>(v.size());
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::CivilDay today;
  if (!absl::ParseCivilTime(absl::GetFlag(FLAGS_now), &today)) {
    std::fprintf(stderr, "forecast_backtest_bench: --now must be YYYY-MM-DD\n");
    return 2;
  }
  const absl::Time started = absl::Now();
  demo::DatasetOptions options;
  options.seed = demo::kDemoSeed;
  options.scale = absl::GetFlag(FLAGS_scale);
  options.now = absl::FromCivil(today, China()) + absl::Hours(12);
  const demo::Dataset data = demo::GenerateDataset(demo::DemoOrganisation(), options);
  std::vector<DealRecord> deals;
  deals.reserve(data.opportunities.size());
  absl::CivilDay first_day = today;
  for (const demo::OpportunitySpec& o : data.opportunities) {
    deals.push_back(ToRecord(o, data.customers[static_cast<size_t>(o.customer)]));
    first_day = std::min(first_day, deals.back().created);
  }
  std::vector<const DealRecord*> all;
  std::map<std::string, std::vector<const DealRecord*>> by_team;
  for (const DealRecord& d : deals) {
    all.push_back(&d);
    by_team[d.team].push_back(&d);
  }

  // Every calendar quarter that started after the history did and has ended.
  const int offset = std::max(1, absl::GetFlag(FLAGS_snapshot_day)) - 1;
  std::vector<Period> quarters;
  for (Period q = CalendarQuarterOf(first_day);; q = ShiftMonths(q, 3)) {
    if (q.end >= today) {
      break;
    }
    if (q.start >= first_day) {
      quarters.push_back(q);
    }
  }
  std::vector<StageStatistics> stats;
  std::vector<BacktestOrigin> origins;
  stats.reserve(quarters.size());
  for (const Period& q : quarters) {
    const absl::CivilDay as_of = q.start + offset;
    absl::StatusOr<StageStatistics> s = LearnAsOf(deals, as_of, kMinSampleSize);
    if (!s.ok()) {
      std::fprintf(stderr, "learning: %s\n", std::string(s.status().message()).c_str());
      return 1;
    }
    stats.push_back(*std::move(s));
  }
  for (size_t i = 0; i < quarters.size(); ++i) {
    origins.push_back({quarters[i], quarters[i].start + offset, &stats[i]});
  }
  // Cold start: the first quarter has no closed deals to learn from yet.
  BacktestOptions bo;
  bo.prior_win_probability = {{Stage::kLead, 0.10},
                              {Stage::kQualified, 0.25},
                              {Stage::kProposal, 0.50},
                              {Stage::kNegotiation, 0.70},
                              {Stage::kContract, 0.90}};
  absl::StatusOr<Backtest> company = RunBacktest(all, origins, bo);
  if (!company.ok()) {
    std::fprintf(stderr, "back-test: %s\n", std::string(company.status().message()).c_str());
    return 1;
  }

  std::printf(
      "Pipeline-weighted forecast of each past quarter from its week-4 snapshot "
      "(day %d), demo history (%zu deals, seed %llu, ending %s)\n\n",
      offset + 1, deals.size(), static_cast<unsigned long long>(options.seed),
      absl::FormatCivilTime(today).c_str());
  std::printf("%-10s %-10s %16s %16s %16s %8s %16s %8s\n", "quarter", "as of", "booked by then",
              "actual", "pipeline", "APE", "time series", "APE");
  nlohmann::json rows = nlohmann::json::array();
  std::vector<double> pipe_apes, series_apes;
  for (const BacktestPoint& p : company->points) {
    const std::string name = CalendarQuarterId(p.period.start);
    const std::optional<double> pe =
        p.pipeline_minor ? AbsolutePercentageError(*p.pipeline_minor, p.actual_minor)
                         : std::nullopt;
    const std::optional<double> se =
        p.series_minor ? AbsolutePercentageError(*p.series_minor, p.actual_minor) : std::nullopt;
    if (pe) {
      pipe_apes.push_back(*pe);
    }
    if (se) {
      series_apes.push_back(*se);
    }
    std::printf("%-10s %-10s %16.2f %16.2f %16.2f %7.1f%% %16s %7s\n", name.c_str(),
                absl::FormatCivilTime(p.as_of).c_str(), p.closed_at_as_of_minor / 100.0,
                p.actual_minor / 100.0, p.pipeline_minor.value_or(0) / 100.0, pe.value_or(0) * 100,
                p.series_minor ? absl::StrFormat("%.2f", *p.series_minor / 100.0).c_str() : "-",
                se ? absl::StrFormat("%.1f%%", *se * 100).c_str() : "-");
    rows.push_back({{"quarter", name},
                    {"as_of", absl::FormatCivilTime(p.as_of)},
                    {"booked_by_as_of_minor", p.closed_at_as_of_minor},
                    {"actual_minor", p.actual_minor},
                    {"pipeline_minor", p.pipeline_minor.value_or(0)},
                    {"pipeline_ape", pe.value_or(-1)},
                    {"series_minor", p.series_minor.value_or(-1)},
                    {"series_ape", se.value_or(-1)}});
  }

  // Per team: the same quarters, each team's own deals (12 demo teams).
  std::vector<double> team_apes, team_series_apes;
  nlohmann::json teams = nlohmann::json::object();
  for (const auto& [team, list] : by_team) {
    absl::StatusOr<Backtest> bt = RunBacktest(list, origins, bo);
    if (!bt.ok()) {
      continue;
    }
    std::vector<double> apes;
    for (const BacktestPoint& p : bt->points) {
      if (!p.pipeline_minor) {
        continue;
      }
      if (std::optional<double> e = AbsolutePercentageError(*p.pipeline_minor, p.actual_minor)) {
        apes.push_back(*e);
        team_apes.push_back(*e);
      }
      if (p.series_minor) {
        if (std::optional<double> e = AbsolutePercentageError(*p.series_minor, p.actual_minor)) {
          team_series_apes.push_back(*e);
        }
      }
    }
    teams[team] = {{"pipeline_mape", Mean(apes)}, {"quarters", apes.size()}};
  }

  const double company_mape = Mean(pipe_apes);
  const double series_mape = Mean(series_apes);
  const double team_mape = Mean(team_apes);
  const double team_series_mape = Mean(team_series_apes);
  std::printf(
      "\ncompany: pipeline-weighted MAPE %.1f%% over %zu quarters (time series %.1f%% over %zu)\n",
      company_mape * 100, pipe_apes.size(), series_mape * 100, series_apes.size());
  std::printf(
      "teams:   pipeline-weighted MAPE %.1f%% over %zu team-quarters (time series %.1f%%)\n",
      team_mape * 100, team_apes.size(), team_series_mape * 100);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  std::printf("took %.1f s\n", seconds);

  nlohmann::json out = {
      {"benchmark", "forecast_backtest"},
      {"dataset",
       {{"seed", options.seed},
        {"scale", options.scale},
        {"now", absl::FormatCivilTime(today)},
        {"deals", deals.size()}}},
      {"snapshot_day", offset + 1},
      {"category", "PIPELINE"},
      {"company",
       {{"pipeline_mape", company_mape}, {"series_mape", series_mape}, {"quarters", rows}}},
      {"teams",
       {{"pipeline_mape", team_mape},
        {"series_mape", team_series_mape},
        {"team_quarters", team_apes.size()},
        {"by_team", teams}}},
      {"seconds", seconds}};
  const std::string path = absl::GetFlag(FLAGS_out);
  std::ofstream f(path);
  if (!f) {
    std::fprintf(stderr, "forecast_backtest_bench: cannot write %s\n", path.c_str());
    return 1;
  }
  f << out.dump(2) << "\n";
  std::printf("wrote %s\n", path.c_str());
  return 0;
}
