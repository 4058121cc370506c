#include "services/performance/events/credit_projection.h"

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/performance/api/deal_credit.h"
#include "services/performance/api/model.h"
#include "services/performance/domain/review.h"

namespace salesops::performance {
namespace {

namespace cv1 = salesops::customers::v1;
namespace tv1 = salesops::targets::v1;
namespace wv1 = salesops::warning::v1;
namespace sv1 = salesops::sync::v1;

constexpr int kMaxAttempts = 8;

enum class Kind {
  kCreated,
  kStage,
  kWon,
  kLost,
  kPayment,
  kRefund,
  kCancel,
  kActivity,
  kTaskDone,
  kOverdue,
  kAttainment,
  kWarningOpen,
  kWarningClosed,
  kInsightOpen,
  kInsightClosed,
};

// What the projection needs from one event, checked.
struct Parsed {
  const CloudEvent* event = nullptr;
  Kind kind = Kind::kWon;
  std::string owner, team, customer, opportunity, contract, payment, instalment, product_line;
  int64_t amount = 0;
  bool counted_currency = true;  // money in the service's currency
  absl::CivilDay day;
  absl::Time time;
  std::string expected_period;  // kCreated / kStage: fiscal quarter of the expected close
  bool open_stage = true;
  bool first_instalment = false;
  bool visit = false;
  std::optional<int> csat;
  // kLost: the stage it was lost from ("PROPOSAL"), the reason and competitor.
  std::string from_stage, reason, competitor;
  // kWon: the stage it was won from.
  std::string won_from;
  // kWon / kLost: the deal's name.
  std::string display_name;
  // kWarningOpen: the WarningSummary to keep; kInsightOpen: the InsightSummary.
  std::string payload;
  // kAttainment
  std::string subject;
  std::string period;
  v1::StoredTarget target;
};

std::string Strip(const std::string& name) { return StripName(name); }

std::optional<std::string> Field(const FieldMap& m, const std::string& field) {
  for (const auto& [f, v] : m) {
    if (f == field) {
      return v;
    }
  }
  return std::nullopt;
}

absl::CivilDay ChinaDay(absl::Time t, absl::TimeZone tz) { return absl::ToCivilDay(t, tz); }

// Noon of a business day: payments and refunds carry a date only.
absl::Time Noon(absl::CivilDay d, absl::TimeZone tz) {
  return absl::FromCivil(absl::CivilHour(d) + 12, tz);
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return InvalidField(field, what);
}

// "OPPORTUNITY_STAGE_PROPOSAL" → "PROPOSAL"; "" for unknown values.
std::string StageCode(int stage) {
  if (!cv1::OpportunityStage_IsValid(stage) || stage == 0) {
    return "";
  }
  std::string name = cv1::OpportunityStage_Name(static_cast<cv1::OpportunityStage>(stage));
  return name.substr(std::string("OPPORTUNITY_STAGE_").size());
}

// Free text used as a counter field (loss reasons, competitors): trimmed,
// at most 48 bytes cut at a character boundary.
std::string CounterLabel(absl::string_view text, size_t max = 48) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() <= max) {
    return std::string(text);
  }
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

template <typename E>
void Common(Parsed& p, const E& e, const PerformanceOptions& o) {
  p.owner = Strip(e.owner());
  p.team = Strip(e.team());
  p.product_line = Strip(e.product_line());
  p.amount = e.amount().amount_minor();
  p.counted_currency = e.amount().currency_code() == o.currency;
}

// nullopt: an event this projection does not use.
absl::StatusOr<std::optional<Parsed>> Parse(const CloudEvent& ev, const PerformanceOptions& o) {
  const std::string& t = ev.type;
  Parsed p;
  p.event = &ev;
  p.time = ev.time;
  p.day = ChinaDay(ev.time, o.tz);
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(ev));
    p.kind = Kind::kCreated;
    Common(p, e, o);
    p.opportunity = Strip(e.opportunity());
    p.customer = Strip(e.customer());
    if (e.has_expected_close_date() && IsValidDate(e.expected_close_date())) {
      p.expected_period = QuarterOf(DayOf(e.expected_close_date()), o.fiscal_year_start_month).id;
    }
  } else if (t == "salesops.customers.v1.OpportunityStageChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(ev));
    p.kind = Kind::kStage;
    Common(p, e, o);
    p.opportunity = Strip(e.opportunity());
    p.open_stage =
        e.to_stage() != cv1::OPPORTUNITY_STAGE_WON && e.to_stage() != cv1::OPPORTUNITY_STAGE_LOST;
    if (e.has_expected_close_date() && IsValidDate(e.expected_close_date())) {
      p.expected_period = QuarterOf(DayOf(e.expected_close_date()), o.fiscal_year_start_month).id;
    }
  } else if (t == "salesops.customers.v1.OpportunityWon") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(ev));
    p.kind = Kind::kWon;
    Common(p, e, o);
    p.opportunity = Strip(e.opportunity());
    p.won_from = StageCode(e.from_stage());
    p.display_name = e.display_name();
    p.customer = Strip(e.customer());
    p.contract = Strip(e.contract());
    if (!e.has_won_date() || !IsValidDate(e.won_date())) {
      return Invalid("won_date", "required");
    }
    p.day = DayOf(e.won_date());
    // The close instant when it is on the won day, else noon of that day.
    const absl::Time close = e.has_close_time() ? FromTs(e.close_time()) : absl::InfinitePast();
    p.time = e.has_close_time() && ChinaDay(close, o.tz) == p.day ? close : Noon(p.day, o.tz);
  } else if (t == "salesops.customers.v1.OpportunityLost") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(ev));
    p.kind = Kind::kLost;
    Common(p, e, o);
    p.opportunity = Strip(e.opportunity());
    p.from_stage = StageCode(e.from_stage());
    p.display_name = e.display_name();
    p.customer = Strip(e.customer());
    p.reason = CounterLabel(e.reason());
    p.competitor = CounterLabel(e.lost_to_competitor());
    if (e.has_close_time()) {
      p.time = FromTs(e.close_time());
      p.day = ChinaDay(p.time, o.tz);
    }
  } else if (t == "salesops.customers.v1.PaymentReceived" ||
             t == "salesops.customers.v1.PaymentRefunded") {
    const bool refund = t == "salesops.customers.v1.PaymentRefunded";
    salesops::common::v1::Date date;
    if (refund) {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentRefunded>(ev));
      Common(p, e, o);
      p.opportunity = Strip(e.opportunity());
      p.contract = Strip(e.contract());
      p.payment = e.payment_id();
      p.instalment = e.instalment_id();
      date = e.refund_date();
      if (!IsValidDate(date)) {
        return Invalid("refund_date", "required");
      }
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentReceived>(ev));
      Common(p, e, o);
      p.opportunity = Strip(e.opportunity());
      p.contract = Strip(e.contract());
      p.payment = e.payment_id();
      p.instalment = e.instalment_id();
      p.first_instalment =
          e.instalment_id() == "1" && e.instalment_state() == cv1::INSTALMENT_STATE_RECEIVED;
      date = e.received_date();
      if (!IsValidDate(date)) {
        return Invalid("received_date", "required");
      }
    }
    p.kind = refund ? Kind::kRefund : Kind::kPayment;
    p.day = DayOf(date);
    p.time = Noon(p.day, o.tz);
    if (p.payment.empty()) {
      p.payment = ev.id;
    }
  } else if (t == "salesops.customers.v1.ContractCancelled") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ContractCancelled>(ev));
    p.kind = Kind::kCancel;
    p.owner = Strip(e.owner());
    p.team = Strip(e.team());
    p.product_line = Strip(e.product_line());
    p.contract = Strip(e.contract().name());
    p.opportunity = Strip(e.contract().opportunity());
  } else if (t == "salesops.customers.v1.ActivityLogged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ActivityLogged>(ev));
    p.kind = Kind::kActivity;
    const auto& a = e.activity();
    p.owner = Strip(a.performed_by().empty() ? e.customer_owner() : a.performed_by());
    p.team = Strip(e.team());
    if (a.has_occur_time()) {
      p.time = FromTs(a.occur_time());
      p.day = ChinaDay(p.time, o.tz);
    }
    p.visit = a.kind() == cv1::ACTIVITY_KIND_VISIT;
    if (a.has_satisfaction_score()) {
      if (a.satisfaction_score() < 1 || a.satisfaction_score() > 5) {
        return Invalid("activity.satisfaction_score", "must be 1..5");
      }
      p.csat = a.satisfaction_score();
    }
  } else if (t == "salesops.customers.v1.FollowUpTaskCompleted") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::FollowUpTaskCompleted>(ev));
    const auto& task = e.task();
    if (task.state() != cv1::TASK_STATE_DONE || !task.has_complete_time() || !task.has_due_time() ||
        FromTs(task.complete_time()) > FromTs(task.due_time())) {
      return std::nullopt;  // only tasks done on time count
    }
    p.kind = Kind::kTaskDone;
    p.owner = Strip(task.assignee());
    p.time = FromTs(task.complete_time());
    p.day = ChinaDay(p.time, o.tz);
  } else if (t == "salesops.customers.v1.PaymentOverdue") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentOverdue>(ev));
    p.kind = Kind::kOverdue;
    p.owner = Strip(e.owner());
    p.team = Strip(e.team());
    p.contract = Strip(e.contract());
    p.instalment = e.instalment_id();
    p.amount = e.outstanding().amount_minor();
    p.counted_currency = e.outstanding().currency_code() == o.currency;
    if (!IsValidDate(e.due_date())) {
      return Invalid("due_date", "required");
    }
    p.day = DayOf(e.due_date());
  } else if (t == "salesops.warning.v1.WarningRaised" ||
             t == "salesops.warning.v1.WarningResolved") {
    // Open warnings about a rep, for their biweekly review.
    const bool raised = t == "salesops.warning.v1.WarningRaised";
    wv1::Warning w;
    if (raised) {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<wv1::WarningRaised>(ev));
      w = e.warning();
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<wv1::WarningResolved>(ev));
      w = e.warning();
    }
    if (w.rep().empty()) {
      return std::nullopt;  // about a team or region
    }
    if (w.name().empty()) {
      return Invalid("warning.name", "required");
    }
    p.kind = raised ? Kind::kWarningOpen : Kind::kWarningClosed;
    p.owner = Strip(w.rep());
    p.subject = w.name();
    v1::WarningSummary summary;
    summary.set_warning(w.name());
    summary.set_text(
        CounterLabel(w.message().zh().empty() ? w.message().en() : w.message().zh(), 300));
    summary.set_severity(wv1::Severity_Name(w.severity()));
    *summary.mutable_raise_time() = w.raise_time();
    p.payload = summary.SerializeAsString();
    return p;
  } else if (t == "salesops.sync.v1.InsightPublished") {
    // Market insights, for the reviews of the reps they are meant for.
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<sv1::InsightPublished>(ev));
    const sv1::MarketInsight& in = e.insight();
    if (in.name().empty()) {
      return Invalid("insight.name", "required");
    }
    p.kind = Kind::kInsightOpen;
    p.subject = in.name();
    v1::InsightSummary summary;
    summary.set_insight(in.name());
    summary.set_title(CounterLabel(in.title(), 200));
    summary.set_kind(sv1::InsightKind_Name(in.kind()));
    summary.set_summary(CounterLabel(in.body(), 300));
    *summary.mutable_publish_time() = in.publish_time();
    for (const std::string& u : in.audience().org_units()) {
      summary.add_audience_units(u);
    }
    if (in.has_valid_until()) {
      *summary.mutable_valid_until() = in.valid_until();
    }
    p.payload = summary.SerializeAsString();
    return p;
  } else if (t == "salesops.sync.v1.InsightArchived") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<sv1::InsightArchived>(ev));
    if (e.insight().empty()) {
      return Invalid("insight", "required");
    }
    p.kind = Kind::kInsightClosed;
    p.subject = e.insight();
    return p;
  } else if (t == "salesops.targets.v1.AttainmentUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<tv1::AttainmentUpdated>(ev));
    if (e.level() != tv1::ATTAINMENT_LEVEL_REP && e.level() != tv1::ATTAINMENT_LEVEL_TEAM) {
      return std::nullopt;
    }
    p.kind = Kind::kAttainment;
    p.subject = e.subject();
    if (!absl::StartsWith(p.subject, "members/") && !absl::StartsWith(p.subject, "orgUnits/")) {
      return Invalid("subject", "a member or org unit name");
    }
    if (!IsValidDate(e.period_start_date()) || !IsValidDate(e.period_end_date())) {
      return Invalid("period_start_date", "required");
    }
    // Only a plan for exactly one of our fiscal quarters sets its target.
    const FiscalQuarter q = QuarterOf(DayOf(e.period_start_date()), o.fiscal_year_start_month);
    if (q.first != DayOf(e.period_start_date()) || q.last != DayOf(e.period_end_date())) {
      return std::nullopt;
    }
    p.period = q.id;
    p.target.set_target_minor(e.target().amount_minor());
    p.target.set_actual_minor(e.actual().amount_minor());
    p.target.set_attainment_basis_points(e.attainment_basis_points());
    p.target.set_pace_basis_points(e.pace_basis_points());
    p.target.set_as_of_micros(e.has_as_of() ? ToMicros(FromTs(e.as_of())) : ToMicros(ev.time));
    p.target.set_cause_event_id(ev.id);
    p.target.set_currency_code(e.target().currency_code());
    p.target.set_plan(e.plan());
  } else {
    return std::nullopt;
  }
  if (p.kind != Kind::kAttainment && p.kind != Kind::kTaskDone && p.owner.empty()) {
    return Invalid("owner", "required");
  }
  if (p.amount < 0) {
    return Invalid("amount.amount_minor", "must not be negative");
  }
  return p;
}

