#include "tools/forecast/series_csv.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace salesops::forecast {
namespace {

absl::Status LineError(int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", message));
}

// Splits one CSV record; fields may be double-quoted with "" as an escaped quote.
absl::StatusOr<std::vector<std::string>> SplitRecord(absl::string_view line, int line_number) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : std::string(absl::StripAsciiWhitespace(field)));
      field.clear();
      was_quoted = false;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) {
    return LineError(line_number, "unterminated quoted field");
  }
  fields.push_back(was_quoted ? field : std::string(absl::StripAsciiWhitespace(field)));
  return fields;
}

// Strict YYYY-MM-DD (digits only; the day must exist in that month).
bool ParseDate(absl::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return false;
  }
  int digits[8];
  int k = 0;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
    digits[k++] = text[i] - '0';
  }
  const int year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const int month = digits[4] * 10 + digits[5];
  const int day_of_month = digits[6] * 10 + digits[7];
  const absl::CivilDay parsed(year, month, day_of_month);
  // CivilDay normalises out-of-range fields (2024-02-30 → 2024-03-01): reject those.
  if (parsed.year() != year || parsed.month() != month || parsed.day() != day_of_month) {
    return false;
  }
  *day = parsed;
  return true;
}

int DaysInMonth(absl::CivilMonth month) {
  return static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
}

std::string Quote(absl::string_view field) {
  if (field.find_first_of(",\"\n\r") == absl::string_view::npos) {
    return std::string(field);
  }
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') {
      out += "\"\"";
    } else {
      out.push_back(c);
    }
  }
  out += "\"";
  return out;
}

std::string Number(double value) { return absl::StrFormat("%.4f", value); }

}  // namespace

absl::CivilDay StepDate(absl::CivilDay last, int steps, Frequency frequency) {
  if (frequency == Frequency::kWeekly) {
    return last + 7 * steps;
  }
  const absl::CivilMonth from(last);
  const absl::CivilMonth to = from + steps;
  const bool month_end = last.day() == DaysInMonth(from);
  const int day = month_end ? DaysInMonth(to) : std::min(last.day(), DaysInMonth(to));
  return absl::CivilDay(to.year(), to.month(), day);
}

absl::StatusOr<std::vector<InputSeries>> ParseSeriesCsv(absl::string_view text,
                                                        Frequency frequency) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.empty() || absl::StripAsciiWhitespace(lines[0]).empty()) {
    return LineError(1, "missing header (expected series_id,date,value)");
  }
  auto strip_cr = [](absl::string_view line) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    return line;
  };
  absl::StatusOr<std::vector<std::string>> header = SplitRecord(strip_cr(lines[0]), 1);
  if (!header.ok()) {
    return header.status();
  }
  int id_col = -1, date_col = -1, value_col = -1;
  for (size_t i = 0; i < header->size(); ++i) {
    const std::string name = absl::AsciiStrToLower((*header)[i]);
    if (name == "series_id") {
      id_col = static_cast<int>(i);
    } else if (name == "date") {
      date_col = static_cast<int>(i);
    } else if (name == "value") {
      value_col = static_cast<int>(i);
    }
  }
  for (auto [col, name] : {std::pair{id_col, "series_id"}, std::pair{date_col, "date"},
                           std::pair{value_col, "value"}}) {
    if (col < 0) {
      return LineError(1, absl::StrCat("missing column '", name,
                                       "' in the header (expected series_id,date,value)"));
    }
  }
  const size_t columns = header->size();

  std::vector<InputSeries> series;
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<int> last_line;  // per series, the line of its previous row
  for (size_t i = 1; i < lines.size(); ++i) {
    const int line_number = static_cast<int>(i) + 1;
    const absl::string_view line = strip_cr(lines[i]);
    if (absl::StripAsciiWhitespace(line).empty()) {
      continue;
    }
    absl::StatusOr<std::vector<std::string>> fields = SplitRecord(line, line_number);
    if (!fields.ok()) {
      return fields.status();
    }
    if (fields->size() != columns) {
      return LineError(line_number,
                       absl::StrCat("expected ", columns, " fields, got ", fields->size()));
    }
    const std::string& id = (*fields)[id_col];
    if (id.empty()) {
      return LineError(line_number, "empty series_id");
    }
    absl::CivilDay date;
    if (!ParseDate((*fields)[date_col], &date)) {
      return LineError(line_number,
                       absl::StrCat("date '", (*fields)[date_col], "' is not a valid YYYY-MM-DD"));
    }
    double value = 0;
    if (!absl::SimpleAtod((*fields)[value_col], &value) || !std::isfinite(value)) {
      return LineError(line_number,
                       absl::StrCat("value '", (*fields)[value_col], "' is not a finite number"));
    }
    auto [it, inserted] = index.try_emplace(id, series.size());
    if (inserted) {
      series.push_back(InputSeries{id, {}, {}});
      last_line.push_back(0);
    }
    InputSeries& s = series[it->second];
    if (!s.dates.empty()) {
      const absl::CivilDay previous = s.dates.back();
      const int previous_line = last_line[it->second];
      const std::string where =
          absl::StrCat("series '", id, "' (previous row at line ", previous_line, ": ",
                       absl::FormatCivilTime(previous), ")");
      const bool same_period = frequency == Frequency::kMonthly
                                   ? absl::CivilMonth(date) == absl::CivilMonth(previous)
                                   : date == previous;
      const absl::CivilDay expected = StepDate(previous, 1, frequency);
      const bool next_period = frequency == Frequency::kMonthly
                                   ? absl::CivilMonth(date) == absl::CivilMonth(previous) + 1
                                   : date == previous + 7;
      if (same_period) {
        return LineError(
            line_number,
            absl::StrCat("duplicate ", frequency == Frequency::kMonthly ? "month" : "date", " ",
                         absl::FormatCivilTime(date), " in ", where));
      }
      if (date < previous) {
        return LineError(line_number, absl::StrCat("date ", absl::FormatCivilTime(date),
                                                   " is before the previous one: rows of ", where,
                                                   " must be sorted ascending"));
      }
      if (!next_period) {
        return LineError(
            line_number,
            absl::StrCat("gap: ", absl::FormatCivilTime(date), " in ", where, "; expected ",
                         absl::FormatCivilTime(expected),
                         frequency == Frequency::kMonthly ? " (next month)" : " (7 days later)"));
      }
    }
    s.dates.push_back(date);
    s.values.push_back(value);
    last_line[it->second] = line_number;
  }
  if (series.empty()) {
    return LineError(static_cast<int>(lines.size()), "no data rows after the header");
  }
  return series;
}

std::string CsvHeader() { return "series_id,step,date,forecast,lo,hi,method\n"; }

std::string FormatForecastRows(const InputSeries& series, const SeriesForecast& forecast,
                               Frequency frequency) {
  std::string out;
  const std::string id = Quote(series.id);
  const absl::string_view method = MethodName(forecast.method);
  for (size_t h = 0; h < forecast.path.mean.size(); ++h) {
    const int step = static_cast<int>(h) + 1;
    absl::StrAppend(&out, id, ",", step, ",",
                    absl::FormatCivilTime(StepDate(series.dates.back(), step, frequency)), ",",
                    Number(forecast.path.mean[h]), ",", Number(forecast.path.lo[h]), ",",
                    Number(forecast.path.hi[h]), ",", method, "\n");
  }
  return out;
}

}  // namespace salesops::forecast
