#include "services/org/domain/reorg.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/org/domain/org_rules.h"

namespace salesops::org {
namespace {

void SortEntries(std::vector<MembershipEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const MembershipEntry& a, const MembershipEntry& b) {
                     if (a.from != b.from) {
                       return a.from < b.from;
                     }
                     return a.record_time < b.record_time;
                   });
}

absl::Status NotATeam(const OrgUnit& unit, const std::string& field) {
  return MakeError(
      absl::StatusCode::kFailedPrecondition, "NOT_A_TEAM",
      absl::StrCat("orgUnits/", unit.id, " is a ", UnitKindName(unit.kind), ", not a team"),
      {{"field", field}});
}

}  // namespace

absl::TimeZone OrgTimeZone() { return absl::FixedTimeZone(8 * 3600); }
absl::CivilDay OrgDay(absl::Time t) { return absl::ToCivilDay(t, OrgTimeZone()); }

std::optional<MembershipEntry> MembershipAsOf(std::vector<MembershipEntry> entries,
                                              absl::CivilDay day) {
  SortEntries(entries);
  std::optional<MembershipEntry> found;
  for (auto& e : entries) {
    if (e.from > day) {
      break;
    }
    found = std::move(e);
  }
  if (found && found->unit_id.empty()) {
    return std::nullopt;
  }
  return found;
}

std::vector<MembershipPeriodView> MembershipPeriods(std::vector<MembershipEntry> entries) {
  SortEntries(entries);
  std::vector<MembershipPeriodView> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size() && entries[i + 1].from == entries[i].from) {
      continue;
    }
    MembershipPeriodView p{entries[i], std::nullopt};
    if (i + 1 < entries.size()) {
      p.end = entries[i + 1].from;
    }
    out.push_back(std::move(p));
  }
  return out;
}

absl::Status CheckAppendable(const std::vector<MembershipEntry>& entries, absl::CivilDay from) {
  for (const auto& e : entries) {
    if (e.from > from) {
      return FailedPrecondition("HISTORY_IS_APPEND_ONLY",
                                absl::StrCat("members/", e.member_id, " already has history from ",
                                             absl::FormatCivilTime(e.from), "; a change effective ",
                                             absl::FormatCivilTime(from), " would rewrite it"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReorgChange> PlanSplit(const OrgUnit& team, const std::vector<Member>& members,
                                      const std::vector<NewTeamSpec>& new_teams) {
  if (team.kind != UnitKind::kTeam) {
    return NotATeam(team, "team");
  }
  Violations v;
  if (new_teams.empty()) {
    v.Add("new_teams", "a split needs at least one new team");
  }
  absl::flat_hash_map<std::string, const Member*> in_team;
  for (const auto& m : members) {
    in_team[m.id] = &m;
  }
  absl::flat_hash_set<std::string> seen_members, seen_ids;
  ReorgChange change;
  for (size_t i = 0; i < new_teams.size(); ++i) {
    const NewTeamSpec& spec = new_teams[i];
    const std::string field = absl::StrCat("new_teams[", i, "]");
    if (spec.id == team.id) {
      v.Add(field + ".org_unit_id", "must differ from the team being split");
    }
    if (!spec.id.empty() && !seen_ids.insert(spec.id).second) {
      v.Add(field + ".org_unit_id", "listed twice");
    }
    OrgUnit unit;
    unit.id = spec.id;
    unit.display_name = spec.display_name;
    unit.description = spec.description;
    unit.kind = UnitKind::kTeam;
    unit.parent_id = team.parent_id;
    change.new_units.push_back(unit);
    for (size_t j = 0; j < spec.member_ids.size(); ++j) {
      const std::string& id = spec.member_ids[j];
      const std::string mf = absl::StrCat(field, ".members[", j, "]");
      auto it = in_team.find(id);
      if (it == in_team.end()) {
        v.Add(mf, absl::StrCat("members/", id, " is not in orgUnits/", team.id));
        continue;
      }
      if (!seen_members.insert(id).second) {
        v.Add(mf, absl::StrCat("members/", id, " is listed twice"));
        continue;
      }
      change.moves.push_back({id, team.id, spec.id});
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return change;
}

absl::StatusOr<ReorgChange> PlanMerge(const OrgUnit& source, const OrgUnit& target,
                                      const std::vector<Member>& source_members) {
  if (source.id == target.id) {
    return InvalidArgument({{"target", "a team cannot be merged into itself"}}, "MERGE_INTO_SELF");
  }
  if (source.kind != UnitKind::kTeam) {
    return NotATeam(source, "source");
  }
  if (target.kind != UnitKind::kTeam) {
    return NotATeam(target, "target");
  }
  ReorgChange change;
  for (const auto& m : source_members) {
    SALESOPS_RETURN_IF_ERROR(CheckMemberPlacement(m.role, target, absl::StrCat("members/", m.id)));
    change.moves.push_back({m.id, source.id, target.id});
  }
  change.removed_unit_ids.push_back(source.id);
  return change;
}

absl::StatusOr<ReorgChange> PlanDissolve(const OrgUnit& team, const std::vector<Member>& members,
                                         const std::vector<ReorgMove>& moves,
                                         const absl::flat_hash_map<std::string, OrgUnit>& targets) {
  if (team.kind != UnitKind::kTeam) {
    return NotATeam(team, "team");
  }
  if (!members.empty() && moves.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "ORG_UNIT_HAS_MEMBERS",
                     absl::StrCat("orgUnits/", team.id, " still has ", members.size(),
                                  " members; move them in the same command (moves) or first"),
                     {{"field", "moves"}});
  }
  absl::flat_hash_map<std::string, const Member*> in_team;
  for (const auto& m : members) {
    in_team[m.id] = &m;
  }
  Violations v;
  absl::flat_hash_set<std::string> moved;
  ReorgChange change;
  for (size_t i = 0; i < moves.size(); ++i) {
    const ReorgMove& mv = moves[i];
    const std::string field = absl::StrCat("moves[", i, "]");
    auto it = in_team.find(mv.member_id);
    if (it == in_team.end()) {
      v.Add(field + ".member",
            absl::StrCat("members/", mv.member_id, " is not in orgUnits/", team.id));
      continue;
    }
    if (!moved.insert(mv.member_id).second) {
      v.Add(field + ".member", "listed twice");
      continue;
    }
    if (mv.to_unit_id == team.id) {
      v.Add(field + ".to_org_unit", "must be another team than the one dissolved");
      continue;
    }
    auto t = targets.find(mv.to_unit_id);
    if (t == targets.end()) {
      v.Add(field + ".to_org_unit", absl::StrCat("orgUnits/", mv.to_unit_id, " does not exist"));
      continue;
    }
    if (t->second.kind != UnitKind::kTeam) {
      v.Add(field + ".to_org_unit", absl::StrCat("orgUnits/", mv.to_unit_id, " is a ",
                                                 UnitKindName(t->second.kind), ", not a team"));
      continue;
    }
    if (!MayPlaceMember(it->second->role, t->second.kind)) {
      v.Add(field + ".to_org_unit", "the member's role cannot be placed in a team");
      continue;
    }
    change.moves.push_back({mv.member_id, team.id, mv.to_unit_id});
  }
  for (const auto& m : members) {
    if (!moved.contains(m.id)) {
      v.Add("moves", absl::StrCat("members/", m.id, " is in the team but has no move"));
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  change.removed_unit_ids.push_back(team.id);
  return change;
}

}  // namespace salesops::org
