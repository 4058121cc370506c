// Joint task forces for major deals (proposed automatically by the
// projection, or by a supervisor and above), their members, milestones,
// updates, close and credit split; the proposal policy; cross-department
// customer receptions.
#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "common/server/api_support.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/api/api_util.h"
#include "services/sync/api/sync_api.h"
#include "services/sync/api/task_forces.h"
#include "services/sync/domain/task_force.h"
#include "services/sync/domain/workflow.h"

namespace salesops::sync {

namespace cv1 = salesops::customers::v1;

// ------------------------------------------------------------ shared helpers

absl::StatusOr<Loaded<v1::TaskForcePolicy>> LoadTaskForcePolicy(SyncRepository& repo) {
  SALESOPS_ASSIGN_OR_RETURN(
      std::optional<Loaded<v1::TaskForcePolicy>> got,
      LoadDoc<v1::TaskForcePolicy>(repo, DocKind::kConfig, kTaskForcePolicyId));
  if (got) {
    return *std::move(got);
  }
  v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  p.set_name(kTaskForcePolicyId);
  return Loaded<v1::TaskForcePolicy>{p, 0};
}

namespace {
std::string MarkerId(const std::string& opp) { return absl::StrCat("tfopen:", opp); }
}  // namespace

absl::StatusOr<OpenMarker> LoadOpenMarker(SyncRepository& repo, const std::string& opportunity_id) {
  SALESOPS_ASSIGN_OR_RETURN(
      std::optional<Loaded<v1::TaskForce>> got,
      LoadDoc<v1::TaskForce>(repo, DocKind::kConfig, MarkerId(opportunity_id)));
  OpenMarker m;
  m.opportunity_id = opportunity_id;
  if (got) {
    m.open_task_force = got->doc.name();
    m.version = got->version;
  }
  return m;
}

void PutOpenMarker(Change& c, const OpenMarker& m, const std::string& task_force) {
  v1::TaskForce marker;
  marker.set_name(task_force);
  c.Put(DocKind::kConfig, MarkerId(m.opportunity_id), marker, m.version);
}

std::string TaskForceEntry(const v1::TaskForce& t, const std::string& id) {
  return Entry(NewestFirst(FromTs(t.create_time())), id);
}

void AddNewTaskForce(Change& c, const std::string& id, const v1::TaskForce& t,
                     const OpenMarker& marker) {
  c.Put(DocKind::kTaskForce, id, t, 0);
  PutOpenMarker(c, marker, t.name());
  const std::string entry = TaskForceEntry(t, id);
  c.Index(Ix("tf:all"), entry);
  c.Index(Ix("tf:opp:", IdOf(t.opportunity())), entry);
  if (!t.customer().empty()) {
    c.Index(Ix("tf:customer:", IdOf(t.customer())), entry);
  }
  if (!t.team().empty()) {
    c.Index(Ix("tf:team:", IdOf(t.team())), entry);
  }
  if (!t.region().empty()) {
    c.Index(Ix("tf:region:", IdOf(t.region())), entry);
  }
  std::set<std::string> seen;
  for (const v1::TaskForceMember& m : t.members()) {
    if (seen.insert(m.member()).second) {
      c.Index(Ix("tf:member:", IdOf(m.member())), entry);
    }
  }
}

void IndexTaskForceMember(Change& c, const std::string& id, const v1::TaskForce& t,
                          const std::string& member) {
  c.Index(Ix("tf:member:", IdOf(member)), TaskForceEntry(t, id));
}

absl::StatusOr<std::string> SupervisorOf(Directory& directory, const std::string& team_id) {
  if (team_id.empty()) {
    return std::string();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> members, directory.MembersOf(team_id));
  for (const std::string& id : members) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m, directory.Member(id));
    if (m && !m->left && m->role == static_cast<int>(Role::kSupervisor)) {
      return id;
    }
  }
  return std::string();
}

namespace {

v1::TaskForce WithEtag(v1::TaskForce t, int64_t version) {
  t.set_etag(absl::StrCat(version));
  return t;
}
v1::CustomerReception WithEtag(v1::CustomerReception r, int64_t version) {
  r.set_etag(absl::StrCat(version));
  return r;
}

bool IsLive(const v1::TaskForce& t) {
  return t.state() == v1::TASK_FORCE_STATE_PROPOSED || t.state() == v1::TASK_FORCE_STATE_FORMED;
}

absl::Status Closed(const v1::TaskForce& t) {
  return FailedPrecondition("TASK_FORCE_CLOSED",
                            absl::StrCat(t.name(), " is ", v1::TaskForceState_Name(t.state())));
}

// Milestone ids "m1", "m2", … in the order they were added.
std::string NextMilestoneId(const v1::TaskForce& t) {
  int max = 0;
  for (const v1::Milestone& m : t.milestones()) {
    int n = 0;
    if (m.milestone_id().size() > 1 && absl::SimpleAtoi(m.milestone_id().substr(1), &n)) {
      max = std::max(max, n);
    }
  }
  return absl::StrCat("m", max + 1);
}

// Declined or closed: the end state, why and when; the deal may get another.
absl::Status EndTaskForce(SyncRepository& repo, v1::TaskForce& t, v1::TaskForceState state,
                          const std::string& reason, absl::Time now, Change& c) {
  t.set_state(state);
  t.set_close_reason(reason);
  *t.mutable_close_time() = ToTs(now);
  *t.mutable_update_time() = ToTs(now);
  SALESOPS_ASSIGN_OR_RETURN(OpenMarker marker, LoadOpenMarker(repo, IdOf(t.opportunity())));
  if (marker.open_task_force == t.name()) {
    PutOpenMarker(c, marker, "");
  }
  return absl::OkStatus();
}

// Every listed member a current member of the organisation.
absl::Status CheckKnownMembers(Directory& directory, const std::string& prefix,
                               const google::protobuf::RepeatedPtrField<v1::TaskForceMember>& ms) {
  for (int i = 0; i < ms.size(); ++i) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m, directory.Member(IdOf(ms[i].member())));
    if (!m || m->left) {
      return InvalidField(absl::StrCat(prefix, "[", i, "].member"),
                          absl::StrCat(ms[i].member(), " is not a current member"));
    }
  }
  return absl::OkStatus();
}

