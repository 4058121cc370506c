#include "services/warning/jobs/scheduler.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace salesops::warning {

absl::Status WarningScheduler::ReleaseDeferred() {
  constexpr int kChunk = 1000;
  while (true) {
    SALESOPS_ASSIGN_OR_RETURN(
        std::vector<std::string> keys,
        store_.Due(WarningStore::DeferredKey(), std::numeric_limits<int64_t>::max(), kChunk));
    if (keys.empty()) {
      return absl::OkStatus();
    }
    WriteBatch b;
    for (const std::string& k : keys) {
      b.ZAdd(WarningStore::DueKey(), 0, k);
      b.ZRem(WarningStore::DeferredKey(), k);
    }
    SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
    if (static_cast<int>(keys.size()) < kChunk) {
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<int> WarningScheduler::RunDue() {
  int done = 0;
  const absl::Time now = clock_.Now();
  if (!engine_.PeriodsWait(/*fresh=*/true)) {
    SALESOPS_RETURN_IF_ERROR(ReleaseDeferred());
  }
  while (true) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                              store_.Due(WarningStore::DueKey(), absl::ToUnixSeconds(now), batch_));
    int progressed = 0;
    for (const std::string& key : keys) {
      SALESOPS_ASSIGN_OR_RETURN(auto got, store_.GetSubject(key));
      WriteBatch b;
      if (!got) {
        b.ZRem(WarningStore::DueKey(), key);
        SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
        ++progressed;
        continue;
      }
      std::vector<SubjectUpdate> one(1);
      one[0].key = key;
      one[0].state = std::move(got->doc);
      one[0].version = got->version;
      b.ExpectHashField(WarningStore::DocKey(kSubjectDoc, key), "v", absl::StrCat(got->version),
                        absl::StrCat("version:", kSubjectDoc, ":", key));
      // Drop the due entry first; the engine schedules the next one, if any.
      b.ZRem(WarningStore::DueKey(), key);
      SALESOPS_RETURN_IF_ERROR(engine_.Evaluate(one, {}, Cause{}, now, b));
      absl::Status s = store_.Commit(b);
      if (s.ok()) {
        ++progressed;
        ++done;
      } else if (!absl::IsAborted(s) && !absl::IsAlreadyExists(s)) {
        return s;
      }  // lost a race with the consumer: still due, evaluated next pass
    }
    if (static_cast<int>(keys.size()) < batch_ || progressed == 0) {
      break;
    }
  }
  return done;
}

absl::Status WarningScheduler::SweepAll() {
  std::string after;
  while (true) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                              store_.Range(WarningStore::SubjectsIndex(), after, 1000));
    if (keys.empty()) {
      break;
    }
    after = keys.back();
    WriteBatch b;
    for (const std::string& k : keys) {
      b.ZAdd(WarningStore::DueKey(), 0, k);
    }
    SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  }
  return absl::OkStatus();
}

}  // namespace salesops::warning
