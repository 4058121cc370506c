// Test support for the performance API and projection tests: an in-memory
// repository and org, a fake clock, the demo-sized organisation below, a
// commission plan and KPI set, customers events built as the customers
// service publishes them, and a repository that lands a writer mid-read.
// Test-only.
//
//   acme ─ region-east ─ team-east-1: sup-1 (supervisor), rep-1, rep-2
//        │             └ team-east-2: rep-3
//        │   mgr-east (manager of region-east)
//        └ region-west ─ team-west-1: sup-w, rep-4
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/performance/v1/performance_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "services/performance/api/model.h"
#include "services/performance/api/performance_api.h"
#include "services/performance/api/recompute.h"
#include "services/performance/events/credit_projection.h"
#include "services/performance/store/in_memory_performance_repository.h"
#include "services/performance/store/org_view.h"

namespace salesops::performance::testing {

namespace cv1 = salesops::customers::v1;

inline CallContext As(Role role, std::string member, std::string unit) {
  return CallContext{{std::move(member), role, std::move(unit)}, "trace-1", "test"};
}

inline salesops::common::v1::Date D(int y, int m, int d) { return ToDate(absl::CivilDay(y, m, d)); }

inline absl::Time ChinaNoon(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::FixedTimeZone(8 * 3600));
}

// Customers events as the customers service publishes them.
inline CloudEvent Won(const std::string& event_id, const std::string& opp, const std::string& owner,
                      const std::string& team, int64_t amount, absl::CivilDay day,
                      const std::string& customer = "cust-1") {
  cv1::OpportunityWon w;
  w.set_opportunity("opportunities/" + opp);
  w.set_customer("customers/" + customer);
  w.set_owner("members/" + owner);
  w.set_team("orgUnits/" + team);
  w.set_region("orgUnits/region-east");
  w.set_product_line("orgUnits/pl-cloud");
  w.mutable_amount()->set_amount_minor(amount);
  w.mutable_amount()->set_currency_code("CNY");
  w.set_contract("contracts/k-" + opp);
  *w.mutable_won_date() = ToDate(day);
  CloudEvent e = MakeCloudEvent("/salesops/customers", customer, w.opportunity(), w,
                                ChinaNoon(static_cast<int>(day.year()), day.month(), day.day()));
  e.id = event_id;
  return e;
}

inline CloudEvent Refund(const std::string& event_id, const std::string& opp,
                         const std::string& owner, const std::string& team, int64_t amount,
                         absl::CivilDay day) {
  cv1::PaymentRefunded r;
  r.set_opportunity("opportunities/" + opp);
  r.set_contract("contracts/k-" + opp);
  r.set_payment_id("p-" + event_id);
  r.set_owner("members/" + owner);
  r.set_team("orgUnits/" + team);
  r.set_product_line("orgUnits/pl-cloud");
  r.mutable_amount()->set_amount_minor(amount);
  r.mutable_amount()->set_currency_code("CNY");
  *r.mutable_refund_date() = ToDate(day);
  CloudEvent e = MakeCloudEvent("/salesops/customers", "k-" + opp, r.contract(), r,
                                ChinaNoon(static_cast<int>(day.year()), day.month(), day.day()));
  e.id = event_id;
  return e;
}

inline CloudEvent Activity(const std::string& event_id, const std::string& owner,
                           const std::string& team, absl::CivilDay day, bool visit, int csat) {
  cv1::ActivityLogged a;
  a.mutable_activity()->set_name("activities/" + event_id);
  a.mutable_activity()->set_kind(visit ? cv1::ACTIVITY_KIND_VISIT : cv1::ACTIVITY_KIND_CALL);
  a.mutable_activity()->set_performed_by("members/" + owner);
  *a.mutable_activity()->mutable_occur_time() =
      ToTs(ChinaNoon(static_cast<int>(day.year()), day.month(), day.day()));
  if (csat > 0) {
    a.mutable_activity()->set_satisfaction_score(csat);
  }
  a.set_customer_owner("members/" + owner);
  a.set_team("orgUnits/" + team);
  CloudEvent e = MakeCloudEvent("/salesops/customers", "cust-1", "activities/" + event_id, a,
                                ChinaNoon(static_cast<int>(day.year()), day.month(), day.day()));
  e.id = event_id;
  return e;
}

