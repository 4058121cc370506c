// Tests for the shared request validation helpers: UTF-8 lengths, text
// checks, page size and page tokens, resource names.
#include "common/validation/validation.h"

#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The violations collected so far, as (field, description) pairs.
std::vector<FieldViolation> Collected(const Violations& v) { return FieldViolations(v.Finish()); }

// The single description recorded for `field`, or "" when v is clean.
std::string OnlyViolation(const Violations& v, const std::string& field) {
  std::vector<FieldViolation> list = Collected(v);
  EXPECT_THAT(list, SizeIs(1));
  if (list.size() != 1) {
    return "";
  }
  EXPECT_EQ(list[0].field, field);
  return list[0].description;
}

// ASCII, multi-byte and 4-byte code points each count as one character.
TEST(Utf8LengthTest, CountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0);
  EXPECT_EQ(Utf8Length("abc"), 3);
  EXPECT_EQ(Utf8Length("华东大区"), 4);  // 12 bytes
  EXPECT_EQ(Utf8Length("é"), 1);
  EXPECT_EQ(Utf8Length("\xF0\x9F\x98\x80"), 1);  // U+1F600, 4 bytes
  EXPECT_EQ(Utf8Length(absl::string_view("a\0b", 3)), 3);
  EXPECT_EQ(Utf8Length("销售A组"), 4);
}

// The edges of the valid ranges are accepted.
TEST(Utf8LengthTest, AcceptsRangeBoundaries) {
  EXPECT_EQ(Utf8Length("\x7F"), 1);              // U+007F, last 1-byte
  EXPECT_EQ(Utf8Length("\xC2\x80"), 1);          // U+0080, first 2-byte
  EXPECT_EQ(Utf8Length("\xE0\xA0\x80"), 1);      // U+0800, first 3-byte
  EXPECT_EQ(Utf8Length("\xED\x9F\xBF"), 1);      // U+D7FF, just below surrogates
  EXPECT_EQ(Utf8Length("\xEE\x80\x80"), 1);      // U+E000, just above surrogates
  EXPECT_EQ(Utf8Length("\xF0\x90\x80\x80"), 1);  // U+10000, first 4-byte
  EXPECT_EQ(Utf8Length("\xF4\x8F\xBF\xBF"), 1);  // U+10FFFF, the last code point
}

// Stray, truncated and impossible bytes make the string invalid.
TEST(Utf8LengthTest, RejectsInvalidBytes) {
  EXPECT_EQ(Utf8Length("\xFF"), -1);
  EXPECT_EQ(Utf8Length("\xFE"), -1);
  EXPECT_EQ(Utf8Length("\x80"), -1);  // lone continuation byte
  EXPECT_EQ(Utf8Length("abc\xBF"), -1);
  EXPECT_EQ(Utf8Length("\xE5\x8D"), -1);  // truncated 3-byte sequence
  EXPECT_EQ(Utf8Length("\xE5\x8D"
                       "a"),
            -1);                                      // continuation replaced by ASCII
  EXPECT_EQ(Utf8Length("华东\xE5"), -1);              // truncated at the end
  EXPECT_EQ(Utf8Length("\xF8\x88\x80\x80\x80"), -1);  // 5-byte form
}

// Overlong encodings of characters that fit in fewer bytes are rejected.
TEST(Utf8LengthTest, RejectsOverlong) {
  EXPECT_EQ(Utf8Length("\xC0\xAF"), -1);          // '/' in 2 bytes
  EXPECT_EQ(Utf8Length("\xC1\xBF"), -1);          // U+007F in 2 bytes
  EXPECT_EQ(Utf8Length("\xE0\x80\xAF"), -1);      // '/' in 3 bytes
  EXPECT_EQ(Utf8Length("\xE0\x9F\xBF"), -1);      // U+07FF in 3 bytes
  EXPECT_EQ(Utf8Length("\xF0\x80\x80\xAF"), -1);  // '/' in 4 bytes
  EXPECT_EQ(Utf8Length("\xF0\x8F\xBF\xBF"), -1);  // U+FFFF in 4 bytes
}

// UTF-16 surrogates and code points above U+10FFFF are not valid UTF-8.
TEST(Utf8LengthTest, RejectsSurrogatesAndOutOfRange) {
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), -1);              // U+D800
  EXPECT_EQ(Utf8Length("\xED\xBF\xBF"), -1);              // U+DFFF
  EXPECT_EQ(Utf8Length("\xED\xA0\xBD\xED\xB8\x80"), -1);  // CESU-8 pair
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), -1);          // U+110000
  EXPECT_EQ(Utf8Length("\xF7\xBF\xBF\xBF"), -1);
}

