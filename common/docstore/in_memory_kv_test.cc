// The KvReader/BatchCommitter contract on InMemoryKv (the same suite runs on
// Redis in tests/integration/kv_contract_integration_test.cc), and what only
// the in-memory implementation offers tests: the committed events and an
// injected outage.
#include "common/docstore/in_memory_kv.h"

#include "common/docstore/kv_contract.h"
#include "gmock/gmock.h"

namespace salesops::testing {
namespace {

KvUnderTest MakeInMemory() {
  auto kv = std::make_shared<InMemoryKv>();
  return KvUnderTest{kv.get(), kv.get(), "kvc:{kvc}:", kv};
}

INSTANTIATE_TEST_SUITE_P(InMemory, KvContractTest, ::testing::Values(KvFactory(&MakeInMemory)));

CloudEvent Event(const std::string& id, const std::string& type) {
  CloudEvent e;
  e.id = id;
  e.source = "/salesops/test";
  e.type = type;
  e.key = "k";
  e.data = "d-" + id;
  return e;
}

TEST(InMemoryKvTest, KeepsCommittedEventsInOrderWithTheirTopics) {
  InMemoryKv kv;
  WriteBatch a;
  a.Emit(Event("e-1", "salesops.test.v1.A"), "topic.a");
  a.Emit(Event("e-2", "salesops.test.v1.B"), "topic.b");
  ASSERT_TRUE(kv.Commit(a)->committed);
  WriteBatch refused;
  refused.ExpectPresent("missing", "present:missing");
  refused.Emit(Event("e-3", "salesops.test.v1.A"), "topic.a");
  ASSERT_FALSE(kv.Commit(refused)->committed);

  auto events = kv.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].first.id, "e-1");
  EXPECT_EQ(events[0].second, "topic.a");
  EXPECT_EQ(events[1].first.data, "d-e-2");
  EXPECT_EQ(events[1].second, "topic.b");
  ASSERT_EQ(kv.EventsOfType("salesops.test.v1.A").size(), 1u);
  EXPECT_EQ(kv.EventsOfType("salesops.test.v1.A")[0].id, "e-1");
}

TEST(InMemoryKvTest, AnInjectedOutageFailsOneCommitAndWritesNothing) {
  InMemoryKv kv;
  kv.FailNextCommit();
  WriteBatch b;
  b.Set("k", "v");
  EXPECT_EQ(kv.Commit(b).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(kv.ReadOne({"EXISTS", "k"})->integer, 0);
  EXPECT_TRUE(kv.Commit(b)->committed);
  EXPECT_EQ(kv.ReadOne({"GET", "k"})->str, "v");
}

}  // namespace
}  // namespace salesops::testing
