// RedisClient::Stream on the real test Redis: replies in order across parts,
// what a caller gets when the connection is cut between two parts (every
// command fails with REDIS_OUTCOME_UNKNOWN, so the warning engine redoes each
// event on its own, guarded), that a stream given up before Finish leaves
// its pooled connection clean, and that an idle pooled connection Redis closed
// is reopened before the next command. The outbox's stream (TransactionalOutbox::
// OpenStream) answering per batch is in the kv contract
// (CommitStreamAnswersEachBatchAsCommitManyWould).
#include "absl/strings/str_cat.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

std::string Key(const std::string& what) {
  return absl::StrCat("stream:{stream}:", UniqueSuffix(), what);
}

// A pool of one: a stream gets the connection an earlier command used.
RedisOptions OneConnection() {
  RedisOptions options = RedisAs("admin");
  options.pool_size = 1;
  return options;
}

absl::StatusOr<std::string> Encoded(std::vector<std::vector<std::string>> commands) {
  return EncodeCommands(commands);
}

TEST(RedisStreamTest, RepliesComeInOrderAcrossParts) {
  RedisClient redis(OneConnection());
  const std::string k = Key("n");
  std::unique_ptr<RedisClient::Stream> stream = redis.OpenStream();
  for (int part = 0; part < 3; ++part) {
    absl::StatusOr<std::string> bytes = Encoded({{"INCR", k}, {"INCR", k}});
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(stream->Send(*bytes, 2).ok());
  }
  absl::StatusOr<std::vector<RedisValue>> replies = stream->Finish(k);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ((*replies)[i].integer, i + 1);
  }
  EXPECT_FALSE(stream->Finish(k).ok()) << "a stream finishes once";
}

// Cut after the first part: the second part's send or the replies fail, and the
// stream reports it for every command, as "may have run" (the first part did).
TEST(RedisStreamTest, ACutConnectionFailsTheWholeStreamAsOutcomeUnknown) {
  RedisClient redis(OneConnection());  // the stream gets the connection whose id is asked here
  absl::StatusOr<RedisValue> id = redis.Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string k = Key("cut");
  std::unique_ptr<RedisClient::Stream> stream = redis.OpenStream();
  absl::StatusOr<std::string> first = Encoded({{"INCR", k}, {"INCR", k}});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(stream->Send(*first, 2).ok());
  ASSERT_TRUE(TestRedis().Command({"CLIENT", "KILL", "ID", absl::StrCat(id->integer)}).ok());
  absl::StatusOr<std::string> second = Encoded({{"INCR", k}});
  ASSERT_TRUE(second.ok());
  (void)stream->Send(*second, 1);  // may still succeed: the kernel takes the bytes
  absl::StatusOr<std::vector<RedisValue>> replies = stream->Finish(k);
  ASSERT_FALSE(replies.ok());
  EXPECT_EQ(replies.status().code(), absl::StatusCode::kDeadlineExceeded) << replies.status();
  EXPECT_EQ(ErrorReason(replies.status()), "REDIS_OUTCOME_UNKNOWN") << replies.status();
  stream.reset();
  // The pool opens a new connection for the next caller.
  absl::StatusOr<RedisValue> after = redis.Command({"ECHO", "back"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->str, "back");
}

// Redis closed an idle pooled connection (a restart, a failover, CLIENT KILL):
// the next command notices before it sends, opens a new connection and is
// answered, instead of failing as "may have run".
TEST(RedisStreamTest, AnIdleConnectionRedisClosedIsReopenedBeforeTheNextCommand) {
  RedisClient redis(OneConnection());
  absl::StatusOr<RedisValue> id = redis.Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(TestRedis().Command({"CLIENT", "KILL", "ID", absl::StrCat(id->integer)}).ok());
  absl::StatusOr<RedisValue> after = redis.Command({"CLIENT", "ID"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(after->integer, id->integer);  // a new connection
}

// Given up before Finish: the replies still due are read before the pooled
// connection goes back, so the next caller gets its own reply, not one of them.
TEST(RedisStreamTest, AnUnfinishedStreamLeavesItsConnectionClean) {
  RedisClient redis(OneConnection());
  const std::string k = Key("left");
  {
    std::unique_ptr<RedisClient::Stream> stream = redis.OpenStream();
    absl::StatusOr<std::string> bytes = Encoded({{"SET", k, "from the stream"}, {"GET", k}});
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(stream->Send(*bytes, 2).ok());
  }
  absl::StatusOr<RedisValue> v = redis.Command({"ECHO", "mine"});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->str, "mine");
}

}  // namespace
}  // namespace salesops::testing
