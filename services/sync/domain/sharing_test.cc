// Tests for customer sharing: masking of the primary contact (Chinese and
// Latin names, phones, e-mail addresses), revenue bands at their boundaries,
// that the minimised customer never carries the customer's phone, address or
// tax id, which grants cover a customer, which shares are active, and the
// record (or tombstone) the share topic carries.
#include "services/sync/domain/sharing.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'767'225'600);  // 2026-01-01 00:00 UTC

// True when `s` is well-formed UTF-8 (no split or overlong sequences).
bool IsUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

salesops::common::v1::Money Cny(int64_t minor, const std::string& code = "CNY") {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code(code);
  return m;
}

// ---- masking

TEST(MaskNameTest, KeepsTheFirstCharacterAndStarsTheRest) {
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("张三丰"), "张**");
  EXPECT_EQ(MaskName("欧阳娜娜"), "欧***");
  EXPECT_EQ(MaskName("Li"), "L*");
  EXPECT_EQ(MaskName("王"), "王");
  EXPECT_EQ(MaskName(""), "");
}

TEST(MaskNameTest, NeverSplitsAMultiByteCharacter) {
  for (const std::string& name :
       {std::string("张三"), std::string("Émile"), std::string("\xF0\xA0\x80\x80先生")}) {
    const std::string masked = MaskName(name);
    EXPECT_TRUE(IsUtf8(masked)) << name;
  }
  EXPECT_EQ(MaskName("\xF0\xA0\x80\x80先生"), "\xF0\xA0\x80\x80**");  // U+20000, 4 bytes
  EXPECT_EQ(MaskName("Émile"), "É****");
}

TEST(MaskNameTest, SpacesAreNotStarred) {
  // One '*' per character other than a space: the masked name does not show the word breaks.
  EXPECT_EQ(MaskName("John Smith"), "J********");
}

TEST(MaskPhoneTest, KeepsTheFirst3AndLast4Digits) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("138-1234-5678"), "138****5678");
  EXPECT_EQ(MaskPhone("138 1234 5678"), "138****5678");
  EXPECT_EQ(MaskPhone("021-62345678"), "021****5678");  // 11 digits with the area code
  EXPECT_EQ(MaskPhone("12345678"), "123*5678");         // 8 digits: one hidden
}

TEST(MaskPhoneTest, ShortNumbersAreAllStars) {
  EXPECT_EQ(MaskPhone("1234567"), "*******");
  EXPECT_EQ(MaskPhone("110"), "***");
  EXPECT_EQ(MaskPhone(""), "");
  EXPECT_EQ(MaskPhone("ext."), "");
}

TEST(MaskEmailTest, KeepsTheFirstCharacterOfTheLocalPartAndTheDomain) {
  EXPECT_EQ(MaskEmail("zhang.san@example.com"), "z***@example.com");
  EXPECT_EQ(MaskEmail("z@example.com"), "z***@example.com");
  EXPECT_EQ(MaskEmail("a@b@c"), "a***@b@c");
}

TEST(MaskEmailTest, MalformedAddressesShowNothing) {
  EXPECT_EQ(MaskEmail("no-at-sign"), "***");
  EXPECT_EQ(MaskEmail("@example.com"), "***");
  EXPECT_EQ(MaskEmail(""), "");
}

TEST(MaskEmailTest, AChineseLocalPartKeepsItsWholeFirstCharacter) {
  // Internationalised addresses exist (RFC 6531); the first byte alone would be invalid UTF-8,
  // which a proto3 string field cannot carry.
  const std::string masked = MaskEmail("张三@例子.中国");
  EXPECT_EQ(masked, "张***@例子.中国");
  EXPECT_TRUE(IsUtf8(masked));
}

// ---- RevenueBand

