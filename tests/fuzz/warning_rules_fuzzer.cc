// Fuzzes the warning domain (services/warning/domain) in four modes:
//
// Rule: any bytes as a Rule (text format through ParseRule, or binary through
//   ValidateRule), then EffectiveRule for a fuzzed unit chain, RenderMessage.
// State: any bytes as a stored SubjectState projection, turned into facts
//   (ToFacts) and evaluated against a shipped rule with fuzzed thresholds.
// Events: a fuzzed sequence of customers/targets events, each decoded from
//   fuzzed bytes as the warning consumer does (CloudEvent + DecodePayload) and
//   folded into a SubjectState by the Apply* functions, then evaluated against
//   every shipped rule that watches the subject's kind.
// Proposal: fuzzed workflow steps (open, comment, vote, decide, add and update
//   actions) by fuzzed principals on one proposal.
//
// Invariants: no crash and no UB; errors are statuses with a reason and a valid
// UTF-8 message, never INTERNAL or UNKNOWN, INVALID_ARGUMENT always naming
// non-empty fields (under "rule." for rules); a rule that parses validates, and
// so does its effective form; an evaluation carries its rule, subject and dedup
// key, a missing fact is named, a cleared verdict says why; reconciling the
// same facts twice raises once and then does nothing; NextChange lies after
// `now` and, before it, time alone does not change the verdict; a proposal's
// tally counts its votes (one per voter), its state only moves forward, and
// only members vote and only the author or a supervisor above decides.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "common/validation/validation.h"
#include "google/protobuf/stubs/logging.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "services/warning/domain/evaluate.h"
#include "services/warning/domain/proposal.h"
#include "services/warning/domain/rules.h"
#include "services/warning/domain/subjects.h"

namespace {

using namespace salesops;
using namespace salesops::warning;
namespace cv1 = salesops::customers::v1;
namespace tv1 = salesops::targets::v1;

constexpr size_t kParamBytes = 16;

void Check(bool invariant) {
  if (!invariant) {
    __builtin_trap();
  }
}

void CheckStatus(const absl::Status& s, absl::string_view prefix = "") {
  if (s.ok()) {
    return;
  }
  Check(s.code() != absl::StatusCode::kInternal && s.code() != absl::StatusCode::kUnknown);
  Check(!ErrorReason(s).empty());
  Check(Utf8Length(s.message()) >= 0);  // it travels in proto string fields
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return;
  }
  const std::vector<FieldViolation> fv = FieldViolations(s);
  Check(!fv.empty());
  for (const FieldViolation& v : fv) {
    Check(!v.field.empty() && !v.description.empty() && absl::StartsWith(v.field, prefix));
  }
}

const std::vector<v1::Rule>& ShippedRules() {
  static const auto* rules = [] {
    absl::StatusOr<std::vector<v1::Rule>> r = DefaultRules();
    if (!r.ok()) {
      __builtin_trap();
    }
    return new std::vector<v1::Rule>(*std::move(r));
  }();
  return *rules;
}

const absl::TimeZone& Zone() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

absl::Time Base() { return absl::FromCivil(absl::CivilSecond(2026, 5, 20, 9, 0, 0), Zone()); }

std::vector<std::string> UnitChain(FuzzedDataProvider& in) {
  static const std::vector<std::vector<std::string>> kChains = {
      {},
      {"orgUnits/team-1", "orgUnits/east", "orgUnits/acme"},
      {"orgUnits/east", "orgUnits/acme"},
      {"orgUnits/team-2", "orgUnits/west", "orgUnits/acme"}};
  return kChains[in.ConsumeIntegralInRange<size_t>(0, kChains.size() - 1)];
}

// ---- Evaluation ------------------------------------------------------------------

