#include "tests/integration/test_env.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace salesops::testing {

const TestEnv& TestEnv::Get() {
  static const TestEnv* env = [] {
    auto* e = new TestEnv;
    auto get = [](const char* n) {
      const char* v = std::getenv(n);
      return std::string(v ? v : "");
    };
    e->redis_addr = get("SALESOPS_TEST_REDIS_ADDR");
    e->kafka_bootstrap = get("SALESOPS_TEST_KAFKA_BOOTSTRAP");
    e->kafka_dir = get("SALESOPS_TEST_KAFKA_DIR");
    std::string ports = get("SALESOPS_TEST_KAFKA_PORTS");
    auto colon = ports.find(':');
    if (colon != std::string::npos) {
      e->kafka_port = ports.substr(0, colon);
      e->controller_port = ports.substr(colon + 1);
    }
    e->kafka_cluster = get("SALESOPS_TEST_KAFKA_CLUSTER") == "1";
    e->kafka_mtls_bootstrap = get("SALESOPS_TEST_KAFKA_MTLS_BOOTSTRAP");
    e->redis_dir = get("SALESOPS_TEST_REDIS_DIR");
    e->tls_dir = get("SALESOPS_TEST_TLS_DIR");
    e->tmp = get("SALESOPS_TEST_TMP");
    if (e->tmp.empty()) {
      e->tmp = "/tmp";
    }
    return e;
  }();
  if (env->redis_addr.empty() || env->kafka_bootstrap.empty() || env->tls_dir.empty()) {
    ADD_FAILURE() << "integration tests need the test Redis and Kafka and the local TLS files: "
                     "run them with `make test` (tests/run_tests.sh), which starts both and sets "
                     "SALESOPS_TEST_*";
  }
  return *env;
}

namespace {

std::string ReadSecret(const std::string& path) {
  std::ifstream in(path);
  std::string secret;
  std::getline(in, secret);
  EXPECT_FALSE(secret.empty()) << "no password in " << path;
  return secret;
}

std::string RedisPasswordFile(const std::string& user) {
  return absl::StrCat(TestEnv::Get().redis_dir, "/users/", user, ".password");
}

std::string KafkaPasswordFile(const std::string& user) {
  return absl::StrCat(TestEnv::Get().kafka_dir, "/users/", user, ".password");
}

// The local broker offers SCRAM and PLAIN; this librdkafka can only do PLAIN
// with Kafka 4 (see deploy/local/kafka.sh).
constexpr char kKafkaMechanism[] = "PLAIN";

}  // namespace

void WaitForConsumersCaughtUp(int metrics_port, const std::string& name) {
  httplib::Client client("127.0.0.1", metrics_port);
  client.set_connection_timeout(1);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    httplib::Result r = client.Get("/metrics");
    if (!r) {
      return;  // metrics off (e.g. --metrics_port=-1): nothing to go by
    }
    if (r->status == 200) {
      bool all = true;
      for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
        if (absl::StartsWith(line, "salesops_consumer_caught_up{") && !absl::EndsWith(line, " 1")) {
          all = false;
        }
      }
      if (all) {
        return;
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::fprintf(stderr, "%s: consumers not caught up after 30 s; going on\n", name.c_str());
}

double MetricValue(int metrics_port, const std::string& series) {
  httplib::Client client("127.0.0.1", metrics_port);
  client.set_connection_timeout(1);
  httplib::Result r = client.Get("/metrics");
  if (!r || r->status != 200) {
    return -1;
  }
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double v = 0;
      if (absl::SimpleAtod(line, &v)) {
        return v;
      }
    }
  }
  return -1;
}

bool WaitForMetrics(const std::vector<int>& metrics_ports, const std::string& series,
                    const std::function<bool(const std::vector<double>&)>& done,
                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::vector<double> values;
    for (int port : metrics_ports) {
      values.push_back(MetricValue(port, series));
    }
    if (done(values)) {
      return true;
    }
    if (absl::Now() >= deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(50));  // the scrape interval of this barrier
  }
}

std::shared_ptr<grpc::Channel> TestChannel(const std::string& addr) {
  // The channel is made while the server is still starting: its first connection
  // attempts fail, and gRPC's default reconnect backoff (1 s, growing 1.6x) would
  // leave it idle for seconds after the server is up. (Not the minimum backoff: it
  // is also the connect timeout, and a TLS handshake on a busy machine needs time.)
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(addr, ToolCredentials(), args);
}