TEST(RevenueBandTest, BoundariesInYuan) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "lt_100k"},
      {9'999'999, "lt_100k"},  // ¥99,999.99
      {10'000'000, "100k_1m"},
      {99'999'999, "100k_1m"},
      {100'000'000, "1m_5m"},
      {499'999'999, "1m_5m"},
      {500'000'000, "5m_20m"},
      {1'999'999'999, "5m_20m"},
      {2'000'000'000, "gte_20m"},
      {900'000'000'000, "gte_20m"},
  };
  for (const auto& [minor, band] : cases) {
    EXPECT_EQ(RevenueBand(Cny(minor)), band) << minor;
  }
}

TEST(RevenueBandTest, EmptyCurrencyMeansCnyAndOtherCurrenciesAreUnknown) {
  EXPECT_EQ(RevenueBand(Cny(100'000'000, "")), "1m_5m");
  EXPECT_EQ(RevenueBand(Cny(100'000'000, "USD")), "");
  EXPECT_EQ(RevenueBand(Cny(0, "EUR")), "");
}

// ---- MinimiseCustomer

cv1::Contact Contact(const std::string& name, const std::string& phone, const std::string& email,
                     bool primary) {
  cv1::Contact c;
  c.set_contact_id(name + "-id");
  c.set_display_name(name);
  c.set_title("采购总监");
  c.set_phone(phone);
  c.set_email(email);
  c.set_wechat_id("wx-" + phone);
  c.set_primary(primary);
  c.set_notes("私人备注 " + phone);
  return c;
}

cv1::Customer FullCustomer() {
  cv1::Customer c;
  c.set_name("customers/c-1");
  c.set_display_name("某能源集团");
  c.set_tax_id("91310000MA1FL0TAX9");
  c.set_phone("021-55550000");
  c.set_address("上海市浦东新区秘密路 1 号");
  c.set_customer_type("enterprise");
  c.mutable_tags()->set_industry("energy");
  c.mutable_tags()->set_size("large");
  c.mutable_tags()->set_region("orgUnits/east");
  c.set_tier(cv1::CUSTOMER_TIER_A);
  c.set_owner("members/rep-1");
  c.set_team("orgUnits/team-east-1");
  *c.add_contacts() = Contact("李四", "13900001111", "li.si@energy.example", false);
  *c.add_contacts() = Contact("张三丰", "13812345678", "zhang@energy.example", true);
  *c.add_contacts() = Contact("王五", "13700002222", "wang@energy.example", true);
  *c.mutable_score()->mutable_revenue_last_12_months() = Cny(250'000'000);
  return c;
}

TEST(MinimiseCustomerTest, CopiesTheBusinessFacts) {
  const v1::MinimisedCustomer m = MinimiseCustomer(FullCustomer());
  EXPECT_EQ(m.customer(), "customers/c-1");
  EXPECT_EQ(m.display_name(), "某能源集团");
  EXPECT_EQ(m.tier(), cv1::CUSTOMER_TIER_A);
  EXPECT_EQ(m.industry(), "energy");
  EXPECT_EQ(m.size(), "large");
  EXPECT_EQ(m.region(), "orgUnits/east");
  EXPECT_EQ(m.customer_type(), "enterprise");
  EXPECT_EQ(m.owner(), "members/rep-1");
  EXPECT_EQ(m.team(), "orgUnits/team-east-1");
  EXPECT_EQ(m.contact_count(), 3);
  EXPECT_EQ(m.revenue_band(), "1m_5m");
}

TEST(MinimiseCustomerTest, MasksTheFirstPrimaryContact) {
  const v1::MinimisedCustomer m = MinimiseCustomer(FullCustomer());
  ASSERT_TRUE(m.has_primary_contact());
  EXPECT_EQ(m.primary_contact().display_name(), "张**");
  EXPECT_EQ(m.primary_contact().title(), "采购总监");
  EXPECT_EQ(m.primary_contact().phone(), "138****5678");
  EXPECT_EQ(m.primary_contact().email(), "z***@energy.example");
}

TEST(MinimiseCustomerTest, WithoutAPrimaryContactTheFirstContactIsMasked) {
  cv1::Customer c = FullCustomer();
  for (auto& contact : *c.mutable_contacts()) {
    contact.set_primary(false);
  }
  const v1::MinimisedCustomer m = MinimiseCustomer(c);
  EXPECT_EQ(m.primary_contact().display_name(), "李*");
  EXPECT_EQ(m.primary_contact().phone(), "139****1111");
}

TEST(MinimiseCustomerTest, NoContactsAndNoRevenueLeaveThoseEmpty) {
  cv1::Customer c = FullCustomer();
  c.clear_contacts();
  c.clear_score();
  const v1::MinimisedCustomer m = MinimiseCustomer(c);
  EXPECT_FALSE(m.has_primary_contact());
  EXPECT_EQ(m.contact_count(), 0);
  EXPECT_EQ(m.revenue_band(), "");
}

TEST(MinimiseCustomerTest, NeverCarriesPhoneAddressTaxIdOrRawContactData) {
  const cv1::Customer c = FullCustomer();
  const v1::MinimisedCustomer m = MinimiseCustomer(c);
  std::string wire;
  ASSERT_TRUE(m.SerializeToString(&wire));
  const std::string text = m.DebugString();
  std::vector<std::string> secrets = {c.tax_id(),  c.phone(), "021",    "55550000",
                                      c.address(), "秘密路",  "2500000"};
  for (const cv1::Contact& contact : c.contacts()) {
    secrets.push_back(contact.phone());
    secrets.push_back(contact.email());
    secrets.push_back(contact.wechat_id());
    secrets.push_back(contact.notes());
    secrets.push_back(contact.contact_id());
    secrets.push_back(contact.display_name());
  }
  for (const std::string& s : secrets) {
    EXPECT_THAT(wire, Not(HasSubstr(s))) << s;
    EXPECT_THAT(text, Not(HasSubstr(s))) << s;
  }
}

// ---- ForShare

TEST(ForShareTest, DropsThePrimaryContactUnlessAsked) {
  const v1::MinimisedCustomer stored = MinimiseCustomer(FullCustomer());
  const v1::MinimisedCustomer without = ForShare(stored, false);
  EXPECT_FALSE(without.has_primary_contact());
  EXPECT_EQ(without.display_name(), stored.display_name());
  EXPECT_EQ(without.contact_count(), 3);
  const v1::MinimisedCustomer with = ForShare(stored, true);
  EXPECT_TRUE(with.has_primary_contact());
  EXPECT_EQ(with.SerializeAsString(), stored.SerializeAsString());
}

// ---- GrantCovers

v1::MinimisedCustomer Stored() { return MinimiseCustomer(FullCustomer()); }

TEST(GrantCoversTest, AGrantNamingTheCustomerCoversOnlyIt) {
  cv1::SharingGrant g;
  g.set_customer("customers/c-1");
  g.mutable_selector()->add_tiers(cv1::CUSTOMER_TIER_C);  // ignored when a customer is named
  EXPECT_TRUE(GrantCovers(g, Stored(), kNow));
  g.set_customer("customers/c-2");
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
}

TEST(GrantCoversTest, AnEmptySelectorCoversEveryCustomer) {
  EXPECT_TRUE(GrantCovers(cv1::SharingGrant(), Stored(), kNow));
}

TEST(GrantCoversTest, EachSelectorListMustContainTheCustomersValue) {
  cv1::SharingGrant g;
  g.mutable_selector()->add_tiers(cv1::CUSTOMER_TIER_S);
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
  g.mutable_selector()->add_tiers(cv1::CUSTOMER_TIER_A);
  EXPECT_TRUE(GrantCovers(g, Stored(), kNow));

  g.mutable_selector()->add_regions("orgUnits/west");
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
  g.mutable_selector()->add_regions("orgUnits/east");
  EXPECT_TRUE(GrantCovers(g, Stored(), kNow));

  g.mutable_selector()->add_industries("retail");
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
  g.mutable_selector()->add_industries("energy");
  EXPECT_TRUE(GrantCovers(g, Stored(), kNow));
}

TEST(GrantCoversTest, RevokedGrantsCoverNothing) {
  cv1::SharingGrant g;
  g.set_customer("customers/c-1");
  *g.mutable_revoke_time() = ToTs(kNow + absl::Hours(1));  // any revoke time counts
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
}

TEST(GrantCoversTest, ExpiredGrantsCoverNothingFromTheirExpireTimeOn) {
  cv1::SharingGrant g;
  g.set_customer("customers/c-1");
  *g.mutable_expire_time() = ToTs(kNow + absl::Seconds(1));
  EXPECT_TRUE(GrantCovers(g, Stored(), kNow));
  *g.mutable_expire_time() = ToTs(kNow);
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
  *g.mutable_expire_time() = ToTs(kNow - absl::Hours(1));
  EXPECT_FALSE(GrantCovers(g, Stored(), kNow));
}

// ---- IsActiveShare

v1::CustomerShare Share(const std::string& id, bool include_contact,
                        std::optional<absl::Time> expire = std::nullopt,
                        v1::ShareState state = v1::SHARE_STATE_ACTIVE) {
  v1::CustomerShare s;
  s.set_name("customerShares/" + id);
  s.set_customer("customers/c-1");
  s.set_recipient("orgUnits/marketing");
  s.set_purpose("联合营销活动邀请 " + id);
  s.set_include_primary_contact(include_contact);
  s.set_state(state);
  if (expire) {
    *s.mutable_expire_time() = ToTs(*expire);
  }
  return s;
}

TEST(IsActiveShareTest, ActiveUntilItsExpireTime) {
  EXPECT_TRUE(IsActiveShare(Share("s", false), kNow));
  EXPECT_TRUE(IsActiveShare(Share("s", false, kNow + absl::Seconds(1)), kNow));
  EXPECT_FALSE(IsActiveShare(Share("s", false, kNow), kNow));
  EXPECT_FALSE(IsActiveShare(Share("s", false, kNow - absl::Seconds(1)), kNow));
}

TEST(IsActiveShareTest, OnlyTheActiveStateCounts) {
  for (auto state :
       {v1::SHARE_STATE_UNSPECIFIED, v1::SHARE_STATE_REVOKED, v1::SHARE_STATE_EXPIRED}) {
    EXPECT_FALSE(IsActiveShare(Share("s", false, std::nullopt, state), kNow))
        << v1::ShareState_Name(state);
  }
}

// ---- TopicRecord

TEST(TopicRecordTest, NoActiveShareIsATombstone) {
  EXPECT_FALSE(TopicRecord(Stored(), {}, kNow).has_value());
  EXPECT_FALSE(
      TopicRecord(Stored(),
                  {Share("a", true, kNow), Share("b", true, std::nullopt, v1::SHARE_STATE_REVOKED)},
                  kNow)
          .has_value());
}

TEST(TopicRecordTest, ListsTheActiveSharesOnly) {
  const std::optional<v1::SharedCustomerRecord> r =
      TopicRecord(Stored(),
                  {Share("a", false, kNow + absl::Hours(24)),
                   Share("gone", false, kNow - absl::Hours(1)), Share("b", false, std::nullopt),
                   Share("revoked", false, std::nullopt, v1::SHARE_STATE_REVOKED)},
                  kNow);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->shared_with_size(), 2);
  EXPECT_EQ(r->shared_with(0).share(), "customerShares/a");
  EXPECT_EQ(r->shared_with(0).recipient(), "orgUnits/marketing");
  EXPECT_EQ(r->shared_with(0).purpose(), "联合营销活动邀请 a");
  EXPECT_EQ(FromTs(r->shared_with(0).expire_time()), kNow + absl::Hours(24));
  EXPECT_EQ(r->shared_with(1).share(), "customerShares/b");
  EXPECT_FALSE(r->shared_with(1).has_expire_time());
  EXPECT_EQ(FromTs(r->update_time()), kNow);
  EXPECT_EQ(r->customer().customer(), "customers/c-1");
}

TEST(TopicRecordTest, CarriesTheContactOnlyWhenEveryActiveShareAskedForIt) {
  std::optional<v1::SharedCustomerRecord> r =
      TopicRecord(Stored(), {Share("a", true), Share("b", true)}, kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->customer().has_primary_contact());
  EXPECT_EQ(r->customer().primary_contact().display_name(), "张**");

  r = TopicRecord(Stored(), {Share("a", true), Share("b", false)}, kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->customer().has_primary_contact());
}

TEST(TopicRecordTest, InactiveSharesDoNotVetoTheContact) {
  const std::optional<v1::SharedCustomerRecord> r =
      TopicRecord(Stored(),
                  {Share("a", true), Share("expired", false, kNow - absl::Seconds(1)),
                   Share("revoked", false, std::nullopt, v1::SHARE_STATE_REVOKED)},
                  kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->shared_with_size(), 1);
  EXPECT_TRUE(r->customer().has_primary_contact());
}

}  // namespace
}  // namespace salesops::sync
