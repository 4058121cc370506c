// What the replica faults of `make chaos` share: a stream of events published as
// another service would (EventStream), the kill-and-replace step (KillReplicaDuring),
// and a quarter's published target plan with all of it on one rep.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/kafka/producer.h"
#include "tests/integration/targets_env.h"

namespace salesops::testing {

// Publishes make(0), make(1), ... to `topic` as the admin user, as the owning
// service would, each waited for (a record counts once Kafka has it), 5 ms apart,
// until Stop(). `on_published(i)` runs for each one Kafka took.
class EventStream {
 public:
  EventStream(std::string topic, std::string client_id, std::function<CloudEvent(int)> make,
              std::function<void(int)> on_published = {});
  ~EventStream() { Stop(); }
  absl::Status Start();
  void Stop();
  int published() const { return published_.load(); }
  // When Stop() first returned: the last event was published before it.
  absl::Time stopped_at() const { return stopped_at_; }
  int failed() const { return failed_.load(); }

 private:
  std::string topic_;
  std::function<CloudEvent(int)> make_;
  std::function<void(int)> on_published_;
  std::unique_ptr<KafkaProducer> producer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> published_{0}, failed_{0};
  absl::Time stopped_at_ = absl::InfiniteFuture();
};

// The replica fault of the consumer tests: 3 s into `stream`, kill -9 `server`; 2 s
// later a new replica from `make_replica` (the same flags) takes its place; 4 s more,
// then the stream stops. Returns how many events were published before the kill. The
// killed server object is kept in `killed` (its process is gone).
template <typename Server, typename MakeReplica>
int KillReplicaDuring(EventStream& stream, std::unique_ptr<Server>& server,
                      const MakeReplica& make_replica,
                      std::vector<std::unique_ptr<Server>>& killed) {
  absl::SleepFor(absl::Seconds(3));
  server->Kill9();
  const int at_kill = stream.published();
  absl::SleepFor(absl::Seconds(2));
  killed.push_back(std::move(server));
  server = make_replica();
  server->Start();
  absl::SleepFor(absl::Seconds(4));
  stream.Stop();
  return at_kill;
}

// Through `targets` as an admin: this quarter (fiscal period `period_id`, China
// time) and its published plan `plan_id` on company `company` of ¥1,000,000, all
// of it on product line `product_line` → `team` → `rep`. Returns the plan's name;
// the test fails on an error.
std::string PublishQuarterPlanOnOneRep(TargetsServer& targets, const std::string& period_id,
                                       const std::string& plan_id, const std::string& company,
                                       const std::string& product_line, const std::string& team,
                                       const std::string& rep);

}  // namespace salesops::testing
