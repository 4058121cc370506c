// Tests for the strategy-adjustment workflow: every transition (open,
// comment, vote, decide, add and update actions, close) and every error with
// its code and stable reason.
#include "services/warning/domain/proposal.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::warning {
namespace {

using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);  // 2026-09-21 UTC

Principal Who(const std::string& id, Role role, const std::string& unit) {
  return Principal{id, role, unit};
}
const Principal kSupervisor = Who("1", Role::kSupervisor, "team-1");
const Principal kRep = Who("7", Role::kRep, "team-1");
const Principal kRep2 = Who("8", Role::kRep, "team-1");
const Principal kRep3 = Who("9", Role::kRep, "team-1");
const Principal kManager = Who("20", Role::kManager, "east");
const Principal kOtherSupervisor = Who("30", Role::kSupervisor, "team-2");
const Principal kAdmin = Who("99", Role::kAdmin, "");
const Principal kOutsider = Who("50", Role::kRep, "team-2");

ProposalContext Ctx() {
  ProposalContext c;
  c.unit_and_ancestors = {"orgUnits/team-1", "orgUnits/east", "orgUnits/hq"};
  c.members = {"members/1", "members/7", "members/8", "members/9"};
  return c;
}

v1::Warning OpenWarning() {
  v1::Warning w;
  w.set_name("warnings/42");
  w.set_org_unit("orgUnits/team-1");
  w.set_state(v1::WARNING_STATE_OPEN);
  return w;
}

v1::StrategyProposal Draft() {
  v1::StrategyProposal d;
  d.set_name("proposals/p1");
  d.set_title("华东二组Q3目标内部调配");
  d.set_description("把 2 号客户的目标转给 8 号");
  return d;
}

template <typename T>
T Ok(absl::StatusOr<T> s) {
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : T{};
}

void ExpectError(const absl::Status& s, absl::StatusCode code, absl::string_view reason) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_EQ(ErrorReason(s), reason) << s;
}

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

v1::StrategyProposal Opened() {
  return Ok(OpenProposal(Draft(), OpenWarning(), Ctx(), kSupervisor, kNow));
}

