// Tests for the group-robot routes: loading good and bad configurations (each
// error names the setting and the entry, never a URL or secret), one route per
// (org unit, event type), event type short names, which routes an event
// matches (subunits and audiences), and what the API is shown.
#include "services/sync/notify/routes.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::sync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kToken[] = "tok-SECRET-7f3a";
constexpr char kSetting[] = "--sync_routes_file";

// A route entry as JSON with the given fields overriding good defaults.
std::string Entry(const std::string& id, const std::string& extra = "",
                  const std::string& unit = "team-east-1",
                  const std::string& events = R"(["warning_raised"])") {
  return R"({"id":")" + id + R"(","org_unit":")" + unit + R"(","events":)" + events +
         R"(,"platform":"wecom","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=)" +
         kToken + "\"" + extra + "}";
}

std::string Config(const std::vector<std::string>& entries) {
  std::string out = R"({"routes":[)";
  for (size_t i = 0; i < entries.size(); ++i) {
    out += (i > 0 ? "," : "") + entries[i];
  }
  return out + "]}";
}

absl::Status Load(const std::string& json) { return RouteTable::FromJson(json, kSetting).status(); }

// Expects INVALID_ARGUMENT naming the setting and `field`, and never the token.
void ExpectBad(const std::string& json, const std::string& field, const std::string& what = "") {
  const absl::Status s = Load(json);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << json;
  EXPECT_THAT(s.message(), HasSubstr(std::string("bad setting ") + kSetting)) << json;
  EXPECT_THAT(s.message(), HasSubstr(field + ":")) << json;
  if (!what.empty()) {
    EXPECT_THAT(s.message(), HasSubstr(what)) << json;
  }
  EXPECT_THAT(s.message(), Not(HasSubstr(kToken))) << json;
  EXPECT_THAT(s.message(), Not(HasSubstr("qyapi"))) << json;
}

