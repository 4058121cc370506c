// PrefetchedKv: prefetched replies answer the first read of the same command
// with no round trip; anything else, a second read of it, or every read after a
// failed prefetch goes to the reader underneath; a store built on it reads as
// it would read that reader.
#include "common/docstore/prefetched_kv.h"

#include "common/docstore/doc_store.h"
#include "common/docstore/in_memory_kv.h"
#include "common/testing/counting_kv.h"
#include "gmock/gmock.h"
#include "salesops/common/v1/common.pb.h"

namespace salesops {
namespace {

constexpr char kPrefix[] = "p:{p}:";

void Put(InMemoryKv& kv, const std::string& key, const std::string& field, const std::string& v) {
  WriteBatch b;
  b.HSet(key, {{field, v}});
  ASSERT_TRUE(kv.Commit(b).ok());
}

TEST(PrefetchedKvTest, APrefetchedReplyAnswersTheFirstReadOfThatCommandOnly) {
  InMemoryKv kv;
  test_support::CountingKv under(kv);
  Put(kv, "p:{p}:h", "a", "1");
  Put(kv, "p:{p}:h", "b", "2");
  PrefetchedKv reads(under);
  reads.Prefetch({{"HGET", "p:{p}:h", "a"}, {}, {"HGET", "p:{p}:h", "b"}});
  EXPECT_EQ(under.reads, 1);

  Put(kv, "p:{p}:h", "a", "changed");  // after the prefetch: its reply is the earlier one
  absl::StatusOr<std::optional<std::string>> a = reads.HGet("p:{p}:h", "a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->value_or(""), "1");
  EXPECT_EQ(under.reads, 1);
  // The same read again goes underneath and sees the write.
  a = reads.HGet("p:{p}:h", "a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->value_or(""), "changed");
  EXPECT_EQ(under.reads, 2);
  // A pipeline with one command not prefetched goes underneath whole.
  absl::StatusOr<std::vector<RedisValue>> both =
      reads.Read({{"HGET", "p:{p}:h", "b"}, {"HGET", "p:{p}:h", "c"}});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ((*both)[0].str, "2");
  EXPECT_TRUE((*both)[1].is_nil());
  EXPECT_EQ(under.reads, 3);
  EXPECT_EQ(reads.round_trips(), 3);
  EXPECT_EQ(reads.answered(), 1);
  // b's prefetched reply is still there for b alone.
  absl::StatusOr<std::optional<std::string>> b = reads.HGet("p:{p}:h", "b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->value_or(""), "2");
  EXPECT_EQ(under.reads, 3);
}

TEST(PrefetchedKvTest, AFailedPrefetchKeepsNothing) {
  InMemoryKv kv;
  test_support::CountingKv under(kv);
  Put(kv, "p:{p}:h", "a", "1");
  PrefetchedKv reads(under);
  // A command no reader allows fails the whole pipeline.
  reads.Prefetch({{"HGET", "p:{p}:h", "a"}, {"FLUSHALL"}});
  absl::StatusOr<std::optional<std::string>> a = reads.HGet("p:{p}:h", "a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->value_or(""), "1");
  EXPECT_EQ(reads.answered(), 0);
  EXPECT_EQ(reads.round_trips(), 2);
}

// Redis away: the call's reads of the prefetched commands fail at once with
// the prefetch's error (no second timeout); others still go underneath.
// AwaitReplicated (a request-id replay waiting for the replicas) is the reader's
// underneath, never skipped.
class Unreachable final : public KvReader {
 public:
  int reads = 0;
  absl::Status AwaitReplicated(const std::string& key) override {
    return absl::UnavailableError("not replicated: " + key);
  }

 protected:
  absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) override {
    ++reads;
    return absl::UnavailableError("redis away");
  }
};

TEST(PrefetchedKvTest, RedisAwayFailsThePrefetchedReadsAtOnce) {
  Unreachable under;
  PrefetchedKv reads(under);
  reads.Prefetch({{"HGET", "p:{p}:h", "a"}, {"GET", "p:{p}:k"}});
  EXPECT_EQ(under.reads, 1);
  absl::StatusOr<std::optional<std::string>> a = reads.HGet("p:{p}:h", "a");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable) << a.status();
  EXPECT_EQ(under.reads, 1);
  // Answered once: the same read again goes underneath.
  a = reads.HGet("p:{p}:h", "a");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(under.reads, 2);
  absl::Status replicated = reads.AwaitReplicated("p:{p}:k");
  EXPECT_EQ(replicated.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(replicated.message()), ::testing::HasSubstr("not replicated"));
}

TEST(PrefetchedKvTest, AStoreOnItReadsDocumentsAndRequestIdsFromThePrefetch) {
  InMemoryKv kv;
  DocStore store(kv, kv, kPrefix);
  common::v1::Money m;
  m.set_amount_minor(1250);
  m.set_currency_code("CNY");
  WriteBatch b;
  DocStore::PutDocWith(kPrefix, b, "money", "m1", m, 0);
  DocStore::GuardRequestWith(kPrefix, b, "rep-1", "req-1", "money/m1");
  ASSERT_TRUE(store.Commit(b).ok());

  test_support::CountingKv under(kv);
  DocStore counted(under, kv, kPrefix);
  PrefetchedKv reads(counted.kv());
  reads.Prefetch({counted.SeenRequestCommand("rep-1", "req-1"),
                  counted.SeenRequestCommand("rep-1", ""),  // empty: nothing to read
                  counted.GetDocCommand("money", "m1")});
  DocStore call(reads, kv, kPrefix);
  absl::StatusOr<std::optional<std::string>> seen = call.SeenRequest("rep-1", "req-1");
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->value_or(""), "money/m1");
  common::v1::Money got;
  absl::StatusOr<std::vector<int64_t>> v = call.GetDocs({{"money", "m1", &got}});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0], 1);
  EXPECT_EQ(got.amount_minor(), 1250);
  EXPECT_EQ(under.reads, 1);
  EXPECT_EQ(reads.answered(), 2);
}

}  // namespace
}  // namespace salesops
