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

absl::Status WarningConsumer::Build(const CloudEvent& event, std::vector<SubjectUpdate>* subjects,
                                    absl::flat_hash_map<std::string, int64_t>* delta,
                                    WriteBatch* b) {
  const std::string& t = event.type;
  const StageWeights& w = engine_.options().stage_weights;
  const absl::TimeZone tz = engine_.options().tz;
  // One subject: load, apply `fn`, keep it when it changed.
  auto one = [&](const std::string& key, auto fn) -> absl::Status {
    if (key.empty()) {
      return InvalidField("subject", absl::StrCat(t, " names no subject"));
    }
    SALESOPS_ASSIGN_OR_RETURN(SubjectUpdate u, Load(key));
    const v1::SubjectState before = u.state;
    if (!fn(&u.state)) {
      return absl::OkStatus();
    }
    u.state.mutable_update_time()->set_seconds(absl::ToUnixSeconds(event.time));
    u.write = true;
    if (u.state.kind() == v1::SUBJECT_KIND_OPPORTUNITY) {
      PipelineDelta(before, u.state, delta);
    }
    subjects->push_back(std::move(u));
    return absl::OkStatus();
  };

  absl::Status s = absl::OkStatus();
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    s = one(e.opportunity(),
            [&](v1::SubjectState* st) { return ApplyOpportunityCreated(e, event.time, w, st); });
  } else if (t == "salesops.customers.v1.OpportunityStageChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(event));
    s = one(e.opportunity(),
            [&](v1::SubjectState* st) { return ApplyStageChanged(e, event.time, w, st); });
  } else if (t == "salesops.customers.v1.OpportunityUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityUpdated>(event));
    s = one(e.opportunity().name(),
            [&](v1::SubjectState* st) { return ApplyOpportunityUpdated(e.opportunity(), w, st); });
  } else if (t == "salesops.customers.v1.OpportunityWon") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
    s = one(e.opportunity(), [&](v1::SubjectState* st) {
      return ApplyOpportunityClosed(e.opportunity(), cv1::OPPORTUNITY_STAGE_WON, st);
    });
  } else if (t == "salesops.customers.v1.OpportunityLost") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
    s = one(e.opportunity(), [&](v1::SubjectState* st) {
      return ApplyOpportunityClosed(e.opportunity(), cv1::OPPORTUNITY_STAGE_LOST, st);
    });
  } else if (t == "salesops.customers.v1.CustomerCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerCreated>(event));
    s = one(e.customer().name(), [&](v1::SubjectState* st) {
      return ApplyCustomerCreated(e.customer(), event.time, st);
    });
  } else if (t == "salesops.customers.v1.CustomerTierChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerTierChanged>(event));
    s = one(e.customer(), [&](v1::SubjectState* st) { return ApplyTierChanged(e, st); });
  } else if (t == "salesops.customers.v1.ActivityLogged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ActivityLogged>(event));
    const absl::Time occur =
        e.activity().has_occur_time() ? FromTs(e.activity().occur_time()) : event.time;
    s = one(e.activity().customer(), [&](v1::SubjectState* st) {
      return ApplyActivity(e.activity().customer(), occur, st);
    });
  } else if (t == "salesops.customers.v1.CustomerClaimed") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerClaimed>(event));
    s = one(e.customer(), [&](v1::SubjectState* st) {
      return ApplyCustomerOwner(e.customer(), e.display_name(), e.owner(), e.team(), event.time,
                                st);
    });
  } else if (t == "salesops.customers.v1.CustomerHandedOver") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerHandedOver>(event));
    s = one(e.customer(), [&](v1::SubjectState* st) {
      return ApplyCustomerOwner(e.customer(), e.display_name(), e.to_owner(), e.to_team(),
                                event.time, st);
    });
  } else if (t == "salesops.customers.v1.CustomerReleasedToPool") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerReleasedToPool>(event));
    s = one(e.customer(),
            [&](v1::SubjectState* st) { return ApplyCustomerReleased(e.customer(), st); });
  } else if (t == "salesops.customers.v1.PaymentOverdue") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentOverdue>(event));
    s = one(e.contract(), [&](v1::SubjectState* st) { return ApplyPaymentOverdue(e, tz, st); });
  } else if (t == "salesops.customers.v1.PaymentReceived") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::PaymentReceived>(event));
    s = one(e.contract(), [&](v1::SubjectState* st) { return ApplyPaymentReceived(e, st); });
  } else if (t == "salesops.customers.v1.ContractCancelled") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ContractCancelled>(event));
    s = one(e.contract().name(),
            [&](v1::SubjectState* st) { return ApplyContractEnded(e.contract().name(), st); });
  } else if (t == "salesops.customers.v1.ContractClosed") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::ContractClosed>(event));
    s = one(e.contract().name(),
            [&](v1::SubjectState* st) { return ApplyContractEnded(e.contract().name(), st); });
  } else if (t == "salesops.targets.v1.AttainmentUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<targets::v1::AttainmentUpdated>(event));
    if (e.level() != targets::v1::ATTAINMENT_LEVEL_REP &&
        e.level() != targets::v1::ATTAINMENT_LEVEL_TEAM) {
      return absl::OkStatus();
    }
    if (e.period().empty()) {
      return InvalidField("period", "AttainmentUpdated without a period");
    }
    const std::string who = AttainmentSubject(e);
    if (who.empty()) {
      return InvalidField("rep", "rep-level AttainmentUpdated without a rep");
    }
    const std::string key = SubjectKey(who, e.period());
    s = one(key, [&](v1::SubjectState* st) { return ApplyAttainment(e, st); });
    if (s.ok() && !subjects->empty()) {
      b->SAdd(WarningStore::PeriodsKey(who), key);
    }
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
      return absl::OkStatus();  // regions, the company, product lines, categories
    }
    if (f.period().empty()) {
      return InvalidField("forecast.period", "a forecast without a period");
    }
    const std::string key = SubjectKey(who, f.period());
    s = one(key, [&](v1::SubjectState* st) { return ApplyForecast(f, st); });
    if (s.ok() && !subjects->empty()) {
      b->SAdd(WarningStore::PeriodsKey(who), key);
    }
  } else {
    return absl::OkStatus();  // not something the engine watches
  }
  SALESOPS_RETURN_IF_ERROR(s);

  // A deal's weight moved: its owner's and team's coverage is re-evaluated.
  for (const auto& [who, by] : *delta) {
    b->HIncrBy(WarningStore::PipelineKey(), who, by);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.PeriodSubjects(who));
    for (const std::string& key : keys) {
      SALESOPS_ASSIGN_OR_RETURN(SubjectUpdate u, Load(key));
      if (u.version > 0) {
        subjects->push_back(std::move(u));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WarningConsumer::Handle(const CloudEvent& event) {
  const Cause cause{event.source, event.id, event.trace_id};
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
    if (r.committed || r.failed_tag == ProjectionStore::kSeenTag) {
      return absl::OkStatus();
    }
  }
  // Lost the race every time: worth another try later, not the dead-letter topic.
  return Unavailable(reason::kWriteConflict, "subject kept changing during evaluation");
}

std::vector<absl::Status> WarningConsumer::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size());
  const size_t lanes = std::min<size_t>(std::max(1, lanes_), events.size());
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
