#include "services/org/api/org_api.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/validation/validation.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/org/api/api_util.h"
#include "services/org/domain/org_rules.h"
#include "services/org/domain/reasons.h"
#include "services/org/domain/reorg.h"
#include "services/org/events/org_events.h"

namespace salesops::org {

MethodPolicy OrgMethodPolicy() {
  MethodPolicy p;
  for (const char* m : {"CreateOrgUnit", "UpdateOrgUnit", "DeleteOrgUnit"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector});
  }
  for (const char* m : {"CreateMember", "UpdateMember", "DeleteMember", "MoveMember"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector, Role::kManager});
  }
  for (const char* m :
       {"GetOrgUnit", "ListOrgUnits", "GetMember", "ListMembers", "GetPosition", "ListPositions",
        "GetMemberDuties", "GetMemberHistory", "ListPromotionTracks"}) {
    p.AllowAll(m);
  }
  for (const char* m : {"CreatePosition", "ChangeDuties"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector, Role::kManager});
  }
  for (const char* m :
       {"SplitTeam", "MergeTeams", "DissolveTeam", "SetTeamTarget", "UpdateTalentConfig",
        "CreatePromotionTrack", "ApprovePromotionRequest", "RejectPromotionRequest"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector});
  }
  for (const char* m : {"ListReorganisations", "GetTeamEfficiency", "GetTalentConfig",
                        "RecordAssessment", "ListAssessments", "CreateDevelopmentPlan",
                        "UpdateDevelopmentPlan", "SubmitPromotionRequest", "GetPromotionRequest"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector, Role::kManager, Role::kSupervisor});
  }
  // The member reads their own plans; object-level checks do the rest.
  p.AllowAll("ListDevelopmentPlans");
  return p;
}

absl::StatusOr<OrgUnit> OrgApi::LoadUnit(const std::string& id, const std::string& field,
                                         bool missing_is_invalid) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgUnit> unit, repo_.GetUnit(id));
  if (!unit) {
    if (missing_is_invalid) {
      return InvalidArgument({{field, absl::StrCat(UnitName(id), " does not exist")}},
                             reason::kOrgUnitNotFound);
    }
    return NotFound(reason::kOrgUnitNotFound, absl::StrCat(UnitName(id), " does not exist"));
  }
  return *std::move(unit);
}

absl::StatusOr<Member> OrgApi::LoadMember(const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Member> member, repo_.GetMember(id));
  if (!member) {
    return NotFound("MEMBER_NOT_FOUND", absl::StrCat(MemberName(id), " does not exist"));
  }
  return *std::move(member);
}

absl::StatusOr<std::vector<int64_t>> OrgApi::Headcounts(const std::vector<OrgUnit>& units) {
  std::vector<std::string> ids;
  for (const auto& u : units) {
    ids.push_back(u.id);
  }
  return repo_.Headcounts(ids);
}

// Changing, moving or removing a member also needs reach over the member's
// current role: a manager cannot demote or remove a director placed in the region.
absl::Status CheckOutranks(const CallContext& call, const Member& target) {
  if (!CanAssignRole(call.principal, target.role)) {
    return PermissionDenied(
        "ROLE_NOT_BELOW_OWN",
        absl::StrCat(MemberName(target.id), " has a role at or above the caller's"));
  }
  return absl::OkStatus();
}

