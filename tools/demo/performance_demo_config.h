// The demo performance set-up, as PerformanceService requests: one
// commission plan for reps over the whole demo history (bands 2 / 3 / 4 %,
// an accelerator, a per-deal cap, bonuses, a SPIFF, clawback within 180
// days, ¥2,500,000 per quarter when no target plan names one — what the demo
// target plan gives each rep), ten KPIs whose weights sum to 100 %, and one
// OKR per demo team for the current quarter. performance_demo_loader sends
// them (idempotently); the performance benchmark uses the same plan and KPIs.
//
//   for (const auto& req : DemoKpis()) stub->CreateKpiDefinition(&ctx, req, &resp);
#pragma once

#include <vector>

#include "absl/time/civil_time.h"
#include "salesops/performance/v1/performance_service.pb.h"
#include "tools/demo/demo_org.h"

namespace salesops::demo {

inline constexpr char kDemoPlanId[] = "demo-rep-plan";

// The plan starts on the first day of the quarter three years before `today`.
salesops::performance::v1::CreateCommissionPlanRequest DemoPlan(absl::CivilDay today);
std::vector<salesops::performance::v1::CreateKpiDefinitionRequest> DemoKpis();
// One OKR per team for the quarter of `today` (ids "demo-okr-<team>"): a
// measured key result on the team's bookings and a recorded one.
std::vector<salesops::performance::v1::CreateOkrRequest> DemoOkrs(const DemoOrg& org,
                                                                  absl::CivilDay today);

}  // namespace salesops::demo
