// Helpers the OrgApi use-case files share (request_id checks come from
// common/server/api_support): caller-scoped request ids, etags, retries of
// lost races, common field checks. Internal to services/org/api.
#pragma once

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids/ids.h"
#include "common/server/api_support.h"
#include "common/server/rpc.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/write_race.h"
#include "common/validation/validation.h"
#include "services/org/domain/org_repository.h"
#include "services/org/domain/reorg.h"
#include "services/org/events/org_events.h"

namespace salesops::org {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// Rows a filtered list reads at most per call before it returns a shorter page
// with a token to continue: a rare filter cannot make one call read everything.
inline constexpr int kMaxScanPerCall = 2000;
// Retries of a read-modify-write that lost a race, when the caller sent no etag.

// request_id is unique per caller (AIP-155): another caller's id never
// replays someone else's resource to them.
inline std::string CallerRequestId(const CallContext& call, const std::string& request_id) {
  if (request_id.empty()) {
    return "";
  }
  return absl::StrCat(call.principal.member_id, "/", request_id);
}

inline bool ValidKind(int k) { return k >= 1 && k <= 5; }
inline bool ValidRole(int r) { return r >= 1 && r <= 5; }
inline bool ValidDepartment(int d) { return d >= 1 && d <= 5; }

inline void CheckEmail(Violations& v, const std::string& field, const std::string& email) {
  CheckText(v, field, email, 3, 254);
  auto at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string::npos ||
      email.find_first_of(" \t\r\n,;<>") != std::string::npos) {
    v.Add(field, "must be an e-mail address like name@example.com");
  }
}

inline void CheckPhone(Violations& v, const std::string& field, const std::string& phone) {
  if (phone.size() > 32) {
    v.Add(field, "must have at most 32 characters");
    return;
  }
  for (char c : phone) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != ' ' && c != '+' && c != '-') {
      v.Add(field, "may contain only digits, spaces, '+' and '-'");
      return;
    }
  }
}

// The common etag check (common/server/api_support.h): ABORTED, ETAG_MISMATCH.
inline absl::Status CheckEtag(const std::string& etag, int64_t version) {
  return ::salesops::CheckEtag(etag, version, "the resource");
}

// Runs a read-modify-write under the common write-race policy
// (common/status/write_race.h): with no client etag, lost races run again.
template <typename F>
absl::Status WithRetry(bool client_etag, F&& attempt) {
  return RetryWriteRace(client_etag, std::forward<F>(attempt));
}

// A new reorganisation log entry by the caller, effective today.
inline ReorgRecord NewReorg(const CallContext& call, ReorgKind kind, const std::string& reason,
                            absl::Time now) {
  ReorgRecord r;
  r.id = NewUuid();
  r.kind = kind;
  r.effective = OrgDay(now);
  r.reason = reason;
  r.actor = call.principal;
  r.trace_id = call.trace_id;
  r.create_time = now;
  return r;
}

// Puts the log entry into the commit (listed under every unit it touched).
inline void AttachRecord(ReorgCommit& c, const ReorgRecord& r) {
  c.reorg_id = r.id;
  c.effective = r.effective;
  c.reorg_unit_ids = r.unit_ids;
  c.reorg_data = ToProto(r).SerializeAsString();
}

// The history entry for a member moved by `r`.
inline MembershipEntry MoveEntry(const Member& after, const ReorgRecord& r) {
  return {after.id, after.org_unit_id, after.role, r.effective, r.create_time, r.id, r.reason};
}

}  // namespace salesops::org
