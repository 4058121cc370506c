// Scheduled work of the customers service: tier re-evaluation, release to the
// public pool (with a reminder first), overdue follow-up tasks and overdue
// instalments, and owners following their moves between teams. Each job reads
// a due-time sorted set (or the owner's index), re-checks the condition on the
// current document and commits with a version guard, so running it twice, or
// on two replicas at once, changes nothing twice.
#include "services/customers/jobs/customers_jobs.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "services/customers/api/api_ops.h"
#include "services/customers/domain/contracts.h"
#include "services/customers/domain/pipeline.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/tiering.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

// Batched: four Redis round trips per `limit` customers (due ids, customers,
// deal indexes, deals) and one pipelined commit, instead of five per customer.
absl::StatusOr<JobRun> CustomersJobs::RunTierJob(int limit) {
  const absl::Time now = clock_.Now();
  const CallContext call = SystemCall("tier-job");
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  SALESOPS_ASSIGN_OR_RETURN(auto ids,
                            store_.Due(ScheduleKey("tier"), absl::ToUnixSeconds(now), limit));
  JobRun run;
  if (ids.empty()) {
    return run;
  }
  std::vector<v1::Customer> docs(ids.size());
  std::vector<google::protobuf::Message*> ptrs;
  for (auto& d : docs) {
    ptrs.push_back(&d);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> versions, store_.GetManyRaw(kCustomer, ids, ptrs));
  std::vector<std::string> opp_indexes;
  for (const std::string& id : ids) {
    opp_indexes.push_back(OpportunitiesOfCustomerIndex(id));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::vector<std::string>> ranges,
                            store_.RangeMany(opp_indexes, 10000));
  std::vector<std::string> all_opp_ids;
  std::vector<size_t> first(ids.size() + 1, 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    first[i] = all_opp_ids.size();
    all_opp_ids.insert(all_opp_ids.end(), ranges[i].begin(), ranges[i].end());
  }
  first[ids.size()] = all_opp_ids.size();
  std::vector<v1::Opportunity> opp_docs(all_opp_ids.size());
  std::vector<google::protobuf::Message*> opp_ptrs;
  for (auto& d : opp_docs) {
    opp_ptrs.push_back(&d);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> opp_versions,
                            store_.GetManyRaw(kOpportunity, all_opp_ids, opp_ptrs));
  std::vector<WriteBatch> batches;
  std::vector<bool> changed;
  for (size_t i = 0; i < ids.size(); ++i) {
    ++run.examined;
    WriteBatch b;
    if (versions[i] == 0) {  // deleted: drop from the schedule
      b.ZRem(ScheduleKey("tier"), ids[i]);
      batches.push_back(std::move(b));
      changed.push_back(false);
      continue;
    }
    Versioned<v1::Customer> cur{std::move(docs[i]), versions[i]};
    std::vector<Versioned<v1::Opportunity>> opps;
    for (size_t k = first[i]; k < first[i + 1]; ++k) {
      if (opp_versions[k] > 0) {
        opps.push_back({std::move(opp_docs[k]), opp_versions[k]});
      }
    }
    // An event trigger when the schedule was pulled forward by a deal or payment.
    const v1::TierEvaluationTrigger trigger =
        now - FromTs(cur.doc.score().evaluate_time()) <
                absl::Hours(24) * policies.tier.reevaluate_every_days()
            ? v1::TIER_EVALUATION_TRIGGER_EVENT
            : v1::TIER_EVALUATION_TRIGGER_SCHEDULE;
    TierResult r = PlanReTier(policies, cur, opps, trigger, call, now, b);
    batches.push_back(std::move(b));
    changed.push_back(r.changed);
  }
  std::vector<absl::StatusOr<CommitResult>> results = store_.outbox().CommitMany(batches);
  for (size_t i = 0; i < results.size(); ++i) {
    SALESOPS_RETURN_IF_ERROR(results[i].status());
    // A failed version guard: the customer changed meanwhile; it stays due for
    // the next run.
    if (results[i]->committed && changed[i]) {
      ++run.changed;
    }
  }
  return run;
}

