// The strategy-adjustment workflow over StrategyProposal: a supervisor opens a
// proposal on an active warning, members of the unit comment and vote (one
// vote each, changeable until the decision), the opener or a supervisor above
// decides, and follow-up actions are tracked until every one is done or
// cancelled (then the proposal closes). Each function is one step: it checks
// who may take it, the input and the state, and returns the next state plus
// what the step's event needs. Pure; the caller stores the result and
// publishes the event (ProposalOpened, ProposalCommented, ProposalVoted,
// ProposalDecided, ActionUpdated).
//
//   ProposalContext ctx{unit_chain_of(draft.org_unit()), members_of(draft.org_unit())};
//   SALESOPS_ASSIGN_OR_RETURN(v1::StrategyProposal p, OpenProposal(draft, warning, ctx, who, now));
//   SALESOPS_ASSIGN_OR_RETURN(VoteResult v, CastVote(p, v1::VOTE_CHOICE_FOR, "", ctx, rep, now));
//
// Errors: PERMISSION_DENIED, then INVALID_ARGUMENT naming the request's field
// ("proposal.title", "text", "actions[0].owner", "action.status", ...), then
// FAILED_PRECONDITION;
// each with a stable reason from `reasons` below.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "salesops/warning/v1/warning_resources.pb.h"