// A file under the test's temporary directory, named after the running test;
// removed when it goes out of scope.
class TempFile {
 public:
  TempFile(const std::string& suffix, const std::string& content) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "routes_test_" + info->test_suite_name() + "_" + info->name() +
            "_" + suffix;
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- ExpandEventType / NotifiableEventTypes

TEST(ExpandEventTypeTest, ShortNamesExpandAndFullNamesPass) {
  EXPECT_EQ(ExpandEventType("warning_raised"), "salesops.warning.v1.WarningRaised");
  EXPECT_EQ(ExpandEventType("task_force_proposed"), "salesops.sync.v1.TaskForceProposed");
  EXPECT_EQ(ExpandEventType("task_force_formed"), "salesops.sync.v1.TaskForceFormed");
  EXPECT_EQ(ExpandEventType("feedback_routed"), "salesops.sync.v1.FeedbackRouted");
  EXPECT_EQ(ExpandEventType("feedback_answered"), "salesops.sync.v1.FeedbackResponded");
  EXPECT_EQ(ExpandEventType("feedback_overdue"), "salesops.sync.v1.FeedbackOverdue");
  EXPECT_EQ(ExpandEventType("review_due"), "salesops.performance.v1.ReviewGenerated");
  EXPECT_EQ(ExpandEventType("launch_announced"), "salesops.sync.v1.LaunchAnnounced");
  EXPECT_EQ(ExpandEventType("insight_published"), "salesops.sync.v1.InsightPublished");
  EXPECT_EQ(ExpandEventType("lead_handed_over"), "salesops.sync.v1.LeadHandedOver");
  EXPECT_EQ(ExpandEventType("lead_contact_overdue"), "salesops.sync.v1.LeadContactOverdue");
  EXPECT_EQ(ExpandEventType("reception_planned"), "salesops.sync.v1.ReceptionPlanned");
  EXPECT_EQ(ExpandEventType("forecast_gap"), "salesops.forecast.v1.ForecastGapDetected");
  EXPECT_EQ(ExpandEventType("plan_published"), "salesops.targets.v1.PlanPublished");
  EXPECT_EQ(ExpandEventType("salesops.warning.v1.WarningRaised"),
            "salesops.warning.v1.WarningRaised");
  EXPECT_EQ(ExpandEventType("something_else"), "something_else");
  EXPECT_EQ(ExpandEventType("Warning_Raised"), "Warning_Raised");  // case matters
}

TEST(ExpandEventTypeTest, NotifiableTypesAreExactlyTheExpandedShortNames) {
  EXPECT_EQ(NotifiableEventTypes().size(), 14u);
  EXPECT_EQ(NotifiableEventTypes().count("salesops.warning.v1.WarningRaised"), 1u);
  EXPECT_EQ(NotifiableEventTypes().count("salesops.targets.v1.PlanPublished"), 1u);
  EXPECT_EQ(NotifiableEventTypes().count("salesops.sync.v1.FeedbackSubmitted"), 0u);
}

// ---- WebhookHost

TEST(WebhookHostTest, KeepsSchemeAndHostOnly) {
  EXPECT_EQ(WebhookHost("https://oapi.dingtalk.com/robot/send?access_token=abc"),
            "https://oapi.dingtalk.com");
  EXPECT_EQ(WebhookHost("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),
            "https://qyapi.weixin.qq.com");
  EXPECT_EQ(WebhookHost("https://open.feishu.cn/open-apis/bot/v2/hook/abc"),
            "https://open.feishu.cn");
  EXPECT_EQ(WebhookHost("http://127.0.0.1:8080/hook?x=1"), "http://127.0.0.1:8080");
  EXPECT_EQ(WebhookHost("https://host?key=k"), "https://host");
  EXPECT_EQ(WebhookHost("https://host#frag"), "https://host");
  EXPECT_EQ(WebhookHost("https://host"), "https://host");
}

TEST(WebhookHostTest, NonHttpUrlsHaveNoHost) {
  EXPECT_EQ(WebhookHost(""), "");
  EXPECT_EQ(WebhookHost("ftp://host/x"), "");
  EXPECT_EQ(WebhookHost("oapi.dingtalk.com/robot/send"), "");
}

// ---- FromJson: good configurations

TEST(RouteTableFromJsonTest, LoadsTheDocumentedExample) {
  const TempFile secret_file("secret", "  dt-secret-1 \n");
  const std::string json = R"({"routes": [
      {"id": "east-1-wecom", "org_unit": "team-east-1",
       "events": ["warning_raised", "salesops.sync.v1.TaskForceProposed"],
       "platform": "wecom",
       "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
       "include_subunits": false, "language": "zh"},
      {"id": "east_dingtalk", "org_unit": "orgUnits/east",
       "events": ["feedback_routed"], "platform": "DingTalk",
       "url": "https://oapi.dingtalk.com/robot/send?access_token=t2",
       "secret_file": ")" + secret_file.path() +
                           R"(", "include_subunits": true, "language": "en"},
      {"id": "pm-feishu", "org_unit": "product", "events": ["feedback_routed"],
       "platform": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/h3",
       "secret": "fs-secret"}]})";
  const absl::StatusOr<RouteTable> t = RouteTable::FromJson(json, kSetting);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->routes().size(), 3u);

  const Route& wecom = t->routes()[0];
  EXPECT_EQ(wecom.id, "east-1-wecom");
  EXPECT_EQ(wecom.org_unit, "team-east-1");
  EXPECT_THAT(wecom.event_types, UnorderedElementsAre("salesops.warning.v1.WarningRaised",
                                                      "salesops.sync.v1.TaskForceProposed"));
  EXPECT_EQ(wecom.platform, v1::NOTIFY_PLATFORM_WECOM);
  EXPECT_EQ(wecom.url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1");
  EXPECT_EQ(wecom.secret, "");
  EXPECT_FALSE(wecom.include_subunits);
  EXPECT_EQ(wecom.language, "zh");

  const Route& ding = t->routes()[1];
  EXPECT_EQ(ding.org_unit, "east");                        // the resource name's id
  EXPECT_EQ(ding.platform, v1::NOTIFY_PLATFORM_DINGTALK);  // case-insensitive
  EXPECT_EQ(ding.secret, "dt-secret-1");                   // trimmed
  EXPECT_TRUE(ding.include_subunits);
  EXPECT_EQ(ding.language, "en");

  const Route& feishu = t->routes()[2];
  EXPECT_EQ(feishu.platform, v1::NOTIFY_PLATFORM_FEISHU);
  EXPECT_EQ(feishu.secret, "fs-secret");
  EXPECT_EQ(feishu.language, "zh");  // the default

  EXPECT_EQ(t->Find("east_dingtalk"), &t->routes()[1]);
  EXPECT_EQ(t->Find("nope"), nullptr);
  EXPECT_TRUE(t->Routes("salesops.sync.v1.FeedbackRouted"));
  EXPECT_TRUE(t->Routes("salesops.sync.v1.TaskForceProposed"));
  EXPECT_FALSE(t->Routes("salesops.sync.v1.LaunchAnnounced"));
}

