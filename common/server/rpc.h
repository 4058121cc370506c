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
//     return rpc_.Run(ctx, "GetOrgUnit", [this, req, resp](const CallContext& call) {
//       return api_.GetOrgUnit(call, *req, resp);
//     });
//
// With a WorkerPool the guard and the handler run on the pool's threads (they
// block on Redis), so gRPC's callback threads stay free; a full pool answers
// RESOURCE_EXHAUSTED at once instead of queueing without bound. The handler
// must therefore capture by value (the request and response pointers stay
// valid until the call is finished).
//   }
#pragma once

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/concurrency/worker_pool.h"
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
  // `pool` may be null: handlers then run on gRPC's callback thread.
  RpcRunner(std::string service, const JwtVerifier& verifier, MethodPolicy policy,
            MetricsRegistry& metrics, WorkerPool* pool = nullptr);

  using Handler = std::function<absl::Status(const CallContext&)>;
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, absl::string_view method,
                                Handler handler);

  // The guard alone (no reactor), for streaming handlers and tests.
  absl::Status Authorize(const grpc::ServerContextBase& ctx, absl::string_view method,
                         CallContext* call) const;

 private:
  void Execute(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
               const std::string& method, absl::Time start, const Handler& handler);
  // Per (method, code) metric objects, looked up once.
  std::pair<Counter*, Histogram*> MetricsFor(const std::string& method, const std::string& code);

  std::string service_;
  const JwtVerifier& verifier_;
  MethodPolicy policy_;
  MetricsRegistry& metrics_;
  WorkerPool* pool_;
  absl::Mutex metrics_mu_;
  absl::flat_hash_map<std::string, std::pair<Counter*, Histogram*>> metric_cache_
      ABSL_GUARDED_BY(metrics_mu_);
};

}  // namespace salesops
