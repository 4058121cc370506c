// Biweekly reviews against the in-memory repository: figures from events
// delivered through the projection, suggestions citing their evidence,
// action items with before/after outcomes, carrying, overdue events, the
// scheduler's once-per-rep-and-cycle guarantee, scope and bad input.
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/performance/api/test_support.h"

namespace salesops::performance {
namespace {

using namespace testing;  // NOLINT
using ::testing::HasSubstr;

CloudEvent Lost(const std::string& event_id, const std::string& owner, const std::string& team,
                absl::CivilDay day, cv1::OpportunityStage from, const std::string& reason) {
  cv1::OpportunityLost l;
  l.set_opportunity("opportunities/" + event_id);
  l.set_customer("customers/cust-1");
  l.set_owner("members/" + owner);
  l.set_team("orgUnits/" + team);
  l.set_from_stage(from);
  l.set_reason(reason);
  l.set_lost_to_competitor("竞品A");
  l.mutable_amount()->set_amount_minor(50'000'00);
  l.mutable_amount()->set_currency_code("CNY");
  const absl::Time t = ChinaNoon(static_cast<int>(day.year()), day.month(), day.day());
  *l.mutable_close_time() = ToTs(t);
  CloudEvent e = MakeCloudEvent("/salesops/customers", "cust-1", l.opportunity(), l, t);
  e.id = event_id;
  return e;
}

class ReviewApiTest : public PerformanceTest {
 protected:
  // Cycle FY2026-B23 (11-05 .. 11-18): rep-1 won 2 and lost 10, 7 of them
  // at PROPOSAL; rep-2 won 15 and lost 10, 2 at PROPOSAL.
  void SetUpLosses() {
    std::vector<CloudEvent> events;
    const absl::CivilDay d(2026, 11, 10);
    for (int i = 0; i < 2; ++i) {
      events.push_back(Won("w1-" + std::to_string(i), "o1-" + std::to_string(i), "rep-1",
                           "team-east-1", 100'000'00, d));
    }
    for (int i = 0; i < 10; ++i) {
      events.push_back(
          Lost("l1-" + std::to_string(i), "rep-1", "team-east-1", d,
               i < 7 ? cv1::OPPORTUNITY_STAGE_PROPOSAL : cv1::OPPORTUNITY_STAGE_NEGOTIATION,
               i < 5 ? "价格太高" : "需求变化"));
    }
    for (int i = 0; i < 15; ++i) {
      events.push_back(Won("w2-" + std::to_string(i), "o2-" + std::to_string(i), "rep-2",
                           "team-east-1", 80'000'00, d));
    }
    for (int i = 0; i < 10; ++i) {
      events.push_back(Lost(
          "l2-" + std::to_string(i), "rep-2", "team-east-1", d,
          i < 2 ? cv1::OPPORTUNITY_STAGE_PROPOSAL : cv1::OPPORTUNITY_STAGE_QUALIFIED, "预算取消"));
    }
    for (int i = 0; i < 3; ++i) {
      events.push_back(Activity("a1-" + std::to_string(i), "rep-1", "team-east-1", d, true, 0));
    }
    Deliver(events);
  }

