#include "common/status/grpc_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "common/status/errors.h"
#include "google/rpc/error_details.pb.h"

namespace salesops {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  bool has_reason = false;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    if (type_url == kErrorInfoPayload) {
      has_reason = true;
    }
    auto* any = rpc.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (!has_reason) {
    // Every error carries a reason; untagged ones get the code's name.
    google::rpc::ErrorInfo info;
    info.set_domain(std::string(kErrorDomain));
    info.set_reason(absl::StatusCodeToString(status.code()));
    for (char& c : *info.mutable_reason()) {
      c = c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    rpc.add_details()->PackFrom(info);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      rpc.SerializeAsString());
}

google::rpc::Status RpcStatusDetails(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!status.error_details().empty()) {
    rpc.ParseFromString(status.error_details());
  }
  return rpc;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rpc = RpcStatusDetails(status);
  for (const auto& any : rpc.details()) {
    out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

}  // namespace salesops
