#include "tests/integration/customers_env.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace salesops::testing {

CustomersServer::CustomersServer(std::vector<std::string> extra_args)
    : group_("customers-dir-test-" + UniqueSuffix()), extra_args_(std::move(extra_args)) {
  addr_ = absl::StrCat("127.0.0.1:", FreePort());
  metrics_port_ = FreePort();
}

void CustomersServer::Start() {
  const TestEnv& env = TestEnv::Get();
  std::vector<std::string> args = {
      "--customers_addr=" + addr_,
      absl::StrCat("--metrics_port=", metrics_port_),
      "--redis_addr=" + env.redis_addr,
      "--kafka_bootstrap=" + env.kafka_bootstrap,
      std::string("--jwt_hs256_secret=") + kTestJwtSecret,
      "--customers_directory_group=" + group_,
      "--customers_org_changes_group=" + group_ + "-changes",
      "--customers_jobs_interval=200ms",
      "--outbox_claim_min_idle=2s",
      "--shutdown_drain=2s",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Process>(SALESOPS_CUSTOMERS_SERVER, args,
                                       absl::StrCat(env.tmp, "/customers_server-", group_, ".log"));
  process_->Start();
  channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
  stub_ = salesops::customers::v1::CustomersService::NewStub(channel_);
  const std::string token = Token(Role::kAdmin, "harness", "");
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    salesops::customers::v1::GetCustomerRequest req;
    req.set_name("customers/readiness-probe");
    salesops::customers::v1::GetCustomerResponse resp;
    if (stub_->GetCustomer(&ctx, req, &resp).error_code() == grpc::StatusCode::NOT_FOUND) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "customers_server did not become ready; log:\n" << Logs();
}

void CustomersServer::Stop() {
  if (process_) process_->Signal(SIGTERM);
}

std::string CustomersServer::Logs() const {
  if (!process_) return "";
  std::ifstream in(process_->log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ErrorReasonOf(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::string ViolatedFieldOf(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br) && br.field_violations_size() > 0) return br.field_violations(0).field();
  }
  return "";
}

std::string EventType(const Record& r) {
  auto it = r.headers.find("ce_type");
  return it == r.headers.end() ? "" : it->second;
}

}  // namespace salesops::testing
