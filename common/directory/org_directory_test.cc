// OrgDirectoryProjection: a batch (HandleBatch, waves of combined commits)
// leaves the directory exactly as the same events applied one by one do, a
// redelivered batch changes nothing, and a failed commit stops the batch so the
// consumer's one-by-one retries, in order, never put an older state over a
// newer one.
#include "common/directory/org_directory.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/directory/testing/org_event_list.h"
#include "common/docstore/in_memory_kv.h"
#include "common/events/cloud_event.h"
#include "common/projection/projection_store.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"

namespace salesops::org {
namespace {

namespace ov1 = salesops::org::v1;

constexpr char kPrefix[] = "test:{t}:";

using Events = testing::OrgEventList;

// A reorganisation in one fetch: units made and moved, members joining,
// moving twice (so the batch has several waves), leaving; an org event the
// directory ignores and a record it cannot use.
Events Reorg() {
  Events ev;
  ev.Unit("co", "", ov1::ORG_UNIT_KIND_COMPANY);
  ev.Unit("east", "co", ov1::ORG_UNIT_KIND_REGION);
  ev.Unit("west", "co", ov1::ORG_UNIT_KIND_REGION);
  ev.Unit("team-1", "east", ov1::ORG_UNIT_KIND_TEAM);
  ev.Unit("team-2", "east", ov1::ORG_UNIT_KIND_TEAM);
  ev.Member<ov1::MemberJoined>("rep-1", "team-1", ov1::ROLE_REP);
  ev.Member<ov1::MemberJoined>("rep-2", "team-1", ov1::ROLE_REP);
  ev.Member<ov1::MemberJoined>("lead-1", "team-2", ov1::ROLE_SUPERVISOR);
  ev.Member<ov1::MemberMoved>("rep-1", "team-2", ov1::ROLE_REP);
  ev.Unit("team-2", "west", ov1::ORG_UNIT_KIND_TEAM, /*update=*/true);
  ev.Member<ov1::MemberMoved>("rep-1", "team-1", ov1::ROLE_REP);
  ev.Member<ov1::MemberLeft>("rep-2", "team-1", ov1::ROLE_REP);
  ev.Member<ov1::MemberUpdated>("lead-1", "team-2", ov1::ROLE_MANAGER);
  ov1::MemberJoined bad;  // no member name: INVALID_ARGUMENT, dead-lettered
  bad.mutable_member()->set_org_unit("orgUnits/team-1");
  ev.Add("bad", bad);
  ov1::MemberJoined other;
  other.mutable_member()->set_name("members/rep-9");
  ev.Add("rep-9", other);
  ev.all.back().type = "salesops.org.v1.SomethingElse";  // not a directory change
  ev.Member<ov1::MemberMoved>("rep-1", "team-2", ov1::ROLE_REP);
  return ev;
}

// Everything the directory answers about the units and members above.
std::string Dump(InMemoryKv& kv) {
  OrgDirectory dir(kv, kPrefix);
  std::string out;
  auto units = dir.Units();
  EXPECT_TRUE(units.ok()) << units.status();
  for (const std::string& u : units.value_or(std::vector<std::string>{})) {
    absl::StrAppend(&out, "unit ", u, " kind ", dir.KindOf(u).value_or(-1), " region ",
                    dir.RegionOf(u).value_or("?"), " members");
    for (const std::string& m : dir.MembersOf(u).value_or(std::vector<std::string>{"?"})) {
      absl::StrAppend(&out, " ", m);
    }
    absl::StrAppend(&out, "\n");
  }
  for (const char* m : {"rep-1", "rep-2", "lead-1", "rep-9"}) {
    auto got = dir.Member(m);
    EXPECT_TRUE(got.ok()) << got.status();
    if (got.ok() && got->has_value()) {
      absl::StrAppend(&out, "member ", m, " team ", (*got)->team, " role ", (*got)->role,
                      (*got)->left ? " left" : "", "\n");
    }
  }
  return out;
}

struct Side {
  Side() : store(kv, absl::StrCat(kPrefix, "dir:seen:")), projection(store, kv, kPrefix) {}
  InMemoryKv kv;
  ProjectionStore store;
  OrgDirectoryProjection projection;
};

TEST(OrgDirectoryProjectionTest, ABatchLeavesWhatTheEventsOneByOneLeave) {
  const Events ev = Reorg();
  Side one, batch;
  std::vector<absl::Status> alone;
  for (const CloudEvent& e : ev.all) {
    alone.push_back(one.projection.Handle(e));
  }
  const std::vector<absl::Status> batched = batch.projection.HandleBatch(ev.Pointers());
  ASSERT_EQ(batched.size(), ev.all.size());
  for (size_t i = 0; i < ev.all.size(); ++i) {
    EXPECT_EQ(batched[i].code(), alone[i].code()) << i << ": " << batched[i] << " / " << alone[i];
    EXPECT_EQ(batched[i].ok(), ev.all[i].subject != "bad") << i << ": " << batched[i];
  }
  const std::string want = Dump(one.kv);
  EXPECT_EQ(Dump(batch.kv), want);
  // The figures themselves, not only their agreement.
  EXPECT_NE(want.find("member rep-1 team team-2 role 1\n"), std::string::npos) << want;
  EXPECT_NE(want.find("member rep-2 team team-1 role 1 left\n"), std::string::npos) << want;
  EXPECT_NE(want.find("unit team-2 kind 3 region west members lead-1 rep-1\n"), std::string::npos)
      << want;
  EXPECT_NE(want.find("unit team-1 kind 3 region east members\n"), std::string::npos) << want;
  EXPECT_EQ(want.find("rep-9"), std::string::npos) << want;

  // Redelivered (a consumer restarted before committing its offsets): no change.
  for (const absl::Status& s : batch.projection.HandleBatch(ev.Pointers())) {
    EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kInvalidArgument) << s;
  }
  EXPECT_EQ(Dump(batch.kv), want);
}

TEST(OrgDirectoryProjectionTest, AFailedCommitStopsTheBatchAndOneByOneRetriesEndRight) {
  const Events ev = Reorg();
  Side one;
  for (const CloudEvent& e : ev.all) {
    (void)one.projection.Handle(e);
  }
  const std::string want = Dump(one.kv);

  // The first wave commits; the second wave's commit is lost (Redis went away).
  Side batch;
  batch.kv.BeforeNextCommit([&] { batch.kv.BeforeNextCommit([&] { batch.kv.FailNextCommit(); }); });
  const std::vector<absl::Status> got = batch.projection.HandleBatch(ev.Pointers());
  ASSERT_EQ(got.size(), ev.all.size());
  // Wave 1 ends where rep-1 comes a second time (index 8).
  size_t first_failed = got.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (!got[i].ok() && ev.all[i].subject != "bad") {
      first_failed = std::min(first_failed, i);
    }
  }
  ASSERT_EQ(first_failed, 8u);
  for (size_t i = first_failed; i < got.size(); ++i) {
    if (ev.all[i].subject == "rep-9") {
      continue;  // nothing to apply: answered OK
    }
    EXPECT_FALSE(got[i].ok()) << i;
  }
  // Nothing after the failure was applied: rep-1 is still where wave 1 left them.
  OrgDirectory dir(batch.kv, kPrefix);
  auto rep1 = dir.Member("rep-1");
  ASSERT_TRUE(rep1.ok() && rep1->has_value());
  EXPECT_EQ((*rep1)->team, "team-1");
  auto lead = dir.Member("lead-1");
  ASSERT_TRUE(lead.ok() && lead->has_value());
  EXPECT_EQ((*lead)->role, ov1::ROLE_SUPERVISOR);

  // The consumer's path for what failed: one by one, in order.
  for (size_t i = 0; i < got.size(); ++i) {
    if (!got[i].ok()) {
      absl::Status s = batch.projection.Handle(ev.all[i]);
      EXPECT_EQ(s.ok(), ev.all[i].subject != "bad") << i << ": " << s;
    }
  }
  EXPECT_EQ(Dump(batch.kv), want);
}

TEST(OrgDirectoryProjectionTest, AFailedFirstCommitAppliesNothing) {
  const Events ev = Reorg();
  Side batch;
  InMemoryKv empty;
  batch.kv.FailNextCommit();  // the first wave's commit is lost
  const std::vector<absl::Status> got = batch.projection.HandleBatch(ev.Pointers());
  // The commit of wave 1 was refused: every directory change is not OK.
  for (size_t i = 0; i < got.size(); ++i) {
    if (ev.all[i].subject == "rep-9") {
      EXPECT_TRUE(got[i].ok()) << got[i];
    } else {
      EXPECT_FALSE(got[i].ok()) << i;
    }
  }
  EXPECT_EQ(Dump(batch.kv), Dump(empty));
}

}  // namespace
}  // namespace salesops::org
