// A barrier for integration tests that build an org chart through the org
// service and then call a service that learns the org from its events: waits
// until that service's own directory (read as the service reads it, from its
// keyspace in Redis) holds every unit under its parent and every member in
// their unit. Events of different units and members travel on different
// partitions, so "the last one created is known" says nothing about the rest.
//
//   DirectoryBarrier org(targets::kKeyPrefix);
//   org.Unit("team-1", "east-1");  org.Member("r1-1", "team-1");
//   ASSERT_TRUE(org.Wait());
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace salesops::testing {

class DirectoryBarrier {
 public:
  explicit DirectoryBarrier(std::string key_prefix) : prefix_(std::move(key_prefix)) {}
  // `parent` "" for a root unit.
  void Unit(const std::string& id, const std::string& parent) { units_.emplace_back(id, parent); }
  void Member(const std::string& id, const std::string& unit) { members_.emplace_back(id, unit); }
  // Polls the directory until it holds everything expected; on timeout the
  // result names what is still missing.
  ::testing::AssertionResult Wait(absl::Duration timeout = absl::Seconds(60)) const;

 private:
  std::string prefix_;
  std::vector<std::pair<std::string, std::string>> units_;
  std::vector<std::pair<std::string, std::string>> members_;
};

}  // namespace salesops::testing
