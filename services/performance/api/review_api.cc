// Biweekly reviews: generated per rep and fiscal two-week cycle from the
// counters the event projection keeps (events/credit_projection.cc), the
// team's and the rep's own history, analysed by the rules in
// domain/review.h; action items with before/after outcome tracking, carried
// into the next review while open; the scheduler's pass over every rep and
// the overdue check.
//
// A review's id is "<cycle>.<member>", written with "must not exist yet", so
// however many schedulers run (replicas, restarts mid-pass) each rep gets one
// review per cycle and one ReviewGenerated event.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/ids/ids.h"
#include "common/log/log.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/performance_api.h"

namespace salesops::performance {
namespace {

constexpr int kMaxDescription = 500;
constexpr int kMaxNote = 2'000;
constexpr int kMaxSupervisorNotes = 4'000;
constexpr int kMaxItems = 50;
constexpr int kMaxReasons = 5;
// Reviews the overdue check reads per pass.
constexpr int kOverdueScan = 2'000;

// Indexes: newest first by an inverted first day.
constexpr char kReviewsIndex[] = "rv";
constexpr char kOpenItemsIndex[] = "rvo";
std::string ByMemberIndex(absl::string_view member) { return absl::StrCat("rvm|", member); }
std::string BySupervisorIndex(absl::string_view sup) { return absl::StrCat("rvs|", sup); }
std::string NewestFirstKey(const BiweeklyCycle& c, absl::string_view id) {
  const int64_t ymd = c.first.year() * 10'000 + c.first.month() * 100 + c.first.day();
  return absl::StrFormat("%08d|%s", 99'999'999 - ymd, id);
}
std::string IdFromIndexKey(absl::string_view key) {
  const size_t bar = key.find('|');
  return std::string(bar == absl::string_view::npos ? key : key.substr(bar + 1));
}
// The scheduler's progress: the last cycle every rep got a review of.
constexpr char kReviewsDoneField[] = "reviews_done";

std::string ReviewId(absl::string_view cycle, absl::string_view member) {
  return absl::StrCat(cycle, ".", member);
}

Counts ToCounts(const FieldMap& m) {
  Counts c;
  for (const auto& [field, value] : m) {
    int64_t n = 0;
    if (absl::SimpleAtoi(value, &n)) {
      c[field] = n;
    }
  }
  return c;
}

v1::KpiValue FactValue(Unit unit, int64_t value, const std::string& currency) {
  v1::KpiValue v;
  switch (unit) {
    case Unit::kMoney:
      *v.mutable_money() = Money(value, currency);
      break;
    case Unit::kBasisPoints:
      v.set_basis_points(value);
      break;
    case Unit::kCount:
      v.set_count(value);
      break;
  }
  return v;
}

void ToEvidence(const std::vector<Fact>& facts, const std::string& currency,
                google::protobuf::RepeatedPtrField<v1::Evidence>* out) {
  for (const Fact& f : facts) {
    v1::Evidence* e = out->Add();
    e->set_key(f.key);
    e->set_label(f.label);
    *e->mutable_value() = FactValue(f.unit, f.value, currency);
  }
}

// Counts with a prefix ("reason:"), most frequent first.
void TopReasons(const Counts& c, absl::string_view prefix,
                google::protobuf::RepeatedPtrField<v1::ReasonCount>* out, int limit) {
  std::vector<std::pair<int64_t, std::string>> v;
  for (const auto& [k, n] : c) {
    if (absl::StartsWith(k, prefix) && n > 0) {
      v.push_back({n, k.substr(prefix.size())});
    }
  }
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int i = 0; i < static_cast<int>(v.size()) && i < limit; ++i) {
    v1::ReasonCount* r = out->Add();
    r->set_reason(v[i].second);
    r->set_count(v[i].first);
  }
}

bool HasOpenItem(const v1::BiweeklyReview& r) {
  for (const auto& a : r.action_items()) {
    if (a.state() == v1::ACTION_ITEM_STATE_OPEN && a.carried_to().empty()) {
      return true;
    }
  }
  return false;
}

void IndexOpenItems(Change& c, const std::string& id, const v1::BiweeklyReview& r) {
  if (HasOpenItem(r)) {
    c.AddToIndex(kOpenItemsIndex, id);
  } else {
    c.RemoveFromIndex(kOpenItemsIndex, id);
  }
}

std::string NextItemId(const v1::BiweeklyReview& r) {
  int max = 0;
  for (const auto& a : r.action_items()) {
    int n = 0;
    if (absl::SimpleAtoi(absl::StripPrefix(a.action_item_id(), "a"), &n)) {
      max = std::max(max, n);
    }
  }
  return absl::StrCat("a", max + 1);
}

}  // namespace

// ---------------------------------------------------------------- generation

