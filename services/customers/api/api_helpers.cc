#include "services/customers/api/api_helpers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validation.h"
#include "services/customers/api/customers_api.h"
#include "services/customers/api/customers_grpc_service.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/tiering.h"

namespace salesops::customers::internal {

absl::StatusOr<std::optional<std::string>> SeenRequest(CustomersStore& store,
                                                       const CallContext& call,
                                                       const std::string& rid) {
  auto seen = store.SeenRequest(call.principal.member_id, rid);
  if (seen.ok() && seen->has_value()) {
    call.replayed = true;
  }
  return seen;
}

void GuardRequest(WriteBatch& b, const CallContext& call, const std::string& rid,
                  const std::string& name) {
  DocStore::GuardRequestWith(kKeyPrefix, b, call.principal.member_id, rid, name);
}

void Emit(WriteBatch& b, const CallContext& call, const std::string& key,
          const std::string& subject, const google::protobuf::Message& payload, absl::Time time) {
  b.Emit(MakeCloudEvent(kCustomersSource, key, subject, payload, time, call.trace_id),
         kCustomersTopic);
}

absl::StatusOr<absl::Time> EffectiveTime(const CallContext& call,
                                         const google::protobuf::Timestamp* backfill,
                                         bool has_backfill, absl::Time now) {
  if (!has_backfill) {
    return now;
  }
  if (call.principal.role != Role::kAdmin) {
    return PermissionDenied("BACKFILL_ADMIN_ONLY",
                            "backfill_time is for data migration by an admin");
  }
  const absl::Time t = FromTs(*backfill);
  if (t > now + absl::Minutes(1)) {
    return InvalidField("backfill_time", "must not be in the future");
  }
  if (t < absl::FromUnixSeconds(0)) {
    return InvalidField("backfill_time", "must be after 1970");
  }
  return t;
}

namespace {

// The stored policies read into `p` (defaults where none is stored yet).
void FillPolicies(Policies& p, int64_t tier_version, int64_t pool_version) {
  p.tier_version = tier_version;
  if (tier_version == 0) {
    p.tier = DefaultTierPolicy();
    p.tier.set_etag("0");
  }
  p.pool_version = pool_version;
  if (pool_version == 0) {
    p.pool = DefaultPoolPolicy();
    p.pool.set_etag("0");
  }
}

}  // namespace

absl::StatusOr<Policies> LoadPolicies(CustomersStore& store) {
  Policies p;
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> v, store.GetDocs({{kPolicy, "tier", &p.tier},
                                                                   {kPolicy, "pool", &p.pool}}));
  FillPolicies(p, v[0], v[1]);
  return p;
}

absl::StatusOr<std::pair<Versioned<v1::Customer>, Policies>> LoadCustomerAndPolicies(
    CustomersStore& store, const std::string& id) {
  std::pair<Versioned<v1::Customer>, Policies> out;
  Policies& p = out.second;
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> v, store.GetDocs({{kCustomer, id, &out.first.doc},
                                                                   {kPolicy, "tier", &p.tier},
                                                                   {kPolicy, "pool", &p.pool}}));
  if (v[0] == 0) {
    return NotFound("CUSTOMER_NOT_FOUND", absl::StrCat("customers/", id, " does not exist"));
  }
  out.first.version = v[0];
  out.first.doc.set_etag(absl::StrCat(v[0]));
  FillPolicies(p, v[1], v[2]);
  return out;
}

std::string IdOf(Violations& v, const std::string& field, const std::string& name,
                 const std::string& collection) {
  return ParseResourceName(v, field, name, collection);
}

absl::StatusOr<Access> AccessTo(CustomersStore& store, OrgDirectory& dir, const CallContext& call,
                                const v1::Customer& c, absl::Time now) {
  if (InOwnerScope(call.principal, ScopeOf(c))) {
    return Access::kOwnerScope;
  }
  AccessChecker checker(store, dir, call, now);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Access> a, checker.Check({&c}));
  return a[0];
}

