// A small, thread-safe Redis client on hiredis (0.14, synchronous API):
// a bounded connection pool with connect/command timeouts and reconnect on
// error, binary-safe argv commands, pipelines, and Lua scripts run by SHA
// (EVALSHA) with a fallback to EVAL after a SCRIPT FLUSH or a server restart.
// With a user (Redis ACLs) every new connection first sends AUTH, so a
// reconnect after a restart or a dropped connection is authenticated too.
//
//   RedisOptions opts{.host = "127.0.0.1", .port = 6380, .user = "org", .password = pw};
//   RedisClient redis(opts);
//   SALESOPS_ASSIGN_OR_RETURN(RedisValue v, redis.Command({"GET", "org:{org}:unit:x"}));
//   static const LuaScript kScript("return redis.call('INCR', KEYS[1])");
//   SALESOPS_ASSIGN_OR_RETURN(RedisValue n, redis.Eval(kScript, {"counter"}, {}));
//
// Errors: a command that could not be sent (no connection) is UNAVAILABLE:
// nothing ran. A command sent whose reply never came (timeout, connection
// lost) is DEADLINE_EXCEEDED with reason REDIS_OUTCOME_UNKNOWN: it may have
// run, so retry only what is idempotent (request_id, event ids, versions).
// Both are retryable. Error replies: see RedisErrorStatus(). Credentials the
// server refuses (AUTH) are UNAVAILABLE with reason REDIS_AUTH_FAILED: nothing
// ran, and it lasts until an operator fixes the setting, so callers wait
// (consumers retry) rather than treat their input as bad.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

struct redisContext;
struct redisReply;

namespace salesops {

// A decoded Redis reply, owning its data.
struct RedisValue {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<RedisValue> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6380;
  // ACL user and password sent with AUTH on connect; no AUTH when both are
  // empty, `AUTH password` (the default user) when only the password is set.
  std::string user;
  std::string password;
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);
  // How long a caller waits for a free pooled connection.
  absl::Duration acquire_timeout = absl::Seconds(5);

  // High availability (Redis Sentinel). When `sentinels` ("host:port") is set,
  // host/port are ignored: each new connection asks the sentinels, in turn,
  // for the current primary of `master_name` and checks with ROLE that it is
  // one. A connection that meets a failover (I/O error, or READONLY from a
  // demoted primary) is dropped, so the next one finds the new primary.
  std::vector<std::string> sentinels;
  std::string master_name = "salesops";
  std::string sentinel_password;  // the sentinels' requirepass; empty = none
  // Durability across a failover: when > 0, every script (each acknowledged
  // write is one) is followed, in the same round trip, by WAIT for this many
  // replicas; fewer within `wait_timeout` fails the call with UNAVAILABLE
  // (reason REDIS_NOT_REPLICATED: it ran on the primary, but may not survive
  // its loss; a retry with the same request id is safe).
  //
  // WAIT covers the writes of its own connection only, and a retry's script
  // often writes nothing (its guard finds the request or the event already
  // applied, by an earlier attempt on another pooled connection). So WAIT is
  // preceded by a write to a barrier key (ReplicationBarrierKey of the
  // script's first key): the replication stream is ordered, so replicas that
  // have the barrier have every write made before it, the earlier attempt's too.
  int wait_replicas = 0;
  absl::Duration wait_timeout = absl::Seconds(1);
};

// A Lua script and its SHA1, computed once.
class LuaScript {
 public:
  explicit LuaScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

// One connection, not thread-safe. Used by the pool, and directly for blocking
// commands (XREADGROUP BLOCK) that must not hold a pooled connection.
class RedisConnection {
 public:
  RedisConnection(const RedisOptions& options, absl::Duration command_timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& argv);
  absl::StatusOr<std::vector<RedisValue>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  // Pipeline in two halves: Send writes the commands (Redis starts on them) and
  // returns; Receive reads the next `n` replies, in order. A failed Send or
  // Receive closes the connection. A Send with no reply still due first checks
  // that Redis has not closed the connection meanwhile (a restart, a failover,
  // CLIENT KILL) and opens a new one if it has, so an idle pooled connection
  // Redis dropped costs a reconnect, not a failed call.
  absl::Status Send(const std::vector<std::vector<std::string>>& commands);
  // `bytes` from EncodeCommands, holding `commands` commands.
  absl::Status SendEncoded(std::string_view bytes, size_t commands);
  absl::StatusOr<std::vector<RedisValue>> Receive(size_t n);
  absl::StatusOr<RedisValue> Eval(const LuaScript& script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);
  // With `wait_replicas`: a barrier write on `key`'s hash tag, then WAIT, on this
  // connection; OK once the replicas have every write made so far (anyone's: the
  // replication stream is ordered), else UNAVAILABLE / REDIS_NOT_REPLICATED. A WAIT
  // alone would not do after a read served from a blocked XREADGROUP: Redis 7.0
  // leaves the connection's offset where it was before that read. OK at once
  // without wait_replicas.
  absl::Status AwaitReplicated(std::string_view key);
  // False after an I/O error: the pool then drops it and reconnects.
  bool healthy() const { return ctx_ != nullptr; }
  // Opens and authenticates now (it is otherwise opened by the first command).
  absl::Status Connect() { return EnsureConnected(); }
  // The open socket (blocking, with the command timeout), -1 when closed. For
  // RedisMux, which writes and reads it itself after Connect.
  int socket_fd() const;

