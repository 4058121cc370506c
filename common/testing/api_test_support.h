// Small helpers the services' api unit tests share (header only).
//
//   EXPECT_EQ(FirstViolatedField(status), "plan.total.amount_minor");
//   FakeClock clock{absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), BusinessZone())};
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/status/errors.h"

namespace salesops::test_support {

// The zone the services use by default (--*_time_zone): Asia/Shanghai, or
// UTC+8 without DST where the zone database is missing.
inline absl::TimeZone BusinessZone() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Asia/Shanghai", &tz)) {
    tz = absl::FixedTimeZone(8 * 3600);
  }
  return tz;
}

// The field the first violation of an INVALID_ARGUMENT names, "" when none.
inline std::string FirstViolatedField(const absl::Status& s) {
  std::vector<FieldViolation> v = FieldViolations(s);
  return v.empty() ? "" : v.front().field;
}

}  // namespace salesops::test_support
