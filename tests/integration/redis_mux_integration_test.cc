// RedisMux on the real test Redis: replies per command, calls made while a
// reply is due leaving in one write, and what a waiting call gets when its
// connection is lost, when Redis does not answer in time,
// when nothing listens, and when the mux stops. Ordering under many calls in
// flight is in the kv contract (ReadAsyncAnswersWhatReadAnswers, its
// RedisWithMux instantiation).
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/redis/redis_mux.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

using Result = absl::StatusOr<std::vector<RedisValue>>;

// One call's answer, and how many times it came.
struct Answer {
  absl::Mutex mu;
  int count = 0;
  Result result;
  RedisMux::Done Done() {
    return [this](Result r) {
      absl::MutexLock lock(&mu);
      ++count;
      result = std::move(r);
    };
  }
  Result Wait() {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n > 0; }, &count));
    return result;
  }
};

Result Send(RedisMux& mux, std::vector<std::vector<std::string>> commands) {
  Answer a;
  mux.Send(commands, a.Done());
  return a.Wait();
}

std::string Key(const std::string& what) {
  return absl::StrCat("mux:{mux}:", UniqueSuffix(), what);
}

// An error reply fails its command only; the pipeline's other replies stand.
TEST(RedisMuxTest, ErrorRepliesStayPerCommand) {
  RedisMux mux(RedisAs("admin"), 2);
  ASSERT_EQ(mux.open_connections(), 2);
  const std::string k = Key("s");
  Result r = Send(mux, {{"SET", k, "v"}, {"HGET", k, "f"}, {"GET", k}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].str, "OK");
  EXPECT_EQ((*r)[1].type, RedisValue::Type::kError);
  EXPECT_EQ((*r)[1].str.rfind("WRONGTYPE", 0), 0u) << (*r)[1].str;
  EXPECT_EQ((*r)[2].str, "v");
}

// A call waiting when its connection is cut is told its outcome is unknown,
// once; the mux reopens the connection and the next call is answered.
TEST(RedisMuxTest, ALostConnectionFailsWhatWaitsAndReopens) {
  Answer blocked;  // outlives the mux, which may still answer it as it stops
  RedisMux mux(RedisAs("admin"), 1);
  Result id = Send(mux, {{"CLIENT", "ID"}});
  ASSERT_TRUE(id.ok()) << id.status();
  mux.Send({{"BLPOP", Key("never"), "30"}}, blocked.Done());
  // The kill goes through another connection, after the BLPOP is on the wire:
  // the mux writes before Send returns.
  ASSERT_TRUE(TestRedis().Command({"CLIENT", "KILL", "ID", absl::StrCat((*id)[0].integer)}).ok());
  Result r = blocked.Wait();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_EQ(ErrorReason(r.status()), "REDIS_OUTCOME_UNKNOWN");
  ASSERT_TRUE(mux.AwaitAllOpen(absl::Now() + absl::Seconds(10)));  // reopened in the background
  Result after = Send(mux, {{"EXISTS", Key("x")}});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)[0].integer, 0);
  absl::MutexLock lock(&blocked.mu);
  EXPECT_EQ(blocked.count, 1);
}

// Calls made while a reply is due are held and leave together in one write
// when it comes, each answered with its own replies, in order.
TEST(RedisMuxTest, CallsMadeWhileAReplyIsDueLeaveInOneWrite) {
  constexpr int kCalls = 50;
  Answer blocked;  // the answers outlive the mux, which may still answer them as it stops
  std::vector<std::unique_ptr<Answer>> answers;
  RedisMux mux(RedisAs("admin"), 1);
  ASSERT_EQ(mux.open_connections(), 1);
  const std::string list = Key("list");
  mux.Send({{"BLPOP", list, "30"}}, blocked.Done());
  ASSERT_EQ(mux.writes(), 1);
  for (int i = 0; i < kCalls; ++i) {
    answers.push_back(std::make_unique<Answer>());
    mux.Send({{"ECHO", absl::StrCat("a", i)}, {"ECHO", absl::StrCat("b", i)}},
             answers.back()->Done());
  }
  EXPECT_EQ(mux.writes(), 1);  // all held behind the BLPOP
  ASSERT_TRUE(TestRedis().Command({"RPUSH", list, "x"}).ok());
  Result popped = blocked.Wait();
  ASSERT_TRUE(popped.ok()) << popped.status();
  ASSERT_EQ(popped->size(), 1u);
  ASSERT_EQ((*popped)[0].elements.size(), 2u);
  EXPECT_EQ((*popped)[0].elements[1].str, "x");
  for (int i = 0; i < kCalls; ++i) {
    Result r = answers[i]->Wait();
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].str, absl::StrCat("a", i));
    EXPECT_EQ((*r)[1].str, absl::StrCat("b", i));
  }
  EXPECT_EQ(mux.writes(), 2);
}

