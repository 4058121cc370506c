// Helpers shared by the targets API and its attainment projection (not a
// public API): names of plans and cells, loading a plan's cells, which cells
// a deal counts towards, attainment figures for a cell and for a roll-up
// subject, and the storage of bookings and roll-up counters:
//   "tgt:{tgt}:rollup:<plan>"        {cell|<key>, a|<l>|<id>, u|<l>|<id>: minor units}
//   "tgt:{tgt}:rollup_bd:<plan>:<l>|<id>"  {pl=<v>, ch=<v>, ct=<v>: minor units}
//   "tgt:{tgt}:facts:<basis>:<cur>:<yyyy-mm>"  {<booking tuple>: minor units}
//   "tgt:{tgt}:revs"  {plans: +1 per publication; facts:<basis>:<cur>: +1 per booking}
// Bookings are kept per month as facts, so a plan version published later
// (or a draft being read) gets its figures from every booking of its period;
// the two revisions make a publication and a concurrent booking never miss
// each other (each side's commit is guarded by the other's revision).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/time/proto_time.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/domain/rollup.h"
#include "services/targets/store/targets_store.h"

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

// ---- roll-ups

std::string RollupKey(const std::string& plan_id);
std::string RollupBreakdownKey(const std::string& plan_id, const RollupSubject& s);
std::string FactsKey(v1::AttainmentBasis basis, const std::string& currency, absl::CivilMonth m);
std::string FactsRevField(v1::AttainmentBasis basis, const std::string& currency);
// A counter field of RollupModel routed to its hash: breakdown fields go to
// the subject's own small hash (read whole for a breakdown), the rest to the
// plan's roll-up hash.
std::pair<std::string, std::string> CounterLocation(const std::string& plan_id,
                                                    const std::string& field);

// A booking as a facts hash field: "rep|team|region|pl|ch|ct" (ids, codes).
std::string BookingTuple(const RollupBooking& b);
bool ParseBookingTuple(absl::string_view tuple, RollupBooking* out);
RollupBooking BookingOf(const DealFacts& d);

// A plan version with what attainment needs.
struct PlanModel {
  v1::TargetPlan plan;
  int64_t version = 0;
  v1::FiscalPeriod period;
  std::vector<v1::AllocationCell> cells;
  absl::flat_hash_map<std::string, size_t> cell_index;  // cell key → cells[i]
  RollupModel rollup;
};
// Loads a plan, its period and cells, and builds the roll-up model with each
// team's region from the org directory.
absl::StatusOr<std::shared_ptr<const PlanModel>> LoadPlanModel(TargetsStore& store,
                                                               org::OrgDirectory& directory,
                                                               const std::string& plan_id);

// Published plan versions never change: their models are kept (bounded).
// Drafts are loaded on every call. Thread-safe.
class PlanModelCache {
 public:
  PlanModelCache(TargetsStore& store, org::OrgDirectory& directory)
      : store_(store), directory_(directory) {}
  absl::StatusOr<std::shared_ptr<const PlanModel>> Get(const std::string& plan_id);

 private:
  TargetsStore& store_;
  org::OrgDirectory& directory_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const PlanModel>> models_ ABSL_GUARDED_BY(mu_);
};

// The bookings of a plan's period, basis and currency, from the facts, with
// the facts revision they were read at.
struct PeriodBookings {
  std::vector<RollupBooking> bookings;
  std::string revision;  // HGET revs facts:<basis>:<cur> ("" = none yet)
};
absl::StatusOr<PeriodBookings> LoadPeriodBookings(TargetsStore& store, const PlanModel& model);

// Roll-up name of a subject: "members/{id}", "orgUnits/{id}"; the company is
// the plan's own unit.
std::string SubjectName(const PlanModel& model, const RollupSubject& s);
v1::AttainmentLevel LevelOf(RollupLevel level);

// Attainment of a roll-up subject from its counters: target from its topmost
// cells, expected to date from their phasing, pace from the sums.
v1::Attainment RollupAttainment(const PlanModel& model, const RollupSubject& s, int64_t actual,
                                int64_t unplanned, absl::Time now, absl::TimeZone tz);

}  // namespace salesops::targets
