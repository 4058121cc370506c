#include "tests/bench/load_report.h"

#include <algorithm>
#include <cstdio>

namespace salesops::bench {
namespace {

std::string JsonEscape(const std::string& in) {
  std::string out;
  for (char ch : in) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

void PrintLoadLine(const std::string& target, int concurrency, double seconds,
                   std::vector<int64_t>& latencies_us, int64_t errors,
                   const std::string& first_error, const std::string& extra) {
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) -> long long {
    if (latencies_us.empty()) {
      return 0;
    }
    return latencies_us[std::min(latencies_us.size() - 1,
                                 static_cast<size_t>(p * latencies_us.size()))];
  };
  std::printf(
      "{\"target\":\"%s\",\"concurrency\":%d,\"seconds\":%.1f,\"calls\":%zu,\"qps\":%.1f,"
      "\"p50_us\":%lld,\"p99_us\":%lld,\"errors\":%lld,\"first_error\":\"%s\"%s}\n",
      target.c_str(), concurrency, seconds, latencies_us.size(), latencies_us.size() / seconds,
      pct(0.50), pct(0.99), static_cast<long long>(errors), JsonEscape(first_error).c_str(),
      extra.c_str());
  std::fflush(stdout);
}

}  // namespace salesops::bench
