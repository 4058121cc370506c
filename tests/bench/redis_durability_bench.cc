// What Redis durability costs: the same write — one script writing a document
// and its outbox entry, as every acknowledged write of the services is — from
// the same client, with and without waiting for a replica (WAIT 1 in the same
// round trip, --redis_wait_replicas=1), against a primary with one replica.
// Rounds are interleaved (no-wait, wait, no-wait, …); the best round of each
// counts. One JSON line per round, then a summary line with the ratio.
//
//   redis_durability_bench --redis_addr=127.0.0.1:PORT --redis_user=admin
//     --redis_password_file=F --threads=16 --duration=3s --rounds=3
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/redis/redis_client.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "The primary (host:port)");
ABSL_FLAG(int, threads, 16, "Concurrent writers (each with its own pooled connection)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(3), "Length of one round");
ABSL_FLAG(int, rounds, 3, "Rounds per mode, interleaved");

namespace salesops {
namespace {

struct Round {
  double ops_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  int64_t errors = 0;
};

const LuaScript& Write() {
  static const LuaScript kScript(R"lua(
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'pb', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'type', 'bench.v1.Written', 'data', ARGV[2])
return 1
)lua");
  return kScript;
}

Round Run(const RedisOptions& base, int wait_replicas, int threads, absl::Duration duration) {
  RedisOptions o = base;
  o.pool_size = threads;
  o.wait_replicas = wait_replicas;
  RedisClient redis(o);
  const std::string payload(300, 'x');
  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> lat(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int64_t i = 0; !stop.load(); ++i) {
        const absl::Time start = absl::Now();
        auto r = redis.Eval(Write(),
                            {absl::StrCat("bench:{b}:doc:", t, ":", i % 1000), "bench:{b}:outbox"},
                            {std::to_string(i), payload});
        if (!r.ok()) {
          ++errors;
          continue;
        }
        lat[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
    });
  }
  absl::SleepFor(duration);  // the round's length, not a wait for an event
  stop = true;
  for (auto& th : ts) {
    th.join();
  }
  std::vector<double> all;
  for (auto& l : lat) {
    all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  Round r;
  r.errors = errors.load();
  r.ops_per_s = static_cast<double>(all.size()) / absl::ToDoubleSeconds(duration);
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

int Main() {
  RedisOptions base;
  std::string host;
  int port = 0;
  if (!SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &host, &port)) {
    std::fprintf(stderr, "--redis_addr: not host:port\n");
    return 2;
  }
  base.host = host;
  base.port = port;
  bench::ApplyRedisAuth(&base);
  const int threads = absl::GetFlag(FLAGS_threads);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  Round best[2];
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    for (int wait : {0, 1}) {
      Round r = Run(base, wait, threads, duration);
      std::printf(
          "{\"mode\":\"%s\",\"round\":%d,\"threads\":%d,\"ops_per_s\":%.0f,\"p50_ms\":%.3f,"
          "\"p99_ms\":%.3f,\"errors\":%lld}\n",
          wait ? "wait1" : "nowait", round, threads, r.ops_per_s, r.p50_ms, r.p99_ms,
          static_cast<long long>(r.errors));
      std::fflush(stdout);
      if (r.ops_per_s > best[wait].ops_per_s) {
        best[wait] = r;
      }
    }
  }
  std::printf(
      "{\"summary\":\"redis durability\",\"nowait_ops_per_s\":%.0f,\"wait1_ops_per_s\":%.0f,"
      "\"ratio\":%.3f,\"nowait_p99_ms\":%.3f,\"wait1_p99_ms\":%.3f}\n",
      best[0].ops_per_s, best[1].ops_per_s,
      best[0].ops_per_s > 0 ? best[1].ops_per_s / best[0].ops_per_s : 0, best[0].p99_ms,
      best[1].p99_ms);
  return best[1].errors + best[0].errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace salesops

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return salesops::Main();
}