absl::Status OrgApi::CheckCanManage(const CallContext& call, const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(Ancestry ancestry, repo_.GetAncestry(unit_id));
  if (!CanManageMembersIn(call.principal, ancestry.ids)) {
    return PermissionDenied("OUT_OF_SCOPE",
                            absl::StrCat(UnitName(unit_id), " is outside the caller's org scope"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- org units

absl::Status OrgApi::CreateOrgUnit(const CallContext& call, const v1::CreateOrgUnitRequest& req,
                                   v1::CreateOrgUnitResponse* resp) {
  const v1::OrgUnit& in = req.org_unit();
  Violations v;
  CheckText(v, "org_unit.display_name", in.display_name(), 1, 100);
  CheckText(v, "org_unit.description", in.description(), 0, 1000);
  if (!ValidKind(in.kind())) {
    v.Add("org_unit.kind", "required: COMPANY, REGION, TEAM, PRODUCT_LINE or DEPARTMENT");
  }
  std::string parent_id;
  if (!in.parent().empty()) {
    parent_id = ParseResourceName(v, "org_unit.parent", in.parent(), "orgUnits");
  }
  if (!req.org_unit_id().empty() && !IsValidId(req.org_unit_id())) {
    v.Add("org_unit_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  const std::string rid = CallerRequestId(call, req.request_id());
  auto replay = [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> name, repo_.FindRequest(rid));
    if (!name || !absl::StartsWith(*name, "orgUnits/")) {
      return AlreadyExists("REQUEST_ID_REUSED", "request_id was used for another resource",
                           name.value_or(""));
    }
    std::string id = name->substr(strlen("orgUnits/"));
    SALESOPS_ASSIGN_OR_RETURN(OrgUnit existing, LoadUnit(id, "", false));
    SALESOPS_ASSIGN_OR_RETURN(int64_t count, repo_.Headcount(id));
    *resp->mutable_org_unit() = ToProto(existing, count);
    return absl::OkStatus();
  };
  if (!req.request_id().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen, repo_.FindRequest(rid));
    if (seen) {
      return replay();
    }
  }

  OrgUnit unit;
  unit.id = req.org_unit_id().empty() ? NewUuid() : req.org_unit_id();
  unit.display_name = in.display_name();
  unit.kind = static_cast<UnitKind>(in.kind());
  unit.parent_id = parent_id;
  unit.description = in.description();
  unit.version = 1;
  unit.create_time = unit.update_time = clock_.Now();

  v1::OrgUnitCreated event;
  *event.mutable_org_unit() = ToProto(unit, 0);
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  const CloudEvent ce =
      OrgEvent(unit.id, UnitName(unit.id), event, unit.create_time, call.trace_id);
  // The placement rule needs only the parent's kind, which a unit keeps for
  // life: taken from the cache when known (no read), and the commit checks the
  // parent is still of that kind. A parent deleted and made again under the
  // same id with another kind fails that check, or the rule; then it is read.
  absl::Status s;
  for (bool cached = true;; cached = false) {
    std::optional<OrgUnit> parent;
    if (!parent_id.empty()) {
      std::optional<UnitKind> kind = cached ? unit_kinds_.Get(parent_id) : std::nullopt;
      if (kind) {
        parent.emplace();
        parent->id = parent_id;
        parent->kind = *kind;
      } else {
        cached = false;
        SALESOPS_ASSIGN_OR_RETURN(parent, LoadUnit(parent_id, "org_unit.parent", true));
        unit_kinds_.Put(parent_id, parent->kind);
      }
    }
    s = CheckParent(unit, parent ? &*parent : nullptr, "org_unit.parent");
    if (!s.ok()) {
      if (cached) {
        unit_kinds_.Erase(parent_id);  // refused on a kind that may be stale: read it
        continue;
      }
      return s;
    }
    s = repo_.CreateUnit(unit, parent ? parent->kind : UnitKind::kCompany, rid, ce);
    if (cached && ErrorReason(s) == reason::kOrgUnitNotFound) {
      unit_kinds_.Erase(parent_id);  // gone, or no longer of that kind: read it
      continue;
    }
    break;
  }
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay();  // a concurrent retry of the same request won
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("ORG_UNIT_EXISTS", absl::StrCat(UnitName(unit.id), " already exists"),
                         UnitName(unit.id));
  }
  if (ErrorReason(s) == reason::kOrgUnitNotFound) {
    return InvalidArgument({{"org_unit.parent", "was deleted meanwhile"}},
                           reason::kOrgUnitNotFound);
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_org_unit() = ToProto(unit, 0);
  return absl::OkStatus();
}

namespace {

absl::Status AnswerGetOrgUnit(const std::string& id, OrgRepository::UnitWithHeadcount found,
                              v1::GetOrgUnitResponse* resp) {
  SALESOPS_RETURN_IF_ERROR(found.status());
  if (!*found) {
    return NotFound(reason::kOrgUnitNotFound, absl::StrCat(UnitName(id), " does not exist"));
  }
  *resp->mutable_org_unit() = ToProto((*found)->first, (*found)->second);
  return absl::OkStatus();
}

}  // namespace

absl::Status OrgApi::GetOrgUnit(const CallContext& call, const v1::GetOrgUnitRequest& req,
                                v1::GetOrgUnitResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "orgUnits");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return AnswerGetOrgUnit(id, repo_.GetUnitWithHeadcount(id), resp);
}

void OrgApi::GetOrgUnitAsync(const CallContext& call, const v1::GetOrgUnitRequest& req,
                             v1::GetOrgUnitResponse* resp, std::function<void(absl::Status)> done) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "orgUnits");
  if (absl::Status s = v.Finish(); !s.ok()) {
    done(s);
    return;
  }
  repo_.GetUnitWithHeadcountAsync(
      id, [id, resp, done = std::move(done)](OrgRepository::UnitWithHeadcount found) {
        done(AnswerGetOrgUnit(id, std::move(found), resp));
      });
}

absl::Status OrgApi::ListOrgUnits(const CallContext& call, const v1::ListOrgUnitsRequest& req,
                                  v1::ListOrgUnitsResponse* resp) {
  Violations v;
  int page_size = CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string parent_id;
  if (!req.parent().empty()) {
    parent_id = ParseResourceName(v, "parent", req.parent(), "orgUnits");
  }
  if (req.kind() != 0 && !ValidKind(req.kind())) {
    v.Add("kind", "unknown kind");
  }
  const std::string filter = absl::StrCat(req.parent(), "|", req.kind());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  std::vector<OrgUnit> matches;
  std::string after = cursor ? cursor->after : "";
  const int scan = std::max(page_size + 1, 200);
  // A filter that matches little must not read the whole org in one call: after
  // kMaxScanPerCall units the page ends early with a token to continue (AIP-158).
  int scanned = 0;
  bool budget_spent = false;
  while (static_cast<int>(matches.size()) <= page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      budget_spent = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(UnitPage page, repo_.ScanUnits(after, scan));
    for (auto& u : page.units) {
      ++scanned;
      after = u.id;
      if ((!parent_id.empty() && u.parent_id != parent_id) ||
          (req.kind() != 0 && static_cast<int>(u.kind) != req.kind())) {
        continue;
      }
      matches.push_back(std::move(u));
      if (static_cast<int>(matches.size()) > page_size) {
        break;
      }
    }
    if (page.last_scanned.empty()) {
      break;
    }
    if (static_cast<int>(matches.size()) <= page_size) {
      after = page.last_scanned;
    }
  }
  if (static_cast<int>(matches.size()) > page_size) {
    matches.resize(page_size);
    resp->set_next_page_token(EncodePageToken({matches.back().id, filter}));
  } else if (budget_spent && !after.empty()) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> counts, Headcounts(matches));
  for (size_t i = 0; i < matches.size(); ++i) {
    *resp->add_org_units() = ToProto(matches[i], counts[i]);
  }
  return absl::OkStatus();
}

