#include "services/warning/domain/rules.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/errors.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace salesops::warning {
namespace {

using customers::v1::CustomerTier;
using customers::v1::OpportunityStage;

// The shipped rules. Thresholds are starting points agreed with sales ops;
// units override them (RuleOverride) rather than editing code.
constexpr absl::string_view kDefaultRules[] = {
    R"pb(
      name: "rules/pace-below-plan"
      display_name: "季度进度落后 / Attainment pace below plan"
      condition: CONDITION_KIND_PACE_BELOW_PLAN
      enabled: true
      threshold { ratio_basis_points: 8000 grace_days: 14 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "{subject} 本期达成进度为计划的 {pace_pct}，低于 {threshold_pct}（已过 {elapsed_days} 天）"
        en: "{subject} is at {pace_pct} of plan pace, below {threshold_pct} ({elapsed_days} days into the period)"
      }
      renotify_after_hours: 72
    )pb",
    R"pb(
      name: "rules/pipeline-coverage-low"
      display_name: "商机覆盖不足 / Pipeline coverage low"
      condition: CONDITION_KIND_PIPELINE_COVERAGE_LOW
      enabled: true
      threshold { ratio_basis_points: 30000 grace_days: 7 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "{subject} 加权商机 {weighted_pipeline} 仅为剩余目标 {target_remaining} 的 {coverage_x}，低于 {threshold_x}"
        en: "{subject} has weighted pipeline {weighted_pipeline}, {coverage_x} of the remaining target {target_remaining}, below {threshold_x}"
      }
      renotify_after_hours: 168
    )pb",
    R"pb(
      name: "rules/opportunity-stalled-lead"
      display_name: "线索阶段停滞 / Opportunity stalled in lead"
      condition: CONDITION_KIND_OPPORTUNITY_STALLED
      enabled: true
      threshold { days: 30 }
      severity: SEVERITY_INFO
      message_template {
        zh: "商机 {subject} 在「{stage}」阶段已停留 {days} 天（预警线 {threshold_days} 天）"
        en: "Opportunity {subject} has been in {stage} for {days} days (warns at {threshold_days})"
      }
    )pb",
    R"pb(
      name: "rules/opportunity-stalled-qualified"
      display_name: "商机确认阶段停滞 / Opportunity stalled in qualified"
      condition: CONDITION_KIND_OPPORTUNITY_STALLED
      enabled: true
      threshold { days: 21 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "商机 {subject} 在「{stage}」阶段已停留 {days} 天（预警线 {threshold_days} 天）"
        en: "Opportunity {subject} has been in {stage} for {days} days (warns at {threshold_days})"
      }
    )pb",
    R"pb(
      name: "rules/opportunity-stalled-proposal"
      display_name: "方案阶段停滞 / Opportunity stalled in proposal"
      condition: CONDITION_KIND_OPPORTUNITY_STALLED
      enabled: true
      threshold { days: 14 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "商机 {subject}（{amount}）在「{stage}」阶段已停留 {days} 天（预警线 {threshold_days} 天）"
        en: "Opportunity {subject} ({amount}) has been in {stage} for {days} days (warns at {threshold_days})"
      }
    )pb",
    R"pb(
      name: "rules/opportunity-stalled-negotiation"
      display_name: "谈判阶段停滞 / Opportunity stalled in negotiation"
      condition: CONDITION_KIND_OPPORTUNITY_STALLED
      enabled: true
      threshold { days: 14 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "商机 {subject}（{amount}）在「{stage}」阶段已停留 {days} 天（预警线 {threshold_days} 天）"
        en: "Opportunity {subject} ({amount}) has been in {stage} for {days} days (warns at {threshold_days})"
      }
    )pb",
    R"pb(
      name: "rules/opportunity-stalled-contract"
      display_name: "合同阶段停滞 / Opportunity stalled in contract"
      condition: CONDITION_KIND_OPPORTUNITY_STALLED
      enabled: true
      threshold { days: 7 }
      severity: SEVERITY_CRITICAL
      message_template {
        zh: "商机 {subject}（{amount}）在「{stage}」阶段已停留 {days} 天（预警线 {threshold_days} 天）"
        en: "Opportunity {subject} ({amount}) has been in {stage} for {days} days (warns at {threshold_days})"
      }
    )pb",
    R"pb(
      name: "rules/key-customer-neglected"
      display_name: "重点客户未跟进 / Key customer without activity"
      condition: CONDITION_KIND_KEY_CUSTOMER_NEGLECTED
      enabled: true
      threshold { days: 30 tiers: CUSTOMER_TIER_S tiers: CUSTOMER_TIER_A }
      severity: SEVERITY_WARNING
      message_template {
        zh: "{tier} 级客户 {subject} 已 {days} 天无跟进记录（预警线 {threshold_days} 天）"
        en: "Tier {tier} customer {subject} has had no activity for {days} days (warns at {threshold_days})"
      }
      renotify_after_hours: 168
    )pb",
    R"pb(
      name: "rules/payment-overdue"
      display_name: "回款逾期 / Payment overdue"
      condition: CONDITION_KIND_PAYMENT_OVERDUE
      enabled: true
      threshold { days: 1 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "合同 {subject} 有 {amount} 回款已逾期 {days} 天"
        en: "Contract {subject} has {amount} overdue by {days} days"
      }
      renotify_after_hours: 168
    )pb",
    R"pb(
      name: "rules/key-account-tier-downgrade"
      display_name: "重点客户降级 / Key account tier downgrade"
      condition: CONDITION_KIND_TIER_DOWNGRADE
      enabled: true
      threshold { tiers: CUSTOMER_TIER_S tiers: CUSTOMER_TIER_A }
      severity: SEVERITY_CRITICAL
      message_template {
        zh: "重点客户 {subject} 由 {from_tier} 级降为 {to_tier} 级"
        en: "Key account {subject} dropped from tier {from_tier} to tier {to_tier}"
      }
    )pb",
    R"pb(
      name: "rules/forecast-gap"
      display_name: "预测缺口 / Forecast gap"
      condition: CONDITION_KIND_FORECAST_GAP
      enabled: true
      threshold { ratio_basis_points: 1000 grace_days: 14 }
      severity: SEVERITY_WARNING
      message_template {
        zh: "{subject} 预测 {forecast} 比目标 {target} 低 {gap_pct}，超过 {threshold_pct}"
        en: "{subject} forecasts {forecast}, {gap_pct} short of the target {target} (limit {threshold_pct})"
      }
    )pb",
};

