// Customer shares: a minimised view of a customer for another department or
// company system, allowed by a sharing grant of the customers service; each
// change marks the customer for the compacted share topic (share/).
#include "absl/strings/ascii.h"
#include "common/server/api_support.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "services/sync/api/api_util.h"
#include "services/sync/api/sync_api.h"
#include "services/sync/domain/sharing.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

v1::CustomerShare WithEtag(v1::CustomerShare s, int64_t version) {
  s.set_etag(absl::StrCat(version));
  return s;
}

SalesScope CustomerScope(const v1::MinimisedCustomer& c) {
  return {IdOf(c.owner()), IdOf(c.team()), IdOf(c.region())};
}

// Who shared it, members of the recipient unit (and below), the customer's
// supervisor and manager, directors and admins.
bool CanReadShare(const Viewer& v, const v1::CustomerShare& s) {
  if (s.shared_by() == Name(kMemberColl, v.principal.member_id)) {
    return true;
  }
  if (s.recipient().rfind("orgUnits/", 0) == 0 && v.Within(IdOf(s.recipient()))) {
    return true;
  }
  return LeadsSalesScope(v, CustomerScope(s.data()));
}

bool ValidSystemId(const std::string& id) {
  if (id.empty() || id.size() > 63) {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// Index-safe key of a recipient ("orgUnits/x" → "u:x", "systems/y" → "s:y").
std::string RecipientKey(const std::string& recipient) {
  return absl::StrCat(recipient.rfind("systems/", 0) == 0 ? "s:" : "u:", IdOf(recipient));
}

}  // namespace

absl::Status SyncApi::ShareCustomer(const CallContext& call, const v1::ShareCustomerRequest& req,
                                    v1::ShareCustomerResponse* resp) {
  // The grant changing meanwhile (another share under it, or its revocation) is a
  // lost race: run again, which checks the request_id and reads the grant afresh
  // (GRANT_DOES_NOT_ALLOW once revoked).
  return WithRetry(/*client_etag=*/false, [&] {
    resp->Clear();
    return ShareCustomerOnce(call, req, resp);
  });
}

absl::Status SyncApi::ShareCustomerOnce(const CallContext& call,
                                        const v1::ShareCustomerRequest& req,
                                        v1::ShareCustomerResponse* resp) {
  v1::CustomerShare in = req.share();
  ClearOutputOnly(&in);
  Violations v;
  const std::string customer_id =
      ParseResourceName(v, "share.customer", in.customer(), kCustomerColl);
  const bool to_unit = in.recipient().rfind("orgUnits/", 0) == 0;
  if (to_unit) {
    ParseResourceName(v, "share.recipient", in.recipient(), kUnitColl);
  } else if (in.recipient().rfind("systems/", 0) != 0 || !ValidSystemId(IdOf(in.recipient()))) {
    v.Add("share.recipient", "\"orgUnits/{id}\" or \"systems/{id}\"");
  }
  std::string grant_id;
  if (!in.sharing_grant().empty()) {
    grant_id = ParseResourceName(v, "share.sharing_grant", in.sharing_grant(), kGrantColl);
  } else if (to_unit) {
    v.Add("share.sharing_grant", "required to share with an org unit");
  }
  CheckText(v, "share.purpose", in.purpose(), 1, 200);
  const absl::Time now = clock_.Now();
  if (in.has_expire_time() && FromTs(in.expire_time()) <= now) {
    v.Add("share.expire_time", "must be in the future");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string caller = call.principal.member_id;
  auto replay = [&](const std::string& stored) -> absl::Status {
    SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, "customerShares/"));
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::CustomerShare>(repo_, DocKind::kShare, IdOf(stored),
                                                          "SHARE_NOT_FOUND", stored));
    if (!CanReadShare(viewer, got.doc)) {
      return RequestIdReused();
    }
    *resp->mutable_share() = WithEtag(got.doc, got.version);
    return absl::OkStatus();
  };
  if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
    return *r;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<v1::MinimisedCustomer>> customer,
                            LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, customer_id));
  if (!customer) {
    return NotFound("CUSTOMER_NOT_FOUND",
                    absl::StrCat(in.customer(), " is not known to the sync service (yet)"));
  }
  if (!InSalesScope(viewer, CustomerScope(customer->doc))) {
    return PermissionDenied("NOT_IN_SCOPE", absl::StrCat("you may not share ", in.customer(),
                                                         ": it is outside your scope"));
  }
  std::optional<Loaded<cv1::SharingGrant>> grant_used;
  if (!grant_id.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<cv1::SharingGrant>> grant,
                              LoadDoc<cv1::SharingGrant>(repo_, DocKind::kGrant, grant_id));
    grant_used = grant;
    if (!grant) {
      return FailedPrecondition("GRANT_NOT_FOUND",
                                absl::StrCat(in.sharing_grant(), " is not known (yet)"));
    }
    if (!GrantCovers(grant->doc, customer->doc, now)) {
      return FailedPrecondition("GRANT_DOES_NOT_ALLOW",
                                absl::StrCat(in.sharing_grant(), " does not cover ", in.customer(),
                                             " (revoked, expired or another customer)"));
    }
    if (to_unit) {
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain,
                                directory_.UnitAndAncestors(IdOf(in.recipient())));
      if (std::find(chain.begin(), chain.end(), IdOf(grant->doc.grantee())) == chain.end()) {
        return FailedPrecondition("GRANT_DOES_NOT_ALLOW",
                                  absl::StrCat(in.sharing_grant(), " is for ", grant->doc.grantee(),
                                               ", not ", in.recipient()));
      }
    }
  }
  const std::string id = NewId();
  in.set_name(Name(kShareColl, id));
  *in.mutable_data() = ForShare(customer->doc, in.include_primary_contact());
  in.set_state(v1::SHARE_STATE_ACTIVE);
  in.set_shared_by(Name(kMemberColl, caller));
  *in.mutable_create_time() = ToTs(now);
  Change c;
  c.Put(DocKind::kShare, id, in, 0);
  const std::string entry = Entry(NewestFirst(now), id);
  c.Index(Ix("share:all"), entry);
  c.Index(Ix("share:customer:", customer_id), entry);
  c.Index(Ix("share:recipient:", RecipientKey(in.recipient())), entry);
  c.Index(Ix("share:by:", caller), entry);
  if (!customer->doc.team().empty()) {
    c.Index(Ix("share:team:", IdOf(customer->doc.team())), entry);
  }
  if (!customer->doc.region().empty()) {
    c.Index(Ix("share:region:", IdOf(customer->doc.region())), entry);
  }
  if (!grant_id.empty()) {
    c.Index(Ix("share:grant:", grant_id), id);
  }
  // The grant as it was when decided: a revocation committed meanwhile (whose
  // projection revokes the grant's shares) makes this commit fail (WRITE_CONFLICT,
  // run again) instead of leaving a share the revocation never saw.
  if (grant_used) {
    c.PutOther(DocKind::kGrant, grant_id, grant_used->doc, grant_used->version);
  }
  if (in.has_expire_time()) {
    c.Schedule(kShareExpiry, id, in.expire_time().seconds());
  }
  c.dirty_shares.push_back(customer_id);
  v1::CustomerShared e;
  e.set_share(in.name());
  e.set_recipient(in.recipient());
  e.set_purpose(in.purpose());
  *e.mutable_customer() = in.data();
  e.set_sharing_grant(in.sharing_grant());
  *e.mutable_actor() = ActorOf(call);
  c.Emit(SyncEvent(id, in.name(), e, now, &call), kSyncTopic);
  if (!req.request_id().empty()) {
    c.Remember(caller, req.request_id(), in.name());
  }
  absl::Status s = repo_.Commit(c);
  if (ErrorReason(s) == reason::kRequestReplayed) {
    if (auto r = ReplayIfSeen(repo_, caller, req.request_id(), replay)) {
      return *r;
    }
  }
  SALESOPS_RETURN_IF_ERROR(s);
  *resp->mutable_share() = WithEtag(in, 1);
  return absl::OkStatus();
}

