// Tier evaluation, claim / release / hand-over, sharing grants and the two
// policies of the customers API.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "services/customers/api/api_helpers.h"
#include "services/customers/api/api_ops.h"
#include "services/customers/api/customers_api.h"
#include "services/customers/domain/pipeline.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/tiering.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

namespace {

std::string Member(const std::string& id) { return id.empty() ? "" : absl::StrCat("members/", id); }
std::string Unit(const std::string& id) { return id.empty() ? "" : absl::StrCat("orgUnits/", id); }

}  // namespace

absl::Status CustomersApi::EvaluateCustomerTier(const CallContext& call,
                                                const v1::EvaluateCustomerTierRequest& req,
                                                v1::EvaluateCustomerTierResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "customers");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadCustomer(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, cur.doc, now));
  if (!CanRead(a)) {
    return DenyRead(req.name());
  }
  if (!CanWrite(a)) {
    return DenyWrite(req.name());
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  SALESOPS_ASSIGN_OR_RETURN(
      TierResult r, ReTier(store_, policies, cur, v1::TIER_EVALUATION_TRIGGER_MANUAL, call, now));
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&r.customer}));
  *resp->mutable_customer() = std::move(r.customer);
  resp->set_tier_changed(r.changed);
  return absl::OkStatus();
}

absl::Status CustomersApi::ClaimCustomer(const CallContext& call,
                                         const v1::ClaimCustomerRequest& req,
                                         v1::ClaimCustomerResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "customers");
  std::string owner = call.principal.member_id;
  if (!req.owner().empty()) {
    owner = IdOf(v, "owner", req.owner(), "members");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (call.principal.role == Role::kRep && owner != call.principal.member_id) {
    return PermissionDenied("NOT_IN_SCOPE", "a rep claims customers for themself only");
  }
  // A retried claim (same request_id, lost reply) answers with the customer it
  // claimed instead of CUSTOMER_NOT_IN_POOL.
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  auto replay = [&](const std::string& name) {
    return ReplayCustomer(call, name, req.name(), resp->mutable_customer());
  };
  if (seen) {
    return replay(*seen);
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadCustomer(store_, id));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(auto place_member, directory_.Member(owner));
  std::string team;
  if (place_member && !place_member->left) {
    team = place_member->team;
  } else if (owner == call.principal.member_id && !call.principal.org_unit_id.empty()) {
    team = call.principal.org_unit_id;
  } else {
    return FailedPrecondition(
        "OWNER_UNKNOWN", absl::StrCat("members/", owner, " is not known to the customers service"));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::string owner_region, directory_.RegionOf(team));
  if (!InOwnerScope(call.principal, {owner, team, owner_region})) {
    return PermissionDenied("NOT_IN_SCOPE",
                            absl::StrCat("members/", owner, " is outside your scope"));
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  const std::string month = ClaimMonth(now, tz_);
  ClaimFacts facts;
  facts.now = now;
  facts.in_pool = cur.doc.pool_state() == v1::POOL_STATE_PUBLIC_POOL;
  if (cur.doc.has_protection_until()) {
    facts.protection_until = FromTs(cur.doc.protection_until());
  }
  SALESOPS_ASSIGN_OR_RETURN(int64_t owned, store_.HGetInt(OwnedCountsKey(), owner));
  SALESOPS_ASSIGN_OR_RETURN(int64_t claims, store_.HGetInt(ClaimsKey(owner), month));
  facts.owned_by_claimant = static_cast<int>(owned);
  facts.claims_this_month = static_cast<int>(claims);
  SALESOPS_ASSIGN_OR_RETURN(auto cooldown, store_.GetString(ClaimCooldownKey(id, owner)));
  int64_t until = 0;
  if (cooldown && absl::SimpleAtoi(*cooldown, &until)) {
    facts.cooldown_until = absl::FromUnixSeconds(until);
  }
  SALESOPS_RETURN_IF_ERROR(CheckClaim(policies.pool, facts));

  v1::Customer next = cur.doc;
  next.set_owner(Member(owner));
  next.set_team(Unit(team));
  if (next.tags().region().empty()) {
    next.mutable_tags()->set_region(Unit(owner_region));
  }
  next.set_pool_state(v1::POOL_STATE_OWNED);
  *next.mutable_protection_until() = ToTs(ProtectionUntil(policies.pool, now));
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kCustomer, id, next, cur.version);
  // The claim counter is the guard that keeps two parallel claims by one rep
  // within the limits.
  b.ExpectHashField(ClaimsKey(owner), month, claims == 0 ? "" : absl::StrCat(claims), "claims:");
  b.HIncrBy(ClaimsKey(owner), month, 1);
  b.HIncrBy(OwnedCountsKey(), owner, 1);
  ReindexCustomer(b, &cur.doc, next);
  TouchActivity(b, next, now, policies.pool);
  v1::CustomerClaimed event;
  event.set_customer(next.name());
  event.set_display_name(next.display_name());
  event.set_owner(next.owner());
  event.set_team(next.team());
  event.set_region(next.tags().region());
  *event.mutable_protection_until() = next.protection_until();
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, id, next.name(), event, now);
  GuardRequest(b, call, req.request_id(), next.name());
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    call.replayed = true;
    return replay(std::string(s.message()));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  next.set_etag(absl::StrCat(cur.version + 1));
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&next}));
  *resp->mutable_customer() = std::move(next);
  return absl::OkStatus();
}

