// Product and marketing to sales: launches (drafted, then announced to the
// affected teams with a briefing), market insights, and campaigns whose leads
// marketing hands to reps with a first-contact SLA, tracked to outcome.
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/server/api_support.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/api/api_util.h"
#include "services/sync/api/sync_api.h"
#include "services/sync/domain/workflow.h"

namespace salesops::sync {
namespace {

template <typename M>
M WithEtag(M m, int64_t version) {
  m.set_etag(absl::StrCat(version));
  return m;
}

void CheckAudience(Violations& v, const std::string& p, const v1::Audience& a) {
  if (CheckCount(v, p + ".org_units", a.org_units(), 100)) {
    for (int i = 0; i < a.org_units_size(); ++i) {
      ParseResourceName(v, absl::StrCat(p, ".org_units[", i, "]"), a.org_units(i), kUnitColl);
    }
  }
  if (CheckCount(v, p + ".customer_types", a.customer_types(), 20)) {
    for (int i = 0; i < a.customer_types_size(); ++i) {
      CheckText(v, absl::StrCat(p, ".customer_types[", i, "]"), a.customer_types(i), 1, 50);
    }
  }
  if (CheckCount(v, p + ".industries", a.industries(), 50)) {
    for (int i = 0; i < a.industries_size(); ++i) {
      CheckText(v, absl::StrCat(p, ".industries[", i, "]"), a.industries(i), 1, 50);
    }
  }
  if (CheckCount(v, p + ".customer_tiers", a.customer_tiers(), 4)) {
    for (int i = 0; i < a.customer_tiers_size(); ++i) {
      const int t = a.customer_tiers(i);
      if (t < 1 || t > 4) {
        v.Add(absl::StrCat(p, ".customer_tiers[", i, "]"), "a tier S, A, B or C");
      }
    }
  }
}

void CheckLaunch(Violations& v, const v1::ProductLaunch& l) {
  ParseResourceName(v, "launch.product_line", l.product_line(), kUnitColl);
  CheckText(v, "launch.title", l.title(), 1, 200);
  CheckText(v, "launch.summary", l.summary(), 0, 2000);
  CheckText(v, "launch.briefing", l.briefing(), 0, 20000);
  CheckText(v, "launch.pricing_note", l.pricing_note(), 0, 2000);
  if (l.kind() == v1::LAUNCH_KIND_UNSPECIFIED || !v1::LaunchKind_IsValid(l.kind())) {
    v.Add("launch.kind", "required: NEW_PRODUCT, NEW_VERSION or PRICE_CHANGE");
  }
  if (l.has_launch_date()) {
    CheckDate(v, "launch.launch_date", l.launch_date());
  }
  CheckAudience(v, "launch.audience", l.audience());
  if (CheckCount(v, "launch.selling_points", l.selling_points(), 20)) {
    for (int i = 0; i < l.selling_points_size(); ++i) {
      CheckText(v, absl::StrCat("launch.selling_points[", i, "]"), l.selling_points(i), 1, 200);
    }
  }
  if (CheckCount(v, "launch.materials", l.materials(), 20)) {
    for (int i = 0; i < l.materials_size(); ++i) {
      const std::string p = absl::StrCat("launch.materials[", i, "]");
      CheckText(v, p + ".title", l.materials(i).title(), 1, 200);
      CheckHttpsUrl(v, p + ".url", l.materials(i).url());
    }
  }
}

// Whether an audience includes the viewer (no units = everyone).
bool ForViewer(const v1::Audience& a, const Viewer& viewer) {
  if (a.org_units().empty()) {
    return true;
  }
  for (const std::string& u : a.org_units()) {
    if (viewer.Within(IdOf(u))) {
      return true;
    }
  }
  return false;
}

std::string StatsKey(const std::string& campaign_id) {
  return absl::StrCat("campaign:stats:", campaign_id);
}

absl::Status DenyManage(const char* what) { return PermissionDenied("NOT_YOUR_DEPARTMENT", what); }

}  // namespace

// ---------------------------------------------------------------- launches

absl::Status SyncApi::CreateLaunch(const CallContext& call, const v1::CreateLaunchRequest& req,
                                   v1::CreateLaunchResponse* resp) {
  v1::ProductLaunch l = req.launch();
  ClearOutputOnly(&l);
  Violations v;
  CheckLaunch(v, l);
  if (!req.launch_id().empty() && !IsValidId(req.launch_id())) {
    v.Add("launch_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!CanManageLaunches(viewer)) {
    return DenyManage("launches are written by the product and marketing departments");
  }
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "launches/"));
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::ProductLaunch>(repo_, DocKind::kLaunch, IdOf(stored),
                                                          "LAUNCH_NOT_FOUND", stored));
    *resp->mutable_launch() = WithEtag(got.doc, got.version);
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  const absl::Time now = clock_.Now();
  const std::string id = req.launch_id().empty() ? NewId() : req.launch_id();
  l.set_name(Name(kLaunchColl, id));
  l.set_state(v1::LAUNCH_STATE_DRAFT);
  l.set_author(Name(kMemberColl, caller));
  *l.mutable_create_time() = ToTs(now);
  *l.mutable_update_time() = ToTs(now);
  Change c;
  c.Put(DocKind::kLaunch, id, l, 0);
  const std::string entry = Entry(NewestFirst(now), id);
  c.Index(Ix("launch:all"), entry);
  c.Index(Ix("launch:pl:", IdOf(l.product_line())), entry);
  if (!req.request_id().empty()) {
    c.Remember(caller, req.request_id(), l.name());
  }
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
      return *r;
    }
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("LAUNCH_EXISTS", absl::StrCat(l.name(), " already exists"), l.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_launch() = WithEtag(l, 1);
  return absl::OkStatus();
}

