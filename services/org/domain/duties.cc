#include "services/org/domain/duties.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::org {

int DutyVersionAsOf(const std::vector<absl::CivilDay>& effective_days, absl::CivilDay day) {
  int found = -1;
  for (size_t i = 0; i < effective_days.size(); ++i) {
    if (effective_days[i] > day) {
      break;
    }
    found = static_cast<int>(i);
  }
  return found;
}

absl::Status CheckNewDutyVersion(const std::vector<absl::CivilDay>& effective_days,
                                 absl::CivilDay effective, absl::CivilDay today,
                                 const std::string& reason, size_t duty_count,
                                 const std::string& field_prefix) {
  Violations v;
  if (effective < today) {
    v.Add(field_prefix + ".effective_date",
          absl::StrCat("must not be in the past (today is ", absl::FormatCivilTime(today),
                       "): history is never rewritten"));
  }
  if (duty_count == 0) {
    v.Add(field_prefix + ".duties", "must list at least one duty");
  }
  if (!effective_days.empty() && reason.empty()) {
    v.Add(field_prefix + ".reason", "a duty change needs a reason");
  }
  if (absl::Status s = v.Finish(); !s.ok()) {
    return s;
  }
  if (!effective_days.empty() && effective <= effective_days.back()) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     "DUTIES_EFFECTIVE_DATE_NOT_AFTER_LATEST",
                     absl::StrCat("the latest version is effective ",
                                  absl::FormatCivilTime(effective_days.back()),
                                  "; a new one must start after it"),
                     {{"field", field_prefix + ".effective_date"}});
  }
  return absl::OkStatus();
}

}  // namespace salesops::org
