// The org service's own caller check: it is the source of truth, so a
// member's current role and unit come from its repository; a member who was
// deleted (their membership history ends with leaving) counts as left.
//
//   RepositoryMemberLookup lookup(repo);
//   CallGuard guard(rpc, &lookup, clock);
#pragma once

#include "common/auth/principal_resolver.h"
#include "services/org/domain/org_repository.h"

namespace salesops::org {

class RepositoryMemberLookup final : public MemberLookup {
 public:
  explicit RepositoryMemberLookup(OrgRepository& repo) : repo_(repo) {}
  absl::StatusOr<std::optional<CurrentMember>> Lookup(const std::string& member_id) override;

 private:
  OrgRepository& repo_;
};

}  // namespace salesops::org
