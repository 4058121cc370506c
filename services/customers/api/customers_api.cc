// Customers, tiering, ownership and the pool, sharing grants, policies.
#include "services/customers/api/customers_api.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "services/customers/api/api_helpers.h"
#include "services/customers/domain/customer_rules.h"
#include "services/customers/domain/pipeline.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/reasons.h"
#include "services/customers/domain/tiering.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

MethodPolicy CustomersMethodPolicy() {
  MethodPolicy p;
  for (const char* m : {"CreateCustomer",
                        "GetCustomer",
                        "ListCustomers",
                        "UpdateCustomer",
                        "CheckCustomerConflicts",
                        "EvaluateCustomerTier",
                        "ClaimCustomer",
                        "ReleaseCustomer",
                        "ListSharingGrants",
                        "GetTierPolicy",
                        "GetPoolPolicy",
                        "CreateOpportunity",
                        "GetOpportunity",
                        "ListOpportunities",
                        "UpdateOpportunity",
                        "ChangeOpportunityStage",
                        "LogActivity",
                        "ListActivities",
                        "CreateTask",
                        "ListTasks",
                        "CompleteTask",
                        "CreateContract",
                        "GetContract",
                        "ListContracts",
                        "SignContract",
                        "CancelContract",
                        "CloseContract",
                        "RecordPayment",
                        "RecordRefund",
                        "ExportCustomersCsv"}) {
    p.AllowAll(m);
  }
  for (const char* m :
       {"HandOverCustomer", "GrantSharing", "RevokeSharing", "ImportCustomersCsv"}) {
    p.Allow(m, {Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin});
  }
  for (const char* m : {"UpdateTierPolicy", "UpdatePoolPolicy"}) {
    p.Allow(m, {Role::kDirector, Role::kAdmin});
  }
  return p;
}

CustomersApi::CustomersApi(CustomersStore& store, OrgDirectory& directory, const Clock& clock,
                           absl::TimeZone tz)
    : store_(store), directory_(directory), clock_(clock), tz_(tz) {}

namespace {

std::string CustomerName(const std::string& id) { return absl::StrCat("customers/", id); }

// The owner's team and region from the org directory. A caller creating for
// themself may rely on the org unit in their token while the directory
// catches up with the org service's events.
struct Placement {
  std::string team, region;
};
absl::StatusOr<Placement> PlaceOwner(OrgDirectory& dir, const CallContext& call,
                                     const std::string& owner_id, const std::string& field) {
  Placement p;
  SALESOPS_ASSIGN_OR_RETURN(std::optional<DirectoryMember> m, dir.Member(owner_id));
  if (m && m->left) {
    return InvalidArgument({{field, absl::StrCat("members/", owner_id, " has left the company")}},
                           "OWNER_LEFT");
  }
  if (m) {
    p.team = m->team;
  } else if (owner_id == call.principal.member_id && !call.principal.org_unit_id.empty()) {
    p.team = call.principal.org_unit_id;
  } else {
    return FailedPrecondition("OWNER_UNKNOWN",
                              absl::StrCat("members/", owner_id,
                                           " is not known to the customers service yet (org "
                                           "events not received); retry shortly"));
  }
  SALESOPS_ASSIGN_OR_RETURN(p.region, dir.RegionOf(p.team));
  return p;
}

v1::CustomerConflict ConflictOf(const v1::Customer& c, std::vector<std::string> fields) {
  v1::CustomerConflict out;
  out.set_customer(c.name());
  out.set_display_name(c.display_name());
  for (auto& f : fields) {
    out.add_matched_fields(std::move(f));
  }
  out.set_owner(c.owner());
  out.set_pool_state(c.pool_state());
  return out;
}

}  // namespace

// ---------------------------------------------------------------- customers

