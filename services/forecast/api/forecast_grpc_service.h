// gRPC adapter for ForecastService: every method goes through the RpcRunner
// guard and hands the request to ForecastApi. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "services/forecast/api/forecast_api.h"

namespace salesops::forecast {

inline constexpr char kForecastServiceName[] = "salesops.forecast.v1.ForecastService";

class ForecastGrpcService final : public v1::ForecastService::CallbackService {
 public:
  ForecastGrpcService(ForecastApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

  grpc::ServerUnaryReactor* GetForecast(grpc::CallbackServerContext* ctx,
                                        const v1::GetForecastRequest* req,
                                        v1::GetForecastResponse* resp) override {
    return rpc_.Run(ctx, "GetForecast", [this, req, resp](const CallContext& call) {
      return api_.GetForecast(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListForecasts(grpc::CallbackServerContext* ctx,
                                          const v1::ListForecastsRequest* req,
                                          v1::ListForecastsResponse* resp) override {
    return rpc_.Run(ctx, "ListForecasts", [this, req, resp](const CallContext& call) {
      return api_.ListForecasts(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RollUp(grpc::CallbackServerContext* ctx, const v1::RollUpRequest* req,
                                   v1::RollUpResponse* resp) override {
    return rpc_.Run(ctx, "RollUp", [this, req, resp](const CallContext& call) {
      return api_.RollUp(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetAccuracy(grpc::CallbackServerContext* ctx,
                                        const v1::GetAccuracyRequest* req,
                                        v1::GetAccuracyResponse* resp) override {
    return rpc_.Run(ctx, "GetAccuracy", [this, req, resp](const CallContext& call) {
      return api_.GetAccuracy(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListForecastSnapshots(
      grpc::CallbackServerContext* ctx, const v1::ListForecastSnapshotsRequest* req,
      v1::ListForecastSnapshotsResponse* resp) override {
    return rpc_.Run(ctx, "ListForecastSnapshots", [this, req, resp](const CallContext& call) {
      return api_.ListForecastSnapshots(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListStageProbabilities(
      grpc::CallbackServerContext* ctx, const v1::ListStageProbabilitiesRequest* req,
      v1::ListStageProbabilitiesResponse* resp) override {
    return rpc_.Run(ctx, "ListStageProbabilities", [this, req, resp](const CallContext& call) {
      return api_.ListStageProbabilities(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SubmitForecastCall(grpc::CallbackServerContext* ctx,
                                               const v1::SubmitForecastCallRequest* req,
                                               v1::SubmitForecastCallResponse* resp) override {
    return rpc_.Run(ctx, "SubmitForecastCall", [this, req, resp](const CallContext& call) {
      return api_.SubmitForecastCall(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListForecastCalls(grpc::CallbackServerContext* ctx,
                                              const v1::ListForecastCallsRequest* req,
                                              v1::ListForecastCallsResponse* resp) override {
    return rpc_.Run(ctx, "ListForecastCalls", [this, req, resp](const CallContext& call) {
      return api_.ListForecastCalls(call, *req, resp);
    });
  }

 private:
  ForecastApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::forecast
