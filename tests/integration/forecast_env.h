// A forecast_server child on a free port, wired to the test Redis and Kafka,
// its scheduled jobs every 200 ms (the refresh still once per hour).
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

class ForecastServer {
 public:
  explicit ForecastServer(std::vector<std::string> extra_args = {});
  void Start();
  void Kill9() { process_.Signal(SIGKILL); }
  const std::string& addr() const { return process_.addr(); }
  int metrics_port() const { return process_.metrics_port(); }
  salesops::forecast::v1::ForecastService::Stub& stub() { return *stub_; }
  std::string Logs() const { return process_.Logs(); }

 private:
  std::string suffix_;
  std::vector<std::string> extra_args_;
  ServiceProcess process_;
  std::unique_ptr<salesops::forecast::v1::ForecastService::Stub> stub_;
};

}  // namespace salesops::testing