 private:
  absl::Status EnsureConnected();
  // The primary's address from the sentinels (options_.sentinels).
  absl::Status ResolvePrimary(std::string* host, int* port);
  void Drop();
  // True when the open connection, with no reply due, has something to read:
  // the end of the stream (Redis closed it) or bytes nobody asked for.
  bool ClosedWhileIdle() const;

  RedisOptions options_;
  absl::Duration command_timeout_;
  redisContext* ctx_ = nullptr;
  size_t unanswered_ = 0;  // commands sent whose replies are not yet read
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();

  // PING: OK when Redis answers (reason REDIS_AUTH_FAILED when it refuses our credentials).
  absl::Status Ping();
  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& argv);
  absl::StatusOr<std::vector<RedisValue>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  // A pipeline of writes, acknowledged like Eval: with `wait_replicas`, WAIT
  // follows the last command in the same round trip, and fewer replicas within
  // `wait_timeout` fail the whole call (UNAVAILABLE, REDIS_NOT_REPLICATED: the
  // commands ran on the primary but may not survive its loss). One reply per
  // command (WAIT's is not returned); error replies stay per command.
  // `barrier_key`: a key the writes' hash tag and ACL allow (see wait_replicas).
  absl::StatusOr<std::vector<RedisValue>> PipelineReplicated(
      std::vector<std::vector<std::string>> commands, std::string_view barrier_key);
  // Before answering from what an earlier attempt wrote (a request_id replay
  // read back, no script): OK once the replicas have every write made so far,
  // that attempt's too (a barrier write on `key`'s hash tag, then WAIT). OK at
  // once without wait_replicas.
  absl::Status AwaitReplicated(std::string_view key);
  absl::StatusOr<RedisValue> Eval(const LuaScript& script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);

  // A pipeline sent in parts, for a caller with more to compute while Redis runs
  // what it has: each Send writes its commands at once, without waiting for
  // replies; Finish reads them all, acknowledged like PipelineReplicated. Holds
  // one pooled connection until it is destroyed. Not thread-safe.
  class Stream {
   public:
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    // Commands in Redis' wire protocol (EncodeCommands) and how many they are.
    // After a failed Send the rest are not sent, and Finish fails.
    absl::Status Send(std::string_view encoded, size_t count);
    // One reply per command sent (WAIT's not included), or the error for all of
    // them: UNAVAILABLE when nothing was sent (no connection), DEADLINE_EXCEEDED
    // REDIS_OUTCOME_UNKNOWN when some were and the rest failed or went unanswered.
    absl::StatusOr<std::vector<RedisValue>> Finish(std::string_view barrier_key);

   private:
    friend class RedisClient;
    explicit Stream(RedisClient& client) : client_(client) {}
    RedisClient& client_;
    std::unique_ptr<RedisConnection> conn_;
    absl::Status status_;  // the first failure
    size_t sent_ = 0;      // commands written
    size_t pending_ = 0;   // replies not read yet
    bool finished_ = false;
  };
  std::unique_ptr<Stream> OpenStream();

  // A new connection outside the pool, for blocking commands.
  std::unique_ptr<RedisConnection> NewDedicatedConnection(absl::Duration command_timeout) const;

  const RedisOptions& options() const { return options_; }

 private:
  class Lease;
  std::unique_ptr<RedisConnection> Acquire(absl::Status* status);
  void Release(std::unique_ptr<RedisConnection> conn);

  RedisOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

// The status for a Redis error reply: UNAVAILABLE (retryable) for the
// transient ones (LOADING, BUSY, TRYAGAIN, MASTERDOWN, READONLY, OOM,
// NOREPLICAS, CLUSTERDOWN) and for refused credentials (NOAUTH, WRONGPASS:
// reason REDIS_AUTH_FAILED), INTERNAL otherwise (NOPERM, a key or command the
// ACL user may not use, with reason REDIS_NOPERM: a bug, not bad input).
absl::Status RedisErrorStatus(const std::string& reply);

// The barrier key of a write to `key` (see RedisOptions::wait_replicas): its
// prefix up to the hash tag's closing brace, then ":replicated"
// ("org:{org}:unit:u1" → "org:{org}:replicated"), so it shares the key's slot
// and its service's ACL prefix; `key` + ":replicated" when it has no tag.
std::string ReplicationBarrierKey(std::string_view key);

// A hiredis reply as a RedisValue (RedisMux parses replies itself).
RedisValue RedisValueFromReply(const redisReply* reply);

// Redis' wire protocol (RESP), the bytes hiredis' redisFormatCommandArgv makes
// without its printf: a command is AppendArrayHeader(argc), then AppendBulk per
// argument ("$<length>\r\n<bytes>\r\n").
void AppendArrayHeader(std::string* out, size_t n);
void AppendBulk(std::string* out, std::string_view s);
// One command of the arguments in `args`, in order, the buffer grown once for
// all of them (a commit script's ~100 arguments per event).
void AppendCommand(std::string* out,
                   std::initializer_list<absl::Span<const std::string_view>> args);
// Commands in that protocol.
std::string EncodeCommands(const std::vector<std::vector<std::string>>& commands);

// Helpers for reading replies.
absl::StatusOr<long long> AsInteger(const RedisValue& v);
// Field/value pairs of an HGETALL-style flat array.
std::vector<std::pair<std::string, std::string>> AsPairs(const RedisValue& v);

}  // namespace salesops