// Everything a batch reads before it decides, keyed as in storage.
struct Snapshot {
  std::map<std::string, DealCredit> deals;
  std::map<std::string, std::optional<v1::StoredOpportunity>> opps;
  std::map<std::string, std::string> first_win;  // customer → "<yyyymmdd>|<opp>|<member>|<team>"
  std::map<std::string, std::string> overdue;    // "<contract>|<instalment>" → "<amount>|…"
  std::map<std::string, FieldMap> targets;       // subject → period → StoredTarget
  std::map<std::string, std::vector<std::string>> team_members;  // "<team>|<period>" → members
  std::map<std::string, std::string> revisions;                  // guard key → revision
  std::map<std::string, FieldMap> script_uses;                   // opportunity → script uses
};

std::string DayKey(absl::CivilDay d) {
  return absl::StrFormat("%04d%02d%02d", static_cast<int>(d.year()), d.month(), d.day());
}

class BatchBuilder {
 public:
  BatchBuilder(const PerformanceOptions& o, Snapshot& s, Change& c) : o_(o), s_(s), c_(c) {}

  void Apply(const Parsed& p) {
    switch (p.kind) {
      case Kind::kCreated:
        Created(p);
        break;
      case Kind::kStage:
        Stage(p);
        break;
      case Kind::kWon:
        Won(p);
        break;
      case Kind::kLost:
        Close(p);
        CloseScripts(p, false);
        KeepCase(p, false);
        Count(p, Period(p.day), counter::kLost, 1);
        CountCycle(p, review_counter::kLost, 1);
        if (!p.from_stage.empty()) {
          CountCycle(p, review_counter::LostFrom(p.from_stage), 1);
        }
        if (!p.reason.empty()) {
          CountCycle(p, review_counter::Reason(p.reason), 1);
        }
        if (!p.competitor.empty()) {
          CountCycle(p, review_counter::Competitor(p.competitor), 1);
        }
        break;
      case Kind::kPayment:
      case Kind::kRefund:
        Payment(p);
        break;
      case Kind::kCancel:
        Cancel(p);
        break;
      case Kind::kActivity: {
        const std::string period = Period(p.day);
        Count(p, period, counter::kActivities, 1);
        CountCycle(p, review_counter::kActivities, 1);
        if (p.visit) {
          Count(p, period, counter::kVisits, 1);
          CountCycle(p, review_counter::kVisits, 1);
        }
        if (p.csat) {
          Count(p, period, counter::kCsatSum, *p.csat);
          Count(p, period, counter::kCsatCount, 1);
          CountCycle(p, review_counter::kCsatSum, *p.csat);
          CountCycle(p, review_counter::kCsatCount, 1);
        }
        break;
      }
      case Kind::kTaskDone:
        Count(p, Period(p.day), counter::kTasksOnTime, 1);
        break;
      case Kind::kOverdue:
        Overdue(p);
        break;
      case Kind::kAttainment:
        Attainment(p);
        break;
      case Kind::kWarningOpen:
        c_.SetField(MapKind::kOpenWarnings, p.owner, p.subject, p.payload);
        break;
      case Kind::kWarningClosed:
        c_.DelField(MapKind::kOpenWarnings, p.owner, p.subject);
        break;
      case Kind::kInsightOpen:
        c_.SetField(MapKind::kInsights, "", p.subject, p.payload);
        break;
      case Kind::kInsightClosed:
        c_.DelField(MapKind::kInsights, "", p.subject);
        break;
    }
  }

