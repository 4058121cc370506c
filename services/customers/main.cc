// The customers service's composition root: builds the adapters, hands them
// in, and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <algorithm>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/log/log.h"
#include "common/projection/projection_store.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "services/customers/api/customers_grpc_service.h"
#include "services/customers/events/org_changes.h"
#include "services/customers/jobs/customers_jobs.h"
#include "services/customers/store/customers_store.h"

ABSL_FLAG(std::string, customers_addr, "127.0.0.1:7103",
          "gRPC listen address of the customers service");
ABSL_FLAG(std::string, customers_time_zone, "Asia/Shanghai",
          "Business time zone for dates (due dates, claim months)");
ABSL_FLAG(absl::Duration, customers_jobs_interval, absl::Seconds(5),
          "How often the scheduled jobs (pool release, reminders, overdue tasks and payments, "
          "re-tiering) run; 0 disables them");
ABSL_FLAG(std::string, customers_directory_group, salesops::customers::kOrgDirectoryGroup,
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(std::string, customers_org_changes_group, salesops::customers::kOrgChangesGroup,
          "Kafka consumer group applying org changes (owners moving team) to customers");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::customers;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "SalesOps customers & CRM service");
  ServiceSettings settings =
      LoadServiceSettings("customers", "customers_addr", absl::GetFlag(FLAGS_customers_addr));
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_customers_time_zone), &tz)) {
    LogError("bad setting --customers_time_zone (SALESOPS_CUSTOMERS_TIME_ZONE): unknown zone",
             {{"value", absl::GetFlag(FLAGS_customers_time_zone)}});
    return 2;
  }
  const absl::Duration jobs_interval = absl::GetFlag(FLAGS_customers_jobs_interval);
  if (jobs_interval < absl::ZeroDuration()) {
    LogError("bad setting --customers_jobs_interval: must not be negative", {});
    return 2;
  }

  SystemClock wall_clock;  // token expiry
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, CustKey("outbox"));
  CustomersStore store(redis, outbox);
  OrgDirectory directory(redis, kKeyPrefix);
  ApplyTokenFlags("customers", settings.jwt);
  JwtVerifier verifier(settings.jwt, wall_clock);
  CustomersApi api(store, directory, clock, tz);
  CustomersJobs jobs(store, directory, clock, tz);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("customers", verifier, CustomersMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  org::DirectoryMemberLookup member_lookup(directory);
  CallGuard call_guard(rpc, &member_lookup, wall_clock);
  CustomersGrpcService service(api, rpc);

  ServiceRuntime runtime("customers", settings, metrics, redis, workers);
  if (!runtime
           .StartEvents(CustKey("outbox"),
                        {{kCustomersTopic, 3}, {kOrgDirectoryDlq, 1}, {kOrgChangesDlq, 1}})
           .ok()) {
    return 2;
  }
  OrgChangeHandler org_changes(jobs);
  ConsumerOptions org_changes_group;
  org_changes_group.group_id = absl::GetFlag(FLAGS_customers_org_changes_group);
  org_changes_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  org_changes_group.dlq_topic = kOrgChangesDlq;
  org_changes_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(org_changes_group, org_changes);
  ProjectionStore projection_store(outbox, CustKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(projection_store, redis, kKeyPrefix);
  ConsumerOptions directory_group;
  directory_group.group_id = absl::GetFlag(FLAGS_customers_directory_group);
  directory_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  directory_group.dlq_topic = kOrgDirectoryDlq;
  directory_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(directory_group, directory_projection);

  runtime.AddJob(
      "pool", [&] { return jobs.RunPoolJob(500).status(); }, jobs_interval);
  runtime.AddJob(
      "task-overdue", [&] { return jobs.RunTaskOverdueJob(500).status(); }, jobs_interval);
  runtime.AddJob(
      "payment-overdue", [&] { return jobs.RunPaymentOverdueJob(500).status(); }, jobs_interval);
  runtime.AddJob(
      "tier", [&] { return jobs.RunTierJob(500).status(); }, jobs_interval);
  return runtime.Serve(&service, kCustomersServiceName);
}
