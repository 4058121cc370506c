// `make chaos`: under a steady write load (CreateMember with request_id, retried
// by the client until acknowledged), kill -9 in turn a Kafka broker (on the
// 3-node cluster make chaos starts: the node leading partition 0 of the org
// events topic, so a leader election happens under load), the Redis primary
// (a primary, one replica and three Sentinels, as in production: the services
// follow the primary through the Sentinels and acknowledge a write only once
// the replica has it, WAIT 1; Sentinel promotes the replica and the old primary
// comes back as its replica), one of two serving org_servers and the consuming
// org_server, and restart each. Then check: every acknowledged write is in Redis, every
// acknowledged write's event reached Kafka, and the headcount projection applied
// each event exactly once (projection == members actually in the unit). The
// three org_servers are replicas of one deployment (they share the relay lease);
// the client spreads its calls over the two serving ones, as a Service would,
// and a call that fails is retried on the next.
// Prints a table (with the seconds until writes were acknowledged again) and
// fails on any loss or double-apply.
#include <signal.h>
#include <stdio.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/cloud_event.h"
#include "common/kafka/producer.h"
#include "common/status/status_macros.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/directory_barrier.h"
#include "tests/integration/redis_ha.h"
#include "tests/integration/targets_env.h"
#include "tests/integration/test_env.h"
#include "tests/integration/warning_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;
namespace cv1 = salesops::customers::v1;
namespace tv1 = salesops::targets::v1;
namespace wv1 = salesops::warning::v1;

struct Phase {
  std::string fault;
  std::string unit;
  std::set<std::string> acked;
  int failed_calls = 0;
  // Recovery: from the fault (the kill returned) to the first acknowledgement
  // of a write sent after it; zero when no write failed.
  absl::Time fault_at = absl::InfiniteFuture();
  absl::Time first_ack_after = absl::InfiniteFuture();
};

// The serving replicas the client alternates between (swapped when one is replaced).
using Serving = std::array<std::atomic<OrgServer*>, 2>;

// One write: `id` is the new resource's id, `unit` the phase's unit. Returns OK
// once acknowledged (ALREADY_EXISTS of an earlier attempt counts).
using WriteFn = std::function<grpc::Status(const std::string& id, const std::string& unit)>;

class Load {
 public:
  explicit Load(WriteFn write) : write_(std::move(write)) {}

  void Run(Phase* phase, int writers, absl::Duration every) {
    stop_ = false;
    for (int w = 0; w < writers; ++w) {
      threads_.emplace_back([=, this] {
        for (int i = 0; !stop_.load(); ++i) {
          const std::string id = absl::StrCat(phase->unit, "-w", w, "-", i);
          // Retry the same request (same request_id) until it is acknowledged:
          // that is what a careful client does, and what makes "acked" exact.
          while (true) {
            const absl::Time sent = absl::Now();
            grpc::Status s = write_(id, phase->unit);
            if (s.ok()) {
              std::lock_guard<std::mutex> lock(mu_);
              phase->acked.insert(id);
              if (sent > phase->fault_at && phase->first_ack_after == absl::InfiniteFuture()) {
                phase->first_ack_after = absl::Now();
              }
              break;
            }
            {
              std::lock_guard<std::mutex> lock(mu_);
              ++phase->failed_calls;
            }
            if (stop_.load()) {
              break;  // given up: not acknowledged
            }
            absl::SleepFor(absl::Milliseconds(50));
          }
          absl::SleepFor(every);
        }
      });
    }
  }

  // Called right after the fault is in place (the kill returned).
  void MarkFault(Phase* phase) {
    std::lock_guard<std::mutex> lock(mu_);
    phase->fault_at = absl::Now();
  }

  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      t.join();
    }
    threads_.clear();
  }

 private:
  WriteFn write_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
};

