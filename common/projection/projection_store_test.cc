// ProjectionStore::TryApplyCombined and CombinedStream on InMemoryKv: many
// events applied in one combined commit, each once, with the results
// TryApplyOnceMany would give, and the fall-back to one commit per event when
// they cannot combine or a guard fails; chunks of a stream committed in order,
// a refused chunk holding back every later one. (The combined script on a real
// Redis: the kv contract suite.)
#include "common/projection/projection_store.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/docstore/in_memory_kv.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;

CloudEvent Event(int i) {
  CloudEvent e;
  e.id = absl::StrCat("e-", i);
  e.source = "/salesops/test";
  e.type = "salesops.test.v1.Happened";
  e.key = "k";
  return e;
}

class ProjectionStoreCombinedTest : public ::testing::Test {
 protected:
  // Each event adds i to a counter and emits one event of its own (id "out-i").
  std::vector<std::pair<const CloudEvent*, WriteBatch>> Items(const std::vector<CloudEvent>& in) {
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
    for (const CloudEvent& e : in) {
      WriteBatch b;
      int i = 0;
      (void)absl::SimpleAtoi(e.id.substr(2), &i);
      b.HIncrBy("p:count", "n", i);
      CloudEvent out = e;
      out.id = absl::StrCat("out-", i);
      b.Emit(out, "salesops.test.events.v1");
      items.emplace_back(&e, std::move(b));
    }
    return items;
  }
  std::string Count() {
    absl::StatusOr<RedisValue> v = kv_.ReadOne({"HGET", "p:count", "n"});
    return v.ok() ? v->str : "error";
  }
  std::vector<std::string> EmittedIds() {
    std::vector<std::string> ids;
    for (const auto& [e, topic] : kv_.Events()) {
      ids.push_back(e.id);
    }
    return ids;
  }

  // Events 1..40 (sum 820) through a stream of 10 per chunk: each is 3 writes
  // (seen marker, counter, its event).
  std::vector<absl::StatusOr<CommitResult>> StreamFortyEvents(ProjectionStore& store) {
    streamed_.clear();
    for (int i = 1; i <= 40; ++i) {
      streamed_.push_back(Event(i));
    }
    ProjectionStore::CombinedStream stream = store.OpenCombined(30);
    for (auto& [event, batch] : Items(streamed_)) {
      stream.Add(*event, std::move(batch));
    }
    return stream.Finish();
  }

  // r[from, to) committed.
  static void ExpectCommitted(const std::vector<absl::StatusOr<CommitResult>>& r, size_t from,
                              size_t to) {
    for (size_t k = from; k < to; ++k) {
      ASSERT_TRUE(r[k].ok()) << k << ": " << r[k].status();
      EXPECT_TRUE(r[k]->committed) << k;
    }
  }
  // r[from, to) refused as the chunks after an unanswered one are.
  static void ExpectAfterUnknown(const std::vector<absl::StatusOr<CommitResult>>& r, size_t from,
                                 size_t to) {
    for (size_t k = from; k < to; ++k) {
      EXPECT_EQ(r[k].status().code(), absl::StatusCode::kUnavailable) << k;
      EXPECT_THAT(std::string(r[k].status().message()),
                  ::testing::HasSubstr("ERR hash value is not an integer"))
          << k;
    }
  }

  InMemoryKv kv_;
  ProjectionStore store_{kv_, "p:seen:"};
  std::vector<CloudEvent> streamed_;
};

TEST_F(ProjectionStoreCombinedTest, EventsApplyOnceTogetherWithTheirEventsInOrder) {
  std::vector<CloudEvent> events = {Event(1), Event(2), Event(3)};
  std::vector<absl::StatusOr<CommitResult>> r = store_.TryApplyCombined(Items(events));
  ASSERT_EQ(r.size(), 3u);
  for (const auto& each : r) {
    ASSERT_TRUE(each.ok());
    EXPECT_TRUE(each->committed);
    EXPECT_EQ(each->outbox_ids.size(), 1u) << "each item gets the ids of its own events";
  }
  EXPECT_EQ(Count(), "6");
  EXPECT_THAT(EmittedIds(), ElementsAre("out-1", "out-2", "out-3"));
  EXPECT_EQ(store_.combined_fallbacks(), 0);

  // Redelivered: nothing changes, each says it was applied before.
  r = store_.TryApplyCombined(Items(events));
  ASSERT_EQ(r.size(), 3u);
  for (const auto& each : r) {
    ASSERT_TRUE(each.ok());
    EXPECT_FALSE(each->committed);
    EXPECT_EQ(each->failed_tag, ProjectionStore::kSeenTag);
  }
  EXPECT_EQ(Count(), "6");
  EXPECT_EQ(EmittedIds().size(), 3u);
}

