// The commission engine: worked examples computed by hand (the arithmetic is
// in the comments) for every tier mode, caps, accelerators and decelerators,
// split credit, draws over several periods, clawbacks, holds on collection
// basis, bonuses and SPIFFs, plan versions; bad input with field paths; and
// property tests over random plans and facts (fixed seeds): totals are the
// sums of their lines, arrival order does not matter, FLAT and RETROACTIVE
// end at the same total.
#include "services/performance/domain/commission.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::performance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// 100,000.00 CNY in fen.
constexpr int64_t kTarget = 100'000'00;

absl::Time At(int month, int day, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(2025, month, day, hour, 0, 0), absl::UTCTimeZone());
}

// The default bands: below 100 % 2 %, 100–150 % 3 %, from 150 % 4 %.
CommissionPlan Plan(TierMode mode) {
  CommissionPlan p;
  p.plan_id = "plan-2025";
  p.version = 1;
  p.tier_mode = mode;
  p.bands = {{0, 10'000, 20'000}, {10'000, 15'000, 30'000}, {15'000, 0, 40'000}};
  return p;
}

// One band at 10 %: for examples about everything but tiers.
CommissionPlan TenPercentPlan() {
  CommissionPlan p = Plan(TierMode::kFlat);
  p.bands = {{0, 0, 100'000}};
  return p;
}

CreditFact Fact(FactKind kind, std::string event, absl::Time t, std::string deal, int64_t amount) {
  CreditFact f;
  f.event_id = std::move(event);
  f.kind = kind;
  f.time = t;
  f.member_id = "rep-1";
  f.deal_id = std::move(deal);
  f.contract_id = absl::StrCat("c-", f.deal_id);
  f.product_line = "pl-std";
  f.amount_minor = amount;
  return f;
}
CreditFact Won(std::string event, absl::Time t, std::string deal, int64_t amount) {
  return Fact(FactKind::kDealWon, std::move(event), t, std::move(deal), amount);
}
CreditFact Paid(std::string event, absl::Time t, std::string deal, std::string payment,
                int64_t amount, bool first_instalment_received) {
  CreditFact f = Fact(FactKind::kPaymentReceived, std::move(event), t, std::move(deal), amount);
  f.payment_id = std::move(payment);
  f.first_instalment_received = first_instalment_received;
  return f;
}
CreditFact Refund(std::string event, absl::Time t, std::string deal, int64_t amount,
                  std::string payment = "") {
  CreditFact f = Fact(FactKind::kPaymentRefunded, std::move(event), t, std::move(deal), amount);
  f.payment_id = std::move(payment);
  return f;
}
CreditFact Cancel(std::string event, absl::Time t, std::string deal) {
  return Fact(FactKind::kContractCancelled, std::move(event), t, std::move(deal), 0);
}

// Q3 2025 for rep-1.
StatementInput Quarter(CommissionPlan plan, std::vector<CreditFact> facts) {
  StatementInput in;
  in.statement_id = "st-q3";
  in.member_id = "rep-1";
  in.period_id = "2025Q3";
  in.period_start = At(7, 1, 0);
  in.period_end = At(10, 1, 0);
  in.plan_versions = {std::move(plan)};
  in.target_minor = kTarget;
  in.facts = std::move(facts);
  return in;
}

// A calendar month of 2025 for rep-1, carrying what the previous one left.
StatementInput Month(int month, CommissionPlan plan, std::vector<CreditFact> facts,
                     CarryForward carried = {}) {
  StatementInput in = Quarter(std::move(plan), std::move(facts));
  in.statement_id = absl::StrCat("st-2025-", month);
  in.period_id = absl::StrCat("2025-", month);
  in.period_start = At(month, 1, 0);
  in.period_end = month == 12 ? At(12, 31, 23) : At(month + 1, 1, 0);
  in.carried = std::move(carried);
  return in;
}

Statement Compute(const StatementInput& in) {
  absl::StatusOr<Statement> st = ComputeStatement(in);
  EXPECT_TRUE(st.ok()) << st.status();
  return st.ok() ? *st : Statement{};
}

std::vector<int64_t> Amounts(const Statement& st) {
  std::vector<int64_t> out;
  for (const StatementLine& l : st.lines) {
    out.push_back(l.amount_minor);
  }
  return out;
}

std::vector<LineKind> Kinds(const Statement& st) {
  std::vector<LineKind> out;
  for (const StatementLine& l : st.lines) {
    out.push_back(l.kind);
  }
  return out;
}

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

// Everything a statement says, one line of text per line, for exact comparison.
std::string Dump(const Statement& st) {
  std::string out = absl::StrCat(st.statement_id, " ", st.plan_id, " v", st.plan_version, "\n");
  for (const StatementLine& l : st.lines) {
    absl::StrAppend(&out, l.line_no, " ", LineKindName(l.kind), " ", l.source, " ", l.event_id, " ",
                    l.related_event_id, " ", l.deal_id, " ", l.payment_id, " ", l.product_line,
                    " v", l.plan_version, " ", l.rule, " r", l.rate_millionths, " m",
                    l.multiplier_millionths, " b", l.base_minor, " a", l.amount_minor, " ",
                    l.original_statement_id, " ", l.note, "\n");
  }
  const StatementTotals& t = st.totals;
  absl::StrAppend(&out, "credited ", t.credited_revenue_minor, " att ", t.attainment_bp, " gross ",
                  t.gross_minor, " cap ", t.cap_reduction_minor, " held ", t.held_minor, " rel ",
                  t.released_minor, " claw ", t.clawback_minor, " bonus ", t.bonus_minor, " adj ",
                  t.adjustment_minor, " carried ", t.carried_balance_minor, " adv ",
                  t.draw_advance_minor, " rec ", t.draw_recovery_minor, " def ",
                  t.deferred_balance_minor, " net ", t.net_payable_minor, "\n");
  const CarryForward& c = st.carry_forward;
  absl::StrAppend(&out, "carry draw ", c.draw_balance_minor, " neg ", c.negative_balance_minor,
                  "\n");
  for (const CreditRecord& r : c.credits) {
    absl::StrAppend(&out, "rec ", r.credit_key, " ", r.credited_minor, " ", r.commission_minor, " ",
                    r.held_minor, " ", r.refunded_minor, " ", r.taken_back_minor, "\n");
  }
  for (const IgnoredFact& f : st.ignored) {
    absl::StrAppend(&out, "ignored ", f.event_id, " ", f.reason, "\n");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Tier modes: one example, three modes. Target 100,000.00; deal A 60,000.00 on
// 1 Jul, deal B 60,000.00 on 2 Jul. Cumulative: A 0 → 60,000; B 60,000 → 120,000
// (attainment 120 %, band [100 %, 150 %) at 3 %). B spans bands 0 and 1.

std::vector<CreditFact> TwoDeals() {
  return {Won("e-a", At(7, 1), "A", 60'000'00), Won("e-b", At(7, 2), "B", 60'000'00)};
}

// FLAT: the band finally reached (3 %) rates everything.
TEST(CommissionTierTest, FlatRatesAllRevenueAtTheHighestBandReached) {
  Statement st = Compute(Quarter(Plan(TierMode::kFlat), TwoDeals()));
  // A: 60,000.00 × 3 % = 1,800.00; B: 60,000.00 × 3 % = 1,800.00; gross 3,600.00.
  EXPECT_THAT(Amounts(st), ElementsAre(1'800'00, 1'800'00));
  EXPECT_EQ(st.lines[0].rule, "bands[1]");
  EXPECT_EQ(st.lines[0].rate_millionths, 30'000);
  EXPECT_EQ(st.totals.gross_minor, 3'600'00);
  EXPECT_EQ(st.totals.net_payable_minor, 3'600'00);
  EXPECT_EQ(st.totals.attainment_bp, 12'000);
}

// MARGINAL: each slice at its own band; the deal spanning two bands gets two lines.
TEST(CommissionTierTest, MarginalRatesEachSliceAtItsOwnBand) {
  Statement st = Compute(Quarter(Plan(TierMode::kMarginal), TwoDeals()));
  // A: 60,000.00 × 2 % = 1,200.00
  // B: [60,000, 100,000) 40,000.00 × 2 % = 800.00; [100,000, 120,000) 20,000.00 × 3 % = 600.00
  // gross 1,200 + 800 + 600 = 2,600.00
  EXPECT_THAT(Amounts(st), ElementsAre(1'200'00, 800'00, 600'00));
  EXPECT_EQ(st.lines[1].deal_id, "B");
  EXPECT_EQ(st.lines[1].rule, "bands[0]");
  EXPECT_EQ(st.lines[1].base_minor, 40'000'00);
  EXPECT_EQ(st.lines[2].rule, "bands[1]");
  EXPECT_EQ(st.lines[2].base_minor, 20'000'00);
  EXPECT_EQ(st.totals.gross_minor, 2'600'00);
}

// RETROACTIVE: A is first rated at 2 %, then re-rated to 3 % by an adjustment
// line when B crosses 100 %; it ends at the FLAT total.
TEST(CommissionTierTest, RetroactiveReRatesEarlierDealsWithAdjustmentLines) {
  Statement st = Compute(Quarter(Plan(TierMode::kRetroactive), TwoDeals()));
  // A at the band reached when it came in (60 % → 2 %): 60,000.00 × 2 % = 1,200.00
  // A re-rated when B crossed 100 %: 60,000.00 × (3 % − 2 %) = 600.00
  // B at the band reached (120 % → 3 %): 60,000.00 × 3 % = 1,800.00
  // gross 1,200 + 600 + 1,800 = 3,600.00 (= FLAT)
  EXPECT_THAT(Kinds(st), ElementsAre(LineKind::kBase, LineKind::kRetroAdjustment, LineKind::kBase));
  EXPECT_THAT(Amounts(st), ElementsAre(1'200'00, 600'00, 1'800'00));
  const StatementLine& adj = st.lines[1];
  EXPECT_EQ(adj.event_id, "e-a");
  EXPECT_EQ(adj.related_event_id, "e-b");
  EXPECT_EQ(adj.rate_millionths, 30'000);
  EXPECT_EQ(adj.base_minor, 60'000'00);
  EXPECT_EQ(st.totals.gross_minor, 3'600'00);
}

// Every rated line says where it came from: event, deal, contract, plan version, rule, rate.
TEST(CommissionTierTest, LinesAreTracedToTheirSource) {
  Statement st = Compute(Quarter(Plan(TierMode::kMarginal), TwoDeals()));
  const StatementLine& l = st.lines[2];
  EXPECT_EQ(l.line_no, 3);
  EXPECT_EQ(l.source, "deals/B");
  EXPECT_EQ(l.event_id, "e-b");
  EXPECT_EQ(l.contract_id, "c-B");
  EXPECT_EQ(l.plan_id, "plan-2025");
  EXPECT_EQ(l.plan_version, 1);
  EXPECT_EQ(l.product_line, "pl-std");
  EXPECT_FALSE(l.note.empty());
}

// ---------------------------------------------------------------------------
// Caps, accelerators, decelerators

// The per-deal cap comes first, then the period cap on what is left.
TEST(CommissionCapTest, PerDealThenPerPeriodCap) {
  CommissionPlan plan = Plan(TierMode::kFlat);
  plan.per_deal_cap_minor = 1'500'00;
  plan.period_cap_minor = 2'800'00;
  Statement st = Compute(Quarter(plan, TwoDeals()));
  // FLAT: A 1,800.00, B 1,800.00 (gross 3,600.00).
  // Per deal: each 1,800.00 > 1,500.00 → CAP −300.00 twice; left 3,000.00.
  // Per period: 3,000.00 > 2,800.00 → CAP −200.00; net 2,800.00.
  EXPECT_THAT(Kinds(st), ElementsAre(LineKind::kBase, LineKind::kBase, LineKind::kCap,
                                     LineKind::kCap, LineKind::kCap));
  EXPECT_THAT(Amounts(st), ElementsAre(1'800'00, 1'800'00, -300'00, -300'00, -200'00));
  EXPECT_EQ(st.lines[2].source, "deals/A");
  EXPECT_EQ(st.lines[2].rule, "per_deal_cap_minor");
  EXPECT_EQ(st.lines[4].rule, "period_cap_minor");
  EXPECT_EQ(st.totals.gross_minor, 3'600'00);
  EXPECT_EQ(st.totals.cap_reduction_minor, 800'00);
  EXPECT_EQ(st.totals.net_payable_minor, 2'800'00);
  // The ledger keeps each deal's commission after caps: 1,500 − 100 (half the period cap) each.
  ASSERT_EQ(st.credits.size(), 2u);
  EXPECT_EQ(st.credits[0].commission_minor + st.credits[1].commission_minor, 2'800'00);
}

// Above 100 % the rate is multiplied by 1.5 on the revenue above the threshold.
TEST(CommissionAcceleratorTest, AcceleratorPaysExtraOnRevenueAboveTheThreshold) {
  CommissionPlan plan = Plan(TierMode::kMarginal);
  plan.accelerators = {{10'000, 1'500'000}};
  Statement st = Compute(Quarter(plan, TwoDeals()));
  // MARGINAL as above: A 1,200.00; B 800.00 (below 100 %) + 600.00 (above).
  // Accelerator on B's 20,000.00 above 100 %: 20,000.00 × 3 % × (1.5 − 1) = 300.00.
  // gross 1,200 + 800 + 600 + 300 = 2,900.00
  EXPECT_THAT(Kinds(st), ElementsAre(LineKind::kBase, LineKind::kBase, LineKind::kBase,
                                     LineKind::kAccelerator));
  EXPECT_THAT(Amounts(st), ElementsAre(1'200'00, 800'00, 600'00, 300'00));
  EXPECT_EQ(st.lines[3].rule, "accelerators[0]");
  EXPECT_EQ(st.lines[3].multiplier_millionths, 1'500'000);
  EXPECT_EQ(st.lines[3].base_minor, 20'000'00);
  EXPECT_EQ(st.totals.gross_minor, 2'900'00);
}

// Below 50 % attainment all commission is halved.
TEST(CommissionAcceleratorTest, DeceleratorReducesCommissionBelowTheThreshold) {
  CommissionPlan plan = Plan(TierMode::kFlat);
  plan.decelerators = {{5'000, 500'000}};
  Statement st = Compute(Quarter(plan, {Won("e-a", At(7, 1), "A", 40'000'00)}));
  // Attainment 40 % < 50 %. Base 40,000.00 × 2 % = 800.00;
  // decelerator 40,000.00 × 2 % × (0.5 − 1) = −400.00; gross 400.00.
  EXPECT_THAT(Amounts(st), ElementsAre(800'00, -400'00));
  EXPECT_EQ(st.lines[1].kind, LineKind::kDecelerator);
  EXPECT_EQ(st.lines[1].rule, "decelerators[0]");
  EXPECT_EQ(st.totals.gross_minor, 400'00);
  // At 50 % exactly the decelerator no longer applies: 50,000.00 × 2 % = 1,000.00.
  Statement at = Compute(Quarter(plan, {Won("e-a", At(7, 1), "A", 50'000'00)}));
  EXPECT_THAT(Amounts(at), ElementsAre(1'000'00));
}

// A product line with its own bands is rated by them; attainment still counts all revenue.
TEST(CommissionTierTest, ProductLineBandsReplaceTheDefaultOnes) {
  CommissionPlan plan = Plan(TierMode::kFlat);
  plan.product_line_bands = {{"pl-new", {{0, 10'000, 50'000}, {10'000, 0, 60'000}}}};
  std::vector<CreditFact> facts = TwoDeals();
  facts[1].product_line = "pl-new";
  Statement st = Compute(Quarter(plan, facts));
  // Final attainment 120 %: A (pl-std) at bands[1] 3 % = 1,800.00;
  // B (pl-new) at product_line_bands[0].bands[1] 6 % = 3,600.00.
  EXPECT_THAT(Amounts(st), ElementsAre(1'800'00, 3'600'00));
  EXPECT_EQ(st.lines[1].rule, "product_line_bands[0].bands[1]");
}

// ---------------------------------------------------------------------------
// Split credit

// A deal of 100,000.01 split 50/50: the odd cent goes to rep-1 (smaller id);
// the two statements credit exactly the deal amount.
TEST(CommissionSplitTest, SplitDealWithAnOddCent) {
  CreditFact deal = Won("e-s", At(7, 3), "S", 100'000'01);
  deal.split = {{"rep-2", 500'000}, {"rep-1", 500'000}};
  StatementInput for_rep1 = Quarter(Plan(TierMode::kFlat), {deal});
  StatementInput for_rep2 = for_rep1;
  for_rep2.member_id = "rep-2";
  for_rep2.statement_id = "st-q3-rep-2";
  Statement st1 = Compute(for_rep1);
  Statement st2 = Compute(for_rep2);
  // 10,000,001 × 50 % = 5,000,000.5 each: floors 5,000,000, one cent left, tie → "rep-1".
  ASSERT_EQ(st1.lines.size(), 1u);
  ASSERT_EQ(st2.lines.size(), 1u);
  EXPECT_EQ(st1.lines[0].base_minor, 50'000'01);
  EXPECT_EQ(st2.lines[0].base_minor, 50'000'00);
  EXPECT_EQ(st1.lines[0].base_minor + st2.lines[0].base_minor, 100'000'01);
  // Attainment 50 % → 2 %: 50,000.01 × 2 % = 1,000.0002 → 1,000.00 (half-even, line level).
  EXPECT_EQ(st1.lines[0].amount_minor, 1'000'00);
  EXPECT_EQ(st2.lines[0].amount_minor, 1'000'00);
}

// A fact crediting someone else without a split, or a split without the rep, is rejected.
TEST(CommissionSplitTest, FactsMustCreditTheStatementsMember) {
  CreditFact other = Won("e-x", At(7, 3), "X", 100);
  other.member_id = "rep-9";
  auto st = ComputeStatement(Quarter(Plan(TierMode::kFlat), {other}));
  EXPECT_THAT(Fields(st.status()), ElementsAre("facts[0].member_id"));
  other.split = {{"rep-9", 1'000'000}};
  st = ComputeStatement(Quarter(Plan(TierMode::kFlat), {other}));
  EXPECT_THAT(Fields(st.status()), ElementsAre("facts[0].split"));
}

// ---------------------------------------------------------------------------
// Draws

// A recoverable draw of 5,000.00 a month advanced in January and recovered
// from earnings above the draw over February, March and April.
TEST(CommissionDrawTest, RecoverableDrawRecoveredOverThreePeriods) {
  CommissionPlan plan = TenPercentPlan();
  plan.draw = {DrawKind::kRecoverable, 5'000'00, 0};
  // January: 20,000.00 × 10 % = 2,000.00 earned; draw tops up 3,000.00 → paid 5,000.00; balance
  // 3,000.00.
  Statement jan = Compute(Month(1, plan, {Won("e-1", At(1, 10), "D1", 20'000'00)}));
  EXPECT_THAT(Kinds(jan), ElementsAre(LineKind::kBase, LineKind::kDrawAdvance));
  EXPECT_THAT(Amounts(jan), ElementsAre(2'000'00, 3'000'00));
  EXPECT_EQ(jan.totals.net_payable_minor, 5'000'00);
  EXPECT_EQ(jan.carry_forward.draw_balance_minor, 3'000'00);
  // February: 60,000.00 × 10 % = 6,000.00; recover min(3,000.00, 6,000 − 5,000) = 1,000.00;
  // paid 5,000.00; balance 2,000.00.
  Statement feb =
      Compute(Month(2, plan, {Won("e-2", At(2, 10), "D2", 60'000'00)}, jan.carry_forward));
  EXPECT_THAT(Amounts(feb), ElementsAre(6'000'00, -1'000'00));
  EXPECT_EQ(feb.lines[1].kind, LineKind::kDrawRecovery);
  EXPECT_EQ(feb.totals.net_payable_minor, 5'000'00);
  EXPECT_EQ(feb.carry_forward.draw_balance_minor, 2'000'00);
  // March: 65,000.00 × 10 % = 6,500.00; recover min(2,000.00, 1,500.00) = 1,500.00; balance 500.00.
  Statement mar =
      Compute(Month(3, plan, {Won("e-3", At(3, 10), "D3", 65'000'00)}, feb.carry_forward));
  EXPECT_THAT(Amounts(mar), ElementsAre(6'500'00, -1'500'00));
  EXPECT_EQ(mar.carry_forward.draw_balance_minor, 500'00);
  // April: 70,000.00 × 10 % = 7,000.00; recover the last 500.00; paid 6,500.00; balance 0.
  Statement apr =
      Compute(Month(4, plan, {Won("e-4", At(4, 10), "D4", 70'000'00)}, mar.carry_forward));
  EXPECT_THAT(Amounts(apr), ElementsAre(7'000'00, -500'00));
  EXPECT_EQ(apr.totals.net_payable_minor, 6'500'00);
  EXPECT_EQ(apr.carry_forward.draw_balance_minor, 0);
  // Recovered 1,000 + 1,500 + 500 = the 3,000.00 advanced.
  EXPECT_EQ(feb.totals.draw_recovery_minor + mar.totals.draw_recovery_minor +
                apr.totals.draw_recovery_minor,
            jan.totals.draw_advance_minor);
}

// A non-recoverable draw tops up but is never recovered.
TEST(CommissionDrawTest, NonRecoverableDrawIsNeverRecovered) {
  CommissionPlan plan = TenPercentPlan();
  plan.draw = {DrawKind::kNonRecoverable, 5'000'00, 0};
  Statement jan = Compute(Month(1, plan, {Won("e-1", At(1, 10), "D1", 20'000'00)}));
  // 2,000.00 earned + 3,000.00 guarantee = 5,000.00; nothing to recover later.
  EXPECT_EQ(jan.totals.draw_advance_minor, 3'000'00);
  EXPECT_EQ(jan.carry_forward.draw_balance_minor, 0);
  Statement feb =
      Compute(Month(2, plan, {Won("e-2", At(2, 10), "D2", 90'000'00)}, jan.carry_forward));
  EXPECT_THAT(Amounts(feb), ElementsAre(9'000'00));
}

// The recovery per period can be limited.
TEST(CommissionDrawTest, RecoveryIsLimitedPerPeriod) {
  CommissionPlan plan = TenPercentPlan();
  plan.draw = {DrawKind::kRecoverable, 0, 400'00};
  CarryForward carried;
  carried.draw_balance_minor = 3'000'00;
  Statement st = Compute(Month(2, plan, {Won("e-2", At(2, 10), "D2", 60'000'00)}, carried));
  // 6,000.00 earned, balance 3,000.00, but at most 400.00 recovered.
  EXPECT_THAT(Amounts(st), ElementsAre(6'000'00, -400'00));
  EXPECT_EQ(st.carry_forward.draw_balance_minor, 2'600'00);
}

// ---------------------------------------------------------------------------
// Clawbacks

// A refund within the window claws back commission paid on January's
// statement on February's; a later refund outside the window does not.
TEST(CommissionClawbackTest, ClawbackAfterARefundOnTheNextStatement) {
  CommissionPlan plan = TenPercentPlan();
  plan.clawback_window_days = 30;  // 10 Jan + 30 days = 9 Feb
  // January: deal D 50,000.00 → 5,000.00 commission, issued on st-2025-1.
  Statement jan = Compute(Month(1, plan, {Won("e-won", At(1, 10), "D", 50'000'00)}));
  EXPECT_EQ(jan.totals.net_payable_minor, 5'000'00);
  ASSERT_EQ(jan.carry_forward.credits.size(), 1u);
  // February: refund of 20,000.00 on 5 Feb (in the window) and of 10,000.00 on
  // 20 Feb (outside); a new deal E 10,000.00 → 1,000.00.
  Statement feb = Compute(
      Month(2, plan,
            {Refund("e-ref1", At(2, 5), "D", 20'000'00),
             Refund("e-ref2", At(2, 20), "D", 10'000'00), Won("e-e", At(2, 12), "E", 10'000'00)},
            jan.carry_forward));
  // Clawback: 5,000.00 × 20,000.00 / 50,000.00 = 2,000.00.
  // Net: 1,000.00 − 2,000.00 = −1,000.00 → deferred to March, paid 0.
  EXPECT_THAT(Kinds(feb),
              ElementsAre(LineKind::kBase, LineKind::kClawback, LineKind::kDeferredBalance));
  EXPECT_THAT(Amounts(feb), ElementsAre(1'000'00, -2'000'00, 1'000'00));
  const StatementLine& claw = feb.lines[1];
  EXPECT_EQ(claw.event_id, "e-ref1");
  EXPECT_EQ(claw.related_event_id, "e-won");
  EXPECT_EQ(claw.original_statement_id, "st-2025-1");
  EXPECT_EQ(claw.base_minor, 20'000'00);
  EXPECT_EQ(feb.totals.clawback_minor, 2'000'00);
  EXPECT_EQ(feb.totals.net_payable_minor, 0);
  EXPECT_EQ(feb.carry_forward.negative_balance_minor, -1'000'00);
  EXPECT_THAT(feb.ignored,
              ElementsAre(testing::Field(&IgnoredFact::reason, "OUTSIDE_CLAWBACK_WINDOW")));
  // March starts with the carried −1,000.00.
  Statement mar =
      Compute(Month(3, plan, {Won("e-f", At(3, 3), "F", 30'000'00)}, feb.carry_forward));
  EXPECT_THAT(Amounts(mar), ElementsAre(3'000'00, -1'000'00));
  EXPECT_EQ(mar.totals.net_payable_minor, 2'000'00);
}

// Partial refunds that add up to the whole credit claw back exactly the whole commission.
TEST(CommissionClawbackTest, PartialRefundsTakeBackExactlyTheCommission) {
  CommissionPlan plan = Plan(TierMode::kFlat);
  plan.bands = {{0, 0, 33'333}};  // 3.3333 %
  plan.clawback_window_days = 365;
  Statement jan = Compute(Month(1, plan, {Won("e-won", At(1, 10), "D", 1'000'01)}));
  // 1,000.01 × 3.3333 % = 33.3336333 → 33.33.
  EXPECT_EQ(jan.totals.gross_minor, 33'33);
  // Three refunds of 333.33, 333.33, 333.35, taken back by cumulative rounding:
  // 3333 × 33,333 / 100,001 = 1,110.98 → 11.11;
  // 3333 × 66,666 / 100,001 = 2,221.96 → 22.22, so 22.22 − 11.11 = 11.11;
  // the whole credit → 33.33, so 33.33 − 22.22 = 11.11. The deferred balance then offsets −33.33.
  Statement feb =
      Compute(Month(2, plan,
                    {Refund("r1", At(2, 1), "D", 333'33), Refund("r2", At(2, 2), "D", 333'33),
                     Refund("r3", At(2, 3), "D", 333'35)},
                    jan.carry_forward));
  EXPECT_THAT(Amounts(feb), ElementsAre(-11'11, -11'11, -11'11, 33'33));
  EXPECT_EQ(feb.totals.clawback_minor, 33'33);
}

// A cancellation in the window claws back all remaining commission; later facts on it move nothing.
TEST(CommissionClawbackTest, CancellationClawsBackTheRemainingCommission) {
  CommissionPlan plan = TenPercentPlan();
  plan.clawback_window_days = 90;
  Statement jan = Compute(Month(1, plan, {Won("e-won", At(1, 10), "D", 50'000'00)}));
  Statement feb =
      Compute(Month(2, plan,
                    {Refund("e-ref", At(2, 1), "D", 10'000'00), Cancel("e-cancel", At(2, 2), "D"),
                     Refund("e-ref-late", At(2, 3), "D", 10'000'00)},
                    jan.carry_forward));
  // Refund: 5,000.00 × 10,000 / 50,000 = 1,000.00; cancellation: the other 4,000.00.
  EXPECT_THAT(Amounts(feb), ElementsAre(-1'000'00, -4'000'00, 5'000'00));
  EXPECT_EQ(feb.lines[1].rule, "clawback_window_days");
  EXPECT_THAT(feb.ignored, ElementsAre(testing::Field(&IgnoredFact::event_id, "e-ref-late")));
  EXPECT_THAT(feb.carry_forward.credits, IsEmpty());
}

// A deal won and cancelled in the same period is reversed on the draft itself.
TEST(CommissionClawbackTest, InPeriodCancellationReversesTheCredit) {
  Statement st = Compute(Quarter(
      Plan(TierMode::kFlat), {Won("e-a", At(7, 1), "A", 60'000'00), Cancel("e-c", At(7, 5), "A")}));
  // +60,000.00 × 2 % and −60,000.00 × 2 % (final attainment 0 %): net 0, nothing carried.
  EXPECT_THAT(Amounts(st), ElementsAre(1'200'00, -1'200'00));
  EXPECT_EQ(st.lines[1].base_minor, -60'000'00);
  EXPECT_EQ(st.totals.credited_revenue_minor, 0);
  EXPECT_EQ(st.totals.net_payable_minor, 0);
  EXPECT_THAT(st.carry_forward.credits, IsEmpty());
}

// ---------------------------------------------------------------------------
// Holds

// COLLECTION basis, hold until the first instalment: January's partial
// payment accrues commission that is held; February's payment completes the
// first instalment and releases it.
TEST(CommissionHoldTest, CollectionBasisWithHoldUntilFirstInstalment) {
  CommissionPlan plan = TenPercentPlan();
  plan.basis = CommissionBasis::kCollection;
  plan.hold = HoldRule::kUntilFirstInstalment;
  plan.clawback_window_days = 180;
  // January: payment p1 of 30,000.00 towards a 50,000.00 first instalment.
  // Accrued 30,000.00 × 10 % = 3,000.00, held (−3,000.00): paid 0.
  Statement jan = Compute(Month(1, plan,
                                {Won("e-won", At(1, 5), "D", 200'000'00),
                                 Paid("e-p1", At(1, 20), "D", "p1", 30'000'00, false)}));
  EXPECT_THAT(Kinds(jan), ElementsAre(LineKind::kBase, LineKind::kHold));
  EXPECT_THAT(Amounts(jan), ElementsAre(3'000'00, -3'000'00));
  EXPECT_EQ(jan.lines[0].source, "payments/p1");
  EXPECT_EQ(jan.totals.held_minor, 3'000'00);
  EXPECT_EQ(jan.totals.net_payable_minor, 0);
  ASSERT_EQ(jan.carry_forward.credits.size(), 1u);
  EXPECT_EQ(jan.carry_forward.credits[0].held_minor, 3'000'00);
  // The deal won is not credited on COLLECTION basis and says so.
  EXPECT_THAT(jan.ignored,
              ElementsAre(testing::Field(&IgnoredFact::reason, "NOT_CREDITED_ON_BASIS")));
  // February: payment p2 of 20,000.00 completes the first instalment:
  // accrued 20,000.00 × 10 % = 2,000.00 (not held) + release of January's 3,000.00 = 5,000.00.
  Statement feb = Compute(
      Month(2, plan, {Paid("e-p2", At(2, 3), "D", "p2", 20'000'00, true)}, jan.carry_forward));
  EXPECT_THAT(Kinds(feb), ElementsAre(LineKind::kBase, LineKind::kRelease));
  EXPECT_THAT(Amounts(feb), ElementsAre(2'000'00, 3'000'00));
  EXPECT_EQ(feb.lines[1].event_id, "e-p2");
  EXPECT_EQ(feb.lines[1].related_event_id, "e-p1");
  EXPECT_EQ(feb.lines[1].original_statement_id, "st-2025-1");
  EXPECT_EQ(feb.totals.net_payable_minor, 5'000'00);
  // A refund of p1 in March now claws back released (paid) commission:
  // 3,000.00 × 30,000 / 30,000 = 3,000.00.
  Statement mar =
      Compute(Month(3, plan, {Refund("e-r", At(3, 1), "D", 30'000'00, "p1")}, feb.carry_forward));
  EXPECT_THAT(Kinds(mar), ElementsAre(LineKind::kClawback, LineKind::kDeferredBalance));
  EXPECT_EQ(mar.totals.clawback_minor, 3'000'00);
}

// COLLECTION basis: a cancellation keeps collected commission; the refund that
// follows in a later period claws it back.
TEST(CommissionClawbackTest, CollectionBasisCancellationThenRefundNextPeriod) {
  CommissionPlan plan = TenPercentPlan();
  plan.basis = CommissionBasis::kCollection;
  plan.clawback_window_days = 120;
  // January: payment p1 40,000.00 → 4,000.00 paid.
  Statement jan = Compute(Month(1, plan, {Paid("e-p1", At(1, 20), "D", "p1", 40'000'00, true)}));
  EXPECT_EQ(jan.totals.net_payable_minor, 4'000'00);
  // February: the contract is cancelled; nothing is taken back yet.
  Statement feb = Compute(Month(2, plan, {Cancel("e-c", At(2, 3), "D")}, jan.carry_forward));
  EXPECT_THAT(feb.lines, IsEmpty());
  EXPECT_THAT(feb.ignored,
              ElementsAre(testing::Field(&IgnoredFact::reason, "COLLECTED_CASH_KEPT")));
  ASSERT_EQ(feb.carry_forward.credits.size(), 1u);
  EXPECT_TRUE(feb.carry_forward.credits[0].cancelled);
  // March: 10,000.00 refunded → 4,000.00 × 10,000 / 40,000 = 1,000.00 clawed back.
  Statement mar =
      Compute(Month(3, plan, {Refund("e-r", At(3, 2), "D", 10'000'00, "p1")}, feb.carry_forward));
  EXPECT_THAT(Kinds(mar), ElementsAre(LineKind::kClawback, LineKind::kDeferredBalance));
  EXPECT_EQ(mar.totals.clawback_minor, 1'000'00);
}

// A contract cancelled before its first instalment forfeits the held commission (no money moves).
TEST(CommissionHoldTest, CancellationForfeitsHeldCommission) {
  CommissionPlan plan = TenPercentPlan();
  plan.hold = HoldRule::kUntilFirstInstalment;
  Statement jan = Compute(Month(1, plan, {Won("e-won", At(1, 5), "D", 10'000'00)}));
  EXPECT_THAT(Amounts(jan), ElementsAre(1'000'00, -1'000'00));
  Statement feb = Compute(Month(2, plan, {Cancel("e-c", At(2, 1), "D")}, jan.carry_forward));
  ASSERT_THAT(Kinds(feb), ElementsAre(LineKind::kHoldForfeit));
  EXPECT_EQ(feb.lines[0].amount_minor, 0);
  EXPECT_EQ(feb.lines[0].base_minor, 1'000'00);
  EXPECT_THAT(feb.carry_forward.credits, IsEmpty());
}

// On BOOKING basis a payment of the first instalment in the same period means nothing is held.
TEST(CommissionHoldTest, FirstInstalmentInTheSamePeriodHoldsNothing) {
  CommissionPlan plan = TenPercentPlan();
  plan.hold = HoldRule::kUntilFirstInstalment;
  Statement st = Compute(Quarter(plan, {Won("e-won", At(7, 5), "D", 10'000'00),
                                        Paid("e-p", At(7, 9), "D", "p", 3'000'00, true)}));
  EXPECT_THAT(Amounts(st), ElementsAre(1'000'00));
  EXPECT_THAT(st.ignored, IsEmpty());
}

// ---------------------------------------------------------------------------
// Bonuses, SPIFFs, adjustments, plan versions

// Individual, team and special-contribution bonuses and a SPIFF limited to two deals.
TEST(CommissionBonusTest, BonusesAndSpiffs) {
  CommissionPlan plan = TenPercentPlan();
  plan.bonuses = {{"hit-100", BonusKind::kIndividual, 10'000, 1'000'00},
                  {"team-90", BonusKind::kTeam, 9'000, 500'00},
                  {"team-110", BonusKind::kTeam, 11'000, 700'00},
                  {"hero", BonusKind::kSpecialContribution, 0, 2'000'00}};
  Spiff spiff;
  spiff.spiff_id = "new-line";
  spiff.product_line = "pl-new";
  spiff.min_deal_amount_minor = 10'000'00;
  spiff.amount_per_deal_minor = 300'00;
  spiff.max_deals_per_period = 2;
  plan.spiffs = {spiff};
  std::vector<CreditFact> facts = {
      Won("e-1", At(7, 1), "D1", 80'000'00), Won("e-2", At(7, 2), "D2", 5'000'00),
      Won("e-3", At(7, 3), "D3", 20'000'00), Won("e-4", At(7, 4), "D4", 30'000'00)};
  for (CreditFact& f : facts) {
    f.product_line = "pl-new";
  }
  StatementInput in = Quarter(plan, facts);
  in.team_attainment_bp = 9'500;
  in.awards = {{"aw-1", "hero", 800'00, "closed the hospital group deal"}};
  Statement st = Compute(in);
  // Credited 135,000.00 (135 % ≥ 100 %): individual bonus 1,000.00.
  // Team at 95 %: team-90 500.00, not team-110.
  // Award 800.00 (≤ 2,000.00).
  // SPIFF on deals ≥ 10,000.00 of pl-new, first two in time order: D1 and D3 (D2 too small) → 2 ×
  // 300.00. Bonuses 1,000 + 500 + 800 + 300 + 300 = 2,900.00; commission 13,500.00.
  EXPECT_EQ(st.totals.gross_minor, 13'500'00);
  EXPECT_EQ(st.totals.bonus_minor, 2'900'00);
  std::vector<std::string> sources;
  for (const StatementLine& l : st.lines) {
    if (l.kind == LineKind::kBonus || l.kind == LineKind::kSpiff) {
      sources.push_back(l.source);
    }
  }
  EXPECT_THAT(sources, ElementsAre("bonuses/hit-100", "bonuses/team-90", "awards/aw-1", "deals/D1",
                                   "deals/D3"));
  EXPECT_EQ(st.totals.net_payable_minor, 16'400'00);
}

// An award above the bonus's amount, or for a bonus that is not special-contribution, is rejected.
TEST(CommissionBonusTest, BadAwardsAreRejected) {
  CommissionPlan plan = TenPercentPlan();
  plan.bonuses = {{"hero", BonusKind::kSpecialContribution, 0, 2'000'00},
                  {"hit", BonusKind::kIndividual, 10'000, 1'000'00}};
  StatementInput in = Quarter(plan, {});
  in.awards = {{"aw-1", "hero", 2'000'01, "too much"}};
  EXPECT_THAT(Fields(ComputeStatement(in).status()), ElementsAre("awards[0].amount_minor"));
  in.awards = {{"aw-1", "hit", 100, "not awardable"}};
  EXPECT_THAT(Fields(ComputeStatement(in).status()), ElementsAre("awards[0].bonus_id"));
}

// Carried adjustments (accepted disputes, post-issue changes) become lines.
TEST(CommissionAdjustmentTest, CarriedAdjustmentsBecomeLines) {
  CarryForward carried;
  carried.adjustments = {{"st-2025-6/disputes/d-1", "statements/st-2025-6/lines/3", "st-2025-6",
                          "dispute d-1 accepted: split corrected", 150'00}};
  Statement st = Compute(Month(7, TenPercentPlan(), {}, carried));
  ASSERT_THAT(Kinds(st), ElementsAre(LineKind::kAdjustment));
  EXPECT_EQ(st.lines[0].amount_minor, 150'00);
  EXPECT_EQ(st.lines[0].original_statement_id, "st-2025-6");
  EXPECT_EQ(st.totals.adjustment_minor, 150'00);
  EXPECT_THAT(st.carry_forward.adjustments, IsEmpty());
}

// A rate change mid-period: each deal is rated by the version in effect when it was won.
TEST(CommissionPlanVersionTest, EachFactIsRatedByTheVersionInEffect) {
  CommissionPlan v1 = TenPercentPlan();
  v1.bands = {{0, 0, 20'000}};
  v1.effective_until = At(8, 15, 0);
  CommissionPlan v2 = v1;
  v2.version = 2;
  v2.bands = {{0, 0, 25'000}};
  v2.effective_from = At(8, 15, 0);
  v2.effective_until = absl::InfiniteFuture();
  StatementInput in =
      Quarter(v1, {Won("e-x", At(7, 10), "X", 10'000'00), Won("e-y", At(9, 1), "Y", 10'000'00)});
  in.plan_versions = {v2, v1};  // any order
  Statement st = Compute(in);
  // X: 10,000.00 × 2 % = 200.00 (v1); Y: 10,000.00 × 2.5 % = 250.00 (v2).
  EXPECT_THAT(Amounts(st), ElementsAre(200'00, 250'00));
  EXPECT_EQ(st.lines[0].plan_version, 1);
  EXPECT_EQ(st.lines[1].plan_version, 2);
  EXPECT_EQ(st.plan_version, 2);
}

// No version in effect at the end of the period, or at a fact's time, is a precondition failure.
TEST(CommissionPlanVersionTest, NoEffectivePlanIsFailedPrecondition) {
  CommissionPlan plan = TenPercentPlan();
  plan.effective_from = At(8, 1, 0);
  auto st = ComputeStatement(Quarter(plan, {Won("e-x", At(7, 10), "X", 100)}));
  EXPECT_EQ(st.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(st.status()), "NO_EFFECTIVE_PLAN");
  plan.effective_from = absl::InfinitePast();
  plan.effective_until = At(9, 1, 0);
  st = ComputeStatement(Quarter(plan, {}));
  EXPECT_EQ(ErrorReason(st.status()), "NO_EFFECTIVE_PLAN");
}

// ---------------------------------------------------------------------------
// Events: duplicates, order

// The same event delivered twice counts once; the same id with other content is refused.
TEST(CommissionFactsTest, DuplicateEventsCountOnce) {
  CreditFact a = Won("e-a", At(7, 1), "A", 10'000'00);
  Statement st = Compute(Quarter(TenPercentPlan(), {a, a}));
  EXPECT_THAT(Amounts(st), ElementsAre(1'000'00));
  EXPECT_THAT(st.ignored, ElementsAre(testing::Field(&IgnoredFact::reason, "DUPLICATE_EVENT")));
  CreditFact b = a;
  b.amount_minor = 20'000'00;
  auto bad = ComputeStatement(Quarter(TenPercentPlan(), {a, b}));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("facts[1].event_id"));
}

// A refund of something never credited moves nothing and is reported.
TEST(CommissionFactsTest, RefundOfNothingCreditedIsReported) {
  Statement st = Compute(Quarter(TenPercentPlan(), {Refund("e-r", At(7, 1), "Z", 100)}));
  EXPECT_THAT(st.lines, IsEmpty());
  EXPECT_THAT(st.ignored, ElementsAre(testing::Field(&IgnoredFact::reason, "NOTHING_CREDITED")));
}

// ---------------------------------------------------------------------------
// Bad input

// Bands not contiguous, rates out of range and bad accelerators are named by path.
TEST(CommissionValidationTest, BadPlanNamesTheFieldPath) {
  CommissionPlan plan = Plan(TierMode::kFlat);
  plan.bands = {{0, 10'000, 20'000}, {10'000, 15'000, 30'000}, {16'000, 0, 40'000}};
  EXPECT_THAT(Fields(ValidatePlan(plan)), ElementsAre("plan.bands[2].min_attainment_bp"));
  plan = Plan(TierMode::kFlat);
  plan.bands[0].rate_millionths = 1'000'001;
  plan.bands[1].rate_millionths = -1;
  EXPECT_THAT(Fields(ValidatePlan(plan)),
              ElementsAre("plan.bands[0].rate_millionths", "plan.bands[1].rate_millionths"));
  plan = Plan(TierMode::kFlat);
  plan.bands = {{500, 10'000, 20'000}, {10'000, 9'000, 30'000}, {9'000, 20'000, 40'000}};
  EXPECT_THAT(Fields(ValidatePlan(plan)),
              ElementsAre("plan.bands[0].min_attainment_bp", "plan.bands[1].max_attainment_bp",
                          "plan.bands[2].max_attainment_bp"));
  plan = Plan(TierMode::kFlat);
  plan.accelerators = {{12'000, 1'500'000}, {11'000, 900'000}};
  EXPECT_THAT(Fields(ValidatePlan(plan)),
              ElementsAre("plan.accelerators[1].above_attainment_bp",
                          "plan.accelerators[1].multiplier_millionths"));
  plan = Plan(TierMode::kFlat);
  plan.product_line_bands = {{"pl", {{0, 5'000, 10}, {4'000, 0, 10}}}};
  EXPECT_THAT(Fields(ValidatePlan(plan, "commission_plan")),
              ElementsAre("commission_plan.product_line_bands[0].bands[1].min_attainment_bp"));
  EXPECT_EQ(ValidatePlan(Plan(TierMode::kFlat)), absl::OkStatus());
}

// Inside ComputeStatement the plan is named by its place in plan_versions.
TEST(CommissionValidationTest, BadInputToComputeStatementNamesTheField) {
  CommissionPlan plan = Plan(TierMode::kFlat);
  plan.bands[2].min_attainment_bp = 14'000;
  auto st = ComputeStatement(Quarter(plan, {}));
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(st.status()), ElementsAre("plan_versions[0].bands[2].min_attainment_bp"));

  CreditFact f = Won("e-a", At(7, 1), "A", 100);
  f.split = {{"rep-1", 600'000}, {"rep-2", 300'000}};
  st = ComputeStatement(Quarter(Plan(TierMode::kFlat), {f}));
  EXPECT_EQ(ErrorReason(st.status()), "SPLIT_NOT_100_PERCENT");
  EXPECT_THAT(Fields(st.status()), ElementsAre("facts[0].split"));

  f = Won("", At(6, 30), "", 0);
  StatementInput in = Quarter(Plan(TierMode::kFlat), {f});
  in.target_minor = 0;
  EXPECT_THAT(Fields(ComputeStatement(in).status()),
              ElementsAre("target_minor", "facts[0].event_id", "facts[0].time", "facts[0].deal_id",
                          "facts[0].amount_minor"));
}

// Overlapping versions are refused.
TEST(CommissionValidationTest, OverlappingVersionsAreRefused) {
  CommissionPlan v1 = TenPercentPlan();
  CommissionPlan v2 = v1;
  v2.version = 2;
  v2.effective_from = At(8, 1, 0);
  StatementInput in = Quarter(v1, {});
  in.plan_versions = {v1, v2};
  EXPECT_THAT(Fields(ComputeStatement(in).status()),
              ElementsAre("plan_versions[1].effective_from"));
}

// Sums that overflow int64 are reported, never wrapped.
TEST(CommissionValidationTest, OverflowIsReported) {
  std::vector<CreditFact> facts;
  for (int i = 0; i < 10'000; ++i) {
    facts.push_back(Won(absl::StrCat("e-", i), At(7, 1) + absl::Seconds(i), absl::StrCat("D", i),
                        kMaxAmountMinor));
  }
  auto st = ComputeStatement(Quarter(TenPercentPlan(), facts));
  EXPECT_EQ(ErrorReason(st.status()), "AMOUNT_OVERFLOW");
}

// ---------------------------------------------------------------------------
// Property tests (fixed seeds)

struct Generated {
  StatementInput input;
  std::map<std::string, std::vector<CreditFact>> by_deal;  // facts of each deal in order
};

// A random but valid plan, ~`deals` deals with refunds, cancellations,
// payments and splits, a carried ledger of earlier credits and balances.
Generated RandomInput(std::mt19937_64& rng, TierMode mode, int deals) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  CommissionPlan plan = Plan(mode);
  plan.basis = uniform(0, 1) == 0 ? CommissionBasis::kBooking : CommissionBasis::kCollection;
  const int bands = static_cast<int>(uniform(1, 4));
  plan.bands.clear();
  int32_t lo = 0;
  for (int b = 0; b < bands; ++b) {
    const int32_t hi = b + 1 == bands ? 0 : lo + static_cast<int32_t>(uniform(1'000, 8'000));
    plan.bands.push_back({lo, hi, uniform(0, 80'000)});
    lo = hi;
  }
  if (uniform(0, 1) == 1) {
    plan.product_line_bands = {
        {"pl-b", {{0, 9'000, uniform(0, 60'000)}, {9'000, 0, uniform(0, 90'000)}}}};
  }
  if (uniform(0, 1) == 1) {
    plan.accelerators = {{10'000, uniform(1'000'001, 2'000'000)},
                         {14'000, uniform(1'000'001, 3'000'000)}};
  }
  if (uniform(0, 2) == 0) {
    plan.decelerators = {{static_cast<int32_t>(uniform(1'000, 9'000)), uniform(0, 999'999)}};
  }
  plan.per_deal_cap_minor = uniform(0, 1) == 1 ? uniform(1, 5'000'00) : 0;
  plan.period_cap_minor = uniform(0, 1) == 1 ? uniform(1, 20'000'00) : 0;
  plan.clawback_window_days = static_cast<int32_t>(uniform(0, 120));
  plan.hold = uniform(0, 1) == 1 ? HoldRule::kUntilFirstInstalment : HoldRule::kNone;
  plan.bonuses = {
      {"ind", BonusKind::kIndividual, static_cast<int32_t>(uniform(0, 15'000)), 500'00}};
  Spiff spiff;
  spiff.spiff_id = "s";
  spiff.amount_per_deal_minor = uniform(1, 100'00);
  spiff.min_deal_amount_minor = uniform(0, 50'000'00);
  spiff.max_deals_per_period = static_cast<int32_t>(uniform(0, 3));
  plan.spiffs = {spiff};
  if (uniform(0, 1) == 1) {
    plan.draw = {uniform(0, 1) == 0 ? DrawKind::kRecoverable : DrawKind::kNonRecoverable,
                 uniform(1, 10'000'00), uniform(0, 1'000'00)};
  }

  Generated g;
  g.input = Quarter(plan, {});
  g.input.target_minor = uniform(10'000'00, 300'000'00);
  const bool collection = plan.basis == CommissionBasis::kCollection;
  int event = 0;
  auto time_after = [&](absl::Time t) {
    return std::min(t + absl::Seconds(uniform(1, 20 * 86'400)), At(9, 30, 23));
  };
  for (int d = 0; d < deals; ++d) {
    const std::string deal = absl::StrCat("D", d);
    std::vector<CreditFact> facts;
    absl::Time t = At(7, 1, 0) + absl::Seconds(uniform(0, 80 * 86'400));
    CreditFact won = Won(absl::StrCat("e", event++), t, deal, uniform(1, 80'000'00));
    won.product_line = uniform(0, 1) == 0 ? "pl-a" : "pl-b";
    if (uniform(0, 3) == 0) {
      const int64_t mine = uniform(1, 999'999);
      won.split = {{"rep-1", mine}, {"rep-2", 1'000'000 - mine}};
    }
    facts.push_back(won);
    const int payments =
        collection ? static_cast<int>(uniform(1, 3)) : static_cast<int>(uniform(0, 1));
    for (int p = 0; p < payments; ++p) {
      t = time_after(t);
      CreditFact pay = won;
      pay.event_id = absl::StrCat("e", event++);
      pay.kind = FactKind::kPaymentReceived;
      pay.time = t;
      pay.payment_id = absl::StrCat(deal, "-p", p);
      pay.amount_minor = std::max<int64_t>(1, won.amount_minor / 3);
      pay.first_instalment_received = p >= 1 || uniform(0, 1) == 1;
      facts.push_back(pay);
    }
    if (uniform(0, 4) == 0) {
      t = time_after(t);
      CreditFact refund = won;
      refund.event_id = absl::StrCat("e", event++);
      refund.kind = FactKind::kPaymentRefunded;
      refund.time = t;
      refund.payment_id = collection ? absl::StrCat(deal, "-p0") : "";
      refund.amount_minor = uniform(1, won.amount_minor);
      facts.push_back(refund);
    }
    if (uniform(0, 6) == 0) {
      t = time_after(t);
      CreditFact cancel = won;
      cancel.event_id = absl::StrCat("e", event++);
      cancel.kind = FactKind::kContractCancelled;
      cancel.time = t;
      cancel.amount_minor = 0;
      facts.push_back(cancel);
    }
    g.by_deal[deal] = facts;
    for (const CreditFact& f : facts) {
      g.input.facts.push_back(f);
    }
  }
  // Earlier credits that this period's refunds and cancellations may hit.
  for (int r = 0; r < 3; ++r) {
    const std::string deal = absl::StrCat("OLD", r);
    CreditRecord rec;
    rec.credit_key = collection ? absl::StrCat(deal, "-p0") : deal;
    rec.deal_id = deal;
    rec.payment_id = collection ? rec.credit_key : "";
    rec.statement_id = "st-q2";
    rec.plan_id = plan.plan_id;
    rec.plan_version = 1;
    rec.event_id = absl::StrCat("old-", r);
    rec.credit_time = At(6, 1);
    rec.clawback_until = At(6, 1) + absl::Hours(24 * uniform(0, 120));
    rec.credited_minor = uniform(1, 50'000'00);
    rec.commission_minor = uniform(0, 2'000'00);
    rec.held_minor = uniform(0, 1) == 1 ? rec.commission_minor : 0;
    g.input.carried.credits.push_back(rec);
    // Refunded, cancelled, or its first instalment now received (lifting a hold).
    const FactKind kinds[] = {FactKind::kPaymentRefunded, FactKind::kContractCancelled,
                              FactKind::kPaymentReceived};
    CreditFact undo = Fact(kinds[uniform(0, 2)], absl::StrCat("e", event++),
                           At(7, 1, 0) + absl::Seconds(uniform(0, 80 * 86'400)), deal,
                           uniform(1, rec.credited_minor));
    undo.payment_id = rec.payment_id;
    if (undo.kind == FactKind::kContractCancelled) {
      undo.amount_minor = 0;
    }
    if (undo.kind == FactKind::kPaymentReceived) {
      undo.payment_id = absl::StrCat(deal, "-p1");
      undo.first_instalment_received = true;
    }
    g.by_deal[deal] = {undo};
    g.input.facts.push_back(undo);
  }
  g.input.carried.negative_balance_minor = uniform(0, 1) == 1 ? -uniform(1, 3'000'00) : 0;
  g.input.carried.draw_balance_minor = uniform(0, 1) == 1 ? uniform(1, 3'000'00) : 0;
  g.input.carried.adjustments = {
      {"adj-1", "statements/st-q2/lines/1", "st-q2", "test", uniform(-500'00, 500'00)}};
  return g;
}

// Random arrival order that keeps each deal's own facts in order.
std::vector<CreditFact> Interleave(std::mt19937_64& rng,
                                   const std::map<std::string, std::vector<CreditFact>>& by_deal) {
  std::vector<std::deque<CreditFact>> queues;
  for (const auto& [deal, facts] : by_deal) {
    queues.emplace_back(facts.begin(), facts.end());
  }
  std::vector<CreditFact> out;
  while (!queues.empty()) {
    const size_t q = std::uniform_int_distribution<size_t>(0, queues.size() - 1)(rng);
    out.push_back(queues[q].front());
    queues[q].pop_front();
    if (queues[q].empty()) {
      queues.erase(queues.begin() + static_cast<std::ptrdiff_t>(q));
    }
  }
  return out;
}

// Totals are the exact sums of their lines, by kind and overall.
TEST(CommissionPropertyTest, TotalsEqualTheSumOfTheirLines) {
  std::mt19937_64 rng(13);
  std::map<LineKind, int> seen;
  for (int round = 0; round < 400; ++round) {
    const TierMode mode = static_cast<TierMode>(1 + round % 3);
    Generated g = RandomInput(rng, mode, 1 + round % 40);
    absl::StatusOr<Statement> st = ComputeStatement(g.input);
    ASSERT_TRUE(st.ok()) << st.status();
    std::map<LineKind, int64_t> by_kind;
    int64_t all = 0;
    for (size_t i = 0; i < st->lines.size(); ++i) {
      ASSERT_EQ(st->lines[i].line_no, static_cast<int32_t>(i + 1));
      by_kind[st->lines[i].kind] += st->lines[i].amount_minor;
      all += st->lines[i].amount_minor;
      ++seen[st->lines[i].kind];
      if (st->lines[i].kind == LineKind::kHoldForfeit) {
        ASSERT_EQ(st->lines[i].amount_minor, 0);
      }
    }
    const StatementTotals& t = st->totals;
    ASSERT_EQ(t.net_payable_minor, all);
    ASSERT_GE(t.net_payable_minor, 0);
    ASSERT_EQ(t.gross_minor, by_kind[LineKind::kBase] + by_kind[LineKind::kAccelerator] +
                                 by_kind[LineKind::kDecelerator] +
                                 by_kind[LineKind::kRetroAdjustment]);
    ASSERT_EQ(t.cap_reduction_minor, -by_kind[LineKind::kCap]);
    ASSERT_EQ(t.held_minor, -by_kind[LineKind::kHold]);
    ASSERT_EQ(t.released_minor, by_kind[LineKind::kRelease]);
    ASSERT_EQ(t.clawback_minor, -by_kind[LineKind::kClawback]);
    ASSERT_EQ(t.bonus_minor, by_kind[LineKind::kBonus] + by_kind[LineKind::kSpiff]);
    ASSERT_EQ(t.adjustment_minor, by_kind[LineKind::kAdjustment]);
    ASSERT_EQ(t.carried_balance_minor, by_kind[LineKind::kCarriedBalance]);
    ASSERT_EQ(t.draw_advance_minor, by_kind[LineKind::kDrawAdvance]);
    ASSERT_EQ(t.draw_recovery_minor, -by_kind[LineKind::kDrawRecovery]);
    ASSERT_EQ(t.deferred_balance_minor, by_kind[LineKind::kDeferredBalance]);
    ASSERT_EQ(t.net_payable_minor,
              t.gross_minor - t.cap_reduction_minor - t.held_minor + t.released_minor -
                  t.clawback_minor + t.bonus_minor + t.adjustment_minor + t.carried_balance_minor +
                  t.draw_advance_minor - t.draw_recovery_minor + t.deferred_balance_minor);
  }
  // The generator reaches every kind of line, so the checks above cover them all.
  for (int kind = 1; kind <= 16; ++kind) {
    EXPECT_GT(seen[static_cast<LineKind>(kind)], 0)
        << "no " << LineKindName(static_cast<LineKind>(kind)) << " line generated";
  }
}

// The same facts in any arrival order (each deal's own order kept, or fully
// shuffled) give the same statement, line for line.
TEST(CommissionPropertyTest, ArrivalOrderDoesNotChangeTheStatement) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 300; ++round) {
    Generated g = RandomInput(rng, static_cast<TierMode>(1 + round % 3), 1 + round % 30);
    const std::string expected = Dump(Compute(g.input));
    StatementInput shuffled = g.input;
    shuffled.facts = Interleave(rng, g.by_deal);
    ASSERT_EQ(Dump(Compute(shuffled)), expected) << "round " << round;
    std::shuffle(shuffled.facts.begin(), shuffled.facts.end(), rng);
    std::shuffle(shuffled.carried.credits.begin(), shuffled.carried.credits.end(), rng);
    ASSERT_EQ(Dump(Compute(shuffled)), expected) << "round " << round;
  }
}

// FLAT and RETROACTIVE end at the same total (and the same per-deal
// commission) for any plan and facts; MARGINAL never pays more than FLAT
// without accelerators when rates ascend.
TEST(CommissionPropertyTest, FlatAndRetroactiveEndAtTheSameTotal) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 400; ++round) {
    Generated g = RandomInput(rng, TierMode::kFlat, 1 + round % 40);
    Statement flat = Compute(g.input);
    StatementInput retro_in = g.input;
    retro_in.plan_versions[0].tier_mode = TierMode::kRetroactive;
    Statement retro = Compute(retro_in);
    ASSERT_EQ(flat.totals.gross_minor, retro.totals.gross_minor) << "round " << round;
    ASSERT_EQ(flat.totals.cap_reduction_minor, retro.totals.cap_reduction_minor);
    ASSERT_EQ(flat.totals.net_payable_minor, retro.totals.net_payable_minor);
    std::map<std::string, int64_t> flat_deal, retro_deal;
    for (const StatementLine& l : flat.lines) {
      flat_deal[l.deal_id] += l.amount_minor;
    }
    for (const StatementLine& l : retro.lines) {
      retro_deal[l.deal_id] += l.amount_minor;
    }
    ASSERT_EQ(flat_deal, retro_deal) << "round " << round;
  }
}

// Recomputing the same input gives the same statement (statements are recomputable).
TEST(CommissionPropertyTest, RecomputationIsIdentical) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 50; ++round) {
    Generated g = RandomInput(rng, static_cast<TierMode>(1 + round % 3), 20);
    ASSERT_EQ(Dump(Compute(g.input)), Dump(Compute(g.input)));
  }
}

}  // namespace
}  // namespace salesops::performance
