// SyncRepository on Redis. Everything shares one hash tag, {sync}: a change
// touches a document, its indexes, schedules, counters and the outbox in one
// Lua script (TransactionalOutbox), so it stays in one Redis Cluster slot. The
// service's data is moderate (feedback, launches, shares, task forces, a
// delivery record per routed event), well within one slot.
//
// Keys (prefix "sync:{sync}:"):
//   doc:<kind>:<id>       hash    {v: version, pb: serialized proto} (DocStore layout)
//   ix:<index>            zset    index members "<sort key>:<id>" (score 0, lexicographic)
//   sch:<schedule>        zset    due items (score: seconds or milliseconds)
//   cnt:<name>            hash    counters (insights)
//   req:<caller>/<rid>    string  the resource a request_id created (24 h)
//   seen:<consumer>:<src>/<id> string  event applied by that consumer (15 days)
//   share:dirty           zset    customers whose share-topic record is due (score: ms)
//   share:seq             hash    customer → change counter (only grows)
//   dir:…                 the org directory (store/redis_directory.h)
//   outbox                stream  events waiting for the relay
//
//   RedisSyncRepository repo(redis, outbox);
#pragma once

#include <string>

#include "common/docstore/doc_store.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "common/time/clock.h"
#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

inline constexpr char kKeyPrefix[] = "sync:{sync}:";
std::string SyncKey(absl::string_view suffix);

class RedisSyncRepository final : public SyncRepository {
 public:
  RedisSyncRepository(RedisClient& redis, TransactionalOutbox& outbox, const Clock& clock);

  absl::StatusOr<std::optional<StoredDoc>> Get(DocKind kind, const std::string& id) override;
  absl::StatusOr<std::vector<std::optional<StoredDoc>>> GetMany(
      DocKind kind, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index, const std::string& after,
                                                 int limit) override;
  absl::StatusOr<std::vector<std::string>> Due(const std::string& schedule, int64_t until,
                                               int limit) override;
  absl::StatusOr<std::map<std::string, int64_t>> Counters(const std::string& hash) override;
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                         const std::string& request_id) override;
  absl::Status Commit(const Change& change) override;
  absl::StatusOr<ApplyOutcome> ApplyOnce(const std::string& consumer, const CloudEvent& cause,
                                         const Change& change) override;
  absl::StatusOr<std::vector<DirtyShare>> DirtyShares(int limit) override;
  absl::StatusOr<bool> ClearDirtyShare(const DirtyShare& d) override;

 private:
  WriteBatch ToBatch(const Change& change) const;

  RedisClient& redis_;
  TransactionalOutbox& outbox_;
  const Clock& clock_;
  DocStore docs_;
};

}  // namespace salesops::sync
