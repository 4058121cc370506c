// The baseline for RPC benchmarks: a bare gRPC echo server on the callback API
// with the same server options as the services (ServerRunner), TLS and mTLS
// included (same certificates, so the ratios compare like with like), minus
// Redis, auth and business logic.
//
//   echo_server --addr=127.0.0.1:0 [--tls_cert_file=… --tls_key_file=… --tls_client_ca_file=…]
//   (prints "listening on PORT", stops on SIGTERM)
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/config/config.h"
#include "common/metrics/metrics.h"
#include "common/server/server.h"
#include "salesops/bench/v1/echo_service.grpc.pb.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:0", "listen address");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM server certificate (as the services')");
ABSL_FLAG(std::string, tls_key_file, "", "PEM server private key");
ABSL_FLAG(std::string, tls_client_ca_file, "", "PEM CA for client certificates (mTLS)");

namespace {

class EchoService final : public salesops::bench::v1::EchoService::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const salesops::bench::v1::EchoRequest* req,
                                 salesops::bench::v1::EchoResponse* resp) override {
    resp->set_payload(req->payload());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  salesops::BlockShutdownSignals();
  salesops::ParseFlagsWithEnv(argc, argv, "Echo server (make bench baseline)");
  salesops::MetricsRegistry metrics;
  salesops::ServerOptions opts;
  opts.listen_addr = absl::GetFlag(FLAGS_addr);
  opts.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  opts.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  opts.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  salesops::ServerRunner runner(opts, metrics);
  EchoService service;
  runner.AddService(&service, "salesops.bench.v1.EchoService");
  if (absl::Status s = runner.Start(); !s.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("listening on %d\n", runner.port());
  std::fflush(stdout);
  runner.WaitForShutdownSignal();
  runner.Shutdown();
  return 0;
}
