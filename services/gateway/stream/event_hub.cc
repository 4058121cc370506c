#include "services/gateway/stream/event_hub.h"

#include <algorithm>

namespace salesops::gateway {

Subscription::State Subscription::Next(absl::Duration timeout, std::vector<EventPtr>* out) {
  out->clear();
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || state_ != State::kOpen;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  // An overflowed connection gets nothing more: it must reload anyway.
  if (state_ != State::kOverflowed) {
    out->assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  }
  queue_.clear();
  return state_;
}

Subscription::State Subscription::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

bool Subscription::Offer(EventPtr event) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kOpen) {
    return false;
  }
  if (queue_.size() >= capacity_) {
    state_ = State::kOverflowed;
    queue_.clear();
    return false;
  }
  queue_.push_back(std::move(event));
  return true;
}

void Subscription::Close() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen) {
    state_ = State::kClosed;
  }
}

void EventHub::Publish(StreamEvent event) {
  absl::MutexLock lock(&mu_);
  event.seq = next_seq_++;
  auto e = std::make_shared<const StreamEvent>(std::move(event));
  Ring& ring = rings_[{e->position.topic, e->position.partition}];
  ring.events.push_back(e);
  while (ring.events.size() > options_.ring_per_partition) {
    ring.evicted_seq = ring.events.front()->seq;
    ring.events.pop_front();
  }
  ++stats_.published;
  // Fan out under the hub lock: Subscribe then sees each event either in a
  // ring (replayed) or live, never both and never neither.
  auto it = subs_.begin();
  while (it != subs_.end()) {
    Subscription& sub = **it;
    if (!MaySee(sub.viewer(), e->scope)) {
      ++it;
      continue;
    }
    if (sub.Offer(e)) {
      ++stats_.delivered;
      ++it;
    } else {
      if (sub.state() == Subscription::State::kOverflowed) {
        ++stats_.overflowed;
      }
      it = subs_.erase(it);  // its writer sends the final reset and closes
    }
  }
}

bool EventHub::Replay(const StreamPosition& after, Subscription& sub, size_t* count,
                      std::string* reason) {
  auto ring_it = rings_.find({after.topic, after.partition});
  if (ring_it == rings_.end() || ring_it->second.events.empty()) {
    *reason = "unknown_position";  // another gateway's, or from before this one started
    return false;
  }
  const std::deque<EventPtr>& own = ring_it->second.events;
  auto at = std::lower_bound(own.begin(), own.end(), after.offset,
                             [](const EventPtr& e, int64_t o) { return e->position.offset < o; });
  if (at == own.end() || (*at)->position.offset != after.offset) {
    *reason = after.offset < own.front()->position.offset ? "too_old" : "unknown_position";
    return false;
  }
  const uint64_t seen = (*at)->seq;
  std::vector<EventPtr> missed;
  for (const auto& [key, ring] : rings_) {
    if (ring.evicted_seq > seen) {
      *reason = "too_old";  // an event it missed is gone from this partition's ring
      return false;
    }
    for (auto e = ring.events.rbegin(); e != ring.events.rend() && (*e)->seq > seen; ++e) {
      if (MaySee(sub.viewer(), (*e)->scope)) {
        missed.push_back(*e);
      }
    }
  }
  if (missed.size() > sub.capacity_) {
    *reason = "too_far_behind";
    return false;
  }
  std::sort(missed.begin(), missed.end(),
            [](const EventPtr& a, const EventPtr& b) { return a->seq < b->seq; });
  for (EventPtr& e : missed) {
    sub.Offer(std::move(e));
  }
  *count = missed.size();
  return true;
}

std::shared_ptr<Subscription> EventHub::Subscribe(Viewer viewer,
                                                  const std::optional<StreamPosition>& resume_after,
                                                  ResumeResult* result) {
  auto sub = std::make_shared<Subscription>(std::move(viewer), options_.queue_per_connection);
  absl::MutexLock lock(&mu_);
  *result = ResumeResult();
  if (resume_after.has_value()) {
    if (Replay(*resume_after, *sub, &result->replayed, &result->reason)) {
      result->kind = ResumeResult::Kind::kReplayed;
    } else {
      result->kind = ResumeResult::Kind::kReset;
      ++stats_.resets;
    }
  }
  subs_.push_back(sub);
  stats_.connections = subs_.size();
  return sub;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscription>& sub) {
  sub->Close();
  absl::MutexLock lock(&mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void EventHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  for (auto& sub : subs_) {
    sub->Close();
  }
  subs_.clear();
}

HubStats EventHub::stats() const {
  absl::MutexLock lock(&mu_);
  HubStats s = stats_;
  s.connections = subs_.size();
  return s;
}

}  // namespace salesops::gateway
