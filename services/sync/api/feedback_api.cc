// Feedback: submit (routed by the routing rules, with the SLA), read by the
// author's line and the department whose queue it is in, route and answer
// (the department), the routing itself, and the insights.
#include "absl/strings/match.h"
#include "common/money/money.h"
#include "common/server/api_support.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/api/api_util.h"
#include "services/sync/api/sync_api.h"
#include "services/sync/domain/feedback.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

constexpr char kRoutingId[] = "feedbackRouting";

std::string DeptIndex(v1::Department d) { return Ix("fb:dept:", absl::StrCat(d)); }
std::string RevenueKey(const v1::Feedback& f) {
  // Largest revenue at stake first, newest first among equals.
  const int64_t amount = std::max<int64_t>(0, f.revenue_at_stake().amount_minor());
  return absl::StrCat(absl::StrFormat("%019d", std::numeric_limits<int64_t>::max() - amount),
                      NewestFirst(FromTs(f.create_time())));
}

v1::Feedback WithEtag(v1::Feedback f, int64_t version) {
  f.set_etag(absl::StrCat(version));
  return f;
}

absl::StatusOr<Loaded<v1::FeedbackRouting>> LoadRouting(SyncRepository& repo) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::FeedbackRouting>> got,
                            LoadDoc<v1::FeedbackRouting>(repo, DocKind::kConfig, kRoutingId));
  if (got) {
    return *std::move(got);
  }
  return Loaded<v1::FeedbackRouting>{DefaultRouting(), 0};
}

}  // namespace

