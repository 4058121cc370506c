// Bottom-up roll-up of forecasts through the org tree: every parent's amount
// is exactly the sum of its children's (reps → team → region → company), so
// the numbers a supervisor sees add up. A forecast computed for the parent
// itself (top-down) is replaced, and the difference is reported.
//
// Intervals combine assuming the children are independent and each interval
// is mean ± z·σ at the same confidence: the parent's lower half-width is
// sqrt(Σ lower half-widths²), likewise the upper — narrower than the sum of
// the children's intervals, as RollUpResponse documents.
//
//   std::vector<RollUpNode> nodes = {
//       {"company", "", std::nullopt},
//       {"team-a", "company", std::nullopt},
//       {"rep-1", "team-a", Figures{100'00, 80'00, 130'00}},
//       {"rep-2", "team-a", Figures{50'00, 40'00, 65'00}}};
//   absl::StatusOr<std::map<std::string, RolledUp>> r = RollUp(nodes);
//   // (*r)["team-a"].figures.amount_minor == 150'00 == (*r)["company"].figures.amount_minor
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace salesops::forecast {

// A forecast amount with its interval, int64 minor units.
struct Figures {
  int64_t amount_minor = 0;
  int64_t low_minor = 0;
  int64_t high_minor = 0;
};

struct RollUpNode {
  std::string id;
  std::string parent_id;  // "" for a root
  // Required for leaves; for inner nodes, a top-down forecast to reconcile (optional).
  std::optional<Figures> own;
};

struct RolledUp {
  std::string id;
  Figures figures;                    // leaf: its own; inner: combined children
  std::vector<std::string> children;  // in input order
  // Inner node with its own forecast: sum of children minus that forecast.
  int64_t reconciliation_minor = 0;
};

// Errors (INVALID_ARGUMENT, field named): "nodes[i].id" empty or duplicate;
// "nodes[i].parent_id" unknown or on a cycle; "nodes[i].own" missing on a
// leaf, or low > amount or high < amount; "nodes" when a sum overflows int64.
absl::StatusOr<std::map<std::string, RolledUp>> RollUp(const std::vector<RollUpNode>& nodes);

}  // namespace salesops::forecast
