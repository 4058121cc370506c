// The gateway's composition root: builds the adapters, hands them in, and runs
// until SIGTERM/SIGINT. Wiring only; no logic.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/ids/ids.h"
#include "common/kafka/consumer.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/projection/projection_store.h"
#include "common/server/client_credentials.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "services/gateway/connect/grpc_backends.h"
#include "services/gateway/connect/method_registry.h"
#include "services/gateway/connect/transcoder.h"
#include "services/gateway/http/gateway_http_server.h"
#include "services/gateway/store/directory_org_view.h"
#include "services/gateway/store/gateway_keys.h"
#include "services/gateway/stream/kafka_source.h"
#include "services/gateway/stream/stream_auth.h"
#include "services/gateway/stream/stream_feed.h"

ABSL_DECLARE_FLAG(absl::Duration, member_check_ttl);  // common/service/call_guard.cc

ABSL_FLAG(std::string, gateway_addr, "127.0.0.1:8080",
          "HTTP listen address (HTTPS with --tls_cert_file/--tls_key_file; plaintext only on "
          "loopback unless --allow_plaintext)");
// Where each family's service is; empty = not routed (its calls answer unimplemented).
ABSL_FLAG(std::string, org_addr, "127.0.0.1:7101", "gRPC address of the org service");
ABSL_FLAG(std::string, targets_addr, "127.0.0.1:7102", "gRPC address of the targets service");
ABSL_FLAG(std::string, customers_addr, "127.0.0.1:7103", "gRPC address of the customers service");
ABSL_FLAG(std::string, performance_addr, "127.0.0.1:7104",
          "gRPC address of the performance service");
ABSL_FLAG(std::string, forecast_addr, "127.0.0.1:7105", "gRPC address of the forecast service");
ABSL_FLAG(std::string, warning_addr, "127.0.0.1:7106", "gRPC address of the warning engine");
ABSL_FLAG(std::string, sync_addr, "127.0.0.1:7107", "gRPC address of the sync service");
ABSL_FLAG(int, backend_channels, 2, "gRPC connections per backend service");
ABSL_FLAG(int64_t, http_max_request_bytes, 4 * 1024 * 1024,
          "Largest request body (after gzip inflation); larger ones get 413");
ABSL_FLAG(absl::Duration, http_max_deadline, absl::Seconds(30),
          "Longest a call may take, whatever Connect-Timeout-Ms asks");
ABSL_FLAG(int, http_threads, 2048,
          "Most HTTP connections served at once (one thread each, live streams included)");
ABSL_FLAG(int, http_queue, 1024, "Connections waiting for a thread before 503");
ABSL_FLAG(int, http_listen_backlog, 4096,
          "Connections the kernel holds before they are accepted (capped by "
          "net.core.somaxconn): room for a burst of reconnects");
ABSL_FLAG(absl::Duration, http_keep_alive, absl::Seconds(5), "Idle keep-alive connection timeout");
ABSL_FLAG(int64_t, http_gzip_min_bytes, 1024,
          "Responses at least this large are gzipped when the client accepts gzip");
ABSL_FLAG(std::string, cors_origins, "",
          "Comma-separated browser origins allowed to call (e.g. https://dash.example.com), or *");
ABSL_FLAG(std::string, web_root, "web/dist",
          "The web dashboard's files; served for GET paths that are not API routes");
ABSL_FLAG(bool, stream, true, "Serve the live stream (GET /v1/stream) from Kafka");
ABSL_FLAG(std::string, stream_topics,
          "salesops.org.events.v1,salesops.targets.events.v1,salesops.customers.events.v1,"
          "salesops.performance.events.v1,salesops.forecast.events.v1,"
          "salesops.warning.events.v1,salesops.sync.events.v1",
          "Event topics the live stream follows");
ABSL_FLAG(std::string, stream_group, "",
          "Kafka group of this instance's live stream; empty = gateway-stream-<host>-<random>");
ABSL_FLAG(int, stream_ring, 1000, "Recent events kept per partition for Last-Event-ID resume");
ABSL_FLAG(int, stream_queue, 256,
          "Events queued per connection; a client that falls further behind is reset");
