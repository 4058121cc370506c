// A KvReader and BatchCommitter over maps, for api unit tests: the store code
// that runs on Redis in production runs unchanged on this. It keeps Redis'
// semantics for what the stores use (see kv.h and WriteBatch), checked by the
// same contract suite as Redis (kv_contract.h). Differences, by design: keys
// never expire (SET ... EX is kept forever), and committed events are kept in
// a list the test reads (Events) instead of a stream a relay publishes.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/docstore/kv.h"
#include "common/events/cloud_event.h"
#include "common/outbox/write_batch.h"

namespace salesops {

class InMemoryKv final : public KvReader, public BatchCommitter {
 public:
  absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) override;
  std::vector<absl::StatusOr<CommitResult>> CommitMany(
      const std::vector<WriteBatch>& batches) override;

  // Every event committed so far, in commit order, with its topic.
  std::vector<std::pair<CloudEvent, std::string>> Events() const;
  // The events of one type ("salesops.org.v1.MemberJoined").
  std::vector<CloudEvent> EventsOfType(const std::string& type) const;
  // Makes the next `n` commits (each batch of a CommitMany counts) fail with
  // UNAVAILABLE (nothing written), as a lost Redis connection would; `after`
  // commits first go through as usual.
  void FailNextCommit(int n = 1, int after = 0);
  // Runs `writer` once, just before the next Commit or CommitMany applies (outside the lock, so
  // it may commit too): another writer landing between a handler's read and its
  // commit, for tests of lost races.
  void BeforeNextCommit(std::function<void()> writer);

 protected:
  absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) override;

 private:
  struct Value {
    enum class Type { kString, kHash, kSet, kZSet } type = Type::kString;
    std::string str;
    std::map<std::string, std::string> hash;
    std::set<std::string> set;
    std::map<std::string, double> zset;  // member → score
  };
  absl::StatusOr<RedisValue> ReadLocked(const std::vector<std::string>& c) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Takes the BeforeNextCommit writer, if any, and runs it without the lock.
  void RunBeforeNextCommit() ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<CommitResult> CommitLocked(const WriteBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The value at `key` if it has `type`; nullptr when absent; WRONGTYPE error
  // when it holds another type.
  absl::StatusOr<const Value*> Find(const std::string& key, Value::Type type) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Value*> Upsert(const std::string& key, Value::Type type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropIfEmpty(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Value> data_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> events_ ABSL_GUARDED_BY(mu_);
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_after_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> before_next_ ABSL_GUARDED_BY(mu_);
};

// A service's store on maps: the in-memory twin of its Redis store. `Store` is
// a DocStore subclass built from (KvReader&, BatchCommitter&); the twin owns
// the InMemoryKv it runs on, which also holds the rest of the service's
// keyspace (its org directory, projections' seen-sets) as Redis does:
//
//   using InMemoryWarningStore = InMemoryStore<WarningStore>;   // store/
//   InMemoryWarningStore store;                                 // a unit test
//   OrgDirectory directory(store.memory(), kKeyPrefix);
namespace internal {
struct OwnedInMemoryKv {
  InMemoryKv owned_kv;
};
}  // namespace internal

template <typename Store>
class InMemoryStore final : private internal::OwnedInMemoryKv, public Store {
 public:
  InMemoryStore() : Store(owned_kv, owned_kv) {}
  // The maps, to build what shares the keyspace and to read committed events.
  InMemoryKv& memory() { return owned_kv; }
};

}  // namespace salesops
