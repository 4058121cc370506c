#include "common/server/rpc.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "common/ids/ids.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"

namespace salesops {
namespace {

std::string Metadata(const grpc::ServerContextBase& ctx, absl::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) {
    return "";
  }
  return std::string(it->second.data(), it->second.size());
}

bool IsHex32(const std::string& s) {
  if (s.size() != 32) {
    return false;
  }
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// What the client sees of an error. Internal and dependency errors carry text
// written for operators (Redis addresses, script errors, exception messages):
// the client gets the code, a stable reason and the trace id to quote.
absl::Status ForClient(const absl::Status& s, const std::string& trace_id) {
  switch (s.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return MakeError(absl::StatusCode::kInternal, "INTERNAL",
                       absl::StrCat("internal error; quote trace id ", trace_id));
    case absl::StatusCode::kUnavailable: {
      std::string reason = ErrorReason(s);
      return MakeError(
          absl::StatusCode::kUnavailable, reason.empty() ? "UNAVAILABLE" : reason,
          absl::StrCat("temporarily unavailable; retry with backoff (trace id ", trace_id, ")"));
    }
    default:
      return s;
  }
}

}  // namespace

absl::Status DeadlineExceeded(absl::string_view what) {
  return MakeError(absl::StatusCode::kDeadlineExceeded, "DEADLINE",
                   absl::StrCat(what, " ran out of time; narrow the request or retry"));
}

MethodPolicy& MethodPolicy::Allow(std::string method, std::initializer_list<Role> roles) {
  unsigned& bits = allowed_[method];
  for (Role r : roles) {
    bits |= 1u << static_cast<int>(r);
  }
  return *this;
}

MethodPolicy& MethodPolicy::AllowAll(std::string method) {
  return Allow(std::move(method),
               {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin});
}

absl::Status MethodPolicy::Check(absl::string_view method, const Principal& principal) const {
  auto it = allowed_.find(method);
  if (it == allowed_.end() || (it->second & (1u << static_cast<int>(principal.role))) == 0) {
    return PermissionDenied("ROLE_NOT_ALLOWED", absl::StrCat("role '", RoleName(principal.role),
                                                             "' may not call ", method));
  }
  return absl::OkStatus();
}

RpcRunner::RpcRunner(std::string service, const JwtVerifier& verifier, MethodPolicy policy,
                     MetricsRegistry& metrics, WorkerPool* pool)
    : service_(std::move(service)),
      verifier_(verifier),
      policy_(std::move(policy)),
      metrics_(metrics),
      pool_(pool) {}

std::pair<Counter*, Histogram*> RpcRunner::MetricsFor(const std::string& method,
                                                      const std::string& code) {
  const std::string key = absl::StrCat(method, "|", code);
  {
    absl::ReaderMutexLock lock(&metrics_mu_);
    auto it = metric_cache_.find(key);
    if (it != metric_cache_.end()) {
      return it->second;
    }
  }
  Labels labels = {{"service", service_}, {"method", method}, {"code", code}};
  std::pair<Counter*, Histogram*> m = {
      &metrics_.GetCounter("salesops_rpc_total", "RPCs handled, by method and status code", labels),
      &metrics_.GetHistogram("salesops_rpc_duration_seconds",
                             "RPC latency, by method and status code", labels)};
  absl::MutexLock lock(&metrics_mu_);
  metric_cache_.emplace(key, m);
  return m;
}

absl::Status RpcRunner::VerifyToken(const grpc::ServerContextBase& ctx, CallContext* call) const {
  std::string auth = Metadata(ctx, "authorization");
  if (auth.empty()) {
    return Unauthenticated("TOKEN_MISSING", "missing 'authorization: Bearer <jwt>' metadata");
  }
  if (!absl::StartsWithIgnoreCase(auth, "bearer ")) {
    return Unauthenticated("TOKEN_MALFORMED", "authorization metadata is not a Bearer token");
  }
  absl::StatusOr<Principal> principal = verifier_.Verify(absl::string_view(auth).substr(7));
  if (!principal.ok()) {
    return principal.status();
  }
  call->principal = *std::move(principal);
  return absl::OkStatus();
}

absl::Status RpcRunner::CheckCaller(absl::string_view method, CallContext* call) const {
  if (resolver_ != nullptr) {
    if (absl::Status s = resolver_->Check(call->principal); !s.ok()) {
      return s;
    }
  }
  return policy_.Check(method, call->principal);
}

absl::Status RpcRunner::Authorize(const grpc::ServerContextBase& ctx, absl::string_view method,
                                  CallContext* call) const {
  if (absl::Status s = VerifyToken(ctx, call); !s.ok()) {
    return s;
  }
  return CheckCaller(method, call);
}

absl::Status RpcRunner::Limit(const CallContext& call) const {
  absl::Duration wait;
  if (limiter_ == nullptr || limiter_->Allow(call.principal, &wait)) {
    return absl::OkStatus();
  }
  return MakeError(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                   absl::StrCat("too many requests; retry after ",
                                absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))),
                   {{"retry_after_ms", absl::StrCat(absl::ToInt64Milliseconds(wait) + 1)}});
}

