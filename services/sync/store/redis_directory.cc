#include "services/sync/store/redis_directory.h"

#include <algorithm>
#include <optional>
#include <utility>

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

DirectoryProjection::DirectoryProjection(BatchCommitter& committer, KvReader& kv)
    : org_seen_(committer, SyncKey("dir:seen:")),
      dept_seen_(committer, SyncKey("dir:dept:seen:")),
      org_(org_seen_, kv, kKeyPrefix) {}

namespace {

// The department an org event records, if it is a member's event.
absl::StatusOr<std::optional<WriteBatch>> DeptBatch(const CloudEvent& event) {
  namespace ov1 = salesops::org::v1;
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
    return std::nullopt;
  }
  if (member.name().size() <= 8 || member.name().compare(0, 8, "members/") != 0) {
    return InvalidField("member.name", "not a members/ name");
  }
  WriteBatch b;
  b.HSet(DeptKey(),
         {{member.name().substr(8), absl::StrCat(static_cast<int>(member.department()))}});
  return b;
}

}  // namespace

absl::Status DirectoryProjection::Handle(const CloudEvent& event) {
  // Two projections with their own applied-event records: a redelivery after
  // the first succeeded and the second failed redoes only the second.
  SALESOPS_RETURN_IF_ERROR(org_.Handle(event));
  SALESOPS_ASSIGN_OR_RETURN(std::optional<WriteBatch> b, DeptBatch(event));
  if (!b.has_value()) {
    return absl::OkStatus();
  }
  return dept_seen_.ApplyOnce(event, *std::move(b)).status();
}

std::vector<absl::Status> DirectoryProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out = org_.HandleBatch(events);
  // The departments of the events up to the first one the directory did not
  // take: that one is redone on its own, department included, and so is every
  // later one, in order (a later department must not be written before it).
  std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
  std::vector<size_t> where;
  size_t i = 0;
  for (; i < events.size() && out[i].ok(); ++i) {
    absl::StatusOr<std::optional<WriteBatch>> b = DeptBatch(*events[i]);
    if (!b.ok()) {
      break;
    }
    if (b->has_value()) {
      items.emplace_back(events[i], **std::move(b));
      where.push_back(i);
    }
  }
  size_t stop = i;  // the first event whose department is not written here
  std::vector<absl::StatusOr<CommitResult>> results;
  if (!items.empty()) {  // unit events only: nothing to commit
    results = dept_seen_.TryApplyCombined(std::move(items));
  }
  for (size_t k = 0; k < where.size(); ++k) {
    if (k >= results.size() || !results[k].ok() || !ProjectionStore::Applied(*results[k])) {
      stop = std::min(stop, where[k]);
      break;
    }
  }
  for (size_t j = stop; j < events.size(); ++j) {
    if (out[j].ok()) {
      out[j] =
          Unavailable("DIRECTORY_BATCH_STOPPED", "an earlier event's department was not written");
    }
  }
  return out;
}

}  // namespace salesops::sync
