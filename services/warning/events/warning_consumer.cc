#include "services/warning/events/warning_consumer.h"

#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"

namespace salesops::warning {
namespace {

namespace cv1 = customers::v1;

// The pipeline contribution of a deal moves from (rep, team, weighted) before
// to after.
void PipelineDelta(const v1::SubjectState& before, const v1::SubjectState& after,
                   absl::flat_hash_map<std::string, int64_t>* delta) {
  auto add = [&](const std::string& who, int64_t by) {
    if (!who.empty() && by != 0) {
      (*delta)[who] += by;
    }
  };
  add(before.rep(), -before.weighted_minor());
  add(before.org_unit(), -before.weighted_minor());
  add(after.rep(), after.weighted_minor());
  add(after.org_unit(), after.weighted_minor());
  for (auto it = delta->begin(); it != delta->end();) {
    if (it->second == 0) {
      delta->erase(it++);
    } else {
      ++it;
    }
  }
}

constexpr int kAttempts = 8;
// Writes (and events) per combined commit of a wave (~12 events): Redis runs one
// chunk while the engine evaluates the next, and the last one, which nothing
// overlaps, stays short. 256 did best of 128–4,096 in warning_bench.
constexpr size_t kWaveChunkWrites = 256;

}  // namespace

absl::StatusOr<SubjectUpdate> WarningConsumer::Load(const std::string& key) {
  SubjectUpdate u;
  u.key = key;
  SALESOPS_ASSIGN_OR_RETURN(auto got, store_.GetSubject(key));
  if (got) {
    u.state = std::move(got->doc);
    u.version = got->version;
  }
  return u;
}

absl::StatusOr<WarningConsumer::Change> WarningConsumer::Decode(const CloudEvent& event) const {
  const std::string& t = event.type;
  const StageWeights w = engine_.options().stage_weights;
  const absl::TimeZone tz = engine_.options().tz;
  const absl::Time time = event.time;
  auto Watch = [&](const std::string& key, std::function<bool(v1::SubjectState*)> apply,
                   std::string period_of = "") -> absl::StatusOr<Change> {
    if (key.empty()) {
      return InvalidField("subject", absl::StrCat(t, " names no subject"));
    }
    return Change{key, std::move(apply), std::move(period_of)};
  };

  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    return Watch(e.opportunity(),
                 [=](v1::SubjectState* st) { return ApplyOpportunityCreated(e, time, w, st); });
  } else if (t == "salesops.customers.v1.OpportunityStageChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(event));
    return Watch(e.opportunity(),
                 [=](v1::SubjectState* st) { return ApplyStageChanged(e, time, w, st); });
  } else if (t == "salesops.customers.v1.OpportunityUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityUpdated>(event));
    return Watch(e.opportunity().name(), [=](v1::SubjectState* st) {
      return ApplyOpportunityUpdated(e.opportunity(), w, st);
    });
  } else if (t == "salesops.customers.v1.OpportunityWon") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
    return Watch(e.opportunity(), [=](v1::SubjectState* st) {
      return ApplyOpportunityClosed(e.opportunity(), cv1::OPPORTUNITY_STAGE_WON, st);
    });
  } else if (t == "salesops.customers.v1.OpportunityLost") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
    return Watch(e.opportunity(), [=](v1::SubjectState* st) {
      return ApplyOpportunityClosed(e.opportunity(), cv1::OPPORTUNITY_STAGE_LOST, st);
    });
  } else if (t == "salesops.customers.v1.CustomerCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerCreated>(event));
    return Watch(e.customer().name(), [=](v1::SubjectState* st) {
      return ApplyCustomerCreated(e.customer(), time, st);
    });
  } else if (t == "salesops.customers.v1.CustomerTierChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerTierChanged>(event));
    return Watch(e.customer(), [=](v1::SubjectState* st) { return ApplyTierChanged(e, st); });
  } else if (t == "salesops.customers.v1.ActivityLogged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ActivityLogged>(event));
    const absl::Time occur =
        e.activity().has_occur_time() ? FromTs(e.activity().occur_time()) : time;
    return Watch(e.activity().customer(), [=](v1::SubjectState* st) {
      return ApplyActivity(e.activity().customer(), occur, st);
    });
  } else if (t == "salesops.customers.v1.CustomerClaimed") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerClaimed>(event));
    return Watch(e.customer(), [=](v1::SubjectState* st) {
      return ApplyCustomerOwner(e.customer(), e.display_name(), e.owner(), e.team(), time, st);
    });
  } else if (t == "salesops.customers.v1.CustomerHandedOver") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerHandedOver>(event));
    return Watch(e.customer(), [=](v1::SubjectState* st) {
      return ApplyCustomerOwner(e.customer(), e.display_name(), e.to_owner(), e.to_team(), time,
                                st);
    });
  } else if (t == "salesops.customers.v1.CustomerReleasedToPool") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerReleasedToPool>(event));
    return Watch(e.customer(),
                 [=](v1::SubjectState* st) { return ApplyCustomerReleased(e.customer(), st); });
  } else if (t == "salesops.customers.v1.PaymentOverdue") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentOverdue>(event));
    return Watch(e.contract(),
                 [=](v1::SubjectState* st) { return ApplyPaymentOverdue(e, tz, st); });
  } else if (t == "salesops.customers.v1.PaymentReceived") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentReceived>(event));
    return Watch(e.contract(), [=](v1::SubjectState* st) { return ApplyPaymentReceived(e, st); });
  } else if (t == "salesops.customers.v1.ContractCancelled") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ContractCancelled>(event));
    return Watch(e.contract().name(),
                 [=](v1::SubjectState* st) { return ApplyContractEnded(e.contract().name(), st); });
  } else if (t == "salesops.customers.v1.ContractClosed") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ContractClosed>(event));
    return Watch(e.contract().name(),
                 [=](v1::SubjectState* st) { return ApplyContractEnded(e.contract().name(), st); });
  } else if (t == "salesops.targets.v1.AttainmentUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<targets::v1::AttainmentUpdated>(event));
    if (e.level() != targets::v1::ATTAINMENT_LEVEL_REP &&
        e.level() != targets::v1::ATTAINMENT_LEVEL_TEAM) {
      return Change{};
    }
    if (e.period().empty()) {
      return InvalidField("period", "AttainmentUpdated without a period");
    }
    const std::string who = AttainmentSubject(e);
    if (who.empty()) {
      return InvalidField("rep", "rep-level AttainmentUpdated without a rep");
    }
    const std::string key = SubjectKey(who, e.period());
    return Watch(
        key, [e](v1::SubjectState* st) { return ApplyAttainment(e, st); }, who);
  } else if (t == "salesops.forecast.v1.ForecastUpdated" ||
             t == "salesops.forecast.v1.ForecastGapDetected" ||
             t == "salesops.forecast.v1.ForecastGapClosed") {
    // The forecast-gap rule's facts: the rep's or team's PIPELINE forecast and its target.
    forecast::v1::Forecast f;
    if (t == "salesops.forecast.v1.ForecastUpdated") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<forecast::v1::ForecastUpdated>(event));
      f = e.forecast();
    } else if (t == "salesops.forecast.v1.ForecastGapDetected") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<forecast::v1::ForecastGapDetected>(event));
      *f.mutable_scope() = e.scope();
      f.set_period(e.period());
      f.set_category(e.category());
      *f.mutable_amount() = e.amount();
      *f.mutable_target() = e.target();
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<forecast::v1::ForecastGapClosed>(event));
      *f.mutable_scope() = e.scope();
      f.set_period(e.period());
      f.set_category(e.category());
      *f.mutable_amount() = e.amount();
      *f.mutable_target() = e.target();
    }
    const std::string who = ForecastSubject(f);
    if (who.empty()) {
      return Change{};  // regions, the company, product lines, categories
    }
    if (f.period().empty()) {
      return InvalidField("forecast.period", "a forecast without a period");
    }
    const std::string key = SubjectKey(who, f.period());
    return Watch(
        key, [f](v1::SubjectState* st) { return ApplyForecast(f, st); }, who);
  } else {
    return Change{};  // not something the engine watches
  }
}

