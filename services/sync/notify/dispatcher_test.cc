// The dispatcher end to end on this machine: the real Dispatcher and the real
// HttplibTransport (short time-outs) post over loopback to FakeGroupRobot,
// which checks each platform's JSON and recomputes the signatures on its own.
// Time is a FakeClock: RunOnce() is driven by hand and the clock is advanced
// to make retries and leases due, so no test waits on real time except the
// one that needs a real read time-out.
#include "services/sync/notify/dispatcher.h"

#include <algorithm>
#include <latch>
#include <limits>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/notify/platforms.h"
#include "services/sync/store/in_memory_sync_repository.h"
#include "services/sync/testing/fake_group_robot.h"

namespace salesops::sync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kWeComKey[] = "wkSecretKey7741";
constexpr char kDingToken[] = "dtSecretToken8852";
constexpr char kDingSecret[] = "SECdingSecret9963";
constexpr char kFeishuHook[] = "fsSecretHook1074";
constexpr char kFeishuSecret[] = "fsSecret2185";
constexpr char kDeadLettered[] = "salesops.sync.v1.NotificationDeadLettered";
constexpr char kWarningSource[] = "/salesops/warning";

const absl::Duration kReadTimeout = absl::Seconds(1);

DispatcherOptions TestOptions() {
  DispatcherOptions o;
  o.workers = 2;
  o.max_attempts = 4;
  o.backoff_base = absl::Seconds(2);
  o.backoff_cap = absl::Seconds(20);
  o.lease = absl::Seconds(30);
  o.poll_interval = absl::Milliseconds(20);
  return o;
}

HttpOptions TestHttp() {
  HttpOptions o;
  o.connect_timeout = absl::Seconds(1);
  o.read_timeout = kReadTimeout;
  o.write_timeout = absl::Seconds(1);
  return o;
}

