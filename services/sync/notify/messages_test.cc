// Tests for what a group sees for each event type the service renders: the
// title (Chinese by default, English per route), the Markdown lines, the
// subject, and the units (or member) the event is about; that unknown types
// give nothing and undecodable payloads an error; and money display.
#include "services/sync/notify/messages.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "salesops/performance/v1/performance_events.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/sync/notify/routes.h"

namespace salesops::sync {
namespace {

namespace sv1 = salesops::sync::v1;
namespace wv1 = salesops::warning::v1;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// China Standard Time without depending on the system's zone database.
const absl::TimeZone kShanghai = absl::FixedTimeZone(8 * 60 * 60);
// 2026-01-05 02:30 UTC = 10:30 in Shanghai.
const absl::Time kRaised =
    absl::FromCivil(absl::CivilMinute(2026, 1, 5, 2, 30), absl::UTCTimeZone());

// True when `s` is well-formed UTF-8 (no split or overlong sequences).
bool IsUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

salesops::common::v1::Money Money(int64_t minor, const std::string& code = "CNY") {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code(code);
  return m;
}

salesops::common::v1::Date Date(int y, int m, int d) {
  salesops::common::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

CloudEvent Event(const google::protobuf::Message& payload) {
  return MakeCloudEvent("/salesops/test", "key-1", "subject-1", payload, kRaised);
}

// The notice for `payload`, failing the test when there is none.
Notice NoticeOf(const google::protobuf::Message& payload, const std::string& language = "zh") {
  absl::StatusOr<std::optional<Notice>> n = NoticeFor(Event(payload), language, kShanghai);
  EXPECT_TRUE(n.ok()) << n.status();
  if (!n.ok()) {
    return Notice();
  }
  EXPECT_TRUE(n->has_value()) << payload.GetDescriptor()->full_name();
  return n->value_or(Notice());
}

// ---- warnings

wv1::WarningRaised Warning(wv1::Severity severity) {
  wv1::WarningRaised e;
  wv1::Warning* w = e.mutable_warning();
  w->set_name("warnings/w-1");
  w->set_rule("rules/stalled-deal");
  w->set_severity(severity);
  w->set_subject_display_name("某某项目");
  w->set_org_unit("orgUnits/team-east-1");
  w->set_responsible_supervisor("members/sup-1");
  w->set_rep("members/rep-1");
  w->mutable_message()->set_zh("商机停滞 21 天");
  w->mutable_message()->set_en("Deal stalled for 21 days");
  *w->mutable_raise_time() = ToTs(kRaised);
  return e;
}

TEST(NoticeForTest, WarningRaisedInChinese) {
  const Notice n = NoticeOf(Warning(wv1::SEVERITY_CRITICAL));
  EXPECT_EQ(n.subject, "warnings/w-1");
  EXPECT_EQ(n.title, "【预警·严重】某某项目");
  EXPECT_EQ(n.markdown,
            "**商机停滞 21 天**\n\n"
            "> 对象：某某项目\n"
            "> 负责人：members/sup-1\n"
            "> 销售：members/rep-1\n"
            "> 规则：rules/stalled-deal\n"
            "> 时间：2026-01-05 10:30\n"
            "> 编号：warnings/w-1\n");
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  EXPECT_FALSE(n.audience);
  EXPECT_EQ(n.member, "");
}

TEST(NoticeForTest, WarningRaisedInEnglish) {
  const Notice n = NoticeOf(Warning(wv1::SEVERITY_WARNING), "en");
  EXPECT_EQ(n.title, "[Warning · warning] 某某项目");
  EXPECT_THAT(n.markdown, StartsWith("**Deal stalled for 21 days**\n\n> Subject: 某某项目\n"));
  EXPECT_THAT(n.markdown, HasSubstr("> Raised: 2026-01-05 10:30\n"));
  EXPECT_THAT(n.markdown, Not(HasSubstr("：")));
}

TEST(NoticeForTest, WarningSeverityWords) {
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_WARNING)).title, "【预警·警告】某某项目");
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_INFO)).title, "【预警·提示】某某项目");
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_UNSPECIFIED)).title, "【预警·提示】某某项目");
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_CRITICAL), "en").title, "[Warning · critical] 某某项目");
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_INFO), "en").title, "[Warning · info] 某某项目");
}

