// Reorganisation rules as pure functions: what a split, merge or dissolve of a
// team moves and creates, which requests are refused (and which field or rule
// they break), and the as-of questions over a member's membership history
// ("which team was X in on D"). No I/O: the API reads the state, plans here,
// and hands the plan to the repository as one atomic write.
//
//   absl::StatusOr<ReorgChange> c = PlanMerge(source, target, source_members);
//   std::optional<MembershipEntry> e = MembershipAsOf(history, absl::CivilDay(2026, 3, 1));
//
// Dates are civil days in the organisation's zone (Asia/Shanghai, UTC+8).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/org/domain/org_model.h"

namespace salesops::org {

// The organisation's zone: Asia/Shanghai has had no DST since 1991, so a fixed
// UTC+8 offset is exact and needs no tz database.
absl::TimeZone OrgTimeZone();
absl::CivilDay OrgDay(absl::Time t);

// ---- membership history

// The entry in force on `day`: the last one with from <= day (entries with the
// same day ordered by record_time). nullopt before the first entry or after
// the member left.
std::optional<MembershipEntry> MembershipAsOf(std::vector<MembershipEntry> entries,
                                              absl::CivilDay day);

// The history as periods: each entry with the exclusive end of its period
// (nullopt for the current one). Entries superseded on the same day are
// dropped (they were never in force for a whole day).
struct MembershipPeriodView {
  MembershipEntry entry;
  std::optional<absl::CivilDay> end;
};
std::vector<MembershipPeriodView> MembershipPeriods(std::vector<MembershipEntry> entries);

// A new entry may not be dated before the latest one: history is appended,
// never rewritten. FAILED_PRECONDITION HISTORY_IS_APPEND_ONLY.
absl::Status CheckAppendable(const std::vector<MembershipEntry>& entries, absl::CivilDay from);

// ---- reorganisation planning

struct NewTeamSpec {
  std::string id;
  std::string display_name;
  std::string description;
  std::vector<std::string> member_ids;
};

// What a command changes: units to create, members to move, units to remove.
struct ReorgChange {
  std::vector<OrgUnit> new_units;  // id, display_name, kind, parent, description
  std::vector<ReorgMove> moves;
  std::vector<std::string> removed_unit_ids;
};

// Split `team` into new teams under the same parent; the listed members move,
// the others stay. INVALID_ARGUMENT naming new_teams[i]… for an empty list, a
// member not in the team, a member listed twice, duplicate new ids, a new
// team's id equal to the source's; FAILED_PRECONDITION NOT_A_TEAM when `team`
// is not a team.
absl::StatusOr<ReorgChange> PlanSplit(const OrgUnit& team, const std::vector<Member>& members,
                                      const std::vector<NewTeamSpec>& new_teams);

// Every member of `source` moves to `target`; `source` is removed.
// INVALID_ARGUMENT MERGE_INTO_SELF (field "target"); NOT_A_TEAM for either;
// INVALID_ARGUMENT when a member's role cannot sit in a team.
absl::StatusOr<ReorgChange> PlanMerge(const OrgUnit& source, const OrgUnit& target,
                                      const std::vector<Member>& source_members);

// `team` is removed. Without moves it must be empty (FAILED_PRECONDITION
// ORG_UNIT_HAS_MEMBERS); with moves, every member must be moved exactly once
// to a TEAM other than `team` (INVALID_ARGUMENT naming moves[i]…).
// `targets` holds the units named as destinations (missing ones are unknown).
absl::StatusOr<ReorgChange> PlanDissolve(const OrgUnit& team, const std::vector<Member>& members,
                                         const std::vector<ReorgMove>& moves,
                                         const absl::flat_hash_map<std::string, OrgUnit>& targets);

}  // namespace salesops::org