void StampNewMembers(v1::TaskForce& t, absl::Time now) {
  for (v1::TaskForceMember& m : *t.mutable_members()) {
    if (!m.has_join_time()) {
      *m.mutable_join_time() = ToTs(now);
    }
  }
}

}  // namespace

// ------------------------------------------------------------- task forces

absl::Status SyncApi::ProposeTaskForce(const CallContext& call,
                                       const v1::ProposeTaskForceRequest& req,
                                       v1::ProposeTaskForceResponse* resp) {
  v1::TaskForce in = req.task_force();
  ClearOutputOnly(&in);
  Violations v;
  const std::string opp_id =
      ParseResourceName(v, "task_force.opportunity", in.opportunity(), kOpportunityColl);
  CheckText(v, "task_force.title", in.title(), 0, 200);
  CheckText(v, "task_force.objective", in.objective(), 0, 2000);
  if (!in.members().empty()) {
    CheckMembers(v, "task_force.members", in.members(), false);
  }
  if (CheckCount(v, "task_force.milestones", in.milestones(), kMaxMilestones)) {
    for (int i = 0; i < in.milestones_size(); ++i) {
      CheckMilestone(v, absl::StrCat("task_force.milestones[", i, "]"), in.milestones(i), true);
    }
  }
  if (!req.task_force_id().empty() && !IsValidId(req.task_force_id())) {
    v.Add("task_force_id", "letters, digits and '-', 3..63 characters");
  } else if (absl::StartsWith(req.task_force_id(), "auto-")) {
    v.Add("task_force_id", "\"auto-\" is kept for the proposals the service makes itself");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(CheckKnownMembers(directory_, "task_force.members", in.members()));
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "taskForces/"));
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::TaskForce>(repo_, DocKind::kTaskForce, IdOf(stored),
                                                      "TASK_FORCE_NOT_FOUND", stored));
    if (!CanReadTaskForce(viewer, got.doc)) {
      return RequestIdReused();
    }
    *resp->mutable_task_force() = WithEtag(got.doc, got.version);
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<cv1::Opportunity>> deal,
                            LoadDoc<cv1::Opportunity>(repo_, DocKind::kOpportunity, opp_id));
  if (!deal) {
    return NotFound("OPPORTUNITY_NOT_FOUND",
                    absl::StrCat(in.opportunity(), " is not known to the sync service (yet)"));
  }
  const SalesScope scope{IdOf(deal->doc.owner()), IdOf(deal->doc.team()), IdOf(deal->doc.region())};
  if (!LeadsSalesScope(viewer, scope)) {
    return PermissionDenied("NOT_IN_SCOPE",
                            absl::StrCat("you may not propose a task force for ", in.opportunity(),
                                         ": it is outside the line you lead"));
  }
  if (!IsOpenStage(deal->doc.stage())) {
    return FailedPrecondition("DEAL_CLOSED", absl::StrCat(in.opportunity(), " is closed"));
  }
  SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::TaskForcePolicy> policy, LoadTaskForcePolicy(repo_));
  cv1::CustomerTier tier = cv1::CUSTOMER_TIER_UNSPECIFIED;
  SALESOPS_ASSIGN_OR_RETURN(
      std::optional<Loaded<v1::MinimisedCustomer>> customer,
      LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, IdOf(deal->doc.customer())));
  if (customer) {
    tier = customer->doc.tier();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::string supervisor,
                            SupervisorOf(directory_, IdOf(deal->doc.team())));
  SALESOPS_ASSIGN_OR_RETURN(OpenMarker marker, LoadOpenMarker(repo_, opp_id));
  if (!marker.open_task_force.empty()) {
    return AlreadyExists(
        "TASK_FORCE_EXISTS",
        absl::StrCat(in.opportunity(), " has an open task force: ", marker.open_task_force),
        marker.open_task_force);
  }
  const absl::Time now = clock_.Now();
  v1::TaskForce t = ProposedTaskForce(policy.doc, deal->doc, tier, supervisor, now);
  const std::string id = req.task_force_id().empty() ? NewId() : req.task_force_id();
  t.set_name(Name(kTaskForceColl, id));
  t.set_trigger(v1::TASK_FORCE_TRIGGER_MANUAL);
  t.set_proposed_by(Name(kMemberColl, caller));
  if (!in.title().empty()) {
    t.set_title(in.title());
  }
  if (!in.objective().empty()) {
    t.set_objective(in.objective());
  }
  if (!in.members().empty()) {
    *t.mutable_members() = in.members();
    StampNewMembers(t, now);
  }
  for (const v1::Milestone& m : in.milestones()) {
    v1::Milestone* added = t.add_milestones();
    *added = m;
    added->set_milestone_id(NextMilestoneId(t));
    if (added->state() == v1::MILESTONE_STATE_UNSPECIFIED) {
      added->set_state(v1::MILESTONE_STATE_PLANNED);
    }
    *added->mutable_update_time() = ToTs(now);
  }
  Change c;
  AddNewTaskForce(c, id, t, marker);
  v1::TaskForceProposed e;
  *e.mutable_task_force() = t;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
  if (!req.request_id().empty()) {
    c.Remember(caller, req.request_id(), t.name());
  }
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
      return *r;
    }
  }
  if (ErrorReason(s) == reason::kEtagMismatch || ErrorReason(s) == reason::kResourceExists) {
    // Another proposal for this deal won the race (the marker moved), or the
    // chosen id is taken.
    SALESOPS_ASSIGN_OR_RETURN(OpenMarker now_open, LoadOpenMarker(repo_, opp_id));
    if (!now_open.open_task_force.empty()) {
      return AlreadyExists("TASK_FORCE_EXISTS",
                           absl::StrCat(in.opportunity(), " got an open task force meanwhile"),
                           now_open.open_task_force);
    }
    if (ErrorReason(s) == reason::kResourceExists) {
      return AlreadyExists("TASK_FORCE_EXISTS", absl::StrCat(t.name(), " already exists"),
                           t.name());
    }
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_task_force() = WithEtag(t, 1);
  return absl::OkStatus();
}