class DispatcherTest : public testing::Test {
 protected:
  void SetUp() override {
    robot_.AddWeCom("east-wecom", kWeComKey);
    robot_.AddDingTalk("east-ding", kDingToken, kDingSecret);
    robot_.AddFeishu("west-feishu", kFeishuHook, kFeishuSecret);
    ASSERT_TRUE(robot_.Start().ok());
    const std::string nowhere =
        absl::StrCat("http://127.0.0.1:", robot_.port(), "/nowhere?key=", kWeComKey);
    const std::string json = absl::StrCat(
        R"({"routes": [)",
        R"({"id": "east-wecom", "org_unit": "team-east-1", "platform": "wecom",)",
        R"( "events": ["warning_raised"], "url": ")", robot_.UrlOf("east-wecom"), R"("},)",
        R"({"id": "east-ding", "org_unit": "team-east-2", "platform": "dingtalk",)",
        R"( "events": ["warning_raised"], "url": ")", robot_.UrlOf("east-ding"),
        R"(", "secret": ")", kDingSecret, R"("},)",
        R"({"id": "west-feishu", "org_unit": "team-west-1", "platform": "feishu",)",
        R"( "events": ["warning_raised"], "url": ")", robot_.UrlOf("west-feishu"),
        R"(", "secret": ")", kFeishuSecret, R"("},)",
        R"({"id": "ding-bad-secret", "org_unit": "team-west-2", "platform": "dingtalk",)",
        R"( "events": ["warning_raised"], "url": ")", robot_.UrlOf("east-ding"),
        R"(", "secret": "SECnotTheSecret"},)",
        R"({"id": "feishu-bad-secret", "org_unit": "team-west-3", "platform": "feishu",)",
        R"( "events": ["warning_raised"], "url": ")", robot_.UrlOf("west-feishu"),
        R"(", "secret": "notTheSecret"},)",
        R"({"id": "nowhere", "org_unit": "team-west-4", "platform": "wecom",)",
        R"( "events": ["warning_raised"], "url": ")", nowhere, R"("}]})");
    absl::StatusOr<RouteTable> routes = RouteTable::FromJson(json, "test routes");
    ASSERT_TRUE(routes.ok()) << routes.status();
    routes_ = *std::move(routes);
    http_ = std::make_unique<HttplibTransport>(TestHttp());
  }

  Dispatcher& NewDispatcher(
      WebhookTransport* http = nullptr, DispatcherOptions options = TestOptions(),
      std::function<double()> jitter = [] { return 0.5; }, SyncRepository* repo = nullptr) {
    dispatchers_.push_back(std::make_unique<Dispatcher>(repo != nullptr ? *repo : repo_, routes_,
                                                        http != nullptr ? *http : *http_, clock_,
                                                        options, nullptr, std::move(jitter)));
    return *dispatchers_.back();
  }

  // A PENDING delivery, written as the notification projection writes it.
  std::string Enqueue(const std::string& route, const std::string& event_id,
                      const std::string& title = "") {
    const absl::Time now = clock_.Now();
    const std::string id = DeliveryId(route, kWarningSource, event_id);
    v1::NotificationDelivery d;
    d.set_name(Name(kDeliveryColl, id));
    d.set_route(Name(kRouteColl, route));
    d.set_event_type("salesops.warning.v1.WarningRaised");
    d.set_event_source(kWarningSource);
    d.set_event_id(event_id);
    d.set_subject(absl::StrCat("warnings/", event_id));
    d.set_title(title.empty() ? absl::StrCat("回款预警 ", event_id) : title);
    d.set_text(absl::StrCat("**客户** 华东精密 — 回款逾期 30 天 (", event_id, ")"));
    d.set_state(v1::DELIVERY_STATE_PENDING);
    *d.mutable_next_attempt_time() = ToTs(now);
    *d.mutable_create_time() = ToTs(now);
    *d.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kDelivery, id, d, 0);
    c.Schedule(kDeliveryDue, id, absl::ToUnixMillis(now));
    EXPECT_TRUE(repo_.Commit(c).ok());
    return id;
  }

  // `n` deliveries for `route`, a millisecond apart, titled `<prefix><first + i>`.
  struct Burst {
    std::vector<std::string> ids;
    std::vector<std::string> titles;
  };
  Burst EnqueueBurst(const std::string& route, int n, const std::string& prefix, int first) {
    Burst b;
    for (int i = first; i < first + n; ++i) {
      b.titles.push_back(absl::StrCat(prefix, i));
      b.ids.push_back(Enqueue(route, absl::StrCat("b-", i), b.titles.back()));
      clock_.Advance(absl::Milliseconds(1));
    }
    return b;
  }

  // What a group's robot got, by title, in order.
  std::vector<std::string> TitlesOf(const std::string& robot) {
    std::vector<std::string> titles;
    for (const RobotMessage& m : robot_.MessagesOf(robot)) {
      titles.push_back(m.title);
    }
    return titles;
  }

  v1::NotificationDelivery Load(const std::string& id) {
    auto loaded = LoadDoc<v1::NotificationDelivery>(repo_, DocKind::kDelivery, id);
    EXPECT_TRUE(loaded.ok() && loaded->has_value()) << id;
    return loaded.ok() && loaded->has_value() ? (*loaded)->doc : v1::NotificationDelivery();
  }

  int Run(Dispatcher& d) {
    absl::StatusOr<int> n = d.RunOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  std::vector<v1::NotificationDeadLettered> DeadLetters() {
    std::vector<v1::NotificationDeadLettered> out;
    for (const OutEvent& e : repo_.EventsOfType(kDeadLettered)) {
      absl::StatusOr<v1::NotificationDeadLettered> p =
          DecodePayload<v1::NotificationDeadLettered>(e.event);
      EXPECT_TRUE(p.ok()) << p.status();
      if (p.ok()) {
        out.push_back(*p);
      }
    }
    return out;
  }

  bool Scheduled(const std::string& schedule, const std::string& id) {
    absl::StatusOr<std::vector<std::string>> due =
        repo_.Due(schedule, std::numeric_limits<int64_t>::max(), 1000);
    EXPECT_TRUE(due.ok());
    return due.ok() && std::find(due->begin(), due->end(), id) != due->end();
  }

  // Destroyed in reverse: dispatchers, then transports (closing their kept-
  // alive connections), then the robot.
  FakeClock clock_{absl::FromUnixSeconds(1'760'000'000)};
  InMemorySyncRepository repo_{clock_};
  FakeGroupRobot robot_{clock_};
  RouteTable routes_;
  std::unique_ptr<HttplibTransport> http_;
  std::vector<std::unique_ptr<HttplibTransport>> more_http_;
  std::vector<std::unique_ptr<Dispatcher>> dispatchers_;
};

// Each platform gets its own format; the fake checks the DingTalk and Feishu signatures.
TEST_F(DispatcherTest, DeliversToEachPlatformInItsFormatSigned) {
  Dispatcher& d = NewDispatcher();
  const std::string wecom = Enqueue("east-wecom", "w-1", "回款预警 华东精密");
  const std::string ding = Enqueue("east-ding", "w-2", "回款预警 华南五金");
  const std::string feishu = Enqueue("west-feishu", "w-3", "Warning: Acme overdue");

  EXPECT_EQ(Run(d), 3);

  EXPECT_THAT(robot_.rejected(), IsEmpty());
  ASSERT_EQ(robot_.messages().size(), 3u);
  const auto w = robot_.MessagesOf("east-wecom");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].platform, v1::NOTIFY_PLATFORM_WECOM);
  EXPECT_EQ(w[0].title, "回款预警 华东精密");
  EXPECT_THAT(w[0].text, HasSubstr("回款逾期 30 天 (w-1)"));
  const auto g = robot_.MessagesOf("east-ding");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].platform, v1::NOTIFY_PLATFORM_DINGTALK);
  EXPECT_EQ(g[0].title, "回款预警 华南五金");
  EXPECT_THAT(g[0].text, HasSubstr("(w-2)"));
  const auto f = robot_.MessagesOf("west-feishu");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].platform, v1::NOTIFY_PLATFORM_FEISHU);
  EXPECT_EQ(f[0].title, "Warning: Acme overdue");
  EXPECT_THAT(f[0].text, HasSubstr("(w-3)"));

  for (const std::string& id : {wecom, ding, feishu}) {
    const v1::NotificationDelivery stored = Load(id);
    EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_SENT) << id;
    EXPECT_EQ(stored.attempts(), 1) << id;
    EXPECT_EQ(FromTs(stored.sent_time()), clock_.Now()) << id;
    EXPECT_EQ(stored.last_error(), "") << id;
  }
  EXPECT_THAT(repo_.EventsOfType(kDeadLettered), IsEmpty());
}

