#include "services/performance/api/performance_api.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/performance/api/api_util.h"

namespace salesops::performance {

MethodPolicy PerformanceMethodPolicy() {
  MethodPolicy p;
  const std::initializer_list<Role> kSupervisorUp = {Role::kSupervisor, Role::kManager,
                                                     Role::kDirector, Role::kAdmin};
  // Definitions and plans shape everyone's pay: directors and admins.
  for (const char* m :
       {"CreateKpiDefinition", "UpdateKpiDefinition", "CreateCommissionPlan",
        "UpdateCommissionPlan", "ActivateCommissionPlan", "IssueCommissionStatement",
        "AdjustCommissionStatement", "MarkCommissionStatementPaid", "ExportCommissionStatements"}) {
    p.Allow(m, {Role::kDirector, Role::kAdmin});
  }
  // Readable by everyone; what a caller sees is narrowed per object (own,
  // team, region).
  for (const char* m :
       {"GetKpiDefinition", "ListKpiDefinitions", "CreateOkr", "GetOkr", "ListOkrs", "UpdateOkr",
        "GradeKeyResult", "GetScorecard", "ListScorecards", "GetCommissionPlan",
        "ListCommissionPlans", "GetCommissionStatement", "ListCommissionStatements",
        "RaiseStatementDispute", "ListStatementDisputes", "GetCreditSplit"}) {
    p.AllowAll(m);
  }
  for (const char* m : {"ComputeScorecard", "ResolveStatementDispute", "SetCreditSplit"}) {
    p.Allow(m, kSupervisorUp);
  }
  p.Allow("AwardBonus", {Role::kManager, Role::kDirector, Role::kAdmin});
  // Reviews and coaching (issue 14), with the roles their proto documents;
  // the object checks (own, team, peer) are the API's.
  for (const char* m : {"GenerateReview", "UpdateReview", "CreateSalesScript", "AddScriptVersion",
                        "SetScriptVersionState", "CreateTrainingProgramme", "RecordAttendance"}) {
    p.Allow(m, kSupervisorUp);
  }
  for (const char* m :
       {"GetReview", "ListReviews", "AddActionItem", "UpdateActionItem", "GetSalesScript",
        "ListSalesScripts", "CompareScriptVersions", "RateSalesScript", "RecordScriptUse",
        "GetTrainingProgramme", "ListTrainingProgrammes", "EnrolMember", "ListEnrolments",
        "RecordDrill", "ListDrills", "GetDrillProgress", "ListNegotiationCases",
        "AnnotateNegotiationCase"}) {
    p.AllowAll(m);
  }
  return p;
}

namespace {

constexpr int kMaxMarked = 50'000;

absl::Status MarkAll(PerformanceRepository& repo, Change& c, const char* index, bool cards) {
  std::string after;
  int marked = 0;
  while (marked < kMaxMarked) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo.Range(index, "", after, 1000));
    if (ids.empty()) {
      break;
    }
    for (const std::string& id : ids) {
      if (cards) {
        const size_t bar = id.find('|');
        if (bar != std::string::npos) {
          MarkWork(c, CardWork(id.substr(0, bar), id.substr(bar + 1)));
        }
      } else {
        MarkWork(c, RepWork(id));
      }
      ++marked;
    }
    after = ids.back();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MarkAllCards(PerformanceRepository& repo, Change& c) {
  return MarkAll(repo, c, kSubjectsIndex, true);
}

absl::Status MarkAllReps(PerformanceRepository& repo, Change& c) {
  return MarkAll(repo, c, kRepsIndex, false);
}

}  // namespace salesops::performance
