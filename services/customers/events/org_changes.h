// Org changes → customers: a member who moved team (MoveMember, or a merge or
// split of their team) takes their customers and open deals along (see
// CustomersJobs::ApplyOwnerMove). Idempotent, so redelivery is harmless; a
// write race is ABORTED and retried by the consumer.
#pragma once

#include "common/kafka/consumer.h"
#include "services/customers/jobs/customers_jobs.h"

namespace salesops::customers {

inline constexpr char kOrgChangesGroup[] = "customers-org-changes";
inline constexpr char kOrgChangesDlq[] = "salesops.customers-org-changes.dlq.v1";

class OrgChangeHandler final : public EventHandler {
 public:
  explicit OrgChangeHandler(CustomersJobs& jobs) : jobs_(jobs) {}
  absl::Status Handle(const CloudEvent& event) override;

 private:
  CustomersJobs& jobs_;
};

}  // namespace salesops::customers
