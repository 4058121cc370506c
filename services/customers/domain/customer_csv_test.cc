// Tests for the customer field rules (normal forms of tax id and phone, codes,
// field checks) and the customer CSV mapping: header aliases, row → Customer
// with per-column errors, and Customer → row for export.
#include "services/customers/domain/customer_csv.h"

#include <string>
#include <vector>

#include "common/csv/csv.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/customers/domain/customer_rules.h"

namespace salesops::customers {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

std::vector<std::string> ErrorColumns(const CustomerRow& r) {
  std::vector<std::string> out;
  for (const ColumnError& e : r.errors) {
    out.push_back(e.column);
  }
  return out;
}

void ExpectCsvError(const absl::Status& s, absl::string_view message_part) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(Fields(s), ElementsAre("csv"));
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(message_part)));
}

CustomerColumns MustMap(const std::vector<std::string>& header) {
  absl::StatusOr<CustomerColumns> cols = MapHeader(header);
  EXPECT_TRUE(cols.ok()) << cols.status();
  return cols.ok() ? *cols : CustomerColumns{};
}

// One row through the mapping with the given (column, cell) pairs.
CustomerRow RowOf(const std::vector<std::pair<std::string, std::string>>& cells) {
  std::vector<std::string> header, values;
  for (const auto& [h, v] : cells) {
    header.push_back(h);
    values.push_back(v);
  }
  return RowToCustomer(MustMap(header), values);
}

// ---- customer_rules ---------------------------------------------------------------

TEST(CustomerRulesTest, NormalTaxIdKeepsUpperCaseAlphanumericsOnly) {
  EXPECT_EQ(NormalTaxId("91330100-mA2b 3c4d5e"), "91330100MA2B3C4D5E");
  EXPECT_EQ(NormalTaxId(" 9133 0100 MA2B "), "91330100MA2B");
  EXPECT_EQ(NormalTaxId(""), "");
  EXPECT_EQ(NormalTaxId("--"), "");
}

TEST(CustomerRulesTest, NormalPhoneDropsFormattingAndChinaCountryCode) {
  EXPECT_EQ(NormalPhone("+86 138-0000-0000"), "13800000000");
  EXPECT_EQ(NormalPhone("0086 138 0000 0000"), "13800000000");
  EXPECT_EQ(NormalPhone("  +86 13800000000"), "13800000000");
  EXPECT_EQ(NormalPhone("138 0000 0000"), "13800000000");
  EXPECT_EQ(NormalPhone("0571-8888-0000"), "057188880000");
  EXPECT_EQ(NormalPhone(""), "");
}

TEST(CustomerRulesTest, NormalPhoneKeepsOtherCountryCodesAndBare86) {
  EXPECT_EQ(NormalPhone("+1 415 555 0100"), "14155550100");
  // Without '+' or 00 a leading 86 is part of the number.
  EXPECT_EQ(NormalPhone("86 1380000"), "861380000");
}

TEST(CustomerRulesTest, SamePhoneWrittenDifferentlyNormalisesEqual) {
  EXPECT_EQ(NormalPhone("+86 138 0000 0000"), NormalPhone("0086-138-0000-0000"));
  EXPECT_EQ(NormalPhone("+86 138 0000 0000"), NormalPhone("13800000000"));
}

TEST(CustomerRulesTest, IsCodeAcceptsLowerSnakeUpTo63Characters) {
  EXPECT_TRUE(IsCode("enterprise"));
  EXPECT_TRUE(IsCode("key_account_2"));
  EXPECT_TRUE(IsCode(std::string(63, 'a')));
  EXPECT_FALSE(IsCode(std::string(64, 'a')));
  EXPECT_FALSE(IsCode(""));
  EXPECT_FALSE(IsCode("Retail"));
  EXPECT_FALSE(IsCode("2nd"));
  EXPECT_FALSE(IsCode("_x"));
  EXPECT_FALSE(IsCode("has-dash"));
  EXPECT_FALSE(IsCode("制造"));
}

