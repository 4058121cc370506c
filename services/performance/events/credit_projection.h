// The performance service's projection of other services' events, kept
// effectively once (every event id is recorded in the same Redis transaction
// as what it changed). It records inputs only; the Recomputer turns them into
// statements and scorecards:
//   customers OpportunityWon, PaymentReceived, PaymentRefunded, ContractCancelled
//       → credit facts of the deal's credited members (api/deal_credit.h)
//   customers OpportunityCreated / StageChanged / Won / Lost, ActivityLogged,
//       FollowUpTaskCompleted, PaymentOverdue, PaymentReceived / Refunded
//       → KPI counters of the owner and their team per fiscal quarter
//   targets AttainmentUpdated (REP and TEAM levels)
//       → the target and attainment of a member or team (latest as_of wins)
// and marks the statements and scorecards whose inputs moved as work.
//
// Every input is a set keyed by event id or a sum, so the state after a set
// of events does not depend on the order they arrive in (partitions of a
// topic interleave differently on every replay). A batch of events commits
// in one transaction; an event that does not decode or carries a bad value
// fails alone (the consumer retries it, then dead-letters it).
//
//   CreditProjection projection(repo, options);
//   runtime.AddConsumer({.group_id = kCreditGroup, .topics = {customers, targets},
//                        .dlq_topic = kCreditDlq}, projection);
//
// Thread-safe (no state of its own).
#pragma once

#include <vector>

#include "common/kafka/consumer.h"
#include "services/performance/api/recompute.h"
#include "services/performance/store/performance_repository.h"

namespace salesops::performance {

inline constexpr char kCreditGroup[] = "performance-credit";
inline constexpr char kCreditDlq[] = "salesops.performance-credit.dlq.v1";
// Records handed to HandleBatch at once: a batch is one Redis script, and the
// larger it is the more of a rep's or team's writes fold into one.
inline constexpr int kCreditMaxBatch = 1024;
inline constexpr char kDirectoryGroup[] = "performance-org-directory";
inline constexpr char kDirectoryDlq[] = "salesops.performance-org-directory.dlq.v1";

class CreditProjection final : public EventHandler {
 public:
  CreditProjection(PerformanceRepository& repo, PerformanceOptions options)
      : repo_(repo), options_(std::move(options)) {}

  absl::Status Handle(const CloudEvent& event) override;
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

 private:
  PerformanceRepository& repo_;
  PerformanceOptions options_;
};

}  // namespace salesops::performance
