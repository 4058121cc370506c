// Loads the demo organisation into a running org service through its public
// gRPC API: a company, 3 regions, 4 product lines, 3 other departments, 12
// sales teams, a director, 3 regional managers, 12 supervisors and 120 reps,
// with Chinese names generated from a fixed seed; a rep and a supervisor
// position with duties in every team, the talent criteria (weights, 9-box
// thresholds, assessment periods) and a promotion track. Every resource has a
// fixed id, so running it again changes nothing (ALREADY_EXISTS counts as done;
// the talent config is written only while none exists).
//
//   demo_loader [--org_addr=127.0.0.1:7101]   (token minted from SALESOPS_JWT_HS256_SECRET)
#include <cstdio>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "grpcpp/grpcpp.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "tools/demo/demo_org.h"

ABSL_FLAG(std::string, org_addr, "127.0.0.1:7101", "org service address");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint the loader's admin token");
ABSL_FLAG(uint32_t, demo_seed, 20261127, "seed for the generated names");

namespace v1 = salesops::org::v1;

namespace {

const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                           "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "丽",   "强", "磊", "军", "洋",   "勇", "艳",
                        "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "晨", "浩"};

struct Loader {
  std::unique_ptr<v1::OrgService::Stub> stub;
  std::string token;
  int created = 0, existing = 0, failed = 0;

  void Count(const grpc::Status& s, const std::string& what) {
    if (s.ok()) {
      ++created;
    } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      ++existing;
    } else {
      ++failed;
      std::fprintf(stderr, "demo_loader: %s: %s\n", what.c_str(), s.error_message().c_str());
    }
  }

