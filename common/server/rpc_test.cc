// The per-call guard end to end in one process: a real gRPC server whose
// handler runs through RpcRunner, called over loopback by a real client.
#include "common/server/rpc.h"

#include <memory>

#include "absl/synchronization/mutex.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "salesops/bench/v1/echo_service.grpc.pb.h"

namespace salesops {
namespace {

constexpr char kSecret[] = "rpc-guard-test-secret-0123456789abcdef";

class FixedLookup final : public MemberLookup {
 public:
  absl::StatusOr<std::optional<CurrentMember>> Lookup(const std::string& id) override {
    if (id == "gone") {
      return CurrentMember{Role::kRep, "team-1", true};
    }
    return std::nullopt;
  }
};

// Echo through the guard; the payload picks what the handler does. With
// `async`, through RunAsync, answered on another thread (as a RedisMux reader
// answers): "internal" fails, "throw" throws before answering, "twice"
// answers twice (the second is ignored).
class GuardedEcho final : public salesops::bench::v1::EchoService::CallbackService {
 public:
  GuardedEcho(RpcRunner& rpc, WorkerPool* answers) : rpc_(rpc), answers_(answers) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const salesops::bench::v1::EchoRequest* req,
                                 salesops::bench::v1::EchoResponse* resp) override {
    if (answers_ != nullptr) {
      return rpc_.RunAsync(ctx, "Echo",
                           [this, req, resp](const CallContext& call, RpcRunner::Done done) {
                             if (req->payload() == "throw") {
                               throw std::runtime_error("secret detail");
                             }
                             Remember(call);
                             ASSERT_TRUE(answers_->TrySubmit([req, resp, done] {
                               // Nothing of the call may be touched once answered.
                               const bool twice = req->payload() == "twice";
                               done(Answer(*req, resp));
                               if (twice) {
                                 done(Internal("SECOND", "answered twice"));
                               }
                             }));
                           });
    }
    return rpc_.Run(ctx, "Echo", [this, req, resp](const CallContext& call) -> absl::Status {
      if (req->payload() == "throw") {
        throw std::runtime_error("secret detail");
      }
      Remember(call);
      return Answer(*req, resp);
    });
  }
  absl::Time last_deadline() {
    absl::MutexLock lock(&mu_);
    return last_deadline_;
  }

 private:
  void Remember(const CallContext& call) {
    absl::MutexLock lock(&mu_);
    last_deadline_ = call.deadline;
  }
  static absl::Status Answer(const salesops::bench::v1::EchoRequest& req,
                             salesops::bench::v1::EchoResponse* resp) {
    if (req.payload() == "internal") {
      return Internal("SCRIPT_FAILED", "ERR script failed at redis 10.0.0.5:6380");
    }
    resp->set_payload(req.payload());
    return absl::OkStatus();
  }

  RpcRunner& rpc_;
  WorkerPool* answers_;
  absl::Mutex mu_;
  absl::Time last_deadline_;
};

// Every test runs both ways: Run (the handler on the pool) and RunAsync.
class RpcGuardTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    JwtVerifierOptions o;
    o.hs256_secret = kSecret;
    o.audience = ServiceAudience("org");
    verifier_ = std::make_unique<JwtVerifier>(o, clock_);
    MethodPolicy policy;
    policy.AllowAll("Echo");
    rpc_ = std::make_unique<RpcRunner>("test", *verifier_, policy, metrics_, &workers_);
    rpc_->SetMaxDuration(absl::Seconds(30));
    rpc_->SetAsyncReadsNonBlocking(true);  // the test's answers never block a thread
    service_ = std::make_unique<GuardedEcho>(*rpc_, GetParam() ? &answers_ : nullptr);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = salesops::bench::v1::EchoService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Token(const std::string& sub, Role role = Role::kRep) {
    return *MintJwt({.key = kSecret}, {sub, role, "team-1"}, absl::Hours(1), absl::Now());
  }
  grpc::Status Call(const std::string& payload, const std::string& token,
                    absl::Duration deadline = absl::Seconds(10)) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    salesops::bench::v1::EchoRequest req;
    req.set_payload(payload);
    salesops::bench::v1::EchoResponse resp;
    return stub_->Echo(&ctx, req, &resp);
  }

  SystemClock clock_;
  MetricsRegistry metrics_;
  WorkerPool workers_{2, 100};
  WorkerPool answers_{2, 100};
  std::unique_ptr<JwtVerifier> verifier_;
  std::unique_ptr<RpcRunner> rpc_;
  std::unique_ptr<GuardedEcho> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<salesops::bench::v1::EchoService::Stub> stub_;
  int port_ = 0;
};

