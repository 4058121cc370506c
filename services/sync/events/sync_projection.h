// The sync service's consumer of other services' events (and its own), each
// event applied effectively once (SyncRepository::ApplyOnce):
//   - customers events keep the minimised customers, the deals' facts and the
//     sharing grants the API checks against; a deal that reaches the policy's
//     stage and size gets a task force proposed (once per deal); won and lost
//     deals settle their campaign leads; lost deals feed the insights
//     (reasons, competitors); a revoked grant revokes the shares it allowed;
//     a shared customer's change marks its share-topic record for publishing;
//   - every event a notification route takes (warnings, reviews, forecast
//     gaps, task forces, feedback, launches, leads, receptions, …) becomes one
//     PENDING delivery per matching route, in the same transaction — so a
//     redelivered event never queues a second message for a group.
// A poison event (undecodable payload) answers INVALID_ARGUMENT: the consumer
// dead-letters it after its attempts and goes on.
//
//   SyncProjection projection(repo, directory, routes, clock, {}, [&] { dispatcher.Wake(); });
//   runtime.AddConsumer({.group_id = kSyncGroup, .topics = {...}}, projection);
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/kafka/consumer.h"
#include "common/time/clock.h"
#include "services/sync/domain/directory.h"
#include "services/sync/domain/sync_repository.h"
#include "services/sync/notify/routes.h"

namespace salesops::sync {

inline constexpr char kSyncGroup[] = "sync-events";
inline constexpr char kSyncDlq[] = "salesops.sync-events.dlq.v1";
inline constexpr char kDirectoryGroup[] = "sync-directory";
inline constexpr char kDirectoryDlq[] = "salesops.sync-org-directory.dlq.v1";

struct ProjectionOptions {
  absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);  // how times read in messages
};

class SyncProjection final : public EventHandler {
 public:
  // `queued` runs after a commit that queued deliveries (wakes the dispatcher).
  SyncProjection(SyncRepository& repo, Directory& directory, const RouteTable& routes,
                 const Clock& clock, ProjectionOptions options = {},
                 std::function<void()> queued = nullptr)
      : repo_(repo),
        directory_(directory),
        routes_(routes),
        clock_(clock),
        options_(options),
        queued_(std::move(queued)) {}

  absl::Status Handle(const CloudEvent& event) override;

 private:
  // The change an event makes (empty: nothing to do); the deliveries it queues.
  absl::Status Build(const CloudEvent& event, Change& c, int* deliveries);
  absl::Status Customers(const CloudEvent& event, Change& c);
  absl::Status Deal(const CloudEvent& event, Change& c);
  absl::Status Notify(const CloudEvent& event, Change& c, int* deliveries);

  SyncRepository& repo_;
  Directory& directory_;
  const RouteTable& routes_;
  const Clock& clock_;
  ProjectionOptions options_;
  std::function<void()> queued_;
};

}  // namespace salesops::sync
