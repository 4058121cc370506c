#include "services/org/store/in_memory_org_repository.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::org {

absl::Status InMemoryOrgRepository::CheckUnitVersion(const OrgUnit& u) {
  auto it = units_.find(u.id);
  if (it == units_.end() || it->second.version != u.version) {
    return Aborted("ETAG_MISMATCH", "the resource changed since it was read");
  }
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::CheckMemberVersion(const Member& m) {
  auto it = members_.find(m.id);
  if (it == members_.end() || it->second.version != m.version) {
    return Aborted("ETAG_MISMATCH", "the resource changed since it was read");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<OrgUnit>> InMemoryOrgRepository::GetUnit(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = units_.find(id);
  if (it == units_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<Member>> InMemoryOrgRepository::GetMember(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>>
InMemoryOrgRepository::GetUnitWithHeadcount(const std::string& id) {
  auto unit = GetUnit(id);
  if (!unit.ok()) return unit.status();
  if (!*unit) return std::nullopt;
  auto n = Headcount(id);
  if (!n.ok()) return n.status();
  return std::make_pair(**unit, *n);
}

absl::StatusOr<Ancestry> InMemoryOrgRepository::GetAncestry(const std::string& unit_id) {
  absl::MutexLock lock(&mu_);
  Ancestry a;
  std::string id = unit_id;
  while (!id.empty()) {
    auto it = units_.find(id);
    if (it == units_.end()) {
      return NotFound("ORG_UNIT_NOT_FOUND", absl::StrCat("orgUnits/", id, " does not exist"));
    }
    if (a.ids.size() > 64) return Internal("ORG_TREE_CORRUPT", "loop");
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
  if (static_cast<int>(page.units.size()) == scan_limit) page.last_scanned = page.units.back().id;
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
    if (m.org_unit_id == unit_id) ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<int64_t> InMemoryOrgRepository::Headcount(const std::string& unit_id) {
  auto ids = MemberIdsOfUnit(unit_id);
  if (!ids.ok()) return ids.status();
  return static_cast<int64_t>(ids->size());
}

absl::StatusOr<std::vector<int64_t>> InMemoryOrgRepository::Headcounts(
    const std::vector<std::string>& ids) {
  std::vector<int64_t> out;
  for (const auto& id : ids) {
    auto n = Headcount(id);
    if (!n.ok()) return n.status();
    out.push_back(*n);
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> InMemoryOrgRepository::FindRequest(
    const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return std::nullopt;
  return it->second;
}

absl::Status InMemoryOrgRepository::CreateUnit(const OrgUnit& unit, const std::string& request_id,
                                               const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (!request_id.empty() && requests_.contains(request_id)) {
    return AlreadyExists("REQUEST_REPLAYED", requests_[request_id], requests_[request_id]);
  }
  if (units_.contains(unit.id)) return AlreadyExists("RESOURCE_EXISTS", "exists", "");
  if (!unit.parent_id.empty() && !units_.contains(unit.parent_id)) {
    return NotFound("ORG_UNIT_NOT_FOUND", "parent vanished");
  }
  units_[unit.id] = unit;
  if (!request_id.empty()) requests_[request_id] = "orgUnits/" + unit.id;
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::UpdateUnit(const OrgUnit& before, const OrgUnit& after,
                                               const Ancestry* ancestry, const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckUnitVersion(before); !s.ok()) return s;
  if (ancestry != nullptr) {
    for (size_t i = 0; i < ancestry->ids.size(); ++i) {
      auto it = units_.find(ancestry->ids[i]);
      if (it == units_.end() || it->second.version != ancestry->versions[i]) {
        return Aborted("CONCURRENT_REORGANISATION", "the tree changed");
      }
    }
  }
  units_[after.id] = after;
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::DeleteUnit(const OrgUnit& unit, const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckUnitVersion(unit); !s.ok()) return s;
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
    return AlreadyExists("REQUEST_REPLAYED", requests_[request_id], requests_[request_id]);
  }
  if (members_.contains(member.id)) return AlreadyExists("RESOURCE_EXISTS", "exists", "");
  const std::string email = absl::AsciiStrToLower(member.email);
  if (emails_.contains(email)) {
    return AlreadyExists("EMAIL_TAKEN", "the e-mail belongs to members/" + emails_[email],
                         "members/" + emails_[email]);
  }
  if (!units_.contains(member.org_unit_id)) return NotFound("ORG_UNIT_NOT_FOUND", "unit vanished");
  members_[member.id] = member;
  emails_[email] = member.id;
  if (!request_id.empty()) requests_[request_id] = "members/" + member.id;
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::UpdateMember(const Member& before, const Member& after,
                                                 const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckMemberVersion(before); !s.ok()) return s;
  const std::string old_email = absl::AsciiStrToLower(before.email);
  const std::string new_email = absl::AsciiStrToLower(after.email);
  if (old_email != new_email && emails_.contains(new_email)) {
    return AlreadyExists("EMAIL_TAKEN", "the e-mail belongs to members/" + emails_[new_email],
                         "members/" + emails_[new_email]);
  }
  if (!units_.contains(after.org_unit_id)) return NotFound("ORG_UNIT_NOT_FOUND", "unit vanished");
  emails_.erase(old_email);
  emails_[new_email] = after.id;
  members_[after.id] = after;
  events_.push_back(event);
  return absl::OkStatus();
}

absl::Status InMemoryOrgRepository::DeleteMember(const Member& member, const CloudEvent& event) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckMemberVersion(member); !s.ok()) return s;
  members_.erase(member.id);
  emails_.erase(absl::AsciiStrToLower(member.email));
  events_.push_back(event);
  return absl::OkStatus();
}

std::vector<CloudEvent> InMemoryOrgRepository::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

}  // namespace salesops::org
