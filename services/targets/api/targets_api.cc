#include "services/targets/api/targets_api.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/events/cloud_event.h"
#include "common/ids/ids.h"
#include "common/money/money.h"
#include "common/server/api_support.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/status/write_race.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "salesops/org/v1/org_resources.pb.h"
#include "services/targets/domain/allocation.h"
#include "services/targets/domain/fiscal_calendar.h"
#include "services/targets/domain/reasons.h"
#include "services/targets/events/attainment_projection.h"
#include "services/targets/store/plan_store.h"

namespace salesops::targets {
namespace {

namespace ov1 = salesops::org::v1;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

std::string PeriodName(const std::string& id) { return absl::StrCat("fiscalPeriods/", id); }

void Emit(WriteBatch& b, const CallContext& call, const std::string& key,
          const std::string& subject, const google::protobuf::Message& payload, absl::Time t) {
  b.Emit(MakeCloudEvent(kTargetsSource, key, subject, payload, t, call.trace_id), kTargetsTopic);
}

salesops::common::v1::Date ToDate(absl::CivilDay d) {
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}
absl::CivilDay ToDay(const salesops::common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

salesops::common::v1::Money Money(int64_t v, const std::string& cur) {
  salesops::common::v1::Money m;
  m.set_amount_minor(v);
  m.set_currency_code(cur);
  return m;
}

std::vector<absl::CivilMonth> MonthsOf(const v1::FiscalPeriod& p) {
  std::vector<absl::CivilMonth> out;
  for (absl::CivilMonth m(ToDay(p.start_date())); m <= absl::CivilMonth(ToDay(p.end_date())); ++m) {
    out.push_back(m);
  }
  return out;
}

// Monthly amounts of a cell from the plan's seasonality.
absl::Status PhaseCell(const v1::TargetPlan& plan, const v1::FiscalPeriod& period,
                       v1::AllocationCell& cell) {
  const std::vector<absl::CivilMonth> months = MonthsOf(period);
  std::vector<int32_t> profile(plan.seasonality().month_share_basis_points().begin(),
                               plan.seasonality().month_share_basis_points().end());
  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<int64_t> parts,
      Phase(cell.amount().amount_minor(), static_cast<int>(months.size()), profile));
  cell.clear_monthly_amounts();
  for (size_t i = 0; i < months.size(); ++i) {
    v1::MonthlyAmount* m = cell.add_monthly_amounts();
    m->set_year(static_cast<int>(months[i].year()));
    m->set_month(months[i].month());
    *m->mutable_amount() = Money(parts[i], plan.total().currency_code());
  }
  cell.set_phasing_overridden(false);
  return absl::OkStatus();
}

// Stages, in `b`, the next version of `src` under `id` holding `cells` (cell
// key → cell, renamed into the new plan): a draft with version + 1, the
// previous version, the reason. Cells are re-phased unless `rephase` is null
// or their phasing was overridden. Returns the new plan.
absl::StatusOr<v1::TargetPlan> StageNewVersion(
    const v1::TargetPlan& src, const std::string& id, const std::string& reason, absl::Time now,
    const std::vector<std::pair<std::string, v1::AllocationCell>>& cells,
    const v1::FiscalPeriod* rephase, WriteBatch& b) {
  v1::TargetPlan p = src;
  p.set_name(PlanName(id));
  p.set_version(src.version() + 1);
  p.set_previous_version(src.name());
  p.set_state(v1::PLAN_STATE_DRAFT);
  p.set_change_reason(reason);
  *p.mutable_create_time() = ToTs(now);
  *p.mutable_update_time() = ToTs(now);
  p.clear_publish_time();
  p.clear_published_by();
  p.clear_etag();
  p.set_cell_count(static_cast<int64_t>(cells.size()));
  TargetsStore::PutDoc(b, kPlan, id, p, 0);
  for (const auto& [key, c] : cells) {
    v1::AllocationCell copy = c;
    copy.set_name(CellName(id, key));
    if (!copy.parent_cell().empty()) {
      copy.set_parent_cell(CellName(id, StripName(copy.parent_cell())));
    }
    if (rephase != nullptr && !copy.phasing_overridden()) {
      SALESOPS_RETURN_IF_ERROR(PhaseCell(p, *rephase, copy));
    }
    TargetsStore::PutDoc(b, kCell, CellDocId(id, key), copy, 0);
    b.ZAdd(CellsIndex(id), 0, key);
    if (!copy.parent_cell().empty()) {
      b.ZAdd(ChildrenIndex(id, StripName(copy.parent_cell())), 0, key);
    }
  }
  b.ZAdd(PlansIndex(), 0, id);
  b.ZAdd(PlansOfPeriodIndex(StripName(p.period())), 0, id);
  return p;
}

constexpr int kMaxMoves = 200;
// Children one AllocatePlan call may create (a team's reps, a plan's regions …).
constexpr int kMaxAllocationInputs = 500;

// A new version's id: the series, the version number and a random part, so
// nobody can create the next version's name in advance (a caller-chosen
// plan_id) and have a re-allocation collide with it.
std::string NewVersionId(const v1::TargetPlan& src) {
  return absl::StrCat(src.series(), "-v", src.version() + 1, "-", NewUuid().substr(0, 8));
}

// Who may change a plan or a part of it: directors/admins anything; managers
// within their region; supervisors within their team.
bool MayAllocate(const Principal& who, const v1::AllocationCell& parent) {
  switch (who.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kManager:
      return !who.org_unit_id.empty() &&
             (StripName(parent.dimensions().region()) == who.org_unit_id ||
              StripName(parent.org_unit()) == who.org_unit_id);
    case Role::kSupervisor:
      return !who.org_unit_id.empty() && parent.axis() == v1::ALLOCATION_AXIS_TEAM &&
             StripName(parent.org_unit()) == who.org_unit_id;
    default:
      return false;
  }
}

// May the caller read this cell? Reps their own cells; supervisors their team;
// managers their region; directors and admins all.
bool MayRead(const Principal& who, const v1::AllocationCell& c) {
  switch (who.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kManager:
      return StripName(c.dimensions().region()) == who.org_unit_id ||
             StripName(c.org_unit()) == who.org_unit_id;
    case Role::kSupervisor:
      return StripName(c.org_unit()) == who.org_unit_id;
    case Role::kRep:
      return StripName(c.member()) == who.member_id;
  }
  return false;
}

absl::StatusOr<Versioned<v1::TargetPlan>> LoadPlan(TargetsStore& store, const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(auto p, store.Get<v1::TargetPlan>(kPlan, id));
  if (!p) {
    return NotFound("PLAN_NOT_FOUND", absl::StrCat(PlanName(id), " does not exist"));
  }
  p->doc.set_etag(absl::StrCat(p->version));
  return *std::move(p);
}

absl::StatusOr<Versioned<v1::FiscalPeriod>> LoadPeriod(TargetsStore& store, const std::string& id,
                                                       const std::string& field) {
  SALESOPS_ASSIGN_OR_RETURN(auto p, store.Get<v1::FiscalPeriod>(kPeriod, id));
  if (!p) {
    return InvalidArgument({{field, absl::StrCat(PeriodName(id), " does not exist")}},
                           "PERIOD_NOT_FOUND");
  }
  p->doc.set_etag(absl::StrCat(p->version));
  return *std::move(p);
}

std::string AxisKeyOf(v1::AllocationAxis axis) {
  switch (axis) {
    case v1::ALLOCATION_AXIS_PRODUCT_LINE:
      return "pl";
    case v1::ALLOCATION_AXIS_REGION:
      return "rg";
    case v1::ALLOCATION_AXIS_CHANNEL:
      return "ch";
    case v1::ALLOCATION_AXIS_CUSTOMER_TYPE:
      return "ct";
    case v1::ALLOCATION_AXIS_TEAM:
      return "tm";
    case v1::ALLOCATION_AXIS_REP:
      return "rp";
    default:
      return "x";
  }
}

// Whether `axis` is already fixed on the path to `cell`.
bool AxisFixed(const v1::AllocationCell& c, v1::AllocationAxis axis) {
  switch (axis) {
    case v1::ALLOCATION_AXIS_PRODUCT_LINE:
      return !c.dimensions().product_line().empty();
    case v1::ALLOCATION_AXIS_REGION:
      return !c.dimensions().region().empty();
    case v1::ALLOCATION_AXIS_CHANNEL:
      return !c.dimensions().channel().empty();
    case v1::ALLOCATION_AXIS_CUSTOMER_TYPE:
      return !c.dimensions().customer_type().empty();
    case v1::ALLOCATION_AXIS_TEAM:
      return c.axis() == v1::ALLOCATION_AXIS_TEAM || !c.member().empty();
    case v1::ALLOCATION_AXIS_REP:
      return !c.member().empty();
    default:
      return true;
  }
}

// The bookings history field for a key on an axis (as the attainment
// projection records it).
std::string HistoryField(v1::AllocationAxis axis, const std::string& key) {
  return absl::StrCat(AxisKeyOf(axis), "=", key);
}

}  // namespace

MethodPolicy TargetsMethodPolicy() {
  MethodPolicy p;
  for (const char* m : {"CreateFiscalPeriod", "UpdateFiscalPeriod", "DeleteFiscalPeriod"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector});
  }
  for (const char* m : {"CreatePlan", "CreatePlanVersion", "AllocatePlan", "SetPhasing",
                        "PublishPlan", "SuggestReallocation", "ApplyReallocation"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector, Role::kManager, Role::kSupervisor});
  }
  for (const char* m : {"GetFiscalPeriod", "ListFiscalPeriods", "ListAllocationCells",
                        "GetAttainment", "ListAttainment"}) {
    p.AllowAll(m);
  }
  // Plans (company and unit totals) are for those who plan; a rep reads their
  // own cells and attainment.
  for (const char* m : {"GetPlan", "ListPlans"}) {
    p.Allow(m, {Role::kAdmin, Role::kDirector, Role::kManager, Role::kSupervisor});
  }
  return p;
}

TargetsApi::TargetsApi(TargetsStore& store, org::OrgDirectory& directory, PlanModelCache& models,
                       const Clock& clock, TargetsOptions options)
    : store_(store),
      directory_(directory),
      models_(models),
      clock_(clock),
      options_(std::move(options)) {}

// ---------------------------------------------------------------- periods

