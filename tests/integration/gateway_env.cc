#include "tests/integration/gateway_env.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace salesops::testing {

GatewayServer::GatewayServer(std::string org_addr, std::vector<std::string> extra_args)
    : org_addr_(std::move(org_addr)),
      extra_args_(std::move(extra_args)),
      suffix_(UniqueSuffix()),
      port_(FreePort()),
      metrics_port_(FreePort()) {}

void GatewayServer::Start() {
  const TestEnv& env = TestEnv::Get();
  std::vector<std::string> args = {
      absl::StrCat("--gateway_addr=127.0.0.1:", port_),
      absl::StrCat("--metrics_port=", metrics_port_),
      "--org_addr=" + org_addr_,
      "--targets_addr=",
      "--customers_addr=",
      "--performance_addr=",
      "--forecast_addr=",
      "--warning_addr=",
      "--sync_addr=",
      "--web_root=",
      "--redis_addr=" + env.redis_addr,
      "--kafka_bootstrap=" + env.kafka_bootstrap,
      std::string("--jwt_hs256_secret=") + kTestJwtSecret,
      "--tls_ca_file=" + env.tls_dir + "/ca.pem",
      "--tls_client_cert_file=" + env.tls_dir + "/client-gateway.pem",
      "--tls_client_key_file=" + env.tls_dir + "/client-gateway.key",
      "--directory_group=gateway-directory-test-" + suffix_,
      "--lease_namespace=test-" + suffix_,
      "--lease_ttl=2s",
      "--shutdown_drain=2s",
  };
  // The Redis and Kafka users of the gateway; its HTTP side stays plaintext.
  for (const std::string& flag : ServiceSecurityArgs("gateway")) {
    if (flag.rfind("--tls_", 0) != 0) {
      args.push_back(flag);
    }
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Process>(SALESOPS_GATEWAY_SERVER, args,
                                       absl::StrCat(env.tmp, "/gateway_server-", suffix_, ".log"));
  process_->Start();
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(0, 300'000);
  for (int i = 0; i < 200; ++i) {
    if (auto res = client.Get("/healthz"); res && res->status == 200) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "gateway_server did not become ready; log:\n" << Logs();
}

HttpAnswer GatewayServer::Call(const std::string& path, const std::string& json,
                               const std::string& token) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(3, 0);
  client.set_write_timeout(3, 0);
  httplib::Headers headers = {{"Authorization", "Bearer " + token},
                              {"Connect-Protocol-Version", "1"}};
  auto res = client.Post(path, headers, json, "application/json");
  if (!res) {
    return {};
  }
  return {res->status, res->body};
}

std::string GatewayServer::Logs() const { return process_ ? process_->Logs() : ""; }

}  // namespace salesops::testing
