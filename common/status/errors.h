// Building absl::Status values that carry google.rpc error details.
//
// Every error a SalesOps service returns carries a stable machine-readable
// reason (google.rpc.ErrorInfo, UPPER_SNAKE_CASE); bad input also carries
// google.rpc.BadRequest field violations with the dotted field path. The
// details travel inside the absl::Status as payloads and are turned into a
// google.rpc.Status by ToGrpcStatus() (grpc_status.h).
//
//   return InvalidArgument({{"org_unit.display_name", "must not be empty"}});
//   return Aborted(reason::kEtagMismatch, "org unit changed since it was read");
//
// Which code means what:
//   INVALID_ARGUMENT    the request itself is wrong, whatever the state (field named)
//   NOT_FOUND           the named resource does not exist (or is not visible)
//   ALREADY_EXISTS      a create collides; the message names the existing resource
//   FAILED_PRECONDITION the state must change first (e.g. delete a non-empty unit)
//   ABORTED             concurrency conflict (etag): re-read and retry
//   UNAVAILABLE         a dependency is down: retry the call later
//   PERMISSION_DENIED   authenticated but not allowed
//   UNAUTHENTICATED     no or bad credentials
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/reasons.h"

namespace salesops {

struct FieldViolation {
  std::string field;        // dotted path, e.g. "org_unit.parent"
  std::string description;  // what is wrong, for a human
};

// Payload type URLs under which details are stored in an absl::Status.
inline constexpr absl::string_view kErrorInfoPayload = "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr absl::string_view kBadRequestPayload = "type.googleapis.com/google.rpc.BadRequest";

// The domain reported in ErrorInfo.
inline constexpr absl::string_view kErrorDomain = "salesops";

// A status with an ErrorInfo reason and optional metadata.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       const absl::flat_hash_map<std::string, std::string>& metadata = {});

// INVALID_ARGUMENT with BadRequest field violations; reason defaults to INVALID_ARGUMENT.
absl::Status InvalidArgument(std::vector<FieldViolation> violations,
                             absl::string_view reason = "INVALID_ARGUMENT");
absl::Status InvalidField(absl::string_view field, absl::string_view description);

absl::Status NotFound(absl::string_view reason, absl::string_view message);
absl::Status AlreadyExists(absl::string_view reason, absl::string_view message,
                           absl::string_view existing_resource);
absl::Status FailedPrecondition(absl::string_view reason, absl::string_view message);
absl::Status Aborted(absl::string_view reason, absl::string_view message);
absl::Status Unavailable(absl::string_view reason, absl::string_view message);
absl::Status PermissionDenied(absl::string_view reason, absl::string_view message);
absl::Status Unauthenticated(absl::string_view reason, absl::string_view message);
absl::Status Internal(absl::string_view reason, absl::string_view message);

// Reads back what the helpers above stored (empty when absent).
std::string ErrorReason(const absl::Status& status);
std::vector<FieldViolation> FieldViolations(const absl::Status& status);

// Accumulates violations while validating a request; Finish() is OK when none.
//
//   Violations v;
//   if (name.empty()) v.Add("org_unit.display_name", "must not be empty");
//   return v.Finish();
class Violations {
 public:
  void Add(std::string field, std::string description) {
    list_.push_back({std::move(field), std::move(description)});
  }
  bool empty() const { return list_.empty(); }
  absl::Status Finish(absl::string_view reason = "INVALID_ARGUMENT") const;

 private:
  std::vector<FieldViolation> list_;
};

// Quotes untrusted bytes for an error message: printable ASCII as is, anything
// else (invalid UTF-8, control bytes) hex-escaped, cut at `max` bytes. Error
// messages travel in protobuf string fields, which must be valid UTF-8.
std::string QuoteUntrusted(absl::string_view raw, size_t max = 64);

// True when retrying the same call later may succeed.
bool IsRetryable(const absl::Status& status);

}  // namespace salesops