 private:
  std::string Period(absl::CivilDay d) const { return QuarterOf(d, o_.fiscal_year_start_month).id; }

  // A deal's facts are placed from what was read: a credit split set
  // meanwhile (the API bumps the deal's revision) makes the commit fail and
  // the batch be decided again. Every fact placed bumps it in turn (Record),
  // so a split being set meanwhile runs again and moves that fact too. The
  // other records read here (opportunities, first wins, overdue instalments,
  // targets) are keyed by the customer or plan the events are keyed by, so
  // one consumer (the partition's) writes them.
  void Guard(const std::string& key) {
    if (guarded_.insert(key).second) {
      c_.ExpectField(MapKind::kRevisions, "", key, s_.revisions[key]);
    }
  }

  // A subject's card is due for recomputation (once per batch).
  void TouchCard(const std::string& subject, const std::string& period, const CloudEvent* cause) {
    const std::string work = CardWork(period, subject);
    if (touched_.insert(work).second) {
      c_.AddToIndex(kSubjectsIndex, absl::StrCat(period, "|", subject));
      MarkWork(c_, work);
    }
    if (cause != nullptr) {
      NoteLastCause(c_, work, *cause);
    }
  }
  // Counts for the rep's biweekly review (one map per rep and cycle).
  void CountCycle(const Parsed& p, const std::string& field, int64_t by) {
    if (by == 0 || p.owner.empty()) {
      return;
    }
    const std::string cycle = CycleOf(p.day, o_.fiscal_year_start_month).id;
    c_.AddToField(MapKind::kCounters, ReviewCountersId(cycle, p.owner), field, by);
  }
  // Counts for the member within their team; the team's figures are the sums
  // over its members (Recomputer::Actuals), so one increment serves both.
  void Count(const Parsed& p, const std::string& period, const char* field, int64_t by) {
    CountPair(p.owner, p.team, period, field, by, p.event);
  }
  void CountPair(const std::string& member, const std::string& team, const std::string& period,
                 const char* field, int64_t by, const CloudEvent* cause) {
    if (by == 0 || member.empty()) {
      return;
    }
    c_.AddToField(MapKind::kCounters, MemberCountersId(period, member, team), field, by);
    if (listed_.insert(absl::StrCat(period, "|", member, "|", team)).second) {
      c_.AddToIndex(MemberTeamsIndex(member, period), team);
      if (!team.empty()) {
        c_.AddToIndex(TeamMembersIndex(team, period), member);
      }
    }
    TouchCard(MemberName(member), period, cause);
    if (!team.empty()) {
      TouchCard(UnitName(team), period, cause);
    }
  }

