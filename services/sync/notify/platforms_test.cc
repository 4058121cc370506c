// Tests for the group-robot platforms: the primitives (Base64, HMAC-SHA256,
// percent-encoding) against published vectors, DingTalk's and Feishu's
// signatures against values computed independently in Python from the
// platforms' documented algorithms, UTF-8 safe cutting, the JSON each
// platform is sent, how each platform's answers are classified, and backoff.
#include "services/sync/notify/platforms.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace salesops::sync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// True when `s` is well-formed UTF-8 (no split or overlong sequences).
bool IsUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

Route MakeRoute(v1::NotifyPlatform platform, const std::string& url,
                const std::string& secret = "") {
  Route r;
  r.id = "r-1";
  r.org_unit = "team-east-1";
  r.platform = platform;
  r.url = url;
  r.secret = secret;
  return r;
}

nlohmann::json Body(const WebhookRequest& r) {
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

constexpr char kWeComUrl[] = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-123";
constexpr char kDingUrl[] = "https://oapi.dingtalk.com/robot/send?access_token=ding-token-123";
constexpr char kFeishuUrl[] = "https://open.feishu.cn/open-apis/bot/v2/hook/feishu-hook-123";

// ---- Base64

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, BinaryBytesIncludingNul) {
  EXPECT_EQ(Base64(std::string("\x00\xff\xfe\x10", 4)), "AP/+EA==");
  // No line breaks however long (OpenSSL's BIO encoder would add some).
  EXPECT_EQ(Base64(std::string(300, 'a')).find('\n'), std::string::npos);
  EXPECT_EQ(Base64(std::string(300, 'a')).size(), 400u);
}

// ---- HmacSha256 (RFC 4231 test cases 1-4, 6, 7)

