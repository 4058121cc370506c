// The live stream's fan-out: events from Kafka (one producer thread) go into
// a bounded ring per partition and to every open connection whose viewer may
// see them (MaySee), each connection through its own bounded queue.
//
// Resume: a connection opened with the id of the last event it saw
// (Last-Event-ID) first gets, in the order this gateway received them, the
// events after that one that it may see, then the live ones, without a gap
// or a duplicate. When that is impossible (the id is not in its partition's
// ring any more, names a partition or offset this gateway never had, or any
// ring has dropped an event newer than it) the connection is told to reset:
// reload, then follow live.
//
// Back-pressure without unbounded buffers: a connection whose queue is full
// when an event arrives is cut off (its state becomes kOverflowed; the writer
// sends a final reset and closes), so a slow client never holds memory or the
// producer back.
//
//   EventHub hub({.ring_per_partition = 1000, .queue_per_connection = 256});
//   hub.Publish(std::move(event));                                  // consumer thread
//   ResumeResult r;
//   auto sub = hub.Subscribe(viewer, ParseStreamId(last_event_id), &r);   // HTTP thread
//   std::vector<EventPtr> batch;
//   while (sub->Next(absl::Seconds(15), &batch) == Subscription::State::kOpen) { … }
//   hub.Unsubscribe(sub);
//
// Thread-safe. Lock order: hub, then subscription.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/concurrency/made_once.h"
#include "services/gateway/domain/event_scope.h"
#include "services/gateway/domain/stream_position.h"

namespace salesops::gateway {

// An event's SSE frame, made when first asked for and then kept: the
// connections that may see the event share one rendering, and an event that no
// connection takes (nobody watching, or nobody allowed to) is never rendered.
// Thread-safe.
using LazyFrame = MadeOnce<std::string>;

struct StreamEvent {
  StreamPosition position;
  std::string type;
  EventScope scope;                        // resolved (ResolveScope)
  std::shared_ptr<const LazyFrame> frame;  // the SSE frame, once for every connection
  uint64_t seq = 0;                        // arrival order in this gateway (set by Publish)
};
using EventPtr = std::shared_ptr<const StreamEvent>;

struct HubOptions {
  size_t ring_per_partition = 1000;
  size_t queue_per_connection = 256;
};

class Subscription {
 public:
  enum class State { kOpen, kOverflowed, kClosed };
  Subscription(Viewer viewer, size_t capacity) : viewer_(std::move(viewer)), capacity_(capacity) {}

  // Waits up to `timeout` for events (or the end); moves the queued ones to
  // *out (cleared first). The state says whether to go on.
  State Next(absl::Duration timeout, std::vector<EventPtr>* out);
  const Viewer& viewer() const { return viewer_; }
  State state() const;

 private:
  friend class EventHub;
  // False (and kOverflowed) when the queue is full.
  bool Offer(EventPtr event);
  void Close();

  const Viewer viewer_;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<EventPtr> queue_ ABSL_GUARDED_BY(mu_);
  State state_ ABSL_GUARDED_BY(mu_) = State::kOpen;
};

struct ResumeResult {
  enum class Kind { kLive, kReplayed, kReset };
  Kind kind = Kind::kLive;
  size_t replayed = 0;
  std::string reason;  // for kReset
};

struct HubStats {
  uint64_t published = 0;
  uint64_t delivered = 0;   // offered to a connection
  uint64_t overflowed = 0;  // connections cut off for being slow
  uint64_t resets = 0;      // resumes that could not be served
  size_t connections = 0;
};

class EventHub {
 public:
  explicit EventHub(HubOptions options) : options_(options) {}

  void Publish(StreamEvent event);
  std::shared_ptr<Subscription> Subscribe(Viewer viewer,
                                          const std::optional<StreamPosition>& resume_after,
                                          ResumeResult* result);
  void Unsubscribe(const std::shared_ptr<Subscription>& sub);
  // Ends every connection (shutdown): their Next() returns kClosed.
  void CloseAll();
  HubStats stats() const;

 private:
  struct Ring {
    std::deque<EventPtr> events;  // offsets and seqs ascending
    uint64_t evicted_seq = 0;     // newest seq dropped from this ring (0: none)
  };
  using RingKey = std::pair<std::string, int32_t>;

  // Queues on `sub` what it missed after `after`; false (with a reason) when
  // that cannot be done completely.
  bool Replay(const StreamPosition& after, Subscription& sub, size_t* count, std::string* reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const HubOptions options_;
  mutable absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<RingKey, Ring> rings_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Subscription>> subs_ ABSL_GUARDED_BY(mu_);
  HubStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::gateway
