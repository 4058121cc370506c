// Delivers queued notifications to the group robots: retries with exponential
// backoff and jitter, a dead letter after the last try, and never the same
// event twice to one route.
//
// Each (route, event) is one NotificationDelivery document, created PENDING
// by the notification projection in the same transaction that records the
// event as applied. Sending one:
//   1. claim   PENDING → SENDING (attempts + 1, a lease), guarded by the
//              document's version: one sender per delivery, across replicas;
//   2. POST    the stored text, signed per platform (platforms.h);
//   3. record  SENT; or PENDING again with the next attempt after a backoff;
//              or DEAD (attempts exhausted, or refused for good) with a
//              NotificationDeadLettered event.
// The guarantee: every delivery is posted at most once per attempt and
// attempts stop at the first success, so a group never gets an event twice
// from us — except that a platform which accepted a request and then failed
// to answer within the time-out sees the retry too (none of the three takes
// an idempotency key). A stop (SIGTERM) lets the attempts in flight finish
// and records them. A crash (kill -9) during step 2 leaves the delivery
// SENDING; when its lease runs out it becomes IN_DOUBT — a dead letter that is
// never re-sent by itself (the group may have it): an admin decides
// (RetryDelivery). Deliveries not in flight are untouched by a crash and go
// out after the restart. A late answer to an attempt already marked IN_DOUBT
// is still recorded (SENT, PENDING or DEAD).
//
// Deliveries of one route go out one at a time, oldest first (a group reads
// them in order and the platforms rate-limit per robot); routes in parallel
// on `workers` threads. A route gets at most `posts_per_minute` posts a
// minute from one replica (WeCom's and DingTalk's robots refuse the 21st; with
// N replicas set it to 20 / N). When more of its deliveries are due than it has
// posts left, a post carries several, a digest (messages.h): claimed in one
// guarded commit and each recorded as the post went. A delivery that failed
// twice goes alone, so one the platform keeps refusing does not use up the
// attempts of others. A route out of posts has its due deliveries moved, in
// the order they were queued, to a backlog of its own (indexing.h), served
// first when the minute has room, and off the list once empty, so
// they do not fill the window of due deliveries that every route is read from
// (`batch`, oldest first) and hold the other groups back. A burst (an import,
// a reorganisation, a projection catching up) reaches a group as a few digests
// a minute, not thousands of messages. A crash during a digest's POST leaves
// each delivery in it IN_DOUBT, as for a single one; the lease's margin over
// the HTTP time-outs (10 s) covers a digest's records.
//
//   Dispatcher d(repo, routes, http, clock, {.workers = 4});
//   d.Start();  ...  d.Wake();  ...  d.Stop();
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/concurrency/worker_pool.h"
#include "common/metrics/metrics.h"
#include "common/time/clock.h"
#include "services/sync/domain/sync_repository.h"
#include "services/sync/notify/platforms.h"
#include "services/sync/notify/routes.h"
#include "services/sync/notify/webhook_client.h"

namespace salesops::sync {

struct DispatcherOptions {
  int workers = 4;
  // Attempts per delivery, the first included.
  int max_attempts = 6;
  absl::Duration backoff_base = absl::Seconds(2);
  absl::Duration backoff_cap = absl::Minutes(5);
  // How long an attempt may be in flight before it counts as IN_DOUBT; keep it
  // above the HTTP client's connect + write + read time-outs.
  absl::Duration lease = absl::Seconds(30);
  absl::Duration poll_interval = absl::Milliseconds(200);
  int batch = 200;
  // Posts per route per minute; 0: no limit.
  int posts_per_minute = 20;
  // Deliveries in one digest, at most (and no more than fit the platforms' 4 KB).
  int max_per_post = 20;
  // The time request signatures carry (DingTalk and Feishu check it against
  // theirs); nullptr: the dispatcher's clock.
  const Clock* signing_clock = nullptr;
};

class Dispatcher {
 public:
  // `jitter` returns a number in [0, 1) (default: a random one).
  Dispatcher(SyncRepository& repo, const RouteTable& routes, WebhookTransport& http,
             const Clock& clock, DispatcherOptions options, MetricsRegistry* metrics = nullptr,
             std::function<double()> jitter = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // No new attempts; waits for those in flight and records them. Idempotent.
  void Stop();
  // Something was queued: look now instead of at the next poll.
  void Wake();

  // For tests: one pass in the calling thread — in-doubt leases swept, then
  // every due delivery attempted once. The number of attempts made.
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();
  absl::StatusOr<int> SweepInDoubt();
  struct RouteWork {
    std::vector<std::string> fresh;  // its part of the due window, oldest first
    bool held = false;               // it has a backlog
  };
  // One pass: the due deliveries grouped by route, with the routes that have a backlog.
  absl::StatusOr<std::map<std::string, RouteWork>> DueByRoute();
  // A route's backlog, then its fresh ones; what a route out of posts cannot
  // send is moved to its backlog. Attempts made.
  int ServeRoute(const std::string& route_id, const RouteWork& work);
  struct Served {
    int attempted = 0;
    size_t taken = 0;     // ids of the list dealt with; the rest wait
    bool paused = false;  // the route ran out of posts
  };
  // The due deliveries `ids` of one route, in order, within its posts a minute.
  Served DeliverAll(const Route* route, const std::string& route_id,
                    const std::vector<std::string>& ids);
  // Moves due deliveries of `route_id` from the due window to its backlog.
  void Hold(const std::string& route_id, const std::vector<std::string>& ids);
  // Takes a route whose backlog was found empty off the list of backlogs.
  void Unlist(const std::string& route_id);
  // A backlog whose route left the configuration goes back to the due
  // window, where its deliveries are dead-lettered.
  void ReturnBacklog(const std::string& route_id);
  struct Posted {
    int attempted = 0;       // deliveries claimed and posted
    bool left_over = false;  // due ones that did not go in the post (they wait, in order)
  };
  // One post of the due ones among `ids` (a digest when more than one).
  Posted DeliverGroup(const Route* route, const std::vector<std::string>& ids);
  // The delivery when it is PENDING and due; settles stale due entries and
  // deliveries whose route is gone (dead letter) on the way.
  std::optional<Loaded<v1::NotificationDelivery>> LoadDue(const Route* route, const std::string& id,
                                                          absl::Time now);
  // Step 3 for one claimed delivery (version: the claim's; jitter: the post's).
  void Record(const std::string& id, const v1::NotificationDelivery& claimed, int64_t version,
              const Verdict& verdict, double jitter, absl::Time created);
  // Posts `route` may still make in the minute up to `now`.
  int PostsLeft(const std::string& route, absl::Time now);
  void Count(const char* result);

  SyncRepository& repo_;
  const RouteTable& routes_;
  WebhookTransport& http_;
  const Clock& clock_;
  DispatcherOptions options_;
  MetricsRegistry* metrics_;
  std::function<double()> jitter_;
  Histogram* latency_ = nullptr;

  std::unique_ptr<WorkerPool> pool_;
  std::thread loop_;
  absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> busy_routes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<absl::Time>> posted_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::sync