  void PutOpp(const std::string& id, const v1::StoredOpportunity& o) {
    c_.SetField(MapKind::kOpportunity, id, "s", o.SerializeAsString());
    s_.opps[id] = o;
  }

  void Created(const Parsed& p) {
    auto& rec = s_.opps[p.opportunity];
    if (rec) {
      return;  // created once
    }
    v1::StoredOpportunity o;
    o.set_owner(p.owner);
    o.set_team(p.team);
    o.set_customer(p.customer);
    o.set_amount_minor(p.counted_currency ? p.amount : 0);
    o.set_expected_period(p.expected_period);
    o.set_create_micros(ToMicros(p.time));
    o.set_open(true);
    PutOpp(p.opportunity, o);
    CountCycle(p, review_counter::kCreated, 1);
    if (p.counted_currency) {
      CountCycle(p, review_counter::kCreatedAmount, p.amount);
    }
    if (!p.expected_period.empty()) {
      CountPair(o.owner(), o.team(), o.expected_period(), counter::kPipeline, o.amount_minor(),
                p.event);
    }
  }

  void Stage(const Parsed& p) {
    auto it = s_.opps.find(p.opportunity);
    if (!p.open_stage || it == s_.opps.end() || !it->second || !it->second->open()) {
      return;
    }
    v1::StoredOpportunity o = *it->second;
    const int64_t amount = p.counted_currency ? p.amount : o.amount_minor();
    const std::string period = p.expected_period.empty() ? o.expected_period() : p.expected_period;
    if (amount == o.amount_minor() && period == o.expected_period()) {
      return;
    }
    if (!o.expected_period().empty()) {
      CountPair(o.owner(), o.team(), o.expected_period(), counter::kPipeline, -o.amount_minor(),
                p.event);
    }
    o.set_amount_minor(amount);
    o.set_expected_period(period);
    if (!period.empty()) {
      CountPair(o.owner(), o.team(), period, counter::kPipeline, amount, p.event);
    }
    PutOpp(p.opportunity, o);
  }