absl::StatusOr<v1::BiweeklyReview> PerformanceApi::BuildReview(const std::string& member,
                                                               const BiweeklyCycle& cycle) {
  const PerformanceOptions& o = recomputer_.options();
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(member));
  if (!m) {
    return NotFound("MEMBER_NOT_FOUND", absl::StrCat(QuoteUntrusted(MemberName(member), 120),
                                                     " is not in the directory"));
  }
  // The supervisor and the rep's teammates, as the directory has them now.
  std::string supervisor;
  std::vector<std::string> mates;
  if (!m->team.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, org_.MembersOf(m->team));
    for (const std::string& id : ids) {
      if (id == member) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> x, org_.Member(id));
      if (!x || x->left) {
        continue;
      }
      if (x->role == Role::kSupervisor && supervisor.empty()) {
        supervisor = id;
      }
      if (x->role == Role::kRep) {
        mates.push_back(id);
      }
    }
  }
  // The window: this cycle and the ones before it, for everyone, in one read.
  const int k = std::max(2, o.review_window_cycles);
  std::vector<BiweeklyCycle> window{cycle};
  while (static_cast<int>(window.size()) < k) {
    window.push_back(PreviousCycle(window.back(), o.fiscal_year_start_month));
  }
  std::vector<std::string> ids;
  for (const std::string& who : [&] {
         std::vector<std::string> all{member};
         all.insert(all.end(), mates.begin(), mates.end());
         return all;
       }()) {
    for (const BiweeklyCycle& c : window) {
      ids.push_back(ReviewCountersId(c.id, who));
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<FieldMap> maps, repo_.GetMaps(MapKind::kCounters, ids));
  auto counts_of = [&](size_t person, size_t cycle_index) {
    return ToCounts(maps[person * window.size() + cycle_index]);
  };
  ReviewInput in;
  in.current = counts_of(0, 0);
  in.previous = counts_of(0, 1);
  for (size_t i = 0; i < window.size(); ++i) {
    const Counts c = counts_of(0, i);
    AddCounts(in.window, c);
    if (i > 0) {
      AddCounts(in.history, c);
    }
  }
  in.history_cycles = static_cast<int>(window.size()) - 1;
  for (size_t p = 0; p < mates.size(); ++p) {
    Peer peer;
    peer.member = mates[p];
    peer.current = counts_of(p + 1, 0);
    for (size_t i = 0; i < window.size(); ++i) {
      AddCounts(peer.window, counts_of(p + 1, i));
    }
    in.team.push_back(std::move(peer));
  }
  // What is left of the rep's target for the quarter the cycle ends in.
  const FiscalQuarter quarter = QuarterOf(cycle.last, o.fiscal_year_start_month);
  SALESOPS_ASSIGN_OR_RETURN(auto target,
                            repo_.GetFields(MapKind::kTargets, MemberName(member), {quarter.id}));
  if (target[0]) {
    v1::StoredTarget t;
    if (t.ParseFromString(*target[0]) && t.target_minor() > 0 && t.currency_code() == o.currency) {
      in.has_target = true;
      in.gap_minor = std::max<int64_t>(0, t.target_minor() - t.actual_minor());
    }
  }
  const ReviewAnalysis a = AnalyseReview(in, o.review_rules);

  v1::BiweeklyReview r;
  r.set_name(absl::StrCat("reviews/", ReviewId(cycle.id, member)));
  r.set_member(MemberName(member));
  if (!supervisor.empty()) {
    r.set_supervisor(MemberName(supervisor));
  }
  *r.mutable_start_date() = ToDate(cycle.first);
  *r.mutable_end_date() = ToDate(cycle.last);
  r.set_cycle(cycle.id);
  r.set_state(v1::REVIEW_STATE_GENERATED);
  for (const MetricMove& mv : a.changes) {
    v1::MetricChange* c = r.add_changes();
    c->set_metric(static_cast<v1::KpiMetric>(mv.metric));
    *c->mutable_previous() = FactValue(mv.unit, mv.previous, o.currency);
    *c->mutable_current() = FactValue(mv.unit, mv.current, o.currency);
    *c->mutable_team_median() = FactValue(mv.unit, mv.team_median, o.currency);
    c->set_change_basis_points(mv.change_bp);
  }
  auto findings = [&](const std::vector<FindingOut>& from,
                      google::protobuf::RepeatedPtrField<v1::Finding>* to) {
    for (const FindingOut& f : from) {
      v1::Finding* x = to->Add();
      x->set_rule_id(f.rule_id);
      x->set_text(f.text);
      ToEvidence(f.evidence, o.currency, x->mutable_evidence());
    }
  };
  findings(a.strengths, r.mutable_strengths());
  findings(a.gaps, r.mutable_gaps());
  for (const SuggestionOut& s : a.suggestions) {
    v1::Suggestion* x = r.add_suggestions();
    // A rule gives at most one suggestion: its id stays when figures refresh.
    x->set_suggestion_id(s.rule_id);
    x->set_rule_id(s.rule_id);
    x->set_text(s.text);
    x->set_explanation(s.explanation);
    ToEvidence(s.evidence, o.currency, x->mutable_evidence());
    *x->mutable_expected_impact() = Money(s.impact_minor, o.currency);
    x->set_metric(static_cast<v1::KpiMetric>(s.metric));
    *x->mutable_metric_value() = FactValue(s.metric_unit, s.metric_value, o.currency);
    // The library's best published script of the scenario to practise, and
    // the scenario itself (ListSalesScripts by scenario).
    SALESOPS_ASSIGN_OR_RETURN(std::string script, BestScriptFor(s.scenario));
    if (!script.empty()) {
      x->add_resources(script);
    }
    if (!s.scenario.empty()) {
      x->add_resources(absl::StrCat("scriptScenarios/", s.scenario));
    }
  }
  using namespace review_counter;
  v1::PipelineMovement* p = r.mutable_pipeline();
  p->set_created_count(Get(in.current, kCreated));
  *p->mutable_created_amount() = Money(Get(in.current, kCreatedAmount), o.currency);
  p->set_won_count(Get(in.current, kWon));
  *p->mutable_won_amount() = Money(Get(in.current, kBookings), o.currency);
  p->set_lost_count(Get(in.current, kLost));
  TopReasons(in.current, "lost_from:", p->mutable_lost_by_stage(), 10);
  TopReasons(in.current, "reason:", r.mutable_loss_reasons(), kMaxReasons);
  TopReasons(in.current, "competitor:", r.mutable_lost_to_competitors(), kMaxReasons);
  if (in.has_target) {
    *r.mutable_target_gap() = Money(in.gap_minor, o.currency);
  }
  // The scorecard of the quarter, and its change since the previous review.
  const std::string card_id = ScorecardId(quarter.id, MemberName(member));
  const std::string prev_id = ReviewId(PreviousCycle(cycle, o.fiscal_year_start_month).id, member);
  SALESOPS_ASSIGN_OR_RETURN(auto card_doc, repo_.GetDoc(DocKind::kScorecard, card_id));
  v1::Scorecard card;
  if (card_doc && card.ParseFromString(card_doc->data)) {
    r.set_scorecard(absl::StrCat("scorecards/", card_id));
    r.set_scorecard_score_basis_points(card.total_score_basis_points());
    r.set_scorecard_rating(card.rating());
    SALESOPS_ASSIGN_OR_RETURN(auto prev_doc, repo_.GetDoc(DocKind::kReview, prev_id));
    v1::BiweeklyReview prev;
    if (prev_doc && prev.ParseFromString(prev_doc->data) && !prev.scorecard().empty()) {
      r.set_scorecard_change_basis_points(card.total_score_basis_points() -
                                          prev.scorecard_score_basis_points());
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto warnings, repo_.GetMaps(MapKind::kOpenWarnings, {member}));
  std::vector<v1::WarningSummary> open;
  for (const auto& [name, raw] : warnings[0]) {
    v1::WarningSummary w;
    if (w.ParseFromString(raw)) {
      open.push_back(std::move(w));
    }
  }
  std::stable_sort(open.begin(), open.end(), [](const auto& a, const auto& b) {
    return a.raise_time().seconds() < b.raise_time().seconds();
  });
  for (auto& w : open) {
    *r.add_open_warnings() = std::move(w);
  }
  SALESOPS_RETURN_IF_ERROR(AddMarketInsights(m->team, r));
  return r;
}

// The market insights meant for the rep's team (or a unit above it, or for
// everyone) and still valid today, newest first, at most five.
absl::Status PerformanceApi::AddMarketInsights(const std::string& team, v1::BiweeklyReview& r) {
  constexpr int kMaxInsights = 5;
  SALESOPS_ASSIGN_OR_RETURN(auto maps, repo_.GetMaps(MapKind::kInsights, {""}));
  if (maps[0].empty()) {
    return absl::OkStatus();
  }
  std::set<std::string> chain;
  if (!team.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> units, org_.UnitAndAncestors(team));
    for (const std::string& u : units) {
      chain.insert(absl::StrCat("orgUnits/", u));
    }
  }
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), recomputer_.options().tz);
  std::vector<v1::InsightSummary> found;
  for (const auto& [name, raw] : maps[0]) {
    v1::InsightSummary in;
    if (!in.ParseFromString(raw)) {
      continue;
    }
    const auto& d = in.valid_until();
    if (in.has_valid_until() && absl::CivilDay(d.year(), d.month(), d.day()) < today) {
      continue;
    }
    bool meant = in.audience_units().empty();
    for (const std::string& u : in.audience_units()) {
      meant = meant || chain.count(u) > 0;
    }
    if (meant) {
      found.push_back(std::move(in));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.publish_time().seconds() > b.publish_time().seconds();
  });
  for (size_t i = 0; i < found.size() && static_cast<int>(i) < kMaxInsights; ++i) {
    *r.add_market_insights() = std::move(found[i]);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::BiweeklyReview> PerformanceApi::WriteReview(const std::string& member,
                                                               const BiweeklyCycle& cycle,
                                                               const CallContext* call,
                                                               bool refresh,
                                                               const std::string& request_id) {
  const PerformanceOptions& o = recomputer_.options();
  const std::string id = ReviewId(cycle.id, member);
  const std::string name = absl::StrCat("reviews/", id);
  for (int attempt = 0;; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> existing, repo_.GetDoc(DocKind::kReview, id));
    if (existing && !refresh) {
      return AlreadyExists("REVIEW_EXISTS", absl::StrCat(name, " already exists"), name);
    }
    SALESOPS_ASSIGN_OR_RETURN(v1::BiweeklyReview r, BuildReview(member, cycle));
    const absl::Time now = clock_.Now();
    Change c;
    v1::BiweeklyReview old;
    if (existing) {
      if (!old.ParseFromString(existing->data)) {
        return Internal("CORRUPT_DOCUMENT", absl::StrCat(name, " does not parse"));
      }
      if (old.state() != v1::REVIEW_STATE_GENERATED) {
        return FailedPrecondition(
            "REVIEW_ALREADY_DISCUSSED",
            absl::StrCat(name, " was discussed; its figures are kept as they were then"));
      }
      // Figures refreshed; what people wrote stays.
      for (v1::Suggestion& s : *r.mutable_suggestions()) {
        for (const v1::Suggestion& before : old.suggestions()) {
          if (before.rule_id() == s.rule_id() && before.accepted()) {
            s.set_accepted(true);
          }
        }
      }
      *r.mutable_action_items() = old.action_items();
      r.set_supervisor_notes(old.supervisor_notes());
      *r.mutable_generate_time() = old.generate_time();
    } else {
      *r.mutable_generate_time() = ToTs(now);
    }
    // The previous review: on creation its open items move here; the items
    // done there get their "after" value from this cycle (kept current while
    // this review is refreshed).
    const BiweeklyCycle prev_cycle = PreviousCycle(cycle, o.fiscal_year_start_month);
    const std::string prev_id = ReviewId(prev_cycle.id, member);
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> prev_doc, repo_.GetDoc(DocKind::kReview, prev_id));
    v1::BiweeklyReview prev;
    if (prev_doc && prev.ParseFromString(prev_doc->data)) {
      r.set_previous_review(prev.name());
      SALESOPS_ASSIGN_OR_RETURN(
          auto now_counts, repo_.GetMaps(MapKind::kCounters, {ReviewCountersId(cycle.id, member)}));
      const Counts after = ToCounts(now_counts[0]);
      bool changed = false;
      for (v1::ActionItem& item : *prev.mutable_action_items()) {
        if (!existing && item.state() == v1::ACTION_ITEM_STATE_OPEN && item.carried_to().empty()) {
          v1::ActionItem copy = item;
          copy.set_action_item_id(NextItemId(r));
          copy.set_carried_from(prev.name());
          *r.add_action_items() = copy;
          item.set_carried_to(r.name());
          changed = true;
        } else if (item.state() == v1::ACTION_ITEM_STATE_DONE &&
                   item.metric() != v1::KPI_METRIC_UNSPECIFIED) {
          std::optional<int64_t> v = MetricValue(item.metric(), after);
          if (!v) {
            continue;
          }
          const v1::KpiValue value = MakeKpiValue(item.metric(), *v, o.currency);
          if (!item.has_metric_after() ||
              item.metric_after().SerializeAsString() != value.SerializeAsString()) {
            *item.mutable_metric_after() = value;
            changed = true;
          }
          *r.add_outcomes() = item;
        }
      }
      if (changed) {
        *prev.mutable_update_time() = ToTs(now);
        c.PutDoc(DocKind::kReview, prev_id, StoredDoc(prev), prev_doc->version);
        IndexOpenItems(c, prev_id, prev);
      }
    }
    *r.mutable_update_time() = ToTs(now);
    c.PutDoc(DocKind::kReview, id, StoredDoc(r), existing ? existing->version : 0);
    c.AddToIndex(kReviewsIndex, NewestFirstKey(cycle, id));
    c.AddToIndex(ByMemberIndex(member), NewestFirstKey(cycle, id));
    if (!r.supervisor().empty()) {
      c.AddToIndex(BySupervisorIndex(StripName(r.supervisor())), NewestFirstKey(cycle, id));
    }
    IndexOpenItems(c, id, r);
    v1::ReviewGenerated e;
    *e.mutable_review() = r;
    if (call != nullptr) {
      *e.mutable_actor() = ActorOf(*call);
      c.RememberRequest(call->principal.member_id, request_id, name);
      c.Emit(CallEvent(*call, member, name, e, now));
    } else {
      c.Emit(MakeCloudEvent(kPerformanceSource, member, name, e, now, ""));
    }
    absl::Status s = repo_.Commit(c);
    if (ErrorReason(s) == reason::kResourceExists) {
      return AlreadyExists("REVIEW_EXISTS", absl::StrCat(name, " already exists"), name);
    }
    // The previous review or a refreshed one changed meanwhile: read again.
    if (ErrorReason(s) == reason::kEtagMismatch && attempt < 3) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(s);
    SetEtag(r, existing ? existing->version + 1 : 1);
    return r;
  }
}

