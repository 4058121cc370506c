// A sync_server child on a free port, wired to the test Redis and Kafka as the
// service's own users, with consumer groups unique to the instance (or to
// `suffix`: a restarted instance passes its predecessor's and resumes from its
// committed offsets) and the given notification routes file; retries after
// 100 ms so the tests' waits stay short.
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "salesops/sync/v1/sync_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

class SyncServer {
 public:
  SyncServer(std::string routes_file, std::vector<std::string> extra_args = {},
             std::string suffix = "");
  void Start();
  void Stop() { process_.Signal(SIGTERM); }
  void Kill9() { process_.Signal(SIGKILL); }
  const std::string& addr() const { return process_.addr(); }
  int metrics_port() const { return process_.metrics_port(); }
  salesops::sync::v1::SyncService::Stub& stub() { return *stub_; }
  std::string Logs() const { return process_.Logs(); }
  const std::string& suffix() const { return suffix_; }

 private:
  std::string suffix_;
  std::string routes_file_;
  std::vector<std::string> extra_args_;
  ServiceProcess process_;
  std::unique_ptr<salesops::sync::v1::SyncService::Stub> stub_;
};

}  // namespace salesops::testing