absl::Status SyncApi::GetLaunch(const CallContext& call, const v1::GetLaunchRequest& req,
                                v1::GetLaunchResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kLaunchColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::ProductLaunch>(repo_, DocKind::kLaunch, id,
                                                                  "LAUNCH_NOT_FOUND", req.name()));
  // A draft is not there for anyone outside product and marketing.
  if (!CanReadLaunch(viewer, got.doc)) {
    return NotFound("LAUNCH_NOT_FOUND", absl::StrCat(req.name(), " does not exist"));
  }
  *resp->mutable_launch() = WithEtag(got.doc, got.version);
  return absl::OkStatus();
}

absl::Status SyncApi::ListLaunches(const CallContext& call, const v1::ListLaunchesRequest& req,
                                   v1::ListLaunchesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string pl;
  if (!req.product_line().empty()) {
    pl = ParseResourceName(v, "product_line", req.product_line(), kUnitColl);
  }
  if (!v1::LaunchState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter = absl::StrCat(req.product_line(), "|", req.state(), "|", req.for_me());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  auto keep = [&](const v1::ProductLaunch& l) {
    return CanReadLaunch(viewer, l) && (req.state() == 0 || l.state() == req.state()) &&
           (!req.for_me() || ForViewer(l.audience(), viewer));
  };
  std::vector<Loaded<v1::ProductLaunch>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::ProductLaunch>(
      repo_, call, DocKind::kLaunch, pl.empty() ? Ix("launch:all") : Ix("launch:pl:", pl), cursor,
      page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_launches() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::UpdateLaunch(const CallContext& call, const v1::UpdateLaunchRequest& req,
                                   v1::UpdateLaunchResponse* resp) {
  v1::ProductLaunch in = req.launch();
  ClearOutputOnly(&in);
  Violations v;
  const std::string id = ParseResourceName(v, "launch.name", req.launch().name(), kLaunchColl);
  static const std::set<std::string> kPaths = {
      "product_line",   "title",        "summary",   "launch_date", "audience",
      "selling_points", "pricing_note", "materials", "kind",        "briefing"};
  if (req.update_mask().paths().empty()) {
    v.Add("update_mask", "name the fields to change");
  }
  for (const std::string& p : req.update_mask().paths()) {
    if (kPaths.count(p) == 0) {
      v.Add("update_mask", absl::StrCat("cannot change ", p));
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!CanManageLaunches(viewer)) {
    return DenyManage("launches are written by the product and marketing departments");
  }
  return WithRetry(!in.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(
        auto got, MustLoad<v1::ProductLaunch>(repo_, DocKind::kLaunch, id, "LAUNCH_NOT_FOUND",
                                              req.launch().name()));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), got.version, req.launch().name()));
    if (got.doc.state() != v1::LAUNCH_STATE_DRAFT) {
      return FailedPrecondition("LAUNCH_ANNOUNCED", "only a draft launch can be changed");
    }
    v1::ProductLaunch l = got.doc;
    for (const std::string& p : req.update_mask().paths()) {
      if (p == "product_line") {
        l.set_product_line(in.product_line());
      }
      if (p == "title") {
        l.set_title(in.title());
      }
      if (p == "summary") {
        l.set_summary(in.summary());
      }
      if (p == "launch_date") {
        *l.mutable_launch_date() = in.launch_date();
      }
      if (p == "audience") {
        *l.mutable_audience() = in.audience();
      }
      if (p == "selling_points") {
        *l.mutable_selling_points() = in.selling_points();
      }
      if (p == "pricing_note") {
        l.set_pricing_note(in.pricing_note());
      }
      if (p == "materials") {
        *l.mutable_materials() = in.materials();
      }
      if (p == "kind") {
        l.set_kind(in.kind());
      }
      if (p == "briefing") {
        l.set_briefing(in.briefing());
      }
    }
    Violations after;
    CheckLaunch(after, l);
    SALESOPS_RETURN_IF_ERROR(after.Finish());
    const absl::Time now = clock_.Now();
    *l.mutable_update_time() = ToTs(now);
    l.clear_etag();
    Change c;
    c.Put(DocKind::kLaunch, id, l, got.version);
    if (l.product_line() != got.doc.product_line()) {
      const std::string entry = Entry(NewestFirst(FromTs(l.create_time())), id);
      c.Unindex(Ix("launch:pl:", IdOf(got.doc.product_line())), entry);
      c.Index(Ix("launch:pl:", IdOf(l.product_line())), entry);
    }
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_launch() = WithEtag(l, got.version + 1);
    return absl::OkStatus();
  });
}