TEST(NoticeForTest, WarningWithoutMessageShowsTheSubjectAndSkipsEmptyLines) {
  wv1::WarningRaised e = Warning(wv1::SEVERITY_CRITICAL);
  e.mutable_warning()->clear_message();
  e.mutable_warning()->clear_rep();
  e.mutable_warning()->clear_raise_time();
  const Notice n = NoticeOf(e);
  EXPECT_THAT(n.markdown, StartsWith("**某某项目**\n\n"));
  EXPECT_THAT(n.markdown, Not(HasSubstr("销售")));
  EXPECT_THAT(n.markdown, Not(HasSubstr("时间")));
}

TEST(NoticeForTest, AnyLanguageOtherThanEnIsChinese) {
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_CRITICAL), "").title, "【预警·严重】某某项目");
  EXPECT_EQ(NoticeOf(Warning(wv1::SEVERITY_CRITICAL), "fr").title, "【预警·严重】某某项目");
}

// ---- task forces

sv1::TaskForce TaskForce() {
  sv1::TaskForce t;
  t.set_name("taskForces/tf-1");
  t.set_title("某省电网项目 联合攻坚组");
  t.set_objective("组建售前、产品、交付联合团队推进签约");
  t.set_opportunity("opportunities/o-1");
  *t.mutable_amount() = Money(120'000'000);
  t.set_team("orgUnits/team-east-1");
  t.add_members()->set_member("members/rep-1");
  t.add_members()->set_member("members/pre-1");
  return t;
}

TEST(NoticeForTest, TaskForceProposed) {
  sv1::TaskForceProposed e;
  *e.mutable_task_force() = TaskForce();
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "taskForces/tf-1");
  EXPECT_EQ(n.title, "【联合攻坚组提议】某省电网项目 联合攻坚组");
  EXPECT_EQ(n.markdown,
            "组建售前、产品、交付联合团队推进签约\n\n"
            "> 商机：opportunities/o-1\n"
            "> 金额：¥1,200,000.00\n"
            "> 成员：members/rep-1、members/pre-1\n"
            "> 编号：taskForces/tf-1\n");
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  EXPECT_EQ(NoticeOf(e, "en").title, "[Task force proposed] 某省电网项目 联合攻坚组");
}

TEST(NoticeForTest, TaskForceFormed) {
  sv1::TaskForceFormed e;
  *e.mutable_task_force() = TaskForce();
  e.mutable_task_force()->clear_amount();
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.title, "【联合攻坚组成立】某省电网项目 联合攻坚组");
  EXPECT_THAT(n.markdown, Not(HasSubstr("金额")));  // no amount, no line
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  EXPECT_EQ(NoticeOf(e, "en").title, "[Task force formed] 某省电网项目 联合攻坚组");
}

// ---- feedback

sv1::Feedback Feedback() {
  sv1::Feedback f;
  f.set_name("feedback/f-1");
  f.set_title("网关掉线");
  f.set_body("客户现场网关每天掉线两次");
  f.set_author("members/rep-1");
  f.set_author_team("orgUnits/team-east-1");
  f.set_routed_department(sv1::DEPARTMENT_PRODUCT);
  f.set_routed_to("orgUnits/pm-gateway");
  *f.mutable_revenue_at_stake() = Money(50'000'000);
  *f.mutable_response_due_time() = ToTs(kRaised + absl::Hours(72));
  return f;
}

