#include "services/forecast/jobs/forecast_jobs.h"

#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "services/forecast/domain/accuracy.h"
#include "services/forecast/domain/scope_forecast.h"

namespace salesops::forecast {
namespace {

constexpr int kPage = 1000;
constexpr int kMaxRetries = 5;
// A provisional forecast written this recently means a replica is still
// catching up: the refresh waits.
constexpr absl::Duration kProvisionalSettles = absl::Seconds(10);
constexpr Stage kOpenStages[] = {Stage::kLead, Stage::kQualified, Stage::kProposal,
                                 Stage::kNegotiation, Stage::kContract};

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

// All ids of an index, page by page.
absl::StatusOr<std::vector<std::string>> AllIds(ForecastRepository& repo,
                                                const std::string& index) {
  std::vector<std::string> out;
  std::string after;
  for (;;) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> page, repo.Range(index, after, kPage));
    out.insert(out.end(), page.begin(), page.end());
    if (static_cast<int>(page.size()) < kPage) {
      return out;
    }
    after = page.back();
  }
}

}  // namespace

absl::Status ForecastJobs::RunOnce() {
  const absl::Time now = clock_.Now();
  absl::Status first;
  auto note = [&](const char* job, const absl::Status& s) {
    if (s.ok()) {
      return;
    }
    LogWarning("forecast job failed", {{"job", job}, {"error", std::string(s.message())}});
    if (first.ok()) {
      first = s;
    }
  };
  note("snapshots", TakeSnapshots(now).status());
  note("close", ClosePeriods(now).status());
  note("refresh", Refresh(now, false).status());
  return first;
}

absl::Status ForecastJobs::CommitInBatches(std::vector<ForecastChange>& changes) {
  for (const ForecastChange& c : changes) {
    if (c.empty()) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(CommitOutcome r, repo_.Commit(c, nullptr));
    if (!r.committed) {
      return Aborted(reason::kWriteConflict,
                     absl::StrCat("job write guard failed: ", r.failed_tag));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- snapshots

absl::StatusOr<int> ForecastJobs::TakeSnapshots(absl::Time now) {
  const absl::CivilDay today = absl::ToCivilDay(now, engine_.options().tz);
  const std::string week = IsoWeek(today);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ActivePeriod> periods,
                            engine_.ActivePeriods(today, nullptr));
  int taken = 0;
  for (const ActivePeriod& ap : periods) {
    if (ap.period.start > today || ap.period.end < today) {
      continue;  // current periods only
    }
    const std::string marker = absl::StrCat("snap:", ap.id, ":", week);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> done, repo_.GetFields(MetaHash(), {marker}));
    if (!done[0].empty()) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                              AllIds(repo_, ForecastIndex(ap.id, "")));
    std::vector<std::string> all_lines;
    for (const std::string& id : ids) {
      std::optional<ForecastKey> k = ParseForecastId(id);
      if (k && k->scope.product_line.empty()) {
        all_lines.push_back(id);
      }
    }
    for (size_t start = 0; start < all_lines.size(); start += options_.batch) {
      const size_t end = std::min(all_lines.size(), start + options_.batch);
      std::vector<std::string> ids_chunk(all_lines.begin() + start, all_lines.begin() + end);
      std::vector<std::string> call_ids, snap_ids;
      for (const std::string& id : ids_chunk) {
        call_ids.push_back(CallId(id, false));
        call_ids.push_back(CallId(id, true));
        snap_ids.push_back(SnapshotId(id, week));
      }
      SALESOPS_ASSIGN_OR_RETURN(
          std::vector<ReadResult> r,
          repo_.Read({DocsOp(DocKind::kForecast, ids_chunk), DocsOp(DocKind::kCall, call_ids),
                      DocsOp(DocKind::kSnapshot, snap_ids)}));
      std::vector<ForecastChange> one_each;
      ForecastChange all;
      for (size_t i = 0; i < ids_chunk.size(); ++i) {
        if (!r[0].docs[i] || r[2].docs[i]) {
          continue;  // gone, or already taken this week
        }
        v1::ForecastSnapshot s;
        SALESOPS_RETURN_IF_ERROR(ParseDoc(*r[0].docs[i], s.mutable_forecast()));
        s.set_name(absl::StrCat("forecastSnapshots/", snap_ids[i]));
        *s.mutable_snapshot_time() = ToTs(now);
        s.set_weeks_before_period_end(WeeksBefore(today, ap.period.end));
        s.set_week(week);
        for (int k = 0; k < 2; ++k) {
          const std::optional<Doc>& call = r[1].docs[2 * i + k];
          if (!call) {
            continue;
          }
          v1::ForecastCall c;
          SALESOPS_RETURN_IF_ERROR(ParseDoc(*call, &c));
          *(k == 0 ? s.mutable_submitted_call() : s.mutable_adjusted_call()) = c.amount();
        }
        const std::optional<ForecastKey> key = ParseForecastId(ids_chunk[i]);
        ForecastChange c;
        c.PutDoc(DocKind::kSnapshot, snap_ids[i], s.SerializeAsString(), 0);
        c.AddToIndex(SnapshotIndex(ScopeKey(key->scope), key->category), snap_ids[i]);
        c.AddToIndex(SnapshotPeriodIndex(ap.id), snap_ids[i]);
        // The same writes once more for the batch.
        all.PutDoc(DocKind::kSnapshot, snap_ids[i], s.SerializeAsString(), 0);
        all.AddToIndex(SnapshotIndex(ScopeKey(key->scope), key->category), snap_ids[i]);
        all.AddToIndex(SnapshotPeriodIndex(ap.id), snap_ids[i]);
        one_each.push_back(std::move(c));
      }
      if (one_each.empty()) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(CommitOutcome out, repo_.Commit(all, nullptr));
      if (out.committed) {
        taken += static_cast<int>(one_each.size());
        continue;
      }
      // Another instance is taking the same snapshots: one by one, skipping theirs.
      for (const ForecastChange& c : one_each) {
        SALESOPS_ASSIGN_OR_RETURN(CommitOutcome o, repo_.Commit(c, nullptr));
        if (o.committed) {
          ++taken;
        }
      }
    }
    ForecastChange mark;
    mark.SetField(MetaHash(), marker, absl::StrCat(absl::ToUnixSeconds(now)));
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(mark, nullptr).status());
  }
  stats_counters_.snapshots += taken;
  return taken;
}

