// The contract of a KvReader + BatchCommitter pair, as one gtest suite every
// implementation runs: InMemoryKv in a unit test (common_kv_contract_test), a
// real Redis with the TransactionalOutbox in an integration test. A store
// tested on InMemoryKv therefore behaves as it does on Redis for everything
// the suite covers: guards before writes and all-or-nothing, each write
// command, empty containers vanishing, lex and score ranges with LIMIT, type
// errors, allowed reads, and DocStore's versions, replays and paging on top.
//
//   INSTANTIATE_TEST_SUITE_P(InMemory, KvContractTest,
//                            ::testing::Values(KvFactory([] { return MakeInMemory(); })));
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/docstore/kv.h"
#include "common/outbox/write_batch.h"
#include "gtest/gtest.h"

namespace salesops::testing {

// One implementation under test; `prefix` keeps its keys apart from other
// tests' (shared Redis), e.g. "kvc:{kvc}:<random>:".
struct KvUnderTest {
  KvReader* reader = nullptr;
  BatchCommitter* committer = nullptr;
  std::string prefix;
  std::shared_ptr<void> owner;  // keeps the implementation alive
};
using KvFactory = std::function<KvUnderTest()>;

class KvContractTest : public ::testing::TestWithParam<KvFactory> {
 protected:
  void SetUp() override;
  std::string K(const std::string& suffix) const { return kv_.prefix + suffix; }
  RedisValue Read(std::vector<std::string> command);
  CommitResult Commit(const WriteBatch& b);

  KvUnderTest kv_;
};

}  // namespace salesops::testing
