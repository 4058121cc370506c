// Target allocation: splitting an amount (int64 minor units) over cells by
// weight so that the parts sum EXACTLY to the whole, with locked cells kept
// as given. Largest-remainder (Hamilton) rounding with a deterministic
// tie-break: larger remainder first, then larger weight, then smaller key.
// Pure functions; O(n log n) in the number of cells.
//
//   std::vector<Share> shares = {{"rep-1", 3}, {"rep-2", 1}, {"rep-3", 0, 500'000}};
//   SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> parts,
//                             Allocate(1'000'000, shares, "inputs"));
//   // parts = {375000, 125000, 500000}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace salesops::targets {

struct Share {
  std::string key;                // stable id of the cell (tie-break, messages)
  int64_t weight = 0;             // >= 0; ignored when locked
  std::optional<int64_t> locked;  // fixed amount (>= 0), kept exactly
};

// Errors (each names "<field>[i].<sub>" or the rule):
//   total < 0                          → INVALID_ARGUMENT "total" (reason NEGATIVE_TOTAL)
//   weight < 0 / locked < 0            → INVALID_ARGUMENT "<field>[i].weight" / ".amount"
//   duplicate or empty key             → INVALID_ARGUMENT "<field>[i].key" (later duplicate)
//   no shares                          → INVALID_ARGUMENT "<field>"
//   sum(locked) > total                → FAILED_PRECONDITION LOCKED_EXCEEDS_TOTAL
//   remaining > 0 and every unlocked weight is 0 (or no unlocked cell)
//                                      → FAILED_PRECONDITION ALL_WEIGHTS_ZERO
// Result: parallel to `shares`; sums exactly to `total`; locked cells
// unchanged; same input ⇒ same output (independent of input order); each
// unlocked part is floor or ceil of its exact share (zero weight ⇒ 0).
absl::StatusOr<std::vector<int64_t>> Allocate(int64_t total, const std::vector<Share>& shares,
                                              const std::string& field);

// How weights are derived for each allocation method (the API gathers the facts).
enum class Method { kEqual, kHistoricalShare, kCapacityWeighted, kPotentialWeighted, kManual };

// Splits `amount` over `months` by a seasonality profile in basis points
// (must have one entry per month and sum to 10000; empty = equal months).
// INVALID_ARGUMENT "seasonality.month_share_basis_points" otherwise
// ("...[i]" for a negative entry; "months" when months <= 0; "amount" with
// reason NEGATIVE_TOTAL when amount < 0). Ties go to the earlier month.
absl::StatusOr<std::vector<int64_t>> Phase(int64_t amount, int months,
                                           const std::vector<int32_t>& profile_bp);

// Pace: what should have been booked by `elapsed_days` of the period, from the
// monthly phasing (full months passed + the current month pro rata by day,
// floored; day_of_month is clamped to the month).
struct PeriodProgress {
  std::vector<int64_t> monthly;    // phased amounts, in order
  std::vector<int> days_in_month;  // same length
  int month_index = 0;             // current month (0-based); >= size ⇒ period over
  int day_of_month = 0;            // days elapsed in the current month (0..days)
};
int64_t ExpectedToDate(const PeriodProgress& p);
// actual * 10000 / denominator (truncated), 0 when the denominator is 0;
// saturates at INT32_MAX (and INT32_MIN for negative ratios).
int32_t RatioBasisPoints(int64_t actual, int64_t denominator);

// Re-allocation: move target from cells far behind pace to cells ahead,
// keeping the total exact. Each cell: target, actual, expected to date.
struct PaceCell {
  std::string key;
  int64_t target = 0;
  int64_t actual = 0;
  int64_t expected = 0;
  bool locked = false;
};
struct Move {
  std::string from, to;
  int64_t amount = 0;
};
// Cells with pace < behind_bp give away part of their unachievable remainder
// (target - projected, projected = actual * target / expected) to cells with
// pace >= 10000 in proportion to their over-performance (projected - target);
// in total no more than the receivers' over-performance, so no receiver is
// pushed below its own projection; givers and receivers share the moved
// amount in proportion to what each can give / take (largest remainder).
// Cells with expected <= 0 have no pace yet and are left alone. At most
// `max_moves` moves, largest first (ties by from, then to key); never moves
// from/to locked cells; never makes a target negative or below actual.
// Deterministic and independent of input order (keys must be unique).
std::vector<Move> SuggestMoves(const std::vector<PaceCell>& cells, int32_t behind_bp,
                               int max_moves);

}  // namespace salesops::targets
