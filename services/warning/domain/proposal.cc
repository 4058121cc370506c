#include "services/warning/domain/proposal.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status/errors.h"
#include "google/protobuf/util/time_util.h"

namespace salesops::warning {
namespace {

constexpr size_t kMaxTitleBytes = 200;
constexpr size_t kMaxTextBytes = 4000;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string MemberName(const Principal& who) { return absl::StrCat("members/", who.member_id); }

bool IsResourceName(absl::string_view name, absl::string_view collection) {
  return absl::StartsWith(name, collection) && name.size() > collection.size() &&
         name.substr(collection.size()).find('/') == absl::string_view::npos;
}

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool IsMember(const Principal& who, const ProposalContext& ctx) {
  return Contains(ctx.members, MemberName(who));
}

bool IsDecider(const v1::StrategyProposal& p, const Principal& who, const ProposalContext& ctx) {
  return p.author() == MemberName(who) || HasAuthority(who, ctx);
}

bool IsFinished(v1::ProposalState s) {
  return s == v1::PROPOSAL_STATE_CLOSED || s == v1::PROPOSAL_STATE_WITHDRAWN;
}

absl::Status NotDecided(const v1::StrategyProposal& p) {
  return FailedPrecondition(reasons::kProposalNotDecided,
                            absl::StrCat(p.name(), " is ", v1::ProposalState_Name(p.state()),
                                         "; actions are tracked only on a decided proposal"));
}

// A real calendar date.
bool IsValidDate(const common::v1::Date& d) {
  if (d.year() < 1 || d.month() < 1 || d.month() > 12 || d.day() < 1) {
    return false;
  }
  const absl::CivilDay day(d.year(), d.month(), d.day());
  return day.year() == d.year() && day.month() == d.month() && day.day() == d.day();
}

void ValidateDueDate(const common::v1::Date& d, const std::string& field,
                     const ProposalContext& ctx, absl::Time now, Violations& v) {
  if (!IsValidDate(d)) {
    v.Add(field, "must be a calendar date");
    return;
  }
  const absl::CivilDay today = absl::ToCivilDay(now, ctx.time_zone);
  if (absl::CivilDay(d.year(), d.month(), d.day()) < today) {
    v.Add(field, "must not be in the past");
  }
}

void ValidateActionDraft(const ActionDraft& a, const std::string& field, const ProposalContext& ctx,
                         absl::Time now, Violations& v) {
  if (a.action_id().empty() || a.action_id().size() > 64) {
    v.Add(field + ".action_id", "must be 1..64 bytes");
  }
  if (a.description().empty() || a.description().size() > kMaxTextBytes) {
    v.Add(field + ".description", absl::StrCat("must be 1..", kMaxTextBytes, " bytes"));
  }
  if (!IsResourceName(a.owner(), "members/")) {
    v.Add(field + ".owner", "must be members/{id}");
  }
  if (!a.has_due_date()) {
    v.Add(field + ".due_date", "is required");
  } else {
    ValidateDueDate(a.due_date(), field + ".due_date", ctx, now, v);
  }
  if (a.note().size() > kMaxTextBytes) {
    v.Add(field + ".note", absl::StrCat("must be at most ", kMaxTextBytes, " bytes"));
  }
}

v1::FollowUpAction NewAction(const ActionDraft& a, absl::Time now) {
  v1::FollowUpAction out;
  out.set_action_id(a.action_id());
  out.set_description(a.description());
  out.set_owner(a.owner());
  *out.mutable_due_date() = a.due_date();
  out.set_note(a.note());
  out.set_status(v1::ACTION_STATUS_TODO);
  *out.mutable_update_time() = ToProto(now);
  return out;
}

bool TakesActions(v1::DecisionOutcome o) {
  return o == v1::DECISION_OUTCOME_APPROVED || o == v1::DECISION_OUTCOME_APPROVED_WITH_CHANGES;
}

bool IsFinal(v1::ActionStatus s) {
  return s == v1::ACTION_STATUS_DONE || s == v1::ACTION_STATUS_CANCELLED;
}

}  // namespace

bool HasAuthority(const Principal& who, const ProposalContext& ctx) {
  if (who.role < Role::kSupervisor) {
    return false;
  }
  if (who.org_unit_id.empty()) {
    return who.role == Role::kAdmin;
  }
  return Contains(ctx.unit_and_ancestors, absl::StrCat("orgUnits/", who.org_unit_id));
}

v1::VoteTally Tally(const v1::StrategyProposal& proposal, const std::vector<std::string>& members) {
  v1::VoteTally t;
  absl::flat_hash_set<absl::string_view> voted;
  for (const v1::Vote& v : proposal.votes()) {
    voted.insert(v.voter());
    switch (v.choice()) {
      case v1::VOTE_CHOICE_FOR:
        t.set_for_count(t.for_count() + 1);
        break;
      case v1::VOTE_CHOICE_AGAINST:
        t.set_against_count(t.against_count() + 1);
        break;
      case v1::VOTE_CHOICE_ABSTAIN:
        t.set_abstain_count(t.abstain_count() + 1);
        break;
      default:
        break;
    }
  }
  absl::flat_hash_set<absl::string_view> pending;
  for (const std::string& m : members) {
    if (!voted.contains(m)) {
      pending.insert(m);
    }
  }
  t.set_pending_count(static_cast<int32_t>(pending.size()));
  return t;
}

absl::StatusOr<v1::StrategyProposal> OpenProposal(const v1::StrategyProposal& draft,
                                                  const v1::Warning& warning,
                                                  const ProposalContext& ctx, const Principal& who,
                                                  absl::Time now) {
  if (who.role < Role::kSupervisor) {
    return PermissionDenied(reasons::kSupervisorRequired,
                            "only a supervisor or above opens a strategy proposal");
  }
  if (!HasAuthority(who, ctx)) {
    return PermissionDenied(reasons::kOutsideScope,
                            "the proposal's unit is outside the caller's org unit");
  }
  Violations v;
  if (!IsResourceName(draft.name(), "proposals/")) {
    v.Add("proposal.name", "must be proposals/{id}");
  }
  if (draft.title().empty() || draft.title().size() > kMaxTitleBytes) {
    v.Add("proposal.title", absl::StrCat("must be 1..", kMaxTitleBytes, " bytes"));
  }
  if (draft.description().empty() || draft.description().size() > kMaxTextBytes) {
    v.Add("proposal.description", absl::StrCat("must be 1..", kMaxTextBytes, " bytes"));
  }
  const std::string& unit = draft.org_unit().empty() ? warning.org_unit() : draft.org_unit();
  if (unit != warning.org_unit()) {
    v.Add("proposal.org_unit", "must be the warning's org unit");
  } else if (ctx.unit_and_ancestors.empty() || ctx.unit_and_ancestors.front() != unit) {
    v.Add("proposal.org_unit", "does not match the org context it was checked against");
  }
  if (draft.has_voting_deadline() && FromProto(draft.voting_deadline()) <= now) {
    v.Add("proposal.voting_deadline", "must be in the future");
  }
  if (!v.empty()) {
    return v.Finish();
  }
  if (warning.state() != v1::WARNING_STATE_OPEN &&
      warning.state() != v1::WARNING_STATE_ACKNOWLEDGED) {
    return FailedPrecondition(
        reasons::kWarningNotOpen,
        absl::StrCat(warning.name(), " is ", v1::WarningState_Name(warning.state()),
                     "; proposals are opened on active warnings"));
  }
  v1::StrategyProposal p;
  p.set_name(draft.name());
  p.set_title(draft.title());
  p.set_description(draft.description());
  p.add_warnings(warning.name());
  p.set_org_unit(unit);
  p.set_author(MemberName(who));
  p.set_state(v1::PROPOSAL_STATE_OPEN);
  if (draft.has_voting_deadline()) {
    *p.mutable_voting_deadline() = draft.voting_deadline();
  }
  *p.mutable_tally() = Tally(p, ctx.members);
  *p.mutable_create_time() = ToProto(now);
  *p.mutable_update_time() = ToProto(now);
  return p;
}

absl::StatusOr<v1::StrategyProposal> AddComment(const v1::StrategyProposal& proposal,
                                                const v1::ProposalComment& comment,
                                                const ProposalContext& ctx, const Principal& who,
                                                absl::Time now) {
  if (!IsMember(who, ctx) && !HasAuthority(who, ctx)) {
    return PermissionDenied(reasons::kNotAMember,
                            "only members of the proposal's unit (or above) comment");
  }
  Violations v;
  if (comment.comment_id().empty() || comment.comment_id().size() > 64) {
    v.Add("request_id", "must be 1..64 bytes");
  }
  if (comment.text().empty() || comment.text().size() > kMaxTextBytes) {
    v.Add("text", absl::StrCat("must be 1..", kMaxTextBytes, " bytes"));
  }
  if (!comment.reply_to().empty() &&
      std::none_of(
          proposal.comments().begin(), proposal.comments().end(),
          [&](const v1::ProposalComment& c) { return c.comment_id() == comment.reply_to(); })) {
    v.Add("reply_to", "must name an earlier comment of this proposal");
  }
  if (!v.empty()) {
    return v.Finish();
  }
  for (const v1::ProposalComment& c : proposal.comments()) {
    if (c.comment_id() == comment.comment_id()) {
      return AlreadyExists(reasons::kCommentExists, "a comment with this id exists",
                           absl::StrCat(proposal.name(), "/comments/", c.comment_id()));
    }
  }
  if (IsFinished(proposal.state())) {
    return FailedPrecondition(
        reasons::kProposalFinished,
        absl::StrCat(proposal.name(), " is ", v1::ProposalState_Name(proposal.state())));
  }
  v1::StrategyProposal next = proposal;
  v1::ProposalComment* c = next.add_comments();
  c->set_comment_id(comment.comment_id());
  c->set_author(MemberName(who));
  c->set_text(comment.text());
  c->set_reply_to(comment.reply_to());
  *c->mutable_create_time() = ToProto(now);
  *next.mutable_update_time() = ToProto(now);
  return next;
}

absl::StatusOr<VoteResult> CastVote(const v1::StrategyProposal& proposal, v1::VoteChoice choice,
                                    absl::string_view comment, const ProposalContext& ctx,
                                    const Principal& who, absl::Time now) {
  if (!IsMember(who, ctx)) {
    return PermissionDenied(reasons::kNotEligibleToVote,
                            "only members of the proposal's unit vote");
  }
  Violations v;
  if (choice == v1::VOTE_CHOICE_UNSPECIFIED || !v1::VoteChoice_IsValid(choice)) {
    v.Add("choice", "must be FOR, AGAINST or ABSTAIN");
  }
  if (comment.size() > kMaxTextBytes) {
    v.Add("comment", absl::StrCat("must be at most ", kMaxTextBytes, " bytes"));
  }
  if (!v.empty()) {
    return v.Finish();
  }
  if (proposal.state() != v1::PROPOSAL_STATE_OPEN) {
    return FailedPrecondition(
        reasons::kProposalNotOpen,
        absl::StrCat(proposal.name(), " is ", v1::ProposalState_Name(proposal.state()),
                     "; votes are taken only while it is open"));
  }
  if (proposal.has_voting_deadline() && now >= FromProto(proposal.voting_deadline())) {
    return FailedPrecondition(reasons::kVotingClosed,
                              absl::StrCat("voting on ", proposal.name(), " has closed"));
  }
  VoteResult r;
  r.proposal = proposal;
  r.vote.set_voter(MemberName(who));
  r.vote.set_choice(choice);
  r.vote.set_comment(std::string(comment));
  *r.vote.mutable_vote_time() = ToProto(now);
  bool replaced = false;
  for (v1::Vote& existing : *r.proposal.mutable_votes()) {
    if (existing.voter() == r.vote.voter()) {
      r.previous = existing;
      existing = r.vote;
      replaced = true;
      break;
    }
  }
  if (!replaced) {
    *r.proposal.add_votes() = r.vote;
  }
  *r.proposal.mutable_tally() = Tally(r.proposal, ctx.members);
  *r.proposal.mutable_update_time() = ToProto(now);
  return r;
}

absl::StatusOr<v1::StrategyProposal> Decide(const v1::StrategyProposal& proposal,
                                            v1::DecisionOutcome outcome,
                                            absl::string_view rationale,
                                            const std::vector<ActionDraft>& actions,
                                            const ProposalContext& ctx, const Principal& who,
                                            absl::Time now) {
  if (!IsDecider(proposal, who, ctx)) {
    return PermissionDenied(reasons::kNotDecider,
                            "only the proposal's author or a supervisor of its unit decides");
  }
  Violations v;
  if (outcome == v1::DECISION_OUTCOME_UNSPECIFIED || !v1::DecisionOutcome_IsValid(outcome)) {
    v.Add("outcome", "must be set");
  }
  if (rationale.empty() || rationale.size() > kMaxTextBytes) {
    v.Add("rationale", absl::StrCat("must be 1..", kMaxTextBytes, " bytes"));
  }
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < actions.size(); ++i) {
    const std::string field = absl::StrCat("actions[", i, "]");
    ValidateActionDraft(actions[i], field, ctx, now, v);
    if (!actions[i].action_id().empty() && !ids.insert(actions[i].action_id()).second) {
      v.Add(field + ".action_id", "is used twice");
    }
  }
  if (!v.empty()) {
    return v.Finish();
  }
  if (!actions.empty() && !TakesActions(outcome)) {
    return InvalidArgument({{"actions", absl::StrCat(v1::DecisionOutcome_Name(outcome),
                                                     " takes no follow-up actions")}},
                           reasons::kOutcomeTakesNoActions);
  }
  if (proposal.state() != v1::PROPOSAL_STATE_OPEN) {
    return FailedPrecondition(
        reasons::kProposalNotOpen,
        absl::StrCat(proposal.name(), " is ", v1::ProposalState_Name(proposal.state()),
                     "; only an open proposal can be decided"));
  }
  v1::StrategyProposal next = proposal;
  v1::Decision* d = next.mutable_decision();
  d->set_outcome(outcome);
  d->set_decided_by(MemberName(who));
  d->set_rationale(std::string(rationale));
  *d->mutable_decide_time() = ToProto(now);
  for (const ActionDraft& a : actions) {
    *next.add_actions() = NewAction(a, now);
  }
  next.set_state(outcome == v1::DECISION_OUTCOME_REJECTED ? v1::PROPOSAL_STATE_CLOSED
                                                          : v1::PROPOSAL_STATE_DECIDED);
  *next.mutable_tally() = Tally(next, ctx.members);
  *next.mutable_update_time() = ToProto(now);
  return next;
}

