// SyncRepository in memory, for unit tests of the API, the projections, the
// dispatcher and the share publisher: the same guards as the Redis adapter
// (versions, creates, request ids, events applied once per consumer), with
// the events each change would publish recorded in order. Never used by the
// service itself. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <set>

#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"
#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

class InMemorySyncRepository final : public SyncRepository {
 public:
  explicit InMemorySyncRepository(const Clock& clock) : clock_(clock) {}

  absl::StatusOr<std::optional<StoredDoc>> Get(DocKind kind, const std::string& id) override;
  absl::StatusOr<std::vector<std::optional<StoredDoc>>> GetMany(
      DocKind kind, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index, const std::string& after,
                                                 int limit) override;
  absl::StatusOr<std::vector<std::string>> Due(const std::string& schedule, int64_t until,
                                               int limit) override;
  absl::StatusOr<std::map<std::string, int64_t>> Counters(const std::string& hash) override;
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                         const std::string& request_id) override;
  absl::Status Commit(const Change& change) override;
  absl::StatusOr<ApplyOutcome> ApplyOnce(const std::string& consumer, const CloudEvent& cause,
                                         const Change& change) override;
  absl::StatusOr<std::vector<DirtyShare>> DirtyShares(int limit) override;
  absl::StatusOr<bool> ClearDirtyShare(const DirtyShare& d) override;

  // What was published, in commit order.
  std::vector<OutEvent> events() const;
  std::vector<OutEvent> EventsOfType(const std::string& type) const;
  void ClearEvents();
  // Test hook: runs `writer` once, just before the next Commit or ApplyOnce
  // applies (outside the lock, so it may commit too): another writer landing
  // between a handler's read and its commit, for tests of lost races.
  void BeforeNextCommit(std::function<void()> writer);

 private:
  // Takes the BeforeNextCommit writer, if any, and runs it without the lock.
  void RunBeforeNextCommit() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status CommitLocked(const Change& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  mutable absl::Mutex mu_;
  std::map<std::pair<DocKind, std::string>, StoredDoc> docs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> indexes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, int64_t>> schedules_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, int64_t>> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> share_seq_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> share_dirty_ ABSL_GUARDED_BY(mu_);  // customer → ms
  std::vector<OutEvent> events_ ABSL_GUARDED_BY(mu_);
  std::function<void()> before_next_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::sync