// ---------------------------------------------------------------- close

absl::StatusOr<int> ForecastJobs::ClosePeriods(absl::Time now) {
  const absl::CivilDay today = absl::ToCivilDay(now, engine_.options().tz);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> period_ids, AllIds(repo_, PeriodsIndex()));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> period_docs,
                            repo_.GetDocs(DocKind::kPeriod, period_ids));
  int closed = 0;
  for (const std::optional<Doc>& pd : period_docs) {
    if (!pd) {
      continue;
    }
    v1::PeriodRecord p;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*pd, &p));
    if (p.deleted() || !ValidDate(p.end()) || FromDate(p.end()) >= today) {
      continue;
    }
    const std::string marker = absl::StrCat("closed:", p.id());
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> done, repo_.GetFields(MetaHash(), {marker}));
    if (!done[0].empty()) {
      continue;
    }
    const Period period = PeriodOf(p);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                              AllIds(repo_, SnapshotPeriodIndex(p.id())));
    for (size_t start = 0; start < ids.size(); start += options_.batch) {
      const size_t end = std::min(ids.size(), start + options_.batch);
      std::vector<std::string> chunk(ids.begin() + start, ids.begin() + end);
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                                repo_.GetDocs(DocKind::kSnapshot, chunk));
      // The scopes' bookings in the period's months.
      std::vector<std::string> scope_keys;
      std::vector<v1::ForecastSnapshot> snaps(chunk.size());
      for (size_t i = 0; i < chunk.size(); ++i) {
        std::optional<ForecastKey> k = ParseForecastId(ForecastIdOf(chunk[i]));
        scope_keys.push_back(k ? ScopeKey(k->scope) : "");
        if (docs[i]) {
          SALESOPS_RETURN_IF_ERROR(ParseDoc(*docs[i], &snaps[i]));
        }
      }
      std::vector<ReadOp> ops;
      for (absl::CivilMonth m : MonthsOf(period)) {
        ops.push_back(FieldsOp(BookingsHash(m), scope_keys));
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> booked, repo_.Read(ops));
      ForecastChange c;
      int in_chunk = 0;
      for (size_t i = 0; i < chunk.size(); ++i) {
        if (!docs[i] || snaps[i].has_actual()) {
          continue;
        }
        int64_t actual = 0;
        for (const ReadResult& r : booked) {
          actual += ToInt(r.values[i]);
        }
        v1::ForecastSnapshot& s = snaps[i];
        const std::string currency = s.forecast().amount().currency_code();
        const int64_t amount = s.forecast().amount().amount_minor();
        *s.mutable_actual() = Money(actual, currency);
        *s.mutable_error() = Money(amount - actual, currency);
        s.set_absolute_percentage_error_basis_points(AbsolutePercentageErrorBp(amount, actual));
        s.set_within_interval(actual >= s.forecast().interval_low().amount_minor() &&
                              actual <= s.forecast().interval_high().amount_minor());
        c.PutDoc(DocKind::kSnapshot, chunk[i], s.SerializeAsString(), docs[i]->version);
        ++in_chunk;
      }
      if (in_chunk == 0) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(CommitOutcome r, repo_.Commit(c, nullptr));
      if (!r.committed) {
        return Aborted(reason::kWriteConflict,
                       "snapshots changed while closing the period; next round");
      }
      closed += in_chunk;
    }
    ForecastChange mark;
    mark.SetField(MetaHash(), marker, absl::StrCat(absl::ToUnixSeconds(now)));
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(mark, nullptr).status());
  }
  stats_counters_.snapshots_closed += closed;
  return closed;
}

