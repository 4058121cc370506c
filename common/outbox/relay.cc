#include "common/outbox/relay.h"

#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/outbox/write_batch.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops {

OutboxRelay::OutboxRelay(RedisClient& redis, KafkaProducer& producer, RelayOptions options)
    : redis_(redis), producer_(producer), options_(std::move(options)) {
  if (options_.consumer_name.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    options_.consumer_name = absl::StrCat(host, "-", getpid());
  }
}

OutboxRelay::~OutboxRelay() { Stop(absl::ZeroDuration()); }

void OutboxRelay::Start() {
  stopping_ = false;
  blocking_conn_ = redis_.NewDedicatedConnection(absl::Seconds(5));
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop(absl::Duration drain) {
  if (!thread_.joinable()) {
    return;
  }
  stopping_ = true;
  thread_.join();
  // Read ahead and not handed over yet: they go out with the rest.
  for (Entry& e : TakeHeld()) {
    Publish(std::move(e));
  }
  // Deliveries confirmed during the flush are acknowledged below, so they are
  // not published again by the next relay.
  (void)producer_.Flush(drain);
  absl::Time deadline = absl::Now() + drain;
  while (absl::Now() < deadline) {
    (void)AckDelivered();
    DropUnconfirmed();  // not published again here: pending for the next relay
    absl::MutexLock lock(&mu_);
    if (in_flight_.empty()) {
      break;
    }
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](std::vector<std::string>* d) { return !d->empty(); }, &delivered_),
                         absl::Milliseconds(100));
  }
  (void)AckDelivered();
}

absl::Status OutboxRelay::EnsureGroup() {
  // Start at 0, not $: entries written before the group existed must go out too.
  auto r =
      redis_.Command({"XGROUP", "CREATE", options_.stream_key, options_.group, "0", "MKSTREAM"});
  if (!r.ok() && !absl::StrContains(r.status().message(), "BUSYGROUP")) {
    return r.status();
  }
  return absl::OkStatus();
}

std::vector<OutboxRelay::Entry> OutboxRelay::ParseEntries(const RedisValue& entries) {
  std::vector<Entry> out;
  for (const auto& e : entries.elements) {
    if (e.elements.size() < 2 || e.elements[1].is_nil()) {
      continue;  // deleted while pending
    }
    out.push_back({e.elements[0].str, AsPairs(e.elements[1])});
  }
  return out;
}

void OutboxRelay::Loop() {
  bool group_ready = false;
  bool active = false;
  // After a takeover: pending entries of every age go out before new ones.
  bool takeover_claim = false;
  absl::Time next_claim = absl::Now();
  absl::Time next_backlog = absl::Now();
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_.load()) {
    const bool may_relay = options_.lease == nullptr || options_.lease->held();
    if (may_relay != active) {
      active = may_relay;
      stats_.active = active ? 1 : 0;
      if (active) {
        ++stats_.takeovers;
        takeover_claim = options_.lease != nullptr;
        next_claim = absl::Now();
        LogInfo("outbox relay active", {{"stream", options_.stream_key}});
      } else {
        // Read but not handed over: pending under our name, so the holder of
        // the lease re-claims them.
        (void)TakeHeld();
        LogInfo("outbox relay standing by (lease held elsewhere)",
                {{"stream", options_.stream_key}});
      }
    }
    absl::Status s = absl::OkStatus();
    if (!group_ready) {
      s = EnsureGroup();
      group_ready = s.ok();
    }
    if (s.ok()) {
      s = AckDelivered();  // our own confirmed deliveries, active or not
    }
    if (s.ok() && active) {
      s = RepublishUnconfirmed();
    } else if (!active) {
      DropUnconfirmed();  // left pending for the holder of the lease
    }
    // Every replica reports the backlog, the standing-by ones too.
    if (s.ok() && absl::Now() >= next_backlog) {
      auto len = redis_.Command({"XLEN", options_.stream_key});
      if (len.ok()) {
        stats_.backlog = len->integer;
      }
      next_backlog = absl::Now() + absl::Seconds(1);
    }
    if (!active) {
      if (s.ok()) {
        (void)options_.lease->WaitHeld(absl::Milliseconds(200));
        continue;
      }
    } else {
      if (s.ok() && absl::Now() >= next_claim) {
        bool done = true;
        s = Reclaim(takeover_claim ? absl::ZeroDuration() : options_.claim_min_idle, &done);
        if (s.ok() && done) {
          takeover_claim = false;
        }
        next_claim = takeover_claim ? absl::Now() : absl::Now() + options_.claim_interval;
      }
      if (s.ok()) {
        if (takeover_claim) {
          absl::SleepFor(absl::Milliseconds(20));  // in-flight room frees as Kafka confirms
        } else {
          s = ReadNew();
        }
      }
    }
    if (!s.ok()) {
      if (absl::StrContains(s.message(), "NOGROUP")) {
        group_ready = false;  // stream or group vanished (e.g. FLUSHALL): recreate
      }
      LogWarning("outbox relay: redis error, retrying", {{"error", std::string(s.message())}});
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(2));
    } else {
      backoff = absl::Milliseconds(100);
    }
  }
  stats_.active = 0;
}

