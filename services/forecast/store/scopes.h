// How the forecast service names what it stores: scopes (a member in their
// team, or an org unit; optionally one product line), the ids of forecasts,
// calls and snapshots derived from them, and the logical names of the
// indexes and hashes the engine, the jobs and the API share. Ids and names
// only — ForecastRepository adapters decide the keys.
//
//   ScopeId s{.unit = "team-1", .member = "m-7", .product_line = "pl-erp"};
//   ScopeKey(s)                                   // "team-1~m-7~pl-erp"
//   ForecastId("FY2026-Q4", s, Category::kCommit) // "FY2026-Q4~team-1~m-7~pl-erp~commit"
//   ScopeKey({.unit = "region-east"})             // "region-east~_~_"
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/forecast/domain/pipeline_forecast.h"

namespace salesops::forecast {

// Stands for "none" (no member, all product lines) inside ids; never an id
// itself (ids are letters, digits and '-').
inline constexpr char kNone[] = "_";
inline constexpr char kSep = '~';

struct ScopeId {
  std::string unit;          // org unit id: the member's team, or the unit itself
  std::string member;        // member id; "" for a unit scope
  std::string product_line;  // product line unit id; "" = all
  bool operator==(const ScopeId&) const = default;
};

// A node of the roll-up tree: "<unit>~<member or _>".
std::string NodeKey(absl::string_view unit, absl::string_view member);
// "<unit>~<member or _>~<product line or _>".
std::string ScopeKey(const ScopeId& scope);
std::optional<ScopeId> ParseScopeKey(absl::string_view key);

absl::string_view CategoryCode(Category category);  // "commit", "best_case", "pipeline"
std::optional<Category> ParseCategoryCode(absl::string_view code);

// "<period>~<scope key>~<category code>".
std::string ForecastId(absl::string_view period, const ScopeId& scope, Category category);
struct ForecastKey {
  std::string period;
  ScopeId scope;
  Category category = Category::kPipeline;
};
std::optional<ForecastKey> ParseForecastId(absl::string_view id);

// Calls: "<forecast id>~submitted" / "~adjusted". Snapshots: "<forecast id>~<ISO week>".
std::string CallId(absl::string_view forecast_id, bool adjusted);
std::string SnapshotId(absl::string_view forecast_id, absl::string_view iso_week);
// The forecast id a call or snapshot id starts with.
std::string ForecastIdOf(absl::string_view call_or_snapshot_id);

// Stage probabilities: "<team or _>~<product line or _>~<stage name>".
std::string StageProbabilityId(absl::string_view team, absl::string_view product_line,
                               absl::string_view stage);

// "YYYY-MM".
std::string MonthKey(absl::CivilMonth month);
std::optional<absl::CivilMonth> ParseMonthKey(absl::string_view key);

// ---- indexes (ordered id sets)
// Forecasts of a period in a unit's subtree ("" = all).
std::string ForecastIndex(absl::string_view period, absl::string_view unit);
std::string CallIndex(absl::string_view period, absl::string_view unit);
// Snapshots of one scope and category (every period), and of one period.
std::string SnapshotIndex(absl::string_view scope_key, Category category);
std::string SnapshotPeriodIndex(absl::string_view period);
// Open deals of a member's product line (scope key of the leaf).
std::string OpenDealsIndex(absl::string_view leaf_scope_key);
// The roll-up tree: node → child node keys; node → product lines seen under it.
std::string KidsIndex(absl::string_view node);
std::string ProductLinesIndex(absl::string_view node);
std::string DealsIndex();
std::string PeriodsIndex();
std::string StageProbabilityIndex();
std::string ScopeModelIndex();

// ---- hashes
// Node key → revision; every change of a node's forecasts bumps it.
std::string RevisionsHash();
// Scope key → minor units booked (won) in the month, for every scope above the deal.
std::string BookingsHash(absl::CivilMonth month);
// Node key → target minor units (all product lines) of the period.
std::string TargetsHash(absl::string_view period);
// Deal id → serialized DealRecord of every deal (what stage learning reads in one go).
std::string HistoryHash();
// Revisions and job markers: "periods_rev", "hist_rev", "refresh_at", "snap:<period>:<week>",
// "closed:<period>".
std::string MetaHash();

}  // namespace salesops::forecast
