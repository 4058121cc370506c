// Fuzzes the customer CSV import and export (common/csv/csv.*, services/
// customers/domain/customer_csv.*), in two modes chosen by the last byte:
//
// Import: any bytes → ParseCsv → MapHeader → RowToCustomer for every row, as
//   ImportCustomersCsv runs them. Invariants: never a crash or UB; a file-level
//   error is INVALID_ARGUMENT naming the field "csv"; every message is valid
//   UTF-8 (it travels in proto strings); rows are at most max_rows, start on
//   strictly increasing lines >= 2, and a row without an error has as many
//   cells as the header, all valid UTF-8; MapHeader maps each known column at
//   most once and requires display_name; every row error names a CSV column
//   (one of CustomerCsvColumns()) and says what is wrong; a row that converts
//   cleanly exports (CustomerToRow) to a row that converts to the same
//   customer.
//
// Round trip: fuzzed header and cells → WriteCsv → ParseCsv gives back every
//   cell (the header trimmed), with formula-looking cells (LooksLikeFormula)
//   coming back with the leading apostrophe that neutralises them; a row has an
//   error exactly when its width differs from the header or a cell is not
//   UTF-8.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/csv/csv.h"
#include "common/status/errors.h"
#include "common/validation/validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/customers/domain/customer_csv.h"

namespace {

using namespace salesops;
using namespace salesops::customers;

// A file-level CSV error: INVALID_ARGUMENT with the field "csv" and a message.
void CheckFileError(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  if (Utf8Length(s.message()) < 0) {
    __builtin_trap();  // it travels in proto string fields
  }
  const std::vector<FieldViolation> fv = FieldViolations(s);
  if (fv.empty()) {
    __builtin_trap();
  }
  for (const FieldViolation& v : fv) {
    if (v.field != "csv" || v.description.empty()) {
      __builtin_trap();
    }
  }
}

bool IsKnownColumn(const std::string& column) {
  const std::vector<std::string>& cols = CustomerCsvColumns();
  return std::find(cols.begin(), cols.end(), column) != cols.end();
}

void Import(FuzzedDataProvider& in) {
  const size_t max_rows = in.PickValueInArray<size_t>({0, 1, 3, 50, 20000});
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  absl::StatusOr<CsvDocument> doc = ParseCsv(bytes, max_rows);
  if (!doc.ok()) {
    CheckFileError(doc.status());
    return;
  }
  if (doc->rows.size() > max_rows) {
    __builtin_trap();
  }
  int last_line = 1;
  for (const CsvRow& row : doc->rows) {
    if (row.line <= last_line) {
      __builtin_trap();
    }
    last_line = row.line;
    if (!row.error.empty()) {
      if (Utf8Length(row.error) < 0) {
        __builtin_trap();
      }
      continue;
    }
    if (row.cells.size() != doc->header.size()) {
      __builtin_trap();
    }
    for (const std::string& c : row.cells) {
      if (Utf8Length(c) < 0) {
        __builtin_trap();
      }
    }
  }
  absl::StatusOr<CustomerColumns> cols = MapHeader(doc->header);
  if (!cols.ok()) {
    CheckFileError(cols.status());
    return;
  }
  if (cols->index.size() != CustomerCsvColumns().size()) {
    __builtin_trap();
  }
  std::vector<int> used;
  for (int i : cols->index) {
    if (i < -1 || i >= static_cast<int>(doc->header.size())) {
      __builtin_trap();
    }
    if (i >= 0) {
      used.push_back(i);
    }
  }
  std::sort(used.begin(), used.end());
  if (std::adjacent_find(used.begin(), used.end()) != used.end()) {
    __builtin_trap();
  }
  if (cols->Of("display_name") < 0) {
    __builtin_trap();
  }

  // Only the first rows get the (more expensive) export round trip.
  int round_trips = 0;
  for (const CsvRow& row : doc->rows) {
    if (!row.error.empty()) {
      continue;  // reported as is by the import
    }
    const CustomerRow parsed = RowToCustomer(*cols, row.cells);
    for (const ColumnError& e : parsed.errors) {
      if (!IsKnownColumn(e.column) || e.message.empty() || Utf8Length(e.message) < 0) {
        __builtin_trap();
      }
    }
    if (!parsed.errors.empty() || round_trips++ >= 4) {
      continue;
    }
    const std::vector<std::string>& all = CustomerCsvColumns();
    absl::StatusOr<CsvDocument> back =
        ParseCsv(WriteCsv(all, {CustomerToRow(parsed.customer, {})}), 10);
    if (!back.ok() || back->rows.size() != 1 || !back->rows[0].error.empty()) {
      __builtin_trap();
    }
    absl::StatusOr<CustomerColumns> back_cols = MapHeader(back->header);
    if (!back_cols.ok()) {
      __builtin_trap();
    }
    const CustomerRow again = RowToCustomer(*back_cols, back->rows[0].cells);
    if (!again.errors.empty()) {
      __builtin_trap();
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(again.customer, parsed.customer)) {
      __builtin_trap();
    }
  }
}

// What ParseCsv must give back for a cell WriteCsv wrote.
std::string Neutralised(const std::string& cell) {
  return LooksLikeFormula(cell) ? "'" + cell : cell;
}

std::string FuzzCell(FuzzedDataProvider& in) {
  // Mostly pieces that matter to CSV and formulas, sometimes raw bytes.
  static constexpr const char* kPieces[] = {
      "a", "中", " ", ",", "\"", "\n", "\r", "\r\n", "=", "+", "-", "@", "\t", "'", ";", ":",
  };
  std::string cell;
  const int n = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < n; ++i) {
    if (in.ConsumeBool()) {
      cell += in.PickValueInArray(kPieces);
    } else {
      cell += in.ConsumeRandomLengthString(4);
    }
  }
  return cell;
}

