#include "common/csv/csv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/errors.h"
#include "common/validation/validation.h"

namespace salesops {
namespace {

// Splits the file into records; a record may span lines inside quotes.
struct Record {
  int line;
  std::vector<std::string> cells;
  bool bad_quote = false;
};

}  // namespace

absl::StatusOr<CsvDocument> ParseCsv(absl::string_view in, size_t max_rows) {
  if (absl::StartsWith(in, kUtf8Bom)) {
    in.remove_prefix(kUtf8Bom.size());
  }
  std::vector<Record> records;
  size_t i = 0;
  int line = 1;
  while (i < in.size()) {
    Record rec{line, {}, false};
    std::string cell;
    bool in_quotes = false, quoted = false, end_of_record = false;
    while (i < in.size() && !end_of_record) {
      const char ch = in[i];
      if (in_quotes) {
        if (ch == '"') {
          if (i + 1 < in.size() && in[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
          } else {
            in_quotes = false;
            ++i;
          }
        } else {
          if (ch == '\n') {
            ++line;
          }
          cell.push_back(ch);
          ++i;
        }
        continue;
      }
      switch (ch) {
        case '"':
          if (cell.empty() && !quoted) {
            in_quotes = quoted = true;
          } else {
            rec.bad_quote = true;  // quote in the middle of an unquoted cell
            cell.push_back(ch);
          }
          ++i;
          break;
        case ',':
          rec.cells.push_back(std::move(cell));
          cell.clear();
          quoted = false;
          ++i;
          break;
        case '\r':
          ++i;
          if (i < in.size() && in[i] == '\n') {
            ++i;
          }
          ++line;
          end_of_record = true;
          break;
        case '\n':
          ++i;
          ++line;
          end_of_record = true;
          break;
        default:
          if (quoted) {
            rec.bad_quote = true;  // text after a closing quote
          }
          cell.push_back(ch);
          ++i;
      }
    }
    if (in_quotes) {
      return InvalidField(
          "csv", absl::StrCat("line ", rec.line, ": a quoted cell is never closed (missing \")"));
    }
    rec.cells.push_back(std::move(cell));
    const bool blank = rec.cells.size() == 1 && rec.cells[0].empty() && !quoted;
    if (!blank) {
      records.push_back(std::move(rec));
    }
    if (records.size() > max_rows + 1) {
      return InvalidField("csv", absl::StrCat("more than ", max_rows,
                                              " rows; split the file into smaller imports"));
    }
  }
  if (records.empty()) {
    return InvalidField("csv", "is empty; the first line must be the header");
  }
  CsvDocument doc;
  doc.header = std::move(records[0].cells);
  for (std::string& h : doc.header) {
    h = std::string(absl::StripAsciiWhitespace(h));
  }
  if (records[0].bad_quote || Utf8Length(absl::StrJoin(doc.header, ",")) < 0) {
    return InvalidField("csv", "the header line is malformed (quotes or encoding)");
  }
  for (size_t r = 1; r < records.size(); ++r) {
    CsvRow row;
    row.line = records[r].line;
    row.cells = std::move(records[r].cells);
    if (records[r].bad_quote) {
      row.error =
          "malformed quoting (a quote inside an unquoted cell or text after a closing quote)";
    } else if (row.cells.size() != doc.header.size()) {
      row.error =
          absl::StrCat("has ", row.cells.size(), " cells; the header has ", doc.header.size());
    } else {
      for (const std::string& c : row.cells) {
        if (Utf8Length(c) < 0) {
          row.error = "is not valid UTF-8 (save the file as \"CSV UTF-8\")";
          break;
        }
      }
    }
    doc.rows.push_back(std::move(row));
  }
  return doc;
}

bool LooksLikeFormula(absl::string_view v) {
  if (v.empty()) {
    return false;
  }
  // A leading tab or carriage return is itself a trigger in some spreadsheets;
  // spaces and line breaks are skipped before a formula sign by others.
  if (v[0] == '\t' || v[0] == '\r') {
    return true;
  }
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\n')) {
    ++i;
  }
  return i < v.size() &&
         (v[i] == '=' || v[i] == '+' || v[i] == '-' || v[i] == '@' || v[i] == '\t' || v[i] == '\r');
}

std::string CsvCell(absl::string_view value) {
  std::string v(value);
  if (LooksLikeFormula(v)) {
    v.insert(0, "'");
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) {
    return v;
  }
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') {
      out.push_back('"');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string WriteCsv(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows, bool bom) {
  std::string out = bom ? std::string(kUtf8Bom) : "";
  auto line = [&out](const std::vector<std::string>& cells) {
    // A lone empty cell would be a blank line, which readers skip: quote it.
    if (cells.size() == 1 && cells[0].empty()) {
      out += "\"\"";
    }
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) {
        out.push_back(',');
      }
      out += CsvCell(cells[i]);
    }
    out += "\r\n";
  };
  line(header);
  for (const auto& r : rows) {
    line(r);
  }
  return out;
}

}  // namespace salesops