// ---------------------------------------------------------------- refresh

absl::StatusOr<std::vector<DealRecord>> ForecastJobs::LoadDeals() {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, AllIds(repo_, DealsIndex()));
  std::vector<DealRecord> out;
  out.reserve(ids.size());
  for (size_t start = 0; start < ids.size(); start += kPage) {
    std::vector<std::string> chunk(ids.begin() + start,
                                   ids.begin() + std::min(ids.size(), start + kPage));
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kDeal, chunk));
    for (const std::optional<Doc>& d : docs) {
      if (!d) {
        continue;
      }
      v1::DealRecord r;
      SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &r));
      out.push_back(FromProto(r));
    }
  }
  return out;
}

absl::StatusOr<bool> ForecastJobs::Refresh(absl::Time now, bool force) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> meta,
                            repo_.GetFields(MetaHash(), {"refresh_at", "periods_rev",
                                                         "refresh_periods_rev", "provisional"}));
  const int64_t last = ToInt(meta[0]);
  const bool periods_changed = meta[1] != meta[2];
  const bool provisional = !meta[3].empty();
  const absl::Time wall = options_.wall_clock->Now();
  // While this replica is behind, or another wrote a provisional forecast
  // just now, the figures are partial: wait, but never past the hourly
  // refresh (a replica stuck behind must not stop it).
  if (!first_call_) {
    first_call_ = now;
  }
  const absl::Time since = meta[0].empty() ? *first_call_ : absl::FromUnixSeconds(last);
  const bool hourly_due = now - since >= options_.refresh_interval;
  if (!force && !hourly_due &&
      ((options_.behind && options_.behind()) ||
       (provisional && wall < absl::FromUnixSeconds(ToInt(meta[3])) + kProvisionalSettles))) {
    return false;
  }
  if (!force && !periods_changed && !provisional && !meta[0].empty() &&
      now - absl::FromUnixSeconds(last) < options_.refresh_interval) {
    return false;
  }
  // One instance per round: whoever moves refresh_at from what it read.
  ForecastChange claim;
  claim.ExpectField(MetaHash(), "refresh_at", meta[0], "refresh");
  claim.SetField(MetaHash(), "refresh_at", absl::StrCat(absl::ToUnixSeconds(now)));
  claim.SetField(MetaHash(), "refresh_periods_rev", meta[1]);

  SALESOPS_ASSIGN_OR_RETURN(CommitOutcome won, repo_.Commit(claim, nullptr));
  if (!won.committed) {
    return false;
  }

  const absl::Time started = absl::Now();
  SALESOPS_ASSIGN_OR_RETURN(std::vector<DealRecord> deals, LoadDeals());
  SALESOPS_RETURN_IF_ERROR(stats_.Reload());
  SALESOPS_RETURN_IF_ERROR(LearnStageProbabilities(deals, now));
  SALESOPS_RETURN_IF_ERROR(FitModels(deals, now));
  // A team that failed is logged and tried again by the next hourly refresh.
  SALESOPS_ASSIGN_OR_RETURN(const int failed, RecomputeAll(deals, now));
  if (provisional) {
    // Unless a provisional forecast was written since the read above.
    ForecastChange settled;
    settled.ExpectField(MetaHash(), "provisional", meta[3], "provisional");
    settled.SetField(MetaHash(), "provisional", "");
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(settled, nullptr).status());
  }
  ++stats_counters_.refreshes;
  LogInfo("forecast refresh done",
          {{"deals", absl::StrCat(deals.size())},
           {"teams_failed", absl::StrCat(failed)},
           {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - started))}});
  return true;
}

