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

std::string OppKey(const std::string& opp) { return OpportunityKey(StripName(opp)); }
std::string PipeKey(const std::string& cur) { return PipelineKey(cur); }
std::string BookKey(const std::string& cur, absl::CivilDay d) {
  return BookingsKey(cur, absl::CivilMonth(d));
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
    if (!value.empty()) {
      b.HIncrBy(key, absl::StrCat(axis, "=", value), amount);
    }
  }
}

}  // namespace

v1::AttainmentUpdated AttainmentEvent(const v1::Attainment& a, const v1::FiscalPeriod& period,
                                      const std::string& cause_source,
                                      const std::string& cause_id) {
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
  *u.mutable_unplanned() = a.unplanned();
  u.set_attainment_basis_points(a.attainment_basis_points());
  u.set_pace_basis_points(a.pace_basis_points());
  u.set_cause_event_source(cause_source);
  u.set_cause_event_id(cause_id);
  *u.mutable_as_of() = a.as_of();
  *u.mutable_period_start_date() = period.start_date();
  *u.mutable_period_end_date() = period.end_date();
  return u;
}

absl::Status AttainmentProjection::AddBooking(const CloudEvent& cause, const DealFacts& deal,
                                              absl::CivilDay day, v1::AttainmentBasis basis,
                                              WriteBatch& b) {
  const RollupBooking booking = BookingOf(deal);
  b.HIncrBy(FactsKey(basis, deal.currency, absl::CivilMonth(day)), BookingTuple(booking),
            deal.amount_minor);
  b.HIncrBy(RevsKey(), FactsRevField(basis, deal.currency), 1);
  // Which versions are published is read every time, under the revision a
  // publication bumps: if one is published meanwhile, this commit fails and
  // the event is applied again against the new list.
  SALESOPS_ASSIGN_OR_RETURN(PublishedPlans head, store_.ReadPublishedPlans(1000));
  b.ExpectHashField(RevsKey(), kPlansRevField, head.revision, "plans_rev");
  const absl::Time now = clock_.Now();
  for (const std::string& plan_id : head.plan_ids) {
    SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const PlanModel> model, models_.Get(plan_id));
    if (model->plan.attainment_basis() != basis) {
      continue;
    }
    if (model->plan.total().currency_code() != deal.currency) {
      continue;
    }
    const auto& s = model->period.start_date();
    const auto& e = model->period.end_date();
    if (day < absl::CivilDay(s.year(), s.month(), s.day()) ||
        day > absl::CivilDay(e.year(), e.month(), e.day())) {
      continue;
    }
    const std::vector<RollupSubject> subjects = model->rollup.Attribute(booking);
    const bool planned = model->rollup.IsPlanned(booking);
    // The subjects' figures before this booking, for the events' totals.
    std::vector<std::string> fields;
    for (const RollupSubject& subject : subjects) {
      fields.push_back(ActualField(subject));
      fields.push_back(UnplannedField(subject));
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> before,
                              store_.HMGet(RollupKey(plan_id), fields));
    for (const auto& [field, delta] : model->rollup.Increments(booking)) {
      auto [key, f] = CounterLocation(plan_id, field);
      b.HIncrBy(std::move(key), std::move(f), delta);
    }
    for (size_t i = 0; i < subjects.size(); ++i) {
      int64_t actual = 0, unplanned = 0;
      if (2 * i + 1 < before.size()) {
        (void)absl::SimpleAtoi(before[2 * i].value_or(""), &actual);
        (void)absl::SimpleAtoi(before[2 * i + 1].value_or(""), &unplanned);
      }
      actual += deal.amount_minor;
      if (!planned) {
        unplanned += deal.amount_minor;
      }
      v1::Attainment a = RollupAttainment(*model, subjects[i], actual, unplanned, now, tz_);
      // A rep without a cell in this plan (new, or booking outside it) has no
      // team from the plan: the deal's team is where the booking happened.
      // Consumers (forecast) need it on every rep-level update.
      if (a.level() == v1::ATTAINMENT_LEVEL_REP && a.team().empty() && !deal.team.empty()) {
        a.set_team(absl::StrCat("orgUnits/", deal.team));
      }
      b.Emit(MakeCloudEvent(kTargetsSource, plan_id, a.subject(),
                            AttainmentEvent(a, model->period, cause.source, cause.id), now,
                            cause.trace_id),
             kTargetsTopic);
    }
    if (!planned) {
      v1::BookingUnplanned u;
      u.set_plan(model->plan.name());
      u.set_period(model->plan.period());
      if (!deal.rep.empty()) {
        u.set_rep(absl::StrCat("members/", deal.rep));
      }
      if (!deal.team.empty()) {
        u.set_team(absl::StrCat("orgUnits/", deal.team));
      }
      const std::string region = model->rollup.RegionOfTeam(deal.team);
      if (!region.empty()) {
        u.set_region(absl::StrCat("orgUnits/", region));
      }
      auto* d = u.mutable_dimensions();
      if (!deal.product_line.empty()) {
        d->set_product_line(absl::StrCat("orgUnits/", deal.product_line));
      }
      if (!deal.region.empty()) {
        d->set_region(absl::StrCat("orgUnits/", deal.region));
      }
      d->set_channel(deal.channel);
      d->set_customer_type(deal.customer_type);
      u.set_basis(basis);
      u.mutable_amount()->set_amount_minor(deal.amount_minor);
      u.mutable_amount()->set_currency_code(deal.currency);
      u.set_cause_event_source(cause.source);
      u.set_cause_event_id(cause.id);
      b.Emit(MakeCloudEvent(kTargetsSource, plan_id, model->plan.name(), u, now, cause.trace_id),
             kTargetsTopic);
    }
  }
  return absl::OkStatus();
}

