#include "tests/integration/warning_env.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace salesops::testing {

WarningServer::WarningServer(std::vector<std::string> extra_args)
    : suffix_(UniqueSuffix()), extra_args_(std::move(extra_args)) {
  addr_ = absl::StrCat("127.0.0.1:", FreePort());
  metrics_port_ = FreePort();
}

void WarningServer::Start() {
  const TestEnv& env = TestEnv::Get();
  std::vector<std::string> args = {
      "--warning_addr=" + addr_,
      absl::StrCat("--metrics_port=", metrics_port_),
      "--redis_addr=" + env.redis_addr,
      "--kafka_bootstrap=" + env.kafka_bootstrap,
      std::string("--jwt_hs256_secret=") + kTestJwtSecret,
      "--warning_engine_group=warning-engine-test-" + suffix_,
      "--warning_directory_group=warning-dir-test-" + suffix_,
      "--warning_scan_interval=200ms",
      "--outbox_claim_min_idle=2s",
      "--shutdown_drain=2s",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Process>(SALESOPS_WARNING_SERVER, args,
                                       absl::StrCat(env.tmp, "/warning_server-", suffix_, ".log"));
  process_->Start();
  channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
  stub_ = salesops::warning::v1::WarningService::NewStub(channel_);
  const std::string token = Token(Role::kAdmin, "harness", "");
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    salesops::warning::v1::GetWarningRequest req;
    req.set_name("warnings/readiness-probe");
    salesops::warning::v1::GetWarningResponse resp;
    if (stub_->GetWarning(&ctx, req, &resp).error_code() == grpc::StatusCode::NOT_FOUND) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "warning_server did not become ready; log:\n" << Logs();
}

std::string WarningServer::Logs() const {
  if (!process_) return "";
  std::ifstream in(process_->log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace salesops::testing