  v1::BiweeklyReview Generate(const CallContext& who, const std::string& member,
                              absl::CivilDay end) {
    v1::GenerateReviewRequest req;
    req.set_member("members/" + member);
    *req.mutable_end_date() = ToDate(end);
    v1::GenerateReviewResponse resp;
    absl::Status s = api_.GenerateReview(who, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.review();
  }

  const v1::Suggestion* FindSuggestion(const v1::BiweeklyReview& r, const std::string& rule) {
    for (const auto& s : r.suggestions()) {
      if (s.rule_id() == rule) {
        return &s;
      }
    }
    return nullptr;
  }

  int64_t Evidence(const v1::Suggestion& s, const std::string& key) {
    for (const auto& e : s.evidence()) {
      if (e.key() == key) {
        return KpiValueOf(e.value());
      }
    }
    ADD_FAILURE() << "no evidence " << key;
    return -1;
  }

  v1::BiweeklyReview AddItem(const CallContext& who, const v1::BiweeklyReview& r,
                             const std::string& suggestion, absl::CivilDay due) {
    v1::AddActionItemRequest req;
    req.set_review(r.name());
    req.set_etag(r.etag());
    req.mutable_action_item()->set_description("每周两次异议处理角色扮演");
    req.mutable_action_item()->set_suggestion_id(suggestion);
    *req.mutable_action_item()->mutable_due_date() = ToDate(due);
    v1::AddActionItemResponse resp;
    absl::Status s = api_.AddActionItem(who, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.review();
  }

  absl::Status Finish(const CallContext& who, const v1::BiweeklyReview& r, const std::string& item,
                      v1::ActionItemState state, v1::BiweeklyReview* out = nullptr) {
    v1::UpdateActionItemRequest req;
    req.set_review(r.name());
    req.set_etag(r.etag());
    req.set_action_item_id(item);
    req.set_state(state);
    v1::UpdateActionItemResponse resp;
    absl::Status s = api_.UpdateActionItem(who, req, &resp);
    if (out != nullptr) {
      *out = resp.review();
    }
    return s;
  }
};

TEST_F(ReviewApiTest, LossesAtOneStageProduceASuggestionCitingThem) {
  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  EXPECT_EQ(r.name(), "reviews/FY2026-B23.rep-1");
  EXPECT_EQ(r.cycle(), "FY2026-B23");
  EXPECT_EQ(r.supervisor(), "members/sup-1");
  EXPECT_EQ(DayOf(r.start_date()), absl::CivilDay(2026, 11, 5));
  EXPECT_EQ(r.state(), v1::REVIEW_STATE_GENERATED);
  const v1::Suggestion* s = FindSuggestion(r, "stage_loss.proposal");
  ASSERT_NE(s, nullptr) << r.DebugString();
  EXPECT_EQ(Evidence(*s, "lost_from_proposal"), 7);
  EXPECT_EQ(Evidence(*s, "closed_deals"), 12);
  EXPECT_EQ(Evidence(*s, "team_closed_deals"), 25);
  EXPECT_THAT(s->explanation(), HasSubstr("12 单中有 7 单丢在方案阶段"));
  EXPECT_EQ(s->metric(), v1::KPI_METRIC_WIN_RATE);
  EXPECT_EQ(KpiValueOf(s->metric_value()), 1666);  // 2 of 12
  ASSERT_EQ(s->resources_size(), 1);
  EXPECT_EQ(s->resources(0), "scriptScenarios/OBJECTION_HANDLING");
  // Suggestions by expected impact.
  for (int i = 1; i < r.suggestions_size(); ++i) {
    EXPECT_GE(r.suggestions(i - 1).expected_impact().amount_minor(),
              r.suggestions(i).expected_impact().amount_minor());
  }
  // Pipeline movement and customer feedback.
  EXPECT_EQ(r.pipeline().won_count(), 2);
  EXPECT_EQ(r.pipeline().lost_count(), 10);
  EXPECT_EQ(r.pipeline().won_amount().amount_minor(), 200'000'00);
  ASSERT_GE(r.loss_reasons_size(), 2);
  EXPECT_EQ(r.loss_reasons(0).reason(), "价格太高");
  EXPECT_EQ(r.loss_reasons(0).count(), 5);
  ASSERT_EQ(r.lost_to_competitors_size(), 1);
  EXPECT_EQ(r.lost_to_competitors(0).count(), 10);
  EXPECT_EQ(CountEvents("salesops.performance.v1.ReviewGenerated"), 1);
  // No KPIs configured here: no scorecard to show.
  EXPECT_EQ(r.scorecard(), "");
  // rep-2 is above the team at proposal: no such suggestion.
  v1::BiweeklyReview r2 = Generate(sup1_, "rep-2", absl::CivilDay(2026, 11, 18));
  EXPECT_EQ(FindSuggestion(r2, "stage_loss.proposal"), nullptr);
}

TEST_F(ReviewApiTest, OpenWarningsAboutTheRepAreListed) {
  namespace wv1 = salesops::warning::v1;
  wv1::WarningRaised raised;
  auto* w = raised.mutable_warning();
  w->set_name("warnings/w-1");
  w->set_rep("members/rep-1");
  w->set_subject("opportunities/o-9");
  w->set_severity(wv1::SEVERITY_WARNING);
  w->mutable_message()->set_zh("商机停滞 21 天：华东制造集团框架");
  CloudEvent e =
      MakeCloudEvent("/salesops/warning", "w-1", w->name(), raised, ChinaNoon(2026, 11, 25));
  e.id = "raised-w-1";
  wv1::WarningRaised team_only = raised;
  team_only.mutable_warning()->set_name("warnings/w-2");
  team_only.mutable_warning()->clear_rep();
  CloudEvent e2 = MakeCloudEvent("/salesops/warning", "w-2", "warnings/w-2", team_only,
                                 ChinaNoon(2026, 11, 25));
  e2.id = "raised-w-2";
  Deliver({e, e2});
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 26));
  ASSERT_EQ(r.open_warnings_size(), 1);
  EXPECT_EQ(r.open_warnings(0).warning(), "warnings/w-1");
  EXPECT_EQ(r.open_warnings(0).severity(), "SEVERITY_WARNING");
  EXPECT_THAT(r.open_warnings(0).text(), HasSubstr("商机停滞"));
  wv1::WarningResolved resolved;
  *resolved.mutable_warning() = raised.warning();
  CloudEvent e3 =
      MakeCloudEvent("/salesops/warning", "w-1", w->name(), resolved, ChinaNoon(2026, 11, 26));
  e3.id = "resolved-w-1";
  Deliver({e3});
  r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 26));  // refreshed while GENERATED
  EXPECT_EQ(r.open_warnings_size(), 0);
}

