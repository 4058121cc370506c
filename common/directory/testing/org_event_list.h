// Org events as the org service publishes them, each with an id of its own, for
// tests of the directory projections' batches (common/directory, the sync
// service's departments).
//
//   OrgEventList ev;
//   ev.Unit("team-1", "east", ov1::ORG_UNIT_KIND_TEAM);
//   ev.Member<ov1::MemberJoined>("rep-1", "team-1", ov1::ROLE_REP);
//   projection.HandleBatch(ev.Pointers());
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "salesops/org/v1/org_events.pb.h"

namespace salesops::org::testing {

class OrgEventList {
 public:
  // OrgUnitCreated, or OrgUnitUpdated with `update`.
  void Unit(const std::string& id, const std::string& parent, v1::OrgUnitKind kind,
            bool update = false) {
    v1::OrgUnit u;
    u.set_name(absl::StrCat("orgUnits/", id));
    if (!parent.empty()) {
      u.set_parent(absl::StrCat("orgUnits/", parent));
    }
    u.set_kind(kind);
    u.set_display_name(id);
    if (update) {
      v1::OrgUnitUpdated e;
      *e.mutable_org_unit() = u;
      Add(id, e);
    } else {
      v1::OrgUnitCreated e;
      *e.mutable_org_unit() = u;
      Add(id, e);
    }
  }
  // A member event (MemberJoined, MemberMoved, ...) naming the member's team.
  template <typename E>
  void Member(const std::string& id, const std::string& team, v1::Role role,
              v1::Department department = v1::DEPARTMENT_UNSPECIFIED) {
    E e;
    e.mutable_member()->set_name(absl::StrCat("members/", id));
    e.mutable_member()->set_org_unit(absl::StrCat("orgUnits/", team));
    e.mutable_member()->set_role(role);
    e.mutable_member()->set_department(department);
    Add(id, e);
  }
  // Any payload, keyed and subject `key`; its id "ev-<n>".
  void Add(const std::string& key, const google::protobuf::Message& payload) {
    CloudEvent e = MakeCloudEvent("/salesops/org", key, key, payload, absl::Now());
    e.id = absl::StrCat("ev-", all.size());
    all.push_back(std::move(e));
  }
  std::vector<const CloudEvent*> Pointers() const {
    std::vector<const CloudEvent*> out;
    out.reserve(all.size());
    for (const CloudEvent& e : all) {
      out.push_back(&e);
    }
    return out;
  }

  std::vector<CloudEvent> all;
};

}  // namespace salesops::org::testing
