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

}  // namespace salesops