RedisOptions RedisAs(const std::string& user) {
  RedisOptions opts;
  std::string host;
  int port = 0;
  SplitHostPort(TestEnv::Get().redis_addr, &host, &port);
  opts.host = host;
  opts.port = port;
  opts.user = user;
  opts.password = ReadSecret(RedisPasswordFile(user));
  return opts;
}

KafkaSasl KafkaAs(const std::string& user) {
  KafkaSasl sasl;
  sasl.mechanism = kKafkaMechanism;
  sasl.username = user;
  sasl.password = ReadSecret(KafkaPasswordFile(user));
  return sasl;
}

KafkaSasl KafkaCertAs(const std::string& user) {
  const std::string& dir = TestEnv::Get().tls_dir;
  KafkaSasl tls;
  tls.ca_file = dir + "/ca.pem";
  if (!user.empty()) {
    tls.cert_file = absl::StrCat(dir, "/client-", user, ".pem");
    tls.key_file = absl::StrCat(dir, "/client-", user, ".key");
  }
  return tls;
}

ClientTlsOptions ToolTls() {
  const std::string& dir = TestEnv::Get().tls_dir;
  return {.ca_file = dir + "/ca.pem",
          .cert_file = dir + "/client-tools.pem",
          .key_file = dir + "/client-tools.key"};
}

std::shared_ptr<grpc::ChannelCredentials> ToolCredentials() {
  static const std::shared_ptr<grpc::ChannelCredentials>* creds = [] {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> c = MakeChannelCredentials(ToolTls());
    EXPECT_TRUE(c.ok()) << c.status();
    return new std::shared_ptr<grpc::ChannelCredentials>(
        c.ok() ? *c : grpc::InsecureChannelCredentials());
  }();
  return *creds;
}

std::vector<std::string> ServiceSecurityArgs(const std::string& service) {
  const TestEnv& env = TestEnv::Get();
  return {
      "--tls_cert_file=" + env.tls_dir + "/server.pem",
      "--tls_key_file=" + env.tls_dir + "/server.key",
      "--tls_client_ca_file=" + env.tls_dir + "/ca.pem",
      "--redis_user=" + service,
      "--redis_password_file=" + RedisPasswordFile(service),
      std::string("--kafka_sasl_mechanism=") + kKafkaMechanism,
      "--kafka_user=" + service,
      "--kafka_password_file=" + KafkaPasswordFile(service),
  };
}

int FreePort() {
  // The port is free once its socket is closed, so the kernel may hand it out
  // again: never twice in this process (a server's gRPC and metrics ports once
  // came out equal).
  static absl::Mutex mu(absl::kConstInit);
  static auto* given = new absl::flat_hash_set<int>();
  absl::MutexLock lock(&mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      break;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    close(fd);
    if (!ok) {
      break;
    }
    const int port = ntohs(addr.sin_port);
    if (given->insert(port).second) {
      return port;
    }
  }
  ADD_FAILURE() << "no free loopback port";
  return 0;
}

std::string UniqueSuffix() {
  static absl::BitGen gen;
  return absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen));
}

std::string Token(Role role, const std::string& member_id, const std::string& org_unit_id,
                  absl::Duration ttl) {
  JwtMintOptions opts;
  opts.key = kTestJwtSecret;
  Principal p{member_id, role, org_unit_id};
  auto t = MintJwt(opts, p, ttl, absl::Now());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : "";
}

void Authorize(grpc::ClientContext& ctx, const std::string& token) {
  if (!token.empty()) {
    ctx.AddMetadata("authorization", "Bearer " + token);
  }
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

Process::Process(std::string binary, std::vector<std::string> args, std::string log_path)
    : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}

Process::~Process() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    Signal(SIGKILL);
  }
}

void Process::Start() {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    // The child must see SIGTERM: unblock what the test runner may block.
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, nullptr);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary_.c_str()));
    for (auto& a : args_) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
}

int Process::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;  // reaped: the pid may be reused, never signal it again
      return status;
    }
    if (absl::Now() >= deadline) {
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return -1;
}