  void Unit(const std::string& id, const std::string& name, v1::OrgUnitKind kind,
            const std::string& parent) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(id);
    req.mutable_org_unit()->set_display_name(name);
    req.mutable_org_unit()->set_kind(kind);
    if (!parent.empty()) {
      req.mutable_org_unit()->set_parent("orgUnits/" + parent);
    }
    v1::CreateOrgUnitResponse resp;
    Count(stub->CreateOrgUnit(&ctx, req, &resp), id);
  }

  void Member(const std::string& id, const std::string& name, v1::Role role,
              const std::string& unit, v1::Department dep = v1::DEPARTMENT_SALES) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::CreateMemberRequest req;
    req.set_member_id(id);
    auto* m = req.mutable_member();
    m->set_display_name(name);
    m->set_email(id + "@demo.salesops.cn");
    m->set_role(role);
    m->set_department(dep);
    m->set_org_unit("orgUnits/" + unit);
    v1::CreateMemberResponse resp;
    Count(stub->CreateMember(&ctx, req, &resp), id);
  }

  void Position(const std::string& team, v1::Role role, const std::string& title,
                const std::vector<std::string>& duties, const std::vector<std::string>& tasks) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::CreatePositionRequest req;
    req.set_position_id(absl::StrCat("pos-", team, role == v1::ROLE_REP ? "-rep" : "-sup"));
    auto* p = req.mutable_position();
    p->set_team("orgUnits/" + team);
    p->set_role(role);
    p->set_title(title);
    auto* d = p->add_duty_history();
    for (const auto& x : duties) {
      d->add_duties(x);
    }
    for (const auto& x : tasks) {
      d->add_tasks(x);
    }
    v1::CreatePositionResponse resp;
    Count(stub->CreatePosition(&ctx, req, &resp), req.position_id());
  }

  void TalentConfig() {
    v1::GetTalentConfigResponse current;
    {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token);
      grpc::Status s = stub->GetTalentConfig(&ctx, v1::GetTalentConfigRequest(), &current);
      if (!s.ok()) {
        return Count(s, "talent config");
      }
    }
    if (!current.talent_config().etag().empty()) {
      ++existing;  // configured already (by us or by someone who changed it since)
      return;
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::UpdateTalentConfigRequest req;
    auto* c = req.mutable_talent_config();
    c->set_performance_weight_bp(5000);
    c->set_capability_weight_bp(3000);
    c->set_potential_weight_bp(2000);
    c->set_low_threshold(40);
    c->set_high_threshold(70);
    const int halves[][4] = {{2026, 1, 6, 30}, {2026, 7, 12, 31}};
    for (const auto& h : halves) {
      auto* period = c->add_periods();
      period->set_id(absl::StrCat(h[0], h[1] == 1 ? "-H1" : "-H2"));
      period->mutable_start_date()->set_year(h[0]);
      period->mutable_start_date()->set_month(h[1]);
      period->mutable_start_date()->set_day(1);
      period->mutable_end_date()->set_year(h[0]);
      period->mutable_end_date()->set_month(h[2]);
      period->mutable_end_date()->set_day(h[3]);
    }
    req.set_reason("演示数据：核心人才评估标准");
    v1::UpdateTalentConfigResponse resp;
    Count(stub->UpdateTalentConfig(&ctx, req, &resp), "talent config");
  }

  void Track() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::CreatePromotionTrackRequest req;
    req.set_promotion_track_id("track-rep-to-supervisor");
    auto* t = req.mutable_promotion_track();
    t->set_display_name("销售代表晋升销售主管");
    t->set_from_role(v1::ROLE_REP);
    t->set_to_role(v1::ROLE_SUPERVISOR);
    t->set_min_weighted_score_bp(7500);
    t->set_min_performance(75);
    t->set_min_assessed_periods(2);
    t->set_require_plan_complete(true);
    v1::CreatePromotionTrackResponse resp;
    Count(stub->CreatePromotionTrack(&ctx, req, &resp), req.promotion_track_id());
  }
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Loads the SalesOps demo organisation");
  std::string secret = absl::GetFlag(FLAGS_jwt_hs256_secret);
  if (secret.empty()) {
    std::fprintf(stderr, "set SALESOPS_JWT_HS256_SECRET\n");
    return 2;
  }
  Loader l;
  l.stub = v1::OrgService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_org_addr), salesops::ChannelCredentialsFromFlagsOrDie()));
  auto token = salesops::MintJwt({.key = secret}, {"demo-loader", salesops::Role::kAdmin, ""},
                                 absl::Minutes(10), absl::Now());
  if (!token.ok()) {
    std::fprintf(stderr, "%s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  l.token = *token;
  std::mt19937 rng(absl::GetFlag(FLAGS_demo_seed));
  auto name = [&] {
    return absl::StrCat(kSurnames[rng() % std::size(kSurnames)], kGiven[rng() % std::size(kGiven)]);
  };

  // The shape (ids) is shared with the customers dataset; names come from the
  // seed in this order, so keep the order of the calls.
  const salesops::demo::DemoOrg& org = salesops::demo::DemoOrganisation();
  l.Unit(org.company.id, org.company.display_name, v1::ORG_UNIT_KIND_COMPANY, "");
  l.Member(org.director_id, name(), v1::ROLE_DIRECTOR, org.company.id);
  for (const auto& pl : org.product_lines) {
    l.Unit(pl.id, pl.display_name, v1::ORG_UNIT_KIND_PRODUCT_LINE, org.company.id);
  }
  const v1::Department kDepartmentKinds[] = {v1::DEPARTMENT_PRODUCT, v1::DEPARTMENT_MARKETING,
                                             v1::DEPARTMENT_FINANCE};
  for (size_t d = 0; d < org.departments.size(); ++d) {
    const auto& dep = org.departments[d];
    l.Unit(dep.id, dep.display_name, v1::ORG_UNIT_KIND_DEPARTMENT, org.company.id);
    l.Member("demo-" + dep.id + "-lead", name(), v1::ROLE_MANAGER, dep.id, kDepartmentKinds[d]);
  }
  for (const auto& region : org.regions) {
    l.Unit(region.id, region.display_name, v1::ORG_UNIT_KIND_REGION, org.company.id);
    l.Member(region.manager_id, name(), v1::ROLE_MANAGER, region.id);
    for (const auto& team : region.teams) {
      l.Unit(team.id, team.display_name, v1::ORG_UNIT_KIND_TEAM, region.id);
      l.Member(team.supervisor_id, name(), v1::ROLE_SUPERVISOR, team.id);
      for (const auto& rep : team.rep_ids) {
        l.Member(rep, name(), v1::ROLE_REP, team.id);
      }
      l.Position(team.id, v1::ROLE_REP, "客户经理",
                 {"负责区域内新客户开发与签约", "维护 A/B 级客户关系", "按月完成个人业绩目标"},
                 {"每周拜访不少于 5 家客户", "每日更新商机阶段", "每两周提交客户跟进小结"});
      l.Position(team.id, v1::ROLE_SUPERVISOR, "销售主管",
                 {"分解并跟踪团队业绩目标", "辅导销售代表提升成单率", "识别并上报重点商机风险"},
                 {"每周团队例会", "每两周一对一辅导", "每月复盘商机漏斗"});
    }
  }
  l.TalentConfig();
  l.Track();
  std::printf("demo data: %d created, %d already there, %d failed\n", l.created, l.existing,
              l.failed);
  return l.failed == 0 ? 0 : 1;
}