absl::Status SyncApi::GetTaskForce(const CallContext& call, const v1::GetTaskForceRequest& req,
                                   v1::GetTaskForceResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kTaskForceColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::TaskForce>(repo_, DocKind::kTaskForce, id,
                                                              "TASK_FORCE_NOT_FOUND", req.name()));
  if (!CanReadTaskForce(viewer, got.doc)) {
    return PermissionDenied("NOT_IN_SCOPE", "members and the deal's line read a task force");
  }
  *resp->mutable_task_force() = WithEtag(got.doc, got.version);
  return absl::OkStatus();
}

absl::Status SyncApi::ListTaskForces(const CallContext& call, const v1::ListTaskForcesRequest& req,
                                     v1::ListTaskForcesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!v1::TaskForceState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  std::string member, opp, customer;
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), kMemberColl);
  }
  if (!req.opportunity().empty()) {
    opp = ParseResourceName(v, "opportunity", req.opportunity(), kOpportunityColl);
  }
  if (!req.customer().empty()) {
    customer = ParseResourceName(v, "customer", req.customer(), kCustomerColl);
  }
  const std::string filter =
      absl::StrCat(req.state(), "|", req.member(), "|", req.opportunity(), "|", req.customer());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string& unit = call.principal.org_unit_id;
  std::string index;
  if (!opp.empty()) {
    index = Ix("tf:opp:", opp);
  } else if (!customer.empty()) {
    index = Ix("tf:customer:", customer);
  } else if (!member.empty()) {
    index = Ix("tf:member:", member);
  } else if (viewer.SeesAll()) {
    index = Ix("tf:all");
  } else if (call.principal.role == Role::kManager && !unit.empty()) {
    index = Ix("tf:region:", unit);
  } else if (call.principal.role == Role::kSupervisor && !unit.empty()) {
    index = Ix("tf:team:", unit);
  } else {
    index = Ix("tf:member:", call.principal.member_id);
  }
  auto keep = [&](const v1::TaskForce& t) {
    return (req.state() == 0 || t.state() == req.state()) &&
           (member.empty() || IsTaskForceMember(t, member)) && CanReadTaskForce(viewer, t);
  };
  std::vector<Loaded<v1::TaskForce>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::TaskForce>(repo_, call, DocKind::kTaskForce, index, cursor,
                                                   page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_task_forces() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

// One read-modify-write of a task force: load, authorise, check the etag,
// let `mutate` change it and add events, commit with the version guard.
template <typename Authorise, typename Mutate>
absl::Status UpdateTaskForceDoc(SyncRepository& repo, const std::string& id,
                                const std::string& name, const std::string& etag,
                                Authorise&& authorise, Mutate&& mutate, v1::TaskForce* out,
                                int64_t* out_version) {
  return WithRetry(!etag.empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::TaskForce>(repo, DocKind::kTaskForce, id,
                                                                "TASK_FORCE_NOT_FOUND", name));
    SALESOPS_RETURN_IF_ERROR(authorise(got.doc));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(etag, got.version, name));
    v1::TaskForce t = got.doc;
    Change c;
    SALESOPS_RETURN_IF_ERROR(mutate(t, c));
    t.clear_etag();
    c.Put(DocKind::kTaskForce, id, t, got.version);
    SALESOPS_RETURN_IF_ERROR(repo.Commit(c));
    *out = t;
    *out_version = got.version + 1;
    return absl::OkStatus();
  });
}

absl::Status SyncApi::FormTaskForce(const CallContext& call, const v1::FormTaskForceRequest& req,
                                    v1::FormTaskForceResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kTaskForceColl);
  if (CheckCount(v, "milestones", req.milestones(), kMaxMilestones)) {
    for (int i = 0; i < req.milestones_size(); ++i) {
      CheckMilestone(v, absl::StrCat("milestones[", i, "]"), req.milestones(i), true);
    }
  }
  if (!req.members().empty()) {
    CheckMembers(v, "members", req.members(), true);
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(CheckKnownMembers(directory_, "members", req.members()));
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  v1::TaskForce out;
  int64_t version = 0;
  SALESOPS_RETURN_IF_ERROR(UpdateTaskForceDoc(
      repo_, id, req.name(), req.etag(),
      [&](const v1::TaskForce& t) -> absl::Status {
        if (!CanDecideTaskForce(viewer, t)) {
          return PermissionDenied("NOT_ALLOWED",
                                  "the deal's manager, directors and admins form a task force");
        }
        return absl::OkStatus();
      },
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        if (t.state() != v1::TASK_FORCE_STATE_PROPOSED) {
          return FailedPrecondition("TASK_FORCE_STATE", "only a proposed task force is formed");
        }
        const absl::Time now = clock_.Now();
        if (!req.members().empty()) {
          // Who is no longer a member leaves the member's list index.
          for (const v1::TaskForceMember& old : t.members()) {
            bool kept = false;
            for (const v1::TaskForceMember& m : req.members()) {
              kept |= m.member() == old.member();
            }
            if (!kept) {
              c.Unindex(Ix("tf:member:", IdOf(old.member())), TaskForceEntry(t, id));
            }
          }
          *t.mutable_members() = req.members();
          StampNewMembers(t, now);
        } else {
          Violations after;
          CheckMembers(after, "members", t.members(), true);
          if (!after.empty()) {
            return FailedPrecondition("TASK_FORCE_MEMBERS",
                                      "the proposed members are not a task force yet (one lead, "
                                      "sales and another function): send members");
          }
        }
        for (const v1::Milestone& m : req.milestones()) {
          v1::Milestone* added = t.add_milestones();
          *added = m;
          added->set_milestone_id(NextMilestoneId(t));
          if (added->state() == v1::MILESTONE_STATE_UNSPECIFIED) {
            added->set_state(v1::MILESTONE_STATE_PLANNED);
          }
          *added->mutable_update_time() = ToTs(now);
        }
        t.set_state(v1::TASK_FORCE_STATE_FORMED);
        *t.mutable_form_time() = ToTs(now);
        *t.mutable_update_time() = ToTs(now);
        for (const v1::TaskForceMember& m : t.members()) {
          IndexTaskForceMember(c, id, t, m.member());
        }
        v1::TaskForceFormed e;
        *e.mutable_task_force() = t;
        *e.mutable_actor() = ActorOf(call);
        c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
        return absl::OkStatus();
      },
      &out, &version));
  *resp->mutable_task_force() = WithEtag(out, version);
  return absl::OkStatus();
}

