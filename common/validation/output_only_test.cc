#include "common/validation/output_only.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops {
namespace {

namespace cv1 = salesops::customers::v1;

// Output-only fields of a customer are cleared; the fields a client may set stay.
TEST(OutputOnlyTest, ClearsServerFieldsKeepsClientFields) {
  cv1::Customer c;
  c.set_name("customers/forged");
  c.set_display_name("杭州某某科技");
  c.set_tier(cv1::CUSTOMER_TIER_S);
  c.set_team("orgUnits/other-team");
  c.set_pool_state(cv1::POOL_STATE_OWNED);
  c.mutable_protection_until()->set_seconds(4102444800);
  c.mutable_score()->set_total_score(10000);
  c.set_owner("members/rep-1");
  c.mutable_tags()->set_industry("制造");
  ClearOutputOnly(&c);
  EXPECT_EQ(c.name(), "");
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_UNSPECIFIED);
  EXPECT_EQ(c.team(), "");
  EXPECT_EQ(c.pool_state(), cv1::POOL_STATE_UNSPECIFIED);
  EXPECT_FALSE(c.has_protection_until());
  EXPECT_FALSE(c.has_score());
  EXPECT_EQ(c.display_name(), "杭州某某科技");
  EXPECT_EQ(c.owner(), "members/rep-1");
  EXPECT_EQ(c.tags().industry(), "制造");
}

// Nested messages, repeated ones included, are cleared too.
TEST(OutputOnlyTest, ClearsNestedRepeated) {
  cv1::Contract k;
  k.set_title("年度框架合同");
  auto* in = k.mutable_payment_schedule()->add_instalments();
  in->set_instalment_id("i1");
  in->set_state(cv1::INSTALMENT_STATE_RECEIVED);
  in->mutable_received_amount()->set_amount_minor(100);
  k.add_payments()->set_payment_id("p1");
  ClearOutputOnly(&k);
  ASSERT_EQ(k.payment_schedule().instalments_size(), 1);
  EXPECT_EQ(k.payment_schedule().instalments(0).instalment_id(), "i1");
  EXPECT_EQ(k.payment_schedule().instalments(0).state(), cv1::INSTALMENT_STATE_UNSPECIFIED);
  EXPECT_FALSE(k.payment_schedule().instalments(0).has_received_amount());
  EXPECT_EQ(k.payments_size(), 0);
  EXPECT_EQ(k.title(), "年度框架合同");
}

// The path list names nested output-only fields, for tests that fill them.
TEST(OutputOnlyTest, PathsIncludeNested) {
  std::vector<std::string> paths = OutputOnlyFieldPaths(*cv1::Contract::descriptor());
  auto has = [&](const std::string& p) {
    return std::find(paths.begin(), paths.end(), p) != paths.end();
  };
  EXPECT_TRUE(has("name"));
  EXPECT_TRUE(has("payment_schedule.instalments.state"));
  EXPECT_TRUE(has("payments"));
  EXPECT_FALSE(has("title"));
}

}  // namespace
}  // namespace salesops