absl::Status AccessChecker::LoadShared() {
  if (shared_loaded_) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                            store_.Range(SelectorGrantsIndex(), "", kMaxGrantsConsidered));
  if (!ids.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto loaded, store_.GetMany<v1::SharingGrant>(kGrant, ids));
    for (auto& g : loaded) {
      selector_grants_.push_back(std::move(g.doc));
    }
  }
  viewer_.principal = call_.principal;
  if (!call_.principal.org_unit_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(viewer_.unit_and_ancestors,
                              dir_.UnitAndAncestors(call_.principal.org_unit_id));
  }
  shared_loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Access>> AccessChecker::Check(
    const std::vector<const v1::Customer*>& customers) {
  std::vector<Access> out(customers.size(), Access::kNone);
  std::vector<size_t> todo;
  for (size_t i = 0; i < customers.size(); ++i) {
    if (InOwnerScope(call_.principal, ScopeOf(*customers[i]))) {
      out[i] = Access::kOwnerScope;
    } else {
      todo.push_back(i);
    }
  }
  if (todo.empty()) {
    return out;
  }
  SALESOPS_RETURN_IF_ERROR(LoadShared());
  std::vector<std::string> indexes;
  for (size_t i : todo) {
    indexes.push_back(GrantsOfCustomerIndex(StripPrefix(customers[i]->name())));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto direct_ids, store_.RangeMany(indexes, kMaxGrantsConsidered));
  std::vector<std::string> all_ids;
  for (const auto& ids : direct_ids) {
    all_ids.insert(all_ids.end(), ids.begin(), ids.end());
  }
  absl::flat_hash_map<std::string, v1::SharingGrant> direct;
  if (!all_ids.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto loaded, store_.GetMany<v1::SharingGrant>(kGrant, all_ids));
    for (auto& g : loaded) {
      direct[StripPrefix(g.doc.name())] = std::move(g.doc);
    }
  }
  for (size_t k = 0; k < todo.size(); ++k) {
    std::vector<v1::SharingGrant> grants = selector_grants_;
    for (const std::string& id : direct_ids[k]) {
      auto it = direct.find(id);
      if (it != direct.end()) {
        grants.push_back(it->second);
      }
    }
    out[todo[k]] = CustomerAccess(viewer_, *customers[todo[k]], grants, now_);
  }
  return out;
}

absl::Status AccessMemo::Prefetch(const std::vector<std::string>& customer_names) {
  std::vector<std::string> ids;
  for (const std::string& n : customer_names) {
    if (readable_.contains(n)) {
      continue;
    }
    readable_[n] = false;
    ids.push_back(StripPrefix(n));
  }
  if (ids.empty()) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, store_.GetMany<v1::Customer>(kCustomer, ids));
  std::vector<const v1::Customer*> ptrs;
  for (const auto& d : docs) {
    ptrs.push_back(&d.doc);
  }
  AccessChecker checker(store_, dir_, call_, now_);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<Access> access, checker.Check(ptrs));
  for (size_t i = 0; i < ptrs.size(); ++i) {
    readable_[ptrs[i]->name()] = CanRead(access[i]);
  }
  return absl::OkStatus();
}

bool AccessMemo::CanReadCustomer(const std::string& customer_name) const {
  auto it = readable_.find(customer_name);
  return it != readable_.end() && it->second;
}

void TouchActivity(WriteBatch& b, const v1::Customer& c, absl::Time t, const v1::PoolPolicy& pool) {
  const std::string id = StripPrefix(c.name());
  b.HSet(LastActivityKey(), {{id, absl::StrCat(absl::ToUnixSeconds(t))}});
  // Scored by the activity itself (not the due time) so a changed pool policy
  // applies to every customer at once.
  if (c.pool_state() == v1::POOL_STATE_OWNED) {
    b.ZAdd(ScheduleKey("activity"), static_cast<double>(absl::ToUnixSeconds(t)), id);
  }
}

absl::Status CheckNamedMember(OrgDirectory& dir, const CallContext& call,
                              const v1::Customer& customer, const std::string& member_id,
                              const std::string& field) {
  if (member_id == call.principal.member_id) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<DirectoryMember> m, dir.Member(member_id));
  if (!m || m->left) {
    return InvalidArgument(
        {{field, absl::StrCat("members/", member_id, " is not an active member")}},
        "MEMBER_UNKNOWN");
  }
  if (StripPrefix(customer.owner()) == member_id) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::string region, dir.RegionOf(m->team));
  if (call.principal.role == Role::kRep ||
      !InOwnerScope(call.principal, {member_id, m->team, region})) {
    return PermissionDenied("NOT_IN_SCOPE",
                            absl::StrCat(field, ": members/", member_id, " is outside your scope"));
  }
  return absl::OkStatus();
}