// One event of the chunk applied before (by another consumer): the combined
// commit fails on its guard and writes nothing; then each goes on its own.
TEST_F(ProjectionStoreCombinedTest, AnEventAppliedBeforeSendsTheChunkOneByOne) {
  std::vector<CloudEvent> first = {Event(2)};
  ASSERT_TRUE(store_.TryApplyCombined(Items(first))[0]->committed);
  std::vector<CloudEvent> events = {Event(1), Event(2), Event(4)};
  std::vector<absl::StatusOr<CommitResult>> r = store_.TryApplyCombined(Items(events));
  ASSERT_EQ(r.size(), 3u);
  ASSERT_TRUE(r[0].ok() && r[1].ok() && r[2].ok());
  EXPECT_TRUE(r[0]->committed);
  EXPECT_FALSE(r[1]->committed);
  EXPECT_EQ(r[1]->failed_tag, ProjectionStore::kSeenTag);
  EXPECT_TRUE(r[2]->committed);
  EXPECT_EQ(Count(), "7");
  EXPECT_THAT(EmittedIds(), ElementsAre("out-2", "out-1", "out-4"));
  EXPECT_EQ(store_.combined_fallbacks(), 1);
}

// Events that state what something is now (WriteBatch::EmitLatest): a
// combined commit publishes the last of each state key, at its own place, and
// every plain event; each item gets the id of the entry holding what it
// published (one for the commit's events). Committed one by one (the chunk
// cannot combine), every one is published.
TEST_F(ProjectionStoreCombinedTest, ACombinedCommitPublishesTheLatestStateOfEachKey) {
  auto items = [](const std::vector<CloudEvent>& in) {
    std::vector<std::pair<const CloudEvent*, WriteBatch>> out;
    for (const CloudEvent& e : in) {
      WriteBatch b;
      b.HIncrBy("p:count", "n", 1);
      for (const char* key : {"total", e.subject.c_str()}) {
        CloudEvent state = e;
        state.id = absl::StrCat(key, "@", e.id);
        b.EmitLatest(state, "salesops.test.events.v1", key);
      }
      CloudEvent fact = e;
      fact.id = absl::StrCat("fact@", e.id);
      b.Emit(fact, "salesops.test.events.v1");
      out.emplace_back(&e, std::move(b));
    }
    return out;
  };
  std::vector<CloudEvent> events = {Event(1), Event(2), Event(3)};
  events[0].subject = "a";
  events[1].subject = "b";
  events[2].subject = "a";
  std::vector<absl::StatusOr<CommitResult>> r = store_.TryApplyCombined(items(events));
  ASSERT_EQ(r.size(), 3u);
  std::set<std::string> ids;
  for (const auto& each : r) {
    ASSERT_TRUE(each.ok());
    EXPECT_TRUE(each->committed);
    EXPECT_EQ(each->outbox_ids.size(), 1u);
    ids.insert(each->outbox_ids.begin(), each->outbox_ids.end());
  }
  EXPECT_THAT(EmittedIds(),
              ElementsAre("fact@e-1", "b@e-2", "fact@e-2", "total@e-3", "a@e-3", "fact@e-3"));
  EXPECT_EQ(ids.size(), 1u) << "one entry for the combined commit's events";
  EXPECT_EQ(Count(), "3");

  // Event 5 applied before: the chunk goes one by one, and 4 and 6 publish
  // all their events.
  std::vector<CloudEvent> applied = {Event(5)};
  applied[0].subject = "a";
  ASSERT_TRUE(store_.TryApplyCombined(items(applied))[0]->committed);
  std::vector<CloudEvent> more = {Event(4), Event(5), Event(6)};
  more[0].subject = "a";
  more[1].subject = "a";
  more[2].subject = "a";
  const size_t before = EmittedIds().size();
  r = store_.TryApplyCombined(items(more));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(store_.combined_fallbacks(), 1);
  std::vector<std::string> emitted = EmittedIds();
  emitted.erase(emitted.begin(), emitted.begin() + static_cast<std::ptrdiff_t>(before));
  EXPECT_THAT(emitted,
              ElementsAre("total@e-4", "a@e-4", "fact@e-4", "total@e-6", "a@e-6", "fact@e-6"));
}

