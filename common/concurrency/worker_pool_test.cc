// WorkerPool: every accepted task runs exactly once, the queue bound is
// enforced, and Stop() drains before joining.
#include "common/concurrency/worker_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

// 1000 tasks from 4 submitters all run, each once.
TEST(WorkerPoolTest, RunsEveryTaskOnce) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(4, 10000);
    std::vector<std::thread> submitters;
    for (int s = 0; s < 4; ++s) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 250; ++i) {
          ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
        }
      });
    }
    for (auto& t : submitters) {
      t.join();
    }
    pool.Stop();
  }
  EXPECT_EQ(ran.load(), 1000);
}

// With the only worker blocked, the queue takes max_queue tasks and refuses more.
TEST(WorkerPoolTest, BoundedQueueRefusesOverflow) {
  WorkerPool pool(1, 3);
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {}));
  EXPECT_EQ(pool.queued(), 3u);
  release.Notify();
  pool.Stop();
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_FALSE(pool.TrySubmit([] {}));  // stopped
}

}  // namespace
}  // namespace salesops
