// SSE ids name a Kafka position and read back exactly; malformed ids are refused.
#include "services/gateway/domain/stream_position.h"

#include "gtest/gtest.h"

namespace salesops::gateway {
namespace {

TEST(StreamPositionTest, RoundTrips) {
  StreamPosition p{"salesops.customers.events.v1", 2, 1234};
  EXPECT_EQ(FormatStreamId(p), "salesops.customers.events.v1-2-1234");
  EXPECT_EQ(ParseStreamId(FormatStreamId(p)), p);
}

TEST(StreamPositionTest, TopicsWithDashesParseFromTheRight) {
  std::optional<StreamPosition> p = ParseStreamId("salesops.x-y.events.v1-10-0");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->topic, "salesops.x-y.events.v1");
  EXPECT_EQ(p->partition, 10);
  EXPECT_EQ(p->offset, 0);
}

TEST(StreamPositionTest, MalformedIdsAreRefused) {
  for (const char* id : {"", "-", "--", "t-1", "t--1", "t-1-", "-1-2", "t-a-1", "t-1-b", "t-1-2x",
                         "t- 1-2", "t-1-99999999999999999999", "t-+1-2"}) {
    EXPECT_FALSE(ParseStreamId(id).has_value()) << id;
  }
}

}  // namespace
}  // namespace salesops::gateway
