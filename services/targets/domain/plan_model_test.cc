// The rules of a plan version without storage: names, which cells a deal
// counts towards, a cell's attainment and pace from its monthly phasing, and
// a roll-up subject's figures from the model built of the cells.
#include "services/targets/domain/plan_model.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::targets {
namespace {

absl::TimeZone Zone() { return absl::FixedTimeZone(8 * 3600); }
absl::Time At(absl::CivilDay d) {
  return absl::FromCivil(absl::CivilSecond(d) + 12 * 3600, Zone());
}

// Q4 2026 of a company plan of ¥3,000 (minor units 300000) in CNY.
v1::TargetPlan Plan() {
  v1::TargetPlan p;
  p.set_name("plans/p1");
  p.set_period("fiscalPeriods/FY2026-Q4");
  p.set_scope("orgUnits/acme");
  p.mutable_total()->set_amount_minor(300000);
  p.mutable_total()->set_currency_code("CNY");
  p.set_attainment_basis(v1::ATTAINMENT_BASIS_BOOKING);
  return p;
}
v1::FiscalPeriod Period() {
  v1::FiscalPeriod f;
  f.set_name("fiscalPeriods/FY2026-Q4");
  f.mutable_start_date()->set_year(2026);
  f.mutable_start_date()->set_month(10);
  f.mutable_start_date()->set_day(1);
  f.mutable_end_date()->set_year(2026);
  f.mutable_end_date()->set_month(12);
  f.mutable_end_date()->set_day(31);
  return f;
}
// A cell with `amount` phased evenly over October..December.
v1::AllocationCell Cell(const std::string& key, const std::string& parent, v1::AllocationAxis axis,
                        int64_t amount) {
  v1::AllocationCell c;
  c.set_name(CellName("p1", key));
  if (!parent.empty()) {
    c.set_parent_cell(CellName("p1", parent));
  }
  c.set_axis(axis);
  c.mutable_amount()->set_amount_minor(amount);
  c.mutable_amount()->set_currency_code("CNY");
  for (int m = 10; m <= 12; ++m) {
    v1::MonthlyAmount* ma = c.add_monthly_amounts();
    ma->set_year(2026);
    ma->set_month(m);
    ma->mutable_amount()->set_amount_minor(amount / 3);
  }
  return c;
}

TEST(PlanNamesTest, CellNamesRoundTripAndMalformedOnesAreRefused) {
  EXPECT_EQ(PlanName("p1"), "plans/p1");
  EXPECT_EQ(CellName("p1", "c7"), "plans/p1/cells/c7");
  auto parsed = ParseCellName("plans/p1/cells/c7");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first, "p1");
  EXPECT_EQ(parsed->second, "c7");
  for (const char* bad : {"plans/p1", "plans//cells/c7", "plans/p1/cells/", "plan/p1/cells/c7",
                          "plans/p1/cell/c7", "plans/p1/cells/c7/x"}) {
    EXPECT_FALSE(ParseCellName(bad).has_value()) << bad;
  }
  EXPECT_EQ(StripName("orgUnits/t-1"), "t-1");
  EXPECT_EQ(StripName("t-1"), "t-1");
}

// A cell counts a deal when every dimension, team and rep it fixes matches;
// what it leaves open matches anything.
TEST(CellMatchesTest, FixedDimensionsMustMatchOpenOnesMatchAnything) {
  DealFacts deal{"pl-erp", "east", "direct", "enterprise", "t-hz", "rep-1", 100, "CNY"};
  v1::AllocationCell root = Cell("root", "", v1::ALLOCATION_AXIS_UNSPECIFIED, 300000);
  EXPECT_TRUE(CellMatches(root, deal)) << "the root fixes nothing";

  v1::AllocationCell pl = Cell("pl", "root", v1::ALLOCATION_AXIS_PRODUCT_LINE, 300000);
  pl.mutable_dimensions()->set_product_line("orgUnits/pl-erp");
  EXPECT_TRUE(CellMatches(pl, deal));
  DealFacts other_pl = deal;
  other_pl.product_line = "pl-crm";
  EXPECT_FALSE(CellMatches(pl, other_pl));

  v1::AllocationCell channel = pl;
  channel.mutable_dimensions()->set_channel("partner");
  EXPECT_FALSE(CellMatches(channel, deal)) << "direct is not partner";

  v1::AllocationCell team = Cell("team", "pl", v1::ALLOCATION_AXIS_TEAM, 300000);
  team.set_org_unit("orgUnits/t-hz");
  EXPECT_TRUE(CellMatches(team, deal));
  DealFacts other_team = deal;
  other_team.team = "t-sh";
  EXPECT_FALSE(CellMatches(team, other_team));

  v1::AllocationCell rep = Cell("rep", "team", v1::ALLOCATION_AXIS_REP, 100000);
  rep.set_org_unit("orgUnits/t-hz");
  rep.set_member("members/rep-1");
  EXPECT_TRUE(CellMatches(rep, deal));
  DealFacts colleague = deal;
  colleague.rep = "rep-2";
  EXPECT_FALSE(CellMatches(rep, colleague));
  DealFacts moved = deal;
  moved.team = "t-sh";
  EXPECT_FALSE(CellMatches(rep, moved)) << "the rep's cell is in their team of the plan";

  EXPECT_EQ(BookingOf(deal).rep, "rep-1");
  EXPECT_EQ(BookingOf(deal).amount, 100);
}

