// A warning_server child on a free port, wired to the test Redis and Kafka.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "salesops/warning/v1/warning_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

class WarningServer {
 public:
  explicit WarningServer(std::vector<std::string> extra_args = {});
  void Start();
  salesops::warning::v1::WarningService::Stub& stub() { return *stub_; }
  int metrics_port() const { return metrics_port_; }
  std::string Logs() const;

 private:
  std::string addr_, suffix_;
  int metrics_port_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<Process> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<salesops::warning::v1::WarningService::Stub> stub_;
};

}  // namespace salesops::testing