absl::StatusOr<JobRun> CustomersJobs::RunPoolJob(int limit) {
  const absl::Time now = clock_.Now();
  const CallContext call = SystemCall("pool-job");
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));
  const auto& pool = policies.pool;
  const int64_t release_before =
      absl::ToUnixSeconds(now - absl::Hours(24) * pool.release_after_days());
  const int64_t remind_before = absl::ToUnixSeconds(
      now - absl::Hours(24) * (pool.release_after_days() - pool.reminder_days_before_release()));
  JobRun run;
  // Releases: the activity clock is older than release_after_days.
  SALESOPS_ASSIGN_OR_RETURN(auto due, store_.Due(ScheduleKey("activity"), release_before, limit));
  for (const std::string& id : due) {
    ++run.examined;
    SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::Customer>(kCustomer, id));
    SALESOPS_ASSIGN_OR_RETURN(int64_t last, store_.HGetInt(LastActivityKey(), id));
    if (!cur || cur->doc.pool_state() != v1::POOL_STATE_OWNED) {
      WriteBatch b;
      b.ZRem(ScheduleKey("activity"), id);
      SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
      continue;
    }
    const absl::Time last_at = absl::FromUnixSeconds(last);
    if (!ReleaseDue(pool, last_at, now)) {
      continue;  // touched meanwhile
    }
    v1::Customer out;
    absl::Status s = ReleaseToPool(store_, policies, *cur, v1::RELEASE_REASON_INACTIVITY, "",
                                   DaysBetween(last_at, now), call, now, &out);
    if (absl::IsAborted(s)) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(s);
    ++run.changed;
  }
  // Reminders: inside the reminder window, once per activity-clock value.
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> window,
                            store_.ActivityDueBetween(release_before, remind_before, limit));
  for (const std::string& id : window) {
    ++run.examined;
    SALESOPS_ASSIGN_OR_RETURN(int64_t last, store_.HGetInt(LastActivityKey(), id));
    const std::string reminded_key = RemindedKey(id);
    SALESOPS_ASSIGN_OR_RETURN(auto reminded, store_.GetString(reminded_key));
    if (reminded && *reminded == absl::StrCat(last)) {
      continue;  // already reminded for this idle spell
    }
    SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::Customer>(kCustomer, id));
    if (!cur || cur->doc.pool_state() != v1::POOL_STATE_OWNED) {
      continue;
    }
    const absl::Time last_at = absl::FromUnixSeconds(last);
    if (!ReminderDue(pool, last_at, now)) {
      continue;
    }
    WriteBatch b;
    // Guarded on the marker so two replicas send one reminder.
    b.ExpectHashField(CustomersStore::DocKey(kCustomer, id), "v", absl::StrCat(cur->version),
                      absl::StrCat("version:customers/", id));
    if (reminded) {
      b.ExpectPresent(reminded_key, absl::StrCat("version:reminder ", id));
    } else {
      b.ExpectAbsent(reminded_key, absl::StrCat("version:reminder ", id));
    }
    b.Set(reminded_key, absl::StrCat(last), int64_t{pool.release_after_days()} * 24 * 3600 * 2);
    v1::CustomerReleaseReminder r;
    r.set_customer(cur->doc.name());
    r.set_display_name(cur->doc.display_name());
    r.set_owner(cur->doc.owner());
    r.set_team(cur->doc.team());
    *r.mutable_last_activity_time() = ToTs(last_at);
    *r.mutable_release_due_time() = ToTs(ReleaseDueTime(pool, last_at));
    r.set_days_without_activity(DaysBetween(last_at, now));
    Emit(b, call, id, cur->doc.name(), r, now);
    absl::Status s = store_.Commit(b);
    if (absl::IsAborted(s)) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(s);
    ++run.changed;
  }
  return run;
}