// CreateMember through the serving replicas in turn.
WriteFn CreateMembers(Serving& servers, std::string token) {
  auto next = std::make_shared<std::atomic<size_t>>(0);
  return
      [&servers, token = std::move(token), next](const std::string& id, const std::string& unit) {
        OrgServer* server = servers[next->fetch_add(1) % servers.size()].load();
        grpc::ClientContext ctx;
        Authorize(ctx, token);
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
        v1::CreateMemberRequest req;
        req.set_member_id(id);
        req.set_request_id("req-" + id);
        req.mutable_member()->set_display_name("压测");
        req.mutable_member()->set_email(id + "@chaos.example.com");
        req.mutable_member()->set_role(v1::ROLE_REP);
        req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
        req.mutable_member()->set_org_unit("orgUnits/" + unit);
        v1::CreateMemberResponse resp;
        grpc::Status s = server->stub().CreateMember(&ctx, req, &resp);
        if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          return grpc::Status::OK;  // created by an earlier attempt whose answer was lost
        }
        return s;
      };
}

// The Kafka folder to kill: the single broker's, or on a cluster the folder of
// the node that leads `topic`'s partition 0 (kafka.sh leader).
std::string BrokerToKill(const std::string& topic) {
  const TestEnv& env = TestEnv::Get();
  if (!env.kafka_cluster) {
    return env.kafka_dir;
  }
  const std::string cmd = absl::StrCat(SALESOPS_SOURCE_DIR, "/deploy/local/kafka.sh leader ",
                                       env.kafka_dir, " ", topic, " 0");
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[64];
    while (fgets(buf, sizeof buf, f) != nullptr) {
      out += buf;
    }
    pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  EXPECT_FALSE(out.empty()) << cmd;
  std::printf("killing kafka node %s (leader of %s partition 0)\n", out.c_str(), topic.c_str());
  return absl::StrCat(env.kafka_dir, "/node-", out);
}

