#include "services/sync/domain/feedback.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/validation/validation.h"

namespace salesops::sync {
namespace {

constexpr char kSep = '\x1f';

bool IsDepartmentQueue(v1::Department d) {
  return d == v1::DEPARTMENT_PRODUCT || d == v1::DEPARTMENT_MARKETING;
}

bool ValidRuleId(const std::string& id) {
  if (id.empty() || id.size() > 63) {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

// Cuts a UTF-8 string after `max` code points.
std::string CutChars(const std::string& s, int max) {
  int chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == max) {
        return s.substr(0, i);
      }
      ++chars;
    }
  }
  return s;
}

}  // namespace

v1::FeedbackRouting DefaultRouting() {
  v1::FeedbackRouting r;
  r.set_name("feedbackRouting");
  r.set_default_department(v1::DEPARTMENT_PRODUCT);
  r.set_default_sla_hours(kDefaultSlaHours);
  for (auto [id, kind] :
       {std::pair<const char*, v1::FeedbackKind>{"competitor", v1::FEEDBACK_KIND_COMPETITOR},
        {"pricing", v1::FEEDBACK_KIND_PRICING}}) {
    v1::FeedbackRoutingRule* rule = r.add_rules();
    rule->set_rule_id(id);
    rule->set_kind(kind);
    rule->set_department(v1::DEPARTMENT_MARKETING);
    rule->set_sla_hours(kDefaultSlaHours);
  }
  return r;
}

RouteDecision RouteFor(const v1::FeedbackRouting& routing, v1::FeedbackKind kind,
                       const std::string& product_line) {
  const v1::FeedbackRoutingRule* best = nullptr;
  int best_rank = -1;
  for (const v1::FeedbackRoutingRule& rule : routing.rules()) {
    const bool kind_set = rule.kind() != v1::FEEDBACK_KIND_UNSPECIFIED;
    const bool pl_set = !rule.product_line().empty();
    if (kind_set && rule.kind() != kind) {
      continue;
    }
    if (pl_set && rule.product_line() != product_line) {
      continue;
    }
    const int rank = (pl_set ? 2 : 0) + (kind_set ? 1 : 0);
    if (rank > best_rank) {
      best = &rule;
      best_rank = rank;
    }
  }
  RouteDecision d;
  if (best != nullptr) {
    d.department = best->department();
    d.routed_to = best->routed_to();
    d.sla_hours = best->sla_hours() > 0 ? best->sla_hours() : kDefaultSlaHours;
    d.rule_id = best->rule_id();
  } else {
    d.department = IsDepartmentQueue(routing.default_department()) ? routing.default_department()
                                                                   : v1::DEPARTMENT_PRODUCT;
    d.sla_hours = routing.default_sla_hours() > 0 ? routing.default_sla_hours() : kDefaultSlaHours;
  }
  return d;
}

void CheckRouting(Violations& v, const std::string& prefix, const v1::FeedbackRouting& routing) {
  if (routing.rules_size() > kMaxRoutingRules) {
    v.Add(absl::StrCat(prefix, ".rules"), absl::StrCat("at most ", kMaxRoutingRules, " rules"));
    return;
  }
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < routing.rules_size(); ++i) {
    const v1::FeedbackRoutingRule& r = routing.rules(i);
    const std::string p = absl::StrCat(prefix, ".rules[", i, "]");
    if (!ValidRuleId(r.rule_id())) {
      v.Add(p + ".rule_id", "letters, digits and '-', 1..63 characters");
    } else if (!ids.insert(r.rule_id()).second) {
      v.Add(p + ".rule_id", "used by an earlier rule");
    }
    if (!v1::FeedbackKind_IsValid(r.kind())) {
      v.Add(p + ".kind", "unknown kind");
    }
    if (!r.product_line().empty()) {
      ParseResourceName(v, p + ".product_line", r.product_line(), "orgUnits");
    }
    if (!IsDepartmentQueue(r.department())) {
      v.Add(p + ".department", "must be DEPARTMENT_PRODUCT or DEPARTMENT_MARKETING");
    }
    if (!r.routed_to().empty()) {
      ParseResourceName(v, p + ".routed_to", r.routed_to(), "orgUnits");
    }
    if (r.sla_hours() < 1 || r.sla_hours() > kMaxSlaHours) {
      v.Add(p + ".sla_hours", absl::StrCat("must be 1..", kMaxSlaHours));
    }
  }
  if (!IsDepartmentQueue(routing.default_department())) {
    v.Add(prefix + ".default_department", "must be DEPARTMENT_PRODUCT or DEPARTMENT_MARKETING");
  }
  if (routing.default_sla_hours() < 1 || routing.default_sla_hours() > kMaxSlaHours) {
    v.Add(prefix + ".default_sla_hours", absl::StrCat("must be 1..", kMaxSlaHours));
  }
}

bool IsOpen(v1::FeedbackState s) {
  return s == v1::FEEDBACK_STATE_SUBMITTED || s == v1::FEEDBACK_STATE_ROUTED;
}

