// The one policy for a read-modify-write that loses a race to another writer
// between its read and its commit (a version guard fails in the commit):
//   - the caller sent an etag and the resource it names changed (ETAG_MISMATCH):
//     it asked to change the version it saw, so it gets the ABORTED error and
//     re-reads (AIP-154);
//   - a race on anything else (WRITE_CONFLICT and the others below: a customer's
//     activity clock two deals' stage changes both move, say), or no etag: the
//     handler runs again on fresh state, up to kWriteRaceAttempts times in all.
//     Running again checks the caller's etag again, against the fresh version.
// Only the reasons below mean "your read went stale"; every other error,
// including a decision conflict such as two plan versions published at once
// (CONCURRENT_PUBLISH), goes back to the caller as it is.
//
//   return RetryWriteRace(!req.etag().empty(), [&] { return UpdateOnce(call, req, resp); });
#pragma once

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace salesops {

inline constexpr int kWriteRaceAttempts = 5;

// ABORTED with ETAG_MISMATCH, WRITE_CONFLICT, CONCURRENT_REORGANISATION or
// CONCURRENT_CLAIM.
bool IsWriteRace(const absl::Status& s);
// ABORTED with ETAG_MISMATCH: the version of the resource the caller's etag names.
bool IsEtagMismatch(const absl::Status& s);

template <typename F>
absl::Status RetryWriteRace(bool caller_sent_etag, F&& attempt) {
  absl::Status s;
  for (int i = 0; i < kWriteRaceAttempts; ++i) {
    s = attempt();
    if (!IsWriteRace(s) || (caller_sent_etag && IsEtagMismatch(s))) {
      return s;
    }
  }
  return s;
}

// Whether a request carries a non-empty etag, at the top level or in a
// top-level message field (UpdateX { x { etag } }), for adapters that apply
// the policy to every RPC of a service.
bool CarriesEtag(const google::protobuf::Message& req);

}  // namespace salesops
