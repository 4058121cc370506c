// Tests for the rule set as data: the shipped rules load and validate,
// ValidateRule names every bad field, overrides resolve nearest-wins, and
// message rendering is safe with any template.
#include "services/warning/domain/rules.h"

#include <set>
#include <string>
#include <vector>

#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::warning {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

v1::Rule ShippedRule(absl::string_view name) {
  absl::StatusOr<std::vector<v1::Rule>> rules = DefaultRules();
  EXPECT_TRUE(rules.ok()) << rules.status();
  for (const v1::Rule& r : *rules) {
    if (r.name() == name) {
      return r;
    }
  }
  ADD_FAILURE() << "no shipped rule " << name;
  return {};
}

v1::Rule ValidPaceRule() { return ShippedRule("rules/pace-below-plan"); }

const std::vector<std::string> kChain = {"orgUnits/team-1", "orgUnits/east", "orgUnits/hq"};

v1::RuleOverride Override(const std::string& unit, int64_t ratio_bp,
                          v1::Severity severity = v1::SEVERITY_UNSPECIFIED, bool disabled = false) {
  v1::RuleOverride o;
  o.set_org_unit(unit);
  if (ratio_bp > 0) {
    o.mutable_threshold()->set_ratio_basis_points(ratio_bp);
  }
  o.set_severity(severity);
  o.set_disabled(disabled);
  return o;
}

TEST(DefaultRulesTest, LoadValidateAndAreSortedByName) {
  absl::StatusOr<std::vector<v1::Rule>> rules = DefaultRules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 11u);
  for (size_t i = 0; i < rules->size(); ++i) {
    EXPECT_TRUE(ValidateRule((*rules)[i]).ok()) << (*rules)[i].name();
    if (i > 0) {
      EXPECT_LT((*rules)[i - 1].name(), (*rules)[i].name());
    }
  }
}

TEST(DefaultRulesTest, CoverEveryConditionKind) {
  std::set<int> kinds;
  const std::vector<v1::Rule> rules = DefaultRules().value();
  for (const v1::Rule& r : rules) {
    kinds.insert(r.condition());
  }
  for (int k = v1::ConditionKind_MIN + 1; k <= v1::ConditionKind_MAX; ++k) {
    EXPECT_TRUE(kinds.count(k)) << v1::ConditionKind_Name(static_cast<v1::ConditionKind>(k));
  }
}

TEST(DefaultRulesTest, ShipTheAgreedThresholds) {
  EXPECT_EQ(ShippedRule("rules/pace-below-plan").threshold().ratio_basis_points(), 8000);
  EXPECT_EQ(ShippedRule("rules/pipeline-coverage-low").threshold().ratio_basis_points(), 30000);
  EXPECT_EQ(ShippedRule("rules/opportunity-stalled-lead").threshold().days(), 30);
  EXPECT_EQ(ShippedRule("rules/opportunity-stalled-qualified").threshold().days(), 21);
  EXPECT_EQ(ShippedRule("rules/opportunity-stalled-proposal").threshold().days(), 14);
  EXPECT_EQ(ShippedRule("rules/opportunity-stalled-negotiation").threshold().days(), 14);
  EXPECT_EQ(ShippedRule("rules/opportunity-stalled-contract").threshold().days(), 7);
  EXPECT_EQ(ShippedRule("rules/key-customer-neglected").threshold().days(), 30);
  EXPECT_EQ(ShippedRule("rules/payment-overdue").threshold().days(), 1);
  EXPECT_THAT(ShippedRule("rules/key-account-tier-downgrade").threshold().tiers(),
              ElementsAre(customers::v1::CUSTOMER_TIER_S, customers::v1::CUSTOMER_TIER_A));
  EXPECT_TRUE(ShippedRule("rules/forecast-gap").enabled());
  EXPECT_TRUE(ShippedRule("rules/pace-below-plan").enabled());
}

TEST(DefaultRulesTest, TemplatesRenderFullyInBothLanguages) {
  const std::vector<v1::Rule> rules = DefaultRules().value();
  for (const v1::Rule& r : rules) {
    absl::flat_hash_map<std::string, std::string> values;
    for (const std::string& p : PlaceholdersFor(r.condition())) {
      values[p] = "x";
    }
    for (const std::string& tmpl : {r.message_template().zh(), r.message_template().en()}) {
      const std::string out = RenderMessage(tmpl, values);
      EXPECT_EQ(out.find('{'), std::string::npos) << r.name() << ": " << out;
    }
  }
}

TEST(ValidateRuleTest, AcceptsAValidRule) { EXPECT_TRUE(ValidateRule(ValidPaceRule()).ok()); }

