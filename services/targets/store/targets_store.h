// Redis storage of the targets service: a DocStore (common/docstore) in the
// "tgt:{tgt}:" keyspace. Documents: fiscal periods, plans, allocation cells
// (id "<plan>~<cell>"). Attainment actuals per plan are a hash
// "tgt:{tgt}:actual:<plan>" {cell: minor units}, bookings history per month
// "tgt:{tgt}:book:<yyyy-mm>" {<dimension>=<value>: minor units}, open pipeline
// "tgt:{tgt}:pipe" {<dimension>=<value>: minor units}.
#pragma once

#include <string>

#include "common/docstore/doc_store.h"

namespace salesops::targets {

using salesops::Versioned;

inline constexpr char kKeyPrefix[] = "tgt:{tgt}:";
std::string TgtKey(absl::string_view suffix);

inline constexpr char kPeriod[] = "period";
inline constexpr char kPlan[] = "plan";
inline constexpr char kCell[] = "cell";

class TargetsStore : public DocStore {
 public:
  TargetsStore(RedisClient& redis, TransactionalOutbox& outbox);
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
