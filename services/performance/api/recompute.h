// Keeps statements and scorecards equal to a pure function of their inputs.
// The event projection and the API only record inputs (credit facts, KPI
// counters, targets, awards, adjustments, splits) and mark "work": a rep
// whose statements must be recomputed ("r|<member>") or a scorecard
// ("c|<period>|<subject>"). The Recomputer reads the inputs, runs the domain
// (ComputeStatement along the rep's chain of periods, ComputeScorecard), writes
// what changed and publishes CommissionAccrued / CommissionClawedBack /
// ScorecardUpdated — guarded by the revision of the inputs it read, so a
// change recorded meanwhile makes the commit fail and the work run again.
// Because every input is a set (facts by event id) or a sum (counters), the
// result does not depend on the order events arrived in: replaying the topics
// into an empty keyspace gives the same statements and scorecards, byte for
// byte.
//
//   Recomputer rc(repo, org, clock, options);
//   SALESOPS_RETURN_IF_ERROR(rc.RecomputeRep("rep-1"));      // the API, after an award
//   SALESOPS_ASSIGN_OR_RETURN(int done, rc.RunPending(absl::Seconds(1)));  // the job
//
// The chain of a rep: periods in order; ISSUED and PAID statements are frozen
// (their stored carry is passed on; a late fact of their period becomes a
// restatement adjustment on the first DRAFT after them); DRAFT statements are
// recomputed with the carry of the statement before them.
// Thread-safe (stateless apart from caches keyed by revisions).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "salesops/performance/v1/performance_events.pb.h"
#include "salesops/performance/v1/performance_resources.pb.h"
#include "salesops/performance/v1/performance_store.pb.h"
#include "services/performance/api/model.h"
#include "services/performance/domain/review.h"
#include "services/performance/store/org_view.h"
#include "services/performance/store/performance_repository.h"

namespace salesops::performance {

struct PerformanceOptions {
  absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  int fiscal_year_start_month = 1;
  // Money KPIs and credit facts in other currencies are not counted.
  std::string currency = "CNY";
  ScorecardConfig scorecard = {7'000, {{0, "C"}, {6'000, "B"}, {8'500, "A"}}};
  // Work items RunPending recomputes at once (each is a few Redis round trips
  // and one commit; items never share a key but the work index).
  int recompute_lanes = 4;
  // Biweekly reviews: the rules (domain/review.h) and how many cycles, this
  // one included, the rates are measured over.
  std::vector<ReviewRule> review_rules = DefaultReviewRules();
  int review_window_cycles = 6;
  // A deal this large (minor units, in `currency`) that is won or lost enters
  // the negotiation case library.
  int64_t case_min_amount_minor = 500'000'00;
};

// ---- work items

std::string RepWork(absl::string_view member);
std::string CardWork(absl::string_view period, absl::string_view subject);
// Lists `work` for the Recomputer and bumps its revision.
void MarkWork(Change& c, const std::string& work);
// Remembers `cause` as an event the work's next run reports on.
void NoteCause(Change& c, const std::string& work, const CloudEvent& cause);
// Remembers only the latest cause (scorecards name one cause per update).
void NoteLastCause(Change& c, const std::string& work, const CloudEvent& cause);
// The index of (period, subject) pairs that have a scorecard's inputs.
inline constexpr char kSubjectsIndex[] = "subjects";
inline constexpr char kRepsIndex[] = "reps";
inline constexpr char kWorkIndex[] = "work";
std::string PeriodsIndex(absl::string_view member);
// KPI counters are kept per member and team they worked for in a period
// (MapKind::kCounters id); a member's figures sum their teams', a team's its members'.
std::string MemberCountersId(absl::string_view period, absl::string_view member,
                             absl::string_view team);
std::string MemberTeamsIndex(absl::string_view member, absl::string_view period);
// A rep's counters of one biweekly cycle for reviews (MapKind::kCounters id;
// fields in domain/review.h review_counter).
std::string ReviewCountersId(absl::string_view cycle, absl::string_view member);
std::string TeamMembersIndex(absl::string_view team, absl::string_view period);
std::string MemberStatementsIndex(absl::string_view member);
inline constexpr char kStatementsIndex[] = "st";
inline constexpr char kScorecardsIndex[] = "card";
// The revision fields bumped by plan and KPI changes (caches follow them).
inline constexpr char kPlansRevision[] = "plans";
inline constexpr char kKpisRevision[] = "kpis";

// The negotiation case library, newest first: "<inverted close time>|<opportunity>".
inline constexpr char kCasesIndex[] = "case";
std::string CaseIndexKey(absl::Time close, absl::string_view opportunity);
// Counter fields of a subject and period (MapKind::kCounters).
namespace counter {
inline constexpr char kBookings[] = "bookings";
inline constexpr char kCollections[] = "collections";
inline constexpr char kWon[] = "won";
inline constexpr char kLost[] = "lost";
inline constexpr char kCycleDays[] = "cycle_days";
inline constexpr char kCycleDeals[] = "cycle_n";
inline constexpr char kVisits[] = "visits";
inline constexpr char kActivities[] = "activities";
inline constexpr char kCsatSum[] = "csat_sum";
inline constexpr char kCsatCount[] = "csat_n";
inline constexpr char kTasksOnTime[] = "tasks_on_time";
inline constexpr char kNewCustomers[] = "new_customers";
inline constexpr char kOverdue[] = "overdue";
inline constexpr char kPipeline[] = "pipeline";
}  // namespace counter

// ---- plans

// The commission plans (all states), grouped into chains linked by `supersedes`.
struct PlanCatalog {
  std::map<std::string, Doc> docs;                         // plan id → stored doc
  std::map<std::string, v1::CommissionPlan> plans;         // plan id → plan (etag set)
  std::map<std::string, std::vector<std::string>> chains;  // root id → ids by version
  std::map<std::string, std::string> root_of;              // plan id → root id
  // The chain that applies to a member with this role and unit ancestry in a
  // period (members listed > org units > roles > everyone; then the smallest
  // root id), "" when none has an ACTIVE or RETIRED version overlapping it.
  std::string Select(const std::string& member, const std::vector<std::string>& units, Role role,
                     const FiscalQuarter& period) const;
  // The chain's versions as the engine takes them (DRAFT ones left out), and
  // their names.
  absl::StatusOr<std::vector<CommissionPlan>> Versions(const std::string& root, absl::TimeZone tz,
                                                       PlanVersionNames* names) const;
  // The version in effect on `day` ("" = none).
  std::string VersionOn(const std::string& root, absl::CivilDay day) const;
};

// A statement of a rep's chain after a computation.
struct ChainEntry {
  FiscalQuarter period;
  std::string id;
  std::optional<Doc> stored;
  v1::CommissionStatement current;  // the stored statement (when any)
  StatementState state = StatementState::kDraft;
  StatementInput input;
  std::optional<Statement> computed;
  absl::Status error;
  v1::CommissionStatement proto;  // drafts: the statement to store
  std::string plan_root;
  PlanVersionNames plan_names;
  std::vector<v1::StoredFact> facts;
};

struct RepState {
  std::string member;
  std::string revision;
  std::vector<ChainEntry> chain;
  FieldMap causes;
  ChainEntry* Find(const std::string& period);
};

struct CardState {
  std::string period;
  std::string subject;
  std::string revision;
  std::optional<Doc> stored;
  std::optional<v1::Scorecard> computed;  // nullopt: nothing to score (no KPI, no OKR)
  absl::Status error;
  FieldMap causes;
};

class Recomputer {
 public:
  Recomputer(PerformanceRepository& repo, OrgView& org, const Clock& clock,
             PerformanceOptions options);

