// Helpers shared by the targets API and its attainment projection (not a
// public API): names of plans and cells, loading a plan's cells, which cells
// a deal counts towards, and an attainment figure for a cell.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/store/targets_store.h"
#include "common/time/proto_time.h"

namespace salesops::targets {

std::string PlanName(const std::string& plan_id);
std::string CellName(const std::string& plan_id, const std::string& cell_key);
// "plans/{p}/cells/{c}" → {p, c}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> ParseCellName(const std::string& name);
std::string CellDocId(const std::string& plan_id, const std::string& cell_key);
std::string CellsIndex(const std::string& plan_id);
std::string ChildrenIndex(const std::string& plan_id, const std::string& cell_key);
std::string ActualKey(const std::string& plan_id);
std::string StripName(const std::string& name);  // "x/y" -> "y"

absl::StatusOr<std::vector<Versioned<v1::AllocationCell>>> LoadCells(TargetsStore& store,
                                                                     const std::string& plan_id);

// What a deal (or payment) is, for matching against cells. Ids without prefixes.
struct DealFacts {
  std::string product_line, region, channel, customer_type, team, rep;
  int64_t amount_minor = 0;
  std::string currency;
};
// A cell counts a deal when every dimension/org unit/member it fixes matches.
bool CellMatches(const v1::AllocationCell& cell, const DealFacts& deal);

// Attainment of one cell at `now` with `actual` booked.
v1::Attainment AttainmentOf(const v1::TargetPlan& plan, const v1::FiscalPeriod& period,
                            const v1::AllocationCell& cell, int64_t actual, absl::Time now,
                            absl::TimeZone tz);


}  // namespace salesops::targets
