// The commit command's two encodings agree, and whole ZADD scores print as %.17g
// prints them. Then WriteBatch::Combine's rules that need no store: when batches may be
// combined, which guards are kept, which increments are summed and which writes
// are joined into one call. What a
// combined batch does in a store (the same end state as one by one, all or
// nothing) is in the kv contract suite (common/docstore/kv_contract.cc), which
// runs on InMemoryKv and on a real Redis.
#include "common/outbox/write_batch.h"

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;

// "COMMAND key arg…" for each write, in order.
std::vector<std::string> Writes(const WriteBatch& b) {
  std::vector<std::string> out;
  b.ForEachWrite([&](const std::string& command, const std::string& key,
                     const std::vector<std::string>& args) {
    std::string line = command + " " + key;
    for (const std::string& a : args) {
      line += " " + a;
    }
    out.push_back(line);
  });
  return out;
}

// Increments of one field are summed, and those of one hash join into its first
// increment: one call, each field once.
TEST(WriteBatchCombineTest, IncrementsOfOneHashJoinIntoTheFirstAndOneFieldsAreSummed) {
  std::vector<WriteBatch> batches(4);
  batches[0].HIncrBy("h", "a", 1);
  batches[1].HIncrBy("other", "a", 10);
  batches[1].HIncrBy("h", "a", 2);
  batches[2].HIncrBy("h", "b", 5);
  batches[3].HIncrBy("h", "a", -4);
  batches[3].HIncrBy("h", "c", 0);
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(Writes(*c), ElementsAre("HINCRBY h a -1 b 5 c 0", "HINCRBY other a 10"));
}

// An increment of several fields at once is summed field by field, like
// single-field ones, and with them; a field it names twice is summed too.
TEST(WriteBatchCombineTest, IncrementsOfSeveralFieldsSumFieldByField) {
  std::vector<WriteBatch> batches(3);
  batches[0].HIncrBy("h", {{"a", 1}, {"b", 2}});
  batches[1].HIncrBy("h", "b", 3);
  batches[1].HIncrBy("other", {{"x", 7}});
  batches[2].HIncrBy("h", {{"c", 4}, {"a", -1}, {"c", 1}});
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(Writes(*c), ElementsAre("HINCRBY h a 0 b 5 c 5", "HINCRBY other x 7"));
  // Written as one call per key in the batch itself.
  EXPECT_THAT(Writes(batches[0]), ElementsAre("HINCRBY h a 1 b 2"));
  WriteBatch none;
  none.HIncrBy("h", std::vector<std::pair<std::string, long long>>{});
  EXPECT_TRUE(none.empty());
}

// Another write to the key between two increments of several fields ends the
// sum, as it does for single fields: the later increment is a call of its own.
TEST(WriteBatchCombineTest, AnotherWriteEndsASumOfSeveralFields) {
  std::vector<WriteBatch> batches(3);
  batches[0].HIncrBy("h", {{"a", 1}, {"b", 2}});
  batches[1].HDel("h", {"a"});
  batches[2].HIncrBy("h", {{"a", 1}, {"b", 2}});
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(Writes(*c), ElementsAre("HINCRBY h a 1 b 2", "HDEL h a", "HINCRBY h a 1 b 2"));
}

TEST(WriteBatchCombineTest, AJoinedIncrementStaysWithinTheScriptsArgumentLimit) {
  std::vector<WriteBatch> batches(1500);
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i].HIncrBy("h", absl::StrCat("f", i), 1);
    batches[i].HIncrBy("h", "total", 1);
  }
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  size_t fields = 0, largest = 0;
  long long total = 0;
  c->ForEachWrite([&](const std::string& command, const std::string& key,
                      const std::vector<std::string>& args) {
    EXPECT_EQ(command, "HINCRBY");
    fields += args.size() / 2;
    largest = std::max(largest, args.size());
    for (size_t k = 0; k + 1 < args.size(); k += 2) {
      if (args[k] == "total") {
        total += std::stoll(args[k + 1]);
      }
    }
  });
  EXPECT_EQ(fields, 1501u) << "1,500 fields and the total once";
  EXPECT_EQ(total, 1500);
  EXPECT_LE(largest, 1024u);
  EXPECT_EQ(c->op_count(), 3u);  // 512 fields (1,024 arguments) a call, the total in the first
}

