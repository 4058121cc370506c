#include "tests/integration/redis_ha.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

std::string RedisSh() { return absl::StrCat(SALESOPS_SOURCE_DIR, "/deploy/local/redis.sh"); }

int Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

RedisHa::RedisHa() : dir_(absl::StrCat(TestEnv::Get().tmp, "/redis-ha-", UniqueSuffix())) {}

RedisHa::~RedisHa() {
  for (const std::string& d : dirs_) {
    Sh(absl::StrCat(RedisSh(), " stop ", d));
  }
}

void RedisHa::Start() {
  for (int i = 0; i < 3; ++i) {
    sentinels_.push_back(FreePort());
  }
  nodes_ = {FreePort(), FreePort()};
  ASSERT_EQ(Sh(absl::StrCat(RedisSh(), " start-primary ", Node(0), " ", nodes_[0])), 0);
  dirs_.push_back(Node(0));
  ASSERT_EQ(Sh(absl::StrCat(RedisSh(), " start-replica ", Node(1), " ", nodes_[1], " ", Node(0),
                            " ", nodes_[0])),
            0);
  dirs_.push_back(Node(1));
  for (int i = 0; i < 3; ++i) {
    const std::string d = absl::StrCat(dir_, "/sentinel", i);
    ASSERT_EQ(Sh(absl::StrCat(RedisSh(), " start-sentinel ", d, " ", sentinels_[i], " ", Node(0),
                              " ", nodes_[0])),
              0);
    dirs_.push_back(d);
  }
  // Ready: the replica attached and synced, every Sentinel sees it and the others.
  RedisClient admin(As("admin"));
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    auto info = admin.Command({"INFO", "replication"});
    // Attached and done with the initial sync ("online"), not only connected.
    ready = info.ok() && absl::StrContains(info->str, "connected_slaves:1") &&
            absl::StrContains(info->str, "state=online");
    for (int s = 0; s < 3 && ready; ++s) {
      auto view = SentinelView(s);
      ready = view["num-slaves"] == "1" && view["num-other-sentinels"] == "2";
    }
    if (!ready) {
      absl::SleepFor(absl::Milliseconds(100));  // polling the servers' own state: the barrier
    }
  }
  ASSERT_TRUE(ready) << "the replicas or the Sentinels never came together";
}

std::string RedisHa::Node(int i) const { return absl::StrCat(dir_, "/node", i); }

int RedisHa::NodePid(int i) const {
  int pid = 0;
  return absl::SimpleAtoi(ReadFirstLine(Node(i) + "/redis.pid"), &pid) ? pid : -1;
}

std::string RedisHa::PasswordFile(const std::string& user) const {
  return absl::StrCat(Node(0), "/users/", user, ".password");
}

std::string RedisHa::SentinelList() const {
  std::vector<std::string> a;
  for (int p : sentinels_) {
    a.push_back(absl::StrCat("127.0.0.1:", p));
  }
  return absl::StrJoin(a, ",");
}

RedisOptions RedisHa::As(const std::string& user) const {
  RedisOptions o;
  o.sentinels = absl::StrSplit(SentinelList(), ',');
  o.user = user;
  o.password = ReadFirstLine(PasswordFile(user));
  o.sentinel_password = ReadFirstLine(PasswordFile("sentinel"));
  return o;
}

std::vector<std::string> RedisHa::ServiceArgs(const std::string& service) const {
  return {"--redis_sentinels=" + SentinelList(), "--redis_password_file=" + PasswordFile(service),
          "--redis_sentinel_password_file=" + PasswordFile("sentinel"), "--redis_wait_replicas=1",
          "--redis_wait_timeout=500ms"};
}

std::map<std::string, std::string> RedisHa::SentinelView(int i) const {
  RedisOptions o;
  o.port = sentinels_[i];
  o.password = ReadFirstLine(PasswordFile("sentinel"));
  RedisClient c(o);
  std::map<std::string, std::string> out;
  auto r = c.Command({"SENTINEL", "MASTER", "salesops"});
  if (r.ok()) {
    for (auto& [k, v] : AsPairs(*r)) {
      out[k] = v;
    }
  }
  return out;
}

void RedisHa::KillPrimaryUntilPromoted(int primary, int replica,
                                       const std::function<void()>& on_killed) {
  ASSERT_EQ(Sh(absl::StrCat(RedisSh(), " kill ", Node(primary))), 0);
  if (on_killed) {
    on_killed();
  }
  bool promoted = false;
  for (int i = 0; i < 600 && !promoted; ++i) {
    promoted = SentinelView(0)["port"] == std::to_string(node_port(replica));
    if (!promoted) {
      absl::SleepFor(absl::Milliseconds(50));  // polling Sentinel's own state: the barrier
    }
  }
  ASSERT_TRUE(promoted) << "no failover to node " << replica;
}

void RedisHa::RestartAsReplica(int i, int primary) {
  ASSERT_EQ(Sh(absl::StrCat(RedisSh(), " start-replica ", Node(i), " ", nodes_[i], " ",
                            Node(primary), " ", nodes_[primary])),
            0);
}

}  // namespace salesops::testing