absl::Status TargetsApi::CreateFiscalPeriod(const CallContext& call,
                                            const v1::CreateFiscalPeriodRequest& req,
                                            v1::CreateFiscalPeriodResponse* resp) {
  Violations v;
  v1::FiscalPeriod p = req.fiscal_period();
  ClearOutputOnly(&p);
  CheckText(v, "fiscal_period.display_name", p.display_name(), 1, 100);
  if (p.kind() != v1::FISCAL_PERIOD_KIND_QUARTER && p.kind() != v1::FISCAL_PERIOD_KIND_YEAR &&
      p.kind() != v1::FISCAL_PERIOD_KIND_MONTH) {
    v.Add("fiscal_period.kind", "YEAR, QUARTER or MONTH");
  }
  if (p.fiscal_year() < 2000 || p.fiscal_year() > 2200) {
    v.Add("fiscal_period.fiscal_year", "2000..2200");
  }
  const int start_month = p.fiscal_year_start_month() == 0 ? 1 : p.fiscal_year_start_month();
  if (!FiscalCalendar::Validate(start_month).ok()) {
    v.Add("fiscal_period.fiscal_year_start_month", "a month, 1..12");
  }
  if (p.kind() == v1::FISCAL_PERIOD_KIND_QUARTER && (p.number() < 1 || p.number() > 4)) {
    v.Add("fiscal_period.number", "1..4 for a quarter");
  }
  if (p.kind() == v1::FISCAL_PERIOD_KIND_MONTH && (p.number() < 1 || p.number() > 12)) {
    v.Add("fiscal_period.number", "1..12 for a month");
  }
  if (!req.fiscal_period_id().empty() && !IsValidId(req.fiscal_period_id())) {
    v.Add("fiscal_period_id", "letters, digits and '-', 3..63 characters");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  FiscalCalendar cal(start_month);
  std::string id = req.fiscal_period_id();
  if (p.kind() == v1::FISCAL_PERIOD_KIND_QUARTER) {
    FiscalQuarter q = cal.Quarter(p.fiscal_year(), p.number());
    *p.mutable_start_date() = ToDate(q.start);
    *p.mutable_end_date() = ToDate(q.end);
    if (id.empty()) {
      id = absl::StrFormat("FY%d-Q%d", p.fiscal_year(), p.number());
    }
  } else if (p.kind() == v1::FISCAL_PERIOD_KIND_YEAR) {
    FiscalQuarter q1 = cal.Quarter(p.fiscal_year(), 1), q4 = cal.Quarter(p.fiscal_year(), 4);
    *p.mutable_start_date() = ToDate(q1.start);
    *p.mutable_end_date() = ToDate(q4.end);
    p.set_number(0);
    if (id.empty()) {
      id = absl::StrFormat("FY%d", p.fiscal_year());
    }
  } else {
    const absl::CivilMonth m = absl::CivilMonth(p.fiscal_year(), start_month) + (p.number() - 1);
    *p.mutable_start_date() = ToDate(absl::CivilDay(m));
    *p.mutable_end_date() = ToDate(absl::CivilDay(m + 1) - 1);
    if (id.empty()) {
      id = absl::StrFormat("FY%d-M%02d", p.fiscal_year(), p.number());
    }
  }
  p.set_fiscal_year_start_month(start_month);
  p.set_name(PeriodName(id));
  p.set_state(v1::FISCAL_PERIOD_STATE_OPEN);
  const absl::Time now = clock_.Now();
  *p.mutable_create_time() = ToTs(now);
  *p.mutable_update_time() = ToTs(now);
  p.clear_etag();
  WriteBatch b;
  TargetsStore::PutDoc(b, kPeriod, id, p, 0);
  b.ZAdd(PeriodsIndex(), 0, id);
  v1::FiscalPeriodCreated e;
  *e.mutable_fiscal_period() = p;
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, id, p.name(), e, now);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("PERIOD_EXISTS", absl::StrCat(p.name(), " already exists"), p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  p.set_etag("1");
  *resp->mutable_fiscal_period() = std::move(p);
  return absl::OkStatus();
}

absl::Status TargetsApi::GetFiscalPeriod(const CallContext&, const v1::GetFiscalPeriodRequest& req,
                                         v1::GetFiscalPeriodResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), "fiscalPeriods");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto p, store_.Get<v1::FiscalPeriod>(kPeriod, id));
  if (!p) {
    return NotFound("PERIOD_NOT_FOUND", absl::StrCat(req.name(), " does not exist"));
  }
  p->doc.set_etag(absl::StrCat(p->version));
  *resp->mutable_fiscal_period() = std::move(p->doc);
  return absl::OkStatus();
}

absl::Status TargetsApi::ListFiscalPeriods(const CallContext&,
                                           const v1::ListFiscalPeriodsRequest& req,
                                           v1::ListFiscalPeriodsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const std::string filter = absl::StrCat(req.kind(), "|", req.fiscal_year());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto ids,
                            store_.Range(PeriodsIndex(), cursor ? cursor->after : "", page_size));
  SALESOPS_ASSIGN_OR_RETURN(auto periods, store_.GetMany<v1::FiscalPeriod>(kPeriod, ids));
  for (auto& p : periods) {
    if (req.kind() != 0 && p.doc.kind() != req.kind()) {
      continue;
    }
    if (req.fiscal_year() != 0 && p.doc.fiscal_year() != req.fiscal_year()) {
      continue;
    }
    if (req.has_contains_date() && (ToDay(req.contains_date()) < ToDay(p.doc.start_date()) ||
                                    ToDay(req.contains_date()) > ToDay(p.doc.end_date()))) {
      continue;
    }
    p.doc.set_etag(absl::StrCat(p.version));
    *resp->add_fiscal_periods() = std::move(p.doc);
  }
  if (static_cast<int>(ids.size()) == page_size) {
    resp->set_next_page_token(EncodePageToken({ids.back(), filter}));
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::UpdateFiscalPeriod(const CallContext& call,
                                            const v1::UpdateFiscalPeriodRequest& req,
                                            v1::UpdateFiscalPeriodResponse* resp) {
  Violations v;
  const std::string id =
      ParseResourceName(v, "fiscal_period.name", req.fiscal_period().name(), "fiscalPeriods");
  for (int i = 0; i < req.update_mask().paths_size(); ++i) {
    const std::string& path = req.update_mask().paths(i);
    if (path != "display_name" && path != "state") {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"), "only display_name and state can change");
    }
  }
  if (req.update_mask().paths_size() == 0) {
    v.Add("update_mask", "name the fields to change");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadPeriod(store_, id, "fiscal_period.name"));
  SALESOPS_RETURN_IF_ERROR(
      CheckEtag(req.fiscal_period().etag(), cur.version, req.fiscal_period().name()));
  v1::FiscalPeriod next = cur.doc;
  for (const auto& path : req.update_mask().paths()) {
    if (path == "display_name") {
      next.set_display_name(req.fiscal_period().display_name());
    }
    if (path == "state") {
      next.set_state(req.fiscal_period().state());
    }
  }
  Violations fv;
  CheckText(fv, "fiscal_period.display_name", next.display_name(), 1, 100);
  if (next.state() != v1::FISCAL_PERIOD_STATE_OPEN &&
      next.state() != v1::FISCAL_PERIOD_STATE_CLOSED) {
    fv.Add("fiscal_period.state", "OPEN or CLOSED");
  }
  SALESOPS_RETURN_IF_ERROR(fv.Finish());
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  WriteBatch b;
  TargetsStore::PutDoc(b, kPeriod, id, next, cur.version);
  v1::FiscalPeriodUpdated e;
  *e.mutable_fiscal_period() = next;
  *e.mutable_previous() = cur.doc;
  for (const auto& path : req.update_mask().paths()) {
    e.add_changed_fields(path);
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, id, next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_fiscal_period() = std::move(next);
  return absl::OkStatus();
}

absl::Status TargetsApi::DeleteFiscalPeriod(const CallContext& call,
                                            const v1::DeleteFiscalPeriodRequest& req,
                                            v1::DeleteFiscalPeriodResponse*) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), "fiscalPeriods");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadPeriod(store_, id, "name"));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  WriteBatch b;
  b.ExpectHashField(TargetsStore::DocKey(kPeriod, id), "v", absl::StrCat(cur.version),
                    absl::StrCat("version:", req.name()));
  b.Del(TargetsStore::DocKey(kPeriod, id));
  b.ZRem(PeriodsIndex(), id);
  v1::FiscalPeriodDeleted e;
  *e.mutable_fiscal_period() = cur.doc;
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, id, req.name(), e, clock_.Now());
  // The plans-by-period index is a sorted set: check it explicitly (SCARD
  // guards only sets).
  SALESOPS_ASSIGN_OR_RETURN(int64_t plans, store_.Count(PlansOfPeriodIndex(id)));
  if (plans > 0) {
    return FailedPrecondition(
        "PERIOD_HAS_PLANS", absl::StrCat(req.name(), " has ", plans, " plans; delete them first"));
  }
  return store_.Commit(b);
}

// ---------------------------------------------------------------- plans

absl::Status TargetsApi::CreatePlan(const CallContext& call, const v1::CreatePlanRequest& req,
                                    v1::CreatePlanResponse* resp) {
  Violations v;
  v1::TargetPlan p = req.plan();
  ClearOutputOnly(&p);
  CheckText(v, "plan.display_name", p.display_name(), 1, 200);
  const std::string period_id = ParseResourceName(v, "plan.period", p.period(), "fiscalPeriods");
  const std::string scope = ParseResourceName(v, "plan.scope", p.scope(), "orgUnits");
  if (p.total().amount_minor() < 0) {
    v.Add("plan.total.amount_minor", "must not be negative");
  }
  CheckMoney(v, "plan.total", {p.total().amount_minor(), p.total().currency_code()},
             MoneyRule::kNonNegative);
  if (p.attainment_basis() != v1::ATTAINMENT_BASIS_BOOKING &&
      p.attainment_basis() != v1::ATTAINMENT_BASIS_COLLECTION) {
    v.Add("plan.attainment_basis", "BOOKING or COLLECTION");
  }
  if (!req.plan_id().empty() && !IsValidId(req.plan_id())) {
    v.Add("plan_id", "letters, digits and '-', 3..63 characters");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto period, LoadPeriod(store_, period_id, "plan.period"));
  SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(scope));
  if (kind == 0) {
    return InvalidArgument({{"plan.scope", "is not a known org unit"}}, "ORG_UNIT_NOT_FOUND");
  }
  // Directors (and admins) plan for the company; managers their region; supervisors their team.
  const Principal& who = call.principal;
  const bool allowed = who.role == Role::kAdmin || who.role == Role::kDirector ||
                       (who.role == Role::kManager && kind == ov1::ORG_UNIT_KIND_REGION &&
                        scope == who.org_unit_id) ||
                       (who.role == Role::kSupervisor && kind == ov1::ORG_UNIT_KIND_TEAM &&
                        scope == who.org_unit_id);
  if (!allowed) {
    return PermissionDenied("NOT_IN_SCOPE", "you may not plan for this scope");
  }
  const std::string id = req.plan_id().empty() ? NewUuid() : req.plan_id();
  const absl::Time now = clock_.Now();
  p.set_name(PlanName(id));
  p.set_series(id);
  p.set_version(1);
  p.clear_previous_version();
  p.set_state(v1::PLAN_STATE_DRAFT);
  p.set_cell_count(1);
  *p.mutable_create_time() = ToTs(now);
  *p.mutable_update_time() = ToTs(now);
  p.clear_publish_time();
  p.clear_published_by();
  p.clear_etag();
  v1::AllocationCell root;
  root.set_name(CellName(id, "root"));
  *root.mutable_amount() = p.total();
  if (kind == ov1::ORG_UNIT_KIND_REGION) {
    root.mutable_dimensions()->set_region(p.scope());
  }
  if (kind == ov1::ORG_UNIT_KIND_TEAM) {
    root.set_axis(v1::ALLOCATION_AXIS_TEAM);
    root.set_org_unit(p.scope());
  } else {
    root.set_org_unit(p.scope());
  }
  root.set_method(v1::ALLOCATION_METHOD_MANUAL);
  root.set_share_basis_points(10000);
  SALESOPS_RETURN_IF_ERROR(PhaseCell(p, period.doc, root));
  WriteBatch b;
  TargetsStore::PutDoc(b, kPlan, id, p, 0);
  TargetsStore::PutDoc(b, kCell, CellDocId(id, "root"), root, 0);
  b.ZAdd(CellsIndex(id), 0, "root");
  b.ZAdd(PlansIndex(), 0, id);
  b.ZAdd(PlansOfPeriodIndex(period_id), 0, id);
  b.ZAdd(PlanSeriesIndex(id), 0, absl::StrFormat("%06d", 1));
  v1::PlanCreated e;
  *e.mutable_plan() = p;
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, id, p.name(), e, now);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("PLAN_EXISTS", absl::StrCat(p.name(), " already exists"), p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  p.set_etag("1");
  *resp->mutable_plan() = std::move(p);
  *resp->mutable_root_cell() = std::move(root);
  return absl::OkStatus();
}

