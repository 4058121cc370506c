// The statement state machine (draft → issued → paid), disputes on lines
// (raised by the rep, accepted with an adjustment or rejected with a reason
// by someone else), what may change when, and post-issue changes turned into
// adjustments for the next statement — which the engine then pays.
#include "services/performance/domain/statement_lifecycle.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/performance/domain/commission.h"

namespace salesops::performance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::Time At(int month, int day) {
  return absl::FromCivil(absl::CivilSecond(2025, month, day, 9, 0, 0), absl::UTCTimeZone());
}

CommissionPlan Plan() {
  CommissionPlan p;
  p.plan_id = "plan-2025";
  p.tier_mode = TierMode::kFlat;
  p.bands = {{0, 0, 100'000}};  // 10 %
  return p;
}

CreditFact Won(std::string event, absl::Time t, std::string deal, int64_t amount) {
  CreditFact f;
  f.event_id = std::move(event);
  f.kind = FactKind::kDealWon;
  f.time = t;
  f.member_id = "rep-1";
  f.deal_id = std::move(deal);
  f.amount_minor = amount;
  return f;
}

StatementInput Month(int month, std::vector<CreditFact> facts, CarryForward carried = {}) {
  StatementInput in;
  in.statement_id = "st-2025-" + std::to_string(month);
  in.member_id = "rep-1";
  in.period_id = "2025-" + std::to_string(month);
  in.period_start = At(month, 1) - absl::Hours(9);
  in.period_end = At(month + 1, 1) - absl::Hours(9);
  in.plan_versions = {Plan()};
  in.target_minor = 100'000'00;
  in.facts = std::move(facts);
  in.carried = std::move(carried);
  return in;
}

StatementRecord Draft() {
  StatementRecord rec;
  rec.statement = *ComputeStatement(
      Month(6, {Won("e-1", At(6, 3), "D1", 10'000'00), Won("e-2", At(6, 9), "D2", 20'000'00)}));
  return rec;
}

// DRAFT → ISSUED → PAID, each transition only from its state.
TEST(StatementLifecycleTest, DraftIssuedPaid) {
  StatementRecord rec = Draft();
  EXPECT_EQ(ErrorReason(MarkPaid(rec, At(7, 1))), "STATEMENT_NOT_ISSUED");
  ASSERT_TRUE(IssueStatement(rec, At(7, 1)).ok());
  EXPECT_EQ(rec.state, StatementState::kIssued);
  EXPECT_EQ(rec.issue_time, At(7, 1));
  EXPECT_EQ(ErrorReason(IssueStatement(rec, At(7, 2))), "STATEMENT_NOT_DRAFT");
  ASSERT_TRUE(MarkPaid(rec, At(7, 5)).ok());
  EXPECT_EQ(rec.state, StatementState::kPaid);
  EXPECT_EQ(ErrorReason(MarkPaid(rec, At(7, 6))), "STATEMENT_ALREADY_PAID");
}

// A draft is recomputed freely; an issued statement is locked.
TEST(StatementLifecycleTest, OnlyADraftIsRecomputed) {
  StatementRecord rec = Draft();
  Statement recomputed = *ComputeStatement(Month(6, {Won("e-1", At(6, 3), "D1", 50'000'00)}));
  ASSERT_TRUE(ReplaceDraft(rec, recomputed).ok());
  EXPECT_EQ(rec.statement.totals.net_payable_minor, 5'000'00);
  Statement other = recomputed;
  other.member_id = "rep-2";
  EXPECT_THAT(FieldViolations(ReplaceDraft(rec, other)),
              ElementsAre(testing::Field(&FieldViolation::field, "statement.member_id")));
  ASSERT_TRUE(IssueStatement(rec, At(7, 1)).ok());
  absl::Status locked = ReplaceDraft(rec, recomputed);
  EXPECT_EQ(locked.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(locked), "STATEMENT_LOCKED");
}

// The rep disputes a line; the supervisor accepts with an adjustment that the
// next statement pays, while the issued statement stays exactly as it was.
TEST(StatementDisputeTest, AcceptedDisputeBecomesAnAdjustmentOnTheNextStatement) {
  StatementRecord rec = Draft();
  // A draft cannot be disputed.
  EXPECT_EQ(
      ErrorReason(RaiseDispute(rec, {"d-1", 2, "rep-1", "D2 was 25,000.00"}, At(7, 2)).status()),
      "STATEMENT_NOT_ISSUED");
  ASSERT_TRUE(IssueStatement(rec, At(7, 1)).ok());
  const std::vector<StatementLine> issued_lines = rec.statement.lines;
  auto d = RaiseDispute(rec, {"d-1", 2, "rep-1", "D2 was 25,000.00"}, At(7, 2));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->state, DisputeState::kOpen);
  // The supervisor accepts: 5,000.00 more revenue × 10 % = 500.00.
  auto adj = AcceptDispute(rec, "d-1", "sup-1", 500'00, "contract amended", At(7, 3));
  ASSERT_TRUE(adj.ok()) << adj.status();
  EXPECT_EQ(adj->adjustment_id, "st-2025-6/disputes/d-1");
  EXPECT_EQ(adj->source, "statements/st-2025-6/lines/2");
  EXPECT_EQ(adj->original_statement_id, "st-2025-6");
  EXPECT_EQ(rec.disputes[0].state, DisputeState::kAccepted);
  EXPECT_EQ(rec.disputes[0].adjustment_minor, 500'00);
  // The issued statement is untouched.
  ASSERT_EQ(rec.statement.lines.size(), issued_lines.size());
  for (size_t i = 0; i < issued_lines.size(); ++i) {
    EXPECT_EQ(rec.statement.lines[i].amount_minor, issued_lines[i].amount_minor);
  }
  // July carries it: a 500.00 ADJUSTMENT line on top of July's own commission.
  CarryForward carried = rec.statement.carry_forward;
  carried.adjustments.push_back(*adj);
  Statement july = *ComputeStatement(Month(7, {Won("e-3", At(7, 4), "D3", 10'000'00)}, carried));
  ASSERT_EQ(july.lines.size(), 2u);
  EXPECT_EQ(july.lines[1].kind, LineKind::kAdjustment);
  EXPECT_EQ(july.lines[1].amount_minor, 500'00);
  EXPECT_EQ(july.totals.net_payable_minor, 1'500'00);
}

// Rejection needs a reason; a resolved dispute cannot be resolved again.
TEST(StatementDisputeTest, RejectedDisputeKeepsItsReason) {
  StatementRecord rec = Draft();
  ASSERT_TRUE(IssueStatement(rec, At(7, 1)).ok());
  ASSERT_TRUE(RaiseDispute(rec, {"d-1", 1, "rep-1", "rate should be 12 %"}, At(7, 2)).ok());
  EXPECT_THAT(FieldViolations(RejectDispute(rec, "d-1", "sup-1", "", At(7, 3))),
              ElementsAre(testing::Field(&FieldViolation::field, "reason")));
  ASSERT_TRUE(RejectDispute(rec, "d-1", "sup-1", "the plan says 10 %", At(7, 3)).ok());
  EXPECT_EQ(rec.disputes[0].state, DisputeState::kRejected);
  EXPECT_EQ(rec.disputes[0].resolution, "the plan says 10 %");
  EXPECT_EQ(
      ErrorReason(AcceptDispute(rec, "d-1", "sup-1", 1, "changed my mind", At(7, 4)).status()),
      "DISPUTE_ALREADY_RESOLVED");
  // Once resolved, the line may be disputed again.
  EXPECT_TRUE(RaiseDispute(rec, {"d-2", 1, "rep-1", "new evidence"}, At(7, 5)).ok());
}

// Who may do what: only the rep raises, never on their own behalf resolves; lines must exist.
TEST(StatementDisputeTest, RulesOnWhoAndWhat) {
  StatementRecord rec = Draft();
  ASSERT_TRUE(IssueStatement(rec, At(7, 1)).ok());
  EXPECT_EQ(ErrorReason(RaiseDispute(rec, {"d-1", 1, "rep-2", "x"}, At(7, 2)).status()),
            "NOT_STATEMENT_OWNER");
  EXPECT_EQ(ErrorReason(RaiseDispute(rec, {"d-1", 99, "rep-1", "x"}, At(7, 2)).status()),
            "LINE_NOT_FOUND");
  EXPECT_THAT(FieldViolations(RaiseDispute(rec, {"", 1, "rep-1", ""}, At(7, 2)).status()),
              ElementsAre(testing::Field(&FieldViolation::field, "dispute_id"),
                          testing::Field(&FieldViolation::field, "reason")));
  ASSERT_TRUE(RaiseDispute(rec, {"d-1", 1, "rep-1", "x"}, At(7, 2)).ok());
  EXPECT_EQ(ErrorReason(RaiseDispute(rec, {"d-2", 1, "rep-1", "y"}, At(7, 2)).status()),
            "DISPUTE_ALREADY_OPEN");
  EXPECT_EQ(ErrorReason(RaiseDispute(rec, {"d-1", 2, "rep-1", "y"}, At(7, 2)).status()),
            "DISPUTE_EXISTS");
  EXPECT_EQ(ErrorReason(AcceptDispute(rec, "d-1", "rep-1", 100, "mine", At(7, 3)).status()),
            "SELF_RESOLUTION");
  EXPECT_EQ(ErrorReason(AcceptDispute(rec, "d-9", "sup-1", 100, "x", At(7, 3)).status()),
            "DISPUTE_NOT_FOUND");
  EXPECT_THAT(FieldViolations(AcceptDispute(rec, "d-1", "sup-1", 0, "nothing", At(7, 3)).status()),
              ElementsAre(testing::Field(&FieldViolation::field, "adjustment_minor")));
  EXPECT_EQ(rec.disputes[0].state, DisputeState::kOpen);  // failed calls changed nothing
  // Disputes stay possible after payment.
  ASSERT_TRUE(MarkPaid(rec, At(7, 10)).ok());
  EXPECT_TRUE(RaiseDispute(rec, {"d-3", 2, "rep-1", "z"}, At(7, 11)).ok());
}

// A fact that arrives after issue: the period is recomputed and the difference
// per source becomes adjustments for the next statement.
TEST(StatementRestatementTest, ChangesAfterIssueBecomeAdjustments) {
  Statement issued = *ComputeStatement(
      Month(6, {Won("e-1", At(6, 3), "D1", 10'000'00), Won("e-2", At(6, 9), "D2", 20'000'00)}));
  // Late news: D2 was 25,000.00 (the producer re-sent a corrected event id), and D3 was missed.
  CreditFact d2 = Won("e-2b", At(6, 9), "D2", 25'000'00);
  Statement recomputed = *ComputeStatement(
      Month(6, {Won("e-1", At(6, 3), "D1", 10'000'00), d2, Won("e-3", At(6, 20), "D3", 5'000'00)}));
  std::vector<Adjustment> adjustments = RestatementAdjustments(issued, recomputed);
  // D2: 2,500.00 − 2,000.00 = +500.00; D3: +500.00; D1 unchanged.
  ASSERT_EQ(adjustments.size(), 2u);
  EXPECT_EQ(adjustments[0].source, "deals/D2");
  EXPECT_EQ(adjustments[0].amount_minor, 500'00);
  EXPECT_EQ(adjustments[1].source, "deals/D3");
  EXPECT_EQ(adjustments[1].amount_minor, 500'00);
  EXPECT_EQ(adjustments[1].original_statement_id, "st-2025-6");
  EXPECT_THAT(RestatementAdjustments(issued, issued), IsEmpty());
}

}  // namespace
}  // namespace salesops::performance
