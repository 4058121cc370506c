// A plan version as attainment sees it, and the rules on it, without I/O:
// names of plans and cells, which cells a deal counts towards, attainment
// figures for a cell and for a roll-up subject (target from the topmost
// cells, expected to date from their monthly phasing, pace from the sums).
// Loading a model from storage is store/plan_store.h; the API and the
// attainment projection share both.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/domain/rollup.h"

namespace salesops::targets {

std::string PlanName(const std::string& plan_id);
std::string CellName(const std::string& plan_id, const std::string& cell_key);
// "plans/{p}/cells/{c}" → {p, c}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> ParseCellName(const std::string& name);
std::string StripName(const std::string& name);  // "x/y" -> "y"

// What a deal (or payment) is, for matching against cells. Ids without prefixes.
struct DealFacts {
  std::string product_line, region, channel, customer_type, team, rep;
  int64_t amount_minor = 0;
  std::string currency;
};
// A cell counts a deal when every dimension/org unit/member it fixes matches.
bool CellMatches(const v1::AllocationCell& cell, const DealFacts& deal);
RollupBooking BookingOf(const DealFacts& d);

// What a cell's monthly phasing expects booked by the end of `today` (0
// before the period, the whole target after it).
int64_t CellExpectedToDate(const v1::FiscalPeriod& period, const v1::AllocationCell& cell,
                           absl::CivilDay today);
// Attainment of one cell at `now` with `actual` booked.
v1::Attainment AttainmentOf(const v1::TargetPlan& plan, const v1::FiscalPeriod& period,
                            const v1::AllocationCell& cell, int64_t actual, absl::Time now,
                            absl::TimeZone tz);

// A plan version with what attainment needs.
struct PlanModel {
  v1::TargetPlan plan;
  int64_t version = 0;
  v1::FiscalPeriod period;
  std::vector<v1::AllocationCell> cells;
  absl::flat_hash_map<std::string, size_t> cell_index;  // cell key → cells[i]
  RollupModel rollup;
  // A subject's expected-to-date depends only on the model and the day: worked
  // out once per (subject, day) and remembered here (shared by copies).
  struct ExpectedMemo {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, std::pair<absl::CivilDay, int64_t>> by_subject
        ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<ExpectedMemo> expected_memo = std::make_shared<ExpectedMemo>();
  // RepTeam of each rep the plan has cells for, worked out once (every
  // rep-level AttainmentUpdated names it).
  absl::flat_hash_map<std::string, std::string> rep_team;
};
// The model of a plan version from its cells; `region_of` names each team's
// region ("" if none), asked once per team.
absl::StatusOr<PlanModel> BuildPlanModel(
    v1::TargetPlan plan, int64_t version, v1::FiscalPeriod period,
    std::vector<v1::AllocationCell> cells,
    const std::function<absl::StatusOr<std::string>(const std::string& team)>& region_of);

// Roll-up name of a subject: "members/{id}", "orgUnits/{id}"; the company is
// the plan's own unit.
std::string SubjectName(const PlanModel& model, const RollupSubject& s);
v1::AttainmentLevel LevelOf(RollupLevel level);

// The team a rep's roll-up names (RollupAttainment's team): the org unit of its
// first topmost cell that has one; "" when the plan gives it none.
std::string RepTeam(const PlanModel& model, const RollupSubject& rep);
// The same worked out from the cells (what BuildPlanModel remembers).
std::string TeamOfTopmostCells(const PlanModel& model, const RollupSubject& rep);

// Attainment of a roll-up subject from its counters: target from its topmost
// cells, expected to date from their phasing, pace from the sums.
v1::Attainment RollupAttainment(const PlanModel& model, const RollupSubject& s, int64_t actual,
                                int64_t unplanned, absl::Time now, absl::TimeZone tz);

}  // namespace salesops::targets
