// Connect unary calls → gRPC calls to the backend services, generically from
// the descriptors (no code per method): the path names the method, the body
// (JSON or binary protobuf) is read as the method's request message, the
// caller's bearer token and trace id go along as metadata, Connect-Timeout-Ms
// becomes the deadline (never more than the gateway's cap), and the reply comes
// back in the caller's codec — or as the Connect error body with the HTTP
// status of its code. The gateway adds nothing to authorization: the service
// decides on the token it is given.
//
//   ConnectTranscoder t(registry, backends, {.max_deadline = absl::Seconds(30)});
//   ConnectReply r = t.Handle({.path = "/salesops.org.v1.OrgService/GetOrgUnit",
//                              .content_type = "application/json",
//                              .authorization = "Bearer …", .body = R"({"name":"orgUnits/x"})"});
//   r.http_status;   // 200, or 400/401/403/404/409/429/5xx with a Connect error body
//
// Thread-safe (the backend must be).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "services/gateway/connect/method_registry.h"

namespace salesops::gateway {

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct BackendCall {
  const MethodInfo* method = nullptr;
  Metadata metadata;
  absl::Time deadline;
  std::string request;  // the serialized request message
};

struct BackendResult {
  grpc::Status status;
  std::string response;  // the serialized response message (status OK)
  std::string trace_id;  // the service's x-trace-id trailer, if any
};

// How the transcoder reaches the services (gRPC in production, a fake in tests).
class UnaryBackend {
 public:
  virtual ~UnaryBackend() = default;
  // Whether calls of this family ("org", …) have somewhere to go.
  virtual bool Serves(absl::string_view family) const = 0;
  // Blocks until the call is done or its deadline passed.
  virtual BackendResult Call(const BackendCall& call) = 0;
};

struct ConnectRequest {
  std::string http_method = "POST";
  std::string path;
  std::string content_type;
  std::string protocol_version;  // Connect-Protocol-Version ("" when absent)
  std::string timeout_ms;        // Connect-Timeout-Ms ("" when absent)
  std::string authorization;     // passed through as it came
  std::string trace_id;          // X-Trace-Id (32 hex digits), else one is made
  std::string traceparent;
  std::string body;  // decompressed, within the size limit
};

struct ConnectReply {
  int http_status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  grpc::StatusCode code = grpc::StatusCode::OK;
  const MethodInfo* method = nullptr;  // null for an unknown route
};

struct TranscoderOptions {
  // Longest a call may take, whatever Connect-Timeout-Ms asks (also the
  // deadline of calls that give none).
  absl::Duration max_deadline = absl::Seconds(30);
};

class ConnectTranscoder {
 public:
  ConnectTranscoder(const MethodRegistry& registry, UnaryBackend& backend,
                    TranscoderOptions options)
      : registry_(registry), backend_(backend), options_(options) {}

  ConnectReply Handle(const ConnectRequest& request) const;

  // A Connect error reply (JSON body, the code's HTTP status).
  static ConnectReply Error(grpc::StatusCode code, absl::string_view message,
                            absl::string_view status_details = "");

 private:
  const MethodRegistry& registry_;
  UnaryBackend& backend_;
  const TranscoderOptions options_;
};

}  // namespace salesops::gateway
