// The HTTP server's worker pool. cpp-httplib serves a connection on one
// thread for its whole life (keep-alive requests, and a live stream until the
// client leaves), so the pool grows with the connections, up to `max_threads`
// (the bound on what the gateway holds open), and shrinks again when threads
// idle for `idle_timeout`. Connections beyond that wait in a queue of at most
// `max_queue`; past that they are shed: served on a separate thread whose
// requests the server answers at once with 503 (ShedThisThread()).
//
//   server.new_task_queue = [&] { return new ElasticTaskQueue({.max_threads = 2048}); };
//   … in a handler: if (ElasticTaskQueue::ShedThisThread()) { 503; return; }
//
// Threads get a 1 MiB stack (not glibc's 8 MiB): thousands of open streams
// should not reserve gigabytes of address space.
#pragma once

#include <pthread.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace salesops::gateway {

struct TaskQueueOptions {
  int max_threads = 2048;
  size_t max_queue = 1024;
  absl::Duration idle_timeout = absl::Seconds(30);
};

class ElasticTaskQueue final : public httplib::TaskQueue {
 public:
  explicit ElasticTaskQueue(TaskQueueOptions options);
  ~ElasticTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True on the shed thread: answer 503 without work.
  static bool ShedThisThread();
  int threads() const;
  int busy() const;
  uint64_t shed_total() const { return state_->shed_total.load(); }

 private:
  // Shared with the (detached) threads, so it outlives the last of them even
  // while it is still returning from its final unlock.
  struct State {
    explicit State(TaskQueueOptions o) : options(o) {}
    const TaskQueueOptions options;
    mutable absl::Mutex mu;
    std::deque<std::function<void()>> jobs ABSL_GUARDED_BY(mu);
    std::deque<std::function<void()>> shed_jobs ABSL_GUARDED_BY(mu);
    int threads ABSL_GUARDED_BY(mu) = 0;
    int idle ABSL_GUARDED_BY(mu) = 0;
    bool shed_thread ABSL_GUARDED_BY(mu) = false;
    bool stopping ABSL_GUARDED_BY(mu) = false;
    std::atomic<uint64_t> shed_total{0};
  };
  static void* WorkerMain(void* state);
  static void* ShedMain(void* state);
  static void Work(State& s);
  static void Shed(State& s);
  static bool Spawn(const std::shared_ptr<State>& s, void* (*main)(void*));

  std::shared_ptr<State> state_;
};

}  // namespace salesops::gateway
