// Loads the demo organisation into a running org service through its public
// gRPC API: a company, 3 regions, 4 product lines, 3 other departments, 12
// sales teams, a director, 3 regional managers, 12 supervisors and 120 reps,
// with Chinese names generated from a fixed seed. Every resource has a fixed id,
// so running it again changes nothing (ALREADY_EXISTS counts as done).
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
    if (!parent.empty()) req.mutable_org_unit()->set_parent("orgUnits/" + parent);
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
  l.stub = v1::OrgService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_org_addr), grpc::InsecureChannelCredentials()));
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
      for (const auto& rep : team.rep_ids) l.Member(rep, name(), v1::ROLE_REP, team.id);
    }
  }
  std::printf("demo data: %d created, %d already there, %d failed\n", l.created, l.existing,
              l.failed);
  return l.failed == 0 ? 0 : 1;
}
