// Commission statements: reads, the lifecycle (issue, pay), inputs a
// manager or director adds to a DRAFT (bonus awards, adjustments), disputes,
// and the payroll export.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/csv/csv.h"
#include "common/ids/ids.h"
#include "common/log/log.h"
#include "common/money/money.h"
#include "common/status/reasons.h"
#include "common/status/write_race.h"
#include "common/time/proto_time.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/deal_credit.h"
#include "services/performance/api/performance_api.h"

namespace salesops::performance {
namespace {

constexpr int kMaxExported = 10'000;
constexpr int kMaxLookAhead = 40;  // quarters searched for the next DRAFT

std::string Stored(v1::CommissionStatement s) {
  s.clear_etag();
  return s.SerializeAsString();
}

std::string InputsId(const std::string& member, const std::string& period) {
  return absl::StrCat(member, ":", period);
}

absl::Status CheckStatementMoney(Violations& v, const std::string& field,
                                 const salesops::common::v1::Money& m, const std::string& currency,
                                 bool positive) {
  if (positive) {
    CheckMoney(v, field, {m.amount_minor(), m.currency_code()}, MoneyRule::kPositive);
  } else {
    // Either sign: only the currency is checked by the common rule.
    if (!IsKnownCurrency(m.currency_code())) {
      v.Add(field + ".currency_code", "an ISO 4217 currency code, e.g. CNY");
    }
    if (m.amount_minor() == 0) {
      v.Add(field + ".amount_minor", "must not be 0");
    }
  }
  if (m.amount_minor() > kMaxAmountMinor || m.amount_minor() < -kMaxAmountMinor) {
    v.Add(field + ".amount_minor", "must be within ±10^15");
  }
  if (!currency.empty() && !m.currency_code().empty() && m.currency_code() != currency) {
    v.Add(field + ".currency_code", absl::StrCat("must be the statement's currency ", currency));
  }
  return absl::OkStatus();
}

std::string StateLabel(v1::StatementState s) {
  switch (s) {
    case v1::STATEMENT_STATE_DRAFT:
      return "草稿";
    case v1::STATEMENT_STATE_ISSUED:
      return "已出具";
    case v1::STATEMENT_STATE_PAID:
      return "已发放";
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<PerformanceApi::Loaded<v1::CommissionStatement>> PerformanceApi::LoadStatement(
    const CallContext& call, const std::string& field, const std::string& name) {
  Violations v;
  const std::string id = name.empty() ? (v.Add(field, "required"), std::string())
                                      : ParseDottedName(v, field, name, "commissionStatements");
  std::optional<std::pair<std::string, std::string>> parts;
  if (!id.empty()) {
    parts = SplitStatementId(id);
    if (!parts) {
      v.Add(field, "not a statement name");
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // Scope before existence: a name outside the caller's scope says nothing.
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, parts->second));
  if (!ok) {
    return DenyAccess(name);
  }
  return Load<v1::CommissionStatement>(DocKind::kStatement, id, name, "STATEMENT_NOT_FOUND");
}

absl::StatusOr<v1::CommissionStatement> PerformanceApi::Reload(const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(
      auto st, Load<v1::CommissionStatement>(DocKind::kStatement, id, StatementName(id),
                                             "STATEMENT_NOT_FOUND"));
  return std::move(st.doc);
}

absl::Status PerformanceApi::GetCommissionStatement(const CallContext& call,
                                                    const v1::GetCommissionStatementRequest& req,
                                                    v1::GetCommissionStatementResponse* resp) {
  std::string name = req.name();
  if (name.empty()) {
    Violations v;
    const std::string member = IdOf(v, "member", req.member(), "members");
    const std::string period = IdOf(v, "period", req.period(), "fiscalPeriods");
    SALESOPS_RETURN_IF_ERROR(v.Finish());
    name = StatementName(StatementId(period, member));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto st,
                            LoadStatement(call, req.name().empty() ? "member" : "name", name));
  *resp->mutable_commission_statement() = std::move(st.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListCommissionStatements(
    const CallContext& call, const v1::ListCommissionStatementsRequest& req,
    v1::ListCommissionStatementsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string member, period, unit;
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), "members");
  }
  if (!req.period().empty()) {
    period = ParseResourceName(v, "period", req.period(), "fiscalPeriods");
  }
  if (!req.org_unit().empty()) {
    unit = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  }
  if (!v1::StatementState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter =
      absl::StrCat(member, "|", period, "|", unit, "|", static_cast<int>(req.state()));
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (!member.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
    if (!ok) {
      return DenyAccess(req.member());
    }
  }
  const std::string index = member.empty() ? kStatementsIndex : MemberStatementsIndex(member);
  const std::string prefix = period.empty() ? "" : absl::StrCat(period, ".");
  std::vector<v1::CommissionStatement> out;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::CommissionStatement>(
      repo_, call, DocKind::kStatement, index, prefix, cursor, filter, page_size,
      [&](v1::CommissionStatement& s) -> absl::StatusOr<bool> {
        if (req.state() != v1::STATEMENT_STATE_UNSPECIFIED && s.state() != req.state()) {
          return false;
        }
        const std::string who = StripName(s.member());
        SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, who));
        if (!ok) {
          return false;
        }
        if (!unit.empty()) {
          SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(who));
          if (!m) {
            return false;
          }
          SALESOPS_ASSIGN_OR_RETURN(auto up, org_.UnitAndAncestors(m->team));
          return std::find(up.begin(), up.end(), unit) != up.end();
        }
        return true;
      },
      &out, &next));
  for (auto& s : out) {
    *resp->add_commission_statements() = std::move(s);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::IssueCommissionStatement(
    const CallContext& call, const v1::IssueCommissionStatementRequest& req,
    v1::IssueCommissionStatementResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "name", req.name()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), st.version, req.name()));
  if (st.doc.state() != v1::STATEMENT_STATE_DRAFT) {
    return FailedPrecondition("STATEMENT_NOT_DRAFT", "only a DRAFT statement can be issued");
  }
  const std::pair<std::string, std::string> ids = *SplitStatementId(StripName(req.name()));
  const std::string& period = ids.first;
  const std::string& member = ids.second;
  // A race on the rep's inputs or other statements (WRITE_CONFLICT) runs again;
  // the statement itself changing is the caller's ETAG_MISMATCH when it sent an etag.
  return RetryWriteRace(!req.etag().empty(), [&]() -> absl::Status {
    // Issue what the facts say now (the stored draft may be a moment behind).
    SALESOPS_ASSIGN_OR_RETURN(RepState rep, recomputer_.ComputeRep(member));
    ChainEntry* e = rep.Find(period);
    if (e == nullptr || !e->stored) {
      return NotFound("STATEMENT_NOT_FOUND", req.name());
    }
    // Checked again on every run: a run after a lost race reads a fresh version.
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), e->stored->version, req.name()));
    if (e->state != StatementState::kDraft) {
      return FailedPrecondition("STATEMENT_NOT_DRAFT", "only a DRAFT statement can be issued");
    }
    for (const ChainEntry& before : rep.chain) {
      if (before.period.id < period && before.state == StatementState::kDraft && before.stored) {
        return FailedPrecondition("EARLIER_STATEMENT_DRAFT",
                                  absl::StrCat("issue ", StatementName(before.id),
                                               " first: statements are issued in "
                                               "period order"));
      }
    }
    if (!e->computed) {
      return FailedPrecondition("STATEMENT_NOT_COMPUTABLE", std::string(e->error.message()));
    }
    const absl::Time now = clock_.Now();
    v1::CommissionStatement issued = e->proto;
    issued.set_state(v1::STATEMENT_STATE_ISSUED);
    *issued.mutable_issue_time() = ToTs(now);
    v1::StoredIssue frozen;
    *frozen.mutable_carried_in() = ToStoredCarry(e->input.carried);
    *frozen.mutable_carry_forward() = ToStoredCarry(e->computed->carry_forward);
    frozen.set_plan_id(e->plan_root);
    frozen.set_target_minor(e->input.target_minor);
    Change extra;
    extra.PutDoc(DocKind::kStatement, e->id, Stored(issued), e->stored->version);
    extra.PutDoc(DocKind::kIssue, e->id, frozen.SerializeAsString(), 0);
    issued.set_etag(absl::StrCat(e->stored->version + 1));
    v1::CommissionStatementIssued ev;
    *ev.mutable_commission_statement() = issued;
    *ev.mutable_actor() = ActorOf(call);
    extra.Emit(CallEvent(call, member, issued.name(), ev, now));
    // The recomputer leaves this one alone: it is issued in the same commit.
    e->state = StatementState::kIssued;
    SALESOPS_RETURN_IF_ERROR(recomputer_.CommitRep(rep, std::move(extra)));
    *resp->mutable_commission_statement() = std::move(issued);
    return absl::OkStatus();
  });
}

