// The three group-robot platforms' message formats and request signing, as
// their public documentation gives them, plus how to read their answers:
//
//   WeCom (企业微信群机器人): POST {"msgtype":"markdown","markdown":{"content":…}}
//     to the webhook URL (its key is the credential; no signing). Content at
//     most 4096 bytes of UTF-8. Answer {"errcode":0,"errmsg":"ok"}.
//   DingTalk (钉钉自定义机器人): POST {"msgtype":"markdown","markdown":{"title":…,
//     "text":…}}. With a secret ("加签"): timestamp = now in milliseconds;
//     sign = urlEncode(base64(HmacSHA256(key = secret, message = timestamp +
//     "\n" + secret))), appended to the URL as &timestamp=…&sign=… (UTF-8; the
//     timestamp must be within an hour of DingTalk's clock). Answer
//     {"errcode":0,"errmsg":"ok"}.
//   Feishu (飞书自定义机器人): POST {"msg_type":"interactive","card":{…}} with
//     a header and a markdown element. With a secret ("签名校验"): timestamp =
//     now in seconds; sign = base64(HmacSHA256(key = timestamp + "\n" +
//     secret, message = empty)) — the string to sign is the key — sent in the
//     body as "timestamp" (a string) and "sign". Answer {"code":0,…} (older
//     bots: {"StatusCode":0,…}).
//
//   WebhookRequest r = BuildRequest(route, notice_title, notice_markdown, clock.Now());
//   Verdict v = Classify(route.platform, http_status, body);
//
// Pure functions (OpenSSL for the HMAC); the HTTP client is webhook_client.h.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "salesops/sync/v1/sync_resources.pb.h"
#include "services/sync/notify/routes.h"

namespace salesops::sync {

inline constexpr size_t kMaxMarkdownBytes = 4000;

struct WebhookRequest {
  std::string url;   // with DingTalk's timestamp and sign when signed; secret: never logged
  std::string body;  // JSON
};

std::string Base64(const std::string& bytes);
std::string HmacSha256(const std::string& key, const std::string& message);
// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~
std::string UrlEncode(const std::string& text);

// urlEncode(base64(HmacSHA256(secret, timestamp_ms + "\n" + secret))).
std::string DingTalkSign(int64_t timestamp_ms, const std::string& secret);
// base64(HmacSHA256(timestamp_s + "\n" + secret, "")).
std::string FeishuSign(int64_t timestamp_s, const std::string& secret);

// Cuts UTF-8 text to at most `max_bytes`, at a character boundary, marking the cut with "…".
std::string CutUtf8(const std::string& text, size_t max_bytes);

WebhookRequest BuildRequest(const Route& route, const std::string& title,
                            const std::string& markdown, absl::Time now);

enum class Outcome {
  kAccepted,  // the group has it
  kRetry,     // try again later (network, time-out, 5xx, 429, rate limits, platform errors)
  kRefused,   // will never be accepted as sent (4xx other than 408/429): dead letter now
};
struct Verdict {
  Outcome outcome = Outcome::kRetry;
  std::string error;  // "" when accepted; never contains the URL
};
// `http_status` 0 means no HTTP answer (`transport_error` says why).
Verdict Classify(v1::NotifyPlatform platform, int http_status, const std::string& body,
                 const std::string& transport_error);

// Exponential backoff with jitter: the n-th retry (n >= 1) waits between half
// and all of min(cap, base * 2^(n-1)); `jitter01` in [0, 1) picks the point.
absl::Duration Backoff(int retry, absl::Duration base, absl::Duration cap, double jitter01);

}  // namespace salesops::sync
