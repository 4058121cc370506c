#include "services/sync/events/sync_projection.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/api/task_forces.h"
#include "services/sync/domain/feedback.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/domain/sharing.h"
#include "services/sync/domain/task_force.h"
#include "services/sync/notify/messages.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

constexpr int kMaxAttempts = 5;
constexpr int kGrantPage = 500;
constexpr int kMaxDealLeads = 100;

// The deal's facts as the flat customers events carry them.
struct DealFacts {
  std::string opportunity, customer, display_name, owner, team, region, product_line, channel,
      customer_type, lost_reason, lost_to_competitor;
  cv1::OpportunityStage stage = cv1::OPPORTUNITY_STAGE_UNSPECIFIED;
  salesops::common::v1::Money amount;
  bool has_amount = false;
};

template <typename E>
DealFacts FlatFacts(const E& e) {
  DealFacts f;
  f.opportunity = e.opportunity();
  f.customer = e.customer();
  f.display_name = e.display_name();
  f.owner = e.owner();
  f.team = e.team();
  f.region = e.region();
  f.product_line = e.product_line();
  f.channel = e.channel();
  f.customer_type = e.customer_type();
  f.amount = e.amount();
  f.has_amount = e.has_amount();
  return f;
}

void Merge(const DealFacts& f, cv1::Opportunity& o) {
  o.set_name(f.opportunity);
  if (!f.customer.empty()) {
    o.set_customer(f.customer);
  }
  if (!f.display_name.empty()) {
    o.set_display_name(f.display_name);
  }
  if (f.stage != cv1::OPPORTUNITY_STAGE_UNSPECIFIED) {
    o.set_stage(f.stage);
  }
  if (f.has_amount) {
    *o.mutable_amount() = f.amount;
  }
  o.set_owner(f.owner);
  o.set_team(f.team);
  if (!f.region.empty()) {
    o.set_region(f.region);
  }
  if (!f.product_line.empty()) {
    o.set_product_line(f.product_line);
  }
  if (!f.channel.empty()) {
    o.set_channel(f.channel);
  }
  if (!f.customer_type.empty()) {
    o.set_customer_type(f.customer_type);
  }
  if (!f.lost_reason.empty()) {
    o.set_lost_reason(f.lost_reason);
  }
  if (!f.lost_to_competitor.empty()) {
    o.set_lost_to_competitor(f.lost_to_competitor);
  }
}

bool IsRace(const absl::Status& s) {
  const std::string why = ErrorReason(s);
  return why == reason::kEtagMismatch || why == reason::kResourceExists;
}

}  // namespace

absl::Status SyncProjection::Handle(const CloudEvent& event) {
  absl::Status last;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Change c;
    int deliveries = 0;
    SALESOPS_RETURN_IF_ERROR(Build(event, c, &deliveries));
    if (c.empty()) {
      return absl::OkStatus();
    }
    absl::StatusOr<ApplyOutcome> r = repo_.ApplyOnce(kSyncGroup, event, c);
    if (r.ok()) {
      if (*r == ApplyOutcome::kApplied && deliveries > 0 && queued_) {
        queued_();
      }
      return absl::OkStatus();
    }
    last = r.status();
    // A document the change was decided on moved (an API write meanwhile):
    // decide again on what is there now.
    if (!IsRace(last)) {
      return last;
    }
  }
  return Aborted("PROJECTION_CONTENDED", absl::StrCat("event ", event.id, " lost ", kMaxAttempts,
                                                      " races: ", last.message()));
}

absl::Status SyncProjection::Build(const CloudEvent& event, Change& c, int* deliveries) {
  if (absl::StartsWith(event.type, "salesops.customers.v1.")) {
    SALESOPS_RETURN_IF_ERROR(Customers(event, c));
  }
  return Notify(event, c, deliveries);
}

// ------------------------------------------------------------ customers