  // Takes a closed deal out of the open pipeline; returns when it was created.
  std::optional<absl::CivilDay> Close(const Parsed& p) {
    auto it = s_.opps.find(p.opportunity);
    if (it == s_.opps.end() || !it->second) {
      return std::nullopt;
    }
    v1::StoredOpportunity o = *it->second;
    const absl::CivilDay created = ChinaDay(FromMicros(o.create_micros()), o_.tz);
    if (o.open()) {
      if (!o.expected_period().empty()) {
        CountPair(o.owner(), o.team(), o.expected_period(), counter::kPipeline, -o.amount_minor(),
                  p.event);
      }
      o.set_open(false);
      PutOpp(p.opportunity, o);
    }
    return created;
  }

  DealCredit& Deal(const std::string& id) {
    Guard(absl::StrCat("d|", id));
    return s_.deals.at(id);
  }

  v1::StoredFact Fact(const Parsed& p, FactKind kind, const std::string& period) {
    v1::StoredFact f;
    f.set_event_id(p.event->id);
    f.set_event_source(p.event->source);
    f.set_kind(static_cast<int>(kind));
    f.set_time_micros(ToMicros(p.time));
    f.set_period(period);
    f.set_owner(p.owner);
    f.set_team(p.team);
    f.set_deal_id(p.opportunity);
    f.set_contract_id(p.contract);
    f.set_payment_id(
        kind == FactKind::kPaymentReceived || kind == FactKind::kPaymentRefunded ? p.payment : "");
    f.set_product_line(p.product_line);
    f.set_amount_minor(kind == FactKind::kContractCancelled ? 0 : p.amount);
    f.set_currency_code(o_.currency);
    f.set_first_instalment_received(p.first_instalment);
    return f;
  }

  void Record(const Parsed& p, FactKind kind, const std::string& period) {
    DealCredit& deal = Deal(p.opportunity);
    if (deal.Has(p.event->id)) {
      return;
    }
    deal.Record(c_, Fact(p, kind, period), p.event);
    c_.AddToField(MapKind::kRevisions, "", absl::StrCat("d|", p.opportunity), 1);
    if (!p.team.empty() && !p.owner.empty()) {
      c_.AddToIndex(TeamMembersIndex(p.team, period), p.owner);
    }
  }

  void Won(const Parsed& p) {
    const std::string period = Period(p.day);
    std::optional<absl::CivilDay> created = Close(p);
    if (p.counted_currency) {
      Count(p, period, counter::kBookings, p.amount);
      CountCycle(p, review_counter::kBookings, p.amount);
    }
    Count(p, period, counter::kWon, 1);
    CountCycle(p, review_counter::kWon, 1);
    if (created && *created <= p.day) {
      Count(p, period, counter::kCycleDays, p.day - *created);
      Count(p, period, counter::kCycleDeals, 1);
    }
    FirstWin(p, period);
    if (p.counted_currency && p.amount > 0) {
      Record(p, FactKind::kDealWon, period);
    }
    CloseScripts(p, true);
    KeepCase(p, true);
  }