absl::StatusOr<int> PerformanceApi::GenerateDueReviews(absl::Duration budget) {
  const PerformanceOptions& o = recomputer_.options();
  const absl::Time deadline = clock_.Now() + budget;
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), o.tz);
  const BiweeklyCycle due =
      PreviousCycle(CycleOf(today, o.fiscal_year_start_month), o.fiscal_year_start_month);
  SALESOPS_ASSIGN_OR_RETURN(auto done,
                            repo_.GetFields(MapKind::kRevisions, "", {kReviewsDoneField}));
  if (done[0] && *done[0] == due.id) {
    return 0;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> units, org_.Units());
  // An empty directory (the org topic not read yet) is not "every rep done".
  if (units.empty()) {
    return 0;
  }
  int generated = 0;
  for (const std::string& unit : units) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> members, org_.MembersOf(unit));
    for (const std::string& member : members) {
      SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(member));
      if (!m || m->left || m->role != Role::kRep || m->team != unit) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> have,
                                repo_.GetDoc(DocKind::kReview, ReviewId(due.id, member)));
      if (have) {
        continue;
      }
      if (clock_.Now() > deadline) {
        return generated;  // the next pass goes on
      }
      absl::StatusOr<v1::BiweeklyReview> r = WriteReview(member, due, nullptr, false, "");
      if (r.ok()) {
        ++generated;
      } else if (ErrorReason(r.status()) != "REVIEW_EXISTS") {
        return r.status();  // another replica made it: fine; anything else: retry next pass
      }
    }
  }
  Change c;
  c.SetField(MapKind::kRevisions, "", kReviewsDoneField, due.id);
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  return generated;
}

