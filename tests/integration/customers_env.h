// Harness for the customers service's integration tests: a customers_server
// child on a free port wired to the test Redis and Kafka, with its scheduled
// jobs running every 200 ms, plus small helpers for rich errors and events.
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

class CustomersServer {
 public:
  explicit CustomersServer(std::vector<std::string> extra_args = {});
  void Start();
  void Stop() { process_.Signal(SIGTERM); }
  void Kill9() { process_.Signal(SIGKILL); }
  int metrics_port() const { return process_.metrics_port(); }
  const std::string& addr() const { return process_.addr(); }
  salesops::customers::v1::CustomersService::Stub& stub() { return *stub_; }
  std::string Logs() const { return process_.Logs(); }

 private:
  std::string group_;
  std::vector<std::string> extra_args_;
  ServiceProcess process_;
  std::unique_ptr<salesops::customers::v1::CustomersService::Stub> stub_;
};

// ErrorInfo reason and first BadRequest field of a failed call ("" if none).
std::string ErrorReasonOf(const grpc::Status& s);
std::string ViolatedFieldOf(const grpc::Status& s);

// The CloudEvent type header of a record ("" if none).
std::string EventType(const Record& r);

}  // namespace salesops::testing
