// Contracts, payments and refunds of the customers API.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "services/customers/api/api_ops.h"
#include "services/customers/api/customers_api.h"
#include "services/customers/domain/contracts.h"
#include "services/customers/domain/pipeline.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

namespace {

std::string ContractName(const std::string& id) { return absl::StrCat("contracts/", id); }

absl::StatusOr<Versioned<v1::Contract>> LoadContract(CustomersStore& store, const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(auto c, store.Get<v1::Contract>(kContract, id));
  if (!c) {
    return NotFound("CONTRACT_NOT_FOUND", absl::StrCat(ContractName(id), " does not exist"));
  }
  c->doc.set_etag(absl::StrCat(c->version));
  return *std::move(c);
}

// Deal facts for contract events come from the opportunity when there is one.
struct DealFacts {
  std::string region, product_line, channel, customer_type;
};
absl::StatusOr<DealFacts> FactsOf(CustomersStore& store, const v1::Contract& c) {
  DealFacts f;
  if (!c.opportunity().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(
        auto o, store.Get<v1::Opportunity>(kOpportunity, StripPrefix(c.opportunity())));
    if (o) {
      f = {o->doc.region(), o->doc.product_line(), o->doc.channel(), o->doc.customer_type()};
      return f;
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cust,
                            store.Get<v1::Customer>(kCustomer, StripPrefix(c.customer())));
  if (cust) {
    f.region = cust->doc.tags().region();
    f.customer_type = cust->doc.customer_type();
  }
  return f;
}

// The payment job looks at a contract when its earliest open instalment falls
// due (score: the first second after its due day).
void ScheduleInstalments(WriteBatch& b, const v1::Contract& c, absl::TimeZone tz) {
  const std::string id = StripPrefix(c.name());
  std::optional<absl::CivilDay> next;
  for (const auto& in : c.payment_schedule().instalments()) {
    if (Outstanding(in) > 0) {  // the job skips instalments it already reported
      const absl::CivilDay d = ToCivil(in.due_date());
      if (!next || d < *next) {
        next = d;
      }
    }
  }
  const bool open =
      c.state() == v1::CONTRACT_STATE_SIGNED || c.state() == v1::CONTRACT_STATE_ACTIVE;
  if (next && open) {
    b.ZAdd(ScheduleKey("instalment"),
           static_cast<double>(absl::ToUnixSeconds(absl::FromCivil(*next + 1, tz))), id);
  } else {
    b.ZRem(ScheduleKey("instalment"), id);
  }
}

absl::Status AccessToContract(CustomersStore& store, OrgDirectory& dir, const CallContext& call,
                              const v1::Contract& c, absl::Time now, bool write) {
  if (InOwnerScope(call.principal, {StripPrefix(c.owner()), StripPrefix(c.team()), ""})) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cust, LoadCustomer(store, StripPrefix(c.customer())));
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store, dir, call, cust.doc, now));
  if (!CanRead(a)) {
    return DenyRead(c.name());
  }
  if (write && !CanWrite(a)) {
    return DenyWrite(c.name());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CustomersApi::CreateContract(const CallContext& call,
                                          const v1::CreateContractRequest& req,
                                          v1::CreateContractResponse* resp) {
  Violations v;
  v1::Contract c = req.contract();
  ClearOutputOnly(&c);  // state, owner, team, money received, payments: ours to set
  const std::string customer_id = IdOf(v, "contract.customer", c.customer(), "customers");
  std::string opp_id;
  if (!c.opportunity().empty()) {
    opp_id = IdOf(v, "contract.opportunity", c.opportunity(), "opportunities");
  }
  if (!req.contract_id().empty() && !IsValidId(req.contract_id())) {
    v.Add("contract_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(ValidateNewContract(c));
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "contracts/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing, LoadContract(store_, StripPrefix(name)));
    SALESOPS_RETURN_IF_ERROR(
        AccessToContract(store_, directory_, call, existing.doc, clock_.Now(), false));
    *resp->mutable_contract() = std::move(existing.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(auto cust, LoadCustomer(store_, customer_id));
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, cust.doc, now));
  if (!CanRead(a)) {
    return DenyRead(c.customer());
  }
  if (!CanWrite(a)) {
    return DenyWrite(c.customer());
  }
  std::optional<Versioned<v1::Opportunity>> opp;
  if (!opp_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto o, store_.Get<v1::Opportunity>(kOpportunity, opp_id));
    if (!o) {
      return InvalidArgument({{"contract.opportunity", "does not exist"}}, "OPPORTUNITY_NOT_FOUND");
    }
    if (o->doc.customer() != cust.doc.name()) {
      return InvalidArgument({{"contract.opportunity", "belongs to another customer"}},
                             "OPPORTUNITY_OF_OTHER_CUSTOMER");
    }
    if (!IsOpenStage(o->doc.stage())) {
      return FailedPrecondition("OPPORTUNITY_CLOSED", "the opportunity is already won or lost");
    }
    if (!o->doc.contract().empty()) {
      return AlreadyExists("OPPORTUNITY_HAS_CONTRACT",
                           absl::StrCat("the opportunity already has ", o->doc.contract()),
                           o->doc.contract());
    }
    if (o->doc.amount().currency_code() != c.amount().currency_code()) {
      return InvalidField("contract.amount.currency_code", "must be the opportunity's currency");
    }
    opp = std::move(o);
  }
  const std::string id = req.contract_id().empty() ? NewUuid() : req.contract_id();
  c.set_name(ContractName(id));
  c.set_state(v1::CONTRACT_STATE_DRAFT);
  c.set_owner(opp ? opp->doc.owner() : cust.doc.owner());
  c.set_team(opp ? opp->doc.team() : cust.doc.team());
  for (auto& in : *c.mutable_payment_schedule()->mutable_instalments()) {
    in.mutable_received_amount()->set_amount_minor(0);
    in.mutable_received_amount()->set_currency_code(c.amount().currency_code());
    in.set_state(v1::INSTALMENT_STATE_DUE);
    in.clear_received_date();
  }
  c.mutable_received_total()->set_amount_minor(0);
  c.mutable_received_total()->set_currency_code(c.amount().currency_code());
  c.clear_payments();
  c.clear_sign_date();
  c.clear_cancel_reason();
  *c.mutable_create_time() = ToTs(now);
  *c.mutable_update_time() = ToTs(now);
  c.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kContract, id, c, 0);
  GuardRequest(b, call, req.request_id(), c.name());
  if (!c.contract_number().empty()) {
    const std::string key = UniqueContractNumberKey(c.contract_number());
    b.ExpectAbsent(key, "contract_number:");
    b.Set(key, id);
  }
  b.ZAdd(AllContractsIndex(), 0, id);
  b.ZAdd(ContractsOfCustomerIndex(customer_id), 0, id);
  if (!c.owner().empty()) {
    b.ZAdd(ContractsOfOwnerIndex(StripPrefix(c.owner())), 0, id);
  }
  if (opp) {
    v1::Opportunity linked = opp->doc;
    linked.set_contract(c.name());
    *linked.mutable_update_time() = ToTs(now);
    CustomersStore::PutOtherDoc(b, kOpportunity, opp_id, linked, opp->version);
  }
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("CONTRACT_EXISTS", absl::StrCat(c.name(), " already exists"), c.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  c.set_etag("1");
  *resp->mutable_contract() = std::move(c);
  return absl::OkStatus();
}

absl::Status CustomersApi::GetContract(const CallContext& call, const v1::GetContractRequest& req,
                                       v1::GetContractResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "contracts");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto c, LoadContract(store_, id));
  SALESOPS_RETURN_IF_ERROR(AccessToContract(store_, directory_, call, c.doc, clock_.Now(), false));
  RefreshInstalmentStates(c.doc, absl::ToCivilDay(clock_.Now(), tz_));  // view only
  *resp->mutable_contract() = std::move(c.doc);
  return absl::OkStatus();
}

