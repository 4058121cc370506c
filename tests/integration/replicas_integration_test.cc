// Several replicas of a service on one Redis and one Kafka broker (real ones):
// the lease that gives the outbox relay and the scheduled jobs one owner at a
// time, one aggregate's events in commit order whichever replica took the
// writes, a takeover after kill -9 with nothing lost, and jobs that run on one
// replica only and move on when it stops.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_lease.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;

// ---------------------------------------------------------------- the lease

class LeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestEnv::Get();
    // As the org service's ACL user: the script must run with its rights.
    redis_ = std::make_unique<RedisClient>(RedisAs("org"));
    key_ = "org:{org}:outbox:lease:lease-test-" + UniqueSuffix() + ":relay";
  }
  void TearDown() override { (void)TestRedis().Command({"DEL", key_}); }

  std::unique_ptr<RedisLease> Make(absl::Duration ttl = absl::Seconds(5)) {
    return std::make_unique<RedisLease>(*redis_,
                                        LeaseOptions{.key = key_, .owner = "", .ttl = ttl});
  }

  std::unique_ptr<RedisClient> redis_;
  std::string key_;
};

TEST_F(LeaseTest, OneHolderAtATimeAndAReleaseHandsItOver) {
  auto a = Make(), b = Make(), c = Make();
  ASSERT_EQ(a->TryOnce().value_or(false), true);
  EXPECT_EQ(b->TryOnce().value_or(true), false);
  EXPECT_EQ(c->TryOnce().value_or(true), false);
  EXPECT_TRUE(a->held());
  EXPECT_FALSE(b->held());
  // Renewal keeps it; the key names the holder and expires by itself.
  ASSERT_EQ(a->TryOnce().value_or(false), true);
  EXPECT_EQ(a->acquisitions(), 1);
  auto owner = TestRedis().Command({"GET", key_});
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->str, a->owner());
  auto pttl = TestRedis().Command({"PTTL", key_});
  ASSERT_TRUE(pttl.ok());
  EXPECT_GT(pttl->integer, 0);
  EXPECT_LE(pttl->integer, 5000);

  a->Stop();  // releases
  EXPECT_FALSE(a->held());
  ASSERT_EQ(b->TryOnce().value_or(false), true);
  EXPECT_EQ(c->TryOnce().value_or(true), false);
  EXPECT_EQ(a->TryOnce().value_or(true), false);
}

TEST_F(LeaseTest, ADeadHoldersLeaseExpiresAndAnotherTakesIt) {
  auto a = Make(absl::Seconds(1)), b = Make(absl::Seconds(1));
  a->Start();
  ASSERT_TRUE(a->WaitHeld(absl::Seconds(10)));
  b->Start();
  EXPECT_FALSE(b->held());
  a->Abandon();  // no release: what kill -9 looks like
  EXPECT_FALSE(a->held());
  ASSERT_TRUE(b->WaitHeld(absl::Seconds(10))) << "the lease never expired";
  EXPECT_EQ(b->acquisitions(), 1);
  EXPECT_EQ(a->TryOnce().value_or(true), false);
  b->Stop();
}

TEST_F(LeaseTest, AHolderWhoseKeyVanishedLearnsItAtTheNextRenewal) {
  // A Redis failover that lost the key, or an operator's FLUSHALL: another
  // process acquires; the old holder must not go on believing it holds it.
  auto a = Make(), b = Make();
  ASSERT_EQ(a->TryOnce().value_or(false), true);
  ASSERT_TRUE(TestRedis().Command({"DEL", key_}).ok());
  ASSERT_EQ(b->TryOnce().value_or(false), true);
  EXPECT_EQ(a->TryOnce().value_or(true), false);
  EXPECT_FALSE(a->held());
  EXPECT_TRUE(b->held());
}

