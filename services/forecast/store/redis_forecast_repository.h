// ForecastRepository on Redis, in the service's own keyspace "fcst:{fcst}:"
// (one hash tag, so every commit stays in one Redis Cluster slot): documents
// as DocStore hashes {v, pb} under "doc:<kind>:<id>", indexes as sorted sets
// read by lex under "ix:<name>", hashes under "h:<name>", request ids under
// "req:", processed event ids under "seen:". A commit is one WriteBatch (one
// Lua script) through the transactional outbox; with a cause event it goes
// through ProjectionStore::TryApplyOnce. The only place that knows key formats.
//
//   RedisForecastRepository repo(redis, outbox);
//   SALESOPS_ASSIGN_OR_RETURN(CommitOutcome r, repo.Commit(change, &event));
#pragma once

#include <string>
#include <vector>

#include "common/docstore/doc_store.h"
#include "common/outbox/write_batch.h"
#include "common/projection/projection_store.h"
#include "common/redis/redis_client.h"
#include "services/forecast/store/forecast_repository.h"

namespace salesops::forecast {

inline constexpr char kKeyPrefix[] = "fcst:{fcst}:";
inline constexpr char kForecastTopic[] = "salesops.forecast.events.v1";
std::string FcstKey(absl::string_view suffix);

// Thread-safe (RedisClient is).
class RedisForecastRepository final : public ForecastRepository {
 public:
  RedisForecastRepository(RedisClient& redis, TransactionalOutbox& outbox);

  absl::StatusOr<std::vector<ReadResult>> Read(const std::vector<ReadOp>& ops) override;
  absl::StatusOr<std::optional<std::string>> SeenRequest(const std::string& caller,
                                                         const std::string& request_id) override;
  absl::StatusOr<CommitOutcome> CommitOnce(const ForecastChange& change,
                                           absl::Span<const CloudEvent* const> causes) override;

  static std::string DocKey(DocKind kind, absl::string_view id);
  static std::string IndexKey(absl::string_view name);
  static std::string HashKey(absl::string_view name);

 private:
  RedisClient& redis_;
  TransactionalOutbox& outbox_;
  DocStore docs_;
  ProjectionStore seen_;
};

}  // namespace salesops::forecast