TEST(RouteTableFromJsonTest, AnEmptyListIsAValidConfiguration) {
  const absl::StatusOr<RouteTable> t = RouteTable::FromJson(R"({"routes":[]})", kSetting);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->routes(), IsEmpty());
}

TEST(RouteTableFromJsonTest, PlainHttpIsAllowedToLoopbackReceiversOnly) {
  for (const std::string& url :
       {std::string("http://127.0.0.1:8080/hook"), std::string("http://localhost/hook"),
        std::string("http://[::1]:9000/hook"), std::string("http://127.0.0.53/hook")}) {
    const std::string json = Config({absl::StrReplaceAll(
        Entry("r"),
        {{std::string("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") + kToken, url}})});
    EXPECT_TRUE(Load(json).ok()) << url << ": " << Load(json);
  }
}

TEST(RouteTableFromJsonTest, SameEventTypeForDifferentUnitsIsFine) {
  EXPECT_TRUE(Load(Config({Entry("a"), Entry("b", "", "team-east-2")})).ok());
}

TEST(RouteTableFromFileTest, ReadsAFileAndNamesTheFlagWhenItCannot) {
  const TempFile file("routes.json", Config({Entry("a")}));
  const std::string& path = file.path();
  const absl::StatusOr<RouteTable> t = RouteTable::FromFile(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->routes().size(), 1u);

  const absl::Status missing = RouteTable::FromFile(path + ".missing").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.message(), HasSubstr("--sync_routes_file"));

  const TempFile bad("bad.json", Config({Entry("a", R"(,"language":"fr")")}));
  const absl::Status s = RouteTable::FromFile(bad.path()).status();
  EXPECT_THAT(s.message(), HasSubstr("--sync_routes_file: routes[0].language"));
}

// ---- FromJson: bad configurations

TEST(RouteTableFromJsonTest, DocumentMustBeAnObjectWithARoutesArray) {
  for (const std::string& json : {std::string("not json"), std::string("[]"), std::string("")}) {
    const absl::Status s = Load(json);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(s.message(), HasSubstr("not a JSON object")) << json;
  }
  ExpectBad("{}", "routes");
  ExpectBad(R"({"routes":{}})", "routes");
  ExpectBad(Config({Entry("a"), "42"}), "routes[1]", "not an object");
}

TEST(RouteTableFromJsonTest, IdIsRequiredValidAndUnique) {
  ExpectBad(Config({Entry("a"), Entry("")}), "routes[1].id");
  ExpectBad(Config({Entry("has space")}), "routes[0].id");
  ExpectBad(Config({Entry(std::string(64, 'a'))}), "routes[0].id");
  ExpectBad(Config({Entry("a"), Entry("a", "", "team-east-2")}), "routes[1].id",
            "used by an earlier route");
  EXPECT_TRUE(Load(Config({Entry(std::string(63, 'a'))})).ok());
}

