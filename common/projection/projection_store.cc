#include "common/projection/projection_store.h"

#include <iterator>
#include <optional>

#include "absl/strings/str_cat.h"

namespace salesops {

std::string ProjectionStore::SeenKey(const CloudEvent& event) const {
  // (source, id) identifies an event.
  return absl::StrCat(seen_prefix_, event.source, ":", event.id);
}

WriteBatch ProjectionStore::Guarded(const CloudEvent& event, WriteBatch batch) const {
  std::string seen = SeenKey(event);
  WriteBatch guarded;
  guarded.ExpectAbsent(seen, kSeenTag);
  guarded.Set(seen, "1", absl::ToInt64Seconds(seen_ttl_));
  guarded.Append(std::move(batch));
  return guarded;
}

absl::StatusOr<bool> ProjectionStore::ApplyOnce(const CloudEvent& event, WriteBatch batch) {
  absl::StatusOr<CommitResult> r = outbox_.Commit(Guarded(event, std::move(batch)));
  if (!r.ok()) {
    return r.status();
  }
  return r->committed;
}

absl::StatusOr<CommitResult> ProjectionStore::TryApplyOnce(const CloudEvent& event,
                                                           WriteBatch batch) {
  return outbox_.Commit(Guarded(event, std::move(batch)));
}

std::vector<absl::StatusOr<CommitResult>> ProjectionStore::TryApplyOnceMany(
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items) {
  std::vector<WriteBatch> batches;
  batches.reserve(items.size());
  for (auto& [event, batch] : items) {
    batches.push_back(Guarded(*event, std::move(batch)));
  }
  return outbox_.CommitMany(batches);
}

std::vector<absl::StatusOr<CommitResult>> ProjectionStore::TryApplyCombined(
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items) {
  // A chunk's script keeps Redis busy for its whole length: bound it.
  constexpr size_t kMaxChunkWrites = 4096;
  std::vector<WriteBatch> batches;
  batches.reserve(items.size());
  for (auto& [event, batch] : items) {
    batches.push_back(Guarded(*event, std::move(batch)));
  }
  std::vector<absl::StatusOr<CommitResult>> out;
  out.reserve(batches.size());
  size_t begin = 0;
  while (begin < batches.size()) {
    size_t end = begin;
    size_t writes = 0;
    while (end < batches.size() &&
           (end == begin ||
            writes + batches[end].op_count() + batches[end].event_count() <= kMaxChunkWrites)) {
      writes += batches[end].op_count() + batches[end].event_count();
      ++end;
    }
    const std::vector<WriteBatch> chunk(std::make_move_iterator(batches.begin() + begin),
                                        std::make_move_iterator(batches.begin() + end));
    begin = end;
    if (chunk.size() > 1) {
      std::optional<WriteBatch> combined = WriteBatch::Combine(chunk);
      if (combined.has_value()) {
        absl::StatusOr<CommitResult> r = outbox_.Commit(*combined);
        if (!r.ok()) {
          // Nothing is known about whether it ran: the same error for each
          // (their seen guards make a retry safe).
          out.insert(out.end(), chunk.size(), r.status());
          continue;
        }
        if (r->committed) {
          size_t next_id = 0;
          for (const WriteBatch& b : chunk) {
            CommitResult each;
            each.committed = true;
            for (size_t k = 0; k < b.event_count() && next_id < r->outbox_ids.size(); ++k) {
              each.outbox_ids.push_back(r->outbox_ids[next_id++]);
            }
            out.push_back(std::move(each));
          }
          continue;
        }
      }
      ++combined_fallbacks_;
    }
    for (auto& r : outbox_.CommitMany(chunk)) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<absl::StatusOr<bool>> ProjectionStore::ApplyOnceMany(
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items) {
  std::vector<absl::StatusOr<bool>> out;
  for (auto& r : TryApplyOnceMany(std::move(items))) {
    if (r.ok()) {
      out.push_back(r->committed);
    } else {
      out.push_back(r.status());
    }
  }
  return out;
}

}  // namespace salesops
