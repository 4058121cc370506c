#include "services/sync/notify/dispatcher.h"

#include <algorithm>
#include <limits>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/notify/messages.h"
#include "services/sync/notify/platforms.h"

namespace salesops::sync {
namespace {

std::string StateIndex(v1::DeliveryState s) { return Ix("dlv:state:", absl::StrCat(s)); }

// Moves the delivery between state indexes and writes it.
void PutDelivery(Change& c, const std::string& id, const v1::NotificationDelivery& d,
                 v1::DeliveryState from, int64_t version) {
  const std::string entry = Entry(NewestFirst(FromTs(d.create_time())), id);
  if (from != d.state()) {
    c.Unindex(StateIndex(from), entry);
    c.Index(StateIndex(d.state()), entry);
  }
  c.Put(DocKind::kDelivery, id, d, version);
}

void DeadLetter(Change& c, const v1::NotificationDelivery& d, const std::string& reason,
                absl::Time now) {
  v1::NotificationDeadLettered e;
  *e.mutable_delivery() = d;
  e.mutable_delivery()->clear_text();
  e.set_reason(reason);
  c.Emit(MakeCloudEvent(kSyncSource, d.route(), d.name(), e, now), kSyncTopic);
}

}  // namespace

Dispatcher::Dispatcher(SyncRepository& repo, const RouteTable& routes, WebhookTransport& http,
                       const Clock& clock, DispatcherOptions options, MetricsRegistry* metrics,
                       std::function<double()> jitter)
    : repo_(repo),
      routes_(routes),
      http_(http),
      clock_(clock),
      options_(options),
      metrics_(metrics),
      jitter_(std::move(jitter)) {
  if (!jitter_) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    auto mu = std::make_shared<absl::Mutex>();
    jitter_ = [rng, mu] {
      absl::MutexLock lock(mu.get());
      return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
    };
  }
  if (metrics_ != nullptr) {
    latency_ = &metrics_->GetHistogram("salesops_sync_notification_latency_seconds",
                                       "From queued to accepted by the group robot", {});
  }
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Count(const char* result) {
  if (metrics_ == nullptr) {
    return;
  }
  metrics_
      ->GetCounter("salesops_sync_notifications_total", "Notification attempts by result",
                   {{"result", result}})
      .Increment();
}

void Dispatcher::Start() {
  absl::MutexLock lock(&mu_);
  if (running_) {
    return;
  }
  running_ = true;
  stopping_ = false;
  pool_ = std::make_unique<WorkerPool>(std::max(1, options_.workers), 10000);
  loop_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) {
      return;
    }
    stopping_ = true;
    wake_ = true;
  }
  if (loop_.joinable()) {
    loop_.join();
  }
  if (pool_) {
    pool_->Stop();  // attempts in flight finish and are recorded
  }
  absl::MutexLock lock(&mu_);
  running_ = false;
}

void Dispatcher::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void Dispatcher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), options_.poll_interval);
      if (stopping_) {
        return;
      }
      wake_ = false;
    }
    if (absl::StatusOr<int> swept = SweepInDoubt(); !swept.ok()) {
      LogError("notification lease sweep failed", {{"error", swept.status().ToString()}});
    }
    absl::StatusOr<std::map<std::string, RouteWork>> by_route = DueByRoute();
    if (!by_route.ok()) {
      LogError("reading due notifications failed", {{"error", by_route.status().ToString()}});
      continue;
    }
    for (auto& [route, work] : *by_route) {
      if (work.fresh.empty() && routes_.Find(route) != nullptr && options_.posts_per_minute > 0 &&
          PostsLeft(route, clock_.Now()) <= 0) {
        continue;  // only a backlog, and no posts left for it this minute
      }
      {
        absl::MutexLock lock(&mu_);
        if (stopping_ || !busy_routes_.insert(route).second) {
          continue;
        }
      }
      const bool queued = pool_->TrySubmit([this, route = route, work = std::move(work)] {
        const int attempted = ServeRoute(route, work);
        absl::MutexLock lock(&mu_);
        busy_routes_.erase(route);
        if (attempted > 0) {
          wake_ = true;  // more of this route may have come due meanwhile
        }
      });
      if (!queued) {
        absl::MutexLock lock(&mu_);
        busy_routes_.erase(route);
      }
    }
  }
}

