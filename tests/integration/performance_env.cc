#include "tests/integration/performance_env.h"

namespace salesops::testing {

PerformanceServer::PerformanceServer(std::vector<std::string> extra_args)
    : suffix_(UniqueSuffix()),
      extra_args_(std::move(extra_args)),
      process_(SALESOPS_PERFORMANCE_SERVER, "performance_addr", "performance_server-" + suffix_) {}

void PerformanceServer::Start() {
  // Group names start with "performance-": the service's Kafka user may use no others.
  std::vector<std::string> args = {
      "--performance_credit_group=performance-credit-test-" + suffix_,
      "--performance_directory_group=performance-dir-test-" + suffix_,
      "--performance_recompute_interval=100ms",
      // The review scheduler off: the test Redis keeps the org directory of
      // every earlier test, and a pass over all their reps is load no test
      // here asks for (review_api_test covers the scheduler).
      "--performance_review_interval=0s",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_.Start(args, AnswersNotFound([this](grpc::ClientContext* ctx) {
                   if (!stub_) {
                     stub_ =
                         salesops::performance::v1::PerformanceService::NewStub(process_.channel());
                   }
                   salesops::performance::v1::GetKpiDefinitionRequest req;
                   req.set_name("kpis/readiness-probe");
                   salesops::performance::v1::GetKpiDefinitionResponse resp;
                   return stub_->GetKpiDefinition(ctx, req, &resp);
                 }));
}

}  // namespace salesops::testing
