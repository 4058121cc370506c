// OrgApi: positions and duties, reorganisation commands (split, merge,
// dissolve) and the membership history. Each command validates, plans with
// the pure rules in domain/reorg.h, and commits the whole change — units,
// members, history, log entry and events — as one repository write guarded by
// the versions it was decided on.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/org/api/api_util.h"
#include "services/org/api/org_api.h"
#include "services/org/domain/duties.h"
#include "services/org/domain/org_rules.h"
#include "services/org/domain/reasons.h"

namespace salesops::org {
namespace {

// Maps the repository's guard failures of a reorganisation to what callers see.
absl::Status ReorgError(absl::Status s) {
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("ORG_UNIT_EXISTS", "a new team's id is taken", "");
  }
  if (ErrorReason(s) == reason::kOrgUnitNotFound) {
    return Aborted(reason::kConcurrentReorganisation,
                   "a unit of the command was removed meanwhile");
  }
  return s;
}

std::vector<absl::CivilDay> EffectiveDays(const v1::Position& p) {
  std::vector<absl::CivilDay> days;
  for (const auto& d : p.duty_history()) {
    absl::CivilDay day;
    FromDate(d.effective_date(), &day);
    days.push_back(day);
  }
  return days;
}

void CheckDutyLists(Violations& v, const std::string& prefix, const v1::DutyVersion& d) {
  if (d.duties_size() > 50) {
    v.Add(prefix + ".duties", "at most 50 duties");
  }
  if (d.tasks_size() > 100) {
    v.Add(prefix + ".tasks", "at most 100 tasks");
  }
  for (int i = 0; i < d.duties_size(); ++i) {
    CheckText(v, absl::StrCat(prefix, ".duties[", i, "]"), d.duties(i), 1, 500);
  }
  for (int i = 0; i < d.tasks_size(); ++i) {
    CheckText(v, absl::StrCat(prefix, ".tasks[", i, "]"), d.tasks(i), 1, 500);
  }
  CheckText(v, prefix + ".reason", d.reason(), 0, 500);
}

// The date of `d`, or `today` when unset; a violation when malformed.
absl::CivilDay DateOr(Violations& v, const std::string& field, const v1::DutyVersion& d,
                      absl::CivilDay today) {
  if (!d.has_effective_date()) {
    return today;
  }
  absl::CivilDay day;
  if (!FromDate(d.effective_date(), &day)) {
    v.Add(field, "not a calendar date");
  }
  return day;
}

absl::CivilDay OptionalDate(Violations& v, const std::string& field,
                            const salesops::common::v1::Date* d, absl::CivilDay fallback) {
  if (d == nullptr) {
    return fallback;
  }
  absl::CivilDay day;
  if (!FromDate(*d, &day)) {
    v.Add(field, "not a calendar date");
    return fallback;
  }
  return day;
}

}  // namespace

absl::StatusOr<std::vector<Member>> OrgApi::MembersOf(const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo_.MemberIdsOfUnit(unit_id));
  std::vector<Member> out;
  for (const auto& id : ids) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Member> m, repo_.GetMember(id));
    if (m) {
      out.push_back(*std::move(m));
    }
  }
  return out;
}

absl::StatusOr<std::vector<MembershipEntry>> OrgApi::HistoryOf(const Member& m) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<MembershipEntry> entries, repo_.MemberHistory(m.id));
  if (entries.empty()) {
    entries.push_back(
        {m.id, m.org_unit_id, m.role, OrgDay(m.create_time), m.create_time, "", "joined"});
  }
  return entries;
}

absl::StatusOr<std::pair<Member, std::vector<std::string>>> OrgApi::MemberWithAncestry(
    const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(Member m, LoadMember(id));
  SALESOPS_ASSIGN_OR_RETURN(Ancestry a, repo_.GetAncestry(m.org_unit_id));
  return std::make_pair(std::move(m), std::move(a.ids));
}

// ---------------------------------------------------------------- positions

