// The stream's fan-out: scope filtering per connection, resume from
// Last-Event-ID without gaps or duplicates (also while events keep coming),
// resets when the ring cannot serve a resume, and slow connections cut off
// instead of buffering without bound.
#include "services/gateway/stream/event_hub.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kTopicA[] = "salesops.customers.events.v1";
constexpr char kTopicB[] = "salesops.warning.events.v1";

const Viewer kRep1{Role::kRep, "rep1", "t1", "r1"};
const Viewer kRep2{Role::kRep, "rep2", "t2", "r1"};
const Viewer kAdmin{Role::kAdmin, "admin", "", ""};

StreamEvent Event(const std::string& topic, int32_t partition, int64_t offset,
                  const std::string& owner) {
  StreamEvent e;
  e.position = {topic, partition, offset};
  e.type = "salesops.customers.v1.OpportunityCreated";
  e.scope.AddMember(owner);
  e.frame = std::make_shared<const LazyFrame>(FormatStreamId(e.position));
  return e;
}

// The ids of what `sub` has queued now.
std::vector<std::string> Drain(Subscription& sub) {
  std::vector<EventPtr> batch;
  sub.Next(absl::ZeroDuration(), &batch);
  std::vector<std::string> ids;
  for (const EventPtr& e : batch) {
    ids.push_back(e->frame->get());
  }
  return ids;
}

// A frame is rendered when a connection first takes it, once for all of them;
// an event nobody may see (or with nobody watching) is never rendered.
TEST(EventHubTest, FramesAreRenderedOnceAndOnlyForAConnectionThatTakesThem) {
  EventHub hub({});
  int renders = 0;
  auto counted = [&](StreamEvent e) {
    e.frame = std::make_shared<const LazyFrame>([&renders, id = FormatStreamId(e.position)] {
      ++renders;
      return id;
    });
    return e;
  };
  hub.Publish(counted(Event(kTopicA, 0, 9, "rep1")));  // nobody watching
  hub.Publish(counted(Event(kTopicA, 0, 10, "rep1")));
  ResumeResult r;
  auto rep2 = hub.Subscribe(kRep2, std::nullopt, &r);
  auto admin = hub.Subscribe(kAdmin, std::nullopt, &r);
  auto admin2 = hub.Subscribe(kAdmin, std::nullopt, &r);
  hub.Publish(counted(Event(kTopicA, 0, 11, "rep1")));  // rep2 may not see it
  EXPECT_EQ(renders, 0);
  EXPECT_THAT(Drain(*rep2), IsEmpty());
  EXPECT_EQ(renders, 0);
  EXPECT_THAT(Drain(*admin), ElementsAre(absl::StrCat(kTopicA, "-0-11")));
  EXPECT_THAT(Drain(*admin2), ElementsAre(absl::StrCat(kTopicA, "-0-11")));
  EXPECT_EQ(renders, 1);
  // A resume replays an event nobody took before: rendered then; 9 never is.
  auto late = hub.Subscribe(kAdmin, StreamPosition{kTopicA, 0, 9}, &r);
  ASSERT_EQ(r.kind, ResumeResult::Kind::kReplayed);
  EXPECT_THAT(Drain(*late),
              ElementsAre(absl::StrCat(kTopicA, "-0-10"), absl::StrCat(kTopicA, "-0-11")));
  EXPECT_EQ(renders, 2);
}

TEST(EventHubTest, EachConnectionGetsOnlyWhatItsViewerMaySee) {
  EventHub hub({});
  ResumeResult r;
  auto rep1 = hub.Subscribe(kRep1, std::nullopt, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kLive);
  auto rep2 = hub.Subscribe(kRep2, std::nullopt, &r);
  auto admin = hub.Subscribe(kAdmin, std::nullopt, &r);
  hub.Publish(Event(kTopicA, 0, 10, "rep1"));
  hub.Publish(Event(kTopicA, 1, 20, "rep2"));
  EXPECT_THAT(Drain(*rep1), ElementsAre(absl::StrCat(kTopicA, "-0-10")));
  EXPECT_THAT(Drain(*rep2), ElementsAre(absl::StrCat(kTopicA, "-1-20")));
  EXPECT_THAT(Drain(*admin),
              ElementsAre(absl::StrCat(kTopicA, "-0-10"), absl::StrCat(kTopicA, "-1-20")));
  EXPECT_EQ(hub.stats().delivered, 4u);
  EXPECT_EQ(hub.stats().connections, 3u);
}

TEST(EventHubTest, ResumeReplaysWhatWasMissedAcrossPartitionsInArrivalOrder) {
  EventHub hub({});
  hub.Publish(Event(kTopicA, 0, 1, "rep1"));
  hub.Publish(Event(kTopicA, 0, 2, "rep1"));  // the client's last event
  hub.Publish(Event(kTopicB, 3, 7, "rep1"));
  hub.Publish(Event(kTopicA, 1, 5, "rep2"));  // not rep1's
  hub.Publish(Event(kTopicA, 0, 3, "rep1"));
  ResumeResult r;
  auto sub = hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 2}, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReplayed);
  EXPECT_EQ(r.replayed, 2u);
  EXPECT_THAT(Drain(*sub),
              ElementsAre(absl::StrCat(kTopicB, "-3-7"), absl::StrCat(kTopicA, "-0-3")));
  hub.Publish(Event(kTopicA, 0, 4, "rep1"));
  EXPECT_THAT(Drain(*sub), ElementsAre(absl::StrCat(kTopicA, "-0-4")));
}

