#include "tests/integration/customers_env.h"

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace salesops::testing {

CustomersServer::CustomersServer(std::vector<std::string> extra_args)
    : group_("customers-dir-test-" + UniqueSuffix()),
      extra_args_(std::move(extra_args)),
      process_(SALESOPS_CUSTOMERS_SERVER, "customers_addr", "customers_server-" + group_) {}

void CustomersServer::Start() {
  std::vector<std::string> args = {
      "--customers_directory_group=" + group_,
      "--customers_org_changes_group=" + group_ + "-changes",
      "--customers_jobs_interval=200ms",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_.Start(args, AnswersNotFound([this](grpc::ClientContext* ctx) {
                   if (!stub_) {
                     stub_ = salesops::customers::v1::CustomersService::NewStub(process_.channel());
                   }
                   salesops::customers::v1::GetCustomerRequest req;
                   req.set_name("customers/readiness-probe");
                   salesops::customers::v1::GetCustomerResponse resp;
                   return stub_->GetCustomer(ctx, req, &resp);
                 }));
}

std::string ErrorReasonOf(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      return info.reason();
    }
  }
  return "";
}

std::string ViolatedFieldOf(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br) && br.field_violations_size() > 0) {
      return br.field_violations(0).field();
    }
  }
  return "";
}

std::string EventType(const Record& r) {
  auto it = r.headers.find("ce_type");
  return it == r.headers.end() ? "" : it->second;
}

}  // namespace salesops::testing
