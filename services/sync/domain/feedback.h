// Feedback rules: which department's queue a piece of field feedback goes to
// and by when it must be answered (the routing rules), which answers are
// allowed in which state, and the insights aggregated from feedback and lost
// deals (counters keyed by product line, region and a normalised key).
//
//   RouteDecision d = RouteFor(routing, v1::FEEDBACK_KIND_PRICING, "pl-gateway");
//   // d.department == MARKETING, d.sla_hours == 48, d.rule_id == "pricing"
//   v1::FeedbackInsights in = AggregateInsights(counters, "pl-gateway", "", 10);
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "common/status/errors.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

inline constexpr int kDefaultSlaHours = 72;
inline constexpr int kMaxSlaHours = 720;
inline constexpr int kMaxRoutingRules = 200;

// Competitor and pricing feedback to MARKETING, the rest to PRODUCT, 72 h.
v1::FeedbackRouting DefaultRouting();

struct RouteDecision {
  v1::Department department = v1::DEPARTMENT_UNSPECIFIED;
  std::string routed_to;  // "orgUnits/{id}" or ""
  int sla_hours = kDefaultSlaHours;
  std::string rule_id;  // "" = the default
};
// The most specific matching rule (kind and product line, then product line,
// then kind, then a rule for any); among equally specific rules the first;
// the routing's default when none matches. `product_line` is a resource name.
RouteDecision RouteFor(const v1::FeedbackRouting& routing, v1::FeedbackKind kind,
                       const std::string& product_line);

// Field checks of a routing sent by a client (paths under `prefix`, e.g. "routing").
void CheckRouting(Violations& v, const std::string& prefix, const v1::FeedbackRouting& routing);

// ACCEPTED, DECLINED or DONE from SUBMITTED / ROUTED; DONE or DECLINED from
// ACCEPTED. FAILED_PRECONDITION FEEDBACK_CLOSED otherwise.
absl::Status CheckAnswer(v1::FeedbackState from, v1::FeedbackState to);
bool IsOpen(v1::FeedbackState s);

// ---- insights
// A text as a counter key: trimmed, inner whitespace collapsed, at most 50
// characters; "" stays "".
std::string InsightKey(const std::string& text);
// The counter field of (product line id, region id, key).
std::string InsightField(const std::string& product_line, const std::string& region,
                         const std::string& key);

// Names of the counter hashes (under the service's keyspace).
inline constexpr char kCapCount[] = "ins:cap:n";
inline constexpr char kCapOpps[] = "ins:cap:opps";
inline constexpr char kCapAmount[] = "ins:cap:amt";
inline constexpr char kLossCount[] = "ins:loss:n";
inline constexpr char kLossAmount[] = "ins:loss:amt";
inline constexpr char kCompLost[] = "ins:comp:n";
inline constexpr char kCompAmount[] = "ins:comp:amt";
inline constexpr char kCompFeedback[] = "ins:comp:fb";

// Counter hash name → its fields.
using InsightCounters = std::map<std::string, std::map<std::string, int64_t>>;
// Sums the counters over the rows matching the filters (ids; "" = any) and
// ranks them: capabilities by revenue at stake, loss reasons by count,
// competitors by lost deals then feedback; `limit` rows each.
v1::FeedbackInsights AggregateInsights(const InsightCounters& counters,
                                       const std::string& product_line, const std::string& region,
                                       int limit);

}  // namespace salesops::sync
