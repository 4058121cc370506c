// Tests for the feedback rules: the default routing, which rule wins (most
// specific first, the first among equals), the field checks of a routing,
// which answers each state allows, the insight keys and the aggregation of
// insight counters into ranked, filtered rows.
#include "services/sync/domain/feedback.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::sync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Fields(const Violations& v) {
  std::vector<std::string> out;
  for (const FieldViolation& f : FieldViolations(v.Finish())) {
    out.push_back(f.field);
  }
  return out;
}

std::vector<std::string> CheckedFields(const v1::FeedbackRouting& r) {
  Violations v;
  CheckRouting(v, "routing", r);
  return Fields(v);
}

v1::FeedbackRoutingRule Rule(const std::string& id, v1::FeedbackKind kind,
                             const std::string& product_line, v1::Department department,
                             int sla_hours, const std::string& routed_to = "") {
  v1::FeedbackRoutingRule r;
  r.set_rule_id(id);
  r.set_kind(kind);
  r.set_product_line(product_line);
  r.set_department(department);
  r.set_sla_hours(sla_hours);
  r.set_routed_to(routed_to);
  return r;
}

// A valid routing with one rule, to break one field at a time.
v1::FeedbackRouting OneRule() {
  v1::FeedbackRouting r;
  r.set_default_department(v1::DEPARTMENT_PRODUCT);
  r.set_default_sla_hours(72);
  *r.add_rules() = Rule("gw-defects", v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway",
                        v1::DEPARTMENT_PRODUCT, 24, "orgUnits/gateway-team");
  return r;
}

// ---- DefaultRouting

TEST(DefaultRoutingTest, SendsCompetitorAndPricingToMarketingAndTheRestToProductIn72Hours) {
  const v1::FeedbackRouting r = DefaultRouting();
  EXPECT_EQ(r.name(), "feedbackRouting");
  EXPECT_EQ(r.default_department(), v1::DEPARTMENT_PRODUCT);
  EXPECT_EQ(r.default_sla_hours(), 72);
  ASSERT_EQ(r.rules_size(), 2);
  EXPECT_EQ(r.rules(0).rule_id(), "competitor");
  EXPECT_EQ(r.rules(0).kind(), v1::FEEDBACK_KIND_COMPETITOR);
  EXPECT_EQ(r.rules(1).rule_id(), "pricing");
  EXPECT_EQ(r.rules(1).kind(), v1::FEEDBACK_KIND_PRICING);
  for (const auto& rule : r.rules()) {
    EXPECT_EQ(rule.department(), v1::DEPARTMENT_MARKETING) << rule.rule_id();
    EXPECT_EQ(rule.sla_hours(), 72) << rule.rule_id();
    EXPECT_TRUE(rule.product_line().empty()) << rule.rule_id();
  }
}

TEST(DefaultRoutingTest, PassesItsOwnChecks) {
  EXPECT_THAT(CheckedFields(DefaultRouting()), IsEmpty());
}

TEST(DefaultRoutingTest, RoutesEveryKindAsDocumented) {
  const v1::FeedbackRouting r = DefaultRouting();
  const std::vector<std::pair<v1::FeedbackKind, v1::Department>> cases = {
      {v1::FEEDBACK_KIND_FEATURE_REQUEST, v1::DEPARTMENT_PRODUCT},
      {v1::FEEDBACK_KIND_DEFECT, v1::DEPARTMENT_PRODUCT},
      {v1::FEEDBACK_KIND_PRICING, v1::DEPARTMENT_MARKETING},
      {v1::FEEDBACK_KIND_COMPETITOR, v1::DEPARTMENT_MARKETING},
      {v1::FEEDBACK_KIND_DELIVERY, v1::DEPARTMENT_PRODUCT},
      {v1::FEEDBACK_KIND_OTHER, v1::DEPARTMENT_PRODUCT},
  };
  for (const auto& [kind, department] : cases) {
    const RouteDecision d = RouteFor(r, kind, "orgUnits/pl-gateway");
    EXPECT_EQ(d.department, department) << v1::FeedbackKind_Name(kind);
    EXPECT_EQ(d.sla_hours, 72) << v1::FeedbackKind_Name(kind);
    EXPECT_EQ(d.routed_to, "") << v1::FeedbackKind_Name(kind);
  }
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_PRICING, "").rule_id, "pricing");
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_COMPETITOR, "").rule_id, "competitor");
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "").rule_id, "");
}