TEST(RouteTableFromJsonTest, OrgUnitIsRequired) {
  ExpectBad(Config({Entry("a", "", "")}), "routes[0].org_unit");
  ExpectBad(Config({Entry("a", "", "orgUnits/")}), "routes[0].org_unit");
}

TEST(RouteTableFromJsonTest, PlatformMustBeKnown) {
  const std::string entry = absl::StrReplaceAll(Entry("a"), {{R"("wecom")", R"("slack")"}});
  ExpectBad(Config({entry}), "routes[0].platform", "one of wecom, dingtalk, feishu");
  const std::string missing = absl::StrReplaceAll(Entry("a"), {{R"("platform":"wecom",)", ""}});
  ExpectBad(Config({missing}), "routes[0].platform");
}

TEST(RouteTableFromJsonTest, UrlMustBeHttpsOrLoopbackHttpAndIsNeverQuoted) {
  const std::string good_url =
      std::string("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") + kToken;
  const std::vector<std::string> bad_urls = {
      std::string(""),
      std::string("ftp://qyapi.weixin.qq.com/x?key=") + kToken,
      std::string("qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") + kToken,
      std::string("https:///cgi-bin/webhook/send?key=") + kToken,
      std::string("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") + kToken,
      // Names that merely start like a loopback address are not loopback.
      std::string("http://127.qyapi.weixin.qq.com/send?key=") + kToken,
      std::string("http://localhost.qyapi.weixin.qq.com/send?key=") + kToken,
  };
  for (const std::string& url : bad_urls) {
    ExpectBad(Config({absl::StrReplaceAll(Entry("a"), {{good_url, url}})}), "routes[0].url");
  }
}

