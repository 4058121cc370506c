// The HTTP side in process, on a free loopback port, with a fake backend and
// a real hub: Connect calls with CORS, the body size limit (also for gzip
// bodies), gzip responses, the dashboard's files, health, 405 for GET of an
// RPC, and the live stream (authentication, events by scope, heartbeats).
#include "services/gateway/http/gateway_http_server.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "salesops/org/v1/org_service.pb.h"
#include "services/gateway/http/gzip.h"
#include "services/gateway/store/in_memory_org_view.h"

namespace salesops::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "gateway-http-test-secret-0123456789abcdef";
constexpr char kGetUnit[] = "/salesops.org.v1.OrgService/GetOrgUnit";
constexpr char kOrigin[] = "https://dash.example.com";

class FakeBackend final : public UnaryBackend {
 public:
  bool Serves(absl::string_view) const override { return true; }
  BackendResult Call(const BackendCall& call) override {
    salesops::org::v1::GetOrgUnitResponse resp;
    resp.mutable_org_unit()->set_name("orgUnits/east");
    // Long enough to be worth compressing.
    resp.mutable_org_unit()->set_display_name(std::string(3000, 'x'));
    BackendResult r;
    r.response = resp.SerializeAsString();
    last_authorization.clear();
    for (const auto& [k, v] : call.metadata) {
      if (k == "authorization") {
        last_authorization = v;
      }
    }
    return r;
  }
  std::string last_authorization;
};

class GatewayHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_.Unit("r1", "", /*region=*/true);
    org_.Unit("t1", "r1");
    char tmpl[] = "/tmp/gw-http-XXXXXX";
    web_ = mkdtemp(tmpl);
    std::ofstream(web_ + "/index.html") << "<!doctype html><title>SalesOps</title>";
    registry_ =
        std::make_unique<MethodRegistry>(MethodRegistry::FromGeneratedPool(KnownFamilies()));
    transcoder_ = std::make_unique<ConnectTranscoder>(*registry_, backend_, TranscoderOptions{});
    verifier_ = std::make_unique<JwtVerifier>(
        JwtVerifierOptions{.hs256_secret = kSecret, .audience = "salesops.gateway"}, clock_);
    auth_ = std::make_unique<StreamAuthenticator>(*verifier_, nullptr, org_);
    HttpServerOptions o;
    o.port = 0;
    o.max_request_bytes = 8 * 1024;
    o.heartbeat = absl::Seconds(1);
    server_ = std::make_unique<GatewayHttpServer>(o, *transcoder_, *registry_, &hub_, auth_.get(),
                                                  *CorsPolicy::Parse(kOrigin), StaticFiles(web_),
                                                  metrics_, [] {
                                                    return nlohmann::json{{"stream", "live"}};
                                                  });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    std::filesystem::remove_all(web_);
  }

  std::string Token(Role role, const std::string& member, const std::string& unit) {
    JwtMintOptions opts;
    opts.key = kSecret;
    return *MintJwt(opts, Principal{member, role, unit}, absl::Hours(1), absl::Now());
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_decompress(false);
    c.set_read_timeout(10, 0);
    return c;
  }

  std::string web_;
  SystemClock clock_;
  FakeBackend backend_;
  InMemoryOrgView org_;  // t1 in region r1; no members
  EventHub hub_{HubOptions{}};
  MetricsRegistry metrics_;
  std::unique_ptr<MethodRegistry> registry_;
  std::unique_ptr<ConnectTranscoder> transcoder_;
  std::unique_ptr<JwtVerifier> verifier_;
  std::unique_ptr<StreamAuthenticator> auth_;
  std::unique_ptr<GatewayHttpServer> server_;
};

// The most connections the kernel holds for the TCP socket listening on
// 127.0.0.1:`port` before they are accepted (what `ss -lnt` shows as Send-Q),
// read with sock_diag; -1 when none is found.
int ListenBacklog(int port) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    return -1;
  }
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } query{};
  query.header.nlmsg_len = sizeof(query);
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  query.request.sdiag_family = AF_INET;
  query.request.sdiag_protocol = IPPROTO_TCP;
  query.request.idiag_states = 1u << TCP_LISTEN;
  int backlog = -1;
  if (::send(fd, &query, sizeof(query), 0) == static_cast<ssize_t>(sizeof(query))) {
    std::vector<char> buf(64 * 1024);
    for (bool done = false; !done;) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) {
        break;
      }
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, n);
           h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        auto* msg = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
        if (ntohs(msg->id.idiag_sport) == port) {
          backlog = static_cast<int>(msg->idiag_wqueue);  // a listener's: its backlog
        }
      }
    }
  }
  ::close(fd);
  return backlog;
}

