// Shared harness for integration tests against the real Redis and Kafka that
// tests/run_tests.sh starts (their addresses arrive in SALESOPS_TEST_*
// environment variables). Starts service binaries as child processes on free
// loopback ports and stops them by pid; reads and writes Kafka topics with
// plain librdkafka clients; mints tokens.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/redis/redis_client.h"
#include "grpcpp/grpcpp.h"
#include "salesops/org/v1/org_service.grpc.pb.h"

namespace salesops::testing {

inline constexpr char kTestJwtSecret[] = "integration-test-secret-0123456789abcdef";

struct TestEnv {
  std::string redis_addr;
  std::string kafka_bootstrap;
  std::string kafka_dir;
  std::string kafka_port;
  std::string controller_port;
  std::string redis_dir;
  std::string tmp;
  // Fails the calling test (with how to run it) when the servers are missing.
  static const TestEnv& Get();
};

int FreePort();
std::string UniqueSuffix();  // short random id for names in one test

std::string Token(Role role, const std::string& member_id, const std::string& org_unit_id,
                  absl::Duration ttl = absl::Hours(1));

// Adds a bearer token to a ClientContext with a 10 s deadline.
void Authorize(grpc::ClientContext& ctx, const std::string& token);

// A child process; stopped with SIGTERM (then SIGKILL) when destroyed.
class Process {
 public:
  Process(std::string binary, std::vector<std::string> args, std::string log_path);
  ~Process();
  void Start();
  // Sends `sig` and waits for the exit; returns the wait status.
  int Signal(int sig);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// A service binary as a child process on a free loopback port, wired to the
// test Redis and Kafka and the test JWT secret; stopped by pid when destroyed.
// The service-specific harnesses (CustomersServer, TargetsServer,
// WarningServer) are thin wrappers around it.
class ServiceProcess {
 public:
  // `addr_flag` e.g. "targets_addr"; `name` prefixes the log file.
  ServiceProcess(std::string binary, std::string addr_flag, std::string name);
  // Starts the binary with the common flags, then `args`, and calls `ready`
  // (e.g. an authenticated Get of a missing resource answering NOT_FOUND)
  // every 100 ms for up to 20 s; fails the test with the log if never ready.
  void Start(const std::vector<std::string>& args, const std::function<bool()>& ready);
  void Signal(int sig);
  const std::string& addr() const { return addr_; }
  int metrics_port() const { return metrics_port_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  std::string Logs() const;

 private:
  std::string binary_, addr_flag_, name_, addr_;
  int metrics_port_;
  std::unique_ptr<Process> process_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A readiness probe for ServiceProcess::Start: `call` is made with an admin
// token and a 500 ms deadline; ready when it answers NOT_FOUND.
std::function<bool()> AnswersNotFound(
    std::function<grpc::Status(grpc::ClientContext*)> call);

// An org_server child on a free port, wired to the test Redis and Kafka.
class OrgServer {
 public:
  // `group`: the headcount consumer group (unique per test unless shared on purpose).
  explicit OrgServer(std::string group = "", std::vector<std::string> extra_args = {});
  void Start();
  void Kill9();
  void Stop();  // SIGTERM, graceful
  const std::string& addr() const { return addr_; }
  int metrics_port() const { return metrics_port_; }
  salesops::org::v1::OrgService::Stub& stub() { return *stub_; }
  const std::string& group() const { return group_; }
  std::string Logs() const;

 private:
  std::string addr_;
  int metrics_port_;
  std::string group_;
  std::unique_ptr<Process> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<salesops::org::v1::OrgService::Stub> stub_;
  std::vector<std::string> extra_args_;
};

// Creates an org unit / member through the org service as an admin (the
// test fails on an error). `kind` and `role` are salesops.org.v1 enum values.
void CreateOrgUnit(OrgServer& org, const std::string& id, int kind, const std::string& parent);
void CreateMember(OrgServer& org, const std::string& id, int role, const std::string& team);

struct Record {
  std::string topic;
  int partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads a topic from its end offsets at construction time onwards.
class TopicReader {
 public:
  TopicReader(const std::string& bootstrap, const std::string& topic);
  ~TopicReader();
  // Collects records matching `match` until `count` are found or `timeout`.
  std::vector<Record> ReadUntil(const std::function<bool(const Record&)>& match, size_t count,
                                absl::Duration timeout);
  // Everything that arrives within `window`.
  std::vector<Record> ReadFor(absl::Duration window);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Produces one record and waits for its delivery.
absl::Status ProduceRaw(const std::string& bootstrap, const std::string& topic,
                        const std::string& key, const std::string& value,
                        const std::vector<std::pair<std::string, std::string>>& headers);

// The local broker of this test run, controlled through deploy/local/kafka.sh.
void StopBroker();
void StartBroker();

// The test Redis, through deploy/local/redis.sh (kill = kill -9).
void KillRedis();
void StartRedis();

// A Redis client on the test Redis.
RedisClient& TestRedis();

}  // namespace salesops::testing