TEST(RouteTableFromJsonTest, SecretChecks) {
  // Both a secret and a secret file.
  ExpectBad(Config({Entry("a", R"(,"platform":"dingtalk","secret":"s","secret_file":"/x")")}),
            "routes[0].secret_file");
  // An unreadable secret file.
  ExpectBad(Config({Entry("a", R"(,"platform":"dingtalk","secret_file":"/nonexistent/secret")")}),
            "routes[0].secret_file", "cannot be read");
  // An empty one.
  const TempFile empty("empty", "  \n");
  ExpectBad(Config({Entry("a", R"(,"platform":"dingtalk","secret_file":")" + empty.path() + "\"")}),
            "routes[0].secret_file", "is empty");
  // WeCom robots are not signed.
  const absl::Status s = Load(Config({Entry("a", R"(,"secret":"wecom-SECRET-xyz")")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("routes[0].secret"));
  EXPECT_THAT(s.message(), Not(HasSubstr("wecom-SECRET-xyz")));
}

TEST(RouteTableFromJsonTest, IncludeSubunitsMustBeABoolean) {
  ExpectBad(Config({Entry("a", R"(,"include_subunits":"yes")")}), "routes[0].include_subunits");
  ExpectBad(Config({Entry("a", R"(,"include_subunits":1)")}), "routes[0].include_subunits");
}

TEST(RouteTableFromJsonTest, LanguageMustBeZhOrEn) {
  ExpectBad(Config({Entry("a", R"(,"language":"fr")")}), "routes[0].language");
  ExpectBad(Config({Entry("a", R"(,"language":"")")}), "routes[0].language");
  ExpectBad(Config({Entry("a", R"(,"language":7)")}), "routes[0].language");
}

TEST(RouteTableFromJsonTest, EventsMustBeANonEmptyListOfKnownTypes) {
  ExpectBad(Config({Entry("a", "", "team-east-1", "[]")}), "routes[0].events");
  ExpectBad(Config({Entry("a", "", "team-east-1", R"("warning_raised")")}), "routes[0].events");
  ExpectBad(Config({Entry("a", "", "team-east-1", R"(["warning_raised", 3])")}),
            "routes[0].events[1]", "a string");
  ExpectBad(Config({Entry("a", "", "team-east-1", R"(["warning_raised","salesops.x.v1.Nope"])")}),
            "routes[0].events[1]", "unknown event type 'salesops.x.v1.Nope'");
  const std::string missing =
      absl::StrReplaceAll(Entry("a"), {{R"("events":["warning_raised"],)", ""}});
  ExpectBad(Config({missing}), "routes[0].events");
}

TEST(RouteTableFromJsonTest, ASecondRouteForTheSameUnitAndEventTypeNamesBoth) {
  // One by short name and bare id, the other by full name and resource name.
  const std::string json =
      Config({Entry("first-route", "", "team-east-1", R"(["feedback_routed","warning_raised"])"),
              Entry("second-route", "", "orgUnits/team-east-1",
                    R"(["launch_announced","salesops.warning.v1.WarningRaised"])")});
  ExpectBad(json, "routes[1].events[1]", "route first-route already sends");
  const absl::Status s = Load(json);
  EXPECT_THAT(s.message(), HasSubstr("salesops.warning.v1.WarningRaised"));
  EXPECT_THAT(s.message(), HasSubstr("team-east-1"));
}

// ---- Match

// company ─ east ─ team-east-1
//                └ team-east-2
//         └ west ─ team-west-1
std::vector<std::string> ChainOf(const std::string& unit) {
  static const auto* parent = new std::map<std::string, std::string>{
      {"east", "company"},     {"west", "company"},     {"team-east-1", "east"},
      {"team-east-2", "east"}, {"team-west-1", "west"},
  };
  std::vector<std::string> chain;
  for (std::string u = unit; !u.empty();) {
    chain.push_back(u);
    auto it = parent->find(u);
    u = it == parent->end() ? "" : it->second;
  }
  return chain;
}

RouteTable Table() {
  const std::string json = Config({
      Entry("team-e1", "", "team-east-1", R"(["warning_raised","launch_announced"])"),
      Entry("east-all", R"(,"include_subunits":true)", "east",
            R"(["warning_raised","launch_announced"])"),
      Entry("east-only", "", "east", R"(["feedback_routed"])"),
      Entry("company", R"(,"include_subunits":true)", "company", R"(["feedback_routed"])"),
      Entry("team-w1", "", "team-west-1", R"(["launch_announced"])"),
  });
  absl::StatusOr<RouteTable> t = RouteTable::FromJson(json, kSetting);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : RouteTable();
}

std::vector<std::string> Ids(const std::vector<const Route*>& routes) {
  std::vector<std::string> out;
  for (const Route* r : routes) {
    out.push_back(r->id);
  }
  return out;
}

constexpr char kWarning[] = "salesops.warning.v1.WarningRaised";
constexpr char kLaunch[] = "salesops.sync.v1.LaunchAnnounced";
constexpr char kRouted[] = "salesops.sync.v1.FeedbackRouted";

TEST(RouteTableMatchTest, ARouteMatchesItsOwnUnitAndWithSubunitsTheUnitsBelow) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match(kWarning, {"team-east-1"}, false, ChainOf)),
              ElementsAre("team-e1", "east-all"));
  EXPECT_THAT(Ids(t.Match(kWarning, {"team-east-2"}, false, ChainOf)), ElementsAre("east-all"));
  EXPECT_THAT(Ids(t.Match(kWarning, {"east"}, false, ChainOf)), ElementsAre("east-all"));
  EXPECT_THAT(Ids(t.Match(kWarning, {"team-west-1"}, false, ChainOf)), IsEmpty());
}

TEST(RouteTableMatchTest, WithoutSubunitsOnlyTheUnitItself) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match(kRouted, {"east"}, false, ChainOf)), ElementsAre("east-only", "company"));
  EXPECT_THAT(Ids(t.Match(kRouted, {"team-east-1"}, false, ChainOf)), ElementsAre("company"));
}

TEST(RouteTableMatchTest, NonAudienceEventsAboutAUnitAboveTheRouteDoNotReachIt) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match(kWarning, {"company"}, false, ChainOf)), IsEmpty());
}

