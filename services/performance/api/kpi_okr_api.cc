// KPI definitions and OKRs.
#include <set>

#include "absl/strings/match.h"
#include "common/ids/ids.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/performance_api.h"

namespace salesops::performance {
namespace {

constexpr int kMaxRoles = 5;

std::string KpiName(const std::string& id) { return absl::StrCat("kpis/", id); }
std::string OkrName(const std::string& id) { return absl::StrCat("okrs/", id); }

bool SameKpi(const v1::KpiDefinition& a, const v1::KpiDefinition& b) {
  v1::KpiDefinition x = a, y = b;
  for (v1::KpiDefinition* k : {&x, &y}) {
    k->clear_etag();
    k->clear_update_time();
  }
  return x.SerializeAsString() == y.SerializeAsString();
}

// The Okr as it is stored (no etag).
std::string Stored(v1::Okr o) {
  o.clear_etag();
  return o.SerializeAsString();
}
std::string Stored(v1::KpiDefinition k) {
  k.clear_etag();
  return k.SerializeAsString();
}

}  // namespace

// ---------------------------------------------------------------- KPIs

absl::Status PerformanceApi::CreateKpiDefinition(const CallContext& call,
                                                 const v1::CreateKpiDefinitionRequest& req,
                                                 v1::CreateKpiDefinitionResponse* resp) {
  Violations v;
  v1::KpiDefinition k = req.kpi_definition();
  ClearOutputOnly(&k);
  if (!req.kpi_definition_id().empty() && !IsValidId(req.kpi_definition_id())) {
    v.Add("kpi_definition_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "kpis/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing, Load<v1::KpiDefinition>(DocKind::kKpi, StripName(name),
                                                                     name, "KPI_NOT_FOUND"));
    *resp->mutable_kpi_definition() = std::move(existing.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  const std::string id = req.kpi_definition_id().empty() ? NewUuid() : req.kpi_definition_id();
  k.set_name(KpiName(id));
  SALESOPS_RETURN_IF_ERROR(ToDomainKpi(k, "kpi_definition").status());
  const absl::Time now = clock_.Now();
  *k.mutable_create_time() = ToTs(now);
  *k.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kKpi, id, Stored(k), 0);
  c.AddToIndex("kpi", id);
  c.AddToField(MapKind::kRevisions, "", kKpisRevision, 1);
  c.RememberRequest(call.principal.member_id, req.request_id(), k.name());
  v1::KpiDefinitionCreated e;
  *e.mutable_kpi_definition() = k;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, k.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(MarkAllCards(repo_, c));
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("KPI_EXISTS", absl::StrCat(k.name(), " already exists"), k.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  k.set_etag("1");
  *resp->mutable_kpi_definition() = std::move(k);
  return absl::OkStatus();
}

absl::Status PerformanceApi::GetKpiDefinition(const CallContext& call,
                                              const v1::GetKpiDefinitionRequest& req,
                                              v1::GetKpiDefinitionResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "kpis");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(
      auto k, Load<v1::KpiDefinition>(DocKind::kKpi, id, req.name(), "KPI_NOT_FOUND"));
  *resp->mutable_kpi_definition() = std::move(k.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListKpiDefinitions(const CallContext& call,
                                                const v1::ListKpiDefinitionsRequest& req,
                                                v1::ListKpiDefinitionsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  Role role;
  if (!req.role().empty() && !ParseRole(req.role(), &role)) {
    v.Add("role", "rep, supervisor, manager, director or admin");
  }
  std::optional<absl::CivilDay> on;
  if (req.has_effective_on()) {
    const auto& d = req.effective_on();
    if (d.month() < 1 || d.month() > 12 || d.day() < 1 || d.day() > 31) {
      v.Add("effective_on", "a calendar date");
    } else {
      on = DayOf(d);
    }
  }
  const std::string filter = absl::StrCat(req.role(), "|", on ? absl::FormatCivilTime(*on) : "");
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<v1::KpiDefinition> out;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::KpiDefinition>(
      repo_, call, DocKind::kKpi, "kpi", "", cursor, filter, page_size,
      [&](v1::KpiDefinition& k) -> absl::StatusOr<bool> {
        if (!req.role().empty() && !k.roles().empty() &&
            std::find(k.roles().begin(), k.roles().end(), req.role()) == k.roles().end()) {
          return false;
        }
        if (on && ((k.has_effective_start_date() && DayOf(k.effective_start_date()) > *on) ||
                   (k.has_effective_end_date() && DayOf(k.effective_end_date()) < *on))) {
          return false;
        }
        return true;
      },
      &out, &next));
  for (auto& k : out) {
    *resp->add_kpi_definitions() = std::move(k);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::UpdateKpiDefinition(const CallContext& call,
                                                 const v1::UpdateKpiDefinitionRequest& req,
                                                 v1::UpdateKpiDefinitionResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "kpi_definition.name", req.kpi_definition().name(), "kpis");
  CheckMask(v, req.update_mask(),
            {"display_name", "target", "weight_basis_points", "direction", "curve", "roles",
             "org_units", "effective_start_date", "effective_end_date"});
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(
      auto cur,
      Load<v1::KpiDefinition>(DocKind::kKpi, id, req.kpi_definition().name(), "KPI_NOT_FOUND"));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.kpi_definition().etag(), cur.version, cur.doc.name()));
  v1::KpiDefinition next = cur.doc;
  const v1::KpiDefinition& in = req.kpi_definition();
  std::vector<std::string> changed;
  for (const std::string& path : req.update_mask().paths()) {
    if (path == "display_name") {
      next.set_display_name(in.display_name());
    }
    if (path == "target") {
      *next.mutable_target() = in.target();
    }
    if (path == "weight_basis_points") {
      next.set_weight_basis_points(in.weight_basis_points());
    }
    if (path == "direction") {
      next.set_direction(in.direction());
    }
    if (path == "curve") {
      *next.mutable_curve() = in.curve();
    }
    if (path == "roles") {
      *next.mutable_roles() = in.roles();
    }
    if (path == "org_units") {
      *next.mutable_org_units() = in.org_units();
    }
    if (path == "effective_start_date") {
      if (in.has_effective_start_date()) {
        *next.mutable_effective_start_date() = in.effective_start_date();
      } else {
        next.clear_effective_start_date();
      }
    }
    if (path == "effective_end_date") {
      if (in.has_effective_end_date()) {
        *next.mutable_effective_end_date() = in.effective_end_date();
      } else {
        next.clear_effective_end_date();
      }
    }
    changed.push_back(path);
  }
  SALESOPS_RETURN_IF_ERROR(ToDomainKpi(next, "kpi_definition").status());
  if (SameKpi(next, cur.doc)) {
    *resp->mutable_kpi_definition() = std::move(cur.doc);
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kKpi, id, Stored(next), cur.version);
  c.AddToField(MapKind::kRevisions, "", kKpisRevision, 1);
  v1::KpiDefinitionUpdated e;
  *e.mutable_kpi_definition() = next;
  e.mutable_kpi_definition()->set_etag(absl::StrCat(cur.version + 1));
  *e.mutable_previous() = cur.doc;
  for (const std::string& f : changed) {
    e.add_changed_fields(f);
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(MarkAllCards(repo_, c));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_kpi_definition() = std::move(next);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- OKRs

absl::Status PerformanceApi::CheckOkrScope(const CallContext& call, const v1::Okr& okr) {
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversSubject(call.principal, okr.subject()));
  if (!ok) {
    return DenyAccess(okr.name().empty() ? okr.subject() : okr.name());
  }
  return absl::OkStatus();
}

absl::Status PerformanceApi::GradeFromActuals(v1::Okr& okr) {
  if (okr.state() == v1::OKR_STATE_CLOSED) {
    return absl::OkStatus();  // frozen
  }
  SALESOPS_ASSIGN_OR_RETURN(Okr d, ToDomainOkr(okr));
  std::set<std::string> wanted;
  for (const KeyResult& k : d.key_results) {
    if (!k.kpi_id.empty()) {
      wanted.insert(k.kpi_id);
    }
  }
  std::vector<KpiActual> actuals;
  if (!wanted.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto all, recomputer_.Kpis());
    std::vector<v1::KpiDefinition> kpis;
    for (const auto& k : *all) {
      if (wanted.contains(StripName(k.name()))) {
        kpis.push_back(k);
      }
    }
    SALESOPS_ASSIGN_OR_RETURN(actuals,
                              recomputer_.Actuals(StripName(okr.period()), okr.subject(), kpis));
  }
  absl::StatusOr<OkrGrade> g = GradeOkr(d, actuals, "okr");
  if (!g.ok()) {
    return ProtoFieldPaths(g.status(), "okr", "okr");
  }
  okr.set_grade_basis_points(g->grade_bp);
  for (size_t i = 0; i < g->key_results.size() && static_cast<int>(i) < okr.key_results_size();
       ++i) {
    okr.mutable_key_results(static_cast<int>(i))
        ->set_grade_basis_points(g->key_results[i].grade_bp);
  }
  return absl::OkStatus();
}

absl::Status PerformanceApi::CreateOkr(const CallContext& call, const v1::CreateOkrRequest& req,
                                       v1::CreateOkrResponse* resp) {
  Violations v;
  v1::Okr o = req.okr();
  ClearOutputOnly(&o);
  if (!req.okr_id().empty() && !IsValidId(req.okr_id())) {
    v.Add("okr_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  if (absl::StartsWith(o.subject(), "members/")) {
    (void)ParseResourceName(v, "okr.subject", o.subject(), "members");
    if (o.subject_kind() == v1::SUBJECT_KIND_UNSPECIFIED) {
      o.set_subject_kind(v1::SUBJECT_KIND_MEMBER);
    }
    if (o.subject_kind() != v1::SUBJECT_KIND_MEMBER) {
      v.Add("okr.subject_kind", "MEMBER for a member");
    }
  } else if (absl::StartsWith(o.subject(), "orgUnits/")) {
    (void)ParseResourceName(v, "okr.subject", o.subject(), "orgUnits");
    if (o.subject_kind() == v1::SUBJECT_KIND_UNSPECIFIED) {
      o.set_subject_kind(v1::SUBJECT_KIND_ORG_UNIT);
    }
    if (o.subject_kind() != v1::SUBJECT_KIND_ORG_UNIT) {
      v.Add("okr.subject_kind", "ORG_UNIT for an org unit");
    }
  } else {
    v.Add("okr.subject", "required: \"members/{id}\" or \"orgUnits/{id}\"");
  }
  const std::string period = IdOf(v, "okr.period", o.period(), "fiscalPeriods");
  if (!period.empty() && !ParseQuarter(period, recomputer_.options().fiscal_year_start_month)) {
    v.Add("okr.period", "a fiscal quarter like fiscalPeriods/FY2026-Q4");
  }
  if (!o.parent_okr().empty()) {
    (void)ParseResourceName(v, "okr.parent_okr", o.parent_okr(), "okrs");
  }
  if (o.key_results_size() > kMaxRequestItems) {
    v.Add("okr.key_results", "at most 50 key results");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "okrs/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing,
                              Load<v1::Okr>(DocKind::kOkr, StripName(name), name, "OKR_NOT_FOUND"));
    SALESOPS_RETURN_IF_ERROR(CheckOkrScope(call, existing.doc));
    *resp->mutable_okr() = std::move(existing.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  SALESOPS_RETURN_IF_ERROR(CheckOkrScope(call, o));
  if (!o.parent_okr().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> parent,
                              repo_.GetDoc(DocKind::kOkr, StripName(o.parent_okr())));
    if (!parent) {
      return InvalidField("okr.parent_okr", "no such OKR");
    }
  }
  const std::string id = req.okr_id().empty() ? NewUuid() : req.okr_id();
  o.set_name(OkrName(id));
  o.set_state(v1::OKR_STATE_DRAFT);
  for (auto& k : *o.mutable_key_results()) {
    k.set_grade_basis_points(0);  // grades come from GradeKeyResult
    k.clear_grade_note();
  }
  SALESOPS_RETURN_IF_ERROR(GradeFromActuals(o));
  const absl::Time now = clock_.Now();
  *o.mutable_create_time() = ToTs(now);
  *o.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kOkr, id, Stored(o), 0);
  c.AddToIndex("okr", id);
  c.AddToIndex(absl::StrCat("okr:s:", o.subject(), "|", period), id);
  c.AddToIndex(kSubjectsIndex, absl::StrCat(period, "|", o.subject()));
  MarkWork(c, CardWork(period, o.subject()));
  c.RememberRequest(call.principal.member_id, req.request_id(), o.name());
  v1::OkrCreated e;
  *e.mutable_okr() = o;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, o.name(), e, now));
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("OKR_EXISTS", absl::StrCat(o.name(), " already exists"), o.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  o.set_etag("1");
  *resp->mutable_okr() = std::move(o);
  return absl::OkStatus();
}

absl::Status PerformanceApi::GetOkr(const CallContext& call, const v1::GetOkrRequest& req,
                                    v1::GetOkrResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "okrs");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto o, Load<v1::Okr>(DocKind::kOkr, id, req.name(), "OKR_NOT_FOUND"));
  SALESOPS_RETURN_IF_ERROR(CheckOkrScope(call, o.doc));
  *resp->mutable_okr() = std::move(o.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListOkrs(const CallContext& call, const v1::ListOkrsRequest& req,
                                      v1::ListOkrsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!req.subject().empty() && !absl::StartsWith(req.subject(), "members/") &&
      !absl::StartsWith(req.subject(), "orgUnits/")) {
    v.Add("subject", "\"members/{id}\" or \"orgUnits/{id}\"");
  }
  if (!req.period().empty()) {
    (void)ParseResourceName(v, "period", req.period(), "fiscalPeriods");
  }
  if (!req.parent_okr().empty()) {
    (void)ParseResourceName(v, "parent_okr", req.parent_okr(), "okrs");
  }
  if (!v1::OkrState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter =
      absl::StrCat(req.subject(), "|", req.period(), "|", req.state(), "|", req.parent_okr());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<v1::Okr> out;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::Okr>(
      repo_, call, DocKind::kOkr, "okr", "", cursor, filter, page_size,
      [&](v1::Okr& o) -> absl::StatusOr<bool> {
        if (!req.subject().empty() && o.subject() != req.subject()) {
          return false;
        }
        if (!req.period().empty() && o.period() != req.period()) {
          return false;
        }
        if (req.state() != v1::OKR_STATE_UNSPECIFIED && o.state() != req.state()) {
          return false;
        }
        if (!req.parent_okr().empty() && o.parent_okr() != req.parent_okr()) {
          return false;
        }
        return scope_.CoversSubject(call.principal, o.subject());
      },
      &out, &next));
  for (auto& o : out) {
    *resp->add_okrs() = std::move(o);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::UpdateOkr(const CallContext& call, const v1::UpdateOkrRequest& req,
                                       v1::UpdateOkrResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "okr.name", req.okr().name(), "okrs");
  CheckMask(v, req.update_mask(), {"objective", "key_results", "state", "parent_okr"});
  CheckText(v, "reason", req.reason(), 0, 500);
  if (req.okr().key_results_size() > kMaxRequestItems) {
    v.Add("okr.key_results", "at most 50 key results");
  }
  if (InMask(req.update_mask(), "parent_okr") && !req.okr().parent_okr().empty()) {
    (void)ParseResourceName(v, "okr.parent_okr", req.okr().parent_okr(), "okrs");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur,
                            Load<v1::Okr>(DocKind::kOkr, id, req.okr().name(), "OKR_NOT_FOUND"));
  SALESOPS_RETURN_IF_ERROR(CheckOkrScope(call, cur.doc));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.okr().etag(), cur.version, cur.doc.name()));
  if (cur.doc.state() == v1::OKR_STATE_CLOSED) {
    return FailedPrecondition("OKR_CLOSED", "a closed OKR is graded and frozen");
  }
  v1::Okr next = cur.doc;
  std::vector<std::string> changed;
  if (InMask(req.update_mask(), "objective")) {
    next.set_objective(req.okr().objective());
    changed.push_back("objective");
  }
  if (InMask(req.update_mask(), "parent_okr")) {
    next.set_parent_okr(req.okr().parent_okr());
    changed.push_back("parent_okr");
  }
  if (InMask(req.update_mask(), "key_results")) {
    // Replaces the list; grades (and who gave them) of kept ids stay.
    std::map<std::string, v1::KeyResult> kept;
    for (const auto& k : cur.doc.key_results()) {
      kept[k.key_result_id()] = k;
    }
    next.clear_key_results();
    for (const auto& in : req.okr().key_results()) {
      v1::KeyResult k = in;
      ClearOutputOnly(&k);
      k.set_grade_basis_points(0);
      k.clear_grade_note();
      auto it = kept.find(k.key_result_id());
      if (it != kept.end()) {
        k.set_grade_basis_points(it->second.grade_basis_points());
        k.set_grade_note(it->second.grade_note());
        k.set_graded_by(it->second.graded_by());
        *k.mutable_grade_time() = it->second.grade_time();
        if (!in.has_current_value()) {
          *k.mutable_current_value() = it->second.current_value();
        }
      }
      *next.add_key_results() = std::move(k);
    }
    changed.push_back("key_results");
  }
  std::optional<Okr> domain;
  if (InMask(req.update_mask(), "state") && req.okr().state() != cur.doc.state()) {
    SALESOPS_ASSIGN_OR_RETURN(Okr d, ToDomainOkr(next));
    if (req.okr().state() == v1::OKR_STATE_ACTIVE) {
      SALESOPS_RETURN_IF_ERROR(ProtoFieldPaths(ActivateOkr(d), "okr", "okr"));
      next.set_state(v1::OKR_STATE_ACTIVE);
    } else if (req.okr().state() == v1::OKR_STATE_CLOSED && d.state == OkrState::kActive) {
      // Graded with the subject's KPI values now, then frozen.
      SALESOPS_RETURN_IF_ERROR(GradeFromActuals(next));
      next.set_state(v1::OKR_STATE_CLOSED);
    } else {
      return FailedPrecondition("INVALID_OKR_TRANSITION", "an OKR goes DRAFT → ACTIVE → CLOSED");
    }
    changed.push_back("state");
  }
  if (next.state() != v1::OKR_STATE_CLOSED) {
    SALESOPS_RETURN_IF_ERROR(GradeFromActuals(next));
  }
  if (!next.parent_okr().empty() && next.parent_okr() != cur.doc.parent_okr()) {
    if (next.parent_okr() == next.name()) {
      return InvalidField("okr.parent_okr", "not itself");
    }
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> parent,
                              repo_.GetDoc(DocKind::kOkr, StripName(next.parent_okr())));
    if (!parent) {
      return InvalidField("okr.parent_okr", "no such OKR");
    }
  }
  if (Stored(next) == Stored(cur.doc)) {
    *resp->mutable_okr() = std::move(cur.doc);
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kOkr, id, Stored(next), cur.version);
  MarkWork(c, CardWork(StripName(next.period()), next.subject()));
  v1::OkrUpdated e;
  *e.mutable_okr() = next;
  e.mutable_okr()->set_etag(absl::StrCat(cur.version + 1));
  *e.mutable_previous() = cur.doc;
  for (const auto& f : changed) {
    e.add_changed_fields(f);
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_okr() = std::move(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::GradeKeyResult(const CallContext& call,
                                            const v1::GradeKeyResultRequest& req,
                                            v1::GradeKeyResultResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "okr", req.okr(), "okrs");
  if (req.key_result_id().empty()) {
    v.Add("key_result_id", "required");
  }
  if (req.grade_basis_points() < 0 || req.grade_basis_points() > 10'000) {
    v.Add("grade_basis_points", "must be in 0..10000");
  }
  CheckText(v, "grade_note", req.grade_note(), 0, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, Load<v1::Okr>(DocKind::kOkr, id, req.okr(), "OKR_NOT_FOUND"));
  SALESOPS_RETURN_IF_ERROR(CheckOkrScope(call, cur.doc));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, cur.doc.name()));
  // A rep grades only their own OKR (the scope check already keeps others out).
  SALESOPS_ASSIGN_OR_RETURN(Okr d, ToDomainOkr(cur.doc));
  const KeyResult* kr = nullptr;
  int index = -1;
  for (size_t i = 0; i < d.key_results.size(); ++i) {
    if (d.key_results[i].key_result_id == req.key_result_id()) {
      kr = &d.key_results[i];
      index = static_cast<int>(i);
    }
  }
  if (kr == nullptr) {
    return NotFound("KEY_RESULT_NOT_FOUND",
                    absl::StrCat("no key result ", QuoteUntrusted(req.key_result_id())));
  }
  const bool measured = kr->source == ProgressSource::kMeasured;
  std::optional<int32_t> grade;
  std::optional<int64_t> current;
  if (measured) {
    if (!req.has_current_value()) {
      return InvalidField("current_value", "required for a MEASURED key result");
    }
    current = KpiValueOf(req.current_value());
  } else {
    grade = req.grade_basis_points();
  }
  SALESOPS_RETURN_IF_ERROR(
      ProtoFieldPaths(RecordProgress(d, req.key_result_id(), grade, current), "okr", "okr"));
  v1::Okr next = cur.doc;
  v1::KeyResult* k = next.mutable_key_results(index);
  const int32_t previous = k->grade_basis_points();
  if (measured) {
    *k->mutable_current_value() = req.current_value();
  } else {
    k->set_grade_basis_points(req.grade_basis_points());
  }
  k->set_grade_note(req.grade_note());
  k->set_graded_by(MemberName(call.principal.member_id));
  const absl::Time now = clock_.Now();
  *k->mutable_grade_time() = ToTs(now);
  SALESOPS_RETURN_IF_ERROR(GradeFromActuals(next));
  *next.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kOkr, id, Stored(next), cur.version);
  MarkWork(c, CardWork(StripName(next.period()), next.subject()));
  v1::KeyResultGraded e;
  e.set_okr(next.name());
  e.set_subject(next.subject());
  e.set_period(next.period());
  e.set_key_result_id(req.key_result_id());
  e.set_previous_grade_basis_points(previous);
  e.set_grade_basis_points(next.key_results(index).grade_basis_points());
  e.set_okr_grade_basis_points(next.grade_basis_points());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_okr() = std::move(next);
  return absl::OkStatus();
}

}  // namespace salesops::performance