Verdict EvaluateChecked(const v1::Rule& rule, const SubjectFacts& f, absl::Time now,
                        Evaluation* out = nullptr) {
  absl::StatusOr<Evaluation> ev = Evaluate(rule, f, now);
  CheckStatus(ev.status());
  if (!ev.ok()) {
    Check(rule.name().empty() || f.subject.empty() ||
          rule.condition() == v1::CONDITION_KIND_UNSPECIFIED ||
          !v1::ConditionKind_IsValid(rule.condition()));
    return Verdict::kUnknown;
  }
  const v1::Warning& w = ev->warning;
  Check(w.rule() == rule.name() && w.subject() == f.subject && w.condition() == rule.condition());
  Check(w.dedup_key() == DedupKey(w.rule(), w.subject(), w.period()));
  switch (ev->verdict) {
    case Verdict::kHolds:
      Check(w.severity() == rule.severity());
      Check(rule.message_template().en().empty() || !w.message().en().empty());
      break;
    case Verdict::kClear:
      Check(ev->resolution != v1::WARNING_RESOLUTION_UNSPECIFIED && w.facts().empty());
      break;
    case Verdict::kUnknown:
      Check(absl::StartsWith(ev->missing, "facts.") && w.facts().empty());
      break;
  }
  // Raise once, then nothing while the facts stay the same.
  absl::StatusOr<Reconciliation> first = Reconcile(nullptr, *ev, now);
  CheckStatus(first.status());
  Check(first.ok());
  Check(first->action == (ev->verdict == Verdict::kHolds ? Action::kRaise : Action::kNone));
  if (first->action == Action::kRaise) {
    Check(first->warning.state() == v1::WARNING_STATE_OPEN);
    absl::StatusOr<Reconciliation> again = Reconcile(&first->warning, *ev, now);
    Check(again.ok() && again->action == Action::kNone);
    Evaluation cleared = *ev;
    cleared.verdict = Verdict::kClear;
    absl::StatusOr<Reconciliation> resolve = Reconcile(&first->warning, cleared, now);
    Check(resolve.ok() && resolve->action == Action::kResolve &&
          resolve->warning.state() == v1::WARNING_STATE_RESOLVED);
    v1::Warning other = first->warning;
    other.set_dedup_key(other.dedup_key() + "x");
    CheckStatus(Reconcile(&other, *ev, now).status());
  }
  const Verdict verdict = ev->verdict;
  if (out != nullptr) {
    *out = *std::move(ev);
  }
  return verdict;
}

// Evaluates `rule` on the state at `now` and checks NextChange: when `whole_seconds`
// (times in the state are whole seconds, as the projections store them), the
// verdict at any whole second before the next change equals the verdict now.
void EvaluateState(const v1::Rule& rule, const v1::SubjectState& s, std::optional<int64_t> weighted,
                   absl::Time now, int64_t probe_seconds, bool whole_seconds) {
  const SubjectFacts f = ToFacts(s, weighted, now, Zone());
  const Verdict verdict = EvaluateChecked(rule, f, now);
  const std::optional<absl::Time> next = NextChange(rule, f, now);
  if (next.has_value()) {
    Check(*next > now);
  }
  if (!whole_seconds || probe_seconds <= 0) {
    return;
  }
  const absl::Time later = now + absl::Seconds(probe_seconds);
  if (next.has_value() && later >= *next) {
    return;
  }
  if (rule.name().empty() || f.subject.empty()) {
    return;
  }
  Check(EvaluateChecked(rule, ToFacts(s, weighted, later, Zone()), later) == verdict);
}

// Whether the state's instants are whole seconds, as the projections store
// them (see EvaluateState).
bool WholeSeconds(const v1::SubjectState& s) {
  bool whole = s.stage_entered().nanos() == 0 && s.last_activity().nanos() == 0;
  for (const v1::OverdueInstalment& o : s.overdue()) {
    whole = whole && o.due_time().nanos() == 0;
  }
  return whole;
}

// A shipped rule, its threshold moved by the fuzzer; nullopt unless it still validates.
std::optional<v1::Rule> FuzzedShippedRule(FuzzedDataProvider& p) {
  const std::vector<v1::Rule>& rules = ShippedRules();
  v1::Rule rule = rules[p.ConsumeIntegralInRange<size_t>(0, rules.size() - 1)];
  rule.set_enabled(p.ConsumeIntegralInRange(0, 7) != 0);
  v1::Threshold& t = *rule.mutable_threshold();
  switch (p.ConsumeIntegralInRange(0, 4)) {
    case 0:
      t.set_days(p.ConsumeIntegralInRange(0, 3660));
      break;
    case 1:
      t.set_ratio_basis_points(p.ConsumeIntegralInRange(1, 1'000'000));
      t.set_grace_days(p.ConsumeIntegralInRange(0, 3660));
      break;
    case 2:
      t.mutable_min_amount()->set_amount_minor(p.ConsumeIntegralInRange<int64_t>(0, 1'000'000));
      t.mutable_min_amount()->set_currency_code(p.PickValueInArray({"CNY", "USD", ""}));
      break;
    default:
      break;
  }
  if (!ValidateRule(rule).ok()) {
    return std::nullopt;
  }
  return rule;
}

