#include "services/warning/store/warning_store.h"

#include <set>

#include "gtest/gtest.h"
#include "services/warning/store/in_memory_warning_store.h"

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

// A period subject's version moves without its document: the next evaluation on
// the old version fails its guard, and the state reads as before.
TEST(WarningStoreTouchTest, TouchMovesTheVersionOnlyAndIsGuarded) {
  InMemoryWarningStore store;
  v1::SubjectState st;
  st.set_subject("members/7");
  st.set_target_minor(183'000'00);
  const std::string key = "members/7|fiscalPeriods/FY2026-Q4";
  WriteBatch put;
  WarningStore::PutDoc(put, kSubjectDoc, key, st, 0);
  ASSERT_TRUE(store.Commit(put).ok());

  WriteBatch touch;
  WarningStore::TouchDoc(touch, kSubjectDoc, key, 1);
  ASSERT_TRUE(store.Commit(touch).ok());
  auto got = store.GetSubject(key);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->version, 2);
  EXPECT_EQ((*got)->doc.SerializeAsString(), st.SerializeAsString());

  // On the version before: refused, nothing written.
  WriteBatch stale;
  WarningStore::TouchDoc(stale, kSubjectDoc, key, 1);
  EXPECT_TRUE(absl::IsAborted(store.Commit(stale)));
  WriteBatch stale_put;
  WarningStore::PutDoc(stale_put, kSubjectDoc, key, st, 1);
  EXPECT_TRUE(absl::IsAborted(store.Commit(stale_put)));
  got = store.GetSubject(key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 2);
}

}  // namespace
}  // namespace salesops::warning
