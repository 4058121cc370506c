// The pods' readiness and liveness probe: grpc.health.v1 over mTLS with the pod's
// own certificate (Kubernetes' built-in gRPC probe cannot speak TLS). It checks
// health and nothing else — unlike salesopsctl it cannot mint a token, which is
// why it, and not salesopsctl, is in the runtime image.
//
//   salesops-health --addr=127.0.0.1:7101 --service=salesops.org.v1.OrgService
//     --tls_server_name=org --tls_ca_file=… --tls_client_cert_file=… --tls_client_key_file=…
// Prints SERVING (exit 0), NOT_SERVING (exit 1) or the error (exit 2).
#include <cstdio>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "common/server/health_check.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:7101", "the service's gRPC address");
ABSL_FLAG(std::string, service, "", "the gRPC service name to check ('' = the server)");
ABSL_FLAG(std::string, tls_server_name, "",
          "check the server's certificate for this name instead of the address");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(3), "give up after");

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Checks a SalesOps service's gRPC health over mTLS");
  grpc::ChannelArguments args;
  if (const std::string name = absl::GetFlag(FLAGS_tls_server_name); !name.empty()) {
    args.SetSslTargetNameOverride(name);
  }
  auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_addr),
                                           salesops::ChannelCredentialsFromFlagsOrDie(), args);
  const absl::StatusOr<bool> serving =
      salesops::CheckHealth(channel, absl::GetFlag(FLAGS_service), absl::GetFlag(FLAGS_timeout));
  if (!serving.ok()) {
    std::fprintf(stderr, "%s\n", serving.status().ToString().c_str());
    return 2;
  }
  std::printf("%s\n", *serving ? "SERVING" : "NOT_SERVING");
  return *serving ? 0 : 1;
}
