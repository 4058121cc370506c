// gRPC adapter for TargetsService: every method goes through the RpcRunner
// guard and hands the request to TargetsApi. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "services/targets/api/targets_api.h"

namespace salesops::targets {

inline constexpr char kTargetsServiceName[] = "salesops.targets.v1.TargetsService";

class TargetsGrpcService final : public v1::TargetsService::CallbackService {
 public:
  TargetsGrpcService(TargetsApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

  grpc::ServerUnaryReactor* CreateFiscalPeriod(grpc::CallbackServerContext* ctx,
                                               const v1::CreateFiscalPeriodRequest* req,
                                               v1::CreateFiscalPeriodResponse* resp) override {
    return rpc_.Run(ctx, "CreateFiscalPeriod", [this, req, resp](const CallContext& call) {
      return api_.CreateFiscalPeriod(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetFiscalPeriod(grpc::CallbackServerContext* ctx,
                                            const v1::GetFiscalPeriodRequest* req,
                                            v1::GetFiscalPeriodResponse* resp) override {
    return rpc_.Run(ctx, "GetFiscalPeriod", [this, req, resp](const CallContext& call) {
      return api_.GetFiscalPeriod(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListFiscalPeriods(grpc::CallbackServerContext* ctx,
                                              const v1::ListFiscalPeriodsRequest* req,
                                              v1::ListFiscalPeriodsResponse* resp) override {
    return rpc_.Run(ctx, "ListFiscalPeriods", [this, req, resp](const CallContext& call) {
      return api_.ListFiscalPeriods(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateFiscalPeriod(grpc::CallbackServerContext* ctx,
                                               const v1::UpdateFiscalPeriodRequest* req,
                                               v1::UpdateFiscalPeriodResponse* resp) override {
    return rpc_.Run(ctx, "UpdateFiscalPeriod", [this, req, resp](const CallContext& call) {
      return api_.UpdateFiscalPeriod(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DeleteFiscalPeriod(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteFiscalPeriodRequest* req,
                                               v1::DeleteFiscalPeriodResponse* resp) override {
    return rpc_.Run(ctx, "DeleteFiscalPeriod", [this, req, resp](const CallContext& call) {
      return api_.DeleteFiscalPeriod(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreatePlan(grpc::CallbackServerContext* ctx,
                                       const v1::CreatePlanRequest* req,
                                       v1::CreatePlanResponse* resp) override {
    return rpc_.Run(ctx, "CreatePlan", [this, req, resp](const CallContext& call) {
      return api_.CreatePlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetPlan(grpc::CallbackServerContext* ctx, const v1::GetPlanRequest* req,
                                    v1::GetPlanResponse* resp) override {
    return rpc_.Run(ctx, "GetPlan", [this, req, resp](const CallContext& call) {
      return api_.GetPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListPlans(grpc::CallbackServerContext* ctx,
                                      const v1::ListPlansRequest* req,
                                      v1::ListPlansResponse* resp) override {
    return rpc_.Run(ctx, "ListPlans", [this, req, resp](const CallContext& call) {
      return api_.ListPlans(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreatePlanVersion(grpc::CallbackServerContext* ctx,
                                              const v1::CreatePlanVersionRequest* req,
                                              v1::CreatePlanVersionResponse* resp) override {
    return rpc_.Run(ctx, "CreatePlanVersion", [this, req, resp](const CallContext& call) {
      return api_.CreatePlanVersion(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AllocatePlan(grpc::CallbackServerContext* ctx,
                                         const v1::AllocatePlanRequest* req,
                                         v1::AllocatePlanResponse* resp) override {
    return rpc_.Run(ctx, "AllocatePlan", [this, req, resp](const CallContext& call) {
      return api_.AllocatePlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListAllocationCells(grpc::CallbackServerContext* ctx,
                                                const v1::ListAllocationCellsRequest* req,
                                                v1::ListAllocationCellsResponse* resp) override {
    return rpc_.Run(ctx, "ListAllocationCells", [this, req, resp](const CallContext& call) {
      return api_.ListAllocationCells(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SetPhasing(grpc::CallbackServerContext* ctx,
                                       const v1::SetPhasingRequest* req,
                                       v1::SetPhasingResponse* resp) override {
    return rpc_.Run(ctx, "SetPhasing", [this, req, resp](const CallContext& call) {
      return api_.SetPhasing(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* PublishPlan(grpc::CallbackServerContext* ctx,
                                        const v1::PublishPlanRequest* req,
                                        v1::PublishPlanResponse* resp) override {
    return rpc_.Run(ctx, "PublishPlan", [this, req, resp](const CallContext& call) {
      return api_.PublishPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetAttainment(grpc::CallbackServerContext* ctx,
                                          const v1::GetAttainmentRequest* req,
                                          v1::GetAttainmentResponse* resp) override {
    return rpc_.Run(ctx, "GetAttainment", [this, req, resp](const CallContext& call) {
      return api_.GetAttainment(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListAttainment(grpc::CallbackServerContext* ctx,
                                           const v1::ListAttainmentRequest* req,
                                           v1::ListAttainmentResponse* resp) override {
    return rpc_.Run(ctx, "ListAttainment", [this, req, resp](const CallContext& call) {
      return api_.ListAttainment(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SuggestReallocation(grpc::CallbackServerContext* ctx,
                                                const v1::SuggestReallocationRequest* req,
                                                v1::SuggestReallocationResponse* resp) override {
    return rpc_.Run(ctx, "SuggestReallocation", [this, req, resp](const CallContext& call) {
      return api_.SuggestReallocation(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ApplyReallocation(grpc::CallbackServerContext* ctx,
                                              const v1::ApplyReallocationRequest* req,
                                              v1::ApplyReallocationResponse* resp) override {
    return rpc_.Run(ctx, "ApplyReallocation", [this, req, resp](const CallContext& call) {
      return api_.ApplyReallocation(call, *req, resp);
    });
  }

 private:
  TargetsApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::targets
