// Contracts and their payment schedules: the state machine (draft → signed →
// active → closed, or cancelled after signing), schedule validation (amounts
// sum exactly to the contract amount, due dates ordered), applying payments
// and refunds to instalments, and overdue detection. Pure functions over the
// resource protos.
//
//   SALESOPS_RETURN_IF_ERROR(ValidateNewContract(contract));
//   SALESOPS_ASSIGN_OR_RETURN(std::vector<PaymentApplied> applied,
//                             ApplyPayment(contract, payment, today));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

absl::CivilDay ToCivil(const salesops::common::v1::Date& d);
salesops::common::v1::Date ToDate(absl::CivilDay d);
// A set, real calendar date (not 2026-02-30).
bool IsValidDate(const salesops::common::v1::Date& d);

// Field checks for CreateContract ("contract.<field>"): title, amount,
// dates (end not before start), schedule (ids unique, each amount positive
// and in the contract currency, due dates ascending, sum exactly the amount).
absl::Status ValidateNewContract(const v1::Contract& contract);

// FAILED_PRECONDITION CONTRACT_STATE unless the transition is allowed:
// sign from DRAFT; cancel from SIGNED/ACTIVE; close from SIGNED/ACTIVE.
absl::Status CheckContractTransition(v1::ContractState from, v1::ContractState to);

// How much of one payment went to which instalment.
struct PaymentApplied {
  std::string instalment_id;
  int64_t amount_minor = 0;
  v1::InstalmentState state_after = v1::INSTALMENT_STATE_UNSPECIFIED;
};

// Applies a payment to the named instalment, or to the oldest open ones in
// order. INVALID_ARGUMENT for a bad amount/currency/date or unknown
// instalment; FAILED_PRECONDITION PAYMENT_EXCEEDS_OUTSTANDING when more is
// paid than is owed, CONTRACT_STATE when the contract is not signed/active.
// Updates instalments, received_total and appends to payments.
absl::StatusOr<std::vector<PaymentApplied>> ApplyPayment(v1::Contract& contract,
                                                         const v1::Payment& payment,
                                                         absl::CivilDay today);
// Takes a refund back from the named instalment (or the most recently paid
// ones). FAILED_PRECONDITION REFUND_EXCEEDS_RECEIVED when more is refunded
// than was received.
absl::StatusOr<std::vector<PaymentApplied>> ApplyRefund(v1::Contract& contract,
                                                        const v1::Payment& refund,
                                                        absl::CivilDay today);

// Recomputes every instalment's state at `today`; returns the ids that turned
// OVERDUE by this call (so each instalment raises PaymentOverdue once).
std::vector<std::string> RefreshInstalmentStates(v1::Contract& contract, absl::CivilDay today);

// The earliest due date of an instalment not fully received (nullopt if none).
std::optional<absl::CivilDay> NextOpenDueDate(const v1::Contract& contract);
int64_t Outstanding(const v1::Instalment& inst);

}  // namespace salesops::customers