absl::StatusOr<std::vector<OutboxRelay::Entry>> OutboxRelay::Read(int count, bool block) {
  std::vector<std::string> cmd = {"XREADGROUP",           "GROUP", options_.group,
                                  options_.consumer_name, "COUNT", std::to_string(count)};
  if (block) {
    // Short blocks so confirmed entries are deleted promptly and Stop() is quick.
    cmd.insert(cmd.end(), {"BLOCK", "200"});
  }
  cmd.insert(cmd.end(), {"STREAMS", options_.stream_key, ">"});
  auto r = blocking_conn_->Command(cmd);
  if (!r.ok()) {
    return r.status();
  }
  if (r->is_nil() || r->elements.empty()) {
    return std::vector<Entry>{};
  }
  std::vector<Entry> entries = ParseEntries(r->elements[0].elements[1]);
  SALESOPS_RETURN_IF_ERROR(AwaitReplicated());
  return entries;
}

absl::Status OutboxRelay::ReadNew() {
  int room;
  bool answering;
  {
    absl::MutexLock lock(&mu_);
    room = options_.max_in_flight - static_cast<int>(in_flight_.size() + held_.size());
    answering = options_.one_round_at_a_time && unanswered_ >= kProducerRequestWindow;
  }
  if (answering) {
    // Kafka is answering the last round: read the next one meanwhile (what
    // fits in one request), then wait for the answer before handing it over.
    while (room > 0 && held_bytes_ < options_.round_bytes) {
      const int count = std::min(room, options_.batch_size);
      SALESOPS_ASSIGN_OR_RETURN(std::vector<Entry> more, Read(count, false));
      const int got = static_cast<int>(more.size());
      room -= got;
      Hold(std::move(more));
      if (got < count) {
        break;  // nothing more waiting
      }
    }
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(
            absl::Condition(
                +[](int* n) { return *n < kProducerRequestWindow; }, &unanswered_),
            options_.round_wait)) {
      return absl::OkStatus();  // still answering: acknowledge, claim, come back
    }
  }
  std::vector<Entry> entries = TakeHeld();
  absl::Status linger_read = absl::OkStatus();
  if (entries.empty()) {
    if (room <= 0) {
      absl::SleepFor(absl::Milliseconds(20));
      return absl::OkStatus();
    }
    const int count = std::min(room, options_.batch_size);
    SALESOPS_ASSIGN_OR_RETURN(entries, Read(count, true));
    if (entries.empty()) {
      return absl::OkStatus();
    }
    // What is written meanwhile joins this round.
    if (options_.linger > absl::ZeroDuration() && static_cast<int>(entries.size()) < count) {
      {
        absl::MutexLock lock(&mu_);  // read, not handed over yet: held (WaitUntil sees it)
        stats_.held = static_cast<int64_t>(entries.size());
      }
      absl::SleepFor(options_.linger);
      if (!stopping_.load()) {
        // A failed read still lets this round go, and is reported after it
        // (logged, backed off). What it may have read stays pending under this
        // relay's name, as after a failed read of a round, for a re-claim.
        absl::StatusOr<std::vector<Entry>> more =
            Read(count - static_cast<int>(entries.size()), false);
        if (more.ok()) {
          for (Entry& e : *more) {
            entries.push_back(std::move(e));
          }
        } else {
          linger_read = more.status();
        }
      }
    }
  }
  {
    absl::MutexLock lock(&mu_);
    stats_.held = 0;
    ++stats_.rounds;
  }
  for (size_t k = 0; k < entries.size(); ++k) {
    if (!RoomForEvents()) {
      // The rest goes with the next round.
      Hold(std::vector<Entry>(std::make_move_iterator(entries.begin() + k),
                              std::make_move_iterator(entries.end())));
      break;
    }
    Publish(std::move(entries[k]));
  }
  SendRound(absl::Milliseconds(1));
  return linger_read;
}

