// What the sync service needs from storage, as one small interface; the Redis
// adapter is RedisSyncRepository (store/), the in-memory twin
// InMemorySyncRepository (store/, for unit tests). Every resource is a
// protobuf document with a version; a write is one Change — document puts
// guarded by the versions they were decided on, index and schedule entries,
// counters, the request_id record and the events to publish — applied
// atomically (transactional outbox), or not at all.
//
//   Change c;
//   c.Put(DocKind::kFeedback, id, feedback, /*expect_version=*/0);   // create
//   c.Index(FeedbackIndex("all"), Entry(sort_key, id));
//   c.Emit(event, kSyncTopic);
//   SALESOPS_RETURN_IF_ERROR(repo.Commit(c));   // ABORTED ETAG_MISMATCH on a lost race
//
// Consumers apply an event's Change with ApplyOnce(consumer, event, change):
// the event id is recorded in the same transaction, so a redelivered event
// changes nothing (effectively once).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/events/cloud_event.h"
#include "google/protobuf/message.h"

namespace salesops::sync {

enum class DocKind {
  kFeedback,
  kLaunch,
  kInsight,
  kCampaign,
  kLead,
  kShare,
  kTaskForce,
  kReception,
  kDelivery,
  kConfig,       // singletons: task force policy, feedback routing
  kCustomer,     // projection: the minimised customer (customers events)
  kOpportunity,  // projection: an opportunity's facts (customers events)
  kGrant,        // projection: a sharing grant (customers events)
};
absl::string_view DocKindName(DocKind kind);

struct StoredDoc {
  std::string data;  // serialized protobuf
  int64_t version = 0;
};

// One document write: the document at expect_version + 1, if it is at
// expect_version now (0: it must not exist yet).
struct DocPut {
  DocKind kind = DocKind::kFeedback;
  std::string id;
  std::string data;
  int64_t expect_version = 0;
  bool other = false;  // PutOther: a lost race is WRITE_CONFLICT
};
// A member added to / removed from a lexicographically ordered index.
struct IndexOp {
  std::string index;
  std::string member;
  bool add = true;
};
// A member of a time-ordered schedule (score: milliseconds or seconds, as the
// schedule's user decides).
struct ScheduleOp {
  std::string schedule;
  std::string member;
  int64_t score = 0;
  bool add = true;
};
struct CounterOp {
  std::string hash;
  std::string field;
  int64_t delta = 0;
};
struct OutEvent {
  CloudEvent event;
  std::string topic;
};

struct Change {
  std::vector<DocPut> puts;
  std::vector<IndexOp> indexes;
  std::vector<ScheduleOp> schedules;
  std::vector<CounterOp> counters;
  // Customer ids whose record on the share topic must be published again.
  std::vector<std::string> dirty_shares;
  // request_id replay (AIP-155), per caller: the resource this request made.
  std::string request_caller;
  std::string request_id;
  std::string request_resource;
  std::vector<OutEvent> events;

  void Put(DocKind kind, std::string id, const google::protobuf::Message& doc,
           int64_t expect_version) {
    puts.push_back({kind, std::move(id), doc.SerializeAsString(), expect_version});
  }
  // The same for a document the change writes besides the one the caller names
  // (the grant a share was decided on): a version that moved meanwhile is
  // ABORTED WRITE_CONFLICT, which runs the call again (common/status/write_race.h),
  // never the caller's ETAG_MISMATCH.
  void PutOther(DocKind kind, std::string id, const google::protobuf::Message& doc,
                int64_t expect_version) {
    puts.push_back({kind, std::move(id), doc.SerializeAsString(), expect_version, true});
  }
  void Index(std::string index, std::string member) {
    indexes.push_back({std::move(index), std::move(member), true});
  }
  void Unindex(std::string index, std::string member) {
    indexes.push_back({std::move(index), std::move(member), false});
  }
  void Schedule(std::string schedule, std::string member, int64_t score) {
    schedules.push_back({std::move(schedule), std::move(member), score, true});
  }
  void Unschedule(std::string schedule, std::string member) {
    schedules.push_back({std::move(schedule), std::move(member), 0, false});
  }
  void Count(std::string hash, std::string field, int64_t delta) {
    counters.push_back({std::move(hash), std::move(field), delta});
  }
  void Emit(CloudEvent event, std::string topic) {
    events.push_back({std::move(event), std::move(topic)});
  }
  void Remember(std::string caller, std::string id, std::string resource) {
    request_caller = std::move(caller);
    request_id = std::move(id);
    request_resource = std::move(resource);
  }
  bool empty() const {
    return puts.empty() && indexes.empty() && schedules.empty() && counters.empty() &&
           dirty_shares.empty() && events.empty() && request_id.empty();
  }
};

enum class ApplyOutcome { kApplied, kSeen };

// A customer whose share-topic record is due, and the change counter it was
// read at (publishing clears it only if nothing changed meanwhile).
struct DirtyShare {
  std::string customer;
  int64_t seq = 0;
};

class SyncRepository {
 public:
  virtual ~SyncRepository() = default;

