// Redis failover with real servers: a primary, its replica and three
// Sentinels on loopback (deploy/local/redis.sh), the org service following the
// primary through the Sentinels and acknowledging a write only when the
// replica has it (--redis_wait_replicas=1). Under a steady write load the
// primary is killed with -9 and restarted (as the orchestrator would), to
// rejoin as the new primary's replica; afterwards every acknowledged write
// must be on the new primary and its event on Kafka. Prints the time until
// writes were acknowledged again.
//
// Why one replica: with two and WAIT 1, an acknowledged write may be on the
// replica Sentinel does not promote (it picks by the offsets it last saw).
// With one, the replica Sentinel promotes is the one WAIT waited for; the
// price is that writes are refused (UNAVAILABLE, retried by the client) from
// the primary's loss until a replica is attached again.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/events/cloud_event.h"
#include "common/kafka/producer.h"
#include "common/outbox/relay.h"
#include "common/outbox/write_batch.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"
#include "tests/integration/redis_ha.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;

TEST(RedisFailoverTest, AcknowledgedWritesSurviveThePrimarysLoss) {
  const TestEnv& env = TestEnv::Get();
  RedisHa ha;
  ASSERT_NO_FATAL_FAILURE(ha.Start());
  RedisClient admin(ha.As("admin"));

  // A write no replica set can confirm is not acknowledged.
  {
    RedisOptions o = ha.As("org");
    o.wait_replicas = 2;
    o.wait_timeout = absl::Milliseconds(200);
    RedisClient strict(o);
    static const LuaScript kSet("return redis.call('SET', KEYS[1], ARGV[1])");
    auto r = strict.Eval(kSet, {"org:{org}:ha-probe"}, {"1"});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ErrorReason(r.status()), "REDIS_NOT_REPLICATED");
    // Batched commits (consumers' waves, jobs) are acknowledged the same way.
    auto many = [](RedisClient& redis, const std::string& value) {
      TransactionalOutbox outbox(redis, "org:{org}:ha-probe-outbox");
      std::vector<WriteBatch> batches(2);
      batches[0].Set("org:{org}:ha-probe-a", value);
      batches[1].Set("org:{org}:ha-probe-b", value);
      return outbox.CommitMany(batches);
    };
    {
      // Loaded first, so the batch goes out as EVALSHAs (a NOSCRIPT reply would
      // fall back to Commit, one EVAL and its own WAIT at a time).
      RedisOptions no_wait = o;
      no_wait.wait_replicas = 0;
      RedisClient plain(no_wait);
      WriteBatch load;
      load.Set("org:{org}:ha-probe-load", "1");
      auto loaded = TransactionalOutbox(plain, "org:{org}:ha-probe-outbox").Commit(load);
      ASSERT_TRUE(loaded.ok()) << loaded.status();
    }
    for (const auto& r : many(strict, "1")) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
      EXPECT_EQ(ErrorReason(r.status()), "REDIS_NOT_REPLICATED");
    }
    o.wait_replicas = 1;
    RedisClient one(o);
    auto replicated = one.Eval(kSet, {"org:{org}:ha-probe"}, {"2"});
    EXPECT_TRUE(replicated.ok()) << replicated.status();
    for (const auto& r : many(one, "2")) {
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(r->committed);
    }
    auto b = admin.Command({"GET", "org:{org}:ha-probe-b"});
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->str, "2");
  }

  // A retry that writes nothing, because an earlier attempt on another connection
  // applied it, is acknowledged only once the replica has that attempt's writes
  // (WAIT alone covers its own connection's). The replica is stopped so that it
  // cannot confirm anything new while it is still attached.
  {
    RedisOptions o = ha.As("org");
    o.wait_replicas = 1;
    o.wait_timeout = absl::Milliseconds(300);
    RedisClient retry(o);
    static const LuaScript kGet("return redis.call('GET', KEYS[1])");
    const std::string key = "org:{org}:ha-retry-" + UniqueSuffix();
    ASSERT_TRUE(retry.Eval(kGet, {key}, {}).ok());  // its pooled connection, made now
    const pid_t replica = ha.NodePid(1);
    ASSERT_GT(replica, 0);
    ASSERT_EQ(kill(replica, SIGSTOP), 0);
    // The earlier attempt: on the primary, not yet on the replica.
    auto earlier = admin.Command({"SET", key, "1"});
    // The retry's script finds it applied and writes nothing; a replay reads it back.
    auto script_retry = retry.Eval(kGet, {key}, {});
    absl::Status replay = retry.AwaitReplicated(key);
    ASSERT_EQ(kill(replica, SIGCONT), 0);
    ASSERT_TRUE(earlier.ok()) << earlier.status();
    EXPECT_EQ(script_retry.status().code(), absl::StatusCode::kUnavailable)
        << "acknowledged before the replica had the earlier attempt's write";
    EXPECT_EQ(ErrorReason(script_retry.status()), "REDIS_NOT_REPLICATED");
    EXPECT_EQ(replay.code(), absl::StatusCode::kUnavailable) << replay;
    EXPECT_EQ(ErrorReason(replay), "REDIS_NOT_REPLICATED");
    // Once the replica has caught up, the same retry is acknowledged.
    o.wait_timeout = absl::Seconds(10);
    RedisClient patient(o);
    auto again = patient.Eval(kGet, {key}, {});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->str, "1");
    EXPECT_TRUE(patient.AwaitReplicated(key).ok());
  }

  const std::string sfx = UniqueSuffix();
  OrgServer org("org-ha-" + sfx, ha.ServiceArgs("org"));
  org.Start();
  const std::string token = Token(Role::kAdmin, "ha", "");
  const std::string unit = "ha-team-" + sfx;
  CreateOrgUnit(org, "ha-co-" + sfx, v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, unit, v1::ORG_UNIT_KIND_TEAM, "ha-co-" + sfx);
  TopicReader reader(env.kafka_bootstrap, "salesops.org.events.v1");

  // A replayed request is answered only once what its first attempt wrote would
  // survive the primary's loss. The replica is stopped: the first attempt fails
  // REDIS_NOT_REPLICATED with its write on the primary only; the retry finds the
  // request done and must not be acknowledged until the replica has it.
  {
    auto create = [&](const std::string& request_id) {
      grpc::ClientContext ctx;
      Authorize(ctx, token);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::CreateOrgUnitRequest req;
      req.set_org_unit_id("ha-replay-" + sfx);
      req.set_request_id(request_id);
      req.mutable_org_unit()->set_display_name("重放");
      req.mutable_org_unit()->set_kind(v1::ORG_UNIT_KIND_TEAM);
      req.mutable_org_unit()->set_parent("orgUnits/ha-co-" + sfx);
      v1::CreateOrgUnitResponse resp;
      grpc::Status s = org.stub().CreateOrgUnit(&ctx, req, &resp);
      EXPECT_TRUE(!s.ok() || resp.org_unit().name() == "orgUnits/ha-replay-" + sfx);
      return s;
    };
    const std::string request_id = "req-replay-" + sfx;
    const pid_t replica = ha.NodePid(1);
    ASSERT_GT(replica, 0);
    ASSERT_EQ(kill(replica, SIGSTOP), 0);
    const grpc::Status first = create(request_id);
    const grpc::Status replayed = create(request_id);
    // Nor does its event reach Kafka: lost with the primary now, the write would be
    // gone and the event not (the relay reads the outbox within milliseconds).
    auto created = [&](const std::vector<Record>& records) {
      for (const Record& r : records) {
        if (r.key == "ha-replay-" + sfx) {
          return true;
        }
      }
      return false;
    };
    const bool published_unconfirmed = created(reader.ReadFor(absl::Seconds(2)));
    ASSERT_EQ(kill(replica, SIGCONT), 0);
    EXPECT_FALSE(published_unconfirmed) << "an event published before the replica had its write";
    EXPECT_EQ(first.error_code(), grpc::StatusCode::UNAVAILABLE) << first.error_message();
    EXPECT_EQ(replayed.error_code(), grpc::StatusCode::UNAVAILABLE)
        << "a replay acknowledged before the replica had its first attempt's write: "
        << replayed.error_message();
    // The replica caught up (WAIT waits up to 500 ms for it): the replay is acknowledged.
    const grpc::Status later = create(request_id);
    EXPECT_TRUE(later.ok()) << later.error_message();
    // Confirmed now: published.
    bool published = false;
    for (int i = 0; i < 30 && !published; ++i) {
      published = created(reader.ReadFor(absl::Seconds(1)));
    }
    EXPECT_TRUE(published) << "the event of a confirmed write never reached Kafka";
  }

  std::mutex mu;
  std::set<std::string> acked;
  int failed_calls = 0;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> killed_ns{0}, first_ack_after_kill_ns{0};
  auto now_ns = [] { return absl::ToUnixNanos(absl::Now()); };
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = absl::StrCat(unit, "-w", w, "-", i);
        // The same request until acknowledged: what makes "acked" exact.
        while (!stop.load()) {
          const int64_t sent = now_ns();
          grpc::ClientContext ctx;
          Authorize(ctx, token);
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
          v1::CreateMemberRequest req;
          req.set_member_id(id);
          req.set_request_id("req-" + id);
          req.mutable_member()->set_display_name("故障切换");
          req.mutable_member()->set_email(id + "@ha.example.com");
          req.mutable_member()->set_role(v1::ROLE_REP);
          req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
          req.mutable_member()->set_org_unit("orgUnits/" + unit);
          v1::CreateMemberResponse resp;
          grpc::Status s = org.stub().CreateMember(&ctx, req, &resp);
          if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
            std::lock_guard<std::mutex> lock(mu);
            acked.insert(id);
            const int64_t t = now_ns();
            int64_t zero = 0;
            // Recovery: the first write sent after the kill that is acknowledged.
            if (killed_ns.load() != 0 && sent > killed_ns.load()) {
              first_ack_after_kill_ns.compare_exchange_strong(zero, t);
            }
            break;
          }
          {
            std::lock_guard<std::mutex> lock(mu);
            ++failed_calls;
          }
          absl::SleepFor(absl::Milliseconds(50));  // a client's retry pause
        }
      }
    });
  }
  auto acked_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  // Barrier: 200 writes acknowledged before the fault.
  for (int i = 0; i < 600 && acked_count() < 200; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_GE(acked_count(), 200u) << org.Logs();
  const size_t before = acked_count();
  {
    // WAIT's promise: every write acknowledged so far is already on the replica.
    RedisOptions o = ha.As("admin");
    o.sentinels.clear();
    o.port = ha.node_port(1);
    RedisClient replica(o);
    std::lock_guard<std::mutex> lock(mu);
    for (const std::string& id : acked) {
      auto r = replica.Command({"EXISTS", "org:{org}:member:" + id});
      auto p = admin.Command({"EXISTS", "org:{org}:member:" + id});
      if (!(r.ok() && r->integer == 1)) {
        ADD_FAILURE() << "acked, not on the replica: " << id
                      << " primary has it: " << (p.ok() ? p->integer : -1);
      }
    }
  }
  // Barrier: the Sentinels name the replica as the primary.
  ASSERT_NO_FATAL_FAILURE(ha.KillPrimaryUntilPromoted(0, 1, [&] {
    killed_ns = now_ns(); /* the process is gone */
  }));
  const int64_t promoted_ns = now_ns();
  // Back as a replica of the promoted node (what the orchestrator's restart
  // does); until it has synced, writes are refused (WAIT 1 cannot be met)
  // and the clients retry.
  ASSERT_NO_FATAL_FAILURE(ha.RestartAsReplica(0, 1));
  // Barrier: 200 more acknowledged after the fault (through the new primary).
  for (int i = 0; i < 1200 && acked_count() < before + 200; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  stop = true;
  for (auto& t : writers) {
    t.join();
  }
  ASSERT_GE(acked_count(), before + 200) << "writes did not resume after the failover";

  // Every acknowledged write on the new primary, every event on Kafka.
  int found = 0;
  for (const std::string& id : acked) {
    // A pooled connection to the dead primary fails once, then reconnects.
    auto r = admin.Command({"EXISTS", "org:{org}:member:" + id});
    for (int attempt = 0; attempt < 3 && !r.ok(); ++attempt) {
      r = admin.Command({"EXISTS", "org:{org}:member:" + id});
    }
    const bool there = r.ok() && r->integer == 1;
    found += there ? 1 : 0;
    if (!there) {
      std::string lines;
      for (absl::string_view line : absl::StrSplit(org.Logs(), '\n')) {
        if (absl::StrContains(line, id) || absl::StrContains(line, "CreateMember")) {
          absl::StrAppend(&lines, line, "\n");
        }
      }
      ADD_FAILURE() << "acknowledged but lost: " << id << "\n" << lines;
    }
  }
  std::set<std::string> seen;
  reader.ReadUntil(
      [&](const Record& r) {
        auto type = r.headers.find("ce_type");
        if (type == r.headers.end() || type->second != "salesops.org.v1.MemberJoined" ||
            !acked.count(r.key)) {
          return false;
        }
        return seen.insert(r.key).second;
      },
      acked.size(), absl::Seconds(90));
  auto role = admin.Command({"ROLE"});
  for (int attempt = 0; attempt < 3 && !role.ok(); ++attempt) {
    role = admin.Command({"ROLE"});
  }
  const double recovery_s =
      static_cast<double>(first_ack_after_kill_ns.load() - killed_ns.load()) / 1e9;
  std::printf(
      "\nfault: redis primary kill -9, restarted (1 replica, 3 sentinels, WAIT 1)\n"
      "writes acked %zu (%zu before the kill), found on the new primary %d, events seen %zu, "
      "failed calls retried %d; Sentinel named the new primary %.2f s after the kill, writes "
      "were acknowledged again %.2f s after the kill\n\n",
      acked.size(), before, found, seen.size(), failed_calls,
      static_cast<double>(promoted_ns - killed_ns.load()) / 1e9, recovery_s);
  EXPECT_EQ(found, static_cast<int>(acked.size())) << "acknowledged writes lost";
  EXPECT_EQ(seen.size(), acked.size()) << "acknowledged writes' events missing";
  ASSERT_TRUE(role.ok());
  ASSERT_FALSE(role->elements.empty());
  EXPECT_EQ(role->elements[0].str, "master");
}

// The relay publishes an outbox entry only once the replica has it, also when the
// entry arrives while the relay is blocked reading the stream (its usual state when
// idle) and the replica has acknowledged everything before: Redis 7.0 then leaves
// the relay connection's offset as it was before the read, and a WAIT there alone
// answers 1 with the replica stopped. Each round: the replica acknowledges all
// writes so far, is stopped, an entry is written by a client that does not wait for
// it, and must not reach Kafka within the relay's read-and-WAIT cycle; once the
// replica is back, it does.
TEST(RedisFailoverTest, RelayPublishesAnEntryOnlyOnceTheReplicaHasIt) {
  const TestEnv& env = TestEnv::Get();
  RedisHa ha;
  ASSERT_NO_FATAL_FAILURE(ha.Start());
  RedisClient admin(ha.As("admin"));
  RedisOptions o = ha.As("org");
  o.wait_replicas = 1;
  o.wait_timeout = absl::Milliseconds(200);
  RedisClient redis(o);
  RedisOptions no_wait = o;
  no_wait.wait_replicas = 0;
  RedisClient writer(no_wait);
  ProducerOptions po;
  po.bootstrap = env.kafka_bootstrap;
  po.sasl = KafkaAs("org");
  KafkaProducer producer(po);
  ASSERT_TRUE(producer.Start().ok());
  const std::string sfx = UniqueSuffix();
  const std::string topic = "salesops.org.events.v1";
  RelayOptions ro;
  ro.stream_key = "org:{org}:relay-ha-" + sfx;
  OutboxRelay relay(redis, producer, ro);
  relay.Start();
  TopicReader reader(env.kafka_bootstrap, topic);
  TransactionalOutbox outbox(writer, ro.stream_key);
  const pid_t replica = ha.NodePid(1);
  ASSERT_GT(replica, 0);

  constexpr int kRounds = 4;
  for (int i = 0; i < kRounds; ++i) {
    const std::string key = absl::StrCat("relay-ha-", sfx, "-", i);
    auto synced = admin.Pipeline({{"SET", "org:{org}:relay-ha-sync", key}, {"WAIT", "1", "5000"}});
    ASSERT_TRUE(synced.ok()) << synced.status();
    ASSERT_EQ(synced->back().integer, 1) << "the replica did not acknowledge";
    ASSERT_EQ(kill(replica, SIGSTOP), 0);
    CloudEvent e;
    e.id = key;
    e.source = "/salesops/org";
    e.type = "salesops.org.v1.OrgUnitUpdated";
    e.subject = "orgUnits/" + key;
    e.key = key;
    e.time = absl::Now();
    e.data = "x";
    WriteBatch b;
    b.Emit(e, topic);
    auto committed = outbox.Commit(b);
    // Longer than the relay's blocking read (200 ms) and its WAIT (200 ms).
    const std::vector<Record> early = reader.ReadFor(absl::Milliseconds(600));
    ASSERT_EQ(kill(replica, SIGCONT), 0);
    ASSERT_TRUE(committed.ok()) << committed.status();
    ASSERT_TRUE(committed->committed);
    const bool published_early =
        std::any_of(early.begin(), early.end(), [&](const Record& r) { return r.key == key; });
    EXPECT_FALSE(published_early) << "round " << i << ": published before the replica had it";
    if (!published_early) {  // the replica is back: the entry goes out
      EXPECT_EQ(
          reader.ReadUntil([&](const Record& r) { return r.key == key; }, 1, absl::Seconds(30))
              .size(),
          1u)
          << "round " << i << ": never published";
    }
  }
  relay.Stop(absl::Seconds(5));
  producer.Stop();
}

}  // namespace
}  // namespace salesops::testing