TEST(NoticeForTest, FeedbackRoutedGoesToTheRoutedUnit) {
  sv1::FeedbackRouted e;
  *e.mutable_feedback() = Feedback();
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "feedback/f-1");
  EXPECT_EQ(n.title, "【新反馈待处理】网关掉线");
  EXPECT_EQ(n.markdown,
            "客户现场网关每天掉线两次\n\n"
            "> 部门：产品部\n"
            "> 影响金额：¥500,000.00\n"
            "> 答复时限：2026-01-08 10:30\n"
            "> 提交人：members/rep-1\n"
            "> 编号：feedback/f-1\n");
  EXPECT_THAT(n.units, ElementsAre("pm-gateway"));
  const Notice en = NoticeOf(e, "en");
  EXPECT_EQ(en.title, "[New feedback] 网关掉线");
  EXPECT_THAT(en.markdown, HasSubstr("> Department: product\n"));
  EXPECT_THAT(en.markdown, HasSubstr("> Answer by: 2026-01-08 10:30\n"));
}

TEST(NoticeForTest, FeedbackRoutedToNoUnitIsAboutNoUnit) {
  sv1::FeedbackRouted e;
  *e.mutable_feedback() = Feedback();
  e.mutable_feedback()->clear_routed_to();
  e.mutable_feedback()->set_routed_department(sv1::DEPARTMENT_MARKETING);
  const Notice n = NoticeOf(e);
  EXPECT_THAT(n.units, IsEmpty());
  EXPECT_THAT(n.markdown, HasSubstr("> 部门：市场部\n"));
}

TEST(NoticeForTest, FeedbackOverdue) {
  sv1::FeedbackOverdue e;
  *e.mutable_feedback() = Feedback();
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.title, "【反馈超时未答复】网关掉线");
  EXPECT_THAT(n.units, ElementsAre("pm-gateway"));
  EXPECT_EQ(NoticeOf(e, "en").title, "[Feedback overdue] 网关掉线");
}

TEST(NoticeForTest, ALongFeedbackBodyIsCutWithoutSplittingACharacter) {
  sv1::FeedbackRouted e;
  *e.mutable_feedback() = Feedback();
  std::string body = "a";  // one ASCII byte first, so 600 bytes fall inside a character
  for (int i = 0; i < 400; ++i) {
    body += "掉";
  }
  e.mutable_feedback()->set_body(body);
  const Notice n = NoticeOf(e);
  EXPECT_TRUE(IsUtf8(n.markdown));
  EXPECT_THAT(n.markdown, StartsWith("a掉掉掉"));
  EXPECT_THAT(n.markdown, Not(HasSubstr(body)));
  const size_t text_end = n.markdown.find("\n\n");
  ASSERT_NE(text_end, std::string::npos);
  EXPECT_LE(text_end, 600u);
  EXPECT_GE(text_end, 598u);
}

TEST(NoticeForTest, FeedbackRespondedGoesToTheAuthorsTeam) {
  sv1::FeedbackResponded e;
  sv1::Feedback* f = e.mutable_feedback();
  *f = Feedback();
  f->set_state(sv1::FEEDBACK_STATE_ACCEPTED);
  f->set_response("下个版本修复");
  f->set_responded_by("members/pm-1");
  *f->mutable_planned_date() = Date(2026, 3, 31);
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "feedback/f-1");
  EXPECT_EQ(n.title, "【反馈已答复】网关掉线");
  EXPECT_EQ(n.markdown,
            "下个版本修复\n\n"
            "> 结论：已采纳\n"
            "> 计划日期：2026-03-31\n"
            "> 答复人：members/pm-1\n"
            "> 提交人：members/rep-1\n"
            "> 编号：feedback/f-1\n");
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  EXPECT_EQ(NoticeOf(e, "en").title, "[Feedback answered] 网关掉线");
  EXPECT_THAT(NoticeOf(e, "en").markdown, HasSubstr("> Decision: accepted\n"));
}

