// Tests for the RFC 4180 CSV reader and writer: BOM, line ends, quoting,
// embedded line breaks and line numbers, per-row errors, limits, formula
// neutralisation and write/parse round trips.
#include "common/csv/csv.h"

#include <random>
#include <string>
#include <vector>

#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

CsvDocument MustParse(absl::string_view bytes, size_t max_rows = 100) {
  absl::StatusOr<CsvDocument> doc = ParseCsv(bytes, max_rows);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : CsvDocument{};
}

void ExpectCsvError(absl::string_view bytes, size_t max_rows, absl::string_view message_part) {
  const absl::Status s = ParseCsv(bytes, max_rows).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
  EXPECT_THAT(Fields(s), ElementsAre("csv"));
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(message_part)));
}

// ---- Parsing -------------------------------------------------------------------

TEST(CsvParseTest, ByteOrderMarkIsStripped) {
  const CsvDocument doc = MustParse("\xEF\xBB\xBFname,phone\r\n张三,123\r\n");
  EXPECT_THAT(doc.header, ElementsAre("name", "phone"));
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("张三", "123"));
  EXPECT_EQ(doc.rows[0].line, 2);
  EXPECT_THAT(doc.rows[0].error, IsEmpty());
}

TEST(CsvParseTest, FileWithoutBomParsesTheSame) {
  const CsvDocument doc = MustParse("name,phone\r\n张三,123\r\n");
  EXPECT_THAT(doc.header, ElementsAre("name", "phone"));
  ASSERT_EQ(doc.rows.size(), 1u);
}

TEST(CsvParseTest, CrlfLfAndCrLineEndsAreAllAccepted) {
  const CsvDocument doc = MustParse("a,b\r\n1,2\n3,4\r5,6\r\n");
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("1", "2"));
  EXPECT_THAT(doc.rows[1].cells, ElementsAre("3", "4"));
  EXPECT_THAT(doc.rows[2].cells, ElementsAre("5", "6"));
  EXPECT_EQ(doc.rows[0].line, 2);
  EXPECT_EQ(doc.rows[1].line, 3);
  EXPECT_EQ(doc.rows[2].line, 4);
}

TEST(CsvParseTest, LastRowWithoutLineEndIsRead) {
  const CsvDocument doc = MustParse("a,b\n1,2");
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("1", "2"));
}

TEST(CsvParseTest, QuotedCellsKeepCommasAndUndoubleQuotes) {
  const CsvDocument doc = MustParse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"\"\r\n");
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].error, IsEmpty());
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("x, y", "say \"hi\"", ""));
}

TEST(CsvParseTest, EmbeddedLineBreaksKeepFollowingLineNumbersRight) {
  const CsvDocument doc = MustParse(
      "a,b\r\n"                    // line 1
      "1,\"first\r\nsecond\"\r\n"  // lines 2-3
      "2,\"x\ny\nz\"\n"            // lines 4-6
      "3,plain\r\n");              // line 7
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("1", "first\r\nsecond"));
  EXPECT_EQ(doc.rows[0].line, 2);
  EXPECT_THAT(doc.rows[1].cells, ElementsAre("2", "x\ny\nz"));
  EXPECT_EQ(doc.rows[1].line, 4);
  EXPECT_THAT(doc.rows[2].cells, ElementsAre("3", "plain"));
  EXPECT_EQ(doc.rows[2].line, 7);
}

TEST(CsvParseTest, UnterminatedQuoteIsInvalidArgumentNamingCsvAndTheLine) {
  ExpectCsvError("a,b\r\n1,2\r\n3,\"never closed\r\n4,5\r\n", 100, "line 3");
}

TEST(CsvParseTest, WrongCellCountIsARowErrorNotAFileError) {
  const CsvDocument doc = MustParse("a,b\r\n1,2,3\r\n4\r\n5,6\r\n");
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_THAT(doc.rows[0].error, HasSubstr("has 3 cells; the header has 2"));
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("1", "2", "3"));
  EXPECT_THAT(doc.rows[1].error, HasSubstr("has 1 cells"));
  EXPECT_EQ(doc.rows[1].line, 3);
  EXPECT_THAT(doc.rows[2].error, IsEmpty());
}

TEST(CsvParseTest, InvalidUtf8IsARowError) {
  const CsvDocument doc = MustParse("a,b\r\nok,\xC3\x28\r\n\xE5\xBC\xA0,fine\r\n");
  ASSERT_EQ(doc.rows.size(), 2u);
  EXPECT_THAT(doc.rows[0].error, HasSubstr("UTF-8"));
  EXPECT_EQ(doc.rows[0].line, 2);
  EXPECT_THAT(doc.rows[1].error, IsEmpty());
  EXPECT_THAT(doc.rows[1].cells, ElementsAre("张", "fine"));
}