absl::StatusOr<int> PerformanceApi::NotifyOverdueActionItems() {
  const PerformanceOptions& o = recomputer_.options();
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, o.tz);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                            repo_.Range(kOpenItemsIndex, "", "", kOverdueScan));
  if (ids.empty()) {
    return 0;
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kReview, ids));
  int raised = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::BiweeklyReview r;
    if (!docs[i] || !r.ParseFromString(docs[i]->data)) {
      continue;
    }
    Change c;
    for (v1::ActionItem& item : *r.mutable_action_items()) {
      if (item.state() != v1::ACTION_ITEM_STATE_OPEN || !item.carried_to().empty() ||
          item.overdue_notified() || !IsValidDate(item.due_date()) ||
          DayOf(item.due_date()) >= today) {
        continue;
      }
      item.set_overdue_notified(true);
      v1::ActionItemOverdue e;
      e.set_review(r.name());
      e.set_member(r.member());
      e.set_supervisor(r.supervisor());
      *e.mutable_action_item() = item;
      e.set_days_overdue(static_cast<int32_t>(today - DayOf(item.due_date())));
      c.Emit(MakeCloudEvent(kPerformanceSource, StripName(r.member()), r.name(), e, now, ""));
      ++raised;
    }
    if (c.empty()) {
      continue;
    }
    *r.mutable_update_time() = ToTs(now);
    c.PutDoc(DocKind::kReview, ids[i], StoredDoc(r), docs[i]->version);
    absl::Status s = repo_.Commit(c);
    if (ErrorReason(s) == reason::kEtagMismatch) {
      continue;  // changed meanwhile: next pass
    }
    SALESOPS_RETURN_IF_ERROR(s);
  }
  return raised;
}

