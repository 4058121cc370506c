// The rules the engine evaluates: stored in Redis (so every replica and the
// API agree), seeded from configuration, and cached in memory. The cache is
// reloaded when the rules' change counter moved, checked at most every
// `refresh`, so an edit through the API reaches every replica within that.
//
//   RuleSet rules(store, absl::Seconds(2));
//   rules.Seed(configured, now);   // rules not stored yet are created
//   SALESOPS_ASSIGN_OR_RETURN(auto current, rules.Current());
#pragma once

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/warning/store/warning_store.h"

namespace salesops::warning {

inline constexpr char kWarningTopic[] = "salesops.warning.events.v1";
inline constexpr char kWarningSource[] = "/salesops/warning";

using RuleList = std::vector<v1::Rule>;

class RuleSet {
 public:
  RuleSet(WarningStore& store, absl::Duration refresh) : store_(store), refresh_(refresh) {}

  // Stores each rule whose name is not stored yet (create_time = now);
  // existing rules keep their stored (possibly edited) form. Emits RuleCreated.
  absl::Status Seed(const RuleList& rules, absl::Time now);

  // All stored rules, sorted by name, etag filled.
  absl::StatusOr<std::shared_ptr<const RuleList>> Current();
  // Forces a reload on the next Current() (after a local edit).
  void Invalidate();
  // Reads every stored rule (no cache).
  absl::StatusOr<RuleList> LoadAll();

 private:
  WarningStore& store_;
  absl::Duration refresh_;
  absl::Mutex mu_;
  std::shared_ptr<const RuleList> cached_ ABSL_GUARDED_BY(mu_);
  int64_t cached_version_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// Reads rules from a text-format file: a salesops.warning.v1.ListRulesResponse
// ("rules { name: ... }" entries), each validated (INVALID_ARGUMENT naming
// the file and the rule's field).
absl::StatusOr<RuleList> LoadRulesFile(const std::string& path);

}  // namespace salesops::warning
