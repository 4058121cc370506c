#include "services/forecast/events/forecast_projection.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"

namespace salesops::forecast {
namespace {

namespace cv1 = ::salesops::customers::v1;
namespace tv1 = ::salesops::targets::v1;

constexpr int kAttempts = 8;
// Batches at least this large are applied in one commit (a consumer catching
// up); smaller ones event by event, so live forecasts name their exact cause.
constexpr int kMinTogether = 8;

bool IsOpenProtoStage(cv1::OpportunityStage s) {
  return s >= cv1::OPPORTUNITY_STAGE_LEAD && s <= cv1::OPPORTUNITY_STAGE_CONTRACT;
}

// The facts every deal event carries (owner, team, product line, amount).
template <typename E>
absl::Status TakeFacts(const E& e, const std::string& currency, DealRecord& d) {
  const std::string owner = IdIn(e.owner(), "members");
  const std::string team = IdIn(e.team(), "orgUnits");
  if (team.empty()) {
    return InvalidField("team", "a deal event must name the owner's team");
  }
  if (owner.empty()) {
    return InvalidField("owner", "a deal event must name its owner");
  }
  if (e.amount().amount_minor() < 0) {
    return InvalidField("amount.amount_minor", "must be >= 0");
  }
  if (!e.amount().currency_code().empty() && e.amount().currency_code() != currency) {
    return InvalidField("amount.currency_code",
                        absl::StrCat("only ", currency, " deals are forecast"));
  }
  d.owner = owner;
  d.team = team;
  d.product_line = IdIn(e.product_line(), "orgUnits");
  d.amount_minor = e.amount().amount_minor();
  return absl::OkStatus();
}

void AddEntry(DealRecord& d, cv1::OpportunityStage stage, absl::CivilDay day) {
  if (!IsOpenProtoStage(stage)) {
    return;
  }
  d.stages.push_back({static_cast<Stage>(stage), day});
}

std::optional<absl::CivilDay> DayOf(const common::v1::Date& date) {
  if (!ValidDate(date)) {
    return std::nullopt;
  }
  return FromDate(date);
}

std::string OppId(const std::string& name) { return IdIn(name, "opportunities"); }

}  // namespace

absl::StatusOr<std::optional<DealRecord>> FoldDealEvent(const std::optional<DealRecord>& before,
                                                        const CloudEvent& event, absl::TimeZone tz,
                                                        const std::string& currency) {
  const std::string& t = event.type;
  const absl::CivilDay day = absl::ToCivilDay(event.time, tz);
  DealRecord d;
  if (before) {
    d = *before;
  }
  auto start = [&](const std::string& id) {
    if (before) {
      return;
    }
    d.id = id;
    d.created = day;
  };
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    const std::string id = OppId(e.opportunity());
    if (id.empty()) {
      return InvalidField("opportunity", "must be opportunities/{id}");
    }
    if (before) {
      return before;  // created twice (a replay under a new event id): keep the history
    }
    start(id);
    SALESOPS_RETURN_IF_ERROR(TakeFacts(e, currency, d));
    AddEntry(d, IsOpenProtoStage(e.stage()) ? e.stage() : cv1::OPPORTUNITY_STAGE_LEAD, day);
    d.expected_close = DayOf(e.expected_close_date());
    return d;
  }
  if (t == "salesops.customers.v1.OpportunityStageChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(event));
    const std::string id = OppId(e.opportunity());
    if (id.empty()) {
      return InvalidField("opportunity", "must be opportunities/{id}");
    }
    SALESOPS_RETURN_IF_ERROR(TakeFacts(e, currency, d));
    if (!before) {
      // The creation was never seen: the previous stage from the event itself.
      start(id);
      d.created = day - std::max(0, e.days_in_previous_stage());
      AddEntry(d, e.from_stage(), d.created);
    }
    if (d.outcome == Outcome::kOpen) {
      AddEntry(d, e.to_stage(), day);
    }
    if (std::optional<absl::CivilDay> c = DayOf(e.expected_close_date())) {
      d.expected_close = c;
    }
    return d;
  }
  if (t == "salesops.customers.v1.OpportunityUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityUpdated>(event));
    const cv1::Opportunity& o = e.opportunity();
    const std::string id = OppId(o.name());
    if (id.empty()) {
      return InvalidField("opportunity.name", "must be opportunities/{id}");
    }
    SALESOPS_RETURN_IF_ERROR(TakeFacts(o, currency, d));
    if (!before) {
      start(id);
      if (o.has_create_time()) {
        d.created = absl::ToCivilDay(FromTs(o.create_time()), tz);
      }
      for (const cv1::StageChange& h : o.stage_history()) {
        AddEntry(d, h.to_stage(), absl::ToCivilDay(FromTs(h.change_time()), tz));
      }
      if (d.stages.empty()) {
        AddEntry(d, o.stage(), d.created);
      }
    }
    d.expected_close = DayOf(o.expected_close_date());
    return d;
  }
  if (t == "salesops.customers.v1.OpportunityWon") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
    const std::string id = OppId(e.opportunity());
    if (id.empty()) {
      return InvalidField("opportunity", "must be opportunities/{id}");
    }
    std::optional<absl::CivilDay> won = DayOf(e.won_date());
    if (!won) {
      return InvalidField("won_date", "must be a valid date");
    }
    SALESOPS_RETURN_IF_ERROR(TakeFacts(e, currency, d));
    if (!before) {
      start(id);
      AddEntry(d, e.from_stage(), std::min(day, *won));
    }
    if (d.outcome == Outcome::kWon) {
      return before;  // won twice: booked once
    }
    d.outcome = Outcome::kWon;
    d.closed = *won;
    return d;
  }
  if (t == "salesops.customers.v1.OpportunityLost") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
    const std::string id = OppId(e.opportunity());
    if (id.empty()) {
      return InvalidField("opportunity", "must be opportunities/{id}");
    }
    SALESOPS_RETURN_IF_ERROR(TakeFacts(e, currency, d));
    const absl::CivilDay lost =
        e.has_close_time() ? absl::ToCivilDay(FromTs(e.close_time()), tz) : day;
    if (!before) {
      start(id);
      AddEntry(d, e.from_stage(), std::min(day, lost));
    }
    if (d.outcome != Outcome::kOpen) {
      return before;
    }
    d.outcome = Outcome::kLost;
    d.closed = lost;
    return d;
  }
  return std::optional<DealRecord>();
}

