// Loads the demo performance set-up through the performance service's public
// API (performance_demo_config.h): the reps' commission plan (activated), the
// KPI set and one OKR per team for this quarter (activated, a key result
// graded). Idempotent: a re-run counts what is already there, and anything a
// user changed since (a plan or KPI that differs, an OKR moved on) is counted
// as a conflict and left alone. Exits 0 unless the service is unreachable.
// The demo history (customers_demo_loader) then yields statements and
// scorecards for every demo rep.
//
//   performance_demo_loader [--performance_addr=127.0.0.1:7104]
//   (token minted from SALESOPS_JWT_HS256_SECRET)
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "grpcpp/grpcpp.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "tools/demo/demo_org.h"
#include "tools/demo/performance_demo_config.h"

ABSL_FLAG(std::string, performance_addr, "127.0.0.1:7104", "performance service address");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint the loader's admin token");

namespace {

namespace v1 = salesops::performance::v1;
using Stub = v1::PerformanceService::Stub;

class Loader {
 public:
  Loader(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(v1::PerformanceService::NewStub(channel)), token_(std::move(token)) {}

  // Retries while the service is starting; UNAVAILABLE after that means unreachable.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::Status s;
    for (int attempt = 0; attempt < 150; ++attempt) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token_);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      s = ((*stub_).*m)(&ctx, req, resp);
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
          s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        return s;
      }
      absl::SleepFor(absl::Milliseconds(400));
    }
    unreachable = true;
    return s;
  }

  void Conflict(const std::string& what, const grpc::Status& s) {
    ++conflicts;
    std::fprintf(stderr, "performance demo: %s left as it is: %s\n", what.c_str(),
                 s.error_message().c_str());
  }

  void Plan(absl::CivilDay today) {
    const v1::CreateCommissionPlanRequest req = salesops::demo::DemoPlan(today);
    v1::CreateCommissionPlanResponse created;
    grpc::Status s = Call(&Stub::CreateCommissionPlan, req, &created);
    v1::CommissionPlan plan = created.commission_plan();
    if (s.ok()) {
      ++made;
    } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      v1::GetCommissionPlanRequest get;
      get.set_name(std::string("commissionPlans/") + salesops::demo::kDemoPlanId);
      v1::GetCommissionPlanResponse got;
      s = Call(&Stub::GetCommissionPlan, get, &got);
      if (!s.ok()) {
        return Conflict("the demo plan", s);
      }
      plan = got.commission_plan();
      if (plan.state() != v1::COMMISSION_PLAN_STATE_DRAFT) {
        ++already;
        return;
      }
    } else {
      return Conflict("the demo plan", s);
    }
    v1::ActivateCommissionPlanRequest act;
    act.set_name(plan.name());
    act.set_etag(plan.etag());
    act.set_reason("demo");
    v1::ActivateCommissionPlanResponse activated;
    s = Call(&Stub::ActivateCommissionPlan, act, &activated);
    if (!s.ok()) {
      Conflict("activating the demo plan", s);
    }
  }

  void Kpis() {
    for (const v1::CreateKpiDefinitionRequest& req : salesops::demo::DemoKpis()) {
      v1::GetKpiDefinitionRequest get;
      get.set_name("kpis/" + req.kpi_definition_id());
      v1::GetKpiDefinitionResponse got;
      grpc::Status s = Call(&Stub::GetKpiDefinition, get, &got);
      if (s.ok()) {
        const v1::KpiDefinition& k = got.kpi_definition();
        // Changed by someone since: theirs stays.
        if (k.metric() != req.kpi_definition().metric() ||
            k.weight_basis_points() != req.kpi_definition().weight_basis_points()) {
          Conflict("KPI " + req.kpi_definition_id(),
                   grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "changed since it was loaded"));
        } else {
          ++already;
        }
        continue;
      }
      v1::CreateKpiDefinitionResponse resp;
      s = Call(&Stub::CreateKpiDefinition, req, &resp);
      if (s.ok()) {
        ++made;
      } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        ++already;
      } else {
        Conflict("KPI " + req.kpi_definition_id(), s);
      }
    }
  }

  void Okrs(absl::CivilDay today) {
    for (const v1::CreateOkrRequest& req :
         salesops::demo::DemoOkrs(salesops::demo::DemoOrganisation(), today)) {
      v1::CreateOkrResponse created;
      grpc::Status s = Call(&Stub::CreateOkr, req, &created);
      v1::Okr okr = created.okr();
      if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        v1::GetOkrRequest get;
        get.set_name("okrs/" + req.okr_id());
        v1::GetOkrResponse got;
        s = Call(&Stub::GetOkr, get, &got);
        okr = got.okr();
      }
      if (!s.ok()) {
        Conflict("OKR " + req.okr_id(), s);
        continue;
      }
      if (okr.state() != v1::OKR_STATE_DRAFT) {
        ++already;
        continue;
      }
      ++made;
      v1::UpdateOkrRequest up;
      up.mutable_okr()->set_name(okr.name());
      up.mutable_okr()->set_etag(okr.etag());
      up.mutable_okr()->set_state(v1::OKR_STATE_ACTIVE);
      up.mutable_update_mask()->add_paths("state");
      up.set_reason("demo");
      v1::UpdateOkrResponse updated;
      s = Call(&Stub::UpdateOkr, up, &updated);
      if (!s.ok()) {
        Conflict("activating OKR " + req.okr_id(), s);
        continue;
      }
      v1::GradeKeyResultRequest grade;
      grade.set_okr(okr.name());
      grade.set_etag(updated.okr().etag());
      grade.set_key_result_id("kr-references");
      grade.set_grade_basis_points(5'000);
      grade.set_grade_note("已完成一个标杆案例");
      v1::GradeKeyResultResponse graded;
      s = Call(&Stub::GradeKeyResult, grade, &graded);
      if (!s.ok()) {
        Conflict("grading OKR " + req.okr_id(), s);
      }
    }
  }

  int made = 0, already = 0, conflicts = 0;
  bool unreachable = false;

 private:
  std::unique_ptr<Stub> stub_;
  std::string token_;
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Loads the demo commission plan, KPIs and OKRs");
  auto token =
      salesops::MintJwt({.key = absl::GetFlag(FLAGS_jwt_hs256_secret)},
                        {"demo-loader", salesops::Role::kAdmin, ""}, absl::Hours(1), absl::Now());
  if (!token.ok()) {
    std::fprintf(stderr, "%s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  Loader l(grpc::CreateChannel(absl::GetFlag(FLAGS_performance_addr),
                               salesops::ChannelCredentialsFromFlagsOrDie()),
           *token);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  l.Plan(today);
  if (!l.unreachable) {
    l.Kpis();
  }
  if (!l.unreachable) {
    l.Okrs(today);
  }
  if (l.unreachable) {
    std::fprintf(stderr, "performance demo: the performance service at %s is unreachable\n",
                 absl::GetFlag(FLAGS_performance_addr).c_str());
    return 1;
  }
  std::printf("performance demo: %d created, %d already there, %d conflicts (left alone)\n", l.made,
              l.already, l.conflicts);
  return 0;
}