// The same event twice in one call cannot combine (its second seen guard reads
// the first's write): one by one, it applies once.
TEST_F(ProjectionStoreCombinedTest, TheSameEventTwiceAppliesOnce) {
  std::vector<CloudEvent> events = {Event(5), Event(5)};
  std::vector<absl::StatusOr<CommitResult>> r = store_.TryApplyCombined(Items(events));
  ASSERT_EQ(r.size(), 2u);
  ASSERT_TRUE(r[0].ok() && r[1].ok());
  EXPECT_TRUE(r[0]->committed);
  EXPECT_FALSE(r[1]->committed);
  EXPECT_EQ(Count(), "5");
  EXPECT_EQ(store_.combined_fallbacks(), 1);
}

// The store not answering: every event gets the error, none is applied.
TEST_F(ProjectionStoreCombinedTest, AFailedCommitFailsEveryEvent) {
  std::vector<CloudEvent> events = {Event(1), Event(2)};
  kv_.FailNextCommit();
  std::vector<absl::StatusOr<CommitResult>> r = store_.TryApplyCombined(Items(events));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r[1].status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<RedisValue> v = kv_.ReadOne({"EXISTS", "p:count"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->integer, 0);
}

// Large waves are cut into chunks (a script keeps Redis busy while it runs):
// every event still applies once and in order.
TEST_F(ProjectionStoreCombinedTest, ALargeWaveAppliesEveryEventOnceInOrder) {
  std::vector<CloudEvent> events;
  int64_t sum = 0;
  for (int i = 1; i <= 3000; ++i) {
    events.push_back(Event(i));
    sum += i;
  }
  std::vector<absl::StatusOr<CommitResult>> r = store_.TryApplyCombined(Items(events));
  ASSERT_EQ(r.size(), events.size());
  for (const auto& each : r) {
    ASSERT_TRUE(each.ok());
    EXPECT_TRUE(each->committed);
  }
  EXPECT_EQ(Count(), absl::StrCat(sum));
  std::vector<std::string> ids = EmittedIds();
  ASSERT_EQ(ids.size(), events.size());
  EXPECT_EQ(ids.front(), "out-1");
  EXPECT_EQ(ids.back(), "out-3000");
  EXPECT_EQ(store_.combined_fallbacks(), 0);
}

// A stream's chunks go to the store before the first is answered. When one is
// refused (an event in it applied before), every later chunk is refused too,
// and all then go one event at a time: no event's own events overtake an
// earlier event's, as they would if later chunks committed on their own.
TEST_F(ProjectionStoreCombinedTest, AChunkAfterARefusedOneWaitsForIt) {
  std::vector<CloudEvent> before = {Event(5)};
  ASSERT_TRUE(store_.TryApplyCombined(Items(before))[0]->committed);
  std::vector<absl::StatusOr<CommitResult>> r = StreamFortyEvents(store_);
  ASSERT_EQ(r.size(), 40u);
  for (size_t k = 0; k < r.size(); ++k) {
    ASSERT_TRUE(r[k].ok()) << k;
    EXPECT_EQ(r[k]->committed, k != 4) << k;
  }
  EXPECT_EQ(r[4]->failed_tag, ProjectionStore::kSeenTag);
  EXPECT_EQ(Count(), "820");
  std::vector<std::string> want = {"out-5"};
  for (int i = 1; i <= 40; ++i) {
    if (i != 5) {
      want.push_back(absl::StrCat("out-", i));
    }
  }
  EXPECT_EQ(EmittedIds(), want);
  EXPECT_EQ(store_.combined_fallbacks(), 4) << "the refused chunk and the three after it";
}

// A committer over InMemoryKv that looks at each batch: CommitMany is Commit
// for each, in order.
class EachBatch : public BatchCommitter {
 public:
  std::vector<absl::StatusOr<CommitResult>> CommitMany(
      const std::vector<WriteBatch>& batches) final {
    std::vector<absl::StatusOr<CommitResult>> out;
    for (const WriteBatch& b : batches) {
      out.push_back(Commit(b));
    }
    return out;
  }
};

// Answers the `fail_at`-th batch it is given with an error, applying nothing
// of it (a script Redis refused, e.g. OOM, or a value it cannot add to), and
// commits the others.
class FailingAt final : public EachBatch {
 public:
  FailingAt(InMemoryKv& kv, int fail_at) : kv_(kv), fail_at_(fail_at) {}
  absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) override {
    if (++given_ == fail_at_) {
      return absl::InternalError("ERR hash value is not an integer");
    }
    return kv_.Commit(batch);
  }
  int given() const { return given_; }

 private:
  InMemoryKv& kv_;
  const int fail_at_;
  int given_ = 0;
};

