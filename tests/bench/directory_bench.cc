// The org directory catching up (issue #19, step 3): how many org events per
// second a service's OrgDirectoryProjection applies to real Redis one at a time
// (Handle, the way before batches) and as the Kafka consumer hands them over,
// 256 at once (HandleBatch: one read of the members' teams, waves of combined
// commits), on fresh events each time. The events are a reorganisation: units
// made, then groups of members joining and moving twice between teams, so a
// batch holds each member up to three times and commits in several waves.
// Prints one JSON line; checks that both ways leave the same directory. Talks
// to the given Redis only; stops by itself.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/events/cloud_event.h"
#include "common/outbox/write_batch.h"
#include "common/projection/projection_store.h"
#include "common/redis/redis_client.h"
#include "salesops/org/v1/org_events.pb.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "a Redis used by this benchmark only");
ABSL_FLAG(int, events, 20000, "org events to apply each way");
ABSL_FLAG(int, teams, 200, "teams the members join and move between");

namespace salesops::org {
namespace {

namespace ov1 = salesops::org::v1;
constexpr int kBatch = 256;

// `run` keeps each way's event ids (and keyspace) apart. After the teams, the
// members come in groups of kGroup: the group joins, then moves twice (each
// member to another team each time), so a consumer batch of 256 holds the same
// members several times and commits in three or four waves.
constexpr int kGroup = 64;
std::vector<CloudEvent> Reorganisation(const std::string& run, int n, int teams) {
  std::vector<CloudEvent> out;
  auto add = [&](const std::string& key, const google::protobuf::Message& payload) {
    CloudEvent e = MakeCloudEvent("/salesops/org", key, key, payload, absl::Now());
    e.id = absl::StrCat(run, "-", out.size());
    out.push_back(std::move(e));
  };
  for (int t = 0; t < teams && static_cast<int>(out.size()) < n; ++t) {
    ov1::OrgUnitCreated u;
    u.mutable_org_unit()->set_name(absl::StrCat("orgUnits/team-", t));
    u.mutable_org_unit()->set_parent("orgUnits/co");
    u.mutable_org_unit()->set_kind(ov1::ORG_UNIT_KIND_TEAM);
    add(absl::StrCat("team-", t), u);
  }
  for (int group = 0; static_cast<int>(out.size()) < n; ++group) {
    for (int step = 0; step < 3; ++step) {  // joined, moved, moved again
      for (int k = 0; k < kGroup && static_cast<int>(out.size()) < n; ++k) {
        const int m = group * kGroup + k;
        ov1::Member member;
        member.set_name(absl::StrCat("members/m-", m));
        member.set_org_unit(absl::StrCat("orgUnits/team-", (m * 7 + step * 13) % teams));
        member.set_role(ov1::ROLE_REP);
        if (step == 0) {
          ov1::MemberJoined j;
          *j.mutable_member() = member;
          add(absl::StrCat("m-", m), j);
        } else {
          ov1::MemberMoved e;
          *e.mutable_member() = member;
          add(absl::StrCat("m-", m), e);
        }
      }
    }
  }
  return out;
}

int Run() {
  RedisOptions o;
  if (!SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &o.host, &o.port)) {
    return 2;
  }
  salesops::bench::ApplyRedisAuth(&o);
  RedisClient redis(o);
  (void)redis.Command({"FLUSHALL"});
  TransactionalOutbox outbox(redis, "bench:{dir}:outbox");
  const int n = absl::GetFlag(FLAGS_events);
  const int teams = absl::GetFlag(FLAGS_teams);

  // One way on its own keyspace; the seconds it took, or -1.
  auto apply = [&](const std::string& run, bool batched) -> double {
    const std::string prefix = absl::StrCat("bench:{dir}:", run, ":");
    ProjectionStore seen(outbox, absl::StrCat(prefix, "dir:seen:"));
    OrgDirectoryProjection projection(seen, redis, prefix);
    const std::vector<CloudEvent> events = Reorganisation(run, n, teams);
    const absl::Time t0 = absl::Now();
    for (size_t i = 0; i < events.size(); i += batched ? kBatch : 1) {
      if (!batched) {
        if (absl::Status s = projection.Handle(events[i]); !s.ok()) {
          std::fprintf(stderr, "handle: %s\n", s.ToString().c_str());
          return -1;
        }
        continue;
      }
      std::vector<const CloudEvent*> batch;
      for (size_t k = i; k < events.size() && k < i + kBatch; ++k) {
        batch.push_back(&events[k]);
      }
      for (const absl::Status& s : projection.HandleBatch(batch)) {
        if (!s.ok()) {
          std::fprintf(stderr, "handle batch: %s\n", s.ToString().c_str());
          return -1;
        }
      }
    }
    return absl::ToDoubleSeconds(absl::Now() - t0);
  };
  // What a way left: every member's team and every team's members.
  auto state = [&](const std::string& run) {
    OrgDirectory dir(redis, absl::StrCat("bench:{dir}:", run, ":"));
    std::string out;
    for (int m = 0; m < n; ++m) {
      auto got = dir.Member(absl::StrCat("m-", m));
      if (!got.ok() || !got->has_value()) {
        break;
      }
      absl::StrAppend(&out, m, "=", (*got)->team, ";");
    }
    for (int t = 0; t < teams; ++t) {
      for (const std::string& m :
           dir.MembersOf(absl::StrCat("team-", t)).value_or(std::vector<std::string>{"?"})) {
        absl::StrAppend(&out, m, ",");
      }
      absl::StrAppend(&out, "|");
    }
    return out;
  };
  const double one_s = apply("one", false);
  const double batch_s = apply("batch", true);
  if (one_s <= 0 || batch_s <= 0) {
    return 1;
  }
  const bool same = state("one") == state("batch");
  std::printf(
      "{\"target\":\"directory_catch_up\",\"events\":%d,\"teams\":%d,\"batch\":%d,"
      "\"one_by_one_events_per_s\":%.0f,\"batched_events_per_s\":%.0f,"
      "\"batched_over_one_by_one\":%.2f,\"same_directory\":%s}\n",
      n, teams, kBatch, n / one_s, n / batch_s, one_s / batch_s, same ? "true" : "false");
  return same ? 0 : 1;
}

}  // namespace
}  // namespace salesops::org

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Org directory catch-up benchmark (make bench)");
  return salesops::org::Run();
}
