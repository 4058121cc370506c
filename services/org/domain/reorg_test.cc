// Reorganisation planning (split, merge, dissolve: what moves, what is
// refused and which field or rule is named) and the as-of rules of the
// membership history, with days taken from a FakeClock.
#include "services/org/domain/reorg.h"

#include "common/status/errors.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::org {
namespace {

using ::testing::ElementsAre;

OrgUnit Unit(std::string id, UnitKind kind, std::string parent = "region") {
  OrgUnit u;
  u.id = std::move(id);
  u.kind = kind;
  u.parent_id = std::move(parent);
  u.version = 3;
  return u;
}

Member Person(std::string id, std::string unit, Role role = Role::kRep) {
  Member m;
  m.id = std::move(id);
  m.org_unit_id = std::move(unit);
  m.role = role;
  return m;
}

std::string FirstField(const absl::Status& s) {
  auto v = FieldViolations(s);
  return v.empty() ? "" : v[0].field;
}

class HistoryTest : public ::testing::Test {
 protected:
  // An entry recorded "now" on the fake clock, effective that day.
  MembershipEntry Entry(const std::string& unit, const std::string& reorg = "") {
    return {"m1", unit, Role::kRep, OrgDay(clock_.Now()), clock_.Now(), reorg, ""};
  }
  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 1, 5, 9, 0, 0), OrgTimeZone())};
};

// The org day is the Asia/Shanghai date: 16:30 UTC is already the next day there.
TEST(OrgDayTest, UsesShanghaiDate) {
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 16, 30, 0), absl::UTCTimeZone()));
  EXPECT_EQ(OrgDay(clock.Now()), absl::CivilDay(2026, 3, 2));
  clock.Advance(absl::Hours(-1));  // 15:30 UTC = 23:30 in Shanghai
  EXPECT_EQ(OrgDay(clock.Now()), absl::CivilDay(2026, 3, 1));
}

// "Which team was X in on D": the last entry starting on or before D.
TEST_F(HistoryTest, TeamAsOfDate) {
  std::vector<MembershipEntry> h = {Entry("team-a")};
  clock_.Advance(absl::Hours(24 * 30));
  h.push_back(Entry("team-b", "r1"));
  clock_.Advance(absl::Hours(24 * 30));
  h.push_back(Entry("team-c", "r2"));

  EXPECT_FALSE(MembershipAsOf(h, absl::CivilDay(2026, 1, 4)).has_value());  // before joining
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 1, 5))->unit_id, "team-a");
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 2, 3))->unit_id, "team-a");
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 2, 4))->unit_id, "team-b");
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 2, 4))->reorg_id, "r1");
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 3, 6))->unit_id, "team-c");
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2030, 1, 1))->unit_id, "team-c");
}

// Two moves on the same day: the later one is in force from that day.
TEST_F(HistoryTest, SameDayLaterRecordWins) {
  std::vector<MembershipEntry> h = {Entry("team-a")};
  clock_.Advance(absl::Hours(1));
  h.push_back(Entry("team-b"));
  clock_.Advance(absl::Hours(1));
  h.push_back(Entry("team-c"));
  std::reverse(h.begin(), h.end());  // storage order does not matter
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 1, 5))->unit_id, "team-c");
  // As periods, the superseded same-day entries are dropped.
  auto periods = MembershipPeriods(h);
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].entry.unit_id, "team-c");
  EXPECT_FALSE(periods[0].end.has_value());
}

// After leaving, the member is in no team; before leaving the old team holds.
TEST_F(HistoryTest, LeavingEndsMembership) {
  std::vector<MembershipEntry> h = {Entry("team-a")};
  clock_.Advance(absl::Hours(24 * 10));
  h.push_back(Entry(""));
  EXPECT_EQ(MembershipAsOf(h, absl::CivilDay(2026, 1, 14))->unit_id, "team-a");
  EXPECT_FALSE(MembershipAsOf(h, absl::CivilDay(2026, 1, 15)).has_value());
}

// Periods carry the exclusive end of each period; the current one has none.
TEST_F(HistoryTest, PeriodsHaveEnds) {
  std::vector<MembershipEntry> h = {Entry("team-a")};
  clock_.Advance(absl::Hours(24 * 7));
  h.push_back(Entry("team-b"));
  auto periods = MembershipPeriods(h);
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].entry.unit_id, "team-a");
  EXPECT_EQ(*periods[0].end, absl::CivilDay(2026, 1, 12));
  EXPECT_FALSE(periods[1].end.has_value());
}

// History is appended only: a change dated before the latest entry is refused.
TEST_F(HistoryTest, HistoryIsAppendOnly) {
  std::vector<MembershipEntry> h = {Entry("team-a")};
  EXPECT_TRUE(CheckAppendable(h, absl::CivilDay(2026, 1, 5)).ok());
  absl::Status s = CheckAppendable(h, absl::CivilDay(2026, 1, 4));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "HISTORY_IS_APPEND_ONLY");
}

// A split moves exactly the listed members into new teams under the same parent.
TEST(PlanSplitTest, MovesListedMembers) {
  OrgUnit team = Unit("t1", UnitKind::kTeam);
  std::vector<Member> members = {Person("a", "t1"), Person("b", "t1"), Person("c", "t1")};
  auto c = PlanSplit(team, members, {{"t2", "二组", "", {"a"}}, {"t3", "三组", "", {"b"}}});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->new_units.size(), 2u);
  EXPECT_EQ(c->new_units[0].parent_id, "region");
  EXPECT_EQ(c->new_units[1].kind, UnitKind::kTeam);
  ASSERT_EQ(c->moves.size(), 2u);
  EXPECT_EQ(c->moves[0].to_unit_id, "t2");
  EXPECT_EQ(c->moves[1].member_id, "b");
  EXPECT_TRUE(c->removed_unit_ids.empty());  // c stays in t1
}

