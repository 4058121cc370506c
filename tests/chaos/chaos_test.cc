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
// fails on any loss or double-apply. Then the same for one of two customers replicas
// and one of two gateway replicas (the write path over HTTP). The replicas of the
// consuming services are killed in consumer_chaos_test.cc, in the same binary.
#include <signal.h>
#include <stdio.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/cloud_event.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/gateway_env.h"
#include "tests/integration/redis_ha.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;
namespace cv1 = salesops::customers::v1;

// A phase's load windows, by count (~200 writes a second): before the fault,
// and after the service is back (writes keep coming, and land, once it is).
constexpr size_t kAcksBeforeFault = 500;
constexpr size_t kAcksAfterBack = 600;
// How long a fault lasts, also by count: writes keep landing meanwhile (in the
// outbox while the broker is down, through the surviving replica).
constexpr size_t kAcksDuringFault = 400;

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
              acked_.notify_all();
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

  // Waits until a write sent after the fault was acknowledged, or `limit` has
  // passed (the check after the phase then reports it): a phase does not end
  // before the service is back, however long the fault's recovery takes here.
  void WaitUntilBack(Phase* phase, absl::Duration limit) {
    std::unique_lock<std::mutex> lock(mu_);
    acked_.wait_for(lock, absl::ToChronoMilliseconds(limit),
                    [phase] { return phase->first_ack_after != absl::InfiniteFuture(); });
  }

  // Waits until `n` more writes of the phase were acknowledged (or `limit`
  // passed: the phase's checks then report a load that did not run): the load
  // windows around a fault end by count, not by the clock.
  void WaitForMoreAcks(Phase* phase, size_t n, absl::Duration limit) {
    std::unique_lock<std::mutex> lock(mu_);
    const size_t target = phase->acked.size() + n;
    acked_.wait_for(lock, absl::ToChronoMilliseconds(limit),
                    [phase, target] { return phase->acked.size() >= target; });
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
  std::condition_variable acked_;  // a write was acknowledged
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
    load.WaitForMoreAcks(&p, kAcksBeforeFault, absl::Seconds(60));
    if (p.fault == "kafka broker") {
      ASSERT_EQ(std::system(absl::StrCat(SALESOPS_SOURCE_DIR, "/deploy/local/kafka.sh kill ",
                                         BrokerToKill("salesops.org.events.v1"), " >/dev/null 2>&1")
                                .c_str()),
                0);
      load.MarkFault(&p);
      load.WaitForMoreAcks(&p, kAcksDuringFault,
                           absl::Seconds(60));  // the outage, while the broker is down
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
      load.WaitForMoreAcks(&p, kAcksDuringFault,
                           absl::Seconds(60));  // the outage, while the replica is down
      killed.push_back(std::move(serving));
      serving = serving_replica();
      serving->Start();
      current[0] = serving.get();
    } else {
      consuming->Kill9();
      load.MarkFault(&p);
      load.WaitForMoreAcks(&p, kAcksDuringFault,
                           absl::Seconds(60));  // the outage, while the consumer is down
      killed.push_back(std::move(consuming));
      consuming = std::make_unique<OrgServer>(group, ha.ServiceArgs("org"));
      consuming->Start();
    }
    load.WaitUntilBack(&p, absl::Seconds(60));
    load.WaitForMoreAcks(&p, kAcksAfterBack, absl::Seconds(60));
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

// The check of a replica fault under writes: reads `reader` until every acknowledged
// id of `p` has its `event_type` record (the record key is the id) or 120 s pass; then
// every acknowledged write must be `found` and have exactly one event id. Prints the
// phase's row.
void CheckAcknowledgedWrites(const Phase& p, TopicReader& reader, const std::string& event_type,
                             const std::function<bool(const std::string&)>& found_fn) {
  std::map<std::string, std::set<std::string>> event_ids;  // id -> event ids
  auto absorb = [&](const std::vector<Record>& records) {
    for (const Record& r : records) {
      if (EventType(r) == event_type && p.acked.count(r.key) > 0) {
        event_ids[r.key].insert(r.headers.at("ce_id"));
      }
    }
  };
  for (const absl::Time deadline = absl::Now() + absl::Seconds(120);
       absl::Now() < deadline && event_ids.size() < p.acked.size();) {
    absorb(reader.ReadFor(absl::Seconds(2)));
  }
  int found = 0, events = 0, doubled = 0;
  for (const std::string& id : p.acked) {
    found += found_fn(id) ? 1 : 0;
    auto it = event_ids.find(id);
    if (it != event_ids.end()) {
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
  EXPECT_EQ(found, static_cast<int>(p.acked.size())) << "acknowledged writes missing";
  EXPECT_EQ(events, static_cast<int>(p.acked.size())) << "acknowledged writes without an event";
  EXPECT_EQ(doubled, 0) << "a write with two " << event_type << " event ids";
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
  load.WaitForMoreAcks(&p, kAcksBeforeFault, absl::Seconds(60));
  a->Kill9();
  load.MarkFault(&p);
  load.WaitForMoreAcks(&p, kAcksDuringFault,
                       absl::Seconds(60));  // the outage, while the replica is down
  killed.push_back(std::move(a));
  a = std::make_unique<CustomersServer>(shared);
  a->Start();
  servers[0] = a.get();
  load.WaitForMoreAcks(&p, kAcksAfterBack, absl::Seconds(60));
  load.Stop();

  // Every acked customer readable through the survivor, with one CustomerCreated.
  CheckAcknowledgedWrites(
      p, reader, "salesops.customers.v1.CustomerCreated", [&](const std::string& id) {
        grpc::ClientContext ctx;
        Authorize(ctx, admin);
        cv1::GetCustomerRequest req;
        req.set_name("customers/" + id);
        cv1::GetCustomerResponse resp;
        return b->stub().GetCustomer(&ctx, req, &resp).ok() && resp.customer().name() == req.name();
      });
}

// Two gateway replicas in front of one org service, as two pods behind one Service: a
// client's CreateMember calls (Connect JSON over HTTP, retried with the same
// request_id until acknowledged) alternate between them; one is killed with -9 and
// replaced. Every acknowledged member must be in the org service, with exactly one
// MemberJoined event id on the topic.
TEST(ChaosTest, GatewayReplicaKilledUnderLoad) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  TopicReader reader(env.kafka_bootstrap, "salesops.org.events.v1");
  OrgServer org("org-chaos-gw-" + sfx);
  org.Start();
  const std::string co = "cg-co-" + sfx, team = "cg-team-" + sfx;
  CreateOrgUnit(org, co, v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, team, v1::ORG_UNIT_KIND_TEAM, co);
  const std::vector<std::string> shared = {"--lease_namespace=gateway-chaos-" + sfx,
                                           "--directory_group=gateway-directory-chaos-" + sfx};
  auto replica = [&] { return std::make_unique<GatewayServer>(org.addr(), shared); };
  auto a = replica();
  auto b = replica();
  a->Start();
  b->Start();
  std::array<std::atomic<GatewayServer*>, 2> gateways;
  gateways[0] = a.get();
  gateways[1] = b.get();
  std::atomic<size_t> next{0};
  Load load([&](const std::string& id, const std::string& unit) {
    GatewayServer* gateway = gateways[next.fetch_add(1) % gateways.size()].load();
    const std::string body = absl::StrCat(
        R"({"memberId": ")", id, R"(", "requestId": "req-)", id,
        R"(", "member": {"displayName": "压测", "email": ")", id,
        R"(@chaos.example.com", "role": "ROLE_REP", "department": "DEPARTMENT_SALES", )",
        R"("orgUnit": "orgUnits/)", unit, R"("}})");
    const HttpAnswer answer =
        gateway->Call("/salesops.org.v1.OrgService/CreateMember", body, admin);
    if (answer.status == 200 ||
        (answer.status == 409 && absl::StrContains(answer.body, "already_exists"))) {
      return grpc::Status::OK;  // 409: created by an earlier attempt whose answer was lost
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("HTTP ", answer.status, ": ", answer.body));
  });

  Phase p;
  p.fault = "gateway replica";
  p.unit = team;
  std::vector<std::unique_ptr<GatewayServer>> killed;
  load.Run(&p, /*writers=*/4, /*every=*/absl::Milliseconds(20));
  load.WaitForMoreAcks(&p, kAcksBeforeFault, absl::Seconds(60));
  a->Kill9();
  load.MarkFault(&p);
  load.WaitForMoreAcks(&p, kAcksDuringFault,
                       absl::Seconds(60));  // the outage, while the replica is down
  killed.push_back(std::move(a));
  a = replica();
  a->Start();
  gateways[0] = a.get();
  load.WaitForMoreAcks(&p, kAcksAfterBack, absl::Seconds(60));
  load.Stop();

  // Every acked member in the org service, with one MemberJoined.
  CheckAcknowledgedWrites(p, reader, "salesops.org.v1.MemberJoined", [&](const std::string& id) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    v1::GetMemberRequest req;
    req.set_name("members/" + id);
    v1::GetMemberResponse resp;
    return org.stub().GetMember(&ctx, req, &resp).ok() && resp.member().name() == req.name();
  });
}

}  // namespace
}  // namespace salesops::testing