absl::StatusOr<ActionResult> AddAction(const v1::StrategyProposal& proposal,
                                       const ActionDraft& action, const ProposalContext& ctx,
                                       const Principal& who, absl::Time now) {
  if (!IsDecider(proposal, who, ctx)) {
    return PermissionDenied(reasons::kNotDecider,
                            "only the proposal's author or a supervisor of its unit adds actions");
  }
  Violations v;
  ValidateActionDraft(action, "action", ctx, now, v);
  if (!v.empty()) {
    return v.Finish();
  }
  for (const v1::FollowUpAction& a : proposal.actions()) {
    if (a.action_id() == action.action_id()) {
      return AlreadyExists(reasons::kActionExists, "an action with this id exists",
                           absl::StrCat(proposal.name(), "/actions/", a.action_id()));
    }
  }
  if (proposal.state() != v1::PROPOSAL_STATE_DECIDED) {
    return NotDecided(proposal);
  }
  if (!TakesActions(proposal.decision().outcome())) {
    return FailedPrecondition(reasons::kOutcomeTakesNoActions,
                              absl::StrCat(v1::DecisionOutcome_Name(proposal.decision().outcome()),
                                           " takes no follow-up actions"));
  }
  ActionResult r;
  r.proposal = proposal;
  r.action = NewAction(action, now);
  *r.proposal.add_actions() = r.action;
  *r.proposal.mutable_update_time() = ToProto(now);
  r.changed = true;
  return r;
}

