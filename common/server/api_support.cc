#include "common/server/api_support.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/reasons.h"

namespace salesops {

salesops::common::v1::Actor ActorOf(const CallContext& call) {
  salesops::common::v1::Actor a;
  a.set_member_id(call.principal.member_id);
  a.set_role(std::string(RoleName(call.principal.role)));
  a.set_org_unit_id(call.principal.org_unit_id);
  a.set_trace_id(call.trace_id);
  return a;
}

absl::Status CheckEtag(absl::string_view etag, int64_t version, absl::string_view resource) {
  if (etag.empty() || etag == absl::StrCat(version)) {
    return absl::OkStatus();
  }
  return Aborted(reason::kEtagMismatch,
                 absl::StrCat(resource, " changed since it was read (etag ",
                              QuoteUntrusted(etag, 20), ", now ", version, "); re-read and retry"));
}

void CheckRequestId(Violations& v, absl::string_view rid) {
  if (rid.empty()) {
    return;
  }
  if (rid.size() > 64) {
    v.Add("request_id", "must have at most 64 characters");
    return;
  }
  for (char c : rid) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      v.Add("request_id", "may contain only letters, digits, '-' and '_'");
      return;
    }
  }
}

absl::Status CheckReplayTarget(absl::string_view stored, absl::string_view expected) {
  const bool ok = absl::EndsWith(expected, "/")
                      ? absl::StartsWith(stored, expected) && stored.size() > expected.size()
                      : stored == expected;
  if (ok) {
    return absl::OkStatus();
  }
  return RequestIdReused();
}

absl::Status RequestIdReused() {
  return AlreadyExists("REQUEST_ID_REUSED",
                       "request_id was already used for another request; use a new one", "");
}

}  // namespace salesops