// The fake really checks signatures: a wrong secret is refused with the platform's error body.
TEST_F(DispatcherTest, FakeRobotRefusesWrongSecrets) {
  Dispatcher& d = NewDispatcher();
  const std::string ding = Enqueue("ding-bad-secret", "w-1");
  const std::string feishu = Enqueue("feishu-bad-secret", "w-2");

  EXPECT_EQ(Run(d), 2);

  EXPECT_THAT(robot_.messages(), IsEmpty());
  const auto rejected = robot_.rejected();
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].reason, "sign mismatch");
  EXPECT_EQ(rejected[1].reason, "sign mismatch");
  // Answered 200 with an error code, as the platforms do: retried, not dead.
  EXPECT_EQ(Load(ding).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(Load(ding).last_error(), "errcode 310000");
  EXPECT_EQ(Load(feishu).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(Load(feishu).last_error(), "code 19021");
}

// A signature more than an hour away from the platform's clock is refused.
TEST_F(DispatcherTest, FakeRobotRefusesStaleTimestamps) {
  FakeClock platform_clock(clock_.Now() + absl::Minutes(61));
  FakeGroupRobot late(platform_clock);
  late.AddDingTalk("ding", kDingToken, kDingSecret);
  late.AddFeishu("feishu", kFeishuHook, kFeishuSecret);
  ASSERT_TRUE(late.Start().ok());
  absl::StatusOr<RouteTable> routes = RouteTable::FromJson(
      absl::StrCat(R"({"routes": [{"id": "ding", "org_unit": "u1", "platform": "dingtalk",)",
                   R"( "events": ["warning_raised"], "url": ")", late.UrlOf("ding"),
                   R"(", "secret": ")", kDingSecret, R"("},)",
                   R"({"id": "feishu", "org_unit": "u2", "platform": "feishu",)",
                   R"( "events": ["warning_raised"], "url": ")", late.UrlOf("feishu"),
                   R"(", "secret": ")", kFeishuSecret, R"("}]})"),
      "test routes");
  ASSERT_TRUE(routes.ok()) << routes.status();
  {
    HttplibTransport http(TestHttp());
    Dispatcher d(repo_, *routes, http, clock_, TestOptions(), nullptr, [] { return 0.5; });
    Enqueue("ding", "w-1");
    Enqueue("feishu", "w-2");
    EXPECT_EQ(Run(d), 2);
  }
  EXPECT_THAT(late.messages(), IsEmpty());
  const auto rejected = late.rejected();
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].reason, "timestamp not within one hour");
  EXPECT_EQ(rejected[1].reason, "timestamp not within one hour");
}

// HTTP 500, then OK: one retry after the backoff, and nothing before it is due.
TEST_F(DispatcherTest, ServerErrorIsRetriedOnceAfterTheBackoffNotBefore) {
  Dispatcher& d = NewDispatcher();
  robot_.Script("east-ding", {RobotAnswer::Http(500)});
  const std::string id = Enqueue("east-ding", "w-1");
  const absl::Time first = clock_.Now();

  EXPECT_EQ(Run(d), 1);
  v1::NotificationDelivery stored = Load(id);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(stored.attempts(), 1);
  EXPECT_EQ(stored.last_error(), "HTTP 500");
  // Retry 1 with jitter 0.5: half of 2 s plus half of the other half.
  const absl::Time next = FromTs(stored.next_attempt_time());
  EXPECT_EQ(next, first + absl::Milliseconds(1500));

  clock_.Set(next - absl::Milliseconds(1));
  EXPECT_EQ(Run(d), 0);
  EXPECT_EQ(robot_.requests(), 1);

  clock_.Set(next);
  EXPECT_EQ(Run(d), 1);
  EXPECT_EQ(robot_.requests(), 2);
  ASSERT_EQ(robot_.messages().size(), 1u);
  stored = Load(id);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(stored.attempts(), 2);
  EXPECT_EQ(stored.last_error(), "");
}

// Rate limits (HTTP 429) and the platforms' own error codes are retried.
TEST_F(DispatcherTest, RateLimitsAndPlatformErrorsAreRetried) {
  Dispatcher& d = NewDispatcher();
  robot_.Script("east-wecom", {RobotAnswer::Http(429)});
  robot_.Script("east-ding", {RobotAnswer::PlatformError(130101)});   // send too fast
  robot_.Script("west-feishu", {RobotAnswer::PlatformError(11232)});  // frequency limited
  const std::string wecom = Enqueue("east-wecom", "w-1");
  const std::string ding = Enqueue("east-ding", "w-2");
  const std::string feishu = Enqueue("west-feishu", "w-3");

  EXPECT_EQ(Run(d), 3);
  EXPECT_THAT(robot_.messages(), IsEmpty());
  EXPECT_EQ(Load(wecom).last_error(), "HTTP 429");
  EXPECT_EQ(Load(ding).last_error(), "errcode 130101");
  EXPECT_EQ(Load(feishu).last_error(), "code 11232");
  for (const std::string& id : {wecom, ding, feishu}) {
    EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_PENDING) << id;
  }

  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Run(d), 3);
  EXPECT_EQ(robot_.messages().size(), 3u);
  for (const std::string& id : {wecom, ding, feishu}) {
    EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT) << id;
    EXPECT_EQ(Load(id).attempts(), 2) << id;
  }
  EXPECT_THAT(repo_.EventsOfType(kDeadLettered), IsEmpty());
}

// No answer within the read time-out: retried. The platform had accepted the
// first request, so the group sees it twice — the limit dispatcher.h states.
TEST_F(DispatcherTest, ReadTimeoutIsRetried) {
  Dispatcher& d = NewDispatcher();
  robot_.Script("east-wecom", {RobotAnswer::Late(kReadTimeout + absl::Seconds(10))});
  const std::string id = Enqueue("east-wecom", "w-1");

  EXPECT_EQ(Run(d), 1);
  v1::NotificationDelivery stored = Load(id);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_THAT(stored.last_error(), HasSubstr("timeout"));

  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Run(d), 1);
  stored = Load(id);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(stored.attempts(), 2);
  EXPECT_EQ(robot_.requests(), 2);
  EXPECT_EQ(robot_.MessagesOf("east-wecom").size(), 2u);
}

