#include "services/org/events/headcount_projection.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
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

absl::StatusOr<std::optional<WriteBatch>> HeadcountProjection::ChangeFor(
    const CloudEvent& event) const {
  const std::string key = OrgKey("headcount");
  WriteBatch batch;
  if (event.type == "salesops.org.v1.MemberJoined") {
    auto e = DecodePayload<salesops::org::v1::MemberJoined>(event);
    if (!e.ok()) {
      return e.status();
    }
    auto unit = UnitId(e->member().org_unit(), "member.org_unit");
    if (!unit.ok()) {
      return unit.status();
    }
    batch.HIncrBy(key, *unit, 1);
  } else if (event.type == "salesops.org.v1.MemberMoved") {
    auto e = DecodePayload<salesops::org::v1::MemberMoved>(event);
    if (!e.ok()) {
      return e.status();
    }
    auto from = UnitId(e->from_org_unit(), "from_org_unit");
    if (!from.ok()) {
      return from.status();
    }
    auto to = UnitId(e->to_org_unit(), "to_org_unit");
    if (!to.ok()) {
      return to.status();
    }
    batch.HIncrBy(key, *from, -1);
    batch.HIncrBy(key, *to, 1);
  } else if (event.type == "salesops.org.v1.MemberLeft") {
    auto e = DecodePayload<salesops::org::v1::MemberLeft>(event);
    if (!e.ok()) {
      return e.status();
    }
    auto unit = UnitId(e->member().org_unit(), "member.org_unit");
    if (!unit.ok()) {
      return unit.status();
    }
    batch.HIncrBy(key, *unit, -1);
  } else {
    return std::nullopt;
  }
  return batch;
}

absl::Status HeadcountProjection::Handle(const CloudEvent& event) {
  absl::StatusOr<std::optional<WriteBatch>> change = ChangeFor(event);
  if (!change.ok()) {
    return change.status();
  }
  if (!*change) {
    return absl::OkStatus();
  }
  return store_.ApplyOnce(event, **std::move(change)).status();
}

std::vector<absl::Status> HeadcountProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size(), absl::OkStatus());
  std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
  std::vector<size_t> where;
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<std::optional<WriteBatch>> change = ChangeFor(*events[i]);
    if (!change.ok()) {
      out[i] = change.status();
    } else if (*change) {
      items.emplace_back(events[i], **std::move(change));
      where.push_back(i);
    }
  }
  std::vector<absl::StatusOr<bool>> applied = store_.ApplyOnceMany(std::move(items));
  for (size_t k = 0; k < applied.size(); ++k) {
    out[where[k]] = applied[k].status();
  }
  return out;
}

}  // namespace salesops::org
