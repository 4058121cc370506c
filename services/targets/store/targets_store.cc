#include "services/targets/store/targets_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::targets {

std::string TgtKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

TargetsStore::TargetsStore(RedisClient& redis, TransactionalOutbox& outbox)
    : DocStore(redis, outbox, kKeyPrefix,
               [](const std::string& what, const std::string& detail, const std::string&) {
                 if (what == "published") {
                   return Aborted("CONCURRENT_PUBLISH",
                                  "another version of this plan was published meanwhile");
                 }
                 return Aborted("WRITE_CONFLICT",
                                absl::StrCat("write guard failed: ", what, ":", detail));
               }) {}

}  // namespace salesops::targets
