#include "services/forecast/store/org_view.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/status/status_macros.h"

namespace salesops::forecast {

absl::StatusOr<DirectoryOrgView::UnitEntry> DirectoryOrgView::Unit(const std::string& unit) {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = units_.find(unit);
    if (it != units_.end() && now - it->second.loaded < ttl_) {
      return it->second;
    }
  }
  UnitEntry e;
  e.loaded = now;
  SALESOPS_ASSIGN_OR_RETURN(e.chain, directory_.UnitAndAncestors(unit));
  SALESOPS_ASSIGN_OR_RETURN(e.kind, directory_.KindOf(unit));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> members, directory_.MembersOf(unit));
  int best_role = 0;
  for (const std::string& id : members) {  // sorted by id
    SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> m, directory_.Member(id));
    if (!m || m->left || m->role < 2) {
      continue;  // supervisor and above
    }
    if (best_role == 0 || m->role < best_role) {
      best_role = m->role;
      e.lead = id;
    }
  }
  // Only a complete answer is kept: the directory consumer may not have seen
  // the unit or an ancestor yet (it runs beside the deal consumer), and a
  // cached gap would hide the unit's place in the tree for a whole ttl.
  SALESOPS_ASSIGN_OR_RETURN(int root_kind, directory_.KindOf(e.chain.back()));
  if (e.kind == 0 || root_kind == 0) {
    return e;
  }
  absl::MutexLock lock(&mu_);
  if (units_.size() > 10000) {
    units_.clear();  // bounded
  }
  units_[unit] = e;
  return e;
}

absl::StatusOr<std::vector<std::string>> DirectoryOrgView::UnitAndAncestors(
    const std::string& unit) {
  SALESOPS_ASSIGN_OR_RETURN(UnitEntry e, Unit(unit));
  return e.chain;
}

absl::StatusOr<int> DirectoryOrgView::KindOf(const std::string& unit) {
  SALESOPS_ASSIGN_OR_RETURN(UnitEntry e, Unit(unit));
  return e.kind;
}

absl::StatusOr<std::string> DirectoryOrgView::LeadOf(const std::string& unit) {
  SALESOPS_ASSIGN_OR_RETURN(UnitEntry e, Unit(unit));
  return e.lead;
}

absl::StatusOr<std::optional<OrgMember>> DirectoryOrgView::Member(const std::string& member) {
  // Not cached: the API's object checks must see a move at once.
  SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> m, directory_.Member(member));
  if (!m) {
    return std::nullopt;
  }
  return OrgMember{m->team, m->role, m->left};
}

void InMemoryOrgView::AddUnit(const std::string& id, int kind, const std::string& parent) {
  absl::MutexLock lock(&mu_);
  units_[id] = {kind, parent};
}

void InMemoryOrgView::AddMember(const std::string& id, const std::string& team, int role) {
  absl::MutexLock lock(&mu_);
  members_[id] = {team, role, false};
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgView::UnitAndAncestors(
    const std::string& unit) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  std::string id = unit;
  while (!id.empty() && out.size() < 32 && std::find(out.begin(), out.end(), id) == out.end()) {
    out.push_back(id);
    auto it = units_.find(id);
    id = it == units_.end() ? "" : it->second.second;
  }
  return out;
}

absl::StatusOr<int> InMemoryOrgView::KindOf(const std::string& unit) {
  absl::MutexLock lock(&mu_);
  auto it = units_.find(unit);
  return it == units_.end() ? 0 : it->second.first;
}

absl::StatusOr<std::optional<OrgMember>> InMemoryOrgView::Member(const std::string& member) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(member);
  if (it == members_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::string> InMemoryOrgView::LeadOf(const std::string& unit) {
  absl::MutexLock lock(&mu_);
  std::string lead;
  int best = 0;
  for (const auto& [id, m] : members_) {
    if (m.team != unit || m.left || m.role < 2) {
      continue;
    }
    if (best == 0 || m.role < best) {
      best = m.role;
      lead = id;
    }
  }
  return lead;
}

}  // namespace salesops::forecast