TEST(CsvParseTest, GbkEncodedFileIsARowErrorPerRow) {
  // "张三" in GBK is D5 C5 C8 FD: not UTF-8.
  const CsvDocument doc = MustParse("name\r\n\xD5\xC5\xC8\xFD\r\n");
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].error, HasSubstr("UTF-8"));
}

TEST(CsvParseTest, InvalidUtf8InTheHeaderIsAFileError) {
  ExpectCsvError("na\xFFme,b\r\n1,2\r\n", 100, "header");
}

TEST(CsvParseTest, StrayQuotesAreRowErrors) {
  const CsvDocument doc = MustParse("a,b\r\nx\"y,1\r\n\"q\"tail,2\r\n\"ok\",3\r\n");
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_THAT(doc.rows[0].error, HasSubstr("quot"));
  EXPECT_THAT(doc.rows[1].error, HasSubstr("quot"));
  EXPECT_THAT(doc.rows[2].error, IsEmpty());
  EXPECT_THAT(doc.rows[2].cells, ElementsAre("ok", "3"));
}

TEST(CsvParseTest, MalformedHeaderQuotingIsAFileError) {
  ExpectCsvError("na\"me,b\r\n1,2\r\n", 100, "header");
}

TEST(CsvParseTest, BlankLinesAreSkippedWithoutShiftingLineNumbers) {
  const CsvDocument doc = MustParse("\r\na,b\r\n\r\n1,2\r\n\n\n3,4\r\n\r\n");
  EXPECT_THAT(doc.header, ElementsAre("a", "b"));
  ASSERT_EQ(doc.rows.size(), 2u);
  EXPECT_EQ(doc.rows[0].line, 4);
  EXPECT_EQ(doc.rows[1].line, 7);
}

TEST(CsvParseTest, AQuotedEmptyCellIsNotABlankLine) {
  const CsvDocument doc = MustParse("a\r\n\"\"\r\n");
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre(""));
  EXPECT_THAT(doc.rows[0].error, IsEmpty());
}

TEST(CsvParseTest, ALineOfOnlyCommasIsARowOfEmptyCells) {
  const CsvDocument doc = MustParse("a,b,c\r\n,,\r\n");
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("", "", ""));
}

TEST(CsvParseTest, HeaderCellsAreTrimmedButDataCellsAreNot) {
  const CsvDocument doc = MustParse(" name , phone \r\n a , b \r\n");
  EXPECT_THAT(doc.header, ElementsAre("name", "phone"));
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre(" a ", " b "));
}

TEST(CsvParseTest, HeaderOnlyFileHasNoRows) {
  const CsvDocument doc = MustParse("a,b\r\n");
  EXPECT_THAT(doc.header, ElementsAre("a", "b"));
  EXPECT_THAT(doc.rows, IsEmpty());
}

TEST(CsvParseTest, EmptyFileIsAFileError) {
  ExpectCsvError("", 100, "empty");
  ExpectCsvError("\xEF\xBB\xBF", 100, "empty");
  ExpectCsvError("\r\n\n\r\n", 100, "empty");
}

TEST(CsvParseTest, MaxRowsIsInclusiveAndBlankLinesDoNotCount) {
  const std::string three = "a\r\n1\r\n\r\n2\r\n\r\n3\r\n";
  EXPECT_EQ(MustParse(three, 3).rows.size(), 3u);
  ExpectCsvError(three, 2, "more than 2 rows");
}

// ---- Writing ---------------------------------------------------------------------

TEST(CsvWriteTest, WriteCsvEmitsBomHeaderRowsAndCrlf) {
  EXPECT_EQ(WriteCsv({"name", "phone"}, {{"a", "1"}, {"b", "2"}}),
            "\xEF\xBB\xBFname,phone\r\na,1\r\nb,2\r\n");
  EXPECT_EQ(WriteCsv({"name"}, {{"a"}}, /*bom=*/false), "name\r\na\r\n");
}

TEST(CsvWriteTest, CsvCellQuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvCell("plain 文本"), "plain 文本");
  EXPECT_EQ(CsvCell(""), "");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(CsvCell("cr\rhere"), "\"cr\rhere\"");
}

TEST(CsvWriteTest, FormulaLookingCellsGetALeadingApostrophe) {
  EXPECT_EQ(CsvCell("=SUM(A1:A9)"), "'=SUM(A1:A9)");
  EXPECT_EQ(CsvCell("+86 138 0000 0000"), "'+86 138 0000 0000");
  EXPECT_EQ(CsvCell("-5"), "'-5");
  EXPECT_EQ(CsvCell("@cmd"), "'@cmd");
  EXPECT_EQ(CsvCell("\tx"), "'\tx");
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\",1)"), "\"'=HYPERLINK(\"\"x\"\",1)\"");
  // Formula signs later in the cell are harmless.
  EXPECT_EQ(CsvCell("a=b"), "a=b");
  EXPECT_EQ(CsvCell("1-2"), "1-2");
}

