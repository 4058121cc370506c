// grpc.health.v1.Health/Check as a client, without the generated stub (Debian's
// gRPC ships none): the request is {1: service}, a SERVING answer is {1: 1}.
// Used by `salesopsctl health` and by the pods' probe binary `salesops-health`.
#ifndef SALESOPS_COMMON_SERVER_HEALTH_CHECK_H_
#define SALESOPS_COMMON_SERVER_HEALTH_CHECK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace salesops {

// true: SERVING; false: any other answer; an error: the call failed (its gRPC code,
// as an absl::Status) or `service` is longer than 127 bytes.
absl::StatusOr<bool> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& service, absl::Duration timeout);

}  // namespace salesops

#endif  // SALESOPS_COMMON_SERVER_HEALTH_CHECK_H_