TEST(ValidateRuleTest, NamesEachMissingRequiredField) {
  v1::Rule r;
  const absl::Status s = ValidateRule(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s),
              ElementsAre("rule.name", "rule.display_name", "rule.condition", "rule.severity",
                          "rule.message_template.zh", "rule.message_template.en"));
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
}

TEST(ValidateRuleTest, RejectsMalformedNameAndScope) {
  v1::Rule r = ValidPaceRule();
  r.set_name("pace");
  r.set_scope("teams/1");
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.name", "rule.scope"));
  r.set_name("rules/a/b");
  r.set_scope("orgUnits/");
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.name", "rule.scope"));
}

TEST(ValidateRuleTest, RejectsUnknownPlaceholderForTheCondition) {
  v1::Rule r = ValidPaceRule();
  r.mutable_message_template()->set_en("{subject} stalled {days} days");
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.message_template.en"));
}

TEST(ValidateRuleTest, RatioConditionsNeedAPositiveRatioAndGraceInRange) {
  v1::Rule r = ValidPaceRule();
  r.mutable_threshold()->set_ratio_basis_points(0);
  r.mutable_threshold()->set_grace_days(-1);
  EXPECT_THAT(Fields(ValidateRule(r)),
              ElementsAre("rule.threshold.ratio_basis_points", "rule.threshold.grace_days"));
  r.mutable_threshold()->set_ratio_basis_points(1'000'001);
  r.mutable_threshold()->set_grace_days(0);
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.threshold.ratio_basis_points"));
}

TEST(ValidateRuleTest, ForecastGapCannotExceedTheWholeTarget) {
  v1::Rule r = ShippedRule("rules/forecast-gap");
  r.mutable_threshold()->set_ratio_basis_points(10001);
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.threshold.ratio_basis_points"));
}

TEST(ValidateRuleTest, DayConditionsCheckDaysPerKind) {
  v1::Rule stalled = ShippedRule("rules/opportunity-stalled-lead");
  stalled.mutable_threshold()->set_days(0);
  EXPECT_THAT(Fields(ValidateRule(stalled)), ElementsAre("rule.threshold.days"));
  v1::Rule neglected = ShippedRule("rules/key-customer-neglected");
  neglected.mutable_threshold()->set_days(0);  // 0 = the tier's visit cadence
  EXPECT_TRUE(ValidateRule(neglected).ok());
  neglected.mutable_threshold()->set_days(-1);
  EXPECT_THAT(Fields(ValidateRule(neglected)), ElementsAre("rule.threshold.days"));
  v1::Rule overdue = ShippedRule("rules/payment-overdue");
  overdue.mutable_threshold()->set_days(4000);
  EXPECT_THAT(Fields(ValidateRule(overdue)), ElementsAre("rule.threshold.days"));
}

TEST(ValidateRuleTest, MinAmountMustBeNonNegativeWithAnIsoCurrency) {
  v1::Rule r = ShippedRule("rules/payment-overdue");
  r.mutable_threshold()->mutable_min_amount()->set_amount_minor(-1);
  r.mutable_threshold()->mutable_min_amount()->set_currency_code("yuan");
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.threshold.min_amount.amount_minor",
                                                   "rule.threshold.min_amount.currency_code"));
}

TEST(ValidateRuleTest, TierConditionsNeedDistinctKnownTiers) {
  v1::Rule r = ShippedRule("rules/key-account-tier-downgrade");
  r.mutable_threshold()->clear_tiers();
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.threshold.tiers"));
  r.mutable_threshold()->add_tiers(customers::v1::CUSTOMER_TIER_S);
  r.mutable_threshold()->add_tiers(customers::v1::CUSTOMER_TIER_UNSPECIFIED);
  r.mutable_threshold()->add_tiers(customers::v1::CUSTOMER_TIER_S);
  EXPECT_THAT(Fields(ValidateRule(r)),
              ElementsAre("rule.threshold.tiers[1]", "rule.threshold.tiers[2]"));
}

TEST(ValidateRuleTest, StalledRuleSuffixMustNameAnOpenStage) {
  v1::Rule r = ShippedRule("rules/opportunity-stalled-lead");
  r.set_name("rules/opportunity-stalled-won");
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.name"));
  r.set_name("rules/big-deals-stalled");  // no suffix convention: watches every open stage
  EXPECT_TRUE(ValidateRule(r).ok());
}

TEST(ValidateRuleTest, ChecksOverridesUnitsDuplicatesAndThresholds) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/east", 7000);
  *r.add_overrides() = Override("east", 7000);
  *r.add_overrides() = Override("orgUnits/east", 6000);
  *r.add_overrides() = Override("orgUnits/west", 0);
  r.mutable_overrides(3)->mutable_threshold()->set_ratio_basis_points(-5);
  EXPECT_THAT(Fields(ValidateRule(r)),
              ElementsAre("rule.overrides[1].org_unit", "rule.overrides[2].org_unit",
                          "rule.overrides[3].threshold.ratio_basis_points"));
}