absl::Status SyncProjection::Customers(const CloudEvent& event, Change& c) {
  const std::string& t = event.type;
  const absl::Time now = clock_.Now();
  // The minimised customer: a whole new state, or a patch of the stored one.
  std::optional<v1::MinimisedCustomer> whole;
  std::string patch_id;
  std::function<void(v1::MinimisedCustomer&)> patch;
  if (t == "salesops.customers.v1.CustomerCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerCreated>(event));
    whole = MinimiseCustomer(e.customer());
  } else if (t == "salesops.customers.v1.CustomerUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerUpdated>(event));
    whole = MinimiseCustomer(e.customer());
  } else if (t == "salesops.customers.v1.CustomerTierChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerTierChanged>(event));
    patch_id = IdOf(e.customer());
    patch = [e](v1::MinimisedCustomer& m) { m.set_tier(e.new_tier()); };
  } else if (t == "salesops.customers.v1.CustomerReleasedToPool") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerReleasedToPool>(event));
    patch_id = IdOf(e.customer());
    patch = [](v1::MinimisedCustomer& m) {
      m.clear_owner();
      m.clear_team();
    };
  } else if (t == "salesops.customers.v1.CustomerClaimed") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerClaimed>(event));
    patch_id = IdOf(e.customer());
    patch = [e](v1::MinimisedCustomer& m) {
      m.set_owner(e.owner());
      m.set_team(e.team());
      m.set_region(e.region());  // "": derived from the new team below
    };
  } else if (t == "salesops.customers.v1.CustomerHandedOver") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::CustomerHandedOver>(event));
    patch_id = IdOf(e.customer());
    patch = [e](v1::MinimisedCustomer& m) {
      m.set_owner(e.to_owner());
      m.set_team(e.to_team());
      m.clear_region();  // the new team's, derived below
    };
  } else if (t == "salesops.customers.v1.SharingGranted" ||
             t == "salesops.customers.v1.SharingRevoked") {
    cv1::SharingGrant grant;
    if (t == "salesops.customers.v1.SharingGranted") {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::SharingGranted>(event));
      grant = e.sharing_grant();
    } else {
      SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::SharingRevoked>(event));
      grant = e.sharing_grant();
    }
    const std::string grant_id = IdOf(grant.name());
    if (grant_id.empty()) {
      return InvalidField("sharing_grant.name", "missing");
    }
    SALESOPS_ASSIGN_OR_RETURN(std::optional<StoredDoc> cur, repo_.Get(DocKind::kGrant, grant_id));
    c.Put(DocKind::kGrant, grant_id, grant, cur ? cur->version : 0);
    if (t == "salesops.customers.v1.SharingRevoked") {
      // The shares it allowed end with it.
      std::vector<std::string> ids;
      for (std::string after;;) {
        SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> page,
                                  repo_.Range(Ix("share:grant:", grant_id), after, kGrantPage));
        if (page.empty()) {
          break;
        }
        after = page.back();
        ids.insert(ids.end(), page.begin(), page.end());
        if (static_cast<int>(page.size()) < kGrantPage) {
          break;
        }
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<StoredDoc>> docs,
                                repo_.GetMany(DocKind::kShare, ids));
      for (size_t i = 0; i < ids.size(); ++i) {
        v1::CustomerShare s;
        if (!docs[i] || !s.ParseFromString(docs[i]->data)) {
          continue;
        }
        if (s.state() != v1::SHARE_STATE_ACTIVE) {
          continue;
        }
        s.set_state(v1::SHARE_STATE_REVOKED);
        *s.mutable_revoke_time() = ToTs(now);
        s.set_revoke_reason(absl::StrCat(grant.name(), " was revoked"));
        c.Put(DocKind::kShare, ids[i], s, docs[i]->version);
        c.Unschedule(kShareExpiry, ids[i]);
        c.dirty_shares.push_back(IdOf(s.customer()));
        v1::CustomerShareRevoked e;
        e.set_share(s.name());
        e.set_customer(s.customer());
        e.set_recipient(s.recipient());
        e.set_state(v1::SHARE_STATE_REVOKED);
        e.set_reason(s.revoke_reason());
        c.Emit(MakeCloudEvent(kSyncSource, ids[i], s.name(), e, now, event.trace_id), kSyncTopic);
      }
    }
    return absl::OkStatus();
  } else if (absl::StartsWith(t, "salesops.customers.v1.Opportunity")) {
    return Deal(event, c);
  } else {
    return absl::OkStatus();
  }

  const std::string id = whole ? IdOf(whole->customer()) : patch_id;
  if (id.empty()) {
    return InvalidField("customer", "missing");
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::MinimisedCustomer>> cur,
                            LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, id));
  v1::MinimisedCustomer next;
  if (whole) {
    next = *whole;
  } else {
    if (!cur) {
      return absl::OkStatus();  // its creation was before our time: nothing to patch
    }
    next = cur->doc;
    patch(next);
  }
  // The sales line's region: the owner's team's, when the customer's own
  // region tag names none (scope checks read it).
  if (next.region().empty() && !next.team().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::string region, directory_.RegionOf(IdOf(next.team())));
    if (!region.empty()) {
      next.set_region(Name(kUnitColl, region));
    }
  }
  if (cur && cur->doc.SerializeAsString() == next.SerializeAsString()) {
    return absl::OkStatus();
  }
  c.Put(DocKind::kCustomer, id, next, cur ? cur->version : 0);
  // A customer on the share topic gets its record published again.
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> shared,
                            repo_.Range(Ix("share:customer:", id), "", 1));
  if (!shared.empty()) {
    c.dirty_shares.push_back(id);
  }
  return absl::OkStatus();
}