TEST(WriteBatchCombineTest, AnotherWriteToTheKeyEndsTheSum) {
  for (const char* between : {"HSET", "HDEL", "DEL"}) {
    std::vector<WriteBatch> batches(3);
    batches[0].HIncrBy("h", "a", 1);
    if (std::string(between) == "HSET") {
      batches[1].HSet("h", {{"z", "1"}});
    } else if (std::string(between) == "HDEL") {
      batches[1].HDel("h", {"a"});
    } else {
      batches[1].Del("h");
    }
    batches[2].HIncrBy("h", "a", 2);
    std::optional<WriteBatch> c = WriteBatch::Combine(batches);
    ASSERT_TRUE(c.has_value()) << between;
    EXPECT_EQ(c->op_count(), 3u) << between << ": the second increment must stay after it";
  }
}

TEST(WriteBatchCombineTest, WritesOfOneCommandToOneKeyJoinIntoTheFirst) {
  std::vector<WriteBatch> batches(3);
  batches[0].ZAdd("z", 1, "a");
  batches[0].HSet("h", {{"f", "1"}});
  batches[1].ZAdd("other", 5, "x");
  batches[1].ZAdd("z", 2, "b");
  batches[1].SAdd("s", "m");
  batches[1].HSet("h", {{"g", "2"}, {"f", "3"}});
  batches[2].ZAdd("z", 3, "a");
  batches[2].SAdd("s", "n");
  batches[2].ZRem("r", "p");
  batches[2].ZRem("r", "q");
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(Writes(*c), ElementsAre("ZADD z 1 a 2 b 3 a", "HSET h f 1 g 2 f 3", "ZADD other 5 x",
                                      "SADD s m n", "ZREM r p q"));
}

TEST(WriteBatchCombineTest, AnotherWriteToTheKeyEndsTheJoin) {
  for (const char* between : {"ZREM", "DEL", "HINCRBY", "HDEL"}) {
    std::vector<WriteBatch> batches(3);
    const bool hash = std::string(between) == "HINCRBY" || std::string(between) == "HDEL";
    if (hash) {
      batches[0].HSet("k", {{"f", "1"}});
    } else {
      batches[0].ZAdd("k", 1, "a");
    }
    if (std::string(between) == "ZREM") {
      batches[1].ZRem("k", "a");
    } else if (std::string(between) == "DEL") {
      batches[1].Del("k");
    } else if (std::string(between) == "HINCRBY") {
      batches[1].HIncrBy("k", "f", 1);
    } else {
      batches[1].HDel("k", {"f"});
    }
    if (hash) {
      batches[2].HSet("k", {{"f", "5"}});
    } else {
      batches[2].ZAdd("k", 2, "a");
    }
    std::optional<WriteBatch> c = WriteBatch::Combine(batches);
    ASSERT_TRUE(c.has_value()) << between;
    EXPECT_EQ(c->op_count(), 3u) << between << ": the last write must stay after it";
  }
}

TEST(WriteBatchCombineTest, AJoinedWriteStaysWithinTheScriptsArgumentLimit) {
  std::vector<WriteBatch> batches(2000);
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i].ZAdd("z", static_cast<double>(i), absl::StrCat("m", i));
  }
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  size_t members = 0, largest = 0;
  c->ForEachWrite([&](const std::string& command, const std::string& key,
                      const std::vector<std::string>& args) {
    EXPECT_EQ(command, "ZADD");
    members += args.size() / 2;
    largest = std::max(largest, args.size());
  });
  EXPECT_EQ(members, 2000u);
  EXPECT_LE(largest, 1024u);
  EXPECT_EQ(c->op_count(), 4u);  // 512 members (1,024 arguments) a call
}

TEST(WriteBatchCombineTest, ASumThatWouldOverflowIsNotMade) {
  std::vector<WriteBatch> batches(3);
  batches[0].HIncrBy("h", "a", LLONG_MAX);
  batches[1].HIncrBy("h", "a", 1);
  batches[2].HIncrBy("h", "b", 1);
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(Writes(*c), ElementsAre(absl::StrCat("HINCRBY h a ", LLONG_MAX), "HINCRBY h a 1 b 1"))
      << "Redis refuses the overflow itself, as one by one would";
}

