// ReadCacheTable's rules (what may be answered from memory, and when a reply
// may be kept), and CachingKvReader / InvalidatingCommitter over InMemoryKv.
// The listener on a real Redis: tests/integration/redis_read_cache_integration_test.cc.
#include "common/redis/redis_read_cache.h"

#include "absl/time/clock.h"
#include "common/docstore/caching_kv.h"
#include "common/docstore/in_memory_kv.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using Commands = std::vector<std::vector<std::string>>;

RedisValue Str(std::string s) {
  RedisValue v;
  v.type = RedisValue::Type::kString;
  v.str = std::move(s);
  return v;
}

class ReadCacheTableTest : public ::testing::Test {
 protected:
  ReadCacheTableTest() : table_({"org:{org}:unit:", "org:{org}:headcount"}, 100) {
    table_.SetLive(true);
    table_.ConfirmFreshUntil(now_ + absl::Seconds(1));
  }
  bool Cached(const Commands& c, std::vector<RedisValue>* out = nullptr) {
    std::vector<RedisValue> ignored;
    return table_.Lookup(c, out ? out : &ignored, now_);
  }
  void Fill(const Commands& c, std::vector<std::string> values) {
    std::vector<RedisValue> replies;
    for (auto& v : values) {
      replies.push_back(Str(std::move(v)));
    }
    table_.Fill(table_.Ticket(), c, replies);
  }

  absl::Time now_ = absl::Now();
  ReadCacheTable table_;
};

const Commands kUnitA = {{"HGETALL", "org:{org}:unit:a"}, {"HGET", "org:{org}:headcount", "a"}};

TEST_F(ReadCacheTableTest, AFilledReadIsAnsweredFromMemoryInOrder) {
  EXPECT_FALSE(Cached(kUnitA));
  Fill(kUnitA, {"unit a", "7"});
  std::vector<RedisValue> got;
  ASSERT_TRUE(Cached(kUnitA, &got));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].str, "unit a");
  EXPECT_EQ(got[1].str, "7");
  EXPECT_EQ(table_.hits(), 1);
  EXPECT_EQ(table_.misses(), 1);
  // The same key read another way is another entry.
  EXPECT_FALSE(Cached({{"HGET", "org:{org}:headcount", "b"}}));
}

// Only keys whose changes Redis reports are kept; a pipeline with one other key
// is not answered from memory at all.
TEST_F(ReadCacheTableTest, KeysOutsideThePrefixesAreNeverKept) {
  const Commands other = {{"HGETALL", "org:{org}:member:m"}};
  EXPECT_FALSE(table_.Cacheable(other[0]));
  EXPECT_FALSE(table_.Cacheable({"PING"}));
  Fill(other, {"member"});
  EXPECT_FALSE(Cached(other));
  Fill({kUnitA[0], other[0]}, {"unit a", "member"});
  EXPECT_TRUE(Cached({kUnitA[0]}));
  EXPECT_FALSE(Cached({kUnitA[0], other[0]}));
  EXPECT_EQ(table_.size(), 1u);
}

// The race the ticket closes: a change of a key reported while a read of it
// was on the wire may be newer than the read's reply, so that reply is not
// kept; replies of keys nobody reported are.
TEST_F(ReadCacheTableTest, AReplyOlderThanAReportOfItsKeyIsNotKept) {
  uint64_t ticket = table_.Ticket();
  table_.Invalidate({"org:{org}:headcount"});
  table_.Fill(ticket, kUnitA, {Str("unit a"), Str("1")});
  EXPECT_TRUE(Cached({kUnitA[0]}));   // its key was not reported
  EXPECT_FALSE(Cached({kUnitA[1]}));  // the headcount's was, after the ticket
  ticket = table_.Ticket();
  table_.Fill(ticket, {kUnitA[1]}, {Str("2")});
  EXPECT_TRUE(Cached(kUnitA));  // read after the report: kept

  // Everything (this process' own commits use key lists; FLUSHALL and a new
  // subscription drop everything).
  table_.Invalidate({"org:{org}:unit:a", "org:{org}:headcount"});
  ticket = table_.Ticket();
  table_.InvalidateAll();
  table_.Fill(ticket, kUnitA, {Str("old"), Str("1")});
  EXPECT_EQ(table_.size(), 0u);
}