// ---- RouteFor

// Four rules of every specificity, all matching DEFECT feedback about pl-gateway.
v1::FeedbackRouting AllSpecificities() {
  v1::FeedbackRouting r;
  r.set_default_department(v1::DEPARTMENT_MARKETING);
  r.set_default_sla_hours(100);
  *r.add_rules() = Rule("any", v1::FEEDBACK_KIND_UNSPECIFIED, "", v1::DEPARTMENT_PRODUCT, 1);
  *r.add_rules() = Rule("kind", v1::FEEDBACK_KIND_DEFECT, "", v1::DEPARTMENT_PRODUCT, 2);
  *r.add_rules() =
      Rule("pl", v1::FEEDBACK_KIND_UNSPECIFIED, "orgUnits/pl-gateway", v1::DEPARTMENT_PRODUCT, 3);
  *r.add_rules() = Rule("kind-pl", v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway",
                        v1::DEPARTMENT_MARKETING, 4, "orgUnits/gw-team");
  return r;
}

TEST(RouteForTest, KindAndProductLineBeatsEverything) {
  const RouteDecision d =
      RouteFor(AllSpecificities(), v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway");
  EXPECT_EQ(d.rule_id, "kind-pl");
  EXPECT_EQ(d.department, v1::DEPARTMENT_MARKETING);
  EXPECT_EQ(d.routed_to, "orgUnits/gw-team");
  EXPECT_EQ(d.sla_hours, 4);
}

TEST(RouteForTest, ProductLineBeatsKindWhichBeatsAny) {
  v1::FeedbackRouting r = AllSpecificities();
  r.mutable_rules()->RemoveLast();  // without kind-pl
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway").rule_id, "pl");
  r.mutable_rules()->RemoveLast();  // without pl
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway").rule_id, "kind");
  r.mutable_rules()->RemoveLast();  // without kind
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway").rule_id, "any");
}

TEST(RouteForTest, SpecificityDoesNotDependOnTheRulesOrder) {
  v1::FeedbackRouting r = AllSpecificities();
  std::reverse(r.mutable_rules()->begin(), r.mutable_rules()->end());
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway").rule_id, "kind-pl");
  // Drop kind-pl (now first): the product-line rule still beats the kind rule listed before it.
  r.mutable_rules()->DeleteSubrange(0, 1);
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-gateway").rule_id, "pl");
}

TEST(RouteForTest, RulesOfOtherKindsOrProductLinesDoNotMatch) {
  const v1::FeedbackRouting r = AllSpecificities();
  // Other product line: only the kind rule and the any rule match.
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-camera").rule_id, "kind");
  // Other kind: product line rule and any rule match.
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_PRICING, "orgUnits/pl-gateway").rule_id, "pl");
  // Neither: the any rule.
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_PRICING, "orgUnits/pl-camera").rule_id, "any");
  // Feedback without a product line never matches a product-line rule.
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_PRICING, "").rule_id, "any");
}

TEST(RouteForTest, AmongEquallySpecificRulesTheFirstWins) {
  v1::FeedbackRouting r;
  r.set_default_department(v1::DEPARTMENT_PRODUCT);
  r.set_default_sla_hours(72);
  *r.add_rules() = Rule("first", v1::FEEDBACK_KIND_DEFECT, "", v1::DEPARTMENT_MARKETING, 10);
  *r.add_rules() = Rule("second", v1::FEEDBACK_KIND_DEFECT, "", v1::DEPARTMENT_PRODUCT, 20);
  const RouteDecision d = RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-x");
  EXPECT_EQ(d.rule_id, "first");
  EXPECT_EQ(d.department, v1::DEPARTMENT_MARKETING);
  EXPECT_EQ(d.sla_hours, 10);
  std::swap(*r.mutable_rules(0), *r.mutable_rules(1));
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "orgUnits/pl-x").rule_id, "second");
}

TEST(RouteForTest, NoMatchingRuleUsesTheRoutingsDefault) {
  v1::FeedbackRouting r;
  r.set_default_department(v1::DEPARTMENT_MARKETING);
  r.set_default_sla_hours(12);
  *r.add_rules() = Rule("defects", v1::FEEDBACK_KIND_DEFECT, "", v1::DEPARTMENT_PRODUCT, 24);
  const RouteDecision d = RouteFor(r, v1::FEEDBACK_KIND_OTHER, "orgUnits/pl-x");
  EXPECT_EQ(d.department, v1::DEPARTMENT_MARKETING);
  EXPECT_EQ(d.sla_hours, 12);
  EXPECT_EQ(d.rule_id, "");
  EXPECT_EQ(d.routed_to, "");
}

