// WarningService handlers: validate, authorise by role and org scope, call
// the domain (evaluate / proposal), persist with the outbox. One method per
// RPC, each returning absl::Status; the gRPC adapter (warning_grpc_service.h)
// only forwards.
//
// Visibility (also the ownership check of every action): a rep sees the
// warnings where they are the rep; a supervisor or manager those whose team
// is in their unit's subtree (or routed to them); a director or admin all.
// Proposals follow their unit the same way.
#pragma once

#include <functional>
#include <string>

#include "common/server/rpc.h"
#include "common/time/clock.h"
#include "salesops/warning/v1/warning_service.pb.h"
#include "services/warning/domain/proposal.h"
#include "services/warning/events/engine.h"

namespace salesops::warning {

MethodPolicy WarningMethodPolicy();

class WarningApi {
 public:
  // `on_rules_changed`: called after a rule was created or updated (the
  // service re-evaluates every subject).
  WarningApi(WarningStore& store, WarningEngine& engine, org::OrgDirectory& directory,
             const Clock& clock, absl::TimeZone tz, std::function<void()> on_rules_changed)
      : store_(store),
        engine_(engine),
        directory_(directory),
        clock_(clock),
        tz_(tz),
        on_rules_changed_(std::move(on_rules_changed)) {}

  absl::Status ListWarnings(const CallContext& call, const v1::ListWarningsRequest& req,
                            v1::ListWarningsResponse* resp);
  absl::Status GetWarning(const CallContext& call, const v1::GetWarningRequest& req,
                          v1::GetWarningResponse* resp);
  absl::Status AcknowledgeWarning(const CallContext& call, const v1::AcknowledgeWarningRequest& req,
                                  v1::AcknowledgeWarningResponse* resp);

  absl::Status ListRules(const CallContext& call, const v1::ListRulesRequest& req,
                         v1::ListRulesResponse* resp);
  absl::Status GetRule(const CallContext& call, const v1::GetRuleRequest& req,
                       v1::GetRuleResponse* resp);
  absl::Status CreateRule(const CallContext& call, const v1::CreateRuleRequest& req,
                          v1::CreateRuleResponse* resp);
  absl::Status UpdateRule(const CallContext& call, const v1::UpdateRuleRequest& req,
                          v1::UpdateRuleResponse* resp);

  absl::Status CreateProposal(const CallContext& call, const v1::CreateProposalRequest& req,
                              v1::CreateProposalResponse* resp);
  absl::Status GetProposal(const CallContext& call, const v1::GetProposalRequest& req,
                           v1::GetProposalResponse* resp);
  absl::Status ListProposals(const CallContext& call, const v1::ListProposalsRequest& req,
                             v1::ListProposalsResponse* resp);
  absl::Status CommentOnProposal(const CallContext& call, const v1::CommentOnProposalRequest& req,
                                 v1::CommentOnProposalResponse* resp);
  absl::Status VoteOnProposal(const CallContext& call, const v1::VoteOnProposalRequest& req,
                              v1::VoteOnProposalResponse* resp);
  absl::Status DecideProposal(const CallContext& call, const v1::DecideProposalRequest& req,
                              v1::DecideProposalResponse* resp);
  absl::Status AddAction(const CallContext& call, const v1::AddActionRequest& req,
                         v1::AddActionResponse* resp);
  absl::Status UpdateAction(const CallContext& call, const v1::UpdateActionRequest& req,
                            v1::UpdateActionResponse* resp);

 private:
  // The units from `unit` ("orgUnits/{id}") up to the root.
  absl::StatusOr<std::vector<std::string>> ChainOf(const std::string& unit);
  // Whether the caller covers `unit` (their unit is in its chain; admins and
  // directors cover everything).
  absl::StatusOr<bool> Covers(const Principal& who, const std::string& unit);
  absl::StatusOr<bool> CanSee(const Principal& who, const v1::Warning& w);
  absl::StatusOr<Versioned<v1::Warning>> LoadWarning(const std::string& field,
                                                     const std::string& name);
  absl::StatusOr<Versioned<v1::StrategyProposal>> LoadProposal(const CallContext& call,
                                                               const std::string& field,
                                                               const std::string& name);
  absl::StatusOr<ProposalContext> ContextOf(const std::string& unit);
  // One attempt of CreateProposal (run again by RetryWriteRace).
  absl::Status CreateProposalOnce(const CallContext& call, const v1::CreateProposalRequest& req,
                                  v1::CreateProposalResponse* resp);
  // Stores a changed proposal (guarded on `version`) with its event.
  absl::Status SaveProposal(const CallContext& call, const v1::StrategyProposal& p, int64_t version,
                            const google::protobuf::Message& event, WriteBatch b = WriteBatch());

  WarningStore& store_;
  WarningEngine& engine_;
  org::OrgDirectory& directory_;
  const Clock& clock_;
  absl::TimeZone tz_;
  std::function<void()> on_rules_changed_;
};

}  // namespace salesops::warning
