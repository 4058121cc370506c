// Channel credentials for every gRPC client of ours (tests, benchmarks,
// salesopsctl, the demo loaders), so they all speak TLS or mTLS the same way
// the services serve it. Flags, each with its SALESOPS_* twin (config.h):
//   --tls_ca_file           PEM CA that signed the servers' certificates;
//                           set = TLS, empty = plaintext (loopback only)
//   --tls_client_cert_file  PEM client certificate for mTLS (with its key)
//   --tls_client_key_file   PEM key of the client certificate
//
//   ParseFlagsWithEnv(argc, argv, "demo loader");
//   auto channel = grpc::CreateChannel(addr, ChannelCredentialsFromFlagsOrDie());
//
// Tests build ClientTlsOptions themselves and call MakeChannelCredentials.
#pragma once

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

ABSL_DECLARE_FLAG(std::string, tls_ca_file);
ABSL_DECLARE_FLAG(std::string, tls_client_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_client_key_file);

namespace salesops {

struct ClientTlsOptions {
  std::string ca_file;    // empty = plaintext
  std::string cert_file;  // both or neither
  std::string key_file;
};

ClientTlsOptions ClientTlsOptionsFromFlags();

// TLS credentials verifying the server against ca_file (and presenting the
// client certificate when given), or insecure ones when ca_file is empty.
// INVALID_ARGUMENT naming the flag when a file cannot be read, or when a
// client certificate or key is given without the other or without a CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsOptions& options);

// For command-line tools: MakeChannelCredentials(ClientTlsOptionsFromFlags()),
// or the problem on stderr (naming the flag and its env twin) and exit(2).
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFromFlagsOrDie();

}  // namespace salesops