absl::Status SyncApi::DeclineTaskForce(const CallContext& call,
                                       const v1::DeclineTaskForceRequest& req,
                                       v1::DeclineTaskForceResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kTaskForceColl);
  CheckText(v, "reason", req.reason(), 1, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  v1::TaskForce out;
  int64_t version = 0;
  SALESOPS_RETURN_IF_ERROR(UpdateTaskForceDoc(
      repo_, id, req.name(), req.etag(),
      [&](const v1::TaskForce& t) -> absl::Status {
        if (!CanDecideTaskForce(viewer, t)) {
          return PermissionDenied("NOT_ALLOWED",
                                  "the deal's manager, directors and admins decline a task force");
        }
        return absl::OkStatus();
      },
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        if (t.state() != v1::TASK_FORCE_STATE_PROPOSED) {
          return FailedPrecondition("TASK_FORCE_STATE", "only a proposed task force is declined");
        }
        const absl::Time now = clock_.Now();
        SALESOPS_RETURN_IF_ERROR(
            EndTaskForce(repo_, t, v1::TASK_FORCE_STATE_DECLINED, req.reason(), now, c));
        v1::TaskForceDeclined e;
        *e.mutable_task_force() = t;
        e.set_reason(req.reason());
        *e.mutable_actor() = ActorOf(call);
        c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
        return absl::OkStatus();
      },
      &out, &version));
  *resp->mutable_task_force() = WithEtag(out, version);
  return absl::OkStatus();
}

absl::Status SyncApi::AddTaskForceMember(const CallContext& call,
                                         const v1::AddTaskForceMemberRequest& req,
                                         v1::AddTaskForceMemberResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kTaskForceColl);
  v1::TaskForceMember m = req.member();
  ClearOutputOnly(&m);
  const std::string member_id = ParseResourceName(v, "member.member", m.member(), kMemberColl);
  if (m.role() == v1::TASK_FORCE_ROLE_UNSPECIFIED || !v1::TaskForceRole_IsValid(m.role())) {
    v.Add("member.role", "required: LEAD, SPONSOR, MEMBER or ADVISOR");
  } else if (m.role() == v1::TASK_FORCE_ROLE_LEAD) {
    v.Add("member.role", "a task force has one lead; add MEMBER, SPONSOR or ADVISOR");
  }
  if (m.function() == v1::TASK_FORCE_FUNCTION_UNSPECIFIED ||
      !v1::TaskForceFunction_IsValid(m.function())) {
    v.Add("member.function", "required: SALES, PRE_SALES, PRODUCT, DELIVERY, MARKETING or FINANCE");
  }
  CheckText(v, "member.responsibility", m.responsibility(), 0, 200);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> known, directory_.Member(member_id));
  if (!known || known->left) {
    return InvalidField("member.member", absl::StrCat(m.member(), " is not a current member"));
  }
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  v1::TaskForce out;
  int64_t version = 0;
  SALESOPS_RETURN_IF_ERROR(UpdateTaskForceDoc(
      repo_, id, req.name(), req.etag(),
      [&](const v1::TaskForce& t) -> absl::Status {
        if (!CanSteerTaskForce(viewer, t) && !CanDecideTaskForce(viewer, t)) {
          return PermissionDenied("NOT_ALLOWED",
                                  "the lead, the sponsor and the deal's manager add members");
        }
        return absl::OkStatus();
      },
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        if (!IsLive(t)) {
          return Closed(t);
        }
        if (IsTaskForceMember(t, member_id)) {
          return AlreadyExists("MEMBER_EXISTS", absl::StrCat(m.member(), " is a member already"),
                               t.name());
        }
        if (t.members_size() >= kMaxTaskForceMembers) {
          return FailedPrecondition("TOO_MANY_MEMBERS",
                                    absl::StrCat("at most ", kMaxTaskForceMembers, " members"));
        }
        const absl::Time now = clock_.Now();
        v1::TaskForceMember* added = t.add_members();
        *added = m;
        *added->mutable_join_time() = ToTs(now);
        *t.mutable_update_time() = ToTs(now);
        IndexTaskForceMember(c, id, t, m.member());
        v1::TaskForceMemberAdded e;
        e.set_task_force(t.name());
        e.set_title(t.title());
        *e.mutable_member() = *added;
        *e.mutable_actor() = ActorOf(call);
        c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
        return absl::OkStatus();
      },
      &out, &version));
  *resp->mutable_task_force() = WithEtag(out, version);
  return absl::OkStatus();
}