// ---------------------------------------------------------------- RPCs

absl::Status PerformanceApi::GenerateReview(const CallContext& call,
                                            const v1::GenerateReviewRequest& req,
                                            v1::GenerateReviewResponse* resp) {
  const PerformanceOptions& o = recomputer_.options();
  Violations v;
  const std::string member = IdOf(v, "member", req.member(), "members");
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), o.tz);
  absl::CivilDay end = today - 1;
  if (req.has_end_date()) {
    if (!IsValidDate(req.end_date())) {
      v.Add("end_date", "not a calendar date");
    } else if (DayOf(req.end_date()) > today) {
      v.Add("end_date", "must not be in the future");
    } else {
      end = DayOf(req.end_date());
    }
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
  if (!ok) {
    return DenyAccess(MemberName(member));
  }
  const BiweeklyCycle cycle = CycleOf(end, o.fiscal_year_start_month);
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  const std::string name = absl::StrCat("reviews/", ReviewId(cycle.id, member));
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, name));
    SALESOPS_ASSIGN_OR_RETURN(auto r, Load<v1::BiweeklyReview>(DocKind::kReview, StripName(stored),
                                                               stored, "REVIEW_NOT_FOUND"));
    *resp->mutable_review() = std::move(r.doc);
    return absl::OkStatus();
  };
  if (seen) {
    return replay(*seen);
  }
  absl::StatusOr<v1::BiweeklyReview> r = WriteReview(member, cycle, &call, true, req.request_id());
  if (ErrorReason(r.status()) == reason::kRequestReplayed) {
    return replay(std::string(r.status().message()));
  }
  SALESOPS_RETURN_IF_ERROR(r.status());
  *resp->mutable_review() = *std::move(r);
  return absl::OkStatus();
}

