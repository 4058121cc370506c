#include "tools/demo/demo_org.h"

#include <tuple>

#include "absl/strings/str_cat.h"

namespace salesops::demo {
namespace {

DemoOrg Build() {
  DemoOrg org;
  org.company = {"acme", "星辰科技有限公司"};
  org.director_id = "demo-director";
  org.product_lines = {{"pl-cloud", "云平台"},
                       {"pl-data", "数据智能"},
                       {"pl-security", "安全"},
                       {"pl-iot", "物联网"}};
  org.departments = {
      {"dept-product", "产品部"}, {"dept-marketing", "市场部"}, {"dept-finance", "财务部"}};
  const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> regions = {
      {"east", "华东大区", {"上海一组", "上海二组", "杭州组", "南京组"}},
      {"south", "华南大区", {"广州组", "深圳一组", "深圳二组", "厦门组"}},
      {"north", "华北大区", {"北京一组", "北京二组", "天津组", "济南组"}}};
  for (const auto& [key, name, teams] : regions) {
    DemoRegion region{key, "region-" + key, name, "demo-mgr-" + key, {}};
    for (size_t t = 0; t < teams.size(); ++t) {
      DemoTeam team{absl::StrCat("team-", key, "-", t + 1),
                    teams[t],
                    absl::StrCat("demo-sup-", key, "-", t + 1),
                    {}};
      for (int r = 1; r <= 10; ++r) {
        team.rep_ids.push_back(absl::StrCat("demo-rep-", key, "-", t + 1, "-", r));
      }
      region.teams.push_back(std::move(team));
    }
    org.regions.push_back(std::move(region));
  }
  return org;
}

}  // namespace

const DemoOrg& DemoOrganisation() {
  static const DemoOrg* const kOrg = new DemoOrg(Build());
  return *kOrg;
}

}  // namespace salesops::demo