  // The scripts used on a deal count its outcome, once (a use recorded
  // meanwhile bumps the deal's "u|" revision: this batch is decided again).
  void CloseScripts(const Parsed& p, bool won) {
    const std::string key = absl::StrCat("u|", p.opportunity);
    Guard(key);
    const FieldMap& uses = s_.script_uses[p.opportunity];
    if (Field(uses, "!outcome")) {
      return;  // counted before
    }
    for (const auto& [field, value] : uses) {
      if (field.empty() || field[0] == '!') {
        continue;
      }
      const size_t bar = field.rfind('|');
      if (bar == std::string::npos) {
        continue;
      }
      const std::string script = field.substr(0, bar), version = field.substr(bar + 1);
      c_.AddToField(MapKind::kScriptStats, script, absl::StrCat(version, ":closed"), 1);
      if (won) {
        c_.AddToField(MapKind::kScriptStats, script, absl::StrCat(version, ":won"), 1);
      }
    }
    c_.SetField(MapKind::kScriptUses, p.opportunity, "!outcome", won ? "won" : "lost");
    s_.script_uses[p.opportunity].push_back({"!outcome", won ? "won" : "lost"});
  }

  // A key-account negotiation (a deal at or above the case amount) enters the
  // case library when it closes.
  void KeepCase(const Parsed& p, bool won) {
    if (!p.counted_currency || p.amount < o_.case_min_amount_minor) {
      return;
    }
    v1::NegotiationCase k;
    k.set_opportunity(absl::StrCat("opportunities/", p.opportunity));
    k.set_display_name(p.display_name);
    if (!p.customer.empty()) {
      k.set_customer(absl::StrCat("customers/", p.customer));
    }
    k.set_owner(MemberName(p.owner));
    if (!p.team.empty()) {
      k.set_team(UnitName(p.team));
    }
    if (!p.product_line.empty()) {
      k.set_product_line(UnitName(p.product_line));
    }
    *k.mutable_amount() = Money(p.amount, o_.currency);
    k.set_outcome(won ? v1::NEGOTIATION_OUTCOME_WON : v1::NEGOTIATION_OUTCOME_LOST);
    k.set_from_stage(won ? p.won_from : p.from_stage);
    k.set_reason(p.reason);
    k.set_lost_to_competitor(p.competitor);
    *k.mutable_close_time() = ToTs(p.time);
    c_.SetField(MapKind::kCases, "", p.opportunity, k.SerializeAsString());
    c_.AddToIndex(kCasesIndex, CaseIndexKey(p.time, p.opportunity));
  }

  // A customer's first won deal counts as a new customer for its owner; a
  // win found earlier than the one counted moves the count.
  void FirstWin(const Parsed& p, const std::string& period) {
    if (p.customer.empty()) {
      return;
    }
    const std::string mine =
        absl::StrCat(DayKey(p.day), "|", p.opportunity, "|", p.owner, "|", p.team);
    std::string& cur = s_.first_win[p.customer];
    if (!cur.empty() && cur <= mine) {
      return;
    }
    if (!cur.empty()) {
      std::vector<std::string> old = absl::StrSplit(cur, '|');
      if (old.size() == 4) {
        absl::CivilDay d;
        if (absl::ParseCivilTime(absl::StrCat(old[0].substr(0, 4), "-", old[0].substr(4, 2), "-",
                                              old[0].substr(6, 2)),
                                 &d)) {
          CountPair(old[2], old[3], Period(d), counter::kNewCustomers, -1, p.event);
        }
      }
    }
    cur = mine;
    c_.SetField(MapKind::kFirstWin, "", p.customer, mine);
    CountPair(p.owner, p.team, period, counter::kNewCustomers, 1, p.event);
  }

  void Payment(const Parsed& p) {
    const std::string period = Period(p.day);
    const bool refund = p.kind == Kind::kRefund;
    if (p.counted_currency) {
      Count(p, period, counter::kCollections, refund ? -p.amount : p.amount);
    }
    if (!refund && !p.instalment.empty()) {
      // A payment of an overdue instalment takes it off the overdue figure.
      const std::string key = absl::StrCat(p.contract, "|", p.instalment);
      std::string& cur = s_.overdue[key];
      std::vector<std::string> v = absl::StrSplit(cur, '|');
      int64_t left = 0;
      if (v.size() == 4 && absl::SimpleAtoi(v[0], &left) && left > 0 && p.counted_currency) {
        const int64_t paid = std::min(left, p.amount);
        CountPair(v[1], v[2], v[3], counter::kOverdue, -paid, p.event);
        cur = absl::StrCat(left - paid, "|", v[1], "|", v[2], "|", v[3]);
        c_.SetField(MapKind::kOverdue, "", key, cur);
      }
    }
    if (!p.opportunity.empty() && p.counted_currency && p.amount > 0) {
      Record(p, refund ? FactKind::kPaymentRefunded : FactKind::kPaymentReceived, period);
    }
  }