absl::Status CustomersApi::ListContracts(const CallContext& call,
                                         const v1::ListContractsRequest& req,
                                         v1::ListContractsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string customer, owner;
  if (!req.customer().empty()) {
    customer = IdOf(v, "customer", req.customer(), "customers");
  }
  if (!req.owner().empty()) {
    owner = IdOf(v, "owner", req.owner(), "members");
  }
  if (!v1::ContractState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter =
      absl::StrCat(customer, "|", owner, "|", req.state(), "|", req.overdue_only());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, tz_);
  std::string index;
  if (!customer.empty()) {
    index = ContractsOfCustomerIndex(customer);
  } else if (!owner.empty()) {
    index = ContractsOfOwnerIndex(owner);
  } else if (call.principal.role == Role::kRep) {
    index = ContractsOfOwnerIndex(call.principal.member_id);
  } else {
    index = AllContractsIndex();
  }
  std::string after = cursor ? cursor->after : "";
  bool exhausted = false;
  for (int round = 0; round < 8 && resp->contracts_size() < page_size; ++round) {
    SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(index, after, page_size));
    if (ids.empty()) {
      exhausted = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto cons, store_.GetMany<v1::Contract>(kContract, ids));
    after = ids.back();
    for (auto& c : cons) {
      if (!owner.empty() && StripPrefix(c.doc.owner()) != owner) {
        continue;
      }
      if (req.state() != v1::CONTRACT_STATE_UNSPECIFIED && c.doc.state() != req.state()) {
        continue;
      }
      RefreshInstalmentStates(c.doc, today);
      if (req.overdue_only()) {
        bool any = false;
        for (const auto& in : c.doc.payment_schedule().instalments()) {
          any |= in.state() == v1::INSTALMENT_STATE_OVERDUE;
        }
        if (!any) {
          continue;
        }
      }
      if (!AccessToContract(store_, directory_, call, c.doc, now, false).ok()) {
        continue;
      }
      c.doc.set_etag(absl::StrCat(c.version));
      *resp->add_contracts() = std::move(c.doc);
    }
    if (static_cast<int>(ids.size()) < page_size) {
      exhausted = true;
      break;
    }
  }
  if (!exhausted) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  return absl::OkStatus();
}

