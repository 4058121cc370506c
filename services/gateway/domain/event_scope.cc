#include "services/gateway/domain/event_scope.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace salesops::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr absl::string_view kMembers = "members/";
constexpr absl::string_view kOrgUnits = "orgUnits/";
constexpr int kMaxDepth = 8;

void AddOnce(std::vector<std::string>& list, absl::string_view id) {
  if (id.empty()) {
    return;
  }
  if (std::find(list.begin(), list.end(), id) == list.end()) {
    list.emplace_back(id);
  }
}

// "members/m-1" → "m-1" (a sub-resource "members/m-1/x" names m-1 too); "" otherwise.
absl::string_view IdIn(absl::string_view value, absl::string_view collection) {
  if (!absl::ConsumePrefix(&value, collection)) {
    return "";
  }
  return value.substr(0, value.find('/'));
}

bool IsRegionField(absl::string_view name) {
  return name == "region" || name == "regions" || absl::EndsWith(name, "_region");
}

void TakeRef(absl::string_view field, absl::string_view value, EventScope* out) {
  if (absl::string_view m = IdIn(value, kMembers); !m.empty()) {
    out->AddMember(m);
  } else if (absl::string_view u = IdIn(value, kOrgUnits); !u.empty()) {
    if (IsRegionField(field)) {
      out->AddRegion(u);
    } else {
      out->AddUnit(u);
    }
  }
}

bool Skipped(const FieldDescriptor* f, const std::vector<absl::string_view>& skip) {
  return std::find(skip.begin(), skip.end(), f->name()) != skip.end();
}

void Walk(const Message& m, const std::vector<absl::string_view>& skip, int depth,
          EventScope* out) {
  if (depth > kMaxDepth) {
    return;
  }
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (Skipped(f, skip)) {
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        continue;
      }
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          TakeRef(f->name(), r->GetRepeatedString(m, f, i), out);
        }
      } else {
        TakeRef(f->name(), r->GetString(m, f), out);
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Descriptor* d = f->message_type();
      // Who did something is the audit trail, not whom it concerns; well-known
      // types (timestamps, Any) name nobody.
      if (d->full_name() == "salesops.common.v1.Actor" ||
          absl::StartsWith(d->full_name(), "google.protobuf.")) {
        continue;
      }
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          Walk(r->GetRepeatedMessage(m, f, i), skip, depth + 1, out);
        }
      } else {
        Walk(r->GetMessage(m, f), skip, depth + 1, out);
      }
    }
  }
}

absl::string_view TypeName(const Message& event) { return event.GetDescriptor()->name(); }

bool IsOneOf(absl::string_view type, std::initializer_list<absl::string_view> types) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