TEST(NoticeForTest, FeedbackRespondedDecisionWords) {
  const std::vector<std::pair<sv1::FeedbackState, std::string>> cases = {
      {sv1::FEEDBACK_STATE_DECLINED, "暂不采纳"},
      {sv1::FEEDBACK_STATE_DONE, "已完成"},
      {sv1::FEEDBACK_STATE_ROUTED, "处理中"},
  };
  for (const auto& [state, word] : cases) {
    sv1::FeedbackResponded e;
    *e.mutable_feedback() = Feedback();
    e.mutable_feedback()->set_state(state);
    EXPECT_THAT(NoticeOf(e).markdown, HasSubstr("> 结论：" + word + "\n"))
        << sv1::FeedbackState_Name(state);
  }
}

// ---- reviews

TEST(NoticeForTest, ReviewGeneratedNamesTheMemberInsteadOfAUnit) {
  salesops::performance::v1::ReviewGenerated e;
  auto* r = e.mutable_review();
  r->set_name("reviews/r-1");
  r->set_member("members/rep-1");
  r->set_supervisor("members/sup-1");
  *r->mutable_start_date() = Date(2026, 1, 5);
  *r->mutable_end_date() = Date(2026, 1, 18);
  r->add_action_items();
  r->add_action_items();
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "reviews/r-1");
  EXPECT_EQ(n.title, "【双周复盘待进行】members/rep-1");
  EXPECT_EQ(n.markdown,
            "> 销售：members/rep-1\n"
            "> 主管：members/sup-1\n"
            "> 周期：2026-01-05 ~ 2026-01-18\n"
            "> 待办：2\n"
            "> 编号：reviews/r-1\n");
  EXPECT_THAT(n.units, IsEmpty());
  EXPECT_EQ(n.member, "rep-1");
  EXPECT_EQ(NoticeOf(e, "en").title, "[Review due] members/rep-1");
}

// ---- launches and insights (audiences)

TEST(NoticeForTest, LaunchAnnouncedIsForItsAudience) {
  sv1::LaunchAnnounced e;
  sv1::ProductLaunch* l = e.mutable_launch();
  l->set_name("launches/l-1");
  l->set_title("新一代工业网关 G5 上市");
  l->set_summary("G5 支持 5G 与边缘计算");
  l->add_selling_points("功耗降低 30%");
  l->add_selling_points("兼容 G4 配置");
  *l->mutable_launch_date() = Date(2026, 4, 1);
  l->set_pricing_note("首年 9 折");
  l->mutable_audience()->add_org_units("orgUnits/east");
  l->mutable_audience()->add_org_units("orgUnits/team-west-1");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "launches/l-1");
  EXPECT_EQ(n.title, "【产品发布】新一代工业网关 G5 上市");
  EXPECT_EQ(n.markdown,
            "G5 支持 5G 与边缘计算\n\n"
            "- 功耗降低 30%\n- 兼容 G4 配置\n\n\n"
            "> 上市日期：2026-04-01\n"
            "> 价格说明：首年 9 折\n"
            "> 编号：launches/l-1\n");
  EXPECT_THAT(n.units, ElementsAre("east", "team-west-1"));
  EXPECT_TRUE(n.audience);
  EXPECT_EQ(NoticeOf(e, "en").title, "[Launch] 新一代工业网关 G5 上市");
}

TEST(NoticeForTest, LaunchForEveryoneHasNoUnits) {
  sv1::LaunchAnnounced e;
  e.mutable_launch()->set_name("launches/l-2");
  e.mutable_launch()->set_title("全员发布");
  const Notice n = NoticeOf(e);
  EXPECT_THAT(n.units, IsEmpty());
  EXPECT_TRUE(n.audience);
}

