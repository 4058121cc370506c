// Attainment roll-ups: targets of reps, teams, regions and the company from
// their topmost cells, bookings attributed up the org, unplanned bookings
// kept, breakdowns by dimension — worked examples and properties on random
// plans and booking streams.
#include "services/targets/domain/rollup.h"

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::targets {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

RollupCell Cell(std::string key, std::string parent, int64_t target) {
  RollupCell c;
  c.key = std::move(key);
  c.parent = std::move(parent);
  c.target = target;
  return c;
}

// company 1000 → product lines (cloud 600, iot 400) → regions → team t1 / t3 → reps.
// Dimensions are cumulative down the tree, as the targets service stores them.
std::vector<RollupCell> ExamplePlan() {
  std::vector<RollupCell> cells;
  cells.push_back(Cell("root", "", 1000));
  auto add = [&](RollupCell c, const RollupCell& parent) {
    if (c.product_line.empty()) {
      c.product_line = parent.product_line;
    }
    if (c.region.empty()) {
      c.region = parent.region;
    }
    cells.push_back(c);
    return c;
  };
  RollupCell cloud = Cell("cloud", "root", 600), iot = Cell("iot", "root", 400);
  cloud.product_line = "pl-cloud";
  iot.product_line = "pl-iot";
  cloud = add(cloud, cells[0]);
  iot = add(iot, cells[0]);
  for (const auto& [pl, east_amount, west_amount, r1, r2] :
       {std::tuple<RollupCell, int64_t, int64_t, int64_t, int64_t>{cloud, 400, 200, 250, 150},
        {iot, 300, 100, 200, 100}}) {
    RollupCell east = Cell(pl.key + ".east", pl.key, east_amount);
    east.region = "east";
    east = add(east, pl);
    RollupCell west = Cell(pl.key + ".west", pl.key, west_amount);
    west.region = "west";
    west = add(west, pl);
    RollupCell t1 = Cell(east.key + ".t1", east.key, east_amount);
    t1.team = "t1";
    t1.team_axis = true;
    t1 = add(t1, east);
    RollupCell rep1 = Cell(t1.key + ".r1", t1.key, r1);
    rep1.team = "t1";
    rep1.member = "r1";
    add(rep1, t1);
    RollupCell rep2 = Cell(t1.key + ".r2", t1.key, r2);
    rep2.team = "t1";
    rep2.member = "r2";
    add(rep2, t1);
    RollupCell t3 = Cell(west.key + ".t3", west.key, west_amount);
    t3.team = "t3";
    t3.team_axis = true;
    t3 = add(t3, west);
    RollupCell rep3 = Cell(t3.key + ".r3", t3.key, west_amount);
    rep3.team = "t3";
    rep3.member = "r3";
    add(rep3, t3);
  }
  return cells;
}

RollupModel ExampleModel() {
  absl::StatusOr<RollupModel> m =
      RollupModel::Build(ExamplePlan(), {{"t1", "east"}, {"t3", "west"}});
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

RollupBooking Won(std::string rep, std::string team, std::string region, std::string pl,
                  int64_t amount) {
  return {std::move(rep), std::move(team), std::move(region), std::move(pl), "direct",
          "enterprise",   amount};
}

int64_t Get(const absl::flat_hash_map<std::string, int64_t>& counters, const std::string& f) {
  auto it = counters.find(f);
  return it == counters.end() ? 0 : it->second;
}

// A subject's actual for value `v` of `d`, from its breakdown counters.
int64_t Breakdown(const absl::flat_hash_map<std::string, int64_t>& counters, const RollupSubject& s,
                  RollupDimension d, const std::string& v) {
  const std::string prefix = ActualField(s) + "|";
  std::vector<std::pair<std::string, int64_t>> fields;
  for (const auto& [field, value] : counters) {
    if (field.rfind(prefix, 0) == 0) {
      fields.emplace_back(field.substr(prefix.size()), value);
    }
  }
  return Get(BreakdownActuals(fields, d), v);
}

// A rep's target is the sum of their cells in every product line; the team's
// and region's are their topmost cells (no double counting of the reps below).
TEST(RollupTest, TargetsFromTopmostCells) {
  const RollupModel m = ExampleModel();
  EXPECT_EQ(m.Target(RollupSubject::Rep("r1")), 250 + 200);
  EXPECT_EQ(m.Target(RollupSubject::Rep("r2")), 150 + 100);
  EXPECT_EQ(m.Target(RollupSubject::Team("t1")), 400 + 300);
  EXPECT_EQ(m.Target(RollupSubject::Region("east")), 400 + 300);
  EXPECT_EQ(m.Target(RollupSubject::Region("west")), 200 + 100);
  EXPECT_EQ(m.Target(RollupSubject::Company()), 1000);
  EXPECT_THAT(m.TopmostCells(RollupSubject::Rep("r1")),
              ElementsAre("cloud.east.t1.r1", "iot.east.t1.r1"));
  EXPECT_THAT(m.TopmostCells(RollupSubject::Team("t1")),
              ElementsAre("cloud.east.t1", "iot.east.t1"));
  EXPECT_EQ(m.Subjects(RollupLevel::kRep).size(), 3u);
  EXPECT_EQ(m.Target(RollupSubject::Rep("nobody")), 0);
}

// A rep with cells in two product lines wins a deal in each: the rep total is
// the sum; team, region and company move by the same amounts. A deal in a
// product line the plan never allocated is unplanned at every level, and the
// company total still equals all bookings.
TEST(RollupTest, WorkedExampleWithUnplannedDeal) {
  const RollupModel m = ExampleModel();
  const std::vector<RollupBooking> deals = {Won("r1", "t1", "east", "pl-cloud", 100),
                                            Won("r1", "t1", "east", "pl-iot", 50),
                                            Won("r1", "t1", "east", "pl-edge", 70)};
  const auto c = RollupFromBookings(m, deals);
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Rep("r1"))), 220);
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Team("t1"))), 220);
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Region("east"))), 220);
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Company())), 220);
  for (const RollupSubject& s : {RollupSubject::Rep("r1"), RollupSubject::Team("t1"),
                                 RollupSubject::Region("east"), RollupSubject::Company()}) {
    EXPECT_EQ(Get(c, UnplannedField(s)), 70) << ActualField(s);
  }
  EXPECT_EQ(Get(c, CellField("cloud.east.t1.r1")), 100);
  EXPECT_EQ(Get(c, CellField("iot.east.t1.r1")), 50);
  EXPECT_EQ(Get(c, CellField("cloud")), 100);
  EXPECT_EQ(Get(c, CellField("root")), 220);  // the root fixes nothing: every deal matches it
  EXPECT_FALSE(m.IsPlanned(deals[2]));
  EXPECT_TRUE(m.IsPlanned(deals[0]));
  EXPECT_EQ(Breakdown(c, RollupSubject::Rep("r1"), RollupDimension::kProductLine, "pl-edge"), 70);
  EXPECT_EQ(Breakdown(c, RollupSubject::Team("t1"), RollupDimension::kChannel, "direct"), 220);
  EXPECT_EQ(Breakdown(c, RollupSubject::Company(), RollupDimension::kCustomerType, "enterprise"),
            220);
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Region("west"))), 0);
}

