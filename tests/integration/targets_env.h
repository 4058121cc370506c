// A targets_server child on a free port, wired to the test Redis and Kafka.
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

class TargetsServer {
 public:
  explicit TargetsServer(std::vector<std::string> extra_args = {});
  void Start();
  void Kill9() { process_.Signal(SIGKILL); }
  const std::string& addr() const { return process_.addr(); }
  int metrics_port() const { return process_.metrics_port(); }
  salesops::targets::v1::TargetsService::Stub& stub() { return *stub_; }
  std::string Logs() const { return process_.Logs(); }

 private:
  std::string suffix_;
  std::vector<std::string> extra_args_;
  ServiceProcess process_;
  std::unique_ptr<salesops::targets::v1::TargetsService::Stub> stub_;
};

}  // namespace salesops::testing
