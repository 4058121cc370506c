#include "services/targets/events/attainment_projection.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "services/targets/api/targets_api.h"

namespace salesops::targets {
namespace {

namespace cv1 = salesops::customers::v1;

std::string OppKey(const std::string& opp) { return TgtKey(absl::StrCat("opp:", StripName(opp))); }
std::string PipeKey(const std::string& cur) { return TgtKey(absl::StrCat("pipe:", cur)); }
std::string BookKey(const std::string& cur, absl::CivilDay d) {
  return TgtKey(absl::StrFormat("book:%s:%04d-%02d", cur, d.year(), d.month()));
}

template <typename E>
DealFacts FactsOf(const E& e) {
  DealFacts d;
  d.product_line = StripName(e.product_line());
  d.region = StripName(e.region());
  d.channel = e.channel();
  d.customer_type = e.customer_type();
  d.team = StripName(e.team());
  d.rep = StripName(e.owner());
  d.amount_minor = e.amount().amount_minor();
  d.currency = e.amount().currency_code();
  return d;
}

std::vector<std::pair<std::string, std::string>> Fields(const DealFacts& d) {
  return {{"pl", d.product_line},  {"rg", d.region}, {"ch", d.channel},
          {"ct", d.customer_type}, {"tm", d.team},   {"rp", d.rep}};
}

void AddPerDimension(WriteBatch& b, const std::string& key, const DealFacts& d, int64_t amount) {
  for (const auto& [axis, value] : Fields(d)) {
    if (!value.empty()) b.HIncrBy(key, absl::StrCat(axis, "=", value), amount);
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const std::vector<v1::AllocationCell>>>
AttainmentProjection::CellsOf(const std::string& plan_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = cells_.find(plan_id);
    if (it != cells_.end()) return it->second;
  }
  SALESOPS_ASSIGN_OR_RETURN(auto loaded, LoadCells(store_, plan_id));
  auto cells = std::make_shared<std::vector<v1::AllocationCell>>();
  for (auto& c : loaded) cells->push_back(std::move(c.doc));
  absl::MutexLock lock(&mu_);
  cells_[plan_id] = cells;
  return std::shared_ptr<const std::vector<v1::AllocationCell>>(cells);
}

absl::Status AttainmentProjection::AddActual(const CloudEvent& cause, const DealFacts& deal,
                                             absl::CivilDay day, v1::AttainmentBasis basis,
                                             WriteBatch& b) {
  SALESOPS_ASSIGN_OR_RETURN(auto ids,
                            store_.Range(TargetsStore::Index("plan:published"), "", 1000));
  std::vector<std::shared_ptr<const PlanInfo>> infos;
  std::vector<std::string> missing;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& id : ids) {
      auto it = plans_.find(id);
      if (it != plans_.end()) {
        infos.push_back(it->second);
      } else {
        missing.push_back(id);
      }
    }
  }
  if (!missing.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto loaded, store_.GetMany<v1::TargetPlan>(kPlan, missing));
    for (auto& p : loaded) {
      SALESOPS_ASSIGN_OR_RETURN(auto period,
                                store_.Get<v1::FiscalPeriod>(kPeriod, StripName(p.doc.period())));
      if (!period) continue;
      auto info = std::make_shared<PlanInfo>(PlanInfo{std::move(p.doc), std::move(period->doc)});
      absl::MutexLock lock(&mu_);
      plans_[StripName(info->plan.name())] = info;
      infos.push_back(info);
    }
  }
  const absl::Time now = clock_.Now();
  for (const auto& info : infos) {
    const v1::TargetPlan& plan_doc = info->plan;
    const v1::FiscalPeriod& period_doc = info->period;
    if (plan_doc.attainment_basis() != basis) continue;
    if (plan_doc.total().currency_code() != deal.currency) continue;
    const auto& s = period_doc.start_date();
    const auto& e = period_doc.end_date();
    if (day < absl::CivilDay(s.year(), s.month(), s.day()) ||
        day > absl::CivilDay(e.year(), e.month(), e.day())) {
      continue;
    }
    const std::string plan_id = StripName(plan_doc.name());
    SALESOPS_ASSIGN_OR_RETURN(auto cells, CellsOf(plan_id));
    std::vector<const v1::AllocationCell*> matched;
    std::vector<std::string> argv = {"HMGET", ActualKey(plan_id)};
    for (const auto& c : *cells) {
      if (CellMatches(c, deal)) {
        matched.push_back(&c);
        argv.push_back(StripName(c.name()));
      }
    }
    if (matched.empty()) continue;
    SALESOPS_ASSIGN_OR_RETURN(RedisValue current, store_.redis().Command(argv));
    for (size_t i = 0; i < matched.size(); ++i) {
      const v1::AllocationCell& c = *matched[i];
      b.HIncrBy(ActualKey(plan_id), StripName(c.name()), deal.amount_minor);
      int64_t before = 0;
      if (i < current.elements.size() && !current.elements[i].is_nil()) {
        (void)absl::SimpleAtoi(current.elements[i].str, &before);
      }
      v1::Attainment a =
          AttainmentOf(plan_doc, period_doc, c, before + deal.amount_minor, now, tz_);
      // Events for reps, teams, regions and the plan root: what the warning
      // engine and dashboards follow. Dimension-only cells stay queryable.
      if (a.level() == v1::ATTAINMENT_LEVEL_CELL) continue;
      v1::AttainmentUpdated u;
      u.set_plan(a.plan());
      u.set_period(a.period());
      u.set_level(a.level());
      u.set_subject(a.subject());
      u.set_rep(a.rep());
      u.set_team(a.team());
      u.set_region(a.region());
      *u.mutable_dimensions() = a.dimensions();
      u.set_basis(a.basis());
      *u.mutable_target() = a.target();
      *u.mutable_actual() = a.actual();
      *u.mutable_expected_to_date() = a.expected_to_date();
      u.set_attainment_basis_points(a.attainment_basis_points());
      u.set_pace_basis_points(a.pace_basis_points());
      u.set_cause_event_source(cause.source);
      u.set_cause_event_id(cause.id);
      *u.mutable_as_of() = a.as_of();
      *u.mutable_period_start_date() = period_doc.start_date();
      *u.mutable_period_end_date() = period_doc.end_date();
      b.Emit(MakeCloudEvent(kTargetsSource, plan_id, c.name(), u, now, cause.trace_id),
             kTargetsTopic);
    }
  }
  return absl::OkStatus();
}