bool OutboxRelay::RoomForEvents() {
  struct Room {
    const int* unanswered;
    int max;
    bool operator()() const { return *unanswered < max; }
  } room{&unanswered_, options_.max_unanswered_events};
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&room), options_.round_wait);
}

void OutboxRelay::Hold(std::vector<Entry> more) {
  for (Entry& e : more) {
    held_bytes_ += EntryBytes(e);
    held_.push_back(std::move(e));
  }
  absl::MutexLock lock(&mu_);  // so WaitUntil sees the change
  stats_.held = static_cast<int64_t>(held_.size());
}

std::vector<OutboxRelay::Entry> OutboxRelay::TakeHeld() {
  std::vector<Entry> out;
  out.swap(held_);
  held_bytes_ = 0;
  absl::MutexLock lock(&mu_);
  stats_.held = 0;
  return out;
}

bool OutboxRelay::WaitUntil(const std::function<bool(const RelayStats&)>& done,
                            absl::Duration timeout) {
  struct Check {
    const std::function<bool(const RelayStats&)>* done;
    const RelayStats* stats;
    bool operator()() const { return (*done)(*stats); }
  } check{&done, &stats_};
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&check), timeout);
}

size_t OutboxRelay::EntryBytes(const Entry& e) {
  size_t n = 0;
  for (const auto& [k, v] : e.fields) {
    n += k.size() + v.size();
  }
  return n;
}

void OutboxRelay::SendRound(absl::Duration wait) {
  if (options_.one_round_at_a_time && wait > absl::ZeroDuration()) {
    // The round is the batch: a flush makes the producer send it now rather
    // than after linger.ms (and serves delivery reports here while it waits).
    (void)producer_.Flush(wait);
  }
}

absl::Status OutboxRelay::AwaitReplicated() {
  // An entry read from the primary may not be on a replica yet: published now
  // and then lost with the primary, its write would be gone (the writer was
  // told REDIS_NOT_REPLICATED and retries) while its event stayed on Kafka.
  // Barrier and WAIT on the connection that read them
  // (RedisConnection::AwaitReplicated: a WAIT alone misses entries a blocked
  // read was served; RedisFailoverTest.RelayPublishesAnEntryOnlyOnceTheReplicaHasIt).
  // Not confirmed: the entries stay pending here, and are published once
  // confirmed or re-claimed.
  while (!stopping_.load()) {
    absl::Status s = blocking_conn_->AwaitReplicated(options_.stream_key);
    if (ErrorReason(s) != "REDIS_NOT_REPLICATED") {
      return s;  // OK, or the connection failed
    }
  }
  return Unavailable("REDIS_NOT_REPLICATED", "relay stopping before the replicas confirmed");
}