absl::Status SyncProjection::Deal(const CloudEvent& event, Change& c) {
  const std::string& t = event.type;
  DealFacts f;
  std::optional<cv1::Opportunity> whole;
  bool won = false, lost = false;
  if (t == "salesops.customers.v1.OpportunityCreated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityCreated>(event));
    f = FlatFacts(e);
    f.stage = e.stage();
  } else if (t == "salesops.customers.v1.OpportunityStageChanged") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityStageChanged>(event));
    f = FlatFacts(e);
    f.stage = e.to_stage();
  } else if (t == "salesops.customers.v1.OpportunityWon") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityWon>(event));
    f = FlatFacts(e);
    f.stage = cv1::OPPORTUNITY_STAGE_WON;
    won = true;
  } else if (t == "salesops.customers.v1.OpportunityLost") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityLost>(event));
    f = FlatFacts(e);
    f.stage = cv1::OPPORTUNITY_STAGE_LOST;
    f.lost_reason = e.reason();
    f.lost_to_competitor = e.lost_to_competitor();
    lost = true;
  } else if (t == "salesops.customers.v1.OpportunityUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<cv1::OpportunityUpdated>(event));
    whole = e.opportunity();
    whole->clear_stage_history();
    whole->clear_etag();
  } else {
    return absl::OkStatus();
  }
  const std::string opp_id = IdOf(whole ? whole->name() : f.opportunity);
  if (opp_id.empty()) {
    return InvalidField("opportunity", "missing");
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<cv1::Opportunity>> cur,
                            LoadDoc<cv1::Opportunity>(repo_, DocKind::kOpportunity, opp_id));
  cv1::Opportunity deal = cur ? cur->doc : cv1::Opportunity();
  if (whole) {
    // An update never reopens a deal the projection saw closed.
    const cv1::OpportunityStage kept = deal.stage();
    deal = *whole;
    if (kept == cv1::OPPORTUNITY_STAGE_WON || kept == cv1::OPPORTUNITY_STAGE_LOST) {
      deal.set_stage(kept);
    }
  } else {
    Merge(f, deal);
  }
  c.Put(DocKind::kOpportunity, opp_id, deal, cur ? cur->version : 0);
  const absl::Time now = clock_.Now();

  // The deal's open task force follows its sales line (owner, team, region):
  // its scope checks and lists are the line's.
  if (cur && (cur->doc.owner() != deal.owner() || cur->doc.team() != deal.team() ||
              cur->doc.region() != deal.region())) {
    SALESOPS_ASSIGN_OR_RETURN(OpenMarker marker, LoadOpenMarker(repo_, opp_id));
    if (!marker.open_task_force.empty()) {
      const std::string tf_id = IdOf(marker.open_task_force);
      SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::TaskForce>> tf,
                                LoadDoc<v1::TaskForce>(repo_, DocKind::kTaskForce, tf_id));
      if (tf) {
        v1::TaskForce t = tf->doc;
        const std::string entry = TaskForceEntry(t, tf_id);
        auto move = [&](const char* index, const std::string& from, const std::string& to) {
          if (from == to) {
            return;
          }
          if (!from.empty()) {
            c.Unindex(Ix(index, IdOf(from)), entry);
          }
          if (!to.empty()) {
            c.Index(Ix(index, IdOf(to)), entry);
          }
        };
        move("tf:team:", t.team(), deal.team());
        move("tf:region:", t.region(), deal.region());
        t.set_owner(deal.owner());
        t.set_team(deal.team());
        t.set_region(deal.region());
        *t.mutable_update_time() = ToTs(now);
        c.Put(DocKind::kTaskForce, tf_id, t, tf->version);
      }
    }
  }

  // An automatic task force, once per deal.
  if (IsOpenStage(deal.stage())) {
    SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::TaskForcePolicy> policy, LoadTaskForcePolicy(repo_));
    cv1::CustomerTier tier = cv1::CUSTOMER_TIER_UNSPECIFIED;
    SALESOPS_ASSIGN_OR_RETURN(
        std::optional<Loaded<v1::MinimisedCustomer>> customer,
        LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, IdOf(deal.customer())));
    if (customer) {
      tier = customer->doc.tier();
    }
    if (ShouldPropose(policy.doc, deal, tier)) {
      const std::string tf_id = absl::StrCat("auto-", opp_id);
      SALESOPS_ASSIGN_OR_RETURN(std::optional<StoredDoc> existing,
                                repo_.Get(DocKind::kTaskForce, tf_id));
      SALESOPS_ASSIGN_OR_RETURN(OpenMarker marker, LoadOpenMarker(repo_, opp_id));
      if (!existing && marker.open_task_force.empty()) {
        SALESOPS_ASSIGN_OR_RETURN(std::string supervisor,
                                  SupervisorOf(directory_, IdOf(deal.team())));
        v1::TaskForce tf = ProposedTaskForce(policy.doc, deal, tier, supervisor, now);
        tf.set_name(Name(kTaskForceColl, tf_id));
        tf.set_proposed_by("system");
        AddNewTaskForce(c, tf_id, tf, marker);
        v1::TaskForceProposed e;
        *e.mutable_task_force() = tf;
        e.set_cause_event_source(event.source);
        e.set_cause_event_id(event.id);
        c.Emit(MakeCloudEvent(kSyncSource, tf_id, tf.name(), e, now, event.trace_id), kSyncTopic);
      }
    }
  }

  // Campaign leads this deal came from get its outcome.
  if (won || lost) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> lead_ids,
                              repo_.Range(Ix("lead:opp:", opp_id), "", kMaxDealLeads));
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<StoredDoc>> leads,
                              repo_.GetMany(DocKind::kLead, lead_ids));
    for (size_t i = 0; i < lead_ids.size(); ++i) {
      v1::CampaignLead l;
      if (!leads[i] || !l.ParseFromString(leads[i]->data)) {
        continue;
      }
      if (l.state() != v1::LEAD_STATE_QUALIFIED) {
        continue;
      }
      const v1::LeadState previous = l.state();
      l.set_state(won ? v1::LEAD_STATE_WON : v1::LEAD_STATE_LOST);
      *l.mutable_update_time() = ToTs(now);
      c.Put(DocKind::kLead, lead_ids[i], l, leads[i]->version);
      c.Count(absl::StrCat("campaign:stats:", IdOf(l.campaign())), won ? "won" : "lost", 1);
      v1::LeadOutcomeChanged e;
      *e.mutable_lead() = l;
      e.set_previous_state(previous);
      e.set_cause_event_source(event.source);
      e.set_cause_event_id(event.id);
      c.Emit(MakeCloudEvent(kSyncSource, lead_ids[i], l.name(), e, now, event.trace_id),
             kSyncTopic);
    }
  }

  // Lost deals feed the insights: reasons and competitors per product line
  // and region, with the revenue lost (CNY).
  if (lost) {
    const std::string pl = IdOf(deal.product_line());
    const std::string region = IdOf(deal.region());
    const int64_t amount =
        deal.amount().currency_code() == "CNY" || deal.amount().currency_code().empty()
            ? std::max<int64_t>(0, deal.amount().amount_minor())
            : 0;
    if (const std::string key = InsightKey(deal.lost_reason()); !key.empty()) {
      c.Count(kLossCount, InsightField(pl, region, key), 1);
      c.Count(kLossAmount, InsightField(pl, region, key), amount);
    }
    if (const std::string key = InsightKey(deal.lost_to_competitor()); !key.empty()) {
      c.Count(kCompLost, InsightField(pl, region, key), 1);
      c.Count(kCompAmount, InsightField(pl, region, key), amount);
    }
  }
  return absl::OkStatus();
}

