// A fixed set of threads running submitted tasks from a bounded queue. RPC
// handlers block on Redis; running them here instead of on gRPC's callback
// threads keeps those free to accept and complete calls, and bounds both the
// parallelism (threads) and the backlog (queue).
//
//   WorkerPool pool(32, 10000);
//   if (!pool.TrySubmit([=] { ... })) { /* overloaded: RESOURCE_EXHAUSTED */ }
//   pool.Stop();   // runs what is queued, then joins
//
// Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace salesops {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> task);
  // Finishes queued tasks, then joins the threads. Idempotent.
  void Stop();
  size_t queued() const;

 private:
  void Work();

  const size_t max_queue_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace salesops
