#include "common/time/clock.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace salesops {

const Clock& SystemWallClock() {
  static const SystemClock clock;
  return clock;
}

absl::Time OffsetFileClock::Now() const {
  const absl::Time wall = absl::Now();
  absl::MutexLock lock(&mu_);
  if (wall - read_at_ >= absl::Milliseconds(100)) {
    read_at_ = wall;
    std::ifstream in(path_);
    std::stringstream text;
    if (in) {
      text << in.rdbuf();
    }
    int64_t seconds = 0;
    const std::string s = text.str();
    // A half-written or malformed file keeps the last good offset.
    if (s.empty()) {
      offset_ = absl::ZeroDuration();
    } else if (absl::SimpleAtoi(absl::StripAsciiWhitespace(s), &seconds)) {
      offset_ = absl::Seconds(seconds);
    }
  }
  return wall + offset_;
}

}  // namespace salesops