absl::Status TargetsApi::GetPlan(const CallContext& call, const v1::GetPlanRequest& req,
                                 v1::GetPlanResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), "plans");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto p, LoadPlan(store_, id));
  SALESOPS_RETURN_IF_ERROR(RedactPlanFor(call.principal, p.doc));
  *resp->mutable_plan() = std::move(p.doc);
  return absl::OkStatus();
}

// A plan's total is its scope's number: directors and admins see every one; a
// manager or supervisor the plans of their own unit (or the region above a
// supervisor's team); for other plans they see the plan without its total, so
// they can still find their own cells in it.
absl::Status TargetsApi::RedactPlanFor(const Principal& who, v1::TargetPlan& plan) {
  if (who.role == Role::kAdmin || who.role == Role::kDirector) {
    return absl::OkStatus();
  }
  const std::string scope = StripName(plan.scope());
  bool reaches = !who.org_unit_id.empty() && scope == who.org_unit_id;
  if (!reaches && who.role == Role::kManager && !scope.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::string region, directory_.RegionOf(scope));
    reaches = region == who.org_unit_id;
  }
  if (!reaches) {
    plan.clear_total();
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::ListPlans(const CallContext& call, const v1::ListPlansRequest& req,
                                   v1::ListPlansResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string period;
  if (!req.period().empty()) {
    period = ParseResourceName(v, "period", req.period(), "fiscalPeriods");
  }
  const std::string filter =
      absl::StrCat(period, "|", req.state(), "|", req.series(), "|", req.scope());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const std::string index = period.empty() ? PlansIndex() : PlansOfPeriodIndex(period);
  SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(index, cursor ? cursor->after : "", page_size));
  SALESOPS_ASSIGN_OR_RETURN(auto plans, store_.GetMany<v1::TargetPlan>(kPlan, ids));
  for (auto& p : plans) {
    if (req.state() != 0 && p.doc.state() != req.state()) {
      continue;
    }
    if (!req.series().empty() && p.doc.series() != StripName(req.series())) {
      continue;
    }
    if (!req.scope().empty() && p.doc.scope() != req.scope()) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(RedactPlanFor(call.principal, p.doc));
    p.doc.set_etag(absl::StrCat(p.version));
    *resp->add_plans() = std::move(p.doc);
  }
  if (static_cast<int>(ids.size()) == page_size) {
    resp->set_next_page_token(EncodePageToken({ids.back(), filter}));
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::CreatePlanVersion(const CallContext& call,
                                           const v1::CreatePlanVersionRequest& req,
                                           v1::CreatePlanVersionResponse* resp) {
  Violations v;
  const std::string src_id = ParseResourceName(v, "source_plan", req.source_plan(), "plans");
  CheckText(v, "change_reason", req.change_reason(), 1, 1000);
  if (!req.plan_id().empty() && !IsValidId(req.plan_id())) {
    v.Add("plan_id", "letters, digits and '-'");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto src, LoadPlan(store_, src_id));
  SALESOPS_ASSIGN_OR_RETURN(auto cells, LoadCells(store_, src_id));
  for (const auto& c : cells) {
    if (c.doc.parent_cell().empty() && !MayAllocate(call.principal, c.doc)) {
      return PermissionDenied("NOT_IN_SCOPE", "you may not change this plan");
    }
  }
  const std::string id = req.plan_id().empty() ? NewVersionId(src.doc) : req.plan_id();
  const absl::Time now = clock_.Now();
  std::vector<std::pair<std::string, v1::AllocationCell>> copies;
  for (auto& c : cells) {
    copies.emplace_back(StripName(c.doc.name()), std::move(c.doc));
  }
  WriteBatch b;
  SALESOPS_ASSIGN_OR_RETURN(
      v1::TargetPlan p, StageNewVersion(src.doc, id, req.change_reason(), now, copies, nullptr, b));
  v1::PlanCreated e;
  *e.mutable_plan() = p;
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, p.series(), p.name(), e, now);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("PLAN_EXISTS", absl::StrCat(p.name(), " already exists"), p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  p.set_etag("1");
  *resp->mutable_plan() = std::move(p);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- allocation

absl::Status TargetsApi::AllocatePlan(const CallContext& call, const v1::AllocatePlanRequest& req,
                                      v1::AllocatePlanResponse* resp) {
  Violations v;
  const std::string plan_id = ParseResourceName(v, "plan", req.plan(), "plans");
  std::string parent_key = "root";
  if (!req.parent_cell().empty()) {
    auto parsed = ParseCellName(req.parent_cell());
    if (!parsed) {
      v.Add("parent_cell", "must look like plans/{plan}/cells/{cell}");
    } else {
      parent_key = parsed->second;
    }
  }
  if (req.axis() < v1::ALLOCATION_AXIS_PRODUCT_LINE || req.axis() > v1::ALLOCATION_AXIS_REP) {
    v.Add("axis", "PRODUCT_LINE, REGION, CHANNEL, CUSTOMER_TYPE, TEAM or REP");
  }
  if (req.method() < v1::ALLOCATION_METHOD_HISTORICAL_SHARE ||
      req.method() > v1::ALLOCATION_METHOD_MANUAL) {
    v.Add("method", "HISTORICAL_SHARE, EQUAL, CAPACITY_WEIGHTED, POTENTIAL_WEIGHTED or MANUAL");
  }
  CheckText(v, "reason", req.reason(), 0, 1000);
  if (req.inputs_size() > kMaxAllocationInputs) {
    v.Add("inputs", absl::StrCat("at most ", kMaxAllocationInputs, " per request"));
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto plan, LoadPlan(store_, plan_id));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), plan.version, req.plan()));
  if (plan.doc.state() != v1::PLAN_STATE_DRAFT) {
    return FailedPrecondition(
        reason::kPlanNotDraft,
        "a published plan does not change; create a new version (CreatePlanVersion)");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto parent,
                            store_.Get<v1::AllocationCell>(kCell, CellDocId(plan_id, parent_key)));
  if (!parent) {
    return InvalidArgument({{"parent_cell", "no such cell in this plan"}}, "CELL_NOT_FOUND");
  }
  if (!MayAllocate(call.principal, parent->doc)) {
    return PermissionDenied("NOT_IN_SCOPE", "you may not allocate this part of the plan");
  }
  if (AxisFixed(parent->doc, req.axis())) {
    return InvalidArgument({{"axis", "is already fixed on the path to this cell"}},
                           "AXIS_ALREADY_USED");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto period, LoadPeriod(store_, StripName(plan.doc.period()), "plan"));
  const std::string cur = plan.doc.total().currency_code();

  // The keys to allocate to, validated per axis.
  std::vector<v1::AllocationInput> inputs(req.inputs().begin(), req.inputs().end());
  if (req.axis() == v1::ALLOCATION_AXIS_REP && inputs.empty()) {
    if (parent->doc.axis() != v1::ALLOCATION_AXIS_TEAM) {
      return InvalidArgument({{"parent_cell", "allocating to reps needs a team cell as parent"}},
                             "REP_NEEDS_TEAM");
    }
    SALESOPS_ASSIGN_OR_RETURN(auto members,
                              directory_.MembersOf(StripName(parent->doc.org_unit())));
    for (const auto& m : members) {
      SALESOPS_ASSIGN_OR_RETURN(auto info, directory_.Member(m));
      if (!info || info->role != ov1::ROLE_REP) {
        continue;  // targets are for reps
      }
      v1::AllocationInput in;
      in.set_key(absl::StrCat("members/", m));
      inputs.push_back(in);
    }
    if (inputs.empty()) {
      return FailedPrecondition(
          "TEAM_HAS_NO_MEMBERS",
          absl::StrCat(parent->doc.org_unit(), " has no members to allocate to"));
    }
  }
  if (inputs.empty()) {
    return InvalidField("inputs", "name the cells to allocate to");
  }
  Violations iv;
  std::vector<std::string> keys;  // bare ids / codes
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string f = absl::StrCat("inputs[", i, "]");
    const std::string& key = inputs[i].key();
    std::string bare = key;
    switch (req.axis()) {
      case v1::ALLOCATION_AXIS_PRODUCT_LINE:
      case v1::ALLOCATION_AXIS_REGION:
      case v1::ALLOCATION_AXIS_TEAM: {
        bare = ParseResourceName(iv, absl::StrCat(f, ".key"), key, "orgUnits");
        if (bare.empty()) {
          break;
        }
        SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(bare));
        const int want = req.axis() == v1::ALLOCATION_AXIS_PRODUCT_LINE
                             ? ov1::ORG_UNIT_KIND_PRODUCT_LINE
                         : req.axis() == v1::ALLOCATION_AXIS_REGION ? ov1::ORG_UNIT_KIND_REGION
                                                                    : ov1::ORG_UNIT_KIND_TEAM;
        if (kind != want) {
          iv.Add(absl::StrCat(f, ".key"),
                 absl::StrCat(QuoteUntrusted(key), " is not a known ",
                              want == ov1::ORG_UNIT_KIND_TEAM     ? "team"
                              : want == ov1::ORG_UNIT_KIND_REGION ? "region"
                                                                  : "product line"));
        } else if (req.axis() == v1::ALLOCATION_AXIS_TEAM) {
          SALESOPS_ASSIGN_OR_RETURN(auto members, directory_.MembersOf(bare));
          if (members.empty()) {
            return FailedPrecondition("TEAM_HAS_NO_MEMBERS",
                                      absl::StrCat(f, ".key: ", key, " has no members"));
          }
          if (!parent->doc.dimensions().region().empty()) {
            SALESOPS_ASSIGN_OR_RETURN(std::string region, directory_.RegionOf(bare));
            if (region != StripName(parent->doc.dimensions().region())) {
              iv.Add(absl::StrCat(f, ".key"), "the team is not in the parent cell's region");
            }
          }
        }
        break;
      }
      case v1::ALLOCATION_AXIS_CHANNEL:
      case v1::ALLOCATION_AXIS_CUSTOMER_TYPE: {
        const auto& allowed =
            req.axis() == v1::ALLOCATION_AXIS_CHANNEL ? options_.channels : options_.customer_types;
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
          iv.Add(absl::StrCat(f, ".key"),
                 absl::StrCat(
                     QuoteUntrusted(key), " is not a known ",
                     req.axis() == v1::ALLOCATION_AXIS_CHANNEL ? "channel" : "customer type"));
        }
        break;
      }
      case v1::ALLOCATION_AXIS_REP: {
        bare = ParseResourceName(iv, absl::StrCat(f, ".key"), key, "members");
        if (bare.empty()) {
          break;
        }
        SALESOPS_ASSIGN_OR_RETURN(auto m, directory_.Member(bare));
        if (!m || m->left) {
          iv.Add(absl::StrCat(f, ".key"), "is not an active member");
        } else if (parent->doc.axis() == v1::ALLOCATION_AXIS_TEAM &&
                   m->team != StripName(parent->doc.org_unit())) {
          iv.Add(absl::StrCat(f, ".key"), "is not in the parent cell's team");
        }
        break;
      }
      default:
        break;
    }
    if (inputs[i].has_amount() && inputs[i].amount().currency_code() != cur &&
        (inputs[i].locked() || req.method() == v1::ALLOCATION_METHOD_MANUAL)) {
      iv.Add(absl::StrCat(f, ".amount.currency_code"), absl::StrCat("must be the plan's ", cur));
    }
    if (inputs[i].weight() < 0) {
      iv.Add(absl::StrCat(f, ".weight"), "must not be negative");
    }
    keys.push_back(bare);
  }
  if (req.method() == v1::ALLOCATION_METHOD_HISTORICAL_SHARE) {
    if (!req.has_history_start_date() || !req.has_history_end_date()) {
      iv.Add("history_start_date",
             "historical share needs history_start_date and history_end_date");
    } else if (ToDay(req.history_end_date()) < ToDay(req.history_start_date())) {
      iv.Add("history_end_date", "must not be before history_start_date");
    }
  }
  SALESOPS_RETURN_IF_ERROR(iv.Finish());

  // Weights per method.
  std::vector<int64_t> weights(keys.size(), 1);
  if (req.method() == v1::ALLOCATION_METHOD_CAPACITY_WEIGHTED) {
    // Given weights win (a 0 is a 0); without any, a team weighs its
    // headcount and a rep 1; other axes need weights.
    const bool given = std::any_of(inputs.begin(), inputs.end(),
                                   [](const v1::AllocationInput& in) { return in.weight() > 0; });
    for (size_t i = 0; i < keys.size(); ++i) {
      if (given ||
          (req.axis() != v1::ALLOCATION_AXIS_TEAM && req.axis() != v1::ALLOCATION_AXIS_REP)) {
        weights[i] = inputs[i].weight();
      } else if (req.axis() == v1::ALLOCATION_AXIS_TEAM) {
        SALESOPS_ASSIGN_OR_RETURN(auto members, directory_.MembersOf(keys[i]));
        weights[i] = static_cast<int64_t>(members.size());
      }
    }
  } else if (req.method() == v1::ALLOCATION_METHOD_HISTORICAL_SHARE) {
    SALESOPS_ASSIGN_OR_RETURN(
        auto won,
        WonByDimension(store_, cur, absl::CivilMonth(ToDay(req.history_start_date())),
                       absl::CivilMonth(ToDay(req.history_end_date())), AxisKeyOf(req.axis())));
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = won.find(keys[i]);
      weights[i] = it == won.end() ? 0 : std::max<int64_t>(it->second, 0);
    }
  } else if (req.method() == v1::ALLOCATION_METHOD_POTENTIAL_WEIGHTED) {
    std::vector<std::string> fields;
    for (const auto& k : keys) {
      fields.push_back(HistoryField(req.axis(), k));
    }
    SALESOPS_ASSIGN_OR_RETURN(auto replies, store_.HMGetMany({PipelineKey(cur)}, fields));
    std::fill(weights.begin(), weights.end(), 0);
    for (const auto& r : replies) {
      for (size_t i = 0; i < keys.size() && i < r.size(); ++i) {
        int64_t x = 0;
        if (r[i] && absl::SimpleAtoi(*r[i], &x) && x > 0) {
          weights[i] = x;
        }
      }
    }
  }
  std::vector<Share> shares;
  for (size_t i = 0; i < keys.size(); ++i) {
    Share s{keys[i], weights[i], std::nullopt};
    if (inputs[i].locked() || req.method() == v1::ALLOCATION_METHOD_MANUAL) {
      s.locked = inputs[i].amount().amount_minor();
    }
    shares.push_back(std::move(s));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> parts,
                            Allocate(parent->doc.amount().amount_minor(), shares, "inputs"));

  // Replace the parent's previous children (only leaves may be replaced).
  SALESOPS_ASSIGN_OR_RETURN(auto old_children,
                            store_.Range(ChildrenIndex(plan_id, parent_key), "", 100000));
  WriteBatch b;
  v1::AllocationChanged e;
  for (const std::string& child : old_children) {
    SALESOPS_ASSIGN_OR_RETURN(int64_t grandchildren, store_.Count(ChildrenIndex(plan_id, child)));
    if (grandchildren > 0) {
      return FailedPrecondition(
          "CELL_HAS_CHILDREN", absl::StrCat(CellName(plan_id, child),
                                            " is allocated further; re-allocate from below first"));
    }
    b.Del(TargetsStore::DocKey(kCell, CellDocId(plan_id, child)));
    b.ZRem(CellsIndex(plan_id), child);
    b.ZRem(ChildrenIndex(plan_id, parent_key), child);
    e.add_removed_cells(CellName(plan_id, child));
  }
  const int64_t total = parent->doc.amount().amount_minor();
  std::vector<v1::AllocationCell> cells;
  for (size_t i = 0; i < keys.size(); ++i) {
    v1::AllocationCell c;
    const std::string key = absl::StrCat(parent_key == "root" ? "" : parent_key + ".",
                                         AxisKeyOf(req.axis()), "-", keys[i]);
    c.set_name(CellName(plan_id, key));
    c.set_parent_cell(parent->doc.name());
    c.set_axis(req.axis());
    *c.mutable_dimensions() = parent->doc.dimensions();
    c.set_org_unit(parent->doc.org_unit());
    switch (req.axis()) {
      case v1::ALLOCATION_AXIS_PRODUCT_LINE:
        c.mutable_dimensions()->set_product_line(inputs[i].key());
        break;
      case v1::ALLOCATION_AXIS_REGION:
        c.mutable_dimensions()->set_region(inputs[i].key());
        c.set_org_unit(inputs[i].key());
        break;
      case v1::ALLOCATION_AXIS_CHANNEL:
        c.mutable_dimensions()->set_channel(keys[i]);
        break;
      case v1::ALLOCATION_AXIS_CUSTOMER_TYPE:
        c.mutable_dimensions()->set_customer_type(keys[i]);
        break;
      case v1::ALLOCATION_AXIS_TEAM:
        c.set_org_unit(inputs[i].key());
        break;
      case v1::ALLOCATION_AXIS_REP:
        c.set_member(inputs[i].key());
        break;
      default:
        break;
    }
    *c.mutable_amount() = Money(parts[i], cur);
    c.set_locked(shares[i].locked.has_value());
    c.set_method(req.method());
    c.set_weight(weights[i]);
    c.set_share_basis_points(
        total > 0 ? static_cast<int32_t>(static_cast<__int128>(parts[i]) * 10000 / total) : 0);
    SALESOPS_RETURN_IF_ERROR(PhaseCell(plan.doc, period.doc, c));
    // Unguarded: the plan's version guard below serialises changes to its cells.
    b.HSet(TargetsStore::DocKey(kCell, CellDocId(plan_id, key)),
           {{"v", "1"}, {"pb", c.SerializeAsString()}});
    b.ZAdd(CellsIndex(plan_id), 0, key);
    b.ZAdd(ChildrenIndex(plan_id, parent_key), 0, key);
    cells.push_back(std::move(c));
  }
  const absl::Time now = clock_.Now();
  v1::TargetPlan next = plan.doc;
  SALESOPS_ASSIGN_OR_RETURN(int64_t count, store_.Count(CellsIndex(plan_id)));
  next.set_cell_count(count - static_cast<int64_t>(old_children.size()) +
                      static_cast<int64_t>(cells.size()));
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  TargetsStore::PutDoc(b, kPlan, plan_id, next, plan.version);
  *e.mutable_plan() = next;
  e.set_parent_cell(parent->doc.name());
  e.set_axis(req.axis());
  e.set_method(req.method());
  // Large allocations (10,000 reps) would make one huge event: carry the
  // cells only when there are few; consumers re-read the plan otherwise.
  if (cells.size() <= 500) {
    for (const auto& c : cells) {
      *e.add_cells() = c;
    }
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, next.series(), next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(plan.version + 1));
  *resp->mutable_plan() = std::move(next);
  for (auto& c : cells) {
    *resp->add_cells() = std::move(c);
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::ListAllocationCells(const CallContext& call,
                                             const v1::ListAllocationCellsRequest& req,
                                             v1::ListAllocationCellsResponse* resp) {
  Violations v;
  const std::string plan_id = ParseResourceName(v, "plan", req.plan(), "plans");
  const int page_size = CheckPageSize(v, "page_size", req.page_size(), 100, kMaxPageSize);
  std::string parent_key;
  if (!req.parent_cell().empty()) {
    auto parsed = ParseCellName(req.parent_cell());
    if (!parsed) {
      v.Add("parent_cell", "must look like plans/{plan}/cells/{cell}");
    } else {
      parent_key = parsed->second;
    }
  }
  const std::string filter = absl::StrCat(plan_id, "|", parent_key, "|", req.org_unit(), "|",
                                          req.member(), "|", req.axis());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto plan, LoadPlan(store_, plan_id));
  const std::string index =
      parent_key.empty() ? CellsIndex(plan_id) : ChildrenIndex(plan_id, parent_key);
  std::string after = cursor ? cursor->after : "";
  bool exhausted = false;
  for (int round = 0; round < 10 && resp->cells_size() < page_size; ++round) {
    SALESOPS_ASSIGN_OR_RETURN(auto keys, store_.Range(index, after, page_size));
    if (keys.empty()) {
      exhausted = true;
      break;
    }
    std::vector<std::string> ids;
    for (const auto& k : keys) {
      ids.push_back(CellDocId(plan_id, k));
    }
    SALESOPS_ASSIGN_OR_RETURN(auto cells, store_.GetMany<v1::AllocationCell>(kCell, ids));
    after = keys.back();
    for (auto& c : cells) {
      if (!req.org_unit().empty() && c.doc.org_unit() != req.org_unit()) {
        continue;
      }
      if (!req.member().empty() && c.doc.member() != req.member()) {
        continue;
      }
      if (req.axis() != 0 && c.doc.axis() != req.axis()) {
        continue;
      }
      if (!MayRead(call.principal, c.doc)) {
        continue;
      }
      *resp->add_cells() = std::move(c.doc);
    }
    if (static_cast<int>(keys.size()) < page_size) {
      exhausted = true;
      break;
    }
  }
  if (!exhausted) {
    resp->set_next_page_token(EncodePageToken({after, filter}));
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::SetPhasing(const CallContext& call, const v1::SetPhasingRequest& req,
                                    v1::SetPhasingResponse* resp) {
  Violations v;
  const std::string plan_id = ParseResourceName(v, "plan", req.plan(), "plans");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto plan, LoadPlan(store_, plan_id));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), plan.version, req.plan()));
  if (plan.doc.state() != v1::PLAN_STATE_DRAFT) {
    return FailedPrecondition(reason::kPlanNotDraft,
                              "a published plan does not change; create a new version");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto period, LoadPeriod(store_, StripName(plan.doc.period()), "plan"));
  SALESOPS_ASSIGN_OR_RETURN(auto cells, LoadCells(store_, plan_id));
  for (const auto& c : cells) {
    if (c.doc.parent_cell().empty() && !MayAllocate(call.principal, c.doc)) {
      return PermissionDenied("NOT_IN_SCOPE", "you may not change this plan's phasing");
    }
  }
  v1::TargetPlan next = plan.doc;
  *next.mutable_seasonality() = req.seasonality();
  const size_t months = MonthsOf(period.doc).size();
  absl::flat_hash_map<std::string, const v1::CellPhasing*> overrides;
  Violations ov;
  for (int i = 0; i < req.cell_overrides_size(); ++i) {
    const auto& o = req.cell_overrides(i);
    auto parsed = ParseCellName(o.cell());
    if (!parsed || parsed->first != plan_id) {
      ov.Add(absl::StrCat("cell_overrides[", i, "].cell"), "not a cell of this plan");
      continue;
    }
    if (static_cast<size_t>(o.monthly_amounts_size()) != months) {
      ov.Add(absl::StrCat("cell_overrides[", i, "].monthly_amounts"),
             absl::StrCat("one amount per month of the period (", months, ")"));
    }
    overrides[parsed->second] = &o;
  }
  SALESOPS_RETURN_IF_ERROR(ov.Finish());
  WriteBatch b;
  std::vector<v1::AllocationCell> changed;
  for (auto& c : cells) {
    const std::string key = StripName(c.doc.name());
    auto it = overrides.find(key);
    if (it != overrides.end()) {
      int64_t sum = 0;
      c.doc.clear_monthly_amounts();
      for (const auto& m : it->second->monthly_amounts()) {
        if (m.amount().amount_minor() < 0) {
          return InvalidField("cell_overrides.monthly_amounts", "amounts must not be negative");
        }
        sum += m.amount().amount_minor();
        *c.doc.add_monthly_amounts() = m;
      }
      if (sum != c.doc.amount().amount_minor()) {
        return InvalidField("cell_overrides.monthly_amounts",
                            absl::StrCat(it->second->cell(), ": months sum to ", sum,
                                         ", the cell's target is ", c.doc.amount().amount_minor()));
      }
      c.doc.set_phasing_overridden(true);
      changed.push_back(c.doc);
    } else {
      absl::Status s = PhaseCell(next, period.doc, c.doc);
      if (!s.ok()) {
        return s;
      }
    }
    b.HSet(TargetsStore::DocKey(kCell, CellDocId(plan_id, key)),
           {{"v", absl::StrCat(c.version + 1)}, {"pb", c.doc.SerializeAsString()}});
  }
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  TargetsStore::PutDoc(b, kPlan, plan_id, next, plan.version);
  v1::PhasingChanged e;
  *e.mutable_plan() = next;
  for (const auto& c : changed) {
    *e.add_overridden_cells() = c;
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, next.series(), next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(plan.version + 1));
  *resp->mutable_plan() = std::move(next);
  for (auto& c : cells) {
    if (resp->cells_size() >= 1000) {
      break;
    }
    *resp->add_cells() = std::move(c.doc);
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::StageCounters(const PlanModel& model, WriteBatch& b,
                                       absl::flat_hash_map<std::string, int64_t>* counters) {
  SALESOPS_ASSIGN_OR_RETURN(PeriodBookings facts, LoadPeriodBookings(store_, model));
  *counters = RollupFromBookings(model.rollup, facts.bookings);
  // A booking recorded after the read above would be missed: the commit then
  // fails on the bookings revision (WRITE_CONFLICT, not the caller's etag) and the
  // publication is computed again.
  const std::string rev_field =
      FactsRevField(model.plan.attainment_basis(), model.plan.total().currency_code());
  b.ExpectHashField(RevsKey(), rev_field, facts.revision, absl::StrCat("bookings_rev:", rev_field));
  const std::string plan_id = StripName(model.plan.name());
  b.Del(RollupKey(plan_id));
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_key;
  for (const auto& [field, value] : *counters) {
    if (value == 0) {
      continue;
    }
    auto [key, f] = CounterLocation(plan_id, field);
    by_key[key].emplace_back(std::move(f), absl::StrCat(value));
  }
  for (auto& [key, fields] : by_key) {
    if (key != RollupKey(plan_id)) {
      b.Del(key);
    }
    b.HSet(key, std::move(fields));
  }
  return absl::OkStatus();
}

absl::Status TargetsApi::PublishPlan(const CallContext& call, const v1::PublishPlanRequest& req,
                                     v1::PublishPlanResponse* resp) {
  // Bookings arriving while the counters are computed fail the bookings guard
  // (WRITE_CONFLICT): compute again, which checks the caller's etag again. Another
  // version published meanwhile is CONCURRENT_PUBLISH, not run again.
  return RetryWriteRace(!req.etag().empty(), [&] {
    resp->Clear();
    return PublishOnce(call, req, resp);
  });
}

absl::Status TargetsApi::PublishOnce(const CallContext& call, const v1::PublishPlanRequest& req,
                                     v1::PublishPlanResponse* resp) {
  Violations v;
  const std::string plan_id = ParseResourceName(v, "name", req.name(), "plans");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto plan, LoadPlan(store_, plan_id));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), plan.version, req.name()));
  if (plan.doc.state() != v1::PLAN_STATE_DRAFT) {
    return FailedPrecondition(reason::kPlanNotDraft, "only a draft can be published");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto root,
                            store_.Get<v1::AllocationCell>(kCell, CellDocId(plan_id, "root")));
  if (!root) {
    return Internal("PLAN_WITHOUT_ROOT", "the plan has no root cell");
  }
  // Company plans: directors and admins; a region's: its manager; a team's: its supervisor.
  const Principal& who = call.principal;
  SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(StripName(plan.doc.scope())));
  const bool allowed = who.role == Role::kAdmin || who.role == Role::kDirector ||
                       (kind != ov1::ORG_UNIT_KIND_COMPANY && MayAllocate(who, root->doc));
  if (!allowed) {
    return PermissionDenied("NOT_IN_SCOPE", kind == ov1::ORG_UNIT_KIND_COMPANY
                                                ? "directors publish company plans"
                                                : "you may not publish this plan");
  }
  // The published version of the series, if any, is superseded in the same write.
  const std::string published_key = PublishedPlanKey(plan.doc.series());
  SALESOPS_ASSIGN_OR_RETURN(auto previous_id, store_.GetString(published_key));
  const absl::Time now = clock_.Now();
  WriteBatch b;
  std::string superseded;
  if (previous_id) {
    SALESOPS_ASSIGN_OR_RETURN(auto prev, store_.Get<v1::TargetPlan>(kPlan, *previous_id));
    if (prev) {
      v1::TargetPlan old = prev->doc;
      old.set_state(v1::PLAN_STATE_SUPERSEDED);
      *old.mutable_update_time() = ToTs(now);
      // Only a publication changes a published version: a race on it is another
      // version published meanwhile (CONCURRENT_PUBLISH, as below), never the caller's etag.
      TargetsStore::PutDocWith(kKeyPrefix, b, kPlan, *previous_id, old, prev->version, "published");
      b.ZRem(PublishedPlansIndex(), *previous_id);
      superseded = old.name();
    }
  } else {
    b.ExpectAbsent(published_key, "published:");
  }
  v1::TargetPlan next = plan.doc;
  next.set_state(v1::PLAN_STATE_PUBLISHED);
  *next.mutable_publish_time() = ToTs(now);
  next.set_published_by(absl::StrCat("members/", who.member_id));
  *next.mutable_update_time() = ToTs(now);
  next.clear_etag();
  TargetsStore::PutDoc(b, kPlan, plan_id, next, plan.version);
  b.Set(published_key, plan_id);
  b.ZAdd(PublishedPlansIndex(), 0, plan_id);
  v1::PlanPublished e;
  *e.mutable_plan() = next;
  e.set_superseded_plan(superseded);
  SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const PlanModel> model,
                            LoadPlanModel(store_, directory_, plan_id));
  if (model->cells.size() <= 500) {
    for (const auto& c : model->cells) {
      *e.add_cells() = c;
    }
  }
  *e.mutable_actor() = ActorOf(call);
  const CloudEvent published =
      MakeCloudEvent(kTargetsSource, next.series(), next.name(), e, now, call.trace_id);
  b.Emit(published, kTargetsTopic);
  // From now on the projection adds bookings to this version: it starts from
  // every booking of the period so far, computed in this same commit.
  absl::flat_hash_map<std::string, int64_t> counters;
  SALESOPS_RETURN_IF_ERROR(StageCounters(*model, b, &counters));
  b.HIncrBy(RevsKey(), kPlansRevField, 1);
  // Every roll-up's figures against the new targets, for those who follow them.
  for (RollupLevel level :
       {RollupLevel::kRep, RollupLevel::kTeam, RollupLevel::kRegion, RollupLevel::kCompany}) {
    std::vector<RollupSubject> subjects = model->rollup.Subjects(level);
    const std::string prefix = ActualField({level, ""});
    for (const auto& [field, value] : counters) {
      if (!absl::StartsWith(field, prefix) || field.find('|', prefix.size()) != std::string::npos) {
        continue;
      }
      RollupSubject s{level, field.substr(prefix.size())};
      if (std::find(subjects.begin(), subjects.end(), s) == subjects.end()) {
        subjects.push_back(s);
      }
    }
    for (const RollupSubject& s : subjects) {
      auto get = [&](const std::string& f) {
        auto it = counters.find(f);
        return it == counters.end() ? int64_t{0} : it->second;
      };
      v1::Attainment a = RollupAttainment(*model, s, get(ActualField(s)), get(UnplannedField(s)),
                                          now, options_.tz);
      // A rep who booked without a cell in this plan has no team from the
      // plan: the directory's is theirs. Consumers (forecast) need the team on
      // every rep-level update; one they cannot place is left out, not sent.
      if (a.level() == v1::ATTAINMENT_LEVEL_REP && a.team().empty()) {
        SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> m, directory_.Member(s.id));
        if (!m.has_value() || m->team.empty()) {
          continue;
        }
        a.set_team(absl::StrCat("orgUnits/", m->team));
      }
      a.set_plan(next.name());
      b.Emit(MakeCloudEvent(kTargetsSource, plan_id, a.subject(),
                            AttainmentEvent(a, model->period, published.source, published.id), now,
                            call.trace_id),
             kTargetsTopic);
    }
  }
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(plan.version + 1));
  *resp->mutable_plan() = std::move(next);
  resp->set_superseded_plan(superseded);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- attainment

