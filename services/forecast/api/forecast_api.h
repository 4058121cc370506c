// The forecast service's use cases, one method per RPC: validate the request
// (every bad field named), authorise (role policy in the RpcRunner; who may
// see or call which scope here, from the service's own org directory), read
// through the ForecastRepository, and — for calls — persist the change with
// its event. Plain C++ over protobuf messages, no gRPC types, so tests call it
// directly against InMemoryForecastRepository; ForecastGrpcService only adapts.
//
// Visibility of a scope: admin and director everything; a manager or a
// supervisor the scopes in their unit's subtree (region, team, the members
// in them); a rep their own member scopes (every product line).
//
//   ForecastApi api(repo, org, clock, {});
//   v1::GetForecastResponse resp;
//   SALESOPS_RETURN_IF_ERROR(api.GetForecast(call, req, &resp));
//
// Thread-safe: no mutable state of its own.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "common/server/rpc.h"
#include "common/status/errors.h"
#include "common/time/clock.h"
#include "salesops/forecast/v1/forecast_service.pb.h"
#include "services/forecast/store/forecast_repository.h"
#include "services/forecast/store/org_view.h"
#include "services/forecast/store/scopes.h"

namespace salesops::forecast {

namespace v1 = ::salesops::forecast::v1;

// Which roles may call which method (object-level checks come on top).
MethodPolicy ForecastMethodPolicy();

struct ApiOptions {
  std::string currency = "CNY";
};

class ForecastApi {
 public:
  ForecastApi(ForecastRepository& repo, OrgView& org, const Clock& clock, ApiOptions options = {})
      : repo_(repo), org_(org), clock_(clock), options_(std::move(options)) {}

#define SALESOPS_FORECAST_METHOD(M) \
  absl::Status M(const CallContext& call, const v1::M##Request& req, v1::M##Response* resp);
  SALESOPS_FORECAST_METHOD(GetForecast)
  SALESOPS_FORECAST_METHOD(ListForecasts)
  SALESOPS_FORECAST_METHOD(RollUp)
  SALESOPS_FORECAST_METHOD(GetAccuracy)
  SALESOPS_FORECAST_METHOD(ListForecastSnapshots)
  SALESOPS_FORECAST_METHOD(ListStageProbabilities)
  SALESOPS_FORECAST_METHOD(SubmitForecastCall)
  SALESOPS_FORECAST_METHOD(ListForecastCalls)
#undef SALESOPS_FORECAST_METHOD

 private:
  // The scope a request names (`field` prefixes violations), its member's team filled in.
  absl::StatusOr<ScopeId> ResolveScope(const v1::ForecastScope& scope, const std::string& field,
                                       Violations& v);
  absl::StatusOr<bool> CanSee(const CallContext& call, const ScopeId& scope);
  absl::Status CheckCanSee(const CallContext& call, const ScopeId& scope);
  // The unit a list defaults to: the caller's own (all for director/admin).
  absl::StatusOr<std::string> DefaultUnit(const CallContext& call);
  // Fills submitted_call / adjusted_call of forecasts from their calls.
  absl::Status AddCalls(std::vector<v1::Forecast*> forecasts);
  absl::Status CheckCanCall(const CallContext& call, const ScopeId& scope, bool adjusted);
  absl::Status ReplayCall(const CallContext& call, const std::string& stored,
                          const std::string& expected, bool adjusted,
                          v1::SubmitForecastCallResponse* resp);

  ForecastRepository& repo_;
  OrgView& org_;
  const Clock& clock_;
  ApiOptions options_;
};

}  // namespace salesops::forecast