TEST_F(LeaseTest, StartedLeasesNeverHaveTwoHolders) {
  std::vector<std::unique_ptr<RedisLease>> leases;
  for (int i = 0; i < 3; ++i) {
    leases.push_back(Make(absl::Seconds(1)));
    leases.back()->Start();
  }
  // Hand it around by stopping each holder in turn; at every look at most
  // one of the running leases holds it, and someone does again soon.
  for (int round = 0; round < 2; ++round) {
    RedisLease* holder = nullptr;
    for (int look = 0; look < 200 && holder == nullptr; ++look) {
      int holders = 0;
      for (auto& l : leases) {
        if (l->held()) {
          ++holders;
          holder = l.get();
        }
      }
      ASSERT_LE(holders, 1);
      if (holder == nullptr) {
        (void)leases[look % leases.size()]->WaitHeld(absl::Milliseconds(50));
      }
    }
    ASSERT_NE(holder, nullptr) << "nobody acquired the lease";
    holder->Stop();
    std::erase_if(leases, [holder](const auto& l) { return l.get() == holder; });
  }
  for (auto& l : leases) {
    l->Stop();
  }
}

// ------------------------------------------------------- org service replicas

constexpr char kRelayActive[] = R"(salesops_outbox_relay_active{service="org"})";

// Waits until exactly one of `servers` relays; returns its index (-1 on timeout).
int WaitForOneRelay(const std::vector<OrgServer*>& servers, absl::Duration timeout) {
  std::vector<int> ports;
  for (OrgServer* s : servers) {
    ports.push_back(s->metrics_port());
  }
  int active = -1;
  WaitForMetrics(
      ports, kRelayActive,
      [&](const std::vector<double>& v) {
        active = -1;
        int n = 0;
        for (size_t i = 0; i < v.size(); ++i) {
          if (v[i] == 1) {
            ++n;
            active = static_cast<int>(i);
          }
        }
        return n == 1;
      },
      timeout);
  return active;
}

grpc::Status Rename(OrgServer& server, const std::string& token, const std::string& unit,
                    const std::string& step) {
  grpc::ClientContext ctx;
  Authorize(ctx, token);
  v1::UpdateOrgUnitRequest req;
  req.mutable_org_unit()->set_name("orgUnits/" + unit);
  req.mutable_org_unit()->set_display_name("Team " + step);
  req.mutable_update_mask()->add_paths("display_name");
  req.set_reason(step);
  v1::UpdateOrgUnitResponse resp;
  return server.stub().UpdateOrgUnit(&ctx, req, &resp);
}

