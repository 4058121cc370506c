#include "services/gateway/stream/sse_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace salesops::gateway {
namespace {

// SSE fields end at CR or LF: a value must not contain either.
std::string OneLine(absl::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (c == '\r' || c == '\n') {
      c = ' ';
    }
  }
  return out;
}

std::string Json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string EventFrame(absl::string_view id, absl::string_view type, absl::string_view data) {
  std::string out = absl::StrCat("id: ", OneLine(id), "\nevent: ", OneLine(type), "\n");
  const std::string lines = absl::StrReplaceAll(data, {{"\r\n", "\n"}});
  for (absl::string_view line : absl::StrSplit(lines, absl::ByAnyChar("\r\n"))) {
    absl::StrAppend(&out, "data: ", line, "\n");
  }
  out.push_back('\n');
  return out;
}

std::string ResetFrame(absl::string_view reason) {
  return absl::StrCat("id:\nevent: reset\ndata: ", Json({{"reason", std::string(reason)}}), "\n\n");
}

std::string ErrorFrame(absl::string_view code, absl::string_view message) {
  return absl::StrCat("event: error\ndata: ",
                      Json({{"code", std::string(code)}, {"message", std::string(message)}}),
                      "\n\n");
}

std::string HeartbeatFrame() { return ": heartbeat\n\n"; }

std::string RetryFrame(absl::Duration delay) {
  return absl::StrCat("retry: ", absl::ToInt64Milliseconds(delay), "\n\n");
}

}  // namespace salesops::gateway
