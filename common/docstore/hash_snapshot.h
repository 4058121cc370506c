// Hashes read once for a batch of events (a "wave") and kept current with the
// writes of the batches built from them, so that each event of the wave reads
// what it would have read had the earlier ones been committed first: one
// pipelined read and one pipelined commit for the wave instead of a read and a
// commit per event.
//
//   HashSnapshot snap;
//   snap.PutWhole(opp_key, replies[0]);                   // HGETALL reply
//   snap.PutFields(rollup_key, {"a", "b"}, replies[1]);   // HMGET reply
//   ... build event 1's WriteBatch from snap.Get / snap.GetAll ...
//   snap.Apply(batch1);                                   // event 2 sees it
//
// Only hashes, and only what was read: a field never read (of a hash not read
// whole) is FAILED_PRECONDITION with reason NOT_IN_SNAPSHOT, so a caller that
// planned its reads wrong finds out instead of reading a wrong value. Apply
// follows Redis for HSET, HDEL, HINCRBY and DEL; other writes are ignored
// (nothing reads them from the snapshot). Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"

namespace salesops {

inline constexpr char kNotInSnapshot[] = "NOT_IN_SNAPSHOT";

class HashSnapshot {
 public:
  // An HGETALL reply: the whole hash is known (absent = empty).
  void PutWhole(const std::string& key, const RedisValue& hgetall);
  // An HMGET reply for `fields`, in order (nil = absent).
  void PutFields(const std::string& key, const std::vector<std::string>& fields,
                 const RedisValue& hmget);

  // nullopt when the field is absent.
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key,
                                                 const std::string& field) const;
  absl::StatusOr<std::vector<std::optional<std::string>>> GetMany(
      const std::string& key, const std::vector<std::string>& fields) const;
  // The whole hash, fields in name order; only for hashes read whole.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GetAll(
      const std::string& key) const;

  // What `batch` will write to the hashes known here.
  void Apply(const WriteBatch& batch);

 private:
  struct Hash {
    bool whole = false;  // every field is known: one not in `fields` is absent
    // Unordered: a wave's roll-up hash holds thousands of fields, looked up
    // several times per event; GetAll sorts its (small) answer.
    absl::flat_hash_map<std::string, std::optional<std::string>> fields;
  };
  absl::flat_hash_map<std::string, Hash> hashes_;
};

}  // namespace salesops