absl::Status ForecastJobs::LearnStageProbabilities(const std::vector<DealRecord>& deals,
                                                   absl::Time now) {
  const absl::CivilDay today = absl::ToCivilDay(now, engine_.options().tz);
  // Every scope's own counts (a sample of 1 is enough to report; the engine's
  // fallback decides what is used).
  SALESOPS_ASSIGN_OR_RETURN(StageStatistics raw, LearnAsOf(deals, today, 1));
  struct Window {
    absl::CivilDay first = absl::CivilDay(9999, 12, 31), last = absl::CivilDay(1, 1, 1);
  };
  std::map<std::pair<std::string, std::string>, Window> scopes;
  for (const DealRecord& d : deals) {
    if (d.outcome == Outcome::kOpen || d.team.empty()) {
      continue;
    }
    for (const auto& key :
         {std::make_pair(d.team, d.product_line), std::make_pair(d.team, std::string()),
          std::make_pair(std::string(), d.product_line),
          std::make_pair(std::string(), std::string())}) {
      Window& w = scopes[key];
      w.first = std::min(w.first, d.closed);
      w.last = std::max(w.last, d.closed);
    }
  }
  std::vector<v1::StageProbability> docs;
  for (const auto& [key, window] : scopes) {
    const auto& [team, line] = key;
    for (Stage stage : kOpenStages) {
      absl::StatusOr<StageEstimate> e = raw.Estimate(team, line, stage);
      if (!e.ok() || e->team != team || e->product_line != line) {
        continue;
      }
      v1::StageProbability p;
      const std::string id = StageProbabilityId(team, line, StageName(stage));
      p.set_name(absl::StrCat("stageProbabilities/", id));
      if (!team.empty()) {
        p.set_team(absl::StrCat("orgUnits/", team));
      }
      if (!line.empty()) {
        p.set_product_line(absl::StrCat("orgUnits/", line));
      }
      p.set_stage(static_cast<customers::v1::OpportunityStage>(static_cast<int>(stage)));
      p.set_win_probability_basis_points(e->win_probability_bp);
      p.set_median_days_to_close(e->time_to_close.median_days);
      p.set_p80_days_to_close(e->time_to_close.p80_days);
      p.set_sample_size(e->sample_size);
      *p.mutable_window_start_date() = ToDate(window.first);
      *p.mutable_window_end_date() = ToDate(window.last);
      docs.push_back(std::move(p));
    }
  }
  std::vector<std::string> ids;
  for (const v1::StageProbability& p : docs) {
    ids.push_back(IdIn(p.name(), "stageProbabilities"));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> stored,
                            repo_.GetDocs(DocKind::kStageProbability, ids));
  v1::StageProbabilitiesUpdated event;
  std::vector<ForecastChange> changes(1);
  for (size_t i = 0; i < docs.size(); ++i) {
    v1::StageProbability& p = docs[i];
    if (stored[i]) {
      v1::StageProbability old;
      SALESOPS_RETURN_IF_ERROR(ParseDoc(*stored[i], &old));
      old.clear_update_time();
      if (old.SerializeAsString() == p.SerializeAsString()) {
        continue;
      }
    }
    *p.mutable_update_time() = ToTs(now);
    if (changes.back().puts().size() >= static_cast<size_t>(options_.batch)) {
      changes.emplace_back();
    }
    changes.back().PutDoc(DocKind::kStageProbability, ids[i], p.SerializeAsString(), kAnyVersion);
    if (!stored[i]) {
      changes.back().AddToIndex(StageProbabilityIndex(), ids[i]);
    }
    *event.add_stage_probabilities() = p;
  }
  if (event.stage_probabilities_size() > 0) {
    changes.back().Emit(
        MakeCloudEvent(kForecastSource, "stage-probabilities", "stageProbabilities", event, now));
  }
  return CommitInBatches(changes);
}