absl::Status SyncApi::AnnounceLaunch(const CallContext& call, const v1::AnnounceLaunchRequest& req,
                                     v1::AnnounceLaunchResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kLaunchColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!CanManageLaunches(viewer)) {
    return DenyManage("launches are announced by the product and marketing departments");
  }
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(
        auto got,
        MustLoad<v1::ProductLaunch>(repo_, DocKind::kLaunch, id, "LAUNCH_NOT_FOUND", req.name()));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    if (got.doc.state() != v1::LAUNCH_STATE_DRAFT) {
      return FailedPrecondition("LAUNCH_ANNOUNCED", "the launch was announced already");
    }
    const absl::Time now = clock_.Now();
    v1::ProductLaunch l = got.doc;
    l.set_state(v1::LAUNCH_STATE_ANNOUNCED);
    *l.mutable_announce_time() = ToTs(now);
    *l.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kLaunch, id, l, got.version);
    v1::LaunchAnnounced e;
    *e.mutable_launch() = l;
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, l.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_launch() = WithEtag(l, got.version + 1);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------- insights

absl::Status SyncApi::PublishInsight(const CallContext& call, const v1::PublishInsightRequest& req,
                                     v1::PublishInsightResponse* resp) {
  v1::MarketInsight in = req.insight();
  ClearOutputOnly(&in);
  Violations v;
  if (in.kind() == v1::INSIGHT_KIND_UNSPECIFIED || !v1::InsightKind_IsValid(in.kind())) {
    v.Add("insight.kind", "required");
  }
  CheckText(v, "insight.title", in.title(), 1, 200);
  CheckText(v, "insight.body", in.body(), 0, 20000);
  CheckText(v, "insight.source", in.source(), 0, 500);
  if (CheckCount(v, "insight.product_lines", in.product_lines(), 20)) {
    for (int i = 0; i < in.product_lines_size(); ++i) {
      ParseResourceName(v, absl::StrCat("insight.product_lines[", i, "]"), in.product_lines(i),
                        kUnitColl);
    }
  }
  CheckAudience(v, "insight.audience", in.audience());
  if (in.has_valid_until()) {
    CheckDate(v, "insight.valid_until", in.valid_until());
  }
  if (!req.insight_id().empty() && !IsValidId(req.insight_id())) {
    v.Add("insight_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!CanPublishInsight(viewer)) {
    return DenyManage("insights are published by marketing, product, managers and above");
  }
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "insights/"));
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::MarketInsight>(repo_, DocKind::kInsight, IdOf(stored),
                                                          "INSIGHT_NOT_FOUND", stored));
    *resp->mutable_insight() = WithEtag(got.doc, got.version);
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  const absl::Time now = clock_.Now();
  const std::string id = req.insight_id().empty() ? NewId() : req.insight_id();
  in.set_name(Name(kInsightColl, id));
  in.set_author(Name(kMemberColl, caller));
  in.set_author_department(Name(kUnitColl, call.principal.org_unit_id));
  in.set_state(v1::INSIGHT_STATE_PUBLISHED);
  *in.mutable_publish_time() = ToTs(now);
  *in.mutable_update_time() = ToTs(now);
  Change c;
  c.Put(DocKind::kInsight, id, in, 0);
  c.Index(Ix("insight:all"), Entry(NewestFirst(now), id));
  v1::InsightPublished e;
  *e.mutable_insight() = in;
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
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("INSIGHT_EXISTS", absl::StrCat(in.name(), " already exists"), in.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_insight() = WithEtag(in, 1);
  return absl::OkStatus();
}

