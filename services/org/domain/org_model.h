// The org service's domain types: plain structs, no I/O, no protobuf.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"

namespace salesops::org {

enum class UnitKind { kCompany = 1, kRegion = 2, kTeam = 3, kProductLine = 4, kDepartment = 5 };
enum class Department { kSales = 1, kProduct = 2, kMarketing = 3, kFinance = 4, kHr = 5 };

struct OrgUnit {
  std::string id;
  std::string display_name;
  UnitKind kind = UnitKind::kTeam;
  std::string parent_id;  // empty for a company
  std::string description;
  int64_t version = 0;  // the etag; +1 on every change
  absl::Time create_time;
  absl::Time update_time;
  // +1 whenever a member joins, leaves or moves in or out (not part of the
  // etag): a command that must see every member of the unit guards it.
  int64_t members_rev = 0;
};

struct Member {
  std::string id;
  std::string display_name;
  std::string email;
  std::string phone;
  Role role = Role::kRep;
  Department department = Department::kSales;
  std::string org_unit_id;
  int64_t version = 0;
  absl::Time create_time;
  absl::Time update_time;
};

absl::string_view UnitKindName(UnitKind kind);

// ---- membership history and the reorganisation log

// From `from` on (inclusive), the member was in `unit_id` with `role`; an
// empty unit_id means the member left. Entries are appended, never changed.
struct MembershipEntry {
  std::string member_id;
  std::string unit_id;
  Role role = Role::kRep;
  absl::CivilDay from;
  absl::Time record_time;  // orders entries with the same `from`
  std::string reorg_id;    // empty for joining / leaving
  std::string reason;
};

enum class ReorgKind { kSplit = 1, kMerge = 2, kDissolve = 3, kMoveMember = 4, kUpdateUnit = 5 };

struct ReorgMove {
  std::string member_id;
  std::string from_unit_id;
  std::string to_unit_id;
};

// One entry of the reorganisation log.
struct ReorgRecord {
  std::string id;
  ReorgKind kind = ReorgKind::kMoveMember;
  std::vector<std::string> unit_ids;  // every unit touched
  std::vector<ReorgMove> moves;
  std::vector<std::string> created_unit_ids;
  std::vector<std::string> removed_unit_ids;
  absl::CivilDay effective;
  std::string reason;
  Principal actor;
  std::string trace_id;
  absl::Time create_time;
  std::string summary;
};

}  // namespace salesops::org
