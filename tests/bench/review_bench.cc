// Biweekly review benchmark (make bench): one review cycle for 1,000 →
// 50,000 reps (teams of ten) through the scheduler's pass
// (PerformanceApi::GenerateDueReviews) against a real Redis, each rep with
// six cycles of counters (deals won and lost by stage, visits, activities) so
// that every review runs the full analysis against its team. Prints one JSON
// line: seconds per size, the growth exponent (least-squares slope of
// log time over log reps; bar ≤ 1.1) and Redis memory per review (used_memory
// after − before the pass, over the reviews written). Talks to the given
// Redis only (flushed before each size); stops by itself.
#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "services/performance/api/performance_api.h"
#include "services/performance/api/recompute.h"
#include "services/performance/domain/review.h"
#include "services/performance/store/org_view.h"
#include "services/performance/store/redis_performance_repository.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "a Redis used by this benchmark only");
ABSL_FLAG(std::string, sizes, "1000,5000,20000,50000", "rep counts to generate a cycle for");

namespace salesops::performance {
namespace {

int64_t UsedMemory(RedisClient& redis) {
  auto v = redis.Command({"INFO", "memory"});
  if (!v.ok()) {
    return -1;
  }
  for (absl::string_view line : absl::StrSplit(v->str, '\n')) {
    if (absl::ConsumePrefix(&line, "used_memory:")) {
      int64_t n = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &n)) {
        return n;
      }
    }
  }
  return -1;
}

struct Point {
  int reps = 0;
  double seconds = 0;
  int generated = 0;
  int64_t bytes_per_review = 0;
};

absl::StatusOr<Point> OneSize(RedisClient& redis, int reps) {
  (void)redis.Command({"FLUSHALL"});
  TransactionalOutbox outbox(redis, PerfKey("outbox"));
  RedisPerformanceRepository repo(redis, outbox);
  InMemoryOrgView org;
  org.AddUnit("co", "");
  PerformanceOptions options;
  // The cycle before today's is the one the scheduler reviews.
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), options.tz);
  const BiweeklyCycle due = PreviousCycle(CycleOf(today, 1), 1);
  std::vector<BiweeklyCycle> window{due};
  while (window.size() < 6) {
    window.push_back(PreviousCycle(window.back(), 1));
  }
  // Counters: written in chunks of a few hundred reps per commit.
  Change c;
  for (int i = 0; i < reps; ++i) {
    const std::string team = absl::StrCat("t", i / 10);
    if (i % 10 == 0) {
      org.AddUnit(team, "co");
      org.AddMember(absl::StrCat("sup", i / 10), team, Role::kSupervisor);
    }
    const std::string rep = absl::StrCat("rep", i);
    org.AddMember(rep, team, Role::kRep);
    for (size_t k = 0; k < window.size(); ++k) {
      const std::string id = ReviewCountersId(window[k].id, rep);
      const int won = 1 + (i + static_cast<int>(k)) % 4,
                lost = 1 + (i * 7 + static_cast<int>(k)) % 5;
      c.AddToField(MapKind::kCounters, id, review_counter::kWon, won);
      c.AddToField(MapKind::kCounters, id, review_counter::kLost, lost);
      c.AddToField(MapKind::kCounters, id, review_counter::kBookings, won * 80'000'00);
      c.AddToField(MapKind::kCounters, id, review_counter::LostFrom("PROPOSAL"), lost / 2 + i % 2);
      c.AddToField(MapKind::kCounters, id, review_counter::kVisits, 2 + i % 9);
      c.AddToField(MapKind::kCounters, id, review_counter::kActivities, 5 + i % 13);
    }
    if (c.fields.size() > 3'000 || i + 1 == reps) {
      SALESOPS_RETURN_IF_ERROR(repo.Commit(c, {}));
      c = Change();
    }
  }
  SystemClock clock;
  Recomputer recomputer(repo, org, clock, options);
  PerformanceApi api(repo, org, recomputer, clock);
  const int64_t before = UsedMemory(redis);
  const absl::Time start = absl::Now();
  int generated = 0;
  // Passes until every rep has the cycle's review (each pass has a budget).
  for (int pass = 0; pass < 1000; ++pass) {
    SALESOPS_ASSIGN_OR_RETURN(int n, api.GenerateDueReviews(absl::Seconds(60)));
    generated += n;
    if (n == 0) {
      break;
    }
  }
  Point p;
  p.reps = reps;
  p.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  p.generated = generated;
  p.bytes_per_review = generated == 0 ? 0 : (UsedMemory(redis) - before) / generated;
  return p;
}

int Run() {
  RedisOptions ro;
  SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &ro.host, &ro.port);
  ro.pool_size = 4;
  bench::ApplyRedisAuth(&ro);
  RedisClient redis(ro);
  std::vector<Point> points;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',')) {
    int reps = 0;
    if (!absl::SimpleAtoi(s, &reps) || reps <= 0) {
      std::fprintf(stderr, "bad --sizes\n");
      return 2;
    }
    absl::StatusOr<Point> p = OneSize(redis, reps);
    if (!p.ok()) {
      std::fprintf(stderr, "%d reps: %s\n", reps, p.status().ToString().c_str());
      return 1;
    }
    if (p->generated != reps) {
      std::fprintf(stderr, "%d reps: %d reviews generated\n", reps, p->generated);
      return 1;
    }
    std::fprintf(stderr, "%d reps: %.2f s, %lld bytes per review\n", reps, p->seconds,
                 static_cast<long long>(p->bytes_per_review));
    points.push_back(*p);
  }
  // Least-squares slope of log(seconds) over log(reps).
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const Point& p : points) {
    const double x = std::log(p.reps), y = std::log(p.seconds);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double n = static_cast<double>(points.size());
  const double slope = points.size() < 2 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx);
  std::string sizes;
  for (const Point& p : points) {
    absl::StrAppend(
        &sizes, sizes.empty() ? "" : ",",
        absl::StrFormat("{\"reps\":%d,\"seconds\":%.3f,\"us_per_review\":%.0f,"
                        "\"redis_bytes_per_review\":%d}",
                        p.reps, p.seconds, p.seconds * 1e6 / p.reps, p.bytes_per_review));
  }
  std::printf("{\"bench\":\"review_cycle\",\"sizes\":[%s],\"growth_exponent\":%.3f,\"bar\":1.1}\n",
              sizes.c_str(), slope);
  return 0;
}

}  // namespace
}  // namespace salesops::performance

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Biweekly review cycle benchmark (make bench)");
  return salesops::performance::Run();
}