absl::StatusOr<int> Dispatcher::RunOnce() {
  SALESOPS_ASSIGN_OR_RETURN(int swept, SweepInDoubt());
  (void)swept;
  SALESOPS_ASSIGN_OR_RETURN(auto by_route, DueByRoute());
  int attempted = 0;
  for (const auto& [route, work] : by_route) {
    attempted += ServeRoute(route, work);
  }
  return attempted;
}

absl::StatusOr<std::map<std::string, Dispatcher::RouteWork>> Dispatcher::DueByRoute() {
  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<std::string> due,
      repo_.Due(kDeliveryDue, absl::ToUnixMillis(clock_.Now()), options_.batch));
  std::map<std::string, RouteWork> by_route;
  for (const std::string& id : due) {
    by_route[RouteOfDelivery(id)].fresh.push_back(id);
  }
  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<std::string> held,
      repo_.Due(kDeliveryBacklogs, std::numeric_limits<int64_t>::max(), 1000));
  for (const std::string& route : held) {
    by_route[route].held = true;  // its backlog is served before its part of the window
  }
  return by_route;
}

int Dispatcher::ServeRoute(const std::string& route_id, const RouteWork& work) {
  const std::vector<std::string>& fresh = work.fresh;
  const Route* route = routes_.Find(route_id);
  if (route == nullptr) {
    if (work.held) {
      ReturnBacklog(route_id);
    }
    return DeliverAll(nullptr, route_id, fresh).attempted;  // dead-lettered
  }
  int attempted = 0;
  if (work.held) {
    absl::StatusOr<std::vector<std::string>> backlog =
        repo_.Due(DeliveryBacklog(route_id), std::numeric_limits<int64_t>::max(), options_.batch);
    if (!backlog.ok()) {
      LogError("reading a notification backlog failed", {{"error", backlog.status().ToString()}});
      return 0;
    }
    if (backlog->empty()) {
      Unlist(route_id);
    } else {
      const Served served = DeliverAll(route, route_id, *backlog);
      attempted += served.attempted;
      if (served.taken < backlog->size() ||
          backlog->size() == static_cast<size_t>(options_.batch)) {
        // The backlog goes first: what came due since waits behind it.
        if (served.paused) {
          Hold(route_id, fresh);
        }
        return attempted;
      }
    }
  }
  const Served served = DeliverAll(route, route_id, fresh);
  attempted += served.attempted;
  if (served.paused) {
    Hold(route_id, std::vector<std::string>(fresh.begin() + static_cast<ptrdiff_t>(served.taken),
                                            fresh.end()));
  }
  return attempted;
}

void Dispatcher::Hold(const std::string& route_id, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return;
  }
  // One read and one commit for them all (a burst moves hundreds a pass). A
  // delivery changed meanwhile fails the commit's guard: the next pass reads again.
  absl::StatusOr<std::vector<std::optional<StoredDoc>>> docs =
      repo_.GetMany(DocKind::kDelivery, ids);
  if (!docs.ok()) {
    return;
  }
  Change c;
  bool any = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::NotificationDelivery d;
    if (!(*docs)[i] || !d.ParseFromString((*docs)[i]->data) ||
        d.state() != v1::DELIVERY_STATE_PENDING) {
      continue;  // the next pass settles it
    }
    c.Put(DocKind::kDelivery, ids[i], d, (*docs)[i]->version);  // only as read
    c.Unschedule(kDeliveryDue, ids[i]);
    // Scored by when it was queued: a retried one keeps its place (LoadDue
    // passes over it until its next attempt is due).
    c.Schedule(DeliveryBacklog(route_id), ids[i], absl::ToUnixMillis(FromTs(d.create_time())));
    any = true;
  }
  if (any) {
    c.Schedule(kDeliveryBacklogs, route_id, 0);
    (void)repo_.Commit(c);
  }
}

void Dispatcher::Unlist(const std::string& route_id) {
  Change c;
  c.Unschedule(kDeliveryBacklogs, route_id);
  if (!repo_.Commit(c).ok()) {
    return;
  }
  // Another replica may have moved deliveries there since the backlog was
  // read (its Hold lists the route in the same commit): read it again, and
  // list it again if so, or they would wait in a backlog nobody reads.
  absl::StatusOr<std::vector<std::string>> again =
      repo_.Due(DeliveryBacklog(route_id), std::numeric_limits<int64_t>::max(), 1);
  if (!again.ok() || !again->empty()) {
    Change relist;
    relist.Schedule(kDeliveryBacklogs, route_id, 0);
    (void)repo_.Commit(relist);
  }
}

