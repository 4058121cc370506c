// The sales-script library: scripts by scenario, versions that move draft →
// review → published → retired (domain/coaching.h), uses recorded on
// opportunities whose outcomes the credit projection counts per version
// (events/credit_projection.cc), win rates with 95 % Wilson intervals,
// comparison of two versions, ratings, and the 梳理 → 培训 → 评估 stage.
//
// Stored: the script document holds titles, tags, versions and ratings; the
// counts that move with deals and drills live in the script's stats map and
// are joined on read, so a closing deal never rewrites a script.
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/ids/ids.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/performance_api.h"
#include "services/performance/domain/coaching.h"

namespace salesops::performance {
namespace {

constexpr int kMaxTitle = 200;
constexpr int kMaxBody = 20'000;
constexpr int kMaxNote = 500;
constexpr int kMaxTags = 20;
constexpr int kMaxVersions = 100;
constexpr int kMaxScripts = 2'000;
constexpr char kScriptsIndex[] = "scr";

std::string Stored(v1::SalesScript s) {
  // Only what is written: the joined counts are computed on read.
  s.clear_etag();
  s.clear_closed_use_count();
  s.clear_won_use_count();
  s.clear_win_rate_basis_points();
  s.clear_win_rate_low_basis_points();
  s.clear_win_rate_high_basis_points();
  s.clear_cycle_stage();
  s.clear_training_module_count();
  s.clear_drill_count();
  s.clear_average_drill_score_basis_points();
  for (v1::SalesScriptVersion& v : *s.mutable_versions()) {
    v.clear_use_count();
    v.clear_closed_use_count();
    v.clear_won_use_count();
    v.clear_win_rate_basis_points();
    v.clear_win_rate_low_basis_points();
    v.clear_win_rate_high_basis_points();
  }
  return s.SerializeAsString();
}

int64_t Count(const FieldMap& m, const std::string& field) {
  for (const auto& [f, v] : m) {
    int64_t n = 0;
    if (f == field && absl::SimpleAtoi(v, &n)) {
      return n;
    }
  }
  return 0;
}

ScriptState ToDomain(v1::ScriptVersionState s) {
  switch (s) {
    case v1::SCRIPT_VERSION_STATE_IN_REVIEW:
      return ScriptState::kInReview;
    case v1::SCRIPT_VERSION_STATE_PUBLISHED:
      return ScriptState::kPublished;
    case v1::SCRIPT_VERSION_STATE_RETIRED:
      return ScriptState::kRetired;
    default:
      return ScriptState::kDraft;
  }
}

bool Published(const v1::SalesScript& s) {
  return std::any_of(s.versions().begin(), s.versions().end(),
                     [](const auto& v) { return v.state() == v1::SCRIPT_VERSION_STATE_PUBLISHED; });
}

v1::SalesScriptVersion* FindVersion(v1::SalesScript& s, int version) {
  for (v1::SalesScriptVersion& v : *s.mutable_versions()) {
    if (v.version() == version) {
      return &v;
    }
  }
  return nullptr;
}

// What a rep is shown: published and retired versions only; nothing when no
// version was ever published.
bool ShapeForRole(v1::SalesScript& s, Role role) {
  if (role != Role::kRep) {
    return true;
  }
  google::protobuf::RepeatedPtrField<v1::SalesScriptVersion> keep;
  for (const auto& v : s.versions()) {
    if (v.state() == v1::SCRIPT_VERSION_STATE_PUBLISHED ||
        v.state() == v1::SCRIPT_VERSION_STATE_RETIRED) {
      *keep.Add() = v;
    }
  }
  *s.mutable_versions() = std::move(keep);
  return !s.versions().empty();
}

void CheckScriptFields(Violations& v, const v1::SalesScript& s, const std::string& at) {
  if (s.title().empty() || s.title().size() > kMaxTitle) {
    v.Add(at + ".title", absl::StrCat("required, at most ", kMaxTitle, " bytes"));
  }
  if (!v1::ScriptScenario_IsValid(s.scenario()) ||
      s.scenario() == v1::SCRIPT_SCENARIO_UNSPECIFIED) {
    v.Add(at + ".scenario", "required: one of the SCRIPT_SCENARIO_ values");
  }
  if (!s.product_line().empty()) {
    ParseResourceName(v, at + ".product_line", s.product_line(), "orgUnits");
  }
  if (s.tags_size() > kMaxTags) {
    v.Add(at + ".tags", absl::StrCat("at most ", kMaxTags));
  }
  for (int i = 0; i < s.tags_size(); ++i) {
    if (s.tags(i).empty() || s.tags(i).size() > 50) {
      v.Add(absl::StrCat(at, ".tags[", i, "]"), "1..50 bytes");
    }
  }
}

void CheckBody(Violations& v, const std::string& body, const std::string& note) {
  if (body.empty() || body.size() > kMaxBody) {
    v.Add("body", absl::StrCat("required, at most ", kMaxBody, " bytes"));
  }
  if (note.size() > kMaxNote) {
    v.Add("change_note", absl::StrCat("at most ", kMaxNote, " bytes"));
  }
}

}  // namespace

std::string ScriptsByScenarioIndex(absl::string_view scenario) {
  return absl::StrCat("scr|", scenario);
}

void PerformanceApi::DecorateScript(v1::SalesScript& s, const FieldMap& stats) {
  int64_t closed = 0, won = 0;
  for (v1::SalesScriptVersion& v : *s.mutable_versions()) {
    const std::string k = absl::StrCat(v.version(), ":");
    v.set_use_count(Count(stats, k + "uses"));
    v.set_closed_use_count(Count(stats, k + "closed"));
    v.set_won_use_count(Count(stats, k + "won"));
    const Interval i = WilsonInterval(v.won_use_count(), v.closed_use_count());
    v.set_win_rate_basis_points(
        v.closed_use_count() == 0
            ? 0
            : static_cast<int32_t>(v.won_use_count() * 10'000 / v.closed_use_count()));
    v.set_win_rate_low_basis_points(static_cast<int32_t>(i.low_bp));
    v.set_win_rate_high_basis_points(static_cast<int32_t>(i.high_bp));
    closed += v.closed_use_count();
    won += v.won_use_count();
  }
  s.set_closed_use_count(closed);
  s.set_won_use_count(won);
  s.set_win_rate_basis_points(closed == 0 ? 0 : static_cast<int32_t>(won * 10'000 / closed));
  const Interval i = WilsonInterval(won, closed);
  s.set_win_rate_low_basis_points(static_cast<int32_t>(i.low_bp));
  s.set_win_rate_high_basis_points(static_cast<int32_t>(i.high_bp));
  s.set_training_module_count(Count(stats, "modules"));
  s.set_drill_count(Count(stats, "drills"));
  s.set_average_drill_score_basis_points(
      s.drill_count() == 0 ? 0 : static_cast<int32_t>(Count(stats, "drill_sum") / s.drill_count()));
  s.set_cycle_stage(s.drill_count() > 0             ? v1::SCRIPT_CYCLE_STAGE_ASSESSED
                    : s.training_module_count() > 0 ? v1::SCRIPT_CYCLE_STAGE_TRAINING
                    : Published(s)                  ? v1::SCRIPT_CYCLE_STAGE_CATALOGUED
                                                    : v1::SCRIPT_CYCLE_STAGE_UNSPECIFIED);
}

absl::StatusOr<PerformanceApi::Loaded<v1::SalesScript>> PerformanceApi::LoadScript(
    const std::string& field, const std::string& name) {
  Violations v;
  const std::string id = IdOf(v, field, name, "scripts");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto s,
                            Load<v1::SalesScript>(DocKind::kScript, id, name, "SCRIPT_NOT_FOUND"));
  SALESOPS_ASSIGN_OR_RETURN(auto stats, repo_.GetMaps(MapKind::kScriptStats, {id}));
  DecorateScript(s.doc, stats[0]);
  return s;
}

absl::StatusOr<std::string> PerformanceApi::BestScriptFor(const std::string& scenario) {
  if (scenario.empty()) {
    return std::string();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                            repo_.Range(ScriptsByScenarioIndex(scenario), "", "", 200));
  if (ids.empty()) {
    return std::string();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kScript, ids));
  SALESOPS_ASSIGN_OR_RETURN(auto stats, repo_.GetMaps(MapKind::kScriptStats, ids));
  std::string best;
  int64_t best_low = -1;
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::SalesScript s;
    if (!docs[i] || !s.ParseFromString(docs[i]->data)) {
      continue;
    }
    DecorateScript(s, stats[i]);
    v1::SalesScriptVersion* current = FindVersion(s, s.current_version());
    // Only a published current version is ever suggested (retired ones never).
    if (current == nullptr || current->state() != v1::SCRIPT_VERSION_STATE_PUBLISHED) {
      continue;
    }
    // Ranked by the low end of the 95 % interval: proven beats lucky.
    if (current->win_rate_low_basis_points() > best_low) {
      best_low = current->win_rate_low_basis_points();
      best = s.name();
    }
  }
  return best;
}

absl::Status PerformanceApi::CreateSalesScript(const CallContext& call,
                                               const v1::CreateSalesScriptRequest& req,
                                               v1::CreateSalesScriptResponse* resp) {
  Violations v;
  CheckScriptFields(v, req.script(), "script");
  CheckBody(v, req.body(), req.change_note());
  if (!req.script_id().empty() && !IsValidId(req.script_id())) {
    v.Add("script_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "scripts/"));
    SALESOPS_ASSIGN_OR_RETURN(auto s, LoadScript("script", name));
    *resp->mutable_script() = std::move(s.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  const std::string id = req.script_id().empty() ? NewUuid() : req.script_id();
  const absl::Time now = clock_.Now();
  v1::SalesScript s;
  s.set_name(absl::StrCat("scripts/", id));
  s.set_title(req.script().title());
  s.set_scenario(req.script().scenario());
  s.set_product_line(req.script().product_line());
  *s.mutable_tags() = req.script().tags();
  v1::SalesScriptVersion* first = s.add_versions();
  first->set_version(1);
  first->set_body(req.body());
  first->set_change_note(req.change_note());
  first->set_author(MemberName(call.principal.member_id));
  first->set_state(v1::SCRIPT_VERSION_STATE_DRAFT);
  *first->mutable_create_time() = ToTs(now);
  *s.mutable_create_time() = ToTs(now);
  *s.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kScript, id, Stored(s), 0);
  c.AddToIndex(kScriptsIndex, id);
  c.AddToIndex(ScriptsByScenarioIndex(v1::ScriptScenario_Name(s.scenario()).substr(16)), id);
  c.RememberRequest(call.principal.member_id, req.request_id(), s.name());
  v1::ScriptVersionStateChanged e;
  e.set_script(s.name());
  e.set_version(1);
  e.set_to(v1::SCRIPT_VERSION_STATE_DRAFT);
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, s.name(), e, now));
  absl::Status st = repo_.Commit(c);
  if (ErrorReason(st) == reason::kRequestReplayed) {
    return replay(std::string(st.message()));
  }
  if (ErrorReason(st) == reason::kResourceExists) {
    return AlreadyExists("SCRIPT_EXISTS", absl::StrCat(s.name(), " already exists"), s.name());
  }
  SALESOPS_RETURN_IF_ERROR(st);
  DecorateScript(s, {});
  s.set_etag("1");
  *resp->mutable_script() = std::move(s);
  return absl::OkStatus();
}

absl::Status PerformanceApi::GetSalesScript(const CallContext& call,
                                            const v1::GetSalesScriptRequest& req,
                                            v1::GetSalesScriptResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(auto s, LoadScript("name", req.name()));
  if (!ShapeForRole(s.doc, call.principal.role)) {
    return NotFound("SCRIPT_NOT_FOUND",
                    absl::StrCat(QuoteUntrusted(req.name(), 120), " does not exist"));
  }
  *resp->mutable_script() = std::move(s.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListSalesScripts(const CallContext& call,
                                              const v1::ListSalesScriptsRequest& req,
                                              v1::ListSalesScriptsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!v1::ScriptScenario_IsValid(req.scenario())) {
    v.Add("scenario", "unknown scenario");
  }
  if (!req.product_line().empty()) {
    ParseResourceName(v, "product_line", req.product_line(), "orgUnits");
  }
  if (!req.order_by().empty() && req.order_by() != "win_rate desc" &&
      req.order_by() != "rating desc") {
    v.Add("order_by", "\"win_rate desc\", \"rating desc\" or empty (by title)");
  }
  const std::string filter =
      absl::StrCat(req.scenario(), "|", req.product_line(), "|", req.tag(), "|", req.order_by());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  int offset = 0;
  if (cursor && !absl::SimpleAtoi(cursor->after, &offset)) {
    v.Add("page_token", "malformed");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const std::string index =
      req.scenario() == v1::SCRIPT_SCENARIO_UNSPECIFIED
          ? kScriptsIndex
          : ScriptsByScenarioIndex(v1::ScriptScenario_Name(req.scenario()).substr(16));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo_.Range(index, "", "", kMaxScripts));
  SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kScript, ids));
  SALESOPS_ASSIGN_OR_RETURN(auto stats, repo_.GetMaps(MapKind::kScriptStats, ids));
  std::vector<v1::SalesScript> all;
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::SalesScript s;
    if (!docs[i] || !s.ParseFromString(docs[i]->data)) {
      continue;
    }
    if (!req.product_line().empty() && s.product_line() != req.product_line()) {
      continue;
    }
    if (!req.tag().empty() &&
        std::find(s.tags().begin(), s.tags().end(), req.tag()) == s.tags().end()) {
      continue;
    }
    DecorateScript(s, stats[i]);
    if (!ShapeForRole(s, call.principal.role)) {
      continue;
    }
    SetEtag(s, docs[i]->version);
    all.push_back(std::move(s));
  }
  std::stable_sort(all.begin(), all.end(), [&](const v1::SalesScript& a, const v1::SalesScript& b) {
    if (req.order_by() == "win_rate desc") {
      if (a.win_rate_low_basis_points() != b.win_rate_low_basis_points()) {
        return a.win_rate_low_basis_points() > b.win_rate_low_basis_points();
      }
      return a.win_rate_basis_points() > b.win_rate_basis_points();
    }
    if (req.order_by() == "rating desc") {
      // sum/count compared exactly: a.sum × b.count vs b.sum × a.count.
      const int64_t l = a.rating_sum() * std::max<int64_t>(1, b.rating_count());
      const int64_t r = b.rating_sum() * std::max<int64_t>(1, a.rating_count());
      if (l != r) {
        return l > r;
      }
      return a.rating_count() > b.rating_count();
    }
    return a.title() < b.title();
  });
  for (int i = offset; i < static_cast<int>(all.size()) && i < offset + page_size; ++i) {
    v1::SalesScript& s = all[i];
    // Pages stay small: the current version's body only.
    for (v1::SalesScriptVersion& ver : *s.mutable_versions()) {
      if (ver.version() != s.current_version()) {
        ver.clear_body();
      }
    }
    *resp->add_scripts() = std::move(s);
  }
  if (offset + page_size < static_cast<int>(all.size())) {
    resp->set_next_page_token(EncodePageToken({absl::StrCat(offset + page_size), filter}));
  }
  return absl::OkStatus();
}

