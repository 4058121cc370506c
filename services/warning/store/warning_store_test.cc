#include "services/warning/store/warning_store.h"

#include <set>

#include "gtest/gtest.h"

namespace salesops::warning {
namespace {

TEST(NewDescendingIdTest, NewerSortsFirstAndIdsAreUnique) {
  const absl::Time t0 = absl::FromUnixSeconds(1'790'000'000);
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewDescendingId(t0 + absl::Microseconds(i));
    EXPECT_TRUE(seen.insert(id).second) << "duplicate id " << id;
    if (!previous.empty()) {
      EXPECT_LT(id, previous) << "a later id sorts before an earlier one";
    }
    previous = id;
  }
  // Same instant: still distinct.
  EXPECT_NE(NewDescendingId(t0), NewDescendingId(t0));
  // Valid as resource ids: hex digits and '-'.
  for (char c : NewDescendingId(t0)) {
    EXPECT_TRUE(std::isxdigit(c) || c == '-') << c;
  }
}

TEST(WarningStoreKeysTest, OneHashSlotAndScopedIndexes) {
  EXPECT_EQ(WarningStore::WarningIndex(WarningStore::WarningsBy::kUnit, "orgUnits/t1", true),
            "warn:{warn}:ix:w:unit:orgUnits/t1:active");
  EXPECT_EQ(WarningStore::WarningIndex(WarningStore::WarningsBy::kAll, "", false),
            "warn:{warn}:ix:w:all");
  EXPECT_EQ(WarningStore::ActiveKey("members/7|fiscalPeriods/q4"),
            "warn:{warn}:active:members/7|fiscalPeriods/q4");
}

TEST(WarningStoreKeysTest, IndexingAWarningCoversEveryUnitOfItsChain) {
  v1::Warning w;
  w.set_name("warnings/abc-1");
  w.set_subject("opportunities/9");
  w.set_rep("members/7");
  w.set_responsible_supervisor("members/2");
  WriteBatch b;
  WarningStore::IndexWarning(b, w, {"orgUnits/team", "orgUnits/east", "orgUnits/co"}, true);
  // all + 3 units + supervisor + rep + subject, each in two variants.
  EXPECT_EQ(b.op_count(), 14u);
  WriteBatch r;
  WarningStore::UnindexActive(r, w, {"orgUnits/team", "orgUnits/east", "orgUnits/co"});
  EXPECT_EQ(r.op_count(), 7u);
}

}  // namespace
}  // namespace salesops::warning