int64_t TargetsApi::Measured::Get(const std::string& field) const {
  auto it = counters.find(field);
  return it == counters.end() ? 0 : it->second;
}

absl::StatusOr<TargetsApi::Measured> TargetsApi::LoadMeasured(const std::string& plan_name,
                                                              const std::string& period_name) {
  std::string plan_id;
  if (!plan_name.empty()) {
    Violations v;
    plan_id = ParseResourceName(v, "plan", plan_name, "plans");
    SALESOPS_RETURN_IF_ERROR(v.Finish());
  } else {
    Violations v;
    const std::string period_id = ParseResourceName(v, "period", period_name, "fiscalPeriods");
    SALESOPS_RETURN_IF_ERROR(v.Finish());
    SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(PublishedPlansIndex(), "", 1000));
    SALESOPS_ASSIGN_OR_RETURN(auto plans, store_.GetMany<v1::TargetPlan>(kPlan, ids));
    for (const auto& p : plans) {
      if (StripName(p.doc.period()) == period_id) {
        plan_id = StripName(p.doc.name());
      }
    }
    if (plan_id.empty()) {
      return NotFound("NO_PUBLISHED_PLAN", absl::StrCat("no published plan for ", period_name));
    }
  }
  Measured m;
  SALESOPS_ASSIGN_OR_RETURN(m.model, models_.Get(plan_id));
  const v1::PlanState state = m.model->plan.state();
  if (state == v1::PLAN_STATE_PUBLISHED || state == v1::PLAN_STATE_SUPERSEDED) {
    // Kept live by the attainment projection since publication.
    m.live = true;
    SALESOPS_ASSIGN_OR_RETURN(auto all, store_.HGetAll(RollupKey(plan_id)));
    for (const auto& [field, value] : all) {
      int64_t x = 0;
      (void)absl::SimpleAtoi(value, &x);
      m.counters[field] = x;
    }
  } else {
    // A draft: what it would show, from every booking of its period.
    SALESOPS_ASSIGN_OR_RETURN(PeriodBookings facts, LoadPeriodBookings(store_, *m.model));
    m.counters = RollupFromBookings(m.model->rollup, facts.bookings);
  }
  return m;
}