absl::StatusOr<PerformanceApi::Loaded<v1::BiweeklyReview>> PerformanceApi::LoadReview(
    const CallContext& call, const std::string& field, const std::string& name) {
  Violations v;
  const std::string id = ParseDottedName(v, field, name, "reviews");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(
      auto r, Load<v1::BiweeklyReview>(DocKind::kReview, id, name, "REVIEW_NOT_FOUND"));
  SALESOPS_ASSIGN_OR_RETURN(bool ok,
                            scope_.CoversMember(call.principal, StripName(r.doc.member())));
  if (!ok) {
    return DenyAccess(name);
  }
  return r;
}

absl::Status PerformanceApi::GetReview(const CallContext& call, const v1::GetReviewRequest& req,
                                       v1::GetReviewResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(auto r, LoadReview(call, "name", req.name()));
  *resp->mutable_review() = std::move(r.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListReviews(const CallContext& call, const v1::ListReviewsRequest& req,
                                         v1::ListReviewsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string member, supervisor;
  if (!req.member().empty()) {
    member = ParseResourceName(v, "member", req.member(), "members");
  }
  if (!req.supervisor().empty()) {
    supervisor = ParseResourceName(v, "supervisor", req.supervisor(), "members");
  }
  if (!v1::ReviewState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter =
      absl::StrCat(member, "|", supervisor, "|", req.state(), "|", req.open_action_items_only());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // A rep lists their own reviews only.
  if (call.principal.role == Role::kRep) {
    if (member.empty()) {
      member = call.principal.member_id;
    }
    if (member != call.principal.member_id) {
      return DenyAccess(MemberName(member));
    }
  } else if (!member.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, member));
    if (!ok) {
      return DenyAccess(MemberName(member));
    }
  }
  const std::string index = !member.empty()       ? ByMemberIndex(member)
                            : !supervisor.empty() ? BySupervisorIndex(supervisor)
                                                  : kReviewsIndex;
  std::map<std::string, bool> covered;
  std::vector<v1::BiweeklyReview> out;
  std::string next;
  // Index entries name the review after the sort key; ScanPage loads by the
  // entry, so list through a thin adapter over the ids.
  std::string after = cursor ? cursor->after : "";
  int scanned = 0;
  while (static_cast<int>(out.size()) < page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      if (!after.empty()) {
        next = EncodePageToken({after, filter});
      }
      break;
    }
    const int want = std::min(page_size - static_cast<int>(out.size()), 200);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> keys, repo_.Range(index, "", after, want));
    if (keys.empty()) {
      break;
    }
    std::vector<std::string> ids;
    for (const std::string& k : keys) {
      ids.push_back(IdFromIndexKey(k));
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kReview, ids));
    for (size_t i = 0; i < keys.size() && static_cast<int>(out.size()) < page_size; ++i) {
      after = keys[i];
      ++scanned;
      v1::BiweeklyReview r;
      if (!docs[i] || !r.ParseFromString(docs[i]->data)) {
        continue;
      }
      if (!supervisor.empty() && r.supervisor() != MemberName(supervisor)) {
        continue;
      }
      if (req.state() != v1::REVIEW_STATE_UNSPECIFIED && r.state() != req.state()) {
        continue;
      }
      if (req.open_action_items_only() && !HasOpenItem(r)) {
        continue;
      }
      const std::string who = StripName(r.member());
      auto it = covered.find(who);
      if (it == covered.end()) {
        SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversMember(call.principal, who));
        it = covered.emplace(who, ok).first;
      }
      if (!it->second) {
        continue;
      }
      SetEtag(r, docs[i]->version);
      out.push_back(std::move(r));
    }
    if (static_cast<int>(out.size()) >= page_size) {
      next = EncodePageToken({after, filter});
      break;
    }
    if (static_cast<int>(keys.size()) < want) {
      break;
    }
  }
  for (auto& r : out) {
    *resp->add_reviews() = std::move(r);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status PerformanceApi::UpdateReview(const CallContext& call,
                                          const v1::UpdateReviewRequest& req,
                                          v1::UpdateReviewResponse* resp) {
  Violations v;
  CheckMask(v, req.update_mask(), {"state", "supervisor_notes"});
  if (InMask(req.update_mask(), "supervisor_notes") &&
      req.review().supervisor_notes().size() > kMaxSupervisorNotes) {
    v.Add("review.supervisor_notes", absl::StrCat("at most ", kMaxSupervisorNotes, " bytes"));
  }
  if (InMask(req.update_mask(), "state") && req.review().state() != v1::REVIEW_STATE_DISCUSSED &&
      req.review().state() != v1::REVIEW_STATE_CLOSED) {
    v.Add("review.state", "DISCUSSED or CLOSED");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadReview(call, "review.name", req.review().name()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.review().etag(), cur.version, cur.doc.name()));
  v1::BiweeklyReview r = cur.doc;
  if (InMask(req.update_mask(), "state")) {
    const v1::ReviewState to = req.review().state();
    if (r.state() == v1::REVIEW_STATE_CLOSED && to != v1::REVIEW_STATE_CLOSED) {
      return FailedPrecondition("REVIEW_CLOSED", absl::StrCat(r.name(), " is closed"));
    }
    if (to == v1::REVIEW_STATE_CLOSED && HasOpenItem(r)) {
      return FailedPrecondition("ACTION_ITEMS_OPEN",
                                absl::StrCat(r.name(), " has open action items"));
    }
    r.set_state(to);
  }
  if (InMask(req.update_mask(), "supervisor_notes")) {
    r.set_supervisor_notes(req.review().supervisor_notes());
  }
  *r.mutable_update_time() = ToTs(clock_.Now());
  Change c;
  const std::string id = StripName(r.name());
  c.PutDoc(DocKind::kReview, id, StoredDoc(r), cur.version);
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  SetEtag(r, cur.version + 1);
  *resp->mutable_review() = std::move(r);
  return absl::OkStatus();
}

absl::Status PerformanceApi::AddActionItem(const CallContext& call,
                                           const v1::AddActionItemRequest& req,
                                           v1::AddActionItemResponse* resp) {
  Violations v;
  const v1::ActionItem& in = req.action_item();
  if (in.description().empty()) {
    v.Add("action_item.description", "required");
  } else if (in.description().size() > kMaxDescription) {
    v.Add("action_item.description", absl::StrCat("at most ", kMaxDescription, " bytes"));
  }
  std::string owner;
  if (!in.owner().empty()) {
    owner = ParseResourceName(v, "action_item.owner", in.owner(), "members");
  }
  if (!in.has_due_date()) {
    v.Add("action_item.due_date", "required");
  } else if (!IsValidDate(in.due_date())) {
    v.Add("action_item.due_date", "not a calendar date");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadReview(call, "review", req.review()));
  SALESOPS_ASSIGN_OR_RETURN(auto seen,
                            repo_.FindRequest(call.principal.member_id, req.request_id()));
  if (seen) {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, cur.doc.name()));
    *resp->mutable_review() = std::move(cur.doc);
    return absl::OkStatus();
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, cur.doc.name()));
  v1::BiweeklyReview r = cur.doc;
  if (r.state() == v1::REVIEW_STATE_CLOSED) {
    return FailedPrecondition("REVIEW_CLOSED", absl::StrCat(r.name(), " is closed"));
  }
  if (r.action_items_size() >= kMaxItems) {
    return FailedPrecondition("TOO_MANY_ACTION_ITEMS",
                              absl::StrCat(r.name(), " has ", kMaxItems, " action items"));
  }
  v1::ActionItem item;
  item.set_action_item_id(NextItemId(r));
  item.set_description(in.description());
  item.set_owner(owner.empty() ? r.member() : MemberName(owner));
  *item.mutable_due_date() = in.due_date();
  item.set_state(v1::ACTION_ITEM_STATE_OPEN);
  item.set_note(in.note().substr(0, kMaxNote));
  const absl::Time now = clock_.Now();
  Change c;
  if (!in.suggestion_id().empty()) {
    v1::Suggestion* s = nullptr;
    for (v1::Suggestion& x : *r.mutable_suggestions()) {
      if (x.suggestion_id() == in.suggestion_id()) {
        s = &x;
      }
    }
    if (s == nullptr) {
      return InvalidField(
          "action_item.suggestion_id",
          absl::StrCat("no suggestion ", QuoteUntrusted(in.suggestion_id(), 40), " in ", r.name()));
    }
    item.set_suggestion_id(s->suggestion_id());
    item.set_metric(s->metric());
    *item.mutable_metric_before() = s->metric_value();
    s->set_accepted(true);
    v1::SuggestionAccepted e;
    e.set_review(r.name());
    e.set_member(r.member());
    *e.mutable_suggestion() = *s;
    e.set_action_item_id(item.action_item_id());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(CallEvent(call, StripName(r.member()), r.name(), e, now));
  }
  *r.add_action_items() = item;
  *r.mutable_update_time() = ToTs(now);
  const std::string id = StripName(r.name());
  c.PutDoc(DocKind::kReview, id, StoredDoc(r), cur.version);
  IndexOpenItems(c, id, r);
  c.RememberRequest(call.principal.member_id, req.request_id(), r.name());
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  SetEtag(r, cur.version + 1);
  *resp->mutable_review() = std::move(r);
  return absl::OkStatus();
}

