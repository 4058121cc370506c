// The outbox relay: publishes a service's outbox stream to Kafka and deletes
// each entry only after Kafka confirmed the delivery of its events (one, or a
// commit's several; idempotent producer, acks=all). Entries are read through a Redis consumer
// group, so entries a crashed relay had read but not confirmed stay pending and are re-claimed
// (XAUTOCLAIM) by a live relay after `claim_min_idle`. Kafka down ⇒ entries
// wait; Redis down ⇒ the relay retries. An acknowledgement without an offset
// is no proof (KafkaProducer: KAFKA_DELIVERY_UNCONFIRMED): the entry is
// published again at once. Delivery is at least once; consumers drop
// duplicates by event id.
//
// Replicas: with a lease, only the replica holding it relays, so one
// aggregate's events reach Kafka in commit order however many replicas run.
// On taking the lease over, the relay first re-publishes every entry still
// pending (the previous holder's unconfirmed ones, oldest first, whatever
// their idle time) and only then reads new ones. A previous holder that was
// cut off, not dead, may still deliver what it had handed to Kafka: a
// duplicate of an event already published, dropped by consumers by event id.
//
// With RedisOptions::wait_replicas, an entry is published only once the
// replicas have it: an event never outlives its write in a failover.
//
//   OutboxRelay relay(redis, producer, {.stream_key = "org:{org}:outbox"});
//   relay.Start();  ...  relay.Stop();
//
// Thread-safe: one background thread; Start/Stop from the owner only.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kafka/producer.h"
#include "common/redis/redis_client.h"
#include "common/redis/redis_lease.h"

namespace salesops {

struct RelayOptions {
  std::string stream_key;
  std::string group = "relay";
  // Unique per process; defaults to host-pid.
  std::string consumer_name;
  int batch_size = 500;
  // Bound on entries handed to Kafka and not yet confirmed or acknowledged.
  int max_in_flight = 10000;
  // Events handed to Kafka and not answered, at most (plus one entry's): half
  // of librdkafka's queue (queue.buffering.max.messages, 100,000), so that an
  // entry's events never find it full. max_in_flight and batch_size count
  // entries, and an entry holds up to kEventsPerEntry events.
  int max_unanswered_events = 50'000;
  // Entries are handed to Kafka a round at a time: the next round is read
  // while Kafka answers for the last one, and handed over once fewer than 5
  // records are unanswered. librdkafka 2.0's idempotent producer counts
  // in-flight messages, not requests, against its window of 5 requests per
  // partition: with 5 records unanswered it makes no new request, yet once
  // records queued behind them pass linger.ms its broker thread polls with a
  // zero timeout until the answer comes (a busy loop: ~30 % of org_server's
  // CPU under a write load). A round handed over below 5 goes out in one
  // request at once (a flush, not linger.ms), and nothing waits behind it.
  bool one_round_at_a_time = true;
  // How long the relay waits for a round's answers before it acknowledges
  // what was confirmed, re-claims, and waits again.
  absl::Duration round_wait = absl::Milliseconds(200);
  // While Kafka answers, entries are read ahead until they pass this many
  // bytes: about a round that fits one produce request (librdkafka's
  // batch.size, 1 MB). One read takes up to batch_size entries, so a round of
  // entries holding many events each (a combined commit's) can be larger.
  size_t round_bytes = 512 * 1024;
  // A round whose read found less than a full batch waits this long for more
  // before it goes (as a producer's linger.ms): under load Kafka gets fewer,
  // larger produce requests (one per partition per round) and its consumers
  // fewer fetches, for up to this much more latency per event. Zero: at once.
  absl::Duration linger = absl::Milliseconds(3);
  // An entry pending this long with no live relay working on it is re-claimed.
  // Keep it above the producer's message timeout: a live relay's slow entries
  // are otherwise published a second time by another replica (harmless, wasteful).
  absl::Duration claim_min_idle = absl::Seconds(90);
  absl::Duration claim_interval = absl::Seconds(5);
  // When set (started by the caller, outliving the relay), the relay reads
  // and publishes only while this process holds it.
  const RedisLease* lease = nullptr;
};

struct RelayStats {
  // Events (an entry holds one, or a commit's several), as Kafka answered them.
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> reclaimed{0};  // entries
  // Acknowledged by Kafka without an offset (not known to be stored), and so
  // published again (KafkaProducer: KAFKA_DELIVERY_UNCONFIRMED).
  std::atomic<int64_t> unconfirmed{0};
  std::atomic<int64_t> backlog{0};    // XLEN, refreshed every second
  std::atomic<int64_t> takeovers{0};  // times this relay became the active one
  std::atomic<int> active{0};         // 1 while relaying (holding the lease, if any)
  // Events handed to Kafka, not answered yet; entries read ahead, waiting for
  // those answers (or read and lingering, RelayOptions::linger).
  std::atomic<int64_t> unanswered{0};
  std::atomic<int64_t> held{0};
  // Rounds handed to Kafka (published / rounds: events per round).
  std::atomic<int64_t> rounds{0};
};

class OutboxRelay {
 public:
  // librdkafka's idempotent window (RD_KAFKA_IDEMP_MAX_INFLIGHT), which 2.0
  // compares with a partition's unanswered records.
  static constexpr int kProducerRequestWindow = 5;