absl::Status SyncApi::SubmitFeedback(const CallContext& call, const v1::SubmitFeedbackRequest& req,
                                     v1::SubmitFeedbackResponse* resp) {
  v1::Feedback f = req.feedback();
  ClearOutputOnly(&f);  // author, team, state, routing, money at stake, times: ours to set
  Violations v;
  CheckText(v, "feedback.title", f.title(), 1, 200);
  CheckText(v, "feedback.body", f.body(), 0, 10000);
  if (f.kind() == v1::FEEDBACK_KIND_UNSPECIFIED || !v1::FeedbackKind_IsValid(f.kind())) {
    v.Add("feedback.kind",
          "required: FEATURE_REQUEST, DEFECT, PRICING, COMPETITOR, DELIVERY or OTHER");
  }
  if (!v1::Priority_IsValid(f.priority())) {
    v.Add("feedback.priority", "unknown priority");
  }
  if (!f.product_line().empty()) {
    ParseResourceName(v, "feedback.product_line", f.product_line(), kUnitColl);
  }
  CheckText(v, "feedback.competitor", f.competitor(), 0, 100);
  CheckText(v, "feedback.capability", f.capability(), 0, 100);
  if (CheckCount(v, "feedback.customers", f.customers(), 20)) {
    for (int i = 0; i < f.customers_size(); ++i) {
      ParseResourceName(v, absl::StrCat("feedback.customers[", i, "]"), f.customers(i),
                        kCustomerColl);
    }
  }
  std::vector<std::string> opp_ids;
  if (CheckCount(v, "feedback.opportunities", f.opportunities(), 20)) {
    for (int i = 0; i < f.opportunities_size(); ++i) {
      opp_ids.push_back(ParseResourceName(v, absl::StrCat("feedback.opportunities[", i, "]"),
                                          f.opportunities(i), kOpportunityColl));
    }
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));

  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "feedback/"));
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::Feedback>(repo_, DocKind::kFeedback, IdOf(stored),
                                                     "FEEDBACK_NOT_FOUND", stored));
    if (!CanReadFeedback(viewer, got.doc)) {
      return RequestIdReused();
    }
    *resp->mutable_feedback() = WithEtag(got.doc, got.version);
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }

  // The deals it is about: known to the sync service, in the caller's scope;
  // the open ones' amounts are the revenue at stake.
  int64_t at_stake = 0;
  if (!opp_ids.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<StoredDoc>> opps,
                              repo_.GetMany(DocKind::kOpportunity, opp_ids));
    for (size_t i = 0; i < opps.size(); ++i) {
      const std::string field = absl::StrCat("feedback.opportunities[", i, "]");
      cv1::Opportunity o;
      if (!opps[i] || !o.ParseFromString(opps[i]->data)) {
        v.Add(field, "unknown opportunity");
        continue;
      }
      if (!InSalesScope(viewer, {IdOf(o.owner()), IdOf(o.team()), IdOf(o.region())})) {
        return PermissionDenied("NOT_IN_SCOPE",
                                absl::StrCat(f.opportunities(i), " is outside your scope"));
      }
      if (o.stage() != cv1::OPPORTUNITY_STAGE_WON && o.stage() != cv1::OPPORTUNITY_STAGE_LOST &&
          (o.amount().currency_code() == "CNY" || o.amount().currency_code().empty())) {
        at_stake += o.amount().amount_minor();
      }
    }
    SALESOPS_RETURN_IF_ERROR(v.Finish("OPPORTUNITY_UNKNOWN"));
  }

  const absl::Time now = clock_.Now();
  std::string team = call.principal.org_unit_id;
  SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> me, directory_.Member(caller));
  if (me && !me->team.empty()) {
    team = me->team;
  }
  std::string region;
  if (!team.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(region, directory_.RegionOf(team));
  }
  SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::FeedbackRouting> routing, LoadRouting(repo_));
  const RouteDecision route = RouteFor(routing.doc, f.kind(), f.product_line());

  const std::string id = NewId();
  f.set_name(Name(kFeedbackColl, id));
  f.set_author(Name(kMemberColl, caller));
  f.set_author_team(Name(kUnitColl, team));
  f.set_author_region(Name(kUnitColl, region));
  if (f.priority() == v1::PRIORITY_UNSPECIFIED) {
    f.set_priority(v1::PRIORITY_MEDIUM);
  }
  if (f.kind() == v1::FEEDBACK_KIND_FEATURE_REQUEST && f.capability().empty()) {
    f.set_capability(f.title());
  }
  f.mutable_revenue_at_stake()->set_amount_minor(at_stake);
  f.mutable_revenue_at_stake()->set_currency_code("CNY");
  f.set_state(v1::FEEDBACK_STATE_ROUTED);
  f.set_routed_department(route.department);
  f.set_routed_to(route.routed_to);
  f.set_routing_rule(route.rule_id);
  *f.mutable_response_due_time() = ToTs(now + absl::Hours(route.sla_hours));
  *f.mutable_create_time() = ToTs(now);
  *f.mutable_route_time() = ToTs(now);
  *f.mutable_update_time() = ToTs(now);

  Change c;
  c.Put(DocKind::kFeedback, id, f, 0);
  const std::string entry = Entry(NewestFirst(now), id);
  c.Index(Ix("fb:all"), entry);
  c.Index(Ix("fb:author:", caller), entry);
  if (!team.empty()) {
    c.Index(Ix("fb:team:", team), entry);
  }
  if (!region.empty()) {
    c.Index(Ix("fb:region:", region), entry);
  }
  c.Index(DeptIndex(route.department), entry);
  c.Index(Ix("fb:rev:all"), Entry(RevenueKey(f), id));
  c.Index(Ix("fb:rev:", absl::StrCat(route.department)), Entry(RevenueKey(f), id));
  c.Schedule(kFeedbackDue, id, absl::ToUnixSeconds(FromTs(f.response_due_time())));
  // The insights: what is asked for, by how much revenue, which competitors.
  const std::string pl = IdOf(f.product_line());
  if (f.kind() == v1::FEEDBACK_KIND_FEATURE_REQUEST) {
    const std::string field = InsightField(pl, region, InsightKey(f.capability()));
    c.Count(kCapCount, field, 1);
    c.Count(kCapOpps, field, static_cast<int64_t>(opp_ids.size()));
    c.Count(kCapAmount, field, at_stake);
  }
  if (!f.competitor().empty() &&
      (f.kind() == v1::FEEDBACK_KIND_COMPETITOR || f.kind() == v1::FEEDBACK_KIND_PRICING)) {
    c.Count(kCompFeedback, InsightField(pl, region, InsightKey(f.competitor())), 1);
  }
  v1::FeedbackSubmitted submitted;
  *submitted.mutable_feedback() = f;
  *submitted.mutable_actor() = ActorOf(call);
  c.Emit(SyncEvent(id, f.name(), submitted, now, &call), kSyncTopic);
  v1::FeedbackRouted routed;
  *routed.mutable_feedback() = f;
  routed.set_reason(route.rule_id.empty() ? "default routing" : "routing rule " + route.rule_id);
  c.Emit(SyncEvent(id, f.name(), routed, now, &call), kSyncTopic);
  if (!req.request_id().empty()) {
    c.Remember(caller, req.request_id(), f.name());
  }
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
      return *r;
    }
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_feedback() = WithEtag(f, 1);
  return absl::OkStatus();
}