absl::Status OrgApi::UpdateOrgUnit(const CallContext& call, const v1::UpdateOrgUnitRequest& req,
                                   v1::UpdateOrgUnitResponse* resp) {
  const v1::OrgUnit& in = req.org_unit();
  Violations v;
  std::string id = ParseResourceName(v, "org_unit.name", in.name(), "orgUnits");
  absl::flat_hash_set<std::string> paths;
  if (req.update_mask().paths().empty()) {
    v.Add("update_mask", "must list the fields to change: display_name, description, parent");
  }
  for (const auto& p : req.update_mask().paths()) {
    if (p != "display_name" && p != "description" && p != "parent") {
      v.Add("update_mask", absl::StrCat("'", p, "' cannot be updated"));
    }
    paths.insert(p);
  }
  if (paths.contains("display_name")) {
    CheckText(v, "org_unit.display_name", in.display_name(), 1, 100);
  }
  if (paths.contains("description")) {
    CheckText(v, "org_unit.description", in.description(), 0, 1000);
  }
  std::string new_parent_id;
  if (paths.contains("parent") && !in.parent().empty()) {
    new_parent_id = ParseResourceName(v, "org_unit.parent", in.parent(), "orgUnits");
  }
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  return WithRetry(!in.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(OrgUnit before, LoadUnit(id, "org_unit.name", false));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), before.version));
    OrgUnit after = before;
    v1::OrgUnitUpdated event;
    if (paths.contains("display_name") && in.display_name() != before.display_name) {
      after.display_name = in.display_name();
      event.add_changed_fields("display_name");
    }
    if (paths.contains("description") && in.description() != before.description) {
      after.description = in.description();
      event.add_changed_fields("description");
    }
    std::optional<Ancestry> ancestry;
    if (paths.contains("parent") && new_parent_id != before.parent_id) {
      after.parent_id = new_parent_id;
      event.add_changed_fields("parent");
      std::optional<OrgUnit> parent;
      if (!new_parent_id.empty()) {
        SALESOPS_ASSIGN_OR_RETURN(parent, LoadUnit(new_parent_id, "org_unit.parent", true));
        SALESOPS_ASSIGN_OR_RETURN(ancestry, repo_.GetAncestry(new_parent_id));
        SALESOPS_RETURN_IF_ERROR(CheckNoCycle(before.id, ancestry->ids, "org_unit.parent"));
      }
      SALESOPS_RETURN_IF_ERROR(CheckParent(after, parent ? &*parent : nullptr, "org_unit.parent"));
    }
    SALESOPS_ASSIGN_OR_RETURN(int64_t count, repo_.Headcount(id));
    if (event.changed_fields().empty()) {
      *resp->mutable_org_unit() = ToProto(before, count);  // nothing to change, no event
      return absl::OkStatus();
    }
    after.version = before.version + 1;
    after.update_time = clock_.Now();
    *event.mutable_org_unit() = ToProto(after, count);
    *event.mutable_previous() = ToProto(before, count);
    event.set_reason(req.reason());
    *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
    CloudEvent ce = OrgEvent(after.id, UnitName(after.id), event, after.update_time, call.trace_id);
    if (after.display_name == before.display_name && after.parent_id == before.parent_id) {
      SALESOPS_RETURN_IF_ERROR(
          repo_.UpdateUnit(before, after, ancestry ? &*ancestry : nullptr, ce));
    } else {
      // A rename or re-parent is a reorganisation: logged with the change.
      ReorgRecord rec = NewReorg(call, ReorgKind::kUpdateUnit, req.reason(), after.update_time);
      rec.unit_ids = {after.id};
      if (before.parent_id != after.parent_id) {
        if (!before.parent_id.empty()) {
          rec.unit_ids.push_back(before.parent_id);
        }
        if (!after.parent_id.empty()) {
          rec.unit_ids.push_back(after.parent_id);
        }
      }
      rec.summary = absl::StrCat("updated ", UnitName(after.id), ": ",
                                 absl::StrJoin(event.changed_fields(), ", "));
      ReorgCommit c;
      c.units_before = {before};
      c.units_after = {after};
      c.ancestry_of_new_parent = ancestry;
      c.events = {ce};
      AttachRecord(c, rec);
      SALESOPS_RETURN_IF_ERROR(repo_.CommitReorg(c));
    }
    *resp->mutable_org_unit() = ToProto(after, count);
    return absl::OkStatus();
  });
}

