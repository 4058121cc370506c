// The warning engine's evaluation step, shared by the event consumer and the
// scheduler: for each subject whose facts changed (or whose due time came),
// evaluate every applicable rule as it applies to the subject's unit
// (per-unit overrides), reconcile with the subject's active warnings, and add
// the outcome to one WriteBatch: the subject's state, the warnings raised,
// updated or resolved, their indexes, WarningRaised / WarningResolved events
// (outbox) and the subject's next due time. The caller commits the batch
// (with the cause event's id, for effectively-once), so a subject's facts, its
// warnings and their events change together or not at all.
//
// Routing: a warning goes to the responsible supervisor of the subject's team:
// the nearest unit, from the team up, with a member of role supervisor or
// above other than the rep concerned (lowest such role first, then id).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/outbox/write_batch.h"
#include "common/time/clock.h"
#include "services/warning/domain/subjects.h"
#include "services/warning/store/rule_set.h"
#include "services/warning/store/warning_store.h"

namespace salesops::warning {

inline constexpr absl::Duration kUnknownUnitTtl = absl::Seconds(1);

struct EngineOptions {
  absl::TimeZone tz = absl::UTCTimeZone();
  StageWeights stage_weights = DefaultStageWeights();
  // How long a team's routing (ancestors, supervisor) is cached. A team the
  // org directory does not know (yet) is asked again after at most
  // kUnknownUnitTtl: each service's directory follows the org topic on its
  // own, so a deal of a team just created can arrive before this engine's
  // directory has the team, and its warnings must not go unrouted for long.
  absl::Duration routing_ttl = absl::Seconds(30);
  // Whether this replica's engine consumer is working through a backlog
  // (null: never, and nothing below happens). While any replica's is, a rep's
  // or team's period figures are not the current picture: the targets
  // topic's attainment can arrive long before the deals that make the
  // pipeline, so a coverage or pace judged then is a false alarm. Such a
  // subject's facts are stored and its evaluation deferred
  // (WarningStore::DeferredKey) until the scheduler finds no replica behind.
  // Deals, customers and contracts are evaluated as always. A replica that
  // is behind says so with its commits (WarningStore::BehindKey, at most every
  // 2 s, counting for 10 s), so every replica knows, not only the scheduler's.
  std::function<bool()> behind;
  // The time of that word, and the name it gives.
  const Clock* wall_clock = &SystemWallClock();
  std::string replica = "this replica";
  // Waiting longer than this means stuck rather than catching up (a
  // partition without a leader, a sustained overload): periods are then
  // judged on the figures as they are, with a warning in the log.
  absl::Duration max_wait = absl::Minutes(10);
  // An event more than `history_age` older than now tells history: a data
  // migration's backfill (make run's demo load replays two years of deals
  // that way) or a long outage's backlog. The subjects it changes are stored
  // and judged `history_settle` later by the scheduler, once the history has
  // been replayed, not at each step of it: a deal's past stages, each
  // "stalled" until the next step a moment later, are not alarms. Zero: never.
  absl::Duration history_age = absl::ZeroDuration();
  absl::Duration history_settle = absl::Seconds(30);
};

// The event that made the engine evaluate (empty for the scheduler).
struct Cause {
  std::string source;
  std::string id;
  std::string trace_id;
  absl::Time time = absl::InfinitePast();  // the event's own time (unknown: past)
};

struct SubjectUpdate {
  std::string key;  // SubjectKey(subject, period)
  v1::SubjectState state;
  int64_t version = 0;  // as read; 0 = not stored yet
  bool write = false;   // store `state`, guarded on `version`
  bool touch = false;   // else: only the next version, guarded on `version`
};

struct Routing {
  std::vector<std::string> units;  // "orgUnits/{id}": the team, then its ancestors
  std::string supervisor;          // "members/{id}" or ""
};

// Reads the evaluation would make, made beforehand for many subjects at once (the
// consumer's batches): the weighted pipeline of reps and teams ("members/…",
// "orgUnits/…") and each subject key's active warnings. What is missing here is read
// as usual. Evaluate keeps `active` current with what it writes (a warning raised,
// updated or resolved), so the next evaluation of a batch sees it, as it would see
// the committed batch in Redis.
struct EvaluationReads {
  absl::flat_hash_map<std::string, int64_t> pipeline;
  absl::flat_hash_map<std::string, std::vector<Versioned<v1::Warning>>> active;
};

struct EngineStats {
  std::atomic<int64_t> evaluations{0};
  std::atomic<int64_t> raised{0};
  std::atomic<int64_t> updated{0};
  std::atomic<int64_t> resolved{0};
  std::atomic<int64_t> deferred{0};  // period evaluations put off while behind
  std::atomic<int64_t> settling{0};  // evaluations put off until a history settles
};

class WarningEngine {
 public:
  WarningEngine(WarningStore& store, org::OrgDirectory& directory, RuleSet& rules,
                EngineOptions options)
      : store_(store), directory_(directory), rules_(rules), options_(std::move(options)) {}

