#include "tests/integration/warning_env.h"

namespace salesops::testing {

WarningServer::WarningServer(std::vector<std::string> extra_args)
    : suffix_(UniqueSuffix()),
      extra_args_(std::move(extra_args)),
      process_(SALESOPS_WARNING_SERVER, "warning_addr", "warning_server-" + suffix_) {}

void WarningServer::Start() {
  std::vector<std::string> args = {
      "--warning_engine_group=warning-engine-test-" + suffix_,
      "--warning_directory_group=warning-dir-test-" + suffix_,
      "--warning_scan_interval=200ms",
      // The tests make conditions with back-dated events (a deal in its stage
      // for 40 days, a customer quiet for 60) and expect them judged on the
      // event, as a live one is; settling replayed history is the engine's own
      // test (WarningConsumerWavesTest.AReplayedHistoryIsJudgedWhereItEnds).
      "--warning_history_age=0",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_.Start(args, AnswersNotFound([this](grpc::ClientContext* ctx) {
                   if (!stub_) {
                     stub_ = salesops::warning::v1::WarningService::NewStub(process_.channel());
                   }
                   salesops::warning::v1::GetWarningRequest req;
                   req.set_name("warnings/readiness-probe");
                   salesops::warning::v1::GetWarningResponse resp;
                   return stub_->GetWarning(ctx, req, &resp);
                 }));
}

}  // namespace salesops::testing