// A booking writes one mix counter for its rep (not one per dimension), and
// a field per dimension for the team, region and company, whose fields many
// deals share.
TEST(RollupTest, OneMixForTheRepAFieldPerDimensionAbove) {
  const RollupModel m = ExampleModel();
  const RollupBooking b = Won("r1", "t1", "east", "pl-cloud", 100);
  std::vector<std::string> breakdown;
  for (const auto& [field, delta] : m.Increments(b)) {
    EXPECT_EQ(delta, 100) << field;
    if (field.rfind("a|", 0) == 0 && field.find('|', field.find('|', 2) + 1) != std::string::npos) {
      breakdown.push_back(field);
    }
  }
  EXPECT_THAT(breakdown,
              ElementsAre("a|r|r1|m=pl-cloud|direct|enterprise", "a|t|t1|pl=pl-cloud",
                          "a|t|t1|ch=direct", "a|t|t1|ct=enterprise", "a|g|east|pl=pl-cloud",
                          "a|g|east|ch=direct", "a|g|east|ct=enterprise", "a|c||pl=pl-cloud",
                          "a|c||ch=direct", "a|c||ct=enterprise"));
}

// A breakdown sums the mixes by the asked dimension, values with '|' and '%'
// come back whole, and per-dimension fields (pl=, ch=, ct=: a rep's before
// mixes) add to them: a plan live across the change reads every booking
// once. Other fields are skipped.
TEST(RollupTest, BreakdownReadsMixesAndOlderFields) {
  RollupBooking odd{"r1", "t1", "east", "pl|50%", "web|x", "smb", 7};
  const std::string mix = MixField(RollupSubject::Rep("r1"), odd);
  EXPECT_EQ(mix, "a|r|r1|m=pl%7C50%25|web%7Cx|smb");
  const std::vector<std::pair<std::string, int64_t>> fields = {
      {mix.substr(std::string("a|r|r1|").size()), 7},
      {"m=pl-a|direct|smb", 10},
      {"m=pl-a|web|enterprise", 5},
      {"pl=pl-a", 100},  // before mixes: one booking of 100 in pl-a, direct, smb
      {"ch=direct", 100},
      {"ct=smb", 100},
      {"zz=ignored", 1},
      {"m=too|few", 1}};
  EXPECT_THAT(BreakdownActuals(fields, RollupDimension::kProductLine),
              UnorderedElementsAre(std::pair<const std::string, int64_t>("pl|50%", 7),
                                   std::pair<const std::string, int64_t>("pl-a", 115)));
  EXPECT_THAT(BreakdownActuals(fields, RollupDimension::kChannel),
              UnorderedElementsAre(std::pair<const std::string, int64_t>("web|x", 7),
                                   std::pair<const std::string, int64_t>("direct", 110),
                                   std::pair<const std::string, int64_t>("web", 5)));
  EXPECT_THAT(BreakdownActuals(fields, RollupDimension::kCustomerType),
              UnorderedElementsAre(std::pair<const std::string, int64_t>("smb", 117),
                                   std::pair<const std::string, int64_t>("enterprise", 5)));
  EXPECT_EQ(UnescapeTuplePart(EscapeTuplePart("a%7C|%%25")), "a%7C|%%25");
}

