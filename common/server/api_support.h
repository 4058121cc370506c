// Small pieces every API handler shares: the audit actor of a call (carried
// by every event of a mutation), optimistic-concurrency etags, and the shape
// of a request_id (AIP-155; replay itself is DocStore::SeenRequest /
// GuardRequestWith).
//
//   SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
//   *event.mutable_actor() = ActorOf(call);
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/server/rpc.h"
#include "common/status/errors.h"
#include "salesops/common/v1/common.pb.h"

namespace salesops {

salesops::common::v1::Actor ActorOf(const CallContext& call);

// Empty etag: no check. Otherwise it must equal `version`, else ABORTED
// ETAG_MISMATCH naming `resource`.
absl::Status CheckEtag(absl::string_view etag, int64_t version, absl::string_view resource);

// Empty is fine; otherwise up to 64 letters, digits, '-' or '_' (violation on "request_id").
void CheckRequestId(Violations& v, absl::string_view request_id);

// A replayed request_id answers only with the resource that request_id made,
// and only for a request about that resource: `expected` is the exact name the
// current request is about (a mutation of an existing resource) or a
// collection prefix ending in '/' (a create). ALREADY_EXISTS REQUEST_ID_REUSED
// otherwise, naming nothing the caller did not send. The caller then applies
// the same access check as a fresh call before returning the resource.
//
//   if (seen) {
//     SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, ContractName(id)));
//     ... load *seen, check access, return it
//   }
absl::Status CheckReplayTarget(absl::string_view stored, absl::string_view expected);
// The error of CheckReplayTarget, for a stored resource that no longer fits.
absl::Status RequestIdReused();

}  // namespace salesops
