#include "tests/chaos/chaos_support.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {

namespace tv1 = salesops::targets::v1;

EventStream::EventStream(std::string topic, std::string client_id,
                         std::function<CloudEvent(int)> make, std::function<void(int)> on_published)
    : topic_(std::move(topic)), make_(std::move(make)), on_published_(std::move(on_published)) {
  ProducerOptions po;
  po.bootstrap = TestEnv::Get().kafka_bootstrap;
  po.sasl = KafkaAs("admin");
  po.client_id = std::move(client_id);
  producer_ = std::make_unique<KafkaProducer>(po);
}

absl::Status EventStream::Start() {
  if (absl::Status s = producer_->Start(); !s.ok()) {
    return s;
  }
  thread_ = std::thread([this] {
    for (int i = 0; !stop_.load(); ++i) {
      CloudEvent ce = make_(i);
      if (producer_->ProduceSync(topic_, ce.key, ce.data, ToKafkaHeaders(ce), absl::Seconds(10))
              .ok()) {
        if (on_published_) {
          on_published_(i);
        }
        ++published_;
      } else {
        ++failed_;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  return absl::OkStatus();
}

void EventStream::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
    stopped_at_ = absl::Now();
  }
  producer_->Stop();
}

std::string PublishQuarterPlanOnOneRep(TargetsServer& targets, const std::string& period_id,
                                       const std::string& plan_id, const std::string& company,
                                       const std::string& product_line, const std::string& team,
                                       const std::string& rep) {
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  auto call = [&](auto fn, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (targets.stub().*fn)(&ctx, req, resp);
  };
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  tv1::CreateFiscalPeriodRequest fp;
  fp.set_fiscal_period_id(period_id);
  fp.mutable_fiscal_period()->set_display_name("本季度");
  fp.mutable_fiscal_period()->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
  fp.mutable_fiscal_period()->set_fiscal_year(static_cast<int>(today.year()));
  fp.mutable_fiscal_period()->set_number((today.month() - 1) / 3 + 1);
  fp.mutable_fiscal_period()->set_fiscal_year_start_month(1);
  tv1::CreateFiscalPeriodResponse fpr;
  grpc::Status s = call(&tv1::TargetsService::Stub::CreateFiscalPeriod, fp, &fpr);
  EXPECT_TRUE(s.ok()) << s.error_message();
  tv1::CreatePlanRequest cp;
  cp.set_plan_id(plan_id);
  cp.mutable_plan()->set_display_name("季度目标");
  cp.mutable_plan()->set_period(fpr.fiscal_period().name());
  cp.mutable_plan()->set_scope("orgUnits/" + company);
  cp.mutable_plan()->mutable_total()->set_amount_minor(1'000'000'00);
  cp.mutable_plan()->mutable_total()->set_currency_code("CNY");
  cp.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
  tv1::CreatePlanResponse plan;
  s = call(&tv1::TargetsService::Stub::CreatePlan, cp, &plan);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::string parent;
  for (const auto& [axis, key] : std::vector<std::pair<tv1::AllocationAxis, std::string>>{
           {tv1::ALLOCATION_AXIS_PRODUCT_LINE, "orgUnits/" + product_line},
           {tv1::ALLOCATION_AXIS_TEAM, "orgUnits/" + team},
           {tv1::ALLOCATION_AXIS_REP, "members/" + rep}}) {
    tv1::AllocatePlanRequest al;
    al.set_plan(plan.plan().name());
    al.set_parent_cell(parent);
    al.set_axis(axis);
    al.set_method(tv1::ALLOCATION_METHOD_EQUAL);
    al.add_inputs()->set_key(key);
    tv1::AllocatePlanResponse alr;
    s = call(&tv1::TargetsService::Stub::AllocatePlan, al, &alr);
    EXPECT_TRUE(s.ok() && alr.cells_size() == 1) << key << ": " << s.error_message();
    if (alr.cells_size() > 0) {
      parent = alr.cells(0).name();
    }
  }
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.plan().name());
  tv1::PublishPlanResponse pubr;
  s = call(&tv1::TargetsService::Stub::PublishPlan, pub, &pubr);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return plan.plan().name();
}

}  // namespace salesops::testing