// Shared by ReleaseCustomer and the pool job.
absl::Status ReleaseToPool(CustomersStore& store, const Policies& policies,
                           Versioned<v1::Customer>& cur, v1::ReleaseReason reason,
                           const std::string& note, int days_idle, const CallContext& call,
                           absl::Time now, v1::Customer* out) {
  const std::string id = StripPrefix(cur.doc.name());
  const std::string prev_owner = StripPrefix(cur.doc.owner());
  v1::Customer next = cur.doc;
  next.clear_owner();
  next.clear_team();
  next.set_pool_state(v1::POOL_STATE_PUBLIC_POOL);
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kCustomer, id, next, cur.version);
  ReindexCustomer(b, &cur.doc, next);
  if (!prev_owner.empty()) {
    b.HIncrBy(OwnedCountsKey(), prev_owner, -1);
    if (policies.pool.reclaim_cooldown_days() > 0) {
      const absl::Time until = now + absl::Hours(24) * policies.pool.reclaim_cooldown_days();
      b.Set(ClaimCooldownKey(id, prev_owner), absl::StrCat(absl::ToUnixSeconds(until)),
            int64_t{policies.pool.reclaim_cooldown_days()} * 24 * 3600);
    }
  }
  b.ZRem(ScheduleKey("activity"), id);
  v1::CustomerReleasedToPool event;
  event.set_customer(next.name());
  event.set_display_name(next.display_name());
  event.set_previous_owner(cur.doc.owner());
  event.set_previous_team(cur.doc.team());
  event.set_region(next.tags().region());
  event.set_reason(reason);
  event.set_note(note);
  event.set_days_without_activity(days_idle);
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, id, next.name(), event, now);
  SALESOPS_RETURN_IF_ERROR(store.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  *out = std::move(next);
  return absl::OkStatus();
}

absl::Status CustomersApi::ReleaseCustomer(const CallContext& call,
                                           const v1::ReleaseCustomerRequest& req,
                                           v1::ReleaseCustomerResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "customers");
  CheckText(v, "reason", req.reason(), 0, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadCustomer(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, cur.doc, now));
  if (!CanRead(a)) {
    return DenyRead(req.name());
  }
  if (!CanWrite(a)) {
    return DenyWrite(req.name());
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  if (cur.doc.pool_state() != v1::POOL_STATE_OWNED) {
    return FailedPrecondition("CUSTOMER_NOT_OWNED", "the customer is already in the public pool");
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  v1::Customer out;
  SALESOPS_RETURN_IF_ERROR(ReleaseToPool(store_, policies, cur, v1::RELEASE_REASON_MANUAL,
                                         req.reason(), 0, call, now, &out));
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&out}));
  *resp->mutable_customer() = std::move(out);
  return absl::OkStatus();
}

