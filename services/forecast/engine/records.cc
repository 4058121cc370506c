#include "services/forecast/engine/records.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace salesops::forecast {

common::v1::Date ToDate(absl::CivilDay day) {
  common::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

absl::CivilDay FromDate(const common::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

bool ValidDate(const common::v1::Date& date) {
  if (date.year() < 1 || date.year() > 9999 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1) {
    return false;
  }
  const absl::CivilDay d(date.year(), date.month(), date.day());
  return d.year() == date.year() && d.month() == date.month() && d.day() == date.day();
}

DealRecord FromProto(const v1::DealRecord& r) {
  DealRecord d;
  d.id = r.id();
  d.owner = r.owner();
  d.team = r.team();
  d.product_line = r.product_line();
  d.amount_minor = r.amount_minor();
  d.created = FromDate(r.created());
  for (const v1::StageEntryRecord& e : r.stages()) {
    d.stages.push_back({static_cast<Stage>(e.stage()), FromDate(e.entered())});
  }
  d.outcome = r.outcome() == v1::DEAL_OUTCOME_WON    ? Outcome::kWon
              : r.outcome() == v1::DEAL_OUTCOME_LOST ? Outcome::kLost
                                                     : Outcome::kOpen;
  if (r.has_closed()) {
    d.closed = FromDate(r.closed());
  }
  if (r.has_expected_close() && ValidDate(r.expected_close())) {
    d.expected_close = FromDate(r.expected_close());
  }
  return d;
}

v1::DealRecord ToProto(const DealRecord& d) {
  v1::DealRecord r;
  r.set_id(d.id);
  r.set_owner(d.owner);
  r.set_team(d.team);
  r.set_product_line(d.product_line);
  r.set_amount_minor(d.amount_minor);
  *r.mutable_created() = ToDate(d.created);
  for (const StageEntry& e : d.stages) {
    v1::StageEntryRecord* s = r.add_stages();
    s->set_stage(static_cast<int>(e.stage));
    *s->mutable_entered() = ToDate(e.entered);
  }
  r.set_outcome(d.outcome == Outcome::kWon    ? v1::DEAL_OUTCOME_WON
                : d.outcome == Outcome::kLost ? v1::DEAL_OUTCOME_LOST
                                              : v1::DEAL_OUTCOME_OPEN);
  if (d.outcome != Outcome::kOpen) {
    *r.mutable_closed() = ToDate(d.closed);
  }
  if (d.expected_close) {
    *r.mutable_expected_close() = ToDate(*d.expected_close);
  }
  return r;
}

Period PeriodOf(const v1::PeriodRecord& r) { return {FromDate(r.start()), FromDate(r.end())}; }

v1::ForecastModel ModelOf(Method method) {
  switch (method) {
    case Method::kSes:
      return v1::FORECAST_MODEL_SIMPLE_EXPONENTIAL_SMOOTHING;
    case Method::kHolt:
      return v1::FORECAST_MODEL_HOLT_LINEAR;
    case Method::kDamped:
      return v1::FORECAST_MODEL_HOLT_DAMPED;
    case Method::kHwAdditive:
      return v1::FORECAST_MODEL_HOLT_WINTERS_ADDITIVE;
    case Method::kHwMultiplicative:
      return v1::FORECAST_MODEL_HOLT_WINTERS_MULTIPLICATIVE;
    case Method::kTheta:
      return v1::FORECAST_MODEL_THETA;
    case Method::kOptimizedTheta:
      return v1::FORECAST_MODEL_OPTIMIZED_THETA;
    case Method::kEnsemble:
      return v1::FORECAST_MODEL_ENSEMBLE;
    case Method::kNaive:
      return v1::FORECAST_MODEL_NAIVE;
    case Method::kMean:
      return v1::FORECAST_MODEL_MEAN;
    case Method::kAuto:
      break;
  }
  return v1::FORECAST_MODEL_UNSPECIFIED;
}

v1::ForecastCategory ToProto(Category category) {
  return static_cast<v1::ForecastCategory>(static_cast<int>(category));
}

std::optional<Category> FromProto(v1::ForecastCategory category) {
  switch (category) {
    case v1::FORECAST_CATEGORY_COMMIT:
      return Category::kCommit;
    case v1::FORECAST_CATEGORY_BEST_CASE:
      return Category::kBestCase;
    case v1::FORECAST_CATEGORY_PIPELINE:
      return Category::kPipeline;
    default:
      return std::nullopt;
  }
}

common::v1::Money Money(int64_t amount_minor, absl::string_view currency) {
  common::v1::Money m;
  m.set_amount_minor(amount_minor);
  m.set_currency_code(std::string(currency));
  return m;
}

std::string IdIn(absl::string_view name, absl::string_view collection) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (!absl::StartsWith(name, prefix) || name.size() == prefix.size()) {
    return "";
  }
  return std::string(name.substr(prefix.size()));
}

std::string FormatMinor(int64_t amount_minor) {
  const bool negative = amount_minor < 0;
  const uint64_t v =
      negative ? 0 - static_cast<uint64_t>(amount_minor) : static_cast<uint64_t>(amount_minor);
  std::string whole = absl::StrCat(v / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) {
      grouped += ',';
    }
    grouped += whole[i];
  }
  return absl::StrFormat("%s%s.%02d", negative ? "-" : "", grouped, static_cast<int>(v % 100));
}

}  // namespace salesops::forecast
