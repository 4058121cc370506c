// The performance service's use cases, one method per RPC: validate the
// request (every bad field named), authorise (the role policy is the
// RpcRunner's; object-level scope here), apply the domain, persist the change
// with its events in one commit, and — where a statement's or scorecard's
// inputs moved — recompute it (api/recompute.h). Plain C++ over protobuf
// messages, no gRPC types, so tests call it directly against the in-memory
// repository; PerformanceGrpcService only adapts.
//
//   PerformanceApi api(repo, org, recomputer, clock);
//   SALESOPS_RETURN_IF_ERROR(api.IssueCommissionStatement(call, req, &resp));
//
// Covered (issue 13): KPI definitions, OKRs, scorecards, commission plans,
// statements and their lifecycle, disputes, credit splits, the payroll
// export; biweekly reviews and action items, the script library, training
// programmes, drills and the negotiation case library (issue 14).
// Thread-safe: no mutable state of its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/server/rpc.h"
#include "common/time/clock.h"
#include "salesops/performance/v1/performance_events.pb.h"
#include "salesops/performance/v1/performance_service.pb.h"
#include "services/performance/api/access.h"
#include "services/performance/api/recompute.h"
#include "services/performance/domain/review.h"
#include "services/performance/store/org_view.h"
#include "services/performance/store/performance_repository.h"