TEST(ChaosTest, NoLossNoDoubleApplyUnderKills) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  TopicReader reader(env.kafka_bootstrap, "salesops.org.events.v1");
  RedisHa ha;
  ASSERT_NO_FATAL_FAILURE(ha.Start());
  int primary = 0;  // the node Sentinel names the primary
  // Every read of the checks below goes to the primary of the moment; a pooled
  // connection to a killed one fails once, then reconnects.
  RedisClient ha_admin(ha.As("admin"));
  auto redis = [&](std::vector<std::string> cmd) {
    auto r = ha_admin.Command(cmd);
    for (int attempt = 0; attempt < 3 && !r.ok(); ++attempt) {
      r = ha_admin.Command(cmd);
    }
    return r;
  };

  // Two serving replicas (no consumer) and a consuming one: killed separately.
  const std::string group = "org-headcount-chaos-" + sfx;
  auto serving_replica = [&] {
    std::vector<std::string> args = ha.ServiceArgs("org");
    args.push_back("--org_headcount_consumer=false");
    return std::make_unique<OrgServer>(group, args);
  };
  auto serving = serving_replica();
  auto serving_b = serving_replica();
  auto consuming = std::make_unique<OrgServer>(group, ha.ServiceArgs("org"));
  serving->Start();
  serving_b->Start();
  consuming->Start();
  Serving current;
  current[0] = serving.get();
  current[1] = serving_b.get();
  std::vector<std::unique_ptr<OrgServer>> killed;  // kept alive: load threads may still hold them

  auto unit = [&](const std::string& id, v1::OrgUnitKind kind, const std::string& parent) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(id);
    req.mutable_org_unit()->set_display_name(id);
    req.mutable_org_unit()->set_kind(kind);
    if (!parent.empty()) {
      req.mutable_org_unit()->set_parent("orgUnits/" + parent);
    }
    v1::CreateOrgUnitResponse resp;
    ASSERT_TRUE(serving->stub().CreateOrgUnit(&ctx, req, &resp).ok());
  };
  unit("chaos-co-" + sfx, v1::ORG_UNIT_KIND_COMPANY, "");

  std::vector<Phase> phases;
  for (std::string fault : {"kafka broker", "redis primary", "org replica", "consumer"}) {
    Phase p;
    p.fault = fault;
    p.unit = absl::StrCat("chaos-", phases.size(), "-", sfx);
    unit(p.unit, v1::ORG_UNIT_KIND_TEAM, "chaos-co-" + sfx);
    phases.push_back(std::move(p));
  }

  Load load(CreateMembers(current, admin));
  for (Phase& p : phases) {
    load.Run(&p, /*writers=*/4, /*every=*/absl::Milliseconds(20));
    absl::SleepFor(absl::Seconds(3));
    if (p.fault == "kafka broker") {
      ASSERT_EQ(std::system(absl::StrCat(SALESOPS_SOURCE_DIR, "/deploy/local/kafka.sh kill ",
                                         BrokerToKill("salesops.org.events.v1"), " >/dev/null 2>&1")
                                .c_str()),
                0);
      load.MarkFault(&p);
      absl::SleepFor(absl::Seconds(3));
      StartBroker();
    } else if (p.fault == "redis primary") {
      const int replica = 1 - primary;
      ASSERT_NO_FATAL_FAILURE(
          ha.KillPrimaryUntilPromoted(primary, replica, [&] { load.MarkFault(&p); }));
      // Back as the new primary's replica (the orchestrator's restart): until it has
      // synced, WAIT 1 cannot be met and writes are refused and retried.
      ASSERT_NO_FATAL_FAILURE(ha.RestartAsReplica(primary, replica));
      primary = replica;
    } else if (p.fault == "org replica") {
      serving->Kill9();
      load.MarkFault(&p);
      absl::SleepFor(absl::Seconds(2));
      killed.push_back(std::move(serving));
      serving = serving_replica();
      serving->Start();
      current[0] = serving.get();
    } else {
      consuming->Kill9();
      load.MarkFault(&p);
      absl::SleepFor(absl::Seconds(3));
      killed.push_back(std::move(consuming));
      consuming = std::make_unique<OrgServer>(group, ha.ServiceArgs("org"));
      consuming->Start();
    }
    absl::SleepFor(absl::Seconds(4));
    load.Stop();
  }

  // Convergence: every acked member's MemberJoined on the topic, projections settled.
  std::set<std::string> all_acked;
  for (const Phase& p : phases) {
    all_acked.insert(p.acked.begin(), p.acked.end());
  }
  std::map<std::string, std::set<std::string>> joined_ids;  // member id -> event ids
  std::set<std::string> seen;
  auto absorb = [&](const std::vector<Record>& records) {
    for (const Record& r : records) {
      auto type = r.headers.find("ce_type");
      if (type == r.headers.end() || type->second != "salesops.org.v1.MemberJoined") {
        continue;
      }
      if (r.key.find(sfx) == std::string::npos) {
        continue;
      }
      joined_ids[r.key].insert(r.headers.at("ce_id"));
      seen.insert(r.key);
    }
  };
  absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (absl::Now() < deadline) {
    absorb(reader.ReadFor(absl::Seconds(2)));
    bool all = true;
    for (const auto& id : all_acked) {
      all = all && seen.count(id);
    }
    if (all) {
      break;
    }
  }
  absorb(reader.ReadFor(absl::Seconds(2)));

  std::printf("\n%-14s %12s %12s %16s %12s %15s %14s %14s\n", "fault", "writes acked",
              "writes found", "events expected", "events seen", "double-applied", "not applied",
              "writes back s");
  bool failed = false;
  for (const Phase& p : phases) {
    int found = 0, events = 0;
    for (const auto& id : p.acked) {
      auto r = redis({"EXISTS", "org:{org}:member:" + id});
      if (r.ok() && r->integer == 1) {
        ++found;
      }
      if (seen.count(id)) {
        ++events;
      }
    }
    // Projection vs truth: members actually in the unit (acked or not).
    long long actual = 0, projected = -1;
    for (int i = 0; i < 600 && projected != actual; ++i) {
      auto a = redis({"SCARD", "org:{org}:unit_members:" + p.unit});
      auto h = redis({"HGET", "org:{org}:headcount", p.unit});
      actual = a.ok() ? a->integer : -1;
      projected = h.ok() && !h->is_nil() ? std::stoll(h->str) : 0;
      if (projected != actual) {
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    const long long doubled = std::max(0LL, projected - actual);
    const long long missing = std::max(0LL, actual - projected);
    // Seconds from the fault to the first acknowledged write sent after it.
    const double back = p.first_ack_after == absl::InfiniteFuture()
                            ? -1
                            : absl::ToDoubleSeconds(p.first_ack_after - p.fault_at);
    std::printf("%-14s %12zu %12d %16zu %12d %15lld %14lld %14.2f\n", p.fault.c_str(),
                p.acked.size(), found, p.acked.size(), events, doubled, missing, back);
    EXPECT_GE(back, 0) << p.fault << ": no write was acknowledged after the fault";
    failed |= found != static_cast<int>(p.acked.size()) ||
              events != static_cast<int>(p.acked.size()) || doubled != 0 || missing != 0;
    EXPECT_GT(p.acked.size(), 50u) << p.fault << ": the load did not run";
  }
  std::printf("(failed calls retried by the client: ");
  for (const Phase& p : phases) {
    std::printf("%s %d; ", p.fault.c_str(), p.failed_calls);
  }
  std::printf(")\n\n");
  EXPECT_FALSE(failed) << "loss or double-apply: see the table";
}

// Two customers replicas (one deployment: shared leases and consumer groups) behind
// a client that alternates between them; under a CreateCustomer load one is killed
// with -9 and replaced. Every acknowledged customer must be readable through the
// survivor and have exactly one CustomerCreated event id on the topic.
TEST(ChaosTest, CustomersReplicaKilledUnderLoad) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  TopicReader reader(env.kafka_bootstrap, "salesops.customers.events.v1");
  const std::vector<std::string> shared = {
      "--lease_namespace=customers-chaos-" + sfx,
      "--customers_directory_group=customers-chaos-dir-" + sfx,
      "--customers_org_changes_group=customers-chaos-changes-" + sfx};
  auto a = std::make_unique<CustomersServer>(shared);
  auto b = std::make_unique<CustomersServer>(shared);
  a->Start();
  b->Start();
  std::array<std::atomic<CustomersServer*>, 2> servers;
  servers[0] = a.get();
  servers[1] = b.get();
  std::atomic<size_t> next{0};
  Load load([&](const std::string& id, const std::string&) {
    CustomersServer* server = servers[next.fetch_add(1) % servers.size()].load();
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    cv1::CreateCustomerRequest req;
    req.set_customer_id(id);
    req.set_request_id("req-" + id);
    req.mutable_customer()->set_display_name("压测客户 " + id);
    req.mutable_customer()->set_customer_type("enterprise");
    cv1::CreateCustomerResponse resp;
    grpc::Status s = server->stub().CreateCustomer(&ctx, req, &resp);
    if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      return grpc::Status::OK;  // created by an earlier attempt whose answer was lost
    }
    return s;
  });

  Phase p;
  p.fault = "customers replica";
  p.unit = "cc-" + sfx;
  std::vector<std::unique_ptr<CustomersServer>> killed;
  load.Run(&p, /*writers=*/4, /*every=*/absl::Milliseconds(20));
  absl::SleepFor(absl::Seconds(3));
  a->Kill9();
  load.MarkFault(&p);
  absl::SleepFor(absl::Seconds(2));
  killed.push_back(std::move(a));
  a = std::make_unique<CustomersServer>(shared);
  a->Start();
  servers[0] = a.get();
  absl::SleepFor(absl::Seconds(4));
  load.Stop();

  // Every acked customer's CustomerCreated on the topic (one event id each).
  std::map<std::string, std::set<std::string>> created;  // customer id -> event ids
  auto absorb = [&](const std::vector<Record>& records) {
    for (const Record& r : records) {
      if (EventType(r) != "salesops.customers.v1.CustomerCreated") {
        continue;
      }
      if (p.acked.count(r.key) > 0) {  // the record key is the customer id
        created[r.key].insert(r.headers.at("ce_id"));
      }
    }
  };
  for (const absl::Time deadline = absl::Now() + absl::Seconds(120);
       absl::Now() < deadline && created.size() < p.acked.size();) {
    absorb(reader.ReadFor(absl::Seconds(2)));
  }
  int found = 0, events = 0, doubled = 0;
  for (const std::string& id : p.acked) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    cv1::GetCustomerRequest req;
    req.set_name("customers/" + id);
    cv1::GetCustomerResponse resp;
    if (b->stub().GetCustomer(&ctx, req, &resp).ok() && resp.customer().name() == req.name()) {
      ++found;
    }
    auto it = created.find(id);
    if (it != created.end()) {
      ++events;
      doubled += it->second.size() > 1 ? 1 : 0;
    }
  }
  const double back = p.first_ack_after == absl::InfiniteFuture()
                          ? -1
                          : absl::ToDoubleSeconds(p.first_ack_after - p.fault_at);
  std::printf("\n%-18s %12s %12s %16s %12s %18s %14s\n", "fault", "writes acked", "writes found",
              "events expected", "events seen", "two event ids", "writes back s");
  std::printf("%-18s %12zu %12d %16zu %12d %18d %14.2f\n", p.fault.c_str(), p.acked.size(), found,
              p.acked.size(), events, doubled, back);
  std::printf("(failed calls retried by the client: %d)\n\n", p.failed_calls);
  EXPECT_GT(p.acked.size(), 50u) << "the load did not run";
  EXPECT_GE(back, 0) << "no write was acknowledged after the kill";
  EXPECT_EQ(found, static_cast<int>(p.acked.size())) << "acknowledged customers missing";
  EXPECT_EQ(events, static_cast<int>(p.acked.size())) << "acknowledged customers without an event";
  EXPECT_EQ(doubled, 0) << "a customer created twice (two CustomerCreated event ids)";
}

