#include "services/targets/events/attainment_projection.h"

#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/docstore/hash_snapshot.h"
#include "common/events/cloud_event.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "services/targets/api/targets_api.h"

namespace salesops::targets {
namespace {

namespace cv1 = salesops::customers::v1;

// A wave's commits go out in chunks of about this many writes (a won deal is
// ~10: one per hash it increments, its seen marker, its events): Redis applies
// one while the next is prepared. Larger chunks sum more increments of one
// field, but a chunk's script holds Redis (~1.4 ms at 1024, ~90 deals;
// attainment_bench with slowlog).
constexpr size_t kWaveChunkWrites = 1024;

std::string OppKey(const std::string& opp) { return OpportunityKey(StripName(opp)); }
std::string PipeKey(const std::string& cur) { return PipelineKey(cur); }

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

void AddPerDimension(WriteBatch& b, std::string key, const DealFacts& d, int64_t amount) {
  std::vector<std::pair<std::string, long long>> increments;
  for (const auto& [axis, value] : Fields(d)) {
    if (!value.empty()) {
      increments.emplace_back(absl::StrCat(axis, "=", value), amount);
    }
  }
  b.HIncrBy(std::move(key), std::move(increments));
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

// What an event asks for, decoded once (a wave plans its reads from it).
struct AttainmentProjection::Change {
  enum class Kind { kNone, kCreated, kOpen, kWon, kLost, kPayment };
  Kind kind = Kind::kNone;
  std::string opp;       // the opportunity's name (all kinds but kPayment)
  DealFacts deal;        // kCreated, kWon, kPayment
  std::string currency;  // kOpen: the deal's amount now
  int64_t amount = 0;
  absl::CivilDay day;                                            // kWon, kPayment
  v1::AttainmentBasis basis = v1::ATTAINMENT_BASIS_UNSPECIFIED;  // kWon, kPayment

  bool ReadsDeal() const {
    return kind == Kind::kOpen || kind == Kind::kWon || kind == Kind::kLost;
  }
  bool Books() const { return kind == Kind::kWon || kind == Kind::kPayment; }
};

class AttainmentProjection::Reads {
 public:
  virtual ~Reads() = default;
  virtual absl::StatusOr<PublishedPlans> Plans() = 0;
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> HMGet(
      const std::string& key, const std::vector<std::string>& fields) = 0;
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HGetAll(
      const std::string& key) = 0;
};

class AttainmentProjection::StoreReads final : public AttainmentProjection::Reads {
 public:
  explicit StoreReads(TargetsStore& store) : store_(store) {}
  absl::StatusOr<PublishedPlans> Plans() override { return store_.ReadPublishedPlans(kMaxPlans); }
  absl::StatusOr<std::vector<std::optional<std::string>>> HMGet(
      const std::string& key, const std::vector<std::string>& fields) override {
    return store_.HMGet(key, fields);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HGetAll(
      const std::string& key) override {
    return store_.HGetAll(key);
  }
  static constexpr int kMaxPlans = 1000;

 private:
  TargetsStore& store_;
};

class AttainmentProjection::WaveReads final : public AttainmentProjection::Reads {
 public:
  WaveReads(const PublishedPlans& plans, const HashSnapshot& snapshot)
      : plans_(plans), snapshot_(snapshot) {}
  absl::StatusOr<PublishedPlans> Plans() override { return plans_; }
  absl::StatusOr<std::vector<std::optional<std::string>>> HMGet(
      const std::string& key, const std::vector<std::string>& fields) override {
    return snapshot_.GetMany(key, fields);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HGetAll(
      const std::string& key) override {
    return snapshot_.GetAll(key);
  }

 private:
  const PublishedPlans& plans_;
  const HashSnapshot& snapshot_;
};

namespace {

// What a booking's AttainmentUpdated events for one plan have in common.
struct EventContext {
  std::shared_ptr<const PlanModel> model;
  std::string plan;
  std::string source, id, trace;  // the cause's
  absl::Time now;
  absl::TimeZone tz;
};

// The roll-up figures (actual, unplanned of each subject) a booking's events carry.
std::vector<std::string> BeforeFields(const std::vector<RollupSubject>& subjects) {
  std::vector<std::string> fields;
  for (const RollupSubject& subject : subjects) {
    fields.push_back(ActualField(subject));
    fields.push_back(UnplannedField(subject));
  }
  return fields;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::shared_ptr<const PlanModel>>>>
AttainmentProjection::PlansFor(const PublishedPlans& head, v1::AttainmentBasis basis,
                               const std::string& currency, absl::CivilDay day) {
  std::vector<std::pair<std::string, std::shared_ptr<const PlanModel>>> out;
  for (const std::string& plan_id : head.plan_ids) {
    SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const PlanModel> model, models_.Get(plan_id));
    if (model->plan.attainment_basis() != basis) {
      continue;
    }
    if (model->plan.total().currency_code() != currency) {
      continue;
    }
    const auto& s = model->period.start_date();
    const auto& e = model->period.end_date();
    if (day < absl::CivilDay(s.year(), s.month(), s.day()) ||
        day > absl::CivilDay(e.year(), e.month(), e.day())) {
      continue;
    }
    out.emplace_back(plan_id, std::move(model));
  }
  return out;
}

absl::Status AttainmentProjection::AddBooking(const CloudEvent& cause, const DealFacts& deal,
                                              absl::CivilDay day, v1::AttainmentBasis basis,
                                              Reads& reads, WriteBatch& b) {
  const RollupBooking booking = BookingOf(deal);
  b.HIncrBy(FactsKey(basis, deal.currency, absl::CivilMonth(day)), BookingTuple(booking),
            deal.amount_minor);
  b.HIncrBy(RevsKey(), FactsRevField(basis, deal.currency), 1);
  // Which versions are published is read every time, under the revision a
  // publication bumps: if one is published meanwhile, this commit fails and
  // the event is applied again against the new list.
  SALESOPS_ASSIGN_OR_RETURN(PublishedPlans head, reads.Plans());
  b.ExpectHashField(RevsKey(), kPlansRevField, head.revision, "plans_rev");
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(auto plans, PlansFor(head, basis, deal.currency, day));
  for (const auto& [plan_id, model] : plans) {
    // What every subject's event shares, kept once for them all: an event is
    // made only if no later booking of its wave moves the same subject.
    const auto context = std::make_shared<const EventContext>(
        EventContext{model, plan_id, cause.source, cause.id, cause.trace_id, now, tz_});
    const std::vector<RollupSubject> subjects = model->rollup.Attribute(booking);
    bool planned = false;
    std::vector<std::pair<std::string, int64_t>> increments =
        model->rollup.Increments(booking, &planned);
    // The subjects' figures before this booking, for the events' totals.
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> before,
                              reads.HMGet(RollupKey(plan_id), BeforeFields(subjects)));
    // One write per hash: the plan's roll-up and each subject's breakdown.
    for (auto& [key, by_hash] : CountersByHash(plan_id, std::move(increments))) {
      b.HIncrBy(std::move(key), std::move(by_hash));
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
      // The event's team is part of the state: a rep without a cell in this
      // plan (new, or booking outside it) has no team from the plan, so the
      // deal's team is where the booking happened. Consumers (forecast) need
      // it on every rep-level update, and keep a figure per team.
      const RollupSubject& subject = subjects[i];
      std::string team;
      if (subject.level == RollupLevel::kRep) {
        team = RepTeam(*model, subject);
        if (team.empty()) {
          team = deal.team;
        }
      } else if (subject.level == RollupLevel::kTeam) {
        team = subject.id;
      }
      std::string team_name = team.empty() ? "" : absl::StrCat("orgUnits/", team);
      std::string state_key = absl::StrCat(plan_id, " ", LevelOf(subject.level), " ",
                                           SubjectName(*model, subject), " ", team_name);
      // The subject's figures now: in a wave, a later booking's event for the
      // same plan and subject states them anew (WriteBatch::EmitLatest), and
      // this one is then never made.
      b.EmitLatest(
          [context, subject, actual, unplanned, team_name] {
            const EventContext& c = *context;
            v1::Attainment a = RollupAttainment(*c.model, subject, actual, unplanned, c.now, c.tz);
            if (a.level() == v1::ATTAINMENT_LEVEL_REP && a.team().empty()) {
              a.set_team(team_name);
            }
            return MakeCloudEvent(kTargetsSource, c.plan, a.subject(),
                                  AttainmentEvent(a, c.model->period, c.source, c.id), c.now,
                                  c.trace);
          },
          kTargetsTopic, std::move(state_key));
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
  SALESOPS_ASSIGN_OR_RETURN(Change change, Decode(event));
  if (change.kind == Change::Kind::kNone) {
    return absl::OkStatus();
  }
  StoreReads reads(store_);
  // A publication between reading the published plans and committing fails
  // the plans guard: build the change again against the new list.
  for (int attempt = 0; attempt < 8; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(WriteBatch b, BatchFor(event, change, reads));
    if (b.empty()) {
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(CommitResult r, projections_.TryApplyOnce(event, std::move(b)));
    if (ProjectionStore::Applied(r)) {
      return absl::OkStatus();
    }
    if (r.failed_tag != "plans_rev") {
      return Internal("ATTAINMENT_GUARD", absl::StrCat("unexpected guard ", r.failed_tag));
    }
  }
  return Unavailable("PLANS_CHANGING", "plans kept being published while applying the event");
}

absl::StatusOr<AttainmentProjection::Change> AttainmentProjection::Decode(
    const CloudEvent& event) const {
  const std::string& t = event.type;
  Change c;
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    c.kind = Change::Kind::kCreated;
    c.opp = e.opportunity();
    c.deal = FactsOf(e);
    if (c.deal.amount_minor < 0) {
      return InvalidField("amount", "negative");
    }
  } else if (t == "salesops.customers.v1.OpportunityStageChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(event));
    if (e.to_stage() == cv1::OPPORTUNITY_STAGE_WON || e.to_stage() == cv1::OPPORTUNITY_STAGE_LOST) {
      return c;  // the Won/Lost event that follows closes it
    }
    c.kind = Change::Kind::kOpen;
    c.opp = e.opportunity();
    c.amount = e.amount().amount_minor();
    c.currency = e.amount().currency_code();
  } else if (t == "salesops.customers.v1.OpportunityWon") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
    c.kind = Change::Kind::kWon;
    c.opp = e.opportunity();
    c.deal = FactsOf(e);
    if (c.deal.amount_minor < 0) {
      return InvalidField("amount", "negative");
    }
    if (!e.has_won_date()) {
      return InvalidField("won_date", "required");
    }
    c.day = absl::CivilDay(e.won_date().year(), e.won_date().month(), e.won_date().day());
    c.basis = v1::ATTAINMENT_BASIS_BOOKING;
  } else if (t == "salesops.customers.v1.OpportunityLost") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
    c.kind = Change::Kind::kLost;
    c.opp = e.opportunity();
  } else if (t == "salesops.customers.v1.PaymentReceived") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentReceived>(event));
    c.kind = Change::Kind::kPayment;
    c.deal = FactsOf(e);
    c.day = absl::CivilDay(e.received_date().year(), e.received_date().month(),
                           e.received_date().day());
    c.basis = v1::ATTAINMENT_BASIS_COLLECTION;
  } else if (t == "salesops.customers.v1.PaymentRefunded") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentRefunded>(event));
    c.kind = Change::Kind::kPayment;
    c.deal = FactsOf(e);
    c.deal.amount_minor = -c.deal.amount_minor;
    c.day = absl::CivilDay(e.refund_date().year(), e.refund_date().month(), e.refund_date().day());
    c.basis = v1::ATTAINMENT_BASIS_COLLECTION;
  }
  return c;
}

absl::StatusOr<WriteBatch> AttainmentProjection::BatchFor(const CloudEvent& event, const Change& c,
                                                          Reads& reads) {
  WriteBatch b;
  switch (c.kind) {
    case Change::Kind::kNone:
      return b;
    case Change::Kind::kCreated: {
      const DealFacts& d = c.deal;
      std::vector<std::pair<std::string, std::string>> rec = {
          {"cur", d.currency}, {"amount", absl::StrCat(d.amount_minor)}};
      for (const auto& f : Fields(d)) {
        rec.push_back(f);
      }
      b.HSet(OppKey(c.opp), rec);
      AddPerDimension(b, PipeKey(d.currency), d, d.amount_minor);
      return b;
    }
    case Change::Kind::kPayment:
      SALESOPS_RETURN_IF_ERROR(AddBooking(event, c.deal, c.day, c.basis, reads, b));
      return b;
    case Change::Kind::kOpen:
    case Change::Kind::kWon:
    case Change::Kind::kLost:
      break;
  }
  const bool closed = c.kind != Change::Kind::kOpen;
  if (c.kind == Change::Kind::kWon) {
    // Kept as booking facts (AddBooking), which historical shares read too.
    SALESOPS_RETURN_IF_ERROR(AddBooking(event, c.deal, c.day, c.basis, reads, b));
  }
  // The open pipeline: take the deal's recorded amount out (closed) or
  // adjust it to the new amount (still open).
  SALESOPS_ASSIGN_OR_RETURN(auto rec, reads.HGetAll(OppKey(c.opp)));
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
      b.Del(OppKey(c.opp));
    } else if (c.currency == d.currency && c.amount != recorded) {
      AddPerDimension(b, PipeKey(d.currency), d, c.amount - recorded);
      b.HSet(OppKey(c.opp), {{"amount", absl::StrCat(c.amount)}});
    }
  }
  return b;
}

