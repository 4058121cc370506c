#include "common/server/server.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace salesops {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return InvalidField(flag, absl::StrCat("cannot read ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServerRunner::ServerRunner(ServerOptions options, MetricsRegistry& metrics)
    : options_(std::move(options)), metrics_(metrics) {}

ServerRunner::~ServerRunner() { Shutdown(); }

void ServerRunner::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

void ServerRunner::OnStop(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }

int ServerRunner::metrics_port() const { return metrics_server_ ? metrics_server_->port() : -1; }

absl::Status ServerRunner::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    auto cert = ReadFile("tls_cert_file", options_.tls_cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile("tls_key_file", options_.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!options_.tls_client_ca_file.empty()) {
      auto ca = ReadFile("tls_client_ca_file", options_.tls_client_ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen_addr, creds, &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_time)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  for (auto& [service, name] : services_) {
    builder.RegisterService(service);
  }
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    return Unavailable("LISTEN_FAILED", absl::StrCat("cannot listen on ", options_.listen_addr));
  }
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (auto& [service, name] : services_) {
    health->SetServingStatus(name, true);
  }
  if (options_.metrics_port >= 0) {
    metrics_server_ = std::make_unique<MetricsHttpServer>(metrics_);
    if (absl::Status s = metrics_server_->Start(options_.metrics_host, options_.metrics_port);
        !s.ok()) {
      return s;
    }
  }
  LogInfo("server listening", {{"grpc_port", port_}, {"metrics_port", metrics_port()}});
  return absl::OkStatus();
}

void ServerRunner::WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  LogInfo("shutdown signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
}

void ServerRunner::Shutdown() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (server_) {
    server_->GetHealthCheckService()->Shutdown();  // health reports NOT_SERVING
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(options_.drain_timeout));
  }
  for (auto& hook : stop_hooks_) {
    hook();
  }
  if (metrics_server_) {
    metrics_server_->Stop();
  }
  LogInfo("stopped");
}

}  // namespace salesops
