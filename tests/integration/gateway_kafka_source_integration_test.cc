// The gateway's KafkaSource in committed mode with a batch handler, against the
// real broker: the records already fetched go to the batch handler together,
// a record it does not answer OK (and one that does not decode) goes the one
// by one way after it, in order, and the stored offsets hold across a restart.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/gateway/stream/kafka_source.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

using gateway::KafkaSource;
using gateway::KafkaSourceOptions;
using gateway::StreamPosition;
constexpr char kTopic[] = "salesops.org.events.v1";

// What the two handlers applied, in the order they applied it: ids of this
// test's events only (the topic also holds other tests' events).
class AppliedLog {
 public:
  explicit AppliedLog(std::string mark) : mark_(std::move(mark)) {}

  bool Ours(const CloudEvent& e) const { return absl::StrContains(e.id, mark_); }
  void Add(const CloudEvent& e) {
    absl::MutexLock lock(&mu_);
    if (Ours(e)) {
      ids_.push_back(e.id);
    }
  }
  // Waits until `id` was applied (the barrier: it was produced last).
  bool AwaitApplied(const std::string& id, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto seen = [&] {
      mu_.AssertHeld();
      return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
  }
  std::vector<std::string> ids() {
    absl::MutexLock lock(&mu_);
    return ids_;
  }

 private:
  const std::string mark_;
  absl::Mutex mu_;
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mu_);
};

CloudEvent Joined(const std::string& id, const std::string& key) {
  org::v1::MemberJoined joined;
  joined.mutable_member()->set_name(absl::StrCat("members/", id));
  joined.mutable_member()->set_display_name(id);
  CloudEvent e =
      MakeCloudEvent("/salesops/org", key, absl::StrCat("members/", id), joined, absl::Now());
  e.id = id;
  return e;
}

absl::Status Produce(const CloudEvent& e) {
  return ProduceRaw(TestEnv::Get().kafka_bootstrap, kTopic, e.key, e.data, ToKafkaHeaders(e));
}

KafkaSourceOptions Options(const std::string& group) {
  KafkaSourceOptions o;
  o.bootstrap = TestEnv::Get().kafka_bootstrap;
  o.sasl = KafkaAs("gateway");
  o.group_id = group;
  o.topics = {kTopic};
  return o;
}

TEST(GatewayKafkaSourceTest, BatchesWhatIsFetchedAndRedoesTheRestInOrder) {
  const std::string sfx = UniqueSuffix();
  const std::string key = "batch-" + sfx;  // one key: one partition, one order
  std::vector<std::string> want;
  for (int i = 0; i < 40; ++i) {
    const CloudEvent e = Joined(absl::StrCat("ev", i, "-", sfx), key);
    ASSERT_TRUE(Produce(e).ok());
    want.push_back(e.id);
    if (i == 20) {  // a record that does not decode: skipped, the rest goes on
      ASSERT_TRUE(ProduceRaw(TestEnv::Get().kafka_bootstrap, kTopic, key, "\xff garbage", {}).ok());
    }
  }
  const CloudEvent sentinel = Joined("sentinel-" + sfx, key);
  ASSERT_TRUE(Produce(sentinel).ok());
  want.push_back(sentinel.id);

  AppliedLog applied(sfx);
  int max_ours_in_a_batch = 0;
  bool failed_once = false;  // touched by the source's thread only until Stop
  const std::string group = "gateway-batch-test-" + sfx;
  KafkaSource source(Options(group), [&](const StreamPosition&, const CloudEvent& e) {
    applied.Add(e);
    return absl::OkStatus();
  });
  // Answers OK in order, except in the first call holding two or more of ours:
  // from the second of ours on, UNAVAILABLE (as the directory answers after a
  // failed commit), so those go the one by one way.
  source.SetBatchHandler([&](const std::vector<const CloudEvent*>& events) {
    int ours = 0;
    for (const CloudEvent* e : events) {
      ours += applied.Ours(*e) ? 1 : 0;
    }
    max_ours_in_a_batch = std::max(max_ours_in_a_batch, ours);
    std::vector<absl::Status> out;
    int seen = 0;
    bool failing = false;
    for (const CloudEvent* e : events) {
      if (applied.Ours(*e) && ++seen == 2 && ours >= 2 && !failed_once) {
        failing = failed_once = true;
      }
      if (failing) {
        out.push_back(absl::UnavailableError("commit lost"));
      } else {
        applied.Add(*e);
        out.push_back(absl::OkStatus());
      }
    }
    return out;
  });
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(applied.AwaitApplied(sentinel.id, absl::Seconds(60)));
  source.Stop();

  EXPECT_THAT(applied.ids(), ::testing::ElementsAreArray(want));
  EXPECT_GE(max_ours_in_a_batch, 2);
  EXPECT_TRUE(failed_once);
  EXPECT_GT(source.stats().batched.load(), 0);
  EXPECT_GE(source.stats().skipped.load(), 1);  // the garbage record

  // The same group again: nothing of the first run comes back.
  AppliedLog again(sfx);
  KafkaSource restarted(Options(group), [&](const StreamPosition&, const CloudEvent& e) {
    again.Add(e);
    return absl::OkStatus();
  });
  restarted.SetBatchHandler([&](const std::vector<const CloudEvent*>& events) {
    for (const CloudEvent* e : events) {
      again.Add(*e);
    }
    return std::vector<absl::Status>(events.size(), absl::OkStatus());
  });
  ASSERT_TRUE(restarted.Start().ok());
  const CloudEvent sentinel2 = Joined("sentinel2-" + sfx, key);
  ASSERT_TRUE(Produce(sentinel2).ok());
  ASSERT_TRUE(again.AwaitApplied(sentinel2.id, absl::Seconds(60)));
  restarted.Stop();
  EXPECT_THAT(again.ids(), ::testing::ElementsAre(sentinel2.id));
}

TEST(GatewayKafkaSourceTest, ALiveSourceTakesNoBatchHandler) {
  KafkaSourceOptions o = Options("gateway-live-test-" + UniqueSuffix());
  o.from_end = true;
  KafkaSource source(o, [](const StreamPosition&, const CloudEvent&) { return absl::OkStatus(); });
  source.SetBatchHandler([](const std::vector<const CloudEvent*>& events) {
    return std::vector<absl::Status>(events.size(), absl::OkStatus());
  });
  const absl::Status s = source.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("batch_handler"));
}

}  // namespace
}  // namespace salesops::testing
