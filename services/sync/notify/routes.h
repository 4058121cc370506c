// The group-robot routes: which events about which org unit go to which
// WeCom / DingTalk / Feishu group, read once at start-up from a JSON file
// (--sync_routes_file). Webhook URLs carry the robot's access token and the
// secrets sign requests, so neither is ever logged, put in an error message,
// stored in Redis or returned by the API (ToProto keeps the host only).
//
//   {"routes": [{"id": "east-1-wecom", "org_unit": "team-east-1",
//                "events": ["warning_raised", "salesops.sync.v1.TaskForceProposed"],
//                "platform": "wecom",
//                "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
//                "secret_file": "/run/secrets/east-1", "include_subunits": false,
//                "language": "zh"}]}
//
//   SALESOPS_ASSIGN_OR_RETURN(RouteTable routes, RouteTable::FromFile(path));
//   for (const Route* r : routes.Match(type, {"team-east-1"}, false, chain_of)) ...
//
// One route per (org unit, event type): a second one is a configuration
// error naming both. Immutable after loading; thread-safe.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

struct Route {
  std::string id;
  std::string org_unit;               // unit id
  std::set<std::string> event_types;  // full names
  v1::NotifyPlatform platform = v1::NOTIFY_PLATFORM_UNSPECIFIED;
  std::string url;     // secret: never logged
  std::string secret;  // secret: never logged
  bool include_subunits = false;
  std::string language = "zh";
};

// Short names accepted in the file for the event types people route most.
// "warning_raised" → "salesops.warning.v1.WarningRaised" etc.; full names pass.
std::string ExpandEventType(const std::string& name);
// The event types the service knows how to render (messages.h).
const std::set<std::string>& NotifiableEventTypes();

// "https://oapi.dingtalk.com/robot/send?access_token=…" → "https://oapi.dingtalk.com".
std::string WebhookHost(const std::string& url);

class RouteTable {
 public:
  RouteTable() = default;
  // INVALID_ARGUMENT naming the setting and the entry ("routes[2].url: …").
  static absl::StatusOr<RouteTable> FromJson(const std::string& json, const std::string& setting);
  static absl::StatusOr<RouteTable> FromFile(const std::string& path);

  const std::vector<Route>& routes() const { return routes_; }
  const Route* Find(const std::string& id) const;
  bool Routes(const std::string& event_type) const { return types_.count(event_type) > 0; }

  // The routes for an event of `event_type` about `targets` (unit ids): a
  // route of unit R matches a target T when R is T, or R is above T and the
  // route includes subunits, or (`audience`, for launches and insights sent
  // to a region or team and its subtree) T is above R. An audience with no
  // units reaches every route of the type. `chain_of(unit)` gives a unit and
  // its ancestors.
  std::vector<const Route*> Match(
      const std::string& event_type, const std::vector<std::string>& targets, bool audience,
      const std::function<std::vector<std::string>(const std::string&)>& chain_of) const;

  // What the API shows: no URL beyond its host, no secret.
  static v1::NotificationRoute ToProto(const Route& r);

 private:
  std::vector<Route> routes_;
  std::set<std::string> types_;
};

}  // namespace salesops::sync