constexpr absl::string_view kStalledPrefix = "rules/opportunity-stalled-";

struct StageSuffix {
  absl::string_view suffix;
  OpportunityStage stage;
};
constexpr StageSuffix kStageSuffixes[] = {
    {"lead", customers::v1::OPPORTUNITY_STAGE_LEAD},
    {"qualified", customers::v1::OPPORTUNITY_STAGE_QUALIFIED},
    {"proposal", customers::v1::OPPORTUNITY_STAGE_PROPOSAL},
    {"negotiation", customers::v1::OPPORTUNITY_STAGE_NEGOTIATION},
    {"contract", customers::v1::OPPORTUNITY_STAGE_CONTRACT},
};

bool IsResourceName(absl::string_view name, absl::string_view collection) {
  return absl::StartsWith(name, collection) && name.size() > collection.size() &&
         name.substr(collection.size()).find('/') == absl::string_view::npos;
}

bool IsPlaceholderChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Placeholder names a template uses ({{ and }} skipped, malformed ignored).
std::vector<std::string> TemplatePlaceholders(absl::string_view tmpl) {
  std::vector<std::string> out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '{') {
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      ++i;
      continue;
    }
    size_t end = tmpl.find('}', i + 1);
    if (end == absl::string_view::npos) {
      break;
    }
    absl::string_view name = tmpl.substr(i + 1, end - i - 1);
    if (!name.empty() && std::all_of(name.begin(), name.end(), IsPlaceholderChar)) {
      out.emplace_back(name);
      i = end;
    }
  }
  return out;
}