void RoundTrip(FuzzedDataProvider& in) {
  const bool bom = in.ConsumeBool();
  const size_t width = in.ConsumeIntegralInRange<size_t>(1, 5);
  std::vector<std::string> header;
  for (size_t i = 0; i < width; ++i) {
    std::string h = FuzzCell(in);
    if (Utf8Length(h) < 0) {
      h = "h";  // a non-UTF-8 header is a file error (tested in Import)
    }
    header.push_back(h);
  }
  // Without a BOM of our own, a header starting with one would lose it as "the" BOM.
  if (!bom && absl::StartsWith(header[0], kUtf8Bom)) {
    header[0].insert(0, "x");
  }
  std::vector<std::vector<std::string>> rows(in.ConsumeIntegralInRange(0, 4));
  for (auto& row : rows) {
    const size_t n = in.ConsumeIntegralInRange(0, 3) == 0 ? in.ConsumeIntegralInRange(1, 6) : width;
    for (size_t c = 0; c < n; ++c) {
      row.push_back(FuzzCell(in));
    }
  }
  const std::string csv = WriteCsv(header, rows, bom);
  absl::StatusOr<CsvDocument> doc = ParseCsv(csv, 20000);
  if (!doc.ok()) {
    __builtin_trap();  // what we write must parse
  }
  if (doc->header.size() != width) {
    __builtin_trap();
  }
  for (size_t i = 0; i < width; ++i) {
    if (doc->header[i] != absl::StripAsciiWhitespace(Neutralised(header[i]))) {
      __builtin_trap();
    }
  }
  if (doc->rows.size() != rows.size()) {
    __builtin_trap();
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    const CsvRow& got = doc->rows[r];
    if (got.cells.size() != rows[r].size()) {
      __builtin_trap();
    }
    bool utf8 = true;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      if (got.cells[c] != Neutralised(rows[r][c])) {
        __builtin_trap();
      }
      utf8 = utf8 && Utf8Length(rows[r][c]) >= 0;
    }
    const bool ok = rows[r].size() == width && utf8;
    if (ok != got.error.empty()) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    Import(in);
  } else {
    RoundTrip(in);
  }
  return 0;
}
