// HashSnapshot against the store it stands in for: after any sequence of
// batches, what the snapshot answers equals what the store answers once the
// batches are committed (InMemoryKv, held to Redis by the kv contract).
#include "common/docstore/hash_snapshot.h"

#include <random>

#include "common/docstore/in_memory_kv.h"
#include "gmock/gmock.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

RedisValue Read(InMemoryKv& kv, std::vector<std::string> command) {
  absl::StatusOr<RedisValue> v = kv.ReadOne(std::move(command));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.value_or(RedisValue());
}

TEST(HashSnapshotTest, FollowsTheStoreThroughRandomHashWrites) {
  const std::vector<std::string> keys = {"h:a", "h:b", "h:c"};
  const std::vector<std::string> fields = {"f0", "f1", "f2", "f3"};
  std::mt19937 rng(20261204);
  int joined = 0;
  for (int round = 0; round < 50; ++round) {
    InMemoryKv kv;
    // Some state before the snapshot is read.
    WriteBatch seed;
    seed.HSet("h:a", {{"f0", "5"}, {"f1", "-2"}});
    seed.HIncrBy("h:b", "f2", 7);
    ASSERT_TRUE(kv.Commit(seed)->committed);

    HashSnapshot snap;
    snap.PutWhole("h:a", Read(kv, {"HGETALL", "h:a"}));
    snap.PutWhole("h:c", Read(kv, {"HGETALL", "h:c"}));  // absent: known empty
    snap.PutFields("h:b", {"f2", "f3"}, Read(kv, {"HMGET", "h:b", "f2", "f3"}));

    for (int step = 0; step < 20; ++step) {
      // A few batches as Combine makes one of them: increments of one hash's
      // fields joined into one write.
      std::vector<WriteBatch> parts(1 + rng() % 3);
      for (WriteBatch& b : parts) {
        const int writes = 1 + static_cast<int>(rng() % 3);
        for (int w = 0; w < writes; ++w) {
          const std::string& key = keys[rng() % keys.size()];
          // h:b only on the fields read, so every answer below is defined.
          const std::string& field = key == "h:b" ? fields[2 + rng() % 2] : fields[rng() % 4];
          switch (rng() % 5) {
            case 0:
              b.HSet(key, {{field, std::to_string(rng() % 100)}});
              break;
            case 1:
              b.HDel(key, {field});
              break;
            case 2:
            case 3:
              b.HIncrBy(key, field, static_cast<long long>(rng() % 21) - 10);
              break;
            default:
              if (key != "h:b") {
                b.Del(key);
              }
          }
        }
      }
      std::optional<WriteBatch> combined = WriteBatch::Combine(parts);
      ASSERT_TRUE(combined.has_value()) << "no guards: nothing to refuse";
      const WriteBatch& b = *combined;
      b.ForEachWrite([&joined](const std::string& command, const std::string&,
                               const std::vector<std::string>& args) {
        joined += command == "HINCRBY" && args.size() > 2 ? 1 : 0;
      });
      snap.Apply(b);
      ASSERT_TRUE(kv.Commit(b)->committed);
      for (const std::string key : {"h:a", "h:c"}) {
        absl::StatusOr<std::vector<std::pair<std::string, std::string>>> all = snap.GetAll(key);
        ASSERT_TRUE(all.ok()) << all.status();
        std::vector<std::pair<std::string, std::string>> want;
        RedisValue got = Read(kv, {"HGETALL", key});
        for (size_t i = 0; i + 1 < got.elements.size(); i += 2) {
          want.emplace_back(got.elements[i].str, got.elements[i + 1].str);
        }
        std::sort(want.begin(), want.end());
        EXPECT_EQ(*all, want) << key << " round " << round << " step " << step;
      }
      for (const std::string f : {"f2", "f3"}) {
        absl::StatusOr<std::optional<std::string>> v = snap.Get("h:b", f);
        ASSERT_TRUE(v.ok()) << v.status();
        RedisValue want = Read(kv, {"HGET", "h:b", f});
        EXPECT_EQ(v->has_value(), !want.is_nil()) << f;
        if (v->has_value() && !want.is_nil()) {
          EXPECT_EQ(**v, want.str) << f;
        }
      }
    }
  }
  EXPECT_GT(joined, 0) << "no increments of several fields: the test exercises less than it says";
}

TEST(HashSnapshotTest, WhatWasNotReadIsAnErrorNotAGuess) {
  HashSnapshot snap;
  RedisValue hmget;
  hmget.type = RedisValue::Type::kArray;
  hmget.elements.resize(1);
  hmget.elements[0].type = RedisValue::Type::kString;
  hmget.elements[0].str = "3";
  snap.PutFields("h", {"read"}, hmget);
  EXPECT_EQ(**snap.Get("h", "read"), "3");
  EXPECT_EQ(snap.Get("h", "unread").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(snap.GetAll("h").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(snap.Get("other", "read").status().code(), absl::StatusCode::kFailedPrecondition);
  // An increment of a field never read stays unknown rather than becoming `by`.
  WriteBatch b;
  b.HIncrBy("h", "unread", 4);
  b.HIncrBy("h", "read", 4);
  snap.Apply(b);
  EXPECT_EQ(snap.Get("h", "unread").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(**snap.Get("h", "read"), "7");
  // After DEL the whole hash is known: empty.
  WriteBatch d;
  d.Del("h");
  d.HIncrBy("h", "n", 2);
  snap.Apply(d);
  EXPECT_THAT(*snap.GetAll("h"), ElementsAre(Pair("n", "2")));
}

}  // namespace
}  // namespace salesops
