// The org service's domain types: plain structs, no I/O, no protobuf.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
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

}  // namespace salesops::org