TEST(RouteForTest, UnusableDefaultsFallBackToProductAnd72Hours) {
  v1::FeedbackRouting r;  // no rules, no defaults
  RouteDecision d = RouteFor(r, v1::FEEDBACK_KIND_OTHER, "");
  EXPECT_EQ(d.department, v1::DEPARTMENT_PRODUCT);
  EXPECT_EQ(d.sla_hours, kDefaultSlaHours);
  r.set_default_department(v1::DEPARTMENT_SALES);  // not a department queue
  r.set_default_sla_hours(-5);
  d = RouteFor(r, v1::FEEDBACK_KIND_OTHER, "");
  EXPECT_EQ(d.department, v1::DEPARTMENT_PRODUCT);
  EXPECT_EQ(d.sla_hours, kDefaultSlaHours);
}

TEST(RouteForTest, RuleWithoutSlaGetsTheDefault72Hours) {
  v1::FeedbackRouting r;
  r.set_default_sla_hours(5);
  *r.add_rules() = Rule("no-sla", v1::FEEDBACK_KIND_DEFECT, "", v1::DEPARTMENT_PRODUCT, 0);
  EXPECT_EQ(RouteFor(r, v1::FEEDBACK_KIND_DEFECT, "").sla_hours, kDefaultSlaHours);
}

// ---- CheckRouting

TEST(CheckRoutingTest, AValidRoutingHasNoViolations) {
  EXPECT_THAT(CheckedFields(OneRule()), IsEmpty());
  v1::FeedbackRouting r = OneRule();
  r.mutable_rules(0)->set_product_line("");                     // optional
  r.mutable_rules(0)->set_routed_to("");                        // optional
  r.mutable_rules(0)->set_kind(v1::FEEDBACK_KIND_UNSPECIFIED);  // any kind
  EXPECT_THAT(CheckedFields(r), IsEmpty());
}

TEST(CheckRoutingTest, RuleIdMustBeLettersDigitsAndDashesOf1To63) {
  for (const std::string& bad : {std::string(""), std::string("has space"), std::string("a_b"),
                                 std::string("规则"), std::string(64, 'a')}) {
    v1::FeedbackRouting r = OneRule();
    r.mutable_rules(0)->set_rule_id(bad);
    EXPECT_THAT(CheckedFields(r), ElementsAre("routing.rules[0].rule_id")) << bad;
  }
  v1::FeedbackRouting r = OneRule();
  r.mutable_rules(0)->set_rule_id(std::string(62, 'a') + "-");
  EXPECT_THAT(CheckedFields(r), IsEmpty());
}

TEST(CheckRoutingTest, DuplicateRuleIdNamesTheLaterRule) {
  v1::FeedbackRouting r = OneRule();
  *r.add_rules() = r.rules(0);
  *r.add_rules() = r.rules(0);
  r.mutable_rules(2)->set_rule_id("other");
  EXPECT_THAT(CheckedFields(r), ElementsAre("routing.rules[1].rule_id"));
}

TEST(CheckRoutingTest, EachBadFieldIsNamedWithItsRuleIndex) {
  struct Case {
    std::function<void(v1::FeedbackRoutingRule&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& x) { x.set_kind(static_cast<v1::FeedbackKind>(99)); }, "kind"},
      {[](auto& x) { x.set_product_line("pl-gateway"); }, "product_line"},
      {[](auto& x) { x.set_product_line("members/pl-gateway"); }, "product_line"},
      {[](auto& x) { x.set_department(v1::DEPARTMENT_SALES); }, "department"},
      {[](auto& x) { x.set_department(v1::DEPARTMENT_UNSPECIFIED); }, "department"},
      {[](auto& x) { x.set_department(v1::DEPARTMENT_FINANCE); }, "department"},
      {[](auto& x) { x.set_routed_to("gateway-team"); }, "routed_to"},
      {[](auto& x) { x.set_sla_hours(0); }, "sla_hours"},
      {[](auto& x) { x.set_sla_hours(-1); }, "sla_hours"},
      {[](auto& x) { x.set_sla_hours(kMaxSlaHours + 1); }, "sla_hours"},
  };
  for (const Case& c : cases) {
    v1::FeedbackRouting r = OneRule();
    *r.add_rules() = r.rules(0);
    r.mutable_rules(1)->set_rule_id("second");
    c.mutate(*r.mutable_rules(1));
    EXPECT_THAT(CheckedFields(r), ElementsAre("routing.rules[1]." + c.field)) << c.field;
  }
}

