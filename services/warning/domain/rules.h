// Warning rules as data: the rule set shipped by default (embedded textproto,
// one Rule per entry), validation of a rule from configuration, the effective
// rule for one org unit after per-unit overrides, and message rendering.
// Pure functions over the warning protos; no I/O.
//
//   SALESOPS_ASSIGN_OR_RETURN(std::vector<v1::Rule> rules, DefaultRules());
//   v1::Rule eff = EffectiveRule(rules[0], {"orgUnits/team-7", "orgUnits/east", "orgUnits/hq"});
//   std::string text = RenderMessage(eff.message_template().en(), {{"subject", "Li Lei"}});
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/warning/v1/warning_resources.pb.h"

namespace salesops::warning {

// The shipped rules, parsed from the embedded textproto and validated:
// pace below plan, pipeline coverage low, opportunity stalled (one rule per
// open stage), key customer neglected, payment overdue, key-account tier
// downgrade and forecast gap (fed by the forecast service's ForecastUpdated
// events; a subject without a forecast stays unknown, never raised). Sorted by name; INTERNAL only
// if the embedded data is broken (a test guards that).
absl::StatusOr<std::vector<v1::Rule>> DefaultRules();

// Parses one rule from text format (configuration files, admin uploads) and
// validates it. INVALID_ARGUMENT "rule" (reason RULE_PARSE_ERROR) when the text
// does not parse, else whatever ValidateRule reports.
absl::StatusOr<v1::Rule> ParseRule(absl::string_view textproto);

// Checks a rule from configuration. INVALID_ARGUMENT with one violation per
// problem, fields named "rule.<field>" (e.g. "rule.threshold.ratio_basis_points",
// "rule.overrides[1].org_unit", "rule.message_template.en"):
//   name "rules/{id}"; display_name non-empty; condition and severity set;
//   scope empty or "orgUnits/{id}"; both templates non-empty, using only the
//   placeholders the condition provides (PlaceholdersFor); the threshold
//   fields the condition reads are in range (also inside each override);
//   override units are "orgUnits/{id}" and distinct; renotify_after_hours >= 0;
//   a stalled rule's name suffix, if any, names an open stage.
absl::Status ValidateRule(const v1::Rule& rule);

// The placeholders a condition's templates may use ({subject} always).
std::vector<std::string> PlaceholdersFor(v1::ConditionKind kind);

// The rule as it applies to a subject in `unit_and_ancestors` (the subject's
// unit first, then each parent up to the root, "orgUnits/{id}").
//   - A rule whose scope is not in the chain does not apply: enabled = false.
//   - The nearest unit in the chain with an override wins as a whole: its
//     threshold (when set) replaces the rule's, its severity (when not
//     UNSPECIFIED) replaces the rule's, and `disabled` switches the rule off.
//     Fields the winning override leaves unset keep the rule's own values
//     (not those of overrides further up). Two overrides for one unit: the
//     first listed wins (ValidateRule rejects that anyway).
// The result has no overrides. Deterministic; O(chain × overrides).
v1::Rule EffectiveRule(const v1::Rule& rule,
                       const google::protobuf::RepeatedPtrField<v1::RuleOverride>& overrides,
                       const std::vector<std::string>& unit_and_ancestors);
// Same, with the overrides carried by the rule itself.
v1::Rule EffectiveRule(const v1::Rule& rule, const std::vector<std::string>& unit_and_ancestors);

// Substitutes {name} with values[name]. Safe with any template: an unknown or
// malformed placeholder is left as written, "{{" and "}}" are literal braces,
// and substituted values are never re-scanned.
std::string RenderMessage(absl::string_view tmpl,
                          const absl::flat_hash_map<std::string, std::string>& values);

// For OPPORTUNITY_STALLED rules: the stage a rule watches, from its name
// "rules/opportunity-stalled-<stage>" (stage as in StageName: "lead",
// "qualified", "proposal", "negotiation", "contract"). nullopt = every open
// stage. Threshold has no stage field, so per-stage limits are separate rules.
std::optional<customers::v1::OpportunityStage> StalledRuleStage(const v1::Rule& rule);

}  // namespace salesops::warning
