// PerformanceRepository on Redis. The whole keyspace shares one hash tag,
// {perf}, so a Change that touches a rep's statements, facts, counters and
// the outbox is still one atomic script in one Redis Cluster slot (the
// service's data is per sales organisation: thousands of reps, well within a
// slot).
//
// Keys (prefix "perf:{perf}:"):
//   doc:<kind>:<id>        hash   {v: version, pb: serialized proto}; kinds kpi, okr,
//                                 plan, st (statement), stx (issued carry), card, split
//   in:<member>:<period>   hash   a statement's inputs: f:<event> StoredFact,
//                                 a:<award> StoredAward, m:/d:<adjustment> StoredAdjustment
//   deal:<deal>            hash   f:<event> StoredFact (with where it is credited), owner
//   act:<period>:<subject> hash   KPI inputs (integers), subject "m.<member>" / "t.<team>"
//   tgt:<period>           hash   "members/<id>" / "orgUnits/<id>" → StoredTarget
//   opp:<opportunity>      hash   s → StoredOpportunity
//   firstwin               hash   customer → "<yyyymmdd>|<opportunity>|<member>|<team>"
//   overdue                hash   "<contract>|<instalment>" → "<amount>|<member>|<team>|<period>"
//   cause:<work>           hash   "<source>|<event id>" → "" (applied, not yet reported)
//   rev                    hash   work key → revision (bumped by each input change)
//   ix:<index>             zset   ids (score 0, byte order): st, st:m:<member>, card,
//                                 kpi, okr, okr:s:<subject>, plan, periods:<member>, work
//   req:<caller>/<rid>     string the resource a request made (24 h)
//   seen:<source>:<id>     string an applied event (15 days, beyond the topics' retention)
//   dir:…                  the org directory projection (services/org/directory)
//   outbox                 stream events waiting for the relay
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "services/performance/store/performance_repository.h"

namespace salesops::performance {

inline constexpr char kKeyPrefix[] = "perf:{perf}:";
std::string PerfKey(absl::string_view suffix);

class RedisPerformanceRepository final : public PerformanceRepository {
 public:
  RedisPerformanceRepository(RedisClient& redis, TransactionalOutbox& outbox,
                             absl::Duration seen_ttl = absl::Hours(24 * 15))
      : redis_(redis), outbox_(outbox), seen_ttl_(seen_ttl) {}

  absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id) override;
  absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(
      DocKind kind, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index,
                                                 const std::string& prefix,
                                                 const std::string& after, int limit) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> GetFields(
      MapKind map, const std::string& id, const std::vector<std::string>& fields) override;
  absl::StatusOr<std::vector<FieldMap>> GetMaps(MapKind map,
                                                const std::vector<std::string>& ids) override;
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                         const std::string& request_id) override;
  absl::StatusOr<std::vector<bool>> Applied(const std::vector<const CloudEvent*>& events) override;
  absl::Status Commit(const Change& change,
                      const std::vector<const CloudEvent*>& applying) override;

  static std::string DocKey(DocKind kind, absl::string_view id);
  static std::string MapKey(MapKind map, absl::string_view id);
  static std::string IndexKey(absl::string_view index);
  static std::string SeenKey(const CloudEvent& event);

 private:
  RedisClient& redis_;
  TransactionalOutbox& outbox_;
  absl::Duration seen_ttl_;
};

}  // namespace salesops::performance
