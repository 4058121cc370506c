// OrgApi: the team-efficiency view and the core-talent pipeline (criteria
// config, assessments with their 9-box placement, development plans,
// promotion tracks and requests). Talent data is visible only upwards in the
// tree (domain/talent.h CanSeeTalent); rules and figures come from the pure
// functions in domain/, storage is the repository's versioned documents.
#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/org/api/api_util.h"
#include "services/org/api/org_api.h"
#include "services/org/domain/efficiency.h"
#include "services/org/domain/org_rules.h"
#include "services/org/domain/talent.h"

namespace salesops::org {
namespace {

constexpr char kTalentConfigId[] = "default";
constexpr int kMaxMonths = 24;

std::string MonthKey(absl::CivilMonth m) {
  return absl::StrFormat("%04d-%02d", static_cast<int>(m.year()), m.month());
}

bool ToMonth(const salesops::common::v1::Date& d, absl::CivilMonth* out) {
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12) {
    return false;
  }
  *out = absl::CivilMonth(d.year(), d.month());
  return true;
}

TalentWeights WeightsOf(const v1::TalentConfig& c) {
  return {c.performance_weight_bp(), c.capability_weight_bp(), c.potential_weight_bp()};
}
NineBoxThresholds ThresholdsOf(const v1::TalentConfig& c) {
  return {c.low_threshold(), c.high_threshold()};
}

void CheckDates(Violations& v, const std::string& prefix, const salesops::common::v1::Date& start,
                const salesops::common::v1::Date& end, bool required) {
  absl::CivilDay s, e;
  const bool has_s = start.year() != 0, has_e = end.year() != 0;
  if (required && !has_s) {
    v.Add(prefix + ".start_date", "required");
  }
  if (required && !has_e) {
    v.Add(prefix + ".end_date", "required");
  }
  if (has_s && !FromDate(start, &s)) {
    v.Add(prefix + ".start_date", "not a calendar date");
  }
  if (has_e && !FromDate(end, &e)) {
    v.Add(prefix + ".end_date", "not a calendar date");
  }
  if (has_s && has_e && FromDate(start, &s) && FromDate(end, &e) && e < s) {
    v.Add(prefix + ".end_date", "must not be before start_date");
  }
}

void CheckItems(Violations& v, const v1::DevelopmentPlan& p) {
  if (p.items_size() > 50) {
    v.Add("development_plan.items", "at most 50 items");
  }
  for (int i = 0; i < p.items_size(); ++i) {
    const auto& it = p.items(i);
    const std::string f = absl::StrCat("development_plan.items[", i, "]");
    CheckText(v, f + ".title", it.title(), 1, 100);
    if (it.kind() < 1 || it.kind() > 4) {
      v.Add(f + ".kind", "required: TRAINING, STRETCH_ASSIGNMENT, MENTORING or ROTATION");
    }
    if (it.status() < 0 || it.status() > 4) {
      v.Add(f + ".status", "unknown status");
    }
    absl::CivilDay d;
    if (it.has_due_date() && !FromDate(it.due_date(), &d)) {
      v.Add(f + ".due_date", "not a calendar date");
    }
  }
}

absl::Status NoTalentAccess(const std::string& member_id) {
  return PermissionDenied("TALENT_NOT_VISIBLE",
                          absl::StrCat("talent data of ", MemberName(member_id),
                                       " is visible only to those above them in the tree"));
}

}  // namespace

// ---------------------------------------------------------------- efficiency

absl::Status OrgApi::SetTeamTarget(const CallContext& call, const v1::SetTeamTargetRequest& req,
                                   v1::SetTeamTargetResponse* resp) {
  Violations v;
  std::string team_id = ParseResourceName(v, "team", req.team(), "orgUnits");
  absl::CivilMonth month;
  if (!ToMonth(req.month(), &month)) {
    v.Add("month", "required: year and month");
  }
  if (req.amount().amount_minor() < 0) {
    v.Add("amount.amount_minor", "must not be negative");
  }
  if (!req.amount().currency_code().empty() && req.amount().currency_code() != "CNY") {
    v.Add("amount.currency_code", "only CNY is supported");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(OrgUnit team, LoadUnit(team_id, "team", true));
  if (team.kind != UnitKind::kTeam) {
    return InvalidArgument({{"team", "targets are set per TEAM"}}, "NOT_A_TEAM");
  }
  const std::string id = absl::StrCat("target:", team_id, ":", MonthKey(month));
  return WithRetry(false, [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kTeamTarget, id));
    const int64_t version = doc ? doc->version : 0;
    v1::TeamTargetSet event;
    event.set_team(UnitName(team_id));
    *event.mutable_month() = ToDate(absl::CivilDay(month));
    event.mutable_amount()->set_amount_minor(req.amount().amount_minor());
    event.mutable_amount()->set_currency_code("CNY");
    int64_t previous = 0;
    if (doc && absl::SimpleAtoi(doc->data, &previous)) {
      event.mutable_previous()->set_amount_minor(previous);
      event.mutable_previous()->set_currency_code("CNY");
    }
    *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
    return repo_.WriteDocs(
        {{DocKind::kTeamTarget,
          {id, version + 1, absl::StrCat(req.amount().amount_minor())},
          version,
          {}}},
        "", "", {OrgEvent(team_id, UnitName(team_id), event, clock_.Now(), call.trace_id)});
  });
}

