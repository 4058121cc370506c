#include "services/sync/domain/task_force.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "common/validation/validation.h"
#include "services/sync/domain/names.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

bool ValidRole(v1::TaskForceRole r) {
  return r >= v1::TASK_FORCE_ROLE_LEAD && r <= v1::TASK_FORCE_ROLE_ADVISOR;
}
bool ValidFunction(v1::TaskForceFunction f) {
  return f >= v1::TASK_FORCE_FUNCTION_SALES && f <= v1::TASK_FORCE_FUNCTION_FINANCE;
}

bool IsTaskForceMemberName(const v1::TaskForce& t, const std::string& name) {
  for (const auto& m : t.members()) {
    if (m.member() == name) {
      return true;
    }
  }
  return false;
}

}  // namespace

v1::TaskForcePolicy DefaultTaskForcePolicy() {
  v1::TaskForcePolicy p;
  p.set_name("taskForcePolicy");
  p.set_enabled(true);
  p.mutable_min_amount()->set_amount_minor(100'000'000);  // ¥1,000,000
  p.mutable_min_amount()->set_currency_code("CNY");
  p.set_trigger_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_S);
  return p;
}

void CheckTaskForcePolicy(Violations& v, const std::string& prefix, const v1::TaskForcePolicy& p) {
  if (p.min_amount().amount_minor() < 0) {
    v.Add(prefix + ".min_amount.amount_minor", "must not be negative");
  }
  if (p.min_amount().currency_code().size() != 3) {
    v.Add(prefix + ".min_amount.currency_code", "an ISO 4217 code, e.g. CNY");
  }
  if (!IsOpenStage(p.trigger_stage())) {
    v.Add(prefix + ".trigger_stage", "an open stage: LEAD … CONTRACT");
  }
  if (p.default_departments_size() > 20) {
    v.Add(prefix + ".default_departments", "at most 20");
  }
  for (int i = 0; i < p.default_departments_size() && i < 20; ++i) {
    ParseResourceName(v, absl::StrCat(prefix, ".default_departments[", i, "]"),
                      p.default_departments(i), kUnitColl);
  }
  if (p.tiers_any_amount_size() > 4) {
    v.Add(prefix + ".tiers_any_amount", "at most 4");
  }
  for (int i = 0; i < p.tiers_any_amount_size() && i < 4; ++i) {
    const int t = p.tiers_any_amount(i);
    if (t < cv1::CUSTOMER_TIER_S || t > cv1::CUSTOMER_TIER_C) {
      v.Add(absl::StrCat(prefix, ".tiers_any_amount[", i, "]"), "a tier S, A, B or C");
    }
  }
}

bool IsOpenStage(cv1::OpportunityStage s) {
  return s >= cv1::OPPORTUNITY_STAGE_LEAD && s <= cv1::OPPORTUNITY_STAGE_CONTRACT;
}

bool ShouldPropose(const v1::TaskForcePolicy& policy, const cv1::Opportunity& deal,
                   cv1::CustomerTier tier) {
  if (!policy.enabled() || !IsOpenStage(deal.stage())) {
    return false;
  }
  if (deal.stage() < policy.trigger_stage()) {
    return false;
  }
  for (int t : policy.tiers_any_amount()) {
    if (t == tier && tier != cv1::CUSTOMER_TIER_UNSPECIFIED) {
      return true;
    }
  }
  const auto& min = policy.min_amount();
  return deal.amount().currency_code() == min.currency_code() &&
         deal.amount().amount_minor() >= min.amount_minor();
}

namespace {

// The stage as a sales team says it.
const char* StageText(cv1::OpportunityStage s) {
  switch (s) {
    case cv1::OPPORTUNITY_STAGE_LEAD:
      return "线索";
    case cv1::OPPORTUNITY_STAGE_QUALIFIED:
      return "需求确认";
    case cv1::OPPORTUNITY_STAGE_PROPOSAL:
      return "方案";
    case cv1::OPPORTUNITY_STAGE_NEGOTIATION:
      return "商务谈判";
    case cv1::OPPORTUNITY_STAGE_CONTRACT:
      return "合同";
    default:
      return "关键";
  }
}

}  // namespace

v1::TaskForce ProposedTaskForce(const v1::TaskForcePolicy& policy, const cv1::Opportunity& deal,
                                cv1::CustomerTier tier, const std::string& supervisor_id,
                                absl::Time now) {
  v1::TaskForce t;
  t.set_title(absl::StrCat(deal.display_name(), " 联合攻坚组"));
  t.set_objective(absl::StrCat("商机进入", StageText(deal.stage()),
                               "阶段，组建售前、产品、交付联合团队推进签约"));
  t.set_opportunity(deal.name());
  t.set_customer(deal.customer());
  *t.mutable_amount() = deal.amount();
  t.set_trigger(v1::TASK_FORCE_TRIGGER_AUTO);
  t.set_state(v1::TASK_FORCE_STATE_PROPOSED);
  t.set_customer_tier(tier);
  t.set_owner(deal.owner());
  t.set_team(deal.team());
  t.set_region(deal.region());
  t.set_product_line(deal.product_line());
  if (!deal.owner().empty()) {
    v1::TaskForceMember* lead = t.add_members();
    lead->set_member(deal.owner());
    lead->set_department(deal.team());
    lead->set_role(v1::TASK_FORCE_ROLE_LEAD);
    lead->set_function(v1::TASK_FORCE_FUNCTION_SALES);
    lead->set_responsibility("客户关系与商务推进");
    *lead->mutable_join_time() = ToTs(now);
  }
  if (!supervisor_id.empty() && Name(kMemberColl, supervisor_id) != deal.owner()) {
    v1::TaskForceMember* sponsor = t.add_members();
    sponsor->set_member(Name(kMemberColl, supervisor_id));
    sponsor->set_department(deal.team());
    sponsor->set_role(v1::TASK_FORCE_ROLE_SPONSOR);
    sponsor->set_function(v1::TASK_FORCE_FUNCTION_SALES);
    *sponsor->mutable_join_time() = ToTs(now);
  }
  for (const std::string& d : policy.default_departments()) {
    t.add_invited_departments(d);
  }
  *t.mutable_create_time() = ToTs(now);
  *t.mutable_update_time() = ToTs(now);
  return t;
}

