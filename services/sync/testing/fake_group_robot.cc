#include "services/sync/testing/fake_group_robot.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "nlohmann/json.hpp"

namespace salesops::sync {
namespace {

using Json = nlohmann::json;

constexpr char kWeComPath[] = "/wecom/send";
constexpr char kDingTalkPath[] = "/dingtalk/robot/send";
constexpr char kFeishuPrefix[] = "/feishu/hook/";
constexpr int64_t kSignWindowMillis = 3600 * 1000;  // both platforms: within an hour
constexpr size_t kWeComMaxContentBytes = 4096;

// Error codes as the platforms' documentation gives them.
constexpr int64_t kWeComInvalidKey = 93000;      // "invalid webhook url"
constexpr int64_t kWeComBadRequest = 40008;      // "invalid message type"
constexpr int64_t kWeComContentTooLong = 40058;  // "markdown.content exceed max length"
constexpr int64_t kDingTalkBadToken = 300001;    // "token is not exist"
constexpr int64_t kDingTalkBadRequest = 40035;   // "缺少参数 json"
constexpr int64_t kDingTalkSignMismatch = 310000;
constexpr int64_t kFeishuBadHook = 19001;  // "param invalid: incoming webhook access token invalid"
constexpr int64_t kFeishuBadRequest = 9499;  // "Bad Request"
constexpr int64_t kFeishuSignMismatch = 19021;

// The signatures are recomputed here on purpose, not with platforms.h: the
// point of the fake is to check the production signing independently.
std::string HmacSha256(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &len) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string Base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : n);
  return out;
}

