#include "services/org/events/org_events.h"

#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/time_util.h"

namespace salesops::org {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  // Microseconds, as the repository keeps times: a resource reads back as written.
  return ToTs(absl::FromUnixMicros(absl::ToUnixMicros(t)));
}

salesops::common::v1::Date ToDate(absl::CivilDay day) {
  salesops::common::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool FromDate(const salesops::common::v1::Date& d, absl::CivilDay* out) {
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1 ||
      d.day() > 31) {
    return false;
  }
  absl::CivilDay day(d.year(), d.month(), d.day());
  if (day.month() != d.month() || day.day() != d.day()) {
    return false;  // normalised: 2-30 → 3-2
  }
  *out = day;
  return true;
}

std::string ReorgName(const std::string& id) { return absl::StrCat("reorganisations/", id); }

salesops::org::v1::Reorganisation ToProto(const ReorgRecord& r) {
  salesops::org::v1::Reorganisation p;
  p.set_name(ReorgName(r.id));
  p.set_kind(static_cast<salesops::org::v1::ReorganisationKind>(r.kind));
  for (const auto& u : r.unit_ids) {
    p.add_org_units(UnitName(u));
  }
  for (const auto& m : r.moves) {
    auto* mv = p.add_moves();
    mv->set_member(MemberName(m.member_id));
    mv->set_from_org_unit(UnitName(m.from_unit_id));
    mv->set_to_org_unit(UnitName(m.to_unit_id));
  }
  for (const auto& u : r.created_unit_ids) {
    p.add_created_org_units(UnitName(u));
  }
  for (const auto& u : r.removed_unit_ids) {
    p.add_removed_org_units(UnitName(u));
  }
  *p.mutable_effective_date() = ToDate(r.effective);
  p.set_reason(r.reason);
  *p.mutable_actor() = MakeActor(r.actor, r.trace_id);
  *p.mutable_create_time() = ToTimestamp(r.create_time);
  p.set_summary(r.summary);
  return p;
}

salesops::org::v1::MembershipPeriod ToProto(const MembershipEntry& e, const absl::CivilDay* end) {
  salesops::org::v1::MembershipPeriod p;
  p.set_member(MemberName(e.member_id));
  if (!e.unit_id.empty()) {
    p.set_org_unit(UnitName(e.unit_id));
  }
  p.set_role(static_cast<salesops::org::v1::Role>(e.role));
  *p.mutable_start_date() = ToDate(e.from);
  if (end != nullptr) {
    *p.mutable_end_date() = ToDate(*end);
  }
  if (!e.reorg_id.empty()) {
    p.set_reorganisation(ReorgName(e.reorg_id));
  }
  p.set_reason(e.reason);
  return p;
}

std::string UnitName(const std::string& id) { return absl::StrCat("orgUnits/", id); }
std::string MemberName(const std::string& id) { return absl::StrCat("members/", id); }

salesops::org::v1::OrgUnit ToProto(const OrgUnit& u, int64_t member_count) {
  salesops::org::v1::OrgUnit p;
  p.set_name(UnitName(u.id));
  p.set_display_name(u.display_name);
  p.set_kind(static_cast<salesops::org::v1::OrgUnitKind>(u.kind));
  if (!u.parent_id.empty()) {
    p.set_parent(UnitName(u.parent_id));
  }
  p.set_description(u.description);
  p.set_member_count(member_count);
  *p.mutable_create_time() = ToTimestamp(u.create_time);
  *p.mutable_update_time() = ToTimestamp(u.update_time);
  p.set_etag(absl::StrCat(u.version));
  return p;
}

salesops::org::v1::Member ToProto(const Member& m) {
  salesops::org::v1::Member p;
  p.set_name(MemberName(m.id));
  p.set_display_name(m.display_name);
  p.set_email(m.email);
  p.set_phone(m.phone);
  p.set_role(static_cast<salesops::org::v1::Role>(m.role));
  p.set_department(static_cast<salesops::org::v1::Department>(m.department));
  p.set_org_unit(UnitName(m.org_unit_id));
  *p.mutable_create_time() = ToTimestamp(m.create_time);
  *p.mutable_update_time() = ToTimestamp(m.update_time);
  p.set_etag(absl::StrCat(m.version));
  return p;
}

salesops::common::v1::Actor MakeActor(const Principal& who, const std::string& trace_id) {
  salesops::common::v1::Actor a;
  a.set_member_id(who.member_id);
  a.set_role(std::string(RoleName(who.role)));
  a.set_org_unit_id(who.org_unit_id);
  a.set_trace_id(trace_id);
  return a;
}

CloudEvent OrgEvent(const std::string& aggregate_id, const std::string& subject,
                    const google::protobuf::Message& payload, absl::Time now,
                    const std::string& trace_id) {
  return MakeCloudEvent(kOrgSource, aggregate_id, subject, payload, now, trace_id);
}

}  // namespace salesops::org
