#include "common/directory/org_directory.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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

std::vector<std::string> OrgDirectory::KindOfCommand(const std::string& unit_id) const {
  return {"HGET", UnitKey(prefix_, unit_id), "kind"};
}

absl::StatusOr<int> OrgDirectory::KindOf(const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne(KindOfCommand(unit_id)));
  int kind = 0;
  if (!v.is_nil()) {
    (void)absl::SimpleAtoi(v.str, &kind);
  }
  return kind;
}

absl::StatusOr<std::optional<DirectoryUnit>> OrgDirectory::Unit(const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v,
                            kv_.ReadOne({"HMGET", UnitKey(prefix_, unit_id), "parent", "kind"}));
  if (v.elements.size() != 2 || v.elements[0].is_nil()) {
    return std::nullopt;
  }
  DirectoryUnit u;
  u.parent = v.elements[0].str;
  if (!absl::SimpleAtoi(v.elements[1].str, &u.kind)) {
    u.kind = 0;  // unknown
  }
  return u;
}

absl::StatusOr<std::string> OrgDirectory::RegionOf(const std::string& unit_id) {
  std::string id = unit_id;
  for (int depth = 0; depth < 32 && !id.empty(); ++depth) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<DirectoryUnit> u, Unit(id));
    if (!u) {
      return std::string();
    }
    if (u->kind == salesops::org::v1::ORG_UNIT_KIND_REGION) {
      return id;
    }
    id = u->parent;
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

// What an org event changes in the directory, decoded once.
struct OrgDirectoryProjection::Change {
  enum class Kind { kNone, kMember, kUnit };
  Kind kind = Kind::kNone;
  salesops::org::v1::Member member;  // kMember
  bool left = false;                 // kMember: MemberLeft
  salesops::org::v1::OrgUnit unit;   // kUnit
  // What it writes: "m:<member id>" or "u:<unit id>" (a wave holds each once).
  std::string entry;
};

absl::StatusOr<OrgDirectoryProjection::Change> OrgDirectoryProjection::Decode(
    const CloudEvent& event) const {
  namespace ov1 = salesops::org::v1;
  const std::string& t = event.type;
  Change c;
  if (t == "salesops.org.v1.MemberJoined") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberJoined>(event));
    c.member = e.member();
  } else if (t == "salesops.org.v1.MemberUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberUpdated>(event));
    c.member = e.member();
  } else if (t == "salesops.org.v1.MemberMoved") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberMoved>(event));
    c.member = e.member();
  } else if (t == "salesops.org.v1.MemberLeft") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberLeft>(event));
    c.member = e.member();
    c.left = true;
  } else if (t == "salesops.org.v1.OrgUnitCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::OrgUnitCreated>(event));
    c.kind = Change::Kind::kUnit;
    c.unit = e.org_unit();
  } else if (t == "salesops.org.v1.OrgUnitUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::OrgUnitUpdated>(event));
    c.kind = Change::Kind::kUnit;
    c.unit = e.org_unit();
  } else {
    return c;  // other org events do not change the directory
  }
  if (c.kind == Change::Kind::kUnit) {
    SALESOPS_ASSIGN_OR_RETURN(std::string id, IdOf(c.unit.name(), "orgUnits/", "org_unit.name"));
    c.entry = absl::StrCat("u:", id);
  } else {
    c.kind = Change::Kind::kMember;
    SALESOPS_ASSIGN_OR_RETURN(std::string id, IdOf(c.member.name(), "members/", "member.name"));
    c.entry = absl::StrCat("m:", id);
  }
  return c;
}

absl::Status OrgDirectoryProjection::Handle(const CloudEvent& event) {
  SALESOPS_ASSIGN_OR_RETURN(Change c, Decode(event));
  absl::StatusOr<WriteBatch> batch = WriteBatch();
  if (c.kind == Change::Kind::kUnit) {
    batch = PutUnit(prefix_, c.unit);
  } else if (c.kind == Change::Kind::kMember) {
    // The member's team as the directory has it, to move them between team sets.
    auto v = kv_.ReadOne({"HGET", MemberKey(prefix_, c.entry.substr(2)), "team"});
    batch = PutMember(prefix_, c.member, c.left, v.ok() && !v->is_nil() ? v->str : "");
  } else {
    return absl::OkStatus();
  }
  if (!batch.ok()) {
    return batch.status();
  }
  return store_.ApplyOnce(event, *std::move(batch)).status();
}