absl::Status SyncApi::ListCustomerShares(const CallContext& call,
                                         const v1::ListCustomerSharesRequest& req,
                                         v1::ListCustomerSharesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string customer;
  if (!req.customer().empty()) {
    customer = ParseResourceName(v, "customer", req.customer(), kCustomerColl);
  }
  if (!req.recipient().empty() && req.recipient().rfind("orgUnits/", 0) != 0 &&
      req.recipient().rfind("systems/", 0) != 0) {
    v.Add("recipient", "\"orgUnits/{id}\" or \"systems/{id}\"");
  }
  if (!v1::ShareState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter = absl::StrCat(req.customer(), "|", req.recipient(), "|", req.state());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  const std::string& unit = call.principal.org_unit_id;
  std::string index;
  if (!customer.empty()) {
    index = Ix("share:customer:", customer);
  } else if (!req.recipient().empty()) {
    index = Ix("share:recipient:", RecipientKey(req.recipient()));
  } else if (viewer.SeesAll()) {
    index = Ix("share:all");
  } else if (call.principal.role == Role::kManager && !unit.empty()) {
    index = Ix("share:region:", unit);
  } else if (call.principal.role == Role::kSupervisor && !unit.empty()) {
    index = Ix("share:team:", unit);
  } else {
    index = Ix("share:by:", call.principal.member_id);
  }
  auto keep = [&](const v1::CustomerShare& s) {
    return (req.state() == 0 || s.state() == req.state()) &&
           (req.recipient().empty() || s.recipient() == req.recipient()) && CanReadShare(viewer, s);
  };
  std::vector<Loaded<v1::CustomerShare>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::CustomerShare>(repo_, call, DocKind::kShare, index, cursor,
                                                       page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_shares() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::RevokeCustomerShare(const CallContext& call,
                                          const v1::RevokeCustomerShareRequest& req,
                                          v1::RevokeCustomerShareResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), kShareColl);
  CheckText(v, "reason", req.reason(), 0, 500);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(call));
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got, MustLoad<v1::CustomerShare>(repo_, DocKind::kShare, id,
                                                                    "SHARE_NOT_FOUND", req.name()));
    const bool sharer = got.doc.shared_by() == Name(kMemberColl, call.principal.member_id);
    const bool line =
        viewer.AtLeast(Role::kManager) && LeadsSalesScope(viewer, CustomerScope(got.doc.data()));
    if (!sharer && !line) {
      return PermissionDenied("NOT_ALLOWED",
                              "who shared it, the customer's manager, directors and admins revoke");
    }
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    if (got.doc.state() != v1::SHARE_STATE_ACTIVE) {
      return FailedPrecondition("SHARE_ENDED", "the share is no longer active");
    }
    const absl::Time now = clock_.Now();
    v1::CustomerShare s = got.doc;
    s.set_state(v1::SHARE_STATE_REVOKED);
    *s.mutable_revoke_time() = ToTs(now);
    s.set_revoke_reason(req.reason());
    Change c;
    c.Put(DocKind::kShare, id, s, got.version);
    c.Unschedule(kShareExpiry, id);
    c.dirty_shares.push_back(IdOf(s.customer()));
    v1::CustomerShareRevoked e;
    e.set_share(s.name());
    e.set_customer(s.customer());
    e.set_recipient(s.recipient());
    e.set_state(v1::SHARE_STATE_REVOKED);
    e.set_reason(req.reason());
    *e.mutable_actor() = ActorOf(call);
    c.Emit(SyncEvent(id, s.name(), e, now, &call), kSyncTopic);
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_share() = WithEtag(s, got.version + 1);
    return absl::OkStatus();
  });
}

}  // namespace salesops::sync