// ---- Modes -------------------------------------------------------------------------

void FuzzRule(FuzzedDataProvider& p, const std::string& bytes) {
  v1::Rule rule;
  if (p.ConsumeBool()) {
    absl::StatusOr<v1::Rule> parsed = ParseRule(bytes);
    CheckStatus(parsed.status(), "rule");
    if (!parsed.ok()) {
      return;
    }
    rule = *std::move(parsed);
    Check(ValidateRule(rule).ok());
  } else {
    if (!rule.ParseFromString(bytes)) {
      return;
    }
    const absl::Status s = ValidateRule(rule);
    CheckStatus(s, "rule.");
    if (!s.ok()) {
      return;
    }
  }
  (void)PlaceholdersFor(rule.condition());
  (void)StalledRuleStage(rule);
  const std::vector<std::string> chain = UnitChain(p);
  const v1::Rule eff = EffectiveRule(rule, chain);
  Check(eff.overrides().empty() && (rule.enabled() || !eff.enabled()));
  Check(eff.condition() == rule.condition() && eff.name() == rule.name());
  CheckStatus(ValidateRule(eff), "rule.");
  Check(ValidateRule(eff).ok());
  const absl::flat_hash_map<std::string, std::string> values = {
      {"subject", "张伟 {days}"}, {"days", "3"}, {"amount", "1,000.00 CNY"}};
  (void)RenderMessage(eff.message_template().zh(), values);
  (void)RenderMessage(eff.message_template().en(), values);
  // The rule on a typical subject of each kind.
  v1::SubjectState s;
  s.set_subject("opportunities/o-1");
  s.set_kind(v1::SUBJECT_KIND_OPPORTUNITY);
  s.set_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
  *s.mutable_stage_entered() = ToTs(Base() - absl::Hours(24 * 20));
  s.set_amount_minor(5'000'000);
  EvaluateState(eff, s, std::nullopt, Base(), 0, false);
}

void FuzzState(FuzzedDataProvider& p, const std::string& bytes) {
  std::optional<v1::Rule> rule = FuzzedShippedRule(p);
  const absl::Time now =
      Base() + absl::Seconds(p.ConsumeIntegralInRange<int64_t>(-400LL * 86400, 400LL * 86400));
  std::optional<int64_t> weighted;
  if (p.ConsumeBool()) {
    weighted = p.ConsumeIntegral<int64_t>();
  }
  const int64_t probe = p.ConsumeIntegralInRange<int64_t>(1, 120LL * 86400);
  v1::SubjectState s;
  if (!rule.has_value() || !s.ParseFromString(bytes)) {
    return;
  }
  EvaluateState(*rule, s, weighted, now, probe, WholeSeconds(s));
}

// One event the warning consumer reads, decoded the way it decodes it.
template <typename M>
std::optional<M> Decode(const std::string& data, absl::Time at) {
  CloudEvent e;
  e.type = std::string(M::descriptor()->full_name());
  e.time = at;
  e.data = data;
  absl::StatusOr<M> m = DecodePayload<M>(e);
  if (!m.ok()) {
    Check(m.status().code() == absl::StatusCode::kInvalidArgument);
    return std::nullopt;
  }
  return *std::move(m);
}

