// Capability building: training programmes (modules with a weighted rubric,
// sessions), enrolments with attendance and per-module assessment, drills
// scored by a supervisor or a peer (domain/coaching.h), a rep's progress per
// criterion, and the negotiation case library the credit projection fills
// from key-account deals that close (events/credit_projection.cc).
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/ids/ids.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/performance_api.h"
#include "services/performance/domain/coaching.h"

namespace salesops::performance {
namespace {

constexpr int kMaxText = 200;
constexpr int kMaxDescription = 4'000;
constexpr int kMaxModules = 30;
constexpr int kMaxSessions = 100;
constexpr int kMaxProgrammes = 2'000;
constexpr int kMaxProgressDrills = 500;
constexpr int kMaxNote = 2'000;
constexpr char kProgrammesIndex[] = "prog";
constexpr char kDrillsIndex[] = "dr";

std::string ByProgrammeIndex(absl::string_view p) { return absl::StrCat("enp|", p); }
std::string ByMemberEnrolIndex(absl::string_view m) { return absl::StrCat("enm|", m); }
std::string DrillsOfIndex(absl::string_view m) { return absl::StrCat("dr|", m); }
std::string NewestFirst(absl::Time t, absl::string_view id) {
  const int64_t s = std::max<int64_t>(0, absl::ToUnixMicros(t));
  return absl::StrFormat("%017d|%s", 99'999'999'999'999'999 - s, id);
}
std::string AfterBar(absl::string_view key) {
  const size_t bar = key.find('|');
  return std::string(bar == absl::string_view::npos ? key : key.substr(bar + 1));
}
std::string EnrolmentId(absl::string_view programme, absl::string_view member) {
  return absl::StrCat(programme, ".", member);
}
std::string EnrolmentName(absl::string_view programme, absl::string_view member) {
  return absl::StrCat("trainingProgrammes/", programme, "/enrolments/", member);
}

std::vector<Weighted> RubricOf(const v1::TrainingModule& m) {
  std::vector<Weighted> out;
  for (const auto& c : m.rubric()) {
    out.push_back({c.criterion(), c.weight_basis_points()});
  }
  return out;
}

const v1::TrainingModule* FindModule(const v1::TrainingProgramme& p, const std::string& id) {
  for (const auto& m : p.modules()) {
    if (m.module_id() == id) {
      return &m;
    }
  }
  return nullptr;
}

bool ValidModuleId(const std::string& id) {
  return !id.empty() && id.size() <= 63 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

bool CaseMatches(const v1::NegotiationCase& k, const std::string& query) {
  if (query.empty()) {
    return true;
  }
  std::string hay = absl::StrCat(k.display_name(), "\n", k.customer(), "\n", k.reason(), "\n",
                                 k.lost_to_competitor(), "\n", k.from_stage(), "\n", k.owner());
  for (const auto& n : k.notes()) {
    absl::StrAppend(&hay, "\n", n.text());
  }
  return absl::StrContains(Lower(hay), Lower(query));
}

}  // namespace

// ---------------------------------------------------------------- programmes

absl::Status PerformanceApi::CreateTrainingProgramme(const CallContext& call,
                                                     const v1::CreateTrainingProgrammeRequest& req,
                                                     v1::CreateTrainingProgrammeResponse* resp) {
  Violations v;
  const v1::TrainingProgramme& in = req.programme();
  if (in.title().empty() || in.title().size() > kMaxText) {
    v.Add("programme.title", absl::StrCat("required, at most ", kMaxText, " bytes"));
  }
  if (in.description().size() > kMaxDescription) {
    v.Add("programme.description", absl::StrCat("at most ", kMaxDescription, " bytes"));
  }
  for (int i = 0; i < in.roles_size(); ++i) {
    Role r;
    if (!ParseRole(in.roles(i), &r)) {
      v.Add(absl::StrCat("programme.roles[", i, "]"), "a role code");
    }
  }
  if (in.modules_size() == 0 || in.modules_size() > kMaxModules) {
    v.Add("programme.modules", absl::StrCat("1..", kMaxModules, " modules"));
  }
  std::set<std::string> module_ids, scripts;
  for (int i = 0; i < in.modules_size(); ++i) {
    const v1::TrainingModule& m = in.modules(i);
    const std::string at = absl::StrCat("programme.modules[", i, "]");
    if (!ValidModuleId(m.module_id())) {
      v.Add(at + ".module_id", "letters, digits, '-' or '_', up to 63");
    } else if (!module_ids.insert(m.module_id()).second) {
      v.Add(at + ".module_id", "used twice");
    }
    if (m.title().empty() || m.title().size() > kMaxText) {
      v.Add(at + ".title", "required");
    }
    if (!v1::ScriptScenario_IsValid(m.drill_scenario())) {
      v.Add(at + ".drill_scenario", "unknown");
    }
    if (m.pass_score_basis_points() < 0 || m.pass_score_basis_points() > 10'000) {
      v.Add(at + ".pass_score_basis_points", "0..10000");
    }
    for (int j = 0; j < m.scripts_size(); ++j) {
      const std::string sid =
          ParseResourceName(v, absl::StrCat(at, ".scripts[", j, "]"), m.scripts(j), "scripts");
      if (!sid.empty()) {
        scripts.insert(sid);
      }
    }
    absl::Status r = CheckRubric(RubricOf(m), at + ".rubric");
    if (!r.ok()) {
      for (const auto& fv : FieldViolations(r)) {
        v.Add(fv.field, fv.description);
      }
    }
  }
  if (in.sessions_size() > kMaxSessions) {
    v.Add("programme.sessions", "too many");
  }
  std::set<std::string> session_ids;
  for (int i = 0; i < in.sessions_size(); ++i) {
    const v1::TrainingSession& ss = in.sessions(i);
    const std::string at = absl::StrCat("programme.sessions[", i, "]");
    if (!ValidModuleId(ss.session_id()) || !session_ids.insert(ss.session_id()).second) {
      v.Add(at + ".session_id", "required, distinct: letters, digits, '-' or '_'");
    }
    if (ss.title().empty() || ss.title().size() > kMaxText) {
      v.Add(at + ".title", "required");
    }
    if (!ss.module_id().empty() && !module_ids.contains(ss.module_id())) {
      v.Add(at + ".module_id", "not a module of the programme");
    }
  }
  if (!req.programme_id().empty() && !IsValidId(req.programme_id())) {
    v.Add("programme_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // The scripts it teaches must exist.
  const std::vector<std::string> script_ids(scripts.begin(), scripts.end());
  SALESOPS_ASSIGN_OR_RETURN(auto found, repo_.GetDocs(DocKind::kScript, script_ids));
  for (size_t i = 0; i < script_ids.size(); ++i) {
    if (!found[i]) {
      return InvalidField("programme.modules.scripts",
                          absl::StrCat("scripts/", script_ids[i], " does not exist"));
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "trainingProgrammes/"));
    SALESOPS_ASSIGN_OR_RETURN(
        auto p, Load<v1::TrainingProgramme>(DocKind::kProgramme, StripName(name), name,
                                            "PROGRAMME_NOT_FOUND"));
    *resp->mutable_programme() = std::move(p.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  const std::string id = req.programme_id().empty() ? NewUuid() : req.programme_id();
  const absl::Time now = clock_.Now();
  v1::TrainingProgramme p = in;
  p.set_name(absl::StrCat("trainingProgrammes/", id));
  *p.mutable_create_time() = ToTs(now);
  *p.mutable_update_time() = ToTs(now);
  p.clear_etag();
  Change c;
  c.PutDoc(DocKind::kProgramme, id, StoredDoc(p), 0);
  c.AddToIndex(kProgrammesIndex, id);
  for (const v1::TrainingModule& m : p.modules()) {
    for (const std::string& s : m.scripts()) {
      c.AddToField(MapKind::kScriptStats, StripName(s), "modules", 1);  // 培训
    }
  }
  c.RememberRequest(call.principal.member_id, req.request_id(), p.name());
  v1::TrainingProgrammeCreated e;
  *e.mutable_programme() = p;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, p.name(), e, now));
  absl::Status st = repo_.Commit(c);
  if (ErrorReason(st) == reason::kRequestReplayed) {
    return replay(std::string(st.message()));
  }
  if (ErrorReason(st) == reason::kResourceExists) {
    return AlreadyExists("PROGRAMME_EXISTS", absl::StrCat(p.name(), " already exists"), p.name());
  }
  SALESOPS_RETURN_IF_ERROR(st);
  p.set_etag("1");
  *resp->mutable_programme() = std::move(p);
  return absl::OkStatus();
}

absl::Status PerformanceApi::GetTrainingProgramme(const CallContext& /*call*/,
                                                  const v1::GetTrainingProgrammeRequest& req,
                                                  v1::GetTrainingProgrammeResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "trainingProgrammes");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto p, Load<v1::TrainingProgramme>(DocKind::kProgramme, id, req.name(),
                                                                "PROGRAMME_NOT_FOUND"));
  *resp->mutable_programme() = std::move(p.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListTrainingProgrammes(const CallContext& call,
                                                    const v1::ListTrainingProgrammesRequest& req,
                                                    v1::ListTrainingProgrammesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  Role role;
  if (!req.role().empty() && !ParseRole(req.role(), &role)) {
    v.Add("role", "a role code");
  }
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), req.role());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<v1::TrainingProgramme> out;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::TrainingProgramme>(
      repo_, call, DocKind::kProgramme, kProgrammesIndex, "", cursor, req.role(), page_size,
      [&](v1::TrainingProgramme& p) -> absl::StatusOr<bool> {
        return req.role().empty() || p.roles().empty() ||
               std::find(p.roles().begin(), p.roles().end(), req.role()) != p.roles().end();
      },
      &out, &next));
  for (auto& p : out) {
    *resp->add_programmes() = std::move(p);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- enrolments

absl::StatusOr<PerformanceApi::Loaded<v1::Enrolment>> PerformanceApi::LoadEnrolment(
    const CallContext& call, const std::string& field, const std::string& name) {
  // "trainingProgrammes/{p}/enrolments/{member}"
  const std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "trainingProgrammes" || parts[2] != "enrolments" ||
      !IsValidId(parts[1]) || parts[3].empty()) {
    return InvalidField(field, "must be 'trainingProgrammes/{id}/enrolments/{member}'");
  }
  SALESOPS_ASSIGN_OR_RETURN(
      auto e, Load<v1::Enrolment>(DocKind::kEnrolment, EnrolmentId(parts[1], parts[3]), name,
                                  "ENROLMENT_NOT_FOUND"));
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, parts[3]));
  if (!ok) {
    return DenyAccess(name);
  }
  return e;
}

