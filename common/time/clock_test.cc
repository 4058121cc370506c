#include "common/time/clock.h"

#include <cstdio>
#include <fstream>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

class OffsetFileClockTest : public ::testing::Test {
 protected:
  void Write(const std::string& text) {
    std::ofstream out(path_, std::ios::trunc);
    out << text;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  // Readers re-read the file at most every 100 ms.
  void WaitForReread() { absl::SleepFor(absl::Milliseconds(120)); }
  std::string path_ = ::testing::TempDir() + "/offset-clock-" + std::to_string(getpid());
};

TEST_F(OffsetFileClockTest, MissingFileIsTheWallClock) {
  OffsetFileClock clock(path_);
  const absl::Time before = absl::Now();
  const absl::Time t = clock.Now();
  EXPECT_GE(t, before);
  EXPECT_LE(t, absl::Now());
}

TEST_F(OffsetFileClockTest, AddsTheOffsetAndFollowsChanges) {
  Write("86400\n");
  OffsetFileClock clock(path_);
  const absl::Time wall = absl::Now();
  EXPECT_GE(clock.Now(), wall + absl::Hours(24));
  EXPECT_LT(clock.Now(), wall + absl::Hours(24) + absl::Seconds(5));
  Write("-3600");
  WaitForReread();
  const absl::Time back = clock.Now();
  EXPECT_LT(back, absl::Now() - absl::Minutes(59));
  EXPECT_GT(back, absl::Now() - absl::Minutes(61));
}

TEST_F(OffsetFileClockTest, MalformedContentKeepsTheLastGoodOffset) {
  Write("7200");
  OffsetFileClock clock(path_);
  EXPECT_GE(clock.Now(), absl::Now() + absl::Hours(2) - absl::Seconds(1));
  Write("two hours");
  WaitForReread();
  EXPECT_GE(clock.Now(), absl::Now() + absl::Hours(2) - absl::Seconds(1));
  Write("");
  WaitForReread();
  EXPECT_LT(clock.Now(), absl::Now() + absl::Seconds(1)) << "an empty file means no offset";
}

}  // namespace
}  // namespace salesops