bool SameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool AllDigits(const std::string& s) {
  if (s.empty() || s.size() > 18) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string Param(const std::multimap<std::string, std::string>& params, const std::string& key) {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

bool IsString(const Json& j, const char* key) { return j.contains(key) && j[key].is_string(); }

// The platform's answer body for `code` (0: accepted).
std::string AnswerBody(v1::NotifyPlatform platform, int64_t code, const std::string& msg) {
  Json j;
  if (platform == v1::NOTIFY_PLATFORM_FEISHU) {
    j["code"] = code;
    j["msg"] = code == 0 ? "success" : msg;
    if (code == 0) {
      j["data"] = Json::object();
    }
  } else {
    j["errcode"] = code;
    j["errmsg"] = code == 0 ? "ok" : msg;
  }
  return j.dump();
}

// What one accepted request shows in the group.
struct Shown {
  std::string title;
  std::string text;
};

// Checks the body's shape; the reason it is wrong, or "" (and `shown`).
std::string CheckShape(v1::NotifyPlatform platform, const Json& j, Shown& shown) {
  if (platform == v1::NOTIFY_PLATFORM_WECOM || platform == v1::NOTIFY_PLATFORM_DINGTALK) {
    if (!IsString(j, "msgtype") || j["msgtype"] != "markdown") {
      return "msgtype is not markdown";
    }
    if (!j.contains("markdown") || !j["markdown"].is_object()) {
      return "no markdown object";
    }
    const Json& md = j["markdown"];
    if (platform == v1::NOTIFY_PLATFORM_WECOM) {
      if (!IsString(md, "content") || md["content"].get<std::string>().empty()) {
        return "markdown.content missing";
      }
      shown.text = md["content"].get<std::string>();
      if (shown.text.size() > kWeComMaxContentBytes) {
        return "markdown.content exceeds 4096 bytes";
      }
      std::string first = shown.text.substr(0, shown.text.find('\n'));
      absl::string_view title = first;
      while (absl::ConsumePrefix(&title, "#")) {
      }
      shown.title = std::string(absl::StripAsciiWhitespace(title));
      return "";
    }
    if (!IsString(md, "title") || md["title"].get<std::string>().empty()) {
      return "markdown.title missing";
    }
    if (!IsString(md, "text") || md["text"].get<std::string>().empty()) {
      return "markdown.text missing";
    }
    shown.title = md["title"].get<std::string>();
    shown.text = md["text"].get<std::string>();
    return "";
  }
  // Feishu: an interactive card with a header title and markdown elements.
  if (!IsString(j, "msg_type") || j["msg_type"] != "interactive") {
    return "msg_type is not interactive";
  }
  if (!j.contains("card") || !j["card"].is_object()) {
    return "no card object";
  }
  const Json& card = j["card"];
  if (!card.contains("header") || !card["header"].is_object() ||
      !card["header"].contains("title") || !card["header"]["title"].is_object() ||
      !IsString(card["header"]["title"], "content")) {
    return "card.header.title.content missing";
  }
  if (!card.contains("elements") || !card["elements"].is_array() || card["elements"].empty()) {
    return "card.elements missing";
  }
  for (const Json& e : card["elements"]) {
    if (!e.is_object() || !IsString(e, "tag")) {
      return "card element without a tag";
    }
    if (e["tag"] == "markdown") {
      if (!IsString(e, "content")) {
        return "markdown element without content";
      }
      absl::StrAppend(&shown.text, shown.text.empty() ? "" : "\n", e["content"].get<std::string>());
    }
  }
  shown.title = card["header"]["title"]["content"].get<std::string>();
  return "";
}

}  // namespace

FakeGroupRobot::FakeGroupRobot(const Clock& clock) : clock_(clock) {}

FakeGroupRobot::~FakeGroupRobot() { Stop(); }

void FakeGroupRobot::AddRobot(const std::string& name, v1::NotifyPlatform platform,
                              const std::string& credential, const std::string& secret) {
  absl::MutexLock lock(&mu_);
  Robot& r = robots_[name];
  r.name = name;
  r.platform = platform;
  r.credential = credential;
  r.secret = secret;
}

void FakeGroupRobot::AddWeCom(const std::string& name, const std::string& key) {
  AddRobot(name, v1::NOTIFY_PLATFORM_WECOM, key, "");
}

void FakeGroupRobot::AddDingTalk(const std::string& name, const std::string& access_token,
                                 const std::string& secret) {
  AddRobot(name, v1::NOTIFY_PLATFORM_DINGTALK, access_token, secret);
}

void FakeGroupRobot::AddFeishu(const std::string& name, const std::string& hook,
                               const std::string& secret) {
  AddRobot(name, v1::NOTIFY_PLATFORM_FEISHU, hook, secret);
}

std::string FakeGroupRobot::UrlOf(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = robots_.find(name);
  if (it == robots_.end()) {
    return "";
  }
  const Robot& r = it->second;
  const std::string origin = absl::StrCat("http://127.0.0.1:", port_);
  switch (r.platform) {
    case v1::NOTIFY_PLATFORM_WECOM:
      return absl::StrCat(origin, kWeComPath, "?key=", r.credential);
    case v1::NOTIFY_PLATFORM_DINGTALK:
      return absl::StrCat(origin, kDingTalkPath, "?access_token=", r.credential);
    case v1::NOTIFY_PLATFORM_FEISHU:
      return absl::StrCat(origin, kFeishuPrefix, r.credential);
    default:
      return "";
  }
}

void FakeGroupRobot::set_on_message(std::function<void(const RobotMessage&)> f) {
  on_message_ = std::move(f);
}

void FakeGroupRobot::set_on_rejected(std::function<void(const RejectedRequest&)> f) {
  on_rejected_ = std::move(f);
}

int FakeGroupRobot::port() const {
  absl::MutexLock lock(&mu_);
  return port_;
}

void FakeGroupRobot::Script(const std::string& name, std::vector<RobotAnswer> answers) {
  absl::MutexLock lock(&mu_);
  auto& script = robots_[name].script;
  for (RobotAnswer& a : answers) {
    script.push_back(a);
  }
}

std::vector<RobotMessage> FakeGroupRobot::messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

std::vector<RobotMessage> FakeGroupRobot::MessagesOf(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  std::vector<RobotMessage> out;
  for (const RobotMessage& m : messages_) {
    if (m.robot == name) {
      out.push_back(m);
    }
  }
  return out;
}

std::vector<RejectedRequest> FakeGroupRobot::rejected() const {
  absl::MutexLock lock(&mu_);
  return rejected_;
}

int FakeGroupRobot::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

bool FakeGroupRobot::WaitForMessages(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return messages_.size() >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

FakeGroupRobot::Reply FakeGroupRobot::Handle(
    const std::string& path, const std::string& content_type, const std::string& body,
    const std::multimap<std::string, std::string>& params) {
  const absl::Time now = clock_.Now();
  std::optional<RobotMessage> shown_message;
  std::optional<RejectedRequest> rejected;
  Reply reply;
  {
    absl::MutexLock lock(&mu_);
    ++requests_;
    // Which robot: by platform path and credential.
    v1::NotifyPlatform platform = v1::NOTIFY_PLATFORM_UNSPECIFIED;
    std::string credential;
    if (path == kWeComPath) {
      platform = v1::NOTIFY_PLATFORM_WECOM;
      credential = Param(params, "key");
    } else if (path == kDingTalkPath) {
      platform = v1::NOTIFY_PLATFORM_DINGTALK;
      credential = Param(params, "access_token");
    } else if (absl::StartsWith(path, kFeishuPrefix)) {
      platform = v1::NOTIFY_PLATFORM_FEISHU;
      credential = path.substr(sizeof(kFeishuPrefix) - 1);
    }
    Robot* robot = nullptr;
    for (auto& entry : robots_) {
      Robot& r = entry.second;
      if (r.platform == platform && !credential.empty() && r.credential == credential) {
        robot = &r;
      }
    }
    auto reject = [&](int64_t code, const std::string& msg, const std::string& reason) {
      rejected = RejectedRequest{platform, robot != nullptr ? robot->name : "", path, reason, now};
      rejected_.push_back(*rejected);
      reply.body = AnswerBody(platform, code, msg);
    };

    if (platform == v1::NOTIFY_PLATFORM_UNSPECIFIED) {
      rejected = RejectedRequest{platform, "", path, "no robot at this path", now};
      rejected_.push_back(*rejected);
      reply.http_status = 404;
      reply.body = "404 page not found";
    } else if (robot == nullptr) {
      if (platform == v1::NOTIFY_PLATFORM_WECOM) {
        reject(kWeComInvalidKey, "invalid webhook url", "unknown key");
      } else if (platform == v1::NOTIFY_PLATFORM_DINGTALK) {
        reject(kDingTalkBadToken, "token is not exist", "unknown access_token");
      } else {
        reject(kFeishuBadHook, "param invalid: incoming webhook access token invalid",
               "unknown hook");
      }
    } else {
      const int64_t bad_request = platform == v1::NOTIFY_PLATFORM_WECOM      ? kWeComBadRequest
                                  : platform == v1::NOTIFY_PLATFORM_DINGTALK ? kDingTalkBadRequest
                                                                             : kFeishuBadRequest;
      const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
      Shown shown;
      std::string problem;
      if (!absl::StartsWith(absl::AsciiStrToLower(content_type), "application/json")) {
        problem = absl::StrCat("content type is not application/json: ", content_type);
      } else if (j.is_discarded() || !j.is_object()) {
        problem = "body is not a JSON object";
      } else {
        problem = CheckShape(platform, j, shown);
      }
      if (!problem.empty()) {
        reject(
            problem == "markdown.content exceeds 4096 bytes" ? kWeComContentTooLong : bad_request,
            "invalid request", problem);
      } else if (!robot->secret.empty() && platform == v1::NOTIFY_PLATFORM_DINGTALK) {
        // timestamp (ms) and sign in the query; sign = base64(HMAC(secret, ts\nsecret)),
        // URL-encoded by the sender and decoded by the server.
        const std::string ts = Param(params, "timestamp");
        const std::string sign = Param(params, "sign");
        int64_t ts_ms = 0;
        if (!AllDigits(ts) || !absl::SimpleAtoi(ts, &ts_ms) || sign.empty()) {
          problem = "timestamp or sign missing";
        } else if (std::llabs(absl::ToUnixMillis(now) - ts_ms) > kSignWindowMillis) {
          problem = "timestamp not within one hour";
        } else if (!SameSecret(sign, Base64Encode(HmacSha256(
                                         robot->secret, absl::StrCat(ts, "\n", robot->secret))))) {
          problem = "sign mismatch";
        }
        if (!problem.empty()) {
          reject(kDingTalkSignMismatch, "sign not match", problem);
        }
      } else if (!robot->secret.empty() && platform == v1::NOTIFY_PLATFORM_FEISHU) {
        // timestamp (s, a string) and sign in the body; sign = base64(HMAC(ts\nsecret, "")).
        std::string ts;
        int64_t ts_s = 0;
        if (!IsString(j, "timestamp") || !IsString(j, "sign") ||
            !AllDigits(ts = j["timestamp"].get<std::string>()) || !absl::SimpleAtoi(ts, &ts_s)) {
          problem = "timestamp or sign missing";
        } else if (std::llabs(absl::ToUnixSeconds(now) - ts_s) * 1000 > kSignWindowMillis) {
          problem = "timestamp not within one hour";
        } else if (!SameSecret(
                       j["sign"].get<std::string>(),
                       Base64Encode(HmacSha256(absl::StrCat(ts, "\n", robot->secret), "")))) {
          problem = "sign mismatch";
        }
        if (!problem.empty()) {
          reject(kFeishuSignMismatch,
                 "sign match fail or timestamp is not within one hour from current time", problem);
        }
      }
      if (!rejected) {
        // A valid request: the scripted answer, or OK.
        RobotAnswer answer;
        if (!robot->script.empty()) {
          answer = robot->script.front();
          robot->script.pop_front();
        }
        reply.delay = answer.delay;
        if (answer.http_status != 200) {
          reply.http_status = answer.http_status;
          reply.body = absl::StrCat("scripted HTTP ", answer.http_status);
        } else if (answer.platform_code != 0) {
          reply.body = AnswerBody(platform, answer.platform_code, "scripted error");
        } else {
          reply.body = AnswerBody(platform, 0, "");
          shown_message =
              RobotMessage{platform, robot->name, path, shown.title, std::move(shown.text), now};
          messages_.push_back(*shown_message);
        }
      }
    }
  }
  if (shown_message && on_message_) {
    on_message_(*shown_message);
  }
  if (rejected && on_rejected_) {
    on_rejected_(*rejected);
  }
  return reply;
}

absl::Status FakeGroupRobot::Start(int port) {
  if (server_ != nullptr) {
    return FailedPrecondition("ROBOT_STARTED", "the fake robot runs already");
  }
  server_ = std::make_unique<httplib::Server>();
  // Idle kept-alive connections must not hold Stop() up for long.
  server_->set_keep_alive_timeout(1);
  server_->set_tcp_nodelay(true);
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    const Reply reply =
        Handle(req.path, req.get_header_value("Content-Type"), req.body, req.params);
    if (reply.delay > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), reply.delay);
    }
    res.status = reply.http_status;
    res.set_content(reply.body,
                    reply.http_status == 200 ? "application/json; charset=utf-8" : "text/plain");
  });
  const int bound = port == 0 ? server_->bind_to_any_port("127.0.0.1")
                              : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    server_.reset();
    return Unavailable("ROBOT_BIND_FAILED", absl::StrCat("cannot bind 127.0.0.1:", port));
  }
  {
    absl::MutexLock lock(&mu_);
    port_ = bound;
    stopping_ = false;
  }
  thread_ = std::thread([server = server_.get()] { server->listen_after_bind(); });
  // The socket listens already; an answer proves the accept loop runs, so a
  // Stop() from now on cannot miss it (httplib's stop() ignores a server not
  // yet running).
  httplib::Client probe("127.0.0.1", bound);
  probe.set_connection_timeout(5, 0);
  probe.set_read_timeout(5, 0);
  if (auto r = probe.Get("/healthz"); !r || r->status != 200) {
    Stop();
    return Unavailable("ROBOT_NOT_SERVING",
                       absl::StrCat("the fake robot on port ", bound, " does not answer"));
  }
  return absl::OkStatus();
}

void FakeGroupRobot::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (server_ != nullptr) {
    server_->stop();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace salesops::sync
