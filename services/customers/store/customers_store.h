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
// Index (sorted set) and key names, so no other folder spells them.
std::string AllOpportunitiesIndex();                                // every opportunity
std::string OpportunitiesOfCustomerIndex(absl::string_view value);  // a customer's opportunities
std::string OpportunitiesOfOwnerIndex(absl::string_view value);     // a member's opportunities
std::string OpportunitiesOfTeamIndex(absl::string_view value);      // a team's opportunities
std::string OpportunitiesOfRegionIndex(absl::string_view value);    // a region's opportunities
std::string TasksOfAssigneeIndex(absl::string_view value);          // a member's follow-up tasks
std::string TasksOfCustomerIndex(absl::string_view value);          // a customer's tasks
std::string TasksOfOpportunityIndex(absl::string_view value);       // an opportunity's tasks
std::string ActivitiesOfCustomerIndex(absl::string_view value);     // a customer's activities
std::string ActivitiesOfOpportunityIndex(absl::string_view value);  // an opportunity's activities
std::string ActivitiesByIndex(absl::string_view value);             // activities a member performed
std::string SelectorGrantsIndex();  // sharing grants by selector (no single customer)
std::string GrantsOfCustomerIndex(absl::string_view value);      // a customer's sharing grants
std::string GrantsOfGranteeIndex(absl::string_view value);       // grants to a department or member
std::string AllGrantsIndex();                                    // every sharing grant
std::string CustomersOfOwnerIndex(absl::string_view value);      // a member's customers
std::string CustomersOfTeamIndex(absl::string_view value);       // a team's customers
std::string CustomersOfRegionIndex(absl::string_view value);     // a region's customers
std::string CustomersOfTierIndex(absl::string_view value);       // customers of a tier
std::string CustomersInPoolStateIndex(absl::string_view value);  // customers by pool state
std::string CustomersByNameIndex();                              // customers by display name
std::string CustomersOfIndustryIndex(absl::string_view value);   // customers of an industry
std::string AllCustomersIndex();                                 // every customer
std::string ContractsOfOwnerIndex(absl::string_view value);      // a member's contracts
std::string ContractsOfCustomerIndex(absl::string_view value);   // a customer's contracts
std::string AllContractsIndex();                                 // every contract
// Uniqueness claims: the id of the customer holding a tax id / phone, of the
// contract holding a contract number; `what` is "tax" or "phone".
std::string UniqueTaxIdKey(absl::string_view tax_id);
std::string UniquePhoneKey(absl::string_view phone);
std::string UniqueKey(absl::string_view what, absl::string_view value);
std::string UniqueContractNumberKey(absl::string_view number);
// Hash member → customers owned (the ownership limit).
std::string OwnedCountsKey();
// A member's claim cooldown on a customer, and their claims today.
std::string ClaimCooldownKey(absl::string_view customer, absl::string_view member);
std::string ClaimsKey(absl::string_view member);
// A task's reminder sent (set when the reminder is emitted).
std::string RemindedKey(absl::string_view task_id);
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
  // The command LastActivityText sends (prefetched with a write's other reads).
  static std::vector<std::string> LastActivityCommand(const std::string& customer_id);
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
  // A document the write changes besides the one the caller's etag names (the deal
  // a signed contract wins, the deals a hand-over moves): a race on it is
  // WRITE_CONFLICT and runs again, never the caller's ETAG_MISMATCH.
  static void PutOtherDoc(WriteBatch& b, absl::string_view kind, absl::string_view id,
                          const google::protobuf::Message& doc, int64_t expect_version) {
    PutDocWith(kKeyPrefix, b, kind, id, doc, expect_version, "also_changed");
  }
};

}  // namespace salesops::customers
