// A KvReader over another that counts the pipelines it sends: for tests that
// assert how many round trips a call makes (prefetched reads, issue #19).
//
//   CountingKv counting(kv);           // kv: an InMemoryKv
//   CustomersStore store(counting, kv);
//   ... a call ...;  EXPECT_EQ(counting.reads, 1);
#pragma once

#include <string>
#include <vector>

#include "common/docstore/kv.h"

namespace salesops::test_support {

class CountingKv final : public KvReader {
 public:
  explicit CountingKv(KvReader& underneath) : underneath_(underneath) {}
  int reads = 0;

 protected:
  absl::StatusOr<std::vector<RedisValue>> DoRead(
      const std::vector<std::vector<std::string>>& commands) override {
    ++reads;
    return underneath_.Read(commands);
  }

 private:
  KvReader& underneath_;
};

}  // namespace salesops::test_support
