// Typed Connect clients of every service, through the gateway (same origin),
// generated from protos/ (src/gen); each call carries the session's token.
import { createClient, ConnectError, Code, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { CustomersService } from "./gen/salesops/customers/v1/customers_service_pb.js";
import { ForecastService } from "./gen/salesops/forecast/v1/forecast_service_pb.js";
import { OrgService } from "./gen/salesops/org/v1/org_service_pb.js";
import { PerformanceService } from "./gen/salesops/performance/v1/performance_service_pb.js";
import { TargetsService } from "./gen/salesops/targets/v1/targets_service_pb.js";
import { WarningService } from "./gen/salesops/warning/v1/warning_service_pb.js";

export function clients(token: string, onUnauthenticated: () => void) {
  const auth: Interceptor = (next) => async (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (e) {
      if (e instanceof ConnectError && e.code === Code.Unauthenticated) onUnauthenticated();
      throw e;
    }
  };
  const transport = createConnectTransport({
    baseUrl: location.origin,
    interceptors: [auth],
    defaultTimeoutMs: 15_000,
  });
  return {
    org: createClient(OrgService, transport),
    targets: createClient(TargetsService, transport),
    customers: createClient(CustomersService, transport),
    performance: createClient(PerformanceService, transport),
    forecast: createClient(ForecastService, transport),
    warning: createClient(WarningService, transport),
  };
}

export type Clients = ReturnType<typeof clients>;

// A message for the user from a failed call: the Connect code and the
// service's own message (which names the field on INVALID_ARGUMENT).
export function errorText(e: unknown): string {
  if (e instanceof ConnectError) return `${Code[e.code]}: ${e.rawMessage}`;
  return e instanceof Error ? e.message : String(e);
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ConnectError && e.code === Code.NotFound;
}