// Market insights the sync service published: those for the rep's team, a
// unit above it or everyone, still valid, newest first; not another
// region's, not expired ones, not archived ones.
TEST_F(ReviewApiTest, MarketInsightsMeantForTheRepAreListed) {
  namespace sv1 = salesops::sync::v1;
  auto publish = [&](const std::string& id, const std::string& title, const std::string& unit,
                     absl::Time at, std::optional<absl::CivilDay> valid_until) {
    sv1::InsightPublished p;
    sv1::MarketInsight* in = p.mutable_insight();
    in->set_name("insights/" + id);
    in->set_kind(sv1::INSIGHT_KIND_COMPETITOR);
    in->set_title(title);
    in->set_body("竞品B 在华东下调报价 15%，重点针对制造业客户。");
    if (!unit.empty()) {
      in->mutable_audience()->add_org_units("orgUnits/" + unit);
    }
    if (valid_until) {
      *in->mutable_valid_until() = ToDate(*valid_until);
    }
    *in->mutable_publish_time() = ToTs(at);
    CloudEvent e = MakeCloudEvent("/salesops/sync", id, in->name(), p, at);
    e.id = "published-" + id;
    return e;
  };
  Deliver({publish("i-east", "竞品B 华东降价", "region-east", ChinaNoon(2026, 11, 20), {}),
           publish("i-all", "行业政策更新", "", ChinaNoon(2026, 11, 21), {}),
           publish("i-west", "西区新对手", "region-west", ChinaNoon(2026, 11, 22), {}),
           publish("i-old", "过期动态", "", ChinaNoon(2026, 11, 1), absl::CivilDay(2026, 11, 10))});
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 26));
  ASSERT_EQ(r.market_insights_size(), 2);
  EXPECT_EQ(r.market_insights(0).insight(), "insights/i-all");
  EXPECT_EQ(r.market_insights(1).insight(), "insights/i-east");
  EXPECT_EQ(r.market_insights(1).kind(), "INSIGHT_KIND_COMPETITOR");
  EXPECT_THAT(r.market_insights(1).summary(), HasSubstr("下调报价"));
  sv1::InsightArchived archived;
  archived.set_insight("insights/i-all");
  CloudEvent e = MakeCloudEvent("/salesops/sync", "i-all", "insights/i-all", archived,
                                ChinaNoon(2026, 11, 26));
  e.id = "archived-i-all";
  Deliver({e});
  r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 26));  // refreshed while GENERATED
  ASSERT_EQ(r.market_insights_size(), 1);
  EXPECT_EQ(r.market_insights(0).insight(), "insights/i-east");
}

