#include "common/docstore/kv_contract.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/docstore/doc_store.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"

namespace salesops::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// An event to emit: the contract does not look inside it.
CloudEvent TestEvent(std::string id) {
  CloudEvent e;
  e.id = std::move(id);
  e.source = "/salesops/test";
  e.type = "salesops.test.v1.Happened";
  e.key = "k";
  e.data = "payload";
  return e;
}

}  // namespace

void KvContractTest::SetUp() {
  kv_ = GetParam()();
  ASSERT_NE(kv_.reader, nullptr);
  ASSERT_NE(kv_.committer, nullptr);
}

RedisValue KvContractTest::Read(std::vector<std::string> command) {
  absl::StatusOr<RedisValue> v = kv_.reader->ReadOne(std::move(command));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : RedisValue{};
}

CommitResult KvContractTest::Commit(const WriteBatch& b) {
  absl::StatusOr<CommitResult> r = kv_.committer->Commit(b);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : CommitResult{};
}

TEST_P(KvContractTest, AFailedGuardWritesNothingAndSaysWhatItFound) {
  WriteBatch seed;
  seed.Set(K("email"), "u-1");
  ASSERT_TRUE(Commit(seed).committed);

  WriteBatch b;
  b.HSet(K("unit"), {{"name", "east"}});
  b.ExpectAbsent(K("email"), "exists:email");
  b.SAdd(K("set"), "x");
  CommitResult r = Commit(b);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.failed_tag, "exists:email");
  EXPECT_EQ(r.current, "u-1");
  EXPECT_THAT(r.outbox_ids, IsEmpty());
  EXPECT_EQ(Read({"EXISTS", K("unit")}).integer, 0) << "a write before the guard was applied";
  EXPECT_EQ(Read({"EXISTS", K("set")}).integer, 0);
}

TEST_P(KvContractTest, HashFieldGuardReadsAMissingFieldAsEmpty) {
  WriteBatch create;
  create.ExpectHashField(K("doc"), "v", "", "version:doc");
  create.HSet(K("doc"), {{"v", "1"}});
  ASSERT_TRUE(Commit(create).committed);

  WriteBatch stale;
  stale.ExpectHashField(K("doc"), "v", "", "version:doc");
  stale.HSet(K("doc"), {{"v", "2"}});
  CommitResult r = Commit(stale);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.failed_tag, "version:doc");
  EXPECT_EQ(r.current, "1");

  WriteBatch fresh;
  fresh.ExpectHashField(K("doc"), "v", "1", "version:doc");
  fresh.HSet(K("doc"), {{"v", "2"}});
  EXPECT_TRUE(Commit(fresh).committed);
  EXPECT_EQ(Read({"HGET", K("doc"), "v"}).str, "2");
}

TEST_P(KvContractTest, PresentAndEmptySetGuards) {
  WriteBatch b;
  b.ExpectPresent(K("nothing"), "present:nothing");
  CommitResult r = Commit(b);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.failed_tag, "present:nothing");

  WriteBatch add;
  add.SAdd(K("members"), "m-1");
  add.SAdd(K("members"), "m-2");
  ASSERT_TRUE(Commit(add).committed);
  WriteBatch empty;
  empty.ExpectSetEmpty(K("members"), "members:team");
  r = Commit(empty);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.current, "2");

  WriteBatch present;
  present.ExpectPresent(K("members"), "present:members");
  present.ExpectSetEmpty(K("other"), "members:other");
  EXPECT_TRUE(Commit(present).committed);
}