ABSL_FLAG(int, stream_max_connections, 1500, "Most live-stream connections at once");
ABSL_FLAG(absl::Duration, stream_heartbeat, absl::Seconds(15),
          "Heartbeat (and token re-check) interval of live streams");
ABSL_FLAG(absl::Duration, stream_org_cache_ttl, absl::Seconds(30),
          "How long the stream remembers a member's team and a unit's region");
ABSL_FLAG(std::string, directory_group, "gateway-directory",
          "Kafka group of the org directory projection (shared by all gateway instances)");
ABSL_FLAG(std::string, directory_topic, "salesops.org.events.v1",
          "Topic the org service publishes on");

namespace {

void RaiseFileLimit() {
  // Thousands of open streams need as many sockets as the hard limit allows.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  salesops::LogInfo("shutdown signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
}

std::vector<std::string> SplitList(const std::string& csv) {
  std::vector<std::string> out;
  for (absl::string_view s : absl::StrSplit(csv, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(s));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::gateway;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv,
                    "SalesOps gateway: every RPC over HTTP (Connect protocol) and the live "
                    "event stream (server-sent events)");
  ServiceSettings settings =
      LoadServiceSettings("gateway", "gateway_addr", absl::GetFlag(FLAGS_gateway_addr));
  ApplyTokenFlags("gateway", settings.jwt);
  RaiseFileLimit();

  ConfigCheck check;
  absl::StatusOr<CorsPolicy> cors = CorsPolicy::Parse(absl::GetFlag(FLAGS_cors_origins));
  if (!cors.ok()) {
    check.Fail("cors_origins", FieldViolations(cors.status()).front().description);
  }
  const int64_t max_body = absl::GetFlag(FLAGS_http_max_request_bytes);
  if (max_body < 1024 || max_body > (int64_t{1} << 30)) {
    check.Fail("http_max_request_bytes", "must be 1 KiB .. 1 GiB");
  }
  if (absl::GetFlag(FLAGS_http_max_deadline) < absl::Seconds(1)) {
    check.Fail("http_max_deadline", "must be at least 1s");
  }
  if (absl::GetFlag(FLAGS_http_threads) < 4) {
    check.Fail("http_threads", "must be >= 4");
  }
  if (absl::GetFlag(FLAGS_http_listen_backlog) < 1) {
    check.Fail("http_listen_backlog", "must be >= 1");
  }
  if (absl::GetFlag(FLAGS_http_queue) < 1) {
    check.Fail("http_queue", "must be >= 1");
  }
  if (absl::GetFlag(FLAGS_backend_channels) < 1 || absl::GetFlag(FLAGS_backend_channels) > 64) {
    check.Fail("backend_channels", "must be 1..64");
  }
  if (absl::GetFlag(FLAGS_stream_ring) < 1) {
    check.Fail("stream_ring", "must be >= 1");
  }
  if (absl::GetFlag(FLAGS_stream_queue) < 1) {
    check.Fail("stream_queue", "must be >= 1");
  }
  if (absl::GetFlag(FLAGS_stream_heartbeat) < absl::Seconds(1)) {
    check.Fail("stream_heartbeat", "must be at least 1s");
  }
  std::map<std::string, std::string> backend_addrs = {
      {"org", absl::GetFlag(FLAGS_org_addr)},
      {"targets", absl::GetFlag(FLAGS_targets_addr)},
      {"customers", absl::GetFlag(FLAGS_customers_addr)},
      {"performance", absl::GetFlag(FLAGS_performance_addr)},
      {"forecast", absl::GetFlag(FLAGS_forecast_addr)},
      {"warning", absl::GetFlag(FLAGS_warning_addr)},
      {"sync", absl::GetFlag(FLAGS_sync_addr)},
  };
  for (const auto& [family, addr] : backend_addrs) {
    if (!addr.empty()) {
      check.HostPort(absl::StrCat(family, "_addr"), addr);
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      MakeChannelCredentials(ClientTlsOptionsFromFlags());
  if (!creds.ok()) {
    std::vector<FieldViolation> v = FieldViolations(creds.status());
    check.Fail(v.empty() ? "tls_ca_file" : v.front().field,
               v.empty() ? std::string(creds.status().message()) : v.front().description);
  }
  check.ExitIfInvalid();
  if (!settings.server.tls_client_ca_file.empty()) {
    LogInfo(
        "tls_client_ca_file is not used: browsers have no client certificates; HTTP "
        "callers authenticate with their bearer token");
  }

  SystemClock clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  if (absl::Status pong = redis.Ping();
      !pong.ok() && ErrorReason(pong) == reason::kRedisAuthFailed) {
    LogError("redis refused our credentials (--redis_user, --redis_password_file)",
             {{"error", std::string(pong.message())}});
    return 2;
  }

  // The org directory projection (shared by all instances, effectively once).
  TransactionalOutbox outbox(redis, OutboxKey());
  ProjectionStore projection_store(outbox, DirectorySeenPrefix());
  org::OrgDirectoryProjection directory_projection(projection_store, redis, kKeyPrefix);
  KafkaSourceOptions directory_options;
  directory_options.bootstrap = settings.kafka_bootstrap;
  directory_options.sasl = settings.kafka_sasl;
  directory_options.group_id = absl::GetFlag(FLAGS_directory_group);
  directory_options.topics = {absl::GetFlag(FLAGS_directory_topic)};
  directory_options.extra = PatientFetch(settings.projection_fetch_wait);
  KafkaSource directory_source(directory_options, [&](const StreamPosition&, const CloudEvent& e) {
    return directory_projection.Handle(e);
  });
  // A reorganisation's events in a few scripts, as the services' directories do.
  directory_source.SetBatchHandler([&](const std::vector<const CloudEvent*>& events) {
    return directory_projection.HandleBatch(events);
  });
  org::OrgDirectory directory(redis, kKeyPrefix);
  DirectoryOrgView org_view(directory, clock, absl::GetFlag(FLAGS_stream_org_cache_ttl));

  // The live stream.
  JwtVerifier verifier(settings.jwt, clock);
  org::DirectoryMemberLookup member_lookup(directory);
  CachingPrincipalResolver resolver(member_lookup, clock, absl::GetFlag(FLAGS_member_check_ttl));
  StreamAuthenticator stream_auth(verifier, &resolver, org_view);
  EventHub hub({.ring_per_partition = static_cast<size_t>(absl::GetFlag(FLAGS_stream_ring)),
                .queue_per_connection = static_cast<size_t>(absl::GetFlag(FLAGS_stream_queue))});
  StreamFeed feed(hub, org_view);
  KafkaSourceOptions live_options;
  live_options.bootstrap = settings.kafka_bootstrap;
  live_options.sasl = settings.kafka_sasl;
  live_options.group_id = absl::GetFlag(FLAGS_stream_group);
  if (live_options.group_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    live_options.group_id = absl::StrCat("gateway-stream-", host, "-", NewUuid().substr(0, 8));
  }
  live_options.topics = SplitList(absl::GetFlag(FLAGS_stream_topics));
  live_options.from_end = true;
  live_options.max_attempts = 1;  // a stream event that does not render never will
  KafkaSource live_source(live_options, [&](const StreamPosition& at, const CloudEvent& e) {
    return feed.Handle(at, e);
  });
  const bool stream_on = absl::GetFlag(FLAGS_stream);

  // Connect calls.
  const MethodRegistry registry = MethodRegistry::FromGeneratedPool(KnownFamilies());
  for (const std::string& family : registry.Families()) {
    LogInfo("routing",
            {{"family", family},
             {"backend", backend_addrs[family].empty() ? "none" : backend_addrs[family]}});
  }
  GrpcBackends backends(backend_addrs, *creds, absl::GetFlag(FLAGS_backend_channels));
  ConnectTranscoder transcoder(registry, backends,
                               {.max_deadline = absl::GetFlag(FLAGS_http_max_deadline)});

  std::string host;
  int port = 0;
  SplitHostPort(settings.server.listen_addr, &host, &port);
  HttpServerOptions http_options;
  http_options.host = host;
  http_options.port = port;
  http_options.tls_cert_file = settings.server.tls_cert_file;
  http_options.tls_key_file = settings.server.tls_key_file;
  http_options.max_request_bytes = static_cast<size_t>(max_body);
  http_options.max_threads = absl::GetFlag(FLAGS_http_threads);
  http_options.max_queue = static_cast<size_t>(absl::GetFlag(FLAGS_http_queue));
  http_options.listen_backlog = absl::GetFlag(FLAGS_http_listen_backlog);
  http_options.keep_alive_timeout = absl::GetFlag(FLAGS_http_keep_alive);
  http_options.gzip_min_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_http_gzip_min_bytes));
  http_options.max_streams = absl::GetFlag(FLAGS_stream_max_connections);
  http_options.heartbeat = absl::GetFlag(FLAGS_stream_heartbeat);
  auto health = [&]() -> nlohmann::json {
    return {{"stream", !stream_on           ? "off"
                       : live_source.live() ? "live"
                                            : "starting"},
            {"directory", directory_source.stats().caught_up.load() ? "caught_up" : "catching_up"},
            {"routes", registry.All().size()}};
  };
  GatewayHttpServer http(http_options, transcoder, registry, stream_on ? &hub : nullptr,
                         stream_on ? &stream_auth : nullptr, *std::move(cors),
                         StaticFiles(absl::GetFlag(FLAGS_web_root)), metrics, health);

  const Labels directory_group = {{"group", directory_options.group_id}};
  metrics.AddGauge("salesops_consumer_lag", "Records behind the partition ends", directory_group,
                   [&] { return directory_source.stats().lag.load(); });
  metrics.AddGauge("salesops_consumer_caught_up",
                   "1 when partitions are assigned and nothing is left to process", directory_group,
                   [&] { return directory_source.stats().caught_up.load(); });
  metrics.AddCounterFn("salesops_consumer_processed_total", "Records processed", directory_group,
                       [&] { return directory_source.stats().processed.load(); });
  metrics.AddCounterFn("salesops_gateway_skipped_records_total",
                       "Records the gateway could not use (undecodable, foreign, failing)",
                       {{"source", "directory"}},
                       [&] { return directory_source.stats().skipped.load(); });
  metrics.AddCounterFn("salesops_gateway_skipped_records_total",
                       "Records the gateway could not use (undecodable, foreign, failing)",
                       {{"source", "stream"}}, [&] { return live_source.stats().skipped.load(); });
  metrics.AddGauge("salesops_gateway_stream_live", "1 when the live stream follows Kafka", {},
                   [&] { return live_source.live() ? 1 : 0; });
  metrics.AddCounterFn("salesops_gateway_stream_events_total", "Events received for the stream", {},
                       [&] { return hub.stats().published; });
  metrics.AddCounterFn("salesops_gateway_stream_deliveries_total",
                       "Events queued to stream connections", {},
                       [&] { return hub.stats().delivered; });
  metrics.AddCounterFn("salesops_gateway_stream_overflows_total",
                       "Connections reset for falling behind", {},
                       [&] { return hub.stats().overflowed; });
  metrics.AddCounterFn("salesops_gateway_stream_resets_total", "Resumes answered with a reset", {},
                       [&] { return hub.stats().resets; });

  if (absl::Status s = directory_source.Start(); !s.ok()) {
    LogError("cannot start the org directory consumer", {{"error", std::string(s.message())}});
    return 2;
  }
  if (stream_on) {
    if (absl::Status s = live_source.Start(); !s.ok()) {
      LogError("cannot start the live stream consumer", {{"error", std::string(s.message())}});
      return 2;
    }
  }
  MetricsHttpServer metrics_server(metrics);
  if (settings.server.metrics_port >= 0) {
    if (absl::Status s =
            metrics_server.Start(settings.server.metrics_host, settings.server.metrics_port);
        !s.ok()) {
      LogError("cannot serve metrics", {{"error", std::string(s.message())}});
      return 2;
    }
  }
  if (absl::Status s = http.Start(); !s.ok()) {
    LogError("cannot serve HTTP", {{"error", std::string(s.message())}});
    return 2;
  }
  LogInfo("gateway service ready", {{"http_port", http.port()},
                                    {"metrics_port", metrics_server.port()},
                                    {"routes", registry.All().size()},
                                    {"stream_group", stream_on ? live_options.group_id : "off"}});
  WaitForShutdownSignal();
  http.Stop();  // streams end, in-flight calls finish
  live_source.Stop();
  directory_source.Stop();
  metrics_server.Stop();
  LogInfo("stopped");
  return 0;
}
