// CORS for the browser origins the gateway serves (--cors_origins): which
// origins may call, and the headers of a preflight (OPTIONS) answer and of an
// actual response. Exact origins ("https://dash.example.com"), or "*" for any.
// The gateway authenticates by bearer token, never by cookie, so it never
// allows credentials.
//
//   absl::StatusOr<CorsPolicy> cors = CorsPolicy::Parse("https://a.example,
//   http://localhost:5173"); CorsPolicy::Answer a = cors->Preflight(origin, "POST", "content-type,
//   authorization"); for (const auto& [k, v] : cors->ResponseHeaders(origin)) res.set_header(k, v);
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salesops::gateway {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class CorsPolicy {
 public:
  // Comma-separated origins; INVALID_ARGUMENT naming cors_origins for one that
  // is not scheme://host[:port] (http or https, no path) or "*".
  static absl::StatusOr<CorsPolicy> Parse(absl::string_view origins);
  CorsPolicy() = default;

  bool Allows(absl::string_view origin) const;

  struct Answer {
    int status = 204;  // 204 allowed, 403 refused
    HeaderList headers;
  };
  // The preflight answer for `origin` asking to send `method` with
  // `request_headers` (Access-Control-Request-Headers, comma-separated).
  Answer Preflight(absl::string_view origin, absl::string_view method,
                   absl::string_view request_headers) const;
  // Headers to add to an actual response ("" origin: not a CORS request: none).
  HeaderList ResponseHeaders(absl::string_view origin) const;

  // Request headers a browser may send (Connect's, the bearer token, tracing, SSE resume).
  static const std::vector<std::string>& AllowedRequestHeaders();

 private:
  bool any_ = false;
  std::vector<std::string> origins_;  // lower case
};

}  // namespace salesops::gateway