v1::Customer ValidCustomer() {
  v1::Customer c;
  c.set_display_name("杭州某某科技有限公司");
  c.set_tax_id("91330100MA2B3C4D5E");
  c.set_phone("+86 571 8888 0000");
  c.set_customer_type("enterprise");
  c.mutable_tags()->set_industry("manufacturing");
  (*c.mutable_tags()->mutable_labels())["vip"] = "yes";
  v1::Contact* ct = c.add_contacts();
  ct->set_contact_id("k1");
  ct->set_display_name("张三");
  ct->set_email("z@example.com");
  ct->set_primary(true);
  return c;
}

TEST(CustomerRulesTest, ValidCustomerHasNoViolations) {
  Violations v;
  CheckCustomerFields(v, "customer", ValidCustomer());
  EXPECT_TRUE(v.empty()) << v.Finish();
}

TEST(CustomerRulesTest, ViolationsAreNamedUnderThePrefix) {
  v1::Customer c = ValidCustomer();
  c.clear_display_name();
  c.set_tax_id("123");
  c.set_phone("12a");
  c.set_customer_type("Enterprise");
  c.mutable_tags()->set_size("Big");
  Violations v;
  CheckCustomerFields(v, "customer", c);
  EXPECT_THAT(Fields(v.Finish()),
              ElementsAre("customer.display_name", "customer.tax_id", "customer.phone",
                          "customer.customer_type", "customer.tags.size"));
}

TEST(CustomerRulesTest, PhoneNeedsFiveDigitsAfterTheCountryCode) {
  v1::Customer c = ValidCustomer();
  c.set_phone("+86 1234");
  Violations v;
  CheckCustomerFields(v, "customer", c);
  EXPECT_THAT(Fields(v.Finish()), ElementsAre("customer.phone"));
}

TEST(CustomerRulesTest, ContactProblemsAreNamedByIndex) {
  v1::Customer c = ValidCustomer();
  v1::Contact* second = c.add_contacts();
  second->set_contact_id("k1");  // duplicate
  second->set_display_name("李四");
  second->set_email("not an email");
  second->set_phone("ext.12");
  second->set_primary(true);  // second primary
  Violations v;
  CheckCustomerFields(v, "customer", c);
  EXPECT_THAT(Fields(v.Finish()),
              ElementsAre("customer.contacts[1].phone", "customer.contacts[1].email",
                          "customer.contacts[1].contact_id", "customer.contacts"));
}

TEST(CustomerRulesTest, BadLabelKeyIsNamedWithTheQuotedKey) {
  v1::Customer c = ValidCustomer();
  (*c.mutable_tags()->mutable_labels())["Bad Key"] = "x";
  Violations v;
  CheckCustomerFields(v, "customer", c);
  EXPECT_THAT(Fields(v.Finish()), ElementsAre("customer.tags.labels['Bad Key']"));
}

// ---- Columns and header ---------------------------------------------------------------

TEST(CustomerCsvHeaderTest, CanonicalColumnsAreInExportOrder) {
  EXPECT_THAT(
      CustomerCsvColumns(),
      ElementsAre("customer_id", "display_name", "tax_id", "phone", "address", "customer_type",
                  "industry", "size", "region", "source", "labels", "owner", "team", "tier",
                  "pool_state", "contact_name", "contact_title", "contact_phone", "contact_email"));
}

TEST(CustomerCsvHeaderTest, CanonicalNamesMapCaseInsensitivelyInAnyOrder) {
  const CustomerColumns cols = MustMap({"Phone", "DISPLAY_NAME", "labels"});
  EXPECT_EQ(cols.Of("phone"), 0);
  EXPECT_EQ(cols.Of("display_name"), 1);
  EXPECT_EQ(cols.Of("labels"), 2);
  EXPECT_EQ(cols.Of("tax_id"), -1);
  EXPECT_EQ(cols.Of("no_such_column"), -1);
}

TEST(CustomerCsvHeaderTest, ChineseAliasesMapToCanonicalColumns) {
  const CustomerColumns cols =
      MustMap({"客户名称", "电话", "税号", "地址", "行业", "标签", "负责人", "联系人", "联系人电话",
               "联系人邮箱", "客户编号", "区域"});
  EXPECT_EQ(cols.Of("display_name"), 0);
  EXPECT_EQ(cols.Of("phone"), 1);
  EXPECT_EQ(cols.Of("tax_id"), 2);
  EXPECT_EQ(cols.Of("address"), 3);
  EXPECT_EQ(cols.Of("industry"), 4);
  EXPECT_EQ(cols.Of("labels"), 5);
  EXPECT_EQ(cols.Of("owner"), 6);
  EXPECT_EQ(cols.Of("contact_name"), 7);
  EXPECT_EQ(cols.Of("contact_phone"), 8);
  EXPECT_EQ(cols.Of("contact_email"), 9);
  EXPECT_EQ(cols.Of("customer_id"), 10);
  EXPECT_EQ(cols.Of("region"), 11);
}