absl::Status CustomersApi::SignContract(const CallContext& call, const v1::SignContractRequest& req,
                                        v1::SignContractResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "contracts");
  if (req.has_sign_date() && !IsValidDate(req.sign_date())) {
    v.Add("sign_date", "not a valid date");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadContract(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_RETURN_IF_ERROR(AccessToContract(store_, directory_, call, cur.doc, now, true));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  SALESOPS_RETURN_IF_ERROR(CheckContractTransition(cur.doc.state(), v1::CONTRACT_STATE_SIGNED));
  const absl::CivilDay today = absl::ToCivilDay(now, tz_);
  const absl::CivilDay sign_day = req.has_sign_date() ? ToCivil(req.sign_date()) : today;
  if (sign_day > today) {
    return InvalidField("sign_date", "must not be in the future");
  }
  // The instant of signing: the sign day at the current time of day, or
  // noon for a past day (so backdated history lands inside that day).
  const absl::Time at =
      sign_day == today ? now : absl::FromCivil(absl::CivilSecond(sign_day) + 12 * 3600, tz_);
  v1::Contract next = cur.doc;
  next.set_state(v1::CONTRACT_STATE_SIGNED);
  *next.mutable_sign_date() = ToDate(sign_day);
  if (next.has_start_date() && ToCivil(next.start_date()) <= today) {
    next.set_state(v1::CONTRACT_STATE_ACTIVE);
  }
  RefreshInstalmentStates(next, today);
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  SALESOPS_ASSIGN_OR_RETURN(DealFacts facts, FactsOf(store_, next));
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  SALESOPS_ASSIGN_OR_RETURN(auto cust, LoadCustomer(store_, StripPrefix(next.customer())));
  WriteBatch b;
  CustomersStore::PutDoc(b, kContract, id, next, cur.version);
  ScheduleInstalments(b, next, tz_);
  // A backdated sign_date must not move the activity clock back (the pool
  // would release a customer someone just visited).
  SALESOPS_RETURN_IF_ERROR(TouchActivityForward(store_, b, cust.doc, at, policies.pool));
  v1::ContractSigned e;
  *e.mutable_contract() = next;
  e.set_owner(next.owner());
  e.set_team(next.team());
  e.set_region(facts.region);
  e.set_product_line(facts.product_line);
  e.set_channel(facts.channel);
  e.set_customer_type(facts.customer_type);
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, StripPrefix(next.customer()), next.name(), e, at);
  // Signing wins the deal.
  if (!next.opportunity().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(
        auto o, store_.Get<v1::Opportunity>(kOpportunity, StripPrefix(next.opportunity())));
    if (o && IsOpenStage(o->doc.stage())) {
      if (o->doc.stage() != v1::OPPORTUNITY_STAGE_CONTRACT) {
        return FailedPrecondition(
            "OPPORTUNITY_NOT_AT_CONTRACT",
            absl::StrCat("move ", o->doc.name(), " to the contract stage before signing"));
      }
      if (at < FromTs(o->doc.stage_enter_time())) {
        return InvalidField("sign_date", "is before the opportunity reached the contract stage");
      }
      v1::Opportunity won = o->doc;
      won.set_stage(v1::OPPORTUNITY_STAGE_WON);
      *won.mutable_amount() = next.amount();  // the booked amount is the contract's
      v1::StageChange* h = won.add_stage_history();
      h->set_from_stage(o->doc.stage());
      h->set_to_stage(v1::OPPORTUNITY_STAGE_WON);
      *h->mutable_change_time() = ToTs(at);
      h->set_changed_by(absl::StrCat("members/", call.principal.member_id));
      h->set_reason(absl::StrCat("signed ", next.name()));
      *h->mutable_amount() = won.amount();
      *won.mutable_stage_enter_time() = ToTs(at);
      *won.mutable_close_time() = ToTs(at);
      *won.mutable_update_time() = ToTs(now);
      won.clear_etag();
      CustomersStore::PutOtherDoc(b, kOpportunity, StripPrefix(won.name()), won, o->version);
      EmitStageChange(b, call, o->doc, won, h->reason(), at, tz_);
      won.set_etag(absl::StrCat(o->version + 1));
      *resp->mutable_opportunity() = won;
    }
  }
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_contract() = std::move(next);
  return absl::OkStatus();
}

