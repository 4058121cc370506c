// The org service's composition root: builds the adapters, hands them in, and
// runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <algorithm>
#include <memory>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/docstore/caching_kv.h"
#include "common/log/log.h"
#include "common/projection/projection_store.h"
#include "common/redis/redis_mux.h"
#include "common/redis/redis_read_cache.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "services/org/api/member_lookup.h"
#include "services/org/api/org_grpc_service.h"
#include "services/org/events/headcount_projection.h"
#include "services/org/events/revenue_projection.h"
#include "services/org/store/redis_org_repository.h"

ABSL_FLAG(std::string, org_addr, "127.0.0.1:7101", "gRPC listen address of the org service");
ABSL_FLAG(bool, org_headcount_consumer, true, "Run the headcount projection consumer");
ABSL_FLAG(std::string, org_headcount_group, salesops::org::kHeadcountGroup,
          "Kafka consumer group of the headcount projection");
ABSL_FLAG(bool, org_revenue_consumer, true,
          "Run the revenue projection consumer (OpportunityWon from the customers topic; feeds "
          "the team-efficiency view)");
ABSL_FLAG(bool, org_read_cache, true,
          "Answer GetOrgUnit from memory, kept exact by Redis' invalidation reports "
          "(CLIENT TRACKING); needs --redis_read_connections > 0");
ABSL_FLAG(std::string, org_revenue_group, salesops::org::kRevenueGroup,
          "Kafka consumer group of the revenue projection");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::org;
  BlockShutdownSignals();  // before any thread starts, so only sigwait sees them
  ParseFlagsWithEnv(
      argc, argv,
      "SalesOps org service: org units, members, positions, reorganisation, efficiency, talent");
  ServiceSettings settings = LoadServiceSettings("org", "org_addr", absl::GetFlag(FLAGS_org_addr));

  SystemClock clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, OrgKey("outbox"));
  std::unique_ptr<RedisMux> read_mux;
  if (settings.redis_read_connections > 0) {
    read_mux = std::make_unique<RedisMux>(settings.redis, settings.redis_read_connections);
  }
  // GetOrgUnit's reads (a unit and its headcount) from memory: the API's commits
  // drop the keys they wrote before they are acknowledged (a caller reads its own
  // write); every other change (the projections', other replicas') arrives as
  // Redis' report.
  std::unique_ptr<RedisReadCache> read_cache;
  if (read_mux != nullptr && absl::GetFlag(FLAGS_org_read_cache)) {
    read_cache = std::make_unique<RedisReadCache>(
        settings.redis,
        RedisReadCache::Options{.prefixes = {OrgKey("unit:"), OrgKey("headcount")}});
  }
  if (read_cache != nullptr) {
    RedisReadCache* c = read_cache.get();
    const Labels cache_labels = {{"cache", "org_units"}, {"service", "org"}};
    metrics.AddCounterFn("salesops_read_cache_hits_total", "Reads answered from memory",
                         cache_labels, [c] { return double(c->table().hits()); });
    metrics.AddCounterFn("salesops_read_cache_misses_total", "Reads sent to Redis", cache_labels,
                         [c] { return double(c->table().misses()); });
    metrics.AddCounterFn("salesops_read_cache_reports_total",
                         "Change reports heard from Redis (each drops what read those keys)",
                         cache_labels, [c] { return double(c->reports()); });
    metrics.AddGauge(
        "salesops_read_cache_live",
        "1 while the cache hears Redis' change reports (else every read goes to Redis)",
        cache_labels, [c] { return c->live() ? 1.0 : 0.0; });
    metrics.AddGauge("salesops_read_cache_entries", "Replies held", cache_labels,
                     [c] { return double(c->table().size()); });
  }
  RedisKvReader redis_kv(redis, read_mux.get());
  std::unique_ptr<KvReader> cached_kv;
  std::unique_ptr<BatchCommitter> invalidating;
  if (read_cache != nullptr) {
    cached_kv = std::make_unique<CachingKvReader>(redis_kv, read_cache->table());
    invalidating = std::make_unique<InvalidatingCommitter>(outbox, read_cache->table());
  }
  KvReader& kv = cached_kv != nullptr ? *cached_kv : redis_kv;
  BatchCommitter& committer = invalidating != nullptr ? *invalidating : outbox;
  RedisOrgRepository repo(kv, committer);
  ApplyTokenFlags("org", settings.jwt);
  JwtVerifier verifier(settings.jwt, clock);
  OrgApi api(repo, clock);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("org", verifier, OrgMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  rpc.SetAsyncReadsNonBlocking(read_mux != nullptr);
  RepositoryMemberLookup member_lookup(repo);
  CallGuard call_guard(rpc, &member_lookup, clock);
  OrgGrpcService service(api, rpc);

  ServiceRuntime runtime("org", settings, metrics, redis, workers);
  if (!runtime
           .StartEvents(
               OrgKey("outbox"),
               {{kOrgTopic, 3}, {kHeadcountDlq, 1}, {kCustomersTopic, 3}, {kRevenueDlq, 1}})
           .ok()) {
    return 2;
  }
  ProjectionStore projection_store(outbox, OrgKey("headcount:seen:"));
  HeadcountProjection headcount(projection_store);
  if (absl::GetFlag(FLAGS_org_headcount_consumer)) {
    ConsumerOptions group;
    group.group_id = absl::GetFlag(FLAGS_org_headcount_group);
    group.topics = {kOrgTopic};
    group.dlq_topic = kHeadcountDlq;
    group.extra = PatientFetch(settings.projection_fetch_wait);
    runtime.AddConsumer(group, headcount);
  }
  ProjectionStore revenue_store(outbox, OrgKey("revenue:seen:"));
  RevenueProjection revenue(revenue_store);
  if (absl::GetFlag(FLAGS_org_revenue_consumer)) {
    ConsumerOptions group;
    group.group_id = absl::GetFlag(FLAGS_org_revenue_group);
    group.topics = {kCustomersTopic};
    group.dlq_topic = kRevenueDlq;
    group.extra = PatientFetch(settings.projection_fetch_wait);
    runtime.AddConsumer(group, revenue);
  }
  return runtime.Serve(&service, kOrgServiceName);
}