TEST(CustomerCsvHeaderTest, UnknownColumnIsACsvErrorNamingIt) {
  ExpectCsvError(MapHeader({"display_name", "fax"}).status(), "'fax'");
}

TEST(CustomerCsvHeaderTest, ColumnGivenTwiceIsACsvError) {
  ExpectCsvError(MapHeader({"display_name", "phone", "Phone"}).status(), "phone appears twice");
  // An alias and its canonical name are the same column.
  ExpectCsvError(MapHeader({"display_name", "客户名称"}).status(), "display_name appears twice");
}

TEST(CustomerCsvHeaderTest, MissingDisplayNameColumnIsACsvError) {
  ExpectCsvError(MapHeader({"phone", "tax_id"}).status(), "display_name");
}

// ---- Row → Customer -------------------------------------------------------------------

TEST(CustomerCsvRowTest, EveryColumnLandsInItsField) {
  const CustomerRow r = RowOf({{"customer_id", "c-001"},
                               {"display_name", " 杭州某某科技有限公司 "},
                               {"tax_id", "91330100MA2B3C4D5E"},
                               {"phone", "0571-8888-0000"},
                               {"address", "杭州市西湖区"},
                               {"customer_type", "enterprise"},
                               {"industry", "manufacturing"},
                               {"size", "large"},
                               {"region", "r1"},
                               {"source", "exhibition"},
                               {"labels", "a:1;b:2"},
                               {"owner", "m1"},
                               {"team", "orgUnits/t1"},
                               {"contact_name", "张三"},
                               {"contact_title", "采购经理"},
                               {"contact_phone", "138 0000 0000"},
                               {"contact_email", "z@example.com"}});
  EXPECT_THAT(r.errors, IsEmpty());
  const v1::Customer& c = r.customer;
  EXPECT_EQ(r.customer_id, "c-001");
  EXPECT_EQ(c.display_name(), "杭州某某科技有限公司");  // trimmed
  EXPECT_EQ(c.tax_id(), "91330100MA2B3C4D5E");
  EXPECT_EQ(c.phone(), "0571-8888-0000");
  EXPECT_EQ(c.address(), "杭州市西湖区");
  EXPECT_EQ(c.customer_type(), "enterprise");
  EXPECT_EQ(c.tags().industry(), "manufacturing");
  EXPECT_EQ(c.tags().size(), "large");
  EXPECT_EQ(c.tags().region(), "orgUnits/r1");
  EXPECT_EQ(c.tags().source(), "exhibition");
  EXPECT_THAT(c.tags().labels(), UnorderedElementsAre(Pair("a", "1"), Pair("b", "2")));
  EXPECT_EQ(c.owner(), "members/m1");
  EXPECT_EQ(c.team(), "orgUnits/t1");  // already a resource name: kept
  ASSERT_EQ(c.contacts_size(), 1);
  EXPECT_EQ(c.contacts(0).display_name(), "张三");
  EXPECT_EQ(c.contacts(0).title(), "采购经理");
  EXPECT_EQ(c.contacts(0).phone(), "138 0000 0000");
  EXPECT_EQ(c.contacts(0).email(), "z@example.com");
  EXPECT_TRUE(c.contacts(0).primary());
}

TEST(CustomerCsvRowTest, LabelsToleratesSpacesAndEmptyPairs) {
  const CustomerRow r = RowOf({{"display_name", "X"}, {"labels", " a : 1 ; ; b:2;c: "}});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.customer.tags().labels(),
              UnorderedElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("c", "")));
}

TEST(CustomerCsvRowTest, LabelValueMayContainAColon) {
  const CustomerRow r = RowOf({{"display_name", "X"}, {"labels", "url:http://x"}});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.customer.tags().labels(), UnorderedElementsAre(Pair("url", "http://x")));
}

