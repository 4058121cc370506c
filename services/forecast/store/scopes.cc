#include "services/forecast/store/scopes.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace salesops::forecast {
namespace {

absl::string_view OrNone(absl::string_view s) { return s.empty() ? kNone : s; }
std::string FromNone(absl::string_view s) { return s == kNone ? "" : std::string(s); }

}  // namespace

std::string NodeKey(absl::string_view unit, absl::string_view member) {
  return absl::StrCat(unit, std::string(1, kSep), OrNone(member));
}

std::string ScopeKey(const ScopeId& scope) {
  return absl::StrCat(NodeKey(scope.unit, scope.member), std::string(1, kSep),
                      OrNone(scope.product_line));
}

std::optional<ScopeId> ParseScopeKey(absl::string_view key) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, kSep);
  if (parts.size() != 3 || parts[0].empty() || parts[0] == kNone || parts[1].empty() ||
      parts[2].empty()) {
    return std::nullopt;
  }
  return ScopeId{std::string(parts[0]), FromNone(parts[1]), FromNone(parts[2])};
}

absl::string_view CategoryCode(Category category) {
  switch (category) {
    case Category::kCommit:
      return "commit";
    case Category::kBestCase:
      return "best_case";
    case Category::kPipeline:
      return "pipeline";
  }
  return "pipeline";
}

std::optional<Category> ParseCategoryCode(absl::string_view code) {
  if (code == "commit") {
    return Category::kCommit;
  }
  if (code == "best_case") {
    return Category::kBestCase;
  }
  if (code == "pipeline") {
    return Category::kPipeline;
  }
  return std::nullopt;
}

std::string ForecastId(absl::string_view period, const ScopeId& scope, Category category) {
  return absl::StrCat(period, std::string(1, kSep), ScopeKey(scope), std::string(1, kSep),
                      CategoryCode(category));
}

std::optional<ForecastKey> ParseForecastId(absl::string_view id) {
  std::vector<absl::string_view> parts = absl::StrSplit(id, kSep);
  if (parts.size() != 5 || parts[0].empty()) {
    return std::nullopt;
  }
  std::optional<ScopeId> scope = ParseScopeKey(
      absl::StrCat(parts[1], std::string(1, kSep), parts[2], std::string(1, kSep), parts[3]));
  std::optional<Category> category = ParseCategoryCode(parts[4]);
  if (!scope || !category) {
    return std::nullopt;
  }
  return ForecastKey{std::string(parts[0]), *std::move(scope), *category};
}

std::string CallId(absl::string_view forecast_id, bool adjusted) {
  return absl::StrCat(forecast_id, std::string(1, kSep), adjusted ? "adjusted" : "submitted");
}

std::string SnapshotId(absl::string_view forecast_id, absl::string_view iso_week) {
  return absl::StrCat(forecast_id, std::string(1, kSep), iso_week);
}

std::string ForecastIdOf(absl::string_view id) {
  const size_t last = id.rfind(kSep);
  return std::string(last == absl::string_view::npos ? id : id.substr(0, last));
}

std::string StageProbabilityId(absl::string_view team, absl::string_view product_line,
                               absl::string_view stage) {
  return absl::StrCat(OrNone(team), std::string(1, kSep), OrNone(product_line),
                      std::string(1, kSep), stage);
}

std::string MonthKey(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

std::optional<absl::CivilMonth> ParseMonthKey(absl::string_view key) {
  int year = 0, month = 0;
  std::vector<absl::string_view> parts = absl::StrSplit(key, '-');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &year) ||
      !absl::SimpleAtoi(parts[1], &month) || month < 1 || month > 12) {
    return std::nullopt;
  }
  return absl::CivilMonth(year, month);
}

std::string ForecastIndex(absl::string_view period, absl::string_view unit) {
  return absl::StrCat("fc:", period, ":", OrNone(unit));
}
std::string CallIndex(absl::string_view period, absl::string_view unit) {
  return absl::StrCat("call:", period, ":", OrNone(unit));
}
std::string SnapshotIndex(absl::string_view scope_key, Category category) {
  return absl::StrCat("snap:", scope_key, ":", CategoryCode(category));
}
std::string SnapshotPeriodIndex(absl::string_view period) { return absl::StrCat("snapp:", period); }
std::string OpenDealsIndex(absl::string_view leaf_scope_key) {
  return absl::StrCat("open:", leaf_scope_key);
}
std::string KidsIndex(absl::string_view node) { return absl::StrCat("kids:", node); }
std::string ProductLinesIndex(absl::string_view node) { return absl::StrCat("pls:", node); }
std::string DealsIndex() { return "deals"; }
std::string PeriodsIndex() { return "periods"; }
std::string StageProbabilityIndex() { return "stageprob"; }
std::string ScopeModelIndex() { return "models"; }

std::string RevisionsHash() { return "rev"; }
std::string BookingsHash(absl::CivilMonth month) { return absl::StrCat("book:", MonthKey(month)); }
std::string TargetsHash(absl::string_view period) { return absl::StrCat("tgt:", period); }
std::string HistoryHash() { return "hist"; }
std::string MetaHash() { return "meta"; }

}  // namespace salesops::forecast