absl::Status AttainmentProjection::Handle(const CloudEvent& event) {
  const std::string& t = event.type;
  WriteBatch b;
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    DealFacts d = FactsOf(e);
    if (d.amount_minor < 0) return InvalidField("amount", "negative");
    std::vector<std::pair<std::string, std::string>> rec = {
        {"cur", d.currency}, {"amount", absl::StrCat(d.amount_minor)}};
    for (const auto& f : Fields(d)) rec.push_back(f);
    b.HSet(OppKey(e.opportunity()), rec);
    AddPerDimension(b, PipeKey(d.currency), d, d.amount_minor);
  } else if (t == "salesops.customers.v1.OpportunityStageChanged" ||
             t == "salesops.customers.v1.OpportunityWon" ||
             t == "salesops.customers.v1.OpportunityLost") {
    std::string opp, cur;
    int64_t amount = 0;
    bool closed = false;
    DealFacts won;
    absl::CivilDay won_day;
    if (t == "salesops.customers.v1.OpportunityStageChanged") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(event));
      opp = e.opportunity();
      amount = e.amount().amount_minor();
      cur = e.amount().currency_code();
      closed = e.to_stage() == salesops::customers::v1::OPPORTUNITY_STAGE_WON ||
               e.to_stage() == salesops::customers::v1::OPPORTUNITY_STAGE_LOST;
      if (closed) return absl::OkStatus();  // the Won/Lost event that follows closes it
    } else if (t == "salesops.customers.v1.OpportunityWon") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
      opp = e.opportunity();
      won = FactsOf(e);
      if (won.amount_minor < 0) return InvalidField("amount", "negative");
      if (!e.has_won_date()) return InvalidField("won_date", "required");
      won_day = absl::CivilDay(e.won_date().year(), e.won_date().month(), e.won_date().day());
      closed = true;
      AddPerDimension(b, BookKey(won.currency, won_day), won, won.amount_minor);
      SALESOPS_RETURN_IF_ERROR(AddActual(event, won, won_day, v1::ATTAINMENT_BASIS_BOOKING, b));
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
      opp = e.opportunity();
      closed = true;
    }
    // The open pipeline: take the deal's recorded amount out (closed) or
    // adjust it to the new amount (still open).
    SALESOPS_ASSIGN_OR_RETURN(RedisValue rec, store_.redis().Command({"HGETALL", OppKey(opp)}));
    if (!rec.elements.empty()) {
      DealFacts d;
      int64_t recorded = 0;
      for (size_t i = 0; i + 1 < rec.elements.size(); i += 2) {
        const std::string& f = rec.elements[i].str;
        const std::string& v = rec.elements[i + 1].str;
        if (f == "cur")
          d.currency = v;
        else if (f == "amount")
          (void)absl::SimpleAtoi(v, &recorded);
        else if (f == "pl")
          d.product_line = v;
        else if (f == "rg")
          d.region = v;
        else if (f == "ch")
          d.channel = v;
        else if (f == "ct")
          d.customer_type = v;
        else if (f == "tm")
          d.team = v;
        else if (f == "rp")
          d.rep = v;
      }
      if (closed) {
        AddPerDimension(b, PipeKey(d.currency), d, -recorded);
        b.Del(OppKey(opp));
      } else if (cur == d.currency && amount != recorded) {
        AddPerDimension(b, PipeKey(d.currency), d, amount - recorded);
        b.HSet(OppKey(opp), {{"amount", absl::StrCat(amount)}});
      }
    }
  } else if (t == "salesops.customers.v1.PaymentReceived" ||
             t == "salesops.customers.v1.PaymentRefunded") {
    DealFacts d;
    absl::CivilDay day;
    if (t == "salesops.customers.v1.PaymentReceived") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentReceived>(event));
      d = FactsOf(e);
      day = absl::CivilDay(e.received_date().year(), e.received_date().month(),
                           e.received_date().day());
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentRefunded>(event));
      d = FactsOf(e);
      d.amount_minor = -d.amount_minor;
      day = absl::CivilDay(e.refund_date().year(), e.refund_date().month(), e.refund_date().day());
    }
    SALESOPS_RETURN_IF_ERROR(AddActual(event, d, day, v1::ATTAINMENT_BASIS_COLLECTION, b));
  } else {
    return absl::OkStatus();
  }
  if (b.empty()) return absl::OkStatus();
  return projections_.ApplyOnce(event, std::move(b)).status();
}

}  // namespace salesops::targets
