#include "services/sync/notify/platforms.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace salesops::sync {
namespace {

std::string Dump(const nlohmann::json& j) {
  // Invalid UTF-8 from an upstream event must not make the dump throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

std::string HmacSha256(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string DingTalkSign(int64_t timestamp_ms, const std::string& secret) {
  return UrlEncode(Base64(HmacSha256(secret, absl::StrCat(timestamp_ms, "\n", secret))));
}

std::string FeishuSign(int64_t timestamp_s, const std::string& secret) {
  return Base64(HmacSha256(absl::StrCat(timestamp_s, "\n", secret), ""));
}

std::string CutUtf8(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  static const std::string kEllipsis = "…";
  // Too little room for the ellipsis: cut without it rather than exceed max_bytes.
  const bool mark = max_bytes >= kEllipsis.size();
  size_t end = mark ? max_bytes - kEllipsis.size() : max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end) + (mark ? kEllipsis : "");
}

WebhookRequest BuildRequest(const Route& route, const std::string& title,
                            const std::string& markdown, absl::Time now) {
  WebhookRequest r;
  r.url = route.url;
  nlohmann::json body;
  switch (route.platform) {
    case v1::NOTIFY_PLATFORM_WECOM:
      body["msgtype"] = "markdown";
      body["markdown"]["content"] =
          CutUtf8(absl::StrCat("## ", title, "\n", markdown), kMaxMarkdownBytes);
      break;
    case v1::NOTIFY_PLATFORM_DINGTALK:
      body["msgtype"] = "markdown";
      body["markdown"]["title"] = CutUtf8(title, 200);
      body["markdown"]["text"] =
          CutUtf8(absl::StrCat("### ", title, "\n\n", markdown), kMaxMarkdownBytes);
      if (!route.secret.empty()) {
        const int64_t ts = absl::ToUnixMillis(now);
        absl::StrAppend(&r.url, r.url.find('?') == std::string::npos ? "?" : "&", "timestamp=", ts,
                        "&sign=", DingTalkSign(ts, route.secret));
      }
      break;
    case v1::NOTIFY_PLATFORM_FEISHU: {
      body["msg_type"] = "interactive";
      nlohmann::json card;
      card["config"]["wide_screen_mode"] = true;
      card["header"]["title"]["tag"] = "plain_text";
      card["header"]["title"]["content"] = CutUtf8(title, 200);
      card["header"]["template"] = title.find("预警") != std::string::npos ||
                                           title.find("超时") != std::string::npos ||
                                           title.find("Warning") != std::string::npos
                                       ? "red"
                                       : "blue";
      card["elements"] = nlohmann::json::array(
          {{{"tag", "markdown"}, {"content", CutUtf8(markdown, kMaxMarkdownBytes)}}});
      body["card"] = std::move(card);
      if (!route.secret.empty()) {
        const int64_t ts = absl::ToUnixSeconds(now);
        body["timestamp"] = absl::StrCat(ts);
        body["sign"] = FeishuSign(ts, route.secret);
      }
      break;
    }
    default:
      break;
  }
  r.body = Dump(body);
  return r;
}

Verdict Classify(v1::NotifyPlatform platform, int http_status, const std::string& body,
                 const std::string& transport_error) {
  if (http_status == 0) {
    return {Outcome::kRetry, transport_error.empty() ? "no response" : transport_error};
  }
  if (http_status == 408 || http_status == 429 || http_status >= 500) {
    return {Outcome::kRetry, absl::StrCat("HTTP ", http_status)};
  }
  if (http_status >= 400) {
    return {Outcome::kRefused, absl::StrCat("HTTP ", http_status)};
  }
  if (http_status < 200 || http_status >= 300) {
    return {Outcome::kRetry, absl::StrCat("HTTP ", http_status)};
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return {Outcome::kRetry, "answer is not JSON"};
  }
  // The platforms answer 200 with an error code of their own; rate limits and
  // busy answers among them pass with time, so every such answer is retried
  // until the attempts run out.
  const char* field = platform == v1::NOTIFY_PLATFORM_FEISHU
                          ? (j.contains("code") ? "code" : "StatusCode")
                          : "errcode";
  if (!j.contains(field) || !j[field].is_number_integer()) {
    return {Outcome::kRetry, absl::StrCat("answer has no ", field)};
  }
  const int64_t code = j[field].get<int64_t>();
  if (code == 0) {
    return {Outcome::kAccepted, ""};
  }
  return {Outcome::kRetry, absl::StrCat(field, " ", code)};
}

absl::Duration Backoff(int retry, absl::Duration base, absl::Duration cap, double jitter01) {
  absl::Duration d = base;
  for (int i = 1; i < retry && d < cap; ++i) {
    d *= 2;
  }
  d = std::min(d, cap);
  jitter01 = std::clamp(jitter01, 0.0, 1.0);
  return d / 2 + (d / 2) * jitter01;
}

}  // namespace salesops::sync
