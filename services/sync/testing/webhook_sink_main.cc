// `make run`'s stand-in for the WeCom / DingTalk / Feishu group robots: a
// FakeGroupRobot on 127.0.0.1 that prints every message as the group would
// see it, and every request the platform would refuse with the reason.
//
//   sync_webhook_sink --port=0 --port_file=/tmp/sink.port --wecom_key=team-east-1
//       --dingtalk_token=team-east-2 --dingtalk_secret=SEC… --feishu_hook=team-west-1
//
// Routes then point at http://127.0.0.1:<port>/wecom/send?key=team-east-1,
// /dingtalk/robot/send?access_token=team-east-2, /feishu/hook/team-west-1.
// Each credential flag takes a comma-separated list; the credential names the
// group in the output. Runs until SIGTERM or SIGINT.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/time/clock.h"
#include "services/sync/testing/fake_group_robot.h"

ABSL_FLAG(int, port, 0, "Port to listen on, on 127.0.0.1 (0: a free one)");
ABSL_FLAG(std::string, port_file, "", "File to write the chosen port to (optional)");
ABSL_FLAG(std::string, wecom_key, "", "WeCom robot keys (comma-separated)");
ABSL_FLAG(std::string, dingtalk_token, "", "DingTalk robot access tokens (comma-separated)");
ABSL_FLAG(std::string, feishu_hook, "", "Feishu bot hook ids (comma-separated)");
ABSL_FLAG(std::string, dingtalk_secret, "", "DingTalk signing secret (optional; checks signs)");
ABSL_FLAG(std::string, feishu_secret, "", "Feishu signing secret (optional; checks signs)");

namespace {

using salesops::sync::RejectedRequest;
using salesops::sync::RobotMessage;

std::vector<std::string> List(const std::string& flag) {
  return absl::StrSplit(flag, ',', absl::SkipWhitespace());
}

const char* GroupLabel(salesops::sync::v1::NotifyPlatform p) {
  switch (p) {
    case salesops::sync::v1::NOTIFY_PLATFORM_WECOM:
      return "企业微信";
    case salesops::sync::v1::NOTIFY_PLATFORM_DINGTALK:
      return "钉钉";
    case salesops::sync::v1::NOTIFY_PLATFORM_FEISHU:
      return "飞书";
    default:
      return "?";
  }
}

bool WritePortFile(const std::string& path, int port) {
  // Written aside and renamed, so a reader never sees half a number.
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) {
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "A local stand-in for WeCom / DingTalk / Feishu group robots that prints what each "
      "group would see");
  absl::ParseCommandLine(argc, argv);
  const std::vector<std::string> wecom = List(absl::GetFlag(FLAGS_wecom_key));
  const std::vector<std::string> dingtalk = List(absl::GetFlag(FLAGS_dingtalk_token));
  const std::vector<std::string> feishu = List(absl::GetFlag(FLAGS_feishu_hook));
  if (wecom.empty() && dingtalk.empty() && feishu.empty()) {
    std::cerr << "bad setting: give at least one of --wecom_key, --dingtalk_token, --feishu_hook\n";
    return 2;
  }
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    std::cerr << "bad setting --port: 0..65535\n";
    return 2;
  }

  // Before any thread starts, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  salesops::SystemClock clock;
  salesops::sync::FakeGroupRobot robot(clock);
  for (const std::string& key : wecom) {
    robot.AddWeCom(key, key);
  }
  for (const std::string& token : dingtalk) {
    robot.AddDingTalk(token, token, absl::GetFlag(FLAGS_dingtalk_secret));
  }
  for (const std::string& hook : feishu) {
    robot.AddFeishu(hook, hook, absl::GetFlag(FLAGS_feishu_secret));
  }
  std::mutex out_mu;
  robot.set_on_message([&](const RobotMessage& m) {
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << "[" << GroupLabel(m.platform) << " " << m.robot << "] " << m.title << "\n  "
              << absl::StrReplaceAll(m.text, {{"\n", "\n  "}}) << std::endl;
  });
  robot.set_on_rejected([&](const RejectedRequest& r) {
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << "[" << GroupLabel(r.platform) << " " << (r.robot.empty() ? r.path : r.robot)
              << "] REJECTED: " << r.reason << std::endl;
  });
  if (absl::Status s = robot.Start(port); !s.ok()) {
    std::cerr << "sync_webhook_sink: " << s.message() << "\n";
    return 1;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, robot.port())) {
    std::cerr << "bad setting --port_file: cannot write " << port_file << "\n";
    robot.Stop();
    return 2;
  }
  {
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << "sync_webhook_sink listening on 127.0.0.1:" << robot.port() << std::endl;
  }

  int received = 0;
  sigwait(&signals, &received);
  robot.Stop();
  std::lock_guard<std::mutex> lock(out_mu);
  std::cout << "sync_webhook_sink stopped (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")"
            << std::endl;
  return 0;
}