absl::StatusOr<JobRun> CustomersJobs::RunTaskOverdueJob(int limit) {
  const absl::Time now = clock_.Now();
  const CallContext call = SystemCall("task-job");
  SALESOPS_ASSIGN_OR_RETURN(
      auto ids, store_.Due(ScheduleKey("task_due"), absl::ToUnixSeconds(now) - 1, limit));
  JobRun run;
  for (const std::string& id : ids) {
    ++run.examined;
    SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::FollowUpTask>(kTask, id));
    WriteBatch b;
    b.ZRem(ScheduleKey("task_due"), id);
    if (cur && cur->doc.state() == v1::TASK_STATE_OPEN && !cur->doc.overdue() &&
        FromTs(cur->doc.due_time()) < now) {
      v1::FollowUpTask next = cur->doc;
      next.set_overdue(true);
      *next.mutable_update_time() = ToTs(now);
      CustomersStore::PutDoc(b, kTask, id, next, cur->version);
      v1::FollowUpTaskOverdue e;
      *e.mutable_task() = next;
      SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> assignee,
                                directory_.Member(StripPrefix(next.assignee())));
      if (assignee && !assignee->team.empty()) {
        e.set_team(absl::StrCat("orgUnits/", assignee->team));
      } else {
        SALESOPS_ASSIGN_OR_RETURN(
            auto cust, store_.Get<v1::Customer>(kCustomer, StripPrefix(next.customer())));
        if (cust) {
          e.set_team(cust->doc.team());
        }
      }
      Emit(b, call, StripPrefix(next.customer()), next.name(), e, now);
      ++run.changed;
    }
    absl::Status s = store_.Commit(b);
    if (absl::IsAborted(s)) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(s);
  }
  return run;
}

absl::StatusOr<JobRun> CustomersJobs::RunPaymentOverdueJob(int limit) {
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, tz_);
  const CallContext call = SystemCall("payment-job");
  SALESOPS_ASSIGN_OR_RETURN(auto ids,
                            store_.Due(ScheduleKey("instalment"), absl::ToUnixSeconds(now), limit));
  JobRun run;
  for (const std::string& id : ids) {
    ++run.examined;
    SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::Contract>(kContract, id));
    WriteBatch b;
    if (!cur || cur->doc.state() == v1::CONTRACT_STATE_CANCELLED ||
        cur->doc.state() == v1::CONTRACT_STATE_DRAFT) {
      b.ZRem(ScheduleKey("instalment"), id);
      SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
      continue;
    }
    // Which instalments were already reported overdue: a set kept next to the
    // contract, so each instalment raises PaymentOverdue once whatever state
    // the document shows.
    const std::string notified_key = OverdueNotifiedKey(id);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> notified, store_.OverdueNotified(id));
    auto was_notified = [&](const std::string& inst) {
      return std::find(notified.begin(), notified.end(), inst) != notified.end();
    };
    v1::Contract next = cur->doc;
    RefreshInstalmentStates(next, today);
    if (next.state() == v1::CONTRACT_STATE_SIGNED && next.has_start_date() &&
        ToCivil(next.start_date()) <= today) {
      next.set_state(v1::CONTRACT_STATE_ACTIVE);
    }
    *next.mutable_update_time() = ToTs(now);
    next.clear_etag();
    CustomersStore::PutDoc(b, kContract, id, next, cur->version);
    SALESOPS_ASSIGN_OR_RETURN(
        auto opp, next.opportunity().empty()
                      ? absl::StatusOr<std::optional<Versioned<v1::Opportunity>>>(std::nullopt)
                      : store_.Get<v1::Opportunity>(kOpportunity, StripPrefix(next.opportunity())));
    std::optional<absl::CivilDay> upcoming;
    for (const auto& in : next.payment_schedule().instalments()) {
      if (Outstanding(in) <= 0 || was_notified(in.instalment_id())) {
        continue;
      }
      const absl::CivilDay due = ToCivil(in.due_date());
      if (today <= due) {
        if (!upcoming || due < *upcoming) {
          upcoming = due;
        }
        continue;
      }
      b.SAdd(notified_key, in.instalment_id());
      v1::PaymentOverdue e;
      e.set_contract(next.name());
      e.set_customer(next.customer());
      e.set_instalment_id(in.instalment_id());
      *e.mutable_due_date() = in.due_date();
      e.mutable_outstanding()->set_amount_minor(Outstanding(in));
      e.mutable_outstanding()->set_currency_code(next.amount().currency_code());
      e.set_owner(next.owner());
      e.set_team(next.team());
      if (opp) {
        e.set_region(opp->doc.region());
      }
      Emit(b, call, StripPrefix(next.customer()), next.name(), e, now);
      ++run.changed;
    }
    if (upcoming) {
      b.ZAdd(ScheduleKey("instalment"),
             static_cast<double>(absl::ToUnixSeconds(absl::FromCivil(*upcoming + 1, tz_))), id);
    } else {
      b.ZRem(ScheduleKey("instalment"), id);
    }
    absl::Status s = store_.Commit(b);
    if (absl::IsAborted(s)) {
      continue;  // changed meanwhile (a payment): next round
    }
    SALESOPS_RETURN_IF_ERROR(s);
  }
  return run;
}

