// SSE frames as browsers parse them: id, event and data lines, multi-line
// data split, resets that clear the last event id, errors, heartbeats.
#include "services/gateway/stream/sse_format.h"

#include "gtest/gtest.h"

namespace salesops::gateway {
namespace {

TEST(SseFormatTest, AnEventHasIdTypeAndDataThenABlankLine) {
  EXPECT_EQ(EventFrame("t-0-1", "salesops.x.v1.E", R"({"a":1})"),
            "id: t-0-1\nevent: salesops.x.v1.E\ndata: {\"a\":1}\n\n");
}

TEST(SseFormatTest, MultiLineDataBecomesSeveralDataLines) {
  EXPECT_EQ(EventFrame("i", "t", "a\nb\r\nc"), "id: i\nevent: t\ndata: a\ndata: b\ndata: c\n\n");
}

TEST(SseFormatTest, LineBreaksInIdOrTypeCannotInjectFields) {
  EXPECT_EQ(EventFrame("i\ndata: x", "t\r", "{}"), "id: i data: x\nevent: t \ndata: {}\n\n");
}

TEST(SseFormatTest, ResetClearsTheLastEventId) {
  EXPECT_EQ(ResetFrame("too_old"), "id:\nevent: reset\ndata: {\"reason\":\"too_old\"}\n\n");
}

TEST(SseFormatTest, ErrorHeartbeatAndRetry) {
  EXPECT_EQ(ErrorFrame("unauthenticated", "token expired"),
            "event: error\ndata: {\"code\":\"unauthenticated\",\"message\":\"token expired\"}\n\n");
  EXPECT_EQ(HeartbeatFrame(), ": heartbeat\n\n");
  EXPECT_EQ(RetryFrame(absl::Seconds(3)), "retry: 3000\n\n");
}

}  // namespace
}  // namespace salesops::gateway
