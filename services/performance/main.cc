// The performance service's composition root: builds the adapters, hands them
// in, and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/log/log.h"
#include "common/projection/projection_store.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "services/performance/api/performance_grpc_service.h"
#include "services/performance/api/recompute.h"
#include "services/performance/events/credit_projection.h"
#include "services/performance/store/org_view.h"
#include "services/performance/store/redis_performance_repository.h"

ABSL_FLAG(std::string, performance_addr, "127.0.0.1:7104",
          "gRPC listen address of the performance service");
ABSL_FLAG(std::string, performance_time_zone, "Asia/Shanghai",
          "Business time zone: fiscal days, plan effective dates");
ABSL_FLAG(int, performance_fiscal_year_start_month, 1,
          "Calendar month (1..12) the fiscal year starts in; statements and scorecards are per "
          "fiscal quarter");
ABSL_FLAG(std::string, performance_currency, "CNY",
          "Currency of commission and money KPIs; events in other currencies are not counted");
ABSL_FLAG(int, performance_kpi_share_bp, 7000,
          "How much the KPI part counts in a scorecard's total (basis points; OKRs get the rest)");
ABSL_FLAG(std::string, performance_rating_bands, "0:C,6000:B,8500:A",
          "Scorecard rating bands as min_score_bp:label, ascending from 0");
ABSL_FLAG(absl::Duration, performance_recompute_interval, absl::Milliseconds(200),
          "How often statements and scorecards whose inputs moved are recomputed");
ABSL_FLAG(int, performance_recompute_lanes, 4,
          "Statements and scorecards recomputed at once by the recompute job");
ABSL_FLAG(std::string, performance_review_rules, "",
          "Tab-separated file of biweekly review rules (domain/review.h); empty: the defaults");
ABSL_FLAG(int64_t, performance_case_min_amount_minor, 500'000'00,
          "A won or lost deal this large (minor units of --performance_currency) enters the "
          "negotiation case library");
ABSL_FLAG(absl::Duration, performance_review_interval, absl::Seconds(60),
          "How often the scheduler looks for reps without a review of the last cycle, and for "
          "overdue action items (0: never)");
ABSL_FLAG(std::string, performance_credit_group, salesops::performance::kCreditGroup,
          "Kafka consumer group of the credit projection (customers and targets events)");
