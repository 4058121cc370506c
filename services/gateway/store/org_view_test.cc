// The gateway's two OrgViews on the same org chart: DirectoryOrgView over the
// org directory as production fills it (the real OrgDirectoryProjection applying
// org events, here on an InMemoryKv under the gateway's prefix) and the
// InMemoryOrgView the stream and HTTP tests use, set by hand. Both must give
// the expected answers; then DirectoryOrgView's cache: answers kept for the
// ttl, unknown ones for a second.
#include <memory>
#include <string>
#include <vector>

#include "common/directory/testing/directory_seed.h"
#include "common/docstore/in_memory_kv.h"
#include "common/testing/counting_kv.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "services/gateway/store/directory_org_view.h"
#include "services/gateway/store/gateway_keys.h"
#include "services/gateway/store/in_memory_org_view.h"

namespace salesops::gateway {
namespace {

namespace ov1 = salesops::org::v1;

constexpr absl::Duration kTtl = absl::Seconds(30);

// co ─┬─ r1 (region) ─┬─ t1: rep1, sup1
//     │               └─ t2: rep3 (left)
//     ├─ r2 (region) ─── d2 (department) ─── t3: rep2
//     └─ t0 (no region above it)
struct Expected {
  std::string id, answer;
};
const std::vector<Expected> kRegions = {{"t1", "r1"}, {"t2", "r1"},    {"r1", "r1"},
                                        {"t3", "r2"}, {"d2", "r2"},    {"t0", ""},
                                        {"co", ""},   {"nowhere", ""}, {"", ""}};
const std::vector<Expected> kTeams = {{"rep1", "t1"}, {"sup1", "t1"}, {"rep2", "t3"},
                                      {"rep3", ""},   {"ghost", ""},  {"", ""}};

class DirectoryChart {
 public:
  explicit DirectoryChart(size_t max_entries = 50000)
      : seed_(kv_, kKeyPrefix),
        counting_(kv_),
        directory_(counting_, kKeyPrefix),
        view_(directory_, clock_, kTtl, max_entries) {
    seed_.Unit("co", "", ov1::ORG_UNIT_KIND_COMPANY);
    seed_.Unit("r1", "co", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("r2", "co", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("t1", "r1", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t2", "r1", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("d2", "r2", ov1::ORG_UNIT_KIND_DEPARTMENT);
    seed_.Unit("t3", "d2", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t0", "co", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Member("rep1", "t1", ov1::ROLE_REP);
    seed_.Member("sup1", "t1", ov1::ROLE_SUPERVISOR);
    seed_.Member("rep2", "t3", ov1::ROLE_REP);
    seed_.Member("rep3", "t2", ov1::ROLE_REP);
    seed_.Left("rep3", "t2", ov1::ROLE_REP);
  }
  DirectoryOrgView& view() { return view_; }
  org::testing::DirectorySeed& seed() { return seed_; }
  FakeClock& clock() { return clock_; }
  int reads() const { return counting_.reads; }

 private:
  InMemoryKv kv_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  org::testing::DirectorySeed seed_;
  test_support::CountingKv counting_;
  org::OrgDirectory directory_;
  DirectoryOrgView view_;
};

void MemoryChart(InMemoryOrgView& org) {
  org.Unit("co", "");
  org.Unit("r1", "co", /*region=*/true);
  org.Unit("r2", "co", /*region=*/true);
  org.Unit("t1", "r1");
  org.Unit("t2", "r1");
  org.Unit("d2", "r2");
  org.Unit("t3", "d2");
  org.Unit("t0", "co");
  org.Member("rep1", "t1");
  org.Member("sup1", "t1");
  org.Member("rep2", "t3");
  org.Member("rep3", "t2");
  org.Left("rep3");
}

void ExpectChart(OrgView& org, const std::string& which) {
  for (const Expected& e : kRegions) {
    EXPECT_EQ(org.RegionOf(e.id), e.answer) << which << ": region of '" << e.id << "'";
  }
  for (const Expected& e : kTeams) {
    EXPECT_EQ(org.TeamOf(e.id), e.answer) << which << ": team of '" << e.id << "'";
  }
}

TEST(OrgViewTest, BothViewsAnswerTheChart) {
  DirectoryChart directory;
  ExpectChart(directory.view(), "directory");
  ExpectChart(directory.view(), "directory, cached");  // the same from the cache
  InMemoryOrgView memory;
  MemoryChart(memory);
  ExpectChart(memory, "in memory");
}

TEST(OrgViewTest, InMemoryViewEndsAParentLoop) {
  InMemoryOrgView org;
  org.Unit("a", "b");
  org.Unit("b", "a");
  EXPECT_EQ(org.RegionOf("a"), "");
}

TEST(OrgViewTest, InMemoryViewFollowsMovesAtOnce) {
  InMemoryOrgView org;
  MemoryChart(org);
  org.Member("rep1", "t3");
  EXPECT_EQ(org.TeamOf("rep1"), "t3");
  org.Unit("t3", "r1");
  EXPECT_EQ(org.RegionOf("t3"), "r1");
}

TEST(OrgViewTest, DirectoryViewKeepsAnswersForTheTtl) {
  DirectoryChart chart;
  DirectoryOrgView& view = chart.view();
  ASSERT_EQ(view.TeamOf("rep1"), "t1");
  ASSERT_EQ(view.RegionOf("t3"), "r2");
  chart.seed().Member("rep1", "t3", ov1::ROLE_REP);        // MemberMoved
  chart.seed().Unit("t3", "r1", ov1::ORG_UNIT_KIND_TEAM);  // a reorganisation
  chart.clock().Advance(kTtl - absl::Seconds(1));
  EXPECT_EQ(view.TeamOf("rep1"), "t1") << "answered from the cache within the ttl";
  EXPECT_EQ(view.RegionOf("t3"), "r2");
  chart.clock().Advance(absl::Seconds(2));
  EXPECT_EQ(view.TeamOf("rep1"), "t3");
  EXPECT_EQ(view.RegionOf("t3"), "r1");
}

TEST(OrgViewTest, DirectoryViewAsksAgainForAnUnknownAfterASecond) {
  DirectoryChart chart;
  DirectoryOrgView& view = chart.view();
  ASSERT_EQ(view.TeamOf("new-rep"), "");
  ASSERT_EQ(view.RegionOf("new-team"), "");
  chart.seed().Unit("new-team", "r2", ov1::ORG_UNIT_KIND_TEAM);
  chart.seed().Member("new-rep", "new-team", ov1::ROLE_REP);
  chart.clock().Advance(absl::Milliseconds(500));
  EXPECT_EQ(view.TeamOf("new-rep"), "") << "an unknown answer is kept for a second";
  chart.clock().Advance(absl::Milliseconds(600));
  EXPECT_EQ(view.TeamOf("new-rep"), "new-team");
  EXPECT_EQ(view.RegionOf("new-team"), "r2");
}

// A region is found a level at a time through the cache: the units under a
// known region or department cost one read each, and a unit's answer expires
// with the answers above it, so a reorganisation higher up shows within the ttl.
TEST(OrgViewTest, DirectoryViewWalksUpThroughItsCache) {
  DirectoryChart chart;
  DirectoryOrgView& view = chart.view();
  ASSERT_EQ(view.RegionOf("t3"), "r2");  // t3, d2, r2
  EXPECT_EQ(chart.reads(), 3);
  chart.seed().Unit("t4", "d2", ov1::ORG_UNIT_KIND_TEAM);
  EXPECT_EQ(view.RegionOf("t4"), "r2");
  EXPECT_EQ(chart.reads(), 4) << "only t4 itself is read";
  EXPECT_EQ(view.RegionOf("d2"), "r2");
  EXPECT_EQ(chart.reads(), 4);

  chart.clock().Advance(kTtl / 2);
  chart.seed().Unit("t5", "d2", ov1::ORG_UNIT_KIND_TEAM);
  ASSERT_EQ(view.RegionOf("t5"), "r2");  // read now, from d2's answer of 15 s ago
  chart.seed().Unit("d2", "r1", ov1::ORG_UNIT_KIND_DEPARTMENT);  // d2 moves to r1
  chart.clock().Advance(kTtl / 2 + absl::Seconds(1));
  EXPECT_EQ(view.RegionOf("t5"), "r1") << "t5's answer went with d2's, not 30 s after its own read";
  EXPECT_EQ(view.RegionOf("t3"), "r1");
}

TEST(OrgViewTest, DirectoryViewEndsAParentLoop) {
  DirectoryChart chart;
  chart.seed().Unit("a", "b", ov1::ORG_UNIT_KIND_TEAM);
  chart.seed().Unit("b", "a", ov1::ORG_UNIT_KIND_DEPARTMENT);
  EXPECT_EQ(chart.view().RegionOf("a"), "");
  const int reads = chart.reads();
  EXPECT_EQ(chart.view().RegionOf("b"), "");
  EXPECT_EQ(chart.reads(), reads) << "the loop's answer is kept (a second, as an unknown)";
}

// A full cache makes room by dropping its expired answers, not the live ones
// (a large organisation's events keep finding their teams in memory); with
// none expired, it drops some and stays bounded.
TEST(OrgViewTest, AFullDirectoryViewDropsExpiredAnswersFirst) {
  DirectoryChart chart(/*max_entries=*/4);
  DirectoryOrgView& view = chart.view();
  ASSERT_EQ(view.TeamOf("ghost"), "");  // unknown: kept for a second
  ASSERT_EQ(view.TeamOf("nobody"), "");
  ASSERT_EQ(view.TeamOf("rep1"), "t1");
  ASSERT_EQ(view.TeamOf("sup1"), "t1");  // full
  chart.seed().Member("rep1", "t3", ov1::ROLE_REP);
  chart.seed().Member("sup1", "t3", ov1::ROLE_SUPERVISOR);
  chart.clock().Advance(absl::Seconds(2));
  EXPECT_EQ(view.TeamOf("rep2"), "t3") << "a new answer, in place of the expired ones";
  EXPECT_EQ(view.TeamOf("rep1"), "t1") << "still answered from the cache";
  EXPECT_EQ(view.TeamOf("sup1"), "t1");
  // All live: ten more answers keep at most four; some of the earlier ones go.
  const std::vector<std::string> others = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  for (const std::string& id : others) {
    chart.seed().Member(id, "t1", ov1::ROLE_REP);
    EXPECT_EQ(view.TeamOf(id), "t1");
  }
  for (const std::string& id : others) {
    chart.seed().Member(id, "t3", ov1::ROLE_REP);
  }
  EXPECT_EQ(view.TeamOf("j"), "t1") << "the last answer is kept";
  int cached = 1;  // answers still from the cache after the chart moved them all
  for (const std::string& id : others) {
    if (id != "j") {
      cached += view.TeamOf(id) == "t1" ? 1 : 0;
    }
  }
  EXPECT_LE(cached, 4) << "no more than max_entries answers were kept";
}

}  // namespace
}  // namespace salesops::gateway