// A leading carriage return, and spaces or line breaks before a formula sign,
// are neutralised too (spreadsheets skip them before evaluating).
TEST(CsvWriteTest, FormulaAfterLeadingWhitespaceOrCarriageReturn) {
  EXPECT_EQ(CsvCell("\r=1+1"), "\"'\r=1+1\"");
  EXPECT_EQ(CsvCell("  =cmd|' /C calc'!A0"), "'  =cmd|' /C calc'!A0");
  EXPECT_EQ(CsvCell("\n@SUM(1)"), "\"'\n@SUM(1)\"");
  EXPECT_EQ(CsvCell(" \t-2"), "' \t-2");
  EXPECT_EQ(CsvCell("  plain"), "  plain");
  EXPECT_EQ(CsvCell(" 1-2"), " 1-2");
}

TEST(CsvWriteTest, RoundTripThroughParseCsvKeepsEveryCell) {
  const std::vector<std::string> header = {"名称", "备注", "空"};
  const std::vector<std::vector<std::string>> rows = {
      {"杭州某某科技有限公司", "逗号, 和 \"引号\"", ""},
      {"multi\nline", "crlf\r\ninside", " spaced "},
      {"", "", ""},
      {"😀 emoji", "a\"\"b", ","},
  };
  const CsvDocument doc = MustParse(WriteCsv(header, rows));
  EXPECT_EQ(doc.header, header);
  ASSERT_EQ(doc.rows.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(doc.rows[i].cells, rows[i]) << "row " << i;
    EXPECT_THAT(doc.rows[i].error, IsEmpty());
  }
  EXPECT_EQ(doc.rows[0].line, 2);
  EXPECT_EQ(doc.rows[1].line, 3);
  EXPECT_EQ(doc.rows[2].line, 6);  // row 1 spans lines 3-5
  EXPECT_EQ(doc.rows[3].line, 7);
}

TEST(CsvWriteTest, FormulaCellsComeBackWithTheirApostrophe) {
  const CsvDocument doc = MustParse(WriteCsv({"phone", "f"}, {{"+86 138 0000 0000", "=1+1"}}));
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre("'+86 138 0000 0000", "'=1+1"));
}

// Found by csv_import_fuzzer: a one-column export with an empty value wrote a
// blank line, which the reader skips, so the row (or the header) was lost.
TEST(CsvWriteTest, ALoneEmptyCellIsNotWrittenAsABlankLine) {
  EXPECT_EQ(WriteCsv({"phone"}, {{""}, {"1"}}, false), "phone\r\n\"\"\r\n1\r\n");
  const CsvDocument doc = MustParse(WriteCsv({"phone"}, {{""}, {"123"}, {""}}));
  EXPECT_THAT(doc.header, ElementsAre("phone"));
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_THAT(doc.rows[0].cells, ElementsAre(""));
  EXPECT_THAT(doc.rows[1].cells, ElementsAre("123"));
  EXPECT_THAT(doc.rows[2].cells, ElementsAre(""));
  const CsvDocument empty_header = MustParse(WriteCsv({""}, {{"x"}}));
  EXPECT_THAT(empty_header.header, ElementsAre(""));
  ASSERT_EQ(empty_header.rows.size(), 1u);
  EXPECT_THAT(empty_header.rows[0].cells, ElementsAre("x"));
}

TEST(CsvWriteTest, RandomCellsRoundTrip) {
  const std::vector<std::string> alphabet = {"a",  "Z", "0", " ", ",", "\"", "\n", "\r\n",
                                             "中", "=", "+", "-", "@", "'",  ";"};
  std::mt19937 rng(4180);
  for (int iter = 0; iter < 500; ++iter) {
    std::vector<std::vector<std::string>> rows(1 + rng() % 4);
    for (auto& row : rows) {
      for (int c = 0; c < 3; ++c) {
        std::string cell;
        for (int n = rng() % 6; n > 0; --n) {
          cell += alphabet[rng() % alphabet.size()];
        }
        row.push_back(cell);
      }
    }
    const CsvDocument doc = MustParse(WriteCsv({"x", "y", "z"}, rows));
    ASSERT_EQ(doc.rows.size(), rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
      for (int c = 0; c < 3; ++c) {
        std::string want = rows[r][c];
        if (LooksLikeFormula(want)) {
          want.insert(0, "'");
        }
        ASSERT_EQ(doc.rows[r].cells.at(c), want) << "iteration " << iter;
      }
      ASSERT_THAT(doc.rows[r].error, IsEmpty());
    }
  }
}

}  // namespace
}  // namespace salesops