absl::Status ForecastJobs::FitModels(const std::vector<DealRecord>& deals, absl::Time now) {
  const absl::CivilDay today = absl::ToCivilDay(now, engine_.options().tz);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ActivePeriod> periods,
                            engine_.ActivePeriods(today, nullptr));
  if (periods.empty()) {
    return absl::OkStatus();
  }
  absl::CivilMonth until(periods.front().period.end);
  for (const ActivePeriod& p : periods) {
    until = std::max(until, absl::CivilMonth(p.period.end));
  }
  const Period& current = periods.front().period;

  // The deals of every scope: a member's line, the member, each unit above (per line and all).
  std::map<std::string, std::vector<const DealRecord*>> by_scope;
  std::set<std::string> leaves;
  absl::flat_hash_map<std::string, std::vector<std::string>> chains;
  for (const DealRecord& d : deals) {
    if (d.team.empty() || d.owner.empty()) {
      continue;
    }
    auto it = chains.find(d.team);
    if (it == chains.end()) {
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, engine_.Chain(d.team));
      it = chains.emplace(d.team, std::move(chain)).first;
    }
    const std::string leaf = ScopeKey({d.team, d.owner, d.product_line});
    leaves.insert(leaf);
    by_scope[leaf].push_back(&d);
    by_scope[ScopeKey({d.team, d.owner, ""})].push_back(&d);
    for (const std::string& unit : it->second) {
      by_scope[ScopeKey({unit, "", d.product_line})].push_back(&d);
      by_scope[ScopeKey({unit, "", ""})].push_back(&d);
    }
  }

  // Back-test origins and what was known at each (learned once for every scope).
  std::vector<BacktestOrigin> origins = BacktestOrigins(current, today, options_.backtest_periods);
  std::vector<StageStatistics> origin_stats;
  origin_stats.reserve(origins.size());
  for (const BacktestOrigin& o : origins) {
    SALESOPS_ASSIGN_OR_RETURN(StageStatistics s,
                              LearnAsOf(deals, o.as_of, engine_.options().min_sample));
    origin_stats.push_back(std::move(s));
  }
  for (size_t i = 0; i < origins.size(); ++i) {
    origins[i].stats = &origin_stats[i];
  }
  BacktestOptions bo;
  bo.series.history_months = options_.history_months;
  bo.series.confidence = engine_.options().confidence;
  bo.prior_win_probability = engine_.options().priors;
  SeriesFitOptions so = bo.series;

  std::vector<std::string> keys;
  for (const auto& [key, list] : by_scope) {
    keys.push_back(key);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> stored,
                            repo_.GetDocs(DocKind::kScopeModel, keys));
  std::vector<ForecastChange> changes(1);
  const std::string week = IsoWeek(today);
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::vector<const DealRecord*>& list = by_scope[keys[i]];
    // What the fit depends on: the week (back-test origins), the horizon, the closed deals.
    int64_t won = 0, won_sum = 0, lost = 0;
    for (const DealRecord* d : list) {
      if (d->outcome == Outcome::kWon) {
        ++won;
        won_sum += d->amount_minor;
      } else if (d->outcome == Outcome::kLost) {
        ++lost;
      }
    }
    const std::string fingerprint =
        absl::StrCat(week, "|", MonthKey(until), "|", won, "|", won_sum, "|", lost);
    if (stored[i]) {
      v1::ScopeModel old;
      SALESOPS_RETURN_IF_ERROR(ParseDoc(*stored[i], &old));
      if (old.fingerprint() == fingerprint) {
        continue;
      }
    }
    v1::ScopeModel m;
    m.set_scope(keys[i]);
    m.set_fingerprint(fingerprint);
    *m.mutable_compute_time() = ToTs(now);
    m.set_chosen(v1::FORECAST_MODEL_PIPELINE_WEIGHTED);
    absl::StatusOr<std::optional<SeriesModel>> series = FitMonthlySeries(list, today, until, so);
    if (series.ok() && series->has_value()) {
      const SeriesModel& s = **series;
      m.set_first_month(MonthKey(s.path.first));
      for (size_t h = 0; h < s.path.mean.size(); ++h) {
        m.add_mean_minor(s.path.mean[h]);
        m.add_low_minor(s.path.low[h]);
        m.add_high_minor(s.path.high[h]);
      }
      m.set_series_model(ModelOf(s.method));
      m.set_series_detail(s.detail);
    }
    if (leaves.contains(keys[i])) {
      absl::StatusOr<Backtest> bt = RunBacktest(list, origins, bo);
      if (bt.ok()) {
        m.set_backtest_periods(bt->compared);
        if (bt->pipeline_mape) {
          m.set_pipeline_mape_bp(static_cast<int32_t>(std::llround(*bt->pipeline_mape * 10000)));
        }
        if (bt->series_mape) {
          m.set_series_mape_bp(static_cast<int32_t>(std::llround(*bt->series_mape * 10000)));
        }
        if (bt->series_better && m.mean_minor_size() > 0) {
          m.set_chosen(m.series_model());
        }
      }
    }
    ++stats_counters_.models_fitted;
    if (changes.back().puts().size() >= static_cast<size_t>(options_.batch)) {
      changes.emplace_back();
    }
    changes.back().PutDoc(DocKind::kScopeModel, keys[i], m.SerializeAsString(), kAnyVersion);
    if (!stored[i]) {
      changes.back().AddToIndex(ScopeModelIndex(), keys[i]);
    }
  }
  return CommitInBatches(changes);
}

