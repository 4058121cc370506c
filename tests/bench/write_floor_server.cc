// The floor under the services' writes, for make bench: the echo service (same
// proto, same server options and certificates as echo_server) whose every call
// is the least a write can be under our design before it is acknowledged: one
// commit script that checks a key is absent, writes a small hash and appends
// its event to an outbox stream, which the outbox relay (ServiceRuntime, as in
// every service) then publishes to Kafka. No authentication, no domain logic,
// no reads, no consumer of the topic. A service's write can only be slower, so
// floor/echo bounds what write/echo can reach on this machine.
//
//   write_floor_server --floor_addr=127.0.0.1:0 --redis_addr=… --kafka_bootstrap=…
//       [--floor_path=mux|pool] [--floor_event=true]
//
// --floor_path: how a call reaches Redis. `pool` as the services' writes do (a
// worker thread takes the call and blocks on its own connection): the floor of
// the design as built. `mux` without any hand-off (the gRPC thread writes the
// script to a shared connection and the reader thread that parses the reply
// finishes the call: RedisMux, which the services use for reads only, since a
// write's WAIT and retries need a connection of its own; no WAIT here): the
// floor of a write path the services do not have. --floor_event=false leaves the event out (a Redis
// write alone; the relay then has nothing to do). Stops on SIGTERM.
#include <atomic>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/events/cloud_event.h"
#include "common/log/log.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_mux.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "salesops/bench/v1/echo_service.grpc.pb.h"

ABSL_FLAG(std::string, floor_addr, "127.0.0.1:0", "gRPC listen address");
ABSL_FLAG(std::string, floor_path, "mux", "mux (no hand-off) or pool (as the services)");
ABSL_FLAG(bool, floor_event, true, "Each write appends its event to the outbox");

namespace salesops {
namespace {

constexpr char kTopic[] = "salesops.bench.floor.v1";

class FloorService final : public bench::v1::EchoService::CallbackService {
 public:
  FloorService(TransactionalOutbox& outbox, RedisMux* mux, WorkerPool& workers, bool event)
      : outbox_(outbox),
        mux_(mux),
        workers_(workers),
        event_(event),
        prefix_(absl::StrCat(
            "floor:{f}:", absl::Hex(absl::Uniform<uint32_t>(absl::BitGen()), absl::kZeroPad8),
            ":")) {}

  // The write of call `n`: a create's shape (uniqueness guard, the record, its event).
  WriteBatch Batch(const std::string& payload) {
    const std::string id = absl::StrCat(next_.fetch_add(1));
    const std::string key = absl::StrCat(prefix_, "item:", id);
    WriteBatch b;
    b.ExpectAbsent(key, "exists");
    b.HSet(key, {{"payload", payload}, {"version", "1"}});
    if (event_) {
      bench::v1::EchoResponse data;
      data.set_payload(payload);
      b.Emit(MakeCloudEvent("/salesops/floor", id, absl::StrCat("items/", id), data, absl::Now()),
             kTopic);
    }
    return b;
  }

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const bench::v1::EchoRequest* req,
                                 bench::v1::EchoResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    WriteBatch b = Batch(req->payload());
    resp->set_payload(req->payload());
    if (mux_ != nullptr) {
      mux_->Send({outbox_.CommitCommand(b)}, [reactor](absl::StatusOr<std::vector<RedisValue>> r) {
        // The script's reply: {1, {outbox ids}} when it committed.
        reactor->Finish(Answer(r.ok() && !r->empty() && (*r)[0].is_array() &&
                               !(*r)[0].elements.empty() && (*r)[0].elements[0].integer == 1));
      });
      return reactor;
    }
    auto batch = std::make_shared<WriteBatch>(std::move(b));
    if (!workers_.TrySubmit([this, reactor, batch] {
          absl::StatusOr<CommitResult> r = outbox_.Commit(*batch);
          reactor->Finish(Answer(r.ok() && r->committed));
        })) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "queue full"));
    }
    return reactor;
  }

 private:
  static grpc::Status Answer(bool ok) {
    return ok ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNAVAILABLE, "commit failed");
  }

  TransactionalOutbox& outbox_;
  RedisMux* mux_;
  WorkerPool& workers_;
  const bool event_;
  const std::string prefix_;
  std::atomic<int64_t> next_{0};
};

}  // namespace
}  // namespace salesops

int main(int argc, char** argv) {
  using namespace salesops;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "The write floor (make bench)");
  ServiceSettings settings =
      LoadServiceSettings("floor", "floor_addr", absl::GetFlag(FLAGS_floor_addr));
  const std::string path = absl::GetFlag(FLAGS_floor_path);
  if (path != "mux" && path != "pool") {
    LogError("bad setting --floor_path: mux or pool", {{"value", path}});
    return 2;
  }
  const bool event = absl::GetFlag(FLAGS_floor_event);
  // Each variant its own outbox, so its own relay (the lease is the stream's).
  const std::string outbox_key = absl::StrCat("floor:{f}:", path, event ? "" : "-bare", ":outbox");
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, outbox_key);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  std::unique_ptr<RedisMux> mux;
  if (path == "mux") {
    mux = std::make_unique<RedisMux>(settings.redis, std::max(1, settings.redis_read_connections));
  }
  FloorService service(outbox, mux.get(), workers, event);
  // One commit through the client first: it loads the script, so the mux's
  // EVALSHAs find it.
  if (absl::StatusOr<CommitResult> r = outbox.Commit(service.Batch("warm")); !r.ok()) {
    LogError("first commit failed", {{"error", r.status().ToString()}});
    return 2;
  }
  ServiceRuntime runtime("floor", settings, metrics, redis, workers);
  if (!runtime.StartEvents(outbox_key, {{kTopic, 3}}).ok()) {
    return 2;
  }
  return runtime.Serve(&service, "salesops.bench.v1.EchoService");
}