absl::Status OrgApi::GetTeamEfficiency(const CallContext& call,
                                       const v1::GetTeamEfficiencyRequest& req,
                                       v1::GetTeamEfficiencyResponse* resp) {
  Violations v;
  absl::CivilMonth start, end;
  if (!ToMonth(req.start_month(), &start)) {
    v.Add("start_month", "required: year and month");
  }
  if (!ToMonth(req.end_month(), &end)) {
    v.Add("end_month", "required: year and month");
  }
  if (v.empty() && end < start) {
    v.Add("end_month", "must not be before start_month");
  }
  if (v.empty() && end - start >= kMaxMonths) {
    v.Add("end_month", "at most 24 months");
  }
  std::string scope_id;
  if (!req.org_unit().empty()) {
    scope_id = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  }
  for (auto [value, field] :
       {std::pair{req.merge_overlap_threshold_bp(), "merge_overlap_threshold_bp"},
        {req.low_revenue_per_head_threshold_bp(), "low_revenue_per_head_threshold_bp"},
        {req.low_attainment_threshold_bp(), "low_attainment_threshold_bp"}}) {
    if (value < 0 || value > 100000) {
      v.Add(field, "must be 0..100000 (0: default)");
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  EfficiencyThresholds th;
  if (req.merge_overlap_threshold_bp() > 0) {
    th.merge_overlap_bp = req.merge_overlap_threshold_bp();
  }
  if (req.low_revenue_per_head_threshold_bp() > 0) {
    th.low_revenue_per_head_bp = req.low_revenue_per_head_threshold_bp();
  }
  if (req.low_attainment_threshold_bp() > 0) {
    th.low_attainment_bp = req.low_attainment_threshold_bp();
  }

  // The teams in view: under org_unit (if given) and within the caller's scope.
  // Every unit is read once (500 a round trip) and ancestries are walked in
  // memory, instead of one ancestry read per team.
  std::vector<OrgUnit> all;
  std::string after;
  while (true) {
    if (call.Expired()) {
      return DeadlineExceeded("GetTeamEfficiency");
    }
    SALESOPS_ASSIGN_OR_RETURN(UnitPage page, repo_.ScanUnits(after, 500));
    for (auto& u : page.units) {
      all.push_back(std::move(u));
    }
    if (page.last_scanned.empty()) {
      break;
    }
    after = page.last_scanned;
  }
  absl::flat_hash_map<std::string, std::string> parent_of;
  for (const auto& u : all) {
    parent_of[u.id] = u.parent_id;
  }
  auto ancestry = [&](const std::string& id) {
    std::vector<std::string> chain;
    for (std::string k = id; !k.empty() && chain.size() < 64; k = parent_of[k]) {
      chain.push_back(k);
    }
    return chain;
  };
  std::vector<OrgUnit> teams;
  for (auto& u : all) {
    if (u.kind != UnitKind::kTeam) {
      continue;
    }
    const std::vector<std::string> a = ancestry(u.id);
    if (!scope_id.empty() && !IsWithin(a, scope_id)) {
      continue;
    }
    if (call.principal.role < Role::kDirector && !IsWithin(a, call.principal.org_unit_id)) {
      continue;
    }
    teams.push_back(std::move(u));
  }
  std::vector<std::string> months;
  for (absl::CivilMonth m = start; m <= end; ++m) {
    months.push_back(MonthKey(m));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<TeamRevenue> revenue, repo_.Revenue(months));
  std::map<std::string, TeamRevenue> revenue_by_team;
  for (auto& r : revenue) {
    revenue_by_team[r.team_id] = std::move(r);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> heads, Headcounts(teams));

  // Every team's monthly targets in one round trip.
  std::vector<std::string> target_ids;
  for (const auto& t : teams) {
    for (const auto& m : months) {
      target_ids.push_back(absl::StrCat("target:", t.id, ":", m));
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> targets,
                            repo_.GetDocs(DocKind::kTeamTarget, target_ids));
  std::vector<TeamFigures> figures;
  for (size_t i = 0; i < teams.size(); ++i) {
    TeamFigures f;
    f.team_id = teams[i].id;
    f.headcount = heads[i];
    if (auto it = revenue_by_team.find(f.team_id); it != revenue_by_team.end()) {
      f.revenue_minor = it->second.revenue_minor;
      f.won_deals = it->second.won_deals;
      f.coverage = it->second.coverage;
    }
    for (size_t j = 0; j < months.size(); ++j) {
      const std::optional<Doc>& target = targets[i * months.size() + j];
      int64_t amount = 0;
      if (target && absl::SimpleAtoi(target->data, &amount)) {
        f.target_minor += amount;
      }
    }
    figures.push_back(std::move(f));
  }
  EfficiencyReport report = ComputeEfficiency(figures, th);
  auto money = [](int64_t minor) {
    salesops::common::v1::Money m;
    m.set_amount_minor(minor);
    m.set_currency_code("CNY");
    return m;
  };
  for (size_t i = 0; i < report.teams.size(); ++i) {
    const auto& t = report.teams[i];
    v1::TeamEfficiency* out = resp->add_teams();
    out->set_team(UnitName(t.team_id));
    out->set_display_name(teams[i].display_name);
    out->set_headcount(t.headcount);
    *out->mutable_revenue() = money(t.revenue_minor);
    *out->mutable_revenue_per_head() = money(t.revenue_per_head_minor);
    *out->mutable_target() = money(t.target_minor);
    out->set_attainment_bp(t.attainment_bp);
    out->set_won_deals(t.won_deals);
    for (const auto& c : t.coverage) {
      out->add_coverage(c);
    }
  }
  for (const auto& f : report.flags) {
    v1::EfficiencyFlag* out = resp->add_flags();
    out->set_kind(static_cast<v1::EfficiencyFlagKind>(f.kind));
    for (const auto& t : f.team_ids) {
      out->add_teams(UnitName(t));
    }
    out->set_reason(f.reason);
    for (const auto& [k, val] : f.figures) {
      (*out->mutable_figures())[k] = val;
    }
    out->set_explanation(f.explanation);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- talent config

absl::StatusOr<v1::TalentConfig> OrgApi::LoadTalentConfig() {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc,
                            repo_.GetDoc(DocKind::kTalentConfig, kTalentConfigId));
  v1::TalentConfig c;
  if (doc && c.ParseFromString(doc->data)) {
    c.set_etag(absl::StrCat(doc->version));
  } else {
    // Until configured: performance 40 %, capability 30 %, potential 30 %; no periods.
    c.set_performance_weight_bp(4000);
    c.set_capability_weight_bp(3000);
    c.set_potential_weight_bp(3000);
    c.set_low_threshold(40);
    c.set_high_threshold(70);
  }
  c.set_name("talentConfig");
  return c;
}

absl::Status OrgApi::GetTalentConfig(const CallContext& call, const v1::GetTalentConfigRequest& req,
                                     v1::GetTalentConfigResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(*resp->mutable_talent_config(), LoadTalentConfig());
  return absl::OkStatus();
}

absl::Status OrgApi::UpdateTalentConfig(const CallContext& call,
                                        const v1::UpdateTalentConfigRequest& req,
                                        v1::UpdateTalentConfigResponse* resp) {
  const v1::TalentConfig& in = req.talent_config();
  Violations v;
  CheckText(v, "reason", req.reason(), 0, 500);
  if (in.periods_size() > 100) {
    v.Add("talent_config.periods", "at most 100 periods");
  }
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < in.periods_size(); ++i) {
    const auto& p = in.periods(i);
    const std::string f = absl::StrCat("talent_config.periods[", i, "]");
    if (!IsValidId(p.id())) {
      v.Add(f + ".id", "letters, digits and '-', 3..63 characters");
    }
    if (!ids.insert(p.id()).second) {
      v.Add(f + ".id", "listed twice");
    }
    CheckDates(v, f, p.start_date(), p.end_date(), true);
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(CheckWeights(WeightsOf(in), "talent_config"));
  SALESOPS_RETURN_IF_ERROR(CheckThresholds(ThresholdsOf(in), "talent_config"));

  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc,
                            repo_.GetDoc(DocKind::kTalentConfig, kTalentConfigId));
  const int64_t version = doc ? doc->version : 0;
  if (doc && in.etag().empty()) {
    return InvalidArgument({{"talent_config.etag", "required: the config exists"}});
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), version));
  SALESOPS_ASSIGN_OR_RETURN(v1::TalentConfig previous, LoadTalentConfig());
  v1::TalentConfig c = in;
  c.set_name("talentConfig");
  c.set_etag(absl::StrCat(version + 1));
  v1::TalentConfigUpdated event;
  *event.mutable_talent_config() = c;
  *event.mutable_previous() = previous;
  event.set_reason(req.reason());
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  const absl::Time now = clock_.Now();
  SALESOPS_RETURN_IF_ERROR(repo_.WriteDocs(
      {{DocKind::kTalentConfig,
        {kTalentConfigId, version + 1, c.SerializeAsString()},
        version,
        {}}},
      "", "", {OrgEvent(kTalentConfigId, "talentConfig", event, now, call.trace_id)}));
  *resp->mutable_talent_config() = std::move(c);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- assessments

absl::Status OrgApi::RecordAssessment(const CallContext& call,
                                      const v1::RecordAssessmentRequest& req,
                                      v1::RecordAssessmentResponse* resp) {
  const v1::Assessment& in = req.assessment();
  Violations v;
  std::string member_id = ParseResourceName(v, "assessment.member", in.member(), "members");
  if (in.period().empty()) {
    v.Add("assessment.period", "required: an assessment period id");
  }
  CheckText(v, "assessment.comment", in.comment(), 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const TalentScores scores{in.performance(), in.capability(), in.potential()};
  SALESOPS_RETURN_IF_ERROR(CheckScores(scores, "assessment"));
  SALESOPS_ASSIGN_OR_RETURN(v1::TalentConfig config, LoadTalentConfig());
  bool known = false;
  for (const auto& p : config.periods()) {
    known = known || p.id() == in.period();
  }
  if (!known) {
    return InvalidArgument(
        {{"assessment.period", absl::StrCat("unknown assessment period '", in.period(),
                                            "'; periods are defined in the talent config")}},
        "UNKNOWN_PERIOD");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
  if (!CanSeeTalent(call.principal, found.first, found.second)) {
    return NoTalentAccess(member_id);
  }

  const std::string id = absl::StrCat(member_id, ":", in.period());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kAssessment, id));
  const int64_t version = doc ? doc->version : 0;
  if (doc && in.etag().empty()) {
    return MakeError(absl::StatusCode::kAborted, reason::kEtagMismatch,
                     "an assessment of this period exists; send its etag to replace it",
                     {{"field", "assessment.etag"}});
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), version));
  const absl::Time now = clock_.Now();
  const TalentWeights w = WeightsOf(config);
  v1::Assessment a = in;
  a.set_name(absl::StrCat(MemberName(member_id), "/assessments/", in.period()));
  a.set_assessor(MemberName(call.principal.member_id));
  a.set_weighted_score_bp(WeightedScoreBp(scores, w));
  a.set_nine_box(static_cast<v1::NineBox>(NineBoxOf(scores, w, ThresholdsOf(config))));
  *a.mutable_update_time() = ToTimestamp(now);
  a.set_etag(absl::StrCat(version + 1));
  v1::AssessmentRecorded event;
  *event.mutable_assessment() = a;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  SALESOPS_RETURN_IF_ERROR(repo_.WriteDocs(
      {{DocKind::kAssessment, {id, version + 1, a.SerializeAsString()}, version, {member_id}}}, "",
      "", {OrgEvent(member_id, a.name(), event, now, call.trace_id)}));
  *resp->mutable_assessment() = std::move(a);
  return absl::OkStatus();
}