void Dispatcher::ReturnBacklog(const std::string& route_id) {
  absl::StatusOr<std::vector<std::string>> held =
      repo_.Due(DeliveryBacklog(route_id), std::numeric_limits<int64_t>::max(), options_.batch);
  if (!held.ok()) {
    return;
  }
  const int64_t now = absl::ToUnixMillis(clock_.Now());
  Change c;
  for (const std::string& id : *held) {
    c.Unschedule(DeliveryBacklog(route_id), id);
    c.Schedule(kDeliveryDue, id, now);
  }
  (void)repo_.Commit(c);
  if (held->empty()) {
    Unlist(route_id);
  }
}

int Dispatcher::PostsLeft(const std::string& route, absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::deque<absl::Time>& posted = posted_[route];
  while (!posted.empty() && posted.front() <= now - absl::Minutes(1)) {
    posted.pop_front();
  }
  return options_.posts_per_minute - static_cast<int>(posted.size());
}

Dispatcher::Served Dispatcher::DeliverAll(const Route* route, const std::string& route_id,
                                          const std::vector<std::string>& ids) {
  const bool paced = route != nullptr && options_.posts_per_minute > 0;
  Served out;
  while (out.taken < ids.size()) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        break;
      }
    }
    size_t take = 1;
    if (paced) {
      const int left = PostsLeft(route_id, clock_.Now());
      if (left <= 0) {
        out.paused = true;  // the rest wait for the minute to have room
        break;
      }
      const size_t due = ids.size() - out.taken;
      if (due >= static_cast<size_t>(options_.batch)) {
        take = std::max(1, options_.max_per_post);  // the list is a window of a larger backlog
      } else if (due > static_cast<size_t>(left)) {
        // More waiting than posts left: spread them over those posts.
        take = std::min<size_t>(std::max(1, options_.max_per_post), (due + left - 1) / left);
      }
      take = std::min(take, due);
    }
    const std::vector<std::string> group(ids.begin() + static_cast<ptrdiff_t>(out.taken),
                                         ids.begin() + static_cast<ptrdiff_t>(out.taken + take));
    const Posted posted = DeliverGroup(route, group);
    if (posted.attempted > 0) {
      out.attempted += posted.attempted;
      if (paced) {
        absl::MutexLock lock(&mu_);
        posted_[route_id].push_back(clock_.Now());
      }
    }
    if (posted.left_over) {
      break;  // oldest first: what did not go in the post goes before the rest, next pass
    }
    out.taken += take;
  }
  return out;
}

std::optional<Loaded<v1::NotificationDelivery>> Dispatcher::LoadDue(const Route* route,
                                                                    const std::string& id,
                                                                    absl::Time now) {
  absl::StatusOr<std::optional<Loaded<v1::NotificationDelivery>>> loaded =
      LoadDoc<v1::NotificationDelivery>(repo_, DocKind::kDelivery, id);
  if (!loaded.ok() || !*loaded) {
    if (loaded.ok()) {  // a schedule entry without its document: drop it
      Change c;
      c.Unschedule(kDeliveryDue, id);
      c.Unschedule(DeliveryBacklog(RouteOfDelivery(id)), id);
      (void)repo_.Commit(c);
    }
    return std::nullopt;
  }
  v1::NotificationDelivery d = (*loaded)->doc;
  const int64_t version = (*loaded)->version;
  if (d.state() != v1::DELIVERY_STATE_PENDING) {
    // A stale due entry. Drop it only if the delivery is still as read: a
    // sender that had it SENDING may have rescheduled it meanwhile, and an
    // unguarded removal would strand it PENDING with no due entry.
    Change c;
    c.Put(DocKind::kDelivery, id, d, version);
    c.Unschedule(kDeliveryDue, id);
    c.Unschedule(DeliveryBacklog(RouteOfDelivery(id)), id);
    (void)repo_.Commit(c);
    return std::nullopt;
  }
  if (FromTs(d.next_attempt_time()) > now) {
    return std::nullopt;  // rescheduled meanwhile
  }
  if (route == nullptr) {  // the route left the configuration
    d.set_state(v1::DELIVERY_STATE_DEAD);
    d.set_last_error("route no longer configured");
    *d.mutable_update_time() = ToTs(now);
    Change c;
    PutDelivery(c, id, d, v1::DELIVERY_STATE_PENDING, version);
    c.Unschedule(kDeliveryDue, id);
    DeadLetter(c, d, d.last_error(), now);
    if (repo_.Commit(c).ok()) {
      Count("dead");
    }
    return std::nullopt;
  }
  return *std::move(*loaded);
}

