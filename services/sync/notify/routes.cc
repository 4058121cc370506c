#include "services/sync/notify/routes.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "nlohmann/json.hpp"
#include "services/sync/domain/names.h"

namespace salesops::sync {
namespace {

const std::map<std::string, std::string>& Aliases() {
  static const auto* m = new std::map<std::string, std::string>{
      {"warning_raised", "salesops.warning.v1.WarningRaised"},
      {"task_force_proposed", "salesops.sync.v1.TaskForceProposed"},
      {"task_force_formed", "salesops.sync.v1.TaskForceFormed"},
      {"feedback_routed", "salesops.sync.v1.FeedbackRouted"},
      {"feedback_answered", "salesops.sync.v1.FeedbackResponded"},
      {"feedback_overdue", "salesops.sync.v1.FeedbackOverdue"},
      {"review_due", "salesops.performance.v1.ReviewGenerated"},
      {"launch_announced", "salesops.sync.v1.LaunchAnnounced"},
      {"insight_published", "salesops.sync.v1.InsightPublished"},
      {"lead_handed_over", "salesops.sync.v1.LeadHandedOver"},
      {"lead_contact_overdue", "salesops.sync.v1.LeadContactOverdue"},
      {"reception_planned", "salesops.sync.v1.ReceptionPlanned"},
      {"forecast_gap", "salesops.forecast.v1.ForecastGapDetected"},
      {"plan_published", "salesops.targets.v1.PlanPublished"},
  };
  return *m;
}

bool ValidRouteId(const std::string& id) {
  if (id.empty() || id.size() > 63) {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost" || host == "[::1]") {
    return true;
  }
  // 127.0.0.0/8 as a dotted address only: a name such as "127.example.com" is not loopback.
  if (!absl::StartsWith(host, "127.")) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// The host (without port) of an http(s) URL, "" when malformed.
std::string HostOf(const std::string& url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    return "";
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (absl::StartsWith(rest, "[")) {
    return std::string(rest.substr(0, rest.find(']') + 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

// A start-up error naming the setting and the entry (never a URL or secret).
absl::Status Bad(const std::string& setting, const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad setting ", setting, ": ", field, field.empty() ? "" : ": ", what));
}

}  // namespace

std::string ExpandEventType(const std::string& name) {
  auto it = Aliases().find(name);
  return it == Aliases().end() ? name : it->second;
}

const std::set<std::string>& NotifiableEventTypes() {
  static const auto* s = [] {
    auto* out = new std::set<std::string>();
    for (const auto& [alias, type] : Aliases()) {
      out->insert(type);
    }
    return out;
  }();
  return *s;
}

std::string WebhookHost(const std::string& url) {
  const bool https = absl::StartsWith(url, "https://");
  const bool http = absl::StartsWith(url, "http://");
  if (!https && !http) {
    return "";
  }
  absl::string_view rest = absl::string_view(url).substr(https ? 8 : 7);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  return absl::StrCat(https ? "https://" : "http://", rest);
}

absl::StatusOr<RouteTable> RouteTable::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad setting --sync_routes_file: cannot read ", path));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return FromJson(buf.str(), "--sync_routes_file");
}

absl::StatusOr<RouteTable> RouteTable::FromJson(const std::string& text,
                                                const std::string& setting) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Bad(setting, "", "not a JSON object");
  }
  if (!doc.contains("routes") || !doc["routes"].is_array()) {
    return Bad(setting, "routes", "required: an array of routes");
  }
  RouteTable table;
  std::map<std::pair<std::string, std::string>, std::string> owner;  // (unit, type) → route id
  const auto& list = doc["routes"];
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    const std::string p = absl::StrCat("routes[", i, "]");
    if (!e.is_object()) {
      return Bad(setting, p, "not an object");
    }
    auto str = [&](const char* key) -> std::string {
      return e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : "";
    };
    Route r;
    r.id = str("id");
    if (!ValidRouteId(r.id)) {
      return Bad(setting, p + ".id", "letters, digits, '-', '_', 1..63");
    }
    if (table.Find(r.id) != nullptr) {
      return Bad(setting, p + ".id", "used by an earlier route");
    }
    r.org_unit = IdOf(str("org_unit"));
    if (r.org_unit.empty()) {
      return Bad(setting, p + ".org_unit", "required");
    }
    const std::string platform = absl::AsciiStrToLower(str("platform"));
    if (platform == "wecom") {
      r.platform = v1::NOTIFY_PLATFORM_WECOM;
    } else if (platform == "dingtalk") {
      r.platform = v1::NOTIFY_PLATFORM_DINGTALK;
    } else if (platform == "feishu") {
      r.platform = v1::NOTIFY_PLATFORM_FEISHU;
    } else {
      return Bad(setting, p + ".platform", "one of wecom, dingtalk, feishu");
    }
    r.url = str("url");
    const std::string host = HostOf(r.url);
    if (host.empty()) {
      return Bad(setting, p + ".url", "an http(s) URL");
    }
    if (!absl::StartsWith(r.url, "https://") && !IsLoopbackHost(host)) {
      return Bad(setting, p + ".url", "must be https (plain http only to a loopback receiver)");
    }
    r.secret = str("secret");
    const std::string secret_file = str("secret_file");
    if (!secret_file.empty()) {
      if (!r.secret.empty()) {
        return Bad(setting, p + ".secret_file", "give secret or secret_file");
      }
      std::ifstream in(secret_file);
      if (!in) {
        return Bad(setting, p + ".secret_file", "cannot be read");
      }
      std::getline(in, r.secret);
      r.secret = std::string(absl::StripAsciiWhitespace(r.secret));
      if (r.secret.empty()) {
        return Bad(setting, p + ".secret_file", "is empty");
      }
    }
    if (!r.secret.empty() && r.platform == v1::NOTIFY_PLATFORM_WECOM) {
      return Bad(setting, p + ".secret", "WeCom group robots take no signing secret");
    }
    if (e.contains("include_subunits")) {
      if (!e["include_subunits"].is_boolean()) {
        return Bad(setting, p + ".include_subunits", "true or false");
      }
      r.include_subunits = e["include_subunits"].get<bool>();
    }
    if (e.contains("language")) {
      r.language = str("language");
      if (r.language != "zh" && r.language != "en") {
        return Bad(setting, p + ".language", "\"zh\" or \"en\"");
      }
    }
    if (!e.contains("events") || !e["events"].is_array() || e["events"].empty()) {
      return Bad(setting, p + ".events", "required: event types or their short names");
    }
    for (size_t j = 0; j < e["events"].size(); ++j) {
      const auto& t = e["events"][j];
      const std::string f = absl::StrCat(p, ".events[", j, "]");
      if (!t.is_string()) {
        return Bad(setting, f, "a string");
      }
      const std::string type = ExpandEventType(t.get<std::string>());
      if (NotifiableEventTypes().count(type) == 0) {
        return Bad(setting, f, absl::StrCat("unknown event type ", QuoteUntrusted(type, 80)));
      }
      auto [it, fresh] = owner.emplace(std::make_pair(r.org_unit, type), r.id);
      if (!fresh) {
        return Bad(setting, f,
                   absl::StrCat("route ", it->second, " already sends ", type, " of ", r.org_unit,
                                ": one route per org unit and event type"));
      }
      r.event_types.insert(type);
      table.types_.insert(type);
    }
    table.routes_.push_back(std::move(r));
  }
  return table;
}

const Route* RouteTable::Find(const std::string& id) const {
  for (const Route& r : routes_) {
    if (r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

std::vector<const Route*> RouteTable::Match(
    const std::string& event_type, const std::vector<std::string>& targets, bool audience,
    const std::function<std::vector<std::string>(const std::string&)>& chain_of) const {
  std::vector<const Route*> out;
  if (!Routes(event_type)) {
    return out;
  }
  std::vector<std::vector<std::string>> target_chains;
  for (const std::string& t : targets) {
    target_chains.push_back(chain_of(t));
  }
  for (const Route& r : routes_) {
    if (r.event_types.count(event_type) == 0) {
      continue;
    }
    bool match = audience && targets.empty();
    for (size_t i = 0; i < targets.size() && !match; ++i) {
      const auto& chain = target_chains[i];
      if (targets[i] == r.org_unit) {
        match = true;
      } else if (r.include_subunits &&
                 std::find(chain.begin(), chain.end(), r.org_unit) != chain.end()) {
        match = true;
      } else if (audience) {
        const std::vector<std::string> route_chain = chain_of(r.org_unit);
        match = std::find(route_chain.begin(), route_chain.end(), targets[i]) != route_chain.end();
      }
    }
    if (match) {
      out.push_back(&r);
    }
  }
  return out;
}

v1::NotificationRoute RouteTable::ToProto(const Route& r) {
  v1::NotificationRoute p;
  p.set_name(Name(kRouteColl, r.id));
  p.set_org_unit(Name(kUnitColl, r.org_unit));
  for (const std::string& t : r.event_types) {
    p.add_event_types(t);
  }
  p.set_platform(r.platform);
  p.set_webhook_host(WebhookHost(r.url));
  p.set_signed_(!r.secret.empty());
  p.set_include_subunits(r.include_subunits);
  p.set_language(r.language);
  return p;
}

}  // namespace salesops::sync
