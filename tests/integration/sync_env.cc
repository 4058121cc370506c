#include "tests/integration/sync_env.h"

namespace salesops::testing {

SyncServer::SyncServer(std::string routes_file, std::vector<std::string> extra_args,
                       std::string suffix)
    : suffix_(suffix.empty() ? UniqueSuffix() : std::move(suffix)),
      routes_file_(std::move(routes_file)),
      extra_args_(std::move(extra_args)),
      process_(SALESOPS_SYNC_SERVER, "sync_addr", "sync_server-" + suffix_) {}

void SyncServer::Start() {
  // Group names start with "sync-": the service's Kafka user may use no others.
  std::vector<std::string> args = {
      "--sync_events_group=sync-events-test-" + suffix_,
      "--sync_directory_group=sync-dir-test-" + suffix_,
      "--sync_routes_file=" + routes_file_,
      "--sync_notify_backoff=100ms",
      "--sync_notify_poll=50ms",
      "--sync_sla_interval=500ms",
      "--sync_share_interval=100ms",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_.Start(args, AnswersNotFound([this](grpc::ClientContext* ctx) {
                   if (!stub_) {
                     stub_ = salesops::sync::v1::SyncService::NewStub(process_.channel());
                   }
                   salesops::sync::v1::GetTaskForceRequest req;
                   req.set_name("taskForces/readiness-probe");
                   salesops::sync::v1::GetTaskForceResponse resp;
                   return stub_->GetTaskForce(ctx, req, &resp);
                 }));
}

}  // namespace salesops::testing