// The repository of a test with a writer landed just before the next read of
// one revision field: between what a handler read before that field and its
// commit, where BeforeNextCommit cannot reach. Forwards everything else to
// `repo`, which it borrows. Not thread-safe: one test thread drives it.
class LandBeforeRevisionRead final : public PerformanceRepository {
 public:
  explicit LandBeforeRevisionRead(PerformanceRepository& repo) : repo_(repo) {}

  // Runs `writer` once, before the next GetFields of `field` in kRevisions.
  void Before(std::string field, std::function<void()> writer) {
    field_ = std::move(field);
    writer_ = std::move(writer);
  }

  absl::StatusOr<std::optional<Doc>> GetDoc(DocKind kind, const std::string& id) override {
    return repo_.GetDoc(kind, id);
  }
  absl::StatusOr<std::vector<std::optional<Doc>>> GetDocs(
      DocKind kind, const std::vector<std::string>& ids) override {
    return repo_.GetDocs(kind, ids);
  }
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index,
                                                 const std::string& prefix,
                                                 const std::string& after, int limit) override {
    return repo_.Range(index, prefix, after, limit);
  }
  absl::StatusOr<std::vector<std::optional<std::string>>> GetFields(
      MapKind map, const std::string& id, const std::vector<std::string>& fields) override {
    if (writer_ && map == MapKind::kRevisions &&
        std::find(fields.begin(), fields.end(), field_) != fields.end()) {
      std::function<void()> writer;
      writer.swap(writer_);
      writer();
    }
    return repo_.GetFields(map, id, fields);
  }
  absl::StatusOr<std::vector<FieldMap>> GetMaps(MapKind map,
                                                const std::vector<std::string>& ids) override {
    return repo_.GetMaps(map, ids);
  }
  absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                         const std::string& request_id) override {
    return repo_.FindRequest(caller, request_id);
  }
  absl::StatusOr<std::vector<bool>> Applied(const std::vector<const CloudEvent*>& events) override {
    return repo_.Applied(events);
  }
  absl::Status Commit(const Change& change,
                      const std::vector<const CloudEvent*>& applying) override {
    return repo_.Commit(change, applying);
  }

 private:
  PerformanceRepository& repo_;
  std::string field_;
  std::function<void()> writer_;
};

class PerformanceTest : public ::testing::Test {
 protected:
  PerformanceTest() {
    org_.AddUnit("acme", "");
    org_.AddUnit("region-east", "acme");
    org_.AddUnit("region-west", "acme");
    org_.AddUnit("team-east-1", "region-east");
    org_.AddUnit("team-east-2", "region-east");
    org_.AddUnit("team-west-1", "region-west");
    org_.AddMember("sup-1", "team-east-1", Role::kSupervisor);
    org_.AddMember("rep-1", "team-east-1", Role::kRep);
    org_.AddMember("rep-2", "team-east-1", Role::kRep);
    org_.AddMember("rep-3", "team-east-2", Role::kRep);
    org_.AddMember("mgr-east", "region-east", Role::kManager);
    org_.AddMember("sup-w", "team-west-1", Role::kSupervisor);
    org_.AddMember("rep-4", "team-west-1", Role::kRep);
  }

