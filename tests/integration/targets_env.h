// A targets_server child on a free port, wired to the test Redis and Kafka.
#pragma once

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
  salesops::targets::v1::TargetsService::Stub& stub() { return *stub_; }
  std::string Logs() const;

 private:
  std::string addr_, suffix_;
  int metrics_port_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<Process> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<salesops::targets::v1::TargetsService::Stub> stub_;
};

}  // namespace salesops::testing
