// Opportunities, activities and follow-up tasks of the customers API.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ids/ids.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "services/customers/api/api_ops.h"
#include "services/customers/api/customers_api.h"
#include "services/customers/domain/contracts.h"
#include "services/customers/domain/customer_rules.h"
#include "services/customers/domain/pipeline.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

namespace {

std::string OppName(const std::string& id) { return absl::StrCat("opportunities/", id); }

void IndexOpp(WriteBatch& b, const v1::Opportunity& o) {
  const std::string id = StripPrefix(o.name());
  b.ZAdd(AllOpportunitiesIndex(), 0, id);
  b.ZAdd(OpportunitiesOfCustomerIndex(StripPrefix(o.customer())), 0, id);
  if (!o.owner().empty()) {
    b.ZAdd(OpportunitiesOfOwnerIndex(StripPrefix(o.owner())), 0, id);
  }
  if (!o.team().empty()) {
    b.ZAdd(OpportunitiesOfTeamIndex(StripPrefix(o.team())), 0, id);
  }
  if (!o.region().empty()) {
    b.ZAdd(OpportunitiesOfRegionIndex(StripPrefix(o.region())), 0, id);
  }
}

// Follow-up task for a stage just entered (FollowUpForStage), with its event.
void AddStageTask(WriteBatch& b, const CallContext& call, const v1::Opportunity& o, absl::Time at) {
  std::optional<StageFollowUp> f = FollowUpForStage(o.stage());
  if (!f || o.owner().empty()) {
    return;
  }
  const std::string id = NewUuid();
  v1::FollowUpTask t;
  t.set_name(absl::StrCat("tasks/", id));
  t.set_customer(o.customer());
  t.set_opportunity(o.name());
  t.set_assignee(o.owner());
  t.set_title(f->title);
  t.set_description(absl::StrCat(o.display_name(), " → ", StageName(o.stage())));
  *t.mutable_due_time() = ToTs(at + f->due_in);
  t.set_state(v1::TASK_STATE_OPEN);
  t.set_origin(v1::TASK_ORIGIN_OPPORTUNITY_STAGE);
  *t.mutable_create_time() = ToTs(at);
  *t.mutable_update_time() = ToTs(at);
  CustomersStore::PutDoc(b, kTask, id, t, 0);
  b.ZAdd(TasksOfAssigneeIndex(StripPrefix(t.assignee())), 0, id);
  b.ZAdd(TasksOfCustomerIndex(StripPrefix(t.customer())), 0, id);
  b.ZAdd(TasksOfOpportunityIndex(StripPrefix(o.name())), 0, id);
  b.ZAdd(ScheduleKey("task_due"), static_cast<double>(absl::ToUnixSeconds(at + f->due_in)), id);
  v1::FollowUpTaskCreated e;
  *e.mutable_task() = t;
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, StripPrefix(o.customer()), t.name(), e, at);
}

absl::StatusOr<Versioned<v1::Opportunity>> LoadOpp(CustomersStore& store, const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(auto o, store.Get<v1::Opportunity>(kOpportunity, id));
  if (!o) {
    return NotFound("OPPORTUNITY_NOT_FOUND", absl::StrCat(OppName(id), " does not exist"));
  }
  o->doc.set_etag(absl::StrCat(o->version));
  return *std::move(o);
}

// Access to a deal: the owner scope of the deal itself, else that of its customer
// (grants included).
absl::StatusOr<Access> OppAccess(CustomersStore& store, OrgDirectory& dir, const CallContext& call,
                                 const v1::Opportunity& o, absl::Time now) {
  if (InOwnerScope(call.principal,
                   {StripPrefix(o.owner()), StripPrefix(o.team()), StripPrefix(o.region())})) {
    return Access::kOwnerScope;
  }
  SALESOPS_ASSIGN_OR_RETURN(auto c, store.Get<v1::Customer>(kCustomer, StripPrefix(o.customer())));
  if (!c) {
    return Access::kNone;
  }
  return AccessTo(store, dir, call, c->doc, now);
}

// The index a list of activities or tasks reads, once the caller is known to
// see what the list is scoped to: a deal, a customer, or a member's own items
// (`kind` "act" or "task", `member_index` "by" or "assignee").
// The indexes a list of tasks or activities reads: by opportunity, by
// customer, by member (assignee or performer).
struct ListIndexes {
  std::string (*of_opportunity)(absl::string_view opp_id);
  std::string (*of_customer)(absl::string_view customer_id);
  std::string (*of_member)(absl::string_view member_id);
};
constexpr ListIndexes kActivityIndexes = {&ActivitiesOfOpportunityIndex, &ActivitiesOfCustomerIndex,
                                          &ActivitiesByIndex};
constexpr ListIndexes kTaskIndexes = {&TasksOfOpportunityIndex, &TasksOfCustomerIndex,
                                      &TasksOfAssigneeIndex};

absl::StatusOr<std::string> ScopedListIndex(CustomersStore& store, OrgDirectory& dir,
                                            const CallContext& call, absl::Time now,
                                            const std::string& opp, const std::string& customer,
                                            const std::string& member, const ListIndexes& indexes) {
  if (!opp.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto o, LoadOpp(store, opp));
    SALESOPS_ASSIGN_OR_RETURN(Access a, OppAccess(store, dir, call, o.doc, now));
    if (!CanRead(a)) {
      return DenyRead(OppName(opp));
    }
    return indexes.of_opportunity(opp);
  }
  if (!customer.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store, customer));
    SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store, dir, call, c.doc, now));
    if (!CanRead(a)) {
      return DenyRead(absl::StrCat("customers/", customer));
    }
    return indexes.of_customer(customer);
  }
  if (member != call.principal.member_id) {
    SALESOPS_ASSIGN_OR_RETURN(auto m, dir.Member(member));
    std::string region;
    if (m) {
      SALESOPS_ASSIGN_OR_RETURN(region, dir.RegionOf(m->team));
    }
    if (!m || !InOwnerScope(call.principal, {member, m->team, region})) {
      return DenyRead(absl::StrCat("members/", member));
    }
  }
  return indexes.of_member(member);
}

