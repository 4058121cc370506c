// A local HTTP server that plays WeCom, DingTalk and Feishu group robots, for
// the dispatcher's tests and `make run`'s webhook sink. It checks every
// request as the platform would — JSON shape, the robot's key / token / hook,
// and, when a secret is set, the signature, recomputed here with OpenSSL
// independently of platforms.cc — and answers as the platform does: HTTP 200
// with {"errcode":0,"errmsg":"ok"} (WeCom, DingTalk) or {"code":0,...}
// (Feishu), or the platform's error body. Answers can be scripted per robot
// (HTTP 500, 429, a platform error code, an answer later than the client's
// read time-out) to exercise retries.
//
//   FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
//   FakeGroupRobot robot(clock);
//   robot.AddDingTalk("team-east-1", "token-1", "secret-1");
//   ASSERT_TRUE(robot.Start().ok());            // 127.0.0.1, a free port
//   std::string url = robot.UrlOf("team-east-1");
//   robot.Script("team-east-1", {RobotAnswer::Http(500), RobotAnswer::Ok()});
//   ... POST to robot.UrlOf("team-east-1") ...
//   ASSERT_TRUE(robot.WaitForMessages(1, absl::Seconds(10)));
//   robot.messages()[0].title;
//
// Plain http on loopback only; never used by the service itself. Thread-safe:
// every method may be called from any thread, before or after Start().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace httplib {
class Server;
}

namespace salesops::sync {

// One scripted answer of a robot; once the script is used up it answers OK.
struct RobotAnswer {
  int http_status = 200;
  // With HTTP 200: the platform's code (errcode / code); 0 = accepted.
  int64_t platform_code = 0;
  // Wall time to wait before answering (cut short by Stop()). A well-formed
  // request answered late with OK is in the group already, as on the real
  // platforms: it is recorded on arrival.
  absl::Duration delay = absl::ZeroDuration();

  static RobotAnswer Ok() { return {}; }
  static RobotAnswer Http(int status) { return {status, 0, absl::ZeroDuration()}; }
  static RobotAnswer PlatformError(int64_t code) { return {200, code, absl::ZeroDuration()}; }
  static RobotAnswer Late(absl::Duration delay, RobotAnswer then = Ok()) {
    then.delay = delay;
    return then;
  }
};

// A message the group shows.
struct RobotMessage {
  v1::NotifyPlatform platform = v1::NOTIFY_PLATFORM_UNSPECIFIED;
  std::string robot;  // the name given to Add…()
  std::string path;   // without the query
  std::string title;  // WeCom: the first line of the content without its "#"s
  std::string text;   // the markdown as sent (Feishu: the card's markdown elements)
  absl::Time arrival;
};

// A request the platform would have turned down (bad JSON, wrong shape,
// unknown robot, bad or stale signature), answered with the platform's error.
struct RejectedRequest {
  v1::NotifyPlatform platform = v1::NOTIFY_PLATFORM_UNSPECIFIED;  // UNSPECIFIED: unknown path
  std::string robot;
  std::string path;
  std::string reason;
  absl::Time arrival;
};

class FakeGroupRobot {
 public:
  // `clock` decides whether a signature's timestamp is within the hour.
  explicit FakeGroupRobot(const Clock& clock);
  ~FakeGroupRobot();  // Stop()
  FakeGroupRobot(const FakeGroupRobot&) = delete;
  FakeGroupRobot& operator=(const FakeGroupRobot&) = delete;

  // A robot per group, at its own path; names and credentials are URL-safe
  // (letters, digits, '-', '_'). /wecom/send?key=K
  void AddWeCom(const std::string& name, const std::string& key);
  // /dingtalk/robot/send?access_token=T; with a secret it checks timestamp + sign.
  void AddDingTalk(const std::string& name, const std::string& access_token,
                   const std::string& secret = "");
  // /feishu/hook/H; with a secret it checks the body's timestamp + sign.
  void AddFeishu(const std::string& name, const std::string& hook, const std::string& secret = "");
  // The webhook URL of robot `name` as a route carries it (after Start(),
  // which picks the port); "" for an unknown name.
  std::string UrlOf(const std::string& name) const;

  // Called on the server's threads for every accepted message / rejected
  // request (the sink prints them). Set before Start().
  void set_on_message(std::function<void(const RobotMessage&)> f);
  void set_on_rejected(std::function<void(const RejectedRequest&)> f);

  // Binds 127.0.0.1:`port` (0: a free one) and serves on a thread; returns
  // once the server answers. UNAVAILABLE when the port cannot be bound.
  absl::Status Start(int port = 0);
  // Cuts scripted delays short, stops serving and joins. Idempotent.
  void Stop();
  int port() const;

  // The next answers of robot `name`, after those already queued.
  void Script(const std::string& name, std::vector<RobotAnswer> answers);

  std::vector<RobotMessage> messages() const;
  std::vector<RobotMessage> MessagesOf(const std::string& name) const;
  std::vector<RejectedRequest> rejected() const;
  // Every POST that reached a robot path, accepted or not.
  int requests() const;
  // Blocks until at least `n` messages arrived in total, or `timeout` passed
  // (false). A barrier for tests whose sender runs on another thread.
  bool WaitForMessages(size_t n, absl::Duration timeout) const;

 private:
  struct Robot {
    std::string name;
    v1::NotifyPlatform platform = v1::NOTIFY_PLATFORM_UNSPECIFIED;
    std::string credential;  // key, access token or hook id
    std::string secret;
    std::deque<RobotAnswer> script;
  };
  struct Reply {
    int http_status = 200;
    std::string body;
    absl::Duration delay = absl::ZeroDuration();
  };

  void AddRobot(const std::string& name, v1::NotifyPlatform platform, const std::string& credential,
                const std::string& secret);
  // Checks and records one POST; what to answer.
  Reply Handle(const std::string& path, const std::string& content_type, const std::string& body,
               const std::multimap<std::string, std::string>& params);

  const Clock& clock_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::function<void(const RobotMessage&)> on_message_;
  std::function<void(const RejectedRequest&)> on_rejected_;

  mutable absl::Mutex mu_;
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Robot> robots_ ABSL_GUARDED_BY(mu_);  // by name
  std::vector<RobotMessage> messages_ ABSL_GUARDED_BY(mu_);
  std::vector<RejectedRequest> rejected_ ABSL_GUARDED_BY(mu_);
  int requests_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace salesops::sync
