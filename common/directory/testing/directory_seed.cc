#include "common/directory/testing/directory_seed.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"

namespace salesops::org::testing {

DirectorySeed::DirectorySeed(InMemoryKv& kv, std::string prefix)
    : kv_(kv),
      store_(kv, absl::StrCat(prefix, "dir:seen:")),
      projection_(store_, kv, std::move(prefix)) {}

void DirectorySeed::Apply(const std::string& type, const std::string& key,
                          const google::protobuf::Message& payload) {
  CloudEvent e = MakeCloudEvent("/salesops/org", key, key, payload, absl::Now());
  e.id = absl::StrCat("seed-", ++seq_, "-", key);
  ASSERT_EQ(e.type, type);
  absl::Status s = projection_.Handle(e);
  ASSERT_TRUE(s.ok()) << type << " " << key << ": " << s;
}

void DirectorySeed::Unit(const std::string& id, const std::string& parent, v1::OrgUnitKind kind) {
  v1::OrgUnitCreated e;
  e.mutable_org_unit()->set_name(absl::StrCat("orgUnits/", id));
  if (!parent.empty()) {
    e.mutable_org_unit()->set_parent(absl::StrCat("orgUnits/", parent));
  }
  e.mutable_org_unit()->set_kind(kind);
  e.mutable_org_unit()->set_display_name(id);
  Apply("salesops.org.v1.OrgUnitCreated", id, e);
}

void DirectorySeed::Member(const std::string& id, const std::string& team, v1::Role role) {
  v1::MemberJoined e;
  e.mutable_member()->set_name(absl::StrCat("members/", id));
  e.mutable_member()->set_org_unit(absl::StrCat("orgUnits/", team));
  e.mutable_member()->set_role(role);
  e.mutable_member()->set_display_name(id);
  Apply("salesops.org.v1.MemberJoined", id, e);
}

void DirectorySeed::Left(const std::string& id, const std::string& team, v1::Role role) {
  v1::MemberLeft e;
  e.mutable_member()->set_name(absl::StrCat("members/", id));
  e.mutable_member()->set_org_unit(absl::StrCat("orgUnits/", team));
  e.mutable_member()->set_role(role);
  Apply("salesops.org.v1.MemberLeft", id, e);
}

}  // namespace salesops::org::testing