namespace salesops::performance {

inline constexpr char kPerformanceServiceName[] = "salesops.performance.v1.PerformanceService";

// The index of scripts of one scenario ("OBJECTION_HANDLING").
std::string ScriptsByScenarioIndex(absl::string_view scenario);

// Which roles may call which method (object-level checks come on top).
MethodPolicy PerformanceMethodPolicy();

class PerformanceApi {
 public:
  PerformanceApi(PerformanceRepository& repo, OrgView& org, Recomputer& recomputer,
                 const Clock& clock)
      : repo_(repo), org_(org), scope_(org), recomputer_(recomputer), clock_(clock) {}

#define SALESOPS_PERFORMANCE_METHOD(M) \
  absl::Status M(const CallContext& call, const v1::M##Request& req, v1::M##Response* resp);
  // KPI definitions and OKRs (kpi_okr_api.cc).
  SALESOPS_PERFORMANCE_METHOD(CreateKpiDefinition)
  SALESOPS_PERFORMANCE_METHOD(GetKpiDefinition)
  SALESOPS_PERFORMANCE_METHOD(ListKpiDefinitions)
  SALESOPS_PERFORMANCE_METHOD(UpdateKpiDefinition)
  SALESOPS_PERFORMANCE_METHOD(CreateOkr)
  SALESOPS_PERFORMANCE_METHOD(GetOkr)
  SALESOPS_PERFORMANCE_METHOD(ListOkrs)
  SALESOPS_PERFORMANCE_METHOD(UpdateOkr)
  SALESOPS_PERFORMANCE_METHOD(GradeKeyResult)
  // Scorecards (scorecard_api.cc).
  SALESOPS_PERFORMANCE_METHOD(GetScorecard)
  SALESOPS_PERFORMANCE_METHOD(ListScorecards)
  SALESOPS_PERFORMANCE_METHOD(ComputeScorecard)
  // Commission plans and credit splits (commission_api.cc).
  SALESOPS_PERFORMANCE_METHOD(CreateCommissionPlan)
  SALESOPS_PERFORMANCE_METHOD(GetCommissionPlan)
  SALESOPS_PERFORMANCE_METHOD(ListCommissionPlans)
  SALESOPS_PERFORMANCE_METHOD(UpdateCommissionPlan)
  SALESOPS_PERFORMANCE_METHOD(ActivateCommissionPlan)
  SALESOPS_PERFORMANCE_METHOD(SetCreditSplit)
  SALESOPS_PERFORMANCE_METHOD(GetCreditSplit)
  // Statements, disputes, the payroll export (statement_api.cc).
  SALESOPS_PERFORMANCE_METHOD(GetCommissionStatement)
  SALESOPS_PERFORMANCE_METHOD(ListCommissionStatements)
  SALESOPS_PERFORMANCE_METHOD(IssueCommissionStatement)
  SALESOPS_PERFORMANCE_METHOD(AwardBonus)
  SALESOPS_PERFORMANCE_METHOD(AdjustCommissionStatement)
  SALESOPS_PERFORMANCE_METHOD(MarkCommissionStatementPaid)
  SALESOPS_PERFORMANCE_METHOD(RaiseStatementDispute)
  SALESOPS_PERFORMANCE_METHOD(ResolveStatementDispute)
  SALESOPS_PERFORMANCE_METHOD(ListStatementDisputes)
  SALESOPS_PERFORMANCE_METHOD(ExportCommissionStatements)
  // Biweekly reviews and action items (review_api.cc).
  SALESOPS_PERFORMANCE_METHOD(GenerateReview)
  SALESOPS_PERFORMANCE_METHOD(GetReview)
  SALESOPS_PERFORMANCE_METHOD(ListReviews)
  SALESOPS_PERFORMANCE_METHOD(UpdateReview)
  SALESOPS_PERFORMANCE_METHOD(AddActionItem)
  SALESOPS_PERFORMANCE_METHOD(UpdateActionItem)
  // The sales-script library (script_api.cc).
  SALESOPS_PERFORMANCE_METHOD(CreateSalesScript)
  SALESOPS_PERFORMANCE_METHOD(GetSalesScript)
  SALESOPS_PERFORMANCE_METHOD(ListSalesScripts)
  SALESOPS_PERFORMANCE_METHOD(AddScriptVersion)
  SALESOPS_PERFORMANCE_METHOD(SetScriptVersionState)
  SALESOPS_PERFORMANCE_METHOD(CompareScriptVersions)
  SALESOPS_PERFORMANCE_METHOD(RateSalesScript)
  SALESOPS_PERFORMANCE_METHOD(RecordScriptUse)
  // Training, drills and the case library (coaching_api.cc).
  SALESOPS_PERFORMANCE_METHOD(CreateTrainingProgramme)
  SALESOPS_PERFORMANCE_METHOD(GetTrainingProgramme)
  SALESOPS_PERFORMANCE_METHOD(ListTrainingProgrammes)
  SALESOPS_PERFORMANCE_METHOD(EnrolMember)
  SALESOPS_PERFORMANCE_METHOD(ListEnrolments)
  SALESOPS_PERFORMANCE_METHOD(RecordAttendance)
  SALESOPS_PERFORMANCE_METHOD(RecordDrill)
  SALESOPS_PERFORMANCE_METHOD(ListDrills)
  SALESOPS_PERFORMANCE_METHOD(GetDrillProgress)
  SALESOPS_PERFORMANCE_METHOD(ListNegotiationCases)
  SALESOPS_PERFORMANCE_METHOD(AnnotateNegotiationCase)
#undef SALESOPS_PERFORMANCE_METHOD

  // The scheduler's pass: a review of the last completed cycle for every rep
  // in the directory who has none yet (once per rep and cycle, however many
  // replicas run it), within `budget`; the next pass goes on. Returns how
  // many it generated.
  absl::StatusOr<int> GenerateDueReviews(absl::Duration budget);
  // Publishes ActionItemOverdue once for every open item past its due date.
  absl::StatusOr<int> NotifyOverdueActionItems();
  // The script a review suggests for a scenario ("OBJECTION_HANDLING"): the
  // published current version with the highest low end of its 95 % win-rate
  // interval; "" when the library has none (retired and draft versions never).
  absl::StatusOr<std::string> BestScriptFor(const std::string& scenario);

 private:
  template <typename T>
  struct Loaded {
    T doc;
    int64_t version = 0;
  };
  // NOT_FOUND <REASON> naming `name` when absent.
  template <typename T>
  absl::StatusOr<Loaded<T>> Load(DocKind kind, const std::string& id, const std::string& name,
                                 absl::string_view not_found_reason);
  // The statement named by a request (its member in the caller's scope).
  absl::StatusOr<Loaded<v1::CommissionStatement>> LoadStatement(const CallContext& call,
                                                                const std::string& field,
                                                                const std::string& name);
  // The statement as it is stored after a recomputation of its rep.
  absl::StatusOr<v1::CommissionStatement> Reload(const std::string& id);
  // Adds an input to a DRAFT statement (an award, an adjustment), recomputes
  // and returns the statement.
  absl::Status ChangeDraft(const CallContext& call, const std::string& field,
                           const std::string& name, const std::string& etag,
                           const std::string& request_id, const std::string& input_field,
                           const std::string& input, const google::protobuf::Message& event,
                           v1::CommissionStatement* out);
  // An OKR's grade from its subject's current KPI values.
  absl::Status GradeFromActuals(v1::Okr& okr);
  absl::Status CheckOkrScope(const CallContext& call, const v1::Okr& okr);
  absl::Status CheckPlan(const v1::CommissionPlan& plan, const std::string& field);
  // One attempt of ActivateCommissionPlan (run again by RetryWriteRace).
  absl::Status ActivateCommissionPlanOnce(const CallContext& call,
                                          const v1::ActivateCommissionPlanRequest& req,
                                          v1::ActivateCommissionPlanResponse* resp);
  // Reviews (review_api.cc): the figures and analysis of a rep's cycle; the
  // review written (created, or refreshed while GENERATED when `refresh`).
  absl::StatusOr<v1::BiweeklyReview> BuildReview(const std::string& member,
                                                 const BiweeklyCycle& cycle);
  // The market insights (sync service) meant for the rep's team and still valid.
  absl::Status AddMarketInsights(const std::string& team, v1::BiweeklyReview& r);
  absl::StatusOr<v1::BiweeklyReview> WriteReview(const std::string& member,
                                                 const BiweeklyCycle& cycle,
                                                 const CallContext* call, bool refresh,
                                                 const std::string& request_id);
  // Scripts (script_api.cc): joins the counts of the stats map into a script;
  // loads one by name; the best published script of a scenario ("" if none).
  static void DecorateScript(v1::SalesScript& s, const FieldMap& stats);
  absl::StatusOr<Loaded<v1::SalesScript>> LoadScript(const std::string& field,
                                                     const std::string& name);
  // Training (coaching_api.cc): the enrolment named "trainingProgrammes/{p}/enrolments/{m}".
  absl::StatusOr<Loaded<v1::Enrolment>> LoadEnrolment(const CallContext& call,
                                                      const std::string& field,
                                                      const std::string& name);
  // The review named by a request, its rep in the caller's scope.
  absl::StatusOr<Loaded<v1::BiweeklyReview>> LoadReview(const CallContext& call,
                                                        const std::string& field,
                                                        const std::string& name);

  PerformanceRepository& repo_;
  OrgView& org_;
  Scope scope_;
  Recomputer& recomputer_;
  const Clock& clock_;
};

}  // namespace salesops::performance
