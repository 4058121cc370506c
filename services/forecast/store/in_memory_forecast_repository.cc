#include "services/forecast/store/in_memory_forecast_repository.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops::forecast {
namespace {

std::string Tag(absl::string_view what, DocKind kind, absl::string_view id) {
  return absl::StrCat(what, ":", static_cast<int>(kind), ":", id);
}

}  // namespace

absl::StatusOr<std::vector<ReadResult>> InMemoryForecastRepository::Read(
    const std::vector<ReadOp>& ops) {
  absl::MutexLock lock(&mu_);
  std::vector<ReadResult> out(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const ReadOp& op = ops[i];
    ReadResult& r = out[i];
    switch (op.kind) {
      case ReadOp::kDocs:
        for (const std::string& id : op.keys) {
          auto it = docs_.find({op.doc_kind, id});
          if (it == docs_.end()) {
            r.docs.push_back(std::nullopt);
          } else {
            r.docs.push_back(it->second);
          }
        }
        break;
      case ReadOp::kRange: {
        auto ix = indexes_.find(op.name);
        if (ix == indexes_.end()) {
          break;
        }
        auto it = op.after.empty() ? ix->second.begin() : ix->second.upper_bound(op.after);
        for (; it != ix->second.end() && static_cast<int>(r.ids.size()) < op.limit; ++it) {
          r.ids.push_back(*it);
        }
        break;
      }
      case ReadOp::kFields: {
        auto h = hashes_.find(op.name);
        for (const std::string& f : op.keys) {
          std::string v;
          if (h != hashes_.end()) {
            auto it = h->second.find(f);
            if (it != h->second.end()) {
              v = it->second;
            }
          }
          r.values.push_back(std::move(v));
        }
        break;
      }
      case ReadOp::kAllFields: {
        auto h = hashes_.find(op.name);
        if (h != hashes_.end()) {
          for (const auto& [f, v] : h->second) {
            r.fields.emplace_back(f, v);
          }
        }
        break;
      }
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> InMemoryForecastRepository::SeenRequest(
    const std::string& caller, const std::string& request_id) {
  if (request_id.empty()) {
    return std::nullopt;
  }
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(absl::StrCat(caller, "/", request_id));
  if (it == requests_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<CommitOutcome> InMemoryForecastRepository::CommitOnce(
    const ForecastChange& change, absl::Span<const CloudEvent* const> causes) {
  absl::MutexLock lock(&mu_);
  if (fail_next_) {
    fail_next_ = false;
    return Unavailable(reason::kRedisUnavailable, "storage is down (test)");
  }
  auto fail = [](std::string tag, std::string current = "") {
    return CommitOutcome{false, std::move(tag), std::move(current)};
  };
  // Guards first: nothing is written when one fails.
  std::vector<std::string> seen_keys;
  for (const CloudEvent* cause : causes) {
    seen_keys.push_back(absl::StrCat(cause->source, "|", cause->id));
    if (seen_.contains(seen_keys.back())) {
      return fail("seen");
    }
  }
  for (const auto& g : change.guards()) {
    std::string value;
    auto h = hashes_.find(g.hash);
    if (h != hashes_.end()) {
      auto it = h->second.find(g.field);
      if (it != h->second.end()) {
        value = it->second;
      }
    }
    if (value != g.value) {
      return fail(g.tag, value);
    }
  }
  for (const auto& p : change.puts()) {
    auto it = docs_.find({p.kind, p.id});
    if (p.expect_version == 0 && it != docs_.end()) {
      return fail(Tag("exists", p.kind, p.id));
    }
    if (p.expect_version > 0 && (it == docs_.end() || it->second.version != p.expect_version)) {
      return fail(Tag("version", p.kind, p.id));
    }
  }
  const std::string request_key = absl::StrCat(change.request_caller(), "/", change.request_id());
  if (!change.request_id().empty() && requests_.contains(request_key)) {
    return fail("request:", requests_[request_key]);
  }
  // Writes.
  for (const auto& p : change.puts()) {
    Doc& d = docs_[{p.kind, p.id}];
    d.id = p.id;
    d.version = p.expect_version == kAnyVersion ? d.version + 1 : p.expect_version + 1;
    d.data = p.data;
  }
  for (const auto& f : change.fields()) {
    auto& hash = hashes_[f.hash];
    switch (f.op) {
      case ForecastChange::FieldWrite::kSet:
        hash[f.field] = f.value;
        break;
      case ForecastChange::FieldWrite::kIncrement: {
        int64_t v = 0;
        (void)absl::SimpleAtoi(hash[f.field], &v);
        hash[f.field] = absl::StrCat(v + f.by);
        break;
      }
      case ForecastChange::FieldWrite::kDelete:
        hash.erase(f.field);
        break;
    }
  }
  for (const auto& ix : change.indexes()) {
    if (ix.add) {
      indexes_[ix.index].insert(ix.id);
    } else {
      indexes_[ix.index].erase(ix.id);
    }
  }
  if (!change.request_id().empty()) {
    requests_[request_key] = change.request_resource();
  }
  seen_.insert(seen_keys.begin(), seen_keys.end());
  for (const CloudEvent& e : change.events()) {
    events_.push_back(e);
  }
  ++commits_;
  return CommitOutcome{true, "", ""};
}

std::vector<CloudEvent> InMemoryForecastRepository::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

int64_t InMemoryForecastRepository::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

void InMemoryForecastRepository::FailNextCommit() {
  absl::MutexLock lock(&mu_);
  fail_next_ = true;
}

}  // namespace salesops::forecast
