#include "services/sync/jobs/sla_jobs.h"

#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/domain/feedback.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/domain/workflow.h"

namespace salesops::sync {
namespace {

// A lost race means another replica took the item: not an error.
absl::StatusOr<bool> Committed(const absl::Status& s) {
  if (s.ok()) {
    return true;
  }
  if (ErrorReason(s) == reason::kEtagMismatch) {
    return false;
  }
  return s;
}

// Drops a schedule entry whose item needs nothing (any more).
absl::StatusOr<bool> Drop(SyncRepository& repo, const char* schedule, const std::string& id) {
  Change c;
  c.Unschedule(schedule, id);
  SALESOPS_RETURN_IF_ERROR(repo.Commit(c));
  return false;
}

}  // namespace

absl::StatusOr<SlaCounts> SlaJobs::RunOnce(int limit) {
  const absl::Time now = clock_.Now();
  const int64_t now_s = absl::ToUnixSeconds(now);
  SlaCounts counts;
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> feedback,
                            repo_.Due(kFeedbackDue, now_s, limit));
  for (const std::string& id : feedback) {
    SALESOPS_ASSIGN_OR_RETURN(bool raised, FeedbackDue(id, now));
    counts.feedback_overdue += raised ? 1 : 0;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> leads, repo_.Due(kLeadDue, now_s, limit));
  for (const std::string& id : leads) {
    SALESOPS_ASSIGN_OR_RETURN(bool raised, LeadDue(id, now));
    counts.leads_overdue += raised ? 1 : 0;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> shares, repo_.Due(kShareExpiry, now_s, limit));
  for (const std::string& id : shares) {
    SALESOPS_ASSIGN_OR_RETURN(bool expired, ShareDue(id, now));
    counts.shares_expired += expired ? 1 : 0;
  }
  return counts;
}

absl::StatusOr<bool> SlaJobs::FeedbackDue(const std::string& id, absl::Time now) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::Feedback>> got,
                            LoadDoc<v1::Feedback>(repo_, DocKind::kFeedback, id));
  if (!got || !IsOpen(got->doc.state()) || got->doc.overdue()) {
    return Drop(repo_, kFeedbackDue, id);
  }
  if (!IsOverdue(FromTs(got->doc.response_due_time()), now)) {
    return false;  // moved later
  }
  v1::Feedback f = got->doc;
  f.set_overdue(true);
  f.clear_etag();
  Change c;
  c.Put(DocKind::kFeedback, id, f, got->version);
  c.Unschedule(kFeedbackDue, id);
  v1::FeedbackOverdue e;
  *e.mutable_feedback() = f;
  c.Emit(MakeCloudEvent(kSyncSource, id, f.name(), e, now), kSyncTopic);
  return Committed(repo_.Commit(c));
}

absl::StatusOr<bool> SlaJobs::LeadDue(const std::string& id, absl::Time now) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::CampaignLead>> got,
                            LoadDoc<v1::CampaignLead>(repo_, DocKind::kLead, id));
  if (!got || got->doc.state() != v1::LEAD_STATE_HANDED_OVER || got->doc.overdue()) {
    return Drop(repo_, kLeadDue, id);
  }
  if (!IsOverdue(FromTs(got->doc.first_contact_due_time()), now)) {
    return false;
  }
  SALESOPS_ASSIGN_OR_RETURN(
      std::optional<Loaded<v1::Campaign>> campaign,
      LoadDoc<v1::Campaign>(repo_, DocKind::kCampaign, IdOf(got->doc.campaign())));
  v1::CampaignLead l = got->doc;
  l.set_overdue(true);
  l.clear_etag();
  Change c;
  c.Put(DocKind::kLead, id, l, got->version);
  c.Unschedule(kLeadDue, id);
  c.Count(absl::StrCat("campaign:stats:", IdOf(l.campaign())), "overdue", 1);
  v1::LeadContactOverdue e;
  *e.mutable_lead() = l;
  if (campaign) {
    e.set_campaign_title(campaign->doc.title());
  }
  c.Emit(MakeCloudEvent(kSyncSource, id, l.name(), e, now), kSyncTopic);
  return Committed(repo_.Commit(c));
}

absl::StatusOr<bool> SlaJobs::ShareDue(const std::string& id, absl::Time now) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::CustomerShare>> got,
                            LoadDoc<v1::CustomerShare>(repo_, DocKind::kShare, id));
  if (!got || got->doc.state() != v1::SHARE_STATE_ACTIVE) {
    return Drop(repo_, kShareExpiry, id);
  }
  if (!got->doc.has_expire_time() || FromTs(got->doc.expire_time()) > now) {
    return false;
  }
  v1::CustomerShare s = got->doc;
  s.set_state(v1::SHARE_STATE_EXPIRED);
  s.clear_etag();
  Change c;
  c.Put(DocKind::kShare, id, s, got->version);
  c.Unschedule(kShareExpiry, id);
  c.dirty_shares.push_back(IdOf(s.customer()));
  v1::CustomerShareRevoked e;
  e.set_share(s.name());
  e.set_customer(s.customer());
  e.set_recipient(s.recipient());
  e.set_state(v1::SHARE_STATE_EXPIRED);
  e.set_reason("expired");
  c.Emit(MakeCloudEvent(kSyncSource, id, s.name(), e, now), kSyncTopic);
  return Committed(repo_.Commit(c));
}

}  // namespace salesops::sync