namespace {

// Which roll-up subject a request names: "members/{id}" a rep; "orgUnits/{id}"
// the plan's own unit (the whole plan), a region or a team.
absl::StatusOr<RollupSubject> SubjectOf(org::OrgDirectory& dir, const PlanModel& model,
                                        const std::string& name, const std::string& field) {
  if (absl::StartsWith(name, "members/") && name.size() > 8) {
    return RollupSubject::Rep(name.substr(8));
  }
  if (absl::StartsWith(name, "orgUnits/") && name.size() > 9) {
    const std::string id = name.substr(9);
    if (name == model.plan.scope()) {
      return RollupSubject::Company();
    }
    SALESOPS_ASSIGN_OR_RETURN(int kind, dir.KindOf(id));
    if (kind == ov1::ORG_UNIT_KIND_REGION) {
      return RollupSubject::Region(id);
    }
    if (kind == ov1::ORG_UNIT_KIND_TEAM) {
      return RollupSubject::Team(id);
    }
    // Not (yet) in the directory: whatever the plan says it is.
    for (RollupLevel l : {RollupLevel::kTeam, RollupLevel::kRegion}) {
      for (const RollupSubject& s : model.rollup.Subjects(l)) {
        if (s.id == id) {
          return s;
        }
      }
    }
    return NotFound("NO_TARGET",
                    absl::StrCat(name, " is not a team or region of ", model.plan.name()));
  }
  return InvalidField(field, "a cell, members/{id} or orgUnits/{id}");
}

// May the caller read a roll-up figure? Reps their own; supervisors their
// team and its reps; managers their region, its teams and reps; directors and
// admins everything.
bool MayReadSubject(const Principal& who, const v1::Attainment& a) {
  switch (who.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kManager:
      return a.level() != v1::ATTAINMENT_LEVEL_COMPANY && !who.org_unit_id.empty() &&
             StripName(a.region()) == who.org_unit_id;
    case Role::kSupervisor:
      return (a.level() == v1::ATTAINMENT_LEVEL_REP || a.level() == v1::ATTAINMENT_LEVEL_TEAM) &&
             !who.org_unit_id.empty() && StripName(a.team()) == who.org_unit_id;
    case Role::kRep:
      return a.level() == v1::ATTAINMENT_LEVEL_REP && StripName(a.rep()) == who.member_id;
  }
  return false;
}

}  // namespace

