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
  SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> v, HGet(LastActivityKey(), customer_id));
  return v.value_or("");
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