absl::Status SyncApi::GetFeedback(const CallContext& call, const v1::GetFeedbackRequest& req,
                                  v1::GetFeedbackResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kFeedbackColl);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::Feedback>(repo_, DocKind::kFeedback, id,
                                                             "FEEDBACK_NOT_FOUND", req.name()));
  if (!CanReadFeedback(viewer, got.doc)) {
    return PermissionDenied("NOT_IN_SCOPE",
                            absl::StrCat("you may not read ", req.name(),
                                         ": neither your line's nor your department's queue"));
  }
  *resp->mutable_feedback() = WithEtag(got.doc, got.version);
  return absl::OkStatus();
}

absl::Status SyncApi::ListFeedback(const CallContext& call, const v1::ListFeedbackRequest& req,
                                   v1::ListFeedbackResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!req.product_line().empty()) {
    ParseResourceName(v, "product_line", req.product_line(), kUnitColl);
  }
  if (!v1::FeedbackState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  if (!v1::FeedbackKind_IsValid(req.kind())) {
    v.Add("kind", "unknown kind");
  }
  std::string author;
  if (!req.author().empty()) {
    author = ParseResourceName(v, "author", req.author(), kMemberColl);
  }
  if (!req.routed_to().empty()) {
    ParseResourceName(v, "routed_to", req.routed_to(), kUnitColl);
  }
  if (!req.assignee().empty()) {
    ParseResourceName(v, "assignee", req.assignee(), kMemberColl);
  }
  const bool by_revenue = req.order_by() == "revenue_at_stake desc";
  if (!req.order_by().empty() && !by_revenue) {
    v.Add("order_by", "\"revenue_at_stake desc\" or empty (newest first)");
  }
  if (req.department() != v1::DEPARTMENT_UNSPECIFIED &&
      req.department() != v1::DEPARTMENT_PRODUCT && req.department() != v1::DEPARTMENT_MARKETING) {
    v.Add("department", "DEPARTMENT_PRODUCT or DEPARTMENT_MARKETING (the feedback queues)");
  }
  const std::string filter = absl::StrCat(
      req.product_line(), "|", req.state(), "|", req.kind(), "|", req.author(), "|",
      req.routed_to(), "|", req.assignee(), "|", req.order_by(), "|", req.department());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));

  // The narrowest index the caller may read; every item is checked again.
  std::string index;
  const std::string& unit = call.principal.org_unit_id;
  if (req.department() != v1::DEPARTMENT_UNSPECIFIED) {
    if (!CanReadQueue(viewer, req.department())) {
      return PermissionDenied(
          "NOT_YOUR_DEPARTMENT",
          absl::StrCat("the ", v1::Department_Name(req.department()),
                       " queue is for that department's members (and directors, admins)"));
    }
    index =
        by_revenue ? Ix("fb:rev:", absl::StrCat(req.department())) : DeptIndex(req.department());
  } else if (by_revenue) {
    if (!viewer.SeesAll()) {
      return InvalidField("order_by",
                          "revenue_at_stake ordering is for a department queue (set department) "
                          "or directors and admins");
    }
    index = Ix("fb:rev:all");
  } else if (!author.empty()) {
    index = Ix("fb:author:", author);
  } else if (viewer.SeesAll()) {
    index = Ix("fb:all");
  } else if (InProductOrMarketing(viewer)) {
    index = DeptIndex(viewer.department);
  } else if (call.principal.role == Role::kManager && !unit.empty()) {
    index = Ix("fb:region:", unit);
  } else if (call.principal.role == Role::kSupervisor && !unit.empty()) {
    index = Ix("fb:team:", unit);
  } else {
    index = Ix("fb:author:", call.principal.member_id);
  }
  auto keep = [&](const v1::Feedback& f) {
    return (req.product_line().empty() || f.product_line() == req.product_line()) &&
           (req.state() == 0 || f.state() == req.state()) &&
           (req.kind() == 0 || f.kind() == req.kind()) &&
           (req.author().empty() || f.author() == req.author()) &&
           (req.routed_to().empty() || f.routed_to() == req.routed_to()) &&
           (req.assignee().empty() || f.assignee() == req.assignee()) &&
           (req.department() == 0 || f.routed_department() == req.department()) &&
           CanReadFeedback(viewer, f);
  };
  std::vector<Loaded<v1::Feedback>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::Feedback>(repo_, call, DocKind::kFeedback, index, cursor,
                                                  page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_feedback() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::RouteFeedback(const CallContext& call, const v1::RouteFeedbackRequest& req,
                                    v1::RouteFeedbackResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kFeedbackColl);
  ParseResourceName(v, "routed_to", req.routed_to(), kUnitColl);
  if (!req.assignee().empty()) {
    ParseResourceName(v, "assignee", req.assignee(), kMemberColl);
  }
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::Feedback>(repo_, DocKind::kFeedback, id,
                                                               "FEEDBACK_NOT_FOUND", req.name()));
    if (!CanHandleFeedback(viewer, got.doc)) {
      return PermissionDenied("NOT_YOUR_DEPARTMENT",
                              "only members of the department it is routed to may route it");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    if (!IsOpen(got.doc.state())) {
      return FailedPrecondition("FEEDBACK_CLOSED", "answered feedback is not routed again");
    }
    const absl::Time now = clock_.Now();
    v1::Feedback f = got.doc;
    const std::string previous = f.routed_to();
    f.set_routed_to(req.routed_to());
    f.set_assignee(req.assignee());
    f.set_state(v1::FEEDBACK_STATE_ROUTED);
    *f.mutable_route_time() = ToTs(now);
    *f.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kFeedback, id, f, got.version);
    v1::FeedbackRouted e;
    *e.mutable_feedback() = f;
    e.set_previous_routed_to(previous);
    e.set_manual(true);
    e.set_reason(req.reason());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, f.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_feedback() = WithEtag(f, got.version + 1);
    return absl::OkStatus();
  });
}