absl::Status SyncApi::GetInsight(const CallContext& call, const v1::GetInsightRequest& req,
                                 v1::GetInsightResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kInsightColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::MarketInsight>(repo_, DocKind::kInsight, id,
                                                                  "INSIGHT_NOT_FOUND", req.name()));
  *resp->mutable_insight() = WithEtag(got.doc, got.version);
  return absl::OkStatus();
}

absl::Status SyncApi::ListInsights(const CallContext& call, const v1::ListInsightsRequest& req,
                                   v1::ListInsightsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!v1::InsightKind_IsValid(req.kind())) {
    v.Add("kind", "unknown kind");
  }
  if (!v1::InsightState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  if (!req.product_line().empty()) {
    ParseResourceName(v, "product_line", req.product_line(), kUnitColl);
  }
  const std::string filter =
      absl::StrCat(req.kind(), "|", req.product_line(), "|", req.state(), "|", req.for_me());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), options_.tz);
  auto keep = [&](const v1::MarketInsight& in) {
    if (req.state() != 0) {
      if (in.state() != req.state()) {
        return false;
      }
    } else {
      if (in.state() == v1::INSIGHT_STATE_ARCHIVED) {
        return false;
      }
      const auto& d = in.valid_until();
      if (in.has_valid_until() && absl::CivilDay(d.year(), d.month(), d.day()) < today) {
        return false;
      }
    }
    if (req.kind() != 0 && in.kind() != req.kind()) {
      return false;
    }
    if (!req.product_line().empty() &&
        std::find(in.product_lines().begin(), in.product_lines().end(), req.product_line()) ==
            in.product_lines().end()) {
      return false;
    }
    return !req.for_me() || ForViewer(in.audience(), viewer);
  };
  std::vector<Loaded<v1::MarketInsight>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::MarketInsight>(repo_, call, DocKind::kInsight,
                                                       Ix("insight:all"), cursor, page_size, filter,
                                                       keep, &page, &next));
  for (auto& l : page) {
    *resp->add_insights() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::ArchiveInsight(const CallContext& call, const v1::ArchiveInsightRequest& req,
                                     v1::ArchiveInsightResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kInsightColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(
        auto got,
        MustLoad<v1::MarketInsight>(repo_, DocKind::kInsight, id, "INSIGHT_NOT_FOUND", req.name()));
    if (call.principal.role != Role::kAdmin &&
        got.doc.author() != Name(kMemberColl, call.principal.member_id)) {
      return PermissionDenied("NOT_AUTHOR", "only its author or an admin archives an insight");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    if (got.doc.state() == v1::INSIGHT_STATE_ARCHIVED) {
      return FailedPrecondition("INSIGHT_ARCHIVED", "the insight is archived already");
    }
    const absl::Time now = clock_.Now();
    v1::MarketInsight in = got.doc;
    in.set_state(v1::INSIGHT_STATE_ARCHIVED);
    *in.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kInsight, id, in, got.version);
    v1::InsightArchived e;
    e.set_insight(in.name());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, in.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_insight() = WithEtag(in, got.version + 1);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------- campaigns and leads

namespace {

absl::StatusOr<v1::Campaign> WithStats(SyncRepository& repo, v1::Campaign c, int64_t version) {
  SALESOPS_ASSIGN_OR_RETURN(auto stats, repo.Counters(StatsKey(IdOf(c.name()))));
  auto get = [&](const char* k) { return static_cast<int32_t>(stats[k]); };
  v1::LeadStats* s = c.mutable_stats();
  s->set_handed_over(get("handed_over"));
  s->set_contacted(get("contacted"));
  s->set_overdue(get("overdue"));
  s->set_qualified(get("qualified"));
  s->set_won(get("won"));
  s->set_lost(get("lost"));
  s->set_disqualified(get("disqualified"));
  c.set_etag(absl::StrCat(version));
  return c;
}

void CheckPhone(Violations& v, const std::string& field, const std::string& phone) {
  if (phone.size() > 32) {
    v.Add(field, "at most 32 characters");
  }
  for (char ch : phone) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(ch)) && ch != ' ' && ch != '+' &&
        ch != '-') {
      v.Add(field, "digits, spaces, '+' and '-' only");
      return;
    }
  }
}

}  // namespace