bool ReadsRatio(v1::ConditionKind kind) {
  return kind == v1::CONDITION_KIND_PACE_BELOW_PLAN ||
         kind == v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW ||
         kind == v1::CONDITION_KIND_FORECAST_GAP;
}
bool ReadsDays(v1::ConditionKind kind) {
  return kind == v1::CONDITION_KIND_OPPORTUNITY_STALLED ||
         kind == v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED ||
         kind == v1::CONDITION_KIND_PAYMENT_OVERDUE;
}
bool ReadsTiers(v1::ConditionKind kind) {
  return kind == v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED ||
         kind == v1::CONDITION_KIND_TIER_DOWNGRADE;
}
bool ReadsMinAmount(v1::ConditionKind kind) {
  return kind == v1::CONDITION_KIND_OPPORTUNITY_STALLED ||
         kind == v1::CONDITION_KIND_PAYMENT_OVERDUE;
}

// Upper bounds that catch unit mistakes (a ratio of 3 meant as 3×, days in hours).
constexpr int64_t kMaxRatioBasisPoints = 1'000'000;  // 100×
constexpr int32_t kMaxDays = 3660;

void ValidateThreshold(v1::ConditionKind kind, const v1::Threshold& t, const std::string& field,
                       Violations& v) {
  if (ReadsRatio(kind)) {
    if (t.ratio_basis_points() <= 0 || t.ratio_basis_points() > kMaxRatioBasisPoints) {
      v.Add(field + ".ratio_basis_points",
            absl::StrCat("must be in 1..", kMaxRatioBasisPoints, " (10000 = 100% or 1×)"));
    }
    if (kind == v1::CONDITION_KIND_FORECAST_GAP && t.ratio_basis_points() > 10000) {
      v.Add(field + ".ratio_basis_points", "a forecast gap cannot exceed 10000 (100% of target)");
    }
    if (t.grace_days() < 0 || t.grace_days() > kMaxDays) {
      v.Add(field + ".grace_days", absl::StrCat("must be in 0..", kMaxDays));
    }
  }
  if (ReadsDays(kind)) {
    // NEGLECTED accepts 0 (= the tier's visit cadence); PAYMENT_OVERDUE 0 = any overdue.
    const int32_t min_days = kind == v1::CONDITION_KIND_OPPORTUNITY_STALLED ? 1 : 0;
    if (t.days() < min_days || t.days() > kMaxDays) {
      v.Add(field + ".days", absl::StrCat("must be in ", min_days, "..", kMaxDays));
    }
  }
  if (ReadsMinAmount(kind) && t.has_min_amount()) {
    if (t.min_amount().amount_minor() < 0) {
      v.Add(field + ".min_amount.amount_minor", "must not be negative");
    }
    const std::string& cc = t.min_amount().currency_code();
    if (!cc.empty() && (cc.size() != 3 || !std::all_of(cc.begin(), cc.end(), [](char c) {
                          return c >= 'A' && c <= 'Z';
                        }))) {
      v.Add(field + ".min_amount.currency_code", "must be an ISO 4217 code such as CNY");
    }
  }
  if (ReadsTiers(kind)) {
    if (t.tiers().empty()) {
      v.Add(field + ".tiers", "must name at least one customer tier");
    }
    absl::flat_hash_set<int> seen;
    for (int i = 0; i < t.tiers_size(); ++i) {
      const int tier = t.tiers(i);
      if (tier == customers::v1::CUSTOMER_TIER_UNSPECIFIED ||
          !customers::v1::CustomerTier_IsValid(tier)) {
        v.Add(absl::StrCat(field, ".tiers[", i, "]"), "must be a known tier");
      } else if (!seen.insert(tier).second) {
        v.Add(absl::StrCat(field, ".tiers[", i, "]"), "is listed twice");
      }
    }
  }
}

