#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

absl::string_view DocKindName(DocKind kind) {
  switch (kind) {
    case DocKind::kFeedback:
      return "feedback";
    case DocKind::kLaunch:
      return "launch";
    case DocKind::kInsight:
      return "insight";
    case DocKind::kCampaign:
      return "campaign";
    case DocKind::kLead:
      return "lead";
    case DocKind::kShare:
      return "share";
    case DocKind::kTaskForce:
      return "task_force";
    case DocKind::kReception:
      return "reception";
    case DocKind::kDelivery:
      return "delivery";
    case DocKind::kConfig:
      return "config";
    case DocKind::kCustomer:
      return "customer";
    case DocKind::kOpportunity:
      return "opportunity";
    case DocKind::kGrant:
      return "grant";
  }
  return "unknown";
}

}  // namespace salesops::sync