absl::Status CustomersApi::HandOverCustomer(const CallContext& call,
                                            const v1::HandOverCustomerRequest& req,
                                            v1::HandOverCustomerResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "customers");
  const std::string to = IdOf(v, "new_owner", req.new_owner(), "members");
  CheckText(v, "reason", req.reason(), 1, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadCustomer(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, cur.doc, now));
  if (!CanRead(a)) {
    return DenyRead(req.name());
  }
  if (!CanWrite(a)) {
    return DenyWrite(req.name());
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  if (StripPrefix(cur.doc.owner()) == to) {
    return FailedPrecondition("SAME_OWNER", "the customer already belongs to new_owner");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto m, directory_.Member(to));
  if (!m || m->left) {
    return InvalidArgument(
        {{"new_owner", absl::StrCat(req.new_owner(), " is not an active member")}},
        "OWNER_UNKNOWN");
  }
  SALESOPS_ASSIGN_OR_RETURN(std::string to_region, directory_.RegionOf(m->team));
  // Across departments or regions the receiving side must be in scope too.
  if (!InOwnerScope(call.principal, {to, m->team, to_region})) {
    return PermissionDenied("NOT_IN_SCOPE",
                            absl::StrCat(req.new_owner(), " is outside your scope"));
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  v1::Customer next = cur.doc;
  next.set_owner(req.new_owner());
  next.set_team(Unit(m->team));
  next.set_pool_state(v1::POOL_STATE_OWNED);
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kCustomer, id, next, cur.version);
  ReindexCustomer(b, &cur.doc, next);
  if (!cur.doc.owner().empty()) {
    b.HIncrBy(OwnedCountsKey(), StripPrefix(cur.doc.owner()), -1);
  }
  b.HIncrBy(OwnedCountsKey(), to, 1);
  TouchActivity(b, next, now, policies.pool);
  v1::CustomerHandedOver event;
  if (req.include_open_opportunities()) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> opp_ids,
                              store_.Range(OpportunitiesOfCustomerIndex(id), "", 1000));
    SALESOPS_ASSIGN_OR_RETURN(auto opps, store_.GetMany<v1::Opportunity>(kOpportunity, opp_ids));
    for (auto& o : opps) {
      if (!IsOpenStage(o.doc.stage())) {
        continue;
      }
      const std::string oid = StripPrefix(o.doc.name());
      v1::Opportunity moved = o.doc;
      moved.set_owner(req.new_owner());
      moved.set_team(Unit(m->team));
      *moved.mutable_update_time() = ToTs(now);
      CustomersStore::PutOtherDoc(b, kOpportunity, oid, moved, o.version);
      b.ZRem(OpportunitiesOfOwnerIndex(StripPrefix(o.doc.owner())), oid);
      b.ZAdd(OpportunitiesOfOwnerIndex(to), 0, oid);
      b.ZRem(OpportunitiesOfTeamIndex(StripPrefix(o.doc.team())), oid);
      b.ZAdd(OpportunitiesOfTeamIndex(m->team), 0, oid);
      event.add_moved_opportunities(o.doc.name());
    }
  }
  event.set_customer(next.name());
  event.set_display_name(next.display_name());
  event.set_from_owner(cur.doc.owner());
  event.set_from_team(cur.doc.team());
  event.set_to_owner(next.owner());
  event.set_to_team(next.team());
  event.set_reason(req.reason());
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, id, next.name(), event, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&next}));
  *resp->mutable_customer() = std::move(next);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- sharing

