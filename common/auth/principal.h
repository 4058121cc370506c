// Who is calling: the verified claims of the caller's bearer token.
//
//   Role r;  if (!ParseRole("supervisor", &r)) …
//   if (principal.role >= Role::kManager) …   // roles are ordered by reach
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace salesops {

// Ordered by reach: a higher role sees at least what a lower one sees.
enum class Role { kRep = 1, kSupervisor = 2, kManager = 3, kDirector = 4, kAdmin = 5 };

bool ParseRole(absl::string_view text, Role* out);
absl::string_view RoleName(Role role);

struct Principal {
  std::string member_id;    // JWT "sub"
  Role role = Role::kRep;   // JWT "role"
  std::string org_unit_id;  // JWT "org_unit" ("" for a company-wide admin)
};

}  // namespace salesops