TEST(HmacSha256Test, Rfc4231Vectors) {
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (char c = 1; c <= 25; ++c) {
    key4.push_back(c);
  }
  EXPECT_EQ(Hex(HmacSha256(key4, std::string(50, '\xcd'))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "This is a test using a larger than block-size key and a larger than "
                           "block-size data. The key needs to be hashed before being used by the "
                           "HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256Test, Is32Bytes) { EXPECT_EQ(HmacSha256("k", "").size(), 32u); }

// ---- UrlEncode

TEST(UrlEncodeTest, KeepsUnreservedAndEncodesTheRestAsUpperHex) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  // python3 -c 'import urllib.parse; print(urllib.parse.quote("a b+c/=~-_.中", safe="-_.~"))'
  EXPECT_EQ(UrlEncode("a b+c/=~-_.中"), "a%20b%2Bc%2F%3D~-_.%E4%B8%AD");
  EXPECT_EQ(UrlEncode(std::string("\x00\xff", 2)), "%00%FF");
  EXPECT_EQ(UrlEncode(""), "");
}

// ---- DingTalkSign / FeishuSign

// DingTalk's documented Python:
//   string_to_sign = '{}\n{}'.format(timestamp, secret)
//   hmac_code = hmac.new(secret.encode('utf-8'), string_to_sign.encode('utf-8'),
//                        digestmod=hashlib.sha256).digest()
//   sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))
TEST(DingTalkSignTest, MatchesTheDocumentedAlgorithm) {
  // python3 -c 'import hmac,hashlib,base64,urllib.parse; t=1700000000000; s="SEC1234567890abcdef";
  //   print(urllib.parse.quote_plus(base64.b64encode(hmac.new(s.encode(),
  //   ("%d\n%s"%(t,s)).encode(), hashlib.sha256).digest())))'
  EXPECT_EQ(DingTalkSign(1700000000000, "SEC1234567890abcdef"),
            "RqBq3E1RTBDv3n2QBCh4adZ2WHk9mVklyUoDBLxarjI%3D");
  // Same command with t=1735689600123, s="SECtest" ('/' in the base64).
  EXPECT_EQ(DingTalkSign(1735689600123, "SECtest"),
            "HeSHH246wYzc8o6gpxhSjEsvGPrbAXwuW8%2FbjGWDtpE%3D");
  // Same command with t=1735689600002, s="SECtest" ('+' and '/' in the base64).
  EXPECT_EQ(DingTalkSign(1735689600002, "SECtest"),
            "BZntxOF%2Fe4%2FxzxBhYSxJpmWYNoGYpWAiBugXGnw%2BIxs%3D");
}

TEST(DingTalkSignTest, DependsOnTimestampAndSecret) {
  EXPECT_NE(DingTalkSign(1735689600123, "SECtest"), DingTalkSign(1735689600124, "SECtest"));
  EXPECT_NE(DingTalkSign(1735689600123, "SECtest"), DingTalkSign(1735689600123, "SECtesu"));
}

// Feishu's documented algorithm: the HMAC key is timestamp + "\n" + secret, the message empty:
//   hmac.new(string_to_sign.encode("utf-8"), digestmod=hashlib.sha256).digest()
TEST(FeishuSignTest, MatchesTheDocumentedAlgorithm) {
  // python3 -c 'import hmac,hashlib,base64; t=1700000000; s="feishu-secret";
  //   print(base64.b64encode(hmac.new(("%d\n%s"%(t,s)).encode(),
  //   digestmod=hashlib.sha256).digest()).decode())'
  EXPECT_EQ(FeishuSign(1700000000, "feishu-secret"),
            "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=");
  // Same command with t=1735689600, s="SECtest"; not URL-encoded ('/' stays).
  EXPECT_EQ(FeishuSign(1735689600, "SECtest"), "4a44NYLCiNPF7c4FtzqoXy9lk7TqhRsnnzb1w/JrNdE=");
}

// ---- CutUtf8

TEST(CutUtf8Test, ShortTextIsUnchanged) {
  EXPECT_EQ(CutUtf8("", 0), "");
  EXPECT_EQ(CutUtf8("abc", 3), "abc");
  EXPECT_EQ(CutUtf8("中文", 6), "中文");
}

TEST(CutUtf8Test, CutsAtACharacterBoundaryAndMarksTheCut) {
  EXPECT_EQ(CutUtf8("abcdefghij", 8), "abcde…");
  // 中文字符 is 12 bytes; 10 leaves 7 for text, which would split 字: back to 6.
  EXPECT_EQ(CutUtf8("中文字符", 10), "中文…");
  EXPECT_EQ(CutUtf8("中文字符", 11), "中文…");
  EXPECT_EQ(CutUtf8("中文字符", 9), "中文…");
  EXPECT_EQ(CutUtf8("中文字符", 8), "中…");
}

TEST(CutUtf8Test, NeverExceedsTheLimitNorSplitsACharacter) {
  const std::string text =
      "a中\xF0\x9F\x98\x80"
      "bé文字😀末";  // 1-, 2-, 3- and 4-byte characters
  ASSERT_TRUE(IsUtf8(text));
  for (size_t max = 0; max <= text.size() + 1; ++max) {
    const std::string cut = CutUtf8(text, max);
    EXPECT_LE(cut.size(), max) << max;
    EXPECT_TRUE(IsUtf8(cut)) << max;
    if (max >= text.size()) {
      EXPECT_EQ(cut, text) << max;
    } else if (absl::EndsWith(cut, "…")) {
      EXPECT_TRUE(absl::StartsWith(text, cut.substr(0, cut.size() - 3))) << max;
    } else {
      EXPECT_TRUE(absl::StartsWith(text, cut)) << max;
    }
  }
}

// ---- BuildRequest

const absl::Time kNow = absl::FromUnixMillis(1735689600002);  // 2025-01-01 00:00:00.002 UTC

TEST(BuildRequestTest, WeComSendsMarkdownContentToTheUrlAsIs) {
  const WebhookRequest r = BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_WECOM, kWeComUrl),
                                        "【预警·严重】某项目", "> 对象：某项目\n", kNow);
  EXPECT_EQ(r.url, kWeComUrl);
  const nlohmann::json j = Body(r);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"msgtype":"markdown","markdown":{"content":
      "## 【预警·严重】某项目\n> 对象：某项目\n"}})"));
}

TEST(BuildRequestTest, WeComContentIsCutWithinTheLimit) {
  std::string md;
  for (int i = 0; i < 3000; ++i) {
    md += "字";  // 9000 bytes
  }
  const nlohmann::json j =
      Body(BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_WECOM, kWeComUrl), "t", md, kNow));
  const std::string content = j["markdown"]["content"].get<std::string>();
  EXPECT_LE(content.size(), kMaxMarkdownBytes);
  EXPECT_GT(content.size(), kMaxMarkdownBytes - 4);
  EXPECT_TRUE(IsUtf8(content));
  EXPECT_TRUE(absl::EndsWith(content, "…"));
}