absl::Status OrgApi::CreatePosition(const CallContext& call, const v1::CreatePositionRequest& req,
                                    v1::CreatePositionResponse* resp) {
  const v1::Position& in = req.position();
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = OrgDay(now);
  Violations v;
  std::string team_id = ParseResourceName(v, "position.team", in.team(), "orgUnits");
  if (!ValidRole(in.role())) {
    v.Add("position.role", "required: REP … ADMIN");
  }
  CheckText(v, "position.title", in.title(), 1, 100);
  if (in.duty_history_size() != 1) {
    v.Add("position.duty_history", "give exactly one entry: the first duty version");
  }
  absl::CivilDay effective = today;
  if (in.duty_history_size() == 1) {
    CheckDutyLists(v, "position.duty_history[0]", in.duty_history(0));
    effective = DateOr(v, "position.duty_history[0].effective_date", in.duty_history(0), today);
  }
  if (!req.position_id().empty() && !IsValidId(req.position_id())) {
    v.Add("position_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(CheckNewDutyVersion(
      {}, effective, today, "", in.duty_history(0).duties_size(), "position.duty_history[0]"));

  const std::string rid = CallerRequestId(call, req.request_id());
  auto replay = [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> name, repo_.FindRequest(rid));
    if (!name || !absl::StartsWith(*name, "positions/")) {
      return AlreadyExists("REQUEST_ID_REUSED", "request_id was used for another resource",
                           name.value_or(""));
    }
    v1::GetPositionRequest get;
    get.set_name(*name);
    v1::GetPositionResponse got;
    SALESOPS_RETURN_IF_ERROR(GetPosition(call, get, &got));
    *resp->mutable_position() = got.position();
    return absl::OkStatus();
  };
  if (!rid.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen, repo_.FindRequest(rid));
    if (seen) {
      return replay();
    }
  }

  SALESOPS_ASSIGN_OR_RETURN(OrgUnit team, LoadUnit(team_id, "position.team", true));
  if (team.kind != UnitKind::kTeam) {
    return InvalidArgument({{"position.team", "positions belong to a TEAM"}}, "NOT_A_TEAM");
  }
  SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, team_id));
  // One position per team and role: a friendly error for the common case; the
  // slot document below makes it hold under concurrent creates too.
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> existing, repo_.ListDocs(DocKind::kPosition, team_id));
  for (const auto& d : existing) {
    v1::Position p;
    if (p.ParseFromString(d.data) && p.role() == in.role()) {
      return AlreadyExists("POSITION_EXISTS", "the team already has a position for this role",
                           p.name());
    }
  }

  v1::Position p;
  const std::string id = req.position_id().empty() ? NewUuid() : req.position_id();
  p.set_name(absl::StrCat("positions/", id));
  p.set_team(UnitName(team_id));
  p.set_role(in.role());
  p.set_title(in.title());
  v1::DutyVersion* d = p.add_duty_history();
  *d = in.duty_history(0);
  *d->mutable_effective_date() = ToDate(effective);
  d->set_author(MemberName(call.principal.member_id));
  *d->mutable_record_time() = ToTimestamp(now);
  *p.mutable_create_time() = ToTimestamp(now);
  p.set_etag("1");

  v1::PositionCreated event;
  *event.mutable_position() = p;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  // The (team, role) slot: a second create for the same slot fails on it atomically.
  DocWrite slot{DocKind::kPositionSlot, {absl::StrCat(team_id, ":", in.role()), 1, id}, 0, {}};
  DocWrite w{DocKind::kPosition, {id, 1, p.SerializeAsString()}, 0, {team_id}};
  absl::Status s = repo_.WriteDocs({w, slot}, rid, p.name(),
                                   {OrgEvent(id, p.name(), event, now, call.trace_id)});
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay();
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("POSITION_EXISTS",
                         "the position id or the team's position for this role exists", p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_position() = std::move(p);
  return absl::OkStatus();
}

