// Who may see an event on the live stream: one small pure function per event
// family (the service whose topic carries it) reads the people and org units
// an event names from its payload, and MaySee() decides for a viewer. A rep
// sees the events that name them (their deals, warnings, numbers); a
// supervisor also those of their team; a manager those of their region;
// directors and admins everything. An event that names nobody (policies,
// plans, fiscal periods, company figures) is company-wide: directors and
// admins only.
//
//   EventScope scope = ScopeOfEvent(payload);        // by the payload's package
//   ResolveScope(org_view, &scope);                   // teams → regions
//   if (MaySee({.role = Role::kSupervisor, .member_id = "m-1", .unit = "team-1"}, scope)) …
//
// Ids are kept without their collection prefix ("members/m-1" → "m-1",
// "orgUnits/t-1" → "t-1"), as the bearer token carries them.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/auth/principal.h"
#include "google/protobuf/message.h"

namespace salesops::gateway {

struct EventScope {
  std::vector<std::string> members;  // people the event is about or names
  std::vector<std::string> units;    // teams (or departments, regions) it concerns
  std::vector<std::string> regions;  // regions it concerns (given or resolved)
  // Where the event itself puts a unit it names (an org unit created, updated,
  // deleted): newer than the org directory, which may not have it yet.
  struct Place {
    std::string unit, parent;
    bool region = false;
  };
  std::vector<Place> places;
  // The lowest role that may see it at all (talent assessments: supervisors up).
  Role min_role = Role::kRep;

  bool company_wide() const { return members.empty() && units.empty() && regions.empty(); }
  void AddMember(absl::string_view id);
  void AddUnit(absl::string_view id);
  void AddRegion(absl::string_view id);
};

// The org as the stream sees it (the gateway's org directory projection);
// "" when unknown.
class OrgView {
 public:
  virtual ~OrgView() = default;
  virtual std::string TeamOf(const std::string& member_id) = 0;
  // The nearest region at or above the unit (the unit itself for a region).
  virtual std::string RegionOf(const std::string& unit_id) = 0;
};

// Completes a scope read from a payload: when the event names no unit, the
// teams of the members it names (a supervisor sees their reps' events);
// then the region of every unit (a manager sees the region's events), from
// the unit's place in the event when it states one, else from the org.
void ResolveScope(OrgView& org, EventScope* scope);

// Who is watching, from their verified token and the org directory.
struct Viewer {
  Role role = Role::kRep;
  std::string member_id;
  std::string unit;    // the token's org unit (a supervisor's team)
  std::string region;  // the region of `unit` ("" if none)
};

// Whether `viewer` may see an event of this (resolved) scope.
bool MaySee(const Viewer& viewer, const EventScope& scope);

// The per-family readers. Each handles every event type of its family's
// *_events.proto; a type it does not know is read generically (the people and
// units it names), so a new event is scoped, never broadcast.
EventScope OrgEventScope(const google::protobuf::Message& event);
EventScope CustomersEventScope(const google::protobuf::Message& event);
EventScope TargetsEventScope(const google::protobuf::Message& event);
EventScope WarningEventScope(const google::protobuf::Message& event);
EventScope ForecastEventScope(const google::protobuf::Message& event);
EventScope PerformanceEventScope(const google::protobuf::Message& event);
EventScope SyncEventScope(const google::protobuf::Message& event);

// Dispatches on the payload's package (salesops.<family>.v1); other packages
// are read generically.
EventScope ScopeOfEvent(const google::protobuf::Message& event);

// The generic reader: every string field (nested messages too, except actors
// and the fields in `skip`) holding "members/<id>" names a member,
// "orgUnits/<id>" a unit (a field called region or *_region: a region).
EventScope NamedRefs(const google::protobuf::Message& event,
                     const std::vector<absl::string_view>& skip = {});

}  // namespace salesops::gateway