// A refusal (4xx other than 408/429) is final: DEAD after one attempt, with a dead letter.
TEST_F(DispatcherTest, RefusedIsDeadAtOnceWithADeadLetter) {
  Dispatcher& d = NewDispatcher();
  robot_.Script("west-feishu", {RobotAnswer::Http(400)});
  const std::string id = Enqueue("west-feishu", "w-1");
  const std::string nowhere = Enqueue("nowhere", "w-2");

  EXPECT_EQ(Run(d), 2);
  v1::NotificationDelivery stored = Load(id);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_DEAD);
  EXPECT_EQ(stored.attempts(), 1);
  EXPECT_EQ(stored.last_error(), "HTTP 400");
  EXPECT_EQ(Load(nowhere).state(), v1::DELIVERY_STATE_DEAD);
  EXPECT_EQ(Load(nowhere).last_error(), "HTTP 404");

  const auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 2u);
  std::set<std::string> names;
  for (const auto& e : dead) {
    names.insert(e.delivery().name());
    EXPECT_EQ(e.delivery().state(), v1::DELIVERY_STATE_DEAD);
    EXPECT_EQ(e.delivery().text(), "");  // the event carries no message text
  }
  EXPECT_EQ(names, (std::set<std::string>{Name(kDeliveryColl, id), Name(kDeliveryColl, nowhere)}));
  EXPECT_EQ(dead[0].reason(), Load(IdOf(dead[0].delivery().name())).last_error());

  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Run(d), 0);
  EXPECT_EQ(robot_.requests(), 2);
}

// Retryable failures until max_attempts: DEAD after the last, with one dead letter.
TEST_F(DispatcherTest, ExhaustedAttemptsAreDeadWithADeadLetter) {
  DispatcherOptions options = TestOptions();
  options.max_attempts = 3;
  Dispatcher& d = NewDispatcher(nullptr, options);
  robot_.Script("east-ding", {RobotAnswer::Http(500), RobotAnswer::Http(503),
                              RobotAnswer::Http(502), RobotAnswer::Ok()});
  const std::string id = Enqueue("east-ding", "w-1");

  for (int attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_EQ(Run(d), 1) << attempt;
    EXPECT_EQ(Load(id).attempts(), attempt);
    clock_.Advance(options.backoff_cap);
  }
  const v1::NotificationDelivery stored = Load(id);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_DEAD);
  EXPECT_EQ(stored.last_error(), "HTTP 502");
  const auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].delivery().name(), Name(kDeliveryColl, id));
  EXPECT_EQ(dead[0].reason(), "HTTP 502");
  EXPECT_EQ(dead[0].delivery().attempts(), 3);

  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Run(d), 0);
  EXPECT_EQ(robot_.requests(), 3);
  EXPECT_THAT(robot_.messages(), IsEmpty());
}

// With a fixed jitter each retry lands inside [half, all] of min(cap, base * 2^(n-1)).
TEST_F(DispatcherTest, BackoffWithFixedJitterLandsInsideItsWindow) {
  DispatcherOptions options = TestOptions();
  options.max_attempts = 6;
  options.backoff_base = absl::Seconds(2);
  options.backoff_cap = absl::Seconds(5);
  const std::vector<double> jitters = {0.0, 0.999, 0.25, 0.5};
  auto next_jitter = std::make_shared<size_t>(0);
  Dispatcher& d = NewDispatcher(nullptr, options, [jitters, next_jitter] {
    return jitters[(*next_jitter)++ % jitters.size()];
  });
  robot_.Script("west-feishu", std::vector<RobotAnswer>(4, RobotAnswer::Http(503)));
  const std::string id = Enqueue("west-feishu", "w-1");

  const std::vector<absl::Duration> windows = {absl::Seconds(2), absl::Seconds(4), absl::Seconds(5),
                                               absl::Seconds(5)};
  for (int retry = 1; retry <= 4; ++retry) {
    const absl::Time attempt_time = clock_.Now();
    ASSERT_EQ(Run(d), 1) << retry;
    const v1::NotificationDelivery stored = Load(id);
    ASSERT_EQ(stored.state(), v1::DELIVERY_STATE_PENDING) << retry;
    const absl::Duration wait = FromTs(stored.next_attempt_time()) - attempt_time;
    const absl::Duration window = windows[retry - 1];
    EXPECT_GE(wait, window / 2) << retry;
    EXPECT_LE(wait, window) << retry;
    EXPECT_EQ(wait, window / 2 + (window / 2) * jitters[retry - 1]) << retry;

    clock_.Set(attempt_time + wait - absl::Milliseconds(1));
    EXPECT_EQ(Run(d), 0) << retry;
    clock_.Set(attempt_time + wait);
  }
  EXPECT_EQ(Run(d), 1);
  EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(Load(id).attempts(), 5);
}

// Once SENT a delivery is never posted again, even if a stale due entry points at it.
TEST_F(DispatcherTest, SentDeliveryIsNeverPostedAgain) {
  Dispatcher& d = NewDispatcher();
  const std::string id = Enqueue("east-ding", "w-1");
  EXPECT_EQ(Run(d), 1);
  EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT);

  EXPECT_EQ(Run(d), 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Run(d), 0);

  Change stale;
  stale.Schedule(kDeliveryDue, id, absl::ToUnixMillis(clock_.Now()));
  ASSERT_TRUE(repo_.Commit(stale).ok());
  EXPECT_EQ(Run(d), 0);
  EXPECT_FALSE(Scheduled(kDeliveryDue, id));

  EXPECT_EQ(robot_.requests(), 1);
  EXPECT_EQ(robot_.messages().size(), 1u);
}