template <typename E>
void FillDealFacts(E& e, const v1::Opportunity& o) {
  e.set_opportunity(o.name());
  e.set_customer(o.customer());
  e.set_display_name(o.display_name());
  e.set_owner(o.owner());
  e.set_team(o.team());
  e.set_region(o.region());
  e.set_product_line(o.product_line());
  e.set_channel(o.channel());
  e.set_customer_type(o.customer_type());
  *e.mutable_amount() = o.amount();
}

}  // namespace

// Emits the stage-change events (and the won/lost one) and the next task. Shared
// with SignContract.
void EmitStageChange(WriteBatch& b, const CallContext& call, const v1::Opportunity& before,
                     const v1::Opportunity& after, const std::string& reason, absl::Time at,
                     absl::TimeZone tz) {
  const std::string customer_id = StripPrefix(after.customer());
  v1::OpportunityStageChanged sc;
  FillDealFacts(sc, after);
  sc.set_from_stage(before.stage());
  sc.set_to_stage(after.stage());
  *sc.mutable_expected_close_date() = after.expected_close_date();
  sc.set_days_in_previous_stage(DaysBetween(FromTs(before.stage_enter_time()), at));
  sc.set_reason(reason);
  *sc.mutable_actor() = ActorOf(call);
  // Key = customer id: a customer's deal events stay in order on one partition.
  Emit(b, call, customer_id, after.name(), sc, at);
  if (after.stage() == v1::OPPORTUNITY_STAGE_WON) {
    v1::OpportunityWon w;
    FillDealFacts(w, after);
    w.set_from_stage(before.stage());
    w.set_contract(after.contract());
    *w.mutable_won_date() = ToDate(absl::ToCivilDay(at, tz));
    *w.mutable_close_time() = ToTs(at);
    *w.mutable_actor() = ActorOf(call);
    Emit(b, call, customer_id, after.name(), w, at);
    ScheduleTier(b, customer_id, at);  // re-tier on its own events
  } else if (after.stage() == v1::OPPORTUNITY_STAGE_LOST) {
    v1::OpportunityLost l;
    FillDealFacts(l, after);
    l.set_from_stage(before.stage());
    l.set_reason(after.lost_reason());
    l.set_lost_to_competitor(after.lost_to_competitor());
    *l.mutable_close_time() = ToTs(at);
    *l.mutable_actor() = ActorOf(call);
    Emit(b, call, customer_id, after.name(), l, at);
  }
  AddStageTask(b, call, after, at);
}

absl::Status CustomersApi::CreateOpportunity(const CallContext& call,
                                             const v1::CreateOpportunityRequest& req,
                                             v1::CreateOpportunityResponse* resp) {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(
      absl::Time at, EffectiveTime(call, &req.backfill_time(), req.has_backfill_time(), now));
  Violations v;
  v1::Opportunity o = req.opportunity();
  // Owner, team and region come from the customer; history and state from us.
  ClearOutputOnly(&o);
  const std::string customer_id = IdOf(v, "opportunity.customer", o.customer(), "customers");
  const std::string product_line =
      IdOf(v, "opportunity.product_line", o.product_line(), "orgUnits");
  if (o.stage() != v1::OPPORTUNITY_STAGE_UNSPECIFIED && !IsOpenStage(o.stage())) {
    v.Add("opportunity.stage", "a new opportunity starts in an open stage (lead..contract)");
  }
  if (!o.channel().empty() && !IsCode(o.channel())) {
    v.Add("opportunity.channel", "a lower_snake code");
  }
  if (!o.customer_type().empty() && !IsCode(o.customer_type())) {
    v.Add("opportunity.customer_type", "a lower_snake code");
  }
  if (!req.opportunity_id().empty() && !IsValidId(req.opportunity_id())) {
    v.Add("opportunity_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(ValidateOpportunityFields(o, at, tz_));

  // Every read the write decides on in one round trip (the request id, the
  // customer, the policies, its activity clock, the product line's kind); the
  // rest of the call reads through `reads` as it would read Redis.
  PrefetchedCall call_reads(
      store_,
      {store_.SeenRequestCommand(call.principal.member_id, req.request_id()),
       store_.GetDocCommand(kCustomer, customer_id), store_.GetDocCommand(kPolicy, "tier"),
       store_.GetDocCommand(kPolicy, "pool"), CustomersStore::LastActivityCommand(customer_id),
       directory_.KindOfCommand(product_line)});
  CustomersStore& store = call_reads.store;
  OrgDirectory& directory = call_reads.directory;
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store, call, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "opportunities/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing, LoadOpp(store, StripPrefix(name)));
    SALESOPS_ASSIGN_OR_RETURN(Access a,
                              OppAccess(store, directory, call, existing.doc, clock_.Now()));
    if (!CanRead(a)) {
      return DenyRead(name);
    }
    *resp->mutable_opportunity() = std::move(existing.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }

  // The customer and the policies the commit needs, in one round trip.
  SALESOPS_ASSIGN_OR_RETURN(auto loaded, LoadCustomerAndPolicies(store, customer_id));
  const Versioned<v1::Customer>& cust = loaded.first;
  const Policies& policies = loaded.second;
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store, directory, call, cust.doc, now));
  if (!CanRead(a)) {
    return DenyRead(o.customer());
  }
  if (!CanWrite(a)) {
    return DenyWrite(o.customer());
  }
  if (cust.doc.pool_state() != v1::POOL_STATE_OWNED) {
    return FailedPrecondition("CUSTOMER_IN_POOL",
                              "claim the customer before opening deals with it");
  }
  SALESOPS_ASSIGN_OR_RETURN(int kind, directory.KindOf(product_line));
  if (kind != 4) {  // salesops.org.v1.ORG_UNIT_KIND_PRODUCT_LINE
    return InvalidArgument({{"opportunity.product_line",
                             absl::StrCat(o.product_line(), " is not a known product line")}},
                           "UNKNOWN_PRODUCT_LINE");
  }
  if (a == Access::kOwnerScope && cust.doc.create_time().seconds() > 0 &&
      at < FromTs(cust.doc.create_time())) {
    return InvalidField("backfill_time", "the opportunity cannot predate its customer");
  }

  const std::string id = req.opportunity_id().empty() ? NewUuid() : req.opportunity_id();
  o.set_name(OppName(id));
  if (o.stage() == v1::OPPORTUNITY_STAGE_UNSPECIFIED) {
    o.set_stage(v1::OPPORTUNITY_STAGE_LEAD);
  }
  if (o.customer_type().empty()) {
    o.set_customer_type(cust.doc.customer_type());
  }
  if (o.region().empty()) {
    o.set_region(cust.doc.tags().region());
  }
  o.set_owner(cust.doc.owner());
  o.set_team(cust.doc.team());
  o.clear_stage_history();
  v1::StageChange* h = o.add_stage_history();
  h->set_to_stage(o.stage());
  *h->mutable_change_time() = ToTs(at);
  h->set_changed_by(absl::StrCat("members/", call.principal.member_id));
  *h->mutable_amount() = o.amount();
  *o.mutable_stage_enter_time() = ToTs(at);
  o.clear_lost_reason();
  o.clear_lost_to_competitor();
  o.clear_close_time();
  o.clear_contract();
  *o.mutable_create_time() = ToTs(at);
  *o.mutable_update_time() = ToTs(at);
  o.clear_etag();

  WriteBatch b;
  CustomersStore::PutDoc(b, kOpportunity, id, o, 0);
  GuardRequest(b, call, req.request_id(), o.name());
  IndexOpp(b, o);
  // `at` may be an admin's backfill_time: the activity clock only moves forward.
  SALESOPS_RETURN_IF_ERROR(TouchActivityForward(store, b, cust.doc, at, policies.pool));
  v1::OpportunityCreated e;
  e.set_opportunity(o.name());
  e.set_customer(o.customer());
  e.set_display_name(o.display_name());
  e.set_stage(o.stage());
  e.set_owner(o.owner());
  e.set_team(o.team());
  e.set_region(o.region());
  e.set_product_line(o.product_line());
  e.set_channel(o.channel());
  e.set_customer_type(o.customer_type());
  *e.mutable_amount() = o.amount();
  *e.mutable_expected_close_date() = o.expected_close_date();
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, customer_id, o.name(), e, at);
  AddStageTask(b, call, o, at);
  absl::Status s = store.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("OPPORTUNITY_EXISTS", absl::StrCat(o.name(), " already exists"), o.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  o.set_etag("1");
  *resp->mutable_opportunity() = std::move(o);
  return absl::OkStatus();
}

