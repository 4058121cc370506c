// Live attainment from the customers service's events, effectively once:
//   OpportunityWon   → bookings history, and actuals of BOOKING-basis plans
//   PaymentReceived  → actuals of COLLECTION-basis plans (refunds subtract)
//   OpportunityCreated / StageChanged / Won / Lost → the open pipeline per
//                      dimension value (the potential-weighted method's facts)
// Each event's changes (and the AttainmentUpdated events it causes) commit in
// one script together with its id, so a redelivered event changes nothing.
// A booking is kept as a fact of its month (so a plan published later counts
// it too), and counts towards every published plan of its period: the cells
// whose fixed dimensions, team and rep match it, and the roll-ups of its rep,
// team, region and company (domain/rollup.h) — unplanned where no cell
// covers it. One AttainmentUpdated per roll-up subject it moved (of those a
// combined commit of several events holds, only each subject's last:
// WriteBatch::EmitLatest); a BookingUnplanned when no cell covered it.
#pragma once

#include <atomic>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/store/plan_store.h"

namespace salesops::targets {

inline constexpr char kAttainmentGroup[] = "targets-attainment";
inline constexpr char kAttainmentDlq[] = "salesops.targets-attainment.dlq.v1";
// Records handed to HandleBatch at once (the consumer takes those already
// fetched, so this only matters when events queue up, as at quarter end). A
// batch is a wave or a few: each wave pays two read round trips, filling the
// commit pipeline and draining it, and sums increments of one field within a
// commit chunk, so the larger it is the less each deal costs. In
// attainment_bench, 2048 applied ~20 % more won deals per second than 256
// (2026-12-05, chunks of 2,048 writes then; 1,024 now). With each rep's
// bookings side by side in a wave (GroupByRep), a larger wave also sums more
// of a rep's own counters: 8192 against 2048, binaries alternating on fresh
// Redis, Redis CPU per deal 12.2 / 12.7 µs against 14.3 / 16.9, HINCRBYs per
// deal 3.74 against 4.33. A batch is ~0.2 s of work in waves (40,000 deals/s);
// one whose waves fall back to one event at a time (a refused chunk, a plan
// published meanwhile) takes ~3–4 s at the bench's 2,400 events/s one by one,
// and a rebalance or Stop() waits for it (librdkafka's max.poll.interval.ms
// is 300 s).
inline constexpr int kAttainmentMaxBatch = 8192;

// Counts of HandleBatch's work (read them from any thread).
struct AttainmentBatchStats {
  std::atomic<int64_t> waves{0};
  std::atomic<int64_t> in_waves{0};  // events committed as part of a wave
  std::atomic<int64_t> alone{0};     // wave events redone on their own (a lost race, an error)
  // Where the waves' time goes, ns: waiting for their two reads; building
  // their commits (Redis applies each chunk meanwhile); waiting, once all are
  // sent, for Redis to answer the last ones. The last two tell which side
  // sets the pace: a long wait is Redis catching up.
  std::atomic<int64_t> read_ns{0};
  std::atomic<int64_t> build_ns{0};
  std::atomic<int64_t> commit_wait_ns{0};
};

class AttainmentProjection final : public EventHandler {
 public:
  // `models`: published plans' models (shared with the API).
  AttainmentProjection(ProjectionStore& projections, TargetsStore& store, PlanModelCache& models,
                       const Clock& clock, absl::TimeZone tz)
      : projections_(projections), store_(store), models_(models), clock_(clock), tz_(tz) {}
  absl::Status Handle(const CloudEvent& event) override;
  // A consumer's batch in waves: consecutive events, no opportunity twice in a
  // wave. A wave reads what its events need in two pipelined round trips (the
  // published plans with the seen ids and the deals' records, then the roll-up
  // figures the bookings reach), builds each event's change in turn, each
  // rep's bookings side by side (GroupByRep), against a snapshot that follows
  // the earlier events' writes (so each carries the figures it would have seen
  // one by one in that order), and commits them together
  // (ProjectionStore::TryApplyCombined: one script per chunk, all or nothing,
  // the roll-up increments summed), each still guarded and effectively-once.
  // An event whose commit lost a race (a publication moved the plans
  // revision) or failed is applied again on its own.
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;
  const AttainmentBatchStats& batch_stats() const { return stats_; }

 private:
  struct Change;     // what an event asks for, decoded
  class Reads;       // where a change's reads come from:
  class StoreReads;  //   the store (one event at a time),
  class WaveReads;   //   or a wave's snapshot
  absl::StatusOr<Change> Decode(const CloudEvent& event) const;
  // The whole change an event makes, guarded by the plans revision it read.
  absl::StatusOr<WriteBatch> BatchFor(const CloudEvent& event, const Change& change, Reads& reads);
  // Records the booking as a fact of its month and adds it to every published
  // plan of its period with that basis; appends the events it causes.
  absl::Status AddBooking(const CloudEvent& cause, const DealFacts& deal, absl::CivilDay day,
                          v1::AttainmentBasis basis, Reads& reads, WriteBatch& b);
  // The published plans (id, model) a booking of `basis`, `currency` on `day` counts towards.
  absl::StatusOr<std::vector<std::pair<std::string, std::shared_ptr<const PlanModel>>>> PlansFor(
      const PublishedPlans& head, v1::AttainmentBasis basis, const std::string& currency,
      absl::CivilDay day);
  // Reorders a wave's events (indexes into `changes`) so that each rep's
  // bookings are side by side, in the order they came, at its first
  // booking's place; the rest keep theirs. Each event of a wave touches its
  // own deal's record (payments have none) and otherwise only adds to
  // counters, so they may apply in any order. Side by side, a rep's bookings
  // mostly fall in one commit chunk (~90 deals to a chunk in the bench's
  // plan; a longer run spans several), where the rep's own counters (its roll-up
  // figure, its cell) are summed into one write and its AttainmentUpdated is
  // made once per chunk and state key, for the last of them.
  static void GroupByRep(const std::vector<Change>& changes, std::vector<size_t>& todo);
  // events[begin, end) as one wave (no opportunity twice); results into `out`.
  void Wave(const std::vector<const CloudEvent*>& events, const std::vector<Change>& changes,
            size_t begin, size_t end, std::vector<absl::Status>& out);

  ProjectionStore& projections_;
  TargetsStore& store_;
  PlanModelCache& models_;
  const Clock& clock_;
  absl::TimeZone tz_;
  AttainmentBatchStats stats_;
};

// The AttainmentUpdated event of a roll-up figure.
v1::AttainmentUpdated AttainmentEvent(const v1::Attainment& a, const v1::FiscalPeriod& period,
                                      const std::string& cause_source, const std::string& cause_id);

}  // namespace salesops::targets
