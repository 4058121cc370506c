// The two OrgRepository implementations for unit tests, behind one fixture
// interface, so that the org api tests run on both and the in-memory twin
// cannot drift from the Redis one:
//   "in_memory": InMemoryOrgRepository (maps, no Redis);
//   "redis_code": RedisOrgRepository, the service's own code, over InMemoryKv
//                 (common/docstore, which the kv contract suite holds to Redis'
//                 semantics).
//
//   INSTANTIATE_TEST_SUITE_P(Repositories, MyTest, ::testing::ValuesIn(kOrgRepositoryKinds));
//   std::unique_ptr<TestOrgRepository> r = MakeTestOrgRepository(GetParam());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/docstore/in_memory_kv.h"
#include "common/events/cloud_event.h"
#include "common/outbox/write_batch.h"
#include "common/projection/projection_store.h"
#include "services/org/domain/org_repository.h"
#include "services/org/events/headcount_projection.h"
#include "services/org/store/in_memory_org_repository.h"
#include "services/org/store/redis_org_repository.h"

namespace salesops::org {

inline constexpr const char* kOrgRepositoryKinds[] = {"in_memory", "redis_code"};

class TestOrgRepository {
 public:
  virtual ~TestOrgRepository() = default;
  virtual OrgRepository& repo() = 0;
  // Every event committed so far, in commit order.
  virtual std::vector<CloudEvent> events() const = 0;
  // Runs the projections the service runs on its own events (headcount) over
  // the events committed since the last call; the in-memory repository counts
  // members directly and has nothing to catch up.
  virtual void CatchUp() {}
  // What the revenue projection records for a won deal of `team` in `month`.
  virtual void AddRevenue(const std::string& month, const std::string& team, int64_t amount_minor,
                          const std::string& cell) = 0;
};

class InMemoryTestOrgRepository final : public TestOrgRepository {
 public:
  OrgRepository& repo() override { return repo_; }
  std::vector<CloudEvent> events() const override { return repo_.events(); }
  void AddRevenue(const std::string& month, const std::string& team, int64_t amount_minor,
                  const std::string& cell) override {
    repo_.AddRevenue(month, team, amount_minor, cell);
  }

 private:
  InMemoryOrgRepository repo_;
};

class RedisCodeTestOrgRepository final : public TestOrgRepository {
 public:
  OrgRepository& repo() override { return repo_; }
  std::vector<CloudEvent> events() const override {
    std::vector<CloudEvent> out;
    for (auto& [event, topic] : kv_.Events()) {
      out.push_back(event);
    }
    return out;
  }
  void AddRevenue(const std::string& month, const std::string& team, int64_t amount_minor,
                  const std::string& cell) override {
    WriteBatch b;
    b.HIncrBy(RevenueKey(month), team, amount_minor);
    b.HIncrBy(RevenueKey(month), absl::StrCat(team, "#deals"), 1);
    b.SAdd(CoverageKey(month, team), cell);
    (void)kv_.Commit(b);
  }
  void CatchUp() override {
    const std::vector<CloudEvent> all = events();
    for (; projected_ < all.size(); ++projected_) {
      (void)headcount_.Handle(all[projected_]);
    }
  }

 private:
  InMemoryKv kv_;
  RedisOrgRepository repo_{kv_, kv_};
  ProjectionStore projection_store_{kv_, OrgKey("headcount:seen:")};
  HeadcountProjection headcount_{projection_store_};
  size_t projected_ = 0;
};

inline std::unique_ptr<TestOrgRepository> MakeTestOrgRepository(const std::string& kind) {
  if (kind == "redis_code") {
    return std::make_unique<RedisCodeTestOrgRepository>();
  }
  return std::make_unique<InMemoryTestOrgRepository>();
}

}  // namespace salesops::org
