// Structured JSON logs, one object per line on stderr:
//   {"ts":"2026-11-27T10:00:00.123Z","level":"info","service":"org",
//    "msg":"relay published","trace_id":"…","count":12}
//
//   Log(LogLevel::kInfo, "relay published", {{"count", 12}});
//   ScopedTraceId trace(id);   // attaches trace_id to logs on this thread
//
// Thread-safe: each line is written with a single write().
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace salesops {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Process-wide settings, set once by main before any thread starts.
void InitLogging(absl::string_view service, LogLevel min_level);
bool ParseLogLevel(absl::string_view text, LogLevel* out);

void Log(LogLevel level, absl::string_view message, const nlohmann::json& fields = nullptr);

inline void LogInfo(absl::string_view m, const nlohmann::json& f = nullptr) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarning(absl::string_view m, const nlohmann::json& f = nullptr) {
  Log(LogLevel::kWarning, m, f);
}
inline void LogError(absl::string_view m, const nlohmann::json& f = nullptr) {
  Log(LogLevel::kError, m, f);
}

// The trace id logged by this thread while the object lives.
class ScopedTraceId {
 public:
  explicit ScopedTraceId(std::string trace_id);
  ~ScopedTraceId();
  ScopedTraceId(const ScopedTraceId&) = delete;
  ScopedTraceId& operator=(const ScopedTraceId&) = delete;

 private:
  std::string previous_;
};

// The current thread's trace id ("" when none).
const std::string& CurrentTraceId();

}  // namespace salesops
