#include "tests/integration/forecast_env.h"

namespace salesops::testing {

ForecastServer::ForecastServer(std::vector<std::string> extra_args)
    : suffix_(UniqueSuffix()),
      extra_args_(std::move(extra_args)),
      process_(SALESOPS_FORECAST_SERVER, "forecast_addr", "forecast_server-" + suffix_) {}

void ForecastServer::Start() {
  std::vector<std::string> args = {
      "--forecast_engine_group=forecast-engine-test-" + suffix_,
      "--forecast_directory_group=forecast-dir-test-" + suffix_,
      "--forecast_job_interval=200ms",
      // One forecast keyspace serves every test company of the run, each with
      // its own current quarter: more overlapping periods than a company has.
      "--forecast_max_periods=128",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_.Start(args, AnswersNotFound([this](grpc::ClientContext* ctx) {
                   if (!stub_) {
                     stub_ = salesops::forecast::v1::ForecastService::NewStub(process_.channel());
                   }
                   salesops::forecast::v1::GetForecastRequest req;
                   req.set_name("forecasts/readiness~probe~_~_~commit");
                   salesops::forecast::v1::GetForecastResponse resp;
                   return stub_->GetForecast(ctx, req, &resp);
                 }));
}

}  // namespace salesops::testing