absl::Status OrgApi::DeleteOrgUnit(const CallContext& call, const v1::DeleteOrgUnitRequest& req,
                                   v1::DeleteOrgUnitResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "orgUnits");
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(OrgUnit unit, LoadUnit(id, "name", false));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), unit.version));
    v1::OrgUnitDeleted event;
    *event.mutable_org_unit() = ToProto(unit, 0);
    event.set_reason(req.reason());
    *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
    return repo_.DeleteUnit(
        unit, OrgEvent(unit.id, UnitName(unit.id), event, clock_.Now(), call.trace_id));
  });
}

// ---------------------------------------------------------------- members

absl::Status OrgApi::CreateMember(const CallContext& call, const v1::CreateMemberRequest& req,
                                  v1::CreateMemberResponse* resp) {
  const v1::Member& in = req.member();
  Violations v;
  CheckText(v, "member.display_name", in.display_name(), 1, 100);
  CheckEmail(v, "member.email", in.email());
  CheckPhone(v, "member.phone", in.phone());
  if (!ValidRole(in.role())) {
    v.Add("member.role", "required: REP, SUPERVISOR, MANAGER, DIRECTOR or ADMIN");
  }
  if (!ValidDepartment(in.department())) {
    v.Add("member.department", "required: SALES, PRODUCT, MARKETING, FINANCE or HR");
  }
  std::string unit_id = ParseResourceName(v, "member.org_unit", in.org_unit(), "orgUnits");
  if (!req.member_id().empty() && !IsValidId(req.member_id())) {
    v.Add("member_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  const std::string rid = CallerRequestId(call, req.request_id());
  auto replay = [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> name, repo_.FindRequest(rid));
    if (!name || !absl::StartsWith(*name, "members/")) {
      return AlreadyExists("REQUEST_ID_REUSED", "request_id was used for another resource",
                           name.value_or(""));
    }
    SALESOPS_ASSIGN_OR_RETURN(Member existing, LoadMember(name->substr(strlen("members/"))));
    *resp->mutable_member() = ToProto(existing);
    return absl::OkStatus();
  };
  if (!req.request_id().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen, repo_.FindRequest(rid));
    if (seen) {
      return replay();
    }
  }

  Member m;
  m.id = req.member_id().empty() ? NewUuid() : req.member_id();
  m.display_name = in.display_name();
  m.email = in.email();
  m.phone = in.phone();
  m.role = static_cast<Role>(in.role());
  m.department = static_cast<Department>(in.department());
  m.org_unit_id = unit_id;
  m.version = 1;
  m.create_time = m.update_time = clock_.Now();

  SALESOPS_ASSIGN_OR_RETURN(OrgUnit unit, LoadUnit(unit_id, "member.org_unit", true));
  SALESOPS_RETURN_IF_ERROR(CheckMemberPlacement(m.role, unit, "member.org_unit"));
  SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, unit_id));
  if (!CanAssignRole(call.principal, m.role)) {
    return PermissionDenied("ROLE_NOT_BELOW_OWN",
                            "cannot create a member with a role at or above your own");
  }

  v1::MemberJoined event;
  *event.mutable_member() = ToProto(m);
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  absl::Status s = repo_.CreateMember(
      m, rid, OrgEvent(m.id, MemberName(m.id), event, m.create_time, call.trace_id));
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay();
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("MEMBER_EXISTS", absl::StrCat(MemberName(m.id), " already exists"),
                         MemberName(m.id));
  }
  if (ErrorReason(s) == reason::kOrgUnitNotFound) {
    return InvalidArgument({{"member.org_unit", "was deleted meanwhile"}},
                           reason::kOrgUnitNotFound);
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_member() = ToProto(m);
  return absl::OkStatus();
}