TEST(CheckRoutingTest, SlaBoundsAreInclusive) {
  for (int hours : {1, kMaxSlaHours}) {
    v1::FeedbackRouting r = OneRule();
    r.mutable_rules(0)->set_sla_hours(hours);
    r.set_default_sla_hours(hours);
    EXPECT_THAT(CheckedFields(r), IsEmpty()) << hours;
  }
}

TEST(CheckRoutingTest, DefaultsAreChecked) {
  v1::FeedbackRouting r = OneRule();
  r.set_default_department(v1::DEPARTMENT_SALES);
  r.set_default_sla_hours(0);
  EXPECT_THAT(CheckedFields(r),
              ElementsAre("routing.default_department", "routing.default_sla_hours"));
  r.set_default_department(v1::DEPARTMENT_MARKETING);
  r.set_default_sla_hours(kMaxSlaHours + 1);
  EXPECT_THAT(CheckedFields(r), ElementsAre("routing.default_sla_hours"));
}

TEST(CheckRoutingTest, MoreThan200RulesIsOneViolationOnRules) {
  v1::FeedbackRouting r = OneRule();
  for (int i = 1; i < kMaxRoutingRules; ++i) {
    v1::FeedbackRoutingRule* x = r.add_rules();
    *x = r.rules(0);
    x->set_rule_id("r" + std::to_string(i));
  }
  EXPECT_THAT(CheckedFields(r), IsEmpty());  // exactly 200
  *r.add_rules() = r.rules(0);               // 201, and a duplicate id that is not reported
  EXPECT_THAT(CheckedFields(r), ElementsAre("routing.rules"));
}

TEST(CheckRoutingTest, UsesThePrefixGiven) {
  v1::FeedbackRouting r = OneRule();
  r.mutable_rules(0)->set_sla_hours(0);
  Violations v;
  CheckRouting(v, "request.routing", r);
  EXPECT_THAT(Fields(v), ElementsAre("request.routing.rules[0].sla_hours"));
}

// ---- CheckAnswer / IsOpen

TEST(FeedbackStateTest, OnlySubmittedAndRoutedAreOpen) {
  for (int s = v1::FeedbackState_MIN; s <= v1::FeedbackState_MAX; ++s) {
    const auto state = static_cast<v1::FeedbackState>(s);
    EXPECT_EQ(IsOpen(state),
              state == v1::FEEDBACK_STATE_SUBMITTED || state == v1::FEEDBACK_STATE_ROUTED)
        << v1::FeedbackState_Name(state);
  }
}

TEST(FeedbackStateTest, CheckAnswerFollowsTheStateTable) {
  using S = v1::FeedbackState;
  const std::vector<std::pair<S, S>> allowed = {
      {v1::FEEDBACK_STATE_SUBMITTED, v1::FEEDBACK_STATE_ACCEPTED},
      {v1::FEEDBACK_STATE_SUBMITTED, v1::FEEDBACK_STATE_DECLINED},
      {v1::FEEDBACK_STATE_SUBMITTED, v1::FEEDBACK_STATE_DONE},
      {v1::FEEDBACK_STATE_ROUTED, v1::FEEDBACK_STATE_ACCEPTED},
      {v1::FEEDBACK_STATE_ROUTED, v1::FEEDBACK_STATE_DECLINED},
      {v1::FEEDBACK_STATE_ROUTED, v1::FEEDBACK_STATE_DONE},
      {v1::FEEDBACK_STATE_ACCEPTED, v1::FEEDBACK_STATE_DONE},
      {v1::FEEDBACK_STATE_ACCEPTED, v1::FEEDBACK_STATE_DECLINED},
  };
  int ok_count = 0;
  for (int f = v1::FeedbackState_MIN; f <= v1::FeedbackState_MAX; ++f) {
    for (int t = v1::FeedbackState_MIN; t <= v1::FeedbackState_MAX; ++t) {
      const auto from = static_cast<S>(f);
      const auto to = static_cast<S>(t);
      const bool want =
          std::find(allowed.begin(), allowed.end(), std::make_pair(from, to)) != allowed.end();
      const absl::Status s = CheckAnswer(from, to);
      const std::string label = v1::FeedbackState_Name(from) + " -> " + v1::FeedbackState_Name(to);
      if (want) {
        EXPECT_TRUE(s.ok()) << label << ": " << s;
        ++ok_count;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << label;
        EXPECT_EQ(ErrorReason(s), "FEEDBACK_CLOSED") << label;
        EXPECT_THAT(s.message(), HasSubstr(v1::FeedbackState_Name(from))) << label;
        EXPECT_THAT(s.message(), HasSubstr(v1::FeedbackState_Name(to))) << label;
      }
    }
  }
  EXPECT_EQ(ok_count, 8);
}