absl::Status OrgApi::ListAssessments(const CallContext& call, const v1::ListAssessmentsRequest& req,
                                     v1::ListAssessmentsResponse* resp) {
  Violations v;
  std::string member_id, unit_id;
  if (!req.member().empty() == !req.org_unit().empty()) {
    v.Add("member", "give either member or org_unit (with period)");
  } else if (!req.member().empty()) {
    member_id = ParseResourceName(v, "member", req.member(), "members");
  } else {
    unit_id = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
    if (req.period().empty()) {
      v.Add("period", "required with org_unit");
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (!member_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
    if (!CanSeeTalent(call.principal, found.first, found.second)) {
      return NoTalentAccess(member_id);
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> docs,
                              repo_.ListDocs(DocKind::kAssessment, member_id));
    for (const auto& d : docs) {
      if (req.period().empty() || absl::EndsWith(d.id, ":" + req.period())) {
        resp->add_assessments()->ParseFromString(d.data);
      }
    }
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(Ancestry ancestry, repo_.GetAncestry(unit_id));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(unit_id));
  for (const auto& m : members) {
    if (!CanSeeTalent(call.principal, m, ancestry.ids)) {
      continue;  // peers and self skipped
    }
    SALESOPS_ASSIGN_OR_RETURN(
        std::optional<Doc> d,
        repo_.GetDoc(DocKind::kAssessment, absl::StrCat(m.id, ":", req.period())));
    if (d) {
      resp->add_assessments()->ParseFromString(d->data);
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- development plans

absl::Status OrgApi::CreateDevelopmentPlan(const CallContext& call,
                                           const v1::CreateDevelopmentPlanRequest& req,
                                           v1::CreateDevelopmentPlanResponse* resp) {
  const v1::DevelopmentPlan& in = req.development_plan();
  Violations v;
  std::string member_id = ParseResourceName(v, "development_plan.member", in.member(), "members");
  CheckItems(v, in);
  CheckDates(v, "development_plan", in.start_date(), in.end_date(), false);
  if (!req.development_plan_id().empty() && !IsValidId(req.development_plan_id())) {
    v.Add("development_plan_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const std::string rid = CallerRequestId(call, req.request_id());
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
  if (!CanSeeTalent(call.principal, found.first, found.second)) {
    return NoTalentAccess(member_id);
  }
  auto replay = [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> name, repo_.FindRequest(rid));
    if (!name || !absl::StartsWith(*name, "developmentPlans/")) {
      return AlreadyExists("REQUEST_ID_REUSED", "request_id was used for another resource",
                           name.value_or(""));
    }
    SALESOPS_ASSIGN_OR_RETURN(
        std::optional<Doc> d,
        repo_.GetDoc(DocKind::kDevelopmentPlan, name->substr(strlen("developmentPlans/"))));
    if (!d) {
      return NotFound("DEVELOPMENT_PLAN_NOT_FOUND", *name);
    }
    v1::DevelopmentPlan stored;
    stored.ParseFromString(d->data);
    // The plan that request_id made, for the member this request is about.
    if (stored.member() != in.member()) {
      return RequestIdReused();
    }
    *resp->mutable_development_plan() = std::move(stored);
    return absl::OkStatus();
  };
  if (!rid.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen, repo_.FindRequest(rid));
    if (seen) {
      return replay();
    }
  }
  const absl::Time now = clock_.Now();
  const std::string id = req.development_plan_id().empty() ? NewUuid() : req.development_plan_id();
  v1::DevelopmentPlan p = in;
  p.set_name(absl::StrCat("developmentPlans/", id));
  for (auto& it : *p.mutable_items()) {
    if (it.status() == 0) {
      it.set_status(v1::DEVELOPMENT_ITEM_STATUS_PLANNED);
    }
  }
  *p.mutable_update_time() = ToTimestamp(now);
  p.set_etag("1");
  v1::DevelopmentPlanChanged event;
  *event.mutable_development_plan() = p;
  event.set_created(true);
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  absl::Status s =
      repo_.WriteDocs({{DocKind::kDevelopmentPlan, {id, 1, p.SerializeAsString()}, 0, {member_id}}},
                      rid, p.name(), {OrgEvent(member_id, p.name(), event, now, call.trace_id)});
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay();
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("DEVELOPMENT_PLAN_EXISTS", absl::StrCat(p.name(), " already exists"),
                         p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_development_plan() = std::move(p);
  return absl::OkStatus();
}

absl::Status OrgApi::UpdateDevelopmentPlan(const CallContext& call,
                                           const v1::UpdateDevelopmentPlanRequest& req,
                                           v1::UpdateDevelopmentPlanResponse* resp) {
  const v1::DevelopmentPlan& in = req.development_plan();
  Violations v;
  std::string id = ParseResourceName(v, "development_plan.name", in.name(), "developmentPlans");
  if (in.etag().empty()) {
    v.Add("development_plan.etag", "required");
  }
  CheckItems(v, in);
  CheckDates(v, "development_plan", in.start_date(), in.end_date(), false);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kDevelopmentPlan, id));
  v1::DevelopmentPlan p;
  if (!doc || !p.ParseFromString(doc->data)) {
    return NotFound("DEVELOPMENT_PLAN_NOT_FOUND", absl::StrCat(in.name(), " does not exist"));
  }
  const std::string member_id = p.member().substr(strlen("members/"));
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
  if (!CanSeeTalent(call.principal, found.first, found.second)) {
    return NoTalentAccess(member_id);
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), doc->version));
  const absl::Time now = clock_.Now();
  *p.mutable_items() = in.items();
  *p.mutable_start_date() = in.start_date();
  *p.mutable_end_date() = in.end_date();
  *p.mutable_update_time() = ToTimestamp(now);
  p.set_etag(absl::StrCat(doc->version + 1));
  v1::DevelopmentPlanChanged event;
  *event.mutable_development_plan() = p;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  SALESOPS_RETURN_IF_ERROR(
      repo_.WriteDocs({{DocKind::kDevelopmentPlan,
                        {id, doc->version + 1, p.SerializeAsString()},
                        doc->version,
                        {member_id}}},
                      "", "", {OrgEvent(member_id, p.name(), event, now, call.trace_id)}));
  *resp->mutable_development_plan() = std::move(p);
  return absl::OkStatus();
}

absl::Status OrgApi::ListDevelopmentPlans(const CallContext& call,
                                          const v1::ListDevelopmentPlansRequest& req,
                                          v1::ListDevelopmentPlansResponse* resp) {
  Violations v;
  std::string member_id = ParseResourceName(v, "member", req.member(), "members");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
  if (!CanSeeDevelopmentPlan(call.principal, found.first, found.second)) {
    return NoTalentAccess(member_id);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> docs,
                            repo_.ListDocs(DocKind::kDevelopmentPlan, member_id));
  for (const auto& d : docs) {
    resp->add_development_plans()->ParseFromString(d.data);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- promotion

absl::Status OrgApi::CreatePromotionTrack(const CallContext& call,
                                          const v1::CreatePromotionTrackRequest& req,
                                          v1::CreatePromotionTrackResponse* resp) {
  const v1::PromotionTrack& in = req.promotion_track();
  Violations v;
  CheckText(v, "promotion_track.display_name", in.display_name(), 1, 100);
  if (!ValidRole(in.from_role())) {
    v.Add("promotion_track.from_role", "required");
  }
  if (!ValidRole(in.to_role())) {
    v.Add("promotion_track.to_role", "required");
  }
  if (!req.promotion_track_id().empty() && !IsValidId(req.promotion_track_id())) {
    v.Add("promotion_track_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  PromotionCriteria c{static_cast<Role>(in.from_role()), static_cast<Role>(in.to_role()),
                      in.min_weighted_score_bp(),        in.min_performance(),
                      in.min_assessed_periods(),         in.require_plan_complete()};
  SALESOPS_RETURN_IF_ERROR(CheckCriteria(c, "promotion_track"));
  const std::string rid = CallerRequestId(call, req.request_id());
  const std::string id = req.promotion_track_id().empty() ? NewUuid() : req.promotion_track_id();
  const absl::Time now = clock_.Now();
  v1::PromotionTrack t = in;
  t.set_name(absl::StrCat("promotionTracks/", id));
  t.set_etag("1");
  v1::PromotionTrackCreated event;
  *event.mutable_promotion_track() = t;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  absl::Status s =
      repo_.WriteDocs({{DocKind::kPromotionTrack, {id, 1, t.SerializeAsString()}, 0, {}}}, rid,
                      t.name(), {OrgEvent(id, t.name(), event, now, call.trace_id)});
  if (ErrorReason(s) == reason::kRequestReplayed || ErrorReason(s) == reason::kResourceExists) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> name, repo_.FindRequest(rid));
    if (name && *name == t.name()) {
      SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> d, repo_.GetDoc(DocKind::kPromotionTrack, id));
      if (d) {
        resp->mutable_promotion_track()->ParseFromString(d->data);
        return absl::OkStatus();
      }
    }
    return AlreadyExists("PROMOTION_TRACK_EXISTS", "the track id or request_id is taken",
                         name.value_or(t.name()));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_promotion_track() = std::move(t);
  return absl::OkStatus();
}

absl::Status OrgApi::ListPromotionTracks(const CallContext& call,
                                         const v1::ListPromotionTracksRequest& req,
                                         v1::ListPromotionTracksResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> docs, repo_.ListDocs(DocKind::kPromotionTrack, ""));
  for (const auto& d : docs) {
    resp->add_promotion_tracks()->ParseFromString(d.data);
  }
  return absl::OkStatus();
}

absl::Status OrgApi::SubmitPromotionRequest(const CallContext& call,
                                            const v1::SubmitPromotionRequestRequest& req,
                                            v1::SubmitPromotionRequestResponse* resp) {
  const v1::PromotionRequest& in = req.promotion_request();
  Violations v;
  std::string member_id = ParseResourceName(v, "promotion_request.member", in.member(), "members");
  std::string track_id =
      ParseResourceName(v, "promotion_request.track", in.track(), "promotionTracks");
  CheckText(v, "promotion_request.justification", in.justification(), 1, 2000);
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const std::string rid = CallerRequestId(call, req.request_id());
  if (!rid.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen, repo_.FindRequest(rid));
    if (seen) {
      SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, "promotionRequests/"));
      v1::GetPromotionRequestRequest get;
      get.set_name(*seen);
      v1::GetPromotionRequestResponse got;
      SALESOPS_RETURN_IF_ERROR(GetPromotionRequest(call, get, &got));
      *resp->mutable_promotion_request() = got.promotion_request();
      return absl::OkStatus();
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
  if (!CanSeeTalent(call.principal, found.first, found.second)) {
    return NoTalentAccess(member_id);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> track_doc,
                            repo_.GetDoc(DocKind::kPromotionTrack, track_id));
  v1::PromotionTrack track;
  if (!track_doc || !track.ParseFromString(track_doc->data)) {
    return InvalidArgument(
        {{"promotion_request.track", absl::StrCat(in.track(), " does not exist")}},
        "PROMOTION_TRACK_NOT_FOUND");
  }
  SALESOPS_ASSIGN_OR_RETURN(v1::TalentConfig config, LoadTalentConfig());
  // Assessments in period order (the config's periods by start date).
  std::map<std::string, std::string> period_start;
  for (const auto& p : config.periods()) {
    period_start[p.id()] = absl::StrFormat("%04d-%02d-%02d", p.start_date().year(),
                                           p.start_date().month(), p.start_date().day());
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> docs, repo_.ListDocs(DocKind::kAssessment, member_id));
  std::vector<std::pair<std::string, TalentScores>> assessed;
  for (const auto& d : docs) {
    v1::Assessment a;
    if (!a.ParseFromString(d.data)) {
      continue;
    }
    assessed.push_back(
        {period_start[a.period()], {a.performance(), a.capability(), a.potential()}});
  }
  std::sort(assessed.begin(), assessed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  CandidateFacts facts;
  facts.role = found.first.role;
  for (const auto& [start, s] : assessed) {
    facts.assessments.push_back(s);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Doc> plans,
                            repo_.ListDocs(DocKind::kDevelopmentPlan, member_id));
  facts.plan_complete = true;
  for (const auto& d : plans) {
    v1::DevelopmentPlan p;
    if (!p.ParseFromString(d.data)) {
      continue;
    }
    for (const auto& it : p.items()) {
      if (it.status() != v1::DEVELOPMENT_ITEM_STATUS_DONE &&
          it.status() != v1::DEVELOPMENT_ITEM_STATUS_CANCELLED) {
        facts.plan_complete = false;
      }
    }
  }
  PromotionCriteria criteria{
      static_cast<Role>(track.from_role()), static_cast<Role>(track.to_role()),
      track.min_weighted_score_bp(),        track.min_performance(),
      track.min_assessed_periods(),         track.require_plan_complete()};
  CriteriaEvaluation eval = EvaluatePromotion(criteria, facts, WeightsOf(config));
  if (!eval.met) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "PROMOTION_CRITERIA_NOT_MET",
                     absl::StrCat(MemberName(member_id), " does not meet ", track.name(), ": ",
                                  absl::StrJoin(eval.lines, "; ")));
  }
  const absl::Time now = clock_.Now();
  const std::string id = NewUuid();
  v1::PromotionRequest r;
  r.set_name(absl::StrCat("promotionRequests/", id));
  r.set_member(MemberName(member_id));
  r.set_track(track.name());
  r.set_state(v1::PROMOTION_REQUEST_STATE_SUBMITTED);
  r.set_justification(in.justification());
  for (const auto& l : eval.lines) {
    r.add_evaluation(l);
  }
  r.set_submitted_by(MemberName(call.principal.member_id));
  *r.mutable_create_time() = ToTimestamp(now);
  *r.mutable_update_time() = ToTimestamp(now);
  r.set_etag("1");
  v1::PromotionRequestSubmitted event;
  *event.mutable_promotion_request() = r;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  SALESOPS_RETURN_IF_ERROR(repo_.WriteDocs(
      {{DocKind::kPromotionRequest, {id, 1, r.SerializeAsString()}, 0, {member_id}}}, rid, r.name(),
      {OrgEvent(member_id, r.name(), event, now, call.trace_id)}));
  *resp->mutable_promotion_request() = std::move(r);
  return absl::OkStatus();
}