absl::Status PerformanceApi::MarkCommissionStatementPaid(
    const CallContext& call, const v1::MarkCommissionStatementPaidRequest& req,
    v1::MarkCommissionStatementPaidResponse* resp) {
  Violations v;
  CheckText(v, "payment_reference", req.payment_reference(), 0, 100);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "name", req.name()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), st.version, req.name()));
  StatementRecord rec;
  rec.state = FromProtoState(st.doc.state());
  const absl::Time now = clock_.Now();
  SALESOPS_RETURN_IF_ERROR(MarkPaid(rec, now));
  v1::CommissionStatement next = st.doc;
  next.set_state(v1::STATEMENT_STATE_PAID);
  *next.mutable_pay_time() = ToTs(now);
  next.set_payment_reference(req.payment_reference());
  Change c;
  c.PutDoc(DocKind::kStatement, StripName(req.name()), Stored(next), st.version);
  v1::CommissionStatementPaid e;
  e.set_statement(next.name());
  e.set_member(next.member());
  *e.mutable_net_payable() = next.net_payable();
  e.set_payment_reference(req.payment_reference());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, StripName(next.member()), next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  next.set_etag(absl::StrCat(st.version + 1));
  *resp->mutable_commission_statement() = std::move(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ChangeDraft(const CallContext& call, const std::string& field,
                                         const std::string& name, const std::string& etag,
                                         const std::string& request_id,
                                         const std::string& input_field, const std::string& input,
                                         const google::protobuf::Message& event,
                                         v1::CommissionStatement* out) {
  SALESOPS_ASSIGN_OR_RETURN(auto seen, repo_.FindRequest(call.principal.member_id, request_id));
  const std::string id = StripName(name);
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, name));
    SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, field, name));
    *out = std::move(st.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, field, name));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(etag, st.version, name));
  if (st.doc.state() != v1::STATEMENT_STATE_DRAFT) {
    return FailedPrecondition("STATEMENT_LOCKED",
                              "the statement is issued; a change goes on the next statement "
                              "(raise a dispute)");
  }
  const auto [period, member] = *SplitStatementId(id);
  Change c;
  c.SetField(MapKind::kRepInputs, InputsId(member, period), input_field, input);
  TouchRep(c, member, period, nullptr);
  c.RememberRequest(call.principal.member_id, request_id, name);
  c.Emit(CallEvent(call, member, name, event, clock_.Now()));
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  SALESOPS_RETURN_IF_ERROR(recomputer_.RecomputeRep(member));
  SALESOPS_ASSIGN_OR_RETURN(*out, Reload(id));
  return absl::OkStatus();
}

