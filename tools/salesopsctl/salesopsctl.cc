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
//   salesopsctl health [--addr=HOST:PORT] [--service=salesops.org.v1.OrgService]
//                      [--tls_server_name=NAME]
//       grpc.health.v1 check (exit 0 when SERVING): Kubernetes' own gRPC probes
//       cannot speak TLS, so deploy/k8s probes with this.
//
// Without --token, org and forecast commands mint a short-lived admin token from
// $SALESOPS_JWT_HS256_SECRET. Output is the response as JSON. Calls use TLS
// (and mTLS) from --tls_ca_file, --tls_client_cert_file, --tls_client_key_file
// or their SALESOPS_TLS_* twins; without a CA they are plaintext.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "common/server/health_check.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"

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
    if (!absl::StartsWith(a, "--")) continue;
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
  if (!aud.empty()) opts.audiences = absl::StrSplit(aud, ',', absl::SkipEmpty());
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
  if (s.ok()) return 0;
  std::fprintf(stderr, "error %d: %s\n", s.error_code(), s.error_message().c_str());
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
    if (it == args.end()) continue;
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
  if (!Credentials(args, &creds)) return 2;
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
    if (int rc = MintToken(admin, &token); rc != 0) return rc;
  }
  std::string addr = Get(
      args, "addr", Env("SALESOPS_ORG_ADDR").empty() ? "127.0.0.1:7101" : Env("SALESOPS_ORG_ADDR"));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) return 2;
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
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "list-members") {
    v1::ListMembersRequest req;
    req.set_page_size(page_size);
    req.set_page_token(Get(args, "page_token"));
    req.set_org_unit(Get(args, "org_unit"));
    v1::ListMembersResponse resp;
    grpc::Status s = stub->ListMembers(&ctx, req, &resp);
    if (s.ok()) Print(resp);
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
    if (s.ok()) Print(resp);
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
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "get") {
    std::string name = Get(args, "name");
    if (absl::StartsWith(name, "members/")) {
      v1::GetMemberRequest req;
      req.set_name(name);
      v1::GetMemberResponse resp;
      grpc::Status s = stub->GetMember(&ctx, req, &resp);
      if (s.ok()) Print(resp);
      return Report(s);
    }
    v1::GetOrgUnitRequest req;
    req.set_name(name);
    v1::GetOrgUnitResponse resp;
    grpc::Status s = stub->GetOrgUnit(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  // "YYYY-MM-DD" (or "YYYY-MM": day 1) into a Date; false when empty or malformed.
  auto date = [&](const std::string& key, salesops::common::v1::Date* out) {
    const std::string v = Get(args, key);
    int y = 0, m = 0, d = 1;
    if (v.empty() || std::sscanf(v.c_str(), "%d-%d-%d", &y, &m, &d) < 2) return false;
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
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "duties") {
    v1::GetMemberDutiesRequest req;
    req.set_member(Get(args, "member"));
    if (!date("date", req.mutable_as_of_date())) req.clear_as_of_date();
    v1::GetMemberDutiesResponse resp;
    grpc::Status s = stub->GetMemberDuties(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "history") {
    v1::GetMemberHistoryRequest req;
    req.set_member(Get(args, "member"));
    if (!date("date", req.mutable_as_of_date())) req.clear_as_of_date();
    v1::GetMemberHistoryResponse resp;
    grpc::Status s = stub->GetMemberHistory(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "reorgs") {
    v1::ListReorganisationsRequest req;
    req.set_org_unit(Get(args, "org_unit"));
    if (!date("start", req.mutable_start_date())) req.clear_start_date();
    if (!date("end", req.mutable_end_date())) req.clear_end_date();
    req.set_page_size(page_size);
    v1::ListReorganisationsResponse resp;
    grpc::Status s = stub->ListReorganisations(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "efficiency") {
    v1::GetTeamEfficiencyRequest req;
    date("start", req.mutable_start_month());
    date("end", req.mutable_end_month());
    req.set_org_unit(Get(args, "org_unit"));
    v1::GetTeamEfficiencyResponse resp;
    grpc::Status s = stub->GetTeamEfficiency(&ctx, req, &resp);
    if (s.ok()) Print(resp);
    return Report(s);
  }
  if (cmd == "talent-config") {
    v1::GetTalentConfigResponse resp;
    grpc::Status s = stub->GetTalentConfig(&ctx, v1::GetTalentConfigRequest(), &resp);
    if (s.ok()) Print(resp);
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
    if (int rc = MintToken(admin, &token); rc != 0) return rc;
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
  if (!Credentials(args, &creds)) return 2;
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
    if (s.ok()) Print(resp);
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
    if (s.ok()) Print(resp);
    return Report(s);
  }
  return Usage();
}

int Customers(const std::string& cmd, const Args& args) {
  namespace v1 = salesops::customers::v1;
  std::string token = Get(args, "token");
  if (token.empty()) {
    Args admin = {{"sub", "salesopsctl"}, {"role", "admin"}, {"ttl", "5m"}};
    if (int rc = MintToken(admin, &token); rc != 0) return rc;
  }
  const std::string addr = Get(
      args, "addr",
      Env("SALESOPS_CUSTOMERS_ADDR").empty() ? "127.0.0.1:7103" : Env("SALESOPS_CUSTOMERS_ADDR"));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!Credentials(args, &creds)) return 2;
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
      if (s.ok()) Print(got);
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
    if (s.ok()) Print(resp);
    return Report(s);
  }
  return Usage();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string cmd = argv[1];
  if (cmd == "token") {
    std::string token;
    int rc = MintToken(ParseArgs(argc, argv, 2), &token);
    if (rc == 0) std::printf("%s\n", token.c_str());
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
  return Usage();
}