absl::Status OrgApi::GetPosition(const CallContext& call, const v1::GetPositionRequest& req,
                                 v1::GetPositionResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "positions");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kPosition, id));
  if (!doc || !resp->mutable_position()->ParseFromString(doc->data)) {
    return NotFound("POSITION_NOT_FOUND", absl::StrCat("positions/", id, " does not exist"));
  }
  return absl::OkStatus();
}

absl::Status OrgApi::ListPositions(const CallContext& call, const v1::ListPositionsRequest& req,
                                   v1::ListPositionsResponse* resp) {
  Violations v;
  int page_size = CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string team_id;
  if (!req.team().empty()) {
    team_id = ParseResourceName(v, "team", req.team(), "orgUnits");
  }
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), req.team());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> docs, repo_.ListDocs(DocKind::kPosition, team_id));
  std::string last;
  for (const auto& d : docs) {  // ordered by id
    if (cursor && d.id <= cursor->after) {
      continue;
    }
    if (resp->positions_size() == page_size) {
      resp->set_next_page_token(EncodePageToken({last, req.team()}));
      break;
    }
    if (resp->add_positions()->ParseFromString(d.data)) {
      last = d.id;
    }
  }
  return absl::OkStatus();
}

absl::Status OrgApi::ChangeDuties(const CallContext& call, const v1::ChangeDutiesRequest& req,
                                  v1::ChangeDutiesResponse* resp) {
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = OrgDay(now);
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "positions");
  if (req.etag().empty()) {
    v.Add("etag", "required: the position's etag");
  }
  CheckDutyLists(v, "duties", req.duties());
  absl::CivilDay effective = DateOr(v, "duties.effective_date", req.duties(), today);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kPosition, id));
  v1::Position p;
  if (!doc || !p.ParseFromString(doc->data)) {
    return NotFound("POSITION_NOT_FOUND", absl::StrCat("positions/", id, " does not exist"));
  }
  SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, p.team().substr(strlen("orgUnits/"))));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), doc->version));
  SALESOPS_RETURN_IF_ERROR(CheckNewDutyVersion(EffectiveDays(p), effective, today,
                                               req.duties().reason(), req.duties().duties_size(),
                                               "duties"));
  v1::PositionDutiesChanged event;
  const std::vector<absl::CivilDay> days = EffectiveDays(p);
  const int current = DutyVersionAsOf(days, today);
  if (current >= 0) {
    *event.mutable_previous() = p.duty_history(current);
  }
  v1::DutyVersion* d = p.add_duty_history();
  *d = req.duties();
  *d->mutable_effective_date() = ToDate(effective);
  d->set_author(MemberName(call.principal.member_id));
  *d->mutable_record_time() = ToTimestamp(now);
  p.set_etag(absl::StrCat(doc->version + 1));
  *event.mutable_position() = p;
  *event.mutable_duties() = *d;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  SALESOPS_RETURN_IF_ERROR(repo_.WriteDocs(
      {{DocKind::kPosition, {id, doc->version + 1, p.SerializeAsString()}, doc->version, {}}}, "",
      "", {OrgEvent(id, p.name(), event, now, call.trace_id)}));
  *resp->mutable_position() = std::move(p);
  return absl::OkStatus();
}