absl::Status PerformanceApi::AwardBonus(const CallContext& call, const v1::AwardBonusRequest& req,
                                        v1::AwardBonusResponse* resp) {
  Violations v;
  if (req.bonus_id().empty()) {
    v.Add("bonus_id", "required");
  }
  CheckText(v, "reason", req.reason(), 1, 500);
  CheckRequestId(v, req.request_id());
  (void)CheckStatementMoney(v, "amount", req.amount(), "", true);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "statement", req.statement()));
  // The bonus must be a special-contribution bonus of the statement's plan.
  SALESOPS_ASSIGN_OR_RETURN(auto plans, recomputer_.Plans());
  auto plan = plans->plans.find(StripName(st.doc.plan()));
  const v1::Bonus* bonus = nullptr;
  if (plan != plans->plans.end()) {
    for (const auto& b : plan->second.bonuses()) {
      if (b.bonus_id() == req.bonus_id()) {
        bonus = &b;
      }
    }
  }
  if (bonus == nullptr || bonus->kind() != v1::BONUS_KIND_SPECIAL_CONTRIBUTION) {
    return InvalidField("bonus_id", "not a special-contribution bonus of the statement's plan");
  }
  if (req.amount().currency_code() != st.doc.net_payable().currency_code()) {
    return InvalidField("amount.currency_code", "must be the statement's currency");
  }
  if (req.amount().amount_minor() > bonus->amount().amount_minor()) {
    return InvalidField(
        "amount.amount_minor",
        absl::StrCat("at most the bonus's ", FormatMinor(bonus->amount().amount_minor())));
  }
  const std::string award_id = req.request_id().empty() ? NewUuid() : req.request_id();
  v1::StoredAward a;
  a.set_award_id(award_id);
  a.set_bonus_id(req.bonus_id());
  a.set_amount_minor(req.amount().amount_minor());
  a.set_reason(req.reason());
  v1::BonusAwarded e;
  e.set_member(st.doc.member());
  e.set_statement(st.doc.name());
  e.set_bonus_id(req.bonus_id());
  e.set_kind(v1::BONUS_KIND_SPECIAL_CONTRIBUTION);
  *e.mutable_amount() = req.amount();
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  return ChangeDraft(call, "statement", req.statement(), req.etag(), req.request_id(),
                     absl::StrCat("a:", award_id), a.SerializeAsString(), e,
                     resp->mutable_commission_statement());
}

