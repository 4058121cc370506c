#include "services/customers/store/customers_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "services/customers/domain/reasons.h"

namespace salesops::customers {

std::string CustKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }
std::string LastActivityKey() { return CustKey("last_activity"); }
std::string ScheduleKey(absl::string_view name) { return CustKey(absl::StrCat("sched:", name)); }
std::string OverdueNotifiedKey(absl::string_view contract_id) {
  return CustKey(absl::StrCat("overdue_notified:", contract_id));
}

std::string AllOpportunitiesIndex() { return CustomersStore::Index("opp:all"); }
std::string OpportunitiesOfCustomerIndex(absl::string_view value) {
  return CustomersStore::Index("opp:customer:", value);
}
std::string OpportunitiesOfOwnerIndex(absl::string_view value) {
  return CustomersStore::Index("opp:owner:", value);
}
std::string OpportunitiesOfTeamIndex(absl::string_view value) {
  return CustomersStore::Index("opp:team:", value);
}
std::string OpportunitiesOfRegionIndex(absl::string_view value) {
  return CustomersStore::Index("opp:region:", value);
}
std::string TasksOfAssigneeIndex(absl::string_view value) {
  return CustomersStore::Index("task:assignee:", value);
}
std::string TasksOfCustomerIndex(absl::string_view value) {
  return CustomersStore::Index("task:customer:", value);
}
std::string TasksOfOpportunityIndex(absl::string_view value) {
  return CustomersStore::Index("task:opp:", value);
}
std::string ActivitiesOfCustomerIndex(absl::string_view value) {
  return CustomersStore::Index("act:customer:", value);
}
std::string ActivitiesOfOpportunityIndex(absl::string_view value) {
  return CustomersStore::Index("act:opp:", value);
}
std::string ActivitiesByIndex(absl::string_view value) {
  return CustomersStore::Index("act:by:", value);
}
std::string SelectorGrantsIndex() { return CustomersStore::Index("grant:selector"); }
std::string GrantsOfCustomerIndex(absl::string_view value) {
  return CustomersStore::Index("grant:customer:", value);
}
std::string GrantsOfGranteeIndex(absl::string_view value) {
  return CustomersStore::Index("grant:grantee:", value);
}
std::string AllGrantsIndex() { return CustomersStore::Index("grant:all"); }
std::string CustomersOfOwnerIndex(absl::string_view value) {
  return CustomersStore::Index("cust:owner:", value);
}
std::string CustomersOfTeamIndex(absl::string_view value) {
  return CustomersStore::Index("cust:team:", value);
}
std::string CustomersOfRegionIndex(absl::string_view value) {
  return CustomersStore::Index("cust:region:", value);
}
std::string CustomersOfTierIndex(absl::string_view value) {
  return CustomersStore::Index("cust:tier:", value);
}
std::string CustomersInPoolStateIndex(absl::string_view value) {
  return CustomersStore::Index("cust:pool:", value);
}
std::string CustomersByNameIndex() { return CustomersStore::Index("cust:name"); }
std::string CustomersOfIndustryIndex(absl::string_view value) {
  return CustomersStore::Index("cust:industry:", value);
}
std::string AllCustomersIndex() { return CustomersStore::Index("cust:all"); }
std::string ContractsOfOwnerIndex(absl::string_view value) {
  return CustomersStore::Index("con:owner:", value);
}
std::string ContractsOfCustomerIndex(absl::string_view value) {
  return CustomersStore::Index("con:customer:", value);
}
std::string AllContractsIndex() { return CustomersStore::Index("con:all"); }
std::string UniqueTaxIdKey(absl::string_view tax_id) { return UniqueKey("tax", tax_id); }
std::string UniquePhoneKey(absl::string_view phone) { return UniqueKey("phone", phone); }
std::string UniqueKey(absl::string_view what, absl::string_view value) {
  return CustKey(absl::StrCat("uniq:", what, ":", value));
}
std::string UniqueContractNumberKey(absl::string_view number) {
  return UniqueKey("contract_number", number);
}
std::string OwnedCountsKey() { return CustKey("owned"); }
std::string ClaimCooldownKey(absl::string_view customer, absl::string_view member) {
  return CustKey(absl::StrCat("cooldown:", customer, ":", member));
}
std::string ClaimsKey(absl::string_view member) { return CustKey(absl::StrCat("claims:", member)); }
std::string RemindedKey(absl::string_view task_id) {
  return CustKey(absl::StrCat("reminded:", task_id));
}

namespace {

absl::Status MapConflict(const std::string& what, const std::string& detail,
                         const std::string& current) {
  if (what == "tax_id" || what == "phone" || what == "contract_number") {
    const std::string existing =
        absl::StrCat(what == "contract_number" ? "contracts/" : "customers/", current);
    return AlreadyExists(what == "tax_id"  ? reason::kDuplicateTaxId
                         : what == "phone" ? reason::kDuplicatePhone
                                           : reason::kDuplicateContractNumber,
                         absl::StrCat("the ", what, " is already used by ", existing), existing);
  }
  if (what == "claims") {
    return Aborted(reason::kConcurrentClaim,
                   "another claim by this rep was recorded meanwhile; retry");
  }
  if (what == "cooldown") {
    return FailedPrecondition(reason::kReclaimCooldown,
                              "you released this customer recently and may not claim it yet");
  }
  return Aborted(reason::kWriteConflict, absl::StrCat("write guard failed: ", what, ":", detail));
}

}  // namespace

CustomersStore::CustomersStore(RedisClient& redis, TransactionalOutbox& outbox)
    : DocStore(redis, outbox, kKeyPrefix, MapConflict) {}
CustomersStore::CustomersStore(KvReader& kv, BatchCommitter& committer)
    : DocStore(kv, committer, kKeyPrefix, MapConflict) {}

absl::StatusOr<std::string> CustomersStore::LastActivityText(const std::string& customer_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv().ReadOne(LastActivityCommand(customer_id)));
  return v.is_nil() ? std::string() : std::move(v.str);
}

std::vector<std::string> CustomersStore::LastActivityCommand(const std::string& customer_id) {
  return {"HGET", LastActivityKey(), customer_id};
}

absl::StatusOr<std::vector<std::optional<int64_t>>> CustomersStore::LastActivities(
    const std::vector<std::string>& customer_ids) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> raw,
                            HMGet(LastActivityKey(), customer_ids));
  std::vector<std::optional<int64_t>> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    int64_t secs = 0;
    if (raw[i] && absl::SimpleAtoi(*raw[i], &secs)) {
      out[i] = secs;
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> CustomersStore::ActivityDueBetween(int64_t after,
                                                                            int64_t until,
                                                                            int limit) {
  return DueBetween(ScheduleKey("activity"), after, until, limit);
}

absl::StatusOr<std::vector<std::string>> CustomersStore::OverdueNotified(
    const std::string& contract_id) {
  return Members(OverdueNotifiedKey(contract_id));
}

absl::StatusOr<std::vector<std::string>> CustomersStore::CustomersNamed(
    const std::string& display_name, int limit) {
  return RangeBetween(Index("cust:name", ""), absl::StrCat("[", display_name, "\x01"),
                      absl::StrCat("[", display_name, "\x01\xff"), limit);
}

}  // namespace salesops::customers
