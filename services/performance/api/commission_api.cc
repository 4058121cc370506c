// Commission plans (effective-dated, versioned through `supersedes`) and
// credit splits.
#include <set>

#include "absl/strings/match.h"
#include "common/ids/ids.h"
#include "common/log/log.h"
#include "common/money/money.h"
#include "common/status/reasons.h"
#include "common/status/write_race.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/deal_credit.h"
#include "services/performance/api/performance_api.h"
#include "services/performance/domain/split.h"

namespace salesops::performance {
namespace {

constexpr int kMaxPlanItems = 50;
constexpr int kMaxApplicability = 500;

std::string PlanName(const std::string& id) { return absl::StrCat("commissionPlans/", id); }

std::string Stored(v1::CommissionPlan p) {
  p.clear_etag();
  return p.SerializeAsString();
}

bool ValidDate(const salesops::common::v1::Date& d) {
  return d.year() >= 1970 && d.year() <= 9998 && d.month() >= 1 && d.month() <= 12 &&
         d.day() >= 1 && d.day() <= 31 &&
         absl::CivilDay(d.year(), d.month(), d.day()).day() == d.day();
}

}  // namespace

absl::Status PerformanceApi::CheckPlan(const v1::CommissionPlan& p, const std::string& field) {
  Violations v;
  auto at = [&](absl::string_view sub) { return absl::StrCat(field, ".", sub); };
  CheckText(v, at("display_name"), p.display_name(), 1, 100);
  if (!p.has_effective_start_date() || !ValidDate(p.effective_start_date())) {
    v.Add(at("effective_start_date"), "required: the first day the plan applies");
  }
  if (p.has_effective_end_date()) {
    if (!ValidDate(p.effective_end_date())) {
      v.Add(at("effective_end_date"), "a calendar date");
    } else if (p.has_effective_start_date() && ValidDate(p.effective_start_date()) &&
               DayOf(p.effective_end_date()) < DayOf(p.effective_start_date())) {
      v.Add(at("effective_end_date"), "must not be before effective_start_date");
    }
  }
  if (!p.supersedes().empty()) {
    (void)ParseResourceName(v, at("supersedes"), p.supersedes(), "commissionPlans");
  }
  if (p.roles_size() > 5) {
    v.Add(at("roles"), "at most 5 role codes");
  }
  for (int i = 0; i < p.roles_size(); ++i) {
    Role r;
    if (!ParseRole(p.roles(i), &r)) {
      v.Add(absl::StrCat(field, ".roles[", i, "]"), "rep, supervisor, manager, director or admin");
    }
  }
  if (p.org_units_size() > kMaxApplicability) {
    v.Add(at("org_units"), "at most 500");
  }
  for (int i = 0; i < p.org_units_size() && i < kMaxApplicability; ++i) {
    (void)ParseResourceName(v, absl::StrCat(field, ".org_units[", i, "]"), p.org_units(i),
                            "orgUnits");
  }
  if (p.members_size() > kMaxApplicability) {
    v.Add(at("members"), "at most 500");
  }
  for (int i = 0; i < p.members_size() && i < kMaxApplicability; ++i) {
    (void)ParseResourceName(v, absl::StrCat(field, ".members[", i, "]"), p.members(i), "members");
  }
  if (p.basis() != v1::COMMISSION_BASIS_BOOKING && p.basis() != v1::COMMISSION_BASIS_COLLECTION) {
    v.Add(at("basis"), "BOOKING or COLLECTION");
  }
  if (p.tier_mode() != v1::TIER_MODE_FLAT && p.tier_mode() != v1::TIER_MODE_MARGINAL &&
      p.tier_mode() != v1::TIER_MODE_RETROACTIVE) {
    v.Add(at("tier_mode"), "FLAT, MARGINAL or RETROACTIVE");
  }
  for (auto [name, n] : {std::pair<const char*, int>{"bands", p.bands_size()},
                         {"product_line_rates", p.product_line_rates_size()},
                         {"accelerators", p.accelerators_size()},
                         {"decelerators", p.decelerators_size()},
                         {"bonuses", p.bonuses_size()},
                         {"spiffs", p.spiffs_size()}}) {
    if (n > kMaxPlanItems) {
      v.Add(at(name), "at most 50 entries");
    }
  }
  if (p.has_default_target()) {
    CheckMoney(v, at("default_target"),
               {p.default_target().amount_minor(), p.default_target().currency_code()},
               MoneyRule::kPositive);
  }
  if (p.has_cap() && p.cap().currency_code() != p.default_target().currency_code() &&
      p.has_default_target()) {
    v.Add(at("cap.currency_code"), "must be the plan's currency (default_target's)");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(CommissionPlan d, ToDomainPlan(p, "plan", recomputer_.options().tz));
  return ProtoFieldPaths(ValidatePlan(d, "plan"), "plan", field);
}

absl::Status PerformanceApi::CreateCommissionPlan(const CallContext& call,
                                                  const v1::CreateCommissionPlanRequest& req,
                                                  v1::CreateCommissionPlanResponse* resp) {
  Violations v;
  v1::CommissionPlan p = req.commission_plan();
  ClearOutputOnly(&p);
  if (!req.commission_plan_id().empty() && !IsValidId(req.commission_plan_id())) {
    v.Add("commission_plan_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  auto replay = [&](const std::string& name) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(name, "commissionPlans/"));
    SALESOPS_ASSIGN_OR_RETURN(auto existing,
                              Load<v1::CommissionPlan>(DocKind::kPlan, StripName(name), name,
                                                       "COMMISSION_PLAN_NOT_FOUND"));
    *resp->mutable_commission_plan() = std::move(existing.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  SALESOPS_RETURN_IF_ERROR(CheckPlan(p, "commission_plan"));
  p.set_version(1);
  if (!p.supersedes().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> old,
                              repo_.GetDoc(DocKind::kPlan, StripName(p.supersedes())));
    v1::CommissionPlan prev;
    if (!old || !prev.ParseFromString(old->data)) {
      return InvalidField("commission_plan.supersedes", "no such commission plan");
    }
    p.set_version(prev.version() + 1);
  }
  const std::string id = req.commission_plan_id().empty() ? NewUuid() : req.commission_plan_id();
  p.set_name(PlanName(id));
  p.set_state(v1::COMMISSION_PLAN_STATE_DRAFT);
  const absl::Time now = clock_.Now();
  *p.mutable_create_time() = ToTs(now);
  *p.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kPlan, id, Stored(p), 0);
  c.AddToIndex("plan", id);
  c.AddToField(MapKind::kRevisions, "", kPlansRevision, 1);
  c.RememberRequest(call.principal.member_id, req.request_id(), p.name());
  v1::CommissionPlanCreated e;
  *e.mutable_commission_plan() = p;
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, p.name(), e, now));
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    return replay(std::string(s.message()));
  }
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("COMMISSION_PLAN_EXISTS", absl::StrCat(p.name(), " already exists"),
                         p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  p.set_etag("1");
  *resp->mutable_commission_plan() = std::move(p);
  return absl::OkStatus();
}

namespace {

// Whether a plan names the member (directly, by unit or role, or by naming nobody).
bool AppliesTo(const v1::CommissionPlan& p, const std::string& member,
               const std::vector<std::string>& units, Role role) {
  if (p.members().empty() && p.org_units().empty() && p.roles().empty()) {
    return true;
  }
  for (const auto& m : p.members()) {
    if (StripName(m) == member) {
      return true;
    }
  }
  for (const auto& u : p.org_units()) {
    if (std::find(units.begin(), units.end(), StripName(u)) != units.end()) {
      return true;
    }
  }
  for (const auto& r : p.roles()) {
    if (r == RoleName(role)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::Status PerformanceApi::GetCommissionPlan(const CallContext& call,
                                               const v1::GetCommissionPlanRequest& req,
                                               v1::GetCommissionPlanResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "commissionPlans");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto p, Load<v1::CommissionPlan>(DocKind::kPlan, id, req.name(),
                                                             "COMMISSION_PLAN_NOT_FOUND"));
  if (call.principal.role == Role::kRep) {
    // Reps see the plans that apply to them.
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(call.principal.member_id));
    std::vector<std::string> units;
    if (m) {
      SALESOPS_ASSIGN_OR_RETURN(units, org_.UnitAndAncestors(m->team));
    }
    if (!AppliesTo(p.doc, call.principal.member_id, units, Role::kRep)) {
      return DenyAccess(req.name());
    }
  }
  *resp->mutable_commission_plan() = std::move(p.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListCommissionPlans(const CallContext& call,
                                                 const v1::ListCommissionPlansRequest& req,
                                                 v1::ListCommissionPlansResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!v1::CommissionPlanState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  std::optional<absl::CivilDay> on;
  if (req.has_effective_on()) {
    if (!ValidDate(req.effective_on())) {
      v.Add("effective_on", "a calendar date");
    } else {
      on = DayOf(req.effective_on());
    }
  }
  std::string member;
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), "members");
  }
  const std::string filter =
      absl::StrCat(req.state(), "|", on ? absl::FormatCivilTime(*on) : "", "|", req.member());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // A rep lists the plans that apply to them, whatever they asked for.
  if (call.principal.role == Role::kRep) {
    member = call.principal.member_id;
  }
  std::vector<std::string> units;
  Role role = Role::kRep;
  if (!member.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(member));
    if (m) {
      role = m->role;
      SALESOPS_ASSIGN_OR_RETURN(units, org_.UnitAndAncestors(m->team));
    }
  }
  std::vector<v1::CommissionPlan> out;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::CommissionPlan>(
      repo_, call, DocKind::kPlan, "plan", "", cursor, filter, page_size,
      [&](v1::CommissionPlan& p) -> absl::StatusOr<bool> {
        if (req.state() != v1::COMMISSION_PLAN_STATE_UNSPECIFIED && p.state() != req.state()) {
          return false;
        }
        if (on && ((p.has_effective_start_date() && DayOf(p.effective_start_date()) > *on) ||
                   (p.has_effective_end_date() && DayOf(p.effective_end_date()) < *on))) {
          return false;
        }
        return member.empty() || AppliesTo(p, member, units, role);
      },
      &out, &next));
  for (auto& p : out) {
    *resp->add_commission_plans() = std::move(p);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::UpdateCommissionPlan(const CallContext& call,
                                                  const v1::UpdateCommissionPlanRequest& req,
                                                  v1::UpdateCommissionPlanResponse* resp) {
  Violations v;
  const std::string id =
      IdOf(v, "commission_plan.name", req.commission_plan().name(), "commissionPlans");
  if (req.update_mask().paths().empty()) {
    v.Add("update_mask", "must list the fields to change");
  }
  const auto* desc = v1::CommissionPlan::descriptor();
  for (int i = 0; i < req.update_mask().paths_size(); ++i) {
    const std::string& path = req.update_mask().paths(i);
    const auto* f = desc->FindFieldByName(path);
    if (f == nullptr || IsOutputOnly(*f) || path == "etag") {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat(QuoteUntrusted(path), " cannot be updated"));
    }
  }
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(
      auto cur, Load<v1::CommissionPlan>(DocKind::kPlan, id, req.commission_plan().name(),
                                         "COMMISSION_PLAN_NOT_FOUND"));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.commission_plan().etag(), cur.version, cur.doc.name()));
  if (cur.doc.state() != v1::COMMISSION_PLAN_STATE_DRAFT) {
    return FailedPrecondition("PLAN_NOT_DRAFT",
                              "only a DRAFT plan changes; supersede an active one with a new plan");
  }
  v1::CommissionPlan next = cur.doc;
  google::protobuf::util::FieldMaskUtil::MergeOptions merge;
  merge.set_replace_message_fields(true);
  merge.set_replace_repeated_fields(true);
  v1::CommissionPlan in = req.commission_plan();
  ClearOutputOnly(&in);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(in, req.update_mask(), merge, &next);
  SALESOPS_RETURN_IF_ERROR(CheckPlan(next, "commission_plan"));
  if (next.supersedes() != cur.doc.supersedes()) {
    return InvalidField("commission_plan.supersedes", "fixed at create");
  }
  if (Stored(next) == Stored(cur.doc)) {
    *resp->mutable_commission_plan() = std::move(cur.doc);
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  Change c;
  c.PutDoc(DocKind::kPlan, id, Stored(next), cur.version);
  c.AddToField(MapKind::kRevisions, "", kPlansRevision, 1);
  v1::CommissionPlanUpdated e;
  *e.mutable_commission_plan() = next;
  e.mutable_commission_plan()->set_etag(absl::StrCat(cur.version + 1));
  *e.mutable_previous() = cur.doc;
  for (const auto& path : req.update_mask().paths()) {
    e.add_changed_fields(path);
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, next.name(), e, now));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_commission_plan() = std::move(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ActivateCommissionPlan(const CallContext& call,
                                                    const v1::ActivateCommissionPlanRequest& req,
                                                    v1::ActivateCommissionPlanResponse* resp) {
  // The plan superseded changing meanwhile (another version of it activated) is
  // WRITE_CONFLICT: run again, which checks the caller's etag again.
  return RetryWriteRace(!req.etag().empty(), [&] {
    resp->Clear();
    return ActivateCommissionPlanOnce(call, req, resp);
  });
}

absl::Status PerformanceApi::ActivateCommissionPlanOnce(
    const CallContext& call, const v1::ActivateCommissionPlanRequest& req,
    v1::ActivateCommissionPlanResponse* resp) {
  Violations v;
  const std::string id = IdOf(v, "name", req.name(), "commissionPlans");
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, Load<v1::CommissionPlan>(DocKind::kPlan, id, req.name(),
                                                               "COMMISSION_PLAN_NOT_FOUND"));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, cur.doc.name()));
  if (cur.doc.state() != v1::COMMISSION_PLAN_STATE_DRAFT) {
    return FailedPrecondition("PLAN_NOT_DRAFT", "only a DRAFT plan can be activated");
  }
  SALESOPS_RETURN_IF_ERROR(CheckPlan(cur.doc, "commission_plan"));
  if (cur.doc.default_target().amount_minor() <= 0) {
    return FailedPrecondition("PLAN_INCOMPLETE",
                              "set default_target (the target when no target plan gives one) "
                              "before activating");
  }
  const absl::Time now = clock_.Now();
  Change c;
  v1::CommissionPlan next = cur.doc;
  next.set_state(v1::COMMISSION_PLAN_STATE_ACTIVE);
  *next.mutable_update_time() = ToTs(now);
  std::optional<v1::CommissionPlan> superseded;
  if (!cur.doc.supersedes().empty()) {
    const std::string old_id = StripName(cur.doc.supersedes());
    SALESOPS_ASSIGN_OR_RETURN(auto old,
                              Load<v1::CommissionPlan>(DocKind::kPlan, old_id, cur.doc.supersedes(),
                                                       "COMMISSION_PLAN_NOT_FOUND"));
    if (old.doc.state() == v1::COMMISSION_PLAN_STATE_DRAFT) {
      return FailedPrecondition("SUPERSEDED_PLAN_NOT_ACTIVE",
                                "the plan superseded must be activated first");
    }
    const absl::CivilDay start = DayOf(cur.doc.effective_start_date());
    if (DayOf(old.doc.effective_start_date()) >= start) {
      return FailedPrecondition("SUPERSEDES_LATER_PLAN",
                                "a new version must start after the plan it supersedes");
    }
    // The old version ends the day before; it stays for history and clawbacks.
    old.doc.clear_etag();
    if (!old.doc.has_effective_end_date() || DayOf(old.doc.effective_end_date()) >= start) {
      *old.doc.mutable_effective_end_date() = ToDate(start - 1);
    }
    old.doc.set_state(v1::COMMISSION_PLAN_STATE_RETIRED);
    *old.doc.mutable_update_time() = ToTs(now);
    c.PutOtherDoc(DocKind::kPlan, old_id, Stored(old.doc), old.version);
    old.doc.set_etag(absl::StrCat(old.version + 1));
    superseded = old.doc;
  }
  c.PutDoc(DocKind::kPlan, id, Stored(next), cur.version);
  c.AddToField(MapKind::kRevisions, "", kPlansRevision, 1);
  next.set_etag(absl::StrCat(cur.version + 1));
  v1::CommissionPlanActivated e;
  *e.mutable_commission_plan() = next;
  e.set_superseded_plan(cur.doc.supersedes());
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(CallEvent(call, id, next.name(), e, now));
  // Every rep's statements follow the new plan (the Recomputer's job).
  SALESOPS_RETURN_IF_ERROR(MarkAllReps(repo_, c));
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  *resp->mutable_commission_plan() = std::move(next);
  if (superseded) {
    *resp->mutable_superseded() = std::move(*superseded);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- credit splits

absl::Status PerformanceApi::SetCreditSplit(const CallContext& call,
                                            const v1::SetCreditSplitRequest& req,
                                            v1::SetCreditSplitResponse* resp) {
  Violations v;
  const v1::CreditSplit& in = req.credit_split();
  const std::string opp = IdOf(v, "credit_split.opportunity", in.opportunity(), "opportunities");
  if (in.shares_size() == 0) {
    v.Add("credit_split.shares", "at least one share");
  }
  if (in.shares_size() > 20) {
    v.Add("credit_split.shares", "at most 20 shares");
  }
  std::vector<CreditShare> shares;
  for (int i = 0; i < in.shares_size() && i < 20; ++i) {
    const std::string at = absl::StrCat("credit_split.shares[", i, "]");
    const std::string m = IdOf(v, at + ".member", in.shares(i).member(), "members");
    if (in.shares(i).share_millionths() < 1 || in.shares(i).share_millionths() > 1'000'000) {
      v.Add(at + ".share_millionths", "must be in 1..1000000");
    }
    shares.push_back({m, in.shares(i).share_millionths()});
  }
  CheckText(v, "reason", req.reason(), 1, 500);
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  {
    absl::Status s = ValidateShares(shares, ShareScale::kMillionths, "credit_split.shares");
    if (!s.ok()) {
      std::vector<FieldViolation> out;
      for (FieldViolation fv : FieldViolations(s)) {
        if (absl::EndsWith(fv.field, ".member_id")) {
          fv.field = fv.field.substr(0, fv.field.size() - 3);
        } else if (absl::EndsWith(fv.field, ".share")) {
          fv.field += "_millionths";
        }
        out.push_back(std::move(fv));
      }
      return InvalidArgument(std::move(out), ErrorReason(s));
    }
  }
  const std::string name = absl::StrCat("opportunities/", opp, "/creditSplit");
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  auto visible = [&](const v1::CreditSplit& split,
                     const std::string& owner) -> absl::StatusOr<bool> {
    if (!owner.empty()) {
      return scope_.CoversMember(call.principal, owner);
    }
    for (const auto& s : split.shares()) {
      SALESOPS_ASSIGN_OR_RETURN(bool ok,
                                scope_.CoversMember(call.principal, StripName(s.member())));
      if (!ok) {
        return false;
      }
    }
    return true;
  };
  // A fact of the deal applied meanwhile (the projection bumps the deal's
  // revision) is WRITE_CONFLICT: run again, which moves that fact too and checks
  // the caller's etag again; the split itself replaced is their ETAG_MISMATCH.
  return RetryWriteRace(!in.etag().empty(), [&]() -> absl::Status {
    resp->Clear();
    // The deal's revision before its facts: a fact applied after this read
    // fails the commit, whether or not the reads below saw it.
    const std::string deal_rev = absl::StrCat("d|", opp);
    SALESOPS_ASSIGN_OR_RETURN(auto rev, repo_.GetFields(MapKind::kRevisions, "", {deal_rev}));
    SALESOPS_ASSIGN_OR_RETURN(auto deal_maps, repo_.GetMaps(MapKind::kDeal, {opp}));
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kSplit, opp));
    std::optional<v1::CreditSplit> previous;
    if (doc) {
      previous.emplace();
      if (!previous->ParseFromString(doc->data)) {
        previous.reset();
      }
    }
    DealCredit deal = DealCredit::Parse(opp, deal_maps[0], previous);
    std::string owner = deal.owner();
    if (owner.empty() && !deal.facts().empty()) {
      owner = deal.facts().begin()->second.owner();
    }
    if (seen) {
      SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, name));
      if (!previous) {
        return RequestIdReused();
      }
      SALESOPS_ASSIGN_OR_RETURN(bool ok, visible(*previous, owner));
      if (!ok) {
        return DenyAccess(name);
      }
      *resp->mutable_credit_split() = *previous;
      resp->mutable_credit_split()->set_etag(absl::StrCat(doc->version));
      return absl::OkStatus();
    }
    // The owner's supervisor and above (any member shares in; a task force
    // spans teams). A deal not seen yet: every member shared with must be in scope.
    SALESOPS_ASSIGN_OR_RETURN(bool ok, visible(in, owner));
    if (!ok) {
      return DenyAccess(name);
    }
    if (!in.etag().empty()) {
      SALESOPS_RETURN_IF_ERROR(CheckEtag(in.etag(), doc ? doc->version : 0, name));
    }
    const absl::Time now = clock_.Now();
    v1::CreditSplit next;
    next.set_opportunity(absl::StrCat("opportunities/", opp));
    // Members in id order: the same split however it was listed.
    std::vector<std::pair<std::string, int64_t>> sorted;
    for (const CreditShare& s : shares) {
      sorted.push_back({s.member_id, s.share});
    }
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [m, share] : sorted) {
      auto* s = next.add_shares();
      s->set_member(MemberName(m));
      s->set_share_millionths(share);
    }
    *next.mutable_update_time() = ToTs(now);
    Change c;
    c.PutDoc(DocKind::kSplit, opp, next.SerializeAsString(), doc ? doc->version : 0);
    // The deal's facts move with the split (the projection guards the same key,
    // and bumps it with every fact it places).
    c.ExpectOtherField(MapKind::kRevisions, "", deal_rev, rev[0].value_or(""));
    c.AddToField(MapKind::kRevisions, "", deal_rev, 1);
    deal.SetSplit(next);
    const std::vector<std::string> touched = deal.Replace(c, nullptr);
    c.RememberRequest(call.principal.member_id, req.request_id(), name);
    v1::CreditSplitUpdated e;
    *e.mutable_credit_split() = next;
    if (previous) {
      *e.mutable_previous() = *previous;
    }
    e.set_reason(req.reason());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(CallEvent(call, opp, name, e, now));
    absl::Status s = repo_.Commit(c);
    if (ErrorReason(s) == reason::kRequestReplayed) {
      seen = std::string(s.message());
      return Aborted(reason::kWriteConflict, "the request was made meanwhile; run again");
    }
    if (ErrorReason(s) == reason::kResourceExists) {
      // A split was set meanwhile: the next run replaces it (or fails the etag).
      return Aborted(reason::kWriteConflict, absl::StrCat(name, " was set meanwhile; run again"));
    }
    SALESOPS_RETURN_IF_ERROR(s);
    // The statements of everyone the split touched, now (the job would too).
    for (const std::string& m : touched) {
      absl::Status r = recomputer_.RecomputeRep(m);
      if (!r.ok()) {
        LogWarning("recompute after split", {{"member", m}, {"error", r.ToString()}});
      }
    }
    next.set_etag(absl::StrCat(doc ? doc->version + 1 : 1));
    *resp->mutable_credit_split() = std::move(next);
    return absl::OkStatus();
  });
}