absl::Status CustomersApi::CreateCustomer(const CallContext& call,
                                          const v1::CreateCustomerRequest& req,
                                          v1::CreateCustomerResponse* resp) {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(
      absl::Time at, EffectiveTime(call, &req.backfill_time(), req.has_backfill_time(), now));
  Violations v;
  v1::Customer c = req.customer();
  ClearOutputOnly(&c);  // team, tier, score, state, protection, timestamps: ours to set
  CheckCustomerFields(v, "customer", c);
  if (!req.customer_id().empty() && !IsValidId(req.customer_id())) {
    v.Add("customer_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  std::string owner;
  if (!c.owner().empty()) {
    owner = IdOf(v, "customer.owner", c.owner(), "members");
  }
  std::string region;
  if (!c.tags().region().empty()) {
    region = IdOf(v, "customer.tags.region", c.tags().region(), "orgUnits");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  auto replay = [&](const std::string& name) {
    return ReplayCustomer(call, name, "", resp->mutable_customer());
  };
  if (seen) {
    return replay(*seen);
  }

  // Who owns it: a rep creates for themself; managers and above may name a
  // rep in their scope; no owner means the public pool.
  if (owner.empty() && call.principal.role == Role::kRep) {
    owner = call.principal.member_id;
  }
  if (call.principal.role == Role::kRep && owner != call.principal.member_id) {
    return PermissionDenied("NOT_IN_SCOPE", "a rep creates customers for themself only");
  }
  Placement place;
  if (!owner.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(place, PlaceOwner(directory_, call, owner, "customer.owner"));
    // An owned customer sits in its owner's region, whatever the request says:
    // the region decides who else sees it (managers) and where its deals count.
    if (!region.empty() && region != place.region) {
      return InvalidArgument({{"customer.tags.region",
                               absl::StrCat("must be the owner's region (orgUnits/", place.region,
                                            ") or empty; it is derived from the owner")}},
                             "REGION_NOT_OWNERS");
    }
    region = place.region;
    if (!InOwnerScope(call.principal, {owner, place.team, region})) {
      return PermissionDenied("NOT_IN_SCOPE",
                              absl::StrCat("members/", owner, " is outside your scope"));
    }
  } else if (!region.empty()) {
    // A pool customer's region is the caller's choice, within their own reach.
    SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(region));
    if (kind != 2) {  // salesops.org.v1.ORG_UNIT_KIND_REGION
      return InvalidArgument(
          {{"customer.tags.region", kind == 0 ? "is not a known org unit" : "is not a region"}},
          kind == 0 ? "ORG_UNIT_NOT_FOUND" : "NOT_A_REGION");
    }
    const Principal& who = call.principal;
    if (who.role == Role::kManager && region != who.org_unit_id) {
      return PermissionDenied("NOT_IN_SCOPE", "a manager adds pool customers to their own region");
    }
    if (who.role == Role::kSupervisor) {
      SALESOPS_ASSIGN_OR_RETURN(std::string own_region, directory_.RegionOf(who.org_unit_id));
      if (region != own_region) {
        return PermissionDenied("NOT_IN_SCOPE",
                                "a supervisor adds pool customers to their team's region");
      }
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));

  const std::string id = req.customer_id().empty() ? NewUuid() : req.customer_id();
  c.set_name(CustomerName(id));
  c.set_owner(owner.empty() ? "" : absl::StrCat("members/", owner));
  c.set_team(place.team.empty() ? "" : absl::StrCat("orgUnits/", place.team));
  c.mutable_tags()->set_region(region.empty() ? "" : absl::StrCat("orgUnits/", region));
  c.set_pool_state(owner.empty() ? v1::POOL_STATE_PUBLIC_POOL : v1::POOL_STATE_OWNED);
  if (!owner.empty()) {
    *c.mutable_protection_until() = ToTs(ProtectionUntil(policies.pool, at));
  } else {
    c.clear_protection_until();  // nobody's protection: anyone may claim it
  }
  int n = 0;
  for (auto& contact : *c.mutable_contacts()) {
    ++n;
    if (contact.contact_id().empty()) {
      contact.set_contact_id(absl::StrCat("c", n));
    }
  }
  *c.mutable_score() = Score(policies.tier, PurchaseFacts{}, at);
  c.set_tier(TierFor(policies.tier, c.score().total_score()));
  *c.mutable_create_time() = ToTs(at);
  *c.mutable_update_time() = ToTs(at);
  *c.mutable_last_activity_time() = ToTs(at);
  c.clear_etag();

  // Duplicates: a fast answer naming the existing customer; the guards below
  // close the race with a concurrent create.
  const std::string tax = NormalTaxId(c.tax_id()), phone = NormalPhone(c.phone());
  const std::string tax_key = UniqueTaxIdKey(tax);
  const std::string phone_key = UniquePhoneKey(phone);
  for (const auto& [key, what, value] :
       {std::tuple<std::string, std::string, std::string>{tax_key, "tax_id", tax},
        {phone_key, "phone", phone}}) {
    if (value.empty()) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> existing, store_.GetString(key));
    if (existing) {
      return AlreadyExists(
          what == "tax_id" ? reason::kDuplicateTaxId : reason::kDuplicatePhone,
          absl::StrCat("customer.", what, " is already used by customers/", *existing),
          CustomerName(*existing));
    }
  }

  WriteBatch b;
  CustomersStore::PutDoc(b, kCustomer, id, c, 0);
  GuardRequest(b, call, req.request_id(), c.name());
  if (!tax.empty()) {
    b.ExpectAbsent(tax_key, "tax_id:");
    b.Set(tax_key, id);
  }
  if (!phone.empty()) {
    b.ExpectAbsent(phone_key, "phone:");
    b.Set(phone_key, id);
  }
  ReindexCustomer(b, nullptr, c);
  if (!owner.empty()) {
    b.HIncrBy(OwnedCountsKey(), owner, 1);
  }
  TouchActivity(b, c, at, policies.pool);
  ScheduleTier(b, id, at + absl::Hours(24) * policies.tier.reevaluate_every_days());
  v1::CustomerCreated event;
  *event.mutable_customer() = c;
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, id, c.name(), event, at);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("CUSTOMER_EXISTS", absl::StrCat(c.name(), " already exists"), c.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  c.set_etag("1");
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&c}));
  *resp->mutable_customer() = std::move(c);
  return absl::OkStatus();
}