absl::StatusOr<v1::Attainment> TargetsApi::SubjectAttainment(const Measured& m,
                                                             const RollupSubject& s,
                                                             RollupDimension* breakdown,
                                                             absl::Time now) {
  const PlanModel& model = *m.model;
  v1::Attainment a =
      RollupAttainment(model, s, m.Get(ActualField(s)), m.Get(UnplannedField(s)), now, options_.tz);
  // A rep or team the plan has no cell for: where they sit comes from the org.
  if (s.level == RollupLevel::kRep && a.team().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto member, directory_.Member(s.id));
    if (member) {
      a.set_team(absl::StrCat("orgUnits/", member->team));
      SALESOPS_ASSIGN_OR_RETURN(std::string region, directory_.RegionOf(member->team));
      if (!region.empty()) {
        a.set_region(absl::StrCat("orgUnits/", region));
      }
    }
  } else if (s.level == RollupLevel::kTeam && a.region().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::string region, directory_.RegionOf(s.id));
    if (!region.empty()) {
      a.set_region(absl::StrCat("orgUnits/", region));
    }
  }
  if (breakdown != nullptr) {
    static const char* kNames[] = {"product_line", "channel", "customer_type"};
    const char* dim_name = kNames[static_cast<int>(*breakdown)];
    // The subject's breakdown fields: its own hash when live, else the part
    // after "a|<l>|<id>|" of the counters computed from bookings.
    std::vector<std::pair<std::string, int64_t>> fields;
    if (m.live) {
      SALESOPS_ASSIGN_OR_RETURN(
          auto all, store_.HGetAll(RollupBreakdownKey(StripName(model.plan.name()), s)));
      for (auto& [field, value] : all) {
        int64_t x = 0;
        (void)absl::SimpleAtoi(value, &x);
        fields.emplace_back(std::move(field), x);
      }
    } else {
      const std::string prefix = absl::StrCat(ActualField(s), "|");
      for (const auto& [field, value] : m.counters) {
        if (absl::StartsWith(field, prefix)) {
          fields.emplace_back(field.substr(prefix.size()), value);
        }
      }
    }
    absl::flat_hash_map<std::string, int64_t> actual_by = BreakdownActuals(fields, *breakdown);
    absl::flat_hash_map<std::string, int64_t> target_by = model.rollup.TargetBy(s, *breakdown);
    std::vector<std::string> values;
    for (const auto& [v, t] : target_by) {
      values.push_back(v);
    }
    for (const auto& [v, x] : actual_by) {
      if (!target_by.contains(v)) {
        values.push_back(v);
      }
    }
    std::sort(values.begin(), values.end());
    const std::string cur = model.plan.total().currency_code();
    for (const std::string& v : values) {
      v1::AttainmentBreakdown* row = a.add_breakdown();
      row->set_dimension(dim_name);
      row->set_value(!v.empty() && *breakdown == RollupDimension::kProductLine
                         ? absl::StrCat("orgUnits/", v)
                         : v);
      const int64_t target = target_by.contains(v) ? target_by[v] : 0;
      const int64_t actual = actual_by.contains(v) ? actual_by[v] : 0;
      *row->mutable_target() = Money(target, cur);
      *row->mutable_actual() = Money(actual, cur);
      row->set_attainment_basis_points(RatioBasisPoints(actual, target));
    }
  }
  return a;
}

