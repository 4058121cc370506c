// Tests for contracts: schedule validation, the state machine, payments and
// refunds applied to instalments with exact splits, overdue detection and the
// next open due date.
#include "services/customers/domain/contracts.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::customers {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

salesops::common::v1::Date D(int y, int m, int d) {
  salesops::common::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

void AddInstalment(v1::Contract& c, const std::string& id, salesops::common::v1::Date due,
                   int64_t amount, const std::string& currency = "CNY") {
  v1::Instalment* in = c.mutable_payment_schedule()->add_instalments();
  in->set_instalment_id(id);
  *in->mutable_due_date() = due;
  in->mutable_amount()->set_amount_minor(amount);
  in->mutable_amount()->set_currency_code(currency);
}

// ¥1,000.00 in three instalments (300 + 300 + 400), signed.
v1::Contract SignedContract() {
  v1::Contract c;
  c.set_title("2026 年度服务合同");
  c.set_contract_number("HT-2026-001");
  c.mutable_amount()->set_amount_minor(100'000);
  c.mutable_amount()->set_currency_code("CNY");
  *c.mutable_start_date() = D(2026, 1, 1);
  *c.mutable_end_date() = D(2026, 12, 31);
  c.set_state(v1::CONTRACT_STATE_SIGNED);
  AddInstalment(c, "1", D(2026, 1, 31), 30'000);
  AddInstalment(c, "2", D(2026, 2, 28), 30'000);
  AddInstalment(c, "3", D(2026, 3, 31), 40'000);
  return c;
}

v1::Payment Pay(int64_t amount, const std::string& instalment = "",
                const std::string& currency = "CNY") {
  v1::Payment p;
  p.set_instalment_id(instalment);
  p.mutable_amount()->set_amount_minor(amount);
  p.mutable_amount()->set_currency_code(currency);
  *p.mutable_received_date() = D(2026, 1, 20);
  p.set_reference("BANK-1");
  return p;
}

const absl::CivilDay kToday(2026, 1, 20);

struct Split {
  std::string id;
  int64_t amount;
  v1::InstalmentState state;
};
std::vector<Split> Splits(const std::vector<PaymentApplied>& applied) {
  std::vector<Split> out;
  for (const auto& a : applied) {
    out.push_back({a.instalment_id, a.amount_minor, a.state_after});
  }
  return out;
}
bool operator==(const Split& a, const Split& b) {
  return a.id == b.id && a.amount == b.amount && a.state == b.state;
}
std::ostream& operator<<(std::ostream& os, const Split& s) {
  return os << "{" << s.id << ", " << s.amount << ", " << v1::InstalmentState_Name(s.state) << "}";
}

int64_t Received(const v1::Contract& c, int i) {
  return c.payment_schedule().instalments(i).received_amount().amount_minor();
}
v1::InstalmentState StateOf(const v1::Contract& c, int i) {
  return c.payment_schedule().instalments(i).state();
}

// ---- Validation -----------------------------------------------------------

TEST(ContractValidationTest, WellFormedContractIsValid) {
  const absl::Status s = ValidateNewContract(SignedContract());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ContractValidationTest, InstalmentsNotSummingToTheAmountNameTheSchedule) {
  v1::Contract c = SignedContract();
  c.mutable_amount()->set_amount_minor(100'001);
  const absl::Status s = ValidateNewContract(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
  EXPECT_THAT(Fields(s), ElementsAre("contract.payment_schedule.instalments"));
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("100000"));
}

TEST(ContractValidationTest, InstalmentSumOverflowIsReportedNotWrapped) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  v1::Contract c = SignedContract();
  c.mutable_payment_schedule()->clear_instalments();
  c.mutable_amount()->set_amount_minor(max);
  AddInstalment(c, "1", D(2026, 1, 31), max);
  AddInstalment(c, "2", D(2026, 2, 28), 2);
  // Wrapped, max + 2 would be negative; it must not be accepted for any amount
  // (and the amount itself is over the cap).
  const absl::Status s = ValidateNewContract(c);
  EXPECT_THAT(Fields(s), testing::Contains("contract.payment_schedule.instalments"));
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("more than int64"));
}

TEST(ContractValidationTest, DuplicateInstalmentIdNamesTheSecondInstalment) {
  v1::Contract c = SignedContract();
  c.mutable_payment_schedule()->mutable_instalments(1)->set_instalment_id("1");
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.payment_schedule.instalments[1].instalment_id"));
}

TEST(ContractValidationTest, EmptyOrTooLongInstalmentIdIsNamed) {
  v1::Contract c = SignedContract();
  c.mutable_payment_schedule()->mutable_instalments(0)->clear_instalment_id();
  c.mutable_payment_schedule()->mutable_instalments(2)->set_instalment_id(std::string(33, 'x'));
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.payment_schedule.instalments[0].instalment_id",
                          "contract.payment_schedule.instalments[2].instalment_id"));
}

TEST(ContractValidationTest, DueDatesOutOfOrderNameTheLaterInstalment) {
  v1::Contract c = SignedContract();
  *c.mutable_payment_schedule()->mutable_instalments(2)->mutable_due_date() = D(2026, 2, 27);
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.payment_schedule.instalments[2].due_date"));
}

TEST(ContractValidationTest, EqualDueDatesAreAllowed) {
  v1::Contract c = SignedContract();
  *c.mutable_payment_schedule()->mutable_instalments(2)->mutable_due_date() = D(2026, 2, 28);
  EXPECT_TRUE(ValidateNewContract(c).ok());
}

TEST(ContractValidationTest, InvalidOrMissingDueDateIsNamed) {
  v1::Contract c = SignedContract();
  *c.mutable_payment_schedule()->mutable_instalments(1)->mutable_due_date() = D(2026, 2, 30);
  c.mutable_payment_schedule()->mutable_instalments(2)->clear_due_date();
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.payment_schedule.instalments[1].due_date",
                          "contract.payment_schedule.instalments[2].due_date"));
}