namespace {

// Approve or reject: only a SUBMITTED request, never one's own.
template <typename Event>
absl::Status Decide(OrgRepository& repo, const Clock& clock, const CallContext& call,
                    const std::string& name, const std::string& etag, const std::string& note,
                    v1::PromotionRequestState state, v1::PromotionRequest* out) {
  Violations v;
  std::string id = ParseResourceName(v, "name", name, "promotionRequests");
  CheckText(v, "note", note, state == v1::PROMOTION_REQUEST_STATE_REJECTED ? 1 : 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo.GetDoc(DocKind::kPromotionRequest, id));
  v1::PromotionRequest r;
  if (!doc || !r.ParseFromString(doc->data)) {
    return NotFound("PROMOTION_REQUEST_NOT_FOUND", absl::StrCat(name, " does not exist"));
  }
  if (r.member() == MemberName(call.principal.member_id)) {
    return PermissionDenied("SELF_DECISION", "nobody decides on their own promotion");
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(etag, doc->version));
  if (r.state() != v1::PROMOTION_REQUEST_STATE_SUBMITTED) {
    return FailedPrecondition("PROMOTION_REQUEST_DECIDED",
                              absl::StrCat(name, " was already decided"));
  }
  const absl::Time now = clock.Now();
  r.set_state(state);
  r.set_decided_by(MemberName(call.principal.member_id));
  r.set_decision_note(note);
  *r.mutable_update_time() = ToTimestamp(now);
  r.set_etag(absl::StrCat(doc->version + 1));
  Event event;
  *event.mutable_promotion_request() = r;
  *event.mutable_actor() = MakeActor(call.principal, call.trace_id);
  const std::string member_id = r.member().substr(strlen("members/"));
  SALESOPS_RETURN_IF_ERROR(
      repo.WriteDocs({{DocKind::kPromotionRequest,
                       {id, doc->version + 1, r.SerializeAsString()},
                       doc->version,
                       {member_id}}},
                     "", "", {OrgEvent(member_id, r.name(), event, now, call.trace_id)}));
  *out = std::move(r);
  return absl::OkStatus();
}

}  // namespace