absl::Status ForecastProjection::Handle(const CloudEvent& event) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ForecastChange change;
    SALESOPS_RETURN_IF_ERROR(Build(event, change));
    if (change.empty()) {
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(CommitOutcome r, repo_.Commit(change, &event));
    if (r.committed) {
      ++stats_.applied;
      if (absl::StartsWith(event.type, "salesops.targets.v1.FiscalPeriod")) {
        engine_.InvalidatePeriods();
      }
      return absl::OkStatus();
    }
    if (r.failed_tag == "seen") {
      ++stats_.duplicates;
      return absl::OkStatus();
    }
    // Another instance changed a scope (or a period) this change read: read again.
    ++stats_.conflicts;
    engine_.InvalidatePeriods();
  }
  // Lost the race every time: worth another try later, not the dead-letter topic.
  return Unavailable(reason::kWriteConflict, "forecasts kept changing while applying the event");
}

absl::Status ForecastProjection::Build(const CloudEvent& event, ForecastChange& change) {
  const std::string& t = event.type;
  if (t == "salesops.customers.v1.OpportunityCreated" ||
      t == "salesops.customers.v1.OpportunityStageChanged" ||
      t == "salesops.customers.v1.OpportunityUpdated" ||
      t == "salesops.customers.v1.OpportunityWon" || t == "salesops.customers.v1.OpportunityLost") {
    return BuildDeal(event, change);
  }
  if (t == "salesops.targets.v1.FiscalPeriodCreated" ||
      t == "salesops.targets.v1.FiscalPeriodUpdated" ||
      t == "salesops.targets.v1.FiscalPeriodDeleted") {
    return BuildPeriod(event, change);
  }
  if (t == "salesops.targets.v1.AttainmentUpdated") {
    return BuildTarget(event, change);
  }
  return absl::OkStatus();  // not something forecasts depend on
}