std::vector<absl::Status> AttainmentProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size(), absl::OkStatus());
  std::vector<Change> changes(events.size());
  // Waves are runs of consecutive events with no opportunity twice: an event
  // never reads a deal record another event of its wave writes, so one that
  // has to be redone alone cannot have misled the others.
  // An event that failed (the consumer retries it after this batch, one by
  // one) holds back the later events of its opportunity: applied before it,
  // a Won would find no deal record to take out of the open pipeline.
  absl::flat_hash_set<std::string> failed_opps;
  auto wave = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (out[k].ok() && failed_opps.contains(changes[k].opp)) {
        out[k] = Unavailable("ATTAINMENT_ORDER",
                             "an earlier event of the opportunity failed in this batch");
      }
    }
    Wave(events, changes, from, to, out);
    for (size_t k = from; k < to; ++k) {
      if (!out[k].ok() && !changes[k].opp.empty()) {
        failed_opps.insert(changes[k].opp);
      }
    }
  };
  absl::flat_hash_set<std::string> opps;
  size_t begin = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<Change> c = Decode(*events[i]);
    if (!c.ok()) {
      out[i] = c.status();  // the consumer dead-letters it, one by one
      continue;
    }
    changes[i] = *std::move(c);
    if (!changes[i].opp.empty() && !opps.insert(changes[i].opp).second) {
      wave(begin, i);
      begin = i;
      opps = {changes[i].opp};
    }
  }
  wave(begin, events.size());
  return out;
}