TEST_F(ReviewApiTest, TheScorecardAndItsChangeSinceTheLastReview) {
  SetUpKpis();
  // Cycle B23: bookings ¥40,000 (40 % of the ¥100,000 KPI) and 4 visits.
  std::vector<CloudEvent> first;
  first.push_back(
      Won("sc-w1", "sc-o1", "rep-1", "team-east-1", 40'000'00, absl::CivilDay(2026, 11, 10)));
  for (int i = 0; i < 4; ++i) {
    first.push_back(Activity("sc-a" + std::to_string(i), "rep-1", "team-east-1",
                             absl::CivilDay(2026, 11, 10), true, 0));
  }
  Deliver(first);
  v1::BiweeklyReview r1 = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  EXPECT_EQ(r1.scorecard(), "scorecards/FY2026-Q4.m.rep-1");
  const int before = r1.scorecard_score_basis_points();
  EXPECT_GT(before, 0);
  EXPECT_EQ(r1.scorecard_change_basis_points(), 0);  // no previous review
  // Cycle B24: another ¥40,000.
  Deliver({Won("sc-w2", "sc-o2", "rep-1", "team-east-1", 40'000'00, absl::CivilDay(2026, 11, 25))});
  v1::BiweeklyReview r2 = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 26));
  EXPECT_GT(r2.scorecard_score_basis_points(), before);
  EXPECT_EQ(r2.scorecard_change_basis_points(), r2.scorecard_score_basis_points() - before);
}

TEST_F(ReviewApiTest, NoSuggestionFromFiveDeals) {
  std::vector<CloudEvent> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(Lost("l3-" + std::to_string(i), "rep-3", "team-east-2",
                          absl::CivilDay(2026, 11, 10), cv1::OPPORTUNITY_STAGE_PROPOSAL, "价格"));
  }
  Deliver(events);
  v1::BiweeklyReview r = Generate(mgr_, "rep-3", absl::CivilDay(2026, 11, 18));
  EXPECT_EQ(r.pipeline().lost_count(), 5);
  EXPECT_EQ(r.suggestions_size(), 0) << r.DebugString();
}

TEST_F(ReviewApiTest, ClosingTheActionItemAndLaterWinsShowBeforeAndAfter) {
  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  const v1::Suggestion* s = FindSuggestion(r, "stage_loss.proposal");
  ASSERT_NE(s, nullptr);
  r = AddItem(sup1_, r, s->suggestion_id(), absl::CivilDay(2026, 11, 30));
  ASSERT_EQ(r.action_items_size(), 1);
  const v1::ActionItem item = r.action_items(0);
  EXPECT_EQ(item.metric(), v1::KPI_METRIC_WIN_RATE);
  EXPECT_EQ(KpiValueOf(item.metric_before()), 1666);
  EXPECT_EQ(item.owner(), "members/rep-1");
  EXPECT_TRUE(FindSuggestion(r, "stage_loss.proposal")->accepted());
  EXPECT_EQ(CountEvents("salesops.performance.v1.SuggestionAccepted"), 1);
  // The rep closes it (a rep may work on their own review).
  ASSERT_TRUE(Finish(rep1_, r, item.action_item_id(), v1::ACTION_ITEM_STATE_DONE, &r).ok());
  EXPECT_EQ(r.action_items(0).state(), v1::ACTION_ITEM_STATE_DONE);
  EXPECT_EQ(CountEvents("salesops.performance.v1.ActionItemCompleted"), 1);
  // Next cycle (B24, 11-19 .. 12-02): 3 won, 1 lost.
  std::vector<CloudEvent> later;
  const absl::CivilDay d(2026, 11, 25);
  for (int i = 0; i < 3; ++i) {
    later.push_back(Won("w1b-" + std::to_string(i), "o1b-" + std::to_string(i), "rep-1",
                        "team-east-1", 100'000'00, d));
  }
  later.push_back(
      Lost("l1b", "rep-1", "team-east-1", d, cv1::OPPORTUNITY_STAGE_NEGOTIATION, "价格"));
  Deliver(later);
  // The scheduler, two days into B25, reviews B24 for every rep.
  clock_.Set(ChinaNoon(2026, 12, 4));
  auto n = api_.GenerateDueReviews(absl::Seconds(30));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 4);  // rep-1, rep-2, rep-3, rep-4
  v1::GetReviewRequest get;
  get.set_name("reviews/FY2026-B24.rep-1");
  v1::GetReviewResponse next;
  ASSERT_TRUE(api_.GetReview(sup1_, get, &next).ok());
  EXPECT_EQ(next.review().previous_review(), "reviews/FY2026-B23.rep-1");
  ASSERT_EQ(next.review().outcomes_size(), 1);
  EXPECT_EQ(KpiValueOf(next.review().outcomes(0).metric_before()), 1666);
  EXPECT_EQ(KpiValueOf(next.review().outcomes(0).metric_after()), 7500);  // 3 of 4
  get.set_name("reviews/FY2026-B23.rep-1");
  v1::GetReviewResponse prev;
  ASSERT_TRUE(api_.GetReview(sup1_, get, &prev).ok());
  EXPECT_EQ(KpiValueOf(prev.review().action_items(0).metric_after()), 7500);
}

