#include "common/server/client_credentials.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA of the servers' certificates: set = connect with TLS, empty = plaintext");
ABSL_FLAG(std::string, tls_client_cert_file, "",
          "PEM client certificate presented to servers that require mTLS");
ABSL_FLAG(std::string, tls_client_key_file, "", "PEM private key of --tls_client_cert_file");

namespace salesops {
namespace {

// The whole file, or a problem naming the flag.
bool ReadPem(absl::string_view flag, const std::string& path, std::string* out,
             ConfigCheck& check) {
  std::ifstream in(path);
  if (!in) {
    check.Fail(flag, absl::StrCat("cannot read ", path));
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  if (out->find("-----BEGIN ") == std::string::npos) {
    check.Fail(flag, absl::StrCat(path, " is not PEM"));
    return false;
  }
  return true;
}

}  // namespace

ClientTlsOptions ClientTlsOptionsFromFlags() {
  return {.ca_file = absl::GetFlag(FLAGS_tls_ca_file),
          .cert_file = absl::GetFlag(FLAGS_tls_client_cert_file),
          .key_file = absl::GetFlag(FLAGS_tls_client_key_file)};
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsOptions& options) {
  ConfigCheck check;
  if (options.cert_file.empty() != options.key_file.empty()) {
    check.Fail("tls_client_cert_file", "tls_client_cert_file and tls_client_key_file go together");
  }
  if (options.ca_file.empty()) {
    if (!options.cert_file.empty()) {
      check.Fail("tls_ca_file", "a client certificate needs TLS: set tls_ca_file too");
    }
    if (!check.status().ok()) {
      return check.status();
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  ReadPem("tls_ca_file", options.ca_file, &ssl.pem_root_certs, check);
  if (!options.cert_file.empty() && !options.key_file.empty()) {
    ReadPem("tls_client_cert_file", options.cert_file, &ssl.pem_cert_chain, check);
    ReadPem("tls_client_key_file", options.key_file, &ssl.pem_private_key, check);
  }
  if (!check.status().ok()) {
    return check.status();
  }
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFromFlagsOrDie() {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      MakeChannelCredentials(ClientTlsOptionsFromFlags());
  if (!creds.ok()) {
    std::fprintf(stderr, "configuration error: %s\n",
                 std::string(creds.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(creds);
}

}  // namespace salesops
