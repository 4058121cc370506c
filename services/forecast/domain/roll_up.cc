#include "services/forecast/domain/roll_up.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace salesops::forecast {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

absl::Status Field(size_t i, absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("nodes[", i, "].", field, ": ", what));
}

}  // namespace

absl::StatusOr<std::map<std::string, RolledUp>> RollUp(const std::vector<RollUpNode>& nodes) {
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].id.empty()) {
      return Field(i, "id", "must not be empty");
    }
    if (!index.emplace(nodes[i].id, i).second) {
      return Field(i, "id", absl::StrCat("duplicate id '", nodes[i].id, "'"));
    }
  }
  std::vector<std::vector<size_t>> children(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const RollUpNode& node = nodes[i];
    if (node.parent_id.empty()) {
      continue;
    }
    const auto it = index.find(node.parent_id);
    if (it == index.end()) {
      return Field(i, "parent_id", absl::StrCat("unknown parent '", node.parent_id, "'"));
    }
    children[it->second].push_back(i);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (const std::optional<Figures>& own = nodes[i].own; own.has_value()) {
      if (own->low_minor > own->amount_minor || own->high_minor < own->amount_minor) {
        return Field(i, "own", "needs low <= amount <= high");
      }
    } else if (children[i].empty()) {
      return Field(i, "own", "a leaf needs its forecast");
    }
  }

  // Post-order from the roots (iterative; a node not reached lies on a cycle).
  std::map<std::string, RolledUp> out;
  std::vector<char> done(nodes.size(), 0);
  for (size_t root = 0; root < nodes.size(); ++root) {
    if (!nodes[root].parent_id.empty()) {
      continue;
    }
    std::vector<std::pair<size_t, size_t>> stack = {{root, 0}};  // node, next child
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < children[node].size()) {
        const size_t child = children[node][next++];
        stack.emplace_back(child, 0);
        continue;
      }
      RolledUp r;
      r.id = nodes[node].id;
      if (children[node].empty()) {
        r.figures = *nodes[node].own;
      } else {
        __int128 sum = 0;
        long double lows = 0, highs = 0;
        for (size_t child : children[node]) {
          const Figures& f = out[nodes[child].id].figures;
          sum += f.amount_minor;
          const long double down = f.amount_minor - f.low_minor;
          const long double up = f.high_minor - f.amount_minor;
          lows += down * down;
          highs += up * up;
          r.children.push_back(nodes[child].id);
        }
        if (sum > kInt64Max || sum < -kInt64Max) {
          return absl::InvalidArgumentError(
              absl::StrCat("nodes: the sum under '", r.id, "' overflows int64"));
        }
        r.figures.amount_minor = static_cast<int64_t>(sum);
        r.figures.low_minor = r.figures.amount_minor - std::llround(std::sqrt(lows));
        r.figures.high_minor = r.figures.amount_minor + std::llround(std::sqrt(highs));
        if (nodes[node].own.has_value()) {
          r.reconciliation_minor = r.figures.amount_minor - nodes[node].own->amount_minor;
        }
      }
      done[node] = 1;
      out[r.id] = std::move(r);
      stack.pop_back();
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!done[i]) {
      return Field(i, "parent_id", "lies on a cycle");
    }
  }
  return out;
}

}  // namespace salesops::forecast