absl::Status OrgApi::GetMemberDuties(const CallContext& call, const v1::GetMemberDutiesRequest& req,
                                     v1::GetMemberDutiesResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "member", req.member(), "members");
  absl::CivilDay day = OptionalDate(
      v, "as_of_date", req.has_as_of_date() ? &req.as_of_date() : nullptr, OrgDay(clock_.Now()));
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(id));
  if (!CanSeeMember(call.principal, found.first, found.second)) {
    return PermissionDenied("OUT_OF_SCOPE", "the member is outside the caller's org scope");
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<MembershipEntry> history, HistoryOf(found.first));
  std::optional<MembershipEntry> at = MembershipAsOf(history, day);
  if (!at) {
    return NotFound("NO_MEMBERSHIP_ON_DATE", absl::StrCat(MemberName(id), " was not a member on ",
                                                          absl::FormatCivilTime(day)));
  }
  *resp->mutable_membership() = ToProto(*at, nullptr);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> docs, repo_.ListDocs(DocKind::kPosition, at->unit_id));
  for (const auto& d : docs) {
    v1::Position p;
    if (!p.ParseFromString(d.data) || p.role() != static_cast<int>(at->role)) {
      continue;
    }
    resp->set_position(p.name());
    resp->set_title(p.title());
    const int i = DutyVersionAsOf(EffectiveDays(p), day);
    if (i >= 0) {
      *resp->mutable_duties() = p.duty_history(i);
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- reorganisation

absl::Status OrgApi::SplitTeam(const CallContext& call, const v1::SplitTeamRequest& req,
                               v1::SplitTeamResponse* resp) {
  Violations v;
  std::string team_id = ParseResourceName(v, "team", req.team(), "orgUnits");
  CheckText(v, "reason", req.reason(), 1, 500);
  std::vector<NewTeamSpec> specs;
  for (int i = 0; i < req.new_teams_size(); ++i) {
    const v1::NewTeam& t = req.new_teams(i);
    const std::string f = absl::StrCat("new_teams[", i, "]");
    if (!t.org_unit_id().empty() && !IsValidId(t.org_unit_id())) {
      v.Add(f + ".org_unit_id", "letters, digits and '-', 3..63 characters");
    }
    CheckText(v, f + ".display_name", t.display_name(), 1, 100);
    CheckText(v, f + ".description", t.description(), 0, 1000);
    NewTeamSpec spec{t.org_unit_id().empty() ? NewUuid() : t.org_unit_id(),
                     t.display_name(),
                     t.description(),
                     {}};
    for (int j = 0; j < t.members_size(); ++j) {
      spec.member_ids.push_back(
          ParseResourceName(v, absl::StrCat(f, ".members[", j, "]"), t.members(j), "members"));
    }
    specs.push_back(std::move(spec));
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  SALESOPS_ASSIGN_OR_RETURN(OrgUnit team, LoadUnit(team_id, "team", false));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), team.version));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(team_id));
  SALESOPS_ASSIGN_OR_RETURN(ReorgChange change, PlanSplit(team, members, specs));
  std::optional<OrgUnit> parent;
  if (!team.parent_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(parent, LoadUnit(team.parent_id, "team", false));
  }

  const absl::Time now = clock_.Now();
  ReorgRecord rec = NewReorg(call, ReorgKind::kSplit, req.reason(), now);
  ReorgCommit c;
  OrgUnit after = team;
  after.version = team.version + 1;
  after.update_time = now;
  c.units_before = {team};
  c.units_after = {after};
  rec.unit_ids = {team.id};
  std::vector<CloudEvent> events;
  v1::TeamSplit split;
  for (OrgUnit u : change.new_units) {
    u.version = 1;
    u.create_time = u.update_time = now;
    SALESOPS_RETURN_IF_ERROR(CheckParent(u, parent ? &*parent : nullptr, "team"));
    c.created_units.push_back(u);
    rec.unit_ids.push_back(u.id);
    rec.created_unit_ids.push_back(u.id);
    v1::OrgUnitCreated created;
    *created.mutable_org_unit() = ToProto(u, 0);
    *created.mutable_actor() = MakeActor(call.principal, call.trace_id);
    events.push_back(OrgEvent(u.id, UnitName(u.id), created, now, call.trace_id));
    *split.add_new_teams() = ToProto(u, 0);
  }
  absl::flat_hash_map<std::string, const Member*> by_id;
  for (const auto& m : members) {
    by_id[m.id] = &m;
  }
  rec.moves = change.moves;
  for (const auto& mv : change.moves) {
    Member before = *by_id[mv.member_id];
    Member moved = before;
    moved.org_unit_id = mv.to_unit_id;
    moved.version++;
    moved.update_time = now;
    c.members.emplace_back(before, moved);
    c.history.push_back(MoveEntry(moved, rec));
  }
  rec.summary = absl::StrCat("split ", UnitName(team.id), " into ", change.new_units.size(),
                             " new teams, moving ", change.moves.size(), " members");
  for (const auto& [before, moved] : c.members) {
    v1::MemberMoved e;
    *e.mutable_member() = ToProto(moved);
    e.set_from_org_unit(UnitName(before.org_unit_id));
    e.set_to_org_unit(UnitName(moved.org_unit_id));
    e.set_reason(req.reason());
    *e.mutable_actor() = MakeActor(call.principal, call.trace_id);
    e.set_reorganisation(ReorgName(rec.id));
    *e.mutable_effective_date() = ToDate(rec.effective);
    events.push_back(OrgEvent(moved.id, MemberName(moved.id), e, now, call.trace_id));
  }
  *split.mutable_reorganisation() = ToProto(rec);
  *split.mutable_source() = ToProto(after, 0);
  events.push_back(OrgEvent(team.id, UnitName(team.id), split, now, call.trace_id));
  c.events = std::move(events);
  AttachRecord(c, rec);
  SALESOPS_RETURN_IF_ERROR(ReorgError(repo_.CommitReorg(c)));
  *resp->mutable_reorganisation() = ToProto(rec);
  for (const auto& u : c.created_units) {
    *resp->add_new_teams() = ToProto(u, 0);
  }
  return absl::OkStatus();
}