absl::Status CustomersApi::GetOpportunity(const CallContext& call,
                                          const v1::GetOpportunityRequest& req,
                                          v1::GetOpportunityResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "opportunities");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto o, LoadOpp(store_, id));
  SALESOPS_ASSIGN_OR_RETURN(Access a, OppAccess(store_, directory_, call, o.doc, clock_.Now()));
  if (!CanRead(a)) {
    return DenyRead(req.name());
  }
  *resp->mutable_opportunity() = std::move(o.doc);
  return absl::OkStatus();
}

absl::Status CustomersApi::ListOpportunities(const CallContext& call,
                                             const v1::ListOpportunitiesRequest& req,
                                             v1::ListOpportunitiesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string customer, owner, team, region, product_line;
  if (!req.customer().empty()) {
    customer = IdOf(v, "customer", req.customer(), "customers");
  }
  if (!req.owner().empty()) {
    owner = IdOf(v, "owner", req.owner(), "members");
  }
  if (!req.team().empty()) {
    team = IdOf(v, "team", req.team(), "orgUnits");
  }
  if (!req.region().empty()) {
    region = IdOf(v, "region", req.region(), "orgUnits");
  }
  if (!req.product_line().empty()) {
    product_line = req.product_line();
  }
  for (int i = 0; i < req.stages_size(); ++i) {
    if (!v1::OpportunityStage_IsValid(req.stages(i)) || req.stages(i) == 0) {
      v.Add(absl::StrCat("stages[", i, "]"), "unknown stage");
    }
  }
  if (req.has_expected_close_from() && !IsValidDate(req.expected_close_from())) {
    v.Add("expected_close_from", "is not a valid date");
  }
  if (req.has_expected_close_to() && !IsValidDate(req.expected_close_to())) {
    v.Add("expected_close_to", "is not a valid date");
  }
  if (req.stalled_for_days() < 0) {
    v.Add("stalled_for_days", "must not be negative");
  }
  std::string filter = absl::StrCat(customer, "|", owner, "|", team, "|", region, "|", product_line,
                                    "|", req.stalled_for_days(), "|");
  for (int s : req.stages()) {
    absl::StrAppend(&filter, s, ",");
  }
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const absl::Time now = clock_.Now();
  const Principal& who = call.principal;
  std::string index;
  if (!customer.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, customer));
    SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, c.doc, now));
    if (!CanRead(a)) {
      return DenyRead(req.customer());
    }
    index = OpportunitiesOfCustomerIndex(customer);
  } else if (!owner.empty()) {
    index = OpportunitiesOfOwnerIndex(owner);
  } else if (!team.empty()) {
    index = OpportunitiesOfTeamIndex(team);
  } else if (!region.empty()) {
    index = OpportunitiesOfRegionIndex(region);
  } else if (who.role == Role::kRep) {
    index = OpportunitiesOfOwnerIndex(who.member_id);
  } else if (who.role == Role::kSupervisor) {
    index = OpportunitiesOfTeamIndex(who.org_unit_id);
  } else if (who.role == Role::kManager) {
    index = OpportunitiesOfRegionIndex(who.org_unit_id);
  } else {
    index = AllOpportunitiesIndex();
  }
  std::string after = cursor ? cursor->after : "";
  bool exhausted = false;
  int scanned = 0;
  const int batch = std::min(page_size * 2, 500);
  while (resp->opportunities_size() < page_size && scanned < std::max(page_size * 4, 400)) {
    SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(index, after, batch));
    if (ids.empty()) {
      exhausted = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto opps, store_.GetMany<v1::Opportunity>(kOpportunity, ids));
    size_t used = 0;
    for (auto& o : opps) {
      ++used;
      after = StripPrefix(o.doc.name());
      const auto& d = o.doc;
      if ((!owner.empty() && StripPrefix(d.owner()) != owner) ||
          (!team.empty() && StripPrefix(d.team()) != team) ||
          (!region.empty() && StripPrefix(d.region()) != region) ||
          (!product_line.empty() && d.product_line() != product_line)) {
        continue;
      }
      if (req.stages_size() > 0 &&
          std::find(req.stages().begin(), req.stages().end(), d.stage()) == req.stages().end()) {
        continue;
      }
      if (req.has_expected_close_from() &&
          (!d.has_expected_close_date() ||
           ToCivil(d.expected_close_date()) < ToCivil(req.expected_close_from()))) {
        continue;
      }
      if (req.has_expected_close_to() &&
          (!d.has_expected_close_date() ||
           ToCivil(d.expected_close_date()) > ToCivil(req.expected_close_to()))) {
        continue;
      }
      if (req.stalled_for_days() > 0 &&
          (!IsOpenStage(d.stage()) ||
           DaysBetween(FromTs(d.stage_enter_time()), now) < req.stalled_for_days())) {
        continue;
      }
      if (customer.empty()) {
        SALESOPS_ASSIGN_OR_RETURN(Access a, OppAccess(store_, directory_, call, d, now));
        if (!CanRead(a)) {
          continue;
        }
      }
      o.doc.set_etag(absl::StrCat(o.version));
      *resp->add_opportunities() = std::move(o.doc);
      if (resp->opportunities_size() >= page_size) {
        break;
      }
    }
    scanned += static_cast<int>(used);
    if (used == opps.size() && static_cast<int>(ids.size()) < batch) {
      exhausted = true;
      break;
    }
    if (used == opps.size()) {
      after = ids.back();
    }
  }
  if (!exhausted) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  return absl::OkStatus();
}

