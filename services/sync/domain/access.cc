#include "services/sync/domain/access.h"

#include <algorithm>

#include "services/sync/domain/names.h"

namespace salesops::sync {

bool Viewer::Within(const std::string& unit_id) const {
  return !unit_id.empty() && std::find(units.begin(), units.end(), unit_id) != units.end();
}

bool InSalesScope(const Viewer& v, const SalesScope& s) {
  if (v.principal.role == Role::kRep) {
    return !v.principal.member_id.empty() && s.owner == v.principal.member_id;
  }
  return LeadsSalesScope(v, s);
}

bool LeadsSalesScope(const Viewer& v, const SalesScope& s) {
  const std::string& unit = v.principal.org_unit_id;
  switch (v.principal.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kManager:
      return !unit.empty() && (s.region == unit || s.team == unit);
    case Role::kSupervisor:
      return !unit.empty() && s.team == unit;
    case Role::kRep:
      return false;
  }
  return false;
}

bool InProductOrMarketing(const Viewer& v) {
  return v.department == v1::DEPARTMENT_PRODUCT || v.department == v1::DEPARTMENT_MARKETING;
}

SalesScope AuthorScope(const v1::Feedback& f) {
  return {IdOf(f.author()), IdOf(f.author_team()), IdOf(f.author_region())};
}

bool CanReadFeedback(const Viewer& v, const v1::Feedback& f) {
  if (InSalesScope(v, AuthorScope(f))) {
    return true;
  }
  return f.routed_department() != v1::DEPARTMENT_UNSPECIFIED &&
         v.department == f.routed_department();
}

bool CanHandleFeedback(const Viewer& v, const v1::Feedback& f) {
  if (v.IsAdmin()) {
    return true;
  }
  return f.routed_department() != v1::DEPARTMENT_UNSPECIFIED &&
         v.department == f.routed_department();
}

bool CanReadQueue(const Viewer& v, v1::Department queue) {
  return v.SeesAll() || (queue != v1::DEPARTMENT_UNSPECIFIED && v.department == queue);
}

bool CanManageLaunches(const Viewer& v) { return v.IsAdmin() || InProductOrMarketing(v); }

bool CanReadLaunch(const Viewer& v, const v1::ProductLaunch& l) {
  if (l.state() == v1::LAUNCH_STATE_ANNOUNCED || l.state() == v1::LAUNCH_STATE_WITHDRAWN) {
    return true;
  }
  return v.SeesAll() || InProductOrMarketing(v);  // drafts
}

bool CanPublishInsight(const Viewer& v) {
  return v.AtLeast(Role::kManager) || InProductOrMarketing(v);
}

bool CanManageCampaigns(const Viewer& v) {
  return v.SeesAll() || v.department == v1::DEPARTMENT_MARKETING;
}

SalesScope LeadScope(const v1::CampaignLead& l) {
  return {IdOf(l.assigned_rep()), IdOf(l.team()), IdOf(l.region())};
}

bool CanReadLead(const Viewer& v, const v1::CampaignLead& l) {
  return InSalesScope(v, LeadScope(l)) || v.department == v1::DEPARTMENT_MARKETING;
}

bool CanWorkLead(const Viewer& v, const v1::CampaignLead& l) {
  return InSalesScope(v, LeadScope(l)) && v.principal.role != Role::kDirector;
}

SalesScope DealScope(const v1::TaskForce& t) {
  return {IdOf(t.owner()), IdOf(t.team()), IdOf(t.region())};
}

bool IsTaskForceMember(const v1::TaskForce& t, const std::string& member_id) {
  const std::string name = Name(kMemberColl, member_id);
  for (const auto& m : t.members()) {
    if (m.member() == name) {
      return true;
    }
  }
  return false;
}

bool HasTaskForceRole(const v1::TaskForce& t, const std::string& member_id,
                      v1::TaskForceRole role) {
  const std::string name = Name(kMemberColl, member_id);
  for (const auto& m : t.members()) {
    if (m.member() == name && m.role() == role) {
      return true;
    }
  }
  return false;
}

bool CanReadTaskForce(const Viewer& v, const v1::TaskForce& t) {
  return IsTaskForceMember(t, v.principal.member_id) || InSalesScope(v, DealScope(t));
}

bool CanDecideTaskForce(const Viewer& v, const v1::TaskForce& t) {
  if (v.SeesAll()) {
    return true;
  }
  return v.principal.role == Role::kManager && LeadsSalesScope(v, DealScope(t));
}

bool CanSteerTaskForce(const Viewer& v, const v1::TaskForce& t) {
  return v.SeesAll() || HasTaskForceRole(t, v.principal.member_id, v1::TASK_FORCE_ROLE_LEAD) ||
         HasTaskForceRole(t, v.principal.member_id, v1::TASK_FORCE_ROLE_SPONSOR);
}

SalesScope ReceptionScope(const v1::CustomerReception& r) {
  return {IdOf(r.organizer()), IdOf(r.team()), IdOf(r.region())};
}

bool CanReadReception(const Viewer& v, const v1::CustomerReception& r) {
  if (InSalesScope(v, ReceptionScope(r))) {
    return true;
  }
  const std::string me = Name(kMemberColl, v.principal.member_id);
  for (const auto& h : r.hosts()) {
    if (h.member() == me) {
      return true;
    }
  }
  return false;
}

bool CanManageReception(const Viewer& v, const v1::CustomerReception& r) {
  return InSalesScope(v, ReceptionScope(r));
}

}  // namespace salesops::sync