std::vector<absl::Status> OrgDirectoryProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size(), absl::OkStatus());
  std::vector<std::optional<Change>> changes(events.size());
  // The teams of the batch's members as the directory has them, in one read.
  std::vector<std::string> members;
  absl::flat_hash_set<std::string> asked;
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<Change> c = Decode(*events[i]);
    if (!c.ok()) {
      out[i] = c.status();  // the consumer dead-letters it, one by one
      continue;
    }
    if (c->kind == Change::Kind::kNone) {
      continue;
    }
    if (c->kind == Change::Kind::kMember && asked.insert(c->entry).second) {
      members.push_back(c->entry.substr(2));
    }
    changes[i] = *std::move(c);
  }
  absl::flat_hash_map<std::string, std::string> team;  // member id → team now
  if (!members.empty()) {
    std::vector<std::vector<std::string>> reads;
    for (const std::string& id : members) {
      reads.push_back({"HGET", MemberKey(prefix_, id), "team"});
    }
    absl::StatusOr<std::vector<RedisValue>> got = kv_.Read(reads);
    if (!got.ok() || got->size() != members.size()) {
      for (size_t i = 0; i < events.size(); ++i) {
        if (changes[i].has_value()) {
          out[i] = got.ok() ? Internal("DIRECTORY_READ", "replies missing") : got.status();
        }
      }
      return out;
    }
    for (size_t k = 0; k < members.size(); ++k) {
      if (!(*got)[k].is_nil()) {
        team[members[k]] = (*got)[k].str;
      }
    }
  }
  // Waves: each member or unit at most once, committed in order.
  size_t i = 0;
  while (i < events.size()) {
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
    std::vector<size_t> where;
    absl::flat_hash_set<std::string> entries;
    for (; i < events.size(); ++i) {
      if (!changes[i].has_value()) {
        continue;
      }
      const Change& c = *changes[i];
      if (!entries.insert(c.entry).second) {
        break;  // the next wave starts here
      }
      absl::StatusOr<WriteBatch> b = WriteBatch();
      if (c.kind == Change::Kind::kUnit) {
        b = PutUnit(prefix_, c.unit);
      } else {
        const std::string id = c.entry.substr(2);
        auto it = team.find(id);
        b = PutMember(prefix_, c.member, c.left, it == team.end() ? "" : it->second);
        if (b.ok()) {
          team[id] = std::string(absl::StripPrefix(c.member.org_unit(), "orgUnits/"));
        }
      }
      if (!b.ok()) {
        out[i] = b.status();
        continue;
      }
      items.emplace_back(events[i], *std::move(b));
      where.push_back(i);
    }
    std::vector<absl::StatusOr<CommitResult>> results = store_.TryApplyCombined(std::move(items));
    bool failed = false;
    for (size_t k = 0; k < where.size(); ++k) {
      if (k >= results.size()) {
        out[where[k]] = Internal("DIRECTORY_COMMIT", "no result");
      } else if (!results[k].ok()) {
        out[where[k]] = results[k].status();
      } else if (ProjectionStore::Applied(*results[k])) {
        continue;  // applied now, or before
      } else {
        out[where[k]] = Unavailable("DIRECTORY_COMMIT",
                                    absl::StrCat("guard ", results[k]->failed_tag, " failed"));
      }
      failed = true;
    }
    if (failed) {
      // Not applied: the consumer takes them one by one, after the failed ones.
      for (; i < events.size(); ++i) {
        if (changes[i].has_value()) {
          out[i] = Unavailable("DIRECTORY_BATCH_STOPPED", "an earlier event of the batch failed");
        }
      }
    }
  }
  return out;
}

}  // namespace salesops::org
