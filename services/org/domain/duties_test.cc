// Effective-dated duty versions: which version is in force on a day, and the
// rules for appending one (never in the past, never before the latest).
#include "services/org/domain/duties.h"

#include "common/status/errors.h"
#include "gtest/gtest.h"

namespace salesops::org {
namespace {

using D = absl::CivilDay;

// The version in force is the last one starting on or before the day.
TEST(DutiesTest, VersionAsOf) {
  std::vector<D> days = {D(2026, 1, 1), D(2026, 7, 1)};
  EXPECT_EQ(DutyVersionAsOf(days, D(2025, 12, 31)), -1);
  EXPECT_EQ(DutyVersionAsOf(days, D(2026, 1, 1)), 0);
  EXPECT_EQ(DutyVersionAsOf(days, D(2026, 6, 30)), 0);
  EXPECT_EQ(DutyVersionAsOf(days, D(2026, 7, 1)), 1);
  EXPECT_EQ(DutyVersionAsOf({}, D(2026, 7, 1)), -1);
}

// The first version needs duties but no reason, and may start today or later.
TEST(DutiesTest, FirstVersion) {
  EXPECT_TRUE(CheckNewDutyVersion({}, D(2026, 3, 1), D(2026, 3, 1), "", 1, "d").ok());
  EXPECT_EQ(
      FieldViolations(CheckNewDutyVersion({}, D(2026, 3, 1), D(2026, 3, 1), "", 0, "d"))[0].field,
      "d.duties");
  EXPECT_EQ(
      FieldViolations(CheckNewDutyVersion({}, D(2026, 2, 28), D(2026, 3, 1), "", 1, "d"))[0].field,
      "d.effective_date");
}

// A change needs a reason and a date after the latest version; past dates never.
TEST(DutiesTest, ChangeRules) {
  std::vector<D> days = {D(2026, 1, 1), D(2026, 9, 1)};
  EXPECT_TRUE(CheckNewDutyVersion(days, D(2026, 9, 2), D(2026, 3, 1), "市场变化", 2, "d").ok());
  EXPECT_EQ(
      FieldViolations(CheckNewDutyVersion(days, D(2026, 9, 2), D(2026, 3, 1), "", 2, "d"))[0].field,
      "d.reason");
  absl::Status before_latest = CheckNewDutyVersion(days, D(2026, 8, 1), D(2026, 3, 1), "r", 1, "d");
  EXPECT_EQ(before_latest.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(before_latest), "DUTIES_EFFECTIVE_DATE_NOT_AFTER_LATEST");
  absl::Status same_day = CheckNewDutyVersion(days, D(2026, 9, 1), D(2026, 3, 1), "r", 1, "d");
  EXPECT_EQ(ErrorReason(same_day), "DUTIES_EFFECTIVE_DATE_NOT_AFTER_LATEST");
  absl::Status past =
      CheckNewDutyVersion({D(2026, 1, 1)}, D(2026, 2, 1), D(2026, 3, 1), "r", 1, "d");
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace salesops::org