int Process::Signal(int sig) {
  if (pid_ <= 0) {
    return 0;
  }
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

OrgServer::OrgServer(std::string group, std::vector<std::string> extra_args)
    : group_(group.empty() ? "org-headcount-test-" + UniqueSuffix() : std::move(group)),
      extra_args_(std::move(extra_args)) {
  int port = FreePort();
  addr_ = absl::StrCat("127.0.0.1:", port);
  metrics_port_ = FreePort();
}

void OrgServer::Start() {
  const TestEnv& env = TestEnv::Get();
  std::vector<std::string> args = {
      "--org_addr=" + (listen_host_.empty() ? addr_ : absl::StrCat(listen_host_, ":", port())),
      absl::StrCat("--metrics_port=", metrics_port_),
      "--redis_addr=" + env.redis_addr,
      "--kafka_bootstrap=" + env.kafka_bootstrap,
      std::string("--jwt_hs256_secret=") + kTestJwtSecret,
      "--org_headcount_group=" + group_,
      "--outbox_claim_min_idle=2s",
      "--shutdown_drain=2s",
      // Servers sharing a headcount group are replicas of one deployment:
      // they share the relay lease too. A dead holder's lease lasts 2 s.
      "--lease_namespace=" + group_,
      "--lease_ttl=2s",
  };
  const std::vector<std::string> security = ServiceSecurityArgs("org");
  args.insert(args.end(), security.begin(), security.end());
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ =
      std::make_unique<Process>(SALESOPS_ORG_SERVER, args,
                                absl::StrCat(env.tmp, "/org_server-", group_, "-", port(), ".log"));
  process_->Start();
  channel_ = TestChannel(addr_);
  stub_ = salesops::org::v1::OrgService::NewStub(channel_);
  // Ready when an authenticated call is answered by the service itself.
  const std::string token = Token(Role::kAdmin, "harness", "");
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    // Wait for the connection within the deadline: the call's thread then drives
    // the TLS handshake (otherwise only gRPC's 5 s backup poller would).
    ctx.set_wait_for_ready(true);
    salesops::org::v1::GetOrgUnitRequest req;
    req.set_name("orgUnits/readiness-probe");
    salesops::org::v1::GetOrgUnitResponse resp;
    grpc::Status s = stub_->GetOrgUnit(&ctx, req, &resp);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      WaitForConsumersCaughtUp(metrics_port_, "org_server");
      return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "org_server did not become ready; log:\n" << Logs();
}

ServiceProcess::ServiceProcess(std::string binary, std::string addr_flag, std::string name)
    : binary_(std::move(binary)),
      addr_flag_(std::move(addr_flag)),
      name_(std::move(name)),
      addr_(absl::StrCat("127.0.0.1:", FreePort())),
      metrics_port_(FreePort()) {}

void ServiceProcess::Start(const std::vector<std::string>& extra,
                           const std::function<bool()>& ready) {
  const TestEnv& env = TestEnv::Get();
  std::vector<std::string> args = {
      absl::StrCat("--", addr_flag_, "=", addr_),
      absl::StrCat("--metrics_port=", metrics_port_),
      "--redis_addr=" + env.redis_addr,
      "--kafka_bootstrap=" + env.kafka_bootstrap,
      std::string("--jwt_hs256_secret=") + kTestJwtSecret,
      "--outbox_claim_min_idle=2s",
      "--shutdown_drain=2s",
      // Each server is its own deployment (its jobs run on its business
      // clock) unless the test passes a shared --lease_namespace after these.
      "--lease_namespace=test-" + UniqueSuffix(),
      "--lease_ttl=2s",
  };
  const std::string service = addr_flag_.substr(0, addr_flag_.rfind("_addr"));
  const std::vector<std::string> security = ServiceSecurityArgs(service);
  args.insert(args.end(), security.begin(), security.end());
  args.insert(args.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(binary_, args, absl::StrCat(env.tmp, "/", name_, ".log"));
  process_->Start();
  channel_ = TestChannel(addr_);
  for (int i = 0; i < 200; ++i) {
    if (ready()) {
      WaitForConsumersCaughtUp(metrics_port_, name_);
      return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << name_ << " did not become ready; log:\n" << Logs();
}

void ServiceProcess::Signal(int sig) {
  if (process_) {
    process_->Signal(sig);
  }
}

std::string Process::Logs() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ServiceProcess::Logs() const { return process_ ? process_->Logs() : ""; }

std::function<bool()> AnswersNotFound(std::function<grpc::Status(grpc::ClientContext*)> call) {
  return [call = std::move(call)] {
    grpc::ClientContext ctx;
    Authorize(ctx, Token(Role::kAdmin, "harness", ""));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    // Wait for the connection within the deadline: the call's thread then drives
    // the TLS handshake (otherwise only gRPC's 5 s backup poller would).
    ctx.set_wait_for_ready(true);
    return call(&ctx).error_code() == grpc::StatusCode::NOT_FOUND;
  };
}

void CreateOrgUnit(OrgServer& org, const std::string& id, int kind, const std::string& parent) {
  grpc::ClientContext ctx;
  Authorize(ctx, Token(Role::kAdmin, "admin", ""));
  salesops::org::v1::CreateOrgUnitRequest req;
  req.set_org_unit_id(id);
  req.mutable_org_unit()->set_display_name(id);
  req.mutable_org_unit()->set_kind(static_cast<salesops::org::v1::OrgUnitKind>(kind));
  if (!parent.empty()) {
    req.mutable_org_unit()->set_parent("orgUnits/" + parent);
  }
  salesops::org::v1::CreateOrgUnitResponse resp;
  grpc::Status s = org.stub().CreateOrgUnit(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
}

void CreateMember(OrgServer& org, const std::string& id, int role, const std::string& team) {
  grpc::ClientContext ctx;
  Authorize(ctx, Token(Role::kAdmin, "admin", ""));
  salesops::org::v1::CreateMemberRequest req;
  req.set_member_id(id);
  req.mutable_member()->set_display_name("销售" + id);
  req.mutable_member()->set_email(id + "@example.com");
  req.mutable_member()->set_role(static_cast<salesops::org::v1::Role>(role));
  req.mutable_member()->set_department(salesops::org::v1::DEPARTMENT_SALES);
  req.mutable_member()->set_org_unit("orgUnits/" + team);
  salesops::org::v1::CreateMemberResponse resp;
  grpc::Status s = org.stub().CreateMember(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
}

void OrgServer::Kill9() { process_->Signal(SIGKILL); }
void OrgServer::Stop() { process_->Signal(SIGTERM); }

std::string OrgServer::Logs() const { return process_ ? process_->Logs() : ""; }

struct TopicReader::Impl {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::map<std::string, int> errors;
};

TopicReader::TopicReader(const std::string& bootstrap, const std::string& topic)
    : impl_(std::make_unique<Impl>()) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  for (const auto& [k, v] : KafkaSaslProperties(KafkaAs("admin"))) {
    conf->set(k, v, err);
  }
  conf->set("group.id", "test-reader-" + UniqueSuffix(), err);
  conf->set("enable.auto.commit", "false", err);
  impl_->consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  EXPECT_TRUE(impl_->consumer) << err;
  // Assign every partition at its current end, so only new records are read.
  RdKafka::Metadata* md = nullptr;
  std::unique_ptr<RdKafka::Topic> t(
      RdKafka::Topic::create(impl_->consumer.get(), topic, nullptr, err));
  if (impl_->consumer->metadata(false, t.get(), &md, 10000) != RdKafka::ERR_NO_ERROR) {
    ADD_FAILURE() << "no metadata for topic " << topic;
    return;
  }
  std::unique_ptr<RdKafka::Metadata> md_owner(md);
  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto* tm : *md->topics()) {
    for (const auto* pm : *tm->partitions()) {
      int64_t low = 0, high = 0;
      impl_->consumer->query_watermark_offsets(topic, pm->id(), &low, &high, 10000);
      parts.push_back(RdKafka::TopicPartition::create(topic, pm->id(), high));
    }
  }
  EXPECT_FALSE(parts.empty()) << "topic " << topic << " has no partitions";
  impl_->consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
}

TopicReader::~TopicReader() {
  if (impl_->consumer) {
    impl_->consumer->close();
  }
}

std::vector<Record> TopicReader::ReadUntil(const std::function<bool(const Record&)>& match,
                                           size_t count, absl::Duration timeout) {
  std::vector<Record> out;
  absl::Time deadline = absl::Now() + timeout;
  while (out.size() < count && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(impl_->consumer->consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF) {
        ++impl_->errors[absl::StrCat(RdKafka::err2str(m->err()), " (partition ", m->partition(),
                                     ")")];
      }
      continue;
    }
    Record r;
    r.topic = m->topic_name();
    r.partition = m->partition();
    r.offset = m->offset();
    r.key = m->key() ? *m->key() : "";
    r.value.assign(static_cast<const char*>(m->payload()), m->len());
    if (const RdKafka::Headers* h = m->headers()) {
      for (const auto& hd : h->get_all()) {
        r.headers[hd.key()] = std::string(static_cast<const char*>(hd.value()), hd.value_size());
      }
    }
    if (match(r)) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::string TopicReader::Errors() const {
  std::string out;
  for (const auto& [error, count] : impl_->errors) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", error, "×", count);
  }
  return out.empty() ? "none" : out;
}

std::vector<Record> TopicReader::ReadFor(absl::Duration window) {
  return ReadUntil([](const Record&) { return true; }, SIZE_MAX, window);
}

int OrgServer::port() const {
  std::string host;
  int port = 0;
  SplitHostPort(addr_, &host, &port);
  return port;
}

absl::Status ProduceRaw(const std::string& bootstrap, const std::string& topic,
                        const std::string& key, const std::string& value,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  return ProduceRawAs(KafkaAs("admin"), bootstrap, topic, key, value, headers);
}

namespace {

// Counts delivery reports and keeps the first failure's error.
class Deliveries : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    ++reports;
    if (err == RdKafka::ERR_NO_ERROR || err == RdKafka::ERR__STATE) {
      err = message.err();  // the first failure stays
    }
  }
  RdKafka::ErrorCode err = RdKafka::ERR__STATE;  // no report yet
  size_t reports = 0;
};

}  // namespace

absl::Status ProduceRawAs(const KafkaSasl& sasl, const std::string& bootstrap,
                          const std::string& topic, const std::string& key,
                          const std::string& value,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  return ProduceRawManyAs(sasl, bootstrap, topic, {RawRecord{key, value, headers}});
}

absl::Status ProduceRawMany(const std::string& bootstrap, const std::string& topic,
                            const std::vector<RawRecord>& records) {
  return ProduceRawManyAs(KafkaAs("admin"), bootstrap, topic, records);
}

absl::Status ProduceRawManyAs(const KafkaSasl& sasl, const std::string& bootstrap,
                              const std::string& topic, const std::vector<RawRecord>& records) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  for (const auto& [k, v] : KafkaSaslProperties(sasl)) {
    conf->set(k, v, err);
  }
  conf->set("enable.idempotence", "true", err);  // as the services' producers
  conf->set("message.timeout.ms", "15000", err);
  // Records queued together go out together (one request when they fit).
  conf->set("linger.ms", "50", err);
  Deliveries delivery;
  conf->set("dr_cb", &delivery, err);
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  if (!p) {
    return absl::InternalError(err);
  }
  for (const RawRecord& r : records) {
    RdKafka::Headers* h = RdKafka::Headers::create();
    for (const auto& [k, v] : r.headers) {
      h->add(k, v.data(), v.size());
    }
    RdKafka::ErrorCode code =
        p->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                   const_cast<char*>(r.value.data()), r.value.size(), r.key.data(), r.key.size(), 0,
                   h, nullptr);
    if (code != RdKafka::ERR_NO_ERROR) {
      delete h;
      // Nothing still queued goes out after the caller saw the error (records
      // already sent may still land).
      p->purge(RdKafka::Producer::PURGE_QUEUE);
      return absl::UnavailableError(RdKafka::err2str(code));
    }
  }
  if (p->flush(20000) != RdKafka::ERR_NO_ERROR || p->outq_len() > 0) {
    return absl::UnavailableError("not delivered");
  }
  if (delivery.err == RdKafka::ERR_NO_ERROR && delivery.reports == records.size()) {
    return absl::OkStatus();
  }
  // An idempotent producer that may write no topic at all cannot even get a
  // producer id: a fatal error, and its records are purged. Report the cause.
  std::string fatal;
  if (RdKafka::ErrorCode cause = p->fatal_error(fatal); cause != RdKafka::ERR_NO_ERROR) {
    delivery.err = cause;
  }
  const std::string why =
      absl::StrCat(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(delivery.err)), ": ",
                   RdKafka::err2str(delivery.err));
  if (delivery.err == RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED ||
      delivery.err == RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED ||
      delivery.err == RdKafka::ERR__AUTHENTICATION) {
    return absl::PermissionDeniedError(why);
  }
  return absl::UnavailableError(why);
}

namespace {
void Script(const std::string& script, const std::string& args) {
  const std::string cmd =
      absl::StrCat(SALESOPS_SOURCE_DIR, "/deploy/local/", script, " ", args, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}
void KafkaScript(const std::string& args) { Script("kafka.sh", args); }
}  // namespace

void KillRedis() { Script("redis.sh", "kill " + TestEnv::Get().redis_dir); }
void StartRedis() {
  const TestEnv& env = TestEnv::Get();
  Script("redis.sh", absl::StrCat("start ", env.redis_dir, " ",
                                  env.redis_addr.substr(env.redis_addr.rfind(':') + 1)));
}

void StopBroker() { KafkaScript("stop " + TestEnv::Get().kafka_dir); }
void StartBroker() {
  const TestEnv& env = TestEnv::Get();
  if (env.kafka_cluster) {
    KafkaScript("start-cluster " + env.kafka_dir);
    return;
  }
  KafkaScript(absl::StrCat("start ", env.kafka_dir, " ", env.kafka_port, " ", env.controller_port));
}

RedisClient& TestRedis() {
  static RedisClient* client = new RedisClient(RedisAs("admin"));
  return *client;
}

}  // namespace salesops::testing
