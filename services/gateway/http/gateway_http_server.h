// The gateway's HTTP side (cpp-httplib; TLS with the service certificate, or
// plaintext where the flags allow it):
//
//   POST /<package>.<Service>/<Method>   Connect unary call (ConnectTranscoder)
//   GET  /v1/stream                      server-sent events (EventHub), see README
//   GET  /healthz                        {"status":"serving","stream":"live",…}
//   OPTIONS *                            CORS preflight (--cors_origins)
//   GET  anything else                   the web dashboard (web/dist), else 404
//
// Request bodies are limited (413, also after gzip inflation); responses are
// gzipped when the client accepts it and they are large enough. Every
// response to an allowed origin carries the CORS headers. Metrics:
// salesops_http_requests_total{route,code}, salesops_http_request_duration_seconds{route}.
//
//   GatewayHttpServer http(options, transcoder, registry, &hub, &auth, cors, files, metrics,
//   health); SALESOPS_RETURN_IF_ERROR(http.Start());   // binds, serves on its own thread …
//   http.Stop();   // ends streams, stops accepting, waits for in-flight requests
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "nlohmann/json.hpp"
#include "services/gateway/connect/method_registry.h"
#include "services/gateway/connect/transcoder.h"
#include "services/gateway/http/cors.h"
#include "services/gateway/http/static_files.h"
#include "services/gateway/stream/event_hub.h"
#include "services/gateway/stream/stream_auth.h"

namespace httplib {
class Server;
struct Request;
struct Response;
class ContentReader;
class DataSink;
}  // namespace httplib

namespace salesops::gateway {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see port())
  // Both set: HTTPS. Neither: plaintext (main allows that on loopback only).
  std::string tls_cert_file;
  std::string tls_key_file;
  size_t max_request_bytes = 4 * 1024 * 1024;
  int max_threads = 2048;
  size_t max_queue = 1024;
  // Connections the kernel holds before they are accepted (capped by
  // net.core.somaxconn). Debian's cpp-httplib listens with 5, which a burst of
  // reconnects (every phone after a gateway restart) overflows: the kernel then
  // drops or resets them.
  int listen_backlog = 4096;
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);
  size_t gzip_min_bytes = 1024;
  // Live stream.
  int max_streams = 1500;
  absl::Duration heartbeat = absl::Seconds(15);
  absl::Duration reconnect_delay = absl::Seconds(3);
};

class GatewayHttpServer {
 public:
  // `hub`/`auth` null: no live stream (GET /v1/stream answers 503).
  GatewayHttpServer(HttpServerOptions options, const ConnectTranscoder& transcoder,
                    const MethodRegistry& registry, EventHub* hub, StreamAuthenticator* auth,
                    CorsPolicy cors, StaticFiles files, MetricsRegistry& metrics,
                    std::function<nlohmann::json()> health);
  ~GatewayHttpServer();

  absl::Status Start();
  int port() const { return port_; }
  void Stop();

 private:
  struct StreamState;
  void HandleRpc(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader* reader);
  void HandleStream(const httplib::Request& req, httplib::Response& res);
  void HandleGet(const httplib::Request& req, httplib::Response& res);
  void HandleHealth(const httplib::Request& req, httplib::Response& res);
  bool Pump(StreamState& state, httplib::DataSink& sink);
  // Connect-style JSON error on `res` (also for non-RPC routes).
  void ErrorReply(httplib::Response& res, int http_status, grpc::StatusCode code,
                  absl::string_view message);
  void Send(httplib::Response& res, int status, std::string content_type, std::string body,
            bool compressible);
  void Record(const std::string& route, const std::string& code, absl::Duration took);

  const HttpServerOptions options_;
  const ConnectTranscoder& transcoder_;
  const MethodRegistry& registry_;
  EventHub* hub_;
  StreamAuthenticator* auth_;
  const CorsPolicy cors_;
  const StaticFiles files_;
  MetricsRegistry& metrics_;
  std::function<nlohmann::json()> health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> streams_{0};
  int listen_fd_ = -1;  // the listening socket, recorded as cpp-httplib opens it
  absl::Mutex metrics_mu_;
  absl::flat_hash_map<std::string, std::pair<Counter*, Histogram*>> metric_cache_
      ABSL_GUARDED_BY(metrics_mu_);
};

}  // namespace salesops::gateway
