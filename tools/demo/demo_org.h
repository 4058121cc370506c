// The demo organisation's shape: fixed ids of the company, product lines,
// departments, regions, teams and their people. demo_loader creates exactly
// these through OrgService; the customers dataset (demo_dataset.h) uses the
// same ids for owners, regions and product lines, so both stay in step.
//
//   const DemoOrg& org = DemoOrganisation();
//   for (const DemoRegion& r : org.regions) for (const DemoTeam& t : r.teams) …
//   // "members/" + t.rep_ids[0], "orgUnits/" + org.product_lines[0].id
#pragma once

#include <string>
#include <vector>

namespace salesops::demo {

struct DemoUnit {
  std::string id;            // org unit id, e.g. "pl-cloud"
  std::string display_name;  // e.g. "云平台"
};

struct DemoTeam {
  std::string id;  // "team-east-1"
  std::string display_name;
  std::string supervisor_id;         // "demo-sup-east-1"
  std::vector<std::string> rep_ids;  // "demo-rep-east-1-1" … "-10"
};

struct DemoRegion {
  std::string key;  // "east"
  std::string id;   // "region-east"
  std::string display_name;
  std::string manager_id;  // "demo-mgr-east"
  std::vector<DemoTeam> teams;
};

struct DemoOrg {
  DemoUnit company;  // "acme"
  std::string director_id;
  std::vector<DemoUnit> product_lines;
  std::vector<DemoUnit> departments;  // product, marketing, finance (non-sales)
  std::vector<DemoRegion> regions;
};

// The one demo organisation (3 regions × 4 teams × 10 reps, 4 product lines).
// Built once; thread-safe.
const DemoOrg& DemoOrganisation();

}  // namespace salesops::demo