TEST(BuildRequestTest, DingTalkUnsignedSendsTitleAndTextToTheUrlAsIs) {
  const WebhookRequest r = BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_DINGTALK, kDingUrl),
                                        "【新反馈待处理】网关掉线", "正文", kNow);
  EXPECT_EQ(r.url, kDingUrl);
  EXPECT_EQ(Body(r), nlohmann::json::parse(R"({"msgtype":"markdown","markdown":{
      "title":"【新反馈待处理】网关掉线","text":"### 【新反馈待处理】网关掉线\n\n正文"}})"));
}

TEST(BuildRequestTest, DingTalkSignedAppendsTimestampInMillisAndSign) {
  const WebhookRequest r =
      BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_DINGTALK, kDingUrl, "SECtest"), "t", "m", kNow);
  // The sign is DingTalkSign(1735689600002, "SECtest"), checked against python above.
  EXPECT_EQ(r.url, std::string(kDingUrl) +
                       "&timestamp=1735689600002"
                       "&sign=BZntxOF%2Fe4%2FxzxBhYSxJpmWYNoGYpWAiBugXGnw%2BIxs%3D");
  const nlohmann::json j = Body(r);
  EXPECT_FALSE(j.contains("timestamp"));
  EXPECT_FALSE(j.contains("sign"));
  EXPECT_THAT(r.body, Not(HasSubstr("SECtest")));
}

TEST(BuildRequestTest, DingTalkSignedUrlWithoutQueryStartsOne) {
  const WebhookRequest r = BuildRequest(
      MakeRoute(v1::NOTIFY_PLATFORM_DINGTALK, "http://127.0.0.1:8080/robot/send", "SECtest"), "t",
      "m", kNow);
  EXPECT_THAT(r.url, StartsWith("http://127.0.0.1:8080/robot/send?timestamp=1735689600002&sign="));
}

TEST(BuildRequestTest, DingTalkTitleAndTextAreCut) {
  std::string long_title;
  for (int i = 0; i < 100; ++i) {
    long_title += "标题";  // 600 bytes
  }
  const nlohmann::json j = Body(BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_DINGTALK, kDingUrl),
                                             long_title, std::string(5000, 'x'), kNow));
  const std::string title = j["markdown"]["title"].get<std::string>();
  const std::string text = j["markdown"]["text"].get<std::string>();
  EXPECT_LE(title.size(), 200u);
  EXPECT_TRUE(IsUtf8(title));
  EXPECT_LE(text.size(), kMaxMarkdownBytes);
  EXPECT_TRUE(IsUtf8(text));
}

TEST(BuildRequestTest, FeishuUnsignedSendsAnInteractiveCard) {
  const WebhookRequest r = BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_FEISHU, kFeishuUrl),
                                        "【市场洞察】竞品降价", "**正文**", kNow);
  EXPECT_EQ(r.url, kFeishuUrl);
  EXPECT_EQ(Body(r), nlohmann::json::parse(R"({"msg_type":"interactive","card":{
      "config":{"wide_screen_mode":true},
      "header":{"title":{"tag":"plain_text","content":"【市场洞察】竞品降价"},"template":"blue"},
      "elements":[{"tag":"markdown","content":"**正文**"}]}})"));
}

TEST(BuildRequestTest, FeishuSignedPutsTimestampInSecondsAndSignInTheBody) {
  const WebhookRequest r =
      BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_FEISHU, kFeishuUrl, "SECtest"), "t", "m",
                   absl::FromUnixMillis(1735689600999));  // seconds are floored
  EXPECT_EQ(r.url, kFeishuUrl);
  const nlohmann::json j = Body(r);
  ASSERT_TRUE(j.contains("timestamp"));
  EXPECT_TRUE(j["timestamp"].is_string());
  EXPECT_EQ(j["timestamp"], "1735689600");
  // FeishuSign(1735689600, "SECtest"), checked against python above.
  EXPECT_EQ(j["sign"], "4a44NYLCiNPF7c4FtzqoXy9lk7TqhRsnnzb1w/JrNdE=");
  EXPECT_THAT(r.body, Not(HasSubstr("SECtest")));
}

