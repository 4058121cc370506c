#include "services/sync/store/redis_directory.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/sync/store/redis_sync_repository.h"

namespace salesops::sync {
namespace {

std::string DeptKey() { return SyncKey("dir:dept"); }

}  // namespace

absl::StatusOr<std::optional<MemberInfo>> RedisDirectory::Member(const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> m, org_.Member(member_id));
  if (!m) {
    return std::nullopt;
  }
  SALESOPS_ASSIGN_OR_RETURN(RedisValue dept, redis_.Command({"HGET", DeptKey(), member_id}));
  MemberInfo info;
  info.team = m->team;
  info.role = m->role;
  info.left = m->left;
  int d = 0;
  if (!dept.is_nil() && absl::SimpleAtoi(dept.str, &d) && v1::Department_IsValid(d)) {
    info.department = static_cast<v1::Department>(d);
  }
  return info;
}

absl::StatusOr<std::vector<std::string>> RedisDirectory::UnitAndAncestors(
    const std::string& unit_id) {
  return org_.UnitAndAncestors(unit_id);
}

absl::StatusOr<std::string> RedisDirectory::RegionOf(const std::string& unit_id) {
  return org_.RegionOf(unit_id);
}

absl::StatusOr<std::vector<std::string>> RedisDirectory::MembersOf(const std::string& unit_id) {
  return org_.MembersOf(unit_id);
}

DirectoryProjection::DirectoryProjection(TransactionalOutbox& outbox, RedisClient& redis)
    : org_seen_(outbox, SyncKey("dir:seen:")),
      dept_seen_(outbox, SyncKey("dir:dept:seen:")),
      org_(org_seen_, redis, kKeyPrefix) {}

absl::Status DirectoryProjection::Handle(const CloudEvent& event) {
  namespace ov1 = salesops::org::v1;
  // Two projections with their own applied-event records: a redelivery after
  // the first succeeded and the second failed redoes only the second.
  SALESOPS_RETURN_IF_ERROR(org_.Handle(event));
  ov1::Member member;
  const std::string& t = event.type;
  if (t == "salesops.org.v1.MemberJoined") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberJoined>(event));
    member = e.member();
  } else if (t == "salesops.org.v1.MemberUpdated") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberUpdated>(event));
    member = e.member();
  } else if (t == "salesops.org.v1.MemberMoved") {
    SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<ov1::MemberMoved>(event));
    member = e.member();
  } else {
    return absl::OkStatus();
  }
  if (member.name().size() <= 8 || member.name().compare(0, 8, "members/") != 0) {
    return InvalidField("member.name", "not a members/ name");
  }
  WriteBatch b;
  b.HSet(DeptKey(),
         {{member.name().substr(8), absl::StrCat(static_cast<int>(member.department()))}});
  return dept_seen_.ApplyOnce(event, std::move(b)).status();
}

}  // namespace salesops::sync