TEST(ContractValidationTest, InstalmentInAnotherCurrencyNamesItsCurrencyCode) {
  v1::Contract c = SignedContract();
  c.mutable_payment_schedule()->mutable_instalments(1)->mutable_amount()->set_currency_code("USD");
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.payment_schedule.instalments[1].amount.currency_code"));
}

TEST(ContractValidationTest, NonPositiveInstalmentAmountIsNamed) {
  v1::Contract c = SignedContract();
  c.mutable_payment_schedule()->mutable_instalments(0)->mutable_amount()->set_amount_minor(0);
  c.mutable_amount()->set_amount_minor(70'000);  // keep the sum right
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.payment_schedule.instalments[0].amount.amount_minor"));
}

TEST(ContractValidationTest, EndBeforeStartNamesEndDate) {
  v1::Contract c = SignedContract();
  *c.mutable_end_date() = D(2025, 12, 31);
  const absl::Status s = ValidateNewContract(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("contract.end_date"));
}

TEST(ContractValidationTest, EndOnTheStartDayIsAllowed) {
  v1::Contract c = SignedContract();
  *c.mutable_end_date() = D(2026, 1, 1);
  EXPECT_TRUE(ValidateNewContract(c).ok());
}

TEST(ContractValidationTest, InvalidServiceDatesAreNamed) {
  v1::Contract c = SignedContract();
  *c.mutable_start_date() = D(2026, 2, 29);
  *c.mutable_end_date() = D(2026, 13, 1);
  EXPECT_THAT(Fields(ValidateNewContract(c)),
              ElementsAre("contract.start_date", "contract.end_date"));
}

TEST(ContractValidationTest, NoInstalmentsNamesTheSchedule) {
  v1::Contract c = SignedContract();
  c.mutable_payment_schedule()->clear_instalments();
  EXPECT_THAT(Fields(ValidateNewContract(c)), ElementsAre("contract.payment_schedule.instalments"));
}

TEST(ContractValidationTest, TitleAndAmountProblemsAreNamed) {
  v1::Contract c = SignedContract();
  c.clear_title();
  EXPECT_THAT(Fields(ValidateNewContract(c)), ElementsAre("contract.title"));
  c = SignedContract();
  c.mutable_amount()->clear_currency_code();
  const std::vector<std::string> f = Fields(ValidateNewContract(c));
  EXPECT_THAT(f, Contains("contract.amount.currency_code"));
  // Every instalment is now in a different currency from the contract.
  EXPECT_THAT(f, Contains("contract.payment_schedule.instalments[0].amount.currency_code"));
}

// ---- State machine ----------------------------------------------------------

TEST(ContractTransitionTest, OnlyTheDocumentedTransitionsAreAllowed) {
  const v1::ContractState states[] = {v1::CONTRACT_STATE_UNSPECIFIED, v1::CONTRACT_STATE_DRAFT,
                                      v1::CONTRACT_STATE_SIGNED,      v1::CONTRACT_STATE_ACTIVE,
                                      v1::CONTRACT_STATE_CLOSED,      v1::CONTRACT_STATE_CANCELLED};
  auto allowed = [](v1::ContractState from, v1::ContractState to) {
    using S = v1::ContractState;
    const std::pair<S, S> ok[] = {{v1::CONTRACT_STATE_DRAFT, v1::CONTRACT_STATE_SIGNED},
                                  {v1::CONTRACT_STATE_SIGNED, v1::CONTRACT_STATE_CANCELLED},
                                  {v1::CONTRACT_STATE_ACTIVE, v1::CONTRACT_STATE_CANCELLED},
                                  {v1::CONTRACT_STATE_SIGNED, v1::CONTRACT_STATE_CLOSED},
                                  {v1::CONTRACT_STATE_ACTIVE, v1::CONTRACT_STATE_CLOSED}};
    for (const auto& [f, t] : ok) {
      if (f == from && t == to) {
        return true;
      }
    }
    return false;
  };
  for (v1::ContractState from : states) {
    for (v1::ContractState to : states) {
      SCOPED_TRACE(v1::ContractState_Name(from) + " -> " + v1::ContractState_Name(to));
      const absl::Status s = CheckContractTransition(from, to);
      if (allowed(from, to)) {
        EXPECT_TRUE(s.ok()) << s;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(ErrorReason(s), "CONTRACT_STATE");
      }
    }
  }
}

// ---- Payments ---------------------------------------------------------------

TEST(ContractPaymentTest, PartialPaymentToANamedInstalment) {
  v1::Contract c = SignedContract();
  absl::StatusOr<std::vector<PaymentApplied>> r = ApplyPayment(c, Pay(10'000, "2"), kToday);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"2", 10'000, v1::INSTALMENT_STATE_DUE}));
  EXPECT_EQ(Received(c, 0), 0);
  EXPECT_EQ(Received(c, 1), 10'000);
  EXPECT_EQ(c.payment_schedule().instalments(1).received_amount().currency_code(), "CNY");
  EXPECT_FALSE(c.payment_schedule().instalments(1).has_received_date());
  EXPECT_EQ(c.received_total().amount_minor(), 10'000);
  EXPECT_EQ(c.received_total().currency_code(), "CNY");
  ASSERT_EQ(c.payments_size(), 1);
  EXPECT_FALSE(c.payments(0).refund());
  EXPECT_EQ(c.payments(0).reference(), "BANK-1");
  EXPECT_EQ(c.payments(0).instalment_id(), "2");
}

TEST(ContractPaymentTest, FullPaymentMarksTheInstalmentReceivedWithThePaymentDate) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(30'000, "1"), kToday).ok());
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_RECEIVED);
  EXPECT_EQ(ToCivil(c.payment_schedule().instalments(0).received_date()),
            absl::CivilDay(2026, 1, 20));
  EXPECT_EQ(StateOf(c, 1), v1::INSTALMENT_STATE_DUE);
  EXPECT_EQ(StateOf(c, 2), v1::INSTALMENT_STATE_DUE);
}

TEST(ContractPaymentTest, UnnamedPaymentGoesToTheOldestInstalmentsWithExactSplits) {
  v1::Contract c = SignedContract();
  absl::StatusOr<std::vector<PaymentApplied>> r = ApplyPayment(c, Pay(70'000), kToday);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"1", 30'000, v1::INSTALMENT_STATE_RECEIVED},
                                      Split{"2", 30'000, v1::INSTALMENT_STATE_RECEIVED},
                                      Split{"3", 10'000, v1::INSTALMENT_STATE_DUE}));
  EXPECT_EQ(Received(c, 0), 30'000);
  EXPECT_EQ(Received(c, 1), 30'000);
  EXPECT_EQ(Received(c, 2), 10'000);
  EXPECT_EQ(c.received_total().amount_minor(), 70'000);
  EXPECT_EQ(Outstanding(c.payment_schedule().instalments(2)), 30'000);
}

TEST(ContractPaymentTest, UnnamedPaymentFillsAPartlyPaidInstalmentFirst) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(10'000, "1"), kToday).ok());
  absl::StatusOr<std::vector<PaymentApplied>> r = ApplyPayment(c, Pay(25'000), kToday);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"1", 20'000, v1::INSTALMENT_STATE_RECEIVED},
                                      Split{"2", 5'000, v1::INSTALMENT_STATE_DUE}));
  EXPECT_EQ(c.received_total().amount_minor(), 35'000);
  EXPECT_EQ(c.payments_size(), 2);
}

TEST(ContractPaymentTest, UnnamedPaymentSkipsFullyPaidInstalments) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(30'000, "2"), kToday).ok());
  absl::StatusOr<std::vector<PaymentApplied>> r = ApplyPayment(c, Pay(50'000), kToday);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"1", 30'000, v1::INSTALMENT_STATE_RECEIVED},
                                      Split{"3", 20'000, v1::INSTALMENT_STATE_DUE}));
}

TEST(ContractPaymentTest, PayingEverythingReceivesEveryInstalment) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(100'000), kToday).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(StateOf(c, i), v1::INSTALMENT_STATE_RECEIVED) << i;
  }
  EXPECT_EQ(c.received_total().amount_minor(), 100'000);
  EXPECT_FALSE(NextOpenDueDate(c).has_value());
}

TEST(ContractPaymentTest, OverpaymentIsPaymentExceedsOutstandingAndChangesNothing) {
  v1::Contract c = SignedContract();
  const std::string before = c.SerializeAsString();
  const absl::Status s = ApplyPayment(c, Pay(100'001), kToday).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "PAYMENT_EXCEEDS_OUTSTANDING");
  EXPECT_EQ(c.SerializeAsString(), before);
}

TEST(ContractPaymentTest, OverpayingANamedInstalmentIsRejectedEvenIfTheContractOwesMore) {
  v1::Contract c = SignedContract();
  const absl::Status s = ApplyPayment(c, Pay(30'001, "1"), kToday).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "PAYMENT_EXCEEDS_OUTSTANDING");
  EXPECT_EQ(Received(c, 0), 0);
}

TEST(ContractPaymentTest, PaymentAfterTheRestIsPaidExceedsOutstanding) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(90'000), kToday).ok());
  EXPECT_EQ(ErrorReason(ApplyPayment(c, Pay(10'001), kToday).status()),
            "PAYMENT_EXCEEDS_OUTSTANDING");
  EXPECT_TRUE(ApplyPayment(c, Pay(10'000), kToday).ok());
}

TEST(ContractPaymentTest, WrongCurrencyNamesPaymentCurrencyCode) {
  v1::Contract c = SignedContract();
  const absl::Status s = ApplyPayment(c, Pay(1'000, "", "USD"), kToday).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("payment.amount.currency_code"));
  EXPECT_EQ(c.payments_size(), 0);
}

TEST(ContractPaymentTest, UnknownInstalmentNamesPaymentInstalmentId) {
  v1::Contract c = SignedContract();
  const absl::Status s = ApplyPayment(c, Pay(1'000, "9"), kToday).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("payment.instalment_id"));
}

TEST(ContractPaymentTest, NonPositiveAmountAndBadDateAreNamed) {
  v1::Contract c = SignedContract();
  v1::Payment p = Pay(0);
  *p.mutable_received_date() = D(2026, 2, 30);
  EXPECT_THAT(Fields(ApplyPayment(c, p, kToday).status()),
              ElementsAre("payment.amount.amount_minor", "payment.received_date"));
}

TEST(ContractPaymentTest, DraftOrCancelledContractIsContractState) {
  for (v1::ContractState state :
       {v1::CONTRACT_STATE_DRAFT, v1::CONTRACT_STATE_CANCELLED, v1::CONTRACT_STATE_UNSPECIFIED}) {
    SCOPED_TRACE(v1::ContractState_Name(state));
    v1::Contract c = SignedContract();
    c.set_state(state);
    const absl::Status s = ApplyPayment(c, Pay(1'000), kToday).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorReason(s), "CONTRACT_STATE");
    EXPECT_EQ(Received(c, 0), 0);
  }
}

TEST(ContractPaymentTest, ActiveContractTakesPayments) {
  v1::Contract c = SignedContract();
  c.set_state(v1::CONTRACT_STATE_ACTIVE);
  EXPECT_TRUE(ApplyPayment(c, Pay(1'000), kToday).ok());
}

TEST(ContractPaymentTest, PartPaymentOfAPastDueInstalmentLeavesItOverdue) {
  v1::Contract c = SignedContract();
  absl::StatusOr<std::vector<PaymentApplied>> r =
      ApplyPayment(c, Pay(10'000, "1"), absl::CivilDay(2026, 2, 5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"1", 10'000, v1::INSTALMENT_STATE_OVERDUE}));
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_OVERDUE);
}

// ---- Refunds ----------------------------------------------------------------

TEST(ContractRefundTest, UnnamedRefundTakesNewestMoneyFirst) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(70'000), kToday).ok());  // 30k + 30k + 10k
  absl::StatusOr<std::vector<PaymentApplied>> r = ApplyRefund(c, Pay(15'000), kToday);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"3", 10'000, v1::INSTALMENT_STATE_DUE},
                                      Split{"2", 5'000, v1::INSTALMENT_STATE_DUE}));
  EXPECT_EQ(Received(c, 0), 30'000);
  EXPECT_EQ(Received(c, 1), 25'000);
  EXPECT_EQ(Received(c, 2), 0);
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_RECEIVED);
  EXPECT_EQ(StateOf(c, 1), v1::INSTALMENT_STATE_DUE);
  EXPECT_FALSE(c.payment_schedule().instalments(1).has_received_date());
  EXPECT_TRUE(c.payment_schedule().instalments(0).has_received_date());
  EXPECT_EQ(c.received_total().amount_minor(), 55'000);
  ASSERT_EQ(c.payments_size(), 2);
  EXPECT_FALSE(c.payments(0).refund());
  EXPECT_TRUE(c.payments(1).refund());
}

TEST(ContractRefundTest, NamedRefundTakesOnlyFromThatInstalment) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(70'000), kToday).ok());
  absl::StatusOr<std::vector<PaymentApplied>> r = ApplyRefund(c, Pay(5'000, "1"), kToday);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"1", 5'000, v1::INSTALMENT_STATE_DUE}));
  EXPECT_EQ(Received(c, 0), 25'000);
  EXPECT_EQ(Received(c, 2), 10'000);
  EXPECT_EQ(c.received_total().amount_minor(), 65'000);
}

TEST(ContractRefundTest, RefundMoreThanReceivedIsRefundExceedsReceived) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(70'000), kToday).ok());
  const std::string before = c.SerializeAsString();
  absl::Status s = ApplyRefund(c, Pay(70'001), kToday).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "REFUND_EXCEEDS_RECEIVED");
  s = ApplyRefund(c, Pay(10'001, "3"), kToday).status();  // instalment 3 received 10k
  EXPECT_EQ(ErrorReason(s), "REFUND_EXCEEDS_RECEIVED");
  EXPECT_EQ(c.SerializeAsString(), before);
}

TEST(ContractRefundTest, RefundOnANewContractExceedsReceived) {
  v1::Contract c = SignedContract();
  EXPECT_EQ(ErrorReason(ApplyRefund(c, Pay(1), kToday).status()), "REFUND_EXCEEDS_RECEIVED");
}

TEST(ContractRefundTest, RefundInputIsValidatedUnderTheRefundField) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(1'000), kToday).ok());
  EXPECT_THAT(Fields(ApplyRefund(c, Pay(100, "", "EUR"), kToday).status()),
              ElementsAre("refund.amount.currency_code"));
  EXPECT_THAT(Fields(ApplyRefund(c, Pay(100, "x"), kToday).status()),
              ElementsAre("refund.instalment_id"));
}

TEST(ContractRefundTest, RefundOfAPastDueInstalmentMakesItOverdueAgain) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(30'000, "1"), kToday).ok());
  absl::StatusOr<std::vector<PaymentApplied>> r =
      ApplyRefund(c, Pay(1'000, "1"), absl::CivilDay(2026, 3, 1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Splits(*r), ElementsAre(Split{"1", 1'000, v1::INSTALMENT_STATE_OVERDUE}));
}

// ---- Overdue detection --------------------------------------------------------

TEST(ContractOverdueTest, RefreshReportsNewlyOverdueInstalmentsOnce) {
  v1::Contract c = SignedContract();
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 1, 31)), IsEmpty());  // due today
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_DUE);
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 2, 1)), ElementsAre("1"));
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_OVERDUE);
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 2, 1)), IsEmpty());
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 3, 1)), ElementsAre("2"));
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 6, 1)), ElementsAre("3"));
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 6, 2)), IsEmpty());
}

TEST(ContractOverdueTest, SeveralInstalmentsCanTurnOverdueTogether) {
  v1::Contract c = SignedContract();
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 3, 1)), ElementsAre("1", "2"));
}

TEST(ContractOverdueTest, ReceivedInstalmentsNeverTurnOverdue) {
  v1::Contract c = SignedContract();
  ASSERT_TRUE(ApplyPayment(c, Pay(30'000, "1"), kToday).ok());
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 2, 10)), IsEmpty());
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_RECEIVED);
}

TEST(ContractOverdueTest, PayingAnOverdueInstalmentReceivesIt) {
  v1::Contract c = SignedContract();
  ASSERT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 2, 1)), ElementsAre("1"));
  ASSERT_TRUE(ApplyPayment(c, Pay(30'000, "1"), absl::CivilDay(2026, 2, 2)).ok());
  EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_RECEIVED);
  EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2026, 2, 3)), IsEmpty());
}

TEST(ContractOverdueTest, DraftAndCancelledContractsRaiseNothing) {
  for (v1::ContractState state : {v1::CONTRACT_STATE_DRAFT, v1::CONTRACT_STATE_CANCELLED}) {
    v1::Contract c = SignedContract();
    c.set_state(state);
    EXPECT_THAT(RefreshInstalmentStates(c, absl::CivilDay(2027, 1, 1)), IsEmpty())
        << v1::ContractState_Name(state);
    EXPECT_EQ(StateOf(c, 0), v1::INSTALMENT_STATE_UNSPECIFIED);
  }
}

TEST(ContractOverdueTest, NextOpenDueDateIsTheEarliestNotFullyReceived) {
  v1::Contract c = SignedContract();
  EXPECT_EQ(NextOpenDueDate(c), absl::CivilDay(2026, 1, 31));
  ASSERT_TRUE(ApplyPayment(c, Pay(29'999, "1"), kToday).ok());
  EXPECT_EQ(NextOpenDueDate(c), absl::CivilDay(2026, 1, 31));  // one fen still open
  ASSERT_TRUE(ApplyPayment(c, Pay(1, "1"), kToday).ok());
  EXPECT_EQ(NextOpenDueDate(c), absl::CivilDay(2026, 2, 28));
  ASSERT_TRUE(ApplyPayment(c, Pay(30'000, "2"), kToday).ok());
  EXPECT_EQ(NextOpenDueDate(c), absl::CivilDay(2026, 3, 31));
  ASSERT_TRUE(ApplyPayment(c, Pay(40'000, "3"), kToday).ok());
  EXPECT_EQ(NextOpenDueDate(c), std::nullopt);
}

TEST(ContractOverdueTest, NextOpenDueDateOfAnEmptyScheduleIsNone) {
  EXPECT_EQ(NextOpenDueDate(v1::Contract()), std::nullopt);
}

// ---- Dates ------------------------------------------------------------------

TEST(ContractDateTest, IsValidDateAcceptsRealCalendarDatesOnly) {
  EXPECT_TRUE(IsValidDate(D(2024, 2, 29)));
  EXPECT_TRUE(IsValidDate(D(1970, 1, 1)));
  EXPECT_TRUE(IsValidDate(D(2200, 12, 31)));
  EXPECT_FALSE(IsValidDate(D(2026, 2, 29)));
  EXPECT_FALSE(IsValidDate(D(2026, 2, 30)));
  EXPECT_FALSE(IsValidDate(D(2026, 13, 1)));
  EXPECT_FALSE(IsValidDate(D(2026, 1, 0)));
  EXPECT_FALSE(IsValidDate(D(1969, 12, 31)));
  EXPECT_FALSE(IsValidDate(D(2201, 1, 1)));
  EXPECT_FALSE(IsValidDate(salesops::common::v1::Date()));
}

TEST(ContractDateTest, ToDateAndToCivilRoundTrip) {
  const absl::CivilDay d(2026, 7, 9);
  const salesops::common::v1::Date p = ToDate(d);
  EXPECT_EQ(p.year(), 2026);
  EXPECT_EQ(p.month(), 7);
  EXPECT_EQ(p.day(), 9);
  EXPECT_EQ(ToCivil(p), d);
}

}  // namespace
}  // namespace salesops::customers