absl::Status SyncApi::UpdateMilestone(const CallContext& call,
                                      const v1::UpdateMilestoneRequest& req,
                                      v1::UpdateMilestoneResponse* resp) {
  static const std::set<std::string> kPaths = {"title", "due_date", "owner", "state", "note"};
  Violations v;
  const std::string id = ParseResourceName(v, "task_force", req.task_force(), kTaskForceColl);
  v1::Milestone in = req.milestone();
  ClearOutputOnly(&in);
  const bool create = in.milestone_id().empty();
  for (const std::string& p : req.update_mask().paths()) {
    if (kPaths.count(p) == 0) {
      v.Add("update_mask", absl::StrCat("cannot change ", p));
    }
  }
  if (!create && req.update_mask().paths().empty()) {
    v.Add("update_mask", "name the fields to change");
  }
  auto changes = [&](const char* path) {
    if (create) {
      return true;
    }
    const auto& paths = req.update_mask().paths();
    return std::find(paths.begin(), paths.end(), path) != paths.end();
  };
  // The fields that change must be valid on their own; the whole milestone
  // is checked again after merging.
  if (create || changes("title")) {
    CheckText(v, "milestone.title", in.title(), 1, 200);
  }
  if (changes("due_date") && in.has_due_date()) {
    CheckDate(v, "milestone.due_date", in.due_date());
  }
  if (changes("owner") && !in.owner().empty()) {
    ParseResourceName(v, "milestone.owner", in.owner(), kMemberColl);
  }
  if (changes("state") && !v1::MilestoneState_IsValid(in.state())) {
    v.Add("milestone.state", "unknown state");
  }
  if (changes("note")) {
    CheckText(v, "milestone.note", in.note(), 0, 2000);
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  v1::Milestone result;
  v1::TaskForce out;
  int64_t version = 0;
  SALESOPS_RETURN_IF_ERROR(UpdateTaskForceDoc(
      repo_, id, req.task_force(), req.etag(),
      [&](const v1::TaskForce& t) -> absl::Status {
        if (CanSteerTaskForce(viewer, t)) {
          return absl::OkStatus();
        }
        // A milestone's owner updates their own milestone.
        const std::string me = Name(kMemberColl, call.principal.member_id);
        for (const v1::Milestone& m : t.milestones()) {
          if (!create && m.milestone_id() == in.milestone_id() && m.owner() == me &&
              IsTaskForceMember(t, call.principal.member_id)) {
            return absl::OkStatus();
          }
        }
        return PermissionDenied("NOT_ALLOWED",
                                "the lead, the sponsor and a milestone's owner update milestones");
      },
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        if (!IsLive(t)) {
          return Closed(t);
        }
        const absl::Time now = clock_.Now();
        v1::Milestone* target = nullptr;
        v1::MilestoneState previous = v1::MILESTONE_STATE_UNSPECIFIED;
        std::vector<std::string> changed;
        if (create) {
          if (t.milestones_size() >= kMaxMilestones) {
            return FailedPrecondition("TOO_MANY_MILESTONES",
                                      absl::StrCat("at most ", kMaxMilestones, " milestones"));
          }
          const std::string mid = NextMilestoneId(t);
          target = t.add_milestones();
          *target = in;
          target->set_milestone_id(mid);
          if (target->state() == v1::MILESTONE_STATE_UNSPECIFIED) {
            target->set_state(v1::MILESTONE_STATE_PLANNED);
          }
          changed = {"title", "due_date", "owner", "state", "note"};
        } else {
          for (v1::Milestone& m : *t.mutable_milestones()) {
            if (m.milestone_id() == in.milestone_id()) {
              target = &m;
            }
          }
          if (target == nullptr) {
            return NotFound(
                "MILESTONE_NOT_FOUND",
                absl::StrCat(req.task_force(), " has no milestone ", in.milestone_id()));
          }
          previous = target->state();
          for (const std::string& p : req.update_mask().paths()) {
            if (p == "title") {
              target->set_title(in.title());
            }
            if (p == "due_date") {
              *target->mutable_due_date() = in.due_date();
            }
            if (p == "owner") {
              target->set_owner(in.owner());
            }
            if (p == "state") {
              target->set_state(in.state());
            }
            if (p == "note") {
              target->set_note(in.note());
            }
            changed.push_back(p);
          }
        }
        Violations after;
        CheckMilestone(after, "milestone", *target, true);
        SALESOPS_RETURN_IF_ERROR(after.Finish());
        *target->mutable_update_time() = ToTs(now);
        *t.mutable_update_time() = ToTs(now);
        result = *target;
        v1::MilestoneUpdated e;
        e.set_task_force(t.name());
        e.set_title(t.title());
        *e.mutable_milestone() = *target;
        e.set_previous_state(previous);
        for (const std::string& p : changed) {
          e.add_changed_fields(p);
        }
        *e.mutable_actor() = ActorOf(call);
        c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
        return absl::OkStatus();
      },
      &out, &version));
  *resp->mutable_task_force() = WithEtag(out, version);
  *resp->mutable_milestone() = result;
  return absl::OkStatus();
}

absl::Status SyncApi::PostTaskForceUpdate(const CallContext& call,
                                          const v1::PostTaskForceUpdateRequest& req,
                                          v1::PostTaskForceUpdateResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "task_force", req.task_force(), kTaskForceColl);
  CheckText(v, "text", req.text(), 1, 5000);
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string caller = call.principal.member_id;
  const std::string prefix = absl::StrCat(req.task_force(), "/updates/");
  auto find = [&](const v1::TaskForce& t, const std::string& stored) -> absl::Status {
    const std::string uid = stored.substr(prefix.size());
    for (const v1::TaskForceUpdate& u : t.updates()) {
      if (u.update_id() == uid) {
        *resp->mutable_update() = u;
        return absl::OkStatus();
      }
    }
    return NotFound("UPDATE_NOT_FOUND", "the update of that request is no longer kept");
  };
  auto authorise = [&](const v1::TaskForce& t) -> absl::Status {
    if (IsTaskForceMember(t, caller) || CanSteerTaskForce(viewer, t) ||
        LeadsSalesScope(viewer, DealScope(t))) {
      return absl::OkStatus();
    }
    return PermissionDenied("NOT_ALLOWED", "members and the deal's line post updates");
  };
  if (!req.request_id().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto seen, repo_.FindRequest(caller, req.request_id()));
    if (seen) {
      if (seen->rfind(prefix, 0) != 0) {
        return RequestIdReused();
      }
      SALESOPS_ASSIGN_OR_RETURN(
          auto got, MustLoad<v1::TaskForce>(repo_, DocKind::kTaskForce, id, "TASK_FORCE_NOT_FOUND",
                                            req.task_force()));
      SALESOPS_RETURN_IF_ERROR(authorise(got.doc));
      return find(got.doc, *seen);
    }
  }
  v1::TaskForceUpdate posted;
  v1::TaskForce out;
  int64_t version = 0;
  const absl::Status posted_status = UpdateTaskForceDoc(
      repo_, id, req.task_force(), "", authorise,
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        if (!IsLive(t)) {
          return Closed(t);
        }
        const absl::Time now = clock_.Now();
        posted.set_update_id(NewId());
        posted.set_author(Name(kMemberColl, caller));
        posted.set_text(req.text());
        *posted.mutable_create_time() = ToTs(now);
        *t.add_updates() = posted;
        if (t.updates_size() > kMaxKeptUpdates) {
          t.mutable_updates()->DeleteSubrange(0, t.updates_size() - kMaxKeptUpdates);
        }
        *t.mutable_update_time() = ToTs(now);
        v1::TaskForceUpdatePosted e;
        e.set_task_force(t.name());
        e.set_title(t.title());
        *e.mutable_update() = posted;
        *e.mutable_actor() = ActorOf(call);
        c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
        if (!req.request_id().empty()) {
          c.Remember(caller, req.request_id(), absl::StrCat(prefix, posted.update_id()));
        }
        return absl::OkStatus();
      },
      &out, &version);
  if (ErrorReason(posted_status) == reason::kRequestReplayed) {
    // A retry of the same request won the race: answer with its update.
    SALESOPS_ASSIGN_OR_RETURN(auto seen, repo_.FindRequest(caller, req.request_id()));
    if (seen && seen->rfind(prefix, 0) == 0) {
      SALESOPS_ASSIGN_OR_RETURN(
          auto got, MustLoad<v1::TaskForce>(repo_, DocKind::kTaskForce, id, "TASK_FORCE_NOT_FOUND",
                                            req.task_force()));
      return find(got.doc, *seen);
    }
  }
  SALESOPS_RETURN_IF_ERROR(posted_status);
  *resp->mutable_update() = posted;
  return absl::OkStatus();
}

