#include "services/customers/store/customers_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::customers {

std::string CustKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

namespace {

absl::Status MapConflict(const std::string& what, const std::string& detail,
                         const std::string& current) {
  if (what == "tax_id" || what == "phone" || what == "contract_number") {
    const std::string existing =
        absl::StrCat(what == "contract_number" ? "contracts/" : "customers/", current);
    return AlreadyExists(what == "tax_id"  ? "DUPLICATE_TAX_ID"
                         : what == "phone" ? "DUPLICATE_PHONE"
                                           : "DUPLICATE_CONTRACT_NUMBER",
                         absl::StrCat("the ", what, " is already used by ", existing), existing);
  }
  if (what == "claims") {
    return Aborted("CONCURRENT_CLAIM", "another claim by this rep was recorded meanwhile; retry");
  }
  if (what == "cooldown") {
    return FailedPrecondition("RECLAIM_COOLDOWN",
                              "you released this customer recently and may not claim it yet");
  }
  return Aborted("WRITE_CONFLICT", absl::StrCat("write guard failed: ", what, ":", detail));
}

}  // namespace

CustomersStore::CustomersStore(RedisClient& redis, TransactionalOutbox& outbox)
    : DocStore(redis, outbox, kKeyPrefix, MapConflict) {}

}  // namespace salesops::customers