// Internal error text (addresses, script errors, exception messages) stays in
// the log; the client gets INTERNAL with the trace id to quote.
TEST_P(RpcGuardTest, InternalErrorTextNotSent) {
  for (const char* payload : {"internal", "throw"}) {
    grpc::Status s = Call(payload, Token("rep-1"));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << payload;
    EXPECT_EQ(s.error_message().find("10.0.0.5"), std::string::npos) << s.error_message();
    EXPECT_EQ(s.error_message().find("secret detail"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find("trace id"), std::string::npos) << s.error_message();
    EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "INTERNAL");
  }
}

// After its burst a caller is refused with RATE_LIMITED; another caller is not.
TEST_P(RpcGuardTest, RateLimitedPerCaller) {
  PrincipalRateLimiter limiter({.per_second = 0.001, .burst = 3}, clock_);
  rpc_->SetRateLimiter(&limiter);
  const std::string a = Token("rep-a");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Call("x", a).ok()) << i;
  }
  grpc::Status s = Call("x", a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "RATE_LIMITED");
  EXPECT_TRUE(Call("x", Token("rep-b")).ok());
  rpc_->SetRateLimiter(nullptr);
}

// A member the org says has left is refused even with a valid signature.
TEST_P(RpcGuardTest, LeftMemberRefused) {
  FixedLookup lookup;
  CachingPrincipalResolver resolver(lookup, clock_, absl::Seconds(1));
  rpc_->SetPrincipalResolver(&resolver);
  grpc::Status s = Call("x", Token("gone"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "MEMBER_LEFT");
  EXPECT_TRUE(Call("x", Token("still-here")).ok());
  rpc_->SetPrincipalResolver(nullptr);
}

// The handler's deadline is the client's when shorter, else the server's bound.
TEST_P(RpcGuardTest, DeadlineBounded) {
  const absl::Time before = absl::Now();
  ASSERT_TRUE(Call("x", Token("rep-1"), absl::Seconds(2)).ok());
  EXPECT_LE(service_->last_deadline(), before + absl::Seconds(3));
  EXPECT_GE(service_->last_deadline(), before + absl::Seconds(1));
  ASSERT_TRUE(Call("x", Token("rep-1"), absl::Hours(1)).ok());
  EXPECT_LE(service_->last_deadline(), absl::Now() + absl::Seconds(31));
}

// A token for another service's audience is refused by this one.
TEST_P(RpcGuardTest, OtherAudienceRefused) {
  const std::string t = *MintJwt({.key = kSecret, .audiences = {"salesops.customers"}},
                                 {"rep-1", Role::kRep, "team-1"}, absl::Hours(1), absl::Now());
  grpc::Status s = Call("x", t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "TOKEN_AUDIENCE_REJECTED");
}

// RunAsync: an answer given twice finishes the call once, with the first.
TEST_P(RpcGuardTest, AnsweredOnce) {
  if (!GetParam()) {
    GTEST_SKIP() << "RunAsync only";
  }
  EXPECT_TRUE(Call("twice", Token("rep-1")).ok());
  EXPECT_TRUE(Call("x", Token("rep-1")).ok());
}

// RunAsync checks the caller on the pool when the resolver must look the
// member up, inline once the answer is cached: one lookup, both refused or
// both served.
TEST_P(RpcGuardTest, ResolverLooksUpOnceThenAnswersFromCache) {
  class CountingLookup final : public MemberLookup {
   public:
    absl::StatusOr<std::optional<CurrentMember>> Lookup(const std::string& id) override {
      absl::MutexLock lock(&mu);
      ++lookups;
      if (id == "gone") {
        return CurrentMember{Role::kRep, "team-1", true};
      }
      return std::nullopt;
    }
    absl::Mutex mu;
    int lookups = 0;
  } lookup;
  CachingPrincipalResolver resolver(lookup, clock_, absl::Hours(1));
  rpc_->SetPrincipalResolver(&resolver);
  for (int i = 0; i < 2; ++i) {
    grpc::Status s = Call("x", Token("gone"));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
    EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "MEMBER_LEFT") << i;
    EXPECT_TRUE(Call("x", Token("here")).ok()) << i;
  }
  {
    absl::MutexLock lock(&lookup.mu);
    EXPECT_EQ(lookup.lookups, 2);
  }
  rpc_->SetPrincipalResolver(nullptr);
}

INSTANTIATE_TEST_SUITE_P(RunAndRunAsync, RpcGuardTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "RunAsync" : "Run";
                         });

}  // namespace
}  // namespace salesops
