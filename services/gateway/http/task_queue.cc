#include "services/gateway/http/task_queue.h"

#include "common/log/log.h"

namespace salesops::gateway {
namespace {

thread_local bool t_shed = false;
constexpr size_t kStackBytes = 1 << 20;

}  // namespace

ElasticTaskQueue::ElasticTaskQueue(TaskQueueOptions options)
    : state_(std::make_shared<State>(options)) {}

ElasticTaskQueue::~ElasticTaskQueue() { shutdown(); }

bool ElasticTaskQueue::ShedThisThread() { return t_shed; }

int ElasticTaskQueue::threads() const {
  absl::MutexLock lock(&state_->mu);
  return state_->threads;
}

int ElasticTaskQueue::busy() const {
  absl::MutexLock lock(&state_->mu);
  return state_->threads - state_->idle;
}

bool ElasticTaskQueue::Spawn(const std::shared_ptr<State>& s, void* (*main)(void*)) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  auto* arg = new std::shared_ptr<State>(s);
  const int rc = pthread_create(&tid, &attr, main, arg);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete arg;
    LogError("cannot start an HTTP worker thread", {{"errno", rc}});
    return false;
  }
  return true;
}

void* ElasticTaskQueue::WorkerMain(void* arg) {
  std::unique_ptr<std::shared_ptr<State>> s(static_cast<std::shared_ptr<State>*>(arg));
  Work(**s);
  return nullptr;
}

void* ElasticTaskQueue::ShedMain(void* arg) {
  std::unique_ptr<std::shared_ptr<State>> s(static_cast<std::shared_ptr<State>*>(arg));
  t_shed = true;
  Shed(**s);
  return nullptr;
}

void ElasticTaskQueue::enqueue(std::function<void()> fn) {
  State& s = *state_;
  absl::MutexLock lock(&s.mu);
  if (static_cast<size_t>(s.idle) > s.jobs.size()) {
    s.jobs.push_back(std::move(fn));  // an idle worker takes it
    return;
  }
  if (s.threads < s.options.max_threads && Spawn(state_, &WorkerMain)) {
    ++s.threads;
    s.jobs.push_back(std::move(fn));
    return;
  }
  if (s.jobs.size() < s.options.max_queue) {
    s.jobs.push_back(std::move(fn));
    return;
  }
  ++s.shed_total;
  if (!s.shed_thread && Spawn(state_, &ShedMain)) {
    s.shed_thread = true;
  }
  if (s.shed_thread && s.shed_jobs.size() < s.options.max_queue) {
    s.shed_jobs.push_back(std::move(fn));
    return;
  }
  // Even the shed queue is full: answer here, on the accepting thread, which
  // also slows accepting down.
  s.mu.Unlock();
  t_shed = true;
  fn();
  t_shed = false;
  s.mu.Lock();
}

void ElasticTaskQueue::Work(State& s) {
  absl::MutexLock lock(&s.mu);
  auto ready = [&s]() ABSL_SHARED_LOCKS_REQUIRED(s.mu) { return !s.jobs.empty() || s.stopping; };
  while (true) {
    ++s.idle;
    const bool woke = s.mu.AwaitWithTimeout(absl::Condition(&ready), s.options.idle_timeout);
    --s.idle;
    if (!s.jobs.empty()) {
      std::function<void()> fn = std::move(s.jobs.front());
      s.jobs.pop_front();
      s.mu.Unlock();
      fn();
      fn = nullptr;  // release what the job holds before taking the lock again
      s.mu.Lock();
      continue;
    }
    if (s.stopping || !woke) {
      break;  // shutting down, or idle for long enough
    }
  }
  --s.threads;
}

void ElasticTaskQueue::Shed(State& s) {
  absl::MutexLock lock(&s.mu);
  auto ready = [&s]()
                   ABSL_SHARED_LOCKS_REQUIRED(s.mu) { return !s.shed_jobs.empty() || s.stopping; };
  while (true) {
    const bool woke = s.mu.AwaitWithTimeout(absl::Condition(&ready), s.options.idle_timeout);
    if (!s.shed_jobs.empty()) {
      std::function<void()> fn = std::move(s.shed_jobs.front());
      s.shed_jobs.pop_front();
      s.mu.Unlock();
      fn();
      fn = nullptr;
      s.mu.Lock();
      continue;
    }
    if (s.stopping || !woke) {
      break;
    }
  }
  s.shed_thread = false;
}

void ElasticTaskQueue::shutdown() {
  State& s = *state_;
  absl::MutexLock lock(&s.mu);
  s.stopping = true;
  // Queued connections still run (they see the server stopped and close).
  auto done = [&s]() ABSL_SHARED_LOCKS_REQUIRED(s.mu) { return s.threads == 0 && !s.shed_thread; };
  s.mu.Await(absl::Condition(&done));
}

}  // namespace salesops::gateway
