// salesopsctl: a small command-line client for local use and scripts.
//
//   salesopsctl token --sub=admin --role=admin [--org_unit=ID] [--ttl=12h]
//       mints a bearer JWT (HS256 with $SALESOPS_JWT_HS256_SECRET, or RS256/ES256
//       with --private_key_file) and prints it.
//   salesopsctl org list-units   [--addr=127.0.0.1:7101] [--token=…] [--page_size=N]
//   salesopsctl org create-unit  --display_name=华东大区 --kind=REGION --parent=orgUnits/ID
//   [--id=ID] salesopsctl org list-members [--org_unit=orgUnits/ID] salesopsctl org create-member
//   --display_name=张伟 --email=… --role=REP --department=SALES
//                                 --org_unit=orgUnits/ID [--id=ID]
//   salesopsctl org get --name=orgUnits/ID | members/ID
//   salesopsctl org positions [--team=orgUnits/ID]
//   salesopsctl org duties  --member=members/ID [--date=YYYY-MM-DD]
//   salesopsctl org history --member=members/ID [--date=YYYY-MM-DD]
//   salesopsctl org reorgs  --org_unit=orgUnits/ID [--start=YYYY-MM-DD] [--end=YYYY-MM-DD]
//   salesopsctl org efficiency --start=YYYY-MM --end=YYYY-MM [--org_unit=orgUnits/ID]
//   salesopsctl org talent-config
//   salesopsctl forecast get  --org_unit=orgUnits/ID | --member=members/ID | --name=forecasts/ID
//                             --period=fiscalPeriods/ID [--category=COMMIT|BEST_CASE|PIPELINE]
//                             [--product_line=orgUnits/ID] [--addr=127.0.0.1:7105]
//   salesopsctl forecast list --period=fiscalPeriods/ID [--org_unit=orgUnits/ID] [--category=…]
//                             [--members_only] [--order_by="gap_to_target desc"] [--page_size=N]
//   salesopsctl call salesops.<svc>.v1.<Service>/<Method> ['{"json": "request"}']
//                    [--output=json|table] [--token=JWT] [--addr=HOST:PORT]
//       any RPC of any service: the request as JSON (field names as in the protos or
//       lowerCamel), the answer as JSON, or for a list as a table of its rows; the
//       address from the package (SALESOPS_<SVC>_ADDR, else the default port). E.g.
//         salesopsctl call salesops.warning.v1.WarningService/ListWarnings
//           '{"org_unit": "orgUnits/team-east-1", "states": ["WARNING_STATE_OPEN"]}' --output=table
//         salesopsctl call salesops.targets.v1.TargetsService/GetAttainment
//           '{"period": "fiscalPeriods/FY2026-Q4", "subject": "members/demo-rep-east-1-7"}'
//   salesopsctl health [--addr=HOST:PORT] [--service=salesops.org.v1.OrgService]
//                      [--tls_server_name=NAME]
//       grpc.health.v1 check (exit 0 when SERVING): Kubernetes' own gRPC probes
//       cannot speak TLS, so the Helm chart probes with this.
//
// Without --token, org and forecast commands mint a short-lived admin token from
// $SALESOPS_JWT_HS256_SECRET. Output is the response as JSON. Calls use TLS
// (and mTLS) from --tls_ca_file, --tls_client_cert_file, --tls_client_key_file
// or their SALESOPS_TLS_* twins; without a CA they are plaintext.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "common/server/health_check.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "salesops/sync/v1/sync_service.grpc.pb.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "salesops/warning/v1/warning_service.grpc.pb.h"