void AttainmentProjection::GroupByRep(const std::vector<Change>& changes,
                                      std::vector<size_t>& todo) {
  // Each rep's place: where its first booking is. Events that book nothing
  // keep their own place.
  absl::flat_hash_map<absl::string_view, size_t> first;
  std::vector<std::pair<size_t, size_t>> order;  // (group, todo index)
  order.reserve(todo.size());
  for (size_t k = 0; k < todo.size(); ++k) {
    const Change& c = changes[todo[k]];
    size_t group = k;
    if (c.Books()) {
      group = first.try_emplace(c.deal.rep, k).first->second;
    }
    order.emplace_back(group, k);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<size_t> grouped;
  grouped.reserve(todo.size());
  for (const auto& [group, k] : order) {
    grouped.push_back(todo[k]);
  }
  todo = std::move(grouped);
}

void AttainmentProjection::Wave(const std::vector<const CloudEvent*>& events,
                                const std::vector<Change>& changes, size_t begin, size_t end,
                                std::vector<absl::Status>& out) {
  std::vector<size_t> todo;
  for (size_t i = begin; i < end; ++i) {
    if (out[i].ok() && changes[i].kind != Change::Kind::kNone) {
      todo.push_back(i);
    }
  }
  if (todo.empty()) {
    return;
  }
  GroupByRep(changes, todo);
  auto alone = [&](size_t from) {
    for (size_t k = from; k < todo.size(); ++k) {
      out[todo[k]] = Handle(*events[todo[k]]);
      ++stats_.alone;
    }
  };
  // Adds the time since the last lap to `to`.
  auto lap_start = std::chrono::steady_clock::now();
  auto lap = [&lap_start](std::atomic<int64_t>& to) {
    const auto now = std::chrono::steady_clock::now();
    to += std::chrono::duration_cast<std::chrono::nanoseconds>(now - lap_start).count();
    lap_start = now;
  };
  // First round trip: the published plans, which events were applied before,
  // and the deals' records.
  std::vector<std::vector<std::string>> reads =
      TargetsStore::PublishedPlansCommands(StoreReads::kMaxPlans);
  // The seen markers are strings: one MGET for all of them.
  std::vector<std::string> mget = {"MGET"};
  for (size_t i : todo) {
    mget.push_back(projections_.SeenKey(*events[i]));
  }
  reads.push_back(std::move(mget));
  std::vector<std::string> deal_keys;
  for (size_t i : todo) {
    if (changes[i].ReadsDeal()) {
      deal_keys.push_back(OppKey(changes[i].opp));
      reads.push_back({"HGETALL", deal_keys.back()});
    }
  }
  lap(stats_.build_ns);  // preparing reads counts as building
  absl::StatusOr<std::vector<RedisValue>> first = store_.ReadMany(reads);
  lap(stats_.read_ns);
  if (!first.ok()) {
    // Each on its own, with its own retries. Said aloud: a read refused every
    // time (a Redis user without MGET) would otherwise only show as slowness.
    LogWarning("attainment wave read failed; applying its events one at a time",
               {{"error", first.status().ToString()}, {"events", todo.size()}});
    alone(0);
    return;
  }
  const RedisValue& markers = (*first)[2];
  if (markers.elements.size() != todo.size()) {
    alone(0);
    return;
  }
  auto applied_before = [&markers](size_t k) { return !markers.elements[k].is_nil(); };
  for (size_t k = 0; k < todo.size(); ++k) {
    if (applied_before(k)) {
      // Applied before (an earlier attempt) and skipped below, its offset then
      // stored: only once those writes would survive a failover. On failure
      // each goes alone, through a script that waits the same way.
      if (!store_.AwaitReplicated(projections_.SeenKey(*events[todo[k]])).ok()) {
        alone(0);
        return;
      }
      break;
    }
  }
  const PublishedPlans plans = TargetsStore::ParsePublishedPlans((*first)[0], (*first)[1]);
  HashSnapshot snapshot;
  for (size_t k = 0; k < deal_keys.size(); ++k) {
    snapshot.PutWhole(deal_keys[k], (*first)[3 + k]);
  }
  // Second round trip: the roll-up figures every booking of the wave reaches.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> figures;  // key → fields
  absl::flat_hash_map<std::string, std::string> rollup_keys;                   // plan → key
  for (size_t i : todo) {
    const Change& c = changes[i];
    if (!c.Books()) {
      continue;
    }
    absl::StatusOr<std::vector<std::pair<std::string, std::shared_ptr<const PlanModel>>>> matching =
        PlansFor(plans, c.basis, c.deal.currency, c.day);
    if (!matching.ok()) {
      alone(0);
      return;
    }
    const RollupBooking booking = BookingOf(c.deal);
    for (const auto& [plan_id, model] : *matching) {
      auto key = rollup_keys.find(plan_id);
      if (key == rollup_keys.end()) {
        key = rollup_keys.emplace(plan_id, RollupKey(plan_id)).first;
      }
      absl::flat_hash_set<std::string>& fields = figures[key->second];
      for (std::string& f : BeforeFields(model->rollup.Attribute(booking))) {
        fields.insert(std::move(f));
      }
    }
  }
  if (!figures.empty()) {
    std::vector<std::vector<std::string>> hmgets;
    std::vector<std::vector<std::string>> fields;
    for (const auto& [key, set] : figures) {
      fields.emplace_back(set.begin(), set.end());
      std::vector<std::string> cmd = {"HMGET", key};
      cmd.insert(cmd.end(), set.begin(), set.end());
      hmgets.push_back(std::move(cmd));
    }
    lap(stats_.build_ns);
    absl::StatusOr<std::vector<RedisValue>> second = store_.ReadMany(hmgets);
    lap(stats_.read_ns);
    if (!second.ok()) {
      LogWarning("attainment wave read failed; applying its events one at a time",
                 {{"error", second.status().ToString()}, {"events", todo.size()}});
      alone(0);
      return;
    }
    for (size_t k = 0; k < hmgets.size(); ++k) {
      snapshot.PutFields(hmgets[k][1], fields[k], (*second)[k]);
    }
  }
  // Each event's change in the wave's order (GroupByRep), against the snapshot kept current.
  // Each one's commit goes out with its chunk while the next are prepared.
  WaveReads wave_reads(plans, snapshot);
  ProjectionStore::CombinedStream commits = projections_.OpenCombined(kWaveChunkWrites);
  std::vector<size_t> where;  // todo index of the j-th event committed
  absl::flat_hash_set<std::string> seen_in_wave;
  size_t cut = todo.size();  // from here on, one by one
  for (size_t k = 0; k < todo.size(); ++k) {
    const size_t i = todo[k];
    const bool seen = applied_before(k);
    if (seen || !seen_in_wave.insert(projections_.SeenKey(*events[i])).second) {
      continue;  // applied before (or earlier in this wave): changes nothing
    }
    absl::StatusOr<WriteBatch> b = BatchFor(*events[i], changes[i], wave_reads);
    if (!b.ok()) {
      if (ErrorReason(b.status()) == kNotInSnapshot) {
        cut = k;  // a read the plan missed: this one and the rest go alone, in order
        break;
      }
      out[i] = b.status();  // a bad event: no effect on the others
      continue;
    }
    if (b->empty()) {
      continue;
    }
    snapshot.Apply(*b);
    commits.Add(*events[i], *std::move(b));
    where.push_back(k);
  }
  ++stats_.waves;
  commits.SendLast();
  lap(stats_.build_ns);
  std::vector<absl::StatusOr<CommitResult>> results = commits.Finish();
  lap(stats_.commit_wait_ns);
  std::vector<size_t> redo;
  for (size_t j = 0; j < results.size(); ++j) {
    const absl::StatusOr<CommitResult>& r = results[j];
    if (r.ok() && ProjectionStore::Applied(*r)) {
      ++stats_.in_waves;
    } else {
      redo.push_back(where[j]);
    }
  }
  // Lost races (plans revision) and errors: on their own, fresh reads, in order.
  for (size_t k : redo) {
    out[todo[k]] = Handle(*events[todo[k]]);
    ++stats_.alone;
  }
  alone(cut);
}

}  // namespace salesops::targets
