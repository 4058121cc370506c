#include "absl/strings/string_view.h"
#include "services/org/events/headcount_projection.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/org/store/redis_org_repository.h"

namespace salesops::org {
namespace {

// "orgUnits/<id>" → "<id>"; INVALID_ARGUMENT otherwise (a bad event goes to the DLQ).
absl::StatusOr<std::string> UnitId(const std::string& name, const char* field) {
  constexpr absl::string_view kPrefix = "orgUnits/";
  if (!absl::StartsWith(name, kPrefix) || name.size() == kPrefix.size()) {
    return InvalidField(field, absl::StrCat("not an org unit name: '", name, "'"));
  }
  return name.substr(kPrefix.size());
}

}  // namespace

absl::Status HeadcountProjection::Handle(const CloudEvent& event) {
  const std::string key = OrgKey("headcount");
  WriteBatch batch;
  if (event.type == "salesops.org.v1.MemberJoined") {
    auto e = DecodePayload<salesops::org::v1::MemberJoined>(event);
    if (!e.ok()) return e.status();
    auto unit = UnitId(e->member().org_unit(), "member.org_unit");
    if (!unit.ok()) return unit.status();
    batch.HIncrBy(key, *unit, 1);
  } else if (event.type == "salesops.org.v1.MemberMoved") {
    auto e = DecodePayload<salesops::org::v1::MemberMoved>(event);
    if (!e.ok()) return e.status();
    auto from = UnitId(e->from_org_unit(), "from_org_unit");
    if (!from.ok()) return from.status();
    auto to = UnitId(e->to_org_unit(), "to_org_unit");
    if (!to.ok()) return to.status();
    batch.HIncrBy(key, *from, -1);
    batch.HIncrBy(key, *to, 1);
  } else if (event.type == "salesops.org.v1.MemberLeft") {
    auto e = DecodePayload<salesops::org::v1::MemberLeft>(event);
    if (!e.ok()) return e.status();
    auto unit = UnitId(e->member().org_unit(), "member.org_unit");
    if (!unit.ok()) return unit.status();
    batch.HIncrBy(key, *unit, -1);
  } else {
    return absl::OkStatus();
  }
  absl::StatusOr<bool> applied = store_.ApplyOnce(event, std::move(batch));
  return applied.status();
}

}  // namespace salesops::org
