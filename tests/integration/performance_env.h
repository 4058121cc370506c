// A performance_server child on a free port, wired to the test Redis and
// Kafka as the service's own users, with consumer groups unique to the
// instance (a second instance replays the topics from the beginning) and the
// recompute job running every 100 ms.
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

class PerformanceServer {
 public:
  explicit PerformanceServer(std::vector<std::string> extra_args = {});
  void Start();
  void Kill9() { process_.Signal(SIGKILL); }
  void Stop() { process_.Signal(SIGTERM); }
  const std::string& addr() const { return process_.addr(); }
  int metrics_port() const { return process_.metrics_port(); }
  salesops::performance::v1::PerformanceService::Stub& stub() { return *stub_; }
  std::string Logs() const { return process_.Logs(); }
  const std::string& suffix() const { return suffix_; }

 private:
  std::string suffix_;
  std::vector<std::string> extra_args_;
  ServiceProcess process_;
  std::unique_ptr<salesops::performance::v1::PerformanceService::Stub> stub_;
};

}  // namespace salesops::testing