absl::StatusOr<JobRun> CustomersJobs::ApplyOwnerMove(const std::string& member_id,
                                                     const std::string& to_team,
                                                     const std::string& reason) {
  const absl::Time now = clock_.Now();
  const CallContext call = SystemCall("org-changes");
  const std::string team_name = absl::StrCat("orgUnits/", to_team);
  JobRun run;
  SALESOPS_ASSIGN_OR_RETURN(auto customer_ids,
                            store_.Range(CustomersOfOwnerIndex(member_id), "", 100000));
  for (size_t start = 0; start < customer_ids.size(); start += 200) {
    std::vector<std::string> ids(customer_ids.begin() + start,
                                 customer_ids.begin() + std::min(customer_ids.size(), start + 200));
    SALESOPS_ASSIGN_OR_RETURN(auto docs, store_.GetMany<v1::Customer>(kCustomer, ids));
    std::vector<WriteBatch> batches;
    for (auto& cur : docs) {
      ++run.examined;
      if (cur.doc.team() == team_name) {
        continue;
      }
      v1::Customer next = cur.doc;
      next.set_team(team_name);
      *next.mutable_update_time() = ToTs(now);
      next.clear_etag();
      WriteBatch b;
      CustomersStore::PutDoc(b, kCustomer, StripPrefix(next.name()), next, cur.version);
      ReindexCustomer(b, &cur.doc, next);
      v1::CustomerUpdated e;
      *e.mutable_customer() = next;
      *e.mutable_previous() = cur.doc;
      e.add_changed_fields("team");
      e.set_reason(reason);
      *e.mutable_actor() = ActorOf(call);
      Emit(b, call, StripPrefix(next.name()), next.name(), e, now);
      batches.push_back(std::move(b));
    }
    for (auto& r : store_.outbox().CommitMany(batches)) {
      SALESOPS_RETURN_IF_ERROR(r.status());
      // A customer changed meanwhile stays on the old team until the event is
      // redelivered (the consumer retries on the status below).
      if (!r->committed) {
        return Aborted(reason::kEtagMismatch, "a customer changed meanwhile; retry");
      }
      ++run.changed;
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto opp_ids,
                            store_.Range(OpportunitiesOfOwnerIndex(member_id), "", 100000));
  for (size_t start = 0; start < opp_ids.size(); start += 200) {
    std::vector<std::string> ids(opp_ids.begin() + start,
                                 opp_ids.begin() + std::min(opp_ids.size(), start + 200));
    SALESOPS_ASSIGN_OR_RETURN(auto opps, store_.GetMany<v1::Opportunity>(kOpportunity, ids));
    std::vector<WriteBatch> batches;
    for (auto& cur : opps) {
      ++run.examined;
      if (!IsOpenStage(cur.doc.stage()) || cur.doc.team() == team_name) {
        continue;
      }
      v1::Opportunity next = cur.doc;
      next.set_team(team_name);
      *next.mutable_update_time() = ToTs(now);
      next.clear_etag();
      const std::string oid = StripPrefix(next.name());
      WriteBatch b;
      CustomersStore::PutDoc(b, kOpportunity, oid, next, cur.version);
      if (!cur.doc.team().empty()) {
        b.ZRem(OpportunitiesOfTeamIndex(StripPrefix(cur.doc.team())), oid);
      }
      b.ZAdd(OpportunitiesOfTeamIndex(to_team), 0, oid);
      v1::OpportunityUpdated e;
      *e.mutable_opportunity() = next;
      *e.mutable_previous() = cur.doc;
      e.add_changed_fields("team");
      e.set_reason(reason);
      *e.mutable_actor() = ActorOf(call);
      Emit(b, call, StripPrefix(next.customer()), next.name(), e, now);
      batches.push_back(std::move(b));
    }
    for (auto& r : store_.outbox().CommitMany(batches)) {
      SALESOPS_RETURN_IF_ERROR(r.status());
      if (!r->committed) {
        return Aborted(reason::kEtagMismatch, "a deal changed meanwhile; retry");
      }
      ++run.changed;
    }
  }
  return run;
}

}  // namespace salesops::customers
