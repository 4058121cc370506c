#include "common/projection/projection_store.h"

#include "absl/strings/str_cat.h"

namespace salesops {

std::string ProjectionStore::SeenKey(const CloudEvent& event) const {
  // (source, id) identifies an event.
  return absl::StrCat(seen_prefix_, event.source, ":", event.id);
}

absl::StatusOr<bool> ProjectionStore::ApplyOnce(const CloudEvent& event, WriteBatch batch) {
  std::string seen = SeenKey(event);
  WriteBatch guarded;
  guarded.ExpectAbsent(seen, "seen");
  guarded.Set(seen, "1", absl::ToInt64Seconds(seen_ttl_));
  guarded.Append(std::move(batch));
  absl::StatusOr<CommitResult> r = outbox_.Commit(guarded);
  if (!r.ok()) {
    return r.status();
  }
  return r->committed;
}

}  // namespace salesops