absl::Status CustomersApi::UpdateOpportunity(const CallContext& call,
                                             const v1::UpdateOpportunityRequest& req,
                                             v1::UpdateOpportunityResponse* resp) {
  Violations v;
  const v1::Opportunity& in = req.opportunity();
  const std::string id = IdOf(v, "opportunity.name", in.name(), "opportunities");
  if (req.update_mask().paths_size() == 0) {
    v.Add("update_mask", "name the fields to change");
  }
  static const std::vector<std::string> kUpdatable = {
      "display_name", "amount",        "expected_close_date", "next_step",
      "channel",      "customer_type", "product_line"};
  for (int i = 0; i < req.update_mask().paths_size(); ++i) {
    const std::string& p = req.update_mask().paths(i);
    if (std::find(kUpdatable.begin(), kUpdatable.end(), p) == kUpdatable.end()) {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat(QuoteUntrusted(p), " cannot be updated (stage: ChangeOpportunityStage)"));
    }
  }
  CheckText(v, "reason", req.reason(), 0, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadOpp(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(Access a, OppAccess(store_, directory_, call, cur.doc, now));
  if (!CanRead(a)) {
    return DenyRead(in.name());
  }
  if (!CanWrite(a)) {
    return DenyWrite(in.name());
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), cur.version, in.name()));
  if (IsTerminal(cur.doc.stage())) {
    return FailedPrecondition("OPPORTUNITY_CLOSED", "a won or lost opportunity cannot be edited");
  }
  v1::Opportunity next = cur.doc;
  std::vector<std::string> changed;
  for (const std::string& p : req.update_mask().paths()) {
    if (p == "display_name") {
      next.set_display_name(in.display_name());
    }
    if (p == "amount") {
      *next.mutable_amount() = in.amount();
    }
    if (p == "expected_close_date") {
      *next.mutable_expected_close_date() = in.expected_close_date();
    }
    if (p == "next_step") {
      next.set_next_step(in.next_step());
    }
    if (p == "channel") {
      next.set_channel(in.channel());
    }
    if (p == "customer_type") {
      next.set_customer_type(in.customer_type());
    }
    if (p == "product_line") {
      next.set_product_line(in.product_line());
    }
    changed.push_back(p);
  }
  Violations fv;
  if (next.amount().currency_code() != cur.doc.amount().currency_code()) {
    fv.Add("opportunity.amount.currency_code", "the currency of a deal cannot change");
  }
  if (!IsCode(next.channel())) {
    fv.Add("opportunity.channel", "a lower_snake code");
  }
  std::string pl = IdOf(fv, "opportunity.product_line", next.product_line(), "orgUnits");
  SALESOPS_RETURN_IF_ERROR(fv.Finish());
  SALESOPS_RETURN_IF_ERROR(ValidateOpportunityFields(next, FromTs(cur.doc.create_time()), tz_));
  if (next.product_line() != cur.doc.product_line()) {
    SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(pl));
    if (kind != 4) {
      return InvalidArgument({{"opportunity.product_line", "is not a known product line"}},
                             "UNKNOWN_PRODUCT_LINE");
    }
  }
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kOpportunity, id, next, cur.version);
  v1::OpportunityUpdated e;
  *e.mutable_opportunity() = next;
  *e.mutable_previous() = cur.doc;
  e.mutable_previous()->clear_etag();
  for (auto& c : changed) {
    e.add_changed_fields(c);
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, StripPrefix(next.customer()), next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_opportunity() = std::move(next);
  return absl::OkStatus();
}