// A deal by a rep the plan gave no cell to still counts for their team,
// region and company; it is unplanned because no leaf covers that rep.
TEST(RollupTest, RepWithoutCellsCountsUpTheOrg) {
  const RollupModel m = ExampleModel();
  const auto c = RollupFromBookings(m, {Won("new-rep", "t1", "east", "pl-cloud", 30)});
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Rep("new-rep"))), 30);
  EXPECT_EQ(Get(c, ActualField(RollupSubject::Team("t1"))), 30);
  EXPECT_EQ(Get(c, UnplannedField(RollupSubject::Team("t1"))), 30);
  EXPECT_EQ(Get(c, CellField("cloud.east.t1")), 30);  // the team cell matches it
  EXPECT_EQ(m.Target(RollupSubject::Rep("new-rep")), 0);
}

// Without a region axis a region's target is its teams' cells (via the org).
TEST(RollupTest, RegionTargetFromTeamsWhenPlanHasNoRegionAxis) {
  std::vector<RollupCell> cells = {Cell("root", "", 900)};
  RollupCell t1 = Cell("t1", "root", 500), t2 = Cell("t2", "root", 300),
             t3 = Cell("t3", "root", 100);
  for (RollupCell* t : {&t1, &t2, &t3}) {
    t->team = t->key;
    t->team_axis = true;
    cells.push_back(*t);
  }
  absl::StatusOr<RollupModel> m =
      RollupModel::Build(cells, {{"t1", "east"}, {"t2", "east"}, {"t3", "west"}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->Target(RollupSubject::Region("east")), 800);
  EXPECT_EQ(m->Target(RollupSubject::Region("west")), 100);
  EXPECT_THAT(m->Subjects(RollupLevel::kRegion),
              ElementsAre(RollupSubject::Region("east"), RollupSubject::Region("west")));
}

// The breakdown of a subject's target by a dimension sums to its target; a
// branch that never fixes the dimension is under "".
TEST(RollupTest, TargetBreakdownByDimension) {
  const RollupModel m = ExampleModel();
  auto by_pl = m.TargetBy(RollupSubject::Rep("r1"), RollupDimension::kProductLine);
  EXPECT_EQ(by_pl.size(), 2u);
  EXPECT_EQ(by_pl["pl-cloud"], 250);
  EXPECT_EQ(by_pl["pl-iot"], 200);
  auto by_channel = m.TargetBy(RollupSubject::Team("t1"), RollupDimension::kChannel);
  EXPECT_EQ(by_channel.size(), 1u);
  EXPECT_EQ(by_channel[""], 700);
}

// Malformed cell trees are refused, naming the problem.
TEST(RollupTest, BadTreesRefused) {
  EXPECT_FALSE(RollupModel::Build({Cell("a", "missing", 1)}, {}).ok());
  EXPECT_FALSE(RollupModel::Build({Cell("r", "", 1), Cell("r", "", 1)}, {}).ok());
  EXPECT_FALSE(RollupModel::Build({Cell("r1", "", 1), Cell("r2", "", 1)}, {}).ok());
  EXPECT_FALSE(RollupModel::Build({Cell("a", "b", 1), Cell("b", "a", 1)}, {}).ok());
}

// ---- Properties on random plans and booking streams --------------------------

struct RandomWorld {
  std::vector<RollupCell> cells;
  absl::flat_hash_map<std::string, std::string> team_region;
  std::vector<std::string> reps_of_team[6];
};

// Splits `amount` into `n` non-negative parts summing exactly to it.
std::vector<int64_t> Split(std::mt19937& rng, int64_t amount, int n) {
  std::vector<int64_t> cuts = {0, amount};
  for (int i = 1; i < n; ++i) {
    cuts.push_back(std::uniform_int_distribution<int64_t>(0, amount)(rng));
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(cuts[i + 1] - cuts[i]);
  }
  return out;
}

// A plan over product lines and regions (each optional, random order), then
// teams and reps: parents always equal the sum of their children.
RandomWorld MakeWorld(std::mt19937& rng) {
  RandomWorld w;
  const std::string regions[] = {"east", "west"};
  for (int t = 0; t < 6; ++t) {
    w.team_region["t" + std::to_string(t)] = regions[t % 2];
    for (int r = 0; r < 1 + static_cast<int>(rng() % 3); ++r) {
      w.reps_of_team[t].push_back("t" + std::to_string(t) + "r" + std::to_string(r));
    }
  }
  int next = 0;
  std::function<void(RollupCell, std::vector<int>)> grow = [&](RollupCell c,
                                                               std::vector<int> axes) {
    w.cells.push_back(c);
    if (c.team_axis) {  // reps (or stop: a team leaf)
      const int t = std::stoi(c.team.substr(1));
      if (rng() % 4 == 0) {
        return;
      }
      auto parts = Split(rng, c.target, static_cast<int>(w.reps_of_team[t].size()));
      for (size_t i = 0; i < parts.size(); ++i) {
        RollupCell r = c;
        r.key = c.key + ".r" + std::to_string(next++);
        r.parent = c.key;
        r.team_axis = false;
        r.member = w.reps_of_team[t][i];
        r.target = parts[i];
        w.cells.push_back(r);
      }
      return;
    }
    if (axes.empty()) {  // teams: those of the fixed region, or all
      std::vector<int> teams;
      for (int t = 0; t < 6; ++t) {
        if (c.region.empty() || w.team_region["t" + std::to_string(t)] == c.region) {
          teams.push_back(t);
        }
      }
      auto parts = Split(rng, c.target, static_cast<int>(teams.size()));
      for (size_t i = 0; i < teams.size(); ++i) {
        RollupCell t = c;
        t.key = c.key + ".t" + std::to_string(next++);
        t.parent = c.key;
        t.team = "t" + std::to_string(teams[i]);
        t.team_axis = true;
        t.target = parts[i];
        grow(t, {});
      }
      return;
    }
    const int axis = axes.back();
    axes.pop_back();
    const std::vector<std::string> values = axis == 0
                                                ? std::vector<std::string>{"pl-a", "pl-b", "pl-c"}
                                                : std::vector<std::string>{"east", "west"};
    auto parts = Split(rng, c.target, static_cast<int>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      RollupCell d = c;
      d.key = c.key + "." + values[i];
      d.parent = c.key;
      (axis == 0 ? d.product_line : d.region) = values[i];
      d.target = parts[i];
      grow(d, axes);
    }
  };
  std::vector<int> axes;
  if (rng() % 2) {
    axes.push_back(0);
  }
  if (rng() % 2) {
    axes.push_back(1);
  }
  std::shuffle(axes.begin(), axes.end(), rng);
  RollupCell root = Cell("root", "", std::uniform_int_distribution<int64_t>(0, 1'000'000)(rng));
  grow(root, axes);
  return w;
}

RollupBooking RandomBooking(std::mt19937& rng, const RandomWorld& w) {
  RollupBooking b;
  const int t = static_cast<int>(rng() % 7);  // 6: a team the org does not know
  b.team = t < 6 ? "t" + std::to_string(t) : "t-unknown";
  if (t < 6 && rng() % 8 != 0) {
    b.rep = w.reps_of_team[t][rng() % w.reps_of_team[t].size()];
  } else if (rng() % 2) {
    b.rep = "stranger";
  }
  const char* pls[] = {"pl-a", "pl-b", "pl-c", "pl-z"};
  b.product_line = pls[rng() % 4];
  b.region = rng() % 2 ? "east" : "west";
  b.channel = rng() % 2 ? "direct" : "partner";
  b.customer_type = "enterprise";
  b.amount = std::uniform_int_distribution<int64_t>(-5'000, 90'000)(rng);
  return b;
}

// Matching compares codes of the values cells fix; it must say what comparing
// the strings says, for every dimension, fixed or open, known or unknown
// values, empty ones, a team on cells where it does not count, and members.
TEST(RollupPropertyTest, MatchingCellsIsTheStringComparison) {
  std::mt19937 rng(20261207);
  const std::vector<std::string> values = {"", "a", "b", "c"};
  auto pick = [&] { return values[rng() % values.size()]; };
  auto reference = [](const RollupCell& c, const RollupBooking& b) {
    auto fits = [](const std::string& cell, const std::string& booking) {
      return cell.empty() || cell == booking;
    };
    const bool team_counts = c.team_axis || !c.member.empty();
    return fits(c.product_line, b.product_line) && fits(c.region, b.region) &&
           fits(c.channel, b.channel) && fits(c.customer_type, b.customer_type) &&
           (!team_counts || fits(c.team, b.team)) && fits(c.member, b.rep);
  };
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<RollupCell> cells = {Cell("root", "", 100)};
    for (int i = static_cast<int>(rng() % 30); i > 0; --i) {
      RollupCell c = Cell("c" + std::to_string(i), cells[rng() % cells.size()].key, 1);
      c.product_line = pick();
      c.region = pick();
      c.channel = pick();
      c.customer_type = pick();
      c.team = pick();
      c.team_axis = rng() % 2 == 0;
      c.member = rng() % 3 == 0 ? pick() : "";
      cells.push_back(c);
    }
    absl::StatusOr<RollupModel> m = RollupModel::Build(cells, {{"a", "east"}});
    ASSERT_TRUE(m.ok()) << m.status();
    for (int n = 0; n < 50; ++n) {
      RollupBooking b;
      b.product_line = pick();
      b.region = pick();
      b.channel = pick();
      b.customer_type = rng() % 5 == 0 ? "unknown" : pick();
      b.team = pick();
      b.rep = pick();
      b.amount = 1;
      std::vector<std::string> want;
      bool planned = false;
      for (const RollupCell& c : m->cells()) {  // key order, as MatchingCells answers
        if (reference(c, b)) {
          want.push_back(c.key);
        }
      }
      for (const std::string& key : want) {
        bool leaf = true;
        for (const RollupCell& c : m->cells()) {
          leaf = leaf && c.parent != key;
        }
        planned = planned || leaf;
      }
      ASSERT_EQ(m->MatchingCells(b), want) << iter << " " << n;
      ASSERT_EQ(m->IsPlanned(b), planned) << iter << " " << n;
    }
  }
}