absl::StatusOr<std::string> ForecastProjection::DealIdOf(const CloudEvent& event) const {
  const EngineOptions& o = engine_.options();
  SALESOPS_ASSIGN_OR_RETURN(std::optional<DealRecord> probe,
                            FoldDealEvent(std::nullopt, event, o.tz, o.currency));
  return probe ? probe->id : std::string();
}

absl::Status ForecastProjection::AddDeal(const DealState& deal, ForecastChange& change,
                                         Pending& pending, std::vector<Leaf>& leaves) {
  const std::string& id = deal.id;
  const std::optional<DealRecord>& before = deal.before;
  const DealRecord& after = *deal.after;
  const std::string after_data = ToProto(after).SerializeAsString();
  pending.deals[id] = after;
  change.PutDoc(DocKind::kDeal, id, after_data, deal.version);
  if (deal.version == 0) {
    change.AddToIndex(DealsIndex(), id);
  }

  auto leaf_of = [](const DealRecord& d) { return Leaf{d.team, d.owner, d.product_line}; };
  const bool open_before = before && before->outcome == Outcome::kOpen;
  const bool open_after = after.outcome == Outcome::kOpen;
  if (open_before) {
    leaves.push_back(leaf_of(*before));
  }
  if (open_after || after.outcome == Outcome::kWon) {
    leaves.push_back(leaf_of(after));
  }
  const std::string key_before = open_before ? ScopeKey(leaf_of(*before).Scope()) : "";
  const std::string key_after = open_after ? ScopeKey(leaf_of(after).Scope()) : "";
  if (!key_before.empty() && key_before != key_after) {
    change.RemoveFromIndex(OpenDealsIndex(key_before), id);
    pending.open_removed[key_before].insert(id);
  }
  if (!key_after.empty() && key_before != key_after) {
    change.AddToIndex(OpenDealsIndex(key_after), id);
    pending.open_added[key_after].insert(id);
  }
  // Stage learning reads every deal (open ones age out, LearnAsOf); what it
  // learns changes when a deal closes (or reopens).
  change.SetField(HistoryHash(), id, after_data);
  if ((after.outcome != Outcome::kOpen) != (before && before->outcome != Outcome::kOpen)) {
    change.IncrementField(MetaHash(), "hist_rev", 1);
  }
  // A booking counts for every scope above the deal, in its month.
  if (after.outcome == Outcome::kWon && !(before && before->outcome == Outcome::kWon)) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> scopes,
                              engine_.BookingScopes(leaf_of(after)));
    const absl::CivilMonth month(after.closed);
    for (const std::string& scope : scopes) {
      change.IncrementField(BookingsHash(month), scope, after.amount_minor);
      pending.bookings[{MonthKey(month), scope}] += after.amount_minor;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ForecastProjection::DealState> ForecastProjection::LoadDeal(
    const std::string& id, const std::optional<Doc>& doc) {
  DealState d;
  d.id = id;
  if (doc) {
    v1::DealRecord r;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*doc, &r));
    d.before = FromProto(r);
    d.version = doc->version;
    d.stored = doc->data;
  }
  d.after = d.before;
  return d;
}

Cause ForecastProjection::CauseOf(const CloudEvent& event, ForecastChange& change) const {
  Cause cause{event.source, event.id, event.trace_id};
  if (behind_ && behind_()) {
    cause.provisional = true;
    change.SetField(MetaHash(), "provisional", absl::StrCat(absl::ToUnixSeconds(wall_->Now())));
  }
  return cause;
}

