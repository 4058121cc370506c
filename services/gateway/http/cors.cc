#include "services/gateway/http/cors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"

namespace salesops::gateway {
namespace {

constexpr char kAllowedMethods[] = "GET, POST";
constexpr char kMaxAge[] = "7200";
// What a browser script may read of our responses besides the simple headers.
constexpr char kExposed[] = "Content-Encoding, Connect-Content-Encoding, X-Trace-Id";

bool ValidOrigin(absl::string_view o) {
  if (!absl::ConsumePrefix(&o, "https://") && !absl::ConsumePrefix(&o, "http://")) {
    return false;
  }
  if (o.empty() || absl::StrContains(o, '/') || absl::StrContains(o, '?') ||
      absl::StrContains(o, '#') || absl::StrContains(o, '@')) {
    return false;
  }
  for (char c : o) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<CorsPolicy> CorsPolicy::Parse(absl::string_view origins) {
  CorsPolicy p;
  for (absl::string_view o : absl::StrSplit(origins, ',', absl::SkipWhitespace())) {
    o = absl::StripAsciiWhitespace(o);
    if (o == "*") {
      p.any_ = true;
      continue;
    }
    if (!ValidOrigin(o)) {
      return InvalidField("cors_origins",
                          absl::StrCat("'", QuoteUntrusted(o),
                                       "' is not an origin like "
                                       "https://dash.example.com or http://localhost:5173 (or *)"));
    }
    p.origins_.push_back(absl::AsciiStrToLower(o));
  }
  return p;
}

const std::vector<std::string>& CorsPolicy::AllowedRequestHeaders() {
  static const auto* headers = new std::vector<std::string>{"Content-Type",
                                                            "Content-Encoding",
                                                            "Accept-Encoding",
                                                            "Connect-Protocol-Version",
                                                            "Connect-Timeout-Ms",
                                                            "Connect-Content-Encoding",
                                                            "Connect-Accept-Encoding",
                                                            "Authorization",
                                                            "X-Trace-Id",
                                                            "Traceparent",
                                                            "Last-Event-ID",
                                                            "X-User-Agent"};
  return *headers;
}

bool CorsPolicy::Allows(absl::string_view origin) const {
  if (origin.empty()) {
    return false;
  }
  if (any_) {
    return true;
  }
  const std::string lower = absl::AsciiStrToLower(origin);
  return std::find(origins_.begin(), origins_.end(), lower) != origins_.end();
}

CorsPolicy::Answer CorsPolicy::Preflight(absl::string_view origin, absl::string_view method,
                                         absl::string_view request_headers) const {
  Answer a;
  a.headers.emplace_back("Vary",
                         "Origin, Access-Control-Request-Method, "
                         "Access-Control-Request-Headers");
  if (!Allows(origin) || (method != "GET" && method != "POST")) {
    a.status = 403;
    return a;
  }
  for (absl::string_view h : absl::StrSplit(request_headers, ',', absl::SkipWhitespace())) {
    h = absl::StripAsciiWhitespace(h);
    const auto& allowed = AllowedRequestHeaders();
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const std::string& x) { return absl::EqualsIgnoreCase(x, h); })) {
      a.status = 403;
      return a;
    }
  }
  a.headers.emplace_back("Access-Control-Allow-Origin", any_ ? "*" : std::string(origin));
  a.headers.emplace_back("Access-Control-Allow-Methods", kAllowedMethods);
  a.headers.emplace_back("Access-Control-Allow-Headers",
                         absl::StrJoin(AllowedRequestHeaders(), ", "));
  a.headers.emplace_back("Access-Control-Max-Age", kMaxAge);
  return a;
}

HeaderList CorsPolicy::ResponseHeaders(absl::string_view origin) const {
  if (!Allows(origin)) {
    return {};
  }
  return {{"Access-Control-Allow-Origin", any_ ? "*" : std::string(origin)},
          {"Access-Control-Expose-Headers", kExposed},
          {"Vary", "Origin"}};
}

}  // namespace salesops::gateway