grpc::ServerUnaryReactor* RpcRunner::Run(grpc::CallbackServerContext* ctx, absl::string_view method,
                                         Handler handler) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (pool_ == nullptr) {
    Execute(ctx, reactor, std::string(method), start, handler);
    return reactor;
  }
  std::string m(method);
  if (!pool_->TrySubmit([this, ctx, reactor, m, start, h = std::move(handler)] {
        Execute(ctx, reactor, m, start, h);
      })) {
    MetricsFor(m, "RESOURCE_EXHAUSTED").first->Increment();
    reactor->Finish(ToGrpcStatus(MakeError(absl::StatusCode::kResourceExhausted, "OVERLOADED",
                                           "server busy; retry with backoff")));
  }
  return reactor;
}

void RpcRunner::Prepare(grpc::CallbackServerContext* ctx, const std::string& method,
                        absl::Time start, CallContext* call) const {
  call->method = method;
  call->trace_id = Metadata(*ctx, "x-trace-id");
  if (!IsHex32(call->trace_id)) {
    call->trace_id = TraceIdFromTraceParent(Metadata(*ctx, "traceparent"));
  }
  if (!IsHex32(call->trace_id)) {
    call->trace_id = NewTraceId();
  }
  ctx->AddTrailingMetadata("x-trace-id", call->trace_id);
  call->deadline = start + max_duration_;
  if (const auto client = ctx->deadline(); client != std::chrono::system_clock::time_point::max()) {
    call->deadline = std::min(call->deadline, absl::FromChrono(client));
  }
}

void RpcRunner::Execute(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                        const std::string& method, absl::Time start, const Handler& handler) {
  if (ctx->IsCancelled()) {
    // The caller gave up (deadline, cancel) while the call waited for a worker:
    // do not run a write nobody is waiting for.
    MetricsFor(method, "CANCELLED").first->Increment();
    reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
    return;
  }
  CallContext call;
  Prepare(ctx, method, start, &call);
  ScopedTraceId trace(call.trace_id);
  absl::Status status = Authorize(*ctx, method, &call);
  if (status.ok()) {
    status = Limit(call);
  }
  if (status.ok()) {
    try {
      status = handler(call);
    } catch (const std::exception& e) {
      status = Internal("UNHANDLED_EXCEPTION", e.what());
    } catch (...) {
      status = Internal("UNHANDLED_EXCEPTION", "unknown exception");
    }
  }
  Complete(ctx, reactor, call, start, status);
}

struct RpcRunner::AsyncCall {
  grpc::CallbackServerContext* ctx;
  grpc::ServerUnaryReactor* reactor;
  absl::Time start;
  CallContext call;
  std::atomic<bool> finished{false};
};