absl::Status SyncApi::CloseTaskForce(const CallContext& call, const v1::CloseTaskForceRequest& req,
                                     v1::CloseTaskForceResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kTaskForceColl);
  CheckText(v, "reason", req.reason(), 0, 500);
  if (req.outcome() == v1::TASK_FORCE_OUTCOME_UNSPECIFIED ||
      !v1::TaskForceOutcome_IsValid(req.outcome())) {
    v.Add("outcome", "required: WON, LOST or ABANDONED");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  v1::TaskForce out;
  int64_t version = 0;
  SALESOPS_RETURN_IF_ERROR(UpdateTaskForceDoc(
      repo_, id, req.name(), req.etag(),
      [&](const v1::TaskForce& t) -> absl::Status {
        if (!CanSteerTaskForce(viewer, t) && !CanDecideTaskForce(viewer, t)) {
          return PermissionDenied("NOT_ALLOWED",
                                  "the lead, the sponsor and the deal's manager close it");
        }
        return absl::OkStatus();
      },
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        if (t.state() != v1::TASK_FORCE_STATE_FORMED) {
          return FailedPrecondition("TASK_FORCE_STATE", "only a formed task force is closed");
        }
        const absl::Time now = clock_.Now();
        t.set_outcome(req.outcome());
        SALESOPS_RETURN_IF_ERROR(
            EndTaskForce(repo_, t, v1::TASK_FORCE_STATE_CLOSED, req.reason(), now, c));
        v1::TaskForceClosed e;
        *e.mutable_task_force() = t;
        e.set_reason(req.reason());
        *e.mutable_actor() = ActorOf(call);
        c.Emit(SyncEvent(id, t.name(), e, now, &call), kSyncTopic);
        return absl::OkStatus();
      },
      &out, &version));
  *resp->mutable_task_force() = WithEtag(out, version);
  return absl::OkStatus();
}

absl::Status SyncApi::AgreeCreditSplit(const CallContext& call,
                                       const v1::AgreeCreditSplitRequest& req,
                                       v1::AgreeCreditSplitResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kTaskForceColl);
  CheckText(v, "note", req.note(), 0, 1000);
  if (req.shares().empty()) {
    v.Add("shares", "required: who gets which share of the credit");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  v1::TaskForce out;
  int64_t version = 0;
  SALESOPS_RETURN_IF_ERROR(UpdateTaskForceDoc(
      repo_, id, req.name(), req.etag(),
      [&](const v1::TaskForce& t) -> absl::Status {
        if (!CanSteerTaskForce(viewer, t) && !CanDecideTaskForce(viewer, t)) {
          return PermissionDenied("NOT_ALLOWED",
                                  "the lead, the sponsor and the deal's manager agree the split");
        }
        return absl::OkStatus();
      },
      [&](v1::TaskForce& t, Change& c) -> absl::Status {
        const bool won_close =
            t.state() == v1::TASK_FORCE_STATE_CLOSED && t.outcome() == v1::TASK_FORCE_OUTCOME_WON;
        if (t.state() != v1::TASK_FORCE_STATE_FORMED && !won_close) {
          return FailedPrecondition("TASK_FORCE_STATE",
                                    "a split is agreed in a formed task force, or one closed won");
        }
        Violations shares;
        CheckCreditSplit(shares, "shares", req.shares(), t);
        SALESOPS_RETURN_IF_ERROR(shares.Finish());
        const absl::Time now = clock_.Now();
        v1::CreditSplit* split = t.mutable_credit_split();
        *split->mutable_shares() = req.shares();
        *split->mutable_agree_time() = ToTs(now);
        split->set_agreed_by(Name(kMemberColl, call.principal.member_id));
        split->set_note(req.note());
        *t.mutable_update_time() = ToTs(now);
        v1::TaskForceCreditSplitAgreed e;
        e.set_task_force(t.name());
        e.set_opportunity(t.opportunity());
        e.set_customer(t.customer());
        *e.mutable_shares() = req.shares();
        *e.mutable_amount() = t.amount();
        e.set_note(req.note());
        *e.mutable_actor() = ActorOf(call);
        // Keyed by the deal: the commission engine reads splits per deal in order.
        c.Emit(SyncEvent(IdOf(t.opportunity()), t.name(), e, now, &call), kSyncTopic);
        return absl::OkStatus();
      },
      &out, &version));
  *resp->mutable_task_force() = WithEtag(out, version);
  return absl::OkStatus();
}

absl::Status SyncApi::GetTaskForcePolicy(const CallContext& call,
                                         const v1::GetTaskForcePolicyRequest& req,
                                         v1::GetTaskForcePolicyResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::TaskForcePolicy> p, LoadTaskForcePolicy(repo_));
  *resp->mutable_policy() = p.doc;
  resp->mutable_policy()->set_etag(absl::StrCat(p.version));
  return absl::OkStatus();
}

