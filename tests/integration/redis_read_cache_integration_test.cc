// RedisReadCache's listener on the real test Redis: it hears changes made on
// other connections (plain commands and scripts) and only under its prefixes,
// it empties the table when its connection is cut and is live again after
// reopening, and only a service user with a cache (deploy/local/redis.sh) may
// listen. The table's rules are unit-tested
// (common/redis/redis_read_cache_test.cc).
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/redis/redis_read_cache.h"
#include "gtest/gtest.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

using Commands = std::vector<std::vector<std::string>>;

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

// Reads `commands` from Redis as a miss would, and keeps the replies.
void ReadAndFill(RedisReadCache& cache, const Commands& commands) {
  uint64_t ticket = cache.table().Ticket();
  std::vector<RedisValue> replies;
  for (const auto& c : commands) {
    auto v = TestRedis().Command(c);
    ASSERT_TRUE(v.ok()) << v.status();
    replies.push_back(*v);
  }
  cache.table().Fill(ticket, commands, replies);
}

bool Cached(RedisReadCache& cache, const Commands& commands) {
  std::vector<RedisValue> got;
  return cache.table().Lookup(commands, &got, absl::Now());
}

TEST(RedisReadCacheTest, HearsChangesMadeElsewhereUnderItsPrefixesOnly) {
  const std::string prefix = absl::StrCat("rc:{rc}:", UniqueSuffix(), ":unit:");
  RedisReadCache cache(RedisAs("admin"), {.prefixes = {prefix}});
  ASSERT_TRUE(cache.AwaitLive(Deadline()));
  const std::string a = prefix + "a", b = prefix + "b";
  ASSERT_TRUE(TestRedis().Command({"HSET", a, "name", "East"}).ok());
  ASSERT_TRUE(TestRedis().Command({"SET", b, "1"}).ok());
  // Reports of the writes above may still be on their way: the barrier is a
  // sentinel key's report, which Redis sends after theirs.
  const std::string sentinel = prefix + "sentinel";
  int64_t before = cache.reports();
  ASSERT_TRUE(TestRedis().Command({"SET", sentinel, "1"}).ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));

  ReadAndFill(cache, {{"HGETALL", a}});
  ReadAndFill(cache, {{"GET", b}});
  ASSERT_TRUE(Cached(cache, {{"HGETALL", a}}));
  ASSERT_TRUE(Cached(cache, {{"GET", b}}));

  // Outside the prefixes: no report (the sentinel's report is the next one).
  before = cache.reports();
  ASSERT_TRUE(
      TestRedis().Command({"SET", absl::StrCat("rc:{rc}:", UniqueSuffix(), ":other"), "1"}).ok());
  ASSERT_TRUE(TestRedis().Command({"SET", sentinel, "2"}).ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));
  EXPECT_EQ(cache.reports(), before + 1);
  EXPECT_TRUE(Cached(cache, {{"HGETALL", a}}));

  // A script's write (every commit is one) is reported like any other.
  before = cache.reports();
  ASSERT_TRUE(TestRedis()
                  .Command({"EVAL", "return redis.call('HSET', KEYS[1], 'name', 'West')", "1", a})
                  .ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));
  EXPECT_FALSE(Cached(cache, {{"HGETALL", a}}));
  EXPECT_TRUE(Cached(cache, {{"GET", b}}));
  ReadAndFill(cache, {{"HGETALL", a}});
  std::vector<RedisValue> got;
  ASSERT_TRUE(cache.table().Lookup({{"HGETALL", a}}, &got, absl::Now()));
  ASSERT_EQ(got[0].elements.size(), 2u);
  EXPECT_EQ(got[0].elements[1].str, "West");

  // A deletion too.
  before = cache.reports();
  ASSERT_TRUE(TestRedis().Command({"DEL", b}).ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));
  EXPECT_FALSE(Cached(cache, {{"GET", b}}));
}

// Reports made while the listener is away are lost, so a cut connection empties
// the table and nothing is answered until the listener has subscribed again.
TEST(RedisReadCacheTest, ACutListenerEmptiesTheTableAndComesBack) {
  const std::string prefix = absl::StrCat("rc:{rc}:", UniqueSuffix(), ":");
  RedisReadCache cache(RedisAs("admin"), {.prefixes = {prefix}});
  ASSERT_TRUE(cache.AwaitLive(Deadline()));
  const std::string k = prefix + "k";
  ASSERT_TRUE(TestRedis().Command({"SET", k, "1"}).ok());
  int64_t before = cache.reports();
  ASSERT_TRUE(TestRedis().Command({"SET", prefix + "sentinel", "1"}).ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));
  ReadAndFill(cache, {{"GET", k}});
  ASSERT_TRUE(Cached(cache, {{"GET", k}}));

  const int64_t id = cache.connection_id();
  ASSERT_NE(id, 0);
  ASSERT_TRUE(TestRedis().Command({"CLIENT", "KILL", "ID", absl::StrCat(id)}).ok());
  ASSERT_TRUE(cache.AwaitConnectionsOpened(2, Deadline()));
  ASSERT_TRUE(cache.AwaitLive(Deadline()));
  EXPECT_NE(cache.connection_id(), id);
  EXPECT_FALSE(Cached(cache, {{"GET", k}}));
  EXPECT_EQ(cache.table().size(), 0u);

  // Listening again: a fill is kept, and a change is reported.
  ReadAndFill(cache, {{"GET", k}});
  ASSERT_TRUE(Cached(cache, {{"GET", k}}));
  before = cache.reports();
  ASSERT_TRUE(TestRedis().Command({"SET", k, "2"}).ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));
  EXPECT_FALSE(Cached(cache, {{"GET", k}}));
}

// The org service's user (deploy/local/redis.sh's ACL) may listen to its own
// keys' changes; a service without a read cache may not ask for reports at all
// (Redis 7.0 does not check a tracking prefix against the user's key patterns).
TEST(RedisReadCacheTest, OnlyAServiceWithACacheMayListen) {
  const std::string prefix = absl::StrCat("org:{org}:rc-", UniqueSuffix(), ":");
  RedisReadCache cache(RedisAs("org"), {.prefixes = {prefix}});
  ASSERT_TRUE(cache.AwaitLive(Deadline()));
  int64_t before = cache.reports();
  ASSERT_TRUE(TestRedis().Command({"SET", prefix + "k", "1"}).ok());
  ASSERT_TRUE(cache.AwaitReports(before + 1, Deadline()));
  ASSERT_TRUE(TestRedis().Command({"DEL", prefix + "k"}).ok());

  RedisConnection customers(RedisAs("customers"), absl::Seconds(5));
  ASSERT_TRUE(customers.Connect().ok());
  auto id = customers.Command({"CLIENT", "ID"});
  EXPECT_FALSE(id.ok());
  EXPECT_NE(std::string(id.status().message()).find("NOPERM"), std::string::npos) << id.status();
  auto tracking =
      customers.Command({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "cust:{cust}:"});
  EXPECT_FALSE(tracking.ok());
}

}  // namespace
}  // namespace salesops::testing