namespace {

using Args = std::map<std::string, std::string>;

int Usage() {
  std::fprintf(stderr,
               "usage:\n"
               "  salesopsctl token --sub=ID --role=rep|supervisor|manager|director|admin "
               "[--org_unit=ID] [--ttl=12h] [--private_key_file=PEM --alg=RS256|ES256]\n"
               "  salesopsctl org list-units|create-unit|list-members|create-member|get|positions|"
               "duties|history|reorgs|efficiency|talent-config "
               "[--addr=HOST:PORT] [--token=JWT] [--field=value ...]\n"
               "  salesopsctl call salesops.<svc>.v1.<Service>/<Method> ['{json request}'] "
               "[--output=json|table] [--token=JWT] [--addr=HOST:PORT]\n"
               "  salesopsctl forecast get|list --period=fiscalPeriods/ID [--org_unit=orgUnits/ID] "
               "[--member=members/ID] [--category=PIPELINE] [--addr=HOST:PORT] [--token=JWT]\n"
               "  salesopsctl customers get-opportunity|move-stage --name=opportunities/ID "
               "[--stage=PROPOSAL] [--reason=TEXT] [--addr=HOST:PORT] [--token=JWT]\n"
               "  salesopsctl health [--addr=HOST:PORT] [--service=NAME]\n"
               "TLS: --tls_ca_file, --tls_client_cert_file, --tls_client_key_file "
               "(or SALESOPS_TLS_*)\n");
  return 2;
}

Args ParseArgs(int argc, char** argv, int from) {
  Args args;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (!absl::StartsWith(a, "--")) {
      continue;
    }
    auto eq = a.find('=');
    if (eq == std::string::npos) {
      args[a.substr(2)] = "true";
    } else {
      args[a.substr(2, eq - 2)] = a.substr(eq + 1);
    }
  }
  return args;
}

std::string Get(const Args& a, const std::string& k, const std::string& def = "") {
  auto it = a.find(k);
  return it == a.end() ? def : it->second;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int MintToken(const Args& args, std::string* out) {
  salesops::Principal p;
  p.member_id = Get(args, "sub", "admin");
  if (!salesops::ParseRole(Get(args, "role", "admin"), &p.role)) {
    std::fprintf(stderr, "--role must be rep, supervisor, manager, director or admin\n");
    return 2;
  }
  p.org_unit_id = Get(args, "org_unit");
  absl::Duration ttl;
  // Short by default: a token is a key to the company's customers and pay.
  // Services refuse tokens living longer than --jwt_max_ttl (8h by default).
  if (!absl::ParseDuration(Get(args, "ttl", "1h"), &ttl) || ttl <= absl::ZeroDuration() ||
      ttl > absl::Hours(8)) {
    std::fprintf(stderr, "--ttl must be a duration from 1s to 8h, like 1h\n");
    return 2;
  }
  salesops::JwtMintOptions opts;
  opts.issuer = Get(args, "iss",
                    Env("SALESOPS_JWT_ISSUER").empty() ? "salesops" : Env("SALESOPS_JWT_ISSUER"));
  // aud: every service by default (a user's sign-in); --aud=salesops.org,… narrows it.
  const std::string aud = Get(args, "aud", Env("SALESOPS_JWT_AUDIENCE"));
  if (!aud.empty()) {
    opts.audiences = absl::StrSplit(aud, ',', absl::SkipEmpty());
  }
  std::string key_file = Get(args, "private_key_file");
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    opts.key = ss.str();
    opts.algorithm = Get(args, "alg", "RS256");
  } else {
    opts.key = Get(args, "secret", Env("SALESOPS_JWT_HS256_SECRET"));
    opts.algorithm = "HS256";
    if (opts.key.empty()) {
      std::fprintf(stderr, "set SALESOPS_JWT_HS256_SECRET (or --secret / --private_key_file)\n");
      return 2;
    }
  }
  auto token = salesops::MintJwt(opts, p, ttl, absl::Now());
  if (!token.ok()) {
    std::fprintf(stderr, "%s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  *out = *token;
  return 0;
}

void Print(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, o);
  std::cout << json;
}

int Report(const grpc::Status& s) {
  if (s.ok()) {
    return 0;
  }
  // gRPC's codes are absl's, number for number.
  std::fprintf(stderr, "error %s (%d): %s\n",
               absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code())).c_str(),
               s.error_code(), s.error_message().c_str());
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && absl::GetFlag(FLAGS_tls_ca_file).empty()) {
    std::fprintf(stderr,
                 "(this was plaintext: the services serve TLS; set --tls_ca_file or "
                 "SALESOPS_TLS_CA_FILE, and a client certificate for mTLS)\n");
  }
  return 1;
}