absl::Status CustomersApi::GrantSharing(const CallContext& call, const v1::GrantSharingRequest& req,
                                        v1::GrantSharingResponse* resp) {
  Violations v;
  v1::SharingGrant g = req.sharing_grant();
  ClearOutputOnly(&g);
  std::string customer_id;
  if (!g.customer().empty()) {
    customer_id = IdOf(v, "sharing_grant.customer", g.customer(), "customers");
  }
  const std::string grantee = IdOf(v, "sharing_grant.grantee", g.grantee(), "orgUnits");
  if (g.access() != v1::SHARING_ACCESS_READ_ONLY && g.access() != v1::SHARING_ACCESS_COLLABORATE) {
    v.Add("sharing_grant.access", "READ_ONLY or COLLABORATE");
  }
  CheckText(v, "sharing_grant.purpose", g.purpose(), 1, 500);
  // Selectors are small sets; every grant is read on access checks.
  for (const auto& [field, n] :
       {std::pair<const char*, int>{"regions", g.selector().regions_size()},
        {"tiers", g.selector().tiers_size()},
        {"industries", g.selector().industries_size()}}) {
    if (n > 50) {
      v.Add(absl::StrCat("sharing_grant.selector.", field), "at most 50 values");
    }
  }
  for (int i = 0; i < g.selector().industries_size(); ++i) {
    CheckText(v, absl::StrCat("sharing_grant.selector.industries[", i, "]"),
              g.selector().industries(i), 1, 100);
  }
  for (int i = 0; i < g.selector().regions_size(); ++i) {
    IdOf(v, absl::StrCat("sharing_grant.selector.regions[", i, "]"), g.selector().regions(i),
         "orgUnits");
  }
  for (int i = 0; i < g.selector().tiers_size(); ++i) {
    const int t = g.selector().tiers(i);
    if (t < v1::CUSTOMER_TIER_S || t > v1::CUSTOMER_TIER_C) {
      v.Add(absl::StrCat("sharing_grant.selector.tiers[", i, "]"), "S, A, B or C");
    }
  }
  const absl::Time now = clock_.Now();
  if (g.has_expire_time() && FromTs(g.expire_time()) <= now) {
    v.Add("sharing_grant.expire_time", "must be in the future");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "sharingGrants/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing,
                              store_.Get<v1::SharingGrant>(kGrant, StripPrefix(name)));
    if (!existing) {
      return RequestIdReused();
    }
    // The grant this caller made; still only while its customer is theirs to share.
    if (existing->doc.granted_by() != absl::StrCat("members/", call.principal.member_id)) {
      return RequestIdReused();
    }
    if (!existing->doc.customer().empty()) {
      SALESOPS_ASSIGN_OR_RETURN(auto c,
                                LoadCustomer(store_, StripPrefix(existing->doc.customer())));
      if (!InOwnerScope(call.principal, ScopeOf(c.doc))) {
        return DenyRead(name);
      }
    }
    *resp->mutable_sharing_grant() = std::move(existing->doc);
    resp->mutable_sharing_grant()->set_etag(absl::StrCat(existing->version));
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  if (!customer_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, customer_id));
    if (!InOwnerScope(call.principal, ScopeOf(c.doc))) {
      return DenyWrite(g.customer());
    }
  } else {
    // A selector grant shares many customers: managers within their region, directors all.
    const Role r = call.principal.role;
    const bool own_region_only = r == Role::kManager && g.selector().regions_size() == 1 &&
                                 StripPrefix(g.selector().regions(0)) == call.principal.org_unit_id;
    if (r != Role::kAdmin && r != Role::kDirector && !own_region_only) {
      return PermissionDenied(
          "NOT_IN_SCOPE",
          "sharing by selector needs a director, or a manager selecting exactly "
          "their own region");
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(grantee));
  if (kind == 0) {
    return InvalidArgument({{"sharing_grant.grantee", "is not a known org unit"}},
                           "ORG_UNIT_NOT_FOUND");
  }
  const std::string id = NewUuid();
  g.set_name(absl::StrCat("sharingGrants/", id));
  g.set_granted_by(absl::StrCat("members/", call.principal.member_id));
  *g.mutable_create_time() = ToTs(now);
  g.clear_revoke_time();
  g.clear_etag();
  WriteBatch b;
  CustomersStore::PutDoc(b, kGrant, id, g, 0);
  GuardRequest(b, call, req.request_id(), g.name());
  b.ZAdd(AllGrantsIndex(), 0, id);
  b.ZAdd(customer_id.empty() ? SelectorGrantsIndex() : GrantsOfCustomerIndex(customer_id), 0, id);
  b.ZAdd(GrantsOfGranteeIndex(grantee), 0, id);
  v1::SharingGranted event;
  *event.mutable_sharing_grant() = g;
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, customer_id.empty() ? id : customer_id, g.name(), event, now);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  g.set_etag("1");
  *resp->mutable_sharing_grant() = std::move(g);
  return absl::OkStatus();
}