  OutboxRelay(RedisClient& redis, KafkaProducer& producer, RelayOptions options);
  ~OutboxRelay();

  void Start();
  // Stops reading, waits up to `drain` for in-flight deliveries and removes
  // the confirmed entries; unconfirmed ones stay pending for the next relay.
  void Stop(absl::Duration drain = absl::Seconds(10));

  const RelayStats& stats() const { return stats_; }
  // Blocks until `done(stats())` holds or `timeout` passes; whether it held.
  // Woken by every change of published, failed, unanswered and held (a
  // barrier, not polling).
  bool WaitUntil(const std::function<bool(const RelayStats&)>& done, absl::Duration timeout);

 private:
  struct Entry {
    std::string stream_id;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  void Loop();
  absl::Status EnsureGroup();
  absl::Status ReadNew();
  // With RedisOptions::wait_replicas: OK once the replicas have every entry
  // this relay's blocking connection has read.
  absl::Status AwaitReplicated();
  // Re-publishes pending entries idle at least `min_idle`; false in `*done`
  // when it stopped early for lack of room (the rest waits for the next pass).
  absl::Status Reclaim(absl::Duration min_idle, bool* done);
  void Publish(Entry entry);
  // Whether fewer than max_unanswered_events are unanswered, waiting up to
  // round_wait for answers.
  bool RoomForEvents();
  // Up to `count` new entries, blocking briefly for them or not; OK once the
  // replicas have them (AwaitReplicated).
  absl::StatusOr<std::vector<Entry>> Read(int count, bool block);
  static size_t EntryBytes(const Entry& e);
  // Adds entries read ahead to held_, or takes them all out of it.
  void Hold(std::vector<Entry> more);
  std::vector<Entry> TakeHeld();
  // With one_round_at_a_time: sends what Publish handed over now, waiting up
  // to `wait` for Kafka's answers.
  void SendRound(absl::Duration wait);
  absl::Status AckDelivered();
  // Publishes again what Kafka acknowledged without an offset (unconfirmed_),
  // or, standing by or stopping, leaves it pending for the next relay.
  absl::Status RepublishUnconfirmed();
  void DropUnconfirmed();
  std::vector<Entry> ParseEntries(const RedisValue& entries);

  RedisClient& redis_;
  KafkaProducer& producer_;
  RelayOptions options_;
  std::unique_ptr<RedisConnection> blocking_conn_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  RelayStats stats_;

  absl::Mutex mu_;
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  // Handed to the producer, its delivery callback not run yet.
  int unanswered_ ABSL_GUARDED_BY(mu_) = 0;
  // The next round, read while Kafka answers the last (relay thread only).
  std::vector<Entry> held_;
  size_t held_bytes_ = 0;
  std::vector<std::string> delivered_ ABSL_GUARDED_BY(mu_);
  // Acknowledged without an offset; still in in_flight_ until published again.
  std::vector<std::string> unconfirmed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops
