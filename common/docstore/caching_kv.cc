#include "common/docstore/caching_kv.h"

#include <utility>

#include "absl/time/clock.h"

namespace salesops {

absl::StatusOr<std::vector<RedisValue>> CachingKvReader::DoRead(
    const std::vector<std::vector<std::string>>& commands) {
  return inner_.Read(commands);
}

void CachingKvReader::DoReadAsync(const std::vector<std::vector<std::string>>& commands,
                                  ReadDone done) {
  std::vector<RedisValue> hit;
  if (cache_.Lookup(commands, &hit, absl::Now())) {
    done(std::move(hit));
    return;
  }
  // Taken before the read leaves: a change reported while it is on the wire
  // keeps its reply out of the cache.
  const uint64_t ticket = cache_.Ticket();
  inner_.ReadAsync(commands, [this, ticket, commands,
                              done = std::move(done)](absl::StatusOr<std::vector<RedisValue>> r) {
    if (r.ok()) {
      cache_.Fill(ticket, commands, *r);
    }
    done(std::move(r));
  });
}

namespace {

void AddWrittenKeys(const ReadCacheTable& cache, const WriteBatch& batch,
                    std::vector<std::string>* keys) {
  batch.ForEachWrite([&](const std::string&, const std::string& key, const auto&) {
    if (cache.Tracks(key)) {
      keys->push_back(key);
    }
  });
}

}  // namespace

absl::StatusOr<CommitResult> InvalidatingCommitter::Commit(const WriteBatch& batch) {
  absl::StatusOr<CommitResult> r = inner_.Commit(batch);
  std::vector<std::string> keys;
  AddWrittenKeys(cache_, batch, &keys);
  if (!keys.empty()) {
    cache_.Invalidate(keys);
  }
  return r;
}

std::vector<absl::StatusOr<CommitResult>> InvalidatingCommitter::CommitMany(
    const std::vector<WriteBatch>& batches) {
  std::vector<absl::StatusOr<CommitResult>> r = inner_.CommitMany(batches);
  std::vector<std::string> keys;
  for (const WriteBatch& b : batches) {
    AddWrittenKeys(cache_, b, &keys);
  }
  if (!keys.empty()) {
    cache_.Invalidate(keys);
  }
  return r;
}

}  // namespace salesops