absl::Status OutboxRelay::Reclaim(absl::Duration min_idle, bool* done) {
  std::string cursor = "0-0";
  *done = false;
  // Read ahead and held here (ReadNew), pending under our name: they go out
  // with their round, however long it waits. (held_ does not change meanwhile:
  // both run on the relay's thread.)
  absl::flat_hash_set<std::string_view> held;
  for (const Entry& e : held_) {
    held.insert(e.stream_id);
  }
  do {
    int room;
    {
      absl::MutexLock lock(&mu_);
      room = options_.max_in_flight - static_cast<int>(in_flight_.size());
    }
    if (room <= 0) {
      // Bounded like ReadNew; the rest waits for the next pass, which starts
      // again from the oldest entry (ours in flight are skipped below).
      return absl::OkStatus();
    }
    auto r =
        redis_.Command({"XAUTOCLAIM", options_.stream_key, options_.group, options_.consumer_name,
                        std::to_string(absl::ToInt64Milliseconds(min_idle)), cursor, "COUNT",
                        std::to_string(std::min(room, options_.batch_size))});
    if (!r.ok()) {
      return r.status();
    }
    if (r->elements.size() < 2) {
      *done = true;
      return absl::OkStatus();
    }
    cursor = r->elements[0].str;
    std::vector<Entry> entries = ParseEntries(r->elements[1]);
    // Re-claimed entries too are published only once the replicas have them.
    SALESOPS_RETURN_IF_ERROR(redis_.AwaitReplicated(options_.stream_key));
    std::vector<std::string> deleted_ids;  // pending entries whose data is gone
    for (const auto& e : r->elements[1].elements) {
      if (e.elements.size() >= 2 && e.elements[1].is_nil()) {
        deleted_ids.push_back(e.elements[0].str);
      }
    }
    if (!deleted_ids.empty()) {
      std::vector<std::string> ack = {"XACK", options_.stream_key, options_.group};
      ack.insert(ack.end(), deleted_ids.begin(), deleted_ids.end());
      (void)redis_.Command(ack);
    }
    bool published = false;
    for (size_t k = 0; k < entries.size(); ++k) {
      Entry& e = entries[k];
      bool busy;
      {
        absl::MutexLock lock(&mu_);
        busy = in_flight_.contains(e.stream_id);
      }
      if (busy || held.contains(e.stream_id)) {
        continue;  // ours, with Kafka or waiting for a round: not abandoned
      }
      if (!RoomForEvents()) {
        // Claimed, and now pending under our name: they go with the next
        // round; the rest of the stream waits for the next pass.
        std::vector<Entry> rest;
        for (; k < entries.size(); ++k) {
          if (!held.contains(entries[k].stream_id)) {
            rest.push_back(std::move(entries[k]));
          }
        }
        Hold(std::move(rest));
        if (published) {
          SendRound(options_.round_wait);
        }
        return absl::OkStatus();
      }
      ++stats_.reclaimed;
      Publish(std::move(e));
      published = true;
    }
    if (published) {
      SendRound(options_.round_wait);  // a page at a time
    }
  } while (cursor != "0-0" && !stopping_.load());
  *done = cursor == "0-0";
  return absl::OkStatus();
}