absl::StatusOr<int> ForecastJobs::RecomputeAll(const std::vector<DealRecord>& deals,
                                               absl::Time now) {
  int failed = 0;
  std::map<std::string, std::set<Leaf>> by_team;
  for (const DealRecord& d : deals) {
    if (d.team.empty() || d.owner.empty()) {
      continue;
    }
    by_team[d.team].insert(Leaf{d.team, d.owner, d.product_line});
  }
  for (const auto& [team, set] : by_team) {
    const std::vector<Leaf> leaves(set.begin(), set.end());
    absl::Status last;
    for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
      ForecastChange change;
      last = engine_.Recompute(leaves, Pending{}, Cause{}, now, change);
      if (!last.ok()) {
        break;
      }
      absl::StatusOr<CommitOutcome> r = repo_.Commit(change, nullptr);
      if (!r.ok()) {
        last = r.status();
        break;
      }
      if (r->committed) {
        break;
      }
      engine_.InvalidatePeriods();
      last = Aborted(reason::kWriteConflict, absl::StrCat("team ", team, " kept changing"));
    }
    if (!last.ok()) {
      // One team's trouble does not stop the others; the next round tries again.
      LogWarning("forecast refresh of a team failed",
                 {{"team", team}, {"error", std::string(last.message())}});
      ++failed;
    }
  }
  return failed;
}

}  // namespace salesops::forecast