absl::Status AttainmentProjection::Handle(const CloudEvent& event) {
  // A publication between reading the published plans and committing fails
  // the plans guard: build the change again against the new list.
  for (int attempt = 0; attempt < 8; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(WriteBatch b, BatchFor(event));
    if (b.empty()) {
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(CommitResult r, projections_.TryApplyOnce(event, std::move(b)));
    if (r.committed || r.failed_tag == ProjectionStore::kSeenTag) {
      return absl::OkStatus();
    }
    if (r.failed_tag != "plans_rev") {
      return Internal("ATTAINMENT_GUARD", absl::StrCat("unexpected guard ", r.failed_tag));
    }
  }
  return Unavailable("PLANS_CHANGING", "plans kept being published while applying the event");
}

absl::StatusOr<WriteBatch> AttainmentProjection::BatchFor(const CloudEvent& event) {
  const std::string& t = event.type;
  WriteBatch b;
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    DealFacts d = FactsOf(e);
    if (d.amount_minor < 0) {
      return InvalidField("amount", "negative");
    }
    std::vector<std::pair<std::string, std::string>> rec = {
        {"cur", d.currency}, {"amount", absl::StrCat(d.amount_minor)}};
    for (const auto& f : Fields(d)) {
      rec.push_back(f);
    }
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
      if (closed) {
        return WriteBatch();  // the Won/Lost event that follows closes it
      }
    } else if (t == "salesops.customers.v1.OpportunityWon") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
      opp = e.opportunity();
      won = FactsOf(e);
      if (won.amount_minor < 0) {
        return InvalidField("amount", "negative");
      }
      if (!e.has_won_date()) {
        return InvalidField("won_date", "required");
      }
      won_day = absl::CivilDay(e.won_date().year(), e.won_date().month(), e.won_date().day());
      closed = true;
      AddPerDimension(b, BookKey(won.currency, won_day), won, won.amount_minor);
      SALESOPS_RETURN_IF_ERROR(AddBooking(event, won, won_day, v1::ATTAINMENT_BASIS_BOOKING, b));
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
      opp = e.opportunity();
      closed = true;
    }
    // The open pipeline: take the deal's recorded amount out (closed) or
    // adjust it to the new amount (still open).
    SALESOPS_ASSIGN_OR_RETURN(auto rec, store_.HGetAll(OppKey(opp)));
    if (!rec.empty()) {
      DealFacts d;
      int64_t recorded = 0;
      for (const auto& [f, v] : rec) {
        if (f == "cur") {
          d.currency = v;
        } else if (f == "amount") {
          (void)absl::SimpleAtoi(v, &recorded);
        } else if (f == "pl") {
          d.product_line = v;
        } else if (f == "rg") {
          d.region = v;
        } else if (f == "ch") {
          d.channel = v;
        } else if (f == "ct") {
          d.customer_type = v;
        } else if (f == "tm") {
          d.team = v;
        } else if (f == "rp") {
          d.rep = v;
        }
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
    SALESOPS_RETURN_IF_ERROR(AddBooking(event, d, day, v1::ATTAINMENT_BASIS_COLLECTION, b));
  }
  return b;
}

}  // namespace salesops::targets
