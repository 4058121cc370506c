// The baseline for RPC benchmarks: a bare gRPC echo server on the callback API
// with the same server options as the services (ServerRunner), minus Redis,
// auth and business logic.
//
//   echo_server --addr=127.0.0.1:0   (prints "listening on PORT", stops on SIGTERM)
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/metrics/metrics.h"
#include "common/server/server.h"
#include "salesops/bench/v1/echo_service.grpc.pb.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:0", "listen address");

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
  absl::ParseCommandLine(argc, argv);
  salesops::MetricsRegistry metrics;
  salesops::ServerOptions opts;
  opts.listen_addr = absl::GetFlag(FLAGS_addr);
  salesops::ServerRunner runner(opts, metrics);
  EchoService service;
  runner.AddService(&service, "salesops.bench.v1.EchoService");
  if (!runner.Start().ok()) return 1;
  std::printf("listening on %d\n", runner.port());
  std::fflush(stdout);
  runner.WaitForShutdownSignal();
  runner.Shutdown();
  return 0;
}
