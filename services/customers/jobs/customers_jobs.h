// The customers service's scheduled work (main.cc runs each on its interval;
// idempotent and safe on several replicas at once) and the bulk change that
// follows an owner's move between teams (events/org_changes.h). Each job looks
// at most `limit` due items.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/time/clock.h"
#include "services/customers/store/customers_store.h"

namespace salesops::customers {

// What one run of a job did.
struct JobRun {
  int examined = 0;
  int changed = 0;  // customers released, reminders sent, tasks/instalments flagged, tiers changed
};

class CustomersJobs {
 public:
  // `tz`: the business time zone for dates (due dates, claim months).
  // `directory`: the org chart as this service keeps it, for an overdue task's
  // assignee's team.
  CustomersJobs(CustomersStore& store, org::OrgDirectory& directory, const Clock& clock,
                absl::TimeZone tz)
      : store_(store), directory_(directory), clock_(clock), tz_(tz) {}

  absl::StatusOr<JobRun> RunPoolJob(int limit);  // reminders and releases
  // FollowUpTaskOverdue, with the assignee's team (the customer's when the
  // directory does not know the assignee): a pool customer has no team.
  absl::StatusOr<JobRun> RunTaskOverdueJob(int limit);
  absl::StatusOr<JobRun> RunPaymentOverdueJob(int limit);  // PaymentOverdue, ACTIVE contracts
  absl::StatusOr<JobRun> RunTierJob(int limit);  // re-tier customers due (schedule/events)

  // Org changes: when an owner moves team (MoveMember, or a merge/split of
  // their team), their customers and open opportunities follow: `team` becomes
  // the new team (region stays: it is where the customer is). Idempotent (a
  // customer already on the new team is left alone). Returns how many
  // customers and deals changed.
  absl::StatusOr<JobRun> ApplyOwnerMove(const std::string& member_id, const std::string& to_team,
                                        const std::string& reason);

 private:
  CustomersStore& store_;
  org::OrgDirectory& directory_;
  const Clock& clock_;
  absl::TimeZone tz_;
};

}  // namespace salesops::customers