absl::Status CheckAnswer(v1::FeedbackState from, v1::FeedbackState to) {
  const bool ok =
      (IsOpen(from) && (to == v1::FEEDBACK_STATE_ACCEPTED || to == v1::FEEDBACK_STATE_DECLINED ||
                        to == v1::FEEDBACK_STATE_DONE)) ||
      (from == v1::FEEDBACK_STATE_ACCEPTED &&
       (to == v1::FEEDBACK_STATE_DONE || to == v1::FEEDBACK_STATE_DECLINED));
  if (ok) {
    return absl::OkStatus();
  }
  return FailedPrecondition("FEEDBACK_CLOSED",
                            absl::StrCat("feedback in state ", v1::FeedbackState_Name(from),
                                         " cannot become ", v1::FeedbackState_Name(to)));
}

std::string InsightKey(const std::string& text) {
  std::vector<absl::string_view> words =
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  // The cut may land just after a space: trim again so the key stays trimmed.
  return std::string(absl::StripTrailingAsciiWhitespace(CutChars(absl::StrJoin(words, " "), 50)));
}

std::string InsightField(const std::string& product_line, const std::string& region,
                         const std::string& key) {
  return absl::StrCat(product_line, std::string(1, kSep), region, std::string(1, kSep), key);
}

namespace {

struct Row {
  std::string key;
  int64_t a = 0, b = 0, c = 0, d = 0;
};

// Sums counters of `hashes` (one column each) by key over the matching fields.
std::vector<Row> SumByKey(const InsightCounters& counters, const std::vector<std::string>& hashes,
                          const std::string& product_line, const std::string& region) {
  std::map<std::string, Row> rows;
  for (size_t col = 0; col < hashes.size(); ++col) {
    auto it = counters.find(hashes[col]);
    if (it == counters.end()) {
      continue;
    }
    for (const auto& [field, value] : it->second) {
      std::vector<std::string> parts = absl::StrSplit(field, absl::MaxSplits(kSep, 2));
      if (parts.size() != 3 || parts[2].empty()) {
        continue;
      }
      if (!product_line.empty() && parts[0] != product_line) {
        continue;
      }
      if (!region.empty() && parts[1] != region) {
        continue;
      }
      Row& r = rows[parts[2]];
      r.key = parts[2];
      int64_t* cell[] = {&r.a, &r.b, &r.c, &r.d};
      *cell[col] += value;
    }
  }
  std::vector<Row> out;
  for (auto& [k, r] : rows) {
    out.push_back(std::move(r));
  }
  return out;
}

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

}  // namespace

v1::FeedbackInsights AggregateInsights(const InsightCounters& counters,
                                       const std::string& product_line, const std::string& region,
                                       int limit) {
  v1::FeedbackInsights out;
  if (!product_line.empty()) {
    out.set_product_line(absl::StrCat("orgUnits/", product_line));
  }
  if (!region.empty()) {
    out.set_region(absl::StrCat("orgUnits/", region));
  }
  // Ties broken by key so the answer is stable.
  std::vector<Row> caps =
      SumByKey(counters, {kCapAmount, kCapCount, kCapOpps}, product_line, region);
  std::sort(caps.begin(), caps.end(), [](const Row& x, const Row& y) {
    return std::tie(y.a, y.b, x.key) < std::tie(x.a, x.b, y.key);
  });
  for (size_t i = 0; i < caps.size() && static_cast<int>(i) < limit; ++i) {
    v1::CapabilityDemand* c = out.add_top_capabilities();
    c->set_capability(caps[i].key);
    c->set_feedback_count(static_cast<int32_t>(caps[i].b));
    c->set_opportunity_count(static_cast<int32_t>(caps[i].c));
    *c->mutable_revenue_at_stake() = Cny(caps[i].a);
  }
  std::vector<Row> losses = SumByKey(counters, {kLossCount, kLossAmount}, product_line, region);
  std::sort(losses.begin(), losses.end(), [](const Row& x, const Row& y) {
    return std::tie(y.a, y.b, x.key) < std::tie(x.a, x.b, y.key);
  });
  for (size_t i = 0; i < losses.size() && static_cast<int>(i) < limit; ++i) {
    v1::LossReasonCount* l = out.add_loss_reasons();
    l->set_reason(losses[i].key);
    l->set_lost_count(static_cast<int32_t>(losses[i].a));
    *l->mutable_lost_amount() = Cny(losses[i].b);
  }
  std::vector<Row> comps =
      SumByKey(counters, {kCompLost, kCompAmount, kCompFeedback}, product_line, region);
  std::sort(comps.begin(), comps.end(), [](const Row& x, const Row& y) {
    return std::tie(y.a, y.c, y.b, x.key) < std::tie(x.a, x.c, x.b, y.key);
  });
  for (size_t i = 0; i < comps.size() && static_cast<int>(i) < limit; ++i) {
    v1::CompetitorCount* c = out.add_competitors();
    c->set_competitor(comps[i].key);
    c->set_lost_count(static_cast<int32_t>(comps[i].a));
    *c->mutable_lost_amount() = Cny(comps[i].b);
    c->set_feedback_count(static_cast<int32_t>(comps[i].c));
  }
  return out;
}

}  // namespace salesops::sync
