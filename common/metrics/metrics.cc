#include "common/metrics/metrics.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"

namespace salesops {
namespace {

void AtomicAdd(std::atomic<double>& a, double by) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + by, std::memory_order_relaxed)) {
  }
}

// The fewest digits that read back as the same double: "0.1" and "0.0005",
// not "0.10000000000000001", so le labels match what dashboards and other
// Prometheus clients use.
std::string FormatValue(double v) {
  std::string s = absl::StrFormat("%.15g", v);
  double back = 0;
  if (!absl::SimpleAtod(s, &back) || back != v) {
    s = absl::StrFormat("%.17g", v);
  }
  return s;
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string WithLe(const std::string& labels, const std::string& le) {
  std::string le_pair = absl::StrCat("le=\"", le, "\"");
  if (labels.empty()) {
    return absl::StrCat("{", le_pair, "}");
  }
  return absl::StrCat(labels.substr(0, labels.size() - 1), ",", le_pair, "}");
}

}  // namespace

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    buckets_[i] = 0;
  }
}

void Histogram::Observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const {
  cumulative->clear();
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    cumulative->push_back(running);
  }
  *sum = sum_.load(std::memory_order_relaxed);
  *count = running;
}

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) {
    return "";
  }
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    absl::StrAppend(&out, first ? "" : ",", k, "=\"", EscapeLabelValue(v), "\"");
    first = false;
  }
  out += "}";
  return out;
}

MetricsRegistry::Family& MetricsRegistry::GetFamily(const std::string& name,
                                                    const std::string& type,
                                                    const std::string& help) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  }
  return f;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  absl::MutexLock lock(&mu_);
  auto& slot = GetFamily(name, "counter", help).counters[RenderLabels(labels)];
  if (!slot) {
    slot = std::make_unique<Counter>();
  }
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const Labels& labels, const std::vector<double>& bounds) {
  absl::MutexLock lock(&mu_);
  auto& slot = GetFamily(name, "histogram", help).histograms[RenderLabels(labels)];
  if (!slot) {
    slot = std::make_unique<Histogram>(bounds);
  }
  return *slot;
}

void MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                               const Labels& labels, std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  GetFamily(name, "gauge", help).gauges[RenderLabels(labels)] = std::move(read);
}

void MetricsRegistry::AddCounterFn(const std::string& name, const std::string& help,
                                   const Labels& labels, std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  GetFamily(name, "counter", help).gauges[RenderLabels(labels)] = std::move(read);
}

std::string MetricsRegistry::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name, " ", f.type, "\n");
    for (const auto& [labels, c] : f.counters) {
      absl::StrAppend(&out, name, labels, " ", FormatValue(c->value()), "\n");
    }
    for (const auto& [labels, read] : f.gauges) {
      absl::StrAppend(&out, name, labels, " ", FormatValue(read()), "\n");
    }
    for (const auto& [labels, h] : f.histograms) {
      std::vector<uint64_t> cumulative;
      double sum = 0;
      uint64_t count = 0;
      h->Snapshot(&cumulative, &sum, &count);
      for (size_t i = 0; i < h->bounds().size(); ++i) {
        absl::StrAppend(&out, name, "_bucket", WithLe(labels, FormatValue(h->bounds()[i])), " ",
                        cumulative[i], "\n");
      }
      absl::StrAppend(&out, name, "_bucket", WithLe(labels, "+Inf"), " ", count, "\n");
      absl::StrAppend(&out, name, "_sum", labels, " ", FormatValue(sum), "\n");
      absl::StrAppend(&out, name, "_count", labels, " ", count, "\n");
    }
  }
  return out;
}

MetricsHttpServer::MetricsHttpServer(const MetricsRegistry& registry) : registry_(registry) {}
MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::Status MetricsHttpServer::Start(const std::string& host, int port) {
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ < 0) {
    return Unavailable("METRICS_BIND_FAILED", absl::StrCat("cannot bind ", host, ":", port));
  }
  listener_done_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listener_done_ = true;
  });
  return absl::OkStatus();
}

void MetricsHttpServer::Stop() {
  if (server_) {
    // httplib's stop() does nothing until listen_after_bind() is running, so a
    // Stop() right after Start() would leave the listener up and hang join().
    while (thread_.joinable() && !server_->is_running() && !listener_done_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server_->stop();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace salesops
