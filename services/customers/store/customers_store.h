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

// Keys kept outside the documents.
// The last-activity clock: a hash {customer id: unix seconds} kept outside the
// customer document so activity on a customer never conflicts with edits of it.
std::string LastActivityKey();
std::string ScheduleKey(absl::string_view name);  // due-time sorted set "sched:<name>"
// Instalments of a contract already reported overdue (a set).
std::string OverdueNotifiedKey(absl::string_view contract_id);

class CustomersStore : public DocStore {
 public:
  CustomersStore(RedisClient& redis, TransactionalOutbox& outbox);
  // For api unit tests: InMemoryKv as both.
  CustomersStore(KvReader& kv, BatchCommitter& committer);

  // The customer's last-activity clock as stored ("" when none): the value a
  // guarded forward move compares with.
  absl::StatusOr<std::string> LastActivityText(const std::string& customer_id);
  // Unix seconds per customer, parallel to `customer_ids`; nullopt when none.
  absl::StatusOr<std::vector<std::optional<int64_t>>> LastActivities(
      const std::vector<std::string>& customer_ids);
  // Customers whose activity clock is in (after, until], at most `limit`.
  absl::StatusOr<std::vector<std::string>> ActivityDueBetween(int64_t after, int64_t until,
                                                              int limit);
  // Instalment ids of the contract already reported overdue, sorted.
  absl::StatusOr<std::vector<std::string>> OverdueNotified(const std::string& contract_id);
  // Name-index members ("<name>\x01<id>") whose name is exactly `display_name`.
  absl::StatusOr<std::vector<std::string>> CustomersNamed(const std::string& display_name,
                                                          int limit);

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