void CheckMembers(Violations& v, const std::string& prefix,
                  const google::protobuf::RepeatedPtrField<v1::TaskForceMember>& members,
                  bool need_lead) {
  if (members.size() > kMaxTaskForceMembers) {
    v.Add(prefix, absl::StrCat("at most ", kMaxTaskForceMembers, " members"));
    return;
  }
  std::set<std::string> seen;
  int leads = 0;
  bool sales = false, other = false;
  for (int i = 0; i < members.size(); ++i) {
    const v1::TaskForceMember& m = members[i];
    const std::string p = absl::StrCat(prefix, "[", i, "]");
    ParseResourceName(v, p + ".member", m.member(), kMemberColl);
    if (!seen.insert(m.member()).second) {
      v.Add(p + ".member", "listed twice");
    }
    if (!m.department().empty()) {
      ParseResourceName(v, p + ".department", m.department(), kUnitColl);
    }
    if (!ValidRole(m.role())) {
      v.Add(p + ".role", "required: LEAD, SPONSOR, MEMBER or ADVISOR");
    }
    if (!ValidFunction(m.function())) {
      v.Add(p + ".function", "required: SALES, PRE_SALES, PRODUCT, DELIVERY, MARKETING or FINANCE");
    }
    CheckText(v, p + ".responsibility", m.responsibility(), 0, 200);
    if (m.role() == v1::TASK_FORCE_ROLE_LEAD) {
      ++leads;
    }
    if (m.function() == v1::TASK_FORCE_FUNCTION_SALES) {
      sales = true;
    }
    if (ValidFunction(m.function()) && m.function() != v1::TASK_FORCE_FUNCTION_SALES) {
      other = true;
    }
  }
  if (need_lead) {
    if (leads != 1) {
      v.Add(prefix, "exactly one member must be the LEAD");
    }
    if (!sales || !other) {
      v.Add(prefix,
            "a task force needs sales and at least one other function (pre-sales, "
            "product, delivery …)");
    }
  }
}

void CheckMilestone(Violations& v, const std::string& prefix, const v1::Milestone& m,
                    bool require_title) {
  CheckText(v, prefix + ".title", m.title(), require_title ? 1 : 0, 200);
  CheckText(v, prefix + ".note", m.note(), 0, 2000);
  if (!m.owner().empty()) {
    ParseResourceName(v, prefix + ".owner", m.owner(), kMemberColl);
  }
  if (m.has_due_date()) {
    const auto& d = m.due_date();
    if (d.year() < 2000 || d.year() > 2100 || d.month() < 1 || d.month() > 12 || d.day() < 1 ||
        d.day() > 31 || absl::CivilDay(d.year(), d.month(), d.day()).day() != d.day()) {
      v.Add(prefix + ".due_date", "not a calendar date");
    }
  }
  if (m.state() < v1::MILESTONE_STATE_UNSPECIFIED || m.state() > v1::MILESTONE_STATE_CANCELLED) {
    v.Add(prefix + ".state", "unknown state");
  }
}

void CheckCreditSplit(Violations& v, const std::string& prefix,
                      const google::protobuf::RepeatedPtrField<v1::CreditShare>& shares,
                      const v1::TaskForce& task_force) {
  if (shares.empty() || shares.size() > kMaxTaskForceMembers) {
    v.Add(prefix, absl::StrCat("1..", kMaxTaskForceMembers, " shares"));
    return;
  }
  std::set<std::string> seen;
  int64_t sum = 0;
  bool all_valid = true;
  for (int i = 0; i < shares.size(); ++i) {
    const std::string p = absl::StrCat(prefix, "[", i, "]");
    const v1::CreditShare& s = shares[i];
    ParseResourceName(v, p + ".member", s.member(), kMemberColl);
    if (!seen.insert(s.member()).second) {
      v.Add(p + ".member", "listed twice");
    } else if (!IsTaskForceMemberName(task_force, s.member())) {
      v.Add(p + ".member", "is not a member of the task force");
    }
    if (s.share_millionths() < 1 || s.share_millionths() > kWholeShare) {
      v.Add(p + ".share_millionths", "must be 1..1000000");
      all_valid = false;
    } else {
      sum += s.share_millionths();
    }
  }
  if (all_valid && sum != kWholeShare) {
    v.Add(prefix, absl::StrCat("shares must sum to exactly 1000000 (they sum to ", sum, ")"));
  }
}

}  // namespace salesops::sync