absl::Status OrgApi::MergeTeams(const CallContext& call, const v1::MergeTeamsRequest& req,
                                v1::MergeTeamsResponse* resp) {
  Violations v;
  std::string source_id = ParseResourceName(v, "source", req.source(), "orgUnits");
  std::string target_id = ParseResourceName(v, "target", req.target(), "orgUnits");
  CheckText(v, "reason", req.reason(), 1, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (source_id == target_id) {
    return InvalidArgument({{"target", "a team cannot be merged into itself"}}, "MERGE_INTO_SELF");
  }
  SALESOPS_ASSIGN_OR_RETURN(OrgUnit source, LoadUnit(source_id, "source", false));
  SALESOPS_ASSIGN_OR_RETURN(OrgUnit target, LoadUnit(target_id, "target", true));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.source_etag(), source.version));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.target_etag(), target.version));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(source_id));
  SALESOPS_ASSIGN_OR_RETURN(ReorgChange change, PlanMerge(source, target, members));

  const absl::Time now = clock_.Now();
  ReorgRecord rec = NewReorg(call, ReorgKind::kMerge, req.reason(), now);
  rec.unit_ids = {source.id, target.id};
  rec.removed_unit_ids = {source.id};
  rec.moves = change.moves;
  rec.summary = absl::StrCat("merged ", UnitName(source.id), " into ", UnitName(target.id), " (",
                             change.moves.size(), " members moved)");
  ReorgCommit c;
  OrgUnit after = target;
  after.version++;
  after.update_time = now;
  c.units_before = {target};
  c.units_after = {after};
  c.removed_units = {source};
  for (const auto& m : members) {
    Member moved = m;
    moved.org_unit_id = target.id;
    moved.version++;
    moved.update_time = now;
    c.members.emplace_back(m, moved);
    c.history.push_back(MoveEntry(moved, rec));
    v1::MemberMoved e;
    *e.mutable_member() = ToProto(moved);
    e.set_from_org_unit(UnitName(source.id));
    e.set_to_org_unit(UnitName(target.id));
    e.set_reason(req.reason());
    *e.mutable_actor() = MakeActor(call.principal, call.trace_id);
    e.set_reorganisation(ReorgName(rec.id));
    *e.mutable_effective_date() = ToDate(rec.effective);
    c.events.push_back(OrgEvent(moved.id, MemberName(moved.id), e, now, call.trace_id));
  }
  v1::OrgUnitDeleted deleted;
  *deleted.mutable_org_unit() = ToProto(source, 0);
  deleted.set_reason(req.reason());
  *deleted.mutable_actor() = MakeActor(call.principal, call.trace_id);
  c.events.push_back(OrgEvent(source.id, UnitName(source.id), deleted, now, call.trace_id));
  v1::TeamsMerged merged;
  *merged.mutable_reorganisation() = ToProto(rec);
  *merged.mutable_source() = ToProto(source, 0);
  *merged.mutable_target() = ToProto(after, 0);
  c.events.push_back(OrgEvent(source.id, UnitName(source.id), merged, now, call.trace_id));
  AttachRecord(c, rec);
  SALESOPS_RETURN_IF_ERROR(ReorgError(repo_.CommitReorg(c)));
  *resp->mutable_reorganisation() = ToProto(rec);
  *resp->mutable_target() = ToProto(after, 0);
  return absl::OkStatus();
}

