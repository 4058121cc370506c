// The org service's own error reasons that its code compares against.
// Reasons every service shares are in common/status/reasons.h.
#pragma once

#include "common/status/reasons.h"

namespace salesops::org::reason {

// The shared reasons read through this namespace too (reason::kEtagMismatch).
using namespace ::salesops::reason;  // NOLINT(build/namespaces)

inline constexpr char kOrgUnitNotFound[] = "ORG_UNIT_NOT_FOUND";
inline constexpr char kEmailTaken[] = "EMAIL_TAKEN";
inline constexpr char kConcurrentReorganisation[] = "CONCURRENT_REORGANISATION";

}  // namespace salesops::org::reason
