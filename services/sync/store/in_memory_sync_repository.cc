#include "services/sync/store/in_memory_sync_repository.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops::sync {

absl::StatusOr<std::optional<StoredDoc>> InMemorySyncRepository::Get(DocKind kind,
                                                                     const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = docs_.find({kind, id});
  if (it == docs_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::vector<std::optional<StoredDoc>>> InMemorySyncRepository::GetMany(
    DocKind kind, const std::vector<std::string>& ids) {
  absl::MutexLock lock(&mu_);
  std::vector<std::optional<StoredDoc>> out;
  for (const std::string& id : ids) {
    auto it = docs_.find({kind, id});
    out.push_back(it == docs_.end() ? std::nullopt : std::optional<StoredDoc>(it->second));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> InMemorySyncRepository::Range(const std::string& index,
                                                                       const std::string& after,
                                                                       int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  auto it = indexes_.find(index);
  if (it == indexes_.end()) {
    return out;
  }
  for (auto m = after.empty() ? it->second.begin() : it->second.upper_bound(after);
       m != it->second.end() && static_cast<int>(out.size()) < limit; ++m) {
    out.push_back(*m);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> InMemorySyncRepository::Due(const std::string& schedule,
                                                                     int64_t until, int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<int64_t, std::string>> due;
  auto it = schedules_.find(schedule);
  if (it != schedules_.end()) {
    for (const auto& [member, score] : it->second) {
      if (score <= until) {
        due.push_back({score, member});
      }
    }
  }
  std::sort(due.begin(), due.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < due.size() && static_cast<int>(i) < limit; ++i) {
    out.push_back(due[i].second);
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> InMemorySyncRepository::Counters(
    const std::string& hash) {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(hash);
  if (it == counters_.end()) {
    return std::map<std::string, int64_t>();
  }
  return it->second;
}

absl::StatusOr<std::optional<std::string>> InMemorySyncRepository::FindRequest(
    const std::string& caller, const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(absl::StrCat(caller, "/", request_id));
  if (it == requests_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::Status InMemorySyncRepository::CommitLocked(const Change& c) {
  // Guards first: nothing is written when one fails.
  if (!c.request_id.empty()) {
    auto it = requests_.find(absl::StrCat(c.request_caller, "/", c.request_id));
    if (it != requests_.end()) {
      return AlreadyExists(reason::kRequestReplayed, it->second, it->second);
    }
  }
  for (const DocPut& p : c.puts) {
    auto it = docs_.find({p.kind, p.id});
    const std::string what = absl::StrCat(DocKindName(p.kind), "/", p.id);
    if (p.expect_version == 0) {
      if (it != docs_.end()) {
        return AlreadyExists(reason::kResourceExists, absl::StrCat(what, " already exists"), what);
      }
    } else if (it == docs_.end() || it->second.version != p.expect_version) {
      if (p.other) {
        return Aborted(reason::kWriteConflict,
                       absl::StrCat("write guard failed: also_changed:", what));
      }
      return Aborted(reason::kEtagMismatch,
                     absl::StrCat(what, " changed since it was read (etag); re-read and retry"));
    }
  }
  if (!c.request_id.empty()) {
    requests_[absl::StrCat(c.request_caller, "/", c.request_id)] = c.request_resource;
  }
  for (const DocPut& p : c.puts) {
    docs_[{p.kind, p.id}] = StoredDoc{p.data, p.expect_version + 1};
  }
  for (const IndexOp& op : c.indexes) {
    if (op.add) {
      indexes_[op.index].insert(op.member);
    } else {
      indexes_[op.index].erase(op.member);
    }
  }
  for (const ScheduleOp& op : c.schedules) {
    if (op.add) {
      schedules_[op.schedule][op.member] = op.score;
    } else {
      schedules_[op.schedule].erase(op.member);
    }
  }
  for (const CounterOp& op : c.counters) {
    counters_[op.hash][op.field] += op.delta;
  }
  for (const std::string& customer : c.dirty_shares) {
    ++share_seq_[customer];
    share_dirty_[customer] = absl::ToUnixMillis(clock_.Now());
  }
  for (const OutEvent& e : c.events) {
    events_.push_back(e);
  }
  return absl::OkStatus();
}

void InMemorySyncRepository::BeforeNextCommit(std::function<void()> writer) {
  absl::MutexLock lock(&mu_);
  before_next_ = std::move(writer);
}

void InMemorySyncRepository::RunBeforeNextCommit() {
  std::function<void()> writer;
  {
    absl::MutexLock lock(&mu_);
    writer.swap(before_next_);
  }
  if (writer) {
    writer();
  }
}

absl::Status InMemorySyncRepository::Commit(const Change& change) {
  RunBeforeNextCommit();
  absl::MutexLock lock(&mu_);
  return CommitLocked(change);
}

absl::StatusOr<ApplyOutcome> InMemorySyncRepository::ApplyOnce(const std::string& consumer,
                                                               const CloudEvent& cause,
                                                               const Change& change) {
  RunBeforeNextCommit();
  absl::MutexLock lock(&mu_);
  const std::string key = absl::StrCat(consumer, "|", cause.source, "|", cause.id);
  if (seen_.count(key) > 0) {
    return ApplyOutcome::kSeen;
  }
  absl::Status s = CommitLocked(change);
  if (!s.ok()) {
    return s;
  }
  seen_.insert(key);
  return ApplyOutcome::kApplied;
}

absl::StatusOr<std::vector<DirtyShare>> InMemorySyncRepository::DirtyShares(int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<int64_t, std::string>> due;
  for (const auto& [customer, ms] : share_dirty_) {
    due.push_back({ms, customer});
  }
  std::sort(due.begin(), due.end());
  std::vector<DirtyShare> out;
  for (size_t i = 0; i < due.size() && static_cast<int>(i) < limit; ++i) {
    out.push_back({due[i].second, share_seq_[due[i].second]});
  }
  return out;
}

absl::StatusOr<bool> InMemorySyncRepository::ClearDirtyShare(const DirtyShare& d) {
  absl::MutexLock lock(&mu_);
  if (share_seq_[d.customer] != d.seq) {
    return false;
  }
  share_dirty_.erase(d.customer);
  return true;
}

std::vector<OutEvent> InMemorySyncRepository::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::vector<OutEvent> InMemorySyncRepository::EventsOfType(const std::string& type) const {
  absl::MutexLock lock(&mu_);
  std::vector<OutEvent> out;
  for (const OutEvent& e : events_) {
    if (e.event.type == type) {
      out.push_back(e);
    }
  }
  return out;
}

void InMemorySyncRepository::ClearEvents() {
  absl::MutexLock lock(&mu_);
  events_.clear();
}

}  // namespace salesops::sync