TEST_P(KvContractTest, EachWriteCommandReadsBack) {
  WriteBatch b;
  b.HSet(K("h"), {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  b.HDel(K("h"), {"b"});
  b.HIncrBy(K("h"), "a", 41);
  b.HIncrBy(K("h"), "n", -5);
  b.Set(K("s"), "text", 3600);
  b.Set(K("gone"), "x");
  b.Del(K("gone"));
  b.SAdd(K("set"), "p");
  b.SAdd(K("set"), "q");
  b.SRem(K("set"), "p");
  b.ZAdd(K("z"), 5, "five");
  b.ZAdd(K("z"), 1.5, "one-and-a-half");
  b.ZAdd(K("z"), 9, "nine");
  b.ZRem(K("z"), "nine");
  ASSERT_TRUE(Commit(b).committed);

  EXPECT_EQ(Read({"HGET", K("h"), "a"}).str, "42");
  EXPECT_TRUE(Read({"HGET", K("h"), "b"}).is_nil());
  EXPECT_EQ(Read({"HGET", K("h"), "n"}).str, "-5");
  RedisValue m = Read({"HMGET", K("h"), "c", "b", "a"});
  ASSERT_EQ(m.elements.size(), 3u);
  EXPECT_EQ(m.elements[0].str, "3");
  EXPECT_TRUE(m.elements[1].is_nil());
  EXPECT_EQ(m.elements[2].str, "42");
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> all =
      kv_.reader->HGetAll(K("h"));
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, UnorderedElementsAre(std::pair<std::string, std::string>("a", "42"),
                                         std::pair<std::string, std::string>("c", "3"),
                                         std::pair<std::string, std::string>("n", "-5")));
  EXPECT_EQ(Read({"GET", K("s")}).str, "text");
  EXPECT_TRUE(Read({"GET", K("gone")}).is_nil());
  EXPECT_EQ(Read({"EXISTS", K("gone")}).integer, 0);
  EXPECT_THAT(Strings(Read({"SMEMBERS", K("set")})), ElementsAre("q"));
  EXPECT_EQ(Read({"SCARD", K("set")}).integer, 1);
  EXPECT_EQ(Read({"ZCARD", K("z")}).integer, 2);
  EXPECT_EQ(Read({"ZSCORE", K("z"), "five"}).str, "5");
  EXPECT_EQ(Read({"ZSCORE", K("z"), "one-and-a-half"}).str, "1.5");
  EXPECT_TRUE(Read({"ZSCORE", K("z"), "nine"}).is_nil());
  RedisValue strings = Read({"MGET", K("s"), K("gone"), K("h"), K("s")});
  ASSERT_EQ(strings.elements.size(), 4u);
  EXPECT_EQ(strings.elements[0].str, "text");
  EXPECT_TRUE(strings.elements[1].is_nil()) << "missing";
  EXPECT_TRUE(strings.elements[2].is_nil()) << "a hash is no string";
  EXPECT_EQ(strings.elements[3].str, "text");
  EXPECT_TRUE(Read({"HGET", K("absent"), "a"}).is_nil());
  EXPECT_THAT(Read({"HMGET", K("absent"), "a"}).elements.size(), 1u);
  EXPECT_THAT(Strings(Read({"SMEMBERS", K("absent")})), IsEmpty());
}

TEST_P(KvContractTest, AnEmptiedContainerNoLongerExists) {
  WriteBatch b;
  b.SAdd(K("set"), "only");
  b.HSet(K("h"), {{"f", "v"}});
  b.ZAdd(K("z"), 0, "m");
  ASSERT_TRUE(Commit(b).committed);
  WriteBatch drain;
  drain.SRem(K("set"), "only");
  drain.HDel(K("h"), {"f"});
  drain.ZRem(K("z"), "m");
  ASSERT_TRUE(Commit(drain).committed);
  EXPECT_EQ(Read({"EXISTS", K("set")}).integer, 0);
  EXPECT_EQ(Read({"EXISTS", K("h")}).integer, 0);
  EXPECT_EQ(Read({"EXISTS", K("z")}).integer, 0);
  WriteBatch absent;
  absent.ExpectAbsent(K("set"), "exists:set");
  EXPECT_TRUE(Commit(absent).committed);
}

TEST_P(KvContractTest, LexRangesFollowRedisBoundsAndLimit) {
  WriteBatch b;
  for (const char* m : {"b", "a", "c\x01x", "c", "d", "ba"}) {
    b.ZAdd(K("ix"), 0, m);
  }
  ASSERT_TRUE(Commit(b).committed);
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "-", "+"})),
              ElementsAre("a", "b", "ba", "c", "c\x01x", "d"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "(b", "+", "LIMIT", "0", "2"})),
              ElementsAre("ba", "c"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "[b", "(c", "LIMIT", "0", "10"})),
              ElementsAre("b", "ba"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "[c\x01", "[c\x01\xff"})),
              ElementsAre("c\x01x"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "-", "+", "LIMIT", "2", "2"})),
              ElementsAre("ba", "c"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "-", "+", "LIMIT", "4", "-1"})),
              ElementsAre("c\x01x", "d"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("ix"), "(d", "+"})), IsEmpty());
  EXPECT_THAT(Strings(Read({"ZRANGEBYLEX", K("none"), "-", "+"})), IsEmpty());
  EXPECT_FALSE(kv_.reader->ReadOne({"ZRANGEBYLEX", K("ix"), "b", "+"}).ok())
      << "a bound without [ or ( is an error";
}