void WarningConsumer::Apply(const CloudEvent& event, const Change& c, SubjectUpdate u,
                            std::vector<SubjectUpdate>* subjects,
                            absl::flat_hash_map<std::string, int64_t>* delta, WriteBatch* b) const {
  const v1::SubjectState before = u.state;
  if (!c.apply(&u.state)) {
    return;
  }
  u.state.mutable_update_time()->set_seconds(absl::ToUnixSeconds(event.time));
  u.write = true;
  if (u.state.kind() == v1::SUBJECT_KIND_OPPORTUNITY) {
    PipelineDelta(before, u.state, delta);
  }
  if (!c.period_of.empty()) {
    b->SAdd(WarningStore::PeriodsKey(c.period_of), c.key);
  }
  subjects->push_back(std::move(u));
}

absl::Status WarningConsumer::Build(const CloudEvent& event, std::vector<SubjectUpdate>* subjects,
                                    absl::flat_hash_map<std::string, int64_t>* delta,
                                    WriteBatch* b) {
  SALESOPS_ASSIGN_OR_RETURN(Change c, Decode(event));
  if (c.key.empty()) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(SubjectUpdate u, Load(c.key));
  Apply(event, c, std::move(u), subjects, delta, b);
  // A deal's weight moved: its owner's and team's coverage is re-evaluated. Each
  // period subject also gets its next version (TouchDoc, the state as it is), so that
  // its version guards every evaluation of it: one that read the pipeline figure
  // before another commit moved it (another replica's event, the scheduler's run)
  // fails its guard and is redone from fresh reads, instead of committing a verdict
  // on a figure that no longer holds (two deals lost at once, each leaving the
  // coverage met on its own, would otherwise raise nothing).
  for (const auto& [who, by] : *delta) {
    b->HIncrBy(WarningStore::PipelineKey(), who, by);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.PeriodSubjects(who));
    for (const std::string& key : keys) {
      SALESOPS_ASSIGN_OR_RETURN(SubjectUpdate period, Load(key));
      if (period.version > 0) {
        period.touch = true;  // see above
        subjects->push_back(std::move(period));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WarningConsumer::Handle(const CloudEvent& event) {
  const Cause cause{event.source, event.id, event.trace_id, event.time};
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::vector<SubjectUpdate> subjects;
    absl::flat_hash_map<std::string, int64_t> delta;
    WriteBatch b;
    SALESOPS_RETURN_IF_ERROR(Build(event, &subjects, &delta, &b));
    if (subjects.empty()) {
      return absl::OkStatus();
    }
    SALESOPS_RETURN_IF_ERROR(engine_.Evaluate(subjects, delta, cause, clock_.Now(), b));
    SALESOPS_ASSIGN_OR_RETURN(CommitResult r, projections_.TryApplyOnce(event, std::move(b)));
    if (ProjectionStore::Applied(r)) {
      return absl::OkStatus();
    }
  }
  // Lost the race every time: worth another try later, not the dead-letter topic.
  return Unavailable(reason::kWriteConflict, "subject kept changing during evaluation");
}

std::vector<absl::Status> WarningConsumer::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  if (!options_.waves) {
    return HandleInLanes(events);
  }
  std::vector<absl::Status> out(events.size());
  // Each key's events, in batch order; a wave takes the next one of every key.
  std::vector<std::string> keys;
  absl::flat_hash_map<std::string, std::vector<size_t>> of_key;
  for (size_t i = 0; i < events.size(); ++i) {
    auto [it, fresh] = of_key.try_emplace(events[i]->key);
    if (fresh) {
      keys.push_back(events[i]->key);
    }
    it->second.push_back(i);
  }
  absl::flat_hash_set<std::string> failed_keys;
  for (size_t step = 0;; ++step) {
    std::vector<size_t> wave;
    for (const std::string& key : keys) {
      const std::vector<size_t>& items = of_key[key];
      if (step >= items.size()) {
        continue;
      }
      if (failed_keys.contains(key)) {
        out[items[step]] = Unavailable("ORDER", "an earlier event of this key is not applied yet");
        continue;
      }
      wave.push_back(items[step]);
    }
    if (wave.empty()) {
      bool more = false;
      for (const std::string& key : keys) {
        more = more || step + 1 < of_key[key].size();
      }
      if (!more) {
        break;
      }
      continue;
    }
    ApplyWave(events, wave, out);
    for (size_t i : wave) {
      if (!out[i].ok()) {
        failed_keys.insert(events[i]->key);
      }
    }
  }
  return out;
}

void WarningConsumer::ApplyWave(const std::vector<const CloudEvent*>& events,
                                const std::vector<size_t>& wave, std::vector<absl::Status>& out) {
  // Each event of the wave as it is prepared.
  struct Item {
    size_t index;
    Change change;
    std::vector<SubjectUpdate> subjects;
    absl::flat_hash_map<std::string, int64_t> delta;
    WriteBatch batch;
    bool alone = false;  // applied on its own (Handle) after the wave
  };
  std::vector<Item> items;
  items.reserve(wave.size());
  for (size_t i : wave) {
    absl::StatusOr<Change> c = Decode(*events[i]);
    if (!c.ok()) {
      out[i] = c.status();  // a record the engine cannot read: the consumer dead-letters it
      continue;
    }
    if (c->key.empty()) {
      out[i] = absl::OkStatus();
      continue;
    }
    items.push_back(Item{i, *std::move(c), {}, {}, {}, false});
  }
  if (items.empty()) {
    return;
  }
  stats_.waves.fetch_add(1, std::memory_order_relaxed);
  auto fall_back = [&] {  // reads failed: every event on its own
    for (Item& it : items) {
      out[it.index] = Handle(*events[it.index]);
      stats_.alone.fetch_add(1, std::memory_order_relaxed);
    }
  };

  // 1. The subjects the events update, in one round trip.
  std::vector<std::string> subject_keys;
  absl::flat_hash_set<std::string> taken;
  for (Item& it : items) {
    // Two events of the wave on one subject (different Kafka keys): the later one
    // waits for the earlier's commit and goes alone.
    if (!taken.insert(it.change.key).second) {
      it.alone = true;
      continue;
    }
    subject_keys.push_back(it.change.key);
  }
  absl::StatusOr<std::vector<std::optional<DocStore::Bytes>>> docs =
      store_.GetManyBytes(kSubjectDoc, subject_keys);
  if (!docs.ok()) {
    return fall_back();
  }
  absl::flat_hash_map<std::string, SubjectUpdate> loaded;
  auto parse = [&](const std::string& key, const std::optional<DocStore::Bytes>& doc) {
    SubjectUpdate u;
    u.key = key;
    if (doc) {
      if (!u.state.ParseFromString(doc->data)) {
        return false;
      }
      u.version = doc->version;
    }
    loaded[key] = std::move(u);
    return true;
  };
  for (size_t k = 0; k < subject_keys.size(); ++k) {
    if (!parse(subject_keys[k], (*docs)[k])) {
      return fall_back();  // Handle reports the unreadable document
    }
  }
  for (Item& it : items) {
    if (!it.alone) {
      Apply(*events[it.index], it.change, loaded[it.change.key], &it.subjects, &it.delta,
            &it.batch);
    }
  }

  // 2. The period subjects of the reps and teams whose pipeline moved: their sets,
  // then the subjects, in two round trips.
  std::vector<std::string> whos;
  absl::flat_hash_set<std::string> seen_who;
  for (const Item& it : items) {
    for (const auto& [who, by] : it.delta) {
      if (seen_who.insert(who).second) {
        whos.push_back(who);
      }
    }
  }
  absl::flat_hash_map<std::string, std::vector<std::string>> periods_of;
  if (!whos.empty()) {
    absl::StatusOr<std::vector<std::vector<std::string>>> sets = store_.PeriodSubjectsMany(whos);
    if (!sets.ok()) {
      return fall_back();
    }
    std::vector<std::string> period_keys;
    for (size_t k = 0; k < whos.size(); ++k) {
      periods_of[whos[k]] = std::move((*sets)[k]);
      for (const std::string& key : periods_of[whos[k]]) {
        if (loaded.try_emplace(key).second) {
          period_keys.push_back(key);  // parsed below
        }
      }
    }
    if (!period_keys.empty()) {
      absl::StatusOr<std::vector<std::optional<DocStore::Bytes>>> period_docs =
          store_.GetManyBytes(kSubjectDoc, period_keys);
      if (!period_docs.ok()) {
        return fall_back();
      }
      for (size_t k = 0; k < period_keys.size(); ++k) {
        if (!parse(period_keys[k], (*period_docs)[k])) {
          return fall_back();
        }
      }
    }
  }
  for (Item& it : items) {
    for (const auto& [who, by] : it.delta) {
      it.batch.HIncrBy(WarningStore::PipelineKey(), who, by);
      for (const std::string& key : periods_of[who]) {
        if (taken.contains(key)) {
          it.alone = true;  // another event of the wave updates that period: after it
        }
        const SubjectUpdate& period = loaded[key];
        if (period.version > 0) {
          SubjectUpdate copy = period;
          copy.key = key;
          copy.touch = true;  // as in Build; its version is set in wave order below
          it.subjects.push_back(std::move(copy));
        }
      }
    }
  }

  // 3. What the rules look at: the pipeline figures and the active warnings of every
  // subject, then those warnings, in two round trips.
  EvaluationReads reads;
  {
    std::vector<std::string> read_whos, read_keys;
    absl::flat_hash_set<std::string> asked;
    for (const Item& it : items) {
      for (const SubjectUpdate& s : it.subjects) {
        const v1::SubjectKind kind = s.state.kind();
        if ((kind == v1::SUBJECT_KIND_REP_PERIOD || kind == v1::SUBJECT_KIND_TEAM_PERIOD) &&
            asked.insert("p " + s.state.subject()).second) {
          read_whos.push_back(s.state.subject());
        }
        if (asked.insert("a " + s.key).second) {
          read_keys.push_back(s.key);
        }
      }
    }
    absl::StatusOr<WarningStore::PipelineAndActive> got =
        store_.PipelineAndActiveMany(read_whos, read_keys);
    if (!got.ok()) {
      return fall_back();
    }
    for (size_t k = 0; k < read_whos.size(); ++k) {
      reads.pipeline[read_whos[k]] = got->pipeline[k];
    }
    for (size_t k = 0; k < read_keys.size(); ++k) {
      reads.active[read_keys[k]] = std::move(got->active[k]);
    }
  }

  // 4. Evaluate in batch order: each event sees the pipeline changes of the wave's
  // earlier events (their commits go first). The commits are combined into one script
  // per chunk (a period subject several events move: a version chain), and each chunk
  // is handed to Redis as soon as it is full, so Redis runs it while the next events
  // are evaluated; the replies are read at the end. That is safe because the evaluation
  // reads nothing the wave writes: every subject's pipeline figure and active warnings
  // are in `reads` (read above, before any commit, and kept current), and routing
  // comes from the org directory.
  const absl::Time now = clock_.Now();
  absl::flat_hash_map<std::string, int64_t> carried;  // the wave's deltas so far
  // Each period subject's version as the wave's commits so far leave it: a period
  // several events of the wave move is rewritten by each, in order.
  absl::flat_hash_map<std::string, int64_t> period_version;
  ProjectionStore::CombinedStream commits = projections_.OpenCombined(kWaveChunkWrites);
  std::vector<size_t> committing;  // item positions, in the order of their commits
  for (size_t k = 0; k < items.size(); ++k) {
    Item& it = items[k];
    if (it.alone) {
      continue;
    }
    if (it.subjects.empty()) {
      out[it.index] = absl::OkStatus();
      continue;
    }
    for (const auto& [who, by] : it.delta) {
      carried[who] += by;
    }
    for (SubjectUpdate& s : it.subjects) {
      if (s.touch) {  // a period subject (step 2)
        s.version = period_version.try_emplace(s.key, s.version).first->second++;
      }
    }
    const CloudEvent& e = *events[it.index];
    const Cause cause{e.source, e.id, e.trace_id, e.time};
    if (absl::Status s = engine_.Evaluate(it.subjects, carried, cause, now, it.batch, &reads);
        !s.ok()) {
      // E.g. a read the engine made itself failed, maybe halfway through `reads`: this
      // event and the rest of the wave on their own, below, from fresh reads.
      for (size_t rest = k; rest < items.size(); ++rest) {
        items[rest].alone = true;
      }
      break;
    }
    commits.Add(e, std::move(it.batch));
    committing.push_back(k);
  }
  std::vector<absl::StatusOr<CommitResult>> committed = commits.Finish();
  for (size_t c = 0; c < committing.size(); ++c) {
    Item& it = items[committing[c]];
    if (c < committed.size() && committed[c].ok() && committed[c]->committed) {
      out[it.index] = absl::OkStatus();
      stats_.in_waves.fetch_add(1, std::memory_order_relaxed);
    } else {
      it.alone = true;  // a guard failed (a race, or seen before) or the commit did not answer
    }
  }
  // 5. The rest on their own, from fresh reads, in wave order.
  for (Item& it : items) {
    if (it.alone) {
      out[it.index] = Handle(*events[it.index]);
      stats_.alone.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

std::vector<absl::Status> WarningConsumer::HandleInLanes(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size());
  const size_t lanes = std::min<size_t>(std::max(1, options_.lanes), events.size());
  std::vector<std::vector<size_t>> lane_items(lanes);
  for (size_t i = 0; i < events.size(); ++i) {
    lane_items[absl::HashOf(events[i]->key) % lanes].push_back(i);
  }
  auto run_lane = [&](const std::vector<size_t>& items) {
    absl::flat_hash_set<std::string> failed_keys;
    for (size_t i : items) {
      const CloudEvent& e = *events[i];
      if (failed_keys.contains(e.key)) {
        out[i] = Unavailable("ORDER", "an earlier event of this key is not applied yet");
        continue;
      }
      out[i] = Handle(e);
      if (!out[i].ok()) {
        failed_keys.insert(e.key);
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t l = 1; l < lanes; ++l) {
    threads.emplace_back(run_lane, std::cref(lane_items[l]));
  }
  run_lane(lane_items[0]);
  for (std::thread& t : threads) {
    t.join();
  }
  return out;
}

}  // namespace salesops::warning