// Two replicas over one repository, racing RunOnce: each delivery is posted exactly once.
TEST_F(DispatcherTest, TwoReplicasPostEachDeliveryExactlyOnce) {
  more_http_.push_back(std::make_unique<HttplibTransport>(TestHttp()));
  Dispatcher& a = NewDispatcher();
  Dispatcher& b = NewDispatcher(more_http_.back().get());
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    for (const char* route : {"east-wecom", "east-ding", "west-feishu"}) {
      ids.insert(Enqueue(route, absl::StrCat("w-", i), absl::StrCat(route, " #", i)));
    }
    clock_.Advance(absl::Milliseconds(1));
  }

  std::latch go(2);
  absl::StatusOr<int> attempted_a = 0;
  absl::StatusOr<int> attempted_b = 0;
  std::thread ta([&] {
    go.arrive_and_wait();
    attempted_a = a.RunOnce();
  });
  std::thread tb([&] {
    go.arrive_and_wait();
    attempted_b = b.RunOnce();
  });
  ta.join();
  tb.join();
  ASSERT_TRUE(attempted_a.ok() && attempted_b.ok());
  EXPECT_EQ(*attempted_a + *attempted_b, 30);

  const auto messages = robot_.messages();
  EXPECT_EQ(messages.size(), 30u);
  std::set<std::string> titles;
  for (const RobotMessage& m : messages) {
    titles.insert(m.title);
  }
  EXPECT_EQ(titles.size(), 30u);
  for (const std::string& id : ids) {
    EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT) << id;
    EXPECT_EQ(Load(id).attempts(), 1) << id;
  }
  EXPECT_EQ(Run(a) + Run(b), 0);
  EXPECT_EQ(robot_.requests(), 30);
}

// Forwards the POST for real, then the process "dies" before the answer is
// recorded: the exception unwinds RunOnce past its record step, leaving the
// repository exactly as kill -9 between POST and record would.
struct ProcessKilled {};
class DyingTransport final : public WebhookTransport {
 public:
  explicit DyingTransport(WebhookTransport& real) : real_(real) {}
  HttpResult Post(const std::string& url, const std::string& json_body) override {
    (void)real_.Post(url, json_body);
    throw ProcessKilled{};
  }

 private:
  WebhookTransport& real_;
};

// A crash mid-delivery leaves it SENDING; after the lease it is IN_DOUBT and never
// re-posted, while the deliveries that were not in flight go out after the restart.
TEST_F(DispatcherTest, RestartMidDeliveryMarksInDoubtAndSendsTheRest) {
  const std::string in_flight = Enqueue("east-ding", "w-1");  // "east-ding" is attempted first
  const std::string waiting_wecom = Enqueue("east-wecom", "w-2");
  const std::string waiting_feishu = Enqueue("west-feishu", "w-3");
  {
    DyingTransport dying(*http_);
    Dispatcher before_crash(repo_, routes_, dying, clock_, TestOptions());
    EXPECT_THROW((void)before_crash.RunOnce(), ProcessKilled);
  }
  EXPECT_EQ(robot_.MessagesOf("east-ding").size(), 1u);  // the group has it
  EXPECT_EQ(Load(in_flight).state(), v1::DELIVERY_STATE_SENDING);
  EXPECT_EQ(Load(waiting_wecom).state(), v1::DELIVERY_STATE_PENDING);

  Dispatcher& after_restart = NewDispatcher();
  EXPECT_EQ(Run(after_restart), 2);  // the lease has not run out: the one in flight waits
  EXPECT_EQ(Load(waiting_wecom).state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(Load(waiting_feishu).state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(Load(in_flight).state(), v1::DELIVERY_STATE_SENDING);
  EXPECT_THAT(repo_.EventsOfType(kDeadLettered), IsEmpty());

  clock_.Advance(TestOptions().lease);
  EXPECT_EQ(Run(after_restart), 0);
  const v1::NotificationDelivery stored = Load(in_flight);
  EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_IN_DOUBT);
  EXPECT_EQ(stored.attempts(), 1);
  const auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].delivery().name(), Name(kDeliveryColl, in_flight));
  EXPECT_EQ(dead[0].reason(), "IN_DOUBT");

  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Run(after_restart), 0);
  EXPECT_EQ(Load(in_flight).state(), v1::DELIVERY_STATE_IN_DOUBT);
  EXPECT_EQ(robot_.MessagesOf("east-ding").size(), 1u);
  EXPECT_EQ(robot_.requests(), 3);
}

// One route's deliveries go out oldest first (not in id order).
TEST_F(DispatcherTest, OneRoutesDeliveriesGoOutOldestFirst) {
  Dispatcher& d = NewDispatcher();
  for (const char* event : {"c-oldest", "b-middle", "a-newest"}) {
    Enqueue("east-wecom", event, event);
    Enqueue("west-feishu", event, event);
    clock_.Advance(absl::Milliseconds(1));
  }
  EXPECT_EQ(Run(d), 6);
  EXPECT_THAT(TitlesOf("east-wecom"), ElementsAre("c-oldest", "b-middle", "a-newest"));
  EXPECT_THAT(TitlesOf("west-feishu"), ElementsAre("c-oldest", "b-middle", "a-newest"));
}

