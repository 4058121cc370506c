// Tests for the salesops-forecast CSV reader and writer: a valid file parses
// into series in order of first appearance, every malformed input is rejected
// with the line number and what is wrong, and output dates step by month or
// week.
#include "tools/forecast/series_csv.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ErrorOf(absl::string_view csv, Frequency f = Frequency::kMonthly) {
  absl::StatusOr<std::vector<InputSeries>> r = ParseSeriesCsv(csv, f);
  EXPECT_FALSE(r.ok()) << csv;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(ParseSeriesCsvTest, ParsesSeriesInOrderOfFirstAppearance) {
  absl::StatusOr<std::vector<InputSeries>> r = ParseSeriesCsv(
      "series_id,date,value\r\n"
      "b,2024-01-31,1.5\r\n"
      "a,2024-01-01,10\n"
      "b,2024-02-29,2.5\n"
      "\n"
      "a,2024-02-01,-3e2\n",
      Frequency::kMonthly);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, "b");
  EXPECT_THAT((*r)[0].values, ElementsAre(1.5, 2.5));
  EXPECT_EQ((*r)[1].id, "a");
  EXPECT_THAT((*r)[1].values, ElementsAre(10, -300));
  EXPECT_EQ((*r)[1].dates[1], absl::CivilDay(2024, 2, 1));
}

TEST(ParseSeriesCsvTest, AcceptsColumnsInAnyOrderQuotedIdsAndExtraColumns) {
  absl::StatusOr<std::vector<InputSeries>> r = ParseSeriesCsv(
      "value,note,date,series_id\n"
      "1,x,2024-01-01,\"acme, inc\"\n"
      "2,y,2024-01-08,\"acme, inc\"\n",
      Frequency::kWeekly);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].id, "acme, inc");
  EXPECT_THAT((*r)[0].values, ElementsAre(1, 2));
}

TEST(ParseSeriesCsvTest, MissingHeaderOrColumnIsLineOne) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("line 1: missing header"));
  EXPECT_THAT(ErrorOf("series_id,date\na,2024-01-01\n"),
              HasSubstr("line 1: missing column 'value'"));
  EXPECT_THAT(ErrorOf("a,2024-01-01,5\n"), HasSubstr("line 1: missing column 'series_id'"));
}

TEST(ParseSeriesCsvTest, WrongFieldCountNamesTheLine) {
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,5\na,2024-02-01\n"),
              HasSubstr("line 3: expected 3 fields, got 2"));
}

TEST(ParseSeriesCsvTest, NonNumericValueNamesTheLineAndTheValue) {
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,5\na,2024-02-01,abc\n"),
              HasSubstr("line 3: value 'abc' is not a finite number"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,nan\n"), HasSubstr("line 2: value"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,\n"), HasSubstr("line 2: value ''"));
}

TEST(ParseSeriesCsvTest, BadDatesNameTheLine) {
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024/01/01,5\n"),
              HasSubstr("line 2: date '2024/01/01' is not a valid YYYY-MM-DD"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2023-02-29,5\n"), HasSubstr("line 2: date"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,24-1-1,5\n"), HasSubstr("line 2: date"));
}

TEST(ParseSeriesCsvTest, EmptySeriesIdNamesTheLine) {
  EXPECT_THAT(ErrorOf("series_id,date,value\n,2024-01-01,5\n"),
              HasSubstr("line 2: empty series_id"));
}

TEST(ParseSeriesCsvTest, UnsortedDatesNameBothLines) {
  const std::string e =
      ErrorOf("series_id,date,value\na,2024-03-01,1\nb,2024-01-01,1\na,2024-02-01,2\n");
  EXPECT_THAT(e, HasSubstr("line 4:"));
  EXPECT_THAT(e, HasSubstr("sorted ascending"));
  EXPECT_THAT(e, HasSubstr("previous row at line 2"));
}

TEST(ParseSeriesCsvTest, DuplicateMonthOrDateIsRejected) {
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,1\na,2024-01-15,2\n"),
              HasSubstr("line 3: duplicate month 2024-01-15"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,1\na,2024-01-01,2\n", Frequency::kWeekly),
              HasSubstr("line 3: duplicate date"));
}

TEST(ParseSeriesCsvTest, GapsAreRejectedWithTheExpectedDate) {
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,1\na,2024-03-01,2\n"),
              HasSubstr("line 3: gap: 2024-03-01 in series 'a'"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,1\na,2024-01-01,2\n"),
              HasSubstr("line 3"));
  EXPECT_THAT(ErrorOf("series_id,date,value\na,2024-01-01,1\na,2024-01-15,2\n", Frequency::kWeekly),
              HasSubstr("expected 2024-01-08"));
}

TEST(ParseSeriesCsvTest, HeaderOnlyHasNoDataRows) {
  EXPECT_THAT(ErrorOf("series_id,date,value\n"), HasSubstr("no data rows"));
}

TEST(ParseSeriesCsvTest, UnterminatedQuoteNamesTheLine) {
  EXPECT_THAT(ErrorOf("series_id,date,value\n\"a,2024-01-01,1\n"),
              HasSubstr("line 2: unterminated quoted field"));
}

TEST(StepDateTest, MonthlyKeepsTheDayAndMonthEnds) {
  EXPECT_EQ(StepDate(absl::CivilDay(2024, 1, 15), 1, Frequency::kMonthly),
            absl::CivilDay(2024, 2, 15));
  EXPECT_EQ(StepDate(absl::CivilDay(2024, 1, 31), 1, Frequency::kMonthly),
            absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(StepDate(absl::CivilDay(2024, 2, 29), 1, Frequency::kMonthly),
            absl::CivilDay(2024, 3, 31));
  EXPECT_EQ(StepDate(absl::CivilDay(2024, 11, 1), 3, Frequency::kMonthly),
            absl::CivilDay(2025, 2, 1));
  EXPECT_EQ(StepDate(absl::CivilDay(2024, 12, 30), 2, Frequency::kWeekly),
            absl::CivilDay(2025, 1, 13));
}

TEST(FormatForecastRowsTest, WritesOneRowPerStep) {
  InputSeries s{"acme, inc", {absl::CivilDay(2024, 1, 1)}, {1}};
  SeriesForecast f;
  f.method = Method::kHwAdditive;
  f.path = {{10, 11.5}, {8, 9}, {12, 14.25}};
  EXPECT_EQ(CsvHeader(), "series_id,step,date,forecast,lo,hi,method\n");
  EXPECT_EQ(FormatForecastRows(s, f, Frequency::kMonthly),
            "\"acme, inc\",1,2024-02-01,10.0000,8.0000,12.0000,hw_add\n"
            "\"acme, inc\",2,2024-03-01,11.5000,9.0000,14.2500,hw_add\n");
}

}  // namespace
}  // namespace salesops::forecast
