// gRPC adapter for PerformanceService (callback API): every method goes
// through the RpcRunner guard (trace id, JWT, member check, role policy,
// metrics, status mapping) and hands the request to PerformanceApi. The
// methods of reviews and coaching (issue 14) answer UNIMPLEMENTED after the
// same guard. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "services/performance/api/performance_api.h"

namespace salesops::performance {

class PerformanceGrpcService final : public v1::PerformanceService::CallbackService {
 public:
  PerformanceGrpcService(PerformanceApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

  grpc::ServerUnaryReactor* CreateKpiDefinition(grpc::CallbackServerContext* ctx,
                                                const v1::CreateKpiDefinitionRequest* req,
                                                v1::CreateKpiDefinitionResponse* resp) override {
    return rpc_.Run(ctx, "CreateKpiDefinition", [this, req, resp](const CallContext& call) {
      return api_.CreateKpiDefinition(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetKpiDefinition(grpc::CallbackServerContext* ctx,
                                             const v1::GetKpiDefinitionRequest* req,
                                             v1::GetKpiDefinitionResponse* resp) override {
    return rpc_.Run(ctx, "GetKpiDefinition", [this, req, resp](const CallContext& call) {
      return api_.GetKpiDefinition(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListKpiDefinitions(grpc::CallbackServerContext* ctx,
                                               const v1::ListKpiDefinitionsRequest* req,
                                               v1::ListKpiDefinitionsResponse* resp) override {
    return rpc_.Run(ctx, "ListKpiDefinitions", [this, req, resp](const CallContext& call) {
      return api_.ListKpiDefinitions(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateKpiDefinition(grpc::CallbackServerContext* ctx,
                                                const v1::UpdateKpiDefinitionRequest* req,
                                                v1::UpdateKpiDefinitionResponse* resp) override {
    return rpc_.Run(ctx, "UpdateKpiDefinition", [this, req, resp](const CallContext& call) {
      return api_.UpdateKpiDefinition(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateOkr(grpc::CallbackServerContext* ctx,
                                      const v1::CreateOkrRequest* req,
                                      v1::CreateOkrResponse* resp) override {
    return rpc_.Run(ctx, "CreateOkr", [this, req, resp](const CallContext& call) {
      return api_.CreateOkr(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetOkr(grpc::CallbackServerContext* ctx, const v1::GetOkrRequest* req,
                                   v1::GetOkrResponse* resp) override {
    return rpc_.Run(ctx, "GetOkr", [this, req, resp](const CallContext& call) {
      return api_.GetOkr(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListOkrs(grpc::CallbackServerContext* ctx,
                                     const v1::ListOkrsRequest* req,
                                     v1::ListOkrsResponse* resp) override {
    return rpc_.Run(ctx, "ListOkrs", [this, req, resp](const CallContext& call) {
      return api_.ListOkrs(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateOkr(grpc::CallbackServerContext* ctx,
                                      const v1::UpdateOkrRequest* req,
                                      v1::UpdateOkrResponse* resp) override {
    return rpc_.Run(ctx, "UpdateOkr", [this, req, resp](const CallContext& call) {
      return api_.UpdateOkr(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GradeKeyResult(grpc::CallbackServerContext* ctx,
                                           const v1::GradeKeyResultRequest* req,
                                           v1::GradeKeyResultResponse* resp) override {
    return rpc_.Run(ctx, "GradeKeyResult", [this, req, resp](const CallContext& call) {
      return api_.GradeKeyResult(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetScorecard(grpc::CallbackServerContext* ctx,
                                         const v1::GetScorecardRequest* req,
                                         v1::GetScorecardResponse* resp) override {
    return rpc_.Run(ctx, "GetScorecard", [this, req, resp](const CallContext& call) {
      return api_.GetScorecard(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListScorecards(grpc::CallbackServerContext* ctx,
                                           const v1::ListScorecardsRequest* req,
                                           v1::ListScorecardsResponse* resp) override {
    return rpc_.Run(ctx, "ListScorecards", [this, req, resp](const CallContext& call) {
      return api_.ListScorecards(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ComputeScorecard(grpc::CallbackServerContext* ctx,
                                             const v1::ComputeScorecardRequest* req,
                                             v1::ComputeScorecardResponse* resp) override {
    return rpc_.Run(ctx, "ComputeScorecard", [this, req, resp](const CallContext& call) {
      return api_.ComputeScorecard(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateCommissionPlan(grpc::CallbackServerContext* ctx,
                                                 const v1::CreateCommissionPlanRequest* req,
                                                 v1::CreateCommissionPlanResponse* resp) override {
    return rpc_.Run(ctx, "CreateCommissionPlan", [this, req, resp](const CallContext& call) {
      return api_.CreateCommissionPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetCommissionPlan(grpc::CallbackServerContext* ctx,
                                              const v1::GetCommissionPlanRequest* req,
                                              v1::GetCommissionPlanResponse* resp) override {
    return rpc_.Run(ctx, "GetCommissionPlan", [this, req, resp](const CallContext& call) {
      return api_.GetCommissionPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListCommissionPlans(grpc::CallbackServerContext* ctx,
                                                const v1::ListCommissionPlansRequest* req,
                                                v1::ListCommissionPlansResponse* resp) override {
    return rpc_.Run(ctx, "ListCommissionPlans", [this, req, resp](const CallContext& call) {
      return api_.ListCommissionPlans(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateCommissionPlan(grpc::CallbackServerContext* ctx,
                                                 const v1::UpdateCommissionPlanRequest* req,
                                                 v1::UpdateCommissionPlanResponse* resp) override {
    return rpc_.Run(ctx, "UpdateCommissionPlan", [this, req, resp](const CallContext& call) {
      return api_.UpdateCommissionPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ActivateCommissionPlan(
      grpc::CallbackServerContext* ctx, const v1::ActivateCommissionPlanRequest* req,
      v1::ActivateCommissionPlanResponse* resp) override {
    return rpc_.Run(ctx, "ActivateCommissionPlan", [this, req, resp](const CallContext& call) {
      return api_.ActivateCommissionPlan(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetCommissionStatement(
      grpc::CallbackServerContext* ctx, const v1::GetCommissionStatementRequest* req,
      v1::GetCommissionStatementResponse* resp) override {
    return rpc_.Run(ctx, "GetCommissionStatement", [this, req, resp](const CallContext& call) {
      return api_.GetCommissionStatement(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListCommissionStatements(
      grpc::CallbackServerContext* ctx, const v1::ListCommissionStatementsRequest* req,
      v1::ListCommissionStatementsResponse* resp) override {
    return rpc_.Run(ctx, "ListCommissionStatements", [this, req, resp](const CallContext& call) {
      return api_.ListCommissionStatements(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* IssueCommissionStatement(
      grpc::CallbackServerContext* ctx, const v1::IssueCommissionStatementRequest* req,
      v1::IssueCommissionStatementResponse* resp) override {
    return rpc_.Run(ctx, "IssueCommissionStatement", [this, req, resp](const CallContext& call) {
      return api_.IssueCommissionStatement(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AwardBonus(grpc::CallbackServerContext* ctx,
                                       const v1::AwardBonusRequest* req,
                                       v1::AwardBonusResponse* resp) override {
    return rpc_.Run(ctx, "AwardBonus", [this, req, resp](const CallContext& call) {
      return api_.AwardBonus(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AdjustCommissionStatement(
      grpc::CallbackServerContext* ctx, const v1::AdjustCommissionStatementRequest* req,
      v1::AdjustCommissionStatementResponse* resp) override {
    return rpc_.Run(ctx, "AdjustCommissionStatement", [this, req, resp](const CallContext& call) {
      return api_.AdjustCommissionStatement(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* MarkCommissionStatementPaid(
      grpc::CallbackServerContext* ctx, const v1::MarkCommissionStatementPaidRequest* req,
      v1::MarkCommissionStatementPaidResponse* resp) override {
    return rpc_.Run(ctx, "MarkCommissionStatementPaid", [this, req, resp](const CallContext& call) {
      return api_.MarkCommissionStatementPaid(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RaiseStatementDispute(
      grpc::CallbackServerContext* ctx, const v1::RaiseStatementDisputeRequest* req,
      v1::RaiseStatementDisputeResponse* resp) override {
    return rpc_.Run(ctx, "RaiseStatementDispute", [this, req, resp](const CallContext& call) {
      return api_.RaiseStatementDispute(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ResolveStatementDispute(
      grpc::CallbackServerContext* ctx, const v1::ResolveStatementDisputeRequest* req,
      v1::ResolveStatementDisputeResponse* resp) override {
    return rpc_.Run(ctx, "ResolveStatementDispute", [this, req, resp](const CallContext& call) {
      return api_.ResolveStatementDispute(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListStatementDisputes(
      grpc::CallbackServerContext* ctx, const v1::ListStatementDisputesRequest* req,
      v1::ListStatementDisputesResponse* resp) override {
    return rpc_.Run(ctx, "ListStatementDisputes", [this, req, resp](const CallContext& call) {
      return api_.ListStatementDisputes(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SetCreditSplit(grpc::CallbackServerContext* ctx,
                                           const v1::SetCreditSplitRequest* req,
                                           v1::SetCreditSplitResponse* resp) override {
    return rpc_.Run(ctx, "SetCreditSplit", [this, req, resp](const CallContext& call) {
      return api_.SetCreditSplit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetCreditSplit(grpc::CallbackServerContext* ctx,
                                           const v1::GetCreditSplitRequest* req,
                                           v1::GetCreditSplitResponse* resp) override {
    return rpc_.Run(ctx, "GetCreditSplit", [this, req, resp](const CallContext& call) {
      return api_.GetCreditSplit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ExportCommissionStatements(
      grpc::CallbackServerContext* ctx, const v1::ExportCommissionStatementsRequest* req,
      v1::ExportCommissionStatementsResponse* resp) override {
    return rpc_.Run(ctx, "ExportCommissionStatements", [this, req, resp](const CallContext& call) {
      return api_.ExportCommissionStatements(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GenerateReview(grpc::CallbackServerContext* ctx,
                                           const v1::GenerateReviewRequest* req,
                                           v1::GenerateReviewResponse* resp) override {
    return rpc_.Run(ctx, "GenerateReview", [this, req, resp](const CallContext& call) {
      return api_.GenerateReview(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetReview(grpc::CallbackServerContext* ctx,
                                      const v1::GetReviewRequest* req,
                                      v1::GetReviewResponse* resp) override {
    return rpc_.Run(ctx, "GetReview", [this, req, resp](const CallContext& call) {
      return api_.GetReview(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListReviews(grpc::CallbackServerContext* ctx,
                                        const v1::ListReviewsRequest* req,
                                        v1::ListReviewsResponse* resp) override {
    return rpc_.Run(ctx, "ListReviews", [this, req, resp](const CallContext& call) {
      return api_.ListReviews(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateReview(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateReviewRequest* req,
                                         v1::UpdateReviewResponse* resp) override {
    return rpc_.Run(ctx, "UpdateReview", [this, req, resp](const CallContext& call) {
      return api_.UpdateReview(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AddActionItem(grpc::CallbackServerContext* ctx,
                                          const v1::AddActionItemRequest* req,
                                          v1::AddActionItemResponse* resp) override {
    return rpc_.Run(ctx, "AddActionItem", [this, req, resp](const CallContext& call) {
      return api_.AddActionItem(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateActionItem(grpc::CallbackServerContext* ctx,
                                             const v1::UpdateActionItemRequest* req,
                                             v1::UpdateActionItemResponse* resp) override {
    return rpc_.Run(ctx, "UpdateActionItem", [this, req, resp](const CallContext& call) {
      return api_.UpdateActionItem(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateSalesScript(grpc::CallbackServerContext* ctx,
                                              const v1::CreateSalesScriptRequest* req,
                                              v1::CreateSalesScriptResponse* resp) override {
    return rpc_.Run(ctx, "CreateSalesScript", [this, req, resp](const CallContext& call) {
      return api_.CreateSalesScript(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetSalesScript(grpc::CallbackServerContext* ctx,
                                           const v1::GetSalesScriptRequest* req,
                                           v1::GetSalesScriptResponse* resp) override {
    return rpc_.Run(ctx, "GetSalesScript", [this, req, resp](const CallContext& call) {
      return api_.GetSalesScript(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListSalesScripts(grpc::CallbackServerContext* ctx,
                                             const v1::ListSalesScriptsRequest* req,
                                             v1::ListSalesScriptsResponse* resp) override {
    return rpc_.Run(ctx, "ListSalesScripts", [this, req, resp](const CallContext& call) {
      return api_.ListSalesScripts(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AddScriptVersion(grpc::CallbackServerContext* ctx,
                                             const v1::AddScriptVersionRequest* req,
                                             v1::AddScriptVersionResponse* resp) override {
    return rpc_.Run(ctx, "AddScriptVersion", [this, req, resp](const CallContext& call) {
      return api_.AddScriptVersion(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RateSalesScript(grpc::CallbackServerContext* ctx,
                                            const v1::RateSalesScriptRequest* req,
                                            v1::RateSalesScriptResponse* resp) override {
    return rpc_.Run(ctx, "RateSalesScript", [this, req, resp](const CallContext& call) {
      return api_.RateSalesScript(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RecordScriptUse(grpc::CallbackServerContext* ctx,
                                            const v1::RecordScriptUseRequest* req,
                                            v1::RecordScriptUseResponse* resp) override {
    return rpc_.Run(ctx, "RecordScriptUse", [this, req, resp](const CallContext& call) {
      return api_.RecordScriptUse(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateTrainingProgramme(
      grpc::CallbackServerContext* ctx, const v1::CreateTrainingProgrammeRequest* req,
      v1::CreateTrainingProgrammeResponse* resp) override {
    return rpc_.Run(ctx, "CreateTrainingProgramme", [this, req, resp](const CallContext& call) {
      return api_.CreateTrainingProgramme(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetTrainingProgramme(grpc::CallbackServerContext* ctx,
                                                 const v1::GetTrainingProgrammeRequest* req,
                                                 v1::GetTrainingProgrammeResponse* resp) override {
    return rpc_.Run(ctx, "GetTrainingProgramme", [this, req, resp](const CallContext& call) {
      return api_.GetTrainingProgramme(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListTrainingProgrammes(
      grpc::CallbackServerContext* ctx, const v1::ListTrainingProgrammesRequest* req,
      v1::ListTrainingProgrammesResponse* resp) override {
    return rpc_.Run(ctx, "ListTrainingProgrammes", [this, req, resp](const CallContext& call) {
      return api_.ListTrainingProgrammes(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* EnrolMember(grpc::CallbackServerContext* ctx,
                                        const v1::EnrolMemberRequest* req,
                                        v1::EnrolMemberResponse* resp) override {
    return rpc_.Run(ctx, "EnrolMember", [this, req, resp](const CallContext& call) {
      return api_.EnrolMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListEnrolments(grpc::CallbackServerContext* ctx,
                                           const v1::ListEnrolmentsRequest* req,
                                           v1::ListEnrolmentsResponse* resp) override {
    return rpc_.Run(ctx, "ListEnrolments", [this, req, resp](const CallContext& call) {
      return api_.ListEnrolments(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RecordDrill(grpc::CallbackServerContext* ctx,
                                        const v1::RecordDrillRequest* req,
                                        v1::RecordDrillResponse* resp) override {
    return rpc_.Run(ctx, "RecordDrill", [this, req, resp](const CallContext& call) {
      return api_.RecordDrill(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* SetScriptVersionState(
      grpc::CallbackServerContext* ctx, const v1::SetScriptVersionStateRequest* req,
      v1::SetScriptVersionStateResponse* resp) override {
    return rpc_.Run(ctx, "SetScriptVersionState", [this, req, resp](const CallContext& call) {
      return api_.SetScriptVersionState(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CompareScriptVersions(
      grpc::CallbackServerContext* ctx, const v1::CompareScriptVersionsRequest* req,
      v1::CompareScriptVersionsResponse* resp) override {
    return rpc_.Run(ctx, "CompareScriptVersions", [this, req, resp](const CallContext& call) {
      return api_.CompareScriptVersions(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* RecordAttendance(grpc::CallbackServerContext* ctx,
                                             const v1::RecordAttendanceRequest* req,
                                             v1::RecordAttendanceResponse* resp) override {
    return rpc_.Run(ctx, "RecordAttendance", [this, req, resp](const CallContext& call) {
      return api_.RecordAttendance(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetDrillProgress(grpc::CallbackServerContext* ctx,
                                             const v1::GetDrillProgressRequest* req,
                                             v1::GetDrillProgressResponse* resp) override {
    return rpc_.Run(ctx, "GetDrillProgress", [this, req, resp](const CallContext& call) {
      return api_.GetDrillProgress(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListNegotiationCases(grpc::CallbackServerContext* ctx,
                                                 const v1::ListNegotiationCasesRequest* req,
                                                 v1::ListNegotiationCasesResponse* resp) override {
    return rpc_.Run(ctx, "ListNegotiationCases", [this, req, resp](const CallContext& call) {
      return api_.ListNegotiationCases(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AnnotateNegotiationCase(
      grpc::CallbackServerContext* ctx, const v1::AnnotateNegotiationCaseRequest* req,
      v1::AnnotateNegotiationCaseResponse* resp) override {
    return rpc_.Run(ctx, "AnnotateNegotiationCase", [this, req, resp](const CallContext& call) {
      return api_.AnnotateNegotiationCase(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListDrills(grpc::CallbackServerContext* ctx,
                                       const v1::ListDrillsRequest* req,
                                       v1::ListDrillsResponse* resp) override {
    return rpc_.Run(ctx, "ListDrills", [this, req, resp](const CallContext& call) {
      return api_.ListDrills(call, *req, resp);
    });
  }

 private:
  PerformanceApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::performance
