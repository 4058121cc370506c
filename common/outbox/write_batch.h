// The transactional outbox: every mutation is one WriteBatch — guards, writes
// and the events to publish — executed by a single Lua script, so the
// aggregate, its indexes and its outbox entries change together or not at all.
//
//   WriteBatch b;
//   b.ExpectHashField(unit_key, "version", "3", "etag");   // optimistic concurrency
//   b.ExpectAbsent(email_key, "email");                     // uniqueness
//   b.HSet(unit_key, {{"name", "华东"}, {"version", "4"}});
//   b.SAdd(children_key, id);
//   b.Emit(event, "salesops.org.events.v1");
//   SALESOPS_ASSIGN_OR_RETURN(CommitResult r, outbox.Commit(b));
//   if (!r.committed) { /* r.failed_tag says which guard, r.current its value */ }
//
// Guards are checked before any write; when one fails nothing is written.
// Writes are a fixed set of commands and the builders drop empty ones, so a
// batch stops half-way only if a key holds the wrong type or a counter
// overflows (Redis does not roll back a script): keep each key's type fixed. The outbox is a Redis
// stream (one per service keyspace, with the keyspace's hash tag so a batch stays in one Redis
// Cluster slot); the OutboxRelay publishes and deletes its entries.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/concurrency/made_once.h"
#include "common/events/cloud_event.h"
#include "common/redis/redis_client.h"

namespace salesops {

class WriteBatch {
 public:
  // Guards. `tag` names the guard in a failed CommitResult.
  // HGET key field == value (a missing field reads as "").
  void ExpectHashField(std::string key, std::string field, std::string value, std::string tag);
  // The key does not exist; on failure `current` holds GET key when it is a string.
  void ExpectAbsent(std::string key, std::string tag);
  void ExpectPresent(std::string key, std::string tag);
  // SCARD key == 0.
  void ExpectSetEmpty(std::string key, std::string tag);

  // Writes, applied in order.
  void HSet(std::string key, std::vector<std::pair<std::string, std::string>> fields);
  void HDel(std::string key, std::vector<std::string> fields);
  void HIncrBy(std::string key, std::string field, long long by);
  // Several fields of one hash at once (one write instead of one per field;
  // Combine sums each like a single-field increment). None: no write.
  void HIncrBy(std::string key, std::vector<std::pair<std::string, long long>> increments);
  void Set(std::string key, std::string value, long long ttl_seconds = 0);
  void Del(std::string key);
  void SAdd(std::string key, std::string member);
  void SRem(std::string key, std::string member);
  void ZAdd(std::string key, double score, std::string member);
  void ZRem(std::string key, std::string member);

  // An event to publish on `topic` once the batch commits.
  void Emit(const CloudEvent& event, std::string topic);
  // An event that states what `state_key` is now (a roll-up's figures), so a
  // later one of the same key makes it stale. A batch committed as it is
  // (Commit, CommitMany) publishes it like any other; in what Combine makes
  // of batches (one of them too), only the last event of each state key is
  // published, at its own place among the others (as a Kafka Streams record
  // cache forwards only a key's latest value).
  void EmitLatest(const CloudEvent& event, std::string topic, std::string state_key);
  // The same, with the event made only if it is published: `make` runs at most
  // once, when the batch (or what Combine makes of it) is committed, and never
  // for an event a later one of its state key supersedes. It must capture by
  // value what it needs.
  void EmitLatest(std::function<CloudEvent()> make, std::string topic, std::string state_key);

  // Puts another batch's guards, writes and events before this one's (a
  // projection's seen-marker guard and write in front of an event's batch,
  // without moving the batch's own writes into a new one).
  void Prepend(WriteBatch first);

  // `batches` as one batch with the effect of committing them one after
  // another when every guard holds: all guards first (identical ones once),
  // then the writes and events in order. Increments of one hash field are
  // summed into the first where nothing else wrote that key in between (one
  // HINCRBY instead of one per event: the projections' hot counters). Writes of
  // one command to one key with nothing else writing it in between (ZADD, ZREM,
  // HSET, HDEL, SADD, SREM) join into the first: one call with all their
  // members (the warning indexes' ZADDs). Of the events emitted with
  // EmitLatest, only the last one per state key is kept; `published`, when
  // given, gets how many of each batch's events the result publishes.
  // A batch's guard on a hash field an earlier batch sets to the very value
  // it expects holds whenever the earlier ones commit, and is dropped (a
  // document's version moved on by several events in turn). nullopt when a
  // guard reads anything else an earlier batch writes: their order matters,
  // so they must commit one by one. All or nothing: if a guard fails, none of
  // the batches is applied.
  static std::optional<WriteBatch> Combine(const std::vector<WriteBatch>& batches,
                                           std::vector<size_t>* published = nullptr);