  const PerformanceOptions& options() const { return options_; }

  absl::StatusOr<std::shared_ptr<const PlanCatalog>> Plans();
  // Every KPI definition (etag set).
  absl::StatusOr<std::shared_ptr<const std::vector<v1::KpiDefinition>>> Kpis();

  // Reads a rep's inputs and computes their chain (no writes).
  absl::StatusOr<RepState> ComputeRep(const std::string& member);
  // Writes the DRAFT statements that changed, their events, and clears the
  // work item, guarded by the revision read; `extra` commits with it.
  absl::Status CommitRep(const RepState& state, Change extra = {});
  // ComputeRep + CommitRep, retried when the inputs changed meanwhile.
  absl::Status RecomputeRep(const std::string& member);

  // The KPI values of a subject and period, for every definition given.
  absl::StatusOr<std::vector<KpiActual>> Actuals(
      const std::string& period, const std::string& subject,
      const std::vector<v1::KpiDefinition>& kpis,
      std::map<std::string, int64_t>* target_overrides = nullptr);
  // The KPI definitions that score this subject in this period (weights of
  // the member's role; a team is scored on its reps' KPIs).
  absl::StatusOr<std::vector<v1::KpiDefinition>> KpisFor(const std::string& period,
                                                         const std::string& subject);
  absl::StatusOr<CardState> ComputeCard(const std::string& period, const std::string& subject);
  // Writes the scorecard when it changed (ScorecardUpdated), clears the work.
  // Returns the stored scorecard.
  absl::StatusOr<std::optional<v1::Scorecard>> CommitCard(const CardState& state,
                                                          Change extra = {});
  absl::StatusOr<std::optional<v1::Scorecard>> RecomputeCard(const std::string& period,
                                                             const std::string& subject);

  // Runs listed work until none is left or `budget` has passed; returns how
  // many items ran. Items whose inputs changed meanwhile stay listed.
  // `debounce`: an item runs only once its inputs stayed unchanged between
  // two calls (or after kMaxDeferrals calls), so a rep whose deals are
  // streaming in (a replay, a bulk load) is recomputed once when the burst
  // is over rather than after every batch; one pass over the list per call.
  absl::StatusOr<int> RunPending(absl::Duration budget, bool debounce = false);
  static constexpr int kMaxDeferrals = 20;

 private:
  // Recomputes one work item; a lost race leaves it listed.
  absl::Status RunOne(const std::string& item);

  PerformanceRepository& repo_;
  OrgView& org_;
  const Clock& clock_;
  PerformanceOptions options_;
  absl::Mutex mu_;
  std::string plans_rev_ ABSL_GUARDED_BY(mu_) = "-";
  std::shared_ptr<const PlanCatalog> plans_ ABSL_GUARDED_BY(mu_);
  std::string kpis_rev_ ABSL_GUARDED_BY(mu_) = "-";
  std::shared_ptr<const std::vector<v1::KpiDefinition>> kpis_ ABSL_GUARDED_BY(mu_);
  // Debounce: the revision each listed item had at the previous call, and
  // how often it was deferred.
  std::map<std::string, std::pair<std::string, int>> last_seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::performance