absl::Status CustomersApi::ChangeOpportunityStage(const CallContext& call,
                                                  const v1::ChangeOpportunityStageRequest& req,
                                                  v1::ChangeOpportunityStageResponse* resp) {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(
      absl::Time at, EffectiveTime(call, &req.backfill_time(), req.has_backfill_time(), now));
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "opportunities");
  CheckText(v, "lost_to_competitor", req.lost_to_competitor(), 0, 200);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // Two round trips before the commit, not four: the deal with the policies,
  // then (the deal names it) the customer with its activity clock.
  PrefetchedCall call_reads(
      store_, {store_.GetDocCommand(kOpportunity, id), store_.GetDocCommand(kPolicy, "tier"),
               store_.GetDocCommand(kPolicy, "pool")});
  CustomersStore& store = call_reads.store;
  OrgDirectory& directory = call_reads.directory;
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadOpp(store, id));
  SALESOPS_ASSIGN_OR_RETURN(Access a, OppAccess(store, directory, call, cur.doc, now));
  if (!CanRead(a)) {
    return DenyRead(req.name());
  }
  if (!CanWrite(a)) {
    return DenyWrite(req.name());
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  SALESOPS_RETURN_IF_ERROR(CheckStageChange(cur.doc.stage(), req.stage(), req.reason()));
  if (req.has_amount()) {
    Violations av;
    CheckMoney(av, "amount", {req.amount().amount_minor(), req.amount().currency_code()},
               MoneyRule::kNonNegative);
    if (req.amount().amount_minor() > kMaxDealAmountMinor) {
      av.Add("amount.amount_minor", "is implausibly large (over 10^14 minor units)");
    }
    if (req.amount().currency_code() != cur.doc.amount().currency_code()) {
      av.Add("amount.currency_code", "the currency of a deal cannot change");
    }
    SALESOPS_RETURN_IF_ERROR(av.Finish());
  }
  if (at < FromTs(cur.doc.stage_enter_time())) {
    return InvalidField("backfill_time", "a stage change cannot predate the previous one");
  }
  if (req.stage() == v1::OPPORTUNITY_STAGE_WON && !cur.doc.contract().empty()) {
    return FailedPrecondition("SIGN_THE_CONTRACT",
                              absl::StrCat("this deal has ", cur.doc.contract(),
                                           "; it is won when the contract is signed"));
  }
  v1::Opportunity next = cur.doc;
  next.set_stage(req.stage());
  if (req.has_amount()) {
    *next.mutable_amount() = req.amount();
  }
  v1::StageChange* h = next.add_stage_history();
  h->set_from_stage(cur.doc.stage());
  h->set_to_stage(req.stage());
  *h->mutable_change_time() = ToTs(at);
  h->set_changed_by(absl::StrCat("members/", call.principal.member_id));
  h->set_reason(req.reason());
  *h->mutable_amount() = next.amount();
  *next.mutable_stage_enter_time() = ToTs(at);
  if (IsTerminal(req.stage())) {
    *next.mutable_close_time() = ToTs(at);
  }
  if (req.stage() == v1::OPPORTUNITY_STAGE_LOST) {
    next.set_lost_reason(req.reason());
    next.set_lost_to_competitor(req.lost_to_competitor());
  }
  *next.mutable_update_time() = ToTs(at);
  next.clear_etag();
  const std::string customer_id = StripPrefix(next.customer());
  call_reads.reads.Prefetch({store.GetDocCommand(kCustomer, customer_id),
                             CustomersStore::LastActivityCommand(customer_id)});
  SALESOPS_ASSIGN_OR_RETURN(auto loaded, LoadCustomerAndPolicies(store, customer_id));
  const Versioned<v1::Customer>& cust = loaded.first;
  const Policies& policies = loaded.second;
  WriteBatch b;
  CustomersStore::PutDoc(b, kOpportunity, id, next, cur.version);
  // `at` may be an admin's backfill_time: the activity clock only moves forward.
  SALESOPS_RETURN_IF_ERROR(TouchActivityForward(store, b, cust.doc, at, policies.pool));
  EmitStageChange(b, call, cur.doc, next, req.reason(), at, tz_);
  SALESOPS_RETURN_IF_ERROR(store.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_opportunity() = std::move(next);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- activities

absl::Status CustomersApi::LogActivity(const CallContext& call, const v1::LogActivityRequest& req,
                                       v1::LogActivityResponse* resp) {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(
      absl::Time at, EffectiveTime(call, &req.backfill_time(), req.has_backfill_time(), now));
  Violations v;
  v1::Activity act = req.activity();
  ClearOutputOnly(&act);
  const std::string customer_id = IdOf(v, "activity.customer", act.customer(), "customers");
  std::string opp_id;
  if (!act.opportunity().empty()) {
    opp_id = IdOf(v, "activity.opportunity", act.opportunity(), "opportunities");
  }
  if (act.kind() < v1::ACTIVITY_KIND_VISIT || act.kind() > v1::ACTIVITY_KIND_EMAIL) {
    v.Add("activity.kind", "visit, call, meeting or email");
  }
  if (!v1::ActivityOutcome_IsValid(act.outcome())) {
    v.Add("activity.outcome", "unknown outcome");
  }
  CheckText(v, "activity.summary", act.summary(), 0, 4000);
  CheckText(v, "activity.location", act.location(), 0, 300);
  if (act.duration_minutes() < 0 || act.duration_minutes() > 24 * 60) {
    v.Add("activity.duration_minutes", "between 0 and 1440");
  }
  if (act.has_satisfaction_score() &&
      (act.satisfaction_score() < 1 || act.satisfaction_score() > 5)) {
    v.Add("activity.satisfaction_score", "between 1 and 5 when set");
  }
  absl::Time occur = act.has_occur_time() ? FromTs(act.occur_time()) : at;
  if (occur > now + absl::Minutes(5)) {
    v.Add("activity.occur_time", "must not be in the future");
  }
  if (req.has_follow_up()) {
    CheckText(v, "follow_up.title", req.follow_up().title(), 1, 200);
    CheckText(v, "follow_up.description", req.follow_up().description(), 0, 4000);
    if (!req.follow_up().has_due_time()) {
      v.Add("follow_up.due_time", "required");
    }
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // The reads a visit decides on in one round trip: the request id, the
  // customer, the deal it is about, the policies and the activity clock.
  PrefetchedCall call_reads(
      store_,
      {store_.SeenRequestCommand(call.principal.member_id, req.request_id()),
       store_.GetDocCommand(kCustomer, customer_id),
       opp_id.empty() ? std::vector<std::string>() : store_.GetDocCommand(kOpportunity, opp_id),
       store_.GetDocCommand(kPolicy, "tier"), store_.GetDocCommand(kPolicy, "pool"),
       CustomersStore::LastActivityCommand(customer_id)});
  CustomersStore& store = call_reads.store;
  OrgDirectory& directory = call_reads.directory;
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store, call, req.request_id()));
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, "activities/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing,
                              store.Get<v1::Activity>(kActivity, StripPrefix(*seen)));
    if (!existing) {
      return RequestIdReused();
    }
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store, StripPrefix(existing->doc.customer())));
    SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store, directory, call, c.doc, now));
    if (!CanRead(a)) {
      return DenyRead(existing->doc.name());
    }
    *resp->mutable_activity() = std::move(existing->doc);
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cust, LoadCustomer(store, customer_id));
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store, directory, call, cust.doc, now));
  if (!CanRead(a)) {
    return DenyRead(act.customer());
  }
  if (!CanLogActivity(a)) {
    return DenyWrite(act.customer());
  }
  if (!opp_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto o, LoadOpp(store, opp_id));
    if (o.doc.customer() != cust.doc.name()) {
      return InvalidArgument({{"activity.opportunity", "belongs to another customer"}},
                             "OPPORTUNITY_OF_OTHER_CUSTOMER");
    }
  }
  for (int i = 0; i < act.contact_ids_size(); ++i) {
    bool found = false;
    for (const auto& ct : cust.doc.contacts()) {
      found |= ct.contact_id() == act.contact_ids(i);
    }
    if (!found) {
      return InvalidField(absl::StrCat("activity.contact_ids[", i, "]"), "no such contact");
    }
  }
  std::string performer = call.principal.member_id;
  if (!act.performed_by().empty()) {
    Violations pv;
    performer = IdOf(pv, "activity.performed_by", act.performed_by(), "members");
    SALESOPS_RETURN_IF_ERROR(pv.Finish());
    if (performer != call.principal.member_id && call.principal.role == Role::kRep) {
      return PermissionDenied("NOT_IN_SCOPE", "a rep logs their own activities");
    }
    SALESOPS_RETURN_IF_ERROR(
        CheckNamedMember(directory, call, cust.doc, performer, "activity.performed_by"));
  }
  std::string follow_up_assignee = performer;
  if (req.has_follow_up() && !req.follow_up().assignee().empty()) {
    Violations fv;
    follow_up_assignee = IdOf(fv, "follow_up.assignee", req.follow_up().assignee(), "members");
    SALESOPS_RETURN_IF_ERROR(fv.Finish());
    SALESOPS_RETURN_IF_ERROR(
        CheckNamedMember(directory, call, cust.doc, follow_up_assignee, "follow_up.assignee"));
  }
  // Time-ordered ids: listing an index in id order lists activities by time.
  const std::string id =
      absl::StrFormat("%016d-%s", absl::ToUnixMicros(occur), NewUuid().substr(0, 8));
  act.set_name(absl::StrCat("activities/", id));
  act.set_performed_by(absl::StrCat("members/", performer));
  *act.mutable_occur_time() = ToTs(occur);
  *act.mutable_create_time() = ToTs(at);
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store));
  WriteBatch b;
  CustomersStore::PutDoc(b, kActivity, id, act, 0);
  GuardRequest(b, call, req.request_id(), act.name());
  b.ZAdd(ActivitiesOfCustomerIndex(customer_id), 0, id);
  if (!opp_id.empty()) {
    b.ZAdd(ActivitiesOfOpportunityIndex(opp_id), 0, id);
  }
  b.ZAdd(ActivitiesByIndex(performer), 0, id);
  SALESOPS_RETURN_IF_ERROR(TouchActivityForward(
      store, b, cust.doc, std::max(occur, absl::FromUnixSeconds(0)), policies.pool));
  v1::ActivityLogged e;
  *e.mutable_activity() = act;
  e.set_customer_owner(cust.doc.owner());
  e.set_team(cust.doc.team());
  e.set_customer_tier(cust.doc.tier());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, customer_id, act.name(), e, at);
  if (req.has_follow_up()) {
    const std::string tid = NewUuid();
    v1::FollowUpTask t;
    t.set_name(absl::StrCat("tasks/", tid));
    t.set_customer(cust.doc.name());
    t.set_opportunity(act.opportunity());
    t.set_activity(act.name());
    t.set_assignee(absl::StrCat("members/", follow_up_assignee));
    t.set_title(req.follow_up().title());
    t.set_description(req.follow_up().description());
    *t.mutable_due_time() = req.follow_up().due_time();
    t.set_state(v1::TASK_STATE_OPEN);
    t.set_origin(v1::TASK_ORIGIN_ACTIVITY);
    *t.mutable_create_time() = ToTs(at);
    *t.mutable_update_time() = ToTs(at);
    CustomersStore::PutDoc(b, kTask, tid, t, 0);
    b.ZAdd(TasksOfAssigneeIndex(StripPrefix(t.assignee())), 0, tid);
    b.ZAdd(TasksOfCustomerIndex(customer_id), 0, tid);
    if (!opp_id.empty()) {
      b.ZAdd(TasksOfOpportunityIndex(opp_id), 0, tid);
    }
    b.ZAdd(ScheduleKey("task_due"), static_cast<double>(t.due_time().seconds()), tid);
    v1::FollowUpTaskCreated te;
    *te.mutable_task() = t;
    *te.mutable_actor() = ActorOf(call);
    Emit(b, call, customer_id, t.name(), te, at);
    t.set_etag("1");
    *resp->add_tasks() = std::move(t);
  }
  absl::Status s = store.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return AlreadyExists(reason::kRequestReplayed, "the same request_id is being processed; retry",
                         "");
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_activity() = std::move(act);
  return absl::OkStatus();
}

