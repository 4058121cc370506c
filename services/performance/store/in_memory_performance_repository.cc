#include "services/performance/store/in_memory_performance_repository.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops::performance {
namespace {

std::string EventKey(const CloudEvent& e) { return absl::StrCat(e.source, ":", e.id); }

}  // namespace

absl::StatusOr<std::optional<Doc>> InMemoryPerformanceRepository::GetDoc(DocKind kind,
                                                                         const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = docs_.find({kind, id});
  if (it == docs_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::vector<std::optional<Doc>>> InMemoryPerformanceRepository::GetDocs(
    DocKind kind, const std::vector<std::string>& ids) {
  absl::MutexLock lock(&mu_);
  std::vector<std::optional<Doc>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = docs_.find({kind, ids[i]});
    if (it != docs_.end()) {
      out[i] = it->second;
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> InMemoryPerformanceRepository::Range(
    const std::string& index, const std::string& prefix, const std::string& after, int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  auto it = indexes_.find(index);
  if (it == indexes_.end()) {
    return out;
  }
  for (auto m = it->second.upper_bound(std::max(after, std::string()));
       m != it->second.end() && static_cast<int>(out.size()) < limit; ++m) {
    if (!after.empty() && *m <= after) {
      continue;
    }
    if (*m < prefix) {
      continue;
    }
    if (!absl::StartsWith(*m, prefix)) {
      break;
    }
    out.push_back(*m);
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<std::string>>> InMemoryPerformanceRepository::GetFields(
    MapKind map, const std::string& id, const std::vector<std::string>& fields) {
  absl::MutexLock lock(&mu_);
  std::vector<std::optional<std::string>> out(fields.size());
  auto it = maps_.find({map, id});
  if (it == maps_.end()) {
    return out;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    auto f = it->second.find(fields[i]);
    if (f != it->second.end()) {
      out[i] = f->second;
    }
  }
  return out;
}

absl::StatusOr<std::vector<FieldMap>> InMemoryPerformanceRepository::GetMaps(
    MapKind map, const std::vector<std::string>& ids) {
  absl::MutexLock lock(&mu_);
  std::vector<FieldMap> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = maps_.find({map, ids[i]});
    if (it == maps_.end()) {
      continue;
    }
    out[i].assign(it->second.begin(), it->second.end());
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> InMemoryPerformanceRepository::FindRequest(
    const std::string& caller, const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  if (request_id.empty()) {
    return std::nullopt;
  }
  auto it = requests_.find(absl::StrCat(caller, "/", request_id));
  if (it == requests_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::vector<bool>> InMemoryPerformanceRepository::Applied(
    const std::vector<const CloudEvent*>& events) {
  absl::MutexLock lock(&mu_);
  std::vector<bool> out;
  out.reserve(events.size());
  for (const CloudEvent* e : events) {
    out.push_back(applied_.contains(EventKey(*e)));
  }
  return out;
}

absl::Status InMemoryPerformanceRepository::Commit(const Change& change,
                                                   const std::vector<const CloudEvent*>& applying) {
  std::function<void()> writer;
  {
    absl::MutexLock lock(&mu_);
    writer.swap(before_next_);
  }
  if (writer) {
    writer();
  }
  absl::MutexLock lock(&mu_);
  if (fail_next_ > 0) {
    --fail_next_;
    return Aborted(reason::kEtagMismatch, "simulated concurrent change");
  }
  // Guards, in the Redis adapter's order.
  for (const CloudEvent* e : applying) {
    if (applied_.contains(EventKey(*e))) {
      return Aborted("EVENT_ALREADY_APPLIED", "an event of this change was applied meanwhile");
    }
  }
  const std::string request_key = absl::StrCat(change.request_caller, "/", change.request_id);
  if (!change.request_id.empty()) {
    auto it = requests_.find(request_key);
    if (it != requests_.end()) {
      return AlreadyExists(reason::kRequestReplayed, it->second, it->second);
    }
  }
  for (const Change::DocPut& d : change.docs) {
    auto it = docs_.find({d.kind, d.id});
    const std::string name = DocResourceName(d.kind, d.id);
    if (d.expect_version == 0) {
      if (it != docs_.end()) {
        return AlreadyExists(reason::kResourceExists, absl::StrCat(name, " already exists"), name);
      }
    } else if (it == docs_.end() || it->second.version != d.expect_version) {
      if (d.other) {
        return Aborted(reason::kWriteConflict, absl::StrCat(name, " changed meanwhile; run again"));
      }
      return Aborted(reason::kEtagMismatch,
                     absl::StrCat(name, " changed since it was read (etag); re-read and retry"));
    }
  }
  for (const Change::FieldOp& f : change.fields) {
    if (f.op != Change::FieldOp::kExpect) {
      continue;
    }
    std::string current;
    auto m = maps_.find({f.map, f.id});
    if (m != maps_.end()) {
      auto v = m->second.find(f.field);
      if (v != m->second.end()) {
        current = v->second;
      }
    }
    if (current != f.value) {
      if (f.other) {
        return Aborted(reason::kWriteConflict,
                       absl::StrCat(MapKindName(f.map), ":", f.id, ":", f.field,
                                    " changed meanwhile; run again"));
      }
      return Aborted(reason::kEtagMismatch, "changed since it was read; re-read and retry");
    }
  }
  // Writes.
  for (const CloudEvent* e : applying) {
    applied_.insert(EventKey(*e));
  }
  if (!change.request_id.empty()) {
    requests_[request_key] = change.request_resource;
  }
  for (const Change::DocPut& d : change.docs) {
    docs_[{d.kind, d.id}] = Doc{d.id, d.expect_version + 1, d.data};
  }
  for (const Change::FieldOp& f : change.fields) {
    switch (f.op) {
      case Change::FieldOp::kSet:
        maps_[{f.map, f.id}][f.field] = f.value;
        break;
      case Change::FieldOp::kDel: {
        auto m = maps_.find({f.map, f.id});
        if (m != maps_.end()) {
          m->second.erase(f.field);
          if (m->second.empty()) {
            maps_.erase(m);
          }
        }
        break;
      }
      case Change::FieldOp::kAdd: {
        if (f.by == 0) {
          break;
        }
        std::string& v = maps_[{f.map, f.id}][f.field];
        int64_t n = 0;
        (void)absl::SimpleAtoi(v, &n);
        v = absl::StrCat(n + f.by);
        break;
      }
      case Change::FieldOp::kExpect:
        break;
    }
  }
  for (const Change::IndexOp& i : change.indexes) {
    if (i.remove) {
      auto it = indexes_.find(i.index);
      if (it != indexes_.end()) {
        it->second.erase(i.member);
      }
    } else {
      indexes_[i.index].insert(i.member);
    }
  }
  for (const CloudEvent& e : change.events) {
    events_.push_back(e);
  }
  return absl::OkStatus();
}

std::vector<CloudEvent> InMemoryPerformanceRepository::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

void InMemoryPerformanceRepository::FailNextCommits(int n) {
  absl::MutexLock lock(&mu_);
  fail_next_ = n;
}

void InMemoryPerformanceRepository::BeforeNextCommit(std::function<void()> writer) {
  absl::MutexLock lock(&mu_);
  before_next_ = std::move(writer);
}

}  // namespace salesops::performance