void OutboxRelay::Publish(Entry entry) {
  auto parsed = FromOutboxEntry(entry.fields);
  if (!parsed.ok()) {
    // Written by our own script, so this is a bug; keep the entry (pending)
    // for inspection rather than drop it silently.
    LogError("outbox entry unreadable; left pending",
             {{"stream_id", entry.stream_id}, {"error", std::string(parsed.status().message())}});
    return;
  }
  // An entry holds one event or a commit's several: it is delivered once all
  // of them are; published again (all of them) if one was not confirmed; left
  // pending for a re-claim if one failed.
  struct Answers {
    size_t unanswered;
    bool failed = false;
    bool unconfirmed = false;
  };
  const size_t n = parsed->size();
  auto answers = std::make_shared<Answers>(Answers{n});
  const std::string id = entry.stream_id;
  // The entry's last answer decides (called with mu_ held).
  auto settle = [this, id](const Answers& a) {
    if (a.failed) {
      in_flight_.erase(id);  // stays pending in Redis: re-claimed after claim_min_idle
    } else if (a.unconfirmed) {
      unconfirmed_.push_back(id);  // published again at once; in flight till then
    } else {
      delivered_.push_back(id);
    }
  };
  {
    absl::MutexLock lock(&mu_);
    in_flight_.insert(id);
    unanswered_ += static_cast<int>(n);
    stats_.unanswered = unanswered_;
  }
  for (size_t k = 0; k < n; ++k) {
    const auto& [event, topic] = (*parsed)[k];
    absl::Status s =
        producer_.Produce(topic, event.key, event.data, ToKafkaHeaders(event),
                          [this, answers, settle](absl::Status st) {
                            absl::MutexLock lock(&mu_);
                            stats_.unanswered = --unanswered_;
                            if (st.ok()) {
                              ++stats_.published;
                            } else if (ErrorReason(st) == "KAFKA_DELIVERY_UNCONFIRMED") {
                              // Acknowledged, perhaps not stored (producer.h).
                              answers->unconfirmed = true;
                              ++stats_.unconfirmed;
                            } else {
                              answers->failed = true;
                              ++stats_.failed;
                            }
                            if (--answers->unanswered == 0) {
                              settle(*answers);
                            }
                          });
    if (!s.ok()) {
      // Neither this event nor the entry's later ones were handed over.
      LogWarning("outbox relay: produce failed", {{"error", std::string(s.message())}});
      absl::MutexLock lock(&mu_);
      const size_t not_sent = n - k;
      unanswered_ -= static_cast<int>(not_sent);
      stats_.unanswered = unanswered_;
      stats_.failed += static_cast<int64_t>(not_sent);
      answers->failed = true;
      answers->unanswered -= not_sent;
      if (answers->unanswered == 0) {
        settle(*answers);
      }
      return;
    }
  }
}

absl::Status OutboxRelay::RepublishUnconfirmed() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    ids.swap(unconfirmed_);
  }
  if (ids.empty()) {
    return absl::OkStatus();
  }
  // The entries again, still pending under our name (XCLAIM to ourselves with
  // no idle time; an id whose entry is gone comes back empty). The replicas
  // have them already: they were published once.
  std::vector<std::string> claim = {"XCLAIM", options_.stream_key, options_.group,
                                    options_.consumer_name, "0"};
  claim.insert(claim.end(), ids.begin(), ids.end());
  auto r = redis_.Command(claim);
  if (!r.ok()) {
    absl::MutexLock lock(&mu_);  // tried again on the next turn
    unconfirmed_.insert(unconfirmed_.end(), ids.begin(), ids.end());
    return r.status();
  }
  std::vector<Entry> entries = ParseEntries(*r);
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : ids) {
      in_flight_.erase(id);
    }
  }
  LogWarning("outbox relay: deliveries acknowledged without an offset, publishing them again",
             {{"stream", options_.stream_key},
              {"entries", static_cast<int64_t>(ids.size())},
              {"found", static_cast<int64_t>(entries.size())}});
  for (Entry& e : entries) {
    Publish(std::move(e));
  }
  SendRound(absl::Milliseconds(1));
  return absl::OkStatus();
}

void OutboxRelay::DropUnconfirmed() {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : unconfirmed_) {
    in_flight_.erase(id);  // pending in Redis: re-claimed by whoever relays
  }
  unconfirmed_.clear();
}

absl::Status OutboxRelay::AckDelivered() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    ids.swap(delivered_);
  }
  if (ids.empty()) {
    return absl::OkStatus();
  }
  std::vector<std::string> ack = {"XACK", options_.stream_key, options_.group};
  std::vector<std::string> del = {"XDEL", options_.stream_key};
  ack.insert(ack.end(), ids.begin(), ids.end());
  del.insert(del.end(), ids.begin(), ids.end());
  // XDEL first: a crash between the two leaves a pending id without data,
  // which Reclaim() acknowledges; the other order could strand the entry.
  auto r = redis_.Pipeline({del, ack});
  if (!r.ok()) {
    // Put them back; deleting later is safe, and if we crash first they are
    // re-published (consumers dedupe by event id).
    absl::MutexLock lock(&mu_);
    delivered_.insert(delivered_.end(), ids.begin(), ids.end());
    return r.status();
  }
  absl::MutexLock lock(&mu_);
  for (const auto& id : ids) {
    in_flight_.erase(id);
  }
  return absl::OkStatus();
}

}  // namespace salesops
