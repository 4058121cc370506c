// Re-tiering benchmark (issue #4): writes N customers (default 100,000), each
// with one won and one open opportunity, straight into a dedicated Redis
// through the customers store, then measures
//   - Redis memory per customer (document + indexes + schedules), and per deal;
//   - the tier job re-evaluating every customer (the same CustomersJobs code the
//     service runs on its schedule), against a baseline measured in the same
//     run: reading exactly the data the job reads (customer, deal index, deals)
//     batched the same way, with no scoring or writes.
// Prints one JSON line. Talks to the given Redis only; stops by itself.
#include <cstdio>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "common/time/clock.h"
#include "services/customers/api/api_helpers.h"
#include "services/customers/domain/tiering.h"
#include "services/customers/jobs/customers_jobs.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "a Redis used by this benchmark only");
ABSL_FLAG(int, customers, 100000, "customers to write and re-tier");
ABSL_FLAG(int, batch, 500, "customers per pipelined write");

namespace salesops::customers {
namespace {

namespace v1 = salesops::customers::v1;
using salesops::ToTs;

int64_t UsedMemory(RedisClient& redis) {
  auto v = redis.Command({"INFO", "memory"});
  if (!v.ok()) {
    return -1;
  }
  for (absl::string_view line : absl::StrSplit(v->str, "\r\n")) {
    if (absl::ConsumePrefix(&line, "used_memory:")) {
      int64_t n = 0;
      if (absl::SimpleAtoi(line, &n)) {
        return n;
      }
    }
  }
  return -1;
}

int Run() {
  RedisOptions o;
  if (!SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &o.host, &o.port)) {
    return 2;
  }
  o.pool_size = 4;
  salesops::bench::ApplyRedisAuth(&o);
  RedisClient redis(o);
  TransactionalOutbox outbox(redis, CustKey("outbox"));
  CustomersStore store(redis, outbox);
  SystemClock clock;
  org::OrgDirectory directory(redis, kKeyPrefix);
  CustomersJobs jobs(store, directory, clock, absl::UTCTimeZone());
  const int n = absl::GetFlag(FLAGS_customers);
  const int batch = absl::GetFlag(FLAGS_batch);
  const absl::Time now = absl::Now();
  std::mt19937_64 rng(20261127);
  const v1::PoolPolicy pool = [] {
    v1::PoolPolicy p;
    p.set_release_after_days(3650);  // keep the pool job out of it
    return p;
  }();

  (void)redis.Command({"FLUSHALL"});
  const int64_t mem0 = UsedMemory(redis);
  auto write = [&](bool deals) {
    for (int start = 0; start < n; start += batch) {
      std::vector<WriteBatch> batches;
      for (int i = start; i < std::min(n, start + batch); ++i) {
        const std::string id = absl::StrCat("bench-c-", i);
        WriteBatch b;
        if (!deals) {
          v1::Customer c;
          c.set_name("customers/" + id);
          c.set_display_name(absl::StrCat("压测客户有限公司", i));
          c.set_owner(absl::StrCat("members/rep-", i % 120));
          c.set_team(absl::StrCat("orgUnits/team-", i % 12));
          c.set_customer_type("enterprise");
          c.mutable_tags()->set_region(absl::StrCat("orgUnits/region-", i % 3));
          c.mutable_tags()->set_industry("manufacturing");
          c.set_pool_state(v1::POOL_STATE_OWNED);
          c.set_tier(v1::CUSTOMER_TIER_C);
          *c.mutable_create_time() = ToTs(now - absl::Hours(24 * 400));
          *c.mutable_update_time() = c.create_time();
          CustomersStore::PutDoc(b, kCustomer, id, c, 0);
          internal::ReindexCustomer(b, nullptr, c);
          internal::TouchActivity(b, c, now - absl::Hours(24), pool);
          internal::ScheduleTier(b, id, now - absl::Seconds(1));
        } else {
          for (int k = 0; k < 2; ++k) {
            const std::string oid = absl::StrCat("bench-o-", i, "-", k);
            v1::Opportunity op;
            op.set_name("opportunities/" + oid);
            op.set_customer("customers/" + id);
            op.set_display_name("年度采购");
            op.mutable_amount()->set_amount_minor(static_cast<int64_t>(rng() % 200'000'000) +
                                                  1'000'000);
            op.mutable_amount()->set_currency_code("CNY");
            op.set_stage(k == 0 ? v1::OPPORTUNITY_STAGE_WON : v1::OPPORTUNITY_STAGE_PROPOSAL);
            if (k == 0) {
              *op.mutable_close_time() =
                  ToTs(now - absl::Hours(static_cast<int64_t>(rng() % 8000)));
            }
            CustomersStore::PutDoc(b, kOpportunity, oid, op, 0);
            b.ZAdd(CustomersStore::Index("opp:customer:", id), 0, oid);
          }
        }
        batches.push_back(std::move(b));
      }
      for (auto& r : outbox.CommitMany(batches)) {
        if (!r.ok() || !r->committed) {
          std::fprintf(stderr, "write failed\n");
          return false;
        }
      }
    }
    return true;
  };
  if (!write(false)) {
    return 1;
  }
  const int64_t mem1 = UsedMemory(redis);
  if (!write(true)) {
    return 1;
  }
  const int64_t mem2 = UsedMemory(redis);