void ApplyEvent(FuzzedDataProvider& in, v1::SubjectState* s, absl::Time at) {
  static const StageWeights kWeights = DefaultStageWeights();
  const int type = in.ConsumeIntegralInRange(0, 15);
  const std::string data = in.ConsumeRandomLengthString(256);
  switch (type) {
    case 0:
      if (auto e = Decode<cv1::OpportunityCreated>(data, at)) {
        ApplyOpportunityCreated(*e, at, kWeights, s);
      }
      break;
    case 1:
      if (auto e = Decode<cv1::OpportunityStageChanged>(data, at)) {
        ApplyStageChanged(*e, at, kWeights, s);
      }
      break;
    case 2:
      if (auto e = Decode<cv1::OpportunityUpdated>(data, at)) {
        ApplyOpportunityUpdated(e->opportunity(), kWeights, s);
      }
      break;
    case 3:
      if (auto e = Decode<cv1::OpportunityWon>(data, at)) {
        ApplyOpportunityClosed(e->opportunity(), cv1::OPPORTUNITY_STAGE_WON, s);
      }
      break;
    case 4:
      if (auto e = Decode<cv1::OpportunityLost>(data, at)) {
        ApplyOpportunityClosed(e->opportunity(), cv1::OPPORTUNITY_STAGE_LOST, s);
      }
      break;
    case 5:
      if (auto e = Decode<cv1::CustomerCreated>(data, at)) {
        ApplyCustomerCreated(e->customer(), at, s);
      }
      break;
    case 6:
      if (auto e = Decode<cv1::CustomerTierChanged>(data, at)) {
        ApplyTierChanged(*e, s);
      }
      break;
    case 7:
      if (auto e = Decode<cv1::ActivityLogged>(data, at)) {
        const absl::Time occur =
            e->activity().has_occur_time() ? FromTs(e->activity().occur_time()) : at;
        ApplyActivity(e->activity().customer(), occur, s);
      }
      break;
    case 8:
      if (auto e = Decode<cv1::CustomerClaimed>(data, at)) {
        ApplyCustomerOwner(e->customer(), e->display_name(), e->owner(), e->team(), at, s);
      }
      break;
    case 9:
      if (auto e = Decode<cv1::CustomerHandedOver>(data, at)) {
        ApplyCustomerOwner(e->customer(), e->display_name(), e->to_owner(), e->to_team(), at, s);
      }
      break;
    case 10:
      if (auto e = Decode<cv1::CustomerReleasedToPool>(data, at)) {
        ApplyCustomerReleased(e->customer(), s);
      }
      break;
    case 11:
      if (auto e = Decode<cv1::PaymentOverdue>(data, at)) {
        ApplyPaymentOverdue(*e, Zone(), s);
      }
      break;
    case 12:
      if (auto e = Decode<cv1::PaymentReceived>(data, at)) {
        ApplyPaymentReceived(*e, s);
      }
      break;
    case 13:
      if (auto e = Decode<cv1::ContractCancelled>(data, at)) {
        ApplyContractEnded(e->contract().name(), s);
      }
      break;
    case 14:
      if (auto e = Decode<cv1::ContractClosed>(data, at)) {
        ApplyContractEnded(e->contract().name(), s);
      }
      break;
    default:
      if (auto e = Decode<tv1::AttainmentUpdated>(data, at)) {
        // The consumer skips other levels and events without a period or subject.
        if (!AttainmentSubject(*e).empty() && !e->period().empty()) {
          ApplyAttainment(*e, s);
        }
      }
  }
}

