// A small document store on Redis for services whose aggregates are protobuf
// messages: each aggregate is a hash {v: version, pb: serialized proto} under
// "<prefix>doc:<kind>:<id>"; lists are sorted-set indexes read in id order
// (ZRANGEBYLEX), so paging is stable under concurrent writes; time-based jobs
// read due-time sorted sets. A mutation is one WriteBatch (guards, document
// writes, index changes and outbox events) committed by one Lua script.
//
//   DocStore store(redis, outbox, "tgt:{tgt}:", MapConflict);
//   WriteBatch b;
//   DocStore::PutDocWith(store.prefix(), b, "plan", id, plan, /*expect_version=*/3);
//   b.Emit(event, topic);
//   SALESOPS_RETURN_IF_ERROR(store.Commit(b));   // ABORTED on a stale version
//
// Guard tags are "<what>:<detail>": "version:…" (ABORTED ETAG_MISMATCH),
// "exists:…" (ALREADY_EXISTS RESOURCE_EXISTS), "request:" (ALREADY_EXISTS
// REQUEST_REPLAYED, message = the resource the request created); other tags go
// to the service's mapper. Thread-safe (RedisClient is).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/docstore/kv.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"
#include "google/protobuf/message.h"

namespace salesops {

template <typename T>
struct Versioned {
  T doc;
  int64_t version = 0;
};

class DocStore {
 public:
  // Maps a failed guard the store does not know (tag split at the first ':').
  using ConflictMapper = std::function<absl::Status(
      const std::string& what, const std::string& detail, const std::string& current)>;
  // Reads through `kv`, commits through `committer`: Redis in the services
  // (RedisKvReader + TransactionalOutbox), InMemoryKv for both in unit tests.
  DocStore(KvReader& kv, BatchCommitter& committer, std::string prefix,
           ConflictMapper mapper = nullptr)
      : kv_(kv), outbox_(committer), prefix_(std::move(prefix)), mapper_(std::move(mapper)) {}
  DocStore(RedisClient& redis, TransactionalOutbox& outbox, std::string prefix,
           ConflictMapper mapper = nullptr)
      : owned_kv_(std::make_unique<RedisKvReader>(redis)),
        kv_(*owned_kv_),
        outbox_(outbox),
        prefix_(std::move(prefix)),
        mapper_(std::move(mapper)) {}
  virtual ~DocStore() = default;

  BatchCommitter& outbox() { return outbox_; }
  const std::string& prefix() const { return prefix_; }

  static std::string DocKeyWith(absl::string_view prefix, absl::string_view kind,
                                absl::string_view id);
  static std::string IndexWith(absl::string_view prefix, absl::string_view name,
                               absl::string_view value = "");
  // Writes the document at version expect_version + 1, guarded on
  // expect_version (0 = must not exist yet). The guard's tag is
  // "<version_tag>:<kind>:<id>": "version" (ABORTED ETAG_MISMATCH) for the
  // document the caller's etag names; another word (the service's mapper, e.g.
  // WRITE_CONFLICT) for a second document the write also changes, so that a race
  // on it runs again instead of reading as the caller's stale etag
  // (common/status/write_race.h).
  static void PutDocWith(absl::string_view prefix, WriteBatch& b, absl::string_view kind,
                         absl::string_view id, const google::protobuf::Message& doc,
                         int64_t expect_version, absl::string_view version_tag = "version");
  // The same with the document's bytes as they are (a document that is not a
  // protobuf message, or one serialized already).
  static void PutBytesWith(absl::string_view prefix, WriteBatch& b, absl::string_view kind,
                           absl::string_view id, std::string bytes, int64_t expect_version,
                           absl::string_view version_tag = "version");
  // Only the next version (expect_version + 1, guarded like PutDocWith), the document
  // as it is: a change kept elsewhere that evaluations of the document depend on.
  static void TouchDocWith(absl::string_view prefix, WriteBatch& b, absl::string_view kind,
                           absl::string_view id, int64_t expect_version);