TEST(ValidateRuleTest, RejectsNegativeRenotify) {
  v1::Rule r = ValidPaceRule();
  r.set_renotify_after_hours(-1);
  EXPECT_THAT(Fields(ValidateRule(r)), ElementsAre("rule.renotify_after_hours"));
}

TEST(ParseRuleTest, ParsesAndValidatesTextFormat) {
  absl::StatusOr<v1::Rule> r = ParseRule(R"pb(
    name: "rules/big-deal-stalled"
    display_name: "大单停滞"
    condition: CONDITION_KIND_OPPORTUNITY_STALLED
    enabled: true
    threshold {
      days: 10
      min_amount { amount_minor: 100000000 currency_code: "CNY" }
    }
    severity: SEVERITY_CRITICAL
    message_template { zh: "{subject} 停滞 {days} 天" en: "{subject} stalled {days} days" }
  )pb");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->threshold().min_amount().amount_minor(), 100000000);
}

TEST(ParseRuleTest, SyntaxErrorIsInvalidArgumentWithStableReason) {
  absl::StatusOr<v1::Rule> r = ParseRule("name: ");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(r.status()), "RULE_PARSE_ERROR");
  EXPECT_THAT(Fields(r.status()), ElementsAre("rule"));
  EXPECT_THAT(FieldViolations(r.status())[0].description, ::testing::HasSubstr("line 1"));
}

// Found by warning_rules_fuzzer: the parser's message quotes the offending
// input, so non-UTF-8 bytes in it broke the BadRequest detail (a proto string)
// and the error arrived without its field violation.
TEST(ParseRuleTest, SyntaxErrorOnNonUtf8InputStillNamesTheField) {
  absl::StatusOr<v1::Rule> r = ParseRule("display_name \"\xE5\x96\" x");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(r.status()), "RULE_PARSE_ERROR");
  EXPECT_THAT(Fields(r.status()), ElementsAre("rule"));
}

TEST(ParseRuleTest, DuplicateOverrideOfANonUtf8UnitStillNamesTheField) {
  v1::Rule rule = ShippedRule("rules/payment-overdue");
  for (int i = 0; i < 2; ++i) {
    rule.add_overrides()->set_org_unit("orgUnits/\xFF");
  }
  EXPECT_THAT(Fields(ValidateRule(rule)), ElementsAre("rule.overrides[1].org_unit"));
}

TEST(ParseRuleTest, ValidTextButInvalidRuleReportsFields) {
  absl::StatusOr<v1::Rule> r = ParseRule(R"pb(name: "rules/x")pb");
  EXPECT_THAT(Fields(r.status()), Contains("rule.condition"));
}

TEST(EffectiveRuleTest, WithoutOverridesIsTheRuleItself) {
  v1::Rule r = ValidPaceRule();
  v1::Rule e = EffectiveRule(r, kChain);
  EXPECT_EQ(e.threshold().ratio_basis_points(), 8000);
  EXPECT_EQ(e.severity(), r.severity());
  EXPECT_TRUE(e.enabled());
}

TEST(EffectiveRuleTest, NearestOverrideUpTheTreeWins) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/hq", 9000, v1::SEVERITY_INFO);
  *r.add_overrides() = Override("orgUnits/team-1", 6000, v1::SEVERITY_CRITICAL);
  *r.add_overrides() = Override("orgUnits/east", 7000, v1::SEVERITY_WARNING);
  v1::Rule e = EffectiveRule(r, kChain);
  EXPECT_EQ(e.threshold().ratio_basis_points(), 6000);
  EXPECT_EQ(e.severity(), v1::SEVERITY_CRITICAL);
  EXPECT_THAT(e.overrides(), IsEmpty());
}

TEST(EffectiveRuleTest, AncestorOverrideAppliesWhenTheUnitHasNone) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/hq", 9000);
  *r.add_overrides() = Override("orgUnits/east", 7000);
  *r.add_overrides() = Override("orgUnits/team-2", 5000);  // a sibling: not in the chain
  EXPECT_EQ(EffectiveRule(r, kChain).threshold().ratio_basis_points(), 7000);
  EXPECT_EQ(EffectiveRule(r, {"orgUnits/west", "orgUnits/hq"}).threshold().ratio_basis_points(),
            9000);
  EXPECT_EQ(EffectiveRule(r, {"orgUnits/other"}).threshold().ratio_basis_points(), 8000);
}