// Text within bounds adds nothing; tabs and newlines are allowed.
TEST(CheckTextTest, AcceptsValidText) {
  Violations v;
  CheckText(v, "f", "华东大区", 1, 100);
  CheckText(v, "f", "line one\nline\ttwo", 0, 100);
  CheckText(v, "f", "", 0, 10);
  EXPECT_TRUE(v.empty());
}

// An empty value below min 1 reads "must not be empty"; larger minimums give the number.
TEST(CheckTextTest, TooShort) {
  Violations v;
  CheckText(v, "org_unit.display_name", "", 1, 100);
  EXPECT_EQ(OnlyViolation(v, "org_unit.display_name"), "must not be empty");

  Violations w;
  CheckText(w, "member.email", "ab", 3, 254);
  EXPECT_EQ(OnlyViolation(w, "member.email"), "must have at least 3 characters");
}

// Length is counted in characters, not bytes: 4 Chinese characters (12 bytes) fit max 4.
TEST(CheckTextTest, TooLongCountsCharacters) {
  Violations ok;
  CheckText(ok, "name", "华东大区", 1, 4);
  EXPECT_TRUE(ok.empty());

  Violations v;
  CheckText(v, "name", "华东大区", 1, 3);
  EXPECT_EQ(OnlyViolation(v, "name"), "must have at most 3 characters, has 4");

  // And a short-in-characters value is not "too short" because of its bytes.
  Violations w;
  CheckText(w, "name", "华", 2, 10);
  EXPECT_EQ(OnlyViolation(w, "name"), "must have at least 2 characters");
}

// C0 control characters, DEL and C1 controls are rejected.
TEST(CheckTextTest, RejectsControlCharacters) {
  for (absl::string_view bad :
       {absl::string_view("a\x01z"), absl::string_view("a\rz"), absl::string_view("\x1b[31m"),
        absl::string_view("a\0z", 3), absl::string_view("a\x7Fz"),
        absl::string_view("a\xC2\x85z") /* U+0085 NEL */,
        absl::string_view("a\xC2\x9Bz") /* U+009B CSI */}) {
    SCOPED_TRACE(absl::CEscape(bad));
    Violations v;
    CheckText(v, "f", bad, 0, 100);
    EXPECT_EQ(OnlyViolation(v, "f"), "must not contain control characters");
  }
  // Neighbours of the C1 block are ordinary characters.
  Violations ok;
  CheckText(ok, "f", "\xC2\xA0\xC2\xA9", 0, 100);  // NBSP, ©
  EXPECT_TRUE(ok.empty());
}

// Invalid UTF-8 is reported as such (and only once).
TEST(CheckTextTest, RejectsInvalidUtf8) {
  Violations v;
  CheckText(v, "f", "\xC0\xAF", 0, 100);
  EXPECT_EQ(OnlyViolation(v, "f"), "must be valid UTF-8");
}

// Violations accumulate across fields so one response names them all.
TEST(CheckTextTest, AccumulatesAcrossFields) {
  Violations v;
  CheckText(v, "a", "", 1, 10);
  CheckText(v, "b", "ok", 1, 10);
  CheckText(v, "c", "too long", 1, 3);
  std::vector<FieldViolation> list = Collected(v);
  ASSERT_THAT(list, SizeIs(2));
  EXPECT_EQ(list[0].field, "a");
  EXPECT_EQ(list[1].field, "c");
}

// Negative page sizes are a violation (and fall back to the default).
TEST(CheckPageSizeTest, NegativeIsViolation) {
  Violations v;
  EXPECT_EQ(CheckPageSize(v, "page_size", -1, 50, 500), 50);
  EXPECT_EQ(OnlyViolation(v, "page_size"), "must not be negative");
}