absl::Status PerformanceApi::AddScriptVersion(const CallContext& call,
                                              const v1::AddScriptVersionRequest& req,
                                              v1::AddScriptVersionResponse* resp) {
  Violations v;
  CheckBody(v, req.body(), req.change_note());
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadScript("script", req.script()));
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, cur.doc.name()));
    *resp->mutable_script() = std::move(cur.doc);
    return absl::OkStatus();
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, cur.doc.name()));
  v1::SalesScript s = cur.doc;
  if (s.versions_size() >= kMaxVersions) {
    return FailedPrecondition("TOO_MANY_VERSIONS",
                              absl::StrCat(s.name(), " has ", kMaxVersions, " versions"));
  }
  int next = 0;
  for (const auto& ver : s.versions()) {
    next = std::max(next, ver.version());
  }
  ++next;
  const absl::Time now = clock_.Now();
  v1::SalesScriptVersion ver;
  ver.set_version(next);
  ver.set_body(req.body());
  ver.set_change_note(req.change_note());
  ver.set_author(MemberName(call.principal.member_id));
  ver.set_state(v1::SCRIPT_VERSION_STATE_DRAFT);
  ver.set_keep_current(req.keep_current());
  *ver.mutable_create_time() = ToTs(now);
  // Newest first.
  s.mutable_versions()->Add(std::move(ver));
  std::rotate(s.mutable_versions()->rbegin(), s.mutable_versions()->rbegin() + 1,
              s.mutable_versions()->rend());
  *s.mutable_update_time() = ToTs(now);
  Change c;
  const std::string id = StripName(s.name());
  c.PutDoc(DocKind::kScript, id, Stored(s), cur.version);
  c.RememberRequest(call.principal.member_id, req.request_id(), s.name());
  v1::ScriptVersionStateChanged e;
  e.set_script(s.name());
  e.set_version(next);
  e.set_to(v1::SCRIPT_VERSION_STATE_DRAFT);
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, s.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  SetEtag(s, cur.version + 1);
  *resp->mutable_script() = std::move(s);
  return absl::OkStatus();
}