TEST_P(KvContractTest, ScoreRangesFollowRedisBoundsAndLimit) {
  WriteBatch b;
  b.ZAdd(K("due"), 300, "c");
  b.ZAdd(K("due"), 100, "a");
  b.ZAdd(K("due"), 200, "b2");
  b.ZAdd(K("due"), 200, "b1");
  ASSERT_TRUE(Commit(b).committed);
  EXPECT_THAT(Strings(Read({"ZRANGEBYSCORE", K("due"), "-inf", "+inf"})),
              ElementsAre("a", "b1", "b2", "c"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYSCORE", K("due"), "-inf", "200", "LIMIT", "0", "2"})),
              ElementsAre("a", "b1"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYSCORE", K("due"), "(100", "(300"})), ElementsAre("b1", "b2"));
  EXPECT_THAT(Strings(Read({"ZRANGEBYSCORE", K("due"), "150", "250"})), ElementsAre("b1", "b2"));
  EXPECT_FALSE(kv_.reader->ReadOne({"ZRANGEBYSCORE", K("due"), "x", "+inf"}).ok());
}

TEST_P(KvContractTest, ReadsAndWritesOfTheWrongTypeFail) {
  WriteBatch b;
  b.Set(K("str"), "v");
  b.SAdd(K("set"), "m");
  b.HSet(K("h"), {{"f", "not a number"}});
  ASSERT_TRUE(Commit(b).committed);
  EXPECT_EQ(kv_.reader->ReadOne({"HGET", K("set"), "f"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_FALSE(kv_.reader->ReadOne({"SMEMBERS", K("str")}).ok());
  EXPECT_FALSE(kv_.reader->ReadOne({"GET", K("h")}).ok());
  WriteBatch wrong;
  wrong.HSet(K("str"), {{"f", "v"}});
  EXPECT_FALSE(kv_.committer->Commit(wrong).ok());
  WriteBatch nan;
  nan.HIncrBy(K("h"), "f", 1);
  EXPECT_FALSE(kv_.committer->Commit(nan).ok());
  WriteBatch guard_on_set;
  guard_on_set.ExpectHashField(K("set"), "f", "", "version:set");
  EXPECT_FALSE(kv_.committer->Commit(guard_on_set).ok());
}

TEST_P(KvContractTest, OnlyReadCommandsAreAllowed) {
  for (std::vector<std::string> c :
       std::vector<std::vector<std::string>>{{"DEL", K("x")},
                                             {"SET", K("x"), "1"},
                                             {"FLUSHALL"},
                                             {"HGET", K("x")},
                                             {"MGET"},
                                             {"ZRANGEBYLEX", K("x"), "-", "+", "LIMIT", "0"},
                                             {}}) {
    absl::StatusOr<RedisValue> v = kv_.reader->ReadOne(c);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument)
        << (c.empty() ? "(empty)" : c[0]);
  }
  EXPECT_EQ(Read({"EXISTS", K("x")}).integer, 0);
}

// ReadAsync answers exactly what Read answers, once: values, a wrong-type
// read's error, a refused command, an empty pipeline. Many reads in flight at
// once each get their own replies (a RedisMux shares connections).
TEST_P(KvContractTest, ReadAsyncAnswersWhatReadAnswers) {
  WriteBatch b;
  b.HSet(K("h"), {{"f", "1"}, {"g", "2"}});
  b.Set(K("s"), "v");
  b.ZAdd(K("z"), 1, "a");
  b.ZAdd(K("z"), 2, "b");
  ASSERT_TRUE(Commit(b).committed);
  auto await = [&](std::vector<std::vector<std::string>> cmds) {
    absl::Mutex mu;
    int answers = 0;
    absl::StatusOr<std::vector<RedisValue>> got;
    kv_.reader->ReadAsync(cmds, [&](absl::StatusOr<std::vector<RedisValue>> r) {
      absl::MutexLock lock(&mu);
      ++answers;
      got = std::move(r);
    });
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n > 0; }, &answers));
    EXPECT_EQ(answers, 1);
    return got;
  };
  const std::vector<std::vector<std::string>> reads = {{"HGETALL", K("h")},
                                                       {"GET", K("s")},
                                                       {"HGET", K("h"), "missing"},
                                                       {"ZRANGEBYSCORE", K("z"), "-inf", "+inf"},
                                                       {"EXISTS", K("nothing")}};
  absl::StatusOr<std::vector<RedisValue>> sync = kv_.reader->Read(reads);
  absl::StatusOr<std::vector<RedisValue>> async = await(reads);
  ASSERT_TRUE(sync.ok()) << sync.status();
  ASSERT_TRUE(async.ok()) << async.status();
  ASSERT_EQ(async->size(), sync->size());
  EXPECT_EQ(AsPairs((*async)[0]), AsPairs((*sync)[0]));
  EXPECT_EQ((*async)[1].str, "v");
  EXPECT_TRUE((*async)[2].is_nil());
  EXPECT_THAT(Strings((*async)[3]), ElementsAre("a", "b"));
  EXPECT_EQ((*async)[4].integer, 0);

  EXPECT_EQ(await({{"GET", K("h")}}).status().code(),
            kv_.reader->Read({{"GET", K("h")}}).status().code());
  EXPECT_FALSE(await({{"GET", K("h")}}).ok());
  EXPECT_EQ(await({{"DEL", K("s")}}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<RedisValue>> none = await({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // 200 reads in flight from 4 threads: each answer is its own key's value.
  WriteBatch many;
  for (int i = 0; i < 200; ++i) {
    many.Set(K(absl::StrCat("k", i)), absl::StrCat("value-", i));
  }
  ASSERT_TRUE(Commit(many).committed);
  absl::Mutex mu;
  int answered = 0;
  int wrong = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 200; i += 4) {
        kv_.reader->ReadAsync(
            {{"GET", K(absl::StrCat("k", i))}, {"EXISTS", K(absl::StrCat("k", i))}},
            [&, i](absl::StatusOr<std::vector<RedisValue>> r) {
              absl::MutexLock lock(&mu);
              ++answered;
              if (!r.ok() || r->size() != 2 || (*r)[0].str != absl::StrCat("value-", i) ||
                  (*r)[1].integer != 1) {
                ++wrong;
              }
            });
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int* n) { return *n >= 200; }, &answered));
  EXPECT_EQ(answered, 200);
  EXPECT_EQ(wrong, 0);
}

TEST_P(KvContractTest, EventsCommitWithTheBatchOnly) {
  CloudEvent e = TestEvent("e-1");
  WriteBatch ok;
  ok.HSet(K("h"), {{"f", "1"}});
  ok.Emit(e, "salesops.test.events.v1");
  e.id = "e-2";
  ok.Emit(e, "salesops.test.events.v1");
  CommitResult r = Commit(ok);
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(r.outbox_ids.size(), 1u) << "a commit's events are one entry";

  WriteBatch refused;
  refused.ExpectAbsent(K("h"), "exists:h");
  refused.Emit(e, "salesops.test.events.v1");
  r = Commit(refused);
  EXPECT_FALSE(r.committed);
  EXPECT_THAT(r.outbox_ids, IsEmpty());
}

// More events than an entry holds make several entries, in order.
TEST_P(KvContractTest, ACommitOfManyEventsFillsAnEntryAtATime) {
  WriteBatch b;
  b.HSet(K("many"), {{"f", "1"}});
  CloudEvent e = TestEvent("e-0");
  for (size_t i = 0; i < kEventsPerEntry + 3; ++i) {
    e.id = absl::StrCat("many-", i);
    b.Emit(e, "salesops.test.events.v1");
  }
  CommitResult r = Commit(b);
  EXPECT_TRUE(r.committed);
  ASSERT_EQ(r.outbox_ids.size(), 2u);
  EXPECT_NE(r.outbox_ids[0], r.outbox_ids[1]);
}

TEST_P(KvContractTest, CommitManyKeepsEachBatchAtomicOnItsOwn) {
  std::vector<WriteBatch> batches(3);
  batches[0].SAdd(K("set"), "first");
  batches[1].ExpectPresent(K("nothing"), "present:nothing");
  batches[1].SAdd(K("set"), "second");
  batches[2].ExpectSetEmpty(K("other"), "empty:other");
  batches[2].SAdd(K("set"), "third");
  std::vector<absl::StatusOr<CommitResult>> results = kv_.committer->CommitMany(batches);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok() && results[1].ok() && results[2].ok());
  EXPECT_TRUE(results[0]->committed);
  EXPECT_FALSE(results[1]->committed);
  EXPECT_EQ(results[1]->failed_tag, "present:nothing");
  EXPECT_TRUE(results[2]->committed);
  std::vector<std::string> members = Strings(Read({"SMEMBERS", K("set")}));
  std::sort(members.begin(), members.end());
  EXPECT_THAT(members, ElementsAre("first", "third"));
}

// A stream answers what CommitMany answers, batch by batch, also past the
// point where the Redis stream sends (every few batches), with events in the
// outbox in order.
TEST_P(KvContractTest, CommitStreamAnswersEachBatchAsCommitManyWould) {
  const CloudEvent e = TestEvent("e-stream");
  std::unique_ptr<CommitStream> stream = kv_.committer->OpenStream();
  constexpr int kBatches = 21;  // not a multiple of any send interval
  for (int i = 0; i < kBatches; ++i) {
    WriteBatch b;
    if (i % 5 == 3) {
      b.ExpectPresent(K("nothing"), absl::StrCat("present:", i));  // refused
    }
    b.SAdd(K("stream"), absl::StrCat("m", i));
    b.HIncrBy(K("count"), "n", 1);
    b.Emit(e, "salesops.test.events.v1");
    stream->Add(std::move(b));
  }
  std::vector<absl::StatusOr<CommitResult>> results = stream->Finish();
  ASSERT_EQ(results.size(), static_cast<size_t>(kBatches));
  int committed = 0;
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    if (i % 5 == 3) {
      EXPECT_FALSE(results[i]->committed) << i;
      EXPECT_EQ(results[i]->failed_tag, absl::StrCat("present:", i));
      EXPECT_THAT(results[i]->outbox_ids, IsEmpty());
    } else {
      EXPECT_TRUE(results[i]->committed) << i;
      EXPECT_EQ(results[i]->outbox_ids.size(), 1u) << i;
      ++committed;
    }
  }
  EXPECT_EQ(Strings(Read({"SMEMBERS", K("stream")})).size(), static_cast<size_t>(committed));
  EXPECT_EQ(Read({"HGET", K("count"), "n"}).str, absl::StrCat(committed));
  // An empty stream answers nothing, and a stream given up before Finish leaves the
  // store usable (its batches may or may not have run).
  EXPECT_THAT(kv_.committer->OpenStream()->Finish(), IsEmpty());
  {
    std::unique_ptr<CommitStream> abandoned = kv_.committer->OpenStream();
    for (int i = 0; i < 9; ++i) {
      WriteBatch b;
      b.SAdd(K("abandoned"), absl::StrCat("m", i));
      abandoned->Add(std::move(b));
    }
  }
  WriteBatch after;
  after.SAdd(K("after"), "x");
  EXPECT_TRUE(Commit(after).committed);
  EXPECT_THAT(Strings(Read({"SMEMBERS", K("after")})), ElementsAre("x"));
}

// WriteBatch::Combine: many batches as one script end where committing them
// one by one ends, on random mixes of every write command over a few keys
// (increments of one field are summed, and writes of one command to one key
// joined, so they must agree with the other writes around them).
TEST_P(KvContractTest, CombinedBatchesEndWhereTheyWouldOneByOne) {
  uint64_t rng = 0x5eed;
  auto next = [&rng](int n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((rng >> 33) % static_cast<uint64_t>(n));
  };
  const std::vector<std::string> hashes = {"h0", "h1"}, sets = {"s0"}, zsets = {"z0"},
                                 strings = {"t0"};
  // One batch's writes under `side` ("a:" one by one, "b:" combined).
  struct Step {
    int kind, key, field, value;
  };
  auto build = [&](const std::vector<Step>& steps, const std::string& side) {
    WriteBatch b;
    for (const Step& st : steps) {
      const std::string f = absl::StrCat("f", st.field), v = absl::StrCat(st.value);
      switch (st.kind) {
        case 0:
        case 1:  // increments are the common case
          b.HIncrBy(K(side + hashes[st.key % 2]), f, st.value - 5);
          break;
        case 2:  // several fields of one hash at once (a field may repeat)
          b.HIncrBy(K(side + hashes[st.key % 2]),
                    {{f, st.value - 5}, {absl::StrCat("f", (st.field + st.value) % 3), st.value}});
          break;
        case 3:
          b.HSet(K(side + hashes[st.key % 2]), {{f, v}});
          break;
        case 4:
          b.HDel(K(side + hashes[st.key % 2]), {f});
          break;
        case 5:
          b.Del(K(side + hashes[st.key % 2]));
          break;
        case 6:
          b.SAdd(K(side + sets[0]), f);
          break;
        case 7:
          b.SRem(K(side + sets[0]), f);
          break;
        case 8:
          b.ZAdd(K(side + zsets[0]), st.value, f);
          break;
        case 9:
          b.ZRem(K(side + zsets[0]), f);
          break;
        default:
          b.Set(K(side + strings[0]), v);
          break;
      }
    }
    return b;
  };
  auto snapshot = [&](const std::string& side) {
    std::vector<std::string> out;
    for (const std::string& h : hashes) {
      absl::StatusOr<std::vector<std::pair<std::string, std::string>>> all =
          kv_.reader->HGetAll(K(side + h));
      EXPECT_TRUE(all.ok());
      std::vector<std::string> fields;
      for (const auto& [f, v] : all.value_or(decltype(all)::value_type{})) {
        fields.push_back(absl::StrCat(h, ".", f, "=", v));
      }
      std::sort(fields.begin(), fields.end());
      out.insert(out.end(), fields.begin(), fields.end());
    }
    std::vector<std::string> members = Strings(Read({"SMEMBERS", K(side + sets[0])}));
    std::sort(members.begin(), members.end());
    out.insert(out.end(), members.begin(), members.end());
    for (const std::string& m :
         Strings(Read({"ZRANGEBYSCORE", K(side + zsets[0]), "-inf", "+inf"}))) {
      out.push_back(absl::StrCat("z.", m, "=", Read({"ZSCORE", K(side + zsets[0]), m}).str));
    }
    out.push_back(absl::StrCat("t=", Read({"GET", K(side + strings[0])}).str));
    return out;
  };
  size_t summed = 0, joined = 0, joined_increments = 0;
  for (int round = 0; round < 30; ++round) {
    std::vector<WriteBatch> one_by_one, to_combine;
    size_t ops = 0;
    for (int n = 1 + next(12); n > 0; --n) {
      std::vector<Step> steps;
      for (int k = 1 + next(5); k > 0; --k) {
        steps.push_back({next(11), next(2), next(3), next(11)});
      }
      one_by_one.push_back(build(steps, "a:"));
      to_combine.push_back(build(steps, "b:"));
      ops += to_combine.back().op_count();
    }
    for (const WriteBatch& b : one_by_one) {
      ASSERT_TRUE(Commit(b).committed);
    }
    std::optional<WriteBatch> combined = WriteBatch::Combine(to_combine);
    ASSERT_TRUE(combined.has_value()) << "no guards: nothing to refuse";
    // Fewer calls than writes given (an overflowing sum could make more).
    summed += ops > combined->op_count() ? ops - combined->op_count() : 0;
    combined->ForEachWrite([&](const std::string& command, const std::string&,
                               const std::vector<std::string>& args) {
      const size_t single = command == "ZADD" || command == "HSET" || command == "HINCRBY" ? 2 : 1;
      (command == "HINCRBY" ? joined_increments : joined) += args.size() > single ? 1 : 0;
    });
    ASSERT_TRUE(Commit(*combined).committed);
    ASSERT_EQ(snapshot("a:"), snapshot("b:")) << "round " << round;
  }
  EXPECT_GT(summed, 0u) << "no increments were summed: the test exercises nothing";
  EXPECT_GT(joined, 0u) << "no writes were joined: the test exercises nothing";
  EXPECT_GT(joined_increments, 0u) << "no increments of several fields were joined";
}

// Several absent guards (a combined chunk's seen markers) hold together when
// none of their keys exists; when one does, the first of them fails, names
// itself and says what it found, and nothing is written.
TEST_P(KvContractTest, ManyAbsentGuardsFailOnTheFirstKeyThatExists) {
  auto batch = [&] {
    WriteBatch b;
    b.ExpectHashField(K("h"), "v", "", "version");  // other kinds around them
    for (int i = 0; i < 5; ++i) {
      b.ExpectAbsent(K(absl::StrCat("seen:", i)), absl::StrCat("seen ", i));
      if (i == 2) {
        b.ExpectSetEmpty(K("set"), "empty");
      }
    }
    b.HIncrBy(K("h"), "n", 1);
    return b;
  };
  ASSERT_TRUE(Commit(batch()).committed);
  EXPECT_EQ(Read({"HGET", K("h"), "n"}).str, "1");

  WriteBatch seed;
  seed.Set(K("seen:3"), "three");
  seed.Set(K("seen:4"), "four");
  ASSERT_TRUE(Commit(seed).committed);
  CommitResult r = Commit(batch());
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.failed_tag, "seen 3");
  EXPECT_EQ(r.current, "three");
  EXPECT_EQ(Read({"HGET", K("h"), "n"}).str, "1");
}

// Increments of many fields of one hash in one write (what Combine makes of a
// projection's counters) add to what each field held, create the missing
// ones, and keep exact integers up to Redis' 64-bit limits.
TEST_P(KvContractTest, AnIncrementOfManyFieldsAddsToEach) {
  WriteBatch seed;
  seed.HSet(K("h"), {{"big", "9007199254740993"}, {"neg", "-7"}, {"zero", "0"}});
  ASSERT_TRUE(Commit(seed).committed);
  std::vector<WriteBatch> batches(2);
  batches[0].HIncrBy(K("h"), "big", 2);
  batches[0].HIncrBy(K("h"), "neg", 7);
  batches[1].HIncrBy(K("h"), "zero", -999999999999999);
  batches[1].HIncrBy(K("h"), "new", 123456789012);
  batches[1].HIncrBy(K("h"), "max", LLONG_MAX);
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->op_count(), 1u);
  ASSERT_TRUE(Commit(*c).committed);
  RedisValue v = Read({"HMGET", K("h"), "big", "neg", "zero", "new", "max"});
  ASSERT_EQ(v.elements.size(), 5u);
  EXPECT_EQ(v.elements[0].str, "9007199254740995");
  EXPECT_EQ(v.elements[1].str, "0");
  EXPECT_EQ(v.elements[2].str, "-999999999999999");
  EXPECT_EQ(v.elements[3].str, "123456789012");
  EXPECT_EQ(v.elements[4].str, absl::StrCat(LLONG_MAX));
}

// A combined commit is all or nothing: a later batch's failing guard stops the
// earlier batches' writes and events too.
TEST_P(KvContractTest, ACombinedCommitIsAllOrNothing) {
  const CloudEvent e = TestEvent("e-1");
  std::vector<WriteBatch> batches(3);
  batches[0].HIncrBy(K("h"), "n", 1);
  batches[0].Emit(e, "salesops.test.events.v1");
  batches[1].HIncrBy(K("h"), "n", 2);
  batches[2].ExpectPresent(K("nothing"), "present:nothing");
  batches[2].HIncrBy(K("h"), "n", 4);
  std::optional<WriteBatch> combined = WriteBatch::Combine(batches);
  ASSERT_TRUE(combined.has_value());
  CommitResult r = Commit(*combined);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.failed_tag, "present:nothing");
  EXPECT_THAT(r.outbox_ids, IsEmpty());
  EXPECT_EQ(Read({"EXISTS", K("h")}).integer, 0);

  batches.pop_back();
  combined = WriteBatch::Combine(batches);
  ASSERT_TRUE(combined.has_value());
  EXPECT_EQ(combined->op_count(), 1u) << "1 + 2 on one field: one increment";
  r = Commit(*combined);
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(r.outbox_ids.size(), 1u);
  EXPECT_EQ(Read({"HGET", K("h"), "n"}).str, "3");
}