// The table remembers the last few reported keys only; a reply read before the
// oldest it remembers is not kept, whatever its key.
TEST(ReadCacheTableMemoryTest, AReplyOlderThanWhatTheTableRemembersIsNotKept) {
  ReadCacheTable table({"k:"}, 100, /*recent_reports=*/2);
  table.SetLive(true);
  const absl::Time now = absl::Now();
  table.ConfirmFreshUntil(now + absl::Seconds(1));
  uint64_t ticket = table.Ticket();
  table.Invalidate({"k:x"});
  table.Invalidate({"k:y"});
  table.Fill(ticket, {{"GET", "k:a"}}, {Str("a")});
  std::vector<RedisValue> got;
  EXPECT_TRUE(table.Lookup({{"GET", "k:a"}}, &got, now));  // both reports remembered
  ticket = table.Ticket();
  table.Invalidate({"k:x"});
  table.Invalidate({"k:y"});
  table.Invalidate({"k:z"});  // the first of these is forgotten
  table.Fill(ticket, {{"GET", "k:b"}}, {Str("b")});
  EXPECT_FALSE(table.Lookup({{"GET", "k:b"}}, &got, now));
}

TEST_F(ReadCacheTableTest, AReportDropsEveryReadOfThatKeyAndNoOther) {
  Fill({{"HGETALL", "org:{org}:unit:a"}}, {"a"});
  Fill({{"HGET", "org:{org}:headcount", "a"}}, {"1"});
  Fill({{"HGET", "org:{org}:headcount", "b"}}, {"2"});
  Fill({{"HGETALL", "org:{org}:unit:b"}}, {"b"});
  table_.Invalidate({"org:{org}:headcount"});
  EXPECT_FALSE(Cached({{"HGET", "org:{org}:headcount", "a"}}));
  EXPECT_FALSE(Cached({{"HGET", "org:{org}:headcount", "b"}}));
  EXPECT_TRUE(Cached({{"HGETALL", "org:{org}:unit:a"}}));
  EXPECT_TRUE(Cached({{"HGETALL", "org:{org}:unit:b"}}));
  table_.Invalidate({"org:{org}:unit:a", "org:{org}:unit:b"});
  EXPECT_EQ(table_.size(), 0u);
}

// Not live (before the subscription, after the listener's connection ended):
// nothing answered, nothing kept; either change empties the table.
TEST_F(ReadCacheTableTest, OnlyALiveTableAnswersOrKeeps) {
  Fill(kUnitA, {"a", "1"});
  table_.SetLive(false);
  EXPECT_EQ(table_.size(), 0u);
  Fill(kUnitA, {"a", "1"});
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_FALSE(Cached(kUnitA));
  table_.SetLive(true);
  EXPECT_FALSE(Cached(kUnitA));  // fresh-until was reset too
  table_.ConfirmFreshUntil(now_ + absl::Seconds(1));
  Fill(kUnitA, {"a", "1"});
  EXPECT_TRUE(Cached(kUnitA));
  table_.SetLive(true);  // a new subscription: reports may have been missed before it
  EXPECT_EQ(table_.size(), 0u);
}

// A listener whose PINGs stop being answered stops the cache (entries stay:
// every report is ordered before the next answer, so they are right again
// once it comes).
TEST_F(ReadCacheTableTest, ASilentListenerStopsTheAnswers) {
  Fill(kUnitA, {"a", "1"});
  std::vector<RedisValue> got;
  EXPECT_FALSE(table_.Lookup(kUnitA, &got, now_ + absl::Seconds(1)));
  EXPECT_TRUE(got.empty());
  table_.ConfirmFreshUntil(now_ + absl::Seconds(2));
  EXPECT_TRUE(table_.Lookup(kUnitA, &got, now_ + absl::Seconds(1)));
  table_.ConfirmFreshUntil(now_);  // an older confirmation never moves it back
  EXPECT_TRUE(table_.Lookup(kUnitA, &got, now_ + absl::Seconds(1)));
}

