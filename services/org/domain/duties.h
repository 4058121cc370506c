// Effective-dated duty versions of a position, as pure rules: which version is
// in force on a day, and whether a new version may be appended. A version
// never changes once recorded, and a new one may neither start in the past
// nor before the latest one, so an answer about a past date never changes.
//
//   int i = DutyVersionAsOf({Day(2026,1,1), Day(2026,7,1)}, Day(2026,3,15));  // 0
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"

namespace salesops::org {

// `effective_days` ascending. The index of the version in force on `day`, or
// -1 when `day` is before the first version.
int DutyVersionAsOf(const std::vector<absl::CivilDay>& effective_days, absl::CivilDay day);

// A new version effective `effective`, decided `today`:
//   INVALID_ARGUMENT `prefix`.effective_date when before today;
//   INVALID_ARGUMENT `prefix`.duties when there is no duty at all;
//   INVALID_ARGUMENT `prefix`.reason when a change (not the first version) has no reason;
//   FAILED_PRECONDITION DUTIES_EFFECTIVE_DATE_NOT_AFTER_LATEST when not after the latest version.
absl::Status CheckNewDutyVersion(const std::vector<absl::CivilDay>& effective_days,
                                 absl::CivilDay effective, absl::CivilDay today,
                                 const std::string& reason, size_t duty_count,
                                 const std::string& field_prefix);

}  // namespace salesops::org
