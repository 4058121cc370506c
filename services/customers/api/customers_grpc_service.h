// gRPC adapter for CustomersService (callback API): every method goes through
// the RpcRunner guard (trace id, JWT, role policy, metrics, status mapping) and
// hands the request to CustomersApi. No logic lives here.
#pragma once

#include <functional>

#include "common/server/rpc.h"
#include "common/status/write_race.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "services/customers/api/customers_api.h"

namespace salesops::customers {

inline constexpr char kCustomersServiceName[] = "salesops.customers.v1.CustomersService";

// A read-modify-write that lost a race with another writer (a scheduled job,
// say) wrote nothing; common/status/write_race.h decides whether it runs again.
inline absl::Status RetryingStale(const google::protobuf::Message& req,
                                  const std::function<absl::Status()>& attempt) {
  return RetryWriteRace(CarriesEtag(req), attempt);
}

class CustomersGrpcService final : public v1::CustomersService::CallbackService {
 public:
  CustomersGrpcService(CustomersApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

  grpc::ServerUnaryReactor* CreateCustomer(grpc::CallbackServerContext* ctx,
                                           const v1::CreateCustomerRequest* req,
                                           v1::CreateCustomerResponse* resp) override {
    return rpc_.Run(ctx, "CreateCustomer", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CreateCustomer(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* ctx,
                                        const v1::GetCustomerRequest* req,
                                        v1::GetCustomerResponse* resp) override {
    return rpc_.Run(ctx, "GetCustomer", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.GetCustomer(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ListCustomers(grpc::CallbackServerContext* ctx,
                                          const v1::ListCustomersRequest* req,
                                          v1::ListCustomersResponse* resp) override {
    return rpc_.Run(ctx, "ListCustomers", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ListCustomers(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* UpdateCustomer(grpc::CallbackServerContext* ctx,
                                           const v1::UpdateCustomerRequest* req,
                                           v1::UpdateCustomerResponse* resp) override {
    return rpc_.Run(ctx, "UpdateCustomer", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.UpdateCustomer(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CheckCustomerConflicts(
      grpc::CallbackServerContext* ctx, const v1::CheckCustomerConflictsRequest* req,
      v1::CheckCustomerConflictsResponse* resp) override {
    return rpc_.Run(ctx, "CheckCustomerConflicts", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CheckCustomerConflicts(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* EvaluateCustomerTier(grpc::CallbackServerContext* ctx,
                                                 const v1::EvaluateCustomerTierRequest* req,
                                                 v1::EvaluateCustomerTierResponse* resp) override {
    return rpc_.Run(ctx, "EvaluateCustomerTier", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.EvaluateCustomerTier(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ClaimCustomer(grpc::CallbackServerContext* ctx,
                                          const v1::ClaimCustomerRequest* req,
                                          v1::ClaimCustomerResponse* resp) override {
    return rpc_.Run(ctx, "ClaimCustomer", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ClaimCustomer(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ReleaseCustomer(grpc::CallbackServerContext* ctx,
                                            const v1::ReleaseCustomerRequest* req,
                                            v1::ReleaseCustomerResponse* resp) override {
    return rpc_.Run(ctx, "ReleaseCustomer", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ReleaseCustomer(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* HandOverCustomer(grpc::CallbackServerContext* ctx,
                                             const v1::HandOverCustomerRequest* req,
                                             v1::HandOverCustomerResponse* resp) override {
    return rpc_.Run(ctx, "HandOverCustomer", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.HandOverCustomer(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* GrantSharing(grpc::CallbackServerContext* ctx,
                                         const v1::GrantSharingRequest* req,
                                         v1::GrantSharingResponse* resp) override {
    return rpc_.Run(ctx, "GrantSharing", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.GrantSharing(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* RevokeSharing(grpc::CallbackServerContext* ctx,
                                          const v1::RevokeSharingRequest* req,
                                          v1::RevokeSharingResponse* resp) override {
    return rpc_.Run(ctx, "RevokeSharing", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.RevokeSharing(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ListSharingGrants(grpc::CallbackServerContext* ctx,
                                              const v1::ListSharingGrantsRequest* req,
                                              v1::ListSharingGrantsResponse* resp) override {
    return rpc_.Run(ctx, "ListSharingGrants", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ListSharingGrants(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* GetTierPolicy(grpc::CallbackServerContext* ctx,
                                          const v1::GetTierPolicyRequest* req,
                                          v1::GetTierPolicyResponse* resp) override {
    return rpc_.Run(ctx, "GetTierPolicy", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.GetTierPolicy(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* UpdateTierPolicy(grpc::CallbackServerContext* ctx,
                                             const v1::UpdateTierPolicyRequest* req,
                                             v1::UpdateTierPolicyResponse* resp) override {
    return rpc_.Run(ctx, "UpdateTierPolicy", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.UpdateTierPolicy(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* GetPoolPolicy(grpc::CallbackServerContext* ctx,
                                          const v1::GetPoolPolicyRequest* req,
                                          v1::GetPoolPolicyResponse* resp) override {
    return rpc_.Run(ctx, "GetPoolPolicy", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.GetPoolPolicy(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* UpdatePoolPolicy(grpc::CallbackServerContext* ctx,
                                             const v1::UpdatePoolPolicyRequest* req,
                                             v1::UpdatePoolPolicyResponse* resp) override {
    return rpc_.Run(ctx, "UpdatePoolPolicy", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.UpdatePoolPolicy(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CreateOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::CreateOpportunityRequest* req,
                                              v1::CreateOpportunityResponse* resp) override {
    return rpc_.Run(ctx, "CreateOpportunity", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CreateOpportunity(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* GetOpportunity(grpc::CallbackServerContext* ctx,
                                           const v1::GetOpportunityRequest* req,
                                           v1::GetOpportunityResponse* resp) override {
    return rpc_.Run(ctx, "GetOpportunity", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.GetOpportunity(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ListOpportunities(grpc::CallbackServerContext* ctx,
                                              const v1::ListOpportunitiesRequest* req,
                                              v1::ListOpportunitiesResponse* resp) override {
    return rpc_.Run(ctx, "ListOpportunities", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ListOpportunities(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* UpdateOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::UpdateOpportunityRequest* req,
                                              v1::UpdateOpportunityResponse* resp) override {
    return rpc_.Run(ctx, "UpdateOpportunity", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.UpdateOpportunity(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ChangeOpportunityStage(
      grpc::CallbackServerContext* ctx, const v1::ChangeOpportunityStageRequest* req,
      v1::ChangeOpportunityStageResponse* resp) override {
    return rpc_.Run(ctx, "ChangeOpportunityStage", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ChangeOpportunityStage(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* LogActivity(grpc::CallbackServerContext* ctx,
                                        const v1::LogActivityRequest* req,
                                        v1::LogActivityResponse* resp) override {
    return rpc_.Run(ctx, "LogActivity", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.LogActivity(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ListActivities(grpc::CallbackServerContext* ctx,
                                           const v1::ListActivitiesRequest* req,
                                           v1::ListActivitiesResponse* resp) override {
    return rpc_.Run(ctx, "ListActivities", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ListActivities(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* ctx,
                                       const v1::CreateTaskRequest* req,
                                       v1::CreateTaskResponse* resp) override {
    return rpc_.Run(ctx, "CreateTask", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CreateTask(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx,
                                      const v1::ListTasksRequest* req,
                                      v1::ListTasksResponse* resp) override {
    return rpc_.Run(ctx, "ListTasks", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ListTasks(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CompleteTask(grpc::CallbackServerContext* ctx,
                                         const v1::CompleteTaskRequest* req,
                                         v1::CompleteTaskResponse* resp) override {
    return rpc_.Run(ctx, "CompleteTask", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CompleteTask(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CreateContract(grpc::CallbackServerContext* ctx,
                                           const v1::CreateContractRequest* req,
                                           v1::CreateContractResponse* resp) override {
    return rpc_.Run(ctx, "CreateContract", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CreateContract(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* GetContract(grpc::CallbackServerContext* ctx,
                                        const v1::GetContractRequest* req,
                                        v1::GetContractResponse* resp) override {
    return rpc_.Run(ctx, "GetContract", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.GetContract(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ListContracts(grpc::CallbackServerContext* ctx,
                                          const v1::ListContractsRequest* req,
                                          v1::ListContractsResponse* resp) override {
    return rpc_.Run(ctx, "ListContracts", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ListContracts(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* SignContract(grpc::CallbackServerContext* ctx,
                                         const v1::SignContractRequest* req,
                                         v1::SignContractResponse* resp) override {
    return rpc_.Run(ctx, "SignContract", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.SignContract(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CancelContract(grpc::CallbackServerContext* ctx,
                                           const v1::CancelContractRequest* req,
                                           v1::CancelContractResponse* resp) override {
    return rpc_.Run(ctx, "CancelContract", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CancelContract(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* CloseContract(grpc::CallbackServerContext* ctx,
                                          const v1::CloseContractRequest* req,
                                          v1::CloseContractResponse* resp) override {
    return rpc_.Run(ctx, "CloseContract", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.CloseContract(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* RecordPayment(grpc::CallbackServerContext* ctx,
                                          const v1::RecordPaymentRequest* req,
                                          v1::RecordPaymentResponse* resp) override {
    return rpc_.Run(ctx, "RecordPayment", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.RecordPayment(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* RecordRefund(grpc::CallbackServerContext* ctx,
                                         const v1::RecordRefundRequest* req,
                                         v1::RecordRefundResponse* resp) override {
    return rpc_.Run(ctx, "RecordRefund", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.RecordRefund(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ImportCustomersCsv(grpc::CallbackServerContext* ctx,
                                               const v1::ImportCustomersCsvRequest* req,
                                               v1::ImportCustomersCsvResponse* resp) override {
    return rpc_.Run(ctx, "ImportCustomersCsv", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ImportCustomersCsv(call, *req, resp);
      });
    });
  }
  grpc::ServerUnaryReactor* ExportCustomersCsv(grpc::CallbackServerContext* ctx,
                                               const v1::ExportCustomersCsvRequest* req,
                                               v1::ExportCustomersCsvResponse* resp) override {
    return rpc_.Run(ctx, "ExportCustomersCsv", [this, req, resp](const CallContext& call) {
      return RetryingStale(*req, [&] {
        resp->Clear();
        return api_.ExportCustomersCsv(call, *req, resp);
      });
    });
  }

 private:
  CustomersApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::customers