  virtual absl::StatusOr<std::optional<StoredDoc>> Get(DocKind kind, const std::string& id) = 0;
  // Parallel to `ids` (nullopt = absent); one round trip.
  virtual absl::StatusOr<std::vector<std::optional<StoredDoc>>> GetMany(
      DocKind kind, const std::vector<std::string>& ids) = 0;
  // Index members after `after` (exclusive; "" = from the start), at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> Range(const std::string& index,
                                                         const std::string& after, int limit) = 0;
  // Schedule members with score <= `until`, lowest score first, at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> Due(const std::string& schedule, int64_t until,
                                                       int limit) = 0;
  // Every field of a counter hash (counters are bounded by their keys' domain).
  virtual absl::StatusOr<std::map<std::string, int64_t>> Counters(const std::string& hash) = 0;
  // The resource a caller's request_id created, if it was seen within a day.
  virtual absl::StatusOr<std::optional<std::string>> FindRequest(const std::string& caller,
                                                                 const std::string& request_id) = 0;

  // All or nothing. ABORTED ETAG_MISMATCH when a version guard fails (WRITE_CONFLICT
  // for a PutOther's), ALREADY_EXISTS RESOURCE_EXISTS (a create's id) or REQUEST_REPLAYED (the
  // request_id was used meanwhile; the message names its resource).
  virtual absl::Status Commit(const Change& change) = 0;
  // Commit plus the event's (source, id) recorded for `consumer` in the same
  // transaction; kSeen (nothing written) when it was applied before. Guard
  // failures as Commit.
  virtual absl::StatusOr<ApplyOutcome> ApplyOnce(const std::string& consumer,
                                                 const CloudEvent& cause, const Change& change) = 0;

  // ---- the share topic's bookkeeping (share/share_publisher.h)
  // Customers whose record must be published, oldest change first.
  virtual absl::StatusOr<std::vector<DirtyShare>> DirtyShares(int limit) = 0;
  // Clears the mark if the customer's change counter is still `d.seq` (true);
  // false when it changed meanwhile (the mark stays: publish again). The
  // counter only grows, so a publisher that read an older state can never
  // clear a newer change's mark.
  virtual absl::StatusOr<bool> ClearDirtyShare(const DirtyShare& d) = 0;
};

// Typed read: nullopt when absent; INTERNAL when the stored bytes do not parse.
template <typename M>
struct Loaded {
  M doc;
  int64_t version = 0;
};
template <typename M>
absl::StatusOr<std::optional<Loaded<M>>> LoadDoc(SyncRepository& repo, DocKind kind,
                                                 const std::string& id) {
  absl::StatusOr<std::optional<StoredDoc>> got = repo.Get(kind, id);
  if (!got.ok()) {
    return got.status();
  }
  if (!*got) {
    return std::nullopt;
  }
  Loaded<M> out;
  if (!out.doc.ParseFromString((*got)->data)) {
    return absl::InternalError(std::string("stored document does not parse: ") +
                               std::string(DocKindName(kind)) + " " + id);
  }
  out.version = (*got)->version;
  return out;
}

}  // namespace salesops::sync
