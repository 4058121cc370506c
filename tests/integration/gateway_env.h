// A gateway_server child on a free loopback port: plain HTTP (loopback only), the
// org service behind it over mTLS with the gateway's client certificate, the test
// Redis and Kafka as the gateway's own users, no static files. Ready once
// /healthz answers 200; stopped by pid.
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/test_env.h"

namespace salesops::testing {

// What an HTTP call through the gateway answered: the HTTP status (0: no answer,
// e.g. the connection was refused) and the body.
struct HttpAnswer {
  int status = 0;
  std::string body;
};

class GatewayServer {
 public:
  // `org_addr`: the org service the gateway forwards OrgService calls to.
  GatewayServer(std::string org_addr, std::vector<std::string> extra_args = {});
  void Start();
  void Kill9() { process_->Signal(SIGKILL); }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  std::string Logs() const;
  // POSTs a Connect JSON call, e.g. ("/salesops.org.v1.OrgService/CreateMember",
  // R"({"memberId": …})"), with `token` as the bearer token and a 3 s time-out.
  HttpAnswer Call(const std::string& path, const std::string& json, const std::string& token) const;

 private:
  std::string org_addr_;
  std::vector<std::string> extra_args_;
  std::string suffix_;
  int port_;
  int metrics_port_;
  std::unique_ptr<Process> process_;
};

}  // namespace salesops::testing