absl::Status CustomersApi::ListActivities(const CallContext& call,
                                          const v1::ListActivitiesRequest& req,
                                          v1::ListActivitiesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string customer, opp, by;
  if (!req.customer().empty()) {
    customer = IdOf(v, "customer", req.customer(), "customers");
  }
  if (!req.opportunity().empty()) {
    opp = IdOf(v, "opportunity", req.opportunity(), "opportunities");
  }
  if (!req.performed_by().empty()) {
    by = IdOf(v, "performed_by", req.performed_by(), "members");
  }
  if (customer.empty() && opp.empty() && by.empty()) {
    by = call.principal.member_id;  // my own activities
  }
  if (req.has_from_date() && !IsValidDate(req.from_date())) {
    v.Add("from_date", "not a valid date");
  }
  if (req.has_to_date() && !IsValidDate(req.to_date())) {
    v.Add("to_date", "not a valid date");
  }
  const std::string filter = absl::StrCat(customer, "|", opp, "|", by, "|", req.kind());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(std::string index, ScopedListIndex(store_, directory_, call, now, opp,
                                                               customer, by, kActivityIndexes));
  // Someone else's activities span customers: each one is checked (your own
  // are yours to see).
  const bool by_member = customer.empty() && opp.empty() && by != call.principal.member_id;
  AccessMemo memo(store_, directory_, call, now);
  std::string after = cursor ? cursor->after : "";
  bool exhausted = false;
  for (int round = 0; round < 8 && resp->activities_size() < page_size; ++round) {
    SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(index, after, page_size));
    if (ids.empty()) {
      exhausted = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto acts, store_.GetMany<v1::Activity>(kActivity, ids));
    after = ids.back();
    if (by_member) {  // a member's activities span customers: each one checked
      std::vector<std::string> names;
      for (const auto& a : acts) {
        names.push_back(a.doc.customer());
      }
      SALESOPS_RETURN_IF_ERROR(memo.Prefetch(names));
    }
    for (auto& a : acts) {
      if (!customer.empty() && a.doc.customer() != absl::StrCat("customers/", customer)) {
        continue;
      }
      if (by_member && !memo.CanReadCustomer(a.doc.customer())) {
        continue;
      }
      const absl::CivilDay day = absl::ToCivilDay(FromTs(a.doc.occur_time()), tz_);
      if (req.kind() != v1::ACTIVITY_KIND_UNSPECIFIED && a.doc.kind() != req.kind()) {
        continue;
      }
      if (req.has_from_date() && day < ToCivil(req.from_date())) {
        continue;
      }
      if (req.has_to_date() && day > ToCivil(req.to_date())) {
        continue;
      }
      *resp->add_activities() = std::move(a.doc);
    }
    if (static_cast<int>(ids.size()) < page_size) {
      exhausted = true;
      break;
    }
  }
  if (!exhausted) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- tasks

