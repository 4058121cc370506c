// Where a plan's cells, roll-up counters and bookings are kept, and loading a
// plan version's model (services/targets/domain/plan_model.h) from them:
//   "tgt:{tgt}:rollup:<plan>"        {cell|<key>, a|<l>|<id>, u|<l>|<id>: minor units}
//   "tgt:{tgt}:rollup_bd:<plan>:<l>|<id>"  {pl=<v>, ch=<v>, ct=<v>; a rep's:
//                                          m=<pl>|<ch>|<ct>: minor units}
//   "tgt:{tgt}:facts:<basis>:<cur>:<yyyy-mm>"  {<booking tuple>: minor units}
//   "tgt:{tgt}:revs"  {plans: +1 per publication; facts:<basis>:<cur>: +1 per booking}
// Bookings are kept per month as facts, so a plan version published later
// (or a draft being read) gets its figures from every booking of its period,
// and a historical share its weights (WonByDimension);
// the two revisions make a publication and a concurrent booking never miss
// each other (each side's commit is guarded by the other's revision).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "common/directory/org_directory.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/domain/plan_model.h"
#include "services/targets/domain/rollup.h"
#include "services/targets/store/targets_store.h"

namespace salesops::targets {

std::string CellDocId(const std::string& plan_id, const std::string& cell_key);
std::string CellsIndex(const std::string& plan_id);
std::string ChildrenIndex(const std::string& plan_id, const std::string& cell_key);
std::string ActualKey(const std::string& plan_id);

absl::StatusOr<std::vector<Versioned<v1::AllocationCell>>> LoadCells(TargetsStore& store,
                                                                     const std::string& plan_id);

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
// A booking's increments (RollupModel::Increments) grouped by the hash each
// goes to, as CounterLocation places them, hashes in first-seen order: one
// HINCRBY per hash. Each hash's key is built once.
std::vector<std::pair<std::string, std::vector<std::pair<std::string, long long>>>> CountersByHash(
    const std::string& plan_id, std::vector<std::pair<std::string, int64_t>> increments);

// A booking as a facts hash field: "rep|team|region|pl|ch|ct" (ids, codes).
std::string BookingTuple(const RollupBooking& b);
bool ParseBookingTuple(absl::string_view tuple, RollupBooking* out);

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

// Won deals per value of one dimension ("pl", "rg", "ch", "ct", "tm" or "rp":
// product line, the deal's region, channel, customer type, team, rep) in the
// months [first, last], for historical shares: from each month's booking
// facts; a month without facts (deals from before facts were kept) from the
// per-dimension hash won deals were counted in until 2026-12-07
// (BookingsKey). One round trip.
absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> WonByDimension(
    TargetsStore& store, const std::string& currency, absl::CivilMonth first, absl::CivilMonth last,
    absl::string_view dimension);

}  // namespace salesops::targets
