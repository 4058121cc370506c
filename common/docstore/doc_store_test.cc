// DocStore::GetDocs: documents of several kinds in one read, each parsed into
// its own message, absent ones at version 0, a corrupt one an error.
// DocStore::TouchDocWith: the next version alone, guarded.
#include "common/docstore/doc_store.h"

#include "common/docstore/in_memory_kv.h"
#include "gmock/gmock.h"
#include "salesops/common/v1/common.pb.h"

namespace salesops {
namespace {

constexpr char kPrefix[] = "t:{t}:";

common::v1::Money Cny(int64_t minor) {
  common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

TEST(DocStoreTest, GetDocsReadsSeveralKindsAtOnce) {
  InMemoryKv kv;
  DocStore store(kv, kv, kPrefix);
  const common::v1::Money money = Cny(1250);
  common::v1::Date date;
  date.set_year(2026);
  date.set_month(12);
  date.set_day(4);
  WriteBatch b;
  DocStore::PutDocWith(kPrefix, b, "money", "m1", money, 0);
  DocStore::PutDocWith(kPrefix, b, "date", "d1", date, 0);
  ASSERT_TRUE(store.Commit(b).ok());
  WriteBatch again;
  DocStore::PutDocWith(kPrefix, again, "date", "d1", date, 1);
  ASSERT_TRUE(store.Commit(again).ok());

  common::v1::Money got_money, absent;
  common::v1::Date got_date;
  absl::StatusOr<std::vector<int64_t>> v = store.GetDocs(
      {{"date", "d1", &got_date}, {"money", "missing", &absent}, {"money", "m1", &got_money}});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(*v, ::testing::ElementsAre(2, 0, 1));
  EXPECT_EQ(got_date.day(), 4);
  EXPECT_EQ(got_money.amount_minor(), 1250);
  EXPECT_EQ(absent.amount_minor(), 0);

  WriteBatch corrupt;
  DocStore::PutBytesWith(kPrefix, corrupt, "money", "bad", std::string("\xff\xff\xff", 3), 0);
  ASSERT_TRUE(store.Commit(corrupt).ok());
  common::v1::Money bad;
  EXPECT_EQ(store.GetDocs({{"money", "bad", &bad}}).status().code(), absl::StatusCode::kInternal);
}

// A document's version moves without its content (a change kept elsewhere that
// evaluations of it depend on): a write on the old version is then refused, and
// the document reads as before.
TEST(DocStoreTest, TouchMovesTheVersionOnlyAndIsGuarded) {
  InMemoryKv kv;
  DocStore store(kv, kv, kPrefix);
  const common::v1::Money money = Cny(1250);
  WriteBatch put;
  DocStore::PutDocWith(kPrefix, put, "money", "m1", money, 0);
  ASSERT_TRUE(store.Commit(put).ok());

  WriteBatch touch;
  DocStore::TouchDocWith(kPrefix, touch, "money", "m1", 1);
  ASSERT_TRUE(store.Commit(touch).ok());
  common::v1::Money got;
  absl::StatusOr<std::vector<int64_t>> v = store.GetDocs({{"money", "m1", &got}});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(*v, ::testing::ElementsAre(2));
  EXPECT_EQ(got.SerializeAsString(), money.SerializeAsString());

  WriteBatch stale_touch, stale_put;
  DocStore::TouchDocWith(kPrefix, stale_touch, "money", "m1", 1);
  DocStore::PutDocWith(kPrefix, stale_put, "money", "m1", money, 1);
  EXPECT_TRUE(absl::IsAborted(store.Commit(stale_touch)));
  EXPECT_TRUE(absl::IsAborted(store.Commit(stale_put)));
  v = store.GetDocs({{"money", "m1", &got}});
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(*v, ::testing::ElementsAre(2));
}

}  // namespace
}  // namespace salesops
