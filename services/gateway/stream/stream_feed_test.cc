// Kafka CloudEvents become stream events: the payload rendered once as
// lowerCamel JSON by the type its ce_type names, the SSE id its position, the
// scope resolved through the org; unknown types and bad payloads refused.
#include "services/gateway/stream/stream_feed.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/gateway/store/in_memory_org_view.h"

namespace salesops::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The chart of these tests: rep1 in team t1 of region r1.
void Chart(InMemoryOrgView& org) {
  org.Unit("r1", "", /*region=*/true);
  org.Unit("t1", "r1");
  org.Member("rep1", "t1");
}

CloudEvent OpportunityCreated() {
  salesops::customers::v1::OpportunityCreated e;
  e.set_opportunity("opportunities/o-1");
  e.set_display_name("年度采购项目");
  e.set_owner("members/rep1");
  e.set_team("orgUnits/t1");
  return MakeCloudEvent("/salesops/customers", "o-1", "opportunities/o-1", e, absl::Now());
}

TEST(StreamFeedTest, RendersTheFrameOnceWithJsonPayloadAndResolvedScope) {
  InMemoryOrgView org;
  Chart(org);
  absl::StatusOr<StreamEvent> e =
      RenderStreamEvent({"salesops.customers.events.v1", 2, 41}, OpportunityCreated(), org);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "salesops.customers.v1.OpportunityCreated");
  EXPECT_FALSE(e->frame->made()) << "rendered when a connection takes it";
  const std::string& frame = e->frame->get();
  EXPECT_TRUE(e->frame->made());
  EXPECT_TRUE(absl::StartsWith(frame,
                               "id: salesops.customers.events.v1-2-41\n"
                               "event: salesops.customers.v1.OpportunityCreated\n"
                               "data: {"));
  EXPECT_THAT(frame, HasSubstr(R"("displayName":"年度采购项目")"));
  EXPECT_THAT(frame, HasSubstr(R"("owner":"members/rep1")"));
  EXPECT_TRUE(absl::EndsWith(frame, "}\n\n"));
  EXPECT_THAT(e->scope.members, ElementsAre("rep1"));
  EXPECT_THAT(e->scope.units, ElementsAre("t1"));
  EXPECT_THAT(e->scope.regions, ElementsAre("r1"));
}

TEST(StreamFeedTest, UnknownTypesAndBadPayloadsAreRefused) {
  InMemoryOrgView org;
  Chart(org);
  CloudEvent e = OpportunityCreated();
  e.type = "salesops.customers.v1.NoSuchEvent";
  EXPECT_EQ(RenderStreamEvent({"t", 0, 1}, e, org).status().code(),
            absl::StatusCode::kInvalidArgument);
  e = OpportunityCreated();
  e.data = "\xff\xff\xff";
  EXPECT_EQ(RenderStreamEvent({"t", 0, 1}, e, org).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StreamFeedTest, HandlePublishesToTheHub) {
  InMemoryOrgView org;
  Chart(org);
  EventHub hub({});
  StreamFeed feed(hub, org);
  ResumeResult r;
  auto sub = hub.Subscribe({Role::kRep, "rep1", "t1", "r1"}, std::nullopt, &r);
  ASSERT_TRUE(feed.Handle({"salesops.customers.events.v1", 0, 5}, OpportunityCreated()).ok());
  std::vector<EventPtr> batch;
  sub->Next(absl::ZeroDuration(), &batch);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0]->position.offset, 5);
}

}  // namespace
}  // namespace salesops::gateway