TEST(NoticeForTest, InsightPublishedIsForItsAudience) {
  sv1::InsightPublished e;
  sv1::MarketInsight* x = e.mutable_insight();
  x->set_name("insights/i-1");
  x->set_title("竞品 X 华东降价 15%");
  x->set_body("据渠道反馈，竞品 X 自 3 月起降价。");
  x->set_source("渠道周报");
  x->mutable_audience()->add_org_units("orgUnits/east");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "insights/i-1");
  EXPECT_EQ(n.title, "【市场洞察】竞品 X 华东降价 15%");
  EXPECT_EQ(n.markdown,
            "据渠道反馈，竞品 X 自 3 月起降价。\n\n"
            "> 来源：渠道周报\n"
            "> 编号：insights/i-1\n");
  EXPECT_THAT(n.units, ElementsAre("east"));
  EXPECT_TRUE(n.audience);
  EXPECT_EQ(NoticeOf(e, "en").title, "[Market insight] 竞品 X 华东降价 15%");
}

TEST(NoticeForTest, ALongInsightBodyIsCutWithoutSplittingACharacter) {
  sv1::InsightPublished e;
  e.mutable_insight()->set_name("insights/i-1");
  std::string body = "ab";  // two ASCII bytes first, so 1200 bytes fall inside a character
  for (int i = 0; i < 800; ++i) {
    body += "降";
  }
  e.mutable_insight()->set_body(body);
  const Notice n = NoticeOf(e);
  EXPECT_TRUE(IsUtf8(n.markdown));
  const size_t text_end = n.markdown.find("\n\n");
  ASSERT_NE(text_end, std::string::npos);
  EXPECT_LE(text_end, 1200u);
  EXPECT_GE(text_end, 1198u);
}

// ---- leads and receptions

sv1::CampaignLead Lead() {
  sv1::CampaignLead x;
  x.set_name("leads/ld-1");
  x.set_company_name("某制造公司");
  x.set_contact_name("赵六");
  x.set_contact_phone("13812345678");
  x.set_note("峰会现场咨询 G5 网关");
  x.set_assigned_rep("members/rep-1");
  x.set_team("orgUnits/team-east-1");
  *x.mutable_first_contact_due_time() = ToTs(kRaised + absl::Hours(24));
  return x;
}

TEST(NoticeForTest, LeadHandedOverGoesToTheRepsTeamWithoutContactDetails) {
  sv1::LeadHandedOver e;
  *e.mutable_lead() = Lead();
  e.set_campaign_title("华东制造业数字化峰会");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "leads/ld-1");
  EXPECT_EQ(n.title, "【市场线索】某制造公司");
  EXPECT_EQ(n.markdown,
            "峰会现场咨询 G5 网关\n\n"
            "> 活动：华东制造业数字化峰会\n"
            "> 负责销售：members/rep-1\n"
            "> 首次联系时限：2026-01-06 10:30\n"
            "> 编号：leads/ld-1\n");
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  // The group sees the lead, not the person's contact details.
  EXPECT_THAT(n.markdown, Not(HasSubstr("13812345678")));
  EXPECT_THAT(n.markdown, Not(HasSubstr("赵六")));
  EXPECT_EQ(NoticeOf(e, "en").title, "[New lead] 某制造公司");
}

TEST(NoticeForTest, LeadContactOverdue) {
  sv1::LeadContactOverdue e;
  *e.mutable_lead() = Lead();
  e.set_campaign_title("华东制造业数字化峰会");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.title, "【线索首次联系超时】某制造公司");
  EXPECT_THAT(n.markdown, HasSubstr("> 活动：华东制造业数字化峰会\n"));
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  EXPECT_EQ(NoticeOf(e, "en").title, "[Lead contact overdue] 某制造公司");
}

