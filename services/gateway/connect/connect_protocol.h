// The Connect protocol's unary rules (https://connectrpc.com/docs/protocol),
// as pure functions: which codec a Content-Type names, how Connect-Timeout-Ms
// reads, the error codes and the HTTP status each maps to, and the error body
// built from a gRPC status and its google.rpc.Status details.
//
//   std::optional<Codec> codec = CodecOf(req.get_header_value("Content-Type"));
//   int http = HttpStatusForCode(grpc::StatusCode::PERMISSION_DENIED);   // 403
//   std::string body = ConnectErrorJson(status.error_code(), status.error_message(),
//                                       status.error_details());
//   // {"code":"permission_denied","message":"…","details":[{"type":"google.rpc.ErrorInfo",
//   //   "value":"<base64, unpadded>","debug":{"reason":"ROLE_NOT_ALLOWED",…}}]}
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace salesops::gateway {

enum class Codec { kJson, kProto };

// application/json (optionally "; charset=utf-8") or application/proto; nullopt
// for anything else (the caller answers 415).
std::optional<Codec> CodecOf(absl::string_view content_type);
// The Content-Type of a successful response in `codec`.
absl::string_view ContentTypeOf(Codec codec);

// Connect-Timeout-Ms: nullopt when absent; INVALID_ARGUMENT unless 1 to 10 digits.
absl::StatusOr<std::optional<absl::Duration>> ParseTimeoutMs(absl::string_view header);

// "canceled", "unknown", "invalid_argument", … ("unknown" for codes out of range).
absl::string_view ConnectCodeName(grpc::StatusCode code);
// The protocol's table: invalid_argument 400, unauthenticated 401,
// permission_denied 403, not_found 404, already_exists and aborted 409,
// resource_exhausted 429, canceled 499, unimplemented 501, unavailable 503,
// deadline_exceeded 504, failed_precondition and out_of_range 400, the rest 500.
int HttpStatusForCode(grpc::StatusCode code);

// Base64 (standard alphabet) without '=' padding, as Connect emits it.
std::string Base64Unpadded(absl::string_view bytes);

// The error body. `status_details` is a serialized google.rpc.Status (gRPC's
// grpc-status-details-bin; may be empty); each of its details becomes
// {"type": full message name, "value": base64, "debug": the detail as JSON when
// its type is linked into this binary}.
std::string ConnectErrorJson(grpc::StatusCode code, absl::string_view message,
                             absl::string_view status_details = "");

}  // namespace salesops::gateway