absl::Status SyncApi::CreateCampaign(const CallContext& call, const v1::CreateCampaignRequest& req,
                                     v1::CreateCampaignResponse* resp) {
  v1::Campaign in = req.campaign();
  ClearOutputOnly(&in);
  Violations v;
  CheckText(v, "campaign.title", in.title(), 1, 200);
  CheckText(v, "campaign.description", in.description(), 0, 5000);
  if (!in.product_line().empty()) {
    ParseResourceName(v, "campaign.product_line", in.product_line(), kUnitColl);
  }
  if (in.first_contact_sla_hours() < 1 || in.first_contact_sla_hours() > 720) {
    v.Add("campaign.first_contact_sla_hours", "required: 1..720");
  }
  if (in.has_start_date()) {
    CheckDate(v, "campaign.start_date", in.start_date());
  }
  if (in.has_end_date()) {
    CheckDate(v, "campaign.end_date", in.end_date());
  }
  if (!req.campaign_id().empty() && !IsValidId(req.campaign_id())) {
    v.Add("campaign_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!CanManageCampaigns(viewer)) {
    return DenyManage("campaigns are run by the marketing department");
  }
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "campaigns/"));
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::Campaign>(repo_, DocKind::kCampaign, IdOf(stored),
                                                     "CAMPAIGN_NOT_FOUND", stored));
    SALESOPS_ASSIGN_OR_RETURN(*resp->mutable_campaign(), WithStats(repo_, got.doc, got.version));
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  const absl::Time now = clock_.Now();
  const std::string id = req.campaign_id().empty() ? NewId() : req.campaign_id();
  in.set_name(Name(kCampaignColl, id));
  in.set_state(v1::CAMPAIGN_STATE_ACTIVE);
  in.set_author(Name(kMemberColl, caller));
  *in.mutable_create_time() = ToTs(now);
  *in.mutable_update_time() = ToTs(now);
  Change c;
  c.Put(DocKind::kCampaign, id, in, 0);
  c.Index(Ix("campaign:all"), Entry(NewestFirst(now), id));
  v1::CampaignCreated e;
  *e.mutable_campaign() = in;
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
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("CAMPAIGN_EXISTS", absl::StrCat(in.name(), " already exists"), in.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  SALESOPS_ASSIGN_OR_RETURN(*resp->mutable_campaign(), WithStats(repo_, in, 1));
  return absl::OkStatus();
}