absl::Status TargetsApi::GetAttainment(const CallContext& call, const v1::GetAttainmentRequest& req,
                                       v1::GetAttainmentResponse* resp) {
  Violations v;
  if (req.plan().empty() && req.period().empty()) {
    v.Add("period", "give period or plan");
  }
  if (req.subject().empty()) {
    v.Add("subject", "a cell, members/{id} or orgUnits/{id}");
  }
  RollupDimension dim;
  const bool breakdown = !req.breakdown_by().empty();
  if (breakdown && !ParseRollupDimension(req.breakdown_by(), &dim)) {
    v.Add("breakdown_by", "\"product_line\", \"channel\" or \"customer_type\"");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Measured m, LoadMeasured(req.plan(), req.period()));
  const PlanModel& model = *m.model;
  const absl::Time now = clock_.Now();
  if (absl::StartsWith(req.subject(), "plans/")) {
    auto parsed = ParseCellName(req.subject());
    auto it = parsed ? model.cell_index.find(parsed->second) : model.cell_index.end();
    if (!parsed || parsed->first != StripName(model.plan.name()) || it == model.cell_index.end()) {
      return NotFound("NO_TARGET",
                      absl::StrCat(req.subject(), " is not a cell of ", model.plan.name()));
    }
    const v1::AllocationCell& cell = model.cells[it->second];
    if (!MayRead(call.principal, cell)) {
      return PermissionDenied("NOT_IN_SCOPE", absl::StrCat("you may not read ", req.subject()));
    }
    *resp->mutable_attainment() = AttainmentOf(model.plan, model.period, cell,
                                               m.Get(CellField(parsed->second)), now, options_.tz);
    resp->mutable_attainment()->set_level(v1::ATTAINMENT_LEVEL_CELL);
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(RollupSubject s,
                            SubjectOf(directory_, model, req.subject(), "subject"));
  SALESOPS_ASSIGN_OR_RETURN(v1::Attainment a,
                            SubjectAttainment(m, s, breakdown ? &dim : nullptr, now));
  if (!MayReadSubject(call.principal, a)) {
    return PermissionDenied("NOT_IN_SCOPE", absl::StrCat("you may not read ", req.subject()));
  }
  if (a.target().amount_minor() == 0 && a.actual().amount_minor() == 0 &&
      model.rollup.TopmostCells(s).empty()) {
    return NotFound("NO_TARGET", absl::StrCat(req.subject(), " has no target and no bookings in ",
                                              model.plan.name()));
  }
  *resp->mutable_attainment() = std::move(a);
  return absl::OkStatus();
}

absl::Status TargetsApi::ListAttainment(const CallContext& call,
                                        const v1::ListAttainmentRequest& req,
                                        v1::ListAttainmentResponse* resp) {
  Violations v;
  const int page_size = CheckPageSize(v, "page_size", req.page_size(), 100, kMaxPageSize);
  if (req.plan().empty() && req.period().empty()) {
    v.Add("period", "give period or plan");
  }
  if (!req.order_by().empty() && req.order_by() != "pace" && req.order_by() != "attainment") {
    v.Add("order_by", "\"pace\" or \"attainment\" (ascending: most behind first)");
  }
  if (req.level() == v1::ATTAINMENT_LEVEL_UNSPECIFIED ||
      !v1::AttainmentLevel_IsValid(req.level())) {
    v.Add("level", "CELL, REP, TEAM, REGION or COMPANY");
  }
  RollupDimension dim;
  const bool breakdown = !req.breakdown_by().empty();
  if (breakdown && !ParseRollupDimension(req.breakdown_by(), &dim)) {
    v.Add("breakdown_by", "\"product_line\", \"channel\" or \"customer_type\"");
  }
  std::string unit;
  if (!req.org_unit().empty()) {
    unit = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  }
  const std::string filter = absl::StrCat(req.plan(), "|", req.period(), "|", req.order_by(), "|",
                                          req.level(), "|", unit, "|", req.breakdown_by());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Measured m, LoadMeasured(req.plan(), req.period()));
  const PlanModel& model = *m.model;
  const absl::Time now = clock_.Now();
  std::vector<v1::Attainment> out;
  if (req.level() == v1::ATTAINMENT_LEVEL_CELL) {
    for (const auto& c : model.cells) {
      if (!MayRead(call.principal, c)) {
        continue;
      }
      if (!unit.empty() && StripName(c.org_unit()) != unit &&
          StripName(c.dimensions().region()) != unit) {
        continue;
      }
      const auto& d = req.dimensions();
      if ((!d.product_line().empty() && c.dimensions().product_line() != d.product_line()) ||
          (!d.region().empty() && c.dimensions().region() != d.region()) ||
          (!d.channel().empty() && c.dimensions().channel() != d.channel()) ||
          (!d.customer_type().empty() && c.dimensions().customer_type() != d.customer_type())) {
        continue;
      }
      v1::Attainment a = AttainmentOf(model.plan, model.period, c,
                                      m.Get(CellField(StripName(c.name()))), now, options_.tz);
      a.set_level(v1::ATTAINMENT_LEVEL_CELL);
      out.push_back(std::move(a));
    }
  } else {
    const RollupLevel level = req.level() == v1::ATTAINMENT_LEVEL_REP      ? RollupLevel::kRep
                              : req.level() == v1::ATTAINMENT_LEVEL_TEAM   ? RollupLevel::kTeam
                              : req.level() == v1::ATTAINMENT_LEVEL_REGION ? RollupLevel::kRegion
                                                                           : RollupLevel::kCompany;
    // One row per subject: those with a target, and those with bookings only
    // (all unplanned), so nothing booked is left out.
    std::vector<RollupSubject> subjects = model.rollup.Subjects(level);
    const std::string prefix = ActualField({level, ""});
    for (const auto& [field, value] : m.counters) {
      if (!absl::StartsWith(field, prefix) || field.find('|', prefix.size()) != std::string::npos) {
        continue;
      }
      RollupSubject s{level, field.substr(prefix.size())};
      if (std::find(subjects.begin(), subjects.end(), s) == subjects.end()) {
        subjects.push_back(s);
      }
    }
    for (const RollupSubject& s : subjects) {
      if (call.Expired()) {
        return DeadlineExceeded("ListAttainment");
      }
      SALESOPS_ASSIGN_OR_RETURN(v1::Attainment a,
                                SubjectAttainment(m, s, breakdown ? &dim : nullptr, now));
      if (!MayReadSubject(call.principal, a)) {
        continue;
      }
      if (!unit.empty() && StripName(a.subject()) != unit && StripName(a.team()) != unit &&
          StripName(a.region()) != unit) {
        continue;
      }
      out.push_back(std::move(a));
    }
  }
  auto by_subject = [](const v1::Attainment& a, const v1::Attainment& b) {
    return a.subject() < b.subject();
  };
  std::stable_sort(out.begin(), out.end(), by_subject);
  if (req.order_by() == "pace") {
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.pace_basis_points() < b.pace_basis_points();
    });
  } else if (req.order_by() == "attainment") {
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.attainment_basis_points() < b.attainment_basis_points();
    });
  }
  size_t start = 0;
  if (cursor) {
    (void)absl::SimpleAtoi(cursor->after, &start);
  }
  for (size_t i = start; i < out.size() && resp->attainments_size() < page_size; ++i) {
    *resp->add_attainments() = std::move(out[i]);
  }
  if (start + static_cast<size_t>(page_size) < out.size()) {
    resp->set_next_page_token(EncodePageToken({absl::StrCat(start + page_size), filter}));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- re-allocation

absl::Status TargetsApi::SuggestReallocation(const CallContext& call,
                                             const v1::SuggestReallocationRequest& req,
                                             v1::SuggestReallocationResponse* resp) {
  Violations v;
  std::string scope_key = "root";
  if (!req.scope().empty()) {
    auto parsed = ParseCellName(req.scope());
    if (!parsed) {
      v.Add("scope", "a cell: plans/{plan}/cells/{cell}");
    } else {
      scope_key = parsed->second;
    }
  }
  if (req.behind_pace_basis_points() < 0 || req.behind_pace_basis_points() > 10000) {
    v.Add("behind_pace_basis_points", "0..10000 (e.g. 8000 = below 80 % of pace)");
  }
  if (req.max_moves() < 0 || req.max_moves() > 1000) {
    v.Add("max_moves", "0..1000");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Measured m, LoadMeasured(req.plan(), ""));
  const PlanModel& model = *m.model;
  const v1::AllocationCell* scope = nullptr;
  for (const auto& c : model.cells) {
    if (StripName(c.name()) == scope_key) {
      scope = &c;
    }
  }
  if (scope == nullptr) {
    return InvalidArgument({{"scope", "no such cell"}}, "CELL_NOT_FOUND");
  }
  if (!MayAllocate(call.principal, *scope)) {
    return PermissionDenied("NOT_IN_SCOPE", "you may not re-allocate this part of the plan");
  }
  // The leaf cells under the scope are the candidates.
  absl::flat_hash_set<std::string> parents;
  for (const auto& c : model.cells) {
    if (!c.parent_cell().empty()) {
      parents.insert(c.parent_cell());
    }
  }
  const absl::Time now = clock_.Now();
  std::vector<PaceCell> pace;
  for (const auto& c : model.cells) {
    if (parents.contains(c.name())) {
      continue;  // not a leaf
    }
    const std::string key = StripName(c.name());
    if (scope_key != "root" && key.rfind(scope_key + ".", 0) != 0 && key != scope_key) {
      continue;
    }
    const int64_t actual = m.Get(CellField(key));
    v1::Attainment a = AttainmentOf(model.plan, model.period, c, actual, now, options_.tz);
    pace.push_back(
        {key, c.amount().amount_minor(), actual, a.expected_to_date().amount_minor(), c.locked()});
  }
  std::vector<Move> moves = SuggestMoves(
      pace, req.behind_pace_basis_points() == 0 ? 8000 : req.behind_pace_basis_points(),
      req.max_moves() == 0 ? 20 : req.max_moves());
  v1::ReallocationSuggestion* s = resp->mutable_suggestion();
  s->set_plan(model.plan.name());
  s->set_scope(scope->name());
  for (const Move& mv : moves) {
    v1::ReallocationMove* out = s->add_moves();
    out->set_from_cell(CellName(StripName(model.plan.name()), mv.from));
    out->set_to_cell(CellName(StripName(model.plan.name()), mv.to));
    *out->mutable_amount() = Money(mv.amount, model.plan.total().currency_code());
    out->set_reason("behind pace → ahead of pace");
  }
  s->set_rationale(absl::StrCat(
      moves.size(), " moves from cells below ",
      (req.behind_pace_basis_points() == 0 ? 8000 : req.behind_pace_basis_points()) / 100,
      " % of pace to cells at or above pace; every total stays exact"));
  *s->mutable_compute_time() = ToTs(now);
  return absl::OkStatus();
}

absl::Status TargetsApi::ApplyReallocation(const CallContext& call,
                                           const v1::ApplyReallocationRequest& req,
                                           v1::ApplyReallocationResponse* resp) {
  Violations v;
  const std::string src_id = ParseResourceName(v, "plan", req.plan(), "plans");
  if (req.moves_size() == 0) {
    v.Add("moves", "at least one move");
  }
  CheckText(v, "reason", req.reason(), 1, 1000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (req.moves_size() > kMaxMoves) {
    return InvalidField("moves", absl::StrCat("at most ", kMaxMoves, " moves per request"));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto src, LoadPlan(store_, src_id));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), src.version, req.plan()));
  // Re-allocation moves target of the plan in force; drafts are edited with
  // AllocatePlan, and superseded versions are history.
  if (src.doc.state() != v1::PLAN_STATE_PUBLISHED) {
    return FailedPrecondition("PLAN_NOT_PUBLISHED",
                              "re-allocation applies to the published version of a plan");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cells, LoadCells(store_, src_id));
  absl::flat_hash_map<std::string, v1::AllocationCell> by_key;
  for (auto& c : cells) {
    by_key[StripName(c.doc.name())] = c.doc;
  }
  // A move is the caller's to make when the part of the plan it changes — the
  // cells from either end up to their common ancestor — lies in a subtree the
  // caller may allocate: both ends in their team (supervisor) or region (manager).
  auto in_callers_subtree = [&](std::string k) {
    const Role r = call.principal.role;
    if (r == Role::kAdmin || r == Role::kDirector) {
      return true;
    }
    for (int depth = 0; !k.empty() && depth < 64; ++depth) {
      const v1::AllocationCell& c = by_key[k];
      if (MayAllocate(call.principal, c)) {
        return true;
      }
      k = c.parent_cell().empty() ? "" : StripName(c.parent_cell());
    }
    return false;
  };
  // Apply each move along both ancestor paths up to (not including) the
  // common ancestor, so every level keeps summing exactly.
  Violations mv;
  for (int i = 0; i < req.moves_size(); ++i) {
    const auto& m = req.moves(i);
    const std::string f = absl::StrCat("moves[", i, "]");
    auto from = ParseCellName(m.from_cell()), to = ParseCellName(m.to_cell());
    if (!from || from->first != src_id || !by_key.contains(from->second)) {
      mv.Add(absl::StrCat(f, ".from_cell"), "not a cell of this plan");
      continue;
    }
    if (!to || to->first != src_id || !by_key.contains(to->second)) {
      mv.Add(absl::StrCat(f, ".to_cell"), "not a cell of this plan");
      continue;
    }
    const int64_t amount = m.amount().amount_minor();
    if (amount <= 0) {
      mv.Add(absl::StrCat(f, ".amount.amount_minor"), "must be greater than 0");
      continue;
    }
    if (by_key[from->second].locked() || by_key[to->second].locked()) {
      mv.Add(f, "locked cells do not move");
      continue;
    }
    std::vector<std::string> up_from, up_to;
    for (std::string k = from->second; !k.empty();
         k = by_key[k].parent_cell().empty() ? "" : StripName(by_key[k].parent_cell())) {
      up_from.push_back(k);
    }
    for (std::string k = to->second; !k.empty();
         k = by_key[k].parent_cell().empty() ? "" : StripName(by_key[k].parent_cell())) {
      up_to.push_back(k);
    }
    absl::flat_hash_set<std::string> common(up_from.begin(), up_from.end());
    std::string lca;
    for (const auto& k : up_to) {
      if (common.contains(k)) {
        lca = k;
        break;
      }
    }
    if (lca.empty() || !in_callers_subtree(lca)) {
      return PermissionDenied(
          "NOT_IN_SCOPE",
          absl::StrCat(f,
                       ": moves target between cells outside the part of the plan you "
                       "allocate (both ends must be in your team or region)"));
    }
    for (const auto& k : up_from) {
      if (k == lca) {
        break;
      }
      auto& c = by_key[k];
      if (c.amount().amount_minor() < amount) {
        mv.Add(absl::StrCat(f, ".amount"), absl::StrCat(k, " would go negative"));
        break;
      }
      c.mutable_amount()->set_amount_minor(c.amount().amount_minor() - amount);
    }
    for (const auto& k : up_to) {
      if (k == lca) {
        break;
      }
      auto& c = by_key[k];
      c.mutable_amount()->set_amount_minor(c.amount().amount_minor() + amount);
    }
  }
  SALESOPS_RETURN_IF_ERROR(mv.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto period, LoadPeriod(store_, StripName(src.doc.period()), "plan"));
  // The new version: every cell copied, amounts as moved, phasing recomputed.
  const std::string id = NewVersionId(src.doc);
  const absl::Time now = clock_.Now();
  WriteBatch b;
  SALESOPS_ASSIGN_OR_RETURN(v1::TargetPlan p,
                            StageNewVersion(src.doc, id, req.reason(), now,
                                            {by_key.begin(), by_key.end()}, &period.doc, b));
  v1::ReallocationApplied e;
  e.set_source_plan(src.doc.name());
  e.set_plan(p.name());
  for (const auto& m : req.moves()) {
    *e.add_moves() = m;
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, p.series(), p.name(), e, now);
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kResourceExists) {
    return AlreadyExists("PLAN_EXISTS", absl::StrCat(p.name(), " already exists"), p.name());
  }
  SALESOPS_RETURN_IF_ERROR(s);
  // No actuals are copied: a draft shows what every booking of its period
  // gives it, and publishing computes its counters from them (in the commit).
  p.set_etag("1");
  if (req.publish()) {
    v1::PublishPlanRequest pub;
    pub.set_name(p.name());
    pub.set_reason(req.reason());
    v1::PublishPlanResponse pubr;
    SALESOPS_RETURN_IF_ERROR(PublishPlan(call, pub, &pubr));
    *resp->mutable_plan() = pubr.plan();
    return absl::OkStatus();
  }
  *resp->mutable_plan() = std::move(p);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- org changes

