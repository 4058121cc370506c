// The sync service's org directory on Redis: the shared org::OrgDirectory
// projection (members' teams and roles, units' parents and kinds, under
// "sync:{sync}:dir:") plus each member's department, which the sync service
// needs for its department queues ("sync:{sync}:dir:dept", a hash member →
// salesops.org.v1.Department). DirectoryProjection feeds both from the org
// service's events, each effectively once.
//
//   org::OrgDirectory org_dir(redis, kKeyPrefix);
//   RedisDirectory directory(redis, org_dir);
//   DirectoryProjection projection(outbox, redis);   // consumer of salesops.org.events.v1
#pragma once

#include <memory>
#include <string>

#include "common/directory/org_directory.h"
#include "common/kafka/consumer.h"
#include "common/outbox/write_batch.h"
#include "common/projection/projection_store.h"
#include "common/redis/redis_client.h"
#include "services/sync/domain/directory.h"

namespace salesops::sync {

class RedisDirectory final : public Directory {
 public:
  RedisDirectory(RedisClient& redis, org::OrgDirectory& org) : redis_(redis), org_(org) {}
  absl::StatusOr<std::optional<MemberInfo>> Member(const std::string& member_id) override;
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id) override;
  absl::StatusOr<std::string> RegionOf(const std::string& unit_id) override;
  absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id) override;

 private:
  RedisClient& redis_;
  org::OrgDirectory& org_;
};

class DirectoryProjection final : public EventHandler {
 public:
  DirectoryProjection(TransactionalOutbox& outbox, RedisClient& redis);
  // Over any committer and reader (tests: InMemoryKv).
  DirectoryProjection(BatchCommitter& committer, KvReader& kv);
  absl::Status Handle(const CloudEvent& event) override;
  // The directory in waves (OrgDirectoryProjection::HandleBatch), then the
  // departments in one combined commit, of the events up to the first one the
  // directory did not take. From the first event whose directory part or
  // department is not written, every event is answered not OK (UNAVAILABLE if
  // nothing else), so the consumer redoes them on their own, in order.
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

 private:
  ProjectionStore org_seen_;
  ProjectionStore dept_seen_;
  org::OrgDirectoryProjection org_;
};

}  // namespace salesops::sync