Dispatcher::Posted Dispatcher::DeliverGroup(const Route* route,
                                            const std::vector<std::string>& ids) {
  absl::Time now = clock_.Now();
  std::vector<std::pair<std::string, Loaded<v1::NotificationDelivery>>> due;
  for (const std::string& id : ids) {
    if (std::optional<Loaded<v1::NotificationDelivery>> d = LoadDue(route, id, now)) {
      due.emplace_back(id, *std::move(d));
    }
  }
  Posted out;
  if (due.empty()) {
    return out;
  }
  // What the group is sent: the delivery itself, or a digest of those that fit.
  std::string title = due[0].second.doc.title();
  std::string text = due[0].second.doc.text();
  // A delivery that failed twice goes alone: one the platform keeps refusing
  // must not use up the attempts of those it would share a post with (after
  // one failure, e.g. a short outage or a 429, they still go together).
  size_t fresh = 0;
  while (fresh < due.size() && due[fresh].second.doc.attempts() < 2) {
    ++fresh;
  }
  if (const size_t keep = std::max<size_t>(fresh, 1); keep < due.size()) {
    out.left_over = true;  // the retried one (or those after it) in a later post, in order
    due.resize(keep);
  }
  if (due.size() > 1) {
    std::vector<DigestItem> items;
    for (const auto& [id, d] : due) {
      items.push_back({d.doc.title(), d.doc.text()});
    }
    Digest digest = DigestOf(items, route->language, kMaxMarkdownBytes - 200);
    out.left_over = out.left_over || digest.count < due.size();
    due.resize(digest.count);
    if (digest.count > 1) {
      title = std::move(digest.title);
      text = std::move(digest.markdown);
    }
  }

  // 1. Claim: from here until the outcome is recorded they are SENDING, all
  // or none (one of them taken by another sender: this pass leaves them).
  std::vector<v1::NotificationDelivery> claimed;
  {
    Change c;
    for (const auto& [id, d] : due) {
      v1::NotificationDelivery one = d.doc;
      one.set_state(v1::DELIVERY_STATE_SENDING);
      one.set_attempts(d.doc.attempts() + 1);
      *one.mutable_next_attempt_time() = ToTs(now + options_.lease);
      *one.mutable_update_time() = ToTs(now);
      PutDelivery(c, id, one, v1::DELIVERY_STATE_PENDING, d.version);
      c.Unschedule(kDeliveryDue, id);
      c.Unschedule(DeliveryBacklog(route->id), id);
      c.Schedule(kDeliveryLease, id, absl::ToUnixMillis(now + options_.lease));
      claimed.push_back(std::move(one));
    }
    if (!repo_.Commit(c).ok()) {
      out.left_over = true;  // another sender has one, or Redis is down
      return out;
    }
  }

  // 2. Post.
  const absl::Time signed_at =
      options_.signing_clock != nullptr ? options_.signing_clock->Now() : now;
  const WebhookRequest request = BuildRequest(*route, title, text, signed_at);
  const HttpResult http = http_.Post(request.url, request.body);
  const Verdict verdict = Classify(route->platform, http.status, http.body, http.error);

  // 3. Record, each on its own.
  const double jitter = jitter_();  // one for the post: its deliveries come due together
  for (size_t i = 0; i < due.size(); ++i) {
    Record(due[i].first, claimed[i], due[i].second.version + 1, verdict, jitter,
           FromTs(due[i].second.doc.create_time()));
  }
  out.attempted = static_cast<int>(due.size());
  return out;
}

