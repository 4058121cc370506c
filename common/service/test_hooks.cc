#include "common/service/test_hooks.h"

#include "common/log/log.h"

#ifndef SALESOPS_TEST_HOOKS
#error "build with -DSALESOPS_TEST_HOOKS=0 or 1 (see common/CMakeLists.txt)"
#endif

namespace salesops {

bool TestHooksCompiledIn() { return SALESOPS_TEST_HOOKS != 0; }

void CheckTestHooks(const std::string& clock_offset_file, ConfigCheck& check) {
  if (!TestHooksCompiledIn() && !clock_offset_file.empty()) {
    check.Fail("clock_offset_file",
               "test-only; this build has no test hooks (SALESOPS_TEST_HOOKS=OFF), so the "
               "business clock is always the wall clock");
  }
}

std::unique_ptr<Clock> MakeBusinessClockFrom(const std::string& clock_offset_file) {
#if SALESOPS_TEST_HOOKS
  if (!clock_offset_file.empty()) {
    LogWarning("business clock offset by --clock_offset_file (tests only)",
               {{"file", clock_offset_file}});
    return std::make_unique<OffsetFileClock>(clock_offset_file);
  }
#endif
  return std::make_unique<SystemClock>();
}

}  // namespace salesops