// More due than a route has posts left this minute: each post carries several,
// oldest first, every delivery in exactly one post and recorded SENT once; a
// route out of posts waits for the minute, then sends a lone delivery as itself.
TEST_F(DispatcherTest, ABurstReachesTheGroupAsDigestsWithinItsPostsAMinute) {
  DispatcherOptions options = TestOptions();
  options.posts_per_minute = 5;
  Dispatcher& d = NewDispatcher(nullptr, options);
  const auto [ids, titles] = EnqueueBurst("east-wecom", 23, "【预警·警告】商机 #", 100);
  const std::string other = Enqueue("west-feishu", "w-other", "another group's");

  EXPECT_EQ(Run(d), 24);
  const std::vector<RobotMessage> posts = robot_.MessagesOf("east-wecom");
  ASSERT_EQ(posts.size(), 5u);  // 23 spread over 5 posts: 5, 5, 5, 4, 4
  std::vector<size_t> where(titles.size(), posts.size());
  for (size_t p = 0; p < posts.size(); ++p) {
    EXPECT_THAT(posts[p].title, HasSubstr("【汇总】"));
    EXPECT_THAT(posts[p].title, HasSubstr("（含预警）"));
    for (size_t t = 0; t < titles.size(); ++t) {
      if (absl::StrContains(posts[p].text, absl::StrCat("**", titles[t], "**"))) {
        EXPECT_EQ(where[t], posts.size()) << titles[t] << " is in two posts";
        where[t] = p;
      }
    }
  }
  for (size_t t = 0; t < titles.size(); ++t) {
    ASSERT_LT(where[t], posts.size()) << titles[t] << " is in no post";
    if (t > 0) {
      EXPECT_GE(where[t], where[t - 1]) << "oldest first";
    }
    const v1::NotificationDelivery stored = Load(ids[t]);
    EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_SENT) << ids[t];
    EXPECT_EQ(stored.attempts(), 1) << ids[t];
  }
  EXPECT_THAT(posts[0].title, HasSubstr("5 条通知"));
  EXPECT_THAT(posts[4].title, HasSubstr("4 条通知"));
  EXPECT_THAT(posts[0].text, HasSubstr("华东精密"));        // each one's first line
  EXPECT_EQ(Load(other).state(), v1::DELIVERY_STATE_SENT);  // its own group's budget
  ASSERT_EQ(robot_.MessagesOf("west-feishu").size(), 1u);
  EXPECT_EQ(robot_.MessagesOf("west-feishu")[0].title, "another group's");

  // Out of posts for this minute: the next one waits, then goes as itself.
  const std::string late = Enqueue("east-wecom", "w-late", "late one");
  EXPECT_EQ(Run(d), 0);
  EXPECT_EQ(Load(late).state(), v1::DELIVERY_STATE_PENDING);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Run(d), 1);
  EXPECT_EQ(Load(late).state(), v1::DELIVERY_STATE_SENT);
  ASSERT_EQ(robot_.MessagesOf("east-wecom").size(), 6u);
  EXPECT_EQ(robot_.MessagesOf("east-wecom")[5].title, "late one");
}

// A digest the platform does not take is retried for each delivery in it:
// together after one failure (a short outage), each on its own after two (one
// the platform keeps refusing must not use up the attempts of others); none is
// in the group twice.
TEST_F(DispatcherTest, ADigestThatFailsTwiceIsRetriedForEachOfItsDeliveriesAlone) {
  DispatcherOptions options = TestOptions();
  options.posts_per_minute = 1;
  Dispatcher& d = NewDispatcher(nullptr, options);
  robot_.Script("east-ding", {RobotAnswer::Http(500), RobotAnswer::Http(500)});
  std::vector<std::string> ids;
  for (const char* event : {"w-1", "w-2", "w-3"}) {
    ids.push_back(Enqueue("east-ding", event, absl::StrCat("title ", event)));
    clock_.Advance(absl::Milliseconds(1));
  }
  for (int attempt = 1; attempt <= 2; ++attempt) {
    EXPECT_EQ(Run(d), 3) << "attempt " << attempt;  // one digest of three, refused
    EXPECT_EQ(robot_.requests(), attempt);
    for (const std::string& id : ids) {
      const v1::NotificationDelivery stored = Load(id);
      EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_PENDING) << id;
      EXPECT_EQ(stored.attempts(), attempt) << id;
      EXPECT_EQ(stored.last_error(), "HTTP 500") << id;
    }
    clock_.Advance(absl::Minutes(1));  // past the backoff and the minute
  }
  EXPECT_THAT(robot_.messages(), IsEmpty());
  for (int minute = 1; minute <= 3; ++minute) {
    EXPECT_EQ(Run(d), 1) << "minute " << minute;
    clock_.Advance(absl::Minutes(1));
  }
  EXPECT_EQ(Run(d), 0);
  EXPECT_THAT(TitlesOf("east-ding"), ElementsAre("title w-1", "title w-2", "title w-3"));
  for (const std::string& id : ids) {
    EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT) << id;
    EXPECT_EQ(Load(id).attempts(), 3) << id;
  }
  EXPECT_EQ(robot_.requests(), 5);
}