absl::Status CustomersApi::ReplayCustomer(const CallContext& call, const std::string& name,
                                          const std::string& expected, v1::Customer* out) {
  if (!absl::StartsWith(name, "customers/") || (!expected.empty() && name != expected)) {
    return AlreadyExists("REQUEST_ID_REUSED", "request_id was used for another resource", name);
  }
  v1::GetCustomerRequest g;
  g.set_name(name);
  v1::GetCustomerResponse r;
  SALESOPS_RETURN_IF_ERROR(GetCustomer(call, g, &r));
  *out = std::move(*r.mutable_customer());
  return absl::OkStatus();
}

absl::Status CustomersApi::GetCustomer(const CallContext& call, const v1::GetCustomerRequest& req,
                                       v1::GetCustomerResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "customers");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto c, LoadCustomer(store_, id));
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, c.doc, clock_.Now()));
  if (!CanRead(a)) {
    return DenyRead(req.name());
  }
  if (IsMinimised(a)) {
    MinimisePersonalData(c.doc);
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&c.doc}));
  *resp->mutable_customer() = std::move(c.doc);
  return absl::OkStatus();
}

absl::Status CustomersApi::ListCustomers(const CallContext& call,
                                         const v1::ListCustomersRequest& req,
                                         v1::ListCustomersResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string owner, team, region;
  if (!req.owner().empty()) {
    owner = IdOf(v, "owner", req.owner(), "members");
  }
  if (!req.team().empty()) {
    team = IdOf(v, "team", req.team(), "orgUnits");
  }
  if (!req.region().empty()) {
    region = IdOf(v, "region", req.region(), "orgUnits");
  }
  if (!v1::PoolState_IsValid(req.pool_state())) {
    v.Add("pool_state", "unknown pool state");
  }
  if (!v1::CustomerTier_IsValid(req.tier())) {
    v.Add("tier", "unknown tier");
  }
  CheckText(v, "query", req.query(), 0, 200);
  const std::string filter =
      absl::StrCat(owner, "|", team, "|", region, "|", req.pool_state(), "|", req.tier(), "|",
                   req.industry(), "|", req.query(), "|", req.labels_size());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  // The most selective index the filters allow; without filters, the caller's
  // own scope. Every candidate is still checked for access below.
  const Principal& who = call.principal;
  std::string index;
  bool name_index = false;
  if (!req.query().empty()) {
    index = CustomersByNameIndex();
    name_index = true;
  } else if (!owner.empty()) {
    index = CustomersOfOwnerIndex(owner);
  } else if (!team.empty()) {
    index = CustomersOfTeamIndex(team);
  } else if (req.pool_state() != v1::POOL_STATE_UNSPECIFIED) {
    index = CustomersInPoolStateIndex(absl::StrCat(static_cast<int>(req.pool_state())));
  } else if (!region.empty()) {
    index = CustomersOfRegionIndex(region);
  } else if (req.tier() != v1::CUSTOMER_TIER_UNSPECIFIED) {
    index = CustomersOfTierIndex(absl::StrCat(static_cast<int>(req.tier())));
  } else if (!req.industry().empty()) {
    index = CustomersOfIndustryIndex(req.industry());
  } else if (who.role == Role::kRep) {
    index = CustomersOfOwnerIndex(who.member_id);
  } else if (who.role == Role::kSupervisor && !who.org_unit_id.empty()) {
    index = CustomersOfTeamIndex(who.org_unit_id);
  } else if (who.role == Role::kManager && !who.org_unit_id.empty()) {
    index = CustomersOfRegionIndex(who.org_unit_id);
  } else {
    index = AllCustomersIndex();
  }
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  const absl::Time now = clock_.Now();
  std::string after = cursor ? cursor->after : "";
  // The name index starts at the query prefix itself (inclusive).
  bool from_prefix = name_index && after.empty();
  const int scan_limit = std::min(std::max(page_size * 2, 200), kMaxScanPerCall);
  int scanned = 0;
  std::string last;
  bool exhausted = false;
  AccessChecker checker(store_, directory_, call, now);
  while (resp->customers_size() < page_size && scanned < scan_limit && !exhausted &&
         !call.Expired()) {
    SALESOPS_ASSIGN_OR_RETURN(
        std::vector<std::string> keys,
        store_.RangeFrom(
            index, from_prefix ? absl::StrCat("[", req.query()) : CustomersStore::After(after),
            std::min(page_size * 2, 500)));
    from_prefix = false;
    if (keys.empty()) {
      exhausted = true;
      break;
    }
    std::vector<std::string> ids;
    for (const std::string& k : keys) {
      if (name_index) {
        if (!absl::StartsWith(k, req.query())) {
          exhausted = true;
          break;
        }
        ids.push_back(k.substr(k.rfind('\x01') + 1));
      } else {
        ids.push_back(k);
      }
    }
    std::vector<v1::Customer> docs(ids.size());
    std::vector<google::protobuf::Message*> ptrs;
    for (auto& d : docs) {
      ptrs.push_back(&d);
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> versions,
                              store_.GetManyRaw(kCustomer, ids, ptrs));
    std::vector<const v1::Customer*> present;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (versions[i] != 0) {
        present.push_back(&docs[i]);
      }
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<Access> access_list, checker.Check(present));
    absl::flat_hash_map<const v1::Customer*, Access> access;
    for (size_t i = 0; i < present.size(); ++i) {
      access[present[i]] = access_list[i];
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      ++scanned;
      last = name_index ? keys[i] : ids[i];
      after = last;
      if (versions[i] == 0) {
        continue;
      }
      v1::Customer& c = docs[i];
      c.set_etag(absl::StrCat(versions[i]));
      if ((!owner.empty() && StripPrefix(c.owner()) != owner) ||
          (!team.empty() && StripPrefix(c.team()) != team) ||
          (!region.empty() && StripPrefix(c.tags().region()) != region) ||
          (req.pool_state() != v1::POOL_STATE_UNSPECIFIED && c.pool_state() != req.pool_state()) ||
          (req.tier() != v1::CUSTOMER_TIER_UNSPECIFIED && c.tier() != req.tier()) ||
          (!req.industry().empty() && c.tags().industry() != req.industry())) {
        continue;
      }
      bool labels_match = true;
      for (const auto& [k, val] : req.labels()) {
        auto it = c.tags().labels().find(k);
        labels_match &= it != c.tags().labels().end() && it->second == val;
      }
      if (!labels_match) {
        continue;
      }
      const Access a = access[&c];
      if (!CanRead(a)) {
        continue;
      }
      if (IsMinimised(a)) {
        MinimisePersonalData(c);
      }
      *resp->add_customers() = std::move(c);
      if (resp->customers_size() >= page_size) {
        break;
      }
    }
    if (keys.size() < static_cast<size_t>(std::min(page_size * 2, 500))) {
      exhausted = true;
    }
  }
  std::vector<v1::Customer*> out;
  for (auto& c : *resp->mutable_customers()) {
    out.push_back(&c);
  }
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, out));
  if (!exhausted && !last.empty()) {
    resp->set_next_page_token(EncodePageToken({last, filter}));
  }
  return absl::OkStatus();
}