  // `pipeline_delta`: changes to the weighted pipeline (rep/team → minor)
  // that `b` (or a batch committed before it) carries but Redis does not have yet.
  // `reads`: what was read for it beforehand (and is kept current), or null.
  absl::Status Evaluate(std::vector<SubjectUpdate>& subjects,
                        const absl::flat_hash_map<std::string, int64_t>& pipeline_delta,
                        const Cause& cause, absl::Time now, WriteBatch& b,
                        EvaluationReads* reads = nullptr);

  // Whether a rep's or team's period waits (EngineOptions::behind): this
  // replica is behind, or some replica said so within the last 10 s (read at
  // most once a second, unless `fresh`; unreadable counts as behind), and
  // not for longer than max_wait. Logs when waiting starts and ends.
  bool PeriodsWait(bool fresh);
  // While periods wait (for a gauge); not once they are judged past max_wait.
  bool waiting() const { return waiting_since_.load() != 0 && !overdue_.load(); }

  // The routing of a team ("orgUnits/{id}"), `rep` excluded as supervisor.
  absl::StatusOr<Routing> Route(const std::string& team, const std::string& rep);

  const EngineOptions& options() const { return options_; }
  const EngineStats& stats() const { return stats_; }
  RuleSet& rules() { return rules_; }

 private:
  struct UnitInfo {
    std::vector<std::string> chain;  // unit names, the unit first
    // Members of role >= supervisor: (role, "members/{id}").
    std::vector<std::pair<int, std::string>> leads;
    absl::Time loaded;
    absl::Duration ttl;  // routing_ttl, or kUnknownUnitTtl for a unit not known
  };
  absl::StatusOr<std::shared_ptr<const UnitInfo>> Unit(const std::string& unit_id);
  absl::Status EvaluateOne(SubjectUpdate& s, const RuleList& rules,
                           const absl::flat_hash_map<std::string, int64_t>& pipeline_delta,
                           const Cause& cause, absl::Time now, bool behind, WriteBatch& b,
                           EvaluationReads* reads);

  WarningStore& store_;
  org::OrgDirectory& directory_;
  RuleSet& rules_;
  EngineOptions options_;
  EngineStats stats_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const UnitInfo>> units_ ABSL_GUARDED_BY(mu_);
  absl::Time WallNow() const;
  bool OthersBehind(bool fresh);
  std::atomic<int64_t> next_report_{0};    // wall seconds: when this replica says it again
  std::atomic<int64_t> waiting_since_{0};  // wall seconds; 0: periods are judged
  std::atomic<bool> overdue_{false};       // waited past max_wait: judged anyway
  absl::Mutex backlog_mu_;
  absl::Time others_read_at_ ABSL_GUARDED_BY(backlog_mu_) = absl::InfinitePast();
  bool others_behind_ ABSL_GUARDED_BY(backlog_mu_) = false;
  std::string others_who_ ABSL_GUARDED_BY(backlog_mu_);
};

}  // namespace salesops::warning