absl::Status CustomersApi::CreateTask(const CallContext& call, const v1::CreateTaskRequest& req,
                                      v1::CreateTaskResponse* resp) {
  Violations v;
  v1::FollowUpTask t = req.task();
  ClearOutputOnly(&t);
  const std::string customer_id = IdOf(v, "task.customer", t.customer(), "customers");
  std::string opp_id;
  if (!t.opportunity().empty()) {
    opp_id = IdOf(v, "task.opportunity", t.opportunity(), "opportunities");
  }
  std::string assignee;
  if (!t.assignee().empty()) {
    assignee = IdOf(v, "task.assignee", t.assignee(), "members");
  }
  CheckText(v, "task.title", t.title(), 1, 200);
  CheckText(v, "task.description", t.description(), 0, 4000);
  if (!t.has_due_time()) {
    v.Add("task.due_time", "required");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, "tasks/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing,
                              store_.Get<v1::FollowUpTask>(kTask, StripPrefix(*seen)));
    if (!existing) {
      return RequestIdReused();
    }
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, StripPrefix(existing->doc.customer())));
    SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, c.doc, now));
    if (!CanRead(a)) {
      return DenyRead(existing->doc.name());
    }
    existing->doc.set_etag(absl::StrCat(existing->version));
    *resp->mutable_task() = std::move(existing->doc);
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cust, LoadCustomer(store_, customer_id));
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, cust.doc, now));
  if (!CanRead(a)) {
    return DenyRead(t.customer());
  }
  if (!CanLogActivity(a)) {
    return DenyWrite(t.customer());
  }
  if (!opp_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto o, LoadOpp(store_, opp_id));
    if (o.doc.customer() != cust.doc.name()) {
      return InvalidArgument({{"task.opportunity", "belongs to another customer"}},
                             "OPPORTUNITY_OF_OTHER_CUSTOMER");
    }
  }
  if (assignee.empty()) {
    assignee = StripPrefix(cust.doc.owner());
  }
  if (assignee.empty()) {
    assignee = call.principal.member_id;
  }
  SALESOPS_RETURN_IF_ERROR(CheckNamedMember(directory_, call, cust.doc, assignee, "task.assignee"));
  const std::string id = NewUuid();
  t.set_name(absl::StrCat("tasks/", id));
  t.set_assignee(absl::StrCat("members/", assignee));
  t.set_state(v1::TASK_STATE_OPEN);
  t.set_origin(v1::TASK_ORIGIN_MANUAL);
  t.set_overdue(false);
  t.clear_complete_time();
  *t.mutable_create_time() = ToTs(now);
  *t.mutable_update_time() = ToTs(now);
  t.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kTask, id, t, 0);
  GuardRequest(b, call, req.request_id(), t.name());
  b.ZAdd(TasksOfAssigneeIndex(assignee), 0, id);
  b.ZAdd(TasksOfCustomerIndex(customer_id), 0, id);
  if (!opp_id.empty()) {
    b.ZAdd(TasksOfOpportunityIndex(opp_id), 0, id);
  }
  b.ZAdd(ScheduleKey("task_due"), static_cast<double>(t.due_time().seconds()), id);
  v1::FollowUpTaskCreated e;
  *e.mutable_task() = t;
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, customer_id, t.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  t.set_etag("1");
  *resp->mutable_task() = std::move(t);
  return absl::OkStatus();
}