// Bad splits name the offending field.
TEST(PlanSplitTest, RefusesBadRequests) {
  OrgUnit team = Unit("t1", UnitKind::kTeam);
  std::vector<Member> members = {Person("a", "t1")};
  EXPECT_EQ(FirstField(PlanSplit(team, members, {}).status()), "new_teams");
  EXPECT_EQ(FirstField(PlanSplit(team, members, {{"t2", "x", "", {"zz"}}}).status()),
            "new_teams[0].members[0]");
  EXPECT_EQ(
      FirstField(
          PlanSplit(team, members, {{"t2", "x", "", {"a"}}, {"t3", "y", "", {"a"}}}).status()),
      "new_teams[1].members[0]");
  EXPECT_EQ(
      FirstField(PlanSplit(team, members, {{"t2", "x", "", {}}, {"t2", "y", "", {}}}).status()),
      "new_teams[1].org_unit_id");
  EXPECT_EQ(FirstField(PlanSplit(team, members, {{"t1", "x", "", {}}}).status()),
            "new_teams[0].org_unit_id");
  absl::Status region = PlanSplit(Unit("r", UnitKind::kRegion), {}, {{"t2", "x", "", {}}}).status();
  EXPECT_EQ(ErrorReason(region), "NOT_A_TEAM");
}

// A merge moves every member of the source and removes it.
TEST(PlanMergeTest, MovesEveryoneAndRemovesSource) {
  auto c = PlanMerge(Unit("t1", UnitKind::kTeam), Unit("t2", UnitKind::kTeam),
                     {Person("a", "t1"), Person("b", "t1", Role::kSupervisor)});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->moves.size(), 2u);
  EXPECT_EQ(c->moves[1].to_unit_id, "t2");
  EXPECT_THAT(c->removed_unit_ids, ElementsAre("t1"));
}

// Merging a team into itself, or into something that is not a team, is refused.
TEST(PlanMergeTest, RefusesSelfAndNonTeams) {
  absl::Status self =
      PlanMerge(Unit("t1", UnitKind::kTeam), Unit("t1", UnitKind::kTeam), {}).status();
  EXPECT_EQ(self.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(self), "MERGE_INTO_SELF");
  EXPECT_EQ(FirstField(self), "target");
  absl::Status region =
      PlanMerge(Unit("t1", UnitKind::kTeam), Unit("r1", UnitKind::kRegion), {}).status();
  EXPECT_EQ(ErrorReason(region), "NOT_A_TEAM");
}

// A member whose role cannot sit in a team blocks the merge.
TEST(PlanMergeTest, RefusesDirectorInTeam) {
  absl::Status s = PlanMerge(Unit("t1", UnitKind::kTeam), Unit("t2", UnitKind::kTeam),
                             {Person("d", "t1", Role::kDirector)})
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

class PlanDissolveTest : public ::testing::Test {
 protected:
  OrgUnit team_ = Unit("t1", UnitKind::kTeam);
  std::vector<Member> members_ = {Person("a", "t1"), Person("b", "t1")};
  absl::flat_hash_map<std::string, OrgUnit> targets_ = {
      {"t2", Unit("t2", UnitKind::kTeam)}, {"r1", Unit("r1", UnitKind::kRegion, "co")}};
};

// An empty team dissolves without moves.
TEST_F(PlanDissolveTest, EmptyTeam) {
  auto c = PlanDissolve(team_, {}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->removed_unit_ids, ElementsAre("t1"));
}

// A team with members needs their moves in the same command.
TEST_F(PlanDissolveTest, MembersNeedMoves) {
  absl::Status s = PlanDissolve(team_, members_, {}, targets_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "ORG_UNIT_HAS_MEMBERS");
  // Only one of two moved: the other is named.
  absl::Status partial = PlanDissolve(team_, members_, {{"a", "t1", "t2"}}, targets_).status();
  EXPECT_EQ(FirstField(partial), "moves");
  auto ok = PlanDissolve(team_, members_, {{"a", "t1", "t2"}, {"b", "t1", "t2"}}, targets_);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->moves.size(), 2u);
}

// Moves into a non-team, an unknown unit or the dissolved team itself are refused.
TEST_F(PlanDissolveTest, MovesMustGoToAnotherTeam) {
  EXPECT_EQ(
      FirstField(
          PlanDissolve(team_, members_, {{"a", "t1", "r1"}, {"b", "t1", "t2"}}, targets_).status()),
      "moves[0].to_org_unit");
  EXPECT_EQ(
      FirstField(PlanDissolve(team_, members_, {{"a", "t1", "t2"}, {"b", "t1", "nope"}}, targets_)
                     .status()),
      "moves[1].to_org_unit");
  EXPECT_EQ(
      FirstField(
          PlanDissolve(team_, members_, {{"a", "t1", "t1"}, {"b", "t1", "t2"}}, targets_).status()),
      "moves[0].to_org_unit");
  EXPECT_EQ(FirstField(PlanDissolve(team_, members_, {{"x", "t1", "t2"}}, targets_).status()),
            "moves[0].member");
}

}  // namespace
}  // namespace salesops::org