absl::Status OrgApi::GetMember(const CallContext& call, const v1::GetMemberRequest& req,
                               v1::GetMemberResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "members");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Member m, LoadMember(id));
  SALESOPS_ASSIGN_OR_RETURN(Ancestry ancestry, repo_.GetAncestry(m.org_unit_id));
  if (!CanSeeMember(call.principal, m, ancestry.ids)) {
    return PermissionDenied("OUT_OF_SCOPE",
                            absl::StrCat(MemberName(id), " is outside the caller's org scope"));
  }
  *resp->mutable_member() = ToProto(m);
  return absl::OkStatus();
}

absl::Status OrgApi::ListMembers(const CallContext& call, const v1::ListMembersRequest& req,
                                 v1::ListMembersResponse* resp) {
  Violations v;
  int page_size = CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string unit_id;
  if (!req.org_unit().empty()) {
    unit_id = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  }
  if (req.role() != 0 && !ValidRole(req.role())) {
    v.Add("role", "unknown role");
  }
  const std::string filter = absl::StrCat(req.org_unit(), "|", req.role());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  absl::flat_hash_map<std::string, std::vector<std::string>> ancestry_cache;
  auto visible = [&](const Member& m) -> absl::StatusOr<bool> {
    if (call.principal.role >= Role::kDirector || call.principal.member_id == m.id) {
      return true;
    }
    if (call.principal.role == Role::kRep) {
      return false;
    }
    auto it = ancestry_cache.find(m.org_unit_id);
    if (it == ancestry_cache.end()) {
      absl::StatusOr<Ancestry> a = repo_.GetAncestry(m.org_unit_id);
      if (!a.ok() && a.status().code() != absl::StatusCode::kNotFound) {
        return a.status();
      }
      it =
          ancestry_cache.emplace(m.org_unit_id, a.ok() ? a->ids : std::vector<std::string>{}).first;
    }
    return CanSeeMember(call.principal, m, it->second);
  };

  std::vector<Member> matches;
  std::string after = cursor ? cursor->after : "";
  const int scan = std::max(page_size + 1, 200);
  int scanned = 0;
  bool budget_spent = false;
  while (static_cast<int>(matches.size()) <= page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      budget_spent = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(MemberPage page, repo_.ScanMembers(after, scan));
    for (auto& m : page.members) {
      ++scanned;
      after = m.id;
      if ((!unit_id.empty() && m.org_unit_id != unit_id) ||
          (req.role() != 0 && static_cast<int>(m.role) != req.role())) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(bool ok, visible(m));
      if (!ok) {
        continue;
      }
      matches.push_back(std::move(m));
      if (static_cast<int>(matches.size()) > page_size) {
        break;
      }
    }
    if (page.last_scanned.empty()) {
      break;
    }
    if (static_cast<int>(matches.size()) <= page_size) {
      after = page.last_scanned;
    }
  }
  if (static_cast<int>(matches.size()) > page_size) {
    matches.resize(page_size);
    resp->set_next_page_token(EncodePageToken({matches.back().id, filter}));
  } else if (budget_spent && !after.empty()) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  for (const auto& m : matches) {
    *resp->add_members() = ToProto(m);
  }
  return absl::OkStatus();
}

