// One load client for every RPC benchmark, so the baseline (bare echo) and the
// service calls are driven identically: async unary calls on a completion
// queue with a fixed number in flight, for a fixed duration, after a warm-up.
// Prints one JSON line: {"target":…,"qps":…,"p50_us":…,"p99_us":…,"errors":…}.
//
//   grpc_load --target=echo      --addr=127.0.0.1:P --concurrency=32 --duration=10s
//   grpc_load --target=org_read  --addr=127.0.0.1:P --token=JWT --unit=orgUnits/X
//   grpc_load --target=org_write --addr=127.0.0.1:P --token=JWT --unit=orgUnits/PARENT
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "grpcpp/grpcpp.h"
#include "salesops/bench/v1/echo_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "tests/bench/load_report.h"

ABSL_FLAG(std::string, target, "echo", "echo, org_read or org_write");
ABSL_FLAG(std::string, addr, "127.0.0.1:7101", "server address");
ABSL_FLAG(std::string, token, "", "bearer token (org targets)");
ABSL_FLAG(std::string, unit, "", "org unit to read, or the parent for writes");
ABSL_FLAG(int, concurrency, 32, "RPCs in flight");
ABSL_FLAG(int, channels, 4, "gRPC channels (connections) the calls are spread over");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "unmeasured time first");
ABSL_FLAG(int, payload_bytes, 256, "echo payload size (match the service responses)");

namespace {

namespace v1 = salesops::org::v1;
namespace bench = salesops::bench::v1;

struct Call {
  grpc::ClientContext ctx;
  grpc::Status status;
  absl::Time start;
  bench::EchoResponse echo_resp;
  v1::GetOrgUnitResponse read_resp;
  v1::CreateOrgUnitResponse write_resp;
  std::unique_ptr<grpc::ClientAsyncResponseReader<bench::EchoResponse>> echo;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetOrgUnitResponse>> read;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::CreateOrgUnitResponse>> write;
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "gRPC load client (make bench)");
  // The same TLS as the services' clients, for the echo baseline too: fair ratios.
  const std::shared_ptr<grpc::ChannelCredentials> creds =
      salesops::ChannelCredentialsFromFlagsOrDie();
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string token = absl::GetFlag(FLAGS_token);
  const std::string unit = absl::GetFlag(FLAGS_unit);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  std::vector<std::unique_ptr<bench::EchoService::Stub>> echo_stubs;
  std::vector<std::unique_ptr<v1::OrgService::Stub>> org_stubs;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("salesops.bench.channel", i);  // distinct args ⇒ distinct connections
    auto ch = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_addr), creds, args);
    echo_stubs.push_back(bench::EchoService::NewStub(ch));
    org_stubs.push_back(v1::OrgService::NewStub(ch));
  }
  bench::EchoRequest echo_req;
  echo_req.set_payload(std::string(absl::GetFlag(FLAGS_payload_bytes), 'x'));
  v1::GetOrgUnitRequest read_req;
  read_req.set_name(unit);
  const std::string run_id = absl::StrCat(absl::ToUnixMicros(absl::Now()));
  std::atomic<int64_t> seq{0};

  grpc::CompletionQueue cq;
  auto start_call = [&](int slot) {
    auto* c = new Call;
    c->start = absl::Now();
    c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) {
      c->ctx.AddMetadata("authorization", "Bearer " + token);
    }
    size_t ch = static_cast<size_t>(slot) % echo_stubs.size();
    if (target == "echo") {
      c->echo = echo_stubs[ch]->AsyncEcho(&c->ctx, echo_req, &cq);
      c->echo->Finish(&c->echo_resp, &c->status, c);
    } else if (target == "org_read") {
      c->read = org_stubs[ch]->AsyncGetOrgUnit(&c->ctx, read_req, &cq);
      c->read->Finish(&c->read_resp, &c->status, c);
    } else {
      v1::CreateOrgUnitRequest req;
      req.set_org_unit_id(absl::StrCat("b", run_id, "-", seq++));
      req.mutable_org_unit()->set_display_name("压测团队");
      req.mutable_org_unit()->set_kind(v1::ORG_UNIT_KIND_TEAM);
      req.mutable_org_unit()->set_parent(unit);
      c->write = org_stubs[ch]->AsyncCreateOrgUnit(&c->ctx, req, &cq);
      c->write->Finish(&c->write_resp, &c->status, c);
    }
  };

  const absl::Time t0 = absl::Now();
  const absl::Time measure_from = t0 + absl::GetFlag(FLAGS_warmup);
  const absl::Time stop_at = measure_from + absl::GetFlag(FLAGS_duration);
  for (int i = 0; i < concurrency; ++i) {
    start_call(i);
  }
  std::vector<int64_t> latencies_us;
  latencies_us.reserve(1 << 20);
  int64_t errors = 0, in_flight = concurrency, slot = concurrency;
  std::string first_error;
  void* tag;
  bool ok;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    auto* c = static_cast<Call*>(tag);
    const absl::Time now = absl::Now();
    if (c->start >= measure_from && now <= stop_at) {
      if (c->status.ok()) {
        latencies_us.push_back(absl::ToInt64Microseconds(now - c->start));
      } else {
        if (first_error.empty()) {
          first_error = c->status.error_message();
        }
        ++errors;
      }
    }
    delete c;
    --in_flight;
    if (now < stop_at) {
      start_call(static_cast<int>(slot++));
      ++in_flight;
    }
  }
  // "started": every call made, the warm-up's and the last in-flight ones included (the
  // work a server-side counter over the whole run saw).
  salesops::bench::PrintLoadLine(target, concurrency,
                                 absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration)), latencies_us,
                                 errors, first_error, absl::StrCat(",\"started\":", slot));
  return errors > 0 && latencies_us.empty() ? 1 : 0;
}