// ---- InsightKey / InsightField

TEST(InsightKeyTest, TrimsAndCollapsesWhitespace) {
  EXPECT_EQ(InsightKey("  multi   tenant\tRBAC \r\n"), "multi tenant RBAC");
  EXPECT_EQ(InsightKey("多租户\n\n权限  管理"), "多租户 权限 管理");
  EXPECT_EQ(InsightKey("single"), "single");
}

TEST(InsightKeyTest, EmptyAndBlankBecomeEmpty) {
  EXPECT_EQ(InsightKey(""), "");
  EXPECT_EQ(InsightKey(" \t\r\n "), "");
}

TEST(InsightKeyTest, KeepsAtMost50CharactersCountingChineseAsOneEach) {
  std::string fifty_han;
  for (int i = 0; i < 50; ++i) {
    fifty_han += "权";
  }
  EXPECT_EQ(InsightKey(fifty_han), fifty_han);
  const std::string key = InsightKey(fifty_han + "限制");
  EXPECT_EQ(key, fifty_han);
  EXPECT_EQ(key.size(), 150u);  // 50 characters of 3 bytes, none split
  EXPECT_EQ(InsightKey(std::string(51, 'a')), std::string(50, 'a'));
  // 4-byte characters count once too.
  std::string emoji;
  for (int i = 0; i < 51; ++i) {
    emoji += "\xF0\x9F\x98\x80";  // U+1F600
  }
  EXPECT_EQ(InsightKey(emoji), emoji.substr(0, 200));
}

TEST(InsightKeyTest, CountsCharactersAfterCollapsingWhitespace) {
  // 25 "ab" words separated by runs of spaces: 25*2 + 24 = 74 characters once collapsed.
  std::string text;
  for (int i = 0; i < 25; ++i) {
    text += "ab     ";
  }
  const std::string key = InsightKey(text);
  EXPECT_EQ(key.size(), 50u);
  EXPECT_EQ(key.substr(0, 8), "ab ab ab");
}

TEST(InsightKeyTest, ACutNeverLeavesTrailingWhitespace) {
  // Collapsed, the 50th character is the space before "tail": the key must still be trimmed.
  const std::string key = InsightKey(std::string(49, 'x') + "   tail");
  EXPECT_EQ(key, std::string(49, 'x'));
  // So the same capability typed with a longer tail gets the same key.
  EXPECT_EQ(InsightKey(std::string(49, 'x') + " other"), key);
}

TEST(InsightFieldTest, JoinsWithTheUnitSeparator) {
  EXPECT_EQ(InsightField("pl-gateway", "east", "多租户"),
            "pl-gateway\x1f"
            "east\x1f多租户");
  EXPECT_EQ(InsightField("", "", "k"), "\x1f\x1fk");
}

// ---- AggregateInsights

TEST(AggregateInsightsTest, EmptyCountersGiveEmptyInsightsWithTheFilterNames) {
  const v1::FeedbackInsights in = AggregateInsights({}, "pl-gateway", "east", 10);
  EXPECT_EQ(in.product_line(), "orgUnits/pl-gateway");
  EXPECT_EQ(in.region(), "orgUnits/east");
  EXPECT_EQ(in.top_capabilities_size(), 0);
  EXPECT_EQ(in.loss_reasons_size(), 0);
  EXPECT_EQ(in.competitors_size(), 0);
  const v1::FeedbackInsights all = AggregateInsights({}, "", "", 10);
  EXPECT_EQ(all.product_line(), "");
  EXPECT_EQ(all.region(), "");
}

