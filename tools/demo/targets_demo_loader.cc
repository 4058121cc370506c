// Loads the demo target plan through the targets service's public API,
// idempotently: the current fiscal quarter, a company plan of ¥300,000,000
// split by product line (40/30/20/10 %), then equally by region, by team
// headcount and equally to each team's reps, then published. `make run` runs
// it before the customers history so this quarter's won deals count.
//
//   targets_demo_loader [--targets_addr=127.0.0.1:7102]   (token minted from
//   SALESOPS_JWT_HS256_SECRET)
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "grpcpp/grpcpp.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "tools/demo/demo_org.h"

ABSL_FLAG(std::string, targets_addr, "127.0.0.1:7102", "targets service address");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint the loader's admin token");

namespace {

namespace v1 = salesops::targets::v1;

class Loader {
 public:
  Loader(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(v1::TargetsService::NewStub(channel)), token_(std::move(token)) {}

  // Retries while the service is starting or still learning the org from events.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::TargetsService::Stub::*m)(grpc::ClientContext*, const Req&,
                                                                Resp*),
                    const Req& req, Resp* resp) {
    grpc::Status s;
    for (int attempt = 0; attempt < 300; ++attempt) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token_);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      s = ((*stub_).*m)(&ctx, req, resp);
      const bool learning = s.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
                            (s.error_message().find("is not a known") != std::string::npos ||
                             s.error_message().find("not an active member") != std::string::npos);
      const bool retry = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         s.error_message().find("ORG_UNIT_NOT_FOUND") != std::string::npos ||
                         s.error_message().find("is not a known org unit") != std::string::npos ||
                         (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                          s.error_message().find("has no members") != std::string::npos) ||
                         learning;
      if (!retry) {
        return s;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    return s;
  }

