// A KvReader whose asynchronous reads are answered from a RedisReadCache when
// they can be, and a BatchCommitter that drops from that cache the keys each of
// this process' commits wrote, before the write is acknowledged (so a caller
// reads its own write here). Synchronous reads (Read, ReadOne: what write handlers decide on)
// always go to the inner reader. See common/redis/redis_read_cache.h for what
// the cache guarantees.
//
//   RedisReadCache cache(options, {.prefixes = {"org:{org}:unit:"}});
//   RedisKvReader redis_kv(redis, mux);
//   CachingKvReader kv(redis_kv, cache.table());
//   InvalidatingCommitter committer(outbox, cache.table());
#pragma once

#include <memory>
#include <vector>

#include "common/docstore/kv.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_read_cache.h"

namespace salesops {

class CachingKvReader final : public KvReader {
 public:
  // Neither is owned.
  CachingKvReader(KvReader& inner, ReadCacheTable& cache) : inner_(inner), cache_(cache) {}
  absl::Status AwaitReplicated(const std::string& key) override {
    return inner_.AwaitReplicated(key);
  }

 protected:
  absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) override;
  void DoReadAsync(const std::vector<std::vector<std::string>>& commands, ReadDone done) override;

 private:
  KvReader& inner_;
  ReadCacheTable& cache_;
};

class InvalidatingCommitter final : public BatchCommitter {
 public:
  // Neither is owned.
  InvalidatingCommitter(BatchCommitter& inner, ReadCacheTable& cache)
      : inner_(inner), cache_(cache) {}
  // The batch's written keys, whatever the outcome (a lost reply may still have
  // written).
  absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) override;
  std::vector<absl::StatusOr<CommitResult>> CommitMany(
      const std::vector<WriteBatch>& batches) override;

 private:
  BatchCommitter& inner_;
  ReadCacheTable& cache_;
};

}  // namespace salesops