absl::Status TouchActivityForward(CustomersStore& store, WriteBatch& b,
                                  const v1::Customer& customer, absl::Time t,
                                  const v1::PoolPolicy& pool) {
  const std::string id = StripPrefix(customer.name());
  SALESOPS_ASSIGN_OR_RETURN(const std::string seen, store.LastActivityText(id));
  int64_t recorded = 0;
  if (!seen.empty() && absl::SimpleAtoi(seen, &recorded) && absl::ToUnixSeconds(t) <= recorded) {
    return absl::OkStatus();  // not later: the clock stays
  }
  // Not the caller's resource: a concurrent touch is WRITE_CONFLICT (runs again, etag or not;
  // common/status/write_race.h), never the ETAG_MISMATCH of a "version:" guard.
  b.ExpectHashField(LastActivityKey(), id, seen, "activity_clock:" + id);
  TouchActivity(b, customer, t, pool);
  return absl::OkStatus();
}

absl::Status FillDerived(CustomersStore& store, const Policies& policies,
                         std::vector<v1::Customer*> customers) {
  if (customers.empty()) {
    return absl::OkStatus();
  }
  std::vector<std::string> ids;
  for (const v1::Customer* c : customers) {
    ids.push_back(StripPrefix(c->name()));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<int64_t>> last, store.LastActivities(ids));
  for (size_t i = 0; i < customers.size(); ++i) {
    v1::Customer& c = *customers[i];
    if (i < last.size() && last[i]) {
      *c.mutable_last_activity_time() = ToTs(absl::FromUnixSeconds(*last[i]));
    }
    const absl::Time last = FromTs(c.last_activity_time());
    if (c.pool_state() == v1::POOL_STATE_OWNED) {
      *c.mutable_release_due_time() = ToTs(ReleaseDueTime(policies.pool, last));
    } else {
      c.clear_release_due_time();
    }
    const v1::TierServicePlan* plan = PlanFor(policies.tier, c.tier());
    if (plan != nullptr && plan->visit_cadence_days() > 0 &&
        c.pool_state() == v1::POOL_STATE_OWNED) {
      *c.mutable_next_visit_due_time() = ToTs(last + absl::Hours(24) * plan->visit_cadence_days());
    } else {
      c.clear_next_visit_due_time();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Versioned<v1::Customer>> LoadCustomer(CustomersStore& store, const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(auto c, store.Get<v1::Customer>(kCustomer, id));
  if (!c) {
    return NotFound("CUSTOMER_NOT_FOUND", absl::StrCat("customers/", id, " does not exist"));
  }
  c->doc.set_etag(absl::StrCat(c->version));
  return *std::move(c);
}

std::string NameIndexMember(const v1::Customer& c) {
  return absl::StrCat(c.display_name(), "\x01", StripPrefix(c.name()));
}

void ReindexCustomer(WriteBatch& b, const v1::Customer* before, const v1::Customer& after) {
  const std::string id = StripPrefix(after.name());
  struct Dim {
    std::string (*index)(absl::string_view value);
    std::string (*get)(const v1::Customer&);
  };
  static constexpr Dim kDims[] = {
      {&CustomersOfOwnerIndex, [](const v1::Customer& c) { return StripPrefix(c.owner()); }},
      {&CustomersOfTeamIndex, [](const v1::Customer& c) { return StripPrefix(c.team()); }},
      {&CustomersOfRegionIndex,
       [](const v1::Customer& c) { return StripPrefix(c.tags().region()); }},
      {&CustomersOfIndustryIndex, [](const v1::Customer& c) { return c.tags().industry(); }},
      {&CustomersInPoolStateIndex,
       [](const v1::Customer& c) { return absl::StrCat(static_cast<int>(c.pool_state())); }},
      {&CustomersOfTierIndex,
       [](const v1::Customer& c) { return absl::StrCat(static_cast<int>(c.tier())); }},
  };
  if (before == nullptr) {
    b.ZAdd(AllCustomersIndex(), 0, id);
  }
  for (const Dim& d : kDims) {
    const std::string now_value = d.get(after);
    const std::string old_value = before ? d.get(*before) : "";
    if (before != nullptr && old_value == now_value) {
      continue;
    }
    if (before != nullptr && !old_value.empty()) {
      b.ZRem(d.index(old_value), id);
    }
    if (!now_value.empty()) {
      b.ZAdd(d.index(now_value), 0, id);
    }
  }
  if (before == nullptr || before->display_name() != after.display_name()) {
    if (before != nullptr) {
      b.ZRem(CustomersByNameIndex(), NameIndexMember(*before));
    }
    b.ZAdd(CustomersByNameIndex(), 0, NameIndexMember(after));
  }
}

void ScheduleTier(WriteBatch& b, const std::string& customer_id, absl::Time when) {
  b.ZAdd(ScheduleKey("tier"), static_cast<double>(absl::ToUnixSeconds(when)), customer_id);
}

}  // namespace salesops::customers::internal