// Keeps the first parse error for the status (instead of logging it).
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first.empty()) {
      // The message may quote the input, which need not be UTF-8.
      first = absl::StrCat("line ", line + 1, " column ", column + 1, ": ",
                           QuoteUntrusted(message, 200));
    }
  }
  std::string first;
};

}  // namespace

std::vector<std::string> PlaceholdersFor(v1::ConditionKind kind) {
  switch (kind) {
    case v1::CONDITION_KIND_PACE_BELOW_PLAN:
      return {"subject", "pace_pct", "threshold_pct", "elapsed_days"};
    case v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW:
      return {"subject",           "coverage_x",       "threshold_x",
              "weighted_pipeline", "target_remaining", "elapsed_days"};
    case v1::CONDITION_KIND_OPPORTUNITY_STALLED:
      return {"subject", "stage", "days", "threshold_days", "amount"};
    case v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED:
      return {"subject", "tier", "days", "threshold_days"};
    case v1::CONDITION_KIND_PAYMENT_OVERDUE:
      return {"subject", "days", "threshold_days", "amount"};
    case v1::CONDITION_KIND_TIER_DOWNGRADE:
      return {"subject", "from_tier", "to_tier"};
    case v1::CONDITION_KIND_FORECAST_GAP:
      return {"subject", "gap_pct", "threshold_pct", "forecast", "target", "elapsed_days"};
    default:
      return {"subject"};
  }
}

std::optional<OpportunityStage> StalledRuleStage(const v1::Rule& rule) {
  absl::string_view name = rule.name();
  if (!absl::StartsWith(name, kStalledPrefix)) {
    return std::nullopt;
  }
  absl::string_view suffix = name.substr(kStalledPrefix.size());
  for (const StageSuffix& s : kStageSuffixes) {
    if (suffix == s.suffix) {
      return s.stage;
    }
  }
  return std::nullopt;
}

absl::Status ValidateRule(const v1::Rule& rule) {
  Violations v;
  if (!IsResourceName(rule.name(), "rules/")) {
    v.Add("rule.name", "must be rules/{id}");
  }
  if (rule.display_name().empty()) {
    v.Add("rule.display_name", "must not be empty");
  }
  const v1::ConditionKind kind = rule.condition();
  if (kind == v1::CONDITION_KIND_UNSPECIFIED || !v1::ConditionKind_IsValid(kind)) {
    v.Add("rule.condition", "must be set");
  }
  if (rule.severity() == v1::SEVERITY_UNSPECIFIED || !v1::Severity_IsValid(rule.severity())) {
    v.Add("rule.severity", "must be set");
  }
  if (!rule.scope().empty() && !IsResourceName(rule.scope(), "orgUnits/")) {
    v.Add("rule.scope", "must be empty (whole company) or orgUnits/{id}");
  }
  if (kind == v1::CONDITION_KIND_OPPORTUNITY_STALLED &&
      absl::StartsWith(rule.name(), kStalledPrefix) && !StalledRuleStage(rule).has_value()) {
    v.Add("rule.name", "a rules/opportunity-stalled-<stage> suffix must name an open stage");
  }
  const std::vector<std::string> allowed = PlaceholdersFor(kind);
  auto check_template = [&](const std::string& tmpl, const char* field) {
    if (tmpl.empty()) {
      v.Add(field, "must not be empty");
      return;
    }
    for (const std::string& p : TemplatePlaceholders(tmpl)) {
      if (std::find(allowed.begin(), allowed.end(), p) == allowed.end()) {
        v.Add(field, absl::StrCat("unknown placeholder {", p, "}; this condition provides {",
                                  absl::StrJoin(allowed, "} {"), "}"));
      }
    }
  };
  check_template(rule.message_template().zh(), "rule.message_template.zh");
  check_template(rule.message_template().en(), "rule.message_template.en");
  ValidateThreshold(kind, rule.threshold(), "rule.threshold", v);
  if (rule.renotify_after_hours() < 0) {
    v.Add("rule.renotify_after_hours", "must not be negative");
  }
  absl::flat_hash_set<std::string> units;
  for (int i = 0; i < rule.overrides_size(); ++i) {
    const v1::RuleOverride& o = rule.overrides(i);
    const std::string field = absl::StrCat("rule.overrides[", i, "]");
    if (!IsResourceName(o.org_unit(), "orgUnits/")) {
      v.Add(field + ".org_unit", "must be orgUnits/{id}");
    } else if (!units.insert(o.org_unit()).second) {
      v.Add(field + ".org_unit",
            absl::StrCat(QuoteUntrusted(o.org_unit()), " already has an override"));
    }
    if (o.has_threshold()) {
      ValidateThreshold(kind, o.threshold(), field + ".threshold", v);
    }
    if (!v1::Severity_IsValid(o.severity())) {
      v.Add(field + ".severity", "must be a known severity");
    }
  }
  return v.Finish();
}

