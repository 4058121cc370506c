// The reads a write decides on, in one round trip. A handler that knows what it
// will read (the request id, the document, the policies, a directory entry)
// prefetches them all at once, then runs its usual code on a store built on
// this reader: each prefetched reply answers the first read of that exact
// command, any other read goes to the reader underneath as before.
//
//   PrefetchedKv reads(store_.kv());
//   reads.Prefetch({store_.SeenRequestCommand(member, rid), store_.GetDocCommand(kDoc, id)});
//   CustomersStore store(reads, store_.outbox());   // the call's own view
//   ... the handler's code, unchanged, on `store` ...
//
// What it answers is what the reader underneath answered moments earlier, in the
// same call: the commit's guards decide as they did when the reads were separate
// round trips. A reply answers once (a second identical read goes underneath, so
// a retry after a lost race reads afresh). A prefetch that meets Redis away or
// too slow (UNAVAILABLE, DEADLINE_EXCEEDED) answers the first read of each of its
// commands with that error at once, rather than have each wait out its own
// timeout; any other failure keeps nothing, and the reads go underneath. One per
// call; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "common/docstore/kv.h"

namespace salesops {

class PrefetchedKv final : public KvReader {
 public:
  explicit PrefetchedKv(KvReader& underneath) : underneath_(underneath) {}

  // Reads `commands` (empty ones skipped) in one round trip and keeps each reply.
  void Prefetch(const std::vector<std::vector<std::string>>& commands);

  // Pipelines sent underneath so far, the prefetch's included.
  int64_t round_trips() const { return round_trips_; }
  // Reads answered from the prefetch.
  int64_t answered() const { return answered_; }

  absl::Status AwaitReplicated(const std::string& key) override {
    return underneath_.AwaitReplicated(key);
  }

 protected:
  absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) override;

 private:
  static std::string Key(const std::vector<std::string>& command);

  KvReader& underneath_;
  absl::flat_hash_map<std::string, RedisValue> kept_;
  absl::flat_hash_set<std::string> failed_;  // commands whose prefetch Redis failed
  absl::Status failure_;
  int64_t round_trips_ = 0;
  int64_t answered_ = 0;
};

}  // namespace salesops
