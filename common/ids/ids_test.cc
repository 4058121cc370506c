// Event ids and trace ids: their shape (RFC 4122 version 4, W3C trace id) and
// that they differ; and which caller-chosen ids are accepted.
#include "common/ids/ids.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

bool LowerHex(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); }

TEST(IdsTest, UuidsAreVersion4InTheCanonicalForm) {
  absl::flat_hash_set<std::string> seen;
  absl::flat_hash_set<char> digits_seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string u = NewUuid();
    ASSERT_EQ(u.size(), 36u) << u;
    for (size_t k = 0; k < u.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        ASSERT_EQ(u[k], '-') << u;
      } else {
        ASSERT_TRUE(LowerHex(u[k])) << u;
        digits_seen.insert(u[k]);
      }
    }
    EXPECT_EQ(u[14], '4') << "version 4: " << u;
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b') << "variant: " << u;
    EXPECT_TRUE(seen.insert(u).second) << "repeated: " << u;
  }
  EXPECT_EQ(digits_seen.size(), 16u) << "every hex digit turns up in 2,000 ids";
}

TEST(IdsTest, TraceIdsAre32LowercaseHexDigits) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string t = NewTraceId();
    ASSERT_EQ(t.size(), 32u) << t;
    for (char c : t) {
      ASSERT_TRUE(LowerHex(c)) << t;
    }
    EXPECT_NE(t, std::string(32, '0'));
    EXPECT_TRUE(seen.insert(t).second) << "repeated: " << t;
  }
}

TEST(IdsTest, CallerChosenIds) {
  EXPECT_TRUE(IsValidId("team-east-1"));
  EXPECT_TRUE(IsValidId("abc"));
  EXPECT_FALSE(IsValidId("ab")) << "too short";
  EXPECT_FALSE(IsValidId(std::string(64, 'a'))) << "too long";
  EXPECT_TRUE(IsValidId(std::string(63, 'a')));
  EXPECT_FALSE(IsValidId("-abc")) << "leading hyphen";
  EXPECT_FALSE(IsValidId("a_b_c"));
  EXPECT_FALSE(IsValidId("团队一"));
}

}  // namespace
}  // namespace salesops