TEST(BuildRequestTest, FeishuWarningsAndOverduesGetARedHeader) {
  for (const std::string& title :
       {std::string("【预警·严重】某项目"), std::string("【反馈超时未答复】x"),
        std::string("[Warning · critical] x")}) {
    const nlohmann::json j =
        Body(BuildRequest(MakeRoute(v1::NOTIFY_PLATFORM_FEISHU, kFeishuUrl), title, "m", kNow));
    EXPECT_EQ(j["card"]["header"]["template"], "red") << title;
  }
}

TEST(BuildRequestTest, InvalidUtf8FromAnEventStillGivesValidJson) {
  for (auto platform :
       {v1::NOTIFY_PLATFORM_WECOM, v1::NOTIFY_PLATFORM_DINGTALK, v1::NOTIFY_PLATFORM_FEISHU}) {
    const WebhookRequest r =
        BuildRequest(MakeRoute(platform, kWeComUrl), "bad \xff title", "bad \xe4\xb8 text", kNow);
    EXPECT_TRUE(IsUtf8(r.body)) << v1::NotifyPlatform_Name(platform);
    EXPECT_FALSE(Body(r).is_null()) << v1::NotifyPlatform_Name(platform);
  }
}

// ---- Classify

TEST(ClassifyTest, WeComAndDingTalkAcceptErrcodeZero) {
  for (auto p : {v1::NOTIFY_PLATFORM_WECOM, v1::NOTIFY_PLATFORM_DINGTALK}) {
    const Verdict v = Classify(p, 200, R"({"errcode":0,"errmsg":"ok"})", "");
    EXPECT_EQ(v.outcome, Outcome::kAccepted) << v1::NotifyPlatform_Name(p);
    EXPECT_EQ(v.error, "") << v1::NotifyPlatform_Name(p);
  }
}