  void Cancel(const Parsed& p) {
    if (p.opportunity.empty()) {
      return;  // a contract without a deal credits nobody
    }
    Record(p, FactKind::kContractCancelled, Period(p.day));
  }

  void Overdue(const Parsed& p) {
    const std::string key = absl::StrCat(p.contract, "|", p.instalment);
    std::string& cur = s_.overdue[key];
    if (!cur.empty() || !p.counted_currency) {
      return;  // raised once per instalment
    }
    const std::string period = Period(p.day);
    cur = absl::StrCat(p.amount, "|", p.owner, "|", p.team, "|", period);
    c_.SetField(MapKind::kOverdue, "", key, cur);
    Count(p, period, counter::kOverdue, p.amount);
  }

  void Attainment(const Parsed& p) {
    FieldMap& m = s_.targets[p.subject];
    for (const auto& [period, raw] : m) {
      if (period != p.period) {
        continue;
      }
      v1::StoredTarget cur;
      if (cur.ParseFromString(raw) &&
          std::make_pair(cur.as_of_micros(), cur.cause_event_id()) >=
              std::make_pair(p.target.as_of_micros(), p.target.cause_event_id())) {
        return;  // a later figure is already there
      }
    }
    const std::string bytes = p.target.SerializeAsString();
    bool replaced = false;
    for (auto& [period, raw] : m) {
      if (period == p.period) {
        raw = bytes;
        replaced = true;
      }
    }
    if (!replaced) {
      m.emplace_back(p.period, bytes);
      std::sort(m.begin(), m.end());
    }
    c_.SetField(MapKind::kTargets, p.subject, p.period, bytes);
    TouchCard(p.subject, p.period, p.event);
    if (absl::StartsWith(p.subject, "members/")) {
      MarkWork(c_, RepWork(StripName(p.subject)));
    } else {
      // Team bonuses of its reps' statements read the team's attainment.
      for (const std::string& member :
           s_.team_members[absl::StrCat(StripName(p.subject), "|", p.period)]) {
        MarkWork(c_, RepWork(member));
      }
    }
  }

  const PerformanceOptions& o_;
  Snapshot& s_;
  Change& c_;
  std::set<std::string> guarded_;
  std::set<std::string> touched_;
  std::set<std::string> listed_;
};

