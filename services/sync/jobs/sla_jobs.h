// The sync service's clocks: feedback not answered within its SLA
// (FeedbackOverdue, once), campaign leads not contacted in time
// (LeadContactOverdue, once), customer shares past their expiry (EXPIRED, the
// share topic updated). Each item is taken from its schedule together with a
// version-guarded write of its document, so several replicas running the job
// raise each event once.
//
//   SlaJobs jobs(repo, clock);
//   runtime.AddJob("sla", [&] { return jobs.RunOnce().status(); }, absl::Seconds(5));
#pragma once

#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

struct SlaCounts {
  int feedback_overdue = 0;
  int leads_overdue = 0;
  int shares_expired = 0;
};

class SlaJobs {
 public:
  SlaJobs(SyncRepository& repo, const Clock& clock) : repo_(repo), clock_(clock) {}
  // One pass over everything due now (at most `limit` per schedule).
  absl::StatusOr<SlaCounts> RunOnce(int limit = 200);

 private:
  absl::StatusOr<bool> FeedbackDue(const std::string& id, absl::Time now);
  absl::StatusOr<bool> LeadDue(const std::string& id, absl::Time now);
  absl::StatusOr<bool> ShareDue(const std::string& id, absl::Time now);

  SyncRepository& repo_;
  const Clock& clock_;
};

}  // namespace salesops::sync