absl::Status PerformanceApi::AdjustCommissionStatement(
    const CallContext& call, const v1::AdjustCommissionStatementRequest& req,
    v1::AdjustCommissionStatementResponse* resp) {
  Violations v;
  CheckText(v, "reason", req.reason(), 1, 500);
  CheckRequestId(v, req.request_id());
  (void)CheckStatementMoney(v, "amount", req.amount(), "", false);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "statement", req.statement()));
  if (req.amount().currency_code() != st.doc.net_payable().currency_code()) {
    return InvalidField("amount.currency_code", "must be the statement's currency");
  }
  const std::string statement_id = StripName(req.statement());
  const std::string adj = req.request_id().empty() ? NewUuid() : req.request_id();
  v1::StoredAdjustment a;
  a.set_adjustment_id(absl::StrCat(statement_id, "/manual/", adj));
  a.set_source(absl::StrCat("adjustments/", adj));
  a.set_original_statement_id(statement_id);
  a.set_reason(req.reason());
  a.set_amount_minor(req.amount().amount_minor());
  v1::CommissionStatementAdjusted e;
  e.set_statement(st.doc.name());
  e.set_member(st.doc.member());
  *e.mutable_amount() = req.amount();
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  return ChangeDraft(call, "statement", req.statement(), req.etag(), req.request_id(),
                     absl::StrCat("m:", adj), a.SerializeAsString(), e,
                     resp->mutable_commission_statement());
}

