// The warning engine's consumer: customer, opportunity, activity, payment and
// contract events (customers topic), attainment events (targets topic) and
// reps' and teams' PIPELINE forecasts (forecast topic: ForecastUpdated,
// ForecastGapDetected / Closed — the forecast-gap rule's facts) update the
// subject projections, and the subjects they touched are
// evaluated at once (WarningEngine). The projection change, the warnings and
// their events commit in one script together with the event id
// (ProjectionStore::TryApplyOnce), so a redelivered event changes nothing and
// cannot raise a second warning. A lost race with the scheduler or another
// partition (a version guard) is retried from a fresh read.
//
// A consumed batch is applied in waves: each wave takes the next event of every
// Kafka key in the batch, reads what all of them need in a few pipelined round
// trips (their subjects, the rep and team period subjects a deal's weight moves,
// the pipeline figures and active warnings the rules look at), evaluates them in
// batch order — each seeing the pipeline changes of the wave's earlier events — and
// commits them as one pipeline of scripts, each still guarded and effectively-once
// on its own. An event whose commit lost a race is applied again on its own, from
// fresh reads, before the key's next event.
#pragma once

#include <atomic>
#include <functional>

#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "services/warning/events/engine.h"

namespace salesops::warning {

inline constexpr char kEngineGroup[] = "warning-engine";
inline constexpr char kEngineDlq[] = "salesops.warning-engine.dlq.v1";

struct WarningConsumerOptions {
  // Waves (above); false: each event on its own, `lanes` events of different keys
  // at once (the way before waves, kept for the benchmark's comparison).
  bool waves = true;
  int lanes = 4;
};

struct WarningConsumerStats {
  std::atomic<int64_t> waves{0};
  std::atomic<int64_t> in_waves{0};  // events applied by a wave's pipelined commit
  std::atomic<int64_t> alone{0};     // events of a wave applied on their own after it
};

class WarningConsumer final : public EventHandler {
 public:
  WarningConsumer(ProjectionStore& projections, WarningStore& store, WarningEngine& engine,
                  const Clock& clock, WarningConsumerOptions options = {})
      : projections_(projections),
        store_(store),
        engine_(engine),
        clock_(clock),
        options_(options) {}
  absl::Status Handle(const CloudEvent& event) override;
  // Events of one Kafka key (one customer, one plan) are applied in order.
  // After a failure the key's later events in the batch are not attempted
  // (they come back failed and the consumer retries them one by one, in order).
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;
  const WarningConsumerStats& stats() const { return stats_; }

 private:
  // What one event does, decoded, before anything is read: the subject it
  // updates ("" = nothing the engine watches) and how.
  struct Change {
    std::string key;
    std::function<bool(v1::SubjectState*)> apply;
    // When set and the subject changed: the subject is one of `period_of`'s periods.
    std::string period_of;
  };
  absl::StatusOr<Change> Decode(const CloudEvent& event) const;
  // Applies `c` to `u` (the subject as read); a change goes to `subjects`,
  // `delta` (a deal's weight moved) and `b`.
  void Apply(const CloudEvent& event, const Change& c, SubjectUpdate u,
             std::vector<SubjectUpdate>* subjects, absl::flat_hash_map<std::string, int64_t>* delta,
             WriteBatch* b) const;
  // Decodes the event and loads/updates the subjects it touches. Nothing to
  // do: `subjects` stays empty.
  absl::Status Build(const CloudEvent& event, std::vector<SubjectUpdate>* subjects,
                     absl::flat_hash_map<std::string, int64_t>* delta, WriteBatch* b);
  absl::StatusOr<SubjectUpdate> Load(const std::string& key);
  // One wave: events[i] for i in `wave` (no two of one Kafka key); sets out[i].
  void ApplyWave(const std::vector<const CloudEvent*>& events, const std::vector<size_t>& wave,
                 std::vector<absl::Status>& out);
  std::vector<absl::Status> HandleInLanes(const std::vector<const CloudEvent*>& events);

  ProjectionStore& projections_;
  WarningStore& store_;
  WarningEngine& engine_;
  const Clock& clock_;
  WarningConsumerOptions options_;
  WarningConsumerStats stats_;
};

}  // namespace salesops::warning