TEST(RouteTableMatchTest, AnAudienceReachesRoutesInItsSubtree) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match(kLaunch, {"east"}, true, ChainOf)), ElementsAre("team-e1", "east-all"));
  EXPECT_THAT(Ids(t.Match(kLaunch, {"company"}, true, ChainOf)),
              ElementsAre("team-e1", "east-all", "team-w1"));
  EXPECT_THAT(Ids(t.Match(kLaunch, {"team-west-1"}, true, ChainOf)), ElementsAre("team-w1"));
  // A team audience also reaches routes above it that include subunits.
  EXPECT_THAT(Ids(t.Match(kLaunch, {"team-east-2"}, true, ChainOf)), ElementsAre("east-all"));
}

TEST(RouteTableMatchTest, AnAudienceWithoutUnitsReachesEveryRouteOfTheType) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match(kLaunch, {}, true, ChainOf)),
              ElementsAre("team-e1", "east-all", "team-w1"));
  EXPECT_THAT(Ids(t.Match(kLaunch, {}, false, ChainOf)), IsEmpty());
}

TEST(RouteTableMatchTest, SeveralTargetsMatchEachRouteOnce) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match(kWarning, {"team-east-1", "team-east-2", "team-west-1"}, false, ChainOf)),
              ElementsAre("team-e1", "east-all"));
}

TEST(RouteTableMatchTest, OtherEventTypesMatchNothing) {
  const RouteTable t = Table();
  EXPECT_THAT(Ids(t.Match("salesops.sync.v1.ReceptionPlanned", {"team-east-1"}, true, ChainOf)),
              IsEmpty());
  EXPECT_THAT(Ids(t.Match("unknown.Type", {}, true, ChainOf)), IsEmpty());
}

// ---- ToProto

TEST(RouteTableToProtoTest, ShowsTheHostOnlyAndNeverTheTokenOrSecret) {
  Route r;
  r.id = "east-dingtalk";
  r.org_unit = "east";
  r.event_types = {kWarning, kRouted};
  r.platform = v1::NOTIFY_PLATFORM_DINGTALK;
  r.url = std::string("https://oapi.dingtalk.com/robot/send?access_token=") + kToken;
  r.secret = "SEC-very-secret";
  r.include_subunits = true;
  r.language = "en";
  const v1::NotificationRoute p = RouteTable::ToProto(r);
  EXPECT_EQ(p.name(), "notificationRoutes/east-dingtalk");
  EXPECT_EQ(p.org_unit(), "orgUnits/east");
  EXPECT_THAT(p.event_types(), UnorderedElementsAre(kWarning, kRouted));
  EXPECT_EQ(p.platform(), v1::NOTIFY_PLATFORM_DINGTALK);
  EXPECT_EQ(p.webhook_host(), "https://oapi.dingtalk.com");
  EXPECT_TRUE(p.signed_());
  EXPECT_TRUE(p.include_subunits());
  EXPECT_EQ(p.language(), "en");
  const std::string wire = p.SerializeAsString();
  for (const std::string& s : {std::string(kToken), std::string("SEC-very-secret"),
                               std::string("/robot/send"), std::string("access_token")}) {
    EXPECT_THAT(wire, Not(HasSubstr(s))) << s;
    EXPECT_THAT(p.DebugString(), Not(HasSubstr(s))) << s;
  }
}

TEST(RouteTableToProtoTest, UnsignedRoutesSaySo) {
  Route r;
  r.id = "w";
  r.org_unit = "team-east-1";
  r.platform = v1::NOTIFY_PLATFORM_WECOM;
  r.url = std::string("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") + kToken;
  const v1::NotificationRoute p = RouteTable::ToProto(r);
  EXPECT_FALSE(p.signed_());
  EXPECT_FALSE(p.include_subunits());
  EXPECT_EQ(p.language(), "zh");
  EXPECT_EQ(p.webhook_host(), "https://qyapi.weixin.qq.com");
  EXPECT_THAT(p.SerializeAsString(), Not(HasSubstr(kToken)));
}

}  // namespace
}  // namespace salesops::sync
