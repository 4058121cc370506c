// Configuration from flags, each with an environment twin: flag --redis_addr
// is also read from SALESOPS_REDIS_ADDR. The command line wins over the
// environment. Validation runs at start-up and names the failing setting.
//
//   ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "Redis host:port");
//   int main(int argc, char** argv) {
//     auto args = salesops::ParseFlagsWithEnv(argc, argv, "org server");
//     salesops::ConfigCheck check;
//     check.HostPort("redis_addr", absl::GetFlag(FLAGS_redis_addr));
//     check.ExitIfInvalid();
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace salesops {

// Env name of a flag: "redis_addr" -> "SALESOPS_REDIS_ADDR".
std::string EnvNameForFlag(absl::string_view flag);

// Applies SALESOPS_* environment twins to every flag defined in the binary,
// then parses the command line (which overrides). Exits with a message naming
// the variable when an environment value does not parse.
std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view usage);

// The first half of ParseFlagsWithEnv, for tools that parse their own command
// line (salesopsctl): every defined flag takes its SALESOPS_* twin if set.
void ApplyEnvTwins();

// Collects start-up configuration errors, each naming its setting.
class ConfigCheck {
 public:
  void HostPort(absl::string_view flag, absl::string_view value);
  void Port(absl::string_view flag, int value);
  void Positive(absl::string_view flag, double value);
  void NonEmpty(absl::string_view flag, absl::string_view value);
  void Fail(absl::string_view flag, absl::string_view problem);
  // The content of the secret file `path` named by `flag` (a password), without
  // trailing whitespace; a problem if it cannot be read or is empty.
  std::string SecretFile(absl::string_view flag, const std::string& path);

  absl::Status status() const;
  // Prints every problem (with the flag and its env twin) and exits(2) if any.
  void ExitIfInvalid() const;

 private:
  std::vector<std::string> problems_;
};

// Splits "host:port" ("[::1]:7101" for IPv6). False when malformed.
bool SplitHostPort(absl::string_view addr, std::string* host, int* port);

}  // namespace salesops