TEST(EventHubTest, ResumeFromTheNewestEventReplaysNothing) {
  EventHub hub({});
  hub.Publish(Event(kTopicA, 0, 9, "rep1"));
  ResumeResult r;
  auto sub = hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 9}, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReplayed);
  EXPECT_THAT(Drain(*sub), IsEmpty());
}

TEST(EventHubTest, UnknownPositionsReset) {
  EventHub hub({});
  hub.Publish(Event(kTopicA, 0, 9, "rep1"));
  ResumeResult r;
  hub.Subscribe(kRep1, StreamPosition{kTopicB, 0, 9}, &r);  // partition never seen
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReset);
  EXPECT_EQ(r.reason, "unknown_position");
  hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 10}, &r);  // from the future (another gateway)
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReset);
  EXPECT_EQ(hub.stats().resets, 2u);
}

TEST(EventHubTest, AnIdOlderThanTheRingResets) {
  EventHub hub({.ring_per_partition = 3, .queue_per_connection = 100});
  for (int64_t o = 1; o <= 5; ++o) {
    hub.Publish(Event(kTopicA, 0, o, "rep1"));
  }
  ResumeResult r;
  hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 1}, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReset);
  EXPECT_EQ(r.reason, "too_old");
  auto ok = hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 3}, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReplayed);
  EXPECT_EQ(Drain(*ok).size(), 2u);
}

TEST(EventHubTest, AnotherPartitionHavingDroppedANewerEventResets) {
  EventHub hub({.ring_per_partition = 2, .queue_per_connection = 100});
  hub.Publish(Event(kTopicA, 0, 1, "rep1"));  // the client's last event
  for (int64_t o = 1; o <= 3; ++o) {
    hub.Publish(Event(kTopicB, 0, o, "rep1"));  // B drops o=1
  }
  ResumeResult r;
  hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 1}, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReset);
  EXPECT_EQ(r.reason, "too_old");
}

TEST(EventHubTest, AReplayLargerThanTheQueueResets) {
  EventHub hub({.ring_per_partition = 100, .queue_per_connection = 3});
  for (int64_t o = 1; o <= 10; ++o) {
    hub.Publish(Event(kTopicA, 0, o, "rep1"));
  }
  ResumeResult r;
  auto sub = hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 2}, &r);
  EXPECT_EQ(r.kind, ResumeResult::Kind::kReset);
  EXPECT_EQ(r.reason, "too_far_behind");
  EXPECT_THAT(Drain(*sub), IsEmpty());
}

TEST(EventHubTest, ASlowConnectionIsCutOffNotBuffered) {
  EventHub hub({.ring_per_partition = 100, .queue_per_connection = 2});
  ResumeResult r;
  auto slow = hub.Subscribe(kRep1, std::nullopt, &r);
  auto fast = hub.Subscribe(kRep1, std::nullopt, &r);
  for (int64_t o = 1; o <= 3; ++o) {
    hub.Publish(Event(kTopicA, 0, o, "rep1"));
    Drain(*fast);
  }
  std::vector<EventPtr> batch;
  EXPECT_EQ(slow->Next(absl::ZeroDuration(), &batch), Subscription::State::kOverflowed);
  EXPECT_THAT(batch, IsEmpty());
  EXPECT_EQ(fast->state(), Subscription::State::kOpen);
  EXPECT_EQ(hub.stats().overflowed, 1u);
  EXPECT_EQ(hub.stats().connections, 1u);  // the slow one is gone from the fan-out
}

TEST(EventHubTest, NextWaitsUpToItsTimeoutAndCloseAllEndsEveryone) {
  EventHub hub({});
  ResumeResult r;
  auto sub = hub.Subscribe(kRep1, std::nullopt, &r);
  std::vector<EventPtr> batch;
  const absl::Time start = absl::Now();
  EXPECT_EQ(sub->Next(absl::Milliseconds(50), &batch), Subscription::State::kOpen);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
  EXPECT_THAT(batch, IsEmpty());
  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    hub.CloseAll();
  });
  EXPECT_EQ(sub->Next(absl::Seconds(10), &batch), Subscription::State::kClosed);
  closer.join();
  EXPECT_EQ(hub.stats().connections, 0u);
}

TEST(EventHubTest, ResumingWhileEventsPourInHasNoGapAndNoDuplicate) {
  EventHub hub({.ring_per_partition = 100000, .queue_per_connection = 100000});
  constexpr int64_t kEvents = 20000;
  hub.Publish(Event(kTopicA, 0, 0, "rep1"));
  std::thread producer([&] {
    for (int64_t o = 1; o <= kEvents; ++o) {
      hub.Publish(Event(kTopicA, o % 3, o, "rep1"));
    }
  });
  absl::SleepFor(absl::Milliseconds(2));
  ResumeResult r;
  auto sub = hub.Subscribe(kRep1, StreamPosition{kTopicA, 0, 0}, &r);
  ASSERT_EQ(r.kind, ResumeResult::Kind::kReplayed);
  producer.join();
  std::vector<EventPtr> all;
  std::vector<EventPtr> batch;
  while (sub->Next(absl::ZeroDuration(), &batch) == Subscription::State::kOpen && !batch.empty()) {
    all.insert(all.end(), batch.begin(), batch.end());
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kEvents));
  for (int64_t i = 0; i < kEvents; ++i) {
    EXPECT_EQ(all[i]->position.offset, i + 1);
  }
}

}  // namespace
}  // namespace salesops::gateway
