// Error reasons (google.rpc.ErrorInfo.reason) that code compares against, as
// constants: a typo is a compile error, and a reader finds every place that
// reacts to a reason. Reasons shared by every service live here; a service's
// own reasons that its code or its neighbours compare live in its
// domain/reasons.h. Tests keep the literal strings: they pin the wire contract.
#pragma once

namespace salesops::reason {

// A version guard failed: the state changed since it was read.
inline constexpr char kEtagMismatch[] = "ETAG_MISMATCH";
// Some other write guard failed for the same reason.
inline constexpr char kWriteConflict[] = "WRITE_CONFLICT";
// A create collided with an existing resource (its name in the message).
inline constexpr char kResourceExists[] = "RESOURCE_EXISTS";
// A request_id seen before (AIP-155): the message names what it created.
inline constexpr char kRequestReplayed[] = "REQUEST_REPLAYED";
inline constexpr char kInvalidArgument[] = "INVALID_ARGUMENT";
inline constexpr char kRedisAuthFailed[] = "REDIS_AUTH_FAILED";
inline constexpr char kRedisUnavailable[] = "REDIS_UNAVAILABLE";

}  // namespace salesops::reason
