// RFC 4180 CSV as Excel reads and writes it (shared: the customers import and
// export, the performance service's payroll export): UTF-8 with a byte-order mark,
// CRLF line ends, quoted fields with "" escapes and embedded line breaks.
// Cells that a spreadsheet would run as a formula (= + - @ at the start) are
// written with a leading apostrophe. Parsing reports errors per row rather
// than giving up, so an import can say exactly what is wrong where.
//
//   SALESOPS_ASSIGN_OR_RETURN(CsvDocument doc, ParseCsv(bytes, 20000));
//   for (const CsvRow& row : doc.rows) { ... row.error ... row.cells ... }
//   std::string out = WriteCsv({"name", "phone"}, rows);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salesops {

inline constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

struct CsvRow {
  int line = 0;  // 1-based line of the row's start in the file (header is line 1)
  std::vector<std::string> cells;
  std::string error;  // non-empty: the row is malformed (cells may be partial)
};

struct CsvDocument {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

// INVALID_ARGUMENT (field "csv") when the file as a whole is unusable: empty,
// no header, more than `max_rows` rows, or an unterminated quote. A row with
// the wrong number of cells or invalid UTF-8 gets CsvRow::error instead.
// Blank lines are skipped.
absl::StatusOr<CsvDocument> ParseCsv(absl::string_view bytes, size_t max_rows);

// Whether a spreadsheet could run the cell as a formula: it starts with = + - @,
// a tab or a carriage return, also after leading spaces or line breaks.
bool LooksLikeFormula(absl::string_view value);
// Quotes a cell when it needs it; neutralises formula-looking cells with a
// leading apostrophe.
std::string CsvCell(absl::string_view value);
// BOM, header, rows, CRLF.
std::string WriteCsv(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows, bool bom = true);

}  // namespace salesops