// Publishes make(0), make(1), ... to the customers topic as the admin user, as the
// customers service would, each waited for (a record counts once Kafka has it), 5 ms
// apart, until Stop(). `on_published(i)` runs for each one Kafka took.
class CustomersEventStream {
 public:
  CustomersEventStream(std::string client_id, std::function<CloudEvent(int)> make,
                       std::function<void(int)> on_published = {})
      : make_(std::move(make)), on_published_(std::move(on_published)) {
    ProducerOptions po;
    po.bootstrap = TestEnv::Get().kafka_bootstrap;
    po.sasl = KafkaAs("admin");
    po.client_id = std::move(client_id);
    producer_ = std::make_unique<KafkaProducer>(po);
  }
  absl::Status Start() {
    SALESOPS_RETURN_IF_ERROR(producer_->Start());
    thread_ = std::thread([this] {
      for (int i = 0; !stop_.load(); ++i) {
        CloudEvent ce = make_(i);
        if (producer_
                ->ProduceSync("salesops.customers.events.v1", ce.key, ce.data, ToKafkaHeaders(ce),
                              absl::Seconds(10))
                .ok()) {
          if (on_published_) {
            on_published_(i);
          }
          ++published_;
        } else {
          ++failed_;
        }
        absl::SleepFor(absl::Milliseconds(5));
      }
    });
    return absl::OkStatus();
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    producer_->Stop();
  }
  ~CustomersEventStream() { Stop(); }
  int published() const { return published_.load(); }
  int failed() const { return failed_.load(); }