TEST(ClassifyTest, WeComAndDingTalkErrorCodesAreRetried) {
  Verdict v = Classify(v1::NOTIFY_PLATFORM_WECOM, 200,
                       R"({"errcode":45009,"errmsg":"api freq out of limit"})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "errcode 45009");
  v = Classify(v1::NOTIFY_PLATFORM_DINGTALK, 200, R"({"errcode":310000,"errmsg":"sign not match"})",
               "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "errcode 310000");
}

TEST(ClassifyTest, FeishuAcceptsCodeZeroAndTheOlderStatusCodeZero) {
  Verdict v =
      Classify(v1::NOTIFY_PLATFORM_FEISHU, 200, R"({"code":0,"msg":"success","data":{}})", "");
  EXPECT_EQ(v.outcome, Outcome::kAccepted);
  EXPECT_EQ(v.error, "");
  v = Classify(v1::NOTIFY_PLATFORM_FEISHU, 200,
               R"({"Extra":null,"StatusCode":0,"StatusMessage":"success"})", "");
  EXPECT_EQ(v.outcome, Outcome::kAccepted);
}

TEST(ClassifyTest, FeishuErrorCodesAreRetried) {
  Verdict v =
      Classify(v1::NOTIFY_PLATFORM_FEISHU, 200, R"({"code":19021,"msg":"sign match fail"})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "code 19021");
  v = Classify(v1::NOTIFY_PLATFORM_FEISHU, 200, R"({"StatusCode":9499,"StatusMessage":"x"})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "StatusCode 9499");
}

TEST(ClassifyTest, EachPlatformReadsOnlyItsOwnField) {
  // Feishu's answer to a WeCom route, and WeCom's to a Feishu route, are not a success.
  Verdict v = Classify(v1::NOTIFY_PLATFORM_WECOM, 200, R"({"code":0})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "answer has no errcode");
  v = Classify(v1::NOTIFY_PLATFORM_FEISHU, 200, R"({"errcode":0})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "answer has no StatusCode");
  v = Classify(v1::NOTIFY_PLATFORM_DINGTALK, 200, R"({"errcode":"0"})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "answer has no errcode");
}

TEST(ClassifyTest, AnswersThatAreNotAJsonObjectAreRetried) {
  for (const std::string& body : {std::string("<html>502 Bad Gateway</html>"), std::string(""),
                                  std::string("[0]"), std::string("0")}) {
    const Verdict v = Classify(v1::NOTIFY_PLATFORM_WECOM, 200, body, "");
    EXPECT_EQ(v.outcome, Outcome::kRetry) << body;
    EXPECT_EQ(v.error, "answer is not JSON") << body;
  }
}

TEST(ClassifyTest, RateLimitsTimeOutsAndServerErrorsAreRetried) {
  for (int status : {408, 429, 500, 502, 503, 504, 599}) {
    for (auto p :
         {v1::NOTIFY_PLATFORM_WECOM, v1::NOTIFY_PLATFORM_DINGTALK, v1::NOTIFY_PLATFORM_FEISHU}) {
      const Verdict v = Classify(p, status, R"({"errcode":0,"code":0})", "");
      EXPECT_EQ(v.outcome, Outcome::kRetry) << status;
      EXPECT_EQ(v.error, "HTTP " + std::to_string(status));
    }
  }
}

TEST(ClassifyTest, OtherClientErrorsAreRefusedForGood) {
  for (int status : {400, 401, 403, 404, 405, 413, 499}) {
    const Verdict v = Classify(v1::NOTIFY_PLATFORM_FEISHU, status, R"({"code":0})", "");
    EXPECT_EQ(v.outcome, Outcome::kRefused) << status;
    EXPECT_EQ(v.error, "HTTP " + std::to_string(status));
  }
}

TEST(ClassifyTest, NonSuccessStatusesBelow400AreRetried) {
  for (int status : {100, 199, 302, 304}) {
    const Verdict v = Classify(v1::NOTIFY_PLATFORM_WECOM, status, R"({"errcode":0})", "");
    EXPECT_EQ(v.outcome, Outcome::kRetry) << status;
    EXPECT_EQ(v.error, "HTTP " + std::to_string(status));
  }
}

TEST(ClassifyTest, TransportErrorsAreRetriedWithTheirReason) {
  Verdict v = Classify(v1::NOTIFY_PLATFORM_DINGTALK, 0, "", "timeout");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "timeout");
  v = Classify(v1::NOTIFY_PLATFORM_DINGTALK, 0, R"({"errcode":0})", "");
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.error, "no response");
}

// ---- Backoff

TEST(BackoffTest, FirstRetryWaitsHalfToAllOfTheBase) {
  const absl::Duration base = absl::Seconds(1), cap = absl::Minutes(5);
  EXPECT_EQ(Backoff(1, base, cap, 0.0), absl::Milliseconds(500));
  const absl::Duration high = Backoff(1, base, cap, 0.999);
  EXPECT_LT(high, base);
  EXPECT_GE(high, absl::Milliseconds(999));
}

TEST(BackoffTest, DoublesPerRetry) {
  const absl::Duration base = absl::Seconds(1), cap = absl::Hours(1);
  for (int n = 1; n <= 10; ++n) {
    const absl::Duration full = base * (1 << (n - 1));
    EXPECT_EQ(Backoff(n, base, cap, 0.0), full / 2) << n;
    const absl::Duration high = Backoff(n, base, cap, 0.999);
    EXPECT_LT(high, full) << n;
    EXPECT_GE(high, full * 0.999) << n;
  }
}

TEST(BackoffTest, NeverExceedsTheCapHoweverManyRetries) {
  const absl::Duration base = absl::Seconds(1), cap = absl::Seconds(60);
  for (int n : {7, 8, 30, 64, 1000, 1 << 30}) {
    EXPECT_EQ(Backoff(n, base, cap, 0.0), absl::Seconds(30)) << n;
    const absl::Duration high = Backoff(n, base, cap, 0.999);
    EXPECT_LT(high, cap) << n;
    EXPECT_GE(high, cap * 0.999) << n;
  }
  // A cap between two doublings: retry 7 would be 64 s uncapped.
  EXPECT_EQ(Backoff(6, base, cap, 0.0), absl::Seconds(16));
}

TEST(BackoffTest, JitterOutsideZeroToOneIsClamped) {
  const absl::Duration base = absl::Seconds(4), cap = absl::Minutes(1);
  EXPECT_EQ(Backoff(1, base, cap, -3.0), absl::Seconds(2));
  EXPECT_EQ(Backoff(1, base, cap, 7.0), absl::Seconds(4));
}

}  // namespace
}  // namespace salesops::sync