// A guard that reads what an earlier batch writes would see another value one
// by one than combined (all guards are checked first): not combinable.
TEST(WriteBatchCombineTest, AGuardOnAnEarlierBatchsWriteRefusesToCombine) {
  struct Case {
    const char* name;
    void (*write)(WriteBatch&);
    void (*guard)(WriteBatch&);
    bool combinable;
  };
  const Case cases[] = {
      {"field guard after an increment of it", [](WriteBatch& b) { b.HIncrBy("h", "v", 1); },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "1", "v"); }, false},
      {"field guard after HSET of it to another value",
       [](WriteBatch& b) {
         b.HSet("h", {{"v", "2"}});
       },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "3", "v"); }, false},
      {"field guard after HDEL of it, expecting a value", [](WriteBatch& b) { b.HDel("h", {"v"}); },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "1", "v"); }, false},
      {"field guard after HSET of it and an increment",
       [](WriteBatch& b) {
         b.HSet("h", {{"v", "2"}});
         b.HIncrBy("h", "v", 1);
       },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "3", "v"); }, false},
      {"field guard after HSET of it and DEL of the key",
       [](WriteBatch& b) {
         b.HSet("h", {{"v", "2"}});
         b.Del("h");
       },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "2", "v"); }, false},
      {"field guard after DEL of the key", [](WriteBatch& b) { b.Del("h"); },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "", "v"); }, false},
      {"field guard on another field", [](WriteBatch& b) { b.HIncrBy("h", "n", 1); },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "1", "v"); }, true},
      {"field guard after an increment of it among others",
       [](WriteBatch& b) {
         b.HIncrBy("h", {{"n", 1}, {"v", 1}});
       },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "1", "v"); }, false},
      {"field guard on a field an increment of several leaves alone",
       [](WriteBatch& b) {
         b.HIncrBy("h", {{"n", 1}, {"m", 1}});
       },
       [](WriteBatch& b) { b.ExpectHashField("h", "v", "1", "v"); }, true},
      {"absent guard after a field write", [](WriteBatch& b) { b.HIncrBy("h", "n", 1); },
       [](WriteBatch& b) { b.ExpectAbsent("h", "absent"); }, false},
      {"absent guard after SET", [](WriteBatch& b) { b.Set("seen", "1"); },
       [](WriteBatch& b) { b.ExpectAbsent("seen", "seen"); }, false},
      {"present guard after SADD", [](WriteBatch& b) { b.SAdd("s", "m"); },
       [](WriteBatch& b) { b.ExpectPresent("s", "present"); }, false},
      {"empty-set guard after SREM", [](WriteBatch& b) { b.SRem("s", "m"); },
       [](WriteBatch& b) { b.ExpectSetEmpty("s", "empty"); }, false},
      {"absent guard on an untouched key", [](WriteBatch& b) { b.SAdd("s", "m"); },
       [](WriteBatch& b) { b.ExpectAbsent("seen", "seen"); }, true},
  };
  for (const Case& c : cases) {
    std::vector<WriteBatch> batches(2);
    c.write(batches[0]);
    c.guard(batches[1]);
    EXPECT_EQ(WriteBatch::Combine(batches).has_value(), c.combinable) << c.name;
    // The other way round (the guard first) is always fine: it is checked
    // before the write, as it would be one by one.
    std::vector<WriteBatch> reversed(2);
    c.guard(reversed[0]);
    c.write(reversed[1]);
    EXPECT_TRUE(WriteBatch::Combine(reversed).has_value()) << c.name << ", reversed";
  }
}

// A guard on a field an earlier batch sets to the value it expects holds
// whenever that batch commits: combined, it is dropped (it would read the value
// before the chunk). A document moved on by several events in turn: each
// expects the version the one before wrote.
TEST(WriteBatchCombineTest, AGuardOnTheValueAnEarlierBatchWroteIsDropped) {
  std::vector<WriteBatch> batches(4);
  batches[0].ExpectHashField("doc", "v", "5", "version");
  batches[0].HSet("doc", {{"v", "6"}, {"pb", "a"}});
  batches[1].ExpectHashField("doc", "v", "6", "version");
  batches[1].HSet("doc", {{"v", "7"}});
  batches[2].HDel("active", {"rule"});
  batches[3].ExpectHashField("doc", "v", "7", "version");
  batches[3].ExpectHashField("active", "rule", "", "raised");
  batches[3].HSet("doc", {{"v", "8"}, {"pb", "b"}});
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->guard_count(), 1u) << "only the first batch's guard reads the store";
  // The document's HSETs join into one (nothing else writes it in between).
  EXPECT_THAT(Writes(*c), ElementsAre("HSET doc v 6 pb a v 7 v 8 pb b", "HDEL active rule"));
}

