#include "services/performance/store/performance_repository.h"

#include "absl/strings/str_cat.h"

namespace salesops::performance {

absl::string_view DocKindName(DocKind kind) {
  switch (kind) {
    case DocKind::kKpi:
      return "kpi";
    case DocKind::kOkr:
      return "okr";
    case DocKind::kPlan:
      return "plan";
    case DocKind::kStatement:
      return "st";
    case DocKind::kIssue:
      return "stx";
    case DocKind::kScorecard:
      return "card";
    case DocKind::kSplit:
      return "split";
    case DocKind::kReview:
      return "review";
    case DocKind::kScript:
      return "script";
    case DocKind::kProgramme:
      return "prog";
    case DocKind::kEnrolment:
      return "enrol";
    case DocKind::kDrill:
      return "drill";
  }
  return "unknown";
}

absl::string_view MapKindName(MapKind kind) {
  switch (kind) {
    case MapKind::kRepInputs:
      return "in";
    case MapKind::kDeal:
      return "deal";
    case MapKind::kCounters:
      return "act";
    case MapKind::kTargets:
      return "tgt";
    case MapKind::kOpportunity:
      return "opp";
    case MapKind::kFirstWin:
      return "firstwin";
    case MapKind::kOverdue:
      return "overdue";
    case MapKind::kCauses:
      return "cause";
    case MapKind::kRevisions:
      return "rev";
    case MapKind::kScriptUses:
      return "suse";
    case MapKind::kScriptStats:
      return "sstat";
    case MapKind::kCases:
      return "cases";
    case MapKind::kOpenWarnings:
      return "warn";
    case MapKind::kInsights:
      return "insights";
  }
  return "unknown";
}

std::string DocResourceName(DocKind kind, absl::string_view id) {
  switch (kind) {
    case DocKind::kKpi:
      return absl::StrCat("kpis/", id);
    case DocKind::kOkr:
      return absl::StrCat("okrs/", id);
    case DocKind::kPlan:
      return absl::StrCat("commissionPlans/", id);
    case DocKind::kStatement:
    case DocKind::kIssue:
      return absl::StrCat("commissionStatements/", id);
    case DocKind::kScorecard:
      return absl::StrCat("scorecards/", id);
    case DocKind::kSplit:
      return absl::StrCat("opportunities/", id, "/creditSplit");
    case DocKind::kReview:
      return absl::StrCat("reviews/", id);
    case DocKind::kScript:
      return absl::StrCat("scripts/", id);
    case DocKind::kProgramme:
      return absl::StrCat("trainingProgrammes/", id);
    case DocKind::kEnrolment:
      return absl::StrCat("enrolments/", id);
    case DocKind::kDrill:
      return absl::StrCat("drills/", id);
  }
  return std::string(id);
}

}  // namespace salesops::performance