absl::Status PerformanceApi::SetScriptVersionState(const CallContext& call,
                                                   const v1::SetScriptVersionStateRequest& req,
                                                   v1::SetScriptVersionStateResponse* resp) {
  Violations v;
  if (req.version() <= 0) {
    v.Add("version", "required: 1, 2, …");
  }
  if (!v1::ScriptVersionState_IsValid(req.state()) ||
      req.state() == v1::SCRIPT_VERSION_STATE_UNSPECIFIED) {
    v.Add("state", "IN_REVIEW, PUBLISHED, RETIRED or DRAFT");
  }
  if (req.note().size() > kMaxNote) {
    v.Add("note", absl::StrCat("at most ", kMaxNote, " bytes"));
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadScript("script", req.script()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, cur.doc.name()));
  v1::SalesScript s = cur.doc;
  v1::SalesScriptVersion* ver = FindVersion(s, req.version());
  if (ver == nullptr) {
    return NotFound("SCRIPT_VERSION_NOT_FOUND",
                    absl::StrCat(s.name(), " has no version ", req.version()));
  }
  const v1::ScriptVersionState from = ver->state();
  SALESOPS_RETURN_IF_ERROR(CheckScriptTransition(ToDomain(from), ToDomain(req.state())));
  const absl::Time now = clock_.Now();
  ver->set_state(req.state());
  if (!req.note().empty()) {
    ver->set_review_note(req.note());
  }
  Change c;
  const std::string id = StripName(s.name());
  if (req.state() == v1::SCRIPT_VERSION_STATE_PUBLISHED) {
    *ver->mutable_publish_time() = ToTs(now);
    v1::SalesScriptVersion* current = FindVersion(s, s.current_version());
    const bool current_live =
        current != nullptr && current->state() == v1::SCRIPT_VERSION_STATE_PUBLISHED;
    if (!ver->keep_current() || !current_live) {
      s.set_current_version(req.version());
    }
    v1::SalesScriptPublished e;
    e.set_script(s.name());
    e.set_title(s.title());
    e.set_scenario(s.scenario());
    *e.mutable_version() = *ver;
    e.set_is_current(s.current_version() == req.version());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(CallEvent(call, id, s.name(), e, now));
  } else {
    if (req.state() == v1::SCRIPT_VERSION_STATE_RETIRED && s.current_version() == req.version()) {
      // The newest other published version takes over, if any.
      int next = 0;
      for (const auto& other : s.versions()) {
        if (other.state() == v1::SCRIPT_VERSION_STATE_PUBLISHED) {
          next = std::max(next, other.version());
        }
      }
      s.set_current_version(next);
    }
    v1::ScriptVersionStateChanged e;
    e.set_script(s.name());
    e.set_version(req.version());
    e.set_from(from);
    e.set_to(req.state());
    e.set_note(req.note());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(CallEvent(call, id, s.name(), e, now));
  }
  *s.mutable_update_time() = ToTs(now);
  c.PutDoc(DocKind::kScript, id, Stored(s), cur.version);
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  SALESOPS_ASSIGN_OR_RETURN(auto fresh, LoadScript("script", s.name()));
  *resp->mutable_script() = std::move(fresh.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::CompareScriptVersions(const CallContext& call,
                                                   const v1::CompareScriptVersionsRequest& req,
                                                   v1::CompareScriptVersionsResponse* resp) {
  Violations v;
  if (req.version_a() <= 0) {
    v.Add("version_a", "required: 1, 2, …");
  }
  if (req.version_b() <= 0) {
    v.Add("version_b", "required: 1, 2, …");
  }
  if (req.version_a() > 0 && req.version_a() == req.version_b()) {
    v.Add("version_b", "must differ from version_a");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadScript("script", req.script()));
  if (!ShapeForRole(cur.doc, call.principal.role)) {
    return NotFound("SCRIPT_NOT_FOUND",
                    absl::StrCat(QuoteUntrusted(req.script(), 120), " does not exist"));
  }
  v1::SalesScriptVersion* a = FindVersion(cur.doc, req.version_a());
  v1::SalesScriptVersion* b = FindVersion(cur.doc, req.version_b());
  if (a == nullptr || b == nullptr) {
    return NotFound("SCRIPT_VERSION_NOT_FOUND",
                    absl::StrCat(cur.doc.name(), " has no version ",
                                 a == nullptr ? req.version_a() : req.version_b()));
  }
  const VersionComparison cmp = CompareWinRates({a->won_use_count(), a->closed_use_count()},
                                                {b->won_use_count(), b->closed_use_count()});
  *resp->mutable_a() = *a;
  *resp->mutable_b() = *b;
  resp->set_difference_basis_points(static_cast<int32_t>(cmp.difference_bp));
  resp->set_significant(cmp.significant);
  resp->set_verdict(cmp.verdict);
  return absl::OkStatus();
}

absl::Status PerformanceApi::RateSalesScript(const CallContext& call,
                                             const v1::RateSalesScriptRequest& req,
                                             v1::RateSalesScriptResponse* resp) {
  Violations v;
  if (req.stars() < 1 || req.stars() > 5) {
    v.Add("stars", "1..5");
  }
  if (req.comment().size() > kMaxNote) {
    v.Add("comment", absl::StrCat("at most ", kMaxNote, " bytes"));
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  for (int attempt = 0;; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadScript("script", req.script()));
    v1::SalesScript shaped = cur.doc;
    if (!ShapeForRole(shaped, call.principal.role)) {
      return NotFound("SCRIPT_NOT_FOUND",
                      absl::StrCat(QuoteUntrusted(req.script(), 120), " does not exist"));
    }
    const std::string id = StripName(cur.doc.name());
    const std::string field = absl::StrCat("r:", call.principal.member_id);
    SALESOPS_ASSIGN_OR_RETURN(auto before, repo_.GetFields(MapKind::kScriptStats, id, {field}));
    int64_t previous = 0;
    if (before[0]) {
      (void)absl::SimpleAtoi(*before[0], &previous);
    }
    v1::SalesScript s = cur.doc;
    if (previous == 0) {
      s.set_rating_count(s.rating_count() + 1);
    }
    s.set_rating_sum(s.rating_sum() - previous + req.stars());
    Change c;
    c.PutDoc(DocKind::kScript, id, Stored(s), cur.version);
    c.SetField(MapKind::kScriptStats, id, field, absl::StrCat(req.stars()));
    absl::Status st = repo_.Commit(c);
    if (ErrorReason(st) == reason::kEtagMismatch && attempt < 4) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(st);
    SetEtag(s, cur.version + 1);
    ShapeForRole(s, call.principal.role);
    *resp->mutable_script() = std::move(s);
    return absl::OkStatus();
  }
}

absl::Status PerformanceApi::RecordScriptUse(const CallContext& call,
                                             const v1::RecordScriptUseRequest& req,
                                             v1::RecordScriptUseResponse* /*resp*/) {
  Violations v;
  if (req.version() < 0) {
    v.Add("version", "0 (the current one) or a version number");
  }
  const std::string opp = IdOf(v, "opportunity", req.opportunity(), "opportunities");
  if (!req.activity().empty()) {
    ParseResourceName(v, "activity", req.activity(), "activities");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto script, LoadScript("script", req.script()));
  const int version = req.version() == 0 ? script.doc.current_version() : req.version();
  v1::SalesScriptVersion* ver = FindVersion(script.doc, version);
  if (ver == nullptr) {
    return NotFound("SCRIPT_VERSION_NOT_FOUND",
                    absl::StrCat(script.doc.name(), " has no ",
                                 req.version() == 0 ? "published current version"
                                                    : absl::StrCat("version ", version)));
  }
  if (ver->state() != v1::SCRIPT_VERSION_STATE_PUBLISHED) {
    return FailedPrecondition(ver->state() == v1::SCRIPT_VERSION_STATE_RETIRED
                                  ? "SCRIPT_VERSION_RETIRED"
                                  : "SCRIPT_VERSION_NOT_PUBLISHED",
                              absl::StrCat(script.doc.name(), " version ", version, " is ",
                                           v1::ScriptVersionState_Name(ver->state())));
  }
  // The opportunity as the projection knows it (its owner decides who may record).
  SALESOPS_ASSIGN_OR_RETURN(auto opp_map, repo_.GetMaps(MapKind::kOpportunity, {opp}));
  v1::StoredOpportunity o;
  bool known = false;
  for (const auto& [f, value] : opp_map[0]) {
    if (f == "s") {
      known = o.ParseFromString(value);
    }
  }
  if (!known) {
    return NotFound("OPPORTUNITY_NOT_FOUND",
                    absl::StrCat(QuoteUntrusted(req.opportunity(), 120),
                                 " is not known to the performance service (yet)"));
  }
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, o.owner()));
  if (!ok) {
    return DenyAccess(req.opportunity());
  }
  const std::string id = StripName(script.doc.name());
  const std::string use = absl::StrCat(id, "|", version);
  for (int attempt = 0;; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(auto fields,
                              repo_.GetFields(MapKind::kScriptUses, opp, {use, "!outcome"}));
    if (fields[0]) {
      return absl::OkStatus();  // recorded before: once per script version and deal
    }
    const std::string outcome = fields[1].value_or("");
    const absl::Time now = clock_.Now();
    Change c;
    // The outcome read is the outcome counted: a close applied meanwhile
    // fails this guard, and the projection's guard on the revision below
    // makes it re-read the uses (events/credit_projection.cc).
    c.ExpectField(MapKind::kScriptUses, opp, "!outcome", outcome);
    c.SetField(MapKind::kScriptUses, opp, use, "1");
    c.AddToField(MapKind::kRevisions, "", absl::StrCat("u|", opp), 1);
    const std::string k = absl::StrCat(version, ":");
    c.AddToField(MapKind::kScriptStats, id, k + "uses", 1);
    if (!outcome.empty()) {
      c.AddToField(MapKind::kScriptStats, id, k + "closed", 1);
      if (outcome == "won") {
        c.AddToField(MapKind::kScriptStats, id, k + "won", 1);
      }
    }
    v1::ScriptUseRecorded e;
    e.set_script(script.doc.name());
    e.set_version(version);
    e.set_opportunity(req.opportunity());
    e.set_activity(req.activity());
    e.set_member(MemberName(o.owner()));
    *e.mutable_actor() = ActorOf(call);
    c.Emit(CallEvent(call, id, script.doc.name(), e, now));
    absl::Status st = repo_.Commit(c);
    if (ErrorReason(st) == reason::kEtagMismatch && attempt < 4) {
      continue;
    }
    return st;
  }
}

}  // namespace salesops::performance