absl::Status PerformanceApi::RaiseStatementDispute(const CallContext& call,
                                                   const v1::RaiseStatementDisputeRequest& req,
                                                   v1::RaiseStatementDisputeResponse* resp) {
  Violations v;
  if (req.line_number() < 1) {
    v.Add("line_number", "a line of the statement (1, 2, …)");
  }
  CheckText(v, "reason", req.reason(), 1, 1000);
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "statement", req.statement()));
  const std::string member = StripName(st.doc.member());
  if (call.principal.member_id != member) {
    return PermissionDenied("NOT_STATEMENT_OWNER",
                            "only the rep raises a dispute on their statement");
  }
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, absl::StrCat(st.doc.name(), "/disputes/")));
    for (const auto& d : st.doc.disputes()) {
      if (absl::StrCat(st.doc.name(), "/disputes/", d.dispute_id()) == *seen) {
        *resp->mutable_dispute() = d;
        *resp->mutable_commission_statement() = std::move(st.doc);
        return absl::OkStatus();
      }
    }
    return RequestIdReused();
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), st.version, req.statement()));
  StatementRecord rec;
  rec.statement = FromStatementProto(st.doc);
  rec.state = FromProtoState(st.doc.state());
  for (const auto& d : st.doc.disputes()) {
    rec.disputes.push_back(FromProtoDispute(d));
  }
  const absl::Time now = clock_.Now();
  const std::string dispute_id = absl::StrCat("d-", st.doc.disputes_size() + 1);
  SALESOPS_ASSIGN_OR_RETURN(
      Dispute d, RaiseDispute(rec, {dispute_id, req.line_number(), member, req.reason()}, now));
  const std::string currency = st.doc.net_payable().currency_code();
  v1::CommissionStatement next = st.doc;
  next.clear_etag();
  const v1::Dispute pd = ToProtoDispute(d, next.name(), currency);
  *next.add_disputes() = pd;
  Change c;
  c.PutDoc(DocKind::kStatement, StripName(next.name()), Stored(next), st.version);
  c.RememberRequest(call.principal.member_id, req.request_id(),
                    absl::StrCat(next.name(), "/disputes/", dispute_id));
  v1::DisputeRaised e;
  e.set_statement(next.name());
  e.set_member(next.member());
  *e.mutable_dispute() = pd;
  for (const auto& l : next.lines()) {
    if (l.line_number() == req.line_number()) {
      *e.mutable_line() = l;
    }
  }
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, member, next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  next.set_etag(absl::StrCat(st.version + 1));
  *resp->mutable_dispute() = pd;
  *resp->mutable_commission_statement() = std::move(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ResolveStatementDispute(const CallContext& call,
                                                     const v1::ResolveStatementDisputeRequest& req,
                                                     v1::ResolveStatementDisputeResponse* resp) {
  Violations v;
  if (req.dispute_id().empty()) {
    v.Add("dispute_id", "required");
  }
  if (req.resolution() != v1::DISPUTE_RESOLUTION_ACCEPT &&
      req.resolution() != v1::DISPUTE_RESOLUTION_REJECT) {
    v.Add("resolution", "ACCEPT or REJECT");
  }
  CheckText(v, "reason", req.reason(), 1, 1000);
  if (req.resolution() == v1::DISPUTE_RESOLUTION_ACCEPT) {
    (void)CheckStatementMoney(v, "adjustment", req.adjustment(), "", false);
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "statement", req.statement()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), st.version, req.statement()));
  const std::string currency = st.doc.net_payable().currency_code();
  if (req.resolution() == v1::DISPUTE_RESOLUTION_ACCEPT &&
      req.adjustment().currency_code() != currency) {
    return InvalidField("adjustment.currency_code", "must be the statement's currency");
  }
  const auto [period, member] = *SplitStatementId(StripName(req.statement()));
  StatementRecord rec;
  rec.statement = FromStatementProto(st.doc);
  rec.state = FromProtoState(st.doc.state());
  for (const auto& d : st.doc.disputes()) {
    rec.disputes.push_back(FromProtoDispute(d));
  }
  const absl::Time now = clock_.Now();
  Change c;
  std::string adjustment_statement;
  if (req.resolution() == v1::DISPUTE_RESOLUTION_ACCEPT) {
    SALESOPS_ASSIGN_OR_RETURN(Adjustment adj,
                              AcceptDispute(rec, req.dispute_id(), call.principal.member_id,
                                            req.adjustment().amount_minor(), req.reason(), now));
    // The adjustment goes on the member's next statement that is still a DRAFT.
    const int start_month = recomputer_.options().fiscal_year_start_month;
    std::optional<FiscalQuarter> q = ParseQuarter(period, start_month);
    if (!q) {
      return Internal("BAD_PERIOD", period);
    }
    FiscalQuarter target = NextQuarter(*q, start_month);
    for (int i = 0; i < kMaxLookAhead; ++i) {
      SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> d,
                                repo_.GetDoc(DocKind::kStatement, StatementId(target.id, member)));
      v1::CommissionStatement later;
      if (!d || !later.ParseFromString(d->data) || later.state() == v1::STATEMENT_STATE_DRAFT) {
        break;
      }
      target = NextQuarter(target, start_month);
    }
    c.SetField(MapKind::kRepInputs, InputsId(member, target.id),
               absl::StrCat("d:", adj.adjustment_id), ToStoredAdjustment(adj).SerializeAsString());
    TouchRep(c, member, target.id, nullptr);
    adjustment_statement = StatementName(StatementId(target.id, member));
  } else {
    SALESOPS_RETURN_IF_ERROR(
        RejectDispute(rec, req.dispute_id(), call.principal.member_id, req.reason(), now));
  }
  v1::CommissionStatement next = st.doc;
  next.clear_etag();
  v1::Dispute resolved;
  for (size_t i = 0; i < rec.disputes.size(); ++i) {
    if (rec.disputes[i].dispute_id != req.dispute_id()) {
      continue;
    }
    resolved = ToProtoDispute(rec.disputes[i], next.name(), currency);
    resolved.set_adjustment_statement(adjustment_statement);
    *next.mutable_disputes(static_cast<int>(i)) = resolved;
  }
  c.PutDoc(DocKind::kStatement, StripName(next.name()), Stored(next), st.version);
  v1::DisputeResolved e;
  e.set_statement(next.name());
  e.set_member(next.member());
  *e.mutable_dispute() = resolved;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, member, next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  if (!adjustment_statement.empty()) {
    absl::Status r = recomputer_.RecomputeRep(member);
    if (!r.ok()) {
      LogWarning("recompute after dispute", {{"member", member}, {"error", r.ToString()}});
    }
  }
  next.set_etag(absl::StrCat(st.version + 1));
  *resp->mutable_dispute() = resolved;
  *resp->mutable_commission_statement() = std::move(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListStatementDisputes(const CallContext& call,
                                                   const v1::ListStatementDisputesRequest& req,
                                                   v1::ListStatementDisputesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string member, statement;
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), "members");
  }
  if (!req.statement().empty()) {
    statement = ParseDottedName(v, "statement", req.statement(), "commissionStatements");
  }
  if (!v1::DisputeState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter =
      absl::StrCat(member, "|", statement, "|", static_cast<int>(req.state()));
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  int offset = 0;
  if (cursor && !absl::SimpleAtoi(cursor->after, &offset)) {
    v.Add("page_token", "malformed");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<v1::CommissionStatement> statements;
  if (!statement.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto st, LoadStatement(call, "statement", req.statement()));
    statements.push_back(std::move(st.doc));
  } else {
    if (!member.empty()) {
      SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
      if (!ok) {
        return DenyAccess(req.member());
      }
    }
    const std::string index = member.empty() ? kStatementsIndex : MemberStatementsIndex(member);
    std::string after;
    int scanned = 0;
    while (scanned < kMaxScanPerCall * 5) {
      if (call.Expired()) {
        return DeadlineExceeded("ListStatementDisputes");
      }
      SALESOPS_ASSIGN_OR_RETURN(auto ids, repo_.Range(index, "", after, 500));
      if (ids.empty()) {
        break;
      }
      SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kStatement, ids));
      for (auto& d : docs) {
        ++scanned;
        v1::CommissionStatement s;
        if (!d || !s.ParseFromString(d->data) || s.disputes().empty()) {
          continue;
        }
        SALESOPS_ASSIGN_OR_RETURN(bool ok,
                                  scope_.CoversMember(call.principal, StripName(s.member())));
        if (ok) {
          statements.push_back(std::move(s));
        }
      }
      after = ids.back();
    }
  }
  std::vector<v1::Dispute> all;
  for (const auto& s : statements) {
    for (const auto& d : s.disputes()) {
      if (req.state() != v1::DISPUTE_STATE_UNSPECIFIED && d.state() != req.state()) {
        continue;
      }
      all.push_back(d);
    }
  }
  // Newest first; ties by statement and id so pages are stable.
  std::sort(all.begin(), all.end(), [](const v1::Dispute& a, const v1::Dispute& b) {
    const auto ta = FromTs(a.raise_time()), tb = FromTs(b.raise_time());
    if (ta != tb) {
      return ta > tb;
    }
    return std::tie(a.statement(), a.dispute_id()) < std::tie(b.statement(), b.dispute_id());
  });
  for (int i = offset; i < static_cast<int>(all.size()) && i < offset + page_size; ++i) {
    *resp->add_disputes() = all[i];
  }
  if (offset + page_size < static_cast<int>(all.size())) {
    resp->set_next_page_token(EncodePageToken({absl::StrCat(offset + page_size), filter}));
  }
  return absl::OkStatus();
}

