#include "services/forecast/domain/deal_history.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"

namespace salesops::forecast {

std::optional<ClosedDeal> AsClosedDeal(const DealRecord& deal) {
  if (deal.outcome == Outcome::kOpen || deal.stages.empty()) {
    return std::nullopt;
  }
  ClosedDeal c;
  c.team = deal.team;
  c.product_line = deal.product_line;
  c.won = deal.outcome == Outcome::kWon;
  c.close_date = deal.closed;
  for (const StageEntry& e : deal.stages) {
    if (!IsOpenStage(e.stage)) {
      continue;
    }
    c.stages.push_back({e.stage, std::min(e.entered, deal.closed)});
  }
  if (c.stages.empty()) {
    return std::nullopt;
  }
  return c;
}

std::optional<OpenDeal> OpenAsOf(const DealRecord& deal, absl::CivilDay day,
                                 bool with_expected_close) {
  if (deal.created > day) {
    return std::nullopt;
  }
  if (deal.outcome != Outcome::kOpen && deal.closed <= day) {
    return std::nullopt;
  }
  const StageEntry* current = nullptr;
  for (const StageEntry& e : deal.stages) {
    if (e.entered <= day && IsOpenStage(e.stage)) {
      current = &e;
    }
  }
  if (current == nullptr) {
    return std::nullopt;
  }
  OpenDeal o;
  o.id = deal.id;
  o.team = deal.team;
  o.product_line = deal.product_line;
  o.stage = current->stage;
  o.entered_stage = current->entered;
  if (with_expected_close) {
    o.expected_close = deal.expected_close;
  }
  o.amount_minor = std::max<int64_t>(0, deal.amount_minor);
  return o;
}

absl::StatusOr<StageStatistics> LearnAsOf(absl::Span<const DealRecord> deals, absl::CivilDay day,
                                          int64_t min_sample) {
  std::vector<ClosedDeal> closed;
  closed.reserve(deals.size());
  // The longest any won deal took from (last) entering a stage to closing.
  std::map<Stage, int64_t> longest_won;
  for (const DealRecord& d : deals) {
    if (d.outcome == Outcome::kOpen || d.closed > day || d.team.empty()) {
      continue;
    }
    std::optional<ClosedDeal> c = AsClosedDeal(d);
    if (!c) {
      continue;
    }
    if (c->won) {
      std::map<Stage, absl::CivilDay> last;
      for (const StageEntry& e : c->stages) {
        last[e.stage] = std::max(last[e.stage], e.entered);
      }
      for (const auto& [stage, entered] : last) {
        longest_won[stage] = std::max<int64_t>(longest_won[stage], c->close_date - entered);
      }
    }
    closed.push_back(*std::move(c));
  }
  // Aged out: a deal still open on `day` that has sat in its stage longer
  // than any won deal ever took from there counts as lost. Learning from the
  // closed deals alone would leave out every deal that stalls without being
  // closed, and overstate the win probability of the ones that move.
  for (const DealRecord& d : deals) {
    if (d.team.empty()) {
      continue;
    }
    std::optional<OpenDeal> open = OpenAsOf(d, day, false);
    if (!open) {
      continue;
    }
    auto it = longest_won.find(open->stage);
    if (it == longest_won.end() || day - open->entered_stage <= it->second) {
      continue;
    }
    ClosedDeal c;
    c.team = d.team;
    c.product_line = d.product_line;
    c.won = false;
    c.close_date = day;
    for (const StageEntry& e : d.stages) {
      if (e.entered <= day && IsOpenStage(e.stage)) {
        c.stages.push_back(e);
      }
    }
    if (!c.stages.empty()) {
      closed.push_back(std::move(c));
    }
  }
  return StageStatistics::Learn(closed, min_sample);
}

int64_t BookedBetween(absl::Span<const DealRecord* const> deals, absl::CivilDay first,
                      absl::CivilDay last) {
  int64_t sum = 0;
  for (const DealRecord* d : deals) {
    if (d->outcome == Outcome::kWon && d->closed >= first && d->closed <= last) {
      sum += d->amount_minor;
    }
  }
  return sum;
}

std::vector<double> MonthlyBookings(absl::Span<const DealRecord* const> deals,
                                    absl::CivilMonth first, absl::CivilMonth last) {
  if (last < first) {
    return {};
  }
  std::vector<double> out(static_cast<size_t>(last - first + 1), 0.0);
  for (const DealRecord* d : deals) {
    if (d->outcome != Outcome::kWon) {
      continue;
    }
    const absl::CivilMonth m(d->closed);
    if (m < first || m > last) {
      continue;
    }
    out[static_cast<size_t>(m - first)] += static_cast<double>(d->amount_minor);
  }
  return out;
}

Period CalendarQuarterOf(absl::CivilDay day) {
  const int first_month = (day.month() - 1) / 3 * 3 + 1;
  const absl::CivilMonth start(day.year(), first_month);
  return {absl::CivilDay(start), absl::CivilDay(start + 3) - 1};
}

std::string CalendarQuarterId(absl::CivilDay day) {
  return absl::StrFormat("FY%d-Q%d", day.year(), (day.month() - 1) / 3 + 1);
}

std::vector<absl::CivilMonth> MonthsOf(const Period& period) {
  std::vector<absl::CivilMonth> out;
  for (absl::CivilMonth m(period.start); m <= absl::CivilMonth(period.end); ++m) {
    out.push_back(m);
  }
  return out;
}

int MonthCount(const Period& period) {
  return std::max<int>(
      1, static_cast<int>(absl::CivilMonth(period.end) - absl::CivilMonth(period.start)) + 1);
}

Period ShiftMonths(const Period& period, int months) {
  const bool whole_months = period.start.day() == 1 && (period.end + 1).day() == 1;
  if (whole_months) {
    const absl::CivilMonth first = absl::CivilMonth(period.start) + months;
    const absl::CivilMonth after = absl::CivilMonth(period.end) + months + 1;
    return {absl::CivilDay(first), absl::CivilDay(after) - 1};
  }
  const absl::CivilDay start =
      absl::CivilDay(absl::CivilMonth(period.start) + months) + (period.start.day() - 1);
  return {start, start + (period.end - period.start)};
}

std::string IsoWeek(absl::CivilDay day) {
  // The ISO year is the year of the week's Thursday.
  const int weekday = static_cast<int>(absl::GetWeekday(day));  // Monday = 0
  const absl::CivilDay thursday = day - weekday + 3;
  const absl::CivilDay jan1(thursday.year(), 1, 1);
  const int week = static_cast<int>((thursday - jan1) / 7) + 1;
  return absl::StrFormat("%04d-W%02d", thursday.year(), week);
}

int WeeksBefore(absl::CivilDay day, absl::CivilDay end) {
  if (end < day) {
    return 0;
  }
  return static_cast<int>((end - day) / 7);
}

}  // namespace salesops::forecast