  // nullopt when absent; INTERNAL when the stored bytes do not parse.
  absl::StatusOr<std::optional<int64_t>> GetRaw(absl::string_view kind, absl::string_view id,
                                                google::protobuf::Message* out);
  template <typename T>
  absl::StatusOr<std::optional<Versioned<T>>> Get(absl::string_view kind, absl::string_view id) {
    Versioned<T> v;
    absl::StatusOr<std::optional<int64_t>> version = GetRaw(kind, id, &v.doc);
    if (!version.ok()) {
      return version.status();
    }
    if (!*version) {
      return std::nullopt;
    }
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
    for (T& d : docs) {
      ptrs.push_back(&d);
    }
    absl::StatusOr<std::vector<int64_t>> versions = GetManyRaw(kind, ids, ptrs);
    if (!versions.ok()) {
      return versions.status();
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if ((*versions)[i] > 0) {
        out.push_back({std::move(docs[i]), (*versions)[i]});
      }
    }
    return out;
  }
  // A document's version and bytes, as stored.
  struct Bytes {
    int64_t version = 0;
    std::string data;
  };
  // One round trip; parallel to `ids`, nullopt for an absent document.
  absl::StatusOr<std::vector<std::optional<Bytes>>> GetManyBytes(
      absl::string_view kind, const std::vector<std::string>& ids);
  // Documents of any kinds in one round trip: versions (0 = absent) parallel
  // to `refs`, each parsed into its `out`.
  struct DocRef {
    absl::string_view kind;
    std::string id;
    google::protobuf::Message* out;
  };
  absl::StatusOr<std::vector<int64_t>> GetDocs(const std::vector<DocRef>& refs);
  // Versions (0 = absent) parallel to ids; docs parsed into `out`.
  absl::StatusOr<std::vector<int64_t>> GetManyRaw(
      absl::string_view kind, const std::vector<std::string>& ids,
      const std::vector<google::protobuf::Message*>& out);

  // Ids of an index after `after` (exclusive), at most `limit`, in order.
  absl::StatusOr<std::vector<std::string>> Range(const std::string& index, const std::string& after,
                                                 int limit);
  // The first `limit` ids of each index, all in one round trip; parallel to `indexes`.
  absl::StatusOr<std::vector<std::vector<std::string>>> RangeMany(
      const std::vector<std::string>& indexes, int limit);
  // Same with a raw ZRANGEBYLEX min ("-", "(x" exclusive, "[x" inclusive).
  absl::StatusOr<std::vector<std::string>> RangeFrom(const std::string& index,
                                                     const std::string& min, int limit);
  static std::string After(const std::string& after) { return after.empty() ? "-" : "(" + after; }
  // Members of a due-time schedule with score <= `until` (seconds), at most `limit`.
  absl::StatusOr<std::vector<std::string>> Due(const std::string& schedule, int64_t until,
                                               int limit);
  // Members with after < score <= until (seconds), at most `limit`, by score.
  absl::StatusOr<std::vector<std::string>> DueBetween(const std::string& schedule, int64_t after,
                                                      int64_t until, int limit);
  // Index members between two raw ZRANGEBYLEX bounds ("[a", "(b", "-", "+").
  absl::StatusOr<std::vector<std::string>> RangeBetween(const std::string& index,
                                                        const std::string& min,
                                                        const std::string& max, int limit);
  absl::StatusOr<int64_t> Count(const std::string& index);
  absl::StatusOr<std::optional<std::string>> GetString(const std::string& key);
  absl::StatusOr<int64_t> HGetInt(const std::string& key, const std::string& field);
  absl::StatusOr<bool> Exists(const std::string& key);
  absl::StatusOr<std::optional<std::string>> HGet(const std::string& key, const std::string& field);
  // Parallel to `fields`; nullopt for an absent field.
  absl::StatusOr<std::vector<std::optional<std::string>>> HMGet(
      const std::string& key, const std::vector<std::string>& fields);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HGetAll(const std::string& key);
  // A set's members, sorted.
  absl::StatusOr<std::vector<std::string>> Members(const std::string& key);

  absl::Status Commit(const WriteBatch& batch);

  // request_id replay (AIP-155), scoped to the caller: a mutation guarded with
  // GuardRequestWith records the resource it made for a day; a retry finds it
  // with SeenRequest (and a racing twin fails with ALREADY_EXISTS
  // REQUEST_REPLAYED). An empty request_id guards nothing.
  static std::string RequestKeyWith(absl::string_view prefix, absl::string_view caller,
                                    absl::string_view request_id);
  static void GuardRequestWith(absl::string_view prefix, WriteBatch& b, absl::string_view caller,
                               absl::string_view request_id, const std::string& resource);
  absl::StatusOr<std::optional<std::string>> SeenRequest(absl::string_view caller,
                                                         absl::string_view request_id);

  // The commands SeenRequest and GetDocs send, for a caller that prefetches
  // them with its other reads (prefetched_kv.h); SeenRequestCommand is empty
  // for an empty request_id (nothing to read).
  std::vector<std::string> SeenRequestCommand(absl::string_view caller,
                                              absl::string_view request_id) const;
  std::vector<std::string> GetDocCommand(absl::string_view kind, absl::string_view id) const;

  // What the store reads through: a handler builds its call's own store on a
  // PrefetchedKv over it. Also the service stores' reads beyond documents.
  KvReader& kv() { return kv_; }

 protected:
 private:
  std::unique_ptr<KvReader> owned_kv_;
  KvReader& kv_;
  BatchCommitter& outbox_;
  std::string prefix_;
  ConflictMapper mapper_;
};

}  // namespace salesops
