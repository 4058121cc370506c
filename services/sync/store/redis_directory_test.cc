// The sync service's directory projection in batches: a batch leaves the
// directory and the members' departments exactly as the same events one by one
// do, a redelivered batch changes nothing, and when the departments' commit is
// lost every event from the first department on is answered UNAVAILABLE, so
// the consumer's one-by-one retries, in order, end right.
#include "services/sync/store/redis_directory.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/directory/testing/org_event_list.h"
#include "common/docstore/in_memory_kv.h"
#include "common/events/cloud_event.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/sync/store/redis_sync_repository.h"

namespace salesops::sync {
namespace {

namespace ov1 = salesops::org::v1;

using Events = org::testing::OrgEventList;

Events Units() {
  Events ev;
  ev.Unit("co", "", ov1::ORG_UNIT_KIND_COMPANY);
  ev.Unit("east", "co", ov1::ORG_UNIT_KIND_REGION);
  ev.Unit("team-1", "east", ov1::ORG_UNIT_KIND_TEAM);
  ev.Unit("team-2", "east", ov1::ORG_UNIT_KIND_TEAM);
  return ev;
}

// Members joining, then one of them moving and changing department twice (so
// the directory commits in several waves), another updated.
Events Reorg() {
  Events ev = Units();
  ev.Member<ov1::MemberJoined>("rep-1", "team-1", ov1::ROLE_REP, ov1::DEPARTMENT_SALES);
  ev.Member<ov1::MemberJoined>("rep-2", "team-1", ov1::ROLE_REP, ov1::DEPARTMENT_SALES);
  ev.Member<ov1::MemberJoined>("mkt-1", "team-2", ov1::ROLE_REP, ov1::DEPARTMENT_MARKETING);
  ev.Member<ov1::MemberMoved>("rep-1", "team-2", ov1::ROLE_REP, ov1::DEPARTMENT_PRODUCT);
  ev.Member<ov1::MemberUpdated>("rep-2", "team-1", ov1::ROLE_REP, ov1::DEPARTMENT_FINANCE);
  ev.Member<ov1::MemberMoved>("rep-1", "team-1", ov1::ROLE_REP, ov1::DEPARTMENT_HR);
  return ev;
}

// Each member's team and department as the sync service reads them.
std::map<std::string, std::string> Dump(InMemoryKv& kv) {
  org::OrgDirectory org_dir(kv, kKeyPrefix);
  std::map<std::string, std::string> out;
  for (const char* m : {"rep-1", "rep-2", "mkt-1"}) {
    auto member = org_dir.Member(m);
    EXPECT_TRUE(member.ok()) << member.status();
    auto dept = kv.ReadOne({"HGET", SyncKey("dir:dept"), m});
    EXPECT_TRUE(dept.ok()) << dept.status();
    out[m] = absl::StrCat(member.ok() && member->has_value() ? (*member)->team : "-", " ",
                          dept.ok() && !dept->is_nil() ? dept->str : "-");
  }
  return out;
}

struct Side {
  Side() : projection(kv, kv) {}
  InMemoryKv kv;
  DirectoryProjection projection;
};

TEST(SyncDirectoryProjectionTest, ABatchLeavesWhatTheEventsOneByOneLeave) {
  const Events ev = Reorg();
  Side one, batch;
  for (const CloudEvent& e : ev.all) {
    ASSERT_TRUE(one.projection.Handle(e).ok());
  }
  for (const absl::Status& s : batch.projection.HandleBatch(ev.Pointers())) {
    EXPECT_TRUE(s.ok()) << s;
  }
  const std::map<std::string, std::string> want = {
      {"rep-1", "team-1 5"}, {"rep-2", "team-1 4"}, {"mkt-1", "team-2 3"}};
  EXPECT_EQ(Dump(one.kv), want);
  EXPECT_EQ(Dump(batch.kv), want);

  // Redelivered: no change.
  for (const absl::Status& s : batch.projection.HandleBatch(ev.Pointers())) {
    EXPECT_TRUE(s.ok()) << s;
  }
  EXPECT_EQ(Dump(batch.kv), want);
}

TEST(SyncDirectoryProjectionTest, ALostDepartmentCommitLeavesTheRestToOneByOneRetries) {
  // One member event each: the directory commits in one wave, the departments
  // in the commit after it.
  Events ev = Units();
  ev.Member<ov1::MemberJoined>("rep-1", "team-1", ov1::ROLE_REP, ov1::DEPARTMENT_SALES);
  ev.Member<ov1::MemberJoined>("rep-2", "team-1", ov1::ROLE_REP, ov1::DEPARTMENT_FINANCE);
  ev.Member<ov1::MemberJoined>("mkt-1", "team-2", ov1::ROLE_REP, ov1::DEPARTMENT_MARKETING);
  Side batch;
  batch.kv.BeforeNextCommit([&] { batch.kv.BeforeNextCommit([&] { batch.kv.FailNextCommit(); }); });
  const std::vector<absl::Status> got = batch.projection.HandleBatch(ev.Pointers());
  ASSERT_EQ(got.size(), ev.all.size());
  for (size_t i = 0; i < got.size(); ++i) {
    // The units (0-3) are done; the members' departments are not.
    EXPECT_EQ(got[i].ok(), i < 4) << i << ": " << got[i];
  }
  // Their directory part did commit; no department was written.
  EXPECT_EQ(Dump(batch.kv),
            (std::map<std::string, std::string>{
                {"rep-1", "team-1 -"}, {"rep-2", "team-1 -"}, {"mkt-1", "team-2 -"}}));
  // The consumer's path for them: one by one, in order.
  for (size_t i = 0; i < got.size(); ++i) {
    if (!got[i].ok()) {
      EXPECT_TRUE(batch.projection.Handle(ev.all[i]).ok()) << i;
    }
  }
  EXPECT_EQ(Dump(batch.kv),
            (std::map<std::string, std::string>{
                {"rep-1", "team-1 1"}, {"rep-2", "team-1 4"}, {"mkt-1", "team-2 3"}}));
}

}  // namespace
}  // namespace salesops::sync