// The channel credentials from the TLS flags: SALESOPS_TLS_* twins, then
// --tls_* arguments. False (after printing why) on a bad setting.
bool Credentials(const Args& args, std::shared_ptr<grpc::ChannelCredentials>* out) {
  salesops::ApplyEnvTwins();
  for (const char* name : {"tls_ca_file", "tls_client_cert_file", "tls_client_key_file"}) {
    auto it = args.find(name);
    if (it == args.end()) {
      continue;
    }
    std::string error;
    if (!absl::FindCommandLineFlag(name)->ParseFrom(it->second, &error)) {
      std::fprintf(stderr, "--%s: %s\n", name, error.c_str());
      return false;
    }
  }
  auto creds = salesops::MakeChannelCredentials(salesops::ClientTlsOptionsFromFlags());
  if (!creds.ok()) {
    std::fprintf(stderr, "configuration error: %s\n",
                 std::string(creds.status().message()).c_str());
    return false;
  }
  *out = *std::move(creds);
  return true;
}

// A channel to `addr`; --tls_server_name checks the server's certificate for
// that name instead of the address (a probe on 127.0.0.1 of a pod whose
// certificate names its Service).
std::shared_ptr<grpc::Channel> Channel(const std::string& addr, const Args& args,
                                       const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments channel_args;
  if (const std::string name = Get(args, "tls_server_name"); !name.empty()) {
    channel_args.SetSslTargetNameOverride(name);
  }
  return grpc::CreateCustomChannel(addr, creds, channel_args);
}

// grpc.health.v1.Health/Check (common/server/health_check.h).
int Health(const Args& args) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) {
    return 2;
  }
  std::string addr = Get(
      args, "addr", Env("SALESOPS_ORG_ADDR").empty() ? "127.0.0.1:7101" : Env("SALESOPS_ORG_ADDR"));
  const absl::StatusOr<bool> serving =
      salesops::CheckHealth(Channel(addr, args, creds), Get(args, "service"), absl::Seconds(5));
  if (!serving.ok()) {
    std::fprintf(stderr, "%s\n", serving.status().ToString().c_str());
    return 2;
  }
  std::printf("%s\n", *serving ? "SERVING" : "NOT_SERVING");
  return *serving ? 0 : 1;
}