absl::StatusOr<v1::Rule> ParseRule(absl::string_view textproto) {
  v1::Rule rule;
  ParseErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(textproto), &rule)) {
    return InvalidArgument({{"rule", absl::StrCat("not a valid text-format Rule: ", errors.first)}},
                           "RULE_PARSE_ERROR");
  }
  if (absl::Status s = ValidateRule(rule); !s.ok()) {
    return s;
  }
  return rule;
}

absl::StatusOr<std::vector<v1::Rule>> DefaultRules() {
  std::vector<v1::Rule> rules;
  rules.reserve(std::size(kDefaultRules));
  for (absl::string_view text : kDefaultRules) {
    absl::StatusOr<v1::Rule> rule = ParseRule(text);
    if (!rule.ok()) {
      return Internal("DEFAULT_RULES_BROKEN",
                      absl::StrCat("shipped rule does not load: ", rule.status().ToString()));
    }
    rules.push_back(*std::move(rule));
  }
  std::sort(rules.begin(), rules.end(),
            [](const v1::Rule& a, const v1::Rule& b) { return a.name() < b.name(); });
  return rules;
}

v1::Rule EffectiveRule(const v1::Rule& rule,
                       const google::protobuf::RepeatedPtrField<v1::RuleOverride>& overrides,
                       const std::vector<std::string>& unit_and_ancestors) {
  v1::Rule out = rule;
  out.clear_overrides();
  if (!rule.scope().empty() && std::find(unit_and_ancestors.begin(), unit_and_ancestors.end(),
                                         rule.scope()) == unit_and_ancestors.end()) {
    out.set_enabled(false);
    return out;
  }
  for (const std::string& unit : unit_and_ancestors) {
    for (const v1::RuleOverride& o : overrides) {
      if (o.org_unit() != unit) {
        continue;
      }
      if (o.has_threshold()) {
        *out.mutable_threshold() = o.threshold();
      }
      if (o.severity() != v1::SEVERITY_UNSPECIFIED) {
        out.set_severity(o.severity());
      }
      if (o.disabled()) {
        out.set_enabled(false);
      }
      return out;
    }
  }
  return out;
}

v1::Rule EffectiveRule(const v1::Rule& rule, const std::vector<std::string>& unit_and_ancestors) {
  return EffectiveRule(rule, rule.overrides(), unit_and_ancestors);
}

std::string RenderMessage(absl::string_view tmpl,
                          const absl::flat_hash_map<std::string, std::string>& values) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  size_t i = 0;
  while (i < tmpl.size()) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out.push_back(c);
      i += 2;
      continue;
    }
    if (c == '{') {
      const size_t end = tmpl.find('}', i + 1);
      if (end != absl::string_view::npos) {
        absl::string_view name = tmpl.substr(i + 1, end - i - 1);
        if (!name.empty() && std::all_of(name.begin(), name.end(), IsPlaceholderChar)) {
          auto it = values.find(name);
          if (it != values.end()) {
            out.append(it->second);
          } else {
            out.append(tmpl.data() + i, end - i + 1);  // left visible, not dropped
          }
          i = end + 1;
          continue;
        }
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace salesops::warning
