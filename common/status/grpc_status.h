// The one place that turns an absl::Status into a grpc::Status, so every
// service reports errors the same way: code, message, and a serialized
// google.rpc.Status (with ErrorInfo / BadRequest details) in the
// "grpc-status-details-bin" trailer, as gRPC's rich error model prescribes.
//
//   reactor->Finish(ToGrpcStatus(status));
//
// FromGrpcStatus() is the inverse, for clients and tests.
#pragma once

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace salesops {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Decodes the google.rpc.Status details of a grpc::Status (empty when none).
google::rpc::Status RpcStatusDetails(const grpc::Status& status);

}  // namespace salesops