TEST(CustomerCsvRowTest, LabelWithoutColonIsALabelsError) {
  const CustomerRow r = RowOf({{"display_name", "X"}, {"labels", "a:1;oops"}});
  EXPECT_THAT(ErrorColumns(r), ElementsAre("labels"));
  EXPECT_THAT(r.errors[0].message, HasSubstr("'oops'"));
  EXPECT_THAT(r.customer.tags().labels(), UnorderedElementsAre(Pair("a", "1")));
}

TEST(CustomerCsvRowTest, BadLabelKeyIsALabelsError) {
  EXPECT_THAT(ErrorColumns(RowOf({{"display_name", "X"}, {"labels", "Bad:1"}})),
              ElementsAre("labels"));
}

TEST(CustomerCsvRowTest, FieldErrorsNameTheCsvColumn) {
  struct Case {
    const char* column;
    const char* value;
    const char* error_column;
  };
  for (const Case& c : {Case{"phone", "call me", "phone"}, Case{"tax_id", "123", "tax_id"},
                        Case{"industry", "Manufacturing", "industry"}, Case{"size", "BIG", "size"},
                        Case{"source", "trade show", "source"},
                        Case{"customer_type", "Enterprise", "customer_type"},
                        Case{"contact_email", "not-an-email", "contact_email"},
                        Case{"contact_phone", "ext.12", "contact_phone"}}) {
    SCOPED_TRACE(c.column);
    std::vector<std::pair<std::string, std::string>> cells = {{"display_name", "X"},
                                                              {c.column, c.value}};
    if (std::string(c.column).rfind("contact_", 0) == 0) {
      cells.push_back({"contact_name", "张三"});
    }
    EXPECT_THAT(ErrorColumns(RowOf(cells)), ElementsAre(c.error_column));
  }
}

TEST(CustomerCsvRowTest, EmptyDisplayNameIsADisplayNameError) {
  EXPECT_THAT(ErrorColumns(RowOf({{"display_name", "  "}})), ElementsAre("display_name"));
}

TEST(CustomerCsvRowTest, ContactDetailsWithoutANameAreAContactNameError) {
  const CustomerRow r = RowOf({{"display_name", "X"}, {"contact_phone", "138 0000 0000"}});
  EXPECT_THAT(ErrorColumns(r), ElementsAre("contact_name"));
}

TEST(CustomerCsvRowTest, NoContactColumnsMeansNoContact) {
  EXPECT_EQ(RowOf({{"display_name", "X"}, {"contact_title", "经理"}}).customer.contacts_size(), 0);
}

TEST(CustomerCsvRowTest, ApostropheEscapedFormulasAreUndone) {
  const CustomerRow r = RowOf({{"display_name", "'=不是公式"},
                               {"phone", "'+86 138 0000 0000"},
                               {"address", "'-1 楼"},
                               {"contact_name", "'@张三"}});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.customer.display_name(), "=不是公式");
  EXPECT_EQ(r.customer.phone(), "+86 138 0000 0000");
  EXPECT_EQ(r.customer.address(), "-1 楼");
  EXPECT_EQ(r.customer.contacts(0).display_name(), "@张三");
}

TEST(CustomerCsvRowTest, ApostropheBeforeOrdinaryTextIsKept) {
  EXPECT_EQ(RowOf({{"display_name", "'s Hertogenbosch"}}).customer.display_name(),
            "'s Hertogenbosch");
}

TEST(CustomerCsvRowTest, MissingTrailingCellsReadAsEmpty) {
  const CustomerRow r = RowToCustomer(MustMap({"display_name", "phone"}), {"X"});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.customer.display_name(), "X");
  EXPECT_EQ(r.customer.phone(), "");
}

// ---- Customer → row -------------------------------------------------------------------

