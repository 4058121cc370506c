#include "common/config/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace salesops {

std::string EnvNameForFlag(absl::string_view flag) {
  return absl::StrCat("SALESOPS_", absl::AsciiStrToUpper(flag));
}

std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  // --help lists every flag of ours (they live in common/ and the services'
  // libraries, not in a file named after the binary, which is all Abseil's
  // default lists); Abseil's own flags stay under --helpfull.
  absl::FlagsUsageConfig help;
  help.contains_help_flags = [](absl::string_view file) {
    return !absl::StrContains(file, "absl/");
  };
  absl::SetFlagsUsageConfig(help);
  ApplyEnvTwins();
  return absl::ParseCommandLine(argc, argv);
}

void ApplyEnvTwins() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const char* value = std::getenv(EnvNameForFlag(name).c_str());
    if (value == nullptr) {
      continue;
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "configuration error: %s=%s: %s\n", EnvNameForFlag(name).c_str(), value,
                   error.c_str());
      std::exit(2);
    }
  }
}

bool SplitHostPort(absl::string_view addr, std::string* host, int* port) {
  absl::string_view h, p;
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find(']');
    if (close == absl::string_view::npos || close + 1 >= addr.size() || addr[close + 1] != ':') {
      return false;
    }
    h = addr.substr(1, close - 1);
    p = addr.substr(close + 2);
  } else {
    auto colon = addr.rfind(':');
    if (colon == absl::string_view::npos) {
      return false;
    }
    h = addr.substr(0, colon);
    p = addr.substr(colon + 1);
  }
  int n = 0;
  if (h.empty() || !absl::SimpleAtoi(p, &n) || n < 0 || n > 65535) {
    return false;
  }
  *host = std::string(h);
  *port = n;
  return true;
}

void ConfigCheck::HostPort(absl::string_view flag, absl::string_view value) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(value, &host, &port)) {
    Fail(flag, absl::StrCat("'", value, "' is not host:port"));
  }
}

void ConfigCheck::Port(absl::string_view flag, int value) {
  if (value < 0 || value > 65535) {
    Fail(flag, absl::StrCat(value, " is not a port (0..65535)"));
  }
}

void ConfigCheck::Positive(absl::string_view flag, double value) {
  if (!(value > 0)) {
    Fail(flag, absl::StrCat(value, " must be > 0"));
  }
}

void ConfigCheck::NonEmpty(absl::string_view flag, absl::string_view value) {
  if (value.empty()) {
    Fail(flag, "must be set");
  }
}

std::string ConfigCheck::SecretFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    Fail(flag, absl::StrCat("cannot read ", path));
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret(absl::StripTrailingAsciiWhitespace(ss.str()));
  if (secret.empty()) {
    Fail(flag, absl::StrCat(path, " is empty"));
  }
  return secret;
}

void ConfigCheck::Fail(absl::string_view flag, absl::string_view problem) {
  problems_.push_back(absl::StrCat("--", flag, " (", EnvNameForFlag(flag), "): ", problem));
}

absl::Status ConfigCheck::status() const {
  if (problems_.empty()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrJoin(problems_, "; "));
}

void ConfigCheck::ExitIfInvalid() const {
  if (problems_.empty()) {
    return;
  }
  for (const auto& p : problems_) {
    std::fprintf(stderr, "configuration error: %s\n", p.c_str());
  }
  std::exit(2);
}

}  // namespace salesops