// A batch's guards on its own writes are fine: one by one they are checked
// before its writes too.
TEST(WriteBatchCombineTest, ABatchMayGuardWhatItWritesItself) {
  std::vector<WriteBatch> batches(2);
  for (int i = 0; i < 2; ++i) {
    const std::string seen = "seen:" + std::to_string(i);
    batches[i].ExpectAbsent(seen, "seen");
    batches[i].Set(seen, "1");
    batches[i].HIncrBy("h", "n", 1);
  }
  std::optional<WriteBatch> c = WriteBatch::Combine(batches);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(Writes(*c), ElementsAre("SET seen:0 1", "HINCRBY h n 2", "SET seen:1 1"));
}

// Of the events emitted with EmitLatest, Combine keeps the last per state key
// (also within one batch) and every plain event; `published` counts what it
// kept of each batch.
TEST(WriteBatchCombineTest, OnlyTheLastEventOfEachStateKeyIsKept) {
  auto event = [](const std::string& id) {
    CloudEvent e;
    e.id = id;
    e.type = "salesops.test.v1.Happened";
    return e;
  };
  std::vector<WriteBatch> batches(3);
  batches[0].Emit(event("a"), "t");
  batches[0].EmitLatest(event("k1@0"), "t", "k1");
  batches[0].EmitLatest(event("k2@0"), "t", "k2");
  batches[1].EmitLatest(event("k1@1"), "t", "k1");
  batches[1].Emit(event("b"), "t");
  batches[2].EmitLatest(event("k1@2a"), "t", "k1");
  batches[2].EmitLatest(event("k1@2b"), "t", "k1");
  std::vector<size_t> published;
  std::optional<WriteBatch> c = WriteBatch::Combine(batches, &published);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(published, ElementsAre(2, 1, 1)) << "a and k2@0; b; k1@2b";
  EXPECT_EQ(c->event_count(), 4u);

  // One batch alone through Combine: its own later event of a key wins too.
  std::vector<WriteBatch> one(1);
  one[0].EmitLatest(event("k@0"), "t", "k");
  one[0].EmitLatest(event("k@1"), "t", "k");
  c = WriteBatch::Combine(one, &published);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(published, ElementsAre(1));
}

// An event made by a function is made once, when it is published, and never
// when a later event of its state key supersedes it.
TEST(WriteBatchCombineTest, AnEventMadeByAFunctionIsMadeOnlyIfPublished) {
  std::vector<std::string> made;
  auto maker = [&made](const std::string& id) {
    return [&made, id] {
      made.push_back(id);
      CloudEvent e;
      e.id = id;
      e.type = "salesops.test.v1.Happened";
      return e;
    };
  };
  std::vector<WriteBatch> batches(3);
  batches[0].EmitLatest(maker("k1@0"), "t", "k1");
  batches[0].EmitLatest(maker("k2@0"), "t", "k2");
  batches[1].EmitLatest(maker("k1@1"), "t", "k1");
  batches[2].EmitLatest(maker("k1@2"), "t", "k1");
  std::vector<size_t> published;
  std::optional<WriteBatch> c = WriteBatch::Combine(batches, &published);
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(published, ElementsAre(1, 0, 1));
  EXPECT_THAT(made, ElementsAre()) << "nothing is made before it is committed";

  RedisClient redis(RedisOptions{});  // never connects: only the encoding is made
  TransactionalOutbox outbox(redis, "t:{t}:outbox");
  const std::vector<std::string> first = outbox.CommitCommand(*c);
  EXPECT_THAT(made, ElementsAre("k2@0", "k1@2"));
  EXPECT_EQ(outbox.CommitCommand(*c), first) << "made once: the same ids again";
  EXPECT_EQ(made.size(), 2u);
  // Each event is one argument (a serialized OutboxEntry) holding its id.
  auto written = [&first](const std::string& id) {
    return std::any_of(first.begin(), first.end(),
                       [&id](const std::string& arg) { return absl::StrContains(arg, id); });
  };
  EXPECT_TRUE(written("k1@2"));
  EXPECT_TRUE(written("k2@0"));
  EXPECT_FALSE(written("k1@1"));
  EXPECT_FALSE(written("k1@0"));
}

// The same event twice must not combine: the second's seen guard reads the
// first's write, so combined both would pass and apply it twice.
TEST(WriteBatchCombineTest, TheSameSeenKeyTwiceRefusesToCombine) {
  std::vector<WriteBatch> batches(2);
  for (WriteBatch& b : batches) {
    b.ExpectAbsent("seen:e1", "seen");
    b.Set("seen:e1", "1");
  }
  EXPECT_FALSE(WriteBatch::Combine(batches).has_value());
}