TEST(EffectiveRuleTest, WinnerUnsetFieldsFallBackToTheRuleNotToFartherOverrides) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/east", 7000, v1::SEVERITY_CRITICAL);
  *r.add_overrides() = Override("orgUnits/team-1", 0, v1::SEVERITY_INFO);  // severity only
  v1::Rule e = EffectiveRule(r, kChain);
  EXPECT_EQ(e.severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(e.threshold().ratio_basis_points(), 8000);
  EXPECT_EQ(e.threshold().grace_days(), 14);
}

TEST(EffectiveRuleTest, OverrideThresholdReplacesTheWholeThreshold) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/east", 7000);
  EXPECT_EQ(EffectiveRule(r, kChain).threshold().grace_days(), 0);
}

TEST(EffectiveRuleTest, DisabledOverrideSwitchesTheSubtreeOffAndNearerOneBackOn) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/east", 0, v1::SEVERITY_UNSPECIFIED, true);
  EXPECT_FALSE(EffectiveRule(r, kChain).enabled());
  EXPECT_FALSE(EffectiveRule(r, {"orgUnits/team-9", "orgUnits/east"}).enabled());
  *r.add_overrides() = Override("orgUnits/team-1", 7500);
  EXPECT_TRUE(EffectiveRule(r, kChain).enabled());
}

TEST(EffectiveRuleTest, DisabledRuleStaysDisabledWhateverTheOverride) {
  v1::Rule r = ValidPaceRule();
  r.set_enabled(false);
  *r.add_overrides() = Override("orgUnits/team-1", 7500);
  EXPECT_FALSE(EffectiveRule(r, kChain).enabled());
}

TEST(EffectiveRuleTest, RuleOutsideItsScopeDoesNotApply) {
  v1::Rule r = ValidPaceRule();
  r.set_scope("orgUnits/west");
  EXPECT_FALSE(EffectiveRule(r, kChain).enabled());
  r.set_scope("orgUnits/east");
  EXPECT_TRUE(EffectiveRule(r, kChain).enabled());
}

TEST(EffectiveRuleTest, DuplicateOverridesForOneUnitFirstListedWins) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/east", 7000);
  *r.add_overrides() = Override("orgUnits/east", 6000);
  EXPECT_EQ(EffectiveRule(r, kChain).threshold().ratio_basis_points(), 7000);
}

TEST(EffectiveRuleTest, SeparateOverrideListIsUsedInsteadOfTheRulesOwn) {
  v1::Rule r = ValidPaceRule();
  *r.add_overrides() = Override("orgUnits/east", 7000);
  google::protobuf::RepeatedPtrField<v1::RuleOverride> org_config;
  *org_config.Add() = Override("orgUnits/hq", 5000);
  EXPECT_EQ(EffectiveRule(r, org_config, kChain).threshold().ratio_basis_points(), 5000);
}

TEST(RenderMessageTest, SubstitutesKnownPlaceholders) {
  EXPECT_EQ(
      RenderMessage("{subject} 进度 {pace_pct}", {{"subject", "李雷"}, {"pace_pct", "72.5%"}}),
      "李雷 进度 72.5%");
}

TEST(RenderMessageTest, LeavesMissingPlaceholdersVisible) {
  EXPECT_EQ(RenderMessage("{subject} at {days} days", {{"subject", "A"}}), "A at {days} days");
}

TEST(RenderMessageTest, MalformedBracesAreLiteral) {
  EXPECT_EQ(RenderMessage("a { b", {}), "a { b");
  EXPECT_EQ(RenderMessage("a {x y} {}", {{"x y", "no"}}), "a {x y} {}");
  EXPECT_EQ(RenderMessage("end {", {}), "end {");
  EXPECT_EQ(RenderMessage("}", {}), "}");
}

TEST(RenderMessageTest, DoubledBracesEscape) {
  EXPECT_EQ(RenderMessage("{{subject}} = {subject}", {{"subject", "A"}}), "{subject} = A");
}

TEST(RenderMessageTest, ValuesAreNotRescanned) {
  EXPECT_EQ(RenderMessage("{a}{b}", {{"a", "{b}"}, {"b", "B"}}), "{b}B");
}

TEST(StalledRuleStageTest, ParsesTheStageSuffix) {
  v1::Rule r;
  r.set_name("rules/opportunity-stalled-negotiation");
  EXPECT_EQ(StalledRuleStage(r), customers::v1::OPPORTUNITY_STAGE_NEGOTIATION);
  r.set_name("rules/opportunity-stalled");
  EXPECT_EQ(StalledRuleStage(r), std::nullopt);
  r.set_name("rules/opportunity-stalled-lost");
  EXPECT_EQ(StalledRuleStage(r), std::nullopt);
}

}  // namespace
}  // namespace salesops::warning