absl::Status SyncApi::GetCampaign(const CallContext& call, const v1::GetCampaignRequest& req,
                                  v1::GetCampaignResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kCampaignColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::Campaign>(repo_, DocKind::kCampaign, id,
                                                             "CAMPAIGN_NOT_FOUND", req.name()));
  SALESOPS_ASSIGN_OR_RETURN(*resp->mutable_campaign(), WithStats(repo_, got.doc, got.version));
  return absl::OkStatus();
}

absl::Status SyncApi::ListCampaigns(const CallContext& call, const v1::ListCampaignsRequest& req,
                                    v1::ListCampaignsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!v1::CampaignState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter = absl::StrCat(req.state());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  auto keep = [&](const v1::Campaign& c) { return req.state() == 0 || c.state() == req.state(); };
  std::vector<Loaded<v1::Campaign>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::Campaign>(repo_, call, DocKind::kCampaign,
                                                  Ix("campaign:all"), cursor, page_size, filter,
                                                  keep, &page, &next));
  for (auto& l : page) {
    SALESOPS_ASSIGN_OR_RETURN(*resp->add_campaigns(), WithStats(repo_, l.doc, l.version));
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::HandOverLeads(const CallContext& call, const v1::HandOverLeadsRequest& req,
                                    v1::HandOverLeadsResponse* resp) {
  Violations v;
  const std::string campaign_id = ParseResourceName(v, "campaign", req.campaign(), kCampaignColl);
  if (req.leads().empty()) {
    v.Add("leads", "1..500 leads");
  }
  std::vector<v1::CampaignLead> leads;
  if (CheckCount(v, "leads", req.leads(), 500)) {
    for (int i = 0; i < req.leads_size(); ++i) {
      v1::CampaignLead l = req.leads(i);
      ClearOutputOnly(&l);
      const std::string p = absl::StrCat("leads[", i, "]");
      CheckText(v, p + ".company_name", l.company_name(), 1, 200);
      CheckText(v, p + ".contact_name", l.contact_name(), 0, 100);
      CheckPhone(v, p + ".contact_phone", l.contact_phone());
      if (!l.customer().empty()) {
        ParseResourceName(v, p + ".customer", l.customer(), kCustomerColl);
      }
      ParseResourceName(v, p + ".assigned_rep", l.assigned_rep(), kMemberColl);
      CheckText(v, p + ".note", l.note(), 0, 2000);
      leads.push_back(std::move(l));
    }
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!CanManageCampaigns(viewer)) {
    return DenyManage("leads are handed over by the marketing department");
  }
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "leads/"));
    for (absl::string_view name : absl::StrSplit(stored, ',')) {
      SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "leads/"));
      SALESOPS_ASSIGN_OR_RETURN(
          auto got, MustLoad<v1::CampaignLead>(repo_, DocKind::kLead, IdOf(name), "LEAD_NOT_FOUND",
                                               std::string(name)));
      if (got.doc.campaign() != req.campaign()) {
        return RequestIdReused();
      }
      *resp->add_leads() = WithEtag(got.doc, got.version);
    }
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  SALESOPS_ASSIGN_OR_RETURN(auto campaign,
                            MustLoad<v1::Campaign>(repo_, DocKind::kCampaign, campaign_id,
                                                   "CAMPAIGN_NOT_FOUND", req.campaign()));
  if (campaign.doc.state() != v1::CAMPAIGN_STATE_ACTIVE) {
    return FailedPrecondition("CAMPAIGN_CLOSED", "the campaign is closed");
  }
  const absl::Time now = clock_.Now();
  const absl::Time due = now + absl::Hours(campaign.doc.first_contact_sla_hours());
  Change c;
  std::vector<std::string> names;
  for (size_t i = 0; i < leads.size(); ++i) {
    v1::CampaignLead& l = leads[i];
    const std::string rep = IdOf(l.assigned_rep());
    SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m, directory_.Member(rep));
    if (!m || m->left) {
      v.Add(absl::StrCat("leads[", i, "].assigned_rep"), "not a current member");
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(std::string region, directory_.RegionOf(m->team));
    const std::string id = NewId();
    l.set_name(Name(kLeadColl, id));
    l.set_campaign(req.campaign());
    l.set_team(Name(kUnitColl, m->team));
    l.set_region(Name(kUnitColl, region));
    l.set_state(v1::LEAD_STATE_HANDED_OVER);
    *l.mutable_first_contact_due_time() = ToTs(due);
    *l.mutable_create_time() = ToTs(now);
    *l.mutable_update_time() = ToTs(now);
    c.Put(DocKind::kLead, id, l, 0);
    const std::string entry = Entry(NewestFirst(now), absl::StrCat(id));
    c.Index(Ix("lead:all"), entry);
    c.Index(Ix("lead:campaign:", campaign_id), entry);
    c.Index(Ix("lead:rep:", rep), entry);
    c.Index(Ix("lead:team:", m->team), entry);
    if (!region.empty()) {
      c.Index(Ix("lead:region:", region), entry);
    }
    c.Schedule(kLeadDue, id, absl::ToUnixSeconds(due));
    v1::LeadHandedOver e;
    *e.mutable_lead() = l;
    e.set_campaign_title(campaign.doc.title());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, l.name(), e, now, &call), kSyncTopic);
    names.push_back(l.name());
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  c.Count(StatsKey(campaign_id), "handed_over", static_cast<int64_t>(leads.size()));
  if (!req.request_id().empty()) {
    c.Remember(caller, req.request_id(), absl::StrJoin(names, ","));
  }
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
      return *r;
    }
  }
  SALESOPS_RETURN_IF_ERROR(s);
  for (v1::CampaignLead& l : leads) {
    *resp->add_leads() = WithEtag(std::move(l), 1);
  }
  return absl::OkStatus();
}