absl::Status CustomersApi::ListTasks(const CallContext& call, const v1::ListTasksRequest& req,
                                     v1::ListTasksResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string assignee, customer, opp;
  if (!req.assignee().empty()) {
    assignee = IdOf(v, "assignee", req.assignee(), "members");
  }
  if (!req.customer().empty()) {
    customer = IdOf(v, "customer", req.customer(), "customers");
  }
  if (!req.opportunity().empty()) {
    opp = IdOf(v, "opportunity", req.opportunity(), "opportunities");
  }
  if (assignee.empty() && customer.empty() && opp.empty()) {
    assignee = call.principal.member_id;
  }
  if (!v1::TaskState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  if (req.has_due_before() && !IsValidDate(req.due_before())) {
    v.Add("due_before", "not a valid date");
  }
  const std::string filter =
      absl::StrCat(assignee, "|", customer, "|", opp, "|", req.state(), "|", req.overdue_only());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(std::string index, ScopedListIndex(store_, directory_, call, now, opp,
                                                               customer, assignee, kTaskIndexes));
  const bool by_member = customer.empty() && opp.empty() && assignee != call.principal.member_id;
  AccessMemo memo(store_, directory_, call, now);
  std::string after = cursor ? cursor->after : "";
  bool exhausted = false;
  for (int round = 0; round < 8 && resp->tasks_size() < page_size; ++round) {
    SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(index, after, page_size));
    if (ids.empty()) {
      exhausted = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto tasks, store_.GetMany<v1::FollowUpTask>(kTask, ids));
    after = ids.back();
    if (by_member) {  // a member's tasks span customers: each one checked
      std::vector<std::string> names;
      for (const auto& t : tasks) {
        names.push_back(t.doc.customer());
      }
      SALESOPS_RETURN_IF_ERROR(memo.Prefetch(names));
    }
    for (auto& t : tasks) {
      auto& d = t.doc;
      if (by_member && !memo.CanReadCustomer(d.customer())) {
        continue;
      }
      const bool overdue = d.state() == v1::TASK_STATE_OPEN && FromTs(d.due_time()) < now;
      d.set_overdue(overdue);
      if (!assignee.empty() && StripPrefix(d.assignee()) != assignee) {
        continue;
      }
      if (!customer.empty() && d.customer() != absl::StrCat("customers/", customer)) {
        continue;
      }
      if (req.state() != v1::TASK_STATE_UNSPECIFIED && d.state() != req.state()) {
        continue;
      }
      if (req.overdue_only() && !overdue) {
        continue;
      }
      if (req.has_due_before() &&
          absl::ToCivilDay(FromTs(d.due_time()), tz_) >= ToCivil(req.due_before())) {
        continue;
      }
      d.set_etag(absl::StrCat(t.version));
      *resp->add_tasks() = std::move(d);
    }
    if (static_cast<int>(ids.size()) < page_size) {
      exhausted = true;
      break;
    }
  }
  if (!exhausted) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  return absl::OkStatus();
}

absl::Status CustomersApi::CompleteTask(const CallContext& call, const v1::CompleteTaskRequest& req,
                                        v1::CompleteTaskResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "tasks");
  if (req.state() != v1::TASK_STATE_UNSPECIFIED && req.state() != v1::TASK_STATE_DONE &&
      req.state() != v1::TASK_STATE_CANCELLED) {
    v.Add("state", "DONE or CANCELLED");
  }
  CheckText(v, "note", req.note(), 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::FollowUpTask>(kTask, id));
  if (!cur) {
    return NotFound("TASK_NOT_FOUND", absl::StrCat(req.name(), " does not exist"));
  }
  const absl::Time now = clock_.Now();
  if (StripPrefix(cur->doc.assignee()) != call.principal.member_id) {
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, StripPrefix(cur->doc.customer())));
    SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, c.doc, now));
    if (!CanRead(a)) {
      return DenyRead(req.name());
    }
    if (!CanWrite(a)) {
      return DenyWrite(req.name());
    }
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur->version, req.name()));
  if (cur->doc.state() != v1::TASK_STATE_OPEN) {
    return FailedPrecondition("TASK_NOT_OPEN", "the task is already done or cancelled");
  }
  v1::FollowUpTask next = cur->doc;
  next.set_state(req.state() == v1::TASK_STATE_UNSPECIFIED ? v1::TASK_STATE_DONE : req.state());
  next.set_overdue(false);
  *next.mutable_complete_time() = ToTs(now);
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kTask, id, next, cur->version);
  b.ZRem(ScheduleKey("task_due"), id);
  v1::FollowUpTaskCompleted e;
  *e.mutable_task() = next;
  e.set_note(req.note());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, StripPrefix(next.customer()), next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur->version + 1));
  *resp->mutable_task() = std::move(next);
  return absl::OkStatus();
}

}  // namespace salesops::customers
