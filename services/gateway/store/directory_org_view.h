// The OrgView of the live stream over the gateway's org directory projection
// (common/directory, in Redis under gateway_keys.h's prefix), with a small in-memory
// cache: every event asks for the teams and regions it names, and the answers
// change only with reorganisations. Answers are remembered for `ttl` (unknown
// ones for a second, so a member who just joined is found soon); Redis errors
// are not remembered (the event is then scoped by what its payload names).
// A unit's region is found a level at a time through the cache: a new team
// costs one read (its own place) under a region already known, and its answer
// lasts no longer than the answers it was made from.
// At `max_entries` a cache drops its expired answers, then live ones down to
// three quarters: a large organisation never loses the whole cache at once.
//
//   DirectoryOrgView view(directory, clock, absl::Seconds(30));
//   std::string region = view.RegionOf("team-east-1");
//
// Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/time/clock.h"
#include "services/gateway/domain/event_scope.h"

namespace salesops::gateway {

class DirectoryOrgView final : public OrgView {
 public:
  DirectoryOrgView(org::OrgDirectory& directory, const Clock& clock, absl::Duration ttl,
                   size_t max_entries = 50000)
      : directory_(directory), clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

  std::string TeamOf(const std::string& member_id) override;
  std::string RegionOf(const std::string& unit_id) override;

 private:
  struct Entry {
    std::string value;
    absl::Time expires;
  };
  // The cached answer for key, or runs `load` (ok: remembered; error: "").
  template <typename Load>
  std::string Cached(absl::flat_hash_map<std::string, Entry>& cache, const std::string& key,
                     Load load);
  // The live cached entry for key, if any.
  std::optional<Entry> Find(absl::flat_hash_map<std::string, Entry>& cache, const std::string& key,
                            absl::Time now);
  // Keeps `e` for key (unless it expires by `now`), making room first when full.
  void Remember(absl::flat_hash_map<std::string, Entry>& cache, const std::string& key,
                const Entry& e, absl::Time now);
  // The unit's region and until when that answer holds; `depth` ends a parent loop.
  Entry Region(const std::string& unit_id, int depth);

  org::OrgDirectory& directory_;
  const Clock& clock_;
  const absl::Duration ttl_;
  const size_t max_entries_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> teams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> regions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::gateway
