// Shared harness for integration tests against the real Redis and Kafka that
// tests/run_tests.sh starts (their addresses arrive in SALESOPS_TEST_*
// environment variables). Starts service binaries as child processes on free
// loopback ports and stops them by pid; reads and writes Kafka topics with
// plain librdkafka clients; mints tokens.
//
// Nothing runs unauthenticated, as in `make run`: every service serves gRPC
// with TLS and requires client certificates (mTLS, certificates from
// deploy/local/tls.sh), and gets its own Redis ACL user and Kafka SASL user
// (passwords from the servers' instance directories). The harness itself
// calls the services with the tools' client certificate and inspects or
// wipes Redis and Kafka as the admin user.
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
#include "common/kafka/sasl.h"
#include "common/redis/redis_client.h"
#include "common/server/client_credentials.h"
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
  // A 3-node cluster in kafka_dir (make chaos): kafka_bootstrap lists its nodes, and
  // StartBroker() restarts whichever of them is down.
  bool kafka_cluster = false;
  // The single broker's listener that takes client certificates (tls_dir's
  // client-<user>.pem, CN = the Kafka user) instead of SASL; empty on a cluster.
  std::string kafka_mtls_bootstrap;
  std::string redis_dir;
  std::string tls_dir;  // deploy/local/tls.sh output
  std::string tmp;
  // Fails the calling test (with how to run it) when the servers are missing.
  static const TestEnv& Get();
};

// The Redis connection settings of `user` ("admin" or a service) on the test Redis.
RedisOptions RedisAs(const std::string& user);
// The Kafka SASL settings of `user` ("admin" or a service) on the test broker.
KafkaSasl KafkaAs(const std::string& user);
// The Kafka settings of `user` on the client-certificate listener: TLS with the local
// CA and tls_dir's client-<user>.pem (a user without a certificate there: none).
KafkaSasl KafkaCertAs(const std::string& user);
// The tools' TLS client settings (CA + client certificate) and credentials.
ClientTlsOptions ToolTls();
std::shared_ptr<grpc::ChannelCredentials> ToolCredentials();
// A channel to a service of the test, with the tools' credentials and a short
// reconnect backoff (the service may still be starting).
std::shared_ptr<grpc::Channel> TestChannel(const std::string& addr);
// Waits (up to 30 s, then goes on) until every consumer group of the service
// with this metrics port has caught up with its topics
// (salesops_consumer_caught_up): a started service has applied what was
// published before it, as the tests that start it next expect.
void WaitForConsumersCaughtUp(int metrics_port, const std::string& name);
// The value of one series on the service's /metrics page, e.g.
// `salesops_job_runs_total{job="due",service="warning"}` (labels in name order); -1 when the page
// or the series is missing.
double MetricValue(int metrics_port, const std::string& series);
// Waits up to `timeout` until `done` holds for the services' metric values
// (MetricValue of `series` on each port, in order); returns whether it did.
bool WaitForMetrics(const std::vector<int>& metrics_ports, const std::string& series,
                    const std::function<bool(const std::vector<double>&)>& done,
                    absl::Duration timeout);
// The flags that give `service` ("org", "customers", ...) its TLS server
// certificate (mTLS), its Redis user and its Kafka user.
std::vector<std::string> ServiceSecurityArgs(const std::string& service);

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
  // Waits up to `timeout` for the process to exit by itself; its wait status,
  // or -1 if it is still running.
  int WaitForExit(absl::Duration timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // What the process wrote to its log so far.
  std::string Logs() const;

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// A service binary as a child process on a free loopback port, wired to the
// test Redis and Kafka (as its own users) and the test JWT secret, serving
// mTLS; stopped by pid when destroyed. The service-specific harnesses
// (CustomersServer, TargetsServer, WarningServer) are thin wrappers around it.
class ServiceProcess {
 public:
  // `addr_flag` e.g. "targets_addr" (the service is what precedes "_addr");
  // `name` prefixes the log file.
  ServiceProcess(std::string binary, std::string addr_flag, std::string name);
  // Starts the binary with the common flags, then `args`, and calls `ready`
  // (e.g. an authenticated Get of a missing resource answering NOT_FOUND)
  // every 100 ms for up to 20 s; fails the test with the log if never ready.
  // Then waits for its consumers to catch up (WaitForConsumersCaughtUp).
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
std::function<bool()> AnswersNotFound(std::function<grpc::Status(grpc::ClientContext*)> call);

// An org_server child on a free port, wired to the test Redis and Kafka.
class OrgServer {
 public:
  // `group`: the headcount consumer group (unique per test unless shared on purpose).
  explicit OrgServer(std::string group = "", std::vector<std::string> extra_args = {});
  // Listen on `host` (e.g. 0.0.0.0) instead of 127.0.0.1, same port; call before Start.
  void set_listen_host(std::string host) { listen_host_ = std::move(host); }
  void Start();
  void Kill9();
  void Stop();  // SIGTERM, graceful
  const std::string& addr() const { return addr_; }
  int port() const;
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
  std::string listen_host_;
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
  // The consumer's errors so far other than poll timeouts (e.g. an offset
  // reset or a broker transport error), "name×count" each; for failure messages.
  std::string Errors() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Produces one record as the admin user and waits for its delivery.
absl::Status ProduceRaw(const std::string& bootstrap, const std::string& topic,
                        const std::string& key, const std::string& value,
                        const std::vector<std::pair<std::string, std::string>>& headers);
// The same as `sasl`'s user. A refused delivery is PERMISSION_DENIED (authorization)
// or UNAVAILABLE, with librdkafka's error name (e.g. TOPIC_AUTHORIZATION_FAILED)
// in the message.
absl::Status ProduceRawAs(const KafkaSasl& sasl, const std::string& bootstrap,
                          const std::string& topic, const std::string& key,
                          const std::string& value,
                          const std::vector<std::pair<std::string, std::string>>& headers);
// Several records queued together and sent as one (a consumer then most
// likely fetches them in one batch), as the admin user or `sasl`'s.
struct RawRecord {
  std::string key, value;
  std::vector<std::pair<std::string, std::string>> headers;
};
absl::Status ProduceRawMany(const std::string& bootstrap, const std::string& topic,
                            const std::vector<RawRecord>& records);
absl::Status ProduceRawManyAs(const KafkaSasl& sasl, const std::string& bootstrap,
                              const std::string& topic, const std::vector<RawRecord>& records);

// The local broker of this test run, controlled through deploy/local/kafka.sh.
void StopBroker();
void StartBroker();

// The test Redis, through deploy/local/redis.sh (kill = kill -9).
void KillRedis();
void StartRedis();

// A Redis client on the test Redis, as the admin user.
RedisClient& TestRedis();

}  // namespace salesops::testing