namespace {

template <typename E>
void FillContractFacts(E& e, const v1::Contract& c, const DealFacts& f) {
  e.set_owner(c.owner());
  e.set_team(c.team());
  e.set_region(f.region);
  e.set_product_line(f.product_line);
  e.set_channel(f.channel);
  e.set_customer_type(f.customer_type);
}

// Cancel and close share their opening (validate, load, authorise, check the
// etag and the transition) and their end (store the contract with its event).
struct ContractChange {
  std::string id;
  Versioned<v1::Contract> cur;
  v1::Contract next;
};

absl::StatusOr<ContractChange> BeginContractChange(CustomersStore& store, OrgDirectory& dir,
                                                   const CallContext& call, absl::Time now,
                                                   const std::string& name, const std::string& etag,
                                                   const std::string& reason, int min_reason,
                                                   v1::ContractState to) {
  Violations v;
  ContractChange c;
  c.id = IdOf(v, "name", name, "contracts");
  CheckText(v, "reason", reason, min_reason, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(c.cur, LoadContract(store, c.id));
  SALESOPS_RETURN_IF_ERROR(AccessToContract(store, dir, call, c.cur.doc, now, true));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(etag, c.cur.version, name));
  SALESOPS_RETURN_IF_ERROR(CheckContractTransition(c.cur.doc.state(), to));
  c.next = c.cur.doc;
  c.next.set_state(to);
  *c.next.mutable_update_time() = ToTs(now);
  c.next.clear_etag();
  return c;
}

absl::Status FinishContractChange(CustomersStore& store, const CallContext& call, absl::Time now,
                                  ContractChange& c, WriteBatch b,
                                  const google::protobuf::Message& event, v1::Contract* out) {
  Emit(b, call, StripPrefix(c.next.customer()), c.next.name(), event, now);
  SALESOPS_RETURN_IF_ERROR(store.Commit(b));
  c.next.set_etag(absl::StrCat(c.cur.version + 1));
  *out = std::move(c.next);
  return absl::OkStatus();
}

}  // namespace