common::v1::Date Day(int y, int m, int d) {
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

ActionDraft Act(const std::string& id, const std::string& owner = "members/7") {
  ActionDraft a;
  a.set_action_id(id);
  a.set_description("拜访客户高层");
  a.set_owner(owner);
  *a.mutable_due_date() = Day(2026, 10, 15);
  return a;
}

v1::StrategyProposal Decided(std::vector<ActionDraft> actions = {Act("a1"),
                                                                 Act("a2", "members/8")}) {
  return Ok(Decide(Opened(), v1::DECISION_OUTCOME_APPROVED, "大家同意", actions, Ctx(), kSupervisor,
                   kNow));
}

ActionUpdate Status(v1::ActionStatus s) {
  ActionUpdate u;
  u.status = s;
  return u;
}

// ---- Open ----

TEST(OpenProposalTest, SupervisorOpensOnAnOpenWarning) {
  v1::StrategyProposal p = Opened();
  EXPECT_EQ(p.name(), "proposals/p1");
  EXPECT_EQ(p.state(), v1::PROPOSAL_STATE_OPEN);
  EXPECT_EQ(p.author(), "members/1");
  EXPECT_EQ(p.org_unit(), "orgUnits/team-1");
  EXPECT_THAT(p.warnings(), ElementsAre("warnings/42"));
  EXPECT_EQ(p.tally().pending_count(), 4);
  EXPECT_EQ(p.create_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(p.update_time().seconds(), absl::ToUnixSeconds(kNow));
}

TEST(OpenProposalTest, AcknowledgedWarningStillCounts) {
  v1::Warning w = OpenWarning();
  w.set_state(v1::WARNING_STATE_ACKNOWLEDGED);
  EXPECT_TRUE(OpenProposal(Draft(), w, Ctx(), kSupervisor, kNow).ok());
}

TEST(OpenProposalTest, ManagerAboveAndCompanyAdminMayOpen) {
  EXPECT_EQ(Ok(OpenProposal(Draft(), OpenWarning(), Ctx(), kManager, kNow)).author(), "members/20");
  EXPECT_TRUE(OpenProposal(Draft(), OpenWarning(), Ctx(), kAdmin, kNow).ok());
}

TEST(OpenProposalTest, RepIsDeniedWithSupervisorRequired) {
  ExpectError(OpenProposal(Draft(), OpenWarning(), Ctx(), kRep, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kSupervisorRequired);
}

TEST(OpenProposalTest, SupervisorOfAnotherTeamIsOutsideScope) {
  ExpectError(OpenProposal(Draft(), OpenWarning(), Ctx(), kOtherSupervisor, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kOutsideScope);
  // A non-admin without a unit covers nothing.
  ExpectError(
      OpenProposal(Draft(), OpenWarning(), Ctx(), Who("5", Role::kDirector, ""), kNow).status(),
      absl::StatusCode::kPermissionDenied, reasons::kOutsideScope);
}

TEST(OpenProposalTest, ResolvedWarningIsAFailedPrecondition) {
  v1::Warning w = OpenWarning();
  w.set_state(v1::WARNING_STATE_RESOLVED);
  ExpectError(OpenProposal(Draft(), w, Ctx(), kSupervisor, kNow).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kWarningNotOpen);
}

TEST(OpenProposalTest, NamesEveryInvalidDraftField) {
  v1::StrategyProposal d;
  d.set_name("p1");
  d.set_org_unit("orgUnits/team-2");
  *d.mutable_voting_deadline() = google::protobuf::Timestamp();
  d.mutable_voting_deadline()->set_seconds(absl::ToUnixSeconds(kNow));
  const absl::Status s = OpenProposal(d, OpenWarning(), Ctx(), kSupervisor, kNow).status();
  ExpectError(s, absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT");
  EXPECT_THAT(Fields(s), ElementsAre("proposal.name", "proposal.title", "proposal.description",
                                     "proposal.org_unit", "proposal.voting_deadline"));
}

TEST(OpenProposalTest, ContextForAnotherUnitIsRejected) {
  ProposalContext c = Ctx();
  c.unit_and_ancestors = {"orgUnits/east", "orgUnits/hq"};
  EXPECT_THAT(Fields(OpenProposal(Draft(), OpenWarning(), c, kManager, kNow).status()),
              ElementsAre("proposal.org_unit"));
}

TEST(OpenProposalTest, KeepsAFutureVotingDeadline) {
  v1::StrategyProposal d = Draft();
  d.mutable_voting_deadline()->set_seconds(absl::ToUnixSeconds(kNow + absl::Hours(48)));
  EXPECT_TRUE(Ok(OpenProposal(d, OpenWarning(), Ctx(), kSupervisor, kNow)).has_voting_deadline());
}

// ---- Comment ----

v1::ProposalComment Comment(const std::string& id, const std::string& text,
                            const std::string& reply_to = "") {
  v1::ProposalComment c;
  c.set_comment_id(id);
  c.set_text(text);
  c.set_reply_to(reply_to);
  return c;
}

TEST(AddCommentTest, MembersCommentAndReplyInOrder) {
  v1::StrategyProposal p = Ok(AddComment(Opened(), Comment("c1", "同意"), Ctx(), kRep, kNow));
  p = Ok(AddComment(p, Comment("c2", "补充一点", "c1"), Ctx(), kRep2, kNow + absl::Minutes(1)));
  ASSERT_EQ(p.comments_size(), 2);
  EXPECT_EQ(p.comments(0).author(), "members/7");
  EXPECT_EQ(p.comments(1).reply_to(), "c1");
  EXPECT_EQ(p.comments(1).create_time().seconds(), absl::ToUnixSeconds(kNow + absl::Minutes(1)));
  EXPECT_EQ(p.update_time().seconds(), absl::ToUnixSeconds(kNow + absl::Minutes(1)));
}

TEST(AddCommentTest, ManagerAboveMayCommentOutsiderMayNot) {
  EXPECT_TRUE(AddComment(Opened(), Comment("c1", "ok"), Ctx(), kManager, kNow).ok());
  ExpectError(AddComment(Opened(), Comment("c1", "hi"), Ctx(), kOutsider, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kNotAMember);
}

TEST(AddCommentTest, InvalidFieldsAreNamed) {
  EXPECT_THAT(Fields(AddComment(Opened(), Comment("", "", "nope"), Ctx(), kRep, kNow).status()),
              ElementsAre("request_id", "text", "reply_to"));
}

TEST(AddCommentTest, DuplicateIdAlreadyExists) {
  v1::StrategyProposal p = Ok(AddComment(Opened(), Comment("c1", "a"), Ctx(), kRep, kNow));
  ExpectError(AddComment(p, Comment("c1", "b"), Ctx(), kRep, kNow).status(),
              absl::StatusCode::kAlreadyExists, reasons::kCommentExists);
}

TEST(AddCommentTest, AllowedAfterDecisionNotAfterClose) {
  EXPECT_TRUE(AddComment(Decided(), Comment("c1", "进展"), Ctx(), kRep, kNow).ok());
  v1::StrategyProposal closed = Decided();
  closed.set_state(v1::PROPOSAL_STATE_CLOSED);
  ExpectError(AddComment(closed, Comment("c1", "x"), Ctx(), kRep, kNow).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kProposalFinished);
  closed.set_state(v1::PROPOSAL_STATE_WITHDRAWN);
  ExpectError(AddComment(closed, Comment("c1", "x"), Ctx(), kRep, kNow).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kProposalFinished);
}

// ---- Vote ----

TEST(CastVoteTest, OneVotePerMemberWithTally) {
  VoteResult a = Ok(CastVote(Opened(), v1::VOTE_CHOICE_FOR, "支持", Ctx(), kRep, kNow));
  EXPECT_FALSE(a.previous.has_value());
  VoteResult b = Ok(CastVote(a.proposal, v1::VOTE_CHOICE_AGAINST, "", Ctx(), kRep2, kNow));
  VoteResult c = Ok(CastVote(b.proposal, v1::VOTE_CHOICE_ABSTAIN, "", Ctx(), kRep3, kNow));
  const v1::VoteTally& t = c.proposal.tally();
  EXPECT_EQ(t.for_count(), 1);
  EXPECT_EQ(t.against_count(), 1);
  EXPECT_EQ(t.abstain_count(), 1);
  EXPECT_EQ(t.pending_count(), 1);  // the supervisor has not voted
  EXPECT_EQ(c.proposal.votes_size(), 3);
  EXPECT_EQ(a.vote.voter(), "members/7");
  EXPECT_EQ(a.vote.comment(), "支持");
}

TEST(CastVoteTest, VotingAgainReplacesTheVoteAndReportsThePreviousOne) {
  VoteResult a = Ok(CastVote(Opened(), v1::VOTE_CHOICE_FOR, "", Ctx(), kRep, kNow));
  VoteResult b = Ok(CastVote(a.proposal, v1::VOTE_CHOICE_AGAINST, "改主意了", Ctx(), kRep,
                             kNow + absl::Hours(1)));
  ASSERT_TRUE(b.previous.has_value());
  EXPECT_EQ(b.previous->choice(), v1::VOTE_CHOICE_FOR);
  EXPECT_EQ(b.proposal.votes_size(), 1);
  EXPECT_EQ(b.proposal.tally().for_count(), 0);
  EXPECT_EQ(b.proposal.tally().against_count(), 1);
  EXPECT_EQ(b.proposal.votes(0).vote_time().seconds(), absl::ToUnixSeconds(kNow + absl::Hours(1)));
}

TEST(CastVoteTest, NonMembersMayNotVoteEvenAManagerAbove) {
  ExpectError(CastVote(Opened(), v1::VOTE_CHOICE_FOR, "", Ctx(), kOutsider, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kNotEligibleToVote);
  ExpectError(CastVote(Opened(), v1::VOTE_CHOICE_FOR, "", Ctx(), kManager, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kNotEligibleToVote);
}

TEST(CastVoteTest, ChoiceIsRequired) {
  EXPECT_THAT(
      Fields(CastVote(Opened(), v1::VOTE_CHOICE_UNSPECIFIED, "", Ctx(), kRep, kNow).status()),
      ElementsAre("choice"));
}

TEST(CastVoteTest, NoVotesOnceDecided) {
  ExpectError(CastVote(Decided(), v1::VOTE_CHOICE_FOR, "", Ctx(), kRep, kNow).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kProposalNotOpen);
}

TEST(CastVoteTest, NoVotesAtOrAfterTheDeadline) {
  v1::StrategyProposal d = Draft();
  d.mutable_voting_deadline()->set_seconds(absl::ToUnixSeconds(kNow + absl::Hours(1)));
  v1::StrategyProposal p = Ok(OpenProposal(d, OpenWarning(), Ctx(), kSupervisor, kNow));
  EXPECT_TRUE(CastVote(p, v1::VOTE_CHOICE_FOR, "", Ctx(), kRep, kNow + absl::Minutes(59)).ok());
  ExpectError(CastVote(p, v1::VOTE_CHOICE_FOR, "", Ctx(), kRep, kNow + absl::Hours(1)).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kVotingClosed);
}

TEST(TallyTest, PendingCountsOnlyCurrentMembersWithoutAVote) {
  v1::StrategyProposal p;
  v1::Vote* v = p.add_votes();
  v->set_voter("members/gone");  // left the team: still counted, not pending
  v->set_choice(v1::VOTE_CHOICE_FOR);
  v1::VoteTally t = Tally(p, {"members/1", "members/2", "members/2"});
  EXPECT_EQ(t.for_count(), 1);
  EXPECT_EQ(t.pending_count(), 2);
}

// ---- Decide ----

TEST(DecideTest, ApprovedCreatesTodoActionsAndFreezesVoting) {
  v1::StrategyProposal p = Decided();
  EXPECT_EQ(p.state(), v1::PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(p.decision().outcome(), v1::DECISION_OUTCOME_APPROVED);
  EXPECT_EQ(p.decision().decided_by(), "members/1");
  EXPECT_EQ(p.decision().rationale(), "大家同意");
  EXPECT_EQ(p.decision().decide_time().seconds(), absl::ToUnixSeconds(kNow));
  ASSERT_EQ(p.actions_size(), 2);
  EXPECT_EQ(p.actions(0).status(), v1::ACTION_STATUS_TODO);
  EXPECT_EQ(p.actions(1).owner(), "members/8");
}

TEST(DecideTest, RejectedClosesDeferredStaysDecidedWithoutActions) {
  v1::StrategyProposal rejected =
      Ok(Decide(Opened(), v1::DECISION_OUTCOME_REJECTED, "不可行", {}, Ctx(), kSupervisor, kNow));
  EXPECT_EQ(rejected.state(), v1::PROPOSAL_STATE_CLOSED);
  v1::StrategyProposal deferred = Ok(
      Decide(Opened(), v1::DECISION_OUTCOME_DEFERRED, "下季度再议", {}, Ctx(), kSupervisor, kNow));
  EXPECT_EQ(deferred.state(), v1::PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(deferred.actions_size(), 0);
}

TEST(DecideTest, RejectedOrDeferredTakeNoActions) {
  for (v1::DecisionOutcome o : {v1::DECISION_OUTCOME_REJECTED, v1::DECISION_OUTCOME_DEFERRED}) {
    const absl::Status s = Decide(Opened(), o, "r", {Act("a1")}, Ctx(), kSupervisor, kNow).status();
    ExpectError(s, absl::StatusCode::kInvalidArgument, reasons::kOutcomeTakesNoActions);
    EXPECT_THAT(Fields(s), ElementsAre("actions"));
  }
}

TEST(DecideTest, AuthorOrASupervisorAboveDecidesOthersDoNot) {
  EXPECT_EQ(Ok(Decide(Opened(), v1::DECISION_OUTCOME_APPROVED_WITH_CHANGES, "改后同意", {}, Ctx(),
                      kManager, kNow))
                .decision()
                .decided_by(),
            "members/20");
  ExpectError(Decide(Opened(), v1::DECISION_OUTCOME_APPROVED, "r", {}, Ctx(), kRep, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kNotDecider);
  ExpectError(
      Decide(Opened(), v1::DECISION_OUTCOME_APPROVED, "r", {}, Ctx(), kOtherSupervisor, kNow)
          .status(),
      absl::StatusCode::kPermissionDenied, reasons::kNotDecider);
}

TEST(DecideTest, OutcomeRationaleAndEachActionFieldAreValidated) {
  ActionDraft bad;
  bad.set_owner("7");
  *bad.mutable_due_date() = Day(2026, 2, 30);
  ActionDraft past = Act("a2");
  *past.mutable_due_date() = Day(2026, 9, 20);  // the day before kNow
  ActionDraft dup = Act("a2");
  const absl::Status s = Decide(Opened(), v1::DECISION_OUTCOME_UNSPECIFIED, "", {bad, past, dup},
                                Ctx(), kSupervisor, kNow)
                             .status();
  EXPECT_THAT(Fields(s),
              ElementsAre("outcome", "rationale", "actions[0].action_id", "actions[0].description",
                          "actions[0].owner", "actions[0].due_date", "actions[1].due_date",
                          "actions[2].action_id"));
  ActionDraft no_due = Act("a3");
  no_due.clear_due_date();
  EXPECT_THAT(Fields(Decide(Opened(), v1::DECISION_OUTCOME_APPROVED, "r", {no_due}, Ctx(),
                            kSupervisor, kNow)
                         .status()),
              ElementsAre("actions[0].due_date"));
}

TEST(DecideTest, DueTodayIsAllowedInTheBusinessTimeZone) {
  ActionDraft today = Act("a1");
  *today.mutable_due_date() = Day(2026, 9, 21);
  EXPECT_TRUE(
      Decide(Opened(), v1::DECISION_OUTCOME_APPROVED, "r", {today}, Ctx(), kSupervisor, kNow).ok());
}

TEST(DecideTest, OnlyAnOpenProposalIsDecided) {
  ExpectError(
      Decide(Decided(), v1::DECISION_OUTCOME_APPROVED, "again", {}, Ctx(), kSupervisor, kNow)
          .status(),
      absl::StatusCode::kFailedPrecondition, reasons::kProposalNotOpen);
}

// ---- Actions ----

TEST(AddActionTest, AddsATodoActionToAnApprovedProposal) {
  ActionResult r = Ok(AddAction(Decided(), Act("a3", "members/9"), Ctx(), kSupervisor, kNow));
  EXPECT_EQ(r.proposal.actions_size(), 3);
  EXPECT_EQ(r.action.status(), v1::ACTION_STATUS_TODO);
  EXPECT_EQ(r.previous_status, v1::ACTION_STATUS_UNSPECIFIED);
  EXPECT_TRUE(r.changed);
  EXPECT_FALSE(r.proposal_closed);
}

TEST(AddActionTest, ErrorsByPermissionInputIdAndState) {
  ExpectError(AddAction(Decided(), Act("a3"), Ctx(), kRep, kNow).status(),
              absl::StatusCode::kPermissionDenied, reasons::kNotDecider);
  EXPECT_THAT(
      Fields(AddAction(Decided(), ActionDraft(), Ctx(), kSupervisor, kNow).status()),
      ElementsAre("action.action_id", "action.description", "action.owner", "action.due_date"));
  ExpectError(AddAction(Decided(), Act("a1"), Ctx(), kSupervisor, kNow).status(),
              absl::StatusCode::kAlreadyExists, reasons::kActionExists);
  ExpectError(AddAction(Opened(), Act("a1"), Ctx(), kSupervisor, kNow).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kProposalNotDecided);
  v1::StrategyProposal deferred =
      Ok(Decide(Opened(), v1::DECISION_OUTCOME_DEFERRED, "later", {}, Ctx(), kSupervisor, kNow));
  ExpectError(AddAction(deferred, Act("a1"), Ctx(), kSupervisor, kNow).status(),
              absl::StatusCode::kFailedPrecondition, reasons::kOutcomeTakesNoActions);
}

TEST(ActionTransitionTest, FullMatrix) {
  using S = v1::ActionStatus;
  const S all[] = {v1::ACTION_STATUS_TODO, v1::ACTION_STATUS_IN_PROGRESS, v1::ACTION_STATUS_DONE,
                   v1::ACTION_STATUS_CANCELLED};
  // rows: from, columns: to, in the order of `all`.
  const bool allowed[4][4] = {{false, true, true, true},
                              {true, false, true, true},
                              {false, false, false, false},
                              {false, false, false, false}};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(IsAllowedActionTransition(all[i], all[j]), allowed[i][j])
          << v1::ActionStatus_Name(all[i]) << " -> " << v1::ActionStatus_Name(all[j]);
    }
  }
}

TEST(UpdateActionTest, OwnerMovesStatusAndNote) {
  ActionUpdate u = Status(v1::ACTION_STATUS_IN_PROGRESS);
  u.note = "已约下周二";
  ActionResult r = Ok(UpdateAction(Decided(), "a1", u, Ctx(), kRep, kNow + absl::Hours(2)));
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.previous_status, v1::ACTION_STATUS_TODO);
  EXPECT_EQ(r.action.status(), v1::ACTION_STATUS_IN_PROGRESS);
  EXPECT_EQ(r.action.note(), "已约下周二");
  EXPECT_EQ(r.action.update_time().seconds(), absl::ToUnixSeconds(kNow + absl::Hours(2)));
  EXPECT_EQ(r.proposal.actions(0).status(), v1::ACTION_STATUS_IN_PROGRESS);
  EXPECT_EQ(r.proposal.state(), v1::PROPOSAL_STATE_DECIDED);
}

TEST(UpdateActionTest, LastFinalActionClosesTheProposal) {
  ActionResult a =
      Ok(UpdateAction(Decided(), "a1", Status(v1::ACTION_STATUS_DONE), Ctx(), kRep, kNow));
  EXPECT_FALSE(a.proposal_closed);
  ActionResult b = Ok(UpdateAction(a.proposal, "a2", Status(v1::ACTION_STATUS_CANCELLED), Ctx(),
                                   kSupervisor, kNow));
  EXPECT_TRUE(b.proposal_closed);
  EXPECT_EQ(b.proposal.state(), v1::PROPOSAL_STATE_CLOSED);
  ExpectError(
      UpdateAction(b.proposal, "a1", Status(v1::ACTION_STATUS_TODO), Ctx(), kSupervisor, kNow)
          .status(),
      absl::StatusCode::kFailedPrecondition, reasons::kProposalNotDecided);
}

TEST(UpdateActionTest, DeciderReassignsAndReschedules) {
  ActionUpdate u;
  u.owner = "members/9";
  u.due_date = Day(2026, 11, 1);
  ActionResult r = Ok(UpdateAction(Decided(), "a1", u, Ctx(), kSupervisor, kNow));
  EXPECT_EQ(r.action.owner(), "members/9");
  EXPECT_EQ(r.action.due_date().month(), 11);
  EXPECT_EQ(r.previous_status, v1::ACTION_STATUS_TODO);
}

TEST(UpdateActionTest, OwnerMayNotReassignRescheduleOrCancel) {
  ActionUpdate reassign;
  reassign.owner = "members/8";
  ActionUpdate reschedule;
  reschedule.due_date = Day(2026, 12, 1);
  for (const ActionUpdate& u : {reassign, reschedule, Status(v1::ACTION_STATUS_CANCELLED)}) {
    ExpectError(UpdateAction(Decided(), "a1", u, Ctx(), kRep, kNow).status(),
                absl::StatusCode::kPermissionDenied, reasons::kSupervisorOnlyChange);
  }
}

TEST(UpdateActionTest, OtherMembersMayNotTouchSomeoneElsesAction) {
  ExpectError(
      UpdateAction(Decided(), "a1", Status(v1::ACTION_STATUS_DONE), Ctx(), kRep2, kNow).status(),
      absl::StatusCode::kPermissionDenied, reasons::kNotActionOwner);
  // Unknown ids look the same to them: no existence leak.
  ExpectError(
      UpdateAction(Decided(), "zz", Status(v1::ACTION_STATUS_DONE), Ctx(), kRep2, kNow).status(),
      absl::StatusCode::kPermissionDenied, reasons::kNotActionOwner);
}

TEST(UpdateActionTest, UnknownActionIsNotFoundForADecider) {
  ExpectError(
      UpdateAction(Decided(), "zz", Status(v1::ACTION_STATUS_DONE), Ctx(), kSupervisor, kNow)
          .status(),
      absl::StatusCode::kNotFound, reasons::kActionNotFound);
}

TEST(UpdateActionTest, FinalActionsDoNotMove) {
  ActionResult done =
      Ok(UpdateAction(Decided(), "a1", Status(v1::ACTION_STATUS_DONE), Ctx(), kRep, kNow));
  ExpectError(UpdateAction(done.proposal, "a1", Status(v1::ACTION_STATUS_IN_PROGRESS), Ctx(),
                           kSupervisor, kNow)
                  .status(),
              absl::StatusCode::kFailedPrecondition, reasons::kActionTransition);
}

TEST(UpdateActionTest, InvalidUpdateFieldsAreNamed) {
  ActionUpdate u = Status(v1::ACTION_STATUS_UNSPECIFIED);
  u.owner = "8";
  u.due_date = Day(2026, 1, 1);
  u.note = std::string(5000, 'x');
  EXPECT_THAT(Fields(UpdateAction(Decided(), "a1", u, Ctx(), kSupervisor, kNow).status()),
              ElementsAre("action.status", "action.owner", "action.due_date", "action.note"));
}

TEST(UpdateActionTest, RepeatingCurrentValuesIsANoOp) {
  v1::StrategyProposal p = Decided();
  ActionUpdate u = Status(v1::ACTION_STATUS_TODO);
  u.note = "";
  ActionResult r = Ok(UpdateAction(p, "a1", u, Ctx(), kRep, kNow + absl::Hours(1)));
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.proposal.update_time().seconds(), p.update_time().seconds());
}

TEST(UpdateActionTest, OpenProposalHasNoActionsToUpdate) {
  v1::StrategyProposal p = Opened();
  *p.add_actions() = Act("a1");  // a corrupted record still must not move
  ExpectError(
      UpdateAction(p, "a1", Status(v1::ACTION_STATUS_DONE), Ctx(), kSupervisor, kNow).status(),
      absl::StatusCode::kFailedPrecondition, reasons::kProposalNotDecided);
}

// ---- The whole workflow ----

TEST(WorkflowTest, OpenDiscussVoteDecideFollowUpClose) {
  v1::StrategyProposal p = Opened();
  p = Ok(AddComment(p, Comment("c1", "建议调配"), Ctx(), kRep, kNow));
  p = Ok(CastVote(p, v1::VOTE_CHOICE_FOR, "", Ctx(), kRep, kNow)).proposal;
  p = Ok(CastVote(p, v1::VOTE_CHOICE_FOR, "", Ctx(), kRep2, kNow)).proposal;
  p = Ok(
      Decide(p, v1::DECISION_OUTCOME_APPROVED, "多数同意", {Act("a1")}, Ctx(), kSupervisor, kNow));
  EXPECT_EQ(p.tally().for_count(), 2);
  p = Ok(UpdateAction(p, "a1", Status(v1::ACTION_STATUS_IN_PROGRESS), Ctx(), kRep, kNow)).proposal;
  ActionResult last = Ok(UpdateAction(p, "a1", Status(v1::ACTION_STATUS_DONE), Ctx(), kRep, kNow));
  EXPECT_TRUE(last.proposal_closed);
  EXPECT_EQ(last.proposal.state(), v1::PROPOSAL_STATE_CLOSED);
}

}  // namespace
}  // namespace salesops::warning