TEST(OrgReplicasTest, OneRelayKeepsEachUnitsEventsInCommitOrderAndATakeoverLosesNothing) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  const std::string admin = Token(Role::kAdmin, "replicas", "");
  const std::string deployment = "org-replicas-" + sfx;  // shared: one deployment
  auto a = std::make_unique<OrgServer>(deployment);
  auto b = std::make_unique<OrgServer>(deployment);
  a->Start();
  b->Start();
  const int relaying = WaitForOneRelay({a.get(), b.get()}, absl::Seconds(20));
  ASSERT_GE(relaying, 0) << "expected exactly one active relay of two replicas";

  // Three units renamed step by step, each write acknowledged before the next
  // and the writes alternating between the replicas: each unit's events must
  // reach Kafka in that order.
  std::vector<std::string> units;
  for (int u = 0; u < 3; ++u) {
    units.push_back(absl::StrCat("rep-", u, "-", sfx));
    CreateOrgUnit(*a, units.back(), v1::ORG_UNIT_KIND_COMPANY, "");
  }
  TopicReader reader(env.kafka_bootstrap, "salesops.org.events.v1");
  const int kSteps = 40;
  for (int i = 0; i < kSteps; ++i) {
    for (size_t u = 0; u < units.size(); ++u) {
      OrgServer& via = (i + u) % 2 == 0 ? *a : *b;
      ASSERT_TRUE(Rename(via, admin, units[u], absl::StrCat("step-", i)).ok());
    }
  }
  // Kill the relaying replica right away (its outbox may still hold entries),
  // then write through the survivor: it must take the relay over and publish
  // everything acknowledged, before and after, in order.
  OrgServer* dead = relaying == 0 ? a.get() : b.get();
  OrgServer* survivor = relaying == 0 ? b.get() : a.get();
  dead->Kill9();
  const int kAfter = 10;
  for (int i = kSteps; i < kSteps + kAfter; ++i) {
    for (const std::string& unit : units) {
      ASSERT_TRUE(Rename(*survivor, admin, unit, absl::StrCat("step-", i)).ok());
    }
  }
  const std::string last = absl::StrCat("step-", kSteps + kAfter - 1);

  // Each unit's steps, first occurrence of each event in topic order (a
  // re-published duplicate is dropped by consumers by its event id).
  std::map<std::string, std::vector<std::string>> steps;
  std::set<std::string> seen_ids, finished;
  reader.ReadUntil(
      [&](const Record& r) {
        auto type = r.headers.find("ce_type");
        v1::OrgUnitUpdated e;
        if (type == r.headers.end() || type->second != "salesops.org.v1.OrgUnitUpdated" ||
            !e.ParseFromString(r.value) || !seen_ids.insert(r.headers.at("ce_id")).second) {
          return false;
        }
        steps[e.org_unit().name()].push_back(e.reason());
        return e.reason() == last && finished.insert(e.org_unit().name()).second;
      },
      units.size(), absl::Seconds(60));
  std::vector<std::string> want;
  for (int i = 0; i < kSteps + kAfter; ++i) {
    want.push_back(absl::StrCat("step-", i));
  }
  for (const std::string& unit : units) {
    EXPECT_EQ(steps["orgUnits/" + unit], want) << unit;
  }
  EXPECT_EQ(MetricValue(survivor->metrics_port(), kRelayActive), 1);
  EXPECT_GE(MetricValue(survivor->metrics_port(),
                        R"(salesops_lease_acquisitions_total{lease="relay",service="org"})"),
            1);
}

// ------------------------------------------------- customers: one scheduler

constexpr char kPoolRuns[] = R"(salesops_job_runs_total{job="pool",service="customers"})";
constexpr char kJobsHeld[] = R"(salesops_lease_held{lease="jobs",service="customers"})";

TEST(CustomersReplicasTest, JobsRunOnOneReplicaAndMoveWhenItStops) {
  TestEnv::Get();
  const std::string ns = "--lease_namespace=customers-replicas-" + UniqueSuffix();
  CustomersServer a({ns}), b({ns});
  a.Start();
  b.Start();
  const std::vector<int> ports = {a.metrics_port(), b.metrics_port()};
  // The holder's pool job runs every 200 ms: wait for five runs on one of them.
  int holder = -1;
  ASSERT_TRUE(WaitForMetrics(
      ports, kPoolRuns,
      [&](const std::vector<double>& runs) {
        for (size_t i = 0; i < runs.size(); ++i) {
          if (runs[i] >= 5) {
            holder = static_cast<int>(i);
          }
        }
        return holder >= 0;
      },
      absl::Seconds(20)))
      << "no replica ran the jobs";
  const int other = 1 - holder;
  EXPECT_EQ(MetricValue(ports[holder], kJobsHeld), 1);
  EXPECT_EQ(MetricValue(ports[other], kJobsHeld), 0);
  EXPECT_EQ(MetricValue(ports[other], kPoolRuns), 0) << "the jobs ran on both replicas";

  // A graceful stop releases the lease: the other replica's scheduler takes
  // over without waiting for the lease to expire.
  (holder == 0 ? a : b).Stop();
  EXPECT_TRUE(WaitForMetrics(
      {ports[other]}, kPoolRuns, [](const std::vector<double>& v) { return v[0] >= 5; },
      absl::Seconds(20)))
      << "the jobs did not move to the remaining replica";
  EXPECT_EQ(MetricValue(ports[other], kJobsHeld), 1);
}

}  // namespace
}  // namespace salesops::testing
