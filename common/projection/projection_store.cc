#include "common/projection/projection_store.h"

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