  // Calls f(command, key, args) for each write, in order ("HINCRBY", key,
  // {field, by}; in what Combine makes, {field, by, field, by, …} with each
  // field once), for callers that keep a read snapshot current with what a
  // batch will write (common/docstore/hash_snapshot.h).
  template <typename F>
  void ForEachWrite(F&& f) const {
    for (const Op& op : ops_) {
      f(op.command, op.key, op.args);
    }
  }

  bool empty() const { return guards_.empty() && ops_.empty() && events_.empty(); }
  size_t guard_count() const { return guards_.size(); }
  size_t event_count() const { return events_.size(); }
  size_t op_count() const { return ops_.size(); }

 private:
  friend class TransactionalOutbox;
  friend class InMemoryKv;
  struct Guard {
    std::string kind, key, a, b, tag;
  };
  struct Op {
    std::string command, key;
    std::vector<std::string> args;
  };
  std::vector<Guard> guards_;
  std::vector<Op> ops_;
  // The outbox stream entry, field/value list (made on first use when
  // EmitLatest was given a function).
  using Entry = MadeOnce<std::vector<std::string>>;
  struct Event {
    // Shared, not copied, by the batches Combine makes of it (the larger part
    // of a projection's batch).
    std::shared_ptr<const Entry> entry;
    std::string state_key;  // EmitLatest's; empty for Emit
  };
  std::vector<Event> events_;
};

struct CommitResult {
  bool committed = false;
  std::string failed_tag;  // the failed guard's tag
  std::string current;     // what the failed guard found
  // The stream entries holding the commit's events: one for up to
  // kEventsPerEntry events (none without events).
  std::vector<std::string> outbox_ids;
};

// A commit's events are one outbox entry (outbox_fields::kEntries) of up to
// this many: Redis stores, copies into its AOF and the relay reads and
// deletes one entry instead of one per event, and an entry stays well
// within one produce round of the relay.
inline constexpr size_t kEventsPerEntry = 256;

// Field names of an outbox stream entry. An entry is one field: kEntry, a
// salesops.common.v1.OutboxEntry, for a commit of one event; kEntries, a
// salesops.common.v1.OutboxEntries, for a commit of several (up to
// kEventsPerEntry each: more make several entries). Entries written before
// 2026-12-07 had a field per attribute (the rest below); FromOutboxEntry
// still reads those, so a stream that holds every form relays them all.
namespace outbox_fields {
inline constexpr char kEntry[] = "e";
inline constexpr char kEntries[] = "es";
inline constexpr char kId[] = "id";
inline constexpr char kSource[] = "source";
inline constexpr char kType[] = "type";
inline constexpr char kSubject[] = "subject";
inline constexpr char kKey[] = "key";
inline constexpr char kTime[] = "time";
inline constexpr char kTrace[] = "trace";
inline constexpr char kTopic[] = "topic";
inline constexpr char kData[] = "data";
}  // namespace outbox_fields

// Batches handed over one by one (BatchCommitter::OpenStream), for a caller that
// prepares many: Add may send a batch at once, so the store runs it while the
// caller prepares the next; Finish answers each, in order, as CommitMany would
// have. Each batch is atomic on its own. Not thread-safe.
class CommitStream {
 public:
  virtual ~CommitStream() = default;
  virtual void Add(WriteBatch batch) = 0;
  virtual std::vector<absl::StatusOr<CommitResult>> Finish() = 0;
};

// Where batches are committed: TransactionalOutbox on Redis, InMemoryKv
// (common/docstore/in_memory_kv.h) in api unit tests.
class BatchCommitter {
 public:
  virtual ~BatchCommitter() = default;
  // Runs the batch atomically. Errors are UNAVAILABLE (store down: nothing
  // written) or INTERNAL; a failed guard is a successful call with
  // committed == false.
  virtual absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) = 0;
  // Several independent batches in one round trip, each still atomic on its
  // own; results in the same order.
  virtual std::vector<absl::StatusOr<CommitResult>> CommitMany(
      const std::vector<WriteBatch>& batches) = 0;
  // A CommitStream; this one keeps the batches and commits them with CommitMany
  // at Finish.
  virtual std::unique_ptr<CommitStream> OpenStream();
};