absl::Status OrgApi::DissolveTeam(const CallContext& call, const v1::DissolveTeamRequest& req,
                                  v1::DissolveTeamResponse* resp) {
  Violations v;
  std::string team_id = ParseResourceName(v, "team", req.team(), "orgUnits");
  CheckText(v, "reason", req.reason(), 1, 500);
  std::vector<ReorgMove> moves;
  for (int i = 0; i < req.moves_size(); ++i) {
    const std::string f = absl::StrCat("moves[", i, "]");
    moves.push_back(
        {ParseResourceName(v, f + ".member", req.moves(i).member(), "members"), team_id,
         ParseResourceName(v, f + ".to_org_unit", req.moves(i).to_org_unit(), "orgUnits")});
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(OrgUnit team, LoadUnit(team_id, "team", false));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), team.version));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(team_id));
  absl::flat_hash_map<std::string, OrgUnit> targets;
  for (const auto& mv : moves) {
    if (targets.contains(mv.to_unit_id)) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgUnit> u, repo_.GetUnit(mv.to_unit_id));
    if (u) {
      targets.emplace(mv.to_unit_id, *std::move(u));
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(ReorgChange change, PlanDissolve(team, members, moves, targets));

  const absl::Time now = clock_.Now();
  ReorgRecord rec = NewReorg(call, ReorgKind::kDissolve, req.reason(), now);
  rec.unit_ids = {team.id};
  rec.removed_unit_ids = {team.id};
  rec.moves = change.moves;
  rec.summary =
      absl::StrCat("dissolved ", UnitName(team.id), " (", change.moves.size(), " members moved)");
  ReorgCommit c;
  c.removed_units = {team};
  absl::flat_hash_set<std::string> guarded;
  for (const auto& mv : change.moves) {
    if (guarded.insert(mv.to_unit_id).second) {
      const OrgUnit& t = targets.at(mv.to_unit_id);
      OrgUnit after = t;
      after.version++;
      after.update_time = now;
      c.units_before.push_back(t);
      c.units_after.push_back(after);
      rec.unit_ids.push_back(t.id);
    }
  }
  absl::flat_hash_map<std::string, const Member*> by_id;
  for (const auto& m : members) {
    by_id[m.id] = &m;
  }
  for (const auto& mv : change.moves) {
    Member before = *by_id[mv.member_id];
    Member moved = before;
    moved.org_unit_id = mv.to_unit_id;
    moved.version++;
    moved.update_time = now;
    c.members.emplace_back(before, moved);
    c.history.push_back(MoveEntry(moved, rec));
    v1::MemberMoved e;
    *e.mutable_member() = ToProto(moved);
    e.set_from_org_unit(UnitName(team.id));
    e.set_to_org_unit(UnitName(moved.org_unit_id));
    e.set_reason(req.reason());
    *e.mutable_actor() = MakeActor(call.principal, call.trace_id);
    e.set_reorganisation(ReorgName(rec.id));
    *e.mutable_effective_date() = ToDate(rec.effective);
    c.events.push_back(OrgEvent(moved.id, MemberName(moved.id), e, now, call.trace_id));
  }
  v1::OrgUnitDeleted deleted;
  *deleted.mutable_org_unit() = ToProto(team, 0);
  deleted.set_reason(req.reason());
  *deleted.mutable_actor() = MakeActor(call.principal, call.trace_id);
  c.events.push_back(OrgEvent(team.id, UnitName(team.id), deleted, now, call.trace_id));
  v1::TeamDissolved dissolved;
  *dissolved.mutable_reorganisation() = ToProto(rec);
  *dissolved.mutable_team() = ToProto(team, 0);
  c.events.push_back(OrgEvent(team.id, UnitName(team.id), dissolved, now, call.trace_id));
  AttachRecord(c, rec);
  SALESOPS_RETURN_IF_ERROR(ReorgError(repo_.CommitReorg(c)));
  *resp->mutable_reorganisation() = ToProto(rec);
  return absl::OkStatus();
}