// Expected to date follows the phasing: whole months before today, plus the
// days of today's month; pace is actual against expected, attainment actual
// against target; before the period nothing is expected, after it all.
TEST(AttainmentOfTest, ExpectedToDateFollowsThePhasingAndPaceComparesToIt) {
  v1::AllocationCell rep = Cell("rep", "team", v1::ALLOCATION_AXIS_REP, 300000);
  rep.set_org_unit("orgUnits/t-hz");
  rep.set_member("members/rep-1");

  // 1 December: October and November are due (200000), none of December yet.
  v1::Attainment a =
      AttainmentOf(Plan(), Period(), rep, 150000, At(absl::CivilDay(2026, 12, 1)), Zone());
  EXPECT_EQ(a.level(), v1::ATTAINMENT_LEVEL_REP);
  EXPECT_EQ(a.rep(), "members/rep-1");
  EXPECT_EQ(a.team(), "orgUnits/t-hz");
  EXPECT_EQ(a.target().amount_minor(), 300000);
  EXPECT_EQ(a.actual().amount_minor(), 150000);
  EXPECT_GE(a.expected_to_date().amount_minor(), 200000);
  EXPECT_LT(a.expected_to_date().amount_minor(), 210000);
  EXPECT_EQ(a.attainment_basis_points(), 5000);
  EXPECT_LT(a.pace_basis_points(), 7600);
  EXPECT_GT(a.pace_basis_points(), 7000);
  EXPECT_EQ(a.remaining().amount_minor(), 150000);
  EXPECT_EQ(a.gap_to_expected().amount_minor(),
            a.expected_to_date().amount_minor() - a.actual().amount_minor());

  // Before the period: nothing expected, pace counts as on plan.
  a = AttainmentOf(Plan(), Period(), rep, 0, At(absl::CivilDay(2026, 9, 20)), Zone());
  EXPECT_EQ(a.expected_to_date().amount_minor(), 0);
  EXPECT_EQ(a.pace_basis_points(), 10000);
  // After it: the whole target was expected.
  a = AttainmentOf(Plan(), Period(), rep, 330000, At(absl::CivilDay(2027, 1, 5)), Zone());
  EXPECT_EQ(a.expected_to_date().amount_minor(), 300000);
  EXPECT_EQ(a.attainment_basis_points(), 11000);
  EXPECT_EQ(a.remaining().amount_minor(), -30000);
}