absl::Status CustomersApi::UpdateCustomer(const CallContext& call,
                                          const v1::UpdateCustomerRequest& req,
                                          v1::UpdateCustomerResponse* resp) {
  Violations v;
  const v1::Customer& in = req.customer();
  const std::string id = IdOf(v, "customer.name", in.name(), "customers");
  if (req.update_mask().paths_size() == 0) {
    v.Add("update_mask", "name the fields to change");
  }
  static const std::vector<std::string> kUpdatable = {
      "display_name",  "tax_id",    "phone",       "address",     "customer_type", "tags",
      "tags.industry", "tags.size", "tags.source", "tags.labels", "contacts"};
  for (int i = 0; i < req.update_mask().paths_size(); ++i) {
    const std::string& path = req.update_mask().paths(i);
    if (std::find(kUpdatable.begin(), kUpdatable.end(), path) == kUpdatable.end()) {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat(QuoteUntrusted(path),
                         " cannot be updated here (owner: HandOverCustomer; "
                         "tier: EvaluateCustomerTier; region is fixed)"));
    }
  }
  CheckText(v, "reason", req.reason(), 0, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadCustomer(store_, id));
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, cur.doc, now));
  if (!CanRead(a)) {
    return DenyRead(in.name());
  }
  if (!CanWrite(a)) {
    return DenyWrite(in.name());
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), cur.version, in.name()));

  v1::Customer next = cur.doc;
  std::vector<std::string> changed;
  for (const std::string& path : req.update_mask().paths()) {
    if (path == "display_name") {
      next.set_display_name(in.display_name());
    }
    if (path == "tax_id") {
      next.set_tax_id(in.tax_id());
    }
    if (path == "phone") {
      next.set_phone(in.phone());
    }
    if (path == "address") {
      next.set_address(in.address());
    }
    if (path == "customer_type") {
      next.set_customer_type(in.customer_type());
    }
    if (path == "tags") {
      const std::string keep_region = next.tags().region();
      *next.mutable_tags() = in.tags();
      next.mutable_tags()->set_region(keep_region);
    }
    if (path == "tags.industry") {
      next.mutable_tags()->set_industry(in.tags().industry());
    }
    if (path == "tags.size") {
      next.mutable_tags()->set_size(in.tags().size());
    }
    if (path == "tags.source") {
      next.mutable_tags()->set_source(in.tags().source());
    }
    if (path == "tags.labels") {
      *next.mutable_tags()->mutable_labels() = in.tags().labels();
    }
    if (path == "contacts") {
      *next.mutable_contacts() = in.contacts();
      int n = 0;
      for (auto& ct : *next.mutable_contacts()) {
        ++n;
        if (ct.contact_id().empty()) {
          ct.set_contact_id(absl::StrCat("u", cur.version, "-", n));
        }
      }
    }
    changed.push_back(path);
  }
  Violations fv;
  CheckCustomerFields(fv, "customer", next);
  SALESOPS_RETURN_IF_ERROR(fv.Finish());
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();

  WriteBatch b;
  CustomersStore::PutDoc(b, kCustomer, id, next, cur.version);
  for (const auto& [what, before, after] :
       {std::tuple<std::string, std::string, std::string>{"tax", NormalTaxId(cur.doc.tax_id()),
                                                          NormalTaxId(next.tax_id())},
        {"phone", NormalPhone(cur.doc.phone()), NormalPhone(next.phone())}}) {
    if (before == after) {
      continue;
    }
    if (!before.empty()) {
      b.Del(UniqueKey(what, before));
    }
    if (!after.empty()) {
      const std::string key = UniqueKey(what, after);
      b.ExpectAbsent(key, what == "tax" ? "tax_id:" : "phone:");
      b.Set(key, id);
    }
  }
  ReindexCustomer(b, &cur.doc, next);
  v1::CustomerUpdated event;
  *event.mutable_customer() = next;
  *event.mutable_previous() = cur.doc;
  event.mutable_previous()->clear_etag();
  for (auto& c : changed) {
    event.add_changed_fields(c);
  }
  event.set_reason(req.reason());
  *event.mutable_actor() = ActorOf(call);
  Emit(b, call, id, next.name(), event, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  SALESOPS_RETURN_IF_ERROR(FillDerived(store_, policies, {&next}));
  *resp->mutable_customer() = std::move(next);
  return absl::OkStatus();
}