void Dispatcher::Record(const std::string& id, const v1::NotificationDelivery& claimed,
                        int64_t version, const Verdict& verdict, double jitter,
                        absl::Time created) {
  const absl::Time now = clock_.Now();
  v1::NotificationDelivery done = claimed;
  *done.mutable_update_time() = ToTs(now);
  const char* result = "sent";
  if (verdict.outcome == Outcome::kAccepted) {
    done.set_state(v1::DELIVERY_STATE_SENT);
    *done.mutable_sent_time() = ToTs(now);
    done.clear_next_attempt_time();
    done.clear_last_error();
  } else if (verdict.outcome == Outcome::kRetry && claimed.attempts() < options_.max_attempts) {
    done.set_state(v1::DELIVERY_STATE_PENDING);
    done.set_last_error(verdict.error);
    *done.mutable_next_attempt_time() = ToTs(
        now + Backoff(claimed.attempts(), options_.backoff_base, options_.backoff_cap, jitter));
    result = "retry";
  } else {
    done.set_state(v1::DELIVERY_STATE_DEAD);
    done.set_last_error(verdict.error);
    done.clear_next_attempt_time();
    result = "dead";
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::optional<Loaded<v1::NotificationDelivery>>> cur =
        attempt == 0 ? absl::StatusOr<std::optional<Loaded<v1::NotificationDelivery>>>(
                           Loaded<v1::NotificationDelivery>{claimed, version})
                     : LoadDoc<v1::NotificationDelivery>(repo_, DocKind::kDelivery, id);
    if (!cur.ok() || !*cur) {
      break;
    }
    const v1::NotificationDelivery& now_stored = (*cur)->doc;
    // Only our own attempt's record may be overwritten: SENDING by us, or
    // IN_DOUBT because our lease ran out before the answer came.
    if (now_stored.attempts() != claimed.attempts() ||
        (now_stored.state() != v1::DELIVERY_STATE_SENDING &&
         now_stored.state() != v1::DELIVERY_STATE_IN_DOUBT)) {
      break;
    }
    Change c;
    PutDelivery(c, id, done, now_stored.state(), (*cur)->version);
    c.Unschedule(kDeliveryLease, id);
    if (done.state() == v1::DELIVERY_STATE_PENDING) {
      c.Schedule(kDeliveryDue, id, absl::ToUnixMillis(FromTs(done.next_attempt_time())));
    }
    if (done.state() == v1::DELIVERY_STATE_DEAD) {
      DeadLetter(c, done, verdict.error, now);
    }
    const absl::Status s = repo_.Commit(c);
    if (s.ok()) {
      Count(result);
      if (done.state() == v1::DELIVERY_STATE_SENT && latency_ != nullptr) {
        latency_->Observe(absl::ToDoubleSeconds(now - created));
      }
      if (done.state() != v1::DELIVERY_STATE_SENT) {
        LogWarning("notification not delivered", {{"delivery", id},
                                                  {"error", verdict.error},
                                                  {"attempt", absl::StrCat(claimed.attempts())},
                                                  {"state", result}});
      }
      break;
    }
    if (s.code() != absl::StatusCode::kAborted) {
      // Redis is down: the lease runs out and the attempt becomes IN_DOUBT,
      // unless a later try here records it first.
      LogError("recording a notification attempt failed",
               {{"delivery", id}, {"error", s.ToString()}});
    }
  }
}

absl::StatusOr<int> Dispatcher::SweepInDoubt() {
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> expired,
                            repo_.Due(kDeliveryLease, absl::ToUnixMillis(now), options_.batch));
  int swept = 0;
  for (const std::string& id : expired) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::NotificationDelivery>> loaded,
                              LoadDoc<v1::NotificationDelivery>(repo_, DocKind::kDelivery, id));
    Change c;
    c.Unschedule(kDeliveryLease, id);
    if (loaded && loaded->doc.state() == v1::DELIVERY_STATE_SENDING &&
        FromTs(loaded->doc.next_attempt_time()) <= now) {
      v1::NotificationDelivery d = loaded->doc;
      d.set_state(v1::DELIVERY_STATE_IN_DOUBT);
      d.set_last_error(
          "the attempt was in flight when its sender stopped; the group may have it — not "
          "re-sent automatically");
      d.clear_next_attempt_time();
      *d.mutable_update_time() = ToTs(now);
      PutDelivery(c, id, d, v1::DELIVERY_STATE_SENDING, loaded->version);
      DeadLetter(c, d, "IN_DOUBT", now);
      if (repo_.Commit(c).ok()) {
        ++swept;
        Count("in_doubt");
        LogWarning("notification in doubt", {{"delivery", id}});
      }
      continue;
    }
    if (!loaded || loaded->doc.state() != v1::DELIVERY_STATE_SENDING) {
      (void)repo_.Commit(c);
    }
  }
  return swept;
}

}  // namespace salesops::sync