// A document moved on by three events in turn (each expects the version the
// one before wrote) combines into one commit that checks only the first
// version: it ends where one by one ends, and is refused, with nothing
// applied, when the document moved meanwhile.
TEST_P(KvContractTest, AVersionChainCombinesAndGuardsItsFirstVersion) {
  google::protobuf::StringValue doc;
  auto chain = [&](int64_t from) {
    std::vector<WriteBatch> batches(3);
    for (int i = 0; i < 3; ++i) {
      doc.set_value(absl::StrCat("v", from + i + 1));
      DocStore::PutDocWith(kv_.prefix, batches[i], "note", "n-1", doc, from + i);
      batches[i].HIncrBy(K("moves"), "n", 1);
    }
    return WriteBatch::Combine(batches);
  };
  doc.set_value("v1");
  WriteBatch create;
  DocStore::PutDocWith(kv_.prefix, create, "note", "n-1", doc, 0);
  ASSERT_TRUE(Commit(create).committed);

  std::optional<WriteBatch> combined = chain(1);
  ASSERT_TRUE(combined.has_value());
  EXPECT_EQ(combined->guard_count(), 1u);
  ASSERT_TRUE(Commit(*combined).committed);
  DocStore store(*kv_.reader, *kv_.committer, kv_.prefix);
  auto got = store.Get<google::protobuf::StringValue>("note", "n-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 4);
  EXPECT_EQ((*got)->doc.value(), "v4");
  EXPECT_EQ(Read({"HGET", K("moves"), "n"}).str, "3");

  // The same chain again, from version 1: the store is at 4.
  combined = chain(1);
  ASSERT_TRUE(combined.has_value());
  CommitResult r = Commit(*combined);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.failed_tag, "version:note:n-1");
  got = store.Get<google::protobuf::StringValue>("note", "n-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 4);
  EXPECT_EQ(Read({"HGET", K("moves"), "n"}).str, "3");
}

TEST_P(KvContractTest, DocStoreVersionsReplaysAndPaging) {
  DocStore store(*kv_.reader, *kv_.committer, kv_.prefix);
  google::protobuf::StringValue doc;
  doc.set_value("v1");
  WriteBatch create;
  DocStore::PutDocWith(kv_.prefix, create, "note", "n-1", doc, 0);
  create.ZAdd(DocStore::IndexWith(kv_.prefix, "notes"), 0, "n-1");
  DocStore::GuardRequestWith(kv_.prefix, create, "members/m-1", "req-1", "notes/n-1");
  ASSERT_TRUE(store.Commit(create).ok());

  auto got = store.Get<google::protobuf::StringValue>("note", "n-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ((*got)->doc.value(), "v1");

  WriteBatch again;
  DocStore::PutDocWith(kv_.prefix, again, "note", "n-1", doc, 0);
  absl::Status s = store.Commit(again);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReason(s), "RESOURCE_EXISTS");

  WriteBatch replay;
  DocStore::GuardRequestWith(kv_.prefix, replay, "members/m-1", "req-1", "notes/n-2");
  s = store.Commit(replay);
  EXPECT_EQ(ErrorReason(s), "REQUEST_REPLAYED");
  auto seen = store.SeenRequest("members/m-1", "req-1");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->value_or(""), "notes/n-1");
  auto other_caller = store.SeenRequest("members/m-2", "req-1");
  ASSERT_TRUE(other_caller.ok());
  EXPECT_FALSE(other_caller->has_value());

  doc.set_value("v2");
  WriteBatch stale;
  DocStore::PutDocWith(kv_.prefix, stale, "note", "n-1", doc, 7);
  s = store.Commit(stale);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(s), "ETAG_MISMATCH");
  WriteBatch update;
  DocStore::PutDocWith(kv_.prefix, update, "note", "n-1", doc, 1);
  ASSERT_TRUE(store.Commit(update).ok());

  for (const char* id : {"n-3", "n-2"}) {
    WriteBatch b;
    DocStore::PutDocWith(kv_.prefix, b, "note", id, doc, 0);
    b.ZAdd(DocStore::IndexWith(kv_.prefix, "notes"), 0, id);
    ASSERT_TRUE(store.Commit(b).ok());
  }
  auto page1 = store.Range(DocStore::IndexWith(kv_.prefix, "notes"), "", 2);
  ASSERT_TRUE(page1.ok());
  EXPECT_THAT(*page1, ElementsAre("n-1", "n-2"));
  auto page2 = store.Range(DocStore::IndexWith(kv_.prefix, "notes"), page1->back(), 2);
  ASSERT_TRUE(page2.ok());
  EXPECT_THAT(*page2, ElementsAre("n-3"));
  auto many = store.GetMany<google::protobuf::StringValue>("note", {"n-3", "missing", "n-1"});
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[1].version, 2);
  EXPECT_EQ((*many)[1].doc.value(), "v2");
  EXPECT_EQ(*store.Count(DocStore::IndexWith(kv_.prefix, "notes")), 3);
}

}  // namespace salesops::testing
