// What a build with and without the test hooks does with --clock_offset_file.
// Compiled twice (common/CMakeLists.txt): against test_hooks.cc built with the
// hooks on, and built with them off as in the production image.
#include "common/service/test_hooks.h"

#include <fstream>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#ifndef SALESOPS_EXPECT_TEST_HOOKS
#error "define SALESOPS_EXPECT_TEST_HOOKS to the variant under test (0 or 1)"
#endif

namespace salesops {
namespace {

using ::testing::HasSubstr;

// A file moving the business clock 10 days ahead.
std::string TenDaysAheadFile() {
  const std::string path = ::testing::TempDir() + "/test_hooks_offset";
  std::ofstream(path) << 10 * 86400 << "\n";
  return path;
}

// The variant linked here is the one this test was built for.
TEST(TestHooksTest, VariantIsTheExpectedOne) {
  EXPECT_EQ(TestHooksCompiledIn(), SALESOPS_EXPECT_TEST_HOOKS != 0);
}

// Without the flag both variants accept the configuration and run on the wall clock.
TEST(TestHooksTest, UnsetIsFineAndWallClock) {
  ConfigCheck check;
  CheckTestHooks("", check);
  EXPECT_TRUE(check.status().ok()) << check.status();
  std::unique_ptr<Clock> clock = MakeBusinessClockFrom("");
  EXPECT_LT(absl::AbsDuration(clock->Now() - absl::Now()), absl::Minutes(1));
}

#if SALESOPS_EXPECT_TEST_HOOKS
// With the hooks the flag is accepted and moves the business clock.
TEST(TestHooksTest, OnAcceptsTheOffsetClock) {
  const std::string file = TenDaysAheadFile();
  ConfigCheck check;
  CheckTestHooks(file, check);
  EXPECT_TRUE(check.status().ok()) << check.status();
  std::unique_ptr<Clock> clock = MakeBusinessClockFrom(file);
  EXPECT_GT(clock->Now() - absl::Now(), absl::Hours(24 * 9));
}
#else
// Without the hooks (production) the flag fails start-up naming it, and even a
// caller that skipped the check gets the wall clock.
TEST(TestHooksTest, OffRefusesTheOffsetClock) {
  const std::string file = TenDaysAheadFile();
  ConfigCheck check;
  CheckTestHooks(file, check);
  ASSERT_FALSE(check.status().ok());
  EXPECT_THAT(std::string(check.status().message()),
              HasSubstr("--clock_offset_file (SALESOPS_CLOCK_OFFSET_FILE): test-only"));
  std::unique_ptr<Clock> clock = MakeBusinessClockFrom(file);
  EXPECT_LT(absl::AbsDuration(clock->Now() - absl::Now()), absl::Minutes(1));
}
#endif

}  // namespace
}  // namespace salesops
