// Tests for the Prometheus text exposition (0.0.4) of counters, gauges and
// histograms, and for the /metrics HTTP endpoint.
#include "common/metrics/metrics.h"

#include <httplib.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A counter renders HELP, TYPE and one sample per label set, labels sorted by name.
TEST(MetricsTest, CounterRendering) {
  MetricsRegistry m;
  m.GetCounter("salesops_rpc_total", "RPCs handled", {{"method", "GetOrgUnit"}, {"code", "OK"}})
      .Increment();
  m.GetCounter("salesops_rpc_total", "RPCs handled", {{"method", "GetOrgUnit"}, {"code", "OK"}})
      .Increment(2);
  m.GetCounter("salesops_rpc_total", "RPCs handled", {{"method", "ListMembers"}, {"code", "OK"}})
      .Increment();
  EXPECT_EQ(m.Render(),
            "# HELP salesops_rpc_total RPCs handled\n"
            "# TYPE salesops_rpc_total counter\n"
            "salesops_rpc_total{code=\"OK\",method=\"GetOrgUnit\"} 3\n"
            "salesops_rpc_total{code=\"OK\",method=\"ListMembers\"} 1\n");
}

// GetCounter returns the same object for the same name and labels, so callers can cache it.
TEST(MetricsTest, CounterIdentity) {
  MetricsRegistry m;
  Counter& a = m.GetCounter("c_total", "h", {{"k", "v"}});
  Counter& b = m.GetCounter("c_total", "h", {{"k", "v"}});
  Counter& other = m.GetCounter("c_total", "h", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  a.Increment(0.5);
  EXPECT_EQ(b.value(), 0.5);
  EXPECT_EQ(other.value(), 0);
}

// A metric without labels renders with no braces.
TEST(MetricsTest, NoLabels) {
  MetricsRegistry m;
  m.GetCounter("up_total", "Ups", {}).Increment(7);
  EXPECT_THAT(m.Render(), HasSubstr("\nup_total 7\n"));
}

// Gauges are read from their callback at every scrape.
TEST(MetricsTest, GaugeReadAtRenderTime) {
  MetricsRegistry m;
  double backlog = 3;
  m.AddGauge("salesops_outbox_backlog", "Entries not yet published", {{"service", "org"}},
             [&] { return backlog; });
  EXPECT_EQ(m.Render(),
            "# HELP salesops_outbox_backlog Entries not yet published\n"
            "# TYPE salesops_outbox_backlog gauge\n"
            "salesops_outbox_backlog{service=\"org\"} 3\n");
  backlog = 12.5;
  EXPECT_THAT(m.Render(), HasSubstr("salesops_outbox_backlog{service=\"org\"} 12.5\n"));
}

// A callback counter is typed as a counter.
TEST(MetricsTest, CounterFn) {
  MetricsRegistry m;
  m.AddCounterFn("salesops_published_total", "Published", {}, [] { return 42.0; });
  EXPECT_EQ(m.Render(),
            "# HELP salesops_published_total Published\n"
            "# TYPE salesops_published_total counter\n"
            "salesops_published_total 42\n");
}

// Quotes, backslashes and newlines in label values are escaped as the format requires.
TEST(MetricsTest, LabelEscaping) {
  EXPECT_EQ(RenderLabels({}), "");
  EXPECT_EQ(RenderLabels({{"a", "plain"}}), "{a=\"plain\"}");
  EXPECT_EQ(RenderLabels({{"q", "say \"hi\""}}), R"({q="say \"hi\""})");
  EXPECT_EQ(RenderLabels({{"p", R"(C:\dir)"}}), R"({p="C:\\dir"})");
  EXPECT_EQ(RenderLabels({{"n", "two\nlines"}}), R"({n="two\nlines"})");
  EXPECT_EQ(RenderLabels({{"b", "华东"}, {"a", "x"}}), "{a=\"x\",b=\"华东\"}");

  MetricsRegistry m;
  m.GetCounter("c_total", "h", {{"path", "a\"b\\c\nd"}}).Increment();
  EXPECT_THAT(m.Render(), HasSubstr("c_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

// Histogram buckets are cumulative, bounds are inclusive (le), and +Inf, _sum and _count follow.
TEST(MetricsTest, HistogramRendering) {
  MetricsRegistry m;
  Histogram& h =
      m.GetHistogram("salesops_rpc_seconds", "RPC latency", {{"method", "Get"}}, {0.25, 0.5, 1});
  // Binary fractions, so the sum is exact.
  for (double v : {0.125, 0.25, 0.375, 0.75, 2.0}) {
    h.Observe(v);
  }
  EXPECT_EQ(m.Render(),
            "# HELP salesops_rpc_seconds RPC latency\n"
            "# TYPE salesops_rpc_seconds histogram\n"
            "salesops_rpc_seconds_bucket{method=\"Get\",le=\"0.25\"} 2\n"
            "salesops_rpc_seconds_bucket{method=\"Get\",le=\"0.5\"} 3\n"
            "salesops_rpc_seconds_bucket{method=\"Get\",le=\"1\"} 4\n"
            "salesops_rpc_seconds_bucket{method=\"Get\",le=\"+Inf\"} 5\n"
            "salesops_rpc_seconds_sum{method=\"Get\"} 3.5\n"
            "salesops_rpc_seconds_count{method=\"Get\"} 5\n");
}

// A histogram without labels puts le alone in braces; an empty histogram renders zeros.
TEST(MetricsTest, HistogramWithoutLabels) {
  MetricsRegistry m;
  m.GetHistogram("wait_seconds", "Wait", {}, {1, 2});
  EXPECT_EQ(m.Render(),
            "# HELP wait_seconds Wait\n"
            "# TYPE wait_seconds histogram\n"
            "wait_seconds_bucket{le=\"1\"} 0\n"
            "wait_seconds_bucket{le=\"2\"} 0\n"
            "wait_seconds_bucket{le=\"+Inf\"} 0\n"
            "wait_seconds_sum 0\n"
            "wait_seconds_count 0\n");
}

// Snapshot reports cumulative counts ending with the +Inf bucket, the sum and the count.
TEST(MetricsTest, HistogramSnapshot) {
  Histogram h({1, 10});
  h.Observe(0.5);
  h.Observe(1);
  h.Observe(5);
  h.Observe(100);
  std::vector<uint64_t> cumulative;
  double sum = 0;
  uint64_t count = 0;
  h.Snapshot(&cumulative, &sum, &count);
  EXPECT_EQ(cumulative, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_DOUBLE_EQ(sum, 106.5);
  EXPECT_EQ(count, 4u);
}

// The default latency buckets render with their short decimal form as the le label.
TEST(MetricsTest, LatencyBucketLabels) {
  MetricsRegistry m;
  m.GetHistogram("lat_seconds", "Latency", {});
  std::string text = m.Render();
  for (const char* le : {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
    EXPECT_THAT(text, HasSubstr(std::string("lat_seconds_bucket{le=\"") + le + "\"} 0\n"));
  }
  EXPECT_THAT(text, Not(HasSubstr("0000000")));
}

// Sample values are short where possible but never lose precision.
TEST(MetricsTest, ValuesRoundTrip) {
  MetricsRegistry m;
  Counter& c = m.GetCounter("c_total", "h", {});
  c.Increment(0.1);
  c.Increment(0.2);  // 0.30000000000000004, not 0.3
  m.AddGauge("big", "h", {}, [] { return 123456789012.0; });
  m.AddGauge("tiny", "h", {}, [] { return 1e-9; });
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("\nc_total 0.30000000000000004\n"));
  EXPECT_THAT(text, HasSubstr("\nbig 123456789012\n"));
  EXPECT_THAT(text, HasSubstr("\ntiny 1e-09\n"));
}

// Families render in name order, each with its own HELP and TYPE.
TEST(MetricsTest, SeveralFamilies) {
  MetricsRegistry m;
  m.GetCounter("b_total", "B", {}).Increment();
  m.AddGauge("a_gauge", "A", {}, [] { return 1.0; });
  std::string text = m.Render();
  size_t a = text.find("# HELP a_gauge A\n# TYPE a_gauge gauge\n");
  size_t b = text.find("# HELP b_total B\n# TYPE b_total counter\n");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_LT(a, b);
}

// Concurrent increments are not lost.
TEST(MetricsTest, ConcurrentIncrements) {
  MetricsRegistry m;
  Counter& c = m.GetCounter("n_total", "n", {});
  Histogram& h = m.GetHistogram("h_seconds", "h", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        h.Observe(0.5);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(c.value(), 40000);
  EXPECT_THAT(m.Render(), HasSubstr("h_seconds_count 40000\n"));
  EXPECT_THAT(m.Render(), HasSubstr("h_seconds_sum 20000\n"));
}

// The HTTP server on port 0 serves the registry at /metrics and ok at /healthz.
TEST(MetricsHttpServerTest, ServesMetrics) {
  MetricsRegistry m;
  m.GetCounter("salesops_rpc_total", "RPCs handled", {{"code", "OK"}}).Increment(5);
  MetricsHttpServer server(m);
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  ASSERT_GT(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  httplib::Result res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  EXPECT_EQ(res->body, m.Render());
  EXPECT_THAT(res->body, HasSubstr("salesops_rpc_total{code=\"OK\"} 5\n"));

  // Each scrape renders the current values.
  m.GetCounter("salesops_rpc_total", "RPCs handled", {{"code", "OK"}}).Increment();
  res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("salesops_rpc_total{code=\"OK\"} 6\n"));

  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");

  res = client.Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  server.Stop();
  httplib::Client after("127.0.0.1", server.port());
  after.set_connection_timeout(1);
  EXPECT_FALSE(after.Get("/metrics"));
}

// A host that cannot be bound is reported as UNAVAILABLE naming the address.
TEST(MetricsHttpServerTest, BindFailure) {
  MetricsRegistry m;
  MetricsHttpServer server(m);
  absl::Status s = server.Start("host.invalid", 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(s), "METRICS_BIND_FAILED");
  EXPECT_THAT(std::string(s.message()), HasSubstr("host.invalid"));
}

// Stop() right after Start() returns promptly instead of leaving the listener running.
TEST(MetricsHttpServerTest, StopRightAfterStart) {
  for (int i = 0; i < 20; ++i) {
    // Leaked if Stop() hangs, so the stuck thread never touches freed memory.
    auto* registry = new MetricsRegistry;
    auto* server = new MetricsHttpServer(*registry);
    ASSERT_TRUE(server->Start("127.0.0.1", 0).ok());
    std::promise<void> stopped;
    std::future<void> done = stopped.get_future();
    std::thread([server, &stopped] {
      server->Stop();
      stopped.set_value();
    }).detach();
    ASSERT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "Stop() hung on iteration " << i;
    delete server;
    delete registry;
  }
}

}  // namespace
}  // namespace salesops