// For random plans and booking streams, to the cent: every level equals the
// sum of its children plus what could not be attributed further down; the
// company equals all bookings; unplanned sums match; targets equal the
// leaves under the subject; breakdowns add up; arrival order does not matter.
TEST(RollupPropertyTest, LevelsReconcileToTheCent) {
  std::mt19937 rng(20261202);
  for (int iter = 0; iter < 300; ++iter) {
    RandomWorld w = MakeWorld(rng);
    absl::StatusOr<RollupModel> built = RollupModel::Build(w.cells, w.team_region);
    ASSERT_TRUE(built.ok()) << built.status();
    const RollupModel& m = *built;
    std::vector<RollupBooking> bookings;
    for (int n = static_cast<int>(rng() % 40); n > 0; --n) {
      bookings.push_back(RandomBooking(rng, w));
    }
    const auto c = RollupFromBookings(m, bookings);

    int64_t total = 0;
    std::map<std::string, int64_t> by_rep, by_team, by_region, unplanned_team;
    int64_t no_rep_in_team = 0, no_region = 0;
    for (const auto& b : bookings) {
      total += b.amount;
      if (!b.rep.empty()) {
        by_rep[b.rep] += b.amount;
      }
      by_team[b.team] += b.amount;
      const std::string g = m.RegionOfTeam(b.team);
      if (!g.empty()) {
        by_region[g] += b.amount;
      } else {
        no_region += b.amount;
      }
      if (b.rep.empty()) {
        no_rep_in_team += b.amount;
      }
      if (!m.IsPlanned(b)) {
        unplanned_team[b.team] += b.amount;
      }
      // Increments' own walk finds the same cells, and the same answer.
      bool planned = !m.IsPlanned(b);
      std::vector<std::string> cells;
      for (const auto& [field, by] : m.Increments(b, &planned)) {
        if (absl::StartsWith(field, "cell|")) {
          cells.push_back(field.substr(5));
        }
      }
      ASSERT_EQ(planned, m.IsPlanned(b)) << iter;
      ASSERT_EQ(cells, m.MatchingCells(b)) << iter;
    }
    ASSERT_EQ(Get(c, ActualField(RollupSubject::Company())), total) << iter;
    int64_t regions_sum = 0;
    for (const auto& [g, a] : by_region) {
      ASSERT_EQ(Get(c, ActualField(RollupSubject::Region(g))), a) << iter;
      regions_sum += a;
      int64_t teams_sum = 0;
      for (const auto& [t, ta] : by_team) {
        if (m.RegionOfTeam(t) == g) {
          teams_sum += Get(c, ActualField(RollupSubject::Team(t)));
        }
      }
      ASSERT_EQ(teams_sum, a) << "region " << g << " != sum of its teams, iter " << iter;
    }
    ASSERT_EQ(regions_sum + no_region, total) << iter;
    int64_t reps_sum = 0;
    for (const auto& [r, a] : by_rep) {
      ASSERT_EQ(Get(c, ActualField(RollupSubject::Rep(r))), a) << iter;
      reps_sum += a;
    }
    ASSERT_EQ(reps_sum + no_rep_in_team, total) << iter;
    for (const auto& [t, u] : unplanned_team) {
      ASSERT_EQ(Get(c, UnplannedField(RollupSubject::Team(t))), u) << iter;
    }
    // Breakdown of the company by product line adds up to its actual.
    int64_t bd = 0;
    for (const char* pl : {"pl-a", "pl-b", "pl-c", "pl-z"}) {
      bd += Breakdown(c, RollupSubject::Company(), RollupDimension::kProductLine, pl);
    }
    ASSERT_EQ(bd, total) << iter;

    // Targets: a subject's target is the sum of the leaves at or under a cell of it.
    absl::flat_hash_map<std::string, const RollupCell*> by_key;
    absl::flat_hash_map<std::string, int> child_count;
    for (const auto& cell : w.cells) {
      by_key[cell.key] = &cell;
      if (!cell.parent.empty()) {
        child_count[cell.parent]++;
      }
    }
    for (RollupLevel level :
         {RollupLevel::kRep, RollupLevel::kTeam, RollupLevel::kRegion, RollupLevel::kCompany}) {
      for (const RollupSubject& s : m.Subjects(level)) {
        int64_t leaves = 0;
        for (const auto& cell : w.cells) {
          if (child_count.contains(cell.key)) {
            continue;  // not a leaf
          }
          bool under = false;
          for (const RollupCell* p = &cell; p != nullptr;
               p = p->parent.empty() ? nullptr : by_key[p->parent]) {
            const bool team_cell = p->team_axis || !p->member.empty();
            switch (s.level) {
              case RollupLevel::kRep:
                under |= p->member == s.id;
                break;
              case RollupLevel::kTeam:
                under |= team_cell && p->team == s.id;
                break;
              case RollupLevel::kRegion:
                under |= p->region.empty() ? team_cell && m.RegionOfTeam(p->team) == s.id
                                           : p->region == s.id;
                break;
              case RollupLevel::kCompany:
                under |= p->parent.empty();
                break;
            }
          }
          if (under) {
            leaves += cell.target;
          }
        }
        ASSERT_EQ(m.Target(s), leaves) << ActualField(s) << " iter " << iter;
        int64_t by_pl = 0;
        for (const auto& [v, t] : m.TargetBy(s, RollupDimension::kProductLine)) {
          by_pl += t;
        }
        ASSERT_EQ(by_pl, m.Target(s)) << iter;
      }
    }
    ASSERT_EQ(m.Target(RollupSubject::Company()), w.cells[0].target);

    // Any arrival order gives the same counters.
    std::shuffle(bookings.begin(), bookings.end(), rng);
    ASSERT_EQ(RollupFromBookings(m, bookings), c) << iter;
  }
}

}  // namespace
}  // namespace salesops::targets