// The stream's encoding, written straight from the batch, is byte for byte what
// hiredis makes of the argument vector: guards, repeated and new keys, every
// write kind, events with binary data, and an empty batch.
TEST(CommitCommandTest, StreamEncodingIsTheArgumentVectorsEncoding) {
  RedisClient redis(RedisOptions{});  // never connects: only the encodings are compared
  TransactionalOutbox outbox(redis, "t:{t}:outbox");
  CloudEvent e;
  e.id = "e1";
  e.source = "/salesops/test";
  e.type = "salesops.test.v1.Thing";
  e.key = "k";
  e.data = std::string("\0bin\r\n\xff", 8);
  e.time = absl::FromUnixMicros(1700000000123456);
  std::vector<WriteBatch> batches(3);
  batches[0].ExpectHashField("t:{t}:h", "f", "", "raised");
  batches[0].ExpectAbsent("t:{t}:seen:e1", "seen");
  batches[0].HSet("t:{t}:h", {{"f", "v"}, {"g", ""}});
  batches[0].HIncrBy("t:{t}:c", "n", -3);
  batches[0].ZAdd("t:{t}:z", 1.5, "m");
  batches[0].ZAdd("t:{t}:z", 1700000000, "n");
  batches[0].ZRem("t:{t}:z", "o");
  batches[0].Set("t:{t}:seen:e1", "1", 60);
  batches[0].HDel("t:{t}:h", {"x"});
  batches[0].SAdd("t:{t}:s", "a");
  batches[0].Del("t:{t}:gone");
  batches[0].Emit(e, "salesops.test.events.v1");
  batches[0].Emit(e, "salesops.test.events.v1");
  batches[1].SAdd("t:{t}:outbox", "the stream key as an ordinary key");
  for (const WriteBatch& b : batches) {
    std::string streamed;
    outbox.AppendCommitCommand(b, &streamed);
    EXPECT_EQ(streamed, EncodeCommands({outbox.CommitCommand(b)}));
  }
}

// The commit command writes one stream entry for a commit's events, in
// order, kEventsPerEntry at most to an entry; one event stays an entry of one.
TEST(CommitCommandTest, ACommitsEventsAreOneEntryEach256) {
  RedisClient redis(RedisOptions{});  // never connects: only the command is read
  TransactionalOutbox outbox(redis, "t:{t}:outbox");
  auto entries_of = [&](const WriteBatch& b) {
    // The script's arguments end with: count, then per entry its field count
    // and fields.
    std::vector<std::string> cmd = outbox.CommitCommand(b);
    std::vector<std::vector<std::pair<std::string, std::string>>> out;
    for (size_t i = 0; i + 2 < cmd.size(); ++i) {
      if ((cmd[i + 1] == outbox_fields::kEntries || cmd[i + 1] == outbox_fields::kEntry) &&
          cmd[i] == "2") {
        out.push_back({{cmd[i + 1], cmd[i + 2]}});
      }
    }
    return out;
  };
  CloudEvent e;
  e.source = "/salesops/test";
  e.type = "salesops.test.v1.Thing";
  e.key = "k";
  WriteBatch one, many;
  e.id = "only";
  one.Emit(e, "t1");
  for (size_t i = 0; i < kEventsPerEntry + 1; ++i) {
    e.id = absl::StrCat("e-", i);
    many.Emit(e, "t1");
  }
  auto single = entries_of(one);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0][0].first, outbox_fields::kEntry);
  auto bundles = entries_of(many);
  ASSERT_EQ(bundles.size(), 2u);
  std::vector<std::string> ids;
  for (const auto& fields : bundles) {
    EXPECT_EQ(fields[0].first, outbox_fields::kEntries);
    auto events = FromOutboxEntry(fields);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const auto& [event, topic] : *events) {
      ids.push_back(event.id);
    }
  }
  ASSERT_EQ(ids.size(), kEventsPerEntry + 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(ids[i], absl::StrCat("e-", i));
  }
}

TEST(CommitCommandTest, ZAddScoresPrintAsPrintfWould) {
  for (double score : {0.0, -0.0, 1.0, -7.0, 1700000000.0, 1.5, 0.1, 1e15, 1e300, -2.5e-7}) {
    WriteBatch b;
    b.ZAdd("z", score, "m");
    std::vector<std::string> writes = Writes(b);
    ASSERT_EQ(writes.size(), 1u);
    std::string want = absl::StrFormat("ZADD z %.17g m", score);
    EXPECT_EQ(writes[0], want) << score;
  }
}

}  // namespace
}  // namespace salesops