void FuzzEvents(FuzzedDataProvider& in) {
  v1::SubjectState s;
  absl::Time at = Base() - absl::Hours(24 * 60);
  const int n = in.ConsumeIntegralInRange(1, 6);
  for (int i = 0; i < n; ++i) {
    at += absl::Seconds(in.ConsumeIntegralInRange<int64_t>(-86400, 40LL * 86400));
    ApplyEvent(in, &s, at);
  }
  const bool whole = WholeSeconds(s);
  const absl::Time now = at + absl::Seconds(in.ConsumeIntegralInRange<int64_t>(0, 90LL * 86400));
  const int64_t probe = in.ConsumeIntegralInRange<int64_t>(1, 120LL * 86400);
  std::optional<int64_t> weighted;
  if (in.ConsumeBool()) {
    weighted = in.ConsumeIntegralInRange<int64_t>(0, 100'000'000'000);
  }
  for (const v1::Rule& shipped : ShippedRules()) {
    if (!AppliesTo(shipped.condition(), s.kind())) {
      continue;
    }
    v1::Rule rule = shipped;
    rule.set_enabled(true);
    EvaluateState(rule, s, weighted, now, probe, whole);
  }
}

// ---- Proposal workflow -----------------------------------------------------------

Principal FuzzPrincipal(FuzzedDataProvider& in) {
  Principal who;
  who.role = static_cast<Role>(in.ConsumeIntegralInRange(1, 5));
  who.member_id = in.PickValueInArray({"rep-1", "rep-2", "sup-1", "mgr-1", "stranger"});
  who.org_unit_id = in.PickValueInArray({"team-1", "east", "acme", "west", ""});
  return who;
}

common::v1::Date FuzzDate(FuzzedDataProvider& in, absl::Time now) {
  common::v1::Date d;
  if (in.ConsumeBool()) {
    const absl::CivilDay day = absl::ToCivilDay(now, Zone()) + in.ConsumeIntegralInRange(-3, 60);
    d.set_year(static_cast<int32_t>(day.year()));
    d.set_month(day.month());
    d.set_day(day.day());
  } else {
    d.set_year(in.ConsumeIntegral<int32_t>());
    d.set_month(in.ConsumeIntegral<int32_t>());
    d.set_day(in.ConsumeIntegral<int32_t>());
  }
  return d;
}

std::string FuzzText(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.PickValueInArray({"", "调整拜访节奏", "a1", "x"})
                          : in.ConsumeRandomLengthString(16);
}

ActionDraft FuzzAction(FuzzedDataProvider& in, absl::Time now) {
  ActionDraft a;
  a.set_action_id(in.PickValueInArray({"a1", "a2", "a3", ""}));
  a.set_description(FuzzText(in));
  a.set_owner(in.PickValueInArray({"members/rep-1", "members/rep-2", "rep-1", ""}));
  if (in.ConsumeBool()) {
    *a.mutable_due_date() = FuzzDate(in, now);
  }
  if (in.ConsumeBool()) {
    a.set_note(FuzzText(in));
  }
  return a;
}

int StateRank(v1::ProposalState s) {
  switch (s) {
    case v1::PROPOSAL_STATE_OPEN:
      return 1;
    case v1::PROPOSAL_STATE_DECIDED:
      return 2;
    default:
      return 3;  // CLOSED, WITHDRAWN
  }
}

void CheckProposal(const v1::StrategyProposal& p, const ProposalContext& ctx) {
  absl::flat_hash_set<std::string> voters;
  int counts[4] = {0, 0, 0, 0};
  for (const v1::Vote& v : p.votes()) {
    Check(voters.insert(v.voter()).second);  // one vote per voter
    Check(std::find(ctx.members.begin(), ctx.members.end(), v.voter()) != ctx.members.end());
    Check(v.choice() >= 1 && v.choice() <= 3);
    ++counts[v.choice()];
  }
  const v1::VoteTally& t = p.tally();
  Check(t.for_count() == counts[v1::VOTE_CHOICE_FOR]);
  Check(t.against_count() == counts[v1::VOTE_CHOICE_AGAINST]);
  Check(t.abstain_count() == counts[v1::VOTE_CHOICE_ABSTAIN]);
  Check(t.pending_count() + p.votes_size() == static_cast<int>(ctx.members.size()));
  absl::flat_hash_set<std::string> ids;
  for (const v1::FollowUpAction& a : p.actions()) {
    Check(ids.insert(a.action_id()).second);
  }
  absl::flat_hash_set<std::string> comments;
  for (const v1::ProposalComment& c : p.comments()) {
    Check(comments.insert(c.comment_id()).second);
  }
}

void FuzzProposal(FuzzedDataProvider& in) {
  ProposalContext ctx;
  ctx.unit_and_ancestors = {"orgUnits/team-1", "orgUnits/east", "orgUnits/acme"};
  ctx.members = {"members/rep-1", "members/rep-2", "members/sup-1"};
  ctx.time_zone = Zone();
  v1::Warning warning;
  warning.set_name("warnings/w-1");
  warning.set_org_unit("orgUnits/team-1");
  warning.set_state(in.ConsumeIntegralInRange(0, 7) == 0 ? v1::WARNING_STATE_RESOLVED
                                                         : v1::WARNING_STATE_OPEN);
  std::optional<v1::StrategyProposal> p;
  absl::Time now = Base();
  const int steps = in.ConsumeIntegralInRange(1, 12);
  for (int i = 0; i < steps && in.remaining_bytes() > 0; ++i) {
    now += absl::Minutes(in.ConsumeIntegralInRange(0, 60 * 24 * 5));
    const Principal who = FuzzPrincipal(in);
    const bool authority = HasAuthority(who, ctx);
    const bool member = std::find(ctx.members.begin(), ctx.members.end(),
                                  "members/" + who.member_id) != ctx.members.end();
    const int op = p.has_value() ? in.ConsumeIntegralInRange(0, 5) : 0;
    absl::StatusOr<v1::StrategyProposal> next = absl::UnknownError("unset");
    switch (op) {
      case 0: {
        v1::StrategyProposal draft;
        draft.set_name(in.PickValueInArray({"proposals/p-1", "proposals/", "p-1"}));
        draft.set_title(FuzzText(in));
        draft.set_description(FuzzText(in));
        draft.set_org_unit(in.PickValueInArray({"", "orgUnits/team-1", "orgUnits/east"}));
        if (in.ConsumeBool()) {
          *draft.mutable_voting_deadline() =
              ToTs(now + absl::Hours(in.ConsumeIntegralInRange(-48, 24 * 10)));
        }
        absl::StatusOr<v1::StrategyProposal> opened = OpenProposal(draft, warning, ctx, who, now);
        CheckStatus(opened.status());
        if (opened.ok()) {
          Check(authority && opened->state() == v1::PROPOSAL_STATE_OPEN);
          Check(warning.state() == v1::WARNING_STATE_OPEN);
        }
        // One proposal per run: a second open is checked above, not kept.
        next = p.has_value() ? absl::UnknownError("already open") : std::move(opened);
        break;
      }
      case 1: {
        v1::ProposalComment c;
        c.set_comment_id(in.PickValueInArray({"c1", "c2", ""}));
        c.set_text(FuzzText(in));
        c.set_reply_to(in.PickValueInArray({"", "c1", "nope"}));
        next = AddComment(*p, c, ctx, who, now);
        if (next.ok()) {
          Check(member || authority);
        }
        break;
      }
      case 2: {
        const auto choice = static_cast<v1::VoteChoice>(in.ConsumeIntegralInRange(-1, 5));
        absl::StatusOr<VoteResult> v = CastVote(*p, choice, FuzzText(in), ctx, who, now);
        if (v.ok()) {
          Check(member && p->state() == v1::PROPOSAL_STATE_OPEN);
          next = v->proposal;
        } else {
          next = v.status();
        }
        break;
      }
      case 3: {
        const auto outcome = static_cast<v1::DecisionOutcome>(in.ConsumeIntegralInRange(-1, 6));
        std::vector<ActionDraft> actions(in.ConsumeIntegralInRange(0, 3));
        for (ActionDraft& a : actions) {
          a = FuzzAction(in, now);
        }
        next = Decide(*p, outcome, FuzzText(in), actions, ctx, who, now);
        if (next.ok()) {
          Check(authority || p->author() == "members/" + who.member_id);
          Check(p->state() == v1::PROPOSAL_STATE_OPEN);
        }
        break;
      }
      case 4: {
        absl::StatusOr<ActionResult> r = AddAction(*p, FuzzAction(in, now), ctx, who, now);
        next = r.ok() ? absl::StatusOr<v1::StrategyProposal>(r->proposal) : r.status();
        if (r.ok()) {
          Check(p->state() == v1::PROPOSAL_STATE_DECIDED);
        }
        break;
      }
      default: {
        ActionUpdate u;
        if (in.ConsumeBool()) {
          u.status = static_cast<v1::ActionStatus>(in.ConsumeIntegralInRange(-1, 6));
        }
        if (in.ConsumeBool()) {
          u.owner = in.PickValueInArray({"members/rep-2", "x"});
        }
        if (in.ConsumeBool()) {
          u.due_date = FuzzDate(in, now);
        }
        if (in.ConsumeBool()) {
          u.note = FuzzText(in);
        }
        absl::StatusOr<ActionResult> r =
            UpdateAction(*p, in.PickValueInArray({"a1", "a2", "zz"}), u, ctx, who, now);
        next = r.ok() ? absl::StatusOr<v1::StrategyProposal>(r->proposal) : r.status();
        if (r.ok() && r->proposal_closed) {
          Check(r->proposal.state() == v1::PROPOSAL_STATE_CLOSED);
        }
      }
    }
    if (!next.ok()) {
      if (next.status().code() != absl::StatusCode::kUnknown) {
        CheckStatus(next.status());
      }
      continue;
    }
    CheckProposal(*next, ctx);
    if (p.has_value()) {
      Check(StateRank(next->state()) >= StateRank(p->state()));
    }
    p = *std::move(next);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  // Fuzzed bytes often carry invalid UTF-8 in string fields; protobuf logs each
  // such parse, which would drown the fuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int mode = in.ConsumeIntegralInRange(0, 3);  // the input's last byte
  switch (mode) {
    case 0:
    case 1: {
      const std::vector<uint8_t> param_bytes = in.ConsumeBytes<uint8_t>(kParamBytes);
      FuzzedDataProvider params(param_bytes.data(), param_bytes.size());
      const std::string bytes = in.ConsumeRemainingBytesAsString();
      if (mode == 0) {
        FuzzRule(params, bytes);
      } else {
        FuzzState(params, bytes);
      }
      break;
    }
    case 2:
      FuzzEvents(in);
      break;
    default:
      FuzzProposal(in);
  }
  return 0;
}