  // Baseline: the reads the job does, batched as it batches them (1,000
  // customers: their documents, deal indexes and deals), nothing else.
  absl::Time t0 = absl::Now();
  int64_t read_deals = 0;
  for (int start = 0; start < n; start += 1000) {
    std::vector<std::string> ids;
    for (int i = start; i < std::min(n, start + 1000); ++i) {
      ids.push_back(absl::StrCat("bench-c-", i));
    }
    auto docs = store.GetMany<v1::Customer>(kCustomer, ids);
    std::vector<std::vector<std::string>> cmds;
    for (const auto& id : ids) {
      cmds.push_back({"ZRANGEBYLEX", CustomersStore::Index("opp:customer:", id), "-", "+", "LIMIT",
                      "0", "10000"});
    }
    auto ranges = redis.Pipeline(cmds);
    if (!docs.ok() || !ranges.ok()) {
      return 1;
    }
    std::vector<std::string> opp_ids;
    for (const auto& r : *ranges) {
      for (const auto& e : r.elements) {
        opp_ids.push_back(e.str);
      }
    }
    auto deals = store.GetMany<v1::Opportunity>(kOpportunity, opp_ids);
    if (!deals.ok()) {
      return 1;
    }
    read_deals += static_cast<int64_t>(deals->size());
  }
  const double read_s = absl::ToDoubleSeconds(absl::Now() - t0);

  t0 = absl::Now();
  int examined = 0, changed = 0;
  while (true) {
    auto run = jobs.RunTierJob(1000);
    if (!run.ok()) {
      std::fprintf(stderr, "tier job: %s\n", std::string(run.status().message()).c_str());
      return 1;
    }
    if (run->examined == 0) {
      break;
    }
    examined += run->examined;
    changed += run->changed;
  }
  const double tier_s = absl::ToDoubleSeconds(absl::Now() - t0);
  std::printf(
      "{\"target\":\"retier\",\"customers\":%d,\"examined\":%d,\"tier_changed\":%d,"
      "\"retier_s\":%.2f,\"customers_per_s\":%.0f,\"read_baseline_s\":%.2f,\"deals_read\":%lld,"
      "\"retier_over_read\":%.2f,\"bytes_per_customer\":%.0f,\"bytes_per_deal\":%.0f}\n",
      n, examined, changed, tier_s, examined / tier_s, read_s, static_cast<long long>(read_deals),
      tier_s / read_s, static_cast<double>(mem1 - mem0) / n,
      static_cast<double>(mem2 - mem1) / (2.0 * n));
  return examined == n ? 0 : 1;
}

}  // namespace
}  // namespace salesops::customers

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Re-tiering benchmark (make bench)");
  return salesops::customers::Run();
}