absl::Status SyncApi::GetLead(const CallContext& call, const v1::GetLeadRequest& req,
                              v1::GetLeadResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kLeadColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::CampaignLead>(repo_, DocKind::kLead, id,
                                                                 "LEAD_NOT_FOUND", req.name()));
  if (!CanReadLead(viewer, got.doc)) {
    return PermissionDenied("NOT_IN_SCOPE", absl::StrCat("you may not read ", req.name()));
  }
  *resp->mutable_lead() = WithEtag(got.doc, got.version);
  return absl::OkStatus();
}

absl::Status SyncApi::ListLeads(const CallContext& call, const v1::ListLeadsRequest& req,
                                v1::ListLeadsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string campaign, rep;
  if (!req.campaign().empty()) {
    campaign = ParseResourceName(v, "campaign", req.campaign(), kCampaignColl);
  }
  if (!req.assigned_rep().empty()) {
    rep = ParseResourceName(v, "assigned_rep", req.assigned_rep(), kMemberColl);
  }
  if (!v1::LeadState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter = absl::StrCat(req.campaign(), "|", req.assigned_rep(), "|", req.state(),
                                          "|", req.overdue_only());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string& unit = call.principal.org_unit_id;
  std::string index;
  if (!campaign.empty()) {
    index = Ix("lead:campaign:", campaign);
  } else if (!rep.empty()) {
    index = Ix("lead:rep:", rep);
  } else if (viewer.SeesAll() || viewer.department == v1::DEPARTMENT_MARKETING) {
    index = Ix("lead:all");
  } else if (call.principal.role == Role::kManager && !unit.empty()) {
    index = Ix("lead:region:", unit);
  } else if (call.principal.role == Role::kSupervisor && !unit.empty()) {
    index = Ix("lead:team:", unit);
  } else {
    index = Ix("lead:rep:", call.principal.member_id);
  }
  auto keep = [&](const v1::CampaignLead& l) {
    return (req.state() == 0 || l.state() == req.state()) && (!req.overdue_only() || l.overdue()) &&
           (req.assigned_rep().empty() || l.assigned_rep() == req.assigned_rep()) &&
           CanReadLead(viewer, l);
  };
  std::vector<Loaded<v1::CampaignLead>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::CampaignLead>(repo_, call, DocKind::kLead, index, cursor,
                                                      page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_leads() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::RecordLeadContact(const CallContext& call,
                                        const v1::RecordLeadContactRequest& req,
                                        v1::RecordLeadContactResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kLeadColl);
  CheckText(v, "note", req.note(), 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::CampaignLead>(repo_, DocKind::kLead, id,
                                                                   "LEAD_NOT_FOUND", req.name()));
    if (!CanWorkLead(viewer, got.doc)) {
      return PermissionDenied("NOT_IN_SCOPE", "the assigned rep and their line work a lead");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    SALESOPS_RETURN_IF_ERROR(CheckLeadStep(got.doc.state(), v1::LEAD_STATE_CONTACTED));
    const absl::Time now = clock_.Now();
    v1::CampaignLead l = got.doc;
    l.set_state(v1::LEAD_STATE_CONTACTED);
    *l.mutable_first_contact_time() = ToTs(now);
    if (!req.note().empty()) {
      l.set_outcome_note(req.note());
    }
    *l.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kLead, id, l, got.version);
    c.Unschedule(kLeadDue, id);
    c.Count(StatsKey(IdOf(l.campaign())), "contacted", 1);
    v1::LeadContacted e;
    *e.mutable_lead() = l;
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, l.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_lead() = WithEtag(l, got.version + 1);
    return absl::OkStatus();
  });
}