absl::Status SyncApi::UpdateTaskForcePolicy(const CallContext& call,
                                            const v1::UpdateTaskForcePolicyRequest& req,
                                            v1::UpdateTaskForcePolicyResponse* resp) {
  static const std::set<std::string> kPaths = {"enabled", "min_amount", "trigger_stage",
                                               "default_departments", "tiers_any_amount"};
  v1::TaskForcePolicy in = req.policy();
  ClearOutputOnly(&in);
  Violations v;
  for (const std::string& p : req.update_mask().paths()) {
    if (kPaths.count(p) == 0) {
      v.Add("update_mask", absl::StrCat("cannot change ", p));
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return WithRetry(!in.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::TaskForcePolicy> cur, LoadTaskForcePolicy(repo_));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), cur.version, kTaskForcePolicyId));
    v1::TaskForcePolicy next = cur.doc;
    if (req.update_mask().paths().empty()) {
      next = in;
    } else {
      for (const std::string& p : req.update_mask().paths()) {
        if (p == "enabled") {
          next.set_enabled(in.enabled());
        }
        if (p == "min_amount") {
          *next.mutable_min_amount() = in.min_amount();
        }
        if (p == "trigger_stage") {
          next.set_trigger_stage(in.trigger_stage());
        }
        if (p == "default_departments") {
          *next.mutable_default_departments() = in.default_departments();
        }
        if (p == "tiers_any_amount") {
          *next.mutable_tiers_any_amount() = in.tiers_any_amount();
        }
      }
    }
    Violations after;
    CheckTaskForcePolicy(after, "policy", next);
    SALESOPS_RETURN_IF_ERROR(after.Finish());
    const absl::Time now = clock_.Now();
    next.set_name(kTaskForcePolicyId);
    next.clear_etag();
    *next.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kConfig, kTaskForcePolicyId, next, cur.version);
    v1::TaskForcePolicyUpdated e;
    *e.mutable_policy() = next;
    *e.mutable_previous() = cur.doc;
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(kTaskForcePolicyId, kTaskForcePolicyId, e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_policy() = next;
    resp->mutable_policy()->set_etag(absl::StrCat(cur.version + 1));
    return absl::OkStatus();
  });
}

// -------------------------------------------------------------- receptions

namespace {

std::string ReceptionEntry(const v1::CustomerReception& r, const std::string& id) {
  return Entry(LatestDayFirst(r.visit_date().year(), r.visit_date().month(), r.visit_date().day()),
               id);
}

}  // namespace

absl::Status SyncApi::PlanReception(const CallContext& call, const v1::PlanReceptionRequest& req,
                                    v1::PlanReceptionResponse* resp) {
  v1::CustomerReception in = req.reception();
  ClearOutputOnly(&in);
  Violations v;
  const std::string customer_id =
      ParseResourceName(v, "reception.customer", in.customer(), kCustomerColl);
  if (!in.opportunity().empty()) {
    ParseResourceName(v, "reception.opportunity", in.opportunity(), kOpportunityColl);
  }
  CheckText(v, "reception.title", in.title(), 1, 200);
  if (!in.has_visit_date()) {
    v.Add("reception.visit_date", "required");
  } else {
    CheckDate(v, "reception.visit_date", in.visit_date());
  }
  CheckText(v, "reception.location", in.location(), 0, 200);
  if (CheckCount(v, "reception.visitor_titles", in.visitor_titles(), 20)) {
    for (int i = 0; i < in.visitor_titles_size(); ++i) {
      CheckText(v, absl::StrCat("reception.visitor_titles[", i, "]"), in.visitor_titles(i), 1, 100);
    }
  }
  std::set<std::string> hosts;
  std::set<int> departments;
  if (in.hosts().empty()) {
    v.Add("reception.hosts", "required: the hosts from each department");
  } else if (CheckCount(v, "reception.hosts", in.hosts(), 20)) {
    for (int i = 0; i < in.hosts_size(); ++i) {
      const std::string p = absl::StrCat("reception.hosts[", i, "]");
      const v1::ReceptionHost& h = in.hosts(i);
      if (!ParseResourceName(v, p + ".member", h.member(), kMemberColl).empty() &&
          !hosts.insert(h.member()).second) {
        v.Add(p + ".member", "listed twice");
      }
      if (h.department() == v1::DEPARTMENT_UNSPECIFIED || !v1::Department_IsValid(h.department())) {
        v.Add(p + ".department", "required");
      } else {
        departments.insert(h.department());
      }
      CheckText(v, p + ".role_note", h.role_note(), 0, 200);
    }
    if (v.empty() && departments.size() < 2) {
      v.Add("reception.hosts", "a reception is hosted by at least two departments");
    }
  }
  if (CheckCount(v, "reception.agenda", in.agenda(), 50)) {
    for (int i = 0; i < in.agenda_size(); ++i) {
      const std::string p = absl::StrCat("reception.agenda[", i, "]");
      CheckText(v, p + ".title", in.agenda(i).title(), 1, 200);
      if (!in.agenda(i).host().empty() && hosts.count(in.agenda(i).host()) == 0) {
        v.Add(p + ".host", "must be one of reception.hosts");
      }
      CheckText(v, p + ".location", in.agenda(i).location(), 0, 200);
    }
  }
  if (!req.reception_id().empty() && !IsValidId(req.reception_id())) {
    v.Add("reception_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "receptions/"));
    SALESOPS_ASSIGN_OR_RETURN(
        auto got, MustLoad<v1::CustomerReception>(repo_, DocKind::kReception, IdOf(stored),
                                                  "RECEPTION_NOT_FOUND", stored));
    if (!CanReadReception(viewer, got.doc)) {
      return RequestIdReused();
    }
    *resp->mutable_reception() = WithEtag(got.doc, got.version);
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::MinimisedCustomer>> customer,
                            LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, customer_id));
  if (!customer) {
    return NotFound("CUSTOMER_NOT_FOUND",
                    absl::StrCat(in.customer(), " is not known to the sync service (yet)"));
  }
  const SalesScope scope{IdOf(customer->doc.owner()), IdOf(customer->doc.team()),
                         IdOf(customer->doc.region())};
  if (!InSalesScope(viewer, scope)) {
    return PermissionDenied("NOT_IN_SCOPE",
                            absl::StrCat("you may not plan a reception for ", in.customer()));
  }
  for (int i = 0; i < in.hosts_size(); ++i) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m,
                              directory_.Member(IdOf(in.hosts(i).member())));
    if (!m || m->left) {
      return InvalidField(absl::StrCat("reception.hosts[", i, "].member"),
                          absl::StrCat(in.hosts(i).member(), " is not a current member"));
    }
  }
  const absl::Time now = clock_.Now();
  const std::string id = req.reception_id().empty() ? NewId() : req.reception_id();
  in.set_name(Name(kReceptionColl, id));
  in.set_state(v1::RECEPTION_STATE_PLANNED);
  in.set_organizer(Name(kMemberColl, caller));
  in.set_team(customer->doc.team());
  in.set_region(customer->doc.region());
  *in.mutable_create_time() = ToTs(now);
  *in.mutable_update_time() = ToTs(now);
  Change c;
  c.Put(DocKind::kReception, id, in, 0);
  const std::string entry = ReceptionEntry(in, id);
  c.Index(Ix("rcp:all"), entry);
  c.Index(Ix("rcp:customer:", customer_id), entry);
  if (!in.team().empty()) {
    c.Index(Ix("rcp:team:", IdOf(in.team())), entry);
  }
  if (!in.region().empty()) {
    c.Index(Ix("rcp:region:", IdOf(in.region())), entry);
  }
  c.Index(Ix("rcp:host:", caller), entry);
  for (const std::string& h : hosts) {
    c.Index(Ix("rcp:host:", IdOf(h)), entry);
  }
  v1::ReceptionPlanned e;
  *e.mutable_reception() = in;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(SyncEvent(id, in.name(), e, now, &call), kSyncTopic);
  if (!req.request_id().empty()) {
    c.Remember(caller, req.request_id(), in.name());
  }
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
      return *r;
    }
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_reception() = WithEtag(in, 1);
  return absl::OkStatus();
}

