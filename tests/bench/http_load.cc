// The HTTP side of the gateway benchmark: `concurrency` threads, each with one
// keep-alive connection, POST a Connect JSON call in a loop for a fixed
// duration after a warm-up. Prints the JSON line grpc_load prints, so
// run_bench.sh can set the gateway's read (HTTP/JSON → gateway → gRPC) next to
// the same read over gRPC directly, measured in the same run.
//
//   http_load --port=P --path=/salesops.org.v1.OrgService/GetOrgUnit
//     --body='{"name":"orgUnits/x"}' --token=JWT --concurrency=32 --duration=5s
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "httplib.h"
#include "tests/bench/load_report.h"

ABSL_FLAG(std::string, target, "gateway_read", "name in the JSON line");
ABSL_FLAG(int, port, 8080, "gateway port on 127.0.0.1");
ABSL_FLAG(std::string, path, "", "request path, e.g. /salesops.org.v1.OrgService/GetOrgUnit");
ABSL_FLAG(std::string, body, "{}", "JSON body");
ABSL_FLAG(std::string, token, "", "bearer token");
ABSL_FLAG(int, concurrency, 32, "connections, one call in flight on each");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "unmeasured time first");

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "HTTP load for the gateway benchmark");
  salesops::ConfigCheck check;
  check.NonEmpty("path", absl::GetFlag(FLAGS_path));
  check.Positive("concurrency", absl::GetFlag(FLAGS_concurrency));
  check.ExitIfInvalid();

  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const absl::Time measure_from = absl::Now() + absl::GetFlag(FLAGS_warmup);
  const absl::Time stop_at = measure_from + absl::GetFlag(FLAGS_duration);
  absl::Mutex mu;
  std::vector<int64_t> latencies_us;
  int64_t errors = 0;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back([&] {
      httplib::Client cli("127.0.0.1", absl::GetFlag(FLAGS_port));
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);  // as browsers and curl do: no Nagle wait between headers and body
      const httplib::Headers headers = {{"authorization", "Bearer " + absl::GetFlag(FLAGS_token)}};
      const std::string path = absl::GetFlag(FLAGS_path), body = absl::GetFlag(FLAGS_body);
      std::vector<int64_t> mine;
      int64_t my_errors = 0;
      std::string my_error;
      for (;;) {
        const absl::Time start = absl::Now();
        if (start >= stop_at) {
          break;
        }
        httplib::Result res = cli.Post(path, headers, body, "application/json");
        const absl::Time end = absl::Now();
        if (start < measure_from || end > stop_at) {
          continue;
        }
        if (res && res->status == 200) {
          mine.push_back(absl::ToInt64Microseconds(end - start));
        } else {
          ++my_errors;
          if (my_error.empty()) {
            my_error = res ? std::to_string(res->status) : httplib::to_string(res.error());
          }
        }
      }
      absl::MutexLock lock(&mu);
      latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
      errors += my_errors;
      if (first_error.empty()) {
        first_error = my_error;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  salesops::bench::PrintLoadLine(absl::GetFlag(FLAGS_target), concurrency,
                                 absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration)), latencies_us,
                                 errors, first_error);
  return errors > 0 && latencies_us.empty() ? 1 : 0;
}