int SoMaxConn() {
  int v = 0;
  std::ifstream("/proc/sys/net/core/somaxconn") >> v;
  return v;
}

// cpp-httplib (Debian's build) listens with a backlog of 5: a burst of
// connections (every phone reconnecting after a gateway restart; `make
// bench`'s SSE fan-out opening 100 at once on a busy machine) overflowed it and
// the kernel reset some. The gateway listens again with its own.
TEST_F(GatewayHttpServerTest, TheListenQueueHoldsABurstOfConnections) {
  const int somaxconn = SoMaxConn();
  ASSERT_GT(somaxconn, 5);
  EXPECT_EQ(ListenBacklog(server_->port()),
            std::min(HttpServerOptions{}.listen_backlog, somaxconn));
}

TEST_F(GatewayHttpServerTest, ConnectCallWithCorsHeadersForTheAllowedOrigin) {
  httplib::Client c = Client();
  httplib::Result r = c.Post(kGetUnit, {{"Authorization", "Bearer abc"}, {"Origin", kOrigin}},
                             R"({"name":"orgUnits/east"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), kOrigin);
  EXPECT_EQ(r->get_header_value("X-Trace-Id").size(), 32u);
  EXPECT_EQ(nlohmann::json::parse(r->body)["orgUnit"]["name"], "orgUnits/east");
  EXPECT_EQ(backend_.last_authorization, "Bearer abc");
  // Another origin gets no CORS headers (the browser keeps the answer from it).
  r = c.Post(kGetUnit, {{"Origin", "https://evil.example"}}, "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
}

TEST_F(GatewayHttpServerTest, Preflight) {
  httplib::Client c = Client();
  httplib::Result r = c.Options(
      kGetUnit,
      {{"Origin", kOrigin},
       {"Access-Control-Request-Method", "POST"},
       {"Access-Control-Request-Headers", "content-type,authorization,connect-protocol-version"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), kOrigin);
  r = c.Options(kGetUnit,
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(GatewayHttpServerTest, BodiesOverTheLimitAre413EvenWhenGzipped) {
  httplib::Client c = Client();
  const std::string big = R"({"name":")" + std::string(9000, 'a') + R"("})";
  httplib::Result r = c.Post(kGetUnit, big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(nlohmann::json::parse(r->body)["code"], "resource_exhausted");
  // Small on the wire, large inflated.
  const std::string gz = GzipCompress(big);
  ASSERT_LT(gz.size(), 1000u);
  r = Client().Post(kGetUnit, {{"Content-Encoding", "gzip"}}, gz, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // A gzipped body within the limit is fine.
  r = Client().Post(kGetUnit, {{"Content-Encoding", "gzip"}}, GzipCompress(R"({"name":"x"})"),
                    "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(GatewayHttpServerTest, ResponsesAreGzippedWhenAccepted) {
  httplib::Client c = Client();
  httplib::Result r = c.Post(kGetUnit, {{"Accept-Encoding", "gzip, br"}}, "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  absl::StatusOr<std::string> plain = GzipDecompress(r->body, 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_THAT(*plain, HasSubstr("orgUnits/east"));
  r = c.Post(kGetUnit, "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("Content-Encoding"));
}

TEST_F(GatewayHttpServerTest, GetOfAnRpcIs405AndUnknownApiPathsAre404Json) {
  httplib::Client c = Client();
  httplib::Result r = c.Get(kGetUnit);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  r = c.Get("/v1/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["code"], "not_found");
  r = c.Post("/salesops.org.v1.OrgService/Nope", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["code"], "unimplemented");
  r = c.Post("/not-an-rpc", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NO_THROW(nlohmann::json::parse(r->body));
}

TEST_F(GatewayHttpServerTest, DashboardFilesWithClientSideRoutingAndRevalidation) {
  httplib::Client c = Client();
  httplib::Result r = c.Get("/teams/east-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("<title>SalesOps</title>"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
  const std::string etag = r->get_header_value("ETag");
  r = c.Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  r = c.Get("/missing.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(GatewayHttpServerTest, Health) {
  httplib::Result r = Client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  nlohmann::json h = nlohmann::json::parse(r->body);
  EXPECT_EQ(h["status"], "serving");
  EXPECT_EQ(h["stream"], "live");
}

TEST_F(GatewayHttpServerTest, StreamNeedsAValidGatewayToken) {
  httplib::Client c = Client();
  httplib::Result r = c.Get("/v1/stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(nlohmann::json::parse(r->body)["code"], "unauthenticated");
  r = c.Get("/v1/stream", {{"Authorization", "Bearer not.a.jwt"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // Minted for another service only.
  JwtMintOptions opts;
  opts.key = kSecret;
  opts.audiences = {"salesops.org"};
  const std::string org_only =
      *MintJwt(opts, Principal{"rep1", Role::kRep, "t1"}, absl::Hours(1), absl::Now());
  r = c.Get("/v1/stream", {{"Authorization", "Bearer " + org_only}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

// Reads a stream on its own thread until `until` holds for what arrived.
class StreamReader {
 public:
  StreamReader(int port, const std::string& path, httplib::Headers headers) {
    thread_ = std::thread([=, this] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(20, 0);
      c.Get(path, headers, [this](const char* data, size_t n) {
        absl::MutexLock lock(&mu_);
        text_.append(data, n);
        return !stop_;
      });
      absl::MutexLock lock(&mu_);
      ended_ = true;
    });
  }
  ~StreamReader() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  // Waits until the text so far contains `s` (true) or `timeout` passes.
  bool WaitFor(const std::string& s, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto has = [&]() { return absl::StrContains(text_, s) || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&has), timeout);
    return absl::StrContains(text_, s);
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 private:
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

StreamEvent Event(int64_t offset, const std::string& owner) {
  StreamEvent e;
  e.position = {"salesops.customers.events.v1", 0, offset};
  e.scope.AddMember(owner);
  e.frame = std::make_shared<const LazyFrame>("id: salesops.customers.events.v1-0-" +
                                              std::to_string(offset) + "\nevent: x\ndata: {}\n\n");
  return e;
}

TEST_F(GatewayHttpServerTest, StreamDeliversTheViewersEventsWithHeartbeats) {
  StreamReader rep1(server_->port(), "/v1/stream",
                    {{"Authorization", "Bearer " + Token(Role::kRep, "rep1", "t1")}});
  StreamReader rep2(server_->port(), "/v1/stream?access_token=" + Token(Role::kRep, "rep2", "t1"),
                    {});
  ASSERT_TRUE(rep1.WaitFor(": subscribed", absl::Seconds(10))) << rep1.text();
  ASSERT_TRUE(rep2.WaitFor(": subscribed", absl::Seconds(10))) << rep2.text();
  hub_.Publish(Event(7, "rep1"));
  hub_.Publish(Event(8, "rep2"));
  EXPECT_TRUE(rep1.WaitFor("customers.events.v1-0-7", absl::Seconds(10)));
  EXPECT_TRUE(rep2.WaitFor("customers.events.v1-0-8", absl::Seconds(10)));
  EXPECT_THAT(rep1.text(), Not(HasSubstr("-0-8")));
  EXPECT_THAT(rep2.text(), Not(HasSubstr("-0-7")));
  EXPECT_THAT(rep1.text(), HasSubstr("retry: 3000"));
  EXPECT_TRUE(rep1.WaitFor(": heartbeat", absl::Seconds(5)));
}

TEST_F(GatewayHttpServerTest, StreamResumesFromLastEventIdOrResets) {
  hub_.Publish(Event(1, "rep1"));
  hub_.Publish(Event(2, "rep1"));
  const std::string token = "Bearer " + Token(Role::kRep, "rep1", "t1");
  {
    StreamReader r(
        server_->port(), "/v1/stream",
        {{"Authorization", token}, {"Last-Event-ID", "salesops.customers.events.v1-0-1"}});
    EXPECT_TRUE(r.WaitFor("events.v1-0-2", absl::Seconds(10))) << r.text();
    EXPECT_THAT(r.text(), Not(HasSubstr("events.v1-0-1\n")));
  }
  StreamReader r(server_->port(), "/v1/stream",
                 {{"Authorization", token}, {"Last-Event-ID", "garbage"}});
  EXPECT_TRUE(r.WaitFor("event: reset", absl::Seconds(10))) << r.text();
}

TEST_F(GatewayHttpServerTest, StopEndsOpenStreams) {
  StreamReader r(server_->port(), "/v1/stream",
                 {{"Authorization", "Bearer " + Token(Role::kAdmin, "admin", "")}});
  ASSERT_TRUE(r.WaitFor(": subscribed", absl::Seconds(10)));
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
}

}  // namespace
}  // namespace salesops::gateway