// Thread-safe (RedisClient is).
class TransactionalOutbox final : public BatchCommitter {
 public:
  TransactionalOutbox(RedisClient& redis, std::string stream_key)
      : redis_(redis), stream_key_(std::move(stream_key)) {}

  // One EVALSHA, written in Redis' protocol straight from the batch; acknowledged
  // once durable as configured (WAIT after it with --redis_wait_replicas).
  absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) override;
  // One Redis pipeline of EVALSHAs, acknowledged like Commit (WAIT after the
  // last).
  std::vector<absl::StatusOr<CommitResult>> CommitMany(
      const std::vector<WriteBatch>& batches) override;
  // Sends the batches' scripts every few batches on one connection, without
  // waiting for their replies; Finish reads them (and WAITs, as CommitMany).
  std::unique_ptr<CommitStream> OpenStream() override;

  const std::string& stream_key() const { return stream_key_; }

  // The EVALSHA that commits `batch`: as arguments, and appended to `out` in Redis'
  // protocol (the same bytes EncodeCommands makes of the arguments; the stream's
  // way, without the vectors in between).
  std::vector<std::string> CommitCommand(const WriteBatch& batch) const;
  void AppendCommitCommand(const WriteBatch& batch, std::string* out) const;

 private:
  class RedisStream;

  // The commit through EVAL, which loads the script (after NOSCRIPT).
  absl::StatusOr<CommitResult> CommitByEval(const WriteBatch& batch);
  // `count` encoded commands on one connection, their replies acknowledged like
  // RedisClient::PipelineReplicated.
  absl::StatusOr<std::vector<RedisValue>> Send(std::string_view encoded, size_t count);
  // Each batch's result from the pipeline's replies.
  std::vector<absl::StatusOr<CommitResult>> Answer(const std::vector<WriteBatch>& batches,
                                                   absl::StatusOr<std::vector<RedisValue>> replies);
  // The commit script's keys and arguments, as views into the batch and this
  // outbox (the numbers among them kept in `numbers`): the one traversal behind
  // Commit, CommitCommand and AppendCommitCommand.
  struct CommitArgs {
    std::vector<std::string_view> keys;
    std::vector<std::string_view> args;
    std::deque<std::string> numbers;  // a deque: views into it stay valid as it grows
    std::deque<std::string> bundles;  // kEntries values, likewise
    CommitArgs() = default;
    CommitArgs(const CommitArgs&) = delete;
    CommitArgs& operator=(const CommitArgs&) = delete;
  };
  // Filled in place, not returned: the views must not outlive `numbers` where it is.
  void Arguments(const WriteBatch& batch, CommitArgs* c) const;
  static absl::StatusOr<CommitResult> Decode(const WriteBatch& batch, const RedisValue& v);

  RedisClient& redis_;
  std::string stream_key_;
};

// Converts between CloudEvent + topic and the stream entry's fields.
std::vector<std::string> ToOutboxFields(const CloudEvent& event, const std::string& topic);
// One event's entry (kEntry, or a field per attribute); INVALID_ARGUMENT for
// an entry of several (FromOutboxEntry reads those).
absl::StatusOr<std::pair<CloudEvent, std::string>> FromOutboxFields(
    const std::vector<std::pair<std::string, std::string>>& fields);
// Every event of an entry, in order, whichever form it has.
absl::StatusOr<std::vector<std::pair<CloudEvent, std::string>>> FromOutboxEntry(
    const std::vector<std::pair<std::string, std::string>>& fields);
// The kEntries value holding these OutboxEntry serializations, in order
// (each as it is: an OutboxEntries is their concatenation as field 1).
std::string OutboxEntriesOf(const std::vector<std::string_view>& serialized_entries);

}  // namespace salesops
