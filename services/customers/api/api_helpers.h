// Helpers shared by the CustomersApi translation units (not a public API):
// time conversion, request-id replay, events, policies, access checks, and
// the activity clock that drives release to the pool.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/docstore/prefetched_kv.h"
#include "common/outbox/write_batch.h"
#include "common/server/api_support.h"
#include "common/server/rpc.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "salesops/common/v1/common.pb.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "services/customers/domain/access.h"
#include "services/customers/store/customers_store.h"

namespace salesops::customers::internal {

using org::OrgDirectory;

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
// Sharing grants considered per customer, and selector grants per request.
inline constexpr int kMaxGrantsConsidered = 200;
// Candidates a filtered customer list reads at most per call before it
// answers a shorter page with a token to continue (AIP-158).
inline constexpr int kMaxScanPerCall = 1000;

// request_id is unique per caller (AIP-155).
// The resource name a replayed request created, if any.
absl::StatusOr<std::optional<std::string>> SeenRequest(CustomersStore& store,
                                                       const CallContext& call,
                                                       const std::string& request_id);
void GuardRequest(WriteBatch& b, const CallContext& call, const std::string& request_id,
                  const std::string& resource_name);

void Emit(WriteBatch& b, const CallContext& call, const std::string& key,
          const std::string& subject, const google::protobuf::Message& payload, absl::Time time);

// backfill_time: admins only, not in the future; otherwise `now`.
absl::StatusOr<absl::Time> EffectiveTime(const CallContext& call,
                                         const google::protobuf::Timestamp* backfill,
                                         bool has_backfill, absl::Time now);

struct Policies {
  v1::TierPolicy tier;
  int64_t tier_version = 0;
  v1::PoolPolicy pool;
  int64_t pool_version = 0;
};
// Both policies in one round trip.
absl::StatusOr<Policies> LoadPolicies(CustomersStore& store);
// A customer (NOT_FOUND when absent, etag set) and the policies, in one round trip.
absl::StatusOr<std::pair<Versioned<v1::Customer>, Policies>> LoadCustomerAndPolicies(
    CustomersStore& store, const std::string& id);

// A write's own view of the store and the org directory, read through one
// prefetch (common/docstore/prefetched_kv.h): the handler sends the reads it
// decides on at once, then runs its usual code on `store` and `directory`.
// `reads` may add a later prefetch (a read that depends on an earlier one).
struct PrefetchedCall {
  PrefetchedCall(CustomersStore& shared, const std::vector<std::vector<std::string>>& commands)
      : reads(shared.kv()), store(reads, shared.outbox()), directory(reads, kKeyPrefix) {
    reads.Prefetch(commands);
  }
  PrefetchedKv reads;
  CustomersStore store;
  OrgDirectory directory;
};

// Id of "collection/id" (violation added when malformed).
std::string IdOf(Violations& v, const std::string& field, const std::string& name,
                 const std::string& collection);

// Access of the caller to a customer (grants loaded only when needed).
absl::StatusOr<Access> AccessTo(CustomersStore& store, OrgDirectory& dir, const CallContext& call,
                                const v1::Customer& customer, absl::Time now);

// The same for many customers of one request (a list page): the caller's
// units and the selector grants are read once per request, the per-customer
// grants of a batch in one round trip, so checking a page costs a bounded
// number of round trips whatever its size.
class AccessChecker {
 public:
  AccessChecker(CustomersStore& store, OrgDirectory& dir, const CallContext& call, absl::Time now)
      : store_(store), dir_(dir), call_(call), now_(now) {}
  absl::StatusOr<std::vector<Access>> Check(const std::vector<const v1::Customer*>& customers);

 private:
  absl::Status LoadShared();

  CustomersStore& store_;
  OrgDirectory& dir_;
  const CallContext& call_;
  absl::Time now_;
  bool shared_loaded_ = false;
  std::vector<v1::SharingGrant> selector_grants_;
  Viewer viewer_;
};

// The caller's access to the customers of a list's items (activities, tasks of
// a member span many customers), each customer loaded and checked once per
// request, a page's worth in one round trip.
class AccessMemo {
 public:
  AccessMemo(CustomersStore& store, OrgDirectory& dir, const CallContext& call, absl::Time now)
      : store_(store), dir_(dir), call_(call), now_(now) {}
  // Loads and checks the customers (names "customers/{id}") not seen yet.
  absl::Status Prefetch(const std::vector<std::string>& customer_names);
  // After Prefetch: whether the caller may read the customer (absent: no).
  bool CanReadCustomer(const std::string& customer_name) const;

 private:
  CustomersStore& store_;
  OrgDirectory& dir_;
  const CallContext& call_;
  absl::Time now_;
  absl::flat_hash_map<std::string, bool> readable_;
};

// Moves the last-activity clock (store/customers_store.h, LastActivityKey).
void TouchActivity(WriteBatch& b, const v1::Customer& customer, absl::Time t,
                   const v1::PoolPolicy& pool);  // pool: reserved for per-policy scheduling
// Fills last_activity_time / release_due_time / next_visit_due_time.
absl::Status FillDerived(CustomersStore& store, const Policies& policies,
                         std::vector<v1::Customer*> customers);

// Loads a customer; NOT_FOUND naming it.
absl::StatusOr<Versioned<v1::Customer>> LoadCustomer(CustomersStore& store, const std::string& id);

// Index writes for a customer moving from `before` (nullptr: new) to `after`.
void ReindexCustomer(WriteBatch& b, const v1::Customer* before, const v1::Customer& after);
std::string NameIndexMember(const v1::Customer& c);

// Who a caller may name as the person doing or owning work on `customer`
// (activity performer, task assignee): themself; otherwise an active member in
// the caller's scope, or the customer's owner (a shared collaborator hands a
// follow-up to the owner). INVALID_ARGUMENT naming `field` for an unknown or
// departed member; PERMISSION_DENIED for one outside the caller's reach.
absl::Status CheckNamedMember(OrgDirectory& dir, const CallContext& call,
                              const v1::Customer& customer, const std::string& member_id,
                              const std::string& field);

// Moves the customer's activity clock to `t` only if that is later than the
// recorded one (a backdated visit must not make a customer look neglected),
// guarded so a concurrent touch is not lost (ABORTED ETAG_MISMATCH: retried).
absl::Status TouchActivityForward(CustomersStore& store, WriteBatch& b,
                                  const v1::Customer& customer, absl::Time t,
                                  const v1::PoolPolicy& pool);

// Schedules a tier re-evaluation of the customer at `when`.
void ScheduleTier(WriteBatch& b, const std::string& customer_id, absl::Time when);

}  // namespace salesops::customers::internal
