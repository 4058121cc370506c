// RedisOrgRepository's reorganisation script against a real Redis: the guards
// that make two conflicting reorganisations give exactly one commit (unit and
// member versions, the member set of a removed unit), all-or-nothing writes,
// membership history read back in recording order, and the log by date range.
// Events go to a test-only outbox stream that no relay reads.
#include "absl/strings/str_cat.h"
#include "common/outbox/write_batch.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"
#include "services/org/domain/reorg.h"
#include "services/org/store/redis_org_repository.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

using org::Member;
using org::MembershipEntry;
using org::OrgUnit;
using org::ReorgCommit;
using org::UnitKind;

class OrgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sfx_ = UniqueSuffix();
    outbox_ =
        std::make_unique<TransactionalOutbox>(TestRedis(), org::OrgKey("outbox-test-" + sfx_));
    repo_ = std::make_unique<org::RedisOrgRepository>(TestRedis(), *outbox_);
    now_ = absl::Now();
  }

  OrgUnit NewUnit(const std::string& base, UnitKind kind, const std::string& parent) {
    OrgUnit u;
    u.id = base + "-" + sfx_;
    u.display_name = base;
    u.kind = kind;
    u.parent_id = parent;
    u.version = 1;
    u.create_time = u.update_time = now_;
    UnitKind parent_kind = UnitKind::kCompany;  // ignored for a root
    if (!parent.empty()) {
      auto p = repo_->GetUnit(parent);
      EXPECT_TRUE(p.ok() && p->has_value()) << parent;
      if (p.ok() && p->has_value()) {
        parent_kind = (*p)->kind;
      }
    }
    EXPECT_TRUE(repo_->CreateUnit(u, parent_kind, "", Event(u.id)).ok());
    return u;
  }

  Member NewMember(const std::string& base, const std::string& unit) {
    Member m;
    m.id = base + "-" + sfx_;
    m.display_name = base;
    m.email = m.id + "@example.com";
    m.org_unit_id = unit;
    m.version = 1;
    m.create_time = m.update_time = now_;
    EXPECT_TRUE(repo_->CreateMember(m, "", Event(m.id)).ok());
    return m;
  }

  OrgUnit Read(const std::string& id) { return **repo_->GetUnit(id); }

  CloudEvent Event(const std::string& key) {
    CloudEvent e;
    e.id = "evt-" + key + "-" + std::to_string(++seq_);
    e.source = "/salesops/org";
    e.type = "salesops.org.v1.Test";
    e.subject = key;
    e.key = key;
    e.time = now_;
    return e;
  }

  // A merge of `source` into `target` as decided on the given reads.
  ReorgCommit Merge(const OrgUnit& source, const OrgUnit& target,
                    const std::vector<Member>& members, const std::string& reorg_id) {
    ReorgCommit c;
    OrgUnit after = target;
    after.version++;
    c.units_before = {target};
    c.units_after = {after};
    c.removed_units = {source};
    for (const auto& m : members) {
      Member moved = m;
      moved.org_unit_id = target.id;
      moved.version++;
      c.members.emplace_back(m, moved);
      c.history.push_back({m.id, target.id, m.role, org::OrgDay(now_), now_, reorg_id, "merge"});
    }
    c.reorg_id = reorg_id;
    c.effective = org::OrgDay(now_);
    c.reorg_unit_ids = {source.id, target.id};
    c.reorg_data = "entry-" + reorg_id;
    c.events = {Event(source.id)};
    return c;
  }

  std::string sfx_;
  std::unique_ptr<TransactionalOutbox> outbox_;
  std::unique_ptr<org::RedisOrgRepository> repo_;
  absl::Time now_;
  int seq_ = 0;
};

// Two merges decided on the same state: the first commits, the second is
// ABORTED and wrote nothing.
TEST_F(OrgStoreTest, SecondOfTwoConflictingReorgsAborts) {
  OrgUnit co = NewUnit("co", UnitKind::kCompany, "");
  OrgUnit a = NewUnit("a", UnitKind::kTeam, co.id);
  OrgUnit b = NewUnit("b", UnitKind::kTeam, co.id);
  OrgUnit c = NewUnit("c", UnitKind::kTeam, co.id);
  Member m = NewMember("m", a.id);
  const OrgUnit a_read = Read(a.id), b_read = Read(b.id), c_read = Read(c.id);
  ASSERT_TRUE(
      repo_->CommitReorg(Merge(a_read, b_read, {*repo_->GetMember(m.id).value()}, "r1")).ok());
  absl::Status second =
      repo_->CommitReorg(Merge(a_read, c_read, {*repo_->GetMember(m.id).value()}, "r2"));
  EXPECT_EQ(second.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(second), "CONCURRENT_REORGANISATION");
  EXPECT_EQ(Read(c.id).version, c_read.version);  // nothing written
  EXPECT_EQ((*repo_->GetMember(m.id))->org_unit_id, b.id);
  EXPECT_FALSE(repo_->GetUnit(a.id)->has_value());
  auto log_c = repo_->ReorgsOfUnit(c.id, absl::CivilDay(2000, 1, 1), absl::CivilDay(2100, 1, 1));
  EXPECT_TRUE(log_c->empty());
}

// A member who joined the source after the merge was decided makes it abort:
// the removed unit's member set is guarded, not only its etag.
TEST_F(OrgStoreTest, MemberJoiningMeanwhileAbortsTheMerge) {
  OrgUnit co = NewUnit("co", UnitKind::kCompany, "");
  OrgUnit a = NewUnit("a", UnitKind::kTeam, co.id);
  OrgUnit b = NewUnit("b", UnitKind::kTeam, co.id);
  Member m1 = NewMember("m1", a.id);
  const OrgUnit a_read = Read(a.id);
  EXPECT_EQ(a_read.members_rev, 1);
  NewMember("m2", a.id);  // joins after the read
  absl::Status s = repo_->CommitReorg(Merge(a_read, Read(b.id), {m1}, "r1"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(repo_->GetUnit(a.id)->has_value());
}

// History entries come back in recording order; the log answers by date range.
TEST_F(OrgStoreTest, HistoryAndLogReadBack) {
  OrgUnit co = NewUnit("co", UnitKind::kCompany, "");
  OrgUnit a = NewUnit("a", UnitKind::kTeam, co.id);
  OrgUnit b = NewUnit("b", UnitKind::kTeam, co.id);
  Member m = NewMember("m", a.id);
  ASSERT_TRUE(repo_->CommitReorg(Merge(Read(a.id), Read(b.id), {m}, "r1")).ok());
  auto history = repo_->MemberHistory(m.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].unit_id, a.id);
  EXPECT_EQ((*history)[0].reason, "joined");
  EXPECT_EQ((*history)[1].unit_id, b.id);
  EXPECT_EQ((*history)[1].reorg_id, "r1");
  EXPECT_EQ(org::MembershipAsOf(*history, org::OrgDay(now_))->unit_id, b.id);
  const absl::CivilDay today = org::OrgDay(now_);
  EXPECT_EQ(*repo_->ReorgsOfUnit(b.id, today, today), std::vector<std::string>{"entry-r1"});
  EXPECT_TRUE(repo_->ReorgsOfUnit(b.id, today + 1, today + 30)->empty());
}

}  // namespace
}  // namespace salesops::testing