absl::Status PerformanceApi::EnrolMember(const CallContext& call, const v1::EnrolMemberRequest& req,
                                         v1::EnrolMemberResponse* resp) {
  Violations v;
  const std::string programme = IdOf(v, "programme", req.programme(), "trainingProgrammes");
  const std::string member = IdOf(v, "member", req.member(), "members");
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
  if (!ok) {
    return DenyAccess(MemberName(member));
  }
  SALESOPS_ASSIGN_OR_RETURN(
      auto p, Load<v1::TrainingProgramme>(DocKind::kProgramme, programme, req.programme(),
                                          "PROGRAMME_NOT_FOUND"));
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(member));
  if (!m) {
    return NotFound("MEMBER_NOT_FOUND",
                    absl::StrCat(QuoteUntrusted(req.member(), 120), " is not in the directory"));
  }
  const std::string name = EnrolmentName(programme, member);
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, name));
    SALESOPS_ASSIGN_OR_RETURN(auto e, LoadEnrolment(call, "programme", name));
    *resp->mutable_enrolment() = std::move(e.doc);
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  v1::Enrolment e;
  e.set_name(name);
  e.set_member(MemberName(member));
  e.set_state(v1::ENROLMENT_STATE_ENROLLED);
  *e.mutable_enrol_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kEnrolment, EnrolmentId(programme, member), StoredDoc(e), 0);
  c.AddToIndex(ByProgrammeIndex(programme), EnrolmentId(programme, member));
  c.AddToIndex(ByMemberEnrolIndex(member), EnrolmentId(programme, member));
  c.RememberRequest(call.principal.member_id, req.request_id(), name);
  v1::MemberEnrolled ev;
  ev.set_programme(p.doc.name());
  *ev.mutable_enrolment() = e;
  *ev.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, member, name, ev, now));
  absl::Status st = repo_.Commit(c);
  if (ErrorReason(st) == reason::kResourceExists) {
    return AlreadyExists("ENROLMENT_EXISTS", absl::StrCat(name, " already exists"), name);
  }
  SALESOPS_RETURN_IF_ERROR(st);
  e.set_etag("1");
  *resp->mutable_enrolment() = std::move(e);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListEnrolments(const CallContext& call,
                                            const v1::ListEnrolmentsRequest& req,
                                            v1::ListEnrolmentsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string programme, member;
  if (!req.programme().empty()) {
    programme = ParseResourceName(v, "programme", req.programme(), "trainingProgrammes");
  }
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), "members");
  }
  if (req.programme().empty() && req.member().empty()) {
    v.Add("programme", "programme or member is required");
  }
  if (!v1::EnrolmentState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter = absl::StrCat(programme, "|", member, "|", req.state());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (!member.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
    if (!ok) {
      return DenyAccess(MemberName(member));
    }
  }
  std::map<std::string, bool> covered;
  std::vector<v1::Enrolment> out;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::Enrolment>(
      repo_, call, DocKind::kEnrolment,
      member.empty() ? ByProgrammeIndex(programme) : ByMemberEnrolIndex(member), "", cursor, filter,
      page_size,
      [&](v1::Enrolment& e) -> absl::StatusOr<bool> {
        if (!programme.empty() &&
            !absl::StartsWith(e.name(), absl::StrCat("trainingProgrammes/", programme, "/"))) {
          return false;
        }
        if (req.state() != v1::ENROLMENT_STATE_UNSPECIFIED && e.state() != req.state()) {
          return false;
        }
        const std::string who = StripName(e.member());
        auto it = covered.find(who);
        if (it == covered.end()) {
          SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, who));
          it = covered.emplace(who, ok).first;
        }
        return it->second;
      },
      &out, &next));
  for (auto& e : out) {
    *resp->add_enrolments() = std::move(e);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::RecordAttendance(const CallContext& call,
                                              const v1::RecordAttendanceRequest& req,
                                              v1::RecordAttendanceResponse* resp) {
  Violations v;
  if (req.session_id().empty()) {
    v.Add("session_id", "required");
  }
  if (req.enrolment().empty()) {
    v.Add("enrolment", "required");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadEnrolment(call, "enrolment", req.enrolment()));
  const std::string programme = std::vector<std::string>(absl::StrSplit(req.enrolment(), '/'))[1];
  SALESOPS_ASSIGN_OR_RETURN(
      auto p, Load<v1::TrainingProgramme>(DocKind::kProgramme, programme,
                                          absl::StrCat("trainingProgrammes/", programme),
                                          "PROGRAMME_NOT_FOUND"));
  if (std::none_of(p.doc.sessions().begin(), p.doc.sessions().end(),
                   [&](const auto& s) { return s.session_id() == req.session_id(); })) {
    return InvalidField("session_id", absl::StrCat("not a session of ", p.doc.name()));
  }
  if (cur.doc.state() == v1::ENROLMENT_STATE_WITHDRAWN) {
    return FailedPrecondition("ENROLMENT_WITHDRAWN",
                              absl::StrCat(req.enrolment(), " was withdrawn"));
  }
  v1::Enrolment e = cur.doc;
  google::protobuf::RepeatedPtrField<std::string> attended;
  for (const std::string& s : e.attended_session_ids()) {
    if (s != req.session_id()) {
      *attended.Add() = s;
    }
  }
  if (req.attended()) {
    *attended.Add() = req.session_id();
  }
  *e.mutable_attended_session_ids() = std::move(attended);
  if (e.state() == v1::ENROLMENT_STATE_ENROLLED && req.attended()) {
    e.set_state(v1::ENROLMENT_STATE_IN_PROGRESS);
  }
  const absl::Time now = clock_.Now();
  Change c;
  const std::string member = StripName(e.member());
  c.PutDoc(DocKind::kEnrolment, EnrolmentId(programme, member), StoredDoc(e), cur.version);
  v1::AttendanceRecorded ev;
  ev.set_programme(p.doc.name());
  *ev.mutable_enrolment() = e;
  ev.set_session_id(req.session_id());
  ev.set_attended(req.attended());
  *ev.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, member, e.name(), ev, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  SetEtag(e, cur.version + 1);
  *resp->mutable_enrolment() = std::move(e);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- drills

absl::Status PerformanceApi::RecordDrill(const CallContext& call, const v1::RecordDrillRequest& req,
                                         v1::RecordDrillResponse* resp) {
  Violations v;
  const v1::Drill& in = req.drill();
  const std::string member = IdOf(v, "drill.member", in.member(), "members");
  std::string coach = call.principal.member_id;
  if (!in.coach().empty()) {
    coach = ParseResourceName(v, "drill.coach", in.coach(), "members");
  }
  if (!v1::DrillKind_IsValid(in.kind()) || in.kind() == v1::DRILL_KIND_UNSPECIFIED) {
    v.Add("drill.kind", "ROLE_PLAY or SCENARIO");
  }
  if (!v1::ScriptScenario_IsValid(in.scenario()) ||
      in.scenario() == v1::SCRIPT_SCENARIO_UNSPECIFIED) {
    v.Add("drill.scenario", "required: one of the SCRIPT_SCENARIO_ values");
  }
  std::string programme;
  if (!in.programme().empty()) {
    programme = ParseResourceName(v, "drill.programme", in.programme(), "trainingProgrammes");
    if (in.module_id().empty()) {
      v.Add("drill.module_id", "required with a programme");
    }
  } else if (!in.module_id().empty()) {
    v.Add("drill.programme", "required with a module_id");
  }
  std::string script;
  if (!in.script().empty()) {
    script = ParseResourceName(v, "drill.script", in.script(), "scripts");
  }
  if (in.feedback().size() > kMaxNote) {
    v.Add("drill.feedback", "at most 2000 bytes");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // The coach is the caller; nobody scores themself.
  if (coach != call.principal.member_id) {
    return InvalidField("drill.coach", "must be the caller (or empty)");
  }
  if (member == coach) {
    return InvalidField("drill.member", "a rep cannot score their own drill");
  }
  // A supervisor (and above) of the rep, or a peer of the same team for a role play.
  SALESOPS_ASSIGN_OR_RETURN(bool covers, scope_.CoversMember(call.principal, member));
  if (!covers || call.principal.role == Role::kRep) {
    bool peer = false;
    if (call.principal.role == Role::kRep && in.kind() == v1::DRILL_KIND_ROLE_PLAY) {
      SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> a, org_.Member(member));
      SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> b, org_.Member(coach));
      peer = a && b && !a->team.empty() && a->team == b->team && !a->left && !b->left;
    }
    if (!peer) {
      return DenyAccess(MemberName(member));
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, "drills/"));
    SALESOPS_ASSIGN_OR_RETURN(
        auto d, Load<v1::Drill>(DocKind::kDrill, StripName(*seen), *seen, "DRILL_NOT_FOUND"));
    *resp->mutable_drill() = std::move(d.doc);
    return absl::OkStatus();
  }
  // The module's rubric, and the rep's enrolment it counts for.
  std::vector<Weighted> rubric;
  std::optional<Loaded<v1::TrainingProgramme>> prog;
  const v1::TrainingModule* module = nullptr;
  std::optional<Doc> enrol_doc;
  if (!programme.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(
        prog, Load<v1::TrainingProgramme>(DocKind::kProgramme, programme, in.programme(),
                                          "PROGRAMME_NOT_FOUND"));
    module = FindModule(prog->doc, in.module_id());
    if (module == nullptr) {
      return InvalidField("drill.module_id", absl::StrCat("not a module of ", in.programme()));
    }
    rubric = RubricOf(*module);
    SALESOPS_ASSIGN_OR_RETURN(enrol_doc,
                              repo_.GetDoc(DocKind::kEnrolment, EnrolmentId(programme, member)));
    if (!enrol_doc) {
      return FailedPrecondition(
          "NOT_ENROLLED", absl::StrCat(MemberName(member), " is not enrolled in ", in.programme()));
    }
  }
  if (!script.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto s, repo_.GetDoc(DocKind::kScript, script));
    if (!s) {
      return InvalidField("drill.script", absl::StrCat(in.script(), " does not exist"));
    }
  }
  std::vector<CriterionScoreIn> scores;
  for (const auto& c : in.criteria()) {
    scores.push_back({c.criterion(), c.score_basis_points()});
  }
  SALESOPS_ASSIGN_OR_RETURN(int64_t overall, ScoreDrill(rubric, scores, in.score_basis_points()));
  const absl::Time now = clock_.Now();
  const std::string id = NewUuid();
  v1::Drill d = in;
  d.set_name(absl::StrCat("drills/", id));
  d.set_member(MemberName(member));
  d.set_coach(MemberName(coach));
  d.set_score_basis_points(static_cast<int32_t>(overall));
  if (!d.has_drill_time()) {
    *d.mutable_drill_time() = ToTs(now);
  }
  *d.mutable_create_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kDrill, id, d.SerializeAsString(), 0);
  const std::string key = NewestFirst(FromTs(d.drill_time()), id);
  c.AddToIndex(kDrillsIndex, key);
  c.AddToIndex(DrillsOfIndex(member), key);
  if (!script.empty()) {  // 评估
    c.AddToField(MapKind::kScriptStats, script, "drills", 1);
    c.AddToField(MapKind::kScriptStats, script, "drill_sum", overall);
  }
  c.RememberRequest(call.principal.member_id, req.request_id(), d.name());
  v1::DrillRecorded ev;
  *ev.mutable_drill() = d;
  *ev.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, member, d.name(), ev, now));
  std::optional<v1::Enrolment> enrolment;
  if (enrol_doc) {
    v1::Enrolment e;
    if (!e.ParseFromString(enrol_doc->data)) {
      return Internal("CORRUPT_DOCUMENT", "enrolment does not parse");
    }
    bool found = false;
    for (v1::ModuleScore& ms : *e.mutable_module_scores()) {
      if (ms.module_id() != module->module_id()) {
        continue;
      }
      found = true;
      ms.set_best_score_basis_points(
          std::max<int32_t>(ms.best_score_basis_points(), static_cast<int32_t>(overall)));
      ms.set_drill_count(ms.drill_count() + 1);
    }
    if (!found) {
      v1::ModuleScore* ms = e.add_module_scores();
      ms->set_module_id(module->module_id());
      ms->set_best_score_basis_points(static_cast<int32_t>(overall));
      ms->set_drill_count(1);
    }
    const bool passed = overall >= module->pass_score_basis_points();
    const bool had = std::find(e.completed_module_ids().begin(), e.completed_module_ids().end(),
                               module->module_id()) != e.completed_module_ids().end();
    if (passed && !had) {
      e.add_completed_module_ids(module->module_id());
    }
    e.set_progress_basis_points(static_cast<int32_t>(
        EnrolmentProgressBp(e.completed_module_ids_size(), prog->doc.modules_size())));
    if (e.state() == v1::ENROLMENT_STATE_ENROLLED) {
      e.set_state(v1::ENROLMENT_STATE_IN_PROGRESS);
    }
    if (e.completed_module_ids_size() == prog->doc.modules_size() &&
        e.state() != v1::ENROLMENT_STATE_COMPLETED) {
      e.set_state(v1::ENROLMENT_STATE_COMPLETED);
      *e.mutable_complete_time() = ToTs(now);
      v1::EnrolmentCompleted done;
      done.set_programme(prog->doc.name());
      *done.mutable_enrolment() = e;
      *done.mutable_actor() = ActorOf(call);
      c.Emit(CallEvent(call, member, e.name(), done, now));
    }
    c.PutDoc(DocKind::kEnrolment, EnrolmentId(programme, member), StoredDoc(e), enrol_doc->version);
    SetEtag(e, enrol_doc->version + 1);
    if (passed) {
      enrolment = std::move(e);
    }
  }
  absl::Status st = repo_.Commit(c);
  if (ErrorReason(st) == reason::kEtagMismatch) {
    return Aborted(reason::kEtagMismatch,
                   "the enrolment changed meanwhile; record the drill again");
  }
  SALESOPS_RETURN_IF_ERROR(st);
  *resp->mutable_drill() = std::move(d);
  if (enrolment) {
    *resp->mutable_enrolment() = std::move(*enrolment);
  }
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListDrills(const CallContext& call, const v1::ListDrillsRequest& req,
                                        v1::ListDrillsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string member, coach;
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), "members");
  }
  if (!req.coach().empty()) {
    coach = ParseResourceName(v, "coach", req.coach(), "members");
  }
  if (!v1::ScriptScenario_IsValid(req.scenario())) {
    v.Add("scenario", "unknown scenario");
  }
  if (!req.programme().empty()) {
    ParseResourceName(v, "programme", req.programme(), "trainingProgrammes");
  }
  const std::string filter =
      absl::StrCat(member, "|", coach, "|", req.scenario(), "|", req.programme());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (call.principal.role == Role::kRep && member.empty()) {
    member = call.principal.member_id;
  }
  if (!member.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
    if (!ok) {
      return DenyAccess(MemberName(member));
    }
  }
  // Index entries carry the drill id after the sort key.
  std::map<std::string, bool> covered;
  std::string after = cursor ? cursor->after : "";
  const std::string index = member.empty() ? kDrillsIndex : DrillsOfIndex(member);
  int scanned = 0;
  std::string next;
  while (resp->drills_size() < page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      if (!after.empty()) {
        next = EncodePageToken({after, filter});
      }
      break;
    }
    const int want = std::min(page_size - resp->drills_size(), 200);
    SALESOPS_ASSIGN_OR_RETURN(auto keys, repo_.Range(index, "", after, want));
    if (keys.empty()) {
      break;
    }
    std::vector<std::string> ids;
    for (const std::string& k : keys) {
      ids.push_back(AfterBar(k));
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kDrill, ids));
    for (size_t i = 0; i < keys.size(); ++i) {
      after = keys[i];
      ++scanned;
      v1::Drill d;
      if (!docs[i] || !d.ParseFromString(docs[i]->data)) {
        continue;
      }
      if (!coach.empty() && d.coach() != MemberName(coach)) {
        continue;
      }
      if (req.scenario() != v1::SCRIPT_SCENARIO_UNSPECIFIED && d.scenario() != req.scenario()) {
        continue;
      }
      if (!req.programme().empty() && d.programme() != req.programme()) {
        continue;
      }
      const std::string who = StripName(d.member());
      auto it = covered.find(who);
      if (it == covered.end()) {
        SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, who));
        it = covered.emplace(who, ok).first;
      }
      if (!it->second) {
        continue;
      }
      *resp->add_drills() = std::move(d);
    }
    if (resp->drills_size() >= page_size) {
      next = EncodePageToken({after, filter});
      break;
    }
    if (static_cast<int>(keys.size()) < want) {
      break;
    }
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::GetDrillProgress(const CallContext& call,
                                              const v1::GetDrillProgressRequest& req,
                                              v1::GetDrillProgressResponse* resp) {
  Violations v;
  const std::string member = IdOf(v, "member", req.member(), "members");
  if (!v1::ScriptScenario_IsValid(req.scenario())) {
    v.Add("scenario", "unknown scenario");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
  if (!ok) {
    return DenyAccess(MemberName(member));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto keys,
                            repo_.Range(DrillsOfIndex(member), "", "", kMaxProgressDrills));
  std::vector<std::string> ids;
  for (const std::string& k : keys) {
    ids.push_back(AfterBar(k));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kDrill, ids));
  std::vector<DrillPoint> points;
  for (const auto& doc : docs) {
    v1::Drill d;
    if (!doc || !d.ParseFromString(doc->data)) {
      continue;
    }
    if (req.scenario() != v1::SCRIPT_SCENARIO_UNSPECIFIED && d.scenario() != req.scenario()) {
      continue;
    }
    DrillPoint p{FromTs(d.drill_time()), d.name(), d.score_basis_points(), {}};
    for (const auto& c : d.criteria()) {
      p.criteria.push_back({c.criterion(), c.score_basis_points()});
    }
    points.push_back(std::move(p));
  }
  const Progress pr = ProgressOf(std::move(points));
  v1::DrillProgress* out = resp->mutable_progress();
  out->set_member(MemberName(member));
  out->set_drill_count(static_cast<int32_t>(pr.overall.size()));
  for (const DrillPoint& p : pr.overall) {
    v1::ScorePoint* s = out->add_overall();
    *s->mutable_time() = ToTs(p.time);
    s->set_score_basis_points(static_cast<int32_t>(p.overall_bp));
    s->set_drill(p.drill);
  }
  for (const CriterionTrend& t : pr.criteria) {
    v1::CriterionProgress* c = out->add_criteria();
    c->set_criterion(t.criterion);
    c->set_count(static_cast<int32_t>(t.count));
    c->set_first_basis_points(static_cast<int32_t>(t.first_bp));
    c->set_latest_basis_points(static_cast<int32_t>(t.latest_bp));
    c->set_average_basis_points(static_cast<int32_t>(t.average_bp));
    c->set_best_basis_points(static_cast<int32_t>(t.best_bp));
    c->set_change_basis_points(static_cast<int32_t>(t.latest_bp - t.first_bp));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- case library

absl::Status PerformanceApi::ListNegotiationCases(const CallContext& call,
                                                  const v1::ListNegotiationCasesRequest& req,
                                                  v1::ListNegotiationCasesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (req.query().size() > kMaxText) {
    v.Add("query", "at most 200 bytes");
  }
  if (!v1::NegotiationOutcome_IsValid(req.outcome())) {
    v.Add("outcome", "unknown outcome");
  }
  const std::string filter = absl::StrCat(req.query(), "|", req.outcome());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::string after = cursor ? cursor->after : "";
  int scanned = 0;
  std::string next;
  while (resp->cases_size() < page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      if (!after.empty()) {
        next = EncodePageToken({after, filter});
      }
      break;
    }
    const int want = std::min(page_size - resp->cases_size(), 200);
    SALESOPS_ASSIGN_OR_RETURN(auto keys, repo_.Range(kCasesIndex, "", after, want));
    if (keys.empty()) {
      break;
    }
    std::vector<std::string> opps;
    for (const std::string& k : keys) {
      opps.push_back(AfterBar(k));
    }
    SALESOPS_ASSIGN_OR_RETURN(auto raw, repo_.GetFields(MapKind::kCases, "", opps));
    for (size_t i = 0; i < keys.size(); ++i) {
      after = keys[i];
      ++scanned;
      v1::NegotiationCase k;
      if (!raw[i] || !k.ParseFromString(*raw[i])) {
        continue;
      }
      if (req.outcome() != v1::NEGOTIATION_OUTCOME_UNSPECIFIED && k.outcome() != req.outcome()) {
        continue;
      }
      if (!CaseMatches(k, req.query())) {
        continue;
      }
      k.set_name(absl::StrCat("negotiationCases/", opps[i]));
      k.set_etag(absl::StrCat(k.notes_size()));
      *resp->add_cases() = std::move(k);
    }
    if (resp->cases_size() >= page_size) {
      next = EncodePageToken({after, filter});
      break;
    }
    if (static_cast<int>(keys.size()) < want) {
      break;
    }
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::AnnotateNegotiationCase(const CallContext& call,
                                                     const v1::AnnotateNegotiationCaseRequest& req,
                                                     v1::AnnotateNegotiationCaseResponse* resp) {
  Violations v;
  const std::string opp = IdOf(v, "name", req.name(), "negotiationCases");
  if (req.note().empty() || req.note().size() > kMaxNote) {
    v.Add("note", "required, at most 2000 bytes");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto raw, repo_.GetFields(MapKind::kCases, "", {opp}));
  v1::NegotiationCase k;
  if (!raw[0] || !k.ParseFromString(*raw[0])) {
    return NotFound("CASE_NOT_FOUND",
                    absl::StrCat(QuoteUntrusted(req.name(), 120), " does not exist"));
  }
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, StripName(k.owner())));
  if (!ok) {
    return DenyAccess(req.name());
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), k.notes_size(), req.name()));
  const absl::Time now = clock_.Now();
  v1::CaseNote* n = k.add_notes();
  n->set_author(MemberName(call.principal.member_id));
  n->set_text(req.note());
  *n->mutable_create_time() = ToTs(now);
  Change c;
  c.ExpectField(MapKind::kCases, "", opp, *raw[0]);  // nobody annotated meanwhile
  c.SetField(MapKind::kCases, "", opp, k.SerializeAsString());
  k.set_name(req.name());
  k.set_etag(absl::StrCat(k.notes_size()));
  v1::NegotiationCaseAnnotated ev;
  *ev.mutable_case_() = k;
  *ev.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, opp, req.name(), ev, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  *resp->mutable_case_() = std::move(k);
  return absl::OkStatus();
}

}  // namespace salesops::performance
