#include "common/auth/principal.h"

#include "absl/strings/string_view.h"

namespace salesops {

bool ParseRole(absl::string_view text, Role* out) {
  for (Role r : {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin}) {
    if (text == RoleName(r)) {
      *out = r;
      return true;
    }
  }
  return false;
}

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRep:
      return "rep";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kManager:
      return "manager";
    case Role::kDirector:
      return "director";
    case Role::kAdmin:
      return "admin";
  }
  return "rep";
}

}  // namespace salesops
