// The per-call guard every RPC handler goes through (our "interceptor"): it
// reads the trace id (x-trace-id or traceparent metadata; made up if absent),
// verifies the bearer JWT, checks the method's role policy (default deny),
// runs the handler, turns exceptions into INTERNAL, maps absl::Status to
// grpc::Status in one place, records per-method count and latency, and logs
// failures as JSON.
//
// It is a wrapper the handler calls rather than a grpc::experimental server
// interceptor because gRPC 1.51's interceptors cannot fail a call with a
// status (only cancel it), and UNAUTHENTICATED must reach the client.
//
//   grpc::ServerUnaryReactor* GetOrgUnit(grpc::CallbackServerContext* ctx,
//                                        const GetOrgUnitRequest* req,
//                                        GetOrgUnitResponse* resp) override {
//     return rpc_.Run(ctx, "GetOrgUnit", [&](const CallContext& call) {
//       return api_.GetOrgUnit(call, *req, resp);
//     });
//   }
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/metrics/metrics.h"
#include "grpcpp/grpcpp.h"

namespace salesops {

struct CallContext {
  Principal principal;
  std::string trace_id;
  std::string method;
};

// Which roles may call which method. Methods not listed are denied.
class MethodPolicy {
 public:
  MethodPolicy& Allow(std::string method, std::initializer_list<Role> roles);
  MethodPolicy& AllowAll(std::string method);
  absl::Status Check(absl::string_view method, const Principal& principal) const;
  bool Has(absl::string_view method) const { return allowed_.contains(method); }

 private:
  absl::flat_hash_map<std::string, unsigned> allowed_;  // bit per Role
};

class RpcRunner {
 public:
  RpcRunner(std::string service, const JwtVerifier& verifier, MethodPolicy policy,
            MetricsRegistry& metrics);

  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, absl::string_view method,
                                absl::FunctionRef<absl::Status(const CallContext&)> handler);

  // The guard alone (no reactor), for streaming handlers and tests.
  absl::Status Authorize(const grpc::ServerContextBase& ctx, absl::string_view method,
                         CallContext* call) const;

 private:
  std::string service_;
  const JwtVerifier& verifier_;
  MethodPolicy policy_;
  MetricsRegistry& metrics_;
};

}  // namespace salesops
