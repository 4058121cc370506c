// Split credit: dividing one amount of money (a deal, a payment, a refund, a
// SPIFF) between the reps who share a deal, cent-exact. Shares are integers
// that must sum to exactly 100 % (10'000 basis points or 1'000'000
// millionths); parts are floors of the exact shares plus the leftover cents by
// largest remainder (Hamilton), ties to the larger share, then to the smaller
// member id. So the parts always sum to the amount, every part is within one
// cent of its exact share, and the result does not depend on the order the
// shares are listed in.
//
//   std::vector<CreditShare> shares = {{"rep-a", 333'334}, {"rep-b", 333'333}, {"rep-c", 333'333}};
//   SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> parts,
//                             SplitAmount(100'00, shares, ShareScale::kMillionths, "deal.split"));
//   // parts = {3334, 3333, 3333}
//
// A negative amount (a refund) splits as the mirror image of the positive one,
// so a full refund takes back from each rep exactly what the deal gave them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salesops::performance {

struct CreditShare {
  std::string member_id;  // unique within a split
  int64_t share = 0;      // > 0, in the scale's units

  bool operator==(const CreditShare&) const = default;
};

enum class ShareScale : int64_t { kBasisPoints = 10'000, kMillionths = 1'000'000 };

// OK when shares are non-empty, member ids non-empty and unique, every share
// > 0, and they sum to exactly the scale. Otherwise INVALID_ARGUMENT naming
// "<field>[i].member_id" / "<field>[i].share", or "<field>" with reason
// SPLIT_NOT_100_PERCENT when the sum is off.
absl::Status ValidateShares(const std::vector<CreditShare>& shares, ShareScale scale,
                            absl::string_view field);

// Parts of `amount_minor` parallel to `shares`, summing exactly to it (see
// above). Errors as ValidateShares; INT64_MIN cannot be mirrored and is
// INVALID_ARGUMENT on "<field>".
absl::StatusOr<std::vector<int64_t>> SplitAmount(int64_t amount_minor,
                                                 const std::vector<CreditShare>& shares,
                                                 ShareScale scale, absl::string_view field);

// The part of `amount_minor` credited to `member_id` under `shares` (already
// validated); 0 when the member has no share. Same rule as SplitAmount.
int64_t PartFor(int64_t amount_minor, const std::vector<CreditShare>& shares, ShareScale scale,
                absl::string_view member_id);

// Distributes `amount` (>= 0) over non-negative integer weights whose sum is
// > 0 (or amount == 0), by largest remainder; ties go to the larger weight,
// then the lower index. Used to attribute a cap or a rounding remainder to
// the lines or deals behind it. Parts sum exactly to `amount`.
std::vector<int64_t> AllocateByWeight(int64_t amount, const std::vector<int64_t>& weights);

}  // namespace salesops::performance
