// Test support for api unit tests of services that keep an org directory: fills
// the directory on an InMemoryKv through the real OrgDirectoryProjection, with
// the events the org service publishes, so a test's org chart is built the way
// production builds it.
//
//   InMemoryKv kv;
//   org::testing::DirectorySeed org(kv, "cust:{cust}:");
//   org.Unit("co", "", v1::ORG_UNIT_KIND_COMPANY);
//   org.Unit("team-1", "co", v1::ORG_UNIT_KIND_TEAM);
//   org.Member("rep-1", "team-1", v1::ROLE_REP);
//   org::OrgDirectory dir(kv, "cust:{cust}:");
#pragma once

#include <string>

#include "common/directory/org_directory.h"
#include "common/docstore/in_memory_kv.h"
#include "common/projection/projection_store.h"
#include "salesops/org/v1/org_resources.pb.h"

namespace salesops::org::testing {

class DirectorySeed {
 public:
  DirectorySeed(InMemoryKv& kv, std::string prefix);

  // OrgUnitCreated; `parent` "" for the root. Ids without "orgUnits/".
  void Unit(const std::string& id, const std::string& parent, v1::OrgUnitKind kind);
  // MemberJoined (or, for a member already there, MemberMoved) into `team`.
  void Member(const std::string& id, const std::string& team, v1::Role role);
  // MemberLeft.
  void Left(const std::string& id, const std::string& team, v1::Role role);

 private:
  void Apply(const std::string& type, const std::string& key,
             const google::protobuf::Message& payload);

  InMemoryKv& kv_;
  ProjectionStore store_;
  OrgDirectoryProjection projection_;
  int seq_ = 0;
};

}  // namespace salesops::org::testing