absl::StatusOr<std::vector<std::string>> TargetsApi::ApplyMemberMove(const std::string& member_id,
                                                                     const std::string& from_team,
                                                                     const std::string& to_team,
                                                                     const std::string& change_id,
                                                                     const std::string& reason) {
  CallContext call;
  call.principal = {"system:org-changes", Role::kAdmin, ""};
  call.method = "ApplyMemberMove";
  std::vector<std::string> created;
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, options_.tz);
  SALESOPS_ASSIGN_OR_RETURN(auto ids, store_.Range(PublishedPlansIndex(), "", 1000));
  SALESOPS_ASSIGN_OR_RETURN(auto plans, store_.GetMany<v1::TargetPlan>(kPlan, ids));
  for (auto& src : plans) {
    const std::string src_id = StripName(src.doc.name());
    SALESOPS_ASSIGN_OR_RETURN(auto period, LoadPeriod(store_, StripName(src.doc.period()), "plan"));
    if (today > ToDay(period.doc.end_date())) {
      continue;  // closed periods keep their history
    }
    SALESOPS_ASSIGN_OR_RETURN(auto cells, LoadCells(store_, src_id));
    std::map<std::string, v1::AllocationCell> by_key;  // ordered: deterministic
    std::string rep_key, to_team_key;
    for (auto& c : cells) {
      const std::string key = StripName(c.doc.name());
      if (c.doc.member() == absl::StrCat("members/", member_id) &&
          StripName(c.doc.org_unit()) == from_team) {
        rep_key = key;
      }
      if (c.doc.axis() == v1::ALLOCATION_AXIS_TEAM && c.doc.member().empty() &&
          StripName(c.doc.org_unit()) == to_team) {
        to_team_key = key;
      }
      by_key[key] = std::move(c.doc);
    }
    if (rep_key.empty()) {
      continue;
    }
    const std::string new_id = absl::StrCat(src.doc.series(), "-m", change_id.substr(0, 8));
    SALESOPS_ASSIGN_OR_RETURN(auto existing, store_.Get<v1::TargetPlan>(kPlan, new_id));
    if (!existing) {
      SALESOPS_ASSIGN_OR_RETURN(int64_t actual,
                                store_.HGetInt(RollupKey(src_id), CellField(rep_key)));
      v1::AllocationCell& rep = by_key[rep_key];
      const int64_t target = rep.amount().amount_minor();
      const int64_t open = std::max<int64_t>(0, target - std::max<int64_t>(0, actual));
      if (open == 0) {
        continue;
      }
      auto path_of = [&](std::string k) {
        std::vector<std::string> path;
        while (!k.empty()) {
          path.push_back(k);
          const auto& c = by_key[k];
          k = c.parent_cell().empty() ? "" : StripName(c.parent_cell());
        }
        return path;
      };
      // Take the open target off the rep (they keep what they achieved here).
      rep.mutable_amount()->set_amount_minor(target - open);
      std::vector<std::pair<std::string, int64_t>> gains;  // cell key, amount
      if (!to_team_key.empty()) {
        // It follows them to the new team, as a new rep cell there.
        const std::string new_key = absl::StrCat(to_team_key, ".rp-", member_id);
        v1::AllocationCell moved = rep;
        moved.set_name(CellName(src_id, new_key));
        moved.set_parent_cell(CellName(src_id, to_team_key));
        moved.set_org_unit(by_key[to_team_key].org_unit());
        moved.mutable_dimensions()->CopyFrom(by_key[to_team_key].dimensions());
        moved.mutable_amount()->set_amount_minor(0);
        moved.set_locked(false);
        by_key[new_key] = moved;
        gains.push_back({new_key, open});
      } else {
        // The old team's remaining reps share it in proportion to their targets.
        const std::string team_key = StripName(rep.parent_cell());
        std::vector<Share> shares;
        for (const auto& [k, c] : by_key) {
          if (k != rep_key && StripName(c.parent_cell()) == team_key && !c.member().empty()) {
            shares.push_back({k, c.amount().amount_minor(), std::nullopt});
          }
        }
        if (shares.empty()) {
          rep.mutable_amount()->set_amount_minor(target);  // nobody left: it stays
          continue;
        }
        bool any = false;
        for (const auto& sh : shares) {
          any |= sh.weight > 0;
        }
        if (!any) {
          for (auto& sh : shares) {
            sh.weight = 1;
          }
        }
        SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> parts, Allocate(open, shares, "reps"));
        for (size_t i = 0; i < shares.size(); ++i) {
          gains.push_back({shares[i].key, parts[i]});
        }
      }
      // Apply along the paths so every level keeps summing exactly.
      const std::vector<std::string> from_path = path_of(rep_key);
      for (size_t i = 1; i < from_path.size(); ++i) {  // ancestors of the rep cell
        auto& c = by_key[from_path[i]];
        c.mutable_amount()->set_amount_minor(c.amount().amount_minor() - open);
      }
      for (const auto& [k, amount] : gains) {
        for (const std::string& a : path_of(k)) {
          auto& c = by_key[a];
          c.mutable_amount()->set_amount_minor(c.amount().amount_minor() + amount);
        }
      }
      WriteBatch b;
      SALESOPS_ASSIGN_OR_RETURN(v1::TargetPlan p,
                                StageNewVersion(src.doc, new_id, reason, now,
                                                {by_key.begin(), by_key.end()}, &period.doc, b));
      v1::AllocationChanged e;
      *e.mutable_plan() = p;
      e.set_parent_cell(CellName(new_id, StripName(by_key[rep_key].parent_cell())));
      e.set_axis(v1::ALLOCATION_AXIS_REP);
      e.set_reason(reason);
      *e.mutable_actor() = ActorOf(call);
      Emit(b, call, p.series(), p.name(), e, now);
      absl::Status s = store_.Commit(b);
      if (!s.ok() && ErrorReason(s) != reason::kResourceExists) {
        return s;
      }
      // The new version's actuals are computed from the bookings when it is published.
      SALESOPS_ASSIGN_OR_RETURN(existing, store_.Get<v1::TargetPlan>(kPlan, new_id));
    }
    if (existing && existing->doc.state() == v1::PLAN_STATE_DRAFT) {
      v1::PublishPlanRequest pub;
      pub.set_name(PlanName(new_id));
      pub.set_reason(reason);
      v1::PublishPlanResponse pubr;
      absl::Status s = PublishPlan(call, pub, &pubr);
      if (!s.ok() && ErrorReason(s) != reason::kPlanNotDraft) {
        return s;
      }
    }
    created.push_back(PlanName(new_id));
  }
  return created;
}

}  // namespace salesops::targets