absl::Status OrgApi::UpdateMember(const CallContext& call, const v1::UpdateMemberRequest& req,
                                  v1::UpdateMemberResponse* resp) {
  const v1::Member& in = req.member();
  Violations v;
  std::string id = ParseResourceName(v, "member.name", in.name(), "members");
  absl::flat_hash_set<std::string> paths;
  if (req.update_mask().paths().empty()) {
    v.Add("update_mask",
          "must list the fields to change: display_name, email, phone, role, "
          "department");
  }
  for (const auto& p : req.update_mask().paths()) {
    if (p != "display_name" && p != "email" && p != "phone" && p != "role" && p != "department") {
      v.Add("update_mask",
            absl::StrCat("'", p, "' cannot be updated (use MoveMember for org_unit)"));
    }
    paths.insert(p);
  }
  if (paths.contains("display_name")) {
    CheckText(v, "member.display_name", in.display_name(), 1, 100);
  }
  if (paths.contains("email")) {
    CheckEmail(v, "member.email", in.email());
  }
  if (paths.contains("phone")) {
    CheckPhone(v, "member.phone", in.phone());
  }
  if (paths.contains("role") && !ValidRole(in.role())) {
    v.Add("member.role", "unknown role");
  }
  if (paths.contains("department") && !ValidDepartment(in.department())) {
    v.Add("member.department", "unknown department");
  }
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  return WithRetry(!in.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(Member before, LoadMember(id));
    SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, before.org_unit_id));
    SALESOPS_RETURN_IF_ERROR(CheckOutranks(call, before));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), before.version));
    Member after = before;
    v1::MemberUpdated event;
    auto change = [&](bool in_mask, auto& field, const auto& value, const char* name) {
      if (in_mask && field != value) {
        field = value;
        event.add_changed_fields(name);
      }
    };
    change(paths.contains("display_name"), after.display_name, in.display_name(), "display_name");
    change(paths.contains("email"), after.email, in.email(), "email");
    change(paths.contains("phone"), after.phone, in.phone(), "phone");
    change(paths.contains("role"), after.role, static_cast<Role>(in.role()), "role");
    change(paths.contains("department"), after.department, static_cast<Department>(in.department()),
           "department");
    if (after.role != before.role) {
      if (!CanAssignRole(call.principal, after.role)) {
        return PermissionDenied("ROLE_NOT_BELOW_OWN", "cannot give a role at or above your own");
      }
      SALESOPS_ASSIGN_OR_RETURN(OrgUnit unit, LoadUnit(after.org_unit_id, "member.org_unit", true));
      SALESOPS_RETURN_IF_ERROR(CheckMemberPlacement(after.role, unit, "member.role"));
    }
    if (event.changed_fields().empty()) {
      *resp->mutable_member() = ToProto(before);
      return absl::OkStatus();
    }
    after.version = before.version + 1;
    after.update_time = clock_.Now();
    *event.mutable_member() = ToProto(after);
    *event.mutable_previous() = ToProto(before);
    event.set_reason(req.reason());
    *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
    absl::Status s = repo_.UpdateMember(
        before, after,
        OrgEvent(after.id, MemberName(after.id), event, after.update_time, call.trace_id));
    if (ErrorReason(s) == reason::kEmailTaken) {
      return MakeError(absl::StatusCode::kAlreadyExists, reason::kEmailTaken, s.message(),
                       {{"field", "member.email"}});
    }
    SALESOPS_RETURN_IF_ERROR(s);
    *resp->mutable_member() = ToProto(after);
    return absl::OkStatus();
  });
}

