// Redis storage of the targets service: a DocStore (common/docstore) in the
// "tgt:{tgt}:" keyspace. Documents: fiscal periods, plans, allocation cells
// (id "<plan>~<cell>"). Attainment actuals per plan are a hash
// "tgt:{tgt}:actual:<plan>" {cell: minor units}, bookings history per month
// "tgt:{tgt}:book:<cur>:<yyyy-mm>" {<dimension>=<value>: minor units} (written
// until 2026-12-07; won deals are now read from the booking facts, see
// plan_store.h), open pipeline "tgt:{tgt}:pipe:<cur>" {<dimension>=<value>: minor units}.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/docstore/doc_store.h"

namespace salesops::targets {

using salesops::Versioned;

inline constexpr char kKeyPrefix[] = "tgt:{tgt}:";
std::string TgtKey(absl::string_view suffix);

inline constexpr char kPeriod[] = "period";
inline constexpr char kPlan[] = "plan";
inline constexpr char kCell[] = "cell";

// Revision counters (a hash): "plans" bumps when a plan version is published or
// superseded; "facts:<basis>:<currency>" when bookings of that kind move.
std::string RevsKey();
inline constexpr char kPlansRevField[] = "plans";

// Indexes (sorted sets of ids) and keys of the plans and periods.
std::string PeriodsIndex();                                   // every fiscal period
std::string PlansIndex();                                     // every plan version
std::string PlansOfPeriodIndex(absl::string_view period_id);  // a period's plan versions
std::string PlanSeriesIndex(absl::string_view series);        // a series' versions by number
std::string PublishedPlansIndex();                       // the published version of each series
std::string PublishedPlanKey(absl::string_view series);  // string: that version's id
// Deals as the attainment projection records them, for historical shares:
// an opportunity's last known facts, the open pipeline per currency (hash),
// and the hash won deals were counted in per currency and month until
// 2026-12-07 (read only for months that have no booking facts).
std::string OpportunityKey(absl::string_view opportunity_id);
std::string PipelineKey(absl::string_view currency);
std::string BookingsKey(absl::string_view currency, absl::CivilMonth month);

// Monthly booking facts as read for a plan's roll-up: the facts revision they
// were read under and each month's hash, in the order asked.
struct FactsRead {
  std::string revision;  // "" when never bumped
  std::vector<std::vector<std::pair<std::string, std::string>>> months;
};
// The published plans, read with the revision a publication bumps.
struct PublishedPlans {
  std::string revision;
  std::vector<std::string> plan_ids;
};

class TargetsStore : public DocStore {
 public:
  TargetsStore(RedisClient& redis, TransactionalOutbox& outbox);
  // For api unit tests: InMemoryKv as both.
  TargetsStore(KvReader& kv, BatchCommitter& committer);

  // One round trip: the facts revision `rev_field` and the hashes `month_keys`.
  absl::StatusOr<FactsRead> ReadFacts(const std::string& rev_field,
                                      const std::vector<std::string>& month_keys);
  // One round trip: the plans revision and up to `limit` published plan ids.
  absl::StatusOr<PublishedPlans> ReadPublishedPlans(int limit);
  // The same read as two commands, for a caller that pipelines it with others,
  // and its replies parsed.
  static std::vector<std::vector<std::string>> PublishedPlansCommands(int limit);
  static PublishedPlans ParsePublishedPlans(const RedisValue& revision, const RedisValue& ids);
  // One round trip of any reads kv.h allows, for a caller that plans a batch's reads.
  absl::StatusOr<std::vector<RedisValue>> ReadMany(
      const std::vector<std::vector<std::string>>& commands) {
    return kv().Read(commands);
  }
  // Before skipping what an earlier attempt applied: see KvReader::AwaitReplicated.
  absl::Status AwaitReplicated(const std::string& key) { return kv().AwaitReplicated(key); }
  // One round trip: `fields` of each hash, parallel to `keys`.
  absl::StatusOr<std::vector<std::vector<std::optional<std::string>>>> HMGetMany(
      const std::vector<std::string>& keys, const std::vector<std::string>& fields);
  static std::string DocKey(absl::string_view kind, absl::string_view id) {
    return DocKeyWith(kKeyPrefix, kind, id);
  }
  static std::string Index(absl::string_view name, absl::string_view value = "") {
    return IndexWith(kKeyPrefix, name, value);
  }
  static void PutDoc(WriteBatch& b, absl::string_view kind, absl::string_view id,
                     const google::protobuf::Message& doc, int64_t expect_version) {
    PutDocWith(kKeyPrefix, b, kind, id, doc, expect_version);
  }
};

}  // namespace salesops::targets
