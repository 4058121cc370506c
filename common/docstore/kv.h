// What a store reads, behind one small interface, so that a service's stores
// run on Redis in production and on maps in api unit tests.
//
// A KvReader answers a pipeline of read commands, shaped exactly as Redis
// answers them (RedisValue). Only these commands are allowed, checked the same
// way on both implementations:
//   GET key · EXISTS key · HGET key field · HMGET key field... · HGETALL key
//   SMEMBERS key · SCARD key · ZCARD key · ZSCORE key member
//   ZRANGEBYLEX key min max [LIMIT offset count]
//   ZRANGEBYSCORE key min max [LIMIT offset count]
// Writes go through a BatchCommitter (common/outbox/write_batch.h): guards,
// writes and outbox events in one atomic step.
//
// RedisKvReader sends the pipeline to Redis. InMemoryKv (in_memory_kv.h) is a
// reader and a committer over maps. kv_contract.h holds the contract both pass:
// a unit test runs it on InMemoryKv, an integration test on a real Redis.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/redis_client.h"
#include "common/redis/redis_mux.h"

namespace salesops {

class KvReader {
 public:
  virtual ~KvReader() = default;

  // Replies in command order; INVALID_ARGUMENT for a command outside the list
  // above (nothing is sent), UNAVAILABLE/INTERNAL as RedisClient reports them.
  absl::StatusOr<std::vector<RedisValue>> Read(
      const std::vector<std::vector<std::string>>& commands);
  absl::StatusOr<RedisValue> ReadOne(std::vector<std::string> command);

  // The same read, answered through `done` exactly once: on this thread before
  // ReadAsync returns (maps, Redis without a RedisMux, a refused command), or
  // later on a RedisMux reader thread. For handlers that must not hold a
  // thread while Redis answers; `done` must not block.
  using ReadDone = std::function<void(absl::StatusOr<std::vector<RedisValue>>)>;
  void ReadAsync(const std::vector<std::vector<std::string>>& commands, ReadDone done);

  // Conveniences over Read.
  absl::StatusOr<std::optional<std::string>> HGet(const std::string& key, const std::string& field);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HGetAll(const std::string& key);
  absl::StatusOr<std::vector<std::string>> SMembers(const std::string& key);

  // Before answering from what an earlier attempt wrote (a request_id replay
  // read back): OK once that write would survive the loss of the primary
  // (RedisClient::AwaitReplicated on `key`'s hash tag). Maps have no replicas.
  virtual absl::Status AwaitReplicated(const std::string& key) { return absl::OkStatus(); }

 protected:
  virtual absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) = 0;
  virtual void DoReadAsync(const std::vector<std::vector<std::string>>& commands, ReadDone done) {
    done(DoRead(commands));
  }
};

class RedisKvReader final : public KvReader {
 public:
  // With `mux`, ReadAsync goes through it (Read stays on `redis`). Not owned.
  explicit RedisKvReader(RedisClient& redis, RedisMux* mux = nullptr) : redis_(redis), mux_(mux) {}
  absl::Status AwaitReplicated(const std::string& key) override {
    return redis_.AwaitReplicated(key);
  }

 protected:
  absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) override;
  void DoReadAsync(const std::vector<std::vector<std::string>>& commands, ReadDone done) override;

 private:
  RedisClient& redis_;
  RedisMux* mux_;
};

// The strings of an array reply (nil elements read as "").
std::vector<std::string> Strings(const RedisValue& v);

}  // namespace salesops