grpc::ServerUnaryReactor* RpcRunner::RunAsync(grpc::CallbackServerContext* ctx,
                                              absl::string_view method, AsyncHandler handler) {
  auto state = std::make_shared<AsyncCall>();
  state->ctx = ctx;
  state->reactor = ctx->DefaultReactor();
  state->start = absl::Now();
  Prepare(ctx, std::string(method), state->start, &state->call);
  ScopedTraceId trace(state->call.trace_id);
  absl::Status status = VerifyToken(*ctx, &state->call);
  if (!status.ok()) {
    Complete(ctx, state->reactor, state->call, state->start, status);
    return state->reactor;
  }
  // Inline on this (gRPC's) thread when nothing on the way blocks: no pool to
  // go to, or reads that never block and a member check answered from cache.
  bool inline_here = pool_ == nullptr;
  if (!inline_here && async_reads_non_blocking_) {
    std::optional<absl::Status> cached =
        resolver_ == nullptr ? absl::OkStatus() : resolver_->CheckCached(state->call.principal);
    inline_here = cached.has_value();
    if (inline_here && !cached->ok()) {
      Complete(ctx, state->reactor, state->call, state->start, *cached);
      return state->reactor;
    }
  }
  if (inline_here) {
    status = pool_ == nullptr ? CheckCaller(method, &state->call)
                              : policy_.Check(method, state->call.principal);
    if (!status.ok()) {
      Complete(ctx, state->reactor, state->call, state->start, status);
      return state->reactor;
    }
    StartAsync(state, handler);
    return state->reactor;
  }
  if (!pool_->TrySubmit([this, state, h = std::move(handler)] {
        ScopedTraceId trace(state->call.trace_id);
        absl::Status s = CheckCaller(state->call.method, &state->call);
        if (!s.ok()) {
          Complete(state->ctx, state->reactor, state->call, state->start, s);
          return;
        }
        StartAsync(state, h);
      })) {
    MetricsFor(state->call.method, "RESOURCE_EXHAUSTED").first->Increment();
    state->reactor->Finish(ToGrpcStatus(MakeError(
        absl::StatusCode::kResourceExhausted, "OVERLOADED", "server busy; retry with backoff")));
  }
  return state->reactor;
}

void RpcRunner::StartAsync(const std::shared_ptr<AsyncCall>& state, const AsyncHandler& handler) {
  Done done = [this, state](absl::Status s) {
    if (state->finished.exchange(true)) {
      return;  // answered already
    }
    ScopedTraceId trace(state->call.trace_id);
    Complete(state->ctx, state->reactor, state->call, state->start, s);
  };
  if (absl::Status s = Limit(state->call); !s.ok()) {
    done(s);
    return;
  }
  try {
    handler(state->call, done);
  } catch (const std::exception& e) {
    done(Internal("UNHANDLED_EXCEPTION", e.what()));
  } catch (...) {
    done(Internal("UNHANDLED_EXCEPTION", "unknown exception"));
  }
}

void RpcRunner::Complete(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                         const CallContext& call, absl::Time start, const absl::Status& status) {
  if (status.ok() && call.replayed) {
    ctx->AddTrailingMetadata("salesops-replayed", "1");
  }
  const std::string code = absl::StatusCodeToString(status.code());
  auto [counter, histogram] = MetricsFor(call.method, code);
  counter->Increment();
  histogram->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  if (!status.ok()) {
    LogLevel level = status.code() == absl::StatusCode::kInternal ||
                             status.code() == absl::StatusCode::kUnavailable ||
                             status.code() == absl::StatusCode::kUnknown
                         ? LogLevel::kError
                         : LogLevel::kInfo;
    Log(level, "rpc failed",
        {{"method", call.method},
         {"code", code},
         {"reason", ErrorReason(status)},
         {"error", std::string(status.message())},
         {"member", call.principal.member_id}});
  }
  reactor->Finish(ToGrpcStatus(ForClient(status, call.trace_id)));
}

}  // namespace salesops
