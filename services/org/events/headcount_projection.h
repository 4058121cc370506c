// The headcount projection: members per org unit, kept from the org topic's
// MemberJoined / MemberMoved / MemberLeft events, effectively once (the event
// id is recorded in the same Redis transaction as the count change). It feeds
// OrgUnit.member_count and, later, revenue per head in the team-efficiency
// view. Events of other types are acknowledged and ignored.
#pragma once

#include <optional>

#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"

namespace salesops::org {

inline constexpr char kHeadcountGroup[] = "org-headcount";
inline constexpr char kHeadcountDlq[] = "salesops.org-headcount.dlq.v1";

class HeadcountProjection final : public EventHandler {
 public:
  explicit HeadcountProjection(ProjectionStore& store) : store_(store) {}
  absl::Status Handle(const CloudEvent& event) override;
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

 private:
  // The projection change for an event; nullopt for events it ignores.
  absl::StatusOr<std::optional<WriteBatch>> ChangeFor(const CloudEvent& event) const;

  ProjectionStore& store_;
};

}  // namespace salesops::org