absl::Status OrgApi::DeleteMember(const CallContext& call, const v1::DeleteMemberRequest& req,
                                  v1::DeleteMemberResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "members");
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(Member m, LoadMember(id));
    SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, m.org_unit_id));
    SALESOPS_RETURN_IF_ERROR(CheckOutranks(call, m));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), m.version));
    v1::MemberLeft event;
    *event.mutable_member() = ToProto(m);
    event.set_reason(req.reason());
    *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
    return repo_.DeleteMember(m,
                              OrgEvent(m.id, MemberName(m.id), event, clock_.Now(), call.trace_id));
  });
}

absl::Status OrgApi::MoveMember(const CallContext& call, const v1::MoveMemberRequest& req,
                                v1::MoveMemberResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "members");
  std::string to_id = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(Member before, LoadMember(id));
    SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, before.org_unit_id));
    SALESOPS_RETURN_IF_ERROR(CheckOutranks(call, before));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), before.version));
    if (before.org_unit_id == to_id) {
      return InvalidField("org_unit", "the member is already in this unit");
    }
    SALESOPS_ASSIGN_OR_RETURN(OrgUnit to, LoadUnit(to_id, "org_unit", true));
    SALESOPS_RETURN_IF_ERROR(CheckMemberPlacement(before.role, to, "org_unit"));
    SALESOPS_RETURN_IF_ERROR(CheckCanManage(call, to_id));
    Member after = before;
    after.org_unit_id = to_id;
    after.version = before.version + 1;
    after.update_time = clock_.Now();
    ReorgRecord rec = NewReorg(call, ReorgKind::kMoveMember, req.reason(), after.update_time);
    rec.unit_ids = {before.org_unit_id, to_id};
    rec.moves = {{after.id, before.org_unit_id, to_id}};
    rec.summary = absl::StrCat("moved ", MemberName(after.id), " from ",
                               UnitName(before.org_unit_id), " to ", UnitName(to_id));
    v1::MemberMoved event;
    *event.mutable_member() = ToProto(after);
    event.set_from_org_unit(UnitName(before.org_unit_id));
    event.set_to_org_unit(UnitName(to_id));
    event.set_reason(req.reason());
    *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
    event.set_reorganisation(ReorgName(rec.id));
    *event.mutable_effective_date() = ToDate(rec.effective);
    ReorgCommit c;
    c.members = {{before, after}};
    c.history = {MoveEntry(after, rec)};
    c.events = {OrgEvent(after.id, MemberName(after.id), event, after.update_time, call.trace_id)};
    AttachRecord(c, rec);
    absl::Status s = repo_.CommitReorg(c);
    if (ErrorReason(s) == reason::kOrgUnitNotFound) {
      return InvalidArgument({{"org_unit", "was deleted meanwhile"}}, reason::kOrgUnitNotFound);
    }
    SALESOPS_RETURN_IF_ERROR(s);
    *resp->mutable_member() = ToProto(after);
    return absl::OkStatus();
  });
}

}  // namespace salesops::org