TEST_F(ReadCacheTableTest, ErrorRepliesAreNotKept) {
  RedisValue err;
  err.type = RedisValue::Type::kError;
  err.str = "WRONGTYPE";
  table_.Fill(table_.Ticket(), {kUnitA[0]}, {err});
  EXPECT_FALSE(Cached({kUnitA[0]}));
  // A reply count that does not match the commands is not kept either.
  table_.Fill(table_.Ticket(), kUnitA, {Str("a")});
  EXPECT_EQ(table_.size(), 0u);
}

TEST(ReadCacheTableLimitTest, AFullTableStartsAgainWithTheNewEntry) {
  ReadCacheTable table({"k:"}, 3);
  table.SetLive(true);
  absl::Time now = absl::Now();
  table.ConfirmFreshUntil(now + absl::Seconds(1));
  for (std::string k : {"k:1", "k:2", "k:3", "k:4"}) {
    table.Fill(table.Ticket(), {{"GET", k}}, {Str(k)});
  }
  EXPECT_EQ(table.size(), 1u);
  std::vector<RedisValue> got;
  EXPECT_TRUE(table.Lookup({{"GET", "k:4"}}, &got, now));
  EXPECT_FALSE(table.Lookup({{"GET", "k:1"}}, &got, now));
}

// CachingKvReader over maps: asynchronous reads come from memory once filled
// (a change Redis has not reported yet is not seen: that is what the listener
// is for), synchronous reads never do, and this process' own commits through
// InvalidatingCommitter are read back at once.
class CachingKvTest : public ::testing::Test {
 protected:
  CachingKvTest() : table_({"org:{org}:unit:"}, 100), kv_(store_, table_), writes_(store_, table_) {
    table_.SetLive(true);
    table_.ConfirmFreshUntil(absl::Now() + absl::Hours(1));
  }
  std::string ReadAsyncName(const std::string& id) {
    std::string got = "(no answer)";
    kv_.ReadAsync({{"HGET", "org:{org}:unit:" + id, "name"}},
                  [&](absl::StatusOr<std::vector<RedisValue>> r) {
                    got = r.ok() ? (*r)[0].str : std::string(r.status().message());
                  });
    return got;
  }
  void Name(BatchCommitter& via, const std::string& id, const std::string& name) {
    WriteBatch b;
    b.HSet("org:{org}:unit:" + id, {{"name", name}});
    ASSERT_TRUE(via.Commit(b).ok());
  }

  ReadCacheTable table_;
  InMemoryKv store_;
  CachingKvReader kv_;
  InvalidatingCommitter writes_;
};

TEST_F(CachingKvTest, AsyncReadsComeFromMemoryUntilAReport) {
  Name(store_, "a", "East");
  EXPECT_EQ(ReadAsyncName("a"), "East");
  Name(store_, "a", "West");  // another process' write, not reported yet
  EXPECT_EQ(ReadAsyncName("a"), "East");
  EXPECT_EQ(table_.hits(), 1);
  auto sync = kv_.HGet("org:{org}:unit:a", "name");
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->value_or(""), "West");  // what a write decides on is never cached
  table_.Invalidate({"org:{org}:unit:a"});
  EXPECT_EQ(ReadAsyncName("a"), "West");
}

// Only what the commit wrote is dropped.
TEST_F(CachingKvTest, OwnCommitsAreReadBackAtOnce) {
  Name(store_, "b", "South");
  EXPECT_EQ(ReadAsyncName("b"), "South");
  Name(store_, "a", "East");
  EXPECT_EQ(ReadAsyncName("a"), "East");
  Name(writes_, "a", "West");
  EXPECT_EQ(ReadAsyncName("a"), "West");
  WriteBatch b;
  b.HSet("org:{org}:unit:a", {{"name", "North"}});
  auto many = writes_.CommitMany({b});
  ASSERT_TRUE(many[0].ok());
  EXPECT_EQ(ReadAsyncName("a"), "North");
  // b is still answered from memory: an unreported change of it is not seen.
  Name(store_, "b", "Elsewhere");
  EXPECT_EQ(ReadAsyncName("b"), "South");
  // A failed commit may still have written (a lost reply): its keys go too.
  EXPECT_EQ(ReadAsyncName("a"), "North");
  Name(store_, "a", "South");
  store_.FailNextCommit();
  EXPECT_FALSE(writes_.Commit(b).ok());
  EXPECT_EQ(ReadAsyncName("a"), "South");
}

}  // namespace
}  // namespace salesops