absl::Status OrgApi::ApprovePromotionRequest(const CallContext& call,
                                             const v1::ApprovePromotionRequestRequest& req,
                                             v1::ApprovePromotionRequestResponse* resp) {
  return Decide<v1::PromotionRequestApproved>(repo_, clock_, call, req.name(), req.etag(),
                                              req.note(), v1::PROMOTION_REQUEST_STATE_APPROVED,
                                              resp->mutable_promotion_request());
}

absl::Status OrgApi::RejectPromotionRequest(const CallContext& call,
                                            const v1::RejectPromotionRequestRequest& req,
                                            v1::RejectPromotionRequestResponse* resp) {
  return Decide<v1::PromotionRequestRejected>(repo_, clock_, call, req.name(), req.etag(),
                                              req.note(), v1::PROMOTION_REQUEST_STATE_REJECTED,
                                              resp->mutable_promotion_request());
}

absl::Status OrgApi::GetPromotionRequest(const CallContext& call,
                                         const v1::GetPromotionRequestRequest& req,
                                         v1::GetPromotionRequestResponse* resp) {
  Violations v;
  std::string id = ParseResourceName(v, "name", req.name(), "promotionRequests");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kPromotionRequest, id));
  v1::PromotionRequest r;
  if (!doc || !r.ParseFromString(doc->data)) {
    return NotFound("PROMOTION_REQUEST_NOT_FOUND", absl::StrCat(req.name(), " does not exist"));
  }
  const std::string member_id = r.member().substr(strlen("members/"));
  SALESOPS_ASSIGN_OR_RETURN(auto found, MemberWithAncestry(member_id));
  if (!CanSeeTalent(call.principal, found.first, found.second)) {
    return NoTalentAccess(member_id);
  }
  *resp->mutable_promotion_request() = std::move(r);
  return absl::OkStatus();
}

}  // namespace salesops::org