// The second of four chunks fails with an error; the two after it are refused
// by its missing marker. Their batches were made assuming the failed chunk's
// writes, so they must not commit one by one (each would publish a figure
// counting events that were not applied, ahead of those events): they get an
// error too, and nothing after the first chunk is applied.
TEST_F(ProjectionStoreCombinedTest, ChunksAfterOneThatFailedAreNotCommittedOneByOne) {
  FailingAt failing(kv_, 2);
  ProjectionStore store(failing, "p:seen:");
  std::vector<absl::StatusOr<CommitResult>> r = StreamFortyEvents(store);
  ASSERT_EQ(r.size(), 40u);
  ExpectCommitted(r, 0, 10);
  for (size_t k = 10; k < 20; ++k) {
    EXPECT_EQ(r[k].status().code(), absl::StatusCode::kInternal) << k;
  }
  ExpectAfterUnknown(r, 20, 40);
  EXPECT_EQ(failing.given(), 4) << "four chunks, nothing one by one";
  EXPECT_EQ(Count(), "55");
  std::vector<std::string> want;
  for (int i = 1; i <= 10; ++i) {
    want.push_back(absl::StrCat("out-", i));
  }
  EXPECT_EQ(EmittedIds(), want);
  EXPECT_EQ(store.combined_fallbacks(), 0);

  // Redone by the caller, in order, each on its own: every event applies once.
  std::vector<std::pair<const CloudEvent*, WriteBatch>> items = Items(streamed_);
  for (size_t k = 10; k < 40; ++k) {
    ASSERT_TRUE(store_.TryApplyOnce(*items[k].first, std::move(items[k].second))->committed);
  }
  EXPECT_EQ(Count(), "820");
}

// The same when the failed commit is one of a refused chunk's, committed one
// by one: an event of the second chunk was applied before, so that chunk goes
// one by one, and its second event fails unanswered. The chunks after it are
// not committed one by one either.
TEST_F(ProjectionStoreCombinedTest, ChunksAfterAFailedOneByOneCommitAreNotCommittedEither) {
  std::vector<CloudEvent> before = {Event(15)};
  ASSERT_TRUE(store_.TryApplyCombined(Items(before))[0]->committed);
  // Batches given: chunk 1 (ok), chunk 2 combined (refused: e-15 seen), chunks 3
  // and 4 combined (refused: chain), then chunk 2's ten one by one: e-11 is the
  // fifth batch, e-12 the sixth.
  FailingAt failing(kv_, 6);
  ProjectionStore store(failing, "p:seen:");
  std::vector<absl::StatusOr<CommitResult>> r = StreamFortyEvents(store);
  ASSERT_EQ(r.size(), 40u);
  ExpectCommitted(r, 0, 11);
  EXPECT_EQ(r[11].status().code(), absl::StatusCode::kInternal);
  ExpectAfterUnknown(r, 20, 40);
  EXPECT_EQ(failing.given(), 14) << "four chunks, then chunk 2's ten one by one";
  EXPECT_EQ(store.combined_fallbacks(), 1) << "chunk 2 alone";
}