TEST(AggregateInsightsTest, CapabilitiesSumOverRegionsAndRankByRevenueAtStake) {
  InsightCounters c;
  c[kCapAmount][InsightField("pl-gw", "east", "多租户")] = 500'00;
  c[kCapAmount][InsightField("pl-gw", "west", "多租户")] = 700'00;
  c[kCapCount][InsightField("pl-gw", "east", "多租户")] = 2;
  c[kCapCount][InsightField("pl-gw", "west", "多租户")] = 3;
  c[kCapOpps][InsightField("pl-gw", "west", "多租户")] = 4;
  c[kCapAmount][InsightField("pl-gw", "east", "SSO")] = 2000'00;
  c[kCapCount][InsightField("pl-gw", "east", "SSO")] = 1;
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 10);
  ASSERT_EQ(in.top_capabilities_size(), 2);
  EXPECT_EQ(in.top_capabilities(0).capability(), "SSO");
  EXPECT_EQ(in.top_capabilities(0).revenue_at_stake().amount_minor(), 2000'00);
  const v1::CapabilityDemand& mt = in.top_capabilities(1);
  EXPECT_EQ(mt.capability(), "多租户");
  EXPECT_EQ(mt.feedback_count(), 5);
  EXPECT_EQ(mt.opportunity_count(), 4);
  EXPECT_EQ(mt.revenue_at_stake().amount_minor(), 1200'00);
  EXPECT_EQ(mt.revenue_at_stake().currency_code(), "CNY");
}

TEST(AggregateInsightsTest, CapabilityTiesGoToTheMostFeedbackThenTheKey) {
  InsightCounters c;
  for (const char* k : {"b", "a", "c"}) {
    c[kCapAmount][InsightField("p", "r", k)] = 100;
  }
  c[kCapCount][InsightField("p", "r", "c")] = 9;
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 10);
  ASSERT_EQ(in.top_capabilities_size(), 3);
  EXPECT_EQ(in.top_capabilities(0).capability(), "c");
  EXPECT_EQ(in.top_capabilities(1).capability(), "a");
  EXPECT_EQ(in.top_capabilities(2).capability(), "b");
}

TEST(AggregateInsightsTest, FiltersByProductLineAndRegionIds) {
  InsightCounters c;
  c[kLossCount][InsightField("pl-gw", "east", "价格")] = 1;
  c[kLossCount][InsightField("pl-gw", "west", "价格")] = 2;
  c[kLossCount][InsightField("pl-cam", "east", "价格")] = 4;
  auto count = [&](const std::string& pl, const std::string& region) {
    const v1::FeedbackInsights in = AggregateInsights(c, pl, region, 10);
    return in.loss_reasons_size() == 1 ? in.loss_reasons(0).lost_count() : -1;
  };
  EXPECT_EQ(count("", ""), 7);
  EXPECT_EQ(count("pl-gw", ""), 3);
  EXPECT_EQ(count("", "east"), 5);
  EXPECT_EQ(count("pl-gw", "east"), 1);
  EXPECT_EQ(count("pl-cam", "west"), -1);
  // The filters are ids, not resource names.
  EXPECT_EQ(count("orgUnits/pl-gw", ""), -1);
}

TEST(AggregateInsightsTest, LossReasonsRankByCountThenAmountThenKey) {
  InsightCounters c;
  c[kLossCount][InsightField("p", "r", "价格")] = 3;
  c[kLossAmount][InsightField("p", "r", "价格")] = 100;
  c[kLossCount][InsightField("p", "r", "功能")] = 5;
  c[kLossAmount][InsightField("p", "r", "功能")] = 1;
  c[kLossCount][InsightField("p", "r", "关系")] = 3;
  c[kLossAmount][InsightField("p", "r", "关系")] = 900;
  c[kLossCount][InsightField("p", "r", "b-tie")] = 1;
  c[kLossCount][InsightField("p", "r", "a-tie")] = 1;
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 10);
  std::vector<std::string> order;
  for (const auto& l : in.loss_reasons()) {
    order.push_back(l.reason());
  }
  EXPECT_THAT(order, ElementsAre("功能", "关系", "价格", "a-tie", "b-tie"));
  EXPECT_EQ(in.loss_reasons(1).lost_count(), 3);
  EXPECT_EQ(in.loss_reasons(1).lost_amount().amount_minor(), 900);
  EXPECT_EQ(in.loss_reasons(1).lost_amount().currency_code(), "CNY");
}

