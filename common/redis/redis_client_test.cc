// Redis client behaviour that needs no server: error classification (ACL
// replies included), script hashing, the wire encoding, and the status when
// nothing listens.
// AUTH on connect is covered against the real server in
// tests/integration/infra_security_integration_test.cc.
#include "common/redis/redis_client.h"

#include <hiredis/hiredis.h>

#include "common/status/errors.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

// Transient error replies are retryable UNAVAILABLE; the rest are INTERNAL.
TEST(RedisClientTest, ErrorRepliesAreClassified) {
  for (const char* reply : {"LOADING Redis is loading", "BUSY script running",
                            "READONLY You can't write against a read only replica.",
                            "OOM command not allowed when used memory > 'maxmemory'.",
                            "MASTERDOWN Link with MASTER is down", "TRYAGAIN", "CLUSTERDOWN",
                            "NOREPLICAS Not enough good replicas"}) {
    absl::Status s = RedisErrorStatus(reply);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << reply;
    EXPECT_TRUE(IsRetryable(s)) << reply;
  }
  absl::Status s = RedisErrorStatus("WRONGTYPE Operation against a key holding the wrong kind");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(IsRetryable(s));
}

// Refused credentials wait for an operator (retryable, nothing ran); a key or
// command outside the user's ACL is a bug, not a transient condition.
TEST(RedisClientTest, AclRepliesAreClassified) {
  for (const char* reply : {"NOAUTH Authentication required.",
                            "WRONGPASS invalid username-password pair or user is disabled."}) {
    absl::Status s = RedisErrorStatus(reply);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << reply;
    EXPECT_EQ(ErrorReason(s), "REDIS_AUTH_FAILED") << reply;
  }
  for (const char* reply :
       {"NOPERM this user has no permissions to access one of the keys used as arguments",
        "ERR The user executing the script can't access at least one of the keys mentioned in "
        "the command arguments script: e003d6, on @user_script:1."}) {
    absl::Status s = RedisErrorStatus(reply);
    EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << reply;
    EXPECT_EQ(ErrorReason(s), "REDIS_NOPERM") << reply;
    EXPECT_FALSE(IsRetryable(s)) << reply;
  }
}

// Scripts are addressed by the SHA1 Redis computes for SCRIPT LOAD.
TEST(RedisClientTest, ScriptSha1MatchesRedis) {
  EXPECT_EQ(LuaScript("return 1").sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

// What hiredis' own formatter makes of the same arguments.
std::string HiredisFormat(const std::vector<std::vector<std::string>>& commands) {
  std::string bytes;
  for (const auto& cmd : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    char* formatted = nullptr;
    const int n =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lens.data());
    EXPECT_GT(n, 0);
    bytes.append(formatted, static_cast<size_t>(n));
    redisFreeCommand(formatted);
  }
  return bytes;
}

// Our encoder writes exactly what hiredis would send: empty and binary
// arguments, lengths across digit counts, one command and many.
TEST(RedisClientTest, EncodingIsHiredisProtocol) {
  const std::string binary("a\0b\r\n\xff", 6);
  std::vector<std::vector<std::string>> commands = {
      {"PING"},
      {"SET", "k", ""},
      {"HSET", "h", "f", binary},
      {"EVALSHA", std::string(40, 'e'), "1", "k", std::string(9, 'x'), std::string(10, 'y'),
       std::string(99, 'z'), std::string(100, 'w'), std::string(70000, 'v')},
  };
  std::vector<std::string> many(123, "m");
  many[0] = "SADD";
  commands.push_back(many);
  EXPECT_EQ(EncodeCommands(commands), HiredisFormat(commands));
  for (const auto& cmd : commands) {
    EXPECT_EQ(EncodeCommands({cmd}), HiredisFormat({cmd}));
  }
  EXPECT_EQ(EncodeCommands({}), "");
  std::string appended = "prefix";
  AppendArrayHeader(&appended, 2);
  AppendBulk(&appended, "GET");
  AppendBulk(&appended, "");
  EXPECT_EQ(appended, "prefix*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
  // One command from several runs of arguments (an empty one among them),
  // appended after what the buffer holds.
  for (const auto& cmd : commands) {
    std::vector<std::string_view> views(cmd.begin(), cmd.end());
    const size_t half = views.size() / 2;
    std::string out = "prefix";
    AppendCommand(&out, {absl::MakeConstSpan(views).subspan(0, half),
                         {},
                         absl::MakeConstSpan(views).subspan(half)});
    EXPECT_EQ(out, "prefix" + HiredisFormat({cmd})) << cmd[0];
  }
}

// The barrier a replicated write ends with shares the key's hash tag (its slot)
// and its service's prefix (its ACL), and is one key per tag, not per key.
TEST(RedisClientTest, ReplicationBarrierKeySharesTheHashTag) {
  EXPECT_EQ(ReplicationBarrierKey("org:{org}:unit:u1"), "org:{org}:replicated");
  EXPECT_EQ(ReplicationBarrierKey("org:{org}:outbox"), "org:{org}:replicated");
  EXPECT_EQ(ReplicationBarrierKey("cust:{cust}:req:a/b}"), "cust:{cust}:replicated");
  EXPECT_EQ(ReplicationBarrierKey("plain"), "plain:replicated");
  EXPECT_EQ(ReplicationBarrierKey("open{only"), "open{only:replicated");
}

// Without wait_replicas nothing is sent: no server is needed to be acknowledged.
TEST(RedisClientTest, AwaitReplicatedWithoutReplicasIsImmediate) {
  RedisOptions opts;
  opts.port = 1;  // nothing listens
  RedisClient client(opts);
  EXPECT_TRUE(client.AwaitReplicated("org:{org}:req:x").ok());
  opts.wait_replicas = 1;
  opts.connect_timeout = absl::Milliseconds(200);
  RedisClient waiting(opts);
  EXPECT_EQ(waiting.AwaitReplicated("org:{org}:req:x").code(), absl::StatusCode::kUnavailable);
}

// Nothing listening: UNAVAILABLE (nothing was sent), and the pool recovers its slot.
TEST(RedisClientTest, NoServerIsUnavailable) {
  RedisOptions opts;
  opts.host = "127.0.0.1";
  opts.port = 1;
  opts.pool_size = 1;
  opts.connect_timeout = absl::Milliseconds(200);
  RedisClient client(opts);
  for (int i = 0; i < 3; ++i) {  // a leaked pool slot would exhaust the pool of 1
    absl::StatusOr<RedisValue> r = client.Command({"PING"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_EQ(ErrorReason(r.status()), "REDIS_UNAVAILABLE");
  }
}

}  // namespace
}  // namespace salesops