TEST(NoticeForTest, ReceptionPlanned) {
  sv1::ReceptionPlanned e;
  sv1::CustomerReception* x = e.mutable_reception();
  x->set_name("receptions/rc-1");
  x->set_title("某能源集团高层来访");
  *x->mutable_visit_date() = Date(2026, 5, 20);
  x->set_location("上海总部");
  x->add_visitor_titles("CIO");
  x->add_visitor_titles("采购总监");
  x->add_hosts()->set_member("members/rep-1");
  x->add_hosts()->set_member("members/pm-1");
  x->set_team("orgUnits/team-east-1");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "receptions/rc-1");
  EXPECT_EQ(n.title, "【客户接待】某能源集团高层来访");
  EXPECT_EQ(n.markdown,
            "> 日期：2026-05-20\n"
            "> 地点：上海总部\n"
            "> 来访：CIO、采购总监\n"
            "> 接待：members/rep-1、members/pm-1\n"
            "> 编号：receptions/rc-1\n");
  EXPECT_THAT(n.units, ElementsAre("team-east-1"));
  EXPECT_EQ(NoticeOf(e, "en").title, "[Customer visit] 某能源集团高层来访");
}

// ---- other services' events

TEST(NoticeForTest, ForecastGapDetected) {
  salesops::forecast::v1::ForecastGapDetected e;
  e.set_forecast("forecasts/fc-1");
  e.mutable_scope()->set_org_unit("orgUnits/east");
  *e.mutable_amount() = Money(875'000'000);
  *e.mutable_target() = Money(1'000'000'000);
  *e.mutable_gap() = Money(125'000'000);
  e.set_gap_basis_points(1250);
  e.set_responsible("members/mgr-1");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "forecasts/fc-1");
  EXPECT_EQ(n.title, "【预测缺口】orgUnits/east");
  EXPECT_EQ(n.markdown,
            "> 预测：¥8,750,000.00\n"
            "> 目标：¥10,000,000.00\n"
            "> 缺口：¥1,250,000.00（12.5%）\n"
            "> 负责人：members/mgr-1\n"
            "> 编号：forecasts/fc-1\n");
  EXPECT_THAT(n.units, ElementsAre("east"));
  EXPECT_FALSE(n.audience);
  EXPECT_EQ(NoticeOf(e, "en").title, "[Forecast gap] orgUnits/east");
}

TEST(NoticeForTest, PlanPublishedIsForTheScopesSubtree) {
  salesops::targets::v1::PlanPublished e;
  auto* p = e.mutable_plan();
  p->set_name("plans/p-1");
  p->set_display_name("2026 年度销售目标");
  p->set_period("2026");
  p->set_scope("orgUnits/company");
  const Notice n = NoticeOf(e);
  EXPECT_EQ(n.subject, "plans/p-1");
  EXPECT_EQ(n.title, "【目标发布】2026 年度销售目标");
  EXPECT_EQ(n.markdown, "> 周期：2026\n> 编号：plans/p-1\n");
  EXPECT_THAT(n.units, ElementsAre("company"));
  EXPECT_TRUE(n.audience);
  EXPECT_EQ(NoticeOf(e, "en").title, "[Plan published] 2026 年度销售目标");
}

// ---- every routable type, unknown types, bad payloads

TEST(NoticeForTest, EveryTypeARouteMayTakeIsRendered) {
  for (const std::string& type : NotifiableEventTypes()) {
    CloudEvent e;
    e.type = type;
    e.data = "";  // an empty message decodes
    const absl::StatusOr<std::optional<Notice>> n = NoticeFor(e, "zh", kShanghai);
    ASSERT_TRUE(n.ok()) << type << ": " << n.status();
    EXPECT_TRUE(n->has_value()) << type;
    if (n->has_value()) {
      EXPECT_FALSE((*n)->title.empty()) << type;
      EXPECT_TRUE(IsUtf8((*n)->title)) << type;
    }
  }
}

TEST(NoticeForTest, UnknownTypesGiveNothing) {
  sv1::FeedbackSubmitted submitted;  // a real event no route can take
  absl::StatusOr<std::optional<Notice>> n = NoticeFor(Event(submitted), "zh", kShanghai);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_FALSE(n->has_value());
  CloudEvent e;
  e.type = "com.example.Unknown";
  e.data = "\xff\xff";
  n = NoticeFor(e, "zh", kShanghai);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_FALSE(n->has_value());
}