  std::vector<v1::AllocationCell> Allocate(
      const std::string& plan, const std::string& parent, v1::AllocationAxis axis,
      v1::AllocationMethod method, const std::vector<std::pair<std::string, int64_t>>& keys) {
    v1::AllocatePlanRequest req;
    req.set_plan(plan);
    req.set_parent_cell(parent);
    req.set_axis(axis);
    req.set_method(method);
    for (const auto& [k, w] : keys) {
      auto* in = req.add_inputs();
      in->set_key(k);
      in->set_weight(w);
    }
    req.set_reason("demo plan");
    v1::AllocatePlanResponse resp;
    grpc::Status s = Call(&v1::TargetsService::Stub::AllocatePlan, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "AllocatePlan %s: %s\n", parent.c_str(), s.error_message().c_str());
      failed = true;
    }
    return {resp.cells().begin(), resp.cells().end()};
  }

  bool failed = false;

 private:
  std::unique_ptr<v1::TargetsService::Stub> stub_;
  std::string token_;
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Loads the demo target plan");
  auto token =
      salesops::MintJwt({.key = absl::GetFlag(FLAGS_jwt_hs256_secret)},
                        {"demo-loader", salesops::Role::kAdmin, ""}, absl::Hours(1), absl::Now());
  if (!token.ok()) {
    std::fprintf(stderr, "%s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  Loader l(grpc::CreateChannel(absl::GetFlag(FLAGS_targets_addr),
                               salesops::ChannelCredentialsFromFlagsOrDie()),
           *token);
  const auto& org = salesops::demo::DemoOrganisation();
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  const int q = (today.month() - 1) / 3 + 1;
  const std::string period_id = absl::StrFormat("FY%d-Q%d", today.year(), q);

  v1::CreateFiscalPeriodRequest period;
  period.set_fiscal_period_id(period_id);
  auto* p = period.mutable_fiscal_period();
  p->set_display_name(absl::StrFormat("%d财年第%d季度", today.year(), q));
  p->set_kind(v1::FISCAL_PERIOD_KIND_QUARTER);
  p->set_fiscal_year(static_cast<int>(today.year()));
  p->set_number(q);
  p->set_fiscal_year_start_month(1);
  v1::CreateFiscalPeriodResponse period_resp;
  grpc::Status s = l.Call(&v1::TargetsService::Stub::CreateFiscalPeriod, period, &period_resp);
  if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
    std::fprintf(stderr, "CreateFiscalPeriod: %s\n", s.error_message().c_str());
    return 1;
  }

  const std::string plan_id = absl::StrFormat("demo-%d-q%d", today.year(), q);
  v1::GetPlanRequest get;
  get.set_name("plans/" + plan_id);
  v1::GetPlanResponse existing;
  if (l.Call(&v1::TargetsService::Stub::GetPlan, get, &existing).ok() &&
      existing.plan().state() != v1::PLAN_STATE_DRAFT) {
    std::printf("demo plan plans/%s already published\n", plan_id.c_str());
    return 0;
  }
  if (!existing.has_plan()) {
    v1::CreatePlanRequest create;
    create.set_plan_id(plan_id);
    auto* plan = create.mutable_plan();
    plan->set_display_name(absl::StrFormat("%d年第%d季度销售目标", today.year(), q));
    plan->set_period("fiscalPeriods/" + period_id);
    plan->set_scope("orgUnits/" + org.company.id);
    plan->mutable_total()->set_amount_minor(30'000'000'000);  // ¥300,000,000
    plan->mutable_total()->set_currency_code("CNY");
    plan->set_attainment_basis(v1::ATTAINMENT_BASIS_BOOKING);
    for (int share : {3400, 3300, 3300}) {
      plan->mutable_seasonality()->add_month_share_basis_points(share);
    }
    v1::CreatePlanResponse created;
    s = l.Call(&v1::TargetsService::Stub::CreatePlan, create, &created);
    if (!s.ok()) {
      std::fprintf(stderr, "CreatePlan: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  // A draft left by an interrupted run is simply re-allocated from the top.
  const std::string plan = "plans/" + plan_id;
  std::vector<std::pair<std::string, int64_t>> pls;
  const int64_t weights[] = {40, 30, 20, 10};
  for (size_t i = 0; i < org.product_lines.size(); ++i) {
    pls.push_back({"orgUnits/" + org.product_lines[i].id, weights[i % 4]});
  }
  int cells = 1;
  for (const auto& pl : l.Allocate(plan, "", v1::ALLOCATION_AXIS_PRODUCT_LINE,
                                   v1::ALLOCATION_METHOD_CAPACITY_WEIGHTED, pls)) {
    ++cells;
    std::vector<std::pair<std::string, int64_t>> regions;
    for (const auto& r : org.regions) {
      regions.push_back({"orgUnits/" + r.id, 0});
    }
    for (const auto& rc : l.Allocate(plan, pl.name(), v1::ALLOCATION_AXIS_REGION,
                                     v1::ALLOCATION_METHOD_EQUAL, regions)) {
      ++cells;
      std::vector<std::pair<std::string, int64_t>> teams;
      for (const auto& r : org.regions) {
        if ("orgUnits/" + r.id != rc.dimensions().region()) {
          continue;
        }
        for (const auto& t : r.teams) {
          teams.push_back({"orgUnits/" + t.id, 0});
        }
      }
      for (const auto& tc : l.Allocate(plan, rc.name(), v1::ALLOCATION_AXIS_TEAM,
                                       v1::ALLOCATION_METHOD_CAPACITY_WEIGHTED, teams)) {
        ++cells;
        cells += static_cast<int>(
            l.Allocate(plan, tc.name(), v1::ALLOCATION_AXIS_REP, v1::ALLOCATION_METHOD_EQUAL, {})
                .size());
      }
    }
  }
  if (l.failed) {
    return 1;
  }
  v1::PublishPlanRequest pub;
  pub.set_name(plan);
  pub.set_reason("demo");
  v1::PublishPlanResponse pub_resp;
  s = l.Call(&v1::TargetsService::Stub::PublishPlan, pub, &pub_resp);
  if (!s.ok()) {
    std::fprintf(stderr, "PublishPlan: %s\n", s.error_message().c_str());
    return 1;
  }
  std::printf("demo plan %s published: %d cells, ¥300,000,000 for %s\n", plan.c_str(), cells,
              period_id.c_str());
  return 0;
}
