// ForecastRepository in memory, for unit tests of the API, the engine, the
// projection and the jobs: the same guards as the Redis adapter (versions,
// absence, hash fields, request ids, effectively-once causes), with the
// events each commit would publish recorded in order. Never used by the
// service itself. Thread-safe.
//
//   InMemoryForecastRepository repo;
//   ForecastApi api(repo, org, clock, options);
//   ... repo.events() holds what the outbox would have published
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/forecast/store/forecast_repository.h"

namespace salesops::forecast {

class InMemoryForecastRepository final : public ForecastRepository {
 public:
  absl::StatusOr<std::vector<ReadResult>> Read(const std::vector<ReadOp>& ops) override;
  absl::StatusOr<std::optional<std::string>> SeenRequest(const std::string& caller,
                                                         const std::string& request_id) override;
  absl::StatusOr<CommitOutcome> CommitOnce(const ForecastChange& change,
                                           absl::Span<const CloudEvent* const> causes) override;

  std::vector<CloudEvent> events() const;
  int64_t commits() const;
  // Test hook: the next Commit fails with UNAVAILABLE (storage down).
  void FailNextCommit();

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<DocKind, std::string>, Doc> docs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> indexes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, std::string>> hashes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<CloudEvent> events_ ABSL_GUARDED_BY(mu_);
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_next_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace salesops::forecast
