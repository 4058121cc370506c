#include "common/server/server.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"

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

// Linking grpc++_reflection registers its plugin for every ServerBuilder (a
// static initializer in the library), so switching reflection off means
// taking the plugin out of this builder.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return dynamic_cast<const grpc::reflection::ProtoServerReflectionPlugin*>(p.get()) != nullptr;
    });
  }
};

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) {
      return false;
    }
  }
  if (host == "::1" || absl::AsciiStrToLower(host) == "localhost") {
    return true;
  }
  // 127.0.0.0/8: four decimal octets, the first 127.
  if (!absl::StartsWith(host, "127.")) {
    return false;
  }
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

absl::Status CheckTransportSecurity(const ServerOptions& options) {
  const bool tls = !options.tls_cert_file.empty() && !options.tls_key_file.empty();
  if (tls || options.allow_plaintext) {
    return absl::OkStatus();
  }
  if (absl::StartsWith(options.listen_addr, "unix:")) {
    return absl::OkStatus();  // local socket
  }
  std::string host;
  int port = 0;
  if (SplitHostPort(options.listen_addr, &host, &port) && IsLoopbackHost(host)) {
    return absl::OkStatus();
  }
  return InvalidField("allow_plaintext",
                      absl::StrCat("refusing plaintext gRPC on ", options.listen_addr,
                                   " (not loopback): set --tls_cert_file and --tls_key_file, or "
                                   "--allow_plaintext if something else encrypts the traffic"));
}

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
  if (absl::Status s = CheckTransportSecurity(options_); !s.ok()) {
    return s;
  }
  // gRPC listens with SO_REUSEPORT: on one port with /metrics, both would
  // listen and the kernel would share the connections out between them.
  std::string grpc_host;
  int grpc_port = 0;
  if (options_.metrics_port > 0 && SplitHostPort(options_.listen_addr, &grpc_host, &grpc_port) &&
      grpc_port == options_.metrics_port) {
    return InvalidField("metrics_port",
                        absl::StrCat("must differ from the gRPC port (both ", grpc_port, ")"));
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  if (options_.reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  } else {
    builder.SetOption(std::make_unique<WithoutReflection>());
  }
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    auto cert = ReadFile("tls_cert_file", options_.tls_cert_file);
    if (!cert.ok()) {
      return cert.status();
    }
    auto key = ReadFile("tls_key_file", options_.tls_key_file);
    if (!key.ok()) {
      return key.status();
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!options_.tls_client_ca_file.empty()) {
      auto ca = ReadFile("tls_client_ca_file", options_.tls_client_ca_file);
      if (!ca.ok()) {
        return ca.status();
      }
      ssl.pem_root_certs = *ca;
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
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
  LogInfo("server listening", {{"grpc_port", port_},
                               {"tls", options_.tls_cert_file.empty()        ? "off"
                                       : options_.tls_client_ca_file.empty() ? "on"
                                                                             : "mtls"},
                               {"reflection", options_.reflection},
                               {"metrics_host", options_.metrics_host},
                               {"metrics_port", metrics_port()}});
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
