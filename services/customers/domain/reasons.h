// The customers service's own error reasons that its code compares against
// or its write guards map to.
// Reasons every service shares are in common/status/reasons.h.
#pragma once

#include "common/status/reasons.h"

namespace salesops::customers::reason {

// The shared reasons read through this namespace too (reason::kEtagMismatch).
using namespace ::salesops::reason;  // NOLINT(build/namespaces)

inline constexpr char kDuplicateTaxId[] = "DUPLICATE_TAX_ID";
inline constexpr char kDuplicatePhone[] = "DUPLICATE_PHONE";
inline constexpr char kDuplicateContractNumber[] = "DUPLICATE_CONTRACT_NUMBER";
inline constexpr char kConcurrentClaim[] = "CONCURRENT_CLAIM";
inline constexpr char kReclaimCooldown[] = "RECLAIM_COOLDOWN";

}  // namespace salesops::customers::reason