// The string field `name` of `m` (a singular string), "" when absent.
std::string StringField(const Message& m, absl::string_view name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(std::string(name));
  if (f == nullptr || f->is_repeated() || f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

// The sub-message field `name` of `m`, or nullptr when absent or unset.
const Message* MessageField(const Message& m, absl::string_view name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(std::string(name));
  if (f == nullptr || f->is_repeated() || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      !m.GetReflection()->HasField(m, f)) {
    return nullptr;
  }
  return &m.GetReflection()->GetMessage(m, f);
}

// Reads the named string fields of `m` as references (members/…, orgUnits/…).
void TakeFields(const Message* m, std::initializer_list<absl::string_view> names, EventScope* out) {
  if (m == nullptr) {
    return;
  }
  for (absl::string_view name : names) {
    TakeRef(name, StringField(*m, name), out);
  }
}

// The place an OrgUnit message states for its unit.
void TakePlace(const Message* unit, EventScope* out) {
  if (unit == nullptr) {
    return;
  }
  const std::string id(IdIn(StringField(*unit, "name"), kOrgUnits));
  const FieldDescriptor* kind = unit->GetDescriptor()->FindFieldByName("kind");
  if (id.empty() || kind == nullptr || kind->cpp_type() != FieldDescriptor::CPPTYPE_ENUM) {
    return;
  }
  out->places.push_back(
      {id, std::string(IdIn(StringField(*unit, "parent"), kOrgUnits)),
       unit->GetReflection()->GetEnum(*unit, kind)->name() == "ORG_UNIT_KIND_REGION"});
}

}  // namespace

void EventScope::AddMember(absl::string_view id) { AddOnce(members, id); }
void EventScope::AddUnit(absl::string_view id) { AddOnce(units, id); }
void EventScope::AddRegion(absl::string_view id) { AddOnce(regions, id); }

EventScope NamedRefs(const Message& event, const std::vector<absl::string_view>& skip) {
  EventScope out;
  Walk(event, skip, 0, &out);
  return out;
}

void ResolveScope(OrgView& org, EventScope* scope) {
  if (scope->units.empty()) {
    for (const std::string& m : std::vector<std::string>(scope->members)) {
      scope->AddUnit(org.TeamOf(m));
    }
  }
  for (const std::string& u : std::vector<std::string>(scope->units)) {
    auto place = std::find_if(scope->places.begin(), scope->places.end(),
                              [&](const EventScope::Place& p) { return p.unit == u; });
    if (place == scope->places.end()) {
      scope->AddRegion(org.RegionOf(u));
    } else {
      scope->AddRegion(place->region ? u : org.RegionOf(place->parent));
    }
  }
}

bool MaySee(const Viewer& viewer, const EventScope& scope) {
  auto has = [](const std::vector<std::string>& list, const std::string& id) {
    return !id.empty() && std::find(list.begin(), list.end(), id) != list.end();
  };
  if (viewer.role < scope.min_role) {
    return false;
  }
  if (viewer.role >= Role::kDirector) {
    return true;
  }
  if (has(scope.members, viewer.member_id)) {
    return true;
  }
  if (viewer.role >= Role::kSupervisor && has(scope.units, viewer.unit)) {
    return true;
  }
  if (viewer.role >= Role::kManager &&
      (has(scope.regions, viewer.region) || has(scope.units, viewer.region))) {
    return true;
  }
  return false;
}

EventScope OrgEventScope(const Message& event) {
  const absl::string_view type = TypeName(event);
  // Company-wide settings of the talent programme.
  if (IsOneOf(type, {"TalentConfigUpdated", "PromotionTrackCreated"})) {
    return {};
  }
  EventScope scope = NamedRefs(event);
  // A unit's own events say where it is now (an update's `previous` parent is
  // among the units already, so the region it left sees the move too).
  if (IsOneOf(type, {"OrgUnitCreated", "OrgUnitUpdated", "OrgUnitDeleted"})) {
    TakePlace(MessageField(event, "org_unit"), &scope);
  }
  // Assessments and promotion requests are for the people who assess (the org
  // service lets no rep read them), not for the person assessed.
  if (IsOneOf(type, {"AssessmentRecorded", "PromotionRequestSubmitted", "PromotionRequestApproved",
                     "PromotionRequestRejected"})) {
    scope.min_role = Role::kSupervisor;
  }
  return scope;
}

EventScope CustomersEventScope(const Message& event) {
  // Tiering and pool policies apply to everyone.
  if (IsOneOf(TypeName(event), {"TierPolicyUpdated", "PoolPolicyUpdated"})) {
    return {};
  }
  // Product lines are org units too, but nobody manages a deal through one.
  return NamedRefs(event, {"product_line", "product_lines"});
}

EventScope TargetsEventScope(const Message& event) {
  // Attainment and unplanned bookings belong to their rep, team and region.
  // Everything else (fiscal periods, plan versions and their cells) is the
  // company's plan: the cells of a published plan name every team, and one
  // team's supervisor must not see another's targets through them.
  if (IsOneOf(TypeName(event), {"AttainmentUpdated", "BookingUnplanned"})) {
    EventScope scope;
    TakeFields(&event, {"rep", "team", "region"}, &scope);
    return scope;
  }
  return {};
}

EventScope WarningEventScope(const Message& event) {
  const absl::string_view type = TypeName(event);
  if (IsOneOf(type, {"RuleCreated", "RuleUpdated"})) {
    return {};  // thresholds: configuration
  }
  if (IsOneOf(type, {"WarningRaised", "WarningAcknowledged", "WarningResolved"})) {
    // The warning's own routing, not the facts it quotes.
    EventScope scope;
    TakeFields(MessageField(event, "warning"),
               {"rep", "responsible_supervisor", "subject", "org_unit"}, &scope);
    return scope;
  }
  // Proposals and their comments, votes and actions: the unit they are about
  // and the people taking part.
  return NamedRefs(event);
}

EventScope ForecastEventScope(const Message& event) {
  const absl::string_view type = TypeName(event);
  // Learned win rates of every team: a model input for the whole company.
  if (type == "StageProbabilitiesUpdated") {
    return {};
  }
  EventScope scope;
  if (type == "ForecastUpdated") {
    const Message* forecast = MessageField(event, "forecast");
    TakeFields(forecast == nullptr ? nullptr : MessageField(*forecast, "scope"),
               {"member", "org_unit"}, &scope);
    return scope;
  }
  if (IsOneOf(type, {"ForecastGapDetected", "ForecastGapClosed"})) {
    TakeFields(MessageField(event, "scope"), {"member", "org_unit"}, &scope);
    TakeFields(&event, {"responsible"}, &scope);
    return scope;
  }
  if (type == "ForecastCallSubmitted") {
    for (absl::string_view which : {"call", "previous"}) {
      const Message* call = MessageField(event, which);
      TakeFields(call, {"author"}, &scope);
      TakeFields(call == nullptr ? nullptr : MessageField(*call, "scope"), {"member", "org_unit"},
                 &scope);
    }
    return scope;
  }
  return NamedRefs(event, {"product_line", "product_lines"});
}

EventScope PerformanceEventScope(const Message& event) {
  // Scorecards, statements, reviews and coaching name their member (and team);
  // plan definitions name nobody and stay company-wide.
  return NamedRefs(event, {"product_line", "product_lines"});
}

EventScope SyncEventScope(const Message& event) {
  // Feedback, insights, shared customers and task forces name the people and
  // units (departments too) they are routed to.
  return NamedRefs(event, {"product_line", "product_lines"});
}

EventScope ScopeOfEvent(const Message& event) {
  const std::string& package = event.GetDescriptor()->file()->package();
  if (package == "salesops.org.v1") {
    return OrgEventScope(event);
  }
  if (package == "salesops.customers.v1") {
    return CustomersEventScope(event);
  }
  if (package == "salesops.targets.v1") {
    return TargetsEventScope(event);
  }
  if (package == "salesops.warning.v1") {
    return WarningEventScope(event);
  }
  if (package == "salesops.forecast.v1") {
    return ForecastEventScope(event);
  }
  if (package == "salesops.performance.v1") {
    return PerformanceEventScope(event);
  }
  if (package == "salesops.sync.v1") {
    return SyncEventScope(event);
  }
  return NamedRefs(event, {"product_line", "product_lines"});
}

}  // namespace salesops::gateway