absl::Status CustomersApi::RevokeSharing(const CallContext& call,
                                         const v1::RevokeSharingRequest& req,
                                         v1::RevokeSharingResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "sharingGrants");
  CheckText(v, "reason", req.reason(), 0, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::SharingGrant>(kGrant, id));
  if (!cur) {
    return NotFound("SHARING_GRANT_NOT_FOUND", absl::StrCat(req.name(), " does not exist"));
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur->version, req.name()));
  const std::string customer_id = StripPrefix(cur->doc.customer());
  const Role r = call.principal.role;
  const bool granter = cur->doc.granted_by() == absl::StrCat("members/", call.principal.member_id);
  if (r != Role::kAdmin && r != Role::kDirector && !granter) {
    bool in_scope = false;
    if (!customer_id.empty()) {
      SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, customer_id));
      in_scope = InOwnerScope(call.principal, ScopeOf(c.doc));
    }
    if (!in_scope) {
      return DenyWrite(req.name());
    }
  }
  if (cur->doc.has_revoke_time()) {
    *resp->mutable_sharing_grant() = cur->doc;
    resp->mutable_sharing_grant()->set_etag(absl::StrCat(cur->version));
    return absl::OkStatus();  // already revoked: idempotent
  }
  const absl::Time now = clock_.Now();
  v1::SharingGrant next = cur->doc;
  *next.mutable_revoke_time() = ToTs(now);
  WriteBatch b;
  CustomersStore::PutDoc(b, kGrant, id, next, cur->version);
  b.ZRem(customer_id.empty() ? SelectorGrantsIndex() : GrantsOfCustomerIndex(customer_id), id);
  v1::SharingRevoked event;
  *event.mutable_sharing_grant() = next;
  event.set_reason(req.reason());
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, customer_id.empty() ? id : customer_id, next.name(), event, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur->version + 1));
  *resp->mutable_sharing_grant() = std::move(next);
  return absl::OkStatus();
}

absl::Status CustomersApi::ListSharingGrants(const CallContext& call,
                                             const v1::ListSharingGrantsRequest& req,
                                             v1::ListSharingGrantsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string customer_id, grantee;
  if (!req.customer().empty()) {
    customer_id = IdOf(v, "customer", req.customer(), "customers");
  }
  if (!req.grantee().empty()) {
    grantee = IdOf(v, "grantee", req.grantee(), "orgUnits");
  }
  const std::string filter = absl::StrCat(customer_id, "|", grantee, "|", req.include_inactive());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const Role r = call.principal.role;
  if (!customer_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, customer_id));
    if (!InOwnerScope(call.principal, ScopeOf(c.doc))) {
      return DenyRead(req.customer());
    }
  } else if (r != Role::kAdmin && r != Role::kDirector &&
             !(grantee.empty() ? false : grantee == call.principal.org_unit_id)) {
    return PermissionDenied("NOT_IN_SCOPE",
                            "list grants of a customer in your scope, or of your own unit");
  }
  // Revoked grants leave the per-customer index; "all" and "grantee" keep them.
  const std::string index = !grantee.empty() ? GrantsOfGranteeIndex(grantee) : AllGrantsIndex();
  std::string after = cursor ? cursor->after : "";
  const absl::Time now = clock_.Now();
  bool exhausted = false;
  int scanned = 0;
  while (resp->sharing_grants_size() < page_size && scanned < page_size * 20) {
    SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(index, after, page_size));
    if (ids.empty()) {
      exhausted = true;
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto grants, store_.GetMany<v1::SharingGrant>(kGrant, ids));
    scanned += static_cast<int>(ids.size());
    after = ids.back();
    for (auto& g : grants) {
      if (!customer_id.empty() && StripPrefix(g.doc.customer()) != customer_id) {
        continue;
      }
      const bool active = !g.doc.has_revoke_time() &&
                          (!g.doc.has_expire_time() || FromTs(g.doc.expire_time()) > now);
      if (!active && !req.include_inactive()) {
        continue;
      }
      g.doc.set_etag(absl::StrCat(g.version));
      *resp->add_sharing_grants() = std::move(g.doc);
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

// ---------------------------------------------------------------- policies

absl::Status CustomersApi::GetTierPolicy(const CallContext&, const v1::GetTierPolicyRequest&,
                                         v1::GetTierPolicyResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Policies p, LoadPolicies(store_));
  *resp->mutable_tier_policy() = std::move(p.tier);
  resp->mutable_tier_policy()->set_etag(absl::StrCat(p.tier_version));
  return absl::OkStatus();
}