absl::Status PerformanceApi::GetCreditSplit(const CallContext& call,
                                            const v1::GetCreditSplitRequest& req,
                                            v1::GetCreditSplitResponse* resp) {
  Violations v;
  const std::string opp = IdOf(v, "opportunity", req.opportunity(), "opportunities");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const std::string name = absl::StrCat("opportunities/", opp, "/creditSplit");
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kSplit, opp));
  SALESOPS_ASSIGN_OR_RETURN(auto deal_maps, repo_.GetMaps(MapKind::kDeal, {opp}));
  DealCredit deal = DealCredit::Parse(opp, deal_maps[0], std::nullopt);
  std::string owner = deal.owner();
  if (owner.empty() && !deal.facts().empty()) {
    owner = deal.facts().begin()->second.owner();
  }
  v1::CreditSplit split;
  if (doc) {
    if (!split.ParseFromString(doc->data)) {
      return Internal("CORRUPT_DOCUMENT", name);
    }
    split.set_etag(absl::StrCat(doc->version));
  } else if (!owner.empty()) {
    // No split set: all of it to the owner.
    split.set_opportunity(absl::StrCat("opportunities/", opp));
    auto* s = split.add_shares();
    s->set_member(MemberName(owner));
    s->set_share_millionths(1'000'000);
  } else {
    return NotFound("CREDIT_SPLIT_NOT_FOUND",
                    absl::StrCat("no credit recorded for ", QuoteUntrusted(req.opportunity())));
  }
  // Any member credited, and those above them; the owner's supervisors too.
  bool ok = false;
  if (!owner.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(ok, scope_.CoversMember(call.principal, owner));
  }
  for (const auto& s : split.shares()) {
    if (ok) {
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(ok, scope_.CoversMember(call.principal, StripName(s.member())));
  }
  if (!ok) {
    return DenyAccess(name);
  }
  *resp->mutable_credit_split() = std::move(split);
  return absl::OkStatus();
}

}  // namespace salesops::performance
