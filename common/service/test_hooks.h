// Test-only hooks, compiled into a build or not: CMake option
// SALESOPS_TEST_HOOKS, ON for the developer build `make run` and `make test`
// use, OFF for the production image (deploy/docker). Today there is one: the
// business clock an end-to-end test moves through --clock_offset_file. In a
// build without hooks, setting it fails start-up naming the flag, so a
// production service can never be put on a clock someone else controls.
//
//   CheckTestHooks(absl::GetFlag(FLAGS_clock_offset_file), check);  // start-up
//   std::unique_ptr<Clock> clock = MakeBusinessClockFrom(absl::GetFlag(FLAGS_clock_offset_file));
//
// The .cc is compiled twice by the unit tests (hooks on, hooks off), so what a
// production build does is tested in every build.
#pragma once

#include <memory>
#include <string>

#include "common/config/config.h"
#include "common/time/clock.h"

namespace salesops {

// Whether this build accepts the test-only hooks.
bool TestHooksCompiledIn();

// Records a problem naming clock_offset_file when it is set in a build
// without the hooks.
void CheckTestHooks(const std::string& clock_offset_file, ConfigCheck& check);

// The wall clock, or an OffsetFileClock on `clock_offset_file` when it is set
// and the hooks are compiled in (never otherwise, whatever the argument).
std::unique_ptr<Clock> MakeBusinessClockFrom(const std::string& clock_offset_file);

}  // namespace salesops
