// Conversions between the performance protos (API resources, events, the
// storage format) and the domain's plain structs, and the names the service
// gives things. Internal to services/performance (api/ and events/).
//
//   SALESOPS_ASSIGN_OR_RETURN(CommissionPlan p, ToDomainPlan(proto, "plan-2026", tz));
//   CreditFact f = ToCreditFact(stored_fact, split);
//   v1::CommissionStatement s = ToStatementProto(statement, chain_names, …);
//
// The mapping of domain field paths to proto field paths
// (ProtoFieldPaths) keeps INVALID_ARGUMENT naming the field the caller sent:
// "plan.bands[2].min_attainment_bp" becomes
// "commission_plan.bands[2].min_attainment_basis_points".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "salesops/common/v1/common.pb.h"
#include "salesops/performance/v1/performance_resources.pb.h"
#include "salesops/performance/v1/performance_store.pb.h"
#include "services/performance/domain/commission.h"
#include "services/performance/domain/periods.h"
#include "services/performance/domain/scorecard.h"
#include "services/performance/domain/statement_lifecycle.h"

namespace salesops::performance {

// ---- names and times

std::string StripName(absl::string_view name);  // "members/x" -> "x"
std::string MemberName(absl::string_view id);   // "members/x"
std::string UnitName(absl::string_view id);     // "orgUnits/x"
std::string PeriodName(absl::string_view id);   // "fiscalPeriods/x"
std::string StatementId(absl::string_view period, absl::string_view member);
std::string StatementName(absl::string_view statement_id);
// "<period>.<member>" -> {period, member}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> SplitStatementId(absl::string_view id);
// Scorecard of "members/x" or "orgUnits/x" in a period: "<period>.m.x" / "<period>.t.x".
std::string ScorecardId(absl::string_view period, absl::string_view subject);
// The counters / work key of a subject: "m.x" or "t.x".
std::string SubjectKey(absl::string_view subject);

int64_t ToMicros(absl::Time t);
absl::Time FromMicros(int64_t micros);
absl::CivilDay DayOf(const salesops::common::v1::Date& d);
// A real calendar day between 1970 and 9998 (2026-02-30 is not).
bool IsValidDate(const salesops::common::v1::Date& d);
salesops::common::v1::Date ToDate(absl::CivilDay d);
salesops::common::v1::Money Money(int64_t minor, absl::string_view currency);
// "12345.67" (exact, sign first), for CSV and explanations.
std::string FormatMinor(int64_t minor);

// ---- facts and carry (storage ⇔ domain)

CreditFact ToCreditFact(const v1::StoredFact& f);
std::vector<CreditShare> SharesOf(const v1::CreditSplit& split);
v1::StoredCarry ToStoredCarry(const CarryForward& c);
CarryForward FromStoredCarry(const v1::StoredCarry& c);
v1::StoredAdjustment ToStoredAdjustment(const Adjustment& a);
Adjustment FromStoredAdjustment(const v1::StoredAdjustment& a);

// ---- plans

// One plan resource as a version of the engine's plan `chain_id`, effective
// from its start date to the day after its end date (00:00 in `tz`).
absl::StatusOr<CommissionPlan> ToDomainPlan(const v1::CommissionPlan& p,
                                            const std::string& chain_id, absl::TimeZone tz);
// Rewrites the field paths of a domain INVALID_ARGUMENT (e.g. ValidatePlan's
// "plan.bands[0].min_attainment_bp") into the proto's, under `proto_root`.
absl::Status ProtoFieldPaths(const absl::Status& s, absl::string_view domain_root,
                             absl::string_view proto_root);

// ---- statements

// How a statement's lines name plans: engine version → "commissionPlans/{id}".
using PlanVersionNames = std::map<int32_t, std::string>;
v1::StatementLineKind ToProtoLineKind(LineKind kind);
LineKind FromProtoLineKind(v1::StatementLineKind kind);
// The resource for a computed statement. `state`, disputes and times are the
// caller's; compute_time is the latest fact time (so a recomputation of the
// same facts gives the same bytes).
v1::CommissionStatement ToStatementProto(const Statement& st, const PlanVersionNames& plans,
                                         absl::Time compute_time);
// The lines of an issued statement, for RestatementAdjustments.
Statement FromStatementProto(const v1::CommissionStatement& s);
StatementState FromProtoState(v1::StatementState s);
v1::StatementState ToProtoState(StatementState s);
v1::Dispute ToProtoDispute(const Dispute& d, absl::string_view statement_name,
                           absl::string_view currency);
Dispute FromProtoDispute(const v1::Dispute& d);

// ---- KPIs, OKRs, scorecards

bool IsMoneyMetric(v1::KpiMetric m);
bool IsBasisPointMetric(v1::KpiMetric m);
// The KPI value as one integer (money in minor units, count, basis points).
int64_t KpiValueOf(const v1::KpiValue& v);
v1::KpiValue MakeKpiValue(v1::KpiMetric metric, int64_t value, absl::string_view currency);
// Validates a definition (every bad field named under "kpi_definition") and
// converts it; weights are checked per scorecard, not here.
absl::StatusOr<KpiDefinition> ToDomainKpi(const v1::KpiDefinition& k, absl::string_view field);
absl::StatusOr<Okr> ToDomainOkr(const v1::Okr& o);
v1::OkrState ToProtoOkrState(OkrState s);
// The resource for a computed scorecard (name, subject kind, lines, scores,
// rating, bands); rank_in_team and compute_time are left to the reader.
v1::Scorecard ToScorecardProto(const Scorecard& c, const ScorecardConfig& config,
                               absl::string_view currency);

}  // namespace salesops::performance
