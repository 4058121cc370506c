// The targets service's own error reasons that its code compares against
// or its write guards map to.
// Reasons every service shares are in common/status/reasons.h.
#pragma once

#include "common/status/reasons.h"

namespace salesops::targets::reason {

// The shared reasons read through this namespace too (reason::kEtagMismatch).
using namespace ::salesops::reason;  // NOLINT(build/namespaces)

inline constexpr char kPlanNotDraft[] = "PLAN_NOT_DRAFT";
inline constexpr char kConcurrentPublish[] = "CONCURRENT_PUBLISH";

}  // namespace salesops::targets::reason
