// Prometheus metrics: counters, gauges (read from a callback at scrape time)
// and histograms, rendered in the text exposition format (0.0.4), served over
// HTTP /metrics by MetricsHttpServer. Kept small on purpose: Debian has no
// maintained C++ Prometheus client.
//
//   MetricsRegistry metrics;
//   Counter& c = metrics.GetCounter("salesops_rpc_total", "RPCs handled",
//                                   {{"method", "GetOrgUnit"}, {"code", "OK"}});
//   c.Increment();
//   metrics.AddGauge("salesops_outbox_backlog", "Entries not yet published", {},
//                    [&] { return relay.stats().backlog.load(); });
//   std::string text = metrics.Render();
//
// Thread-safe; Get* returns a reference that stays valid for the registry's life.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace httplib {
class Server;
}

namespace salesops {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void Increment(double by = 1) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + by, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Cumulative counts per bound, then +Inf; and the sum.
  void Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Latency buckets in seconds, 0.5 ms .. 10 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels);
  Histogram& GetHistogram(const std::string& name, const std::string& help, const Labels& labels,
                          const std::vector<double>& bounds = LatencyBuckets());
  void AddGauge(const std::string& name, const std::string& help, const Labels& labels,
                std::function<double()> read);
  // A counter whose value is kept elsewhere (e.g. a component's stats).
  void AddCounterFn(const std::string& name, const std::string& help, const Labels& labels,
                    std::function<double()> read);

  std::string Render() const;

 private:
  struct Family {
    std::string type, help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // by rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
    std::map<std::string, std::function<double()>> gauges;
  };
  Family& GetFamily(const std::string& name, const std::string& type, const std::string& help)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
};

// Renders {a="x",b="y"} with escaping ("" for no labels).
std::string RenderLabels(const Labels& labels);

// Serves GET /metrics (and GET /healthz) on its own thread.
class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(const MetricsRegistry& registry);
  ~MetricsHttpServer();
  // Port 0 picks a free one; see port().
  absl::Status Start(const std::string& host, int port);
  void Stop();
  int port() const { return port_; }

 private:
  const MetricsRegistry& registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listener_done_{false};  // listen_after_bind() has returned
  int port_ = 0;
};

}  // namespace salesops