int Org(const std::string& cmd, const Args& args) {
  namespace v1 = salesops::org::v1;
  std::string token = Get(args, "token");
  if (token.empty()) {
    Args admin = {{"sub", "salesopsctl"}, {"role", "admin"}, {"ttl", "5m"}};
    if (int rc = MintToken(admin, &token); rc != 0) {
      return rc;
    }
  }
  std::string addr = Get(
      args, "addr", Env("SALESOPS_ORG_ADDR").empty() ? "127.0.0.1:7101" : Env("SALESOPS_ORG_ADDR"));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) {
    return 2;
  }
  auto stub = v1::OrgService::NewStub(Channel(addr, args, creds));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  int page_size = 0;
  (void)absl::SimpleAtoi(Get(args, "page_size", "0"), &page_size);
  if (cmd == "list-units") {
    v1::ListOrgUnitsRequest req;
    req.set_page_size(page_size);
    req.set_page_token(Get(args, "page_token"));
    req.set_parent(Get(args, "parent"));
    v1::ListOrgUnitsResponse resp;
    grpc::Status s = stub->ListOrgUnits(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "list-members") {
    v1::ListMembersRequest req;
    req.set_page_size(page_size);
    req.set_page_token(Get(args, "page_token"));
    req.set_org_unit(Get(args, "org_unit"));
    v1::ListMembersResponse resp;
    grpc::Status s = stub->ListMembers(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "create-unit") {
    v1::CreateOrgUnitRequest req;
    req.mutable_org_unit()->set_display_name(Get(args, "display_name"));
    v1::OrgUnitKind kind = v1::ORG_UNIT_KIND_UNSPECIFIED;
    v1::OrgUnitKind_Parse("ORG_UNIT_KIND_" + Get(args, "kind"), &kind);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent(Get(args, "parent"));
    req.set_org_unit_id(Get(args, "id"));
    req.set_request_id(Get(args, "request_id"));
    v1::CreateOrgUnitResponse resp;
    grpc::Status s = stub->CreateOrgUnit(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "create-member") {
    v1::CreateMemberRequest req;
    auto* m = req.mutable_member();
    m->set_display_name(Get(args, "display_name"));
    m->set_email(Get(args, "email"));
    m->set_phone(Get(args, "phone"));
    v1::Role role = v1::ROLE_UNSPECIFIED;
    v1::Role_Parse("ROLE_" + Get(args, "role"), &role);
    m->set_role(role);
    v1::Department dep = v1::DEPARTMENT_UNSPECIFIED;
    v1::Department_Parse("DEPARTMENT_" + Get(args, "department", "SALES"), &dep);
    m->set_department(dep);
    m->set_org_unit(Get(args, "org_unit"));
    req.set_member_id(Get(args, "id"));
    req.set_request_id(Get(args, "request_id"));
    v1::CreateMemberResponse resp;
    grpc::Status s = stub->CreateMember(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "get") {
    std::string name = Get(args, "name");
    if (absl::StartsWith(name, "members/")) {
      v1::GetMemberRequest req;
      req.set_name(name);
      v1::GetMemberResponse resp;
      grpc::Status s = stub->GetMember(&ctx, req, &resp);
      if (s.ok()) {
        Print(resp);
      }
      return Report(s);
    }
    v1::GetOrgUnitRequest req;
    req.set_name(name);
    v1::GetOrgUnitResponse resp;
    grpc::Status s = stub->GetOrgUnit(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  // "YYYY-MM-DD" (or "YYYY-MM": day 1) into a Date; false when empty or malformed.
  auto date = [&](const std::string& key, salesops::common::v1::Date* out) {
    const std::string v = Get(args, key);
    int y = 0, m = 0, d = 1;
    if (v.empty() || std::sscanf(v.c_str(), "%d-%d-%d", &y, &m, &d) < 2) {
      return false;
    }
    out->set_year(y);
    out->set_month(m);
    out->set_day(d);
    return true;
  };
  if (cmd == "positions") {
    v1::ListPositionsRequest req;
    req.set_team(Get(args, "team"));
    req.set_page_size(page_size);
    v1::ListPositionsResponse resp;
    grpc::Status s = stub->ListPositions(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "duties") {
    v1::GetMemberDutiesRequest req;
    req.set_member(Get(args, "member"));
    if (!date("date", req.mutable_as_of_date())) {
      req.clear_as_of_date();
    }
    v1::GetMemberDutiesResponse resp;
    grpc::Status s = stub->GetMemberDuties(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "history") {
    v1::GetMemberHistoryRequest req;
    req.set_member(Get(args, "member"));
    if (!date("date", req.mutable_as_of_date())) {
      req.clear_as_of_date();
    }
    v1::GetMemberHistoryResponse resp;
    grpc::Status s = stub->GetMemberHistory(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "reorgs") {
    v1::ListReorganisationsRequest req;
    req.set_org_unit(Get(args, "org_unit"));
    if (!date("start", req.mutable_start_date())) {
      req.clear_start_date();
    }
    if (!date("end", req.mutable_end_date())) {
      req.clear_end_date();
    }
    req.set_page_size(page_size);
    v1::ListReorganisationsResponse resp;
    grpc::Status s = stub->ListReorganisations(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "efficiency") {
    v1::GetTeamEfficiencyRequest req;
    date("start", req.mutable_start_month());
    date("end", req.mutable_end_month());
    req.set_org_unit(Get(args, "org_unit"));
    v1::GetTeamEfficiencyResponse resp;
    grpc::Status s = stub->GetTeamEfficiency(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "talent-config") {
    v1::GetTalentConfigResponse resp;
    grpc::Status s = stub->GetTalentConfig(&ctx, v1::GetTalentConfigRequest(), &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  return Usage();
}

// The forecast service: one forecast, or a page of them.
int Forecast(const std::string& cmd, const Args& args) {
  namespace v1 = salesops::forecast::v1;
  std::string token = Get(args, "token");
  if (token.empty()) {
    Args admin = {{"sub", "salesopsctl"}, {"role", "admin"}, {"ttl", "5m"}};
    if (int rc = MintToken(admin, &token); rc != 0) {
      return rc;
    }
  }
  const std::string addr =
      Get(args, "addr",
          Env("SALESOPS_FORECAST_ADDR").empty() ? "127.0.0.1:7105" : Env("SALESOPS_FORECAST_ADDR"));
  v1::ForecastCategory category = v1::FORECAST_CATEGORY_UNSPECIFIED;
  const std::string cat = Get(args, "category", cmd == "get" ? "PIPELINE" : "");
  if (!cat.empty() && !v1::ForecastCategory_Parse("FORECAST_CATEGORY_" + cat, &category)) {
    std::fprintf(stderr, "--category must be COMMIT, BEST_CASE or PIPELINE\n");
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) {
    return 2;
  }
  auto stub = v1::ForecastService::NewStub(Channel(addr, args, creds));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (cmd == "get") {
    v1::GetForecastRequest req;
    req.set_name(Get(args, "name"));
    req.mutable_scope()->set_org_unit(Get(args, "org_unit"));
    req.mutable_scope()->set_member(Get(args, "member"));
    req.mutable_scope()->set_product_line(Get(args, "product_line"));
    req.set_period(Get(args, "period"));
    req.set_category(category);
    v1::GetForecastResponse resp;
    grpc::Status s = stub->GetForecast(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  if (cmd == "list") {
    v1::ListForecastsRequest req;
    int page_size = 0;
    (void)absl::SimpleAtoi(Get(args, "page_size", "0"), &page_size);
    req.set_page_size(page_size);
    req.set_page_token(Get(args, "page_token"));
    req.set_period(Get(args, "period"));
    req.set_category(category);
    req.set_org_unit(Get(args, "org_unit"));
    req.set_product_line(Get(args, "product_line"));
    req.set_members_only(Get(args, "members_only") == "true");
    req.set_order_by(Get(args, "order_by"));
    v1::ListForecastsResponse resp;
    grpc::Status s = stub->ListForecasts(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  return Usage();
}

int Customers(const std::string& cmd, const Args& args) {
  namespace v1 = salesops::customers::v1;
  std::string token = Get(args, "token");
  if (token.empty()) {
    Args admin = {{"sub", "salesopsctl"}, {"role", "admin"}, {"ttl", "5m"}};
    if (int rc = MintToken(admin, &token); rc != 0) {
      return rc;
    }
  }
  const std::string addr = Get(
      args, "addr",
      Env("SALESOPS_CUSTOMERS_ADDR").empty() ? "127.0.0.1:7103" : Env("SALESOPS_CUSTOMERS_ADDR"));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) {
    return 2;
  }
  auto stub = v1::CustomersService::NewStub(Channel(addr, args, creds));
  auto context = [&](grpc::ClientContext* ctx) {
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  };
  v1::GetOpportunityRequest get;
  get.set_name(Get(args, "name"));
  v1::GetOpportunityResponse got;
  {
    grpc::ClientContext ctx;
    context(&ctx);
    grpc::Status s = stub->GetOpportunity(&ctx, get, &got);
    if (!s.ok() || cmd == "get-opportunity") {
      if (s.ok()) {
        Print(got);
      }
      return Report(s);
    }
  }
  if (cmd == "move-stage") {
    // The current etag, read just before: a by-hand move, as a user would do it.
    v1::ChangeOpportunityStageRequest req;
    req.set_name(get.name());
    req.set_etag(got.opportunity().etag());
    v1::OpportunityStage stage = v1::OPPORTUNITY_STAGE_UNSPECIFIED;
    if (!v1::OpportunityStage_Parse("OPPORTUNITY_STAGE_" + Get(args, "stage"), &stage)) {
      std::fprintf(stderr, "--stage must be QUALIFIED, PROPOSAL, NEGOTIATION, CONTRACT or LOST\n");
      return 2;
    }
    req.set_stage(stage);
    req.set_reason(Get(args, "reason"));
    v1::ChangeOpportunityStageResponse resp;
    grpc::ClientContext ctx;
    context(&ctx);
    grpc::Status s = stub->ChangeOpportunityStage(&ctx, req, &resp);
    if (s.ok()) {
      Print(resp);
    }
    return Report(s);
  }
  return Usage();
}

// Every service's descriptors linked in (the static libraries' objects are
// pulled by naming one message of each service file), so that `call` finds any
// method in the generated pool; and each package's address.
struct ServiceHome {
  const char* package;
  const char* env;
  const char* default_addr;
  const google::protobuf::Descriptor* (*anchor)();
};
const ServiceHome kHomes[] = {
    {"salesops.org.v1", "SALESOPS_ORG_ADDR", "127.0.0.1:7101",
     &salesops::org::v1::ListOrgUnitsRequest::descriptor},
    {"salesops.targets.v1", "SALESOPS_TARGETS_ADDR", "127.0.0.1:7102",
     &salesops::targets::v1::GetAttainmentRequest::descriptor},
    {"salesops.customers.v1", "SALESOPS_CUSTOMERS_ADDR", "127.0.0.1:7103",
     &salesops::customers::v1::ListCustomersRequest::descriptor},
    {"salesops.performance.v1", "SALESOPS_PERFORMANCE_ADDR", "127.0.0.1:7104",
     &salesops::performance::v1::GetScorecardRequest::descriptor},
    {"salesops.forecast.v1", "SALESOPS_FORECAST_ADDR", "127.0.0.1:7105",
     &salesops::forecast::v1::GetForecastRequest::descriptor},
    {"salesops.warning.v1", "SALESOPS_WARNING_ADDR", "127.0.0.1:7106",
     &salesops::warning::v1::ListWarningsRequest::descriptor},
    {"salesops.sync.v1", "SALESOPS_SYNC_ADDR", "127.0.0.1:7107",
     &salesops::sync::v1::ListFeedbackRequest::descriptor},
};

// One cell of a table: scalars as text, enums by name, Money as "amount CCY",
// Timestamps as RFC 3339, other messages and lists by their size.
std::string Cell(const google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f) {
  using FD = google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  if (f->is_repeated()) {
    return "[" + std::to_string(r->FieldSize(m, f)) + "]";
  }
  switch (f->cpp_type()) {
    case FD::CPPTYPE_STRING:
      return r->GetString(m, f);
    case FD::CPPTYPE_INT32:
      return std::to_string(r->GetInt32(m, f));
    case FD::CPPTYPE_INT64:
      return std::to_string(r->GetInt64(m, f));
    case FD::CPPTYPE_UINT32:
      return std::to_string(r->GetUInt32(m, f));
    case FD::CPPTYPE_UINT64:
      return std::to_string(r->GetUInt64(m, f));
    case FD::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? "true" : "false";
    case FD::CPPTYPE_DOUBLE:
      return std::to_string(r->GetDouble(m, f));
    case FD::CPPTYPE_FLOAT:
      return std::to_string(r->GetFloat(m, f));
    case FD::CPPTYPE_ENUM:
      return r->GetEnum(m, f)->name();
    case FD::CPPTYPE_MESSAGE: {
      if (!r->HasField(m, f)) {
        return "";
      }
      const google::protobuf::Message& sub = r->GetMessage(m, f);
      const std::string type = sub.GetDescriptor()->full_name();
      if (type == "salesops.common.v1.Money") {
        const auto* amount = sub.GetDescriptor()->FindFieldByName("amount_minor");
        const auto* code = sub.GetDescriptor()->FindFieldByName("currency_code");
        const int64_t minor = sub.GetReflection()->GetInt64(sub, amount);
        std::string ccy = sub.GetReflection()->GetString(sub, code);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.2f %s", minor / 100.0, ccy.empty() ? "CNY" : ccy.c_str());
        return buf;
      }
      if (type == "google.protobuf.Timestamp") {
        const auto* secs = sub.GetDescriptor()->FindFieldByName("seconds");
        return absl::FormatTime("%Y-%m-%d %H:%M",
                                absl::FromUnixSeconds(sub.GetReflection()->GetInt64(sub, secs)),
                                absl::LocalTimeZone());
      }
      return "{…}";
    }
  }
  return "";
}

// Columns a terminal gives `cp`: two for East Asian wide characters (Chinese),
// one otherwise.
size_t Columns(char32_t cp) {
  const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}

// Decodes the UTF-8 sequence at v[*i] and moves *i past it.
char32_t NextCodePoint(const std::string& v, size_t* i) {
  const unsigned char b = static_cast<unsigned char>(v[*i]);
  const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  char32_t cp = n == 1 ? b : b & (0x3F >> (n - 1));
  for (size_t k = 1; k < n && *i + k < v.size(); ++k) {
    cp = (cp << 6) | (v[*i + k] & 0x3F);
  }
  *i += n;
  return cp;
}

size_t DisplayWidth(const std::string& v) {
  size_t w = 0;
  for (size_t i = 0; i < v.size();) {
    w += Columns(NextCodePoint(v, &i));
  }
  return w;
}

// `v` cut to at most `max` columns, with "…" when cut.
std::string Clip(const std::string& v, size_t max) {
  size_t w = 0;
  for (size_t i = 0; i < v.size();) {
    const size_t at = i;
    w += Columns(NextCodePoint(v, &i));
    if (w > max - 1 && i < v.size()) {
      return v.substr(0, at) + "…";
    }
  }
  return v;
}

// A list answer (its first repeated message field) as a table of the rows'
// plain fields; anything else as JSON.
void PrintTable(const google::protobuf::Message& resp) {
  const google::protobuf::Descriptor* d = resp.GetDescriptor();
  const google::protobuf::FieldDescriptor* rows = nullptr;
  for (int i = 0; i < d->field_count() && !rows; ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated() && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      rows = f;
    }
  }
  if (!rows) {
    Print(resp);
    return;
  }
  const google::protobuf::Reflection* r = resp.GetReflection();
  const google::protobuf::Descriptor* rd = rows->message_type();
  // The rows' plain fields, less those empty in every row (a team's rows have
  // no rep), up to kMaxColumns: the figures come after a resource's names
  // (ListAttainment's target to pace are its 10th to 14th with a rep).
  constexpr size_t kMaxColumns = 14;
  std::vector<const google::protobuf::FieldDescriptor*> plain;
  for (int i = 0; i < rd->field_count(); ++i) {
    const auto* f = rd->field(i);
    if (!f->is_repeated() && f->name() != "etag" &&
        (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
         f->message_type()->full_name() == "salesops.common.v1.Money")) {
      plain.push_back(f);
    }
  }
  const int n = r->FieldSize(resp, rows);
  std::vector<std::vector<std::string>> by_field(plain.size());
  for (size_t c = 0; c < plain.size(); ++c) {
    for (int i = 0; i < n; ++i) {
      by_field[c].push_back(Clip(Cell(r->GetRepeatedMessage(resp, rows, i), plain[c]), 40));
    }
  }
  std::vector<const google::protobuf::FieldDescriptor*> cols;
  std::vector<std::vector<std::string>> cells(n);
  for (size_t c = 0; c < plain.size() && cols.size() < kMaxColumns; ++c) {
    const bool all_empty = n > 0 && std::all_of(by_field[c].begin(), by_field[c].end(),
                                                [](const std::string& v) { return v.empty(); });
    if (all_empty) {
      continue;
    }
    cols.push_back(plain[c]);
    for (int i = 0; i < n; ++i) {
      cells[i].push_back(std::move(by_field[c][i]));
    }
  }
  std::vector<size_t> width(cols.size());
  for (size_t c = 0; c < cols.size(); ++c) {
    width[c] = cols[c]->name().size();
    for (const auto& line : cells) {
      width[c] = std::max(width[c], DisplayWidth(line[c]));
    }
  }
  auto emit = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t c = 0; c < line.size(); ++c) {
      out += line[c];
      if (c + 1 < line.size()) {
        out += std::string(width[c] - DisplayWidth(line[c]) + 2, ' ');
      }
    }
    std::cout << out << "\n";
  };
  std::vector<std::string> head;
  for (const auto* f : cols) {
    head.push_back(f->name());
  }
  emit(head);
  for (const auto& line : cells) {
    emit(line);
  }
  const auto* next = d->FindFieldByName("next_page_token");
  if (next && !r->GetString(resp, next).empty()) {
    std::cout << "(more: add \"page_token\": \"" << r->GetString(resp, next) << "\")\n";
  }
}

// salesopsctl call: any unary RPC, by its full name, JSON in, JSON or a table out.
int Call(const std::string& full, const std::string& json, const Args& args) {
  for (const ServiceHome& h : kHomes) {
    (void)h.anchor();
  }
  const size_t slash = full.find('/');
  const google::protobuf::MethodDescriptor* method =
      slash == std::string::npos
          ? nullptr
          : google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                full.substr(0, slash) + "." + full.substr(slash + 1));
  if (method == nullptr) {
    std::fprintf(stderr, "no method %s (salesops.<svc>.v1.<Service>/<Method>)\n", full.c_str());
    return 2;
  }
  const std::string package = method->service()->file()->package();
  std::string addr = Get(args, "addr");
  for (const ServiceHome& h : kHomes) {
    if (addr.empty() && package == h.package) {
      addr = Env(h.env).empty() ? h.default_addr : Env(h.env);
    }
  }
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<google::protobuf::Message> req(
      factory->GetPrototype(method->input_type())->New());
  std::unique_ptr<google::protobuf::Message> resp(
      factory->GetPrototype(method->output_type())->New());
  if (!json.empty()) {
    const auto st = google::protobuf::util::JsonStringToMessage(json, req.get());
    if (!st.ok()) {
      std::fprintf(stderr, "the request is not a %s: %s\n",
                   method->input_type()->full_name().c_str(), st.ToString().c_str());
      return 2;
    }
  }
  std::string token = Get(args, "token");
  if (token.empty()) {
    Args admin = {{"sub", "salesopsctl"}, {"role", "admin"}, {"ttl", "5m"}};
    if (int rc = MintToken(admin, &token); rc != 0) {
      return rc;
    }
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) {
    return 2;
  }
  grpc::GenericStub stub(Channel(addr, args, creds));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  const std::string bytes = req->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(
      &ctx, "/" + method->service()->full_name() + "/" + method->name(), request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  if (!status.ok()) {
    return Report(status);
  }
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string out;
  for (const grpc::Slice& sl : slices) {
    out.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  if (!resp->ParseFromString(out)) {
    std::fprintf(stderr, "the answer is not a %s\n", method->output_type()->full_name().c_str());
    return 1;
  }
  if (Get(args, "output", "json") == "table") {
    PrintTable(*resp);
  } else {
    Print(*resp);
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return Usage();
  }
  std::string cmd = argv[1];
  if (cmd == "token") {
    std::string token;
    int rc = MintToken(ParseArgs(argc, argv, 2), &token);
    if (rc == 0) {
      std::printf("%s\n", token.c_str());
    }
    return rc;
  }
  if (cmd == "org" && argc >= 3) {
    return Org(argv[2], ParseArgs(argc, argv, 3));
  }
  if (cmd == "forecast" && argc >= 3) {
    return Forecast(argv[2], ParseArgs(argc, argv, 3));
  }
  if (cmd == "customers" && argc >= 3) {
    return Customers(argv[2], ParseArgs(argc, argv, 3));
  }
  if (cmd == "health") {
    return Health(ParseArgs(argc, argv, 2));
  }
  if (cmd == "call" && argc >= 3) {
    const std::string json = argc >= 4 && !absl::StartsWith(argv[3], "--") ? argv[3] : "";
    return Call(argv[2], json, ParseArgs(argc, argv, 3));
  }
  return Usage();
}