TEST_F(ReviewApiTest, OpenItemsAreCarriedIntoTheNextReview) {
  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  r = AddItem(sup1_, r, "", absl::CivilDay(2026, 12, 20));
  clock_.Set(ChinaNoon(2026, 12, 4));
  ASSERT_TRUE(api_.GenerateDueReviews(absl::Seconds(30)).ok());
  v1::GetReviewRequest get;
  get.set_name("reviews/FY2026-B24.rep-1");
  v1::GetReviewResponse next;
  ASSERT_TRUE(api_.GetReview(sup1_, get, &next).ok());
  ASSERT_EQ(next.review().action_items_size(), 1);
  EXPECT_EQ(next.review().action_items(0).carried_from(), "reviews/FY2026-B23.rep-1");
  EXPECT_EQ(next.review().action_items(0).description(), "每周两次异议处理角色扮演");
  get.set_name("reviews/FY2026-B23.rep-1");
  v1::GetReviewResponse old;
  ASSERT_TRUE(api_.GetReview(sup1_, get, &old).ok());
  EXPECT_EQ(old.review().action_items(0).carried_to(), "reviews/FY2026-B24.rep-1");
  absl::Status s = Finish(sup1_, old.review(), "a1", v1::ACTION_ITEM_STATE_DONE);
  EXPECT_EQ(ErrorReason(s), "ACTION_ITEM_CARRIED");
  // Only the new one counts as open.
  v1::ListReviewsRequest list;
  list.set_open_action_items_only(true);
  v1::ListReviewsResponse open;
  ASSERT_TRUE(api_.ListReviews(sup1_, list, &open).ok());
  ASSERT_EQ(open.reviews_size(), 1);
  EXPECT_EQ(open.reviews(0).name(), "reviews/FY2026-B24.rep-1");
}

TEST_F(ReviewApiTest, OverdueItemsRaiseOneEventEach) {
  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  r = AddItem(sup1_, r, "", absl::CivilDay(2026, 11, 20));  // overdue on 11-27
  r = AddItem(sup1_, r, "", absl::CivilDay(2026, 12, 20));
  auto n = api_.NotifyOverdueActionItems();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(*api_.NotifyOverdueActionItems(), 0);
  EXPECT_EQ(CountEvents("salesops.performance.v1.ActionItemOverdue"), 1);
  for (const CloudEvent& e : repo_.events()) {
    if (e.type != "salesops.performance.v1.ActionItemOverdue") {
      continue;
    }
    v1::ActionItemOverdue o;
    ASSERT_TRUE(o.ParseFromString(e.data));
    EXPECT_EQ(o.action_item().action_item_id(), "a1");
    EXPECT_EQ(o.days_overdue(), 7);
    EXPECT_EQ(o.supervisor(), "members/sup-1");
  }
}