// A connection lost with calls held for it: the one written is told its
// outcome is unknown, the held ones UNAVAILABLE (nothing of theirs was sent),
// each once.
TEST(RedisMuxTest, CallsHeldWhenTheConnectionIsLostAreUnavailable) {
  Answer blocked;  // the answers outlive the mux, which may still answer them as it stops
  Answer held[3];
  RedisMux mux(RedisAs("admin"), 1);
  Result id = Send(mux, {{"CLIENT", "ID"}});
  ASSERT_TRUE(id.ok()) << id.status();
  mux.Send({{"BLPOP", Key("never"), "30"}}, blocked.Done());
  for (Answer& a : held) {
    mux.Send({{"PING"}}, a.Done());
  }
  ASSERT_TRUE(TestRedis().Command({"CLIENT", "KILL", "ID", absl::StrCat((*id)[0].integer)}).ok());
  Result r = blocked.Wait();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_EQ(ErrorReason(r.status()), "REDIS_OUTCOME_UNKNOWN");
  for (Answer& a : held) {
    Result h = a.Wait();
    EXPECT_EQ(h.status().code(), absl::StatusCode::kUnavailable) << h.status();
    EXPECT_EQ(ErrorReason(h.status()), "REDIS_UNAVAILABLE");
    absl::MutexLock lock(&a.mu);
    EXPECT_EQ(a.count, 1);
  }
  ASSERT_TRUE(mux.AwaitAllOpen(absl::Now() + absl::Seconds(10)));
  EXPECT_TRUE(Send(mux, {{"PING"}}).ok());
}

// No reply within the command timeout fails the waiting call (the connection is
// reopened, since the late reply would put it out of step).
TEST(RedisMuxTest, NoReplyWithinTheCommandTimeoutFailsTheCall) {
  RedisOptions o = RedisAs("admin");
  o.command_timeout = absl::Milliseconds(300);
  RedisMux mux(o, 1);
  const absl::Time start = absl::Now();
  Result r = Send(mux, {{"BLPOP", Key("never"), "20"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_EQ(ErrorReason(r.status()), "REDIS_OUTCOME_UNKNOWN");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_TRUE(mux.AwaitAllOpen(absl::Now() + absl::Seconds(10)));  // reopened in the background
  EXPECT_TRUE(Send(mux, {{"PING"}}).ok());
}

// Nothing listening: refused at once with UNAVAILABLE, nothing sent.
TEST(RedisMuxTest, NothingListeningIsUnavailable) {
  RedisOptions o = RedisAs("admin");
  o.port = 1;  // privileged, nothing of ours listens there
  o.connect_timeout = absl::Milliseconds(500);
  RedisMux mux(o, 2);
  EXPECT_EQ(mux.open_connections(), 0);
  Result r = Send(mux, {{"PING"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(r.status()), "REDIS_UNAVAILABLE");
}

// Redis restarted: the first call after it is back is answered. A call that
// finds no open connection makes the reader try at once instead of waiting out
// its back-off (which had grown to a second while Redis was down), and waits
// for that attempt; while Redis is down the attempt fails and the call is
// UNAVAILABLE, nothing sent.
TEST(RedisMuxTest, TheFirstCallAfterARestartIsAnswered) {
  RedisMux mux(RedisAs("admin"), 2);
  ASSERT_TRUE(Send(mux, {{"PING"}}).ok());
  KillRedis();
  // Calls while Redis is down fail, each after an attempt to reopen; enough of
  // them that every lane's back-off reaches its one-second cap.
  for (int i = 0; i < 16; ++i) {
    Result down = Send(mux, {{"PING"}});
    ASSERT_FALSE(down.ok());
    EXPECT_TRUE(down.status().code() == absl::StatusCode::kUnavailable ||
                down.status().code() == absl::StatusCode::kDeadlineExceeded)
        << down.status();
  }
  Result refused = Send(mux, {{"PING"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_EQ(ErrorReason(refused.status()), "REDIS_UNAVAILABLE");
  StartRedis();
  Result back = Send(mux, {{"PING"}});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)[0].str, "PONG");
}

// A mux that stops answers what still waits, once, with an error.
TEST(RedisMuxTest, StoppingAnswersWhatWaits) {
  Answer blocked;
  {
    RedisMux mux(RedisAs("admin"), 1);
    mux.Send({{"BLPOP", Key("never"), "30"}}, blocked.Done());
  }
  Result r = blocked.Wait();
  EXPECT_FALSE(r.ok());
  absl::MutexLock lock(&blocked.mu);
  EXPECT_EQ(blocked.count, 1);
}

}  // namespace
}  // namespace salesops::testing