absl::Status OrgApi::ListReorganisations(const CallContext& call,
                                         const v1::ListReorganisationsRequest& req,
                                         v1::ListReorganisationsResponse* resp) {
  Violations v;
  std::string unit_id = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  absl::CivilDay from =
      OptionalDate(v, "start_date", req.has_start_date() ? &req.start_date() : nullptr,
                   absl::CivilDay(1900, 1, 1));
  absl::CivilDay to = OptionalDate(v, "end_date", req.has_end_date() ? &req.end_date() : nullptr,
                                   absl::CivilDay(9999, 12, 31));
  if (v.empty() && to < from) {
    v.Add("end_date", "must not be before start_date");
  }
  int page_size = CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const std::string filter = absl::StrCat(req.org_unit(), "|", absl::FormatCivilTime(from), "|",
                                          absl::FormatCivilTime(to));
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // Removed units keep their log: scope is checked on the unit while it exists.
  absl::StatusOr<Ancestry> ancestry = repo_.GetAncestry(unit_id);
  if (ancestry.ok()) {
    if (call.principal.role < Role::kDirector &&
        !IsWithin(ancestry->ids, call.principal.org_unit_id)) {
      return PermissionDenied(
          "OUT_OF_SCOPE", absl::StrCat(UnitName(unit_id), " is outside the caller's org scope"));
    }
  } else if (ancestry.status().code() != absl::StatusCode::kNotFound) {
    return ancestry.status();
  } else if (call.principal.role < Role::kDirector) {
    return PermissionDenied("OUT_OF_SCOPE", "the log of removed units is for directors and admins");
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                            repo_.ReorgsOfUnit(unit_id, from, to));
  size_t offset = 0;
  if (cursor && !absl::SimpleAtoi(cursor->after, &offset)) {
    offset = 0;
  }
  for (size_t i = offset; i < entries.size(); ++i) {
    if (resp->reorganisations_size() == page_size) {
      resp->set_next_page_token(EncodePageToken({absl::StrCat(i), filter}));
      break;
    }
    resp->add_reorganisations()->ParseFromString(entries[i]);
  }
  return absl::OkStatus();
}

absl::Status OrgApi::GetMemberHistory(const CallContext& call,
                                      const v1::GetMemberHistoryRequest& req,
                                      v1::GetMemberHistoryResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "member", req.member(), "members");
  absl::CivilDay day;
  if (req.has_as_of_date() && !FromDate(req.as_of_date(), &day)) {
    v.Add("as_of_date", "not a calendar date");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(id));
  if (!CanSeeMember(call.principal, found.first, found.second)) {
    return PermissionDenied("OUT_OF_SCOPE", "the member is outside the caller's org scope");
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<MembershipEntry> history, HistoryOf(found.first));
  std::vector<MembershipPeriodView> periods = MembershipPeriods(history);
  for (const auto& p : periods) {
    if (req.has_as_of_date() && (p.entry.from > day || (p.end && *p.end <= day))) {
      continue;
    }
    if (req.has_as_of_date() && p.entry.unit_id.empty()) {
      continue;
    }
    *resp->add_periods() = ToProto(p.entry, p.end ? &*p.end : nullptr);
  }
  if (req.has_as_of_date() && resp->periods_size() == 0) {
    return NotFound("NO_MEMBERSHIP_ON_DATE", absl::StrCat(MemberName(id), " was not a member on ",
                                                          absl::FormatCivilTime(day)));
  }
  return absl::OkStatus();
}

}  // namespace salesops::org