ABSL_FLAG(std::string, performance_directory_group, salesops::performance::kDirectoryGroup,
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");
ABSL_FLAG(std::string, customers_topic, "salesops.customers.events.v1",
          "Topic the customers service publishes on");
ABSL_FLAG(std::string, warning_topic, "salesops.warning.events.v1",
          "Topic the warning engine publishes on (open warnings for reviews)");
ABSL_FLAG(std::string, sync_topic, "salesops.sync.events.v1",
          "Topic the sync service publishes on (market insights for reviews)");
ABSL_FLAG(std::string, targets_topic, "salesops.targets.events.v1",
          "Topic the targets service publishes on");

namespace {

// "0:C,6000:B" → bands; false when malformed (start-up then fails naming the flag).
bool ParseBands(const std::string& text, std::vector<salesops::performance::RatingBand>* out) {
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits(':', 1));
    int min = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[0], &min) || kv[1].empty()) {
      return false;
    }
    out->push_back({min, kv[1]});
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::performance;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "SalesOps performance service: KPIs, OKRs, scorecards, commission");
  ServiceSettings settings =
      LoadServiceSettings("performance", "performance_addr", absl::GetFlag(FLAGS_performance_addr));
  PerformanceOptions options;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_performance_time_zone), &options.tz)) {
    LogError("bad setting --performance_time_zone (SALESOPS_PERFORMANCE_TIME_ZONE): unknown zone");
    return 2;
  }
  options.fiscal_year_start_month = absl::GetFlag(FLAGS_performance_fiscal_year_start_month);
  if (options.fiscal_year_start_month < 1 || options.fiscal_year_start_month > 12) {
    LogError("bad setting --performance_fiscal_year_start_month: must be 1..12");
    return 2;
  }
  options.currency = absl::GetFlag(FLAGS_performance_currency);
  options.recompute_lanes = absl::GetFlag(FLAGS_performance_recompute_lanes);
  if (options.recompute_lanes < 1 || options.recompute_lanes > 64) {
    LogError("bad setting --performance_recompute_lanes: must be 1..64");
    return 2;
  }
  if (const std::string path = absl::GetFlag(FLAGS_performance_review_rules); !path.empty()) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<ReviewRule>> rules = ParseReviewRules(text.str());
    if (!in || !rules.ok()) {
      LogError(absl::StrCat("bad setting --performance_review_rules (", path,
                            "): ", in ? rules.status().ToString() : "cannot read the file"));
      return 2;
    }
    options.review_rules = *std::move(rules);
  }
  options.case_min_amount_minor = absl::GetFlag(FLAGS_performance_case_min_amount_minor);
  if (options.case_min_amount_minor < 0) {
    LogError("bad setting --performance_case_min_amount_minor: must be >= 0");
    return 2;
  }
  options.scorecard.kpi_share_bp = absl::GetFlag(FLAGS_performance_kpi_share_bp);
  options.scorecard.bands.clear();
  if (!ParseBands(absl::GetFlag(FLAGS_performance_rating_bands), &options.scorecard.bands) ||
      options.scorecard.kpi_share_bp < 0 || options.scorecard.kpi_share_bp > 10000) {
    LogError(
        "bad setting --performance_rating_bands / --performance_kpi_share_bp: "
        "bands like 0:C,6000:B,8500:A and a share in 0..10000");
    return 2;
  }

  SystemClock wall_clock;  // token expiry
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, PerfKey("outbox"));
  RedisPerformanceRepository repo(redis, outbox);
  org::OrgDirectory directory(redis, kKeyPrefix);
  DirectoryOrgView org_view(directory);
  ApplyTokenFlags("performance", settings.jwt);
  JwtVerifier verifier(settings.jwt, wall_clock);
  Recomputer recomputer(repo, org_view, clock, options);
  PerformanceApi api(repo, org_view, recomputer, clock);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("performance", verifier, PerformanceMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  org::DirectoryMemberLookup member_lookup(directory);
  CallGuard call_guard(rpc, &member_lookup, wall_clock);
  PerformanceGrpcService service(api, rpc);

  ServiceRuntime runtime("performance", settings, metrics, redis, workers);
  if (!runtime
           .StartEvents(PerfKey("outbox"),
                        {{kPerformanceTopic, 3}, {kCreditDlq, 1}, {kDirectoryDlq, 1}})
           .ok()) {
    return 2;
  }
  ProjectionStore directory_seen(outbox, PerfKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(directory_seen, redis, kKeyPrefix);
  ConsumerOptions directory_group;
  directory_group.group_id = absl::GetFlag(FLAGS_performance_directory_group);
  directory_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  directory_group.dlq_topic = kDirectoryDlq;
  directory_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(directory_group, directory_projection);
  CreditProjection credit(repo, options);
  ConsumerOptions credit_group;
  credit_group.group_id = absl::GetFlag(FLAGS_performance_credit_group);
  credit_group.topics = {absl::GetFlag(FLAGS_customers_topic), absl::GetFlag(FLAGS_targets_topic),
                         absl::GetFlag(FLAGS_warning_topic), absl::GetFlag(FLAGS_sync_topic)};
  credit_group.dlq_topic = kCreditDlq;
  credit_group.max_batch = kCreditMaxBatch;
  runtime.AddConsumer(credit_group, credit);
  runtime.AddJob(
      "recompute",
      [&recomputer] { return recomputer.RunPending(absl::Seconds(2), /*debounce=*/true).status(); },
      absl::GetFlag(FLAGS_performance_recompute_interval));
  // Reviews of the last completed cycle for every rep, and overdue action
  // items: safe on every replica (a review is written only if absent, an
  // overdue event only with the review's version).
  runtime.AddJob(
      "reviews",
      [&api] {
        absl::Status s = api.GenerateDueReviews(absl::Seconds(10)).status();
        absl::Status o = api.NotifyOverdueActionItems().status();
        return s.ok() ? o : s;
      },
      absl::GetFlag(FLAGS_performance_review_interval));
  return runtime.Serve(&service, kPerformanceServiceName);
}