absl::Status CustomersApi::CancelContract(const CallContext& call,
                                          const v1::CancelContractRequest& req,
                                          v1::CancelContractResponse* resp) {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(
      ContractChange c, BeginContractChange(store_, directory_, call, now, req.name(), req.etag(),
                                            req.reason(), 1, v1::CONTRACT_STATE_CANCELLED));
  c.next.set_cancel_reason(req.reason());
  SALESOPS_ASSIGN_OR_RETURN(DealFacts facts, FactsOf(store_, c.next));
  WriteBatch b;
  CustomersStore::PutDoc(b, kContract, c.id, c.next, c.cur.version);
  ScheduleInstalments(b, c.next, tz_);
  v1::ContractCancelled e;
  *e.mutable_contract() = c.next;
  FillContractFacts(e, c.next, facts);
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  return FinishContractChange(store_, call, now, c, std::move(b), e, resp->mutable_contract());
}

absl::Status CustomersApi::CloseContract(const CallContext& call,
                                         const v1::CloseContractRequest& req,
                                         v1::CloseContractResponse* resp) {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(
      ContractChange c, BeginContractChange(store_, directory_, call, now, req.name(), req.etag(),
                                            req.reason(), 0, v1::CONTRACT_STATE_CLOSED));
  WriteBatch b;
  CustomersStore::PutDoc(b, kContract, c.id, c.next, c.cur.version);
  // Money still owed on a closed contract stays tracked for overdue warnings.
  v1::ContractClosed e;
  *e.mutable_contract() = c.next;
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  return FinishContractChange(store_, call, now, c, std::move(b), e, resp->mutable_contract());
}