v1::Customer ExportCustomer() {
  v1::Customer c;
  c.set_name("customers/c-001");
  c.set_display_name("杭州某某科技有限公司");
  c.set_tax_id("91330100MA2B3C4D5E");
  c.set_phone("+86 571 8888 0000");
  c.set_address("杭州市西湖区, 文三路 1 号");
  c.set_customer_type("enterprise");
  c.mutable_tags()->set_industry("manufacturing");
  c.mutable_tags()->set_size("large");
  c.mutable_tags()->set_region("orgUnits/r1");
  c.mutable_tags()->set_source("referral");
  (*c.mutable_tags()->mutable_labels())["b"] = "2";
  (*c.mutable_tags()->mutable_labels())["a"] = "1";
  c.set_owner("members/m1");
  c.set_team("orgUnits/t1");
  c.set_tier(v1::CUSTOMER_TIER_S);
  c.set_pool_state(v1::POOL_STATE_OWNED);
  v1::Contact* other = c.add_contacts();
  other->set_display_name("李四");
  v1::Contact* primary = c.add_contacts();
  primary->set_display_name("张三");
  primary->set_title("采购经理");
  primary->set_phone("138 0000 0000");
  primary->set_email("z@example.com");
  primary->set_primary(true);
  return c;
}

TEST(CustomerCsvExportTest, CustomerToRowFollowsTheColumnOrder) {
  EXPECT_THAT(
      CustomerToRow(ExportCustomer(), {}),
      ElementsAre("c-001", "杭州某某科技有限公司", "91330100MA2B3C4D5E", "+86 571 8888 0000",
                  "杭州市西湖区, 文三路 1 号", "enterprise", "manufacturing", "large",
                  "orgUnits/r1", "referral", "a:1;b:2", "members/m1", "orgUnits/t1", "S", "owned",
                  "张三", "采购经理", "138 0000 0000", "z@example.com"));
}

TEST(CustomerCsvExportTest, CustomerToRowWithChosenColumnsKeepsTheirOrder) {
  EXPECT_THAT(CustomerToRow(ExportCustomer(), {"phone", "display_name", "tier"}),
              ElementsAre("+86 571 8888 0000", "杭州某某科技有限公司", "S"));
}

TEST(CustomerCsvExportTest, PoolUnspecifiedTierAndNoContactsExportAsEmptyOrPool) {
  v1::Customer c = ExportCustomer();
  c.set_pool_state(v1::POOL_STATE_PUBLIC_POOL);
  c.set_tier(v1::CUSTOMER_TIER_UNSPECIFIED);
  c.clear_contacts();
  EXPECT_THAT(CustomerToRow(c, {"pool_state", "tier", "contact_name", "contact_email"}),
              ElementsAre("public_pool", "", "", ""));
}

TEST(CustomerCsvExportTest, FirstContactIsUsedWhenNoneIsPrimary) {
  v1::Customer c = ExportCustomer();
  c.mutable_contacts(1)->set_primary(false);
  EXPECT_THAT(CustomerToRow(c, {"contact_name"}), ElementsAre("李四"));
}

TEST(CustomerCsvExportTest, ExportImportRoundTripKeepsTheFields) {
  const v1::Customer original = ExportCustomer();
  const std::string bytes = WriteCsv(CustomerCsvColumns(), {CustomerToRow(original, {})});
  absl::StatusOr<CsvDocument> doc = ParseCsv(bytes, 10);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->rows.size(), 1u);
  ASSERT_THAT(doc->rows[0].error, IsEmpty());
  EXPECT_EQ(doc->rows[0].cells[3], "'+86 571 8888 0000");  // neutralised on the way out
  absl::StatusOr<CustomerColumns> cols = MapHeader(doc->header);
  ASSERT_TRUE(cols.ok()) << cols.status();
  const CustomerRow r = RowToCustomer(*cols, doc->rows[0].cells);
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.customer_id, "c-001");
  const v1::Customer& c = r.customer;
  EXPECT_EQ(c.phone(), "+86 571 8888 0000");
  EXPECT_EQ(c.display_name(), original.display_name());
  EXPECT_EQ(c.address(), original.address());
  EXPECT_EQ(c.tax_id(), original.tax_id());
  EXPECT_EQ(c.tags().region(), "orgUnits/r1");
  EXPECT_EQ(c.owner(), "members/m1");
  EXPECT_EQ(c.team(), "orgUnits/t1");
  EXPECT_THAT(c.tags().labels(), UnorderedElementsAre(Pair("a", "1"), Pair("b", "2")));
  ASSERT_EQ(c.contacts_size(), 1);
  EXPECT_EQ(c.contacts(0).display_name(), "张三");
  EXPECT_EQ(c.contacts(0).email(), "z@example.com");
}

}  // namespace
}  // namespace salesops::customers