  // A plan for reps from 2026-01-01: 2 % below target, 3 % from 100 %,
  // refunds within 180 days clawed back, a special-contribution bonus up to
  // ¥5,000; default target ¥100,000 per quarter.
  void SetUpPlan() {
    v1::CreateCommissionPlanRequest req;
    req.set_commission_plan_id("plan-2026");
    v1::CommissionPlan* p = req.mutable_commission_plan();
    p->set_display_name("2026 销售代表提成方案");
    *p->mutable_effective_start_date() = D(2026, 1, 1);
    p->add_roles("rep");
    p->set_basis(v1::COMMISSION_BASIS_BOOKING);
    p->set_tier_mode(v1::TIER_MODE_MARGINAL);
    auto* b1 = p->add_bands();
    b1->set_max_attainment_basis_points(10'000);
    b1->set_rate_millionths(20'000);
    auto* b2 = p->add_bands();
    b2->set_min_attainment_basis_points(10'000);
    b2->set_rate_millionths(30'000);
    p->set_clawback_window_days(180);
    auto* bonus = p->add_bonuses();
    bonus->set_bonus_id("special");
    bonus->set_kind(v1::BONUS_KIND_SPECIAL_CONTRIBUTION);
    bonus->set_display_name("特别贡献奖");
    *bonus->mutable_amount() = Money(5'000'00, "CNY");
    *p->mutable_default_target() = Money(100'000'00, "CNY");
    v1::CreateCommissionPlanResponse created;
    ASSERT_TRUE(api_.CreateCommissionPlan(admin_, req, &created).ok());
    v1::ActivateCommissionPlanRequest act;
    act.set_name("commissionPlans/plan-2026");
    v1::ActivateCommissionPlanResponse activated;
    ASSERT_TRUE(api_.ActivateCommissionPlan(admin_, act, &activated).ok());
  }

  // Bookings 60 % (target ¥100,000) and visits 40 % (target 10).
  void SetUpKpis() {
    v1::CreateKpiDefinitionRequest req;
    req.set_kpi_definition_id("bookings");
    auto* k = req.mutable_kpi_definition();
    k->set_display_name("签约额");
    k->set_metric(v1::KPI_METRIC_BOOKINGS);
    *k->mutable_target()->mutable_money() = Money(100'000'00, "CNY");
    k->set_weight_basis_points(6'000);
    k->set_direction(v1::KPI_DIRECTION_HIGHER_IS_BETTER);
    k->mutable_curve()->set_cap_basis_points(12'000);
    v1::CreateKpiDefinitionResponse resp;
    ASSERT_TRUE(api_.CreateKpiDefinition(admin_, req, &resp).ok());
    req.set_kpi_definition_id("visits");
    k->set_display_name("拜访次数");
    k->set_metric(v1::KPI_METRIC_VISITS);
    k->mutable_target()->set_count(10);
    k->set_weight_basis_points(4'000);
    ASSERT_TRUE(api_.CreateKpiDefinition(admin_, req, &resp).ok());
  }

  // Applies events through the projection only (as one consumer batch): the
  // statements they change are recomputed later, by the job.
  void Project(const std::vector<CloudEvent>& events) {
    std::vector<const CloudEvent*> batch;
    for (const CloudEvent& e : events) {
      batch.push_back(&e);
    }
    for (const absl::Status& s : projection_.HandleBatch(batch)) {
      ASSERT_TRUE(s.ok()) << s;
    }
  }

  // Applies events through the projection and runs the recompute job until
  // nothing is left.
  void Deliver(const std::vector<CloudEvent>& events) {
    Project(events);
    ASSERT_TRUE(recomputer_.RunPending(absl::Seconds(30)).ok());
  }

  v1::CommissionStatement Statement(const std::string& period, const std::string& member) {
    v1::GetCommissionStatementRequest req;
    req.set_name(StatementName(StatementId(period, member)));
    v1::GetCommissionStatementResponse resp;
    absl::Status s = api_.GetCommissionStatement(admin_, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.commission_statement();
  }

  // `writer` lands between the next commit's read and its apply (another writer
  // winning a race); commits_after_ then counts the commits tried after it — the
  // call run again — until StopCounting().
  void BeforeNextCommit(std::function<void()> writer) {
    repo_.BeforeNextCommit([this, writer = std::move(writer)] {
      writer();
      CountCommits();
    });
  }
  void StopCounting() { repo_.BeforeNextCommit(nullptr); }

  // Credit split shares in millionths by member id.
  using Shares = std::vector<std::pair<std::string, int64_t>>;
  static inline const Shares kEvenly = {{"rep-1", 500'000}, {"rep-2", 500'000}};

  // Sets `opp`'s credit split as sup-1, replacing the version `etag` names
  // when one is given.
  absl::Status SetSplit(const std::string& opp, const Shares& shares, const std::string& etag = "",
                        v1::CreditSplit* out = nullptr) {
    return SetSplitWith(api_, opp, shares, etag, out);
  }
  absl::Status SetSplitWith(PerformanceApi& api, const std::string& opp, const Shares& shares,
                            const std::string& etag = "", v1::CreditSplit* out = nullptr) {
    v1::SetCreditSplitRequest req;
    req.mutable_credit_split()->set_opportunity("opportunities/" + opp);
    req.mutable_credit_split()->set_etag(etag);
    for (const auto& [member, share] : shares) {
      auto* s = req.mutable_credit_split()->add_shares();
      s->set_member("members/" + member);
      s->set_share_millionths(share);
    }
    req.set_reason("联合跟进");
    v1::SetCreditSplitResponse resp;
    absl::Status s = api.SetCreditSplit(sup1_, req, &resp);
    if (out != nullptr) {
      *out = resp.credit_split();
    }
    return s;
  }

  // The deal the split race tests split: rep-1's opp-1, won for 10,000.01 in
  // FY2026-Q4 under the plan; then a refund of 2,000.00 of it.
  void WinOpp1() {
    SetUpPlan();
    Deliver({Won("w-1", "opp-1", "rep-1", "team-east-1", 10'000'01, absl::CivilDay(2026, 11, 1))});
  }
  static CloudEvent RefundOfOpp1() {
    return Refund("r-1", "opp-1", "rep-1", "team-east-1", 2'000'00, absl::CivilDay(2026, 11, 5));
  }
  // Runs the recompute job; rep-1's and rep-2's FY2026-Q4 credited revenue.
  void ExpectCredited(int64_t rep1, int64_t rep2) {
    ASSERT_TRUE(recomputer_.RunPending(absl::Seconds(10)).ok());
    EXPECT_EQ(Statement("FY2026-Q4", "rep-1").credited_revenue().amount_minor(), rep1);
    EXPECT_EQ(Statement("FY2026-Q4", "rep-2").credited_revenue().amount_minor(), rep2);
  }

  // The deal's revision: what a credit split being set guards its facts with.
  std::string DealRevision(const std::string& opp) {
    auto rev = repo_.GetFields(MapKind::kRevisions, "", {"d|" + opp});
    EXPECT_TRUE(rev.ok()) << rev.status();
    return rev.ok() ? (*rev)[0].value_or("") : "";
  }

  std::vector<std::string> EventTypes() {
    std::vector<std::string> out;
    for (const CloudEvent& e : repo_.events()) {
      out.push_back(e.type);
    }
    return out;
  }
  int CountEvents(const std::string& type) {
    int n = 0;
    for (const CloudEvent& e : repo_.events()) {
      n += e.type == type;
    }
    return n;
  }

  int commits_after_ = 0;
  FakeClock clock_{ChinaNoon(2026, 11, 27)};
  InMemoryPerformanceRepository repo_;
  InMemoryOrgView org_;
  PerformanceOptions options_;
  Recomputer recomputer_{repo_, org_, clock_, options_};
  PerformanceApi api_{repo_, org_, recomputer_, clock_};
  CreditProjection projection_{repo_, options_};
  CallContext admin_ = As(Role::kAdmin, "admin", "");
  CallContext director_ = As(Role::kDirector, "dir-1", "acme");
  CallContext sup1_ = As(Role::kSupervisor, "sup-1", "team-east-1");
  CallContext supw_ = As(Role::kSupervisor, "sup-w", "team-west-1");
  CallContext mgr_ = As(Role::kManager, "mgr-east", "region-east");
  CallContext rep1_ = As(Role::kRep, "rep-1", "team-east-1");
  CallContext rep2_ = As(Role::kRep, "rep-2", "team-east-1");

 private:
  void CountCommits() {
    repo_.BeforeNextCommit([this] {
      ++commits_after_;
      CountCommits();
    });
  }
};

inline std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

}  // namespace salesops::performance::testing
