// MadeOnce: made on the first get() only, once however many threads ask at
// once, shared by all of them; a value given at construction is made already.
#include "common/concurrency/made_once.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace salesops {
namespace {

TEST(MadeOnceTest, MadeOnFirstUseOnlyAndOnceAcrossThreads) {
  std::atomic<int> makes{0};
  const MadeOnce<std::string> value([&makes] {
    ++makes;
    return std::string("frame");
  });
  EXPECT_FALSE(value.made());
  EXPECT_EQ(makes.load(), 0) << "nothing asked for it yet";
  std::vector<std::thread> threads;
  std::vector<const std::string*> seen(8, nullptr);
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&value, &seen, i] { seen[i] = &value.get(); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(makes.load(), 1);
  EXPECT_TRUE(value.made());
  for (const std::string* s : seen) {
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s, seen[0]) << "one value, shared";
    EXPECT_EQ(*s, "frame");
  }
}

TEST(MadeOnceTest, AValueGivenIsMadeAlready) {
  const MadeOnce<std::vector<std::string>> value(std::vector<std::string>{"a", "b"});
  EXPECT_TRUE(value.made());
  EXPECT_EQ(value.get(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace salesops
