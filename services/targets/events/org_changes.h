// Org changes → target plans: a member moved between teams (by MoveMember or
// a reorganisation such as a merge) has their open target moved by the rule in
// TargetsApi::ApplyMemberMove, as a new published version. Keyed by the org
// event's id, so a redelivered event changes nothing.
#pragma once

#include "common/kafka/consumer.h"
#include "services/targets/api/targets_api.h"

namespace salesops::targets {

inline constexpr char kOrgChangesGroup[] = "targets-org-changes";
inline constexpr char kOrgChangesDlq[] = "salesops.targets-org-changes.dlq.v1";

class OrgChangeHandler final : public EventHandler {
 public:
  explicit OrgChangeHandler(TargetsApi& api) : api_(api) {}
  absl::Status Handle(const CloudEvent& event) override;

 private:
  TargetsApi& api_;
};

}  // namespace salesops::targets