// -------------------------------------------------------- notifications

absl::Status SyncProjection::Notify(const CloudEvent& event, Change& c, int* deliveries) {
  if (!routes_.Routes(event.type)) {
    return absl::OkStatus();
  }
  // What the event is about: rendered once per language the routes use.
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Notice> probe, NoticeFor(event, "zh", options_.tz));
  if (!probe) {
    return absl::OkStatus();
  }
  std::vector<std::string> units = probe->units;
  if (!probe->member.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m, directory_.Member(probe->member));
    if (m && !m->team.empty()) {
      units.push_back(m->team);
    }
  }
  if (units.empty() && !probe->audience) {
    return absl::OkStatus();
  }
  auto chain_of = [this](const std::string& unit) {
    absl::StatusOr<std::vector<std::string>> chain = directory_.UnitAndAncestors(unit);
    return chain.ok() ? *chain : std::vector<std::string>{unit};
  };
  const std::vector<const Route*> matched =
      routes_.Match(event.type, units, probe->audience, chain_of);
  if (matched.empty()) {
    return absl::OkStatus();
  }
  std::map<std::string, Notice> by_language = {{"zh", *probe}};
  const absl::Time now = clock_.Now();
  for (const Route* r : matched) {
    auto it = by_language.find(r->language);
    if (it == by_language.end()) {
      SALESOPS_ASSIGN_OR_RETURN(std::optional<Notice> n,
                                NoticeFor(event, r->language, options_.tz));
      it = by_language.emplace(r->language, n ? *n : *probe).first;
    }
    const Notice& n = it->second;
    const std::string id = DeliveryId(r->id, event.source, event.id);
    v1::NotificationDelivery d;
    d.set_name(Name(kDeliveryColl, id));
    d.set_route(Name(kRouteColl, r->id));
    d.set_event_type(event.type);
    d.set_event_source(event.source);
    d.set_event_id(event.id);
    d.set_subject(n.subject);
    d.set_title(n.title);
    d.set_text(n.markdown);
    d.set_state(v1::DELIVERY_STATE_PENDING);
    *d.mutable_next_attempt_time() = ToTs(now);
    *d.mutable_create_time() = ToTs(now);
    *d.mutable_update_time() = ToTs(now);
    c.Put(DocKind::kDelivery, id, d, 0);
    const std::string entry = Entry(NewestFirst(now), id);
    c.Index(Ix("dlv:all"), entry);
    c.Index(Ix("dlv:route:", r->id), entry);
    c.Index(Ix("dlv:state:", absl::StrCat(static_cast<int>(v1::DELIVERY_STATE_PENDING))), entry);
    c.Schedule(kDeliveryDue, id, absl::ToUnixMillis(now));
    ++*deliveries;
  }
  return absl::OkStatus();
}

}  // namespace salesops::sync
