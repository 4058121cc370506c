// Redis storage of the customers service: a DocStore (common/docstore) in the
// "cust:{cust}:" keyspace, with the customers' own guard tags (tax id, phone,
// contract number, claims, cool-down) mapped to their errors.
#pragma once

#include <string>

#include "common/docstore/doc_store.h"

namespace salesops::customers {

using salesops::Versioned;

inline constexpr char kKeyPrefix[] = "cust:{cust}:";
std::string CustKey(absl::string_view suffix);

// Document kinds.
inline constexpr char kCustomer[] = "customer";
inline constexpr char kOpportunity[] = "opportunity";
inline constexpr char kActivity[] = "activity";
inline constexpr char kTask[] = "task";
inline constexpr char kContract[] = "contract";
inline constexpr char kGrant[] = "grant";
inline constexpr char kPolicy[] = "policy";

class CustomersStore : public DocStore {
 public:
  CustomersStore(RedisClient& redis, TransactionalOutbox& outbox);

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

}  // namespace salesops::customers
