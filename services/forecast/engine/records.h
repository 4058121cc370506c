// Conversions between the forecast domain's plain structs and the service's
// protos (resources and storage format): dates, deal records, periods,
// models, money. Internal to services/forecast.
//
//   DealRecord d = FromProto(stored_record);
//   v1::ForecastModel m = ModelOf(Method::kTheta);   // FORECAST_MODEL_THETA
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "salesops/common/v1/common.pb.h"
#include "salesops/forecast/v1/forecast_resources.pb.h"
#include "salesops/forecast/v1/forecast_store.pb.h"
#include "services/forecast/domain/deal_history.h"
#include "services/forecast/domain/forecaster.h"

namespace salesops::forecast {

namespace v1 = ::salesops::forecast::v1;

common::v1::Date ToDate(absl::CivilDay day);
absl::CivilDay FromDate(const common::v1::Date& date);
// Year 1..9999, month 1..12, a day that exists.
bool ValidDate(const common::v1::Date& date);

DealRecord FromProto(const v1::DealRecord& record);
v1::DealRecord ToProto(const DealRecord& record);
Period PeriodOf(const v1::PeriodRecord& record);

v1::ForecastModel ModelOf(Method method);
v1::ForecastCategory ToProto(Category category);
// UNSPECIFIED and unknown values: nullopt.
std::optional<Category> FromProto(v1::ForecastCategory category);

common::v1::Money Money(int64_t amount_minor, absl::string_view currency);

// "members/x" → "x" when it has the collection prefix, else "".
std::string IdIn(absl::string_view name, absl::string_view collection);

// 1,234,567.89 (minor units of a two-decimal currency), for details.
std::string FormatMinor(int64_t amount_minor);

}  // namespace salesops::forecast
