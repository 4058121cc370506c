// The org service's events: conversions between domain structs and the
// protobuf resources, the CloudEvents it publishes on salesops.org.events.v1,
// and the headcount projection that consumes them.
#pragma once

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/events/cloud_event.h"
#include "google/protobuf/timestamp.pb.h"
#include "salesops/common/v1/common.pb.h"
#include "salesops/org/v1/org_resources.pb.h"
#include "services/org/domain/org_model.h"

namespace salesops::org {

inline constexpr char kOrgSource[] = "/salesops/org";

std::string UnitName(const std::string& id);    // "orgUnits/<id>"
std::string MemberName(const std::string& id);  // "members/<id>"

salesops::org::v1::OrgUnit ToProto(const OrgUnit& unit, int64_t member_count);
salesops::org::v1::Member ToProto(const Member& member);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
salesops::common::v1::Date ToDate(absl::CivilDay day);
// True when `d` is a real calendar date (the proto leaves it unchecked).
bool FromDate(const salesops::common::v1::Date& d, absl::CivilDay* out);
std::string ReorgName(const std::string& id);  // "reorganisations/<id>"
salesops::org::v1::Reorganisation ToProto(const ReorgRecord& r);
salesops::org::v1::MembershipPeriod ToProto(const MembershipEntry& e, const absl::CivilDay* end);

salesops::common::v1::Actor MakeActor(const Principal& who, const std::string& trace_id);

// An event about `aggregate_id` (the Kafka key) carrying `payload`.
CloudEvent OrgEvent(const std::string& aggregate_id, const std::string& subject,
                    const google::protobuf::Message& payload, absl::Time now,
                    const std::string& trace_id);

}  // namespace salesops::org