absl::Status SyncApi::UpdateLeadOutcome(const CallContext& call,
                                        const v1::UpdateLeadOutcomeRequest& req,
                                        v1::UpdateLeadOutcomeResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kLeadColl);
  std::string opp;
  if (req.state() == v1::LEAD_STATE_QUALIFIED) {
    opp = ParseResourceName(v, "opportunity", req.opportunity(), kOpportunityColl);
  } else if (req.state() == v1::LEAD_STATE_DISQUALIFIED) {
    if (!req.opportunity().empty()) {
      v.Add("opportunity", "only with LEAD_STATE_QUALIFIED");
    }
  } else {
    v.Add("state", "LEAD_STATE_QUALIFIED or LEAD_STATE_DISQUALIFIED");
  }
  CheckText(v, "note", req.note(), 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::CampaignLead>(repo_, DocKind::kLead, id,
                                                                   "LEAD_NOT_FOUND", req.name()));
    if (!CanWorkLead(viewer, got.doc)) {
      return PermissionDenied("NOT_IN_SCOPE", "the assigned rep and their line work a lead");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    SALESOPS_RETURN_IF_ERROR(CheckLeadStep(got.doc.state(), req.state()));
    const absl::Time now = clock_.Now();
    v1::CampaignLead l = got.doc;
    const v1::LeadState previous = l.state();
    l.set_state(req.state());
    l.set_opportunity(req.opportunity());
    if (!req.note().empty()) {
      l.set_outcome_note(req.note());
    }
    *l.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kLead, id, l, got.version);
    c.Unschedule(kLeadDue, id);
    // The deal's Won / Lost event finds the lead through this index.
    if (!opp.empty()) {
      c.Index(Ix("lead:opp:", opp), id);
    }
    c.Count(StatsKey(IdOf(l.campaign())),
            req.state() == v1::LEAD_STATE_QUALIFIED ? "qualified" : "disqualified", 1);
    v1::LeadOutcomeChanged e;
    *e.mutable_lead() = l;
    e.set_previous_state(previous);
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, l.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_lead() = WithEtag(l, got.version + 1);
    return absl::OkStatus();
  });
}

}  // namespace salesops::sync
