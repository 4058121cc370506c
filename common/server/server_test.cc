// Transport settings of the gRPC bootstrap that need no certificates: which
// addresses may serve plaintext, reflection switched on and off, and the
// client credentials' configuration errors. TLS and mTLS end to end are in
// tests/integration/infra_security_integration_test.cc.
#include "common/server/server.h"

#include <fstream>
#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/server/client_credentials.h"
#include "common/server/health_check.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "salesops/bench/v1/echo_service.grpc.pb.h"

namespace salesops {
namespace {

using ::testing::HasSubstr;

// Loopback is 127.0.0.0/8, ::1 and localhost; nothing else.
TEST(ServerTransportTest, IsLoopbackHost) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "[::]", "", "10.0.0.1", "127.example.com",
                           "localhost.evil", "127.0.0", "1.127.0.0.1", "[::1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

// Plaintext is refused off loopback, naming allow_plaintext; TLS or the flag make it fine.
TEST(ServerTransportTest, PlaintextOnlyOnLoopback) {
  ServerOptions o;
  for (const char* addr : {"127.0.0.1:7101", "[::1]:7101", "localhost:0", "unix:/tmp/s.sock"}) {
    o.listen_addr = addr;
    EXPECT_TRUE(CheckTransportSecurity(o).ok()) << addr;
  }
  for (const char* addr : {"0.0.0.0:7101", "[::]:7101", "10.1.2.3:7101", "org:7101"}) {
    o.listen_addr = addr;
    absl::Status s = CheckTransportSecurity(o);
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << addr;
    std::vector<FieldViolation> v = FieldViolations(s);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].field, "allow_plaintext");
    EXPECT_THAT(v[0].description, HasSubstr(addr));
  }
  o.listen_addr = "0.0.0.0:7101";
  o.allow_plaintext = true;
  EXPECT_TRUE(CheckTransportSecurity(o).ok());
  o.allow_plaintext = false;
  o.tls_cert_file = "cert.pem";
  o.tls_key_file = "key.pem";
  EXPECT_TRUE(CheckTransportSecurity(o).ok());
}

// The runner itself refuses to start plaintext off loopback (not only the flag check).
TEST(ServerTransportTest, RunnerRefusesPlaintextOffLoopback) {
  MetricsRegistry metrics;
  ServerOptions o;
  o.listen_addr = "0.0.0.0:0";
  ServerRunner runner(o, metrics);
  absl::Status s = runner.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("allow_plaintext"));
}

// /metrics on the gRPC port would share its connections with gRPC (which
// listens with SO_REUSEPORT): refused before either listens.
TEST(ServerTransportTest, RunnerRefusesMetricsOnTheGrpcPort) {
  MetricsRegistry metrics;
  ServerOptions o;
  o.listen_addr = "127.0.0.1:45713";
  o.allow_plaintext = true;
  o.metrics_port = 45713;
  ServerRunner runner(o, metrics);
  absl::Status s = runner.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("metrics_port"));
  EXPECT_EQ(runner.metrics_port(), -1) << "nothing listens";
}

class EchoServer final : public bench::v1::EchoService::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const bench::v1::EchoRequest* req,
                                 bench::v1::EchoResponse* resp) override {
    resp->set_payload(req->payload());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// One reflection request (list_services) as a unary call; its status.
grpc::StatusCode ListServicesByReflection(int port) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  const char kListServices[] = {0x3a, 0x00};
  grpc::Slice slice(kListServices, sizeof(kListServices));
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get().error_code();
}

// --grpc_reflection: served when on, UNIMPLEMENTED when off (the Helm chart runs it off).
TEST(ServerReflectionTest, OnAndOff) {
  for (bool on : {false, true, false}) {
    SCOPED_TRACE(on ? "reflection on" : "reflection off");
    MetricsRegistry metrics;
    ServerOptions o;
    o.reflection = on;
    EchoServer echo;
    ServerRunner runner(o, metrics);
    runner.AddService(&echo, "salesops.bench.v1.EchoService");
    ASSERT_TRUE(runner.Start().ok());
    EXPECT_EQ(ListServicesByReflection(runner.port()),
              on ? grpc::StatusCode::OK : grpc::StatusCode::UNIMPLEMENTED);
    runner.Shutdown();
  }
}

// The probe's check (salesops-health, salesopsctl health): SERVING for the server and
// its services, NOT_FOUND for a service it does not serve, NOT_SERVING once it drains.
TEST(HealthCheckTest, ServingUnknownAndDraining) {
  MetricsRegistry metrics;
  ServerOptions o;
  EchoServer echo;
  ServerRunner runner(o, metrics);
  runner.AddService(&echo, "salesops.bench.v1.EchoService");
  ASSERT_TRUE(runner.Start().ok());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", runner.port()),
                                     grpc::InsecureChannelCredentials());
  const absl::StatusOr<bool> server = CheckHealth(channel, "", absl::Seconds(5));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(*server);
  const absl::StatusOr<bool> echo_service =
      CheckHealth(channel, "salesops.bench.v1.EchoService", absl::Seconds(5));
  ASSERT_TRUE(echo_service.ok()) << echo_service.status();
  EXPECT_TRUE(*echo_service);
  EXPECT_EQ(CheckHealth(channel, "salesops.nope.v1.Nothing", absl::Seconds(5)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CheckHealth(channel, std::string(128, 'x'), absl::Seconds(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
  runner.Shutdown();
  const absl::StatusOr<bool> after = CheckHealth(channel, "", absl::Seconds(1));
  EXPECT_FALSE(after.ok() && *after) << "a stopped server must not report SERVING";
}

ClientTlsOptions Tls(std::string ca, std::string cert, std::string key) {
  return {.ca_file = std::move(ca), .cert_file = std::move(cert), .key_file = std::move(key)};
}

// Client settings: plaintext without a CA; every inconsistency names its flag.
TEST(ClientCredentialsTest, ConfigurationErrorsNameTheFlag) {
  EXPECT_TRUE(MakeChannelCredentials({}).ok());

  auto missing = MakeChannelCredentials(Tls("/nonexistent/ca.pem", "", ""));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("--tls_ca_file (SALESOPS_TLS_CA_FILE): cannot read /nonexistent/ca.pem"));

  const std::string not_pem = ::testing::TempDir() + "/client_credentials_not_pem";
  std::ofstream(not_pem) << "hello\n";
  auto bad = MakeChannelCredentials(Tls(not_pem, "", ""));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("is not PEM"));

  auto half = MakeChannelCredentials(Tls(not_pem, "client.pem", ""));
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(std::string(half.status().message()), HasSubstr("--tls_client_cert_file"));

  auto no_ca = MakeChannelCredentials(Tls("", "c.pem", "k.pem"));
  ASSERT_FALSE(no_ca.ok());
  EXPECT_THAT(std::string(no_ca.status().message()), HasSubstr("--tls_ca_file"));
}

}  // namespace
}  // namespace salesops
