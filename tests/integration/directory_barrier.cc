#include "tests/integration/directory_barrier.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/directory/org_directory.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

::testing::AssertionResult DirectoryBarrier::Wait(absl::Duration timeout) const {
  ::salesops::org::OrgDirectory directory(TestRedis(), prefix_);
  const absl::Time deadline = absl::Now() + timeout;
  std::string missing;
  while (true) {
    missing.clear();
    for (const auto& [id, parent] : units_) {
      absl::StatusOr<std::vector<std::string>> chain = directory.UnitAndAncestors(id);
      absl::StatusOr<int> kind = directory.KindOf(id);
      const bool known =
          chain.ok() && kind.ok() && *kind != 0 &&
          (parent.empty() ? chain->size() == 1 : chain->size() >= 2 && (*chain)[1] == parent);
      if (!known) {
        absl::StrAppend(&missing, " unit ", id, " under '", parent, "';");
      }
    }
    for (const auto& [id, unit] : members_) {
      absl::StatusOr<std::optional<::salesops::org::DirectoryMember>> m = directory.Member(id);
      if (!m.ok() || !m->has_value() || (*m)->team != unit || (*m)->left) {
        absl::StrAppend(&missing, " member ", id, " in ", unit, ";");
      }
    }
    if (missing.empty()) {
      return ::testing::AssertionSuccess();
    }
    if (absl::Now() >= deadline) {
      return ::testing::AssertionFailure()
             << "the directory under " << prefix_ << " still lacks" << missing;
    }
    absl::SleepFor(absl::Milliseconds(50));  // polling a barrier, not waiting blind
  }
}

}  // namespace salesops::testing