absl::Status SyncApi::RespondToFeedback(const CallContext& call,
                                        const v1::RespondToFeedbackRequest& req,
                                        v1::RespondToFeedbackResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kFeedbackColl);
  if (req.state() != v1::FEEDBACK_STATE_ACCEPTED && req.state() != v1::FEEDBACK_STATE_DECLINED &&
      req.state() != v1::FEEDBACK_STATE_DONE) {
    v.Add("state", "FEEDBACK_STATE_ACCEPTED, FEEDBACK_STATE_DECLINED or FEEDBACK_STATE_DONE");
  }
  CheckText(v, "response", req.response(), 1, 4000);
  if (req.has_planned_date()) {
    if (req.state() != v1::FEEDBACK_STATE_ACCEPTED) {
      v.Add("planned_date", "only with FEEDBACK_STATE_ACCEPTED");
    } else {
      CheckDate(v, "planned_date", req.planned_date());
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::Feedback>(repo_, DocKind::kFeedback, id,
                                                               "FEEDBACK_NOT_FOUND", req.name()));
    if (!CanHandleFeedback(viewer, got.doc)) {
      return PermissionDenied("NOT_YOUR_DEPARTMENT",
                              "only members of the department it is routed to may answer it");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    SALESOPS_RETURN_IF_ERROR(CheckAnswer(got.doc.state(), req.state()));
    const absl::Time now = clock_.Now();
    v1::Feedback f = got.doc;
    const v1::FeedbackState previous = f.state();
    f.set_state(req.state());
    f.set_response(req.response());
    f.set_responded_by(Name(kMemberColl, call.principal.member_id));
    if (req.has_planned_date()) {
      *f.mutable_planned_date() = req.planned_date();
    }
    *f.mutable_respond_time() = ToTs(now);
    *f.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kFeedback, id, f, got.version);
    c.Unschedule(kFeedbackDue, id);
    v1::FeedbackResponded e;
    *e.mutable_feedback() = f;
    e.set_previous_state(previous);
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, f.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_feedback() = WithEtag(f, got.version + 1);
    return absl::OkStatus();
  });
}