absl::Status CustomersApi::CheckCustomerConflicts(const CallContext& call,
                                                  const v1::CheckCustomerConflictsRequest& req,
                                                  v1::CheckCustomerConflictsResponse* resp) {
  Violations v;
  if (req.tax_id().empty() && req.phone().empty() && req.display_name().empty()) {
    v.Add("tax_id", "give at least one of tax_id, phone, display_name");
  }
  CheckText(v, "display_name", req.display_name(), 0, 200);
  CheckText(v, "tax_id", req.tax_id(), 0, 40);
  CheckText(v, "phone", req.phone(), 0, 32);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<std::pair<std::string, std::string>> hits;  // id, field
  if (std::string t = NormalTaxId(req.tax_id()); !t.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto id, store_.GetString(UniqueTaxIdKey(t)));
    if (id) {
      hits.emplace_back(*id, "tax_id");
    }
  }
  if (std::string p = NormalPhone(req.phone()); !p.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto id, store_.GetString(UniquePhoneKey(p)));
    if (id) {
      hits.emplace_back(*id, "phone");
    }
  }
  if (!req.display_name().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> named,
                              store_.CustomersNamed(req.display_name(), 20));
    for (const std::string& m : named) {
      hits.emplace_back(m.substr(m.rfind('\x01') + 1), "display_name");
    }
  }
  std::vector<std::string> order;
  for (const auto& [id, f] : hits) {
    if (std::find(order.begin(), order.end(), id) == order.end()) {
      order.push_back(id);
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, store_.GetMany<v1::Customer>(kCustomer, order));
  const absl::Time now = clock_.Now();
  for (const auto& d : docs) {
    std::vector<std::string> fields;
    for (const auto& [id, f] : hits) {
      if (CustomerName(id) == d.doc.name()) {
        fields.push_back(f);
      }
    }
    v1::CustomerConflict conflict = ConflictOf(d.doc, std::move(fields));
    // Outside the caller's view the answer is only "this already exists, owned
    // or in the pool": no name, no owner, no id to look it up by.
    SALESOPS_ASSIGN_OR_RETURN(Access a, AccessTo(store_, directory_, call, d.doc, now));
    if (!CanRead(a)) {
      conflict.clear_customer();
      conflict.clear_display_name();
      conflict.clear_owner();
    }
    *resp->add_conflicts() = std::move(conflict);
  }
  return absl::OkStatus();
}

}  // namespace salesops::customers