absl::Status ForecastProjection::BuildDeal(const CloudEvent& event, ForecastChange& change) {
  const EngineOptions& o = engine_.options();
  SALESOPS_ASSIGN_OR_RETURN(std::string id, DealIdOf(event));
  if (id.empty()) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kDeal, id));
  SALESOPS_ASSIGN_OR_RETURN(DealState deal, LoadDeal(id, doc));
  SALESOPS_ASSIGN_OR_RETURN(deal.after, FoldDealEvent(deal.before, event, o.tz, o.currency));
  if (!deal.after) {
    return absl::OkStatus();
  }
  if (doc && doc->data == ToProto(*deal.after).SerializeAsString()) {
    return absl::OkStatus();
  }
  Pending pending;
  std::vector<Leaf> leaves;
  SALESOPS_RETURN_IF_ERROR(AddDeal(deal, change, pending, leaves));
  return engine_.Recompute(leaves, pending, CauseOf(event, change), clock_.Now(), change);
}

std::vector<absl::Status> ForecastProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size(), absl::OkStatus());
  if (static_cast<int>(events.size()) >= kMinTogether) {
    absl::Status together = HandleTogether(events);
    if (together.ok()) {
      return out;
    }
    if (!IsRetryable(together) && ErrorReason(together) != "NOT_TOGETHER") {
      LogInfo("forecast batch applied one by one",
              {{"events", events.size()}, {"why", std::string(together.message())}});
    }
  }
  // One by one, in order; after a failure the key's later events wait (they
  // come back failed and the consumer retries them one by one, in order).
  absl::flat_hash_set<std::string> failed_keys;
  for (size_t i = 0; i < events.size(); ++i) {
    if (failed_keys.contains(events[i]->key)) {
      out[i] = Unavailable("ORDER", "an earlier event of this key is not applied yet");
      continue;
    }
    out[i] = Handle(*events[i]);
    if (!out[i].ok()) {
      failed_keys.insert(events[i]->key);
    }
  }
  return out;
}

absl::Status ForecastProjection::HandleTogether(const std::vector<const CloudEvent*>& events) {
  const EngineOptions& o = engine_.options();
  // Only deal events (the bulk of a catch-up); anything else goes one by one.
  std::vector<std::string> ids;
  std::vector<std::string> event_ids(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string& t = events[i]->type;
    if (absl::StartsWith(t, "salesops.targets.v1.")) {
      if (t == "salesops.targets.v1.FiscalPeriodCreated" ||
          t == "salesops.targets.v1.FiscalPeriodUpdated" ||
          t == "salesops.targets.v1.FiscalPeriodDeleted" ||
          t == "salesops.targets.v1.AttainmentUpdated") {
        return FailedPrecondition("NOT_TOGETHER", "periods and targets are applied one by one");
      }
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(event_ids[i], DealIdOf(*events[i]));
    if (!event_ids[i].empty()) {
      ids.push_back(event_ids[i]);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<const CloudEvent*> causes;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kDeal, ids));
    std::map<std::string, DealState> deals;
    for (size_t i = 0; i < ids.size(); ++i) {
      SALESOPS_ASSIGN_OR_RETURN(deals[ids[i]], LoadDeal(ids[i], docs[i]));
    }
    // Each deal's events folded in order; only the first and last state matter.
    causes.clear();
    for (size_t i = 0; i < events.size(); ++i) {
      causes.push_back(events[i]);
      if (event_ids[i].empty()) {
        continue;
      }
      DealState& d = deals[event_ids[i]];
      SALESOPS_ASSIGN_OR_RETURN(std::optional<DealRecord> next,
                                FoldDealEvent(d.after, *events[i], o.tz, o.currency));
      if (next) {
        d.after = std::move(next);
      }
    }
    ForecastChange change;
    Pending pending;
    std::vector<Leaf> leaves;
    for (const auto& [id, d] : deals) {
      if (!d.after || (!d.stored.empty() && d.stored == ToProto(*d.after).SerializeAsString())) {
        continue;
      }
      SALESOPS_RETURN_IF_ERROR(AddDeal(d, change, pending, leaves));
    }
    // The last event stands for the batch as the recomputed forecasts' cause.
    const CloudEvent& last = *events.back();
    SALESOPS_RETURN_IF_ERROR(
        engine_.Recompute(leaves, pending, CauseOf(last, change), clock_.Now(), change));
    SALESOPS_ASSIGN_OR_RETURN(CommitOutcome r, repo_.CommitOnce(change, causes));
    if (r.committed) {
      stats_.applied += static_cast<int64_t>(events.size());
      ++stats_.batches;
      return absl::OkStatus();
    }
    // A redelivered event among them: one by one sorts out which.
    if (r.failed_tag == "seen") {
      return FailedPrecondition("NOT_TOGETHER", "an event was seen before");
    }
    ++stats_.conflicts;
    engine_.InvalidatePeriods();
  }
  return Unavailable(reason::kWriteConflict, "forecasts kept changing while applying the batch");
}