TEST(NoticeForTest, UndecodablePayloadsAreInvalidArgument) {
  for (const std::string& type : NotifiableEventTypes()) {
    CloudEvent e;
    e.type = type;
    e.data = "\xff\xff\xff\xff";  // not a protobuf message
    const absl::StatusOr<std::optional<Notice>> n = NoticeFor(e, "zh", kShanghai);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << type;
  }
}

// ---- DisplayMoney

TEST(DisplayMoneyTest, CnyWithYuanSignAndThousandsSeparators) {
  EXPECT_EQ(DisplayMoney(Money(120'000'000)), "¥1,200,000.00");
  EXPECT_EQ(DisplayMoney(Money(0)), "¥0.00");
  EXPECT_EQ(DisplayMoney(Money(5)), "¥0.05");
  EXPECT_EQ(DisplayMoney(Money(99'999)), "¥999.99");
  EXPECT_EQ(DisplayMoney(Money(100'000)), "¥1,000.00");
  EXPECT_EQ(DisplayMoney(Money(12'345'678'9)), "¥1,234,567.89");
  EXPECT_EQ(DisplayMoney(Money(-123'456)), "-¥1,234.56");
  EXPECT_EQ(DisplayMoney(Money(-5)), "-¥0.05");
}

TEST(DisplayMoneyTest, ExtremeCnyAmounts) {
  EXPECT_EQ(DisplayMoney(Money(std::numeric_limits<int64_t>::max())), "¥92,233,720,368,547,758.07");
  EXPECT_EQ(DisplayMoney(Money(std::numeric_limits<int64_t>::min())),
            "-¥92,233,720,368,547,758.08");
}

TEST(DisplayMoneyTest, OtherCurrenciesAsAmountAndCode) {
  EXPECT_EQ(DisplayMoney(Money(120'050, "USD")), "1200.50 USD");
  EXPECT_EQ(DisplayMoney(Money(1'200, "JPY")), "1200 JPY");
  EXPECT_EQ(DisplayMoney(Money(-1, "EUR")), "-0.01 EUR");
}

// ---- DigestOf

TEST(DigestOfTest, EachNoticesTitleAndFirstLineOldestFirst) {
  const Digest d =
      DigestOf({{"【预警·严重】华东医院二期", "**回款逾期 30 天**\n\n> 负责人：王娟\n"},
                {"【任务】跟进", "\n> 销售：李雷\n"},
                {"【目标发布】Q4", ""}},
               "zh", 4000);
  EXPECT_EQ(d.count, 3u);
  EXPECT_EQ(d.title, "【汇总】3 条通知（含预警）");
  EXPECT_EQ(d.markdown,
            "1. **【预警·严重】华东医院二期**\n回款逾期 30 天\n\n"
            "2. **【任务】跟进**\n> 销售：李雷\n\n"
            "3. **【目标发布】Q4**\n\n");
}

TEST(DigestOfTest, TakesWhatFitsAndAtLeastOne) {
  const std::string long_line(300, 'x');
  std::vector<DigestItem> items(10, DigestItem{"t", long_line});
  Digest d = DigestOf(items, "en", 1000);
  EXPECT_EQ(d.count, 3u);  // 3 × 311 bytes fit in 1,000; a 4th does not
  EXPECT_LE(d.markdown.size(), 1000u);
  EXPECT_EQ(d.title, "[Digest] 3 notices");

  d = DigestOf({{"[Warning · Critical] big", std::string(5000, 'y')}}, "en", 1000);
  EXPECT_EQ(d.count, 1u);
  EXPECT_LE(d.markdown.size(), 1000u);
  EXPECT_EQ(d.title, "[Digest] 1 notice (Warnings among them)");
}

}  // namespace
}  // namespace salesops::sync