// A backlog whose route has left the configuration goes back to the due
// deliveries, where they are dead-lettered, and the route leaves the list.
TEST_F(DispatcherTest, ABacklogWhoseRouteLeftTheConfigurationIsDeadLettered) {
  DispatcherOptions options = TestOptions();
  options.posts_per_minute = 1;
  Dispatcher& before = NewDispatcher(nullptr, options);
  Enqueue("east-wecom", "w-first");
  EXPECT_EQ(Run(before), 1);  // the minute's post
  const std::string a = Enqueue("east-wecom", "w-a");
  const std::string b = Enqueue("east-wecom", "w-b");
  EXPECT_EQ(Run(before), 0);
  ASSERT_TRUE(Scheduled(DeliveryBacklog("east-wecom"), a));
  ASSERT_TRUE(Scheduled(DeliveryBacklog("east-wecom"), b));
  ASSERT_TRUE(Scheduled(kDeliveryBacklogs, "east-wecom"));

  absl::StatusOr<RouteTable> fewer = RouteTable::FromJson(
      absl::StrCat(R"({"routes": [{"id": "west-feishu", "org_unit": "team-west-1",)",
                   R"( "platform": "feishu", "events": ["warning_raised"], "url": ")",
                   robot_.UrlOf("west-feishu"), R"(", "secret": ")", kFeishuSecret, R"("}]})"),
      "fewer routes");
  ASSERT_TRUE(fewer.ok()) << fewer.status();
  Dispatcher after(repo_, *fewer, *http_, clock_, options, nullptr, [] { return 0.5; });
  EXPECT_EQ(Run(after), 0);  // given back
  EXPECT_EQ(Run(after), 0);  // dead-lettered
  for (const std::string& id : {a, b}) {
    const v1::NotificationDelivery stored = Load(id);
    EXPECT_EQ(stored.state(), v1::DELIVERY_STATE_DEAD) << id;
    EXPECT_EQ(stored.last_error(), "route no longer configured") << id;
    EXPECT_FALSE(Scheduled(DeliveryBacklog("east-wecom"), id));
    EXPECT_FALSE(Scheduled(kDeliveryDue, id));
  }
  EXPECT_EQ(DeadLetters().size(), 2u);
  EXPECT_EQ(Run(after), 0);
  EXPECT_FALSE(Scheduled(kDeliveryBacklogs, "east-wecom"));
  EXPECT_EQ(robot_.MessagesOf("east-wecom").size(), 1u);
}

// A route out of posts with more due than the window of due deliveries holds
// does not keep the other routes' deliveries out of it: its own move to its
// backlog, and go out from there oldest first as its minutes allow.
TEST_F(DispatcherTest, ARouteOutOfPostsDoesNotHoldBackTheOthers) {
  DispatcherOptions options = TestOptions();
  options.batch = 10;  // the window every route is read from
  options.posts_per_minute = 1;
  options.max_per_post = 5;
  Dispatcher& d = NewDispatcher(nullptr, options);
  const auto [ids, titles] = EnqueueBurst("east-wecom", 30, "east #", 10);
  const std::string other = Enqueue("west-feishu", "w-other", "another group's");

  // No time passes: the first pass posts one digest, the next ones move the
  // rest of east's to its backlog until west's is in the window.
  int passes = 0;
  while (Load(other).state() != v1::DELIVERY_STATE_SENT && passes < 10) {
    (void)Run(d);
    ++passes;
  }
  EXPECT_EQ(Load(other).state(), v1::DELIVERY_STATE_SENT) << "after " << passes << " passes";
  EXPECT_LE(passes, 4);
  EXPECT_EQ(robot_.MessagesOf("east-wecom").size(), 1u);

  for (int minute = 1; minute <= 5; ++minute) {
    clock_.Advance(absl::Minutes(1));
    EXPECT_EQ(Run(d), 5) << "minute " << minute;
  }
  EXPECT_EQ(Run(d), 0);
  const std::vector<RobotMessage> posts = robot_.MessagesOf("east-wecom");
  ASSERT_EQ(posts.size(), 6u);
  for (size_t t = 0; t < titles.size(); ++t) {
    const size_t post = t / 5;  // oldest first, five to a post
    EXPECT_THAT(posts[post].text, HasSubstr(absl::StrCat("**", titles[t], "**")))
        << titles[t] << " not in post " << post;
    EXPECT_EQ(Load(ids[t]).state(), v1::DELIVERY_STATE_SENT) << ids[t];
    EXPECT_EQ(Load(ids[t]).attempts(), 1) << ids[t];
  }
  EXPECT_FALSE(Scheduled(kDeliveryBacklogs, "east-wecom")) << "an empty backlog stays listed";
}

// Neither webhook URLs nor secrets reach last_error, a stored document or an event.
TEST_F(DispatcherTest, NoUrlOrSecretIsEverStored) {
  DispatcherOptions options = TestOptions();
  options.max_attempts = 2;
  Dispatcher& d = NewDispatcher(nullptr, options);
  robot_.Script("east-wecom", {RobotAnswer::Http(500), RobotAnswer::Http(500)});
  robot_.Script("east-ding", {RobotAnswer::Late(kReadTimeout + absl::Seconds(10))});
  robot_.Script("west-feishu", {RobotAnswer::PlatformError(9499)});
  std::vector<std::string> ids = {
      Enqueue("east-wecom", "w-1"),        Enqueue("east-ding", "w-2"),
      Enqueue("west-feishu", "w-3"),       Enqueue("ding-bad-secret", "w-4"),
      Enqueue("feishu-bad-secret", "w-5"), Enqueue("nowhere", "w-6")};
  EXPECT_EQ(Run(d), 6);
  clock_.Advance(options.backoff_cap);
  EXPECT_EQ(Run(d), 5);  // all but "nowhere" (dead at once) are tried a second time

  const std::vector<std::string> secrets = {
      kWeComKey,      kDingToken,  kDingSecret, kFeishuHook, kFeishuSecret, "SECnotTheSecret",
      "notTheSecret", "127.0.0.1", "sign=",     "key=",      "access_token"};
  std::set<std::string> errors;
  for (const std::string& id : ids) {
    absl::StatusOr<std::optional<StoredDoc>> raw = repo_.Get(DocKind::kDelivery, id);
    ASSERT_TRUE(raw.ok() && raw->has_value()) << id;
    const v1::NotificationDelivery stored = Load(id);
    errors.insert(stored.last_error());
    for (const std::string& s : secrets) {
      EXPECT_THAT((*raw)->data, Not(HasSubstr(s))) << id;
      EXPECT_THAT(stored.last_error(), Not(HasSubstr(s))) << id;
    }
  }
  EXPECT_GE(errors.size(), 4u);  // several kinds of failure were really exercised
  const std::vector<OutEvent> events = repo_.events();
  EXPECT_FALSE(events.empty());
  for (const OutEvent& e : events) {
    for (const std::string& s : secrets) {
      EXPECT_THAT(e.event.data, Not(HasSubstr(s)));
      EXPECT_THAT(e.event.subject, Not(HasSubstr(s)));
      EXPECT_THAT(e.event.key, Not(HasSubstr(s)));
    }
  }
}