TEST(AggregateInsightsTest, CompetitorsRankByLostDealsThenFeedback) {
  InsightCounters c;
  // A: 2 lost, 1 feedback; B: 2 lost, 5 feedback; C: 0 lost, 9 feedback; D: 3 lost.
  c[kCompLost][InsightField("p", "r", "A")] = 2;
  c[kCompAmount][InsightField("p", "r", "A")] = 999'00;
  c[kCompFeedback][InsightField("p", "r", "A")] = 1;
  c[kCompLost][InsightField("p", "r", "B")] = 2;
  c[kCompAmount][InsightField("p", "r", "B")] = 1'00;
  c[kCompFeedback][InsightField("p", "r", "B")] = 5;
  c[kCompFeedback][InsightField("p", "r", "C")] = 9;
  c[kCompLost][InsightField("p", "r", "D")] = 3;
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 10);
  std::vector<std::string> order;
  for (const auto& x : in.competitors()) {
    order.push_back(x.competitor());
  }
  EXPECT_THAT(order, ElementsAre("D", "B", "A", "C"));
  EXPECT_EQ(in.competitors(1).lost_count(), 2);
  EXPECT_EQ(in.competitors(1).feedback_count(), 5);
  EXPECT_EQ(in.competitors(1).lost_amount().amount_minor(), 1'00);
  EXPECT_EQ(in.competitors(3).lost_count(), 0);
  EXPECT_EQ(in.competitors(3).feedback_count(), 9);
}

TEST(AggregateInsightsTest, CompetitorsWithEqualLostAndFeedbackRankByAmountThenKey) {
  InsightCounters c;
  for (const char* k : {"Y", "X", "Z"}) {
    c[kCompLost][InsightField("p", "r", k)] = 1;
    c[kCompFeedback][InsightField("p", "r", k)] = 1;
  }
  c[kCompAmount][InsightField("p", "r", "Z")] = 5;
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 10);
  std::vector<std::string> order;
  for (const auto& x : in.competitors()) {
    order.push_back(x.competitor());
  }
  EXPECT_THAT(order, ElementsAre("Z", "X", "Y"));
}

TEST(AggregateInsightsTest, LimitAppliesToEachListSeparately) {
  InsightCounters c;
  for (int i = 0; i < 5; ++i) {
    const std::string f = InsightField("p", "r", "k" + std::to_string(i));
    c[kCapAmount][f] = i;
    c[kLossCount][f] = i;
    c[kCompLost][f] = i;
  }
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 2);
  ASSERT_EQ(in.top_capabilities_size(), 2);
  EXPECT_EQ(in.top_capabilities(0).capability(), "k4");
  EXPECT_EQ(in.top_capabilities(1).capability(), "k3");
  EXPECT_EQ(in.loss_reasons_size(), 2);
  EXPECT_EQ(in.competitors_size(), 2);
  const v1::FeedbackInsights none = AggregateInsights(c, "", "", 0);
  EXPECT_EQ(none.top_capabilities_size(), 0);
  EXPECT_EQ(none.loss_reasons_size(), 0);
  EXPECT_EQ(none.competitors_size(), 0);
}

TEST(AggregateInsightsTest, MalformedFieldsAndEmptyKeysAreIgnored) {
  InsightCounters c;
  c[kLossCount]["no separators"] = 100;
  c[kLossCount]["p\x1fonly-one"] = 100;
  c[kLossCount][InsightField("p", "r", "")] = 100;
  c[kLossCount][InsightField("p", "r", "ok")] = 1;
  c["ins:unrelated"][InsightField("p", "r", "other")] = 7;
  const v1::FeedbackInsights in = AggregateInsights(c, "", "", 10);
  ASSERT_EQ(in.loss_reasons_size(), 1);
  EXPECT_EQ(in.loss_reasons(0).reason(), "ok");
  EXPECT_EQ(in.loss_reasons(0).lost_count(), 1);
  EXPECT_EQ(in.top_capabilities_size(), 0);
  EXPECT_EQ(in.competitors_size(), 0);
}

}  // namespace
}  // namespace salesops::sync
