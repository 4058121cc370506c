// The KvReader/BatchCommitter contract (common/docstore/kv_contract.h) on a
// real Redis with the TransactionalOutbox's Lua commit: the suite the api unit
// tests' InMemoryKv passes, so a difference between the two fails here.
// Each test gets its own key prefix and outbox stream; no relay reads them.
#include "absl/strings/str_cat.h"
#include "common/docstore/kv_contract.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

struct RedisKv {
  RedisKvReader reader{TestRedis()};
  TransactionalOutbox outbox;
  explicit RedisKv(const std::string& stream) : outbox(TestRedis(), stream) {}
};

KvUnderTest MakeRedis() {
  const std::string prefix = absl::StrCat("kvc:{kvc}:", UniqueSuffix(), ":");
  auto kv = std::make_shared<RedisKv>(prefix + "outbox");
  return KvUnderTest{&kv->reader, &kv->outbox, prefix, kv};
}

// The same reader with its async reads through a RedisMux (two connections).
struct RedisKvWithMux {
  RedisMux mux{RedisAs("admin"), 2};
  RedisKvReader reader{TestRedis(), &mux};
  TransactionalOutbox outbox;
  explicit RedisKvWithMux(const std::string& stream) : outbox(TestRedis(), stream) {}
};

KvUnderTest MakeRedisWithMux() {
  const std::string prefix = absl::StrCat("kvc:{kvc}:", UniqueSuffix(), ":");
  auto kv = std::make_shared<RedisKvWithMux>(prefix + "outbox");
  return KvUnderTest{&kv->reader, &kv->outbox, prefix, kv};
}

// The same as a service's own ACL user (deploy/local/redis.sh) on its key
// prefix: every read KvReader allows and every write a WriteBatch makes must be
// a command service users may run. A store that sends one they may not (MGET
// once) gets NOPERM in production while the admin user's tests pass.
struct RedisKvAsService {
  RedisClient redis{RedisAs("targets")};
  RedisKvReader reader{redis};
  TransactionalOutbox outbox;
  explicit RedisKvAsService(const std::string& stream) : outbox(redis, stream) {}
};

KvUnderTest MakeRedisAsService() {
  const std::string prefix = absl::StrCat("tgt:{tgt}:kvc:", UniqueSuffix(), ":");
  auto kv = std::make_shared<RedisKvAsService>(prefix + "outbox");
  return KvUnderTest{&kv->reader, &kv->outbox, prefix, kv};
}

INSTANTIATE_TEST_SUITE_P(Redis, KvContractTest,
                         ::testing::Values(KvFactory(&MakeRedis), KvFactory(&MakeRedisWithMux),
                                           KvFactory(&MakeRedisAsService)));

}  // namespace
}  // namespace salesops::testing
