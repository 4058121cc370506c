#include "services/gateway/http/gateway_http_server.h"

#include <sys/socket.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "httplib.h"
#include "services/gateway/connect/connect_protocol.h"
#include "services/gateway/http/gzip.h"
#include "services/gateway/http/task_queue.h"
#include "services/gateway/stream/sse_format.h"

namespace salesops::gateway {
namespace {

// What one request carries from the pre-routing handler to its handler and to
// the logger: cpp-httplib serves a connection's requests one after the other
// on one thread.
thread_local absl::Time t_start;
thread_local std::string t_accept_encoding;
thread_local std::string t_origin;
thread_local std::string t_route;
thread_local std::string t_code;

constexpr int kGzipLevel = 5;

std::string BearerToken(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (absl::StartsWithIgnoreCase(auth, "bearer ")) {
    return auth.substr(7);
  }
  // EventSource cannot send headers: a browser passes the token as a query
  // parameter (never logged by the gateway; keep tokens short-lived).
  return req.get_param_value("access_token");
}

std::string HttpReason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "no such path";
    case 405:
      return "method not allowed";
    case 413:
      return "request too large";
    case 414:
      return "URI too long";
    case 415:
      return "unsupported content encoding";
    case 416:
      return "range not satisfiable";
    default:
      return absl::StrCat("HTTP ", status);
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

struct GatewayHttpServer::StreamState {
  std::shared_ptr<Subscription> sub;
  std::string token;
  std::string opening;  // written first: retry delay, and a reset when resume failed
  bool opened = false;
  absl::Time next_recheck;
};

GatewayHttpServer::GatewayHttpServer(HttpServerOptions options, const ConnectTranscoder& transcoder,
                                     const MethodRegistry& registry, EventHub* hub,
                                     StreamAuthenticator* auth, CorsPolicy cors, StaticFiles files,
                                     MetricsRegistry& metrics,
                                     std::function<nlohmann::json()> health)
    : options_(std::move(options)),
      transcoder_(transcoder),
      registry_(registry),
      hub_(hub),
      auth_(auth),
      cors_(std::move(cors)),
      files_(std::move(files)),
      metrics_(metrics),
      health_(std::move(health)) {
  metrics_.AddGauge("salesops_gateway_streams", "Open live-stream connections", {},
                    [this] { return streams_.load(); });
}

GatewayHttpServer::~GatewayHttpServer() { Stop(); }

absl::Status GatewayHttpServer::Start() {
  if (!options_.tls_cert_file.empty()) {
    server_ = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                   options_.tls_key_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) {
    return InvalidField("tls_cert_file",
                        absl::StrCat("cannot load ", options_.tls_cert_file, " and ",
                                     options_.tls_key_file, " for HTTPS"));
  }
  const TaskQueueOptions pool{.max_threads = options_.max_threads, .max_queue = options_.max_queue};
  server_->new_task_queue = [pool] { return new ElasticTaskQueue(pool); };
  server_->set_keep_alive_max_count(100000);
  server_->set_keep_alive_timeout(absl::ToInt64Seconds(options_.keep_alive_timeout));
  server_->set_read_timeout(absl::ToInt64Seconds(options_.read_timeout));
  server_->set_write_timeout(absl::ToInt64Seconds(options_.write_timeout));
  server_->set_payload_max_length(options_.max_request_bytes);
  server_->set_tcp_nodelay(true);
  // Only the listening socket goes through this (before bind and listen).
  server_->set_socket_options([this](int sock) {
    httplib::default_socket_options(sock);
    listen_fd_ = sock;
  });

  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_start = absl::Now();
    t_route = "other";
    t_code.clear();
    t_origin = req.get_header_value("Origin");
    // cpp-httplib would compress responses itself (brotli at its slowest
    // setting); the handlers compress, so it must not see Accept-Encoding.
    // The request object is the server's own (not const), so this is sound.
    auto& mutable_req = const_cast<httplib::Request&>(req);
    t_accept_encoding = req.get_header_value("Accept-Encoding");
    mutable_req.headers.erase("Accept-Encoding");
    if (req.method == "OPTIONS") {
      t_route = "preflight";
      CorsPolicy::Answer a =
          cors_.Preflight(t_origin, req.get_header_value("Access-Control-Request-Method"),
                          req.get_header_value("Access-Control-Request-Headers"));
      res.status = a.status;
      for (const auto& [k, v] : a.headers) {
        res.set_header(k, v);
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_->set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    if (res.has_header("Access-Control-Allow-Origin")) {
      return;  // a preflight answer
    }
    for (const auto& [k, v] : cors_.ResponseHeaders(t_origin)) {
      res.set_header(k, v);
    }
  });
  server_->Post(R"(/[^/]+/[^/]+)",
                [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) { HandleRpc(req, res, &reader); });
  server_->Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
    HandleHealth(req, res);
  });
  server_->Get("/v1/stream", [this](const httplib::Request& req, httplib::Response& res) {
    HandleStream(req, res);
  });
  server_->Get(
      ".*", [this](const httplib::Request& req, httplib::Response& res) { HandleGet(req, res); });
  // Anything else (other methods and paths, malformed requests): a JSON error
  // in Connect's shape rather than cpp-httplib's empty body.
  httplib::Server::HandlerWithResponse on_error = [](const httplib::Request&,
                                                     httplib::Response& res) {
    if (!res.body.empty() || res.has_header("Content-Type")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const grpc::StatusCode code = res.status == 404   ? grpc::StatusCode::NOT_FOUND
                                  : res.status == 413 ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                  : res.status >= 500 ? grpc::StatusCode::INTERNAL
                                                      : grpc::StatusCode::INVALID_ARGUMENT;
    res.set_content(ConnectErrorJson(code, HttpReason(res.status)), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  };
  server_->set_error_handler(std::move(on_error));
  server_->set_logger([this](const httplib::Request&, const httplib::Response& res) {
    if (t_route == "stream") {
      return;  // a stream's "latency" is its lifetime
    }
    Record(t_route, t_code.empty() ? absl::StrCat(res.status) : t_code, absl::Now() - t_start);
  });

  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return Unavailable("LISTEN_FAILED",
                       absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
  }
  // cpp-httplib has listened with its compiled-in backlog (5); listening again
  // on the same socket sets ours.
  if (listen_fd_ < 0 || ::listen(listen_fd_, options_.listen_backlog) != 0) {
    return Unavailable("LISTEN_FAILED", absl::StrCat("cannot set the listen backlog on ",
                                                     options_.host, ":", port_));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib's stop() does nothing until its accept loop has started (it
  // checks is_running()), so a Stop() right after Start() would leave the loop
  // in accept() and the join hanging: return once it runs.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server_->is_running()) {
    if (absl::Now() > deadline) {
      return Internal("LISTEN_FAILED", "the HTTP server's accept loop did not start");
    }
    absl::SleepFor(absl::Microseconds(200));
  }
  LogInfo("http listening", {{"http_port", port_},
                             {"tls", options_.tls_cert_file.empty() ? "off" : "on"},
                             {"web_root", files_.enabled() ? "serving" : "absent"}});
  return absl::OkStatus();
}

void GatewayHttpServer::Stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  if (hub_ != nullptr) {
    hub_->CloseAll();  // streams end first: they never finish by themselves
  }
  if (server_) {
    server_->stop();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void GatewayHttpServer::Record(const std::string& route, const std::string& code,
                               absl::Duration took) {
  const std::string key = absl::StrCat(route, "|", code);
  std::pair<Counter*, Histogram*> m;
  {
    absl::MutexLock lock(&metrics_mu_);
    auto it = metric_cache_.find(key);
    if (it == metric_cache_.end()) {
      m = {&metrics_.GetCounter("salesops_http_requests_total",
                                "HTTP requests, by route (RPC path) and Connect code or status",
                                {{"route", route}, {"code", code}}),
           &metrics_.GetHistogram("salesops_http_request_duration_seconds",
                                  "HTTP request latency, by route", {{"route", route}})};
      metric_cache_.emplace(key, m);
    } else {
      m = it->second;
    }
  }
  m.first->Increment();
  m.second->Observe(absl::ToDoubleSeconds(took));
}

void GatewayHttpServer::Send(httplib::Response& res, int status, std::string content_type,
                             std::string body, bool compressible) {
  res.status = status;
  if (compressible) {
    res.set_header("Vary", "Accept-Encoding");
  }
  if (compressible && body.size() >= options_.gzip_min_bytes && AcceptsGzip(t_accept_encoding)) {
    std::string gz = GzipCompress(body, kGzipLevel);
    if (!gz.empty()) {
      body = std::move(gz);
      res.set_header("Content-Encoding", "gzip");
    }
  }
  res.set_content(std::move(body), content_type.c_str());
}

void GatewayHttpServer::ErrorReply(httplib::Response& res, int http_status, grpc::StatusCode code,
                                   absl::string_view message) {
  t_code = std::string(ConnectCodeName(code));
  Send(res, http_status, "application/json", ConnectErrorJson(code, message), false);
}

void GatewayHttpServer::HandleRpc(const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader* reader) {
  t_route = "rpc_unknown";
  std::string body;
  bool over_limit = false;
  if (reader != nullptr) {
    // Counted after cpp-httplib inflated a gzip body: a small compressed
    // request must not grow into a large one.
    const bool read = (*reader)([&](const char* data, size_t n) {
      if (body.size() + n > options_.max_request_bytes) {
        over_limit = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (!read) {
      if (over_limit || res.status == 413) {
        ErrorReply(res, 413, grpc::StatusCode::RESOURCE_EXHAUSTED,
                   absl::StrCat("request body larger than ", options_.max_request_bytes, " bytes"));
      } else if (res.status == 415) {
        ErrorReply(res, 415, grpc::StatusCode::UNIMPLEMENTED,
                   "Content-Encoding must be gzip or identity");
      } else {
        ErrorReply(res, 400, grpc::StatusCode::INVALID_ARGUMENT, "could not read the request body");
      }
      return;
    }
  }
  if (ElasticTaskQueue::ShedThisThread() || stopping_.load()) {
    res.set_header("Retry-After", "1");
    ErrorReply(res, 503, grpc::StatusCode::UNAVAILABLE, "gateway busy; retry with backoff");
    return;
  }
  ConnectRequest cr;
  cr.http_method = req.method == "HEAD" ? "GET" : req.method;
  cr.path = req.path;
  cr.content_type = req.get_header_value("Content-Type");
  cr.protocol_version = req.get_header_value("Connect-Protocol-Version");
  cr.timeout_ms = req.get_header_value("Connect-Timeout-Ms");
  cr.authorization = req.get_header_value("Authorization");
  cr.trace_id = req.get_header_value("X-Trace-Id");
  cr.traceparent = req.get_header_value("Traceparent");
  cr.body = std::move(body);
  ConnectReply reply = transcoder_.Handle(cr);
  t_route = reply.method != nullptr ? reply.method->path : "rpc_unknown";
  t_code = std::string(ConnectCodeName(reply.code));
  for (const auto& [k, v] : reply.headers) {
    res.set_header(k, v);
  }
  const bool json = reply.content_type == "application/json";
  Send(res, reply.http_status, std::move(reply.content_type), std::move(reply.body), json);
}

void GatewayHttpServer::HandleHealth(const httplib::Request&, httplib::Response& res) {
  t_route = "healthz";
  nlohmann::json h = health_ ? health_() : nlohmann::json::object();
  const bool serving = !stopping_.load();
  h["status"] = serving ? "serving" : "stopping";
  res.set_header("Cache-Control", "no-store");
  Send(res, serving ? 200 : 503, "application/json", h.dump(), false);
}

void GatewayHttpServer::HandleGet(const httplib::Request& req, httplib::Response& res) {
  if (registry_.Find(req.path) != nullptr) {
    HandleRpc(req, res, nullptr);  // a GET of an RPC: 405, says the transcoder
    return;
  }
  // API-looking paths never fall through to the dashboard's index.html.
  if (absl::StartsWith(req.path, "/v1/") || absl::StartsWith(req.path, "/salesops.")) {
    ErrorReply(res, 404, grpc::StatusCode::NOT_FOUND, absl::StrCat("no such path ", req.path));
    return;
  }
  std::optional<StaticFiles::File> f = files_.Resolve(req.path);
  if (!f.has_value()) {
    ErrorReply(res, 404, grpc::StatusCode::NOT_FOUND,
               files_.enabled() ? "no such file" : "no web dashboard here (web/dist is empty)");
    return;
  }
  t_route = "static";
  res.set_header("Cache-Control", f->cache_control);
  res.set_header("ETag", f->etag);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (req.get_header_value("If-None-Match") == f->etag) {
    res.status = 304;
    return;
  }
  Send(res, 200, f->content_type, ReadFile(f->path), StaticFiles::Compressible(f->content_type));
}

void GatewayHttpServer::HandleStream(const httplib::Request& req, httplib::Response& res) {
  t_route = "stream";
  if (hub_ == nullptr || auth_ == nullptr) {
    ErrorReply(res, 503, grpc::StatusCode::UNAVAILABLE, "the live stream is off on this gateway");
    return;
  }
  const std::string token = BearerToken(req);
  absl::StatusOr<Viewer> viewer = auth_->Authenticate(token);
  if (!viewer.ok()) {
    const auto code = static_cast<grpc::StatusCode>(viewer.status().code());
    ErrorReply(res, HttpStatusForCode(code), code, viewer.status().message());
    return;
  }
  if (streams_.load() >= options_.max_streams || ElasticTaskQueue::ShedThisThread() ||
      stopping_.load()) {
    res.set_header("Retry-After", "5");
    ErrorReply(res, 503, grpc::StatusCode::UNAVAILABLE, "too many live streams; retry later");
    return;
  }
  std::string last_id = req.get_header_value("Last-Event-ID");
  if (last_id.empty()) {
    last_id = req.get_param_value("lastEventId");
  }
  std::optional<StreamPosition> resume;
  std::string reset_reason;
  if (!last_id.empty()) {
    resume = ParseStreamId(last_id);
    if (!resume.has_value()) {
      reset_reason = "unknown_position";
    }
  }
  ResumeResult resumed;
  auto state = std::make_shared<StreamState>();
  state->sub = hub_->Subscribe(*std::move(viewer), resume, &resumed);
  if (resumed.kind == ResumeResult::Kind::kReset) {
    reset_reason = resumed.reason;
  }
  state->token = token;
  state->opening = RetryFrame(options_.reconnect_delay);
  // A comment first, so a client knows it is subscribed before any event.
  absl::StrAppend(&state->opening, ": subscribed\n\n");
  if (!reset_reason.empty()) {
    absl::StrAppend(&state->opening, ResetFrame(reset_reason));
  }
  state->next_recheck = absl::Now() + options_.heartbeat;
  ++streams_;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // proxies must not hold events back
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, state](size_t, httplib::DataSink& sink) { return Pump(*state, sink); },
      [this, state](bool) {
        hub_->Unsubscribe(state->sub);
        --streams_;
      });
}

bool GatewayHttpServer::Pump(StreamState& st, httplib::DataSink& sink) {
  std::string out;
  if (!st.opened) {
    st.opened = true;
    out = std::move(st.opening);
    return sink.write(out.data(), out.size());
  }
  std::vector<EventPtr> batch;
  const Subscription::State state = st.sub->Next(options_.heartbeat, &batch);
  for (const EventPtr& e : batch) {
    if (e->frame != nullptr) {
      out += e->frame->get();
    }
  }
  bool end = false;
  if (state == Subscription::State::kOverflowed) {
    // Too slow to keep up: it has missed events, so it must reload.
    out += ResetFrame("slow_consumer");
    end = true;
  } else if (state == Subscription::State::kClosed) {
    end = true;  // the gateway is stopping; the browser reconnects elsewhere
  } else {
    // The token is checked again every heartbeat: an expired token, or a
    // member who left or changed role or team, loses the stream.
    if (absl::Now() >= st.next_recheck) {
      st.next_recheck = absl::Now() + options_.heartbeat;
      if (absl::Status s = auth_->Recheck(st.token); !s.ok()) {
        out += ErrorFrame(ConnectCodeName(static_cast<grpc::StatusCode>(s.code())), s.message());
        end = true;
      }
    }
    if (out.empty()) {
      out = HeartbeatFrame();  // Next() waited a heartbeat for nothing
    }
  }
  if (!out.empty() && !sink.write(out.data(), out.size())) {
    return false;  // the client left
  }
  if (end) {
    sink.done();
  }
  return true;
}

}  // namespace salesops::gateway