 private:
  std::function<CloudEvent(int)> make_;
  std::function<void(int)> on_published_;
  std::unique_ptr<KafkaProducer> producer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> published_{0}, failed_{0};
};

// The replica fault of the consumer tests: 3 s into `stream`, kill -9 `server`; 2 s
// later a new replica with the same flags takes its place; 4 s more, then the stream
// stops. Returns how many events were published before the kill. The killed server
// object is kept in `killed` (its process is gone).
template <typename Server>
int KillReplicaDuring(CustomersEventStream& stream, std::unique_ptr<Server>& server,
                      const std::vector<std::string>& flags,
                      std::vector<std::unique_ptr<Server>>& killed) {
  absl::SleepFor(absl::Seconds(3));
  server->Kill9();
  const int at_kill = stream.published();
  absl::SleepFor(absl::Seconds(2));
  killed.push_back(std::move(server));
  server = std::make_unique<Server>(flags);
  server->Start();
  absl::SleepFor(absl::Seconds(4));
  stream.Stop();
  return at_kill;
}

// Two warning engine replicas (one deployment: shared consumer groups and leases)
// while stalled-deal events stream in; one is killed with -9 and replaced. The
// engine's side effect is the warning: every deal must get its stalled warning, and no
// (rule, subject) more than one WarningRaised, whichever replica evaluated the event,
// redelivered or not.
TEST(ChaosTest, WarningEngineReplicaKilledUnderLoad) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  // The org the warnings are routed in: a team with its supervisor and a rep.
  OrgServer org("org-chaos-warn-" + sfx);
  org.Start();
  const std::string co = "cw-co-" + sfx, team = "cw-team-" + sfx;
  const std::string sup = "cw-sup-" + sfx, rep = "cw-rep-" + sfx;
  CreateOrgUnit(org, co, v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, team, v1::ORG_UNIT_KIND_TEAM, co);
  CreateMember(org, sup, v1::ROLE_SUPERVISOR, team);
  CreateMember(org, rep, v1::ROLE_REP, team);

  const std::vector<std::string> shared = {"--lease_namespace=warning-chaos-" + sfx,
                                           "--warning_engine_group=warning-engine-chaos-" + sfx,
                                           "--warning_directory_group=warning-dir-chaos-" + sfx};
  auto a = std::make_unique<WarningServer>(shared);
  auto b = std::make_unique<WarningServer>(shared);
  a->Start();
  b->Start();
  DirectoryBarrier known("warn:{warn}:");  // the engine's own directory
  known.Unit(team, co);
  known.Member(sup, team);
  known.Member(rep, team);
  ASSERT_TRUE(known.Wait());
  TopicReader reader(env.kafka_bootstrap, "salesops.warning.events.v1");

  // Deals that entered the proposal stage 40 days ago: each stalls at once.
  const absl::Time entered = absl::Now() - absl::Hours(24 * 40);
  CustomersEventStream stream("chaos-warning-load", [&](int i) {
    cv1::OpportunityStageChanged e;
    e.set_opportunity(absl::StrCat("opportunities/cw-", sfx, "-", i));
    e.set_customer(absl::StrCat("customers/cw-", sfx, "-", i));
    e.set_display_name(absl::StrCat("压测商机 ", i));
    e.set_from_stage(cv1::OPPORTUNITY_STAGE_QUALIFIED);
    e.set_to_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
    e.set_owner("members/" + rep);
    e.set_team("orgUnits/" + team);
    e.set_region("orgUnits/" + co);
    e.set_channel("direct");
    e.set_customer_type("enterprise");
    e.mutable_amount()->set_amount_minor(100'000'00 + i);
    e.mutable_amount()->set_currency_code("CNY");
    return MakeCloudEvent("/salesops/customers", absl::StrCat("cw-", sfx, "-", i), e.opportunity(),
                          e, entered + absl::Seconds(i));
  });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<WarningServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, shared, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";
  const int n = stream.published();

  // Every deal's warning, read until all are there; then, once both replicas have
  // consumed everything and their outbox is empty, what else arrives (a duplicate).
  // rule + " " + subject → the event ids (and warning names) of its WarningRaised records.
  std::map<std::string, std::set<std::string>> raised;
  std::map<std::string, int> records_of;
  std::set<std::string> warned;  // subjects with a stalled-deal warning
  auto absorb = [&](const std::vector<Record>& records) {
    for (const Record& r : records) {
      if (EventType(r) != "salesops.warning.v1.WarningRaised") {
        continue;
      }
      wv1::WarningRaised w;
      if (!w.ParseFromString(r.value) ||
          w.warning().subject().find("cw-" + sfx + "-") == std::string::npos) {
        continue;
      }
      const std::string key = w.warning().rule() + " " + w.warning().subject();
      raised[key].insert(r.headers.at("ce_id") + " " + w.warning().name());
      ++records_of[key];
      warned.insert(w.warning().subject());
    }
  };
  for (const absl::Time deadline = absl::Now() + absl::Seconds(120);
       absl::Now() < deadline && static_cast<int>(warned.size()) < n;) {
    absorb(reader.ReadFor(absl::Seconds(1)));
  }
  WaitForConsumersCaughtUp(a->metrics_port(), "warning_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "warning_server b");
  for (int i = 0; i < 300; ++i) {
    auto len = TestRedis().Command({"XLEN", "warn:{warn}:outbox"});
    if (len.ok() && len->integer == 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  absorb(reader.ReadFor(absl::Seconds(3)));

  int doubled = 0;
  int redelivered = 0;
  for (const auto& [key, ids] : raised) {
    if (ids.size() != 1) {
      ++doubled;
      ADD_FAILURE() << key << ": " << ids.size()
                    << " different WarningRaised: " << absl::StrJoin(ids, ", ");
    }
    redelivered += records_of[key] - 1;
  }
  std::printf("\n%-18s %16s %18s %15s %20s %12s\n", "fault", "events published",
              "deals with warning", "double-raised", "records redelivered", "at the kill");
  std::printf("%-18s %16d %18zu %15d %20d %12d\n\n", "warning replica", n, warned.size(), doubled,
              redelivered, at_kill);
  EXPECT_EQ(static_cast<int>(warned.size()), n) << "deals without their warning";
}

// Two targets replicas (one deployment: shared consumer groups and leases) while won
// deals stream in for one rep; one is killed with -9 and replaced. Attainment is money:
// the rep's and the team's actual must equal the sum of the deals published — not a fen
// more or less — whichever replica applied each deal, redelivered or not.
TEST(ChaosTest, TargetsReplicaKilledWhileDealsAreWon) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  auto id = [&](const std::string& base) { return absl::StrCat("ct-", base, "-", sfx); };
  OrgServer org("org-chaos-tgt-" + sfx);
  org.Start();
  CreateOrgUnit(org, id("co"), v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, id("east"), v1::ORG_UNIT_KIND_REGION, id("co"));
  CreateOrgUnit(org, id("team"), v1::ORG_UNIT_KIND_TEAM, id("east"));
  CreateOrgUnit(org, id("pl"), v1::ORG_UNIT_KIND_PRODUCT_LINE, id("co"));
  CreateMember(org, id("sup"), v1::ROLE_SUPERVISOR, id("team"));
  CreateMember(org, id("rep"), v1::ROLE_REP, id("team"));

  const std::vector<std::string> shared = {"--lease_namespace=targets-chaos-" + sfx,
                                           "--targets_attainment_group=targets-att-chaos-" + sfx,
                                           "--targets_directory_group=targets-dir-chaos-" + sfx,
                                           "--targets_org_changes_group=targets-org-chaos-" + sfx};
  auto a = std::make_unique<TargetsServer>(shared);
  auto b = std::make_unique<TargetsServer>(shared);
  a->Start();
  b->Start();
  DirectoryBarrier known("tgt:{tgt}:");  // the service's own directory
  known.Unit(id("co"), "");
  known.Unit(id("east"), id("co"));
  known.Unit(id("team"), id("east"));
  known.Unit(id("pl"), id("co"));
  known.Member(id("rep"), id("team"));
  ASSERT_TRUE(known.Wait());

  // This quarter's plan, all of it on the one rep, published.
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  auto call = [&](auto fn, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (b->stub().*fn)(&ctx, req, resp);
  };
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  tv1::CreateFiscalPeriodRequest fp;
  fp.set_fiscal_period_id(id("q"));
  fp.mutable_fiscal_period()->set_display_name("本季度");
  fp.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
  fp.mutable_fiscal_period()->set_fiscal_year(static_cast<int>(today.year()));
  fp.mutable_fiscal_period()->set_number((today.month() - 1) / 3 + 1);
  fp.mutable_fiscal_period()->set_fiscal_year_start_month(1);
  tv1::CreateFiscalPeriodResponse fpr;
  grpc::Status s = call(&tv1::TargetsService::Stub::CreateFiscalPeriod, fp, &fpr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  tv1::CreatePlanRequest cp;
  cp.set_plan_id(id("plan"));
  cp.mutable_plan()->set_display_name("季度目标");
  cp.mutable_plan()->set_period(fpr.fiscal_period().name());
  cp.mutable_plan()->set_scope("orgUnits/" + id("co"));
  cp.mutable_plan()->mutable_total()->set_amount_minor(1'000'000'00);
  cp.mutable_plan()->mutable_total()->set_currency_code("CNY");
  cp.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
  tv1::CreatePlanResponse plan;
  s = call(&tv1::TargetsService::Stub::CreatePlan, cp, &plan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::string parent;
  for (const auto& [axis, key] : std::vector<std::pair<tv1::AllocationAxis, std::string>>{
           {tv1::ALLOCATION_AXIS_PRODUCT_LINE, "orgUnits/" + id("pl")},
           {tv1::ALLOCATION_AXIS_TEAM, "orgUnits/" + id("team")},
           {tv1::ALLOCATION_AXIS_REP, "members/" + id("rep")}}) {
    tv1::AllocatePlanRequest al;
    al.set_plan(plan.plan().name());
    al.set_parent_cell(parent);
    al.set_axis(axis);
    al.set_method(tv1::ALLOCATION_METHOD_EQUAL);
    al.add_inputs()->set_key(key);
    tv1::AllocatePlanResponse alr;
    s = call(&tv1::TargetsService::Stub::AllocatePlan, al, &alr);
    ASSERT_TRUE(s.ok()) << key << ": " << s.error_message();
    parent = alr.cells(0).name();
  }
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.plan().name());
  tv1::PublishPlanResponse pubr;
  s = call(&tv1::TargetsService::Stub::PublishPlan, pub, &pubr);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Won deals, each of a different customer (so spread over the partitions), as the
  // customers service publishes them; deal i is worth 1,000.00 yuan + i fen.
  auto amount = [](int i) -> int64_t { return 1'000'00 + i; };
  std::atomic<int64_t> sum{0};
  CustomersEventStream stream(
      "chaos-targets-load",
      [&](int i) {
        cv1::OpportunityWon won;
        won.set_opportunity(absl::StrCat("opportunities/", id("o"), "-", i));
        won.set_customer(absl::StrCat("customers/", id("c"), "-", i));
        won.set_owner("members/" + id("rep"));
        won.set_team("orgUnits/" + id("team"));
        won.set_region("orgUnits/" + id("east"));
        won.set_product_line("orgUnits/" + id("pl"));
        won.set_channel("direct");
        won.set_customer_type("enterprise");
        won.mutable_amount()->set_amount_minor(amount(i));
        won.mutable_amount()->set_currency_code("CNY");
        won.mutable_won_date()->set_year(static_cast<int>(today.year()));
        won.mutable_won_date()->set_month(today.month());
        won.mutable_won_date()->set_day(today.day());
        return MakeCloudEvent("/salesops/customers", absl::StrCat(id("c"), "-", i),
                              won.opportunity(), won, absl::Now());
      },
      [&](int i) { sum += amount(i); });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<TargetsServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, shared, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";

  // Barrier: the rep's actual reaches the sum; then, with both replicas caught up, it
  // must not have gone past it (a double-applied deal would).
  auto actual = [&](const std::string& subject) -> int64_t {
    tv1::GetAttainmentRequest get;
    get.set_plan(plan.plan().name());
    get.set_subject(subject);
    tv1::GetAttainmentResponse att;
    grpc::Status st = call(&tv1::TargetsService::Stub::GetAttainment, get, &att);
    return st.ok() ? att.attainment().actual().amount_minor() : -1;
  };
  for (const absl::Time deadline = absl::Now() + absl::Seconds(120);
       absl::Now() < deadline && actual("members/" + id("rep")) < sum.load();) {
    absl::SleepFor(absl::Milliseconds(200));  // polling the service's own figure: the barrier
  }
  WaitForConsumersCaughtUp(a->metrics_port(), "targets_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "targets_server b");
  const int64_t rep = actual("members/" + id("rep"));
  const int64_t team = actual("orgUnits/" + id("team"));
  std::printf("\n%-17s %10s %16s %16s %16s %12s\n", "fault", "deals won", "sum (fen)", "rep actual",
              "team actual", "at the kill");
  std::printf("%-17s %10d %16lld %16lld %16lld %12d\n\n", "targets replica", stream.published(),
              static_cast<long long>(sum.load()), static_cast<long long>(rep),
              static_cast<long long>(team), at_kill);
  EXPECT_EQ(rep, sum.load()) << "the rep's attainment is not the sum of the deals won";
  EXPECT_EQ(team, sum.load()) << "the team's attainment is not the sum of the deals won";
}

}  // namespace
}  // namespace salesops::testing