absl::Status PerformanceApi::UpdateActionItem(const CallContext& call,
                                              const v1::UpdateActionItemRequest& req,
                                              v1::UpdateActionItemResponse* resp) {
  Violations v;
  if (req.action_item_id().empty()) {
    v.Add("action_item_id", "required");
  }
  if (!v1::ActionItemState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  if (req.note().size() > kMaxNote) {
    v.Add("note", absl::StrCat("at most ", kMaxNote, " bytes"));
  }
  if (req.has_due_date() && !IsValidDate(req.due_date())) {
    v.Add("due_date", "not a calendar date");
  }
  if (req.state() == v1::ACTION_ITEM_STATE_UNSPECIFIED && !req.has_due_date() &&
      req.note().empty()) {
    v.Add("state", "nothing to change: give a state, a note or a due_date");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadReview(call, "review", req.review()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, cur.doc.name()));
  v1::BiweeklyReview r = cur.doc;
  v1::ActionItem* item = nullptr;
  for (v1::ActionItem& a : *r.mutable_action_items()) {
    if (a.action_item_id() == req.action_item_id()) {
      item = &a;
    }
  }
  if (item == nullptr) {
    return NotFound("ACTION_ITEM_NOT_FOUND",
                    absl::StrCat("no action item ", QuoteUntrusted(req.action_item_id(), 40),
                                 " in ", r.name()));
  }
  if (!item->carried_to().empty()) {
    return FailedPrecondition("ACTION_ITEM_CARRIED",
                              absl::StrCat("the item moved to ", item->carried_to()));
  }
  if (item->state() != v1::ACTION_ITEM_STATE_OPEN) {
    return FailedPrecondition("ACTION_ITEM_FINISHED",
                              absl::StrCat("action item ", item->action_item_id(), " is ",
                                           v1::ActionItemState_Name(item->state())));
  }
  const absl::Time now = clock_.Now();
  if (!req.note().empty()) {
    item->set_note(req.note());
  }
  if (req.has_due_date()) {
    *item->mutable_due_date() = req.due_date();
    item->set_overdue_notified(false);
  }
  Change c;
  const bool finishing =
      req.state() == v1::ACTION_ITEM_STATE_DONE || req.state() == v1::ACTION_ITEM_STATE_CANCELLED;
  if (finishing) {
    item->set_state(req.state());
    *item->mutable_complete_time() = ToTs(now);
    const bool closed = !HasOpenItem(r) && r.state() != v1::REVIEW_STATE_GENERATED;
    if (closed) {
      r.set_state(v1::REVIEW_STATE_CLOSED);
    }
    v1::ActionItemCompleted e;
    e.set_review(r.name());
    e.set_member(r.member());
    *e.mutable_action_item() = *item;
    e.set_review_closed(closed);
    *e.mutable_actor() = ActorOf(call);
    c.Emit(CallEvent(call, StripName(r.member()), r.name(), e, now));
  }
  *r.mutable_update_time() = ToTs(now);
  const std::string id = StripName(r.name());
  c.PutDoc(DocKind::kReview, id, StoredDoc(r), cur.version);
  IndexOpenItems(c, id, r);
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  SetEtag(r, cur.version + 1);
  *resp->mutable_review() = std::move(r);
  return absl::OkStatus();
}

}  // namespace salesops::performance
