#include "tests/integration/targets_env.h"

namespace salesops::testing {

TargetsServer::TargetsServer(std::vector<std::string> extra_args)
    : suffix_(UniqueSuffix()),
      extra_args_(std::move(extra_args)),
      process_(SALESOPS_TARGETS_SERVER, "targets_addr", "targets_server-" + suffix_) {}

void TargetsServer::Start() {
  std::vector<std::string> args = {
      "--targets_attainment_group=targets-att-test-" + suffix_,
      "--targets_directory_group=targets-dir-test-" + suffix_,
      "--targets_org_changes_group=targets-org-test-" + suffix_,
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_.Start(args, AnswersNotFound([this](grpc::ClientContext* ctx) {
                   if (!stub_) {
                     stub_ = salesops::targets::v1::TargetsService::NewStub(process_.channel());
                   }
                   salesops::targets::v1::GetPlanRequest req;
                   req.set_name("plans/readiness-probe");
                   salesops::targets::v1::GetPlanResponse resp;
                   return stub_->GetPlan(ctx, req, &resp);
                 }));
}

}  // namespace salesops::testing
