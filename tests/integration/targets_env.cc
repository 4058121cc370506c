#include "tests/integration/targets_env.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace salesops::testing {

TargetsServer::TargetsServer(std::vector<std::string> extra_args)
    : suffix_(UniqueSuffix()), extra_args_(std::move(extra_args)) {
  addr_ = absl::StrCat("127.0.0.1:", FreePort());
  metrics_port_ = FreePort();
}

void TargetsServer::Start() {
  const TestEnv& env = TestEnv::Get();
  std::vector<std::string> args = {
      "--targets_addr=" + addr_,
      absl::StrCat("--metrics_port=", metrics_port_),
      "--redis_addr=" + env.redis_addr,
      "--kafka_bootstrap=" + env.kafka_bootstrap,
      std::string("--jwt_hs256_secret=") + kTestJwtSecret,
      "--targets_attainment_group=targets-att-test-" + suffix_,
      "--targets_directory_group=targets-dir-test-" + suffix_,
      "--targets_org_changes_group=targets-org-test-" + suffix_,
      "--outbox_claim_min_idle=2s",
      "--shutdown_drain=2s",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Process>(SALESOPS_TARGETS_SERVER, args,
                                       absl::StrCat(env.tmp, "/targets_server-", suffix_, ".log"));
  process_->Start();
  channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
  stub_ = salesops::targets::v1::TargetsService::NewStub(channel_);
  const std::string token = Token(Role::kAdmin, "harness", "");
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    salesops::targets::v1::GetPlanRequest req;
    req.set_name("plans/readiness-probe");
    salesops::targets::v1::GetPlanResponse resp;
    if (stub_->GetPlan(&ctx, req, &resp).error_code() == grpc::StatusCode::NOT_FOUND) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "targets_server did not become ready; log:\n" << Logs();
}

std::string TargetsServer::Logs() const {
  if (!process_) return "";
  std::ifstream in(process_->log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace salesops::testing