absl::Status SyncApi::GetFeedbackRouting(const CallContext& call,
                                         const v1::GetFeedbackRoutingRequest& req,
                                         v1::GetFeedbackRoutingResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::FeedbackRouting> routing, LoadRouting(repo_));
  *resp->mutable_routing() = routing.doc;
  resp->mutable_routing()->set_etag(absl::StrCat(routing.version));
  return absl::OkStatus();
}

absl::Status SyncApi::UpdateFeedbackRouting(const CallContext& call,
                                            const v1::UpdateFeedbackRoutingRequest& req,
                                            v1::UpdateFeedbackRoutingResponse* resp) {
  v1::FeedbackRouting in = req.routing();
  ClearOutputOnly(&in);
  Violations v;
  CheckRouting(v, "routing", in);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  return WithRetry(!in.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::FeedbackRouting> cur, LoadRouting(repo_));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), cur.version, kRoutingId));
    const absl::Time now = clock_.Now();
    v1::FeedbackRouting next = in;
    next.set_name(kRoutingId);
    next.clear_etag();
    *next.mutable_update_time() = ToTs(now);
    Change c;
    c.Put(DocKind::kConfig, kRoutingId, next, cur.version);
    v1::FeedbackRoutingUpdated e;
    *e.mutable_routing() = next;
    *e.mutable_previous() = cur.doc;
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(kRoutingId, kRoutingId, e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_routing() = next;
    resp->mutable_routing()->set_etag(absl::StrCat(cur.version + 1));
    return absl::OkStatus();
  });
}

absl::Status SyncApi::GetFeedbackInsights(const CallContext& call,
                                          const v1::GetFeedbackInsightsRequest& req,
                                          v1::GetFeedbackInsightsResponse* resp) {
  Violations v;
  std::string pl, region;
  if (!req.product_line().empty()) {
    pl = ParseResourceName(v, "product_line", req.product_line(), kUnitColl);
  }
  if (!req.region().empty()) {
    region = ParseResourceName(v, "region", req.region(), kUnitColl);
  }
  if (req.limit() < 0 || req.limit() > 100) {
    v.Add("limit", "0..100");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  if (!viewer.SeesAll() && !InProductOrMarketing(viewer)) {
    if (call.principal.role != Role::kManager) {
      return PermissionDenied("NOT_ALLOWED",
                              "insights are for managers, directors, admins and the product and "
                              "marketing departments");
    }
    // A manager sees their own region.
    const std::string own = call.principal.org_unit_id;
    if (!region.empty() && region != own) {
      return PermissionDenied("NOT_IN_SCOPE", "a manager sees the insights of their own region");
    }
    region = own;
  }
  InsightCounters counters;
  for (const char* hash : {kCapCount, kCapOpps, kCapAmount, kLossCount, kLossAmount, kCompLost,
                           kCompAmount, kCompFeedback}) {
    SALESOPS_ASSIGN_OR_RETURN(counters[hash], repo_.Counters(hash));
  }
  *resp->mutable_insights() =
      AggregateInsights(counters, pl, region, req.limit() == 0 ? 10 : req.limit());
  return absl::OkStatus();
}

}  // namespace salesops::sync
