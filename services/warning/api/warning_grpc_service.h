// gRPC adapter for WarningService: every method goes through the RpcRunner
// guard and hands the request to WarningApi. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/warning/v1/warning_service.grpc.pb.h"
#include "services/warning/api/warning_api.h"

namespace salesops::warning {

inline constexpr char kWarningServiceName[] = "salesops.warning.v1.WarningService";

class WarningGrpcService final : public v1::WarningService::CallbackService {
 public:
  WarningGrpcService(WarningApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}
  grpc::ServerUnaryReactor* ListWarnings(grpc::CallbackServerContext* ctx,
                                         const v1::ListWarningsRequest* req,
                                         v1::ListWarningsResponse* resp) override {
    return rpc_.Run(ctx, "ListWarnings", [this, req, resp](const CallContext& call) {
      return api_.ListWarnings(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetWarning(grpc::CallbackServerContext* ctx,
                                       const v1::GetWarningRequest* req,
                                       v1::GetWarningResponse* resp) override {
    return rpc_.Run(ctx, "GetWarning", [this, req, resp](const CallContext& call) {
      return api_.GetWarning(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AcknowledgeWarning(grpc::CallbackServerContext* ctx,
                                               const v1::AcknowledgeWarningRequest* req,
                                               v1::AcknowledgeWarningResponse* resp) override {
    return rpc_.Run(ctx, "AcknowledgeWarning", [this, req, resp](const CallContext& call) {
      return api_.AcknowledgeWarning(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListRules(grpc::CallbackServerContext* ctx,
                                      const v1::ListRulesRequest* req,
                                      v1::ListRulesResponse* resp) override {
    return rpc_.Run(ctx, "ListRules", [this, req, resp](const CallContext& call) {
      return api_.ListRules(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetRule(grpc::CallbackServerContext* ctx, const v1::GetRuleRequest* req,
                                    v1::GetRuleResponse* resp) override {
    return rpc_.Run(ctx, "GetRule", [this, req, resp](const CallContext& call) {
      return api_.GetRule(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateRule(grpc::CallbackServerContext* ctx,
                                       const v1::CreateRuleRequest* req,
                                       v1::CreateRuleResponse* resp) override {
    return rpc_.Run(ctx, "CreateRule", [this, req, resp](const CallContext& call) {
      return api_.CreateRule(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateRule(grpc::CallbackServerContext* ctx,
                                       const v1::UpdateRuleRequest* req,
                                       v1::UpdateRuleResponse* resp) override {
    return rpc_.Run(ctx, "UpdateRule", [this, req, resp](const CallContext& call) {
      return api_.UpdateRule(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateProposal(grpc::CallbackServerContext* ctx,
                                           const v1::CreateProposalRequest* req,
                                           v1::CreateProposalResponse* resp) override {
    return rpc_.Run(ctx, "CreateProposal", [this, req, resp](const CallContext& call) {
      return api_.CreateProposal(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetProposal(grpc::CallbackServerContext* ctx,
                                        const v1::GetProposalRequest* req,
                                        v1::GetProposalResponse* resp) override {
    return rpc_.Run(ctx, "GetProposal", [this, req, resp](const CallContext& call) {
      return api_.GetProposal(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListProposals(grpc::CallbackServerContext* ctx,
                                          const v1::ListProposalsRequest* req,
                                          v1::ListProposalsResponse* resp) override {
    return rpc_.Run(ctx, "ListProposals", [this, req, resp](const CallContext& call) {
      return api_.ListProposals(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CommentOnProposal(grpc::CallbackServerContext* ctx,
                                              const v1::CommentOnProposalRequest* req,
                                              v1::CommentOnProposalResponse* resp) override {
    return rpc_.Run(ctx, "CommentOnProposal", [this, req, resp](const CallContext& call) {
      return api_.CommentOnProposal(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* VoteOnProposal(grpc::CallbackServerContext* ctx,
                                           const v1::VoteOnProposalRequest* req,
                                           v1::VoteOnProposalResponse* resp) override {
    return rpc_.Run(ctx, "VoteOnProposal", [this, req, resp](const CallContext& call) {
      return api_.VoteOnProposal(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DecideProposal(grpc::CallbackServerContext* ctx,
                                           const v1::DecideProposalRequest* req,
                                           v1::DecideProposalResponse* resp) override {
    return rpc_.Run(ctx, "DecideProposal", [this, req, resp](const CallContext& call) {
      return api_.DecideProposal(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* AddAction(grpc::CallbackServerContext* ctx,
                                      const v1::AddActionRequest* req,
                                      v1::AddActionResponse* resp) override {
    return rpc_.Run(ctx, "AddAction", [this, req, resp](const CallContext& call) {
      return api_.AddAction(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateAction(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateActionRequest* req,
                                         v1::UpdateActionResponse* resp) override {
    return rpc_.Run(ctx, "UpdateAction", [this, req, resp](const CallContext& call) {
      return api_.UpdateAction(call, *req, resp);
    });
  }

 private:
  WarningApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::warning
