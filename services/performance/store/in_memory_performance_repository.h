// PerformanceRepository in memory, for unit tests of the API and the event
// projection: the same guards as the Redis adapter (versions, field guards,
// request ids, applied events), all-or-nothing commits, and the events each
// commit would publish recorded in order. Never used by the service itself.
// Thread-safe.
//
//   InMemoryPerformanceRepository repo;
//   PerformanceApi api(repo, org, clock, options);
//   ...
//   for (const CloudEvent& e : repo.events()) …
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/performance/store/performance_repository.h"

namespace salesops::performance {

class InMemoryPerformanceRepository final : public PerformanceRepository {
 public:
  absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id) override;
  absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(
      DocKind kind, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index,
                                                 const std::string& prefix,
                                                 const std::string& after, int limit) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> GetFields(
      MapKind map, const std::string& id, const std::vector<std::string>& fields) override;
  absl::StatusOr<std::vector<FieldMap>> GetMaps(MapKind map,
                                                const std::vector<std::string>& ids) override;
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                         const std::string& request_id) override;
  absl::StatusOr<std::vector<bool>> Applied(const std::vector<const CloudEvent*>& events) override;
  absl::Status Commit(const Change& change,
                      const std::vector<const CloudEvent*>& applying) override;

  // Every event committed so far, in commit order.
  std::vector<CloudEvent> events() const;
  // Test hook: the next `n` commits fail with ABORTED ETAG_MISMATCH before
  // writing anything (a lost race).
  void FailNextCommits(int n);
  // Test hook: runs `writer` once, just before the next Commit applies (outside
  // the lock, so it may commit too): another writer landing between a handler's
  // read and its commit, for tests of lost races.
  void BeforeNextCommit(std::function<void()> writer);

 private:
  using MapKey = std::pair<MapKind, std::string>;
  mutable absl::Mutex mu_;
  std::map<std::pair<DocKind, std::string>, Doc> docs_ ABSL_GUARDED_BY(mu_);
  std::map<MapKey, std::map<std::string, std::string>> maps_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> indexes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> applied_ ABSL_GUARDED_BY(mu_);
  std::vector<CloudEvent> events_ ABSL_GUARDED_BY(mu_);
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> before_next_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::performance