// 0 means the default; sizes within range pass through; above max clamps to max (AIP-158).
TEST(CheckPageSizeTest, DefaultAndClamp) {
  Violations v;
  EXPECT_EQ(CheckPageSize(v, "page_size", 0, 50, 500), 50);
  EXPECT_EQ(CheckPageSize(v, "page_size", 1, 50, 500), 1);
  EXPECT_EQ(CheckPageSize(v, "page_size", 499, 50, 500), 499);
  EXPECT_EQ(CheckPageSize(v, "page_size", 500, 50, 500), 500);
  EXPECT_EQ(CheckPageSize(v, "page_size", 501, 50, 500), 500);
  EXPECT_EQ(CheckPageSize(v, "page_size", 2147483647, 50, 500), 500);
  EXPECT_TRUE(v.empty());
}

// A token decodes back to the cursor it was made from, under the same filter.
TEST(PageTokenTest, RoundTrip) {
  PageCursor cursor{"unit-0042", "orgUnits/acme|3"};
  std::string token = EncodePageToken(cursor);
  EXPECT_THAT(token, testing::Not(HasSubstr("unit-0042")));  // opaque, not plain text
  Violations v;
  std::optional<PageCursor> back = DecodePageToken(v, "page_token", token, "orgUnits/acme|3");
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->after, "unit-0042");
  EXPECT_EQ(back->filter, "orgUnits/acme|3");
}

// An empty filter and a key with separators survive the round trip.
TEST(PageTokenTest, RoundTripEdgeValues) {
  PageCursor cursor{"key\nwith newline|and pipe", ""};
  Violations v;
  std::optional<PageCursor> back = DecodePageToken(v, "t", EncodePageToken(cursor), "");
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->after, cursor.after);
}

// An empty token means the first page: no cursor and no violation.
TEST(PageTokenTest, EmptyTokenIsFirstPage) {
  Violations v;
  EXPECT_FALSE(DecodePageToken(v, "page_token", "", "f").has_value());
  EXPECT_TRUE(v.empty());
}

// Non-base64 input, wrong versions and missing parts are "malformed page token".
TEST(PageTokenTest, MalformedTokens) {
  for (const std::string& bad :
       {std::string("not base64 !!!"), absl::WebSafeBase64Escape("v2\nf\nafter"),
        absl::WebSafeBase64Escape("v1\nf"), absl::WebSafeBase64Escape("v1\nf\n"),
        absl::WebSafeBase64Escape("garbage")}) {
    SCOPED_TRACE(bad);
    Violations v;
    EXPECT_FALSE(DecodePageToken(v, "page_token", bad, "f").has_value());
    EXPECT_EQ(OnlyViolation(v, "page_token"), "malformed page token");
  }
}

// A token minted for one filter is rejected when replayed against another.
TEST(PageTokenTest, OtherFilterRejected) {
  std::string token = EncodePageToken({"unit-9", "orgUnits/acme|3"});
  Violations v;
  EXPECT_FALSE(DecodePageToken(v, "page_token", token, "orgUnits/acme|2").has_value());
  EXPECT_EQ(OnlyViolation(v, "page_token"), "page token belongs to a list with other filters");
}

// "collection/id" yields the id.
TEST(ParseResourceNameTest, Valid) {
  Violations v;
  EXPECT_EQ(ParseResourceName(v, "name", "orgUnits/acme", "orgUnits"), "acme");
  EXPECT_EQ(ParseResourceName(v, "name", "members/3f2b-4a1c-9", "members"), "3f2b-4a1c-9");
  EXPECT_TRUE(v.empty());
}

// An empty name says it is required and shows the expected shape.
TEST(ParseResourceNameTest, EmptyIsRequired) {
  Violations v;
  EXPECT_EQ(ParseResourceName(v, "name", "", "orgUnits"), "");
  EXPECT_EQ(OnlyViolation(v, "name"), "required, e.g. 'orgUnits/{id}'");
}

// Wrong collection, missing id, bad id characters, too short ids and nested paths are rejected.
TEST(ParseResourceNameTest, Malformed) {
  for (absl::string_view bad :
       {"members/acme", "orgUnits/", "orgUnits", "orgUnitsX/acme", "orgUnits/ab", "orgUnits/a b c",
        "orgUnits/acme/x", "orgUnits/-acme", "orgUnits/华东大区", "/orgUnits/acme"}) {
    SCOPED_TRACE(bad);
    Violations v;
    EXPECT_EQ(ParseResourceName(v, "org_unit.parent", bad, "orgUnits"), "");
    EXPECT_THAT(OnlyViolation(v, "org_unit.parent"), HasSubstr("must be 'orgUnits/{id}'"));
  }
}

}  // namespace
}  // namespace salesops