absl::Status ForecastProjection::BuildPeriod(const CloudEvent& event, ForecastChange& change) {
  tv1::FiscalPeriod p;
  bool deleted = false;
  if (event.type == "salesops.targets.v1.FiscalPeriodCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<tv1::FiscalPeriodCreated>(event));
    p = e.fiscal_period();
  } else if (event.type == "salesops.targets.v1.FiscalPeriodUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<tv1::FiscalPeriodUpdated>(event));
    p = e.fiscal_period();
  } else {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<tv1::FiscalPeriodDeleted>(event));
    p = e.fiscal_period();
    deleted = true;
  }
  // Forecasts are per quarter; years and months are the targets service's business.
  if (p.kind() != tv1::FISCAL_PERIOD_KIND_QUARTER) {
    return absl::OkStatus();
  }
  const std::string id = IdIn(p.name(), "fiscalPeriods");
  if (id.empty()) {
    return InvalidField("fiscal_period.name", "must be fiscalPeriods/{id}");
  }
  if (!ValidDate(p.start_date()) || !ValidDate(p.end_date()) ||
      FromDate(p.end_date()) < FromDate(p.start_date())) {
    return InvalidField("fiscal_period.start_date", "a quarter needs valid start and end dates");
  }
  v1::PeriodRecord r;
  r.set_id(id);
  *r.mutable_start() = p.start_date();
  *r.mutable_end() = p.end_date();
  r.set_deleted(deleted);
  change.PutDoc(DocKind::kPeriod, id, r.SerializeAsString(), kAnyVersion);
  change.AddToIndex(PeriodsIndex(), id);
  change.IncrementField(MetaHash(), "periods_rev", 1);
  return absl::OkStatus();
}

absl::Status ForecastProjection::BuildTarget(const CloudEvent& event, ForecastChange& change) {
  SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<tv1::AttainmentUpdated>(event));
  const std::string period = IdIn(e.period(), "fiscalPeriods");
  if (period.empty()) {
    return InvalidField("period", "must be fiscalPeriods/{id}");
  }
  std::string node;
  switch (e.level()) {
    case tv1::ATTAINMENT_LEVEL_REP: {
      const std::string member = IdIn(e.rep().empty() ? e.subject() : e.rep(), "members");
      const std::string team = IdIn(e.team(), "orgUnits");
      if (member.empty() || team.empty()) {
        return InvalidField("rep", "a rep-level AttainmentUpdated needs the rep and their team");
      }
      node = NodeKey(team, member);
      break;
    }
    case tv1::ATTAINMENT_LEVEL_TEAM:
    case tv1::ATTAINMENT_LEVEL_REGION:
    case tv1::ATTAINMENT_LEVEL_COMPANY: {
      const std::string unit = IdIn(e.subject(), "orgUnits");
      if (unit.empty()) {
        return InvalidField("subject", "must be orgUnits/{id} at this level");
      }
      node = NodeKey(unit, "");
      break;
    }
    default:
      return absl::OkStatus();  // cells: the roll-ups carry the totals
  }
  const EngineOptions& o = engine_.options();
  if (!e.target().currency_code().empty() && e.target().currency_code() != o.currency) {
    return absl::OkStatus();  // a plan in another currency has no bearing on these forecasts
  }
  const int64_t target = e.target().amount_minor();
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> stored,
                            repo_.GetFields(TargetsHash(period), {node}));
  if (stored[0] == absl::StrCat(target)) {
    return absl::OkStatus();
  }
  change.SetField(TargetsHash(period), node, absl::StrCat(target));
  return engine_.ApplyTarget(period, node, CauseOf(event, change), clock_.Now(), target, change);
}

}  // namespace salesops::forecast