bool IsAllowedActionTransition(v1::ActionStatus from, v1::ActionStatus to) {
  switch (from) {
    case v1::ACTION_STATUS_TODO:
      return to == v1::ACTION_STATUS_IN_PROGRESS || to == v1::ACTION_STATUS_DONE ||
             to == v1::ACTION_STATUS_CANCELLED;
    case v1::ACTION_STATUS_IN_PROGRESS:
      return to == v1::ACTION_STATUS_TODO || to == v1::ACTION_STATUS_DONE ||
             to == v1::ACTION_STATUS_CANCELLED;
    default:
      return false;
  }
}

absl::StatusOr<ActionResult> UpdateAction(const v1::StrategyProposal& proposal,
                                          absl::string_view action_id, const ActionUpdate& update,
                                          const ProposalContext& ctx, const Principal& who,
                                          absl::Time now) {
  int index = -1;
  for (int i = 0; i < proposal.actions_size(); ++i) {
    if (proposal.actions(i).action_id() == action_id) {
      index = i;
      break;
    }
  }
  const bool decider = IsDecider(proposal, who, ctx);
  const bool owner = index >= 0 && proposal.actions(index).owner() == MemberName(who);
  if (!decider && !owner) {
    // Checked before NOT_FOUND so a stranger learns nothing about the actions.
    return PermissionDenied(reasons::kNotActionOwner,
                            "only the action's owner or the proposal's deciders update it");
  }
  if (index < 0) {
    return NotFound(reasons::kActionNotFound,
                    absl::StrCat(proposal.name(), " has no action ", QuoteUntrusted(action_id)));
  }
  const v1::FollowUpAction& current = proposal.actions(index);
  if (!decider && (update.owner.has_value() || update.due_date.has_value() ||
                   update.status == v1::ACTION_STATUS_CANCELLED)) {
    return PermissionDenied(reasons::kSupervisorOnlyChange,
                            "reassigning, rescheduling or cancelling an action is for the "
                            "proposal's deciders");
  }
  Violations v;
  if (update.status.has_value() && (*update.status == v1::ACTION_STATUS_UNSPECIFIED ||
                                    !v1::ActionStatus_IsValid(*update.status))) {
    v.Add("action.status", "must be a known status");
  }
  if (update.owner.has_value() && !IsResourceName(*update.owner, "members/")) {
    v.Add("action.owner", "must be members/{id}");
  }
  if (update.due_date.has_value()) {
    ValidateDueDate(*update.due_date, "action.due_date", ctx, now, v);
  }
  if (update.note.has_value() && update.note->size() > kMaxTextBytes) {
    v.Add("action.note", absl::StrCat("must be at most ", kMaxTextBytes, " bytes"));
  }
  if (!v.empty()) {
    return v.Finish();
  }
  if (proposal.state() != v1::PROPOSAL_STATE_DECIDED) {
    return NotDecided(proposal);
  }
  const bool status_change = update.status.has_value() && *update.status != current.status();
  if (status_change && !IsAllowedActionTransition(current.status(), *update.status)) {
    return FailedPrecondition(reasons::kActionTransition,
                              absl::StrCat("action ", current.action_id(), " cannot go from ",
                                           v1::ActionStatus_Name(current.status()), " to ",
                                           v1::ActionStatus_Name(*update.status)));
  }
  ActionResult r;
  r.proposal = proposal;
  r.previous_status = current.status();
  v1::FollowUpAction& a = *r.proposal.mutable_actions(index);
  if (status_change) {
    a.set_status(*update.status);
    r.changed = true;
  }
  if (update.owner.has_value() && *update.owner != a.owner()) {
    a.set_owner(*update.owner);
    r.changed = true;
  }
  if (update.due_date.has_value() && (update.due_date->year() != a.due_date().year() ||
                                      update.due_date->month() != a.due_date().month() ||
                                      update.due_date->day() != a.due_date().day())) {
    *a.mutable_due_date() = *update.due_date;
    r.changed = true;
  }
  if (update.note.has_value() && *update.note != a.note()) {
    a.set_note(*update.note);
    r.changed = true;
  }
  if (!r.changed) {
    r.proposal = proposal;
    r.action = current;
    return r;
  }
  *a.mutable_update_time() = ToProto(now);
  r.action = a;
  const bool all_final =
      std::all_of(r.proposal.actions().begin(), r.proposal.actions().end(),
                  [](const v1::FollowUpAction& x) { return IsFinal(x.status()); });
  if (all_final) {
    r.proposal.set_state(v1::PROPOSAL_STATE_CLOSED);
    r.proposal_closed = true;
  }
  *r.proposal.mutable_update_time() = ToProto(now);
  return r;
}

}  // namespace salesops::warning
