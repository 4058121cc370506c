// A Redis primary, its replica and three Sentinels on loopback, each node in its own
// directory (deploy/local/redis.sh start-primary / start-replica / start-sentinel),
// for the tests of failover: tests/integration/redis_failover_integration_test.cc and
// make chaos. Stopped (by pid) when destroyed.
#ifndef SALESOPS_TESTS_INTEGRATION_REDIS_HA_H_
#define SALESOPS_TESTS_INTEGRATION_REDIS_HA_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/redis/redis_client.h"

namespace salesops::testing {

class RedisHa {
 public:
  RedisHa();
  ~RedisHa();
  RedisHa(const RedisHa&) = delete;
  RedisHa& operator=(const RedisHa&) = delete;

  // Starts node 0 as the primary, node 1 as its replica and the three Sentinels (a test
  // failure when a script fails), then waits until the replica is attached and synced
  // and every Sentinel sees it and the two others.
  void Start();

  std::string Node(int i) const;
  int node_port(int i) const { return nodes_[i]; }
  // The pid of node `i`'s redis-server (from its redis.pid), e.g. to stop it for a while.
  int NodePid(int i) const;
  std::string PasswordFile(const std::string& user) const;
  // "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3".
  std::string SentinelList() const;
  // Client settings of `user` that follow the primary through the Sentinels.
  RedisOptions As(const std::string& user) const;
  // The flags a service needs to follow the primary as `service` and acknowledge a
  // write only once the replica has it (WAIT 1).
  std::vector<std::string> ServiceArgs(const std::string& service) const;
  // A Sentinel's view of the primary as field → value.
  std::map<std::string, std::string> SentinelView(int i) const;

  // kill -9 node `primary` (then calls `on_killed`, e.g. to note the time); returns once
  // the Sentinels name node `replica` the primary (a test failure after 30 s).
  void KillPrimaryUntilPromoted(int primary, int replica,
                                const std::function<void()>& on_killed = {});
  // Restarts node `i` as a replica of node `primary` (a failed primary's return).
  void RestartAsReplica(int i, int primary);

 private:
  std::string dir_;
  std::vector<int> nodes_, sentinels_;
  std::vector<std::string> dirs_;
};

}  // namespace salesops::testing

#endif  // SALESOPS_TESTS_INTEGRATION_REDIS_HA_H_
