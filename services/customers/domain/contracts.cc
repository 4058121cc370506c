#include "services/customers/domain/contracts.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validation.h"
#include "services/customers/domain/pipeline.h"

namespace salesops::customers {

absl::CivilDay ToCivil(const salesops::common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

salesops::common::v1::Date ToDate(absl::CivilDay d) {
  salesops::common::v1::Date out;
  out.set_year(static_cast<int32_t>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

bool IsValidDate(const salesops::common::v1::Date& d) {
  if (d.year() < 1970 || d.year() > 2200) {
    return false;
  }
  absl::CivilDay c(d.year(), d.month(), d.day());
  return c.year() == d.year() && c.month() == d.month() && c.day() == d.day();
}

absl::Status ValidateNewContract(const v1::Contract& c) {
  Violations v;
  CheckText(v, "contract.title", c.title(), 1, 200);
  CheckText(v, "contract.contract_number", c.contract_number(), 0, 64);
  CheckMoney(v, "contract.amount", {c.amount().amount_minor(), c.amount().currency_code()},
             MoneyRule::kPositive);
  if (c.amount().amount_minor() > kMaxDealAmountMinor) {
    v.Add("contract.amount.amount_minor", "is implausibly large (over 10^14 minor units)");
  }
  const bool has_start = c.has_start_date(), has_end = c.has_end_date();
  if (has_start && !IsValidDate(c.start_date())) {
    v.Add("contract.start_date", "is not a valid date");
  }
  if (has_end && !IsValidDate(c.end_date())) {
    v.Add("contract.end_date", "is not a valid date");
  }
  if (has_start && has_end && IsValidDate(c.start_date()) && IsValidDate(c.end_date()) &&
      ToCivil(c.end_date()) < ToCivil(c.start_date())) {
    v.Add("contract.end_date", "must not be before start_date");
  }
  const auto& insts = c.payment_schedule().instalments();
  if (insts.empty()) {
    v.Add("contract.payment_schedule.instalments", "at least one instalment is required");
  }
  absl::flat_hash_set<std::string> ids;
  int64_t sum = 0;
  bool overflow = false;
  for (int i = 0; i < insts.size(); ++i) {
    const auto& in = insts[i];
    const std::string f = absl::StrCat("contract.payment_schedule.instalments[", i, "]");
    if (in.instalment_id().empty() || in.instalment_id().size() > 32) {
      v.Add(absl::StrCat(f, ".instalment_id"), "required, up to 32 characters");
    } else if (!ids.insert(in.instalment_id()).second) {
      v.Add(absl::StrCat(f, ".instalment_id"), "is used twice");
    }
    if (!IsValidDate(in.due_date())) {
      v.Add(absl::StrCat(f, ".due_date"), "required, a valid date");
    } else if (i > 0 && IsValidDate(insts[i - 1].due_date()) &&
               ToCivil(in.due_date()) < ToCivil(insts[i - 1].due_date())) {
      v.Add(absl::StrCat(f, ".due_date"), "instalments must be ordered by due date");
    }
    CheckMoney(v, absl::StrCat(f, ".amount"),
               {in.amount().amount_minor(), in.amount().currency_code()}, MoneyRule::kPositive);
    if (in.amount().currency_code() != c.amount().currency_code()) {
      v.Add(absl::StrCat(f, ".amount.currency_code"), "must be the contract's currency");
    }
    std::optional<int64_t> s = CheckedAdd(sum, in.amount().amount_minor());
    if (!s) {
      overflow = true;
    }
    sum = s.value_or(sum);
  }
  if (!insts.empty() && (overflow || sum != c.amount().amount_minor())) {
    v.Add("contract.payment_schedule.instalments",
          absl::StrCat("instalment amounts must sum exactly to the contract amount (",
                       c.amount().amount_minor(), "); they sum to ",
                       overflow ? std::string("more than int64") : absl::StrCat(sum)));
  }
  return v.Finish();
}

absl::Status CheckContractTransition(v1::ContractState from, v1::ContractState to) {
  bool ok = false;
  switch (to) {
    case v1::CONTRACT_STATE_SIGNED:
      ok = from == v1::CONTRACT_STATE_DRAFT;
      break;
    case v1::CONTRACT_STATE_CANCELLED:
    case v1::CONTRACT_STATE_CLOSED:
      ok = from == v1::CONTRACT_STATE_SIGNED || from == v1::CONTRACT_STATE_ACTIVE;
      break;
    default:
      ok = false;
  }
  if (ok) {
    return absl::OkStatus();
  }
  return FailedPrecondition("CONTRACT_STATE",
                            absl::StrCat("a contract in state ", v1::ContractState_Name(from),
                                         " cannot become ", v1::ContractState_Name(to)));
}

int64_t Outstanding(const v1::Instalment& in) {
  return in.amount().amount_minor() - in.received_amount().amount_minor();
}

namespace {

v1::InstalmentState StateAt(const v1::Instalment& in, absl::CivilDay today) {
  if (Outstanding(in) <= 0) {
    return v1::INSTALMENT_STATE_RECEIVED;
  }
  return today > ToCivil(in.due_date()) ? v1::INSTALMENT_STATE_OVERDUE : v1::INSTALMENT_STATE_DUE;
}

absl::Status CheckPaymentInput(const v1::Contract& c, const v1::Payment& p, const char* what) {
  Violations v;
  const std::string f = what;
  CheckMoney(v, absl::StrCat(f, ".amount"), {p.amount().amount_minor(), p.amount().currency_code()},
             MoneyRule::kPositive);
  if (!p.amount().currency_code().empty() &&
      p.amount().currency_code() != c.amount().currency_code()) {
    v.Add(absl::StrCat(f, ".amount.currency_code"),
          absl::StrCat("must be the contract's currency ", c.amount().currency_code()));
  }
  if (!IsValidDate(p.received_date())) {
    v.Add(absl::StrCat(f, ".received_date"), "required, a valid date");
  }
  CheckText(v, absl::StrCat(f, ".reference"), p.reference(), 0, 200);
  if (!p.instalment_id().empty()) {
    bool found = false;
    for (const auto& in : c.payment_schedule().instalments()) {
      found |= in.instalment_id() == p.instalment_id();
    }
    if (!found) {
      v.Add(absl::StrCat(f, ".instalment_id"), "no such instalment in this contract");
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (c.state() != v1::CONTRACT_STATE_SIGNED && c.state() != v1::CONTRACT_STATE_ACTIVE &&
      c.state() != v1::CONTRACT_STATE_CLOSED) {
    return FailedPrecondition(
        "CONTRACT_STATE", absl::StrCat("payments are recorded on signed contracts; this one is ",
                                       v1::ContractState_Name(c.state())));
  }
  return absl::OkStatus();
}

void SetReceived(v1::Instalment& in, int64_t received, const std::string& currency) {
  in.mutable_received_amount()->set_amount_minor(received);
  in.mutable_received_amount()->set_currency_code(currency);
}

void Recompute(v1::Contract& c, absl::CivilDay today) {
  int64_t total = 0;
  for (auto& in : *c.mutable_payment_schedule()->mutable_instalments()) {
    total += in.received_amount().amount_minor();
    in.set_state(StateAt(in, today));
  }
  c.mutable_received_total()->set_amount_minor(total);
  c.mutable_received_total()->set_currency_code(c.amount().currency_code());
}

}  // namespace

absl::StatusOr<std::vector<PaymentApplied>> ApplyPayment(v1::Contract& c, const v1::Payment& p,
                                                         absl::CivilDay today) {
  SALESOPS_RETURN_IF_ERROR(CheckPaymentInput(c, p, "payment"));
  int64_t owed = 0;
  for (const auto& in : c.payment_schedule().instalments()) {
    if (p.instalment_id().empty() || in.instalment_id() == p.instalment_id()) {
      owed += Outstanding(in);
    }
  }
  if (p.amount().amount_minor() > owed) {
    return FailedPrecondition("PAYMENT_EXCEEDS_OUTSTANDING",
                              absl::StrCat("the payment (", p.amount().amount_minor(),
                                           ") is more than is outstanding (", owed, ")"));
  }
  std::vector<PaymentApplied> applied;
  int64_t left = p.amount().amount_minor();
  for (auto& in : *c.mutable_payment_schedule()->mutable_instalments()) {
    if (left == 0) {
      break;
    }
    if (!p.instalment_id().empty() && in.instalment_id() != p.instalment_id()) {
      continue;
    }
    const int64_t take = std::min(left, Outstanding(in));
    if (take <= 0) {
      continue;
    }
    SetReceived(in, in.received_amount().amount_minor() + take, c.amount().currency_code());
    left -= take;
    if (Outstanding(in) == 0) {
      *in.mutable_received_date() = p.received_date();
    }
    applied.push_back({in.instalment_id(), take, StateAt(in, today)});
  }
  v1::Payment* rec = c.add_payments();
  *rec = p;
  rec->set_refund(false);
  Recompute(c, today);
  return applied;
}

absl::StatusOr<std::vector<PaymentApplied>> ApplyRefund(v1::Contract& c, const v1::Payment& r,
                                                        absl::CivilDay today) {
  SALESOPS_RETURN_IF_ERROR(CheckPaymentInput(c, r, "refund"));
  int64_t received = 0;
  for (const auto& in : c.payment_schedule().instalments()) {
    if (r.instalment_id().empty() || in.instalment_id() == r.instalment_id()) {
      received += in.received_amount().amount_minor();
    }
  }
  if (r.amount().amount_minor() > received) {
    return FailedPrecondition("REFUND_EXCEEDS_RECEIVED",
                              absl::StrCat("the refund (", r.amount().amount_minor(),
                                           ") is more than was received (", received, ")"));
  }
  std::vector<PaymentApplied> applied;
  int64_t left = r.amount().amount_minor();
  auto& insts = *c.mutable_payment_schedule()->mutable_instalments();
  for (int i = insts.size() - 1; i >= 0 && left > 0; --i) {  // newest money first
    auto& in = insts[i];
    if (!r.instalment_id().empty() && in.instalment_id() != r.instalment_id()) {
      continue;
    }
    const int64_t take = std::min(left, in.received_amount().amount_minor());
    if (take <= 0) {
      continue;
    }
    SetReceived(in, in.received_amount().amount_minor() - take, c.amount().currency_code());
    in.clear_received_date();
    left -= take;
    applied.push_back({in.instalment_id(), take, StateAt(in, today)});
  }
  v1::Payment* rec = c.add_payments();
  *rec = r;
  rec->set_refund(true);
  Recompute(c, today);
  return applied;
}

std::vector<std::string> RefreshInstalmentStates(v1::Contract& c, absl::CivilDay today) {
  std::vector<std::string> newly;
  if (c.state() == v1::CONTRACT_STATE_DRAFT || c.state() == v1::CONTRACT_STATE_CANCELLED) {
    return newly;
  }
  for (auto& in : *c.mutable_payment_schedule()->mutable_instalments()) {
    const v1::InstalmentState next = StateAt(in, today);
    if (next == v1::INSTALMENT_STATE_OVERDUE && in.state() != v1::INSTALMENT_STATE_OVERDUE) {
      newly.push_back(in.instalment_id());
    }
    in.set_state(next);
  }
  return newly;
}

std::optional<absl::CivilDay> NextOpenDueDate(const v1::Contract& c) {
  std::optional<absl::CivilDay> best;
  for (const auto& in : c.payment_schedule().instalments()) {
    if (Outstanding(in) > 0 && (!best || ToCivil(in.due_date()) < *best)) {
      best = ToCivil(in.due_date());
    }
  }
  return best;
}

}  // namespace salesops::customers