absl::Status PerformanceApi::ExportCommissionStatements(
    const CallContext& call, const v1::ExportCommissionStatementsRequest& req,
    v1::ExportCommissionStatementsResponse* resp) {
  Violations v;
  const std::string period = IdOf(v, "period", req.period(), "fiscalPeriods");
  std::string unit;
  if (!req.org_unit().empty()) {
    unit = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<v1::CommissionStatement> statements;
  std::string after;
  while (true) {
    if (call.Expired()) {
      return DeadlineExceeded("ExportCommissionStatements");
    }
    SALESOPS_ASSIGN_OR_RETURN(auto ids,
                              repo_.Range(kStatementsIndex, absl::StrCat(period, "."), after, 500));
    if (ids.empty()) {
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kStatement, ids));
    for (auto& d : docs) {
      v1::CommissionStatement s;
      if (!d || !s.ParseFromString(d->data)) {
        continue;
      }
      if (s.state() != v1::STATEMENT_STATE_ISSUED && s.state() != v1::STATEMENT_STATE_PAID) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(bool ok,
                                scope_.CoversMember(call.principal, StripName(s.member())));
      if (!ok) {
        continue;
      }
      if (!unit.empty()) {
        SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(StripName(s.member())));
        if (!m) {
          continue;
        }
        SALESOPS_ASSIGN_OR_RETURN(auto up, org_.UnitAndAncestors(m->team));
        if (std::find(up.begin(), up.end(), unit) == up.end()) {
          continue;
        }
      }
      if (static_cast<int>(statements.size()) >= kMaxExported) {
        return FailedPrecondition("EXPORT_TOO_LARGE",
                                  "more than 10000 statements: export per org unit");
      }
      statements.push_back(std::move(s));
    }
    after = ids.back();
  }
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int64_t total = 0;
  std::string currency = recomputer_.options().currency;
  auto money = [](const salesops::common::v1::Money& m) { return FormatMinor(m.amount_minor()); };
  for (const v1::CommissionStatement& s : statements) {
    std::optional<int64_t> sum = CheckedAdd(total, s.net_payable().amount_minor());
    if (!sum) {
      return FailedPrecondition("AMOUNT_OVERFLOW", "the total does not fit");
    }
    total = *sum;
    currency = s.net_payable().currency_code();
    const std::string member = StripName(s.member());
    const std::string id = StripName(s.name());
    if (req.include_lines()) {
      for (const auto& l : s.lines()) {
        rows.push_back({member, period, id, absl::StrCat(l.line_number()),
                        std::string(LineKindName(FromProtoLineKind(l.kind()))), l.description(),
                        l.source(), money(l.credited_amount()), absl::StrCat(l.rate_millionths()),
                        money(l.amount()), l.amount().currency_code(), l.event_id()});
      }
    } else {
      rows.push_back({member,
                      period,
                      id,
                      StateLabel(s.state()),
                      s.net_payable().currency_code(),
                      money(s.credited_revenue()),
                      money(s.target()),
                      absl::StrFormat("%d.%02d", s.attainment_basis_points() / 100,
                                      s.attainment_basis_points() % 100),
                      money(s.gross()),
                      money(s.cap_reduction()),
                      money(s.held()),
                      money(s.released()),
                      money(s.clawback_total()),
                      money(s.bonus_total()),
                      money(s.adjustment_total()),
                      money(s.carried_balance()),
                      money(s.draw_advance()),
                      money(s.draw_recovery()),
                      money(s.deferred_balance()),
                      money(s.net_payable()),
                      s.has_issue_time() ? FormatRfc3339(FromTs(s.issue_time())) : "",
                      s.payment_reference()});
    }
  }
  if (req.include_lines()) {
    header = {"员工", "期间",     "对账单",         "行号", "类型", "说明",
              "来源", "计提基数", "费率(百万分之)", "金额", "币种", "事件"};
  } else {
    header = {"员工",       "期间",      "对账单",   "状态",       "币种", "计提收入",
              "目标",       "达成率(%)", "佣金毛额", "封顶扣减",   "暂扣", "释放",
              "追回",       "奖金",      "调整",     "上期负余额", "预支", "预支回收",
              "负余额递延", "应付净额",  "出具时间", "付款参考"};
  }
  resp->set_csv(WriteCsv(header, rows, /*bom=*/true));
  resp->set_file_name(
      absl::StrCat("commission-", period, req.include_lines() ? "-lines" : "", ".csv"));
  resp->set_statement_count(static_cast<int32_t>(statements.size()));
  *resp->mutable_total_net_payable() = Money(total, currency);
  return absl::OkStatus();
}

}  // namespace salesops::performance
