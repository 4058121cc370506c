#include "services/org/store/in_memory_org_repository.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "services/org/domain/reasons.h"
#include "services/org/domain/reorg.h"

namespace salesops::org {

absl::Status InMemoryOrgRepository::CheckUnitVersion(const OrgUnit& u) {
  auto it = units_.find(u.id);
  if (it == units_.end() || it->second.version != u.version) {
    return Aborted(reason::kEtagMismatch, "the resource changed since it was read");
  }
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::CheckMemberVersion(const Member& m) {
  auto it = members_.find(m.id);
  if (it == members_.end() || it->second.version != m.version) {
    return Aborted(reason::kEtagMismatch, "the resource changed since it was read");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<OrgUnit>> InMemoryOrgRepository::GetUnit(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = units_.find(id);
  if (it == units_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::optional<Member>> InMemoryOrgRepository::GetMember(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(id);
  if (it == members_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>>
InMemoryOrgRepository::GetUnitWithHeadcount(const std::string& id) {
  auto unit = GetUnit(id);
  if (!unit.ok()) {
    return unit.status();
  }
  if (!*unit) {
    return std::nullopt;
  }
  auto n = Headcount(id);
  if (!n.ok()) {
    return n.status();
  }
  return std::make_pair(**unit, *n);
}

absl::StatusOr<Ancestry> InMemoryOrgRepository::GetAncestry(const std::string& unit_id) {
  absl::MutexLock lock(&mu_);
  Ancestry a;
  std::string id = unit_id;
  while (!id.empty()) {
    auto it = units_.find(id);
    if (it == units_.end()) {
      return NotFound(reason::kOrgUnitNotFound, absl::StrCat("orgUnits/", id, " does not exist"));
    }
    if (a.ids.size() > 64) {
      return Internal("ORG_TREE_CORRUPT", "loop");
    }
    a.ids.push_back(id);
    a.versions.push_back(it->second.version);
    id = it->second.parent_id;
  }
  return a;
}

absl::StatusOr<UnitPage> InMemoryOrgRepository::ScanUnits(const std::string& after,
                                                          int scan_limit) {
  absl::MutexLock lock(&mu_);
  UnitPage page;
  for (auto it = units_.upper_bound(after);
       it != units_.end() && static_cast<int>(page.units.size()) < scan_limit; ++it) {
    page.units.push_back(it->second);
  }
  if (static_cast<int>(page.units.size()) == scan_limit) {
    page.last_scanned = page.units.back().id;
  }
  return page;
}

absl::StatusOr<MemberPage> InMemoryOrgRepository::ScanMembers(const std::string& after,
                                                              int scan_limit) {
  absl::MutexLock lock(&mu_);
  MemberPage page;
  for (auto it = members_.upper_bound(after);
       it != members_.end() && static_cast<int>(page.members.size()) < scan_limit; ++it) {
    page.members.push_back(it->second);
  }
  if (static_cast<int>(page.members.size()) == scan_limit) {
    page.last_scanned = page.members.back().id;
  }
  return page;
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgRepository::MemberIdsOfUnit(
    const std::string& unit_id) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, m] : members_) {
    if (m.org_unit_id == unit_id) {
      ids.push_back(id);
    }
  }
  return ids;
}

absl::StatusOr<int64_t> InMemoryOrgRepository::Headcount(const std::string& unit_id) {
  auto ids = MemberIdsOfUnit(unit_id);
  if (!ids.ok()) {
    return ids.status();
  }
  return static_cast<int64_t>(ids->size());
}

absl::StatusOr<std::vector<int64_t>> InMemoryOrgRepository::Headcounts(
    const std::vector<std::string>& ids) {
  std::vector<int64_t> out;
  for (const auto& id : ids) {
    auto n = Headcount(id);
    if (!n.ok()) {
      return n.status();
    }
    out.push_back(*n);
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> InMemoryOrgRepository::FindRequest(
    const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(request_id);
  if (it == requests_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::Status InMemoryOrgRepository::CreateUnit(const OrgUnit& unit, UnitKind parent_kind,
                                               const std::string& request_id,
                                               const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (!request_id.empty() && requests_.contains(request_id)) {
    return AlreadyExists(reason::kRequestReplayed, requests_[request_id], requests_[request_id]);
  }
  if (units_.contains(unit.id)) {
    return AlreadyExists(reason::kResourceExists, "exists", "");
  }
  if (!unit.parent_id.empty()) {
    auto parent = units_.find(unit.parent_id);
    if (parent == units_.end() || parent->second.kind != parent_kind) {
      return NotFound(reason::kOrgUnitNotFound, "parent vanished");
    }
  }
  units_[unit.id] = unit;
  if (!request_id.empty()) {
    requests_[request_id] = "orgUnits/" + unit.id;
  }
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::UpdateUnit(const OrgUnit& before, const OrgUnit& after,
                                               const Ancestry* ancestry, const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckUnitVersion(before); !s.ok()) {
    return s;
  }
  if (ancestry != nullptr) {
    for (size_t i = 0; i < ancestry->ids.size(); ++i) {
      auto it = units_.find(ancestry->ids[i]);
      if (it == units_.end() || it->second.version != ancestry->versions[i]) {
        return Aborted(reason::kConcurrentReorganisation, "the tree changed");
      }
    }
  }
  units_[after.id] = after;
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::DeleteUnit(const OrgUnit& unit, const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckUnitVersion(unit); !s.ok()) {
    return s;
  }
  for (const auto& [id, u] : units_) {
    if (u.parent_id == unit.id) {
      return FailedPrecondition("ORG_UNIT_HAS_CHILDREN", "the unit still has child units");
    }
  }
  for (const auto& [id, m] : members_) {
    if (m.org_unit_id == unit.id) {
      return FailedPrecondition("ORG_UNIT_HAS_MEMBERS", "the unit still has members");
    }
  }
  units_.erase(unit.id);
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::CreateMember(const Member& member,
                                                 const std::string& request_id,
                                                 const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (!request_id.empty() && requests_.contains(request_id)) {
    return AlreadyExists(reason::kRequestReplayed, requests_[request_id], requests_[request_id]);
  }
  if (members_.contains(member.id)) {
    return AlreadyExists(reason::kResourceExists, "exists", "");
  }
  const std::string email = absl::AsciiStrToLower(member.email);
  if (emails_.contains(email)) {
    return AlreadyExists(reason::kEmailTaken, "the e-mail belongs to members/" + emails_[email],
                         "members/" + emails_[email]);
  }
  if (!units_.contains(member.org_unit_id)) {
    return NotFound(reason::kOrgUnitNotFound, "unit vanished");
  }
  members_[member.id] = member;
  units_[member.org_unit_id].members_rev++;
  history_[member.id].push_back({member.id, member.org_unit_id, member.role,
                                 OrgDay(member.create_time), member.create_time, "", "joined"});
  emails_[email] = member.id;
  if (!request_id.empty()) {
    requests_[request_id] = "members/" + member.id;
  }
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::UpdateMember(const Member& before, const Member& after,
                                                 const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckMemberVersion(before); !s.ok()) {
    return s;
  }
  const std::string old_email = absl::AsciiStrToLower(before.email);
  const std::string new_email = absl::AsciiStrToLower(after.email);
  if (old_email != new_email && emails_.contains(new_email)) {
    return AlreadyExists(reason::kEmailTaken, "the e-mail belongs to members/" + emails_[new_email],
                         "members/" + emails_[new_email]);
  }
  if (!units_.contains(after.org_unit_id)) {
    return NotFound(reason::kOrgUnitNotFound, "unit vanished");
  }
  if (before.org_unit_id != after.org_unit_id) {
    units_[before.org_unit_id].members_rev++;
    units_[after.org_unit_id].members_rev++;
  }
  emails_.erase(old_email);
  emails_[new_email] = after.id;
  members_[after.id] = after;
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::DeleteMember(const Member& member, const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckMemberVersion(member); !s.ok()) {
    return s;
  }
  members_.erase(member.id);
  if (auto it = units_.find(member.org_unit_id); it != units_.end()) {
    it->second.members_rev++;
  }
  history_[member.id].push_back(
      {member.id, "", member.role, OrgDay(event.time), event.time, "", "left"});
  emails_.erase(absl::AsciiStrToLower(member.email));
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::CommitReorg(const ReorgCommit& c) {
  absl::MutexLock lock(&mu_);
  auto race = [] { return Aborted(reason::kConcurrentReorganisation, "the tree changed"); };
  for (const auto& u : c.units_before) {
    auto it = units_.find(u.id);
    if (it == units_.end() || it->second.version != u.version) {
      return race();
    }
  }
  for (const auto& u : c.removed_units) {
    auto it = units_.find(u.id);
    if (it == units_.end() || it->second.version != u.version ||
        it->second.members_rev != u.members_rev) {
      return race();
    }
  }
  for (const auto& u : c.removed_units) {
    for (const auto& [id, other] : units_) {
      if (other.parent_id == u.id) {
        return FailedPrecondition("ORG_UNIT_HAS_CHILDREN", "the unit still has child units");
      }
    }
  }
  for (const auto& u : c.created_units) {
    if (units_.contains(u.id)) {
      return AlreadyExists(reason::kResourceExists, "exists", "");
    }
  }
  for (const auto& [before, after] : c.members) {
    auto it = members_.find(before.id);
    if (it == members_.end() || it->second.version != before.version) {
      return race();
    }
  }
  if (c.ancestry_of_new_parent) {
    for (size_t i = 0; i < c.ancestry_of_new_parent->ids.size(); ++i) {
      auto it = units_.find(c.ancestry_of_new_parent->ids[i]);
      if (it == units_.end() || it->second.version != c.ancestry_of_new_parent->versions[i]) {
        return race();
      }
    }
  }
  for (const auto& u : c.created_units) {
    units_[u.id] = u;
  }
  for (const auto& u : c.units_after) {
    const int64_t rev = units_[u.id].members_rev;
    units_[u.id] = u;
    units_[u.id].members_rev = rev;
  }
  for (const auto& [before, after] : c.members) {
    if (before.org_unit_id != after.org_unit_id) {
      units_[before.org_unit_id].members_rev++;
      units_[after.org_unit_id].members_rev++;
    }
    members_[after.id] = after;
  }
  for (const auto& u : c.removed_units) {
    units_.erase(u.id);
  }
  for (const auto& e : c.history) {
    history_[e.member_id].push_back(e);
  }
  if (!c.reorg_id.empty()) {
    reorgs_.push_back({c.effective, c.reorg_unit_ids, c.reorg_data});
  }
  for (const auto& e : c.events) {
    events_.push_back(e);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MembershipEntry>> InMemoryOrgRepository::MemberHistory(
    const std::string& member_id) {
  absl::MutexLock lock(&mu_);
  auto it = history_.find(member_id);
  if (it == history_.end()) {
    return std::vector<MembershipEntry>{};
  }
  return it->second;
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgRepository::ReorgsOfUnit(
    const std::string& unit_id, absl::CivilDay from, absl::CivilDay to) {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<absl::CivilDay, std::string>> found;
  for (const auto& r : reorgs_) {
    if (r.effective < from || r.effective > to) {
      continue;
    }
    if (std::find(r.unit_ids.begin(), r.unit_ids.end(), unit_id) == r.unit_ids.end()) {
      continue;
    }
    found.emplace_back(r.effective, r.data);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& f : found) {
    out.push_back(std::move(f.second));
  }
  return out;
}

absl::StatusOr<std::optional<Doc>> InMemoryOrgRepository::GetDoc(DocKind kind,
                                                                 const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = docs_.find({kind, id});
  if (it == docs_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::vector<std::optional<Doc>>> InMemoryOrgRepository::GetDocs(
    DocKind kind, const std::vector<std::string>& ids) {
  absl::MutexLock lock(&mu_);
  std::vector<std::optional<Doc>> out;
  for (const auto& id : ids) {
    auto it = docs_.find({kind, id});
    out.push_back(it == docs_.end() ? std::nullopt : std::optional<Doc>(it->second));
  }
  return out;
}

absl::StatusOr<std::vector<Doc>> InMemoryOrgRepository::ListDocs(DocKind kind,
                                                                 const std::string& index) {
  absl::MutexLock lock(&mu_);
  std::vector<Doc> out;
  auto it = doc_indexes_.find({kind, index});
  if (it == doc_indexes_.end()) {
    return out;
  }
  for (const auto& id : it->second) {
    out.push_back(docs_.at({kind, id}));
  }
  return out;
}

absl::Status InMemoryOrgRepository::WriteDocs(const std::vector<DocWrite>& writes,
                                              const std::string& request_id,
                                              const std::string& request_resource,
                                              const std::vector<CloudEvent>& events) {
  absl::MutexLock lock(&mu_);
  if (!request_id.empty() && requests_.contains(request_id)) {
    return AlreadyExists(reason::kRequestReplayed, requests_[request_id], requests_[request_id]);
  }
  for (const auto& w : writes) {
    auto it = docs_.find({w.kind, w.doc.id});
    if (w.expected_version == 0 && it != docs_.end()) {
      return AlreadyExists(reason::kResourceExists, "exists", "");
    }
    if (w.expected_version != 0 &&
        (it == docs_.end() || it->second.version != w.expected_version)) {
      return Aborted(reason::kEtagMismatch, "the resource changed since it was read");
    }
  }
  for (const auto& w : writes) {
    docs_[{w.kind, w.doc.id}] = w.doc;
    doc_indexes_[{w.kind, ""}].insert(w.doc.id);
    for (const auto& ix : w.indexes) {
      doc_indexes_[{w.kind, ix}].insert(w.doc.id);
    }
  }
  if (!request_id.empty()) {
    requests_[request_id] = request_resource;
  }
  for (const auto& e : events) {
    events_.push_back(e);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TeamRevenue>> InMemoryOrgRepository::Revenue(
    const std::vector<std::string>& months) {
  absl::MutexLock lock(&mu_);
  std::map<std::string, TeamRevenue> by_team;
  for (const auto& [key, r] : revenue_) {
    if (std::find(months.begin(), months.end(), key.first) == months.end()) {
      continue;
    }
    TeamRevenue& t = by_team[key.second];
    t.team_id = key.second;
    t.revenue_minor += r.revenue_minor;
    t.won_deals += r.won_deals;
    t.coverage.insert(r.coverage.begin(), r.coverage.end());
  }
  std::vector<TeamRevenue> out;
  for (auto& [id, t] : by_team) {
    out.push_back(std::move(t));
  }
  return out;
}

void InMemoryOrgRepository::AddRevenue(const std::string& month, const std::string& team,
                                       int64_t amount_minor, const std::string& cell) {
  absl::MutexLock lock(&mu_);
  TeamRevenue& r = revenue_[{month, team}];
  r.revenue_minor += amount_minor;
  r.won_deals++;
  r.coverage.insert(cell);
}

std::vector<CloudEvent> InMemoryOrgRepository::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

}  // namespace salesops::org