// Reads what the parsed events need, in a few round trips.
absl::StatusOr<Snapshot> Read(PerformanceRepository& repo, const std::vector<Parsed>& events) {
  std::set<std::string> deals, opps, customers, overdue, subjects, teams, closed;
  for (const Parsed& p : events) {
    switch (p.kind) {
      case Kind::kWon:
        deals.insert(p.opportunity);
        opps.insert(p.opportunity);
        closed.insert(p.opportunity);
        if (!p.customer.empty()) {
          customers.insert(p.customer);
        }
        break;
      case Kind::kLost:
        closed.insert(p.opportunity);
        opps.insert(p.opportunity);
        break;
      case Kind::kCreated:
      case Kind::kStage:
        opps.insert(p.opportunity);
        break;
      case Kind::kPayment:
        if (!p.instalment.empty()) {
          overdue.insert(absl::StrCat(p.contract, "|", p.instalment));
        }
        [[fallthrough]];
      case Kind::kRefund:
      case Kind::kCancel:
        if (!p.opportunity.empty()) {
          deals.insert(p.opportunity);
        }
        break;
      case Kind::kOverdue:
        overdue.insert(absl::StrCat(p.contract, "|", p.instalment));
        break;
      case Kind::kAttainment:
        subjects.insert(p.subject);
        if (absl::StartsWith(p.subject, "orgUnits/")) {
          teams.insert(absl::StrCat(StripName(p.subject), "|", p.period));
        }
        break;
      default:
        break;
    }
  }
  Snapshot s;
  // The revisions the commit guards before what they guard: a write landing
  // after this read fails the commit, whether or not the reads below saw it.
  const std::vector<std::string> deal_ids(deals.begin(), deals.end());
  const std::vector<std::string> closed_ids(closed.begin(), closed.end());
  std::vector<std::string> keys;
  for (const std::string& id : deal_ids) {
    keys.push_back(absl::StrCat("d|", id));
  }
  for (const std::string& id : closed_ids) {
    keys.push_back(absl::StrCat("u|", id));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto revs, repo.GetFields(MapKind::kRevisions, "", keys));
  for (size_t i = 0; i < keys.size(); ++i) {
    s.revisions[keys[i]] = revs[i].value_or("");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto deal_maps, repo.GetMaps(MapKind::kDeal, deal_ids));
  SALESOPS_ASSIGN_OR_RETURN(auto splits, repo.GetDocs(DocKind::kSplit, deal_ids));
  for (size_t i = 0; i < deal_ids.size(); ++i) {
    std::optional<v1::CreditSplit> split;
    if (splits[i]) {
      split.emplace();
      if (!split->ParseFromString(splits[i]->data)) {
        split.reset();
      }
    }
    s.deals.emplace(deal_ids[i], DealCredit::Parse(deal_ids[i], deal_maps[i], split));
  }
  const std::vector<std::string> opp_ids(opps.begin(), opps.end());
  SALESOPS_ASSIGN_OR_RETURN(auto opp_maps, repo.GetMaps(MapKind::kOpportunity, opp_ids));
  for (size_t i = 0; i < opp_ids.size(); ++i) {
    std::optional<v1::StoredOpportunity> o;
    if (auto raw = Field(opp_maps[i], "s")) {
      o.emplace();
      if (!o->ParseFromString(*raw)) {
        o.reset();
      }
    }
    s.opps[opp_ids[i]] = std::move(o);
  }
  const std::vector<std::string> cust(customers.begin(), customers.end());
  SALESOPS_ASSIGN_OR_RETURN(auto wins, repo.GetFields(MapKind::kFirstWin, "", cust));
  for (size_t i = 0; i < cust.size(); ++i) {
    s.first_win[cust[i]] = wins[i].value_or("");
  }
  const std::vector<std::string> od(overdue.begin(), overdue.end());
  SALESOPS_ASSIGN_OR_RETURN(auto ods, repo.GetFields(MapKind::kOverdue, "", od));
  for (size_t i = 0; i < od.size(); ++i) {
    s.overdue[od[i]] = ods[i].value_or("");
  }
  const std::vector<std::string> subj(subjects.begin(), subjects.end());
  SALESOPS_ASSIGN_OR_RETURN(auto targets, repo.GetMaps(MapKind::kTargets, subj));
  for (size_t i = 0; i < subj.size(); ++i) {
    s.targets[subj[i]] = std::move(targets[i]);
  }
  for (const std::string& t : teams) {
    const size_t bar = t.find('|');
    SALESOPS_ASSIGN_OR_RETURN(
        s.team_members[t],
        repo.Range(TeamMembersIndex(t.substr(0, bar), t.substr(bar + 1)), "", "", 10'000));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto uses, repo.GetMaps(MapKind::kScriptUses, closed_ids));
  for (size_t i = 0; i < closed_ids.size(); ++i) {
    s.script_uses[closed_ids[i]] = std::move(uses[i]);
  }
  return s;
}

}  // namespace

absl::Status CreditProjection::Handle(const CloudEvent& event) { return HandleBatch({&event})[0]; }

std::vector<absl::Status> CreditProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size(), absl::OkStatus());
  std::vector<Parsed> parsed;
  std::vector<size_t> index;  // parsed[i] is events[index[i]]
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<std::optional<Parsed>> p = Parse(*events[i], options_);
    if (!p.ok()) {
      out[i] = p.status();
      continue;
    }
    if (!*p) {
      continue;
    }
    parsed.push_back(**std::move(p));
    index.push_back(i);
  }
  for (int attempt = 0; attempt < kMaxAttempts && !parsed.empty(); ++attempt) {
    // Drop what was applied before (a redelivery, or another instance).
    std::vector<const CloudEvent*> pending;
    for (const Parsed& p : parsed) {
      pending.push_back(p.event);
    }
    absl::StatusOr<std::vector<bool>> applied = repo_.Applied(pending);
    if (!applied.ok()) {
      for (size_t i : index) {
        out[i] = applied.status();
      }
      return out;
    }
    std::vector<Parsed> fresh;
    std::vector<size_t> fresh_index;
    for (size_t i = 0; i < parsed.size(); ++i) {
      if ((*applied)[i]) {
        continue;
      }
      fresh.push_back(parsed[i]);
      fresh_index.push_back(index[i]);
    }
    parsed = std::move(fresh);
    index = std::move(fresh_index);
    if (parsed.empty()) {
      break;
    }
    absl::StatusOr<Snapshot> snapshot = Read(repo_, parsed);
    if (!snapshot.ok()) {
      for (size_t i : index) {
        out[i] = snapshot.status();
      }
      return out;
    }
    Change c;
    BatchBuilder builder(options_, *snapshot, c);
    std::vector<const CloudEvent*> applying;
    for (const Parsed& p : parsed) {
      builder.Apply(p);
      applying.push_back(p.event);
    }
    absl::Status s = repo_.Commit(c, applying);
    if (s.ok()) {
      return out;
    }
    const std::string why = ErrorReason(s);
    if (s.code() == absl::StatusCode::kAborted &&
        (why == reason::kEtagMismatch || why == "EVENT_ALREADY_APPLIED")) {
      continue;  // read again and decide again
    }
    for (size_t i : index) {
      out[i] = s;
    }
    return out;
  }
  if (!parsed.empty()) {
    for (size_t i : index) {
      out[i] = Unavailable("CONCURRENT_CHANGES", "inputs kept changing while applying events");
    }
  }
  return out;
}

}  // namespace salesops::performance