// Forwards to a repository, with hooks where a replica can be overtaken by another.
class HookedRepository final : public SyncRepository {
 public:
  explicit HookedRepository(SyncRepository& inner) : inner_(inner) {}
  std::function<void(const std::string& schedule)> after_due = [](const std::string&) {};
  std::function<void()> before_get = [] {};
  std::function<void()> before_commit = [] {};

  absl::StatusOr<std::optional<StoredDoc>> Get(DocKind kind, const std::string& id) override {
    before_get();
    return inner_.Get(kind, id);
  }
  absl::StatusOr<std::vector<std::optional<StoredDoc>>> GetMany(
      DocKind kind, const std::vector<std::string>& ids) override {
    return inner_.GetMany(kind, ids);
  }
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index, const std::string& after,
                                                 int limit) override {
    return inner_.Range(index, after, limit);
  }
  absl::StatusOr<std::vector<std::string>> Due(const std::string& schedule, int64_t until,
                                               int limit) override {
    auto due = inner_.Due(schedule, until, limit);
    after_due(schedule);
    return due;
  }
  absl::StatusOr<std::map<std::string, int64_t>> Counters(const std::string& hash) override {
    return inner_.Counters(hash);
  }
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                         const std::string& request_id) override {
    return inner_.FindRequest(caller, request_id);
  }
  absl::Status Commit(const Change& change) override {
    before_commit();
    return inner_.Commit(change);
  }
  absl::StatusOr<ApplyOutcome> ApplyOnce(const std::string& consumer, const CloudEvent& cause,
                                         const Change& change) override {
    return inner_.ApplyOnce(consumer, cause, change);
  }
  absl::StatusOr<std::vector<DirtyShare>> DirtyShares(int limit) override {
    return inner_.DirtyShares(limit);
  }
  absl::StatusOr<bool> ClearDirtyShare(const DirtyShare& d) override {
    return inner_.ClearDirtyShare(d);
  }

 private:
  SyncRepository& inner_;
};

// Calls `before` (once) ahead of each POST.
class HookedTransport final : public WebhookTransport {
 public:
  HookedTransport(WebhookTransport& real, std::function<void()> before)
      : real_(real), before_(std::move(before)) {}
  HttpResult Post(const std::string& url, const std::string& json_body) override {
    before_();
    return real_.Post(url, json_body);
  }

 private:
  WebhookTransport& real_;
  std::function<void()> before_;
};

// Regression: replica B reads a delivery while replica A has it SENDING; A's
// attempt fails and A schedules the retry; B's late clean-up of the due entry
// (decided on the stale SENDING) must not drop that retry, or the delivery
// stays PENDING with nothing to send it ever again.
TEST_F(DispatcherTest, StaleCleanUpByAnotherReplicaKeepsTheRetryScheduled) {
  const absl::Duration kWait = absl::Seconds(10);
  absl::Notification b_listed, a_claimed, b_read, a_recorded;
  HookedRepository b_repo(repo_);
  b_repo.after_due = [&](const std::string& schedule) {
    if (schedule == kDeliveryDue && !b_listed.HasBeenNotified()) {
      b_listed.Notify();
    }
  };
  b_repo.before_get = [&] { a_claimed.WaitForNotificationWithTimeout(kWait); };
  b_repo.before_commit = [&] {
    if (!b_read.HasBeenNotified()) {
      b_read.Notify();
    }
    a_recorded.WaitForNotificationWithTimeout(kWait);
  };
  HookedTransport a_http(*http_, [&] {
    if (!a_claimed.HasBeenNotified()) {
      a_claimed.Notify();
    }
    b_read.WaitForNotificationWithTimeout(kWait);
  });
  Dispatcher& a = NewDispatcher(&a_http);
  Dispatcher& b = NewDispatcher(
      nullptr, TestOptions(), [] { return 0.5; }, &b_repo);
  robot_.Script("east-wecom", {RobotAnswer::Http(500)});
  const std::string id = Enqueue("east-wecom", "w-1");

  absl::StatusOr<int> b_attempted = 0;
  std::thread replica_b([&] { b_attempted = b.RunOnce(); });
  ASSERT_TRUE(b_listed.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(Run(a), 1);  // claims, B reads it SENDING, POST → 500, retry recorded
  a_recorded.Notify();
  replica_b.join();
  ASSERT_TRUE(b_read.HasBeenNotified());  // the interleaving really happened
  ASSERT_TRUE(b_attempted.ok());
  EXPECT_EQ(*b_attempted, 0);

  EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_TRUE(Scheduled(kDeliveryDue, id));
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Run(a), 1);
  EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(robot_.messages().size(), 1u);
}

// The background loop (Start/Wake/Stop) delivers too; the robot's barrier waits for it.
TEST_F(DispatcherTest, BackgroundLoopDeliversAndStopsCleanly) {
  Dispatcher& d = NewDispatcher();
  d.Start();
  const std::string id = Enqueue("west-feishu", "w-1");
  d.Wake();
  ASSERT_TRUE(robot_.WaitForMessages(1, absl::Seconds(20)));
  d.Stop();  // waits for the attempt in flight to be recorded
  EXPECT_EQ(Load(id).state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(robot_.requests(), 1);
}

}  // namespace
}  // namespace salesops::sync
