#include "common/directory/org_directory.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "salesops/org/v1/org_events.pb.h"

namespace salesops::org {
namespace {

std::string MemberKey(absl::string_view p, absl::string_view id) {
  return absl::StrCat(p, "dir:member:", id);
}
std::string UnitKey(absl::string_view p, absl::string_view id) {
  return absl::StrCat(p, "dir:unit:", id);
}
std::string TeamKey(absl::string_view p, absl::string_view id) {
  return absl::StrCat(p, "dir:unit_members:", id);
}
std::string UnitsKey(absl::string_view p) { return absl::StrCat(p, "dir:units"); }

absl::StatusOr<std::string> IdOf(const std::string& name, absl::string_view prefix,
                                 const char* field) {
  if (!absl::StartsWith(name, prefix) || name.size() == prefix.size()) {
    return InvalidField(field, absl::StrCat("not a ", prefix, " name: ", QuoteUntrusted(name)));
  }
  return name.substr(prefix.size());
}

// `previous_team`: the member's team before this event ("" if unknown).
absl::StatusOr<WriteBatch> PutMember(absl::string_view p, const salesops::org::v1::Member& m,
                                     bool left, const std::string& previous_team) {
  SALESOPS_ASSIGN_OR_RETURN(std::string id, IdOf(m.name(), "members/", "member.name"));
  SALESOPS_ASSIGN_OR_RETURN(std::string team, IdOf(m.org_unit(), "orgUnits/", "member.org_unit"));
  WriteBatch b;
  if (!previous_team.empty() && previous_team != team) {
    b.SRem(TeamKey(p, previous_team), id);
  }
  if (left) {
    b.SRem(TeamKey(p, team), id);
  } else {
    b.SAdd(TeamKey(p, team), id);
  }
  b.HSet(MemberKey(p, id), {{"team", team},
                            {"role", absl::StrCat(static_cast<int>(m.role()))},
                            {"left", left ? "1" : "0"}});
  return b;
}

absl::StatusOr<WriteBatch> PutUnit(absl::string_view p, const salesops::org::v1::OrgUnit& u) {
  SALESOPS_ASSIGN_OR_RETURN(std::string id, IdOf(u.name(), "orgUnits/", "org_unit.name"));
  std::string parent;
  if (!u.parent().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(parent, IdOf(u.parent(), "orgUnits/", "org_unit.parent"));
  }
  WriteBatch b;
  b.HSet(UnitKey(p, id), {{"parent", parent}, {"kind", absl::StrCat(static_cast<int>(u.kind()))}});
  b.SAdd(UnitsKey(p), id);
  return b;
}

}  // namespace

absl::StatusOr<std::optional<DirectoryMember>> OrgDirectory::Member(const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(
      RedisValue v, kv_.ReadOne({"HMGET", MemberKey(prefix_, member_id), "team", "role", "left"}));
  if (v.elements.size() != 3 || v.elements[0].is_nil()) {
    return std::nullopt;
  }
  DirectoryMember m;
  m.team = v.elements[0].str;
  (void)absl::SimpleAtoi(v.elements[1].str, &m.role);
  m.left = v.elements[2].str == "1";
  return m;
}

absl::StatusOr<std::optional<CurrentMember>> DirectoryMemberLookup::Lookup(
    const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<DirectoryMember> m, directory_.Member(member_id));
  if (!m) {
    return std::nullopt;
  }
  CurrentMember c;
  // salesops.org.v1.Role numbers match Role's (1 rep … 5 admin).
  if (m->role < static_cast<int>(Role::kRep) || m->role > static_cast<int>(Role::kAdmin)) {
    return std::nullopt;  // an org event without a role: nothing to compare with
  }
  c.role = static_cast<Role>(m->role);
  c.org_unit_id = m->team;
  c.left = m->left;
  return c;
}

absl::StatusOr<std::vector<std::string>> OrgDirectory::UnitAndAncestors(
    const std::string& unit_id) {
  std::vector<std::string> out;
  std::string id = unit_id;
  while (!id.empty() && out.size() < 32 && std::find(out.begin(), out.end(), id) == out.end()) {
    out.push_back(id);
    SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"HGET", UnitKey(prefix_, id), "parent"}));
    id = v.is_nil() ? "" : v.str;
  }
  return out;
}

absl::StatusOr<int> OrgDirectory::KindOf(const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"HGET", UnitKey(prefix_, unit_id), "kind"}));
  int kind = 0;
  if (!v.is_nil()) {
    (void)absl::SimpleAtoi(v.str, &kind);
  }
  return kind;
}

absl::StatusOr<std::string> OrgDirectory::RegionOf(const std::string& unit_id) {
  std::string id = unit_id;
  for (int depth = 0; depth < 32 && !id.empty(); ++depth) {
    SALESOPS_ASSIGN_OR_RETURN(RedisValue v,
                              kv_.ReadOne({"HMGET", UnitKey(prefix_, id), "parent", "kind"}));
    if (v.elements.size() != 2 || v.elements[0].is_nil()) {
      return std::string();
    }
    if (v.elements[1].str ==
        absl::StrCat(static_cast<int>(salesops::org::v1::ORG_UNIT_KIND_REGION))) {
      return id;
    }
    id = v.elements[0].str;
  }
  return std::string();
}

absl::StatusOr<std::vector<std::string>> OrgDirectory::MembersOf(const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"SMEMBERS", TeamKey(prefix_, unit_id)}));
  std::vector<std::string> out;
  for (const RedisValue& e : v.elements) {
    out.push_back(e.str);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<std::string>> OrgDirectory::Units() {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"SMEMBERS", UnitsKey(prefix_)}));
  std::vector<std::string> out;
  for (const RedisValue& e : v.elements) {
    out.push_back(e.str);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status OrgDirectoryProjection::Handle(const CloudEvent& event) {
  namespace ov1 = salesops::org::v1;
  absl::StatusOr<WriteBatch> batch = WriteBatch();
  const std::string& t = event.type;
  // The member's team as the directory has it, to move them between team sets.
  auto previous_team = [&](const ov1::Member& m) -> std::string {
    const std::string name = m.name();
    if (name.size() <= 8) {
      return "";
    }
    auto v = kv_.ReadOne({"HGET", MemberKey(prefix_, name.substr(8)), "team"});
    return v.ok() && !v->is_nil() ? v->str : "";
  };
  if (t == "salesops.org.v1.MemberJoined") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberJoined>(event));
    batch = PutMember(prefix_, e.member(), false, previous_team(e.member()));
  } else if (t == "salesops.org.v1.MemberUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberUpdated>(event));
    batch = PutMember(prefix_, e.member(), false, previous_team(e.member()));
  } else if (t == "salesops.org.v1.MemberMoved") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberMoved>(event));
    batch = PutMember(prefix_, e.member(), false, previous_team(e.member()));
  } else if (t == "salesops.org.v1.MemberLeft") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberLeft>(event));
    batch = PutMember(prefix_, e.member(), true, previous_team(e.member()));
  } else if (t == "salesops.org.v1.OrgUnitCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::OrgUnitCreated>(event));
    batch = PutUnit(prefix_, e.org_unit());
  } else if (t == "salesops.org.v1.OrgUnitUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::OrgUnitUpdated>(event));
    batch = PutUnit(prefix_, e.org_unit());
  } else {
    return absl::OkStatus();  // other org events do not change the directory
  }
  if (!batch.ok()) {
    return batch.status();
  }
  return store_.ApplyOnce(event, *std::move(batch)).status();
}

}  // namespace salesops::org
