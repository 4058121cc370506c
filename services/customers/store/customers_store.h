// Redis storage of the customers service. Every aggregate (customer,
// opportunity, activity, task, contract, sharing grant, policy) is a hash
// {v: version, pb: serialized proto} under "cust:{cust}:doc:<kind>:<id>";
// lists are sorted-set indexes read in id order (ZRANGEBYLEX), so paging is
// stable under concurrent writes; time-based jobs read "sched:*" sorted sets
// scored by due time. A mutation is one WriteBatch (guards, document writes,
// index changes and outbox events) committed by one Lua script.
//
//   WriteBatch b;
//   store.PutDoc(b, kCustomer, id, customer, /*expect_version=*/3);
//   b.ZAdd(store.Index("owner:", owner), 0, id);
//   b.Emit(event, kCustomersTopic);
//   SALESOPS_RETURN_IF_ERROR(store.Commit(b));   // ABORTED on a stale etag
//
// Thread-safe (RedisClient is).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "google/protobuf/message.h"

namespace salesops::customers {

inline constexpr char kKeyPrefix[] = "cust:{cust}:";
std::string CustKey(absl::string_view suffix);

// Document kinds.
inline constexpr char kCustomer[] = "customer";
inline constexpr char kOpportunity[] = "opportunity";
inline constexpr char kActivity[] = "activity";
inline constexpr char kTask[] = "task";
inline constexpr char kContract[] = "contract";
inline constexpr char kGrant[] = "grant";
inline constexpr char kPolicy[] = "policy";

template <typename T>
struct Versioned {
  T doc;
  int64_t version = 0;
};

class CustomersStore {
 public:
  CustomersStore(RedisClient& redis, TransactionalOutbox& outbox)
      : redis_(redis), outbox_(outbox) {}

  RedisClient& redis() { return redis_; }
  TransactionalOutbox& outbox() { return outbox_; }

  static std::string DocKey(absl::string_view kind, absl::string_view id);
  static std::string Index(absl::string_view name, absl::string_view value = "");

  // nullopt when absent; INTERNAL when the stored bytes do not parse.
  absl::StatusOr<std::optional<int64_t>> GetRaw(absl::string_view kind, absl::string_view id,
                                                google::protobuf::Message* out);
  template <typename T>
  absl::StatusOr<std::optional<Versioned<T>>> Get(absl::string_view kind, absl::string_view id) {
    Versioned<T> v;
    absl::StatusOr<std::optional<int64_t>> version = GetRaw(kind, id, &v.doc);
    if (!version.ok()) return version.status();
    if (!*version) return std::nullopt;
    v.version = **version;
    return v;
  }
  // One round trip; absent ids are skipped.
  template <typename T>
  absl::StatusOr<std::vector<Versioned<T>>> GetMany(absl::string_view kind,
                                                    const std::vector<std::string>& ids) {
    std::vector<Versioned<T>> out;
    std::vector<T> docs(ids.size());
    std::vector<google::protobuf::Message*> ptrs;
    for (T& d : docs) ptrs.push_back(&d);
    absl::StatusOr<std::vector<int64_t>> versions = GetManyRaw(kind, ids, ptrs);
    if (!versions.ok()) return versions.status();
    for (size_t i = 0; i < ids.size(); ++i) {
      if ((*versions)[i] > 0) out.push_back({std::move(docs[i]), (*versions)[i]});
    }
    return out;
  }
  // Versions (0 = absent) parallel to ids; docs parsed into `out`.
  absl::StatusOr<std::vector<int64_t>> GetManyRaw(
      absl::string_view kind, const std::vector<std::string>& ids,
      const std::vector<google::protobuf::Message*>& out);

  // Ids of an index after `after` (exclusive), at most `limit`, in order.
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index, const std::string& after,
                                                 int limit);
  // Same with a raw ZRANGEBYLEX min ("-", "(x" exclusive, "[x" inclusive).
  absl::StatusOr<std::vector<std::string>> RangeFrom(const std::string& index,
                                                     const std::string& min, int limit);
  static std::string After(const std::string& after) { return after.empty() ? "-" : "(" + after; }
  // Members of a due-time schedule with score <= `until` (seconds), at most `limit`.
  absl::StatusOr<std::vector<std::string>> Due(const std::string& schedule, int64_t until,
                                               int limit);
  absl::StatusOr<int64_t> Count(const std::string& index);
  absl::StatusOr<std::optional<std::string>> GetString(const std::string& key);
  absl::StatusOr<int64_t> HGetInt(const std::string& key, const std::string& field);
  absl::StatusOr<bool> Exists(const std::string& key);

  // Writes the document at version expect_version + 1, guarded on
  // expect_version (0 = must not exist yet; guard tag "version:<kind>:<id>").
  static void PutDoc(WriteBatch& b, absl::string_view kind, absl::string_view id,
                     const google::protobuf::Message& doc, int64_t expect_version);

  // Commits; a failed guard becomes ABORTED (version), ALREADY_EXISTS (ids,
  // unique keys: naming the existing resource) or FAILED_PRECONDITION.
  absl::Status Commit(const WriteBatch& batch);

 private:
  RedisClient& redis_;
  TransactionalOutbox& outbox_;
};

}  // namespace salesops::customers