absl::Status SyncApi::GetReception(const CallContext& call, const v1::GetReceptionRequest& req,
                                   v1::GetReceptionResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kReceptionColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  SALESOPS_ASSIGN_OR_RETURN(auto got,
                            MustLoad<v1::CustomerReception>(repo_, DocKind::kReception, id,
                                                            "RECEPTION_NOT_FOUND", req.name()));
  if (!CanReadReception(viewer, got.doc)) {
    return PermissionDenied("NOT_IN_SCOPE", "hosts and the customer's line read a reception");
  }
  *resp->mutable_reception() = WithEtag(got.doc, got.version);
  return absl::OkStatus();
}

absl::Status SyncApi::ListReceptions(const CallContext& call, const v1::ListReceptionsRequest& req,
                                     v1::ListReceptionsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!v1::ReceptionState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  std::string customer, host;
  if (!req.customer().empty()) {
    customer = ParseResourceName(v, "customer", req.customer(), kCustomerColl);
  }
  if (!req.host().empty()) {
    host = ParseResourceName(v, "host", req.host(), kMemberColl);
  }
  const std::string filter = absl::StrCat(req.customer(), "|", req.state(), "|", req.host());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string& unit = call.principal.org_unit_id;
  std::string index;
  if (!customer.empty()) {
    index = Ix("rcp:customer:", customer);
  } else if (!host.empty()) {
    index = Ix("rcp:host:", host);
  } else if (viewer.SeesAll()) {
    index = Ix("rcp:all");
  } else if (call.principal.role == Role::kManager && !unit.empty()) {
    index = Ix("rcp:region:", unit);
  } else if (call.principal.role == Role::kSupervisor && !unit.empty()) {
    index = Ix("rcp:team:", unit);
  } else {
    index = Ix("rcp:host:", call.principal.member_id);
  }
  auto keep = [&](const v1::CustomerReception& r) {
    if (req.state() != 0 && r.state() != req.state()) {
      return false;
    }
    if (!host.empty()) {
      bool hosting = r.organizer() == req.host();
      for (const v1::ReceptionHost& h : r.hosts()) {
        hosting = hosting || h.member() == req.host();
      }
      if (!hosting) {
        return false;
      }
    }
    return CanReadReception(viewer, r);
  };
  std::vector<Loaded<v1::CustomerReception>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::CustomerReception>(
      repo_, call, DocKind::kReception, index, cursor, page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_receptions() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::UpdateReception(const CallContext& call,
                                      const v1::UpdateReceptionRequest& req,
                                      v1::UpdateReceptionResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kReceptionColl);
  if (req.state() != 0 && !v1::ReceptionState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  CheckText(v, "summary", req.summary(), 0, 5000);
  if (req.state() == 0 && req.summary().empty()) {
    v.Add("state", "send a state or a summary");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::CustomerReception>(repo_, DocKind::kReception, id,
                                                              "RECEPTION_NOT_FOUND", req.name()));
    const std::string me = Name(kMemberColl, call.principal.member_id);
    if (!CanManageReception(viewer, got.doc) && got.doc.organizer() != me) {
      return PermissionDenied("NOT_ALLOWED", "the organiser and the customer's line update it");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    v1::CustomerReception r = got.doc;
    const v1::ReceptionState previous = r.state();
    if (req.state() != 0 && req.state() != r.state()) {
      SALESOPS_RETURN_IF_ERROR(CheckReceptionStep(r.state(), req.state()));
      r.set_state(req.state());
    }
    if (!req.summary().empty()) {
      r.set_summary(req.summary());
    }
    const absl::Time now = clock_.Now();
    *r.mutable_update_time() = ToTs(now);
    r.clear_etag();
    Change c;
    c.Put(DocKind::kReception, id, r, got.version);
    v1::ReceptionUpdated e;
    *e.mutable_reception() = r;
    e.set_previous_state(previous);
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, r.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_reception() = WithEtag(r, got.version + 1);
    return absl::OkStatus();
  });
}

}  // namespace salesops::sync