// Records which chain markers the committed batches set and delete.
class MarkerRecorder final : public EachBatch {
 public:
  explicit MarkerRecorder(InMemoryKv& kv) : kv_(kv) {}
  absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) override {
    absl::StatusOr<CommitResult> r = kv_.Commit(batch);
    Record(batch, r);
    return r;
  }
  std::set<std::string> set, deleted;

 private:
  void Record(const WriteBatch& b, const absl::StatusOr<CommitResult>& r) {
    if (!r.ok() || !r->committed) {
      return;
    }
    b.ForEachWrite(
        [&](const std::string& command, const std::string& key, const std::vector<std::string>&) {
          if (key.find(":chain:") != std::string::npos) {
            (command == "SET" ? set : deleted).insert(key);
          }
        });
  }
  InMemoryKv& kv_;
};

// Every chunk commits combined, in order; each marker a chunk sets for the next
// is deleted by it, and the last chunk sets none.
TEST_F(ProjectionStoreCombinedTest, AStreamCommitsEveryChunkAndLeavesNoMarker) {
  MarkerRecorder recorder(kv_);
  ProjectionStore store(recorder, "p:seen:");
  std::vector<absl::StatusOr<CommitResult>> r = StreamFortyEvents(store);
  ASSERT_EQ(r.size(), 40u);
  for (const auto& each : r) {
    ASSERT_TRUE(each.ok());
    EXPECT_TRUE(each->committed);
    EXPECT_EQ(each->outbox_ids.size(), 1u);
  }
  EXPECT_EQ(Count(), "820");
  std::vector<std::string> ids = EmittedIds();
  ASSERT_EQ(ids.size(), 40u);
  for (size_t k = 0; k < ids.size(); ++k) {
    EXPECT_EQ(ids[k], absl::StrCat("out-", k + 1));
  }
  EXPECT_EQ(store.combined_fallbacks(), 0);
  EXPECT_EQ(recorder.set.size(), 3u) << "four chunks, three links";
  EXPECT_EQ(recorder.deleted, recorder.set);
  for (const std::string& key : recorder.set) {
    absl::StatusOr<RedisValue> v = kv_.ReadOne({"EXISTS", key});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->integer, 0) << key;
  }
}

// SendLast sends the open chunk as the last one; Finish then only waits. An
// event added after it still commits, once and after the chunk, on its own.
TEST_F(ProjectionStoreCombinedTest, EventsAddedAfterTheLastChunkCommitOneByOneAfterIt) {
  MarkerRecorder recorder(kv_);
  ProjectionStore store(recorder, "p:seen:");
  std::vector<CloudEvent> events;
  for (int i = 1; i <= 6; ++i) {
    events.push_back(Event(i));
  }
  std::vector<std::pair<const CloudEvent*, WriteBatch>> items = Items(events);
  ProjectionStore::CombinedStream stream = store.OpenCombined(30);
  for (size_t k = 0; k < 4; ++k) {
    stream.Add(*items[k].first, std::move(items[k].second));
  }
  stream.SendLast();
  stream.Add(*items[4].first, std::move(items[4].second));
  stream.Add(*items[5].first, std::move(items[5].second));
  std::vector<absl::StatusOr<CommitResult>> r = stream.Finish();
  ASSERT_EQ(r.size(), 6u);
  for (const auto& each : r) {
    ASSERT_TRUE(each.ok());
    EXPECT_TRUE(each->committed);
  }
  EXPECT_EQ(Count(), "21");
  EXPECT_THAT(EmittedIds(), ElementsAre("out-1", "out-2", "out-3", "out-4", "out-5", "out-6"));
  EXPECT_TRUE(recorder.set.empty()) << "the last chunk links to nothing";
  EXPECT_EQ(store.combined_fallbacks(), 1) << "the two after it, one at a time";
}

}  // namespace
}  // namespace salesops