absl::Status CustomersApi::RecordPayment(const CallContext& call,
                                         const v1::RecordPaymentRequest& req,
                                         v1::RecordPaymentResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "contract", req.contract(), "contracts");
  CheckRequestId(v, req.request_id());
  if (req.payment().payment_id().size() > 64) {
    v.Add("payment.payment_id", "at most 64 characters");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // A retried payment is recorded once; the retry gets the contract it paid
  // into, and only that one, under the same access check as a fresh call.
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, ContractName(id)));
    SALESOPS_ASSIGN_OR_RETURN(auto existing, LoadContract(store_, id));
    SALESOPS_RETURN_IF_ERROR(
        AccessToContract(store_, directory_, call, existing.doc, clock_.Now(), false));
    *resp->mutable_contract() = std::move(existing.doc);
    return absl::OkStatus();
  };
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  if (seen) {
    return replay(*seen);
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadContract(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_RETURN_IF_ERROR(AccessToContract(store_, directory_, call, cur.doc, now, true));
  const absl::CivilDay today = absl::ToCivilDay(now, tz_);
  v1::Payment p = req.payment();
  if (p.payment_id().empty()) {
    p.set_payment_id(NewUuid());
  }
  for (const auto& existing : cur.doc.payments()) {
    if (existing.payment_id() == p.payment_id()) {
      return AlreadyExists("PAYMENT_EXISTS",
                           absl::StrCat("payment ", p.payment_id(), " is already recorded"),
                           cur.doc.name());
    }
  }
  if (IsValidDate(p.received_date()) && ToCivil(p.received_date()) > today) {
    return InvalidField("payment.received_date", "must not be in the future");
  }
  p.set_recorded_by(absl::StrCat("members/", call.principal.member_id));
  v1::Contract next = cur.doc;
  SALESOPS_ASSIGN_OR_RETURN(std::vector<PaymentApplied> applied, ApplyPayment(next, p, today));
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  SALESOPS_ASSIGN_OR_RETURN(DealFacts facts, FactsOf(store_, next));
  const absl::Time at =
      ToCivil(p.received_date()) == today
          ? now
          : absl::FromCivil(absl::CivilSecond(ToCivil(p.received_date())) + 12 * 3600, tz_);
  WriteBatch b;
  CustomersStore::PutDoc(b, kContract, id, next, cur.version);
  GuardRequest(b, call, req.request_id(), next.name());
  ScheduleInstalments(b, next, tz_);
  for (const PaymentApplied& ap : applied) {
    v1::PaymentReceived e;
    e.set_contract(next.name());
    e.set_customer(next.customer());
    e.set_opportunity(next.opportunity());
    e.set_payment_id(p.payment_id());
    e.set_instalment_id(ap.instalment_id);
    e.mutable_amount()->set_amount_minor(ap.amount_minor);
    e.mutable_amount()->set_currency_code(next.amount().currency_code());
    *e.mutable_received_date() = p.received_date();
    e.set_instalment_state(ap.state_after);
    FillContractFacts(e, next, facts);
    *e.mutable_actor() = ActorOf(call);
    Emit(b, call, StripPrefix(next.customer()), next.name(), e, at);
  }
  ScheduleTier(b, StripPrefix(next.customer()), now);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_contract() = std::move(next);
  return absl::OkStatus();
}

absl::Status CustomersApi::RecordRefund(const CallContext& call, const v1::RecordRefundRequest& req,
                                        v1::RecordRefundResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "contract", req.contract(), "contracts");
  CheckRequestId(v, req.request_id());
  CheckText(v, "reason", req.reason(), 1, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // A retried refund is recorded once; the retry gets the contract it was
  // recorded on, and only that one, under the same access check as a fresh call.
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, ContractName(id)));
    SALESOPS_ASSIGN_OR_RETURN(auto existing, LoadContract(store_, id));
    SALESOPS_RETURN_IF_ERROR(
        AccessToContract(store_, directory_, call, existing.doc, clock_.Now(), false));
    *resp->mutable_contract() = std::move(existing.doc);
    return absl::OkStatus();
  };
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  if (seen) {
    return replay(*seen);
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadContract(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_RETURN_IF_ERROR(AccessToContract(store_, directory_, call, cur.doc, now, true));
  const absl::CivilDay today = absl::ToCivilDay(now, tz_);
  v1::Payment r = req.refund();
  if (r.payment_id().empty()) {
    r.set_payment_id(NewUuid());
  }
  if (IsValidDate(r.received_date()) && ToCivil(r.received_date()) > today) {
    return InvalidField("refund.received_date", "must not be in the future");
  }
  r.set_recorded_by(absl::StrCat("members/", call.principal.member_id));
  v1::Contract next = cur.doc;
  SALESOPS_ASSIGN_OR_RETURN(std::vector<PaymentApplied> applied, ApplyRefund(next, r, today));
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  SALESOPS_ASSIGN_OR_RETURN(DealFacts facts, FactsOf(store_, next));
  WriteBatch b;
  CustomersStore::PutDoc(b, kContract, id, next, cur.version);
  GuardRequest(b, call, req.request_id(), next.name());
  ScheduleInstalments(b, next, tz_);
  for (const PaymentApplied& ap : applied) {
    v1::PaymentRefunded e;
    e.set_contract(next.name());
    e.set_customer(next.customer());
    e.set_opportunity(next.opportunity());
    e.set_payment_id(r.payment_id());
    e.set_instalment_id(ap.instalment_id);
    e.mutable_amount()->set_amount_minor(ap.amount_minor);
    e.mutable_amount()->set_currency_code(next.amount().currency_code());
    *e.mutable_refund_date() = r.received_date();
    FillContractFacts(e, next, facts);
    e.set_reason(req.reason());
    *e.mutable_actor() = ActorOf(call);
    Emit(b, call, StripPrefix(next.customer()), next.name(), e, now);
  }
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_contract() = std::move(next);
  return absl::OkStatus();
}

}  // namespace salesops::customers