// root → product line → team t-hz → reps rep-1 and rep-2, built into a model:
// the rep's roll-up takes its cell's target and team, the team its region
// from the lookup, the company the plan's scope; the lookup is asked once
// per team.
TEST(RollupAttainmentTest, RollupSubjectsTakeTargetsTeamsAndRegionsFromTheModel) {
  std::vector<v1::AllocationCell> cells;
  cells.push_back(Cell("root", "", v1::ALLOCATION_AXIS_UNSPECIFIED, 300000));
  v1::AllocationCell pl = Cell("pl", "root", v1::ALLOCATION_AXIS_PRODUCT_LINE, 300000);
  pl.mutable_dimensions()->set_product_line("orgUnits/pl-erp");
  cells.push_back(pl);
  v1::AllocationCell team = Cell("team", "pl", v1::ALLOCATION_AXIS_TEAM, 300000);
  team.set_org_unit("orgUnits/t-hz");
  *team.mutable_dimensions() = pl.dimensions();
  cells.push_back(team);
  for (const auto& [key, member, amount] :
       std::vector<std::tuple<std::string, std::string, int64_t>>{{"r1", "rep-1", 180000},
                                                                  {"r2", "rep-2", 120000}}) {
    v1::AllocationCell rep = Cell(key, "team", v1::ALLOCATION_AXIS_REP, amount);
    rep.set_org_unit("orgUnits/t-hz");
    rep.set_member("members/" + member);
    *rep.mutable_dimensions() = pl.dimensions();
    cells.push_back(rep);
  }
  // rep-3 has two cells, the first (in key order) without a team.
  for (const auto& [key, org_unit] :
       std::vector<std::pair<std::string, std::string>>{{"r3a", ""}, {"r3b", "orgUnits/t-hz"}}) {
    v1::AllocationCell rep = Cell(key, "team", v1::ALLOCATION_AXIS_REP, 0);
    rep.set_org_unit(org_unit);
    rep.set_member("members/rep-3");
    *rep.mutable_dimensions() = pl.dimensions();
    cells.push_back(rep);
  }
  std::map<std::string, int> asked;
  absl::StatusOr<PlanModel> model =
      BuildPlanModel(Plan(), 3, Period(), cells, [&](const std::string& t) {
        ++asked[t];
        return absl::StatusOr<std::string>(t == "t-hz" ? "east" : "");
      });
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version, 3);
  EXPECT_EQ(model->cells.size(), 7u);
  EXPECT_EQ(asked, (std::map<std::string, int>{{"t-hz", 1}}));

  const absl::Time now = At(absl::CivilDay(2026, 12, 1));
  v1::Attainment rep = RollupAttainment(*model, RollupSubject::Rep("rep-1"), 90000, 0, now, Zone());
  EXPECT_EQ(rep.subject(), "members/rep-1");
  EXPECT_EQ(rep.level(), v1::ATTAINMENT_LEVEL_REP);
  EXPECT_EQ(rep.team(), "orgUnits/t-hz");
  EXPECT_EQ(rep.region(), "orgUnits/east");
  EXPECT_EQ(rep.target().amount_minor(), 180000);
  EXPECT_EQ(rep.attainment_basis_points(), 5000);
  EXPECT_EQ(RepTeam(*model, RollupSubject::Rep("rep-1")), "t-hz");
  EXPECT_EQ(RepTeam(*model, RollupSubject::Rep("rep-9")), "");
  // A rep's team is the first of its cells' teams there is, whether or not its
  // expected figure is remembered yet (the second call), and RepTeam, which the
  // projection keys its events by, names the same.
  for (int call = 0; call < 2; ++call) {
    EXPECT_EQ(RollupAttainment(*model, RollupSubject::Rep("rep-3"), 1, 0, now, Zone()).team(),
              "orgUnits/t-hz")
        << "call " << call;
  }
  EXPECT_EQ(RepTeam(*model, RollupSubject::Rep("rep-3")), "t-hz");
  // Remembered at build for each rep of the plan: what its cells say.
  EXPECT_EQ(model->rep_team.size(), model->rollup.Subjects(RollupLevel::kRep).size());
  EXPECT_EQ(model->rep_team.at("rep-3"), "t-hz");
  for (const RollupSubject& r : model->rollup.Subjects(RollupLevel::kRep)) {
    EXPECT_EQ(RepTeam(*model, r), TeamOfTopmostCells(*model, r)) << r.id;
  }

  v1::Attainment t = RollupAttainment(*model, RollupSubject::Team("t-hz"), 150000, 0, now, Zone());
  EXPECT_EQ(t.subject(), "orgUnits/t-hz");
  EXPECT_EQ(t.team(), "orgUnits/t-hz");
  EXPECT_EQ(t.region(), "orgUnits/east");
  EXPECT_EQ(t.target().amount_minor(), 300000);

  v1::Attainment c = RollupAttainment(*model, RollupSubject::Company(), 150000, 20000, now, Zone());
  EXPECT_EQ(c.subject(), "orgUnits/acme");
  EXPECT_EQ(c.level(), v1::ATTAINMENT_LEVEL_COMPANY);
  EXPECT_TRUE(c.region().empty());
  EXPECT_EQ(c.unplanned().amount_minor(), 20000);

  // A rep without a cell: no target and no team from the plan (the caller
  // places them from the directory).
  v1::Attainment stranger =
      RollupAttainment(*model, RollupSubject::Rep("rep-9"), 5000, 5000, now, Zone());
  EXPECT_EQ(stranger.target().amount_minor(), 0);
  EXPECT_TRUE(stranger.team().empty());

  // The region lookup failing fails the build.
  absl::StatusOr<PlanModel> failed = BuildPlanModel(
      Plan(), 3, Period(), cells, [](const std::string&) -> absl::StatusOr<std::string> {
        return absl::UnavailableError("x");
      });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace salesops::targets
