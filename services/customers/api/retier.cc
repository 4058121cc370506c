// One customer's tier re-evaluation (ReTier, api_ops.h): shared by the
// RecomputeTier path of the API and the batched tier job (jobs/).
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "services/customers/api/api_ops.h"
#include "services/customers/api/customers_api.h"
#include "services/customers/domain/contracts.h"
#include "services/customers/domain/pipeline.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/tiering.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

CallContext SystemCall(const std::string& job) {
  CallContext c;
  c.principal.member_id = absl::StrCat("system:", job);
  c.principal.role = Role::kAdmin;
  c.method = job;
  return c;
}

TierResult PlanReTier(const Policies& policies, const Versioned<v1::Customer>& cur,
                      const std::vector<Versioned<v1::Opportunity>>& opps,
                      v1::TierEvaluationTrigger trigger, const CallContext& call, absl::Time now,
                      WriteBatch& b) {
  const std::string id = StripPrefix(cur.doc.name());
  std::vector<WonDeal> won;
  int64_t open = 0;
  for (const auto& o : opps) {
    if (o.doc.amount().currency_code() != policies.tier.currency_code()) {
      continue;
    }
    if (o.doc.stage() == v1::OPPORTUNITY_STAGE_WON) {
      won.push_back({FromTs(o.doc.close_time()), o.doc.amount().amount_minor()});
    } else if (IsOpenStage(o.doc.stage())) {
      open = CheckedAdd(open, o.doc.amount().amount_minor()).value_or(INT64_MAX);
    }
  }
  TierResult r;
  r.customer = cur.doc;
  v1::ScoreBreakdown score = Score(policies.tier, FactsFromDeals(won, open, now), now);
  const v1::CustomerTier tier = TierFor(policies.tier, score.total_score());
  r.changed = tier != cur.doc.tier();
  *r.customer.mutable_score() = score;
  r.customer.set_tier(tier);
  r.customer.clear_etag();
  CustomersStore::PutDoc(b, kCustomer, id, r.customer, cur.version);
  ReindexCustomer(b, &cur.doc, r.customer);
  ScheduleTier(b, id, now + absl::Hours(24) * policies.tier.reevaluate_every_days());
  if (r.changed) {
    v1::CustomerTierChanged e;
    e.set_customer(cur.doc.name());
    e.set_display_name(cur.doc.display_name());
    e.set_old_tier(cur.doc.tier());
    e.set_new_tier(tier);
    *e.mutable_score() = score;
    *e.mutable_previous_score() = cur.doc.score();
    e.set_owner(cur.doc.owner());
    e.set_team(cur.doc.team());
    e.set_region(cur.doc.tags().region());
    e.set_trigger(trigger);
    *e.mutable_actor() = ActorOf(call);
    Emit(b, call, id, cur.doc.name(), e, now);
  }
  r.customer.set_etag(absl::StrCat(cur.version + 1));
  return r;
}

absl::StatusOr<TierResult> ReTier(CustomersStore& store, const Policies& policies,
                                  Versioned<v1::Customer>& cur, v1::TierEvaluationTrigger trigger,
                                  const CallContext& call, absl::Time now) {
  const std::string id = StripPrefix(cur.doc.name());
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> opp_ids,
                            store.Range(OpportunitiesOfCustomerIndex(id), "", 10000));
  SALESOPS_ASSIGN_OR_RETURN(auto opps, store.GetMany<v1::Opportunity>(kOpportunity, opp_ids));
  WriteBatch b;
  TierResult r = PlanReTier(policies, cur, opps, trigger, call, now, b);
  SALESOPS_RETURN_IF_ERROR(store.Commit(b));
  return r;
}

}  // namespace salesops::customers