namespace salesops::warning {

namespace reasons {
// PERMISSION_DENIED
inline constexpr absl::string_view kSupervisorRequired = "SUPERVISOR_REQUIRED";
inline constexpr absl::string_view kOutsideScope = "OUTSIDE_SCOPE";
inline constexpr absl::string_view kNotAMember = "NOT_A_MEMBER";
inline constexpr absl::string_view kNotEligibleToVote = "NOT_ELIGIBLE_TO_VOTE";
inline constexpr absl::string_view kNotDecider = "NOT_DECIDER";
inline constexpr absl::string_view kNotActionOwner = "NOT_ACTION_OWNER";
inline constexpr absl::string_view kSupervisorOnlyChange = "SUPERVISOR_ONLY_CHANGE";
// FAILED_PRECONDITION
inline constexpr absl::string_view kWarningNotOpen = "WARNING_NOT_OPEN";
inline constexpr absl::string_view kProposalNotOpen = "PROPOSAL_NOT_OPEN";
inline constexpr absl::string_view kProposalFinished = "PROPOSAL_FINISHED";
inline constexpr absl::string_view kVotingClosed = "VOTING_DEADLINE_PASSED";
inline constexpr absl::string_view kProposalNotDecided = "PROPOSAL_NOT_DECIDED";
inline constexpr absl::string_view kOutcomeTakesNoActions = "OUTCOME_TAKES_NO_ACTIONS";
inline constexpr absl::string_view kActionTransition = "ACTION_TRANSITION_NOT_ALLOWED";
// ALREADY_EXISTS / NOT_FOUND
inline constexpr absl::string_view kCommentExists = "COMMENT_EXISTS";
inline constexpr absl::string_view kActionExists = "ACTION_EXISTS";
inline constexpr absl::string_view kActionNotFound = "ACTION_NOT_FOUND";
}  // namespace reasons

// What the caller looked up in the org directory for the proposal's unit.
struct ProposalContext {
  // The proposal's unit first, then its ancestors ("orgUnits/{id}"). A
  // supervisor (or higher) whose own unit is in this chain has authority.
  std::vector<std::string> unit_and_ancestors;
  // Members of the unit's subtree ("members/{id}"): who may comment and vote;
  // the tally's pending count is taken over them.
  std::vector<std::string> members;
  // The business time zone, for "due date not in the past".
  absl::TimeZone time_zone = absl::UTCTimeZone();
};

// Whether `who` is a supervisor or above whose unit covers the context's unit
// (an admin without a unit covers everything).
bool HasAuthority(const Principal& who, const ProposalContext& ctx);

// Opens a proposal about an active (OPEN or ACKNOWLEDGED) warning. From the
// draft: name ("proposals/{id}", assigned by the caller), title, description,
// org_unit (empty = the warning's unit; otherwise must be it) and an optional
// voting_deadline after `now`. Sets author, state OPEN, warnings, tally,
// create/update time; everything else in the draft is ignored.
//   PERMISSION_DENIED SUPERVISOR_REQUIRED (a rep) / OUTSIDE_SCOPE
//   INVALID_ARGUMENT  proposal.name/title/description/org_unit/voting_deadline
//   FAILED_PRECONDITION WARNING_NOT_OPEN
absl::StatusOr<v1::StrategyProposal> OpenProposal(const v1::StrategyProposal& draft,
                                                  const v1::Warning& warning,
                                                  const ProposalContext& ctx, const Principal& who,
                                                  absl::Time now);

// Adds a comment (OPEN or DECIDED proposals). By a member of the unit or
// anyone with authority over it.
//   PERMISSION_DENIED NOT_A_MEMBER
//   INVALID_ARGUMENT  comment.comment_id / comment.text / comment.reply_to (unknown)
//   ALREADY_EXISTS    COMMENT_EXISTS (same comment_id)
//   FAILED_PRECONDITION PROPOSAL_FINISHED (CLOSED or WITHDRAWN)
absl::StatusOr<v1::StrategyProposal> AddComment(const v1::StrategyProposal& proposal,
                                                const v1::ProposalComment& comment,
                                                const ProposalContext& ctx, const Principal& who,
                                                absl::Time now);

struct VoteResult {
  v1::StrategyProposal proposal;
  v1::Vote vote;
  std::optional<v1::Vote> previous;  // the vote this one replaced
};

// Records (or replaces) the caller's vote and recomputes the tally. Only
// members of the unit vote; only while OPEN and before voting_deadline.
//   PERMISSION_DENIED NOT_ELIGIBLE_TO_VOTE
//   INVALID_ARGUMENT  vote.choice
//   FAILED_PRECONDITION PROPOSAL_NOT_OPEN / VOTING_DEADLINE_PASSED
absl::StatusOr<VoteResult> CastVote(const v1::StrategyProposal& proposal, v1::VoteChoice choice,
                                    absl::string_view comment, const ProposalContext& ctx,
                                    const Principal& who, absl::Time now);

// Counts the votes; pending = members who have not voted.
v1::VoteTally Tally(const v1::StrategyProposal& proposal, const std::vector<std::string>& members);

// One follow-up action to add: action_id, description, owner, due_date (note
// optional). Status starts at TODO.
using ActionDraft = v1::FollowUpAction;

// Decides an OPEN proposal: by its author or anyone with authority (a
// supervisor or above of the unit). Outcome and rationale are required.
// APPROVED / APPROVED_WITH_CHANGES → DECIDED with the given actions (TODO);
// DEFERRED → DECIDED with no actions; REJECTED → CLOSED with no actions.
//   PERMISSION_DENIED NOT_DECIDER
//   INVALID_ARGUMENT  decision.outcome / decision.rationale / decision.actions[i].<field>
//                     (reason OUTCOME_TAKES_NO_ACTIONS for actions on REJECTED/DEFERRED)
//   FAILED_PRECONDITION PROPOSAL_NOT_OPEN
absl::StatusOr<v1::StrategyProposal> Decide(const v1::StrategyProposal& proposal,
                                            v1::DecisionOutcome outcome,
                                            absl::string_view rationale,
                                            const std::vector<ActionDraft>& actions,
                                            const ProposalContext& ctx, const Principal& who,
                                            absl::Time now);

struct ActionResult {
  v1::StrategyProposal proposal;
  v1::FollowUpAction action;
  // UNSPECIFIED when the action was just added.
  v1::ActionStatus previous_status = v1::ACTION_STATUS_UNSPECIFIED;
  bool proposal_closed = false;
  bool changed = false;  // false: the update repeated the current values
};

// Adds an action to a DECIDED, approved proposal (author or authority).
//   PERMISSION_DENIED NOT_DECIDER
//   INVALID_ARGUMENT  action.<field>
//   ALREADY_EXISTS    ACTION_EXISTS
//   FAILED_PRECONDITION PROPOSAL_NOT_DECIDED / OUTCOME_TAKES_NO_ACTIONS
absl::StatusOr<ActionResult> AddAction(const v1::StrategyProposal& proposal,
                                       const ActionDraft& action, const ProposalContext& ctx,
                                       const Principal& who, absl::Time now);

// A change to one action; unset fields stay as they are.
struct ActionUpdate {
  std::optional<v1::ActionStatus> status;
  std::optional<std::string> owner;  // "members/{id}"
  std::optional<common::v1::Date> due_date;
  std::optional<std::string> note;
};

// Whether an action may move from `from` to `to`: TODO → IN_PROGRESS | DONE |
// CANCELLED; IN_PROGRESS → TODO | DONE | CANCELLED; DONE and CANCELLED are final.
bool IsAllowedActionTransition(v1::ActionStatus from, v1::ActionStatus to);

// Updates an action of a DECIDED proposal. The owner may move its status
// (except to CANCELLED) and edit the note; the author or anyone with
// authority may change anything. When every action is DONE or CANCELLED the
// proposal becomes CLOSED (proposal_closed = true).
//   PERMISSION_DENIED NOT_ACTION_OWNER / SUPERVISOR_ONLY_CHANGE
//   INVALID_ARGUMENT  update.status / update.owner / update.due_date / update.note
//   NOT_FOUND         ACTION_NOT_FOUND
//   FAILED_PRECONDITION PROPOSAL_NOT_DECIDED / ACTION_TRANSITION_NOT_ALLOWED
absl::StatusOr<ActionResult> UpdateAction(const v1::StrategyProposal& proposal,
                                          absl::string_view action_id, const ActionUpdate& update,
                                          const ProposalContext& ctx, const Principal& who,
                                          absl::Time now);

}  // namespace salesops::warning