absl::Status CustomersApi::GetPoolPolicy(const CallContext&, const v1::GetPoolPolicyRequest&,
                                         v1::GetPoolPolicyResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Policies p, LoadPolicies(store_));
  *resp->mutable_pool_policy() = std::move(p.pool);
  resp->mutable_pool_policy()->set_etag(absl::StrCat(p.pool_version));
  return absl::OkStatus();
}

namespace {

// Copies the masked fields (all settable ones when the mask is empty).
template <typename T>
absl::Status ApplyMask(const T& in, const google::protobuf::FieldMask& mask, const char* prefix,
                       T* out) {
  const auto* desc = T::descriptor();
  const auto* refl = T::GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  if (mask.paths_size() == 0) {
    for (int i = 0; i < desc->field_count(); ++i) {
      fields.push_back(desc->field(i));
    }
  } else {
    Violations v;
    for (int i = 0; i < mask.paths_size(); ++i) {
      const auto* f = desc->FindFieldByName(mask.paths(i));
      if (f == nullptr || f->name() == "name" || f->name() == "etag" ||
          f->name() == "update_time") {
        v.Add(
            absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat(QuoteUntrusted(mask.paths(i)), " is not an updatable field of ", prefix));
      } else {
        fields.push_back(f);
      }
    }
    SALESOPS_RETURN_IF_ERROR(v.Finish());
  }
  for (const auto* f : fields) {
    if (f->name() == "name" || f->name() == "etag" || f->name() == "update_time") {
      continue;
    }
    if (f->is_repeated()) {
      refl->ClearField(out, f);
      for (int i = 0; i < refl->FieldSize(in, f); ++i) {
        if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
          refl->AddMessage(out, f)->CopyFrom(refl->GetRepeatedMessage(in, f, i));
        }
      }
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
      refl->SetInt32(out, f, refl->GetInt32(in, f));
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT64) {
      refl->SetInt64(out, f, refl->GetInt64(in, f));
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      refl->SetString(out, f, refl->GetString(in, f));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CustomersApi::UpdateTierPolicy(const CallContext& call,
                                            const v1::UpdateTierPolicyRequest& req,
                                            v1::UpdateTierPolicyResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Policies p, LoadPolicies(store_));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.tier_policy().etag(), p.tier_version, "tierPolicy"));
  v1::TierPolicy next = p.tier;
  SALESOPS_RETURN_IF_ERROR(ApplyMask(req.tier_policy(), req.update_mask(), "tier_policy", &next));
  next.set_name("tierPolicy");
  next.clear_etag();
  SALESOPS_RETURN_IF_ERROR(ValidateTierPolicy(next));
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  next.set_etag(absl::StrCat(p.tier_version + 1));  // scores record the version they used
  WriteBatch b;
  CustomersStore::PutDoc(b, kPolicy, "tier", next, p.tier_version);
  v1::TierPolicyUpdated event;
  *event.mutable_tier_policy() = next;
  *event.mutable_previous() = p.tier;
  event.set_reason(req.reason());
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, "tierPolicy", "tierPolicy", event, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  *resp->mutable_tier_policy() = std::move(next);
  return absl::OkStatus();
}

absl::Status CustomersApi::UpdatePoolPolicy(const CallContext& call,
                                            const v1::UpdatePoolPolicyRequest& req,
                                            v1::UpdatePoolPolicyResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Policies p, LoadPolicies(store_));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.pool_policy().etag(), p.pool_version, "poolPolicy"));
  v1::PoolPolicy next = p.pool;
  SALESOPS_RETURN_IF_ERROR(ApplyMask(req.pool_policy(), req.update_mask(), "pool_policy", &next));
  next.set_name("poolPolicy");
  next.clear_etag();
  SALESOPS_RETURN_IF_ERROR(ValidatePoolPolicy(next));
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  next.set_etag(absl::StrCat(p.pool_version + 1));
  WriteBatch b;
  CustomersStore::PutDoc(b, kPolicy, "pool", next, p.pool_version);
  v1::PoolPolicyUpdated event;
  *event.mutable_pool_policy() = next;
  *event.mutable_previous() = p.pool;
  event.set_reason(req.reason());
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, "poolPolicy", "poolPolicy", event, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  *resp->mutable_pool_policy() = std::move(next);
  return absl::OkStatus();
}

}  // namespace salesops::customers