TEST_F(ReviewApiTest, OneReviewPerRepAndCycleWithTwoSchedulersAndARestart) {
  SetUpLosses();
  clock_.Set(ChinaNoon(2026, 12, 4));
  // A scheduler that stopped after its first rep ...
  absl::StatusOr<int> first;
  {
    PerformanceApi crashed(repo_, org_, recomputer_, clock_);
    v1::GenerateReviewRequest req;
    req.set_member("members/rep-2");
    *req.mutable_end_date() = D(2026, 12, 2);
    v1::GenerateReviewResponse resp;
    ASSERT_TRUE(crashed.GenerateReview(admin_, req, &resp).ok());
  }
  // ... then two replicas' schedulers at once, then one again.
  PerformanceApi a(repo_, org_, recomputer_, clock_), b(repo_, org_, recomputer_, clock_);
  absl::StatusOr<int> ra, rb;
  std::thread ta([&] { ra = a.GenerateDueReviews(absl::Seconds(30)); });
  std::thread tb([&] { rb = b.GenerateDueReviews(absl::Seconds(30)); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(*ra + *rb, 3);
  EXPECT_EQ(*a.GenerateDueReviews(absl::Seconds(30)), 0);
  EXPECT_EQ(CountEvents("salesops.performance.v1.ReviewGenerated"), 4);
  std::set<std::string> subjects;
  for (const CloudEvent& e : repo_.events()) {
    if (e.type == "salesops.performance.v1.ReviewGenerated") {
      subjects.insert(e.subject);
    }
  }
  EXPECT_EQ(subjects.size(), 4u);
}

TEST_F(ReviewApiTest, ScopeARepTheirOwnASupervisorTheirTeam) {
  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  Generate(supw_, "rep-4", absl::CivilDay(2026, 11, 18));
  v1::GetReviewRequest get;
  get.set_name(r.name());
  v1::GetReviewResponse resp;
  EXPECT_TRUE(api_.GetReview(rep1_, get, &resp).ok());
  EXPECT_EQ(api_.GetReview(rep2_, get, &resp).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(api_.GetReview(supw_, get, &resp).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(api_.GetReview(mgr_, get, &resp).ok());
  // Generating for someone outside the team.
  v1::GenerateReviewRequest gen;
  gen.set_member("members/rep-1");
  v1::GenerateReviewResponse out;
  EXPECT_EQ(api_.GenerateReview(supw_, gen, &out).code(), absl::StatusCode::kPermissionDenied);
  // Lists: a rep sees their own, even when asking for all; not a teammate's.
  v1::ListReviewsRequest list;
  v1::ListReviewsResponse page;
  ASSERT_TRUE(api_.ListReviews(rep1_, list, &page).ok());
  ASSERT_EQ(page.reviews_size(), 1);
  EXPECT_EQ(page.reviews(0).member(), "members/rep-1");
  list.set_member("members/rep-2");
  EXPECT_EQ(api_.ListReviews(rep1_, list, &page).code(), absl::StatusCode::kPermissionDenied);
  list.clear_member();
  v1::ListReviewsResponse west, all;
  ASSERT_TRUE(api_.ListReviews(supw_, list, &west).ok());
  ASSERT_EQ(west.reviews_size(), 1);
  EXPECT_EQ(west.reviews(0).member(), "members/rep-4");
  ASSERT_TRUE(api_.ListReviews(admin_, list, &all).ok());
  EXPECT_EQ(all.reviews_size(), 2);
  // Another team's supervisor cannot add items to it.
  v1::AddActionItemRequest add;
  add.set_review(r.name());
  add.mutable_action_item()->set_description("x");
  *add.mutable_action_item()->mutable_due_date() = D(2026, 12, 1);
  v1::AddActionItemResponse added;
  EXPECT_EQ(api_.AddActionItem(supw_, add, &added).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ReviewApiTest, BadInputNamesTheField) {
  auto field_of = [](const absl::Status& s) {
    auto v = FieldViolations(s);
    return v.empty() ? std::string("<none: ") + s.ToString() + ">" : v[0].field;
  };
  v1::GenerateReviewRequest gen;
  v1::GenerateReviewResponse out;
  EXPECT_EQ(field_of(api_.GenerateReview(sup1_, gen, &out)), "member");
  gen.set_member("members/rep-1");
  *gen.mutable_end_date() = D(2026, 12, 30);
  EXPECT_EQ(field_of(api_.GenerateReview(sup1_, gen, &out)), "end_date");
  gen.mutable_end_date()->set_month(2);  // 2026-02-30
  gen.mutable_end_date()->set_day(30);
  EXPECT_EQ(field_of(api_.GenerateReview(sup1_, gen, &out)), "end_date");
  gen.clear_end_date();
  gen.set_member("members/nobody");
  EXPECT_EQ(api_.GenerateReview(admin_, gen, &out).code(), absl::StatusCode::kNotFound);

  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  v1::AddActionItemRequest add;
  add.set_review(r.name());
  v1::AddActionItemResponse added;
  EXPECT_EQ(field_of(api_.AddActionItem(sup1_, add, &added)), "action_item.description");
  add.mutable_action_item()->set_description("x");
  EXPECT_EQ(field_of(api_.AddActionItem(sup1_, add, &added)), "action_item.due_date");
  *add.mutable_action_item()->mutable_due_date() = D(2026, 12, 1);
  add.mutable_action_item()->set_suggestion_id("s99");
  EXPECT_EQ(field_of(api_.AddActionItem(sup1_, add, &added)), "action_item.suggestion_id");
  add.mutable_action_item()->clear_suggestion_id();
  add.set_review("reviews/");
  EXPECT_EQ(field_of(api_.AddActionItem(sup1_, add, &added)), "review");
  add.set_review(r.name());
  add.set_etag("999");
  EXPECT_EQ(ErrorReason(api_.AddActionItem(sup1_, add, &added)), "ETAG_MISMATCH");

  v1::UpdateActionItemRequest upd;
  upd.set_review(r.name());
  v1::UpdateActionItemResponse updated;
  EXPECT_EQ(field_of(api_.UpdateActionItem(sup1_, upd, &updated)), "action_item_id");
  upd.set_action_item_id("a9");
  upd.set_state(v1::ACTION_ITEM_STATE_DONE);
  EXPECT_EQ(api_.UpdateActionItem(sup1_, upd, &updated).code(), absl::StatusCode::kNotFound);

  v1::UpdateReviewRequest ur;
  ur.mutable_review()->set_name(r.name());
  v1::UpdateReviewResponse urr;
  EXPECT_EQ(field_of(api_.UpdateReview(sup1_, ur, &urr)), "update_mask");
  ur.mutable_update_mask()->add_paths("member");
  EXPECT_EQ(field_of(api_.UpdateReview(sup1_, ur, &urr)), "update_mask.paths[0]");

  v1::ListReviewsRequest list;
  list.set_member("rep-1");
  v1::ListReviewsResponse page;
  EXPECT_EQ(field_of(api_.ListReviews(sup1_, list, &page)), "member");
}

TEST_F(ReviewApiTest, DiscussThenCloseOnlyWhenNoItemIsOpen) {
  SetUpLosses();
  v1::BiweeklyReview r = Generate(sup1_, "rep-1", absl::CivilDay(2026, 11, 18));
  r = AddItem(sup1_, r, "", absl::CivilDay(2026, 12, 1));
  v1::UpdateReviewRequest ur;
  *ur.mutable_review() = r;
  ur.mutable_review()->set_state(v1::REVIEW_STATE_DISCUSSED);
  ur.mutable_review()->set_supervisor_notes("方案阶段多预演");
  ur.mutable_update_mask()->add_paths("state");
  ur.mutable_update_mask()->add_paths("supervisor_notes");
  v1::UpdateReviewResponse urr;
  ASSERT_TRUE(api_.UpdateReview(sup1_, ur, &urr).ok());
  r = urr.review();
  EXPECT_EQ(r.supervisor_notes(), "方案阶段多预演");
  // Discussed: its figures no longer change on GenerateReview.
  v1::GenerateReviewRequest gen;
  gen.set_member("members/rep-1");
  *gen.mutable_end_date() = D(2026, 11, 18);
  v1::GenerateReviewResponse out;
  EXPECT_EQ(ErrorReason(api_.GenerateReview(sup1_, gen, &out)), "REVIEW_ALREADY_DISCUSSED");
  *ur.mutable_review() = r;
  ur.mutable_review()->set_state(v1::REVIEW_STATE_CLOSED);
  ur.mutable_update_mask()->Clear();
  ur.mutable_update_mask()->add_paths("state");
  EXPECT_EQ(ErrorReason(api_.UpdateReview(sup1_, ur, &urr)), "ACTION_ITEMS_OPEN");
  // Finishing the last open item closes a discussed review.
  v1::BiweeklyReview after;
  ASSERT_TRUE(Finish(sup1_, r, "a1", v1::ACTION_ITEM_STATE_CANCELLED, &after).ok());
  EXPECT_EQ(after.state(), v1::REVIEW_STATE_CLOSED);
  EXPECT_EQ(Finish(sup1_, after, "a1", v1::ACTION_ITEM_STATE_DONE).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace salesops::performance
