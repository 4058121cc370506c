// The per-call guard every RPC handler goes through (our "interceptor"): it
// reads the trace id (x-trace-id or traceparent metadata; made up if absent),
// verifies the bearer JWT, checks the token's member against the service's
// view of the org (left, demoted or moved members are refused), checks the
// method's role policy (default deny), applies the per-caller rate limit,
// bounds the handler's time (the client's deadline, at most max_duration),
// runs the handler, turns exceptions into INTERNAL, maps absl::Status to
// grpc::Status in one place (internal error text never reaches the client:
// it is logged with the trace id, the client gets the trace id), records
// per-method count and latency, and logs failures as JSON.
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
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/auth/principal_resolver.h"
#include "common/concurrency/worker_pool.h"
#include "common/metrics/metrics.h"
#include "common/server/rate_limiter.h"
#include "grpcpp/grpcpp.h"

namespace salesops {

struct CallContext {
  Principal principal;
  std::string trace_id;
  std::string method;
  // When the handler must have answered: the client's deadline, at most the
  // server's max_duration. Loops over data check Expired() and stop.
  absl::Time deadline = absl::InfiniteFuture();
  bool Expired() const { return absl::Now() >= deadline; }
  // Set by a handler that answered a request_id seen before (AIP-155) with what
  // that request made: the reply carries trailer `salesops-replayed: 1`, so a
  // client (the demo loaders) can tell "created now" from "was already there".
  mutable bool replayed = false;
};

// DEADLINE_EXCEEDED for a handler that ran out of time (reason DEADLINE).
absl::Status DeadlineExceeded(absl::string_view what);

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

  // A handler that does not hold a thread while it waits: it starts its reads
  // (KvReader::ReadAsync) and returns; `done` finishes the call, once, on the
  // thread the answer arrives on (a RedisMux reader), or inline. With
  // SetAsyncReadsNonBlocking(true) the guard and the handler's start run on
  // gRPC's callback thread when the guard needs no I/O (the token's member
  // checked recently); otherwise on the pool first, as Run does. An exception
  // before `done` is INTERNAL; a second `done` is ignored.
  using Done = std::function<void(absl::Status)>;
  using AsyncHandler = std::function<void(const CallContext&, Done)>;
  grpc::ServerUnaryReactor* RunAsync(grpc::CallbackServerContext* ctx, absl::string_view method,
                                     AsyncHandler handler);

  // The guard alone (no reactor), for streaming handlers and tests.
  absl::Status Authorize(const grpc::ServerContextBase& ctx, absl::string_view method,
                         CallContext* call) const;

  // Optional parts of the guard, set before serving. Not owned.
  void SetPrincipalResolver(PrincipalResolver* resolver) { resolver_ = resolver; }
  void SetRateLimiter(PrincipalRateLimiter* limiter) { limiter_ = limiter; }
  // True when RunAsync handlers' reads never block (they go through a
  // RedisMux): they may then start on gRPC's callback thread. False (the
  // default): they start on the pool, where a blocking read is harmless.
  void SetAsyncReadsNonBlocking(bool v) { async_reads_non_blocking_ = v; }
  // Upper bound of a handler's time whatever the client's deadline.
  void SetMaxDuration(absl::Duration d) { max_duration_ = d; }
  const MethodPolicy& policy() const { return policy_; }

 private:
  void Execute(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
               const std::string& method, absl::Time start, const Handler& handler);
  // The parts of a call before and after its handler.
  void Prepare(grpc::CallbackServerContext* ctx, const std::string& method, absl::Time start,
               CallContext* call) const;
  absl::Status VerifyToken(const grpc::ServerContextBase& ctx, CallContext* call) const;
  absl::Status CheckCaller(absl::string_view method, CallContext* call) const;
  absl::Status Limit(const CallContext& call) const;
  void Complete(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                const CallContext& call, absl::Time start, const absl::Status& status);
  struct AsyncCall;
  void StartAsync(const std::shared_ptr<AsyncCall>& state, const AsyncHandler& handler);
  // Per (method, code) metric objects, looked up once.
  std::pair<Counter*, Histogram*> MetricsFor(const std::string& method, const std::string& code);

  std::string service_;
  const JwtVerifier& verifier_;
  MethodPolicy policy_;
  MetricsRegistry& metrics_;
  WorkerPool* pool_;
  PrincipalResolver* resolver_ = nullptr;
  PrincipalRateLimiter* limiter_ = nullptr;
  absl::Duration max_duration_ = absl::Seconds(30);
  bool async_reads_non_blocking_ = false;
  absl::Mutex metrics_mu_;
  absl::flat_hash_map<std::string, std::pair<Counter*, Histogram*>> metric_cache_
      ABSL_GUARDED_BY(metrics_mu_);
};

}  // namespace salesops
