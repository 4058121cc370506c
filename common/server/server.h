// gRPC server bootstrap shared by every service: listen address, TLS or mTLS
// (plaintext only on loopback, unless allowed explicitly), max message size,
// keepalive, grpc.health.v1 with a status per service, server reflection (can
// be switched off), the Prometheus endpoint on its own host and port, and
// graceful shutdown on SIGTERM/SIGINT: mark NOT_SERVING, stop accepting and
// drain in-flight RPCs (bounded), then run the registered stop hooks in order
// (stop relays, flush the producer, commit consumer offsets).
//
//   ServerRunner runner(options, metrics);
//   runner.AddService(&org_service, "salesops.org.v1.OrgService");
//   runner.OnStop([&] { relay.Stop(); producer.Stop(); });
//   SALESOPS_RETURN_IF_ERROR(runner.Start());
//   runner.WaitForShutdownSignal();   // blocks until SIGTERM/SIGINT
//   runner.Shutdown();
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "grpcpp/grpcpp.h"

namespace salesops {

struct ServerOptions {
  std::string listen_addr = "127.0.0.1:0";
  // Metrics HTTP, on its own host (not the gRPC one: scraping needs no public
  // address); -1 disables, 0 picks a free port.
  std::string metrics_host = "127.0.0.1";
  int metrics_port = -1;
  int max_message_bytes = 4 * 1024 * 1024;
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  absl::Duration drain_timeout = absl::Seconds(10);
  // TLS: both set enables TLS; client_ca_file set as well requires client certs (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Plaintext gRPC off loopback exposes tokens and data to the network: only
  // with this set (e.g. behind a mesh sidecar that terminates mTLS).
  bool allow_plaintext = false;
  // grpc.reflection.v1alpha: handy locally (grpcurl), a map of the API for an
  // attacker in production.
  bool reflection = true;
};

// True for 127.0.0.0/8, ::1 and localhost (brackets allowed around IPv6).
bool IsLoopbackHost(absl::string_view host);

// INVALID_ARGUMENT naming allow_plaintext when `options` would serve plaintext
// gRPC on a non-loopback address (0.0.0.0, ::, a host name or a public IP).
absl::Status CheckTransportSecurity(const ServerOptions& options);

// Blocks SIGTERM/SIGINT in the calling thread (and in threads it creates
// later). Call first thing in main, before any thread starts.
void BlockShutdownSignals();

class ServerRunner {
 public:
  ServerRunner(ServerOptions options, MetricsRegistry& metrics);
  ~ServerRunner();

  void AddService(grpc::Service* service, std::string health_name);
  void OnStop(std::function<void()> hook);

  absl::Status Start();
  int port() const { return port_; }
  int metrics_port() const;

  // Waits for SIGTERM or SIGINT (blocked by BlockShutdownSignals()).
  void WaitForShutdownSignal();
  void Shutdown();

 private:
  ServerOptions options_;
  MetricsRegistry& metrics_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::vector<std::function<void()>> stop_hooks_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsHttpServer> metrics_server_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace salesops
