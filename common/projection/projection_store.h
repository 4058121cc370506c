// Effectively-once projections: a consumer turns an event into a WriteBatch
// (projection updates, and possibly events of its own), and ApplyOnce runs it
// in the same Redis transaction that records the event id. A redelivered
// event finds its id recorded and changes nothing.
//
//   WriteBatch b;
//   b.HIncrBy(headcount_key, unit_id, +1);
//   SALESOPS_ASSIGN_OR_RETURN(bool applied, store.ApplyOnce(event, std::move(b)));
//
// Ids are remembered for `seen_ttl`, which must outlast any redelivery window:
// the retention of the consumed topics (14 days for event topics in the Helm chart) plus a margin.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/outbox/write_batch.h"

namespace salesops {

class ProjectionStore {
 public:
  // `seen_prefix` e.g. "org:{org}:headcount:seen:" (keep the keyspace's hash tag).
  ProjectionStore(BatchCommitter& outbox, std::string seen_prefix,
                  absl::Duration seen_ttl = absl::Hours(24 * 15));

  // True when applied now, false when the event had been applied before.
  absl::StatusOr<bool> ApplyOnce(const CloudEvent& event, WriteBatch batch);
  // Many events in one Redis round trip, each applied once and atomically on
  // its own; results in order.
  std::vector<absl::StatusOr<bool>> ApplyOnceMany(
      std::vector<std::pair<const CloudEvent*, WriteBatch>> items);

  // Like ApplyOnce, for batches with guards of their own: the raw result, so a
  // caller can tell "applied before" (failed_tag "seen") from its own guard
  // failing (then re-read and try again).
  absl::StatusOr<CommitResult> TryApplyOnce(const CloudEvent& event, WriteBatch batch);
  // TryApplyOnce for many events in one Redis round trip; results in order.
  std::vector<absl::StatusOr<CommitResult>> TryApplyOnceMany(
      std::vector<std::pair<const CloudEvent*, WriteBatch>> items);

  // TryApplyOnceMany for events prepared one after another: Add hands an event's
  // batch to the store at once (BatchCommitter::OpenStream), so it is applied
  // while the caller prepares the next; Finish answers each, in order.
  class Stream {
   public:
    void Add(const CloudEvent& event, WriteBatch batch) {
      stream_->Add(store_.Guarded(event, std::move(batch)));
    }
    std::vector<absl::StatusOr<CommitResult>> Finish() { return stream_->Finish(); }

   private:
    friend class ProjectionStore;
    explicit Stream(const ProjectionStore& store)
        : store_(store), stream_(store.outbox_.OpenStream()) {}
    const ProjectionStore& store_;
    std::unique_ptr<CommitStream> stream_;
  };
  Stream OpenStream() { return Stream(*this); }

  // TryApplyOnceMany as few commits as it can: the events' batches combined
  // (WriteBatch::Combine) into one script per chunk, applied all together or
  // not at all, their counters summed. Where that cannot be (a batch's guard
  // reads what an earlier one writes, a guard fails, e.g. an event applied
  // meanwhile by another consumer), the chunk goes as TryApplyOnceMany does,
  // each event on its own. Results in order, as TryApplyOnceMany's, except
  // that an event's outbox_ids are the entries holding its events the
  // combined commit published (WriteBatch::EmitLatest's superseded ones are
  // not), entries it may share with other events of the commit.
  std::vector<absl::StatusOr<CommitResult>> TryApplyCombined(
      std::vector<std::pair<const CloudEvent*, WriteBatch>> items);
  // How many combined commits fell back to one commit per event (thread-safe).
  int64_t combined_fallbacks() const { return combined_fallbacks_.load(); }

  // TryApplyCombined for events prepared one after another: Add keeps an
  // event's batch, and each chunk, once full, goes to the store combined at
  // once (BatchCommitter::OpenStream), so Redis applies it while the caller
  // prepares the next. Finish answers each event, in order, as TryApplyCombined.
  // A chunk commits only if the one before it did: it guards a marker the
  // earlier chunk sets. So once a chunk is refused every later one is too, and
  // all of them then go one event at a time, in order, as TryApplyCombined's
  // would: an event's own events never overtake an earlier event's. A chunk
  // that cannot combine, and every chunk after it, is sent at Finish instead.
  // Once a chunk fails without an answer (an error: it may or may not have
  // run; combined, or one of a refused chunk's batches committed one by one),
  // every later chunk's events it did not commit get an error too
  // (PROJECTION_CHUNK_UNKNOWN) rather than going one by one: their batches
  // were made assuming its writes, so the caller redoes them from fresh reads.
  // Not thread-safe; one per wave.
  class CombinedStream {
   public:
    void Add(const CloudEvent& event, WriteBatch batch);
    // Sends the open chunk as the last one, so that Finish only waits for the
    // answers (optional: Finish does it too). Events added after it had sent
    // a chunk are committed one at a time by Finish, after the chunks sent.
    void SendLast() { Close(/*last=*/true); }
    std::vector<absl::StatusOr<CommitResult>> Finish();

   private:
    friend class ProjectionStore;
    CombinedStream(ProjectionStore& store, size_t max_chunk_writes);
    // Sends the open chunk combined (or keeps it for Finish). `last`: no chunk
    // follows, so it sets no marker.
    void Close(bool last);

    struct Chunk {
      std::vector<WriteBatch> batches;  // guarded, each as it would commit alone
      bool sent = false;                // combined, in stream_; else committed at Finish
      std::vector<size_t> published;    // sent: how many of each batch's events it publishes
    };
    ProjectionStore& store_;
    const size_t max_chunk_writes_;
    std::unique_ptr<CommitStream> stream_;
    std::vector<Chunk> chunks_;
    std::vector<WriteBatch> open_;
    size_t open_writes_ = 0;
    std::string marker_;  // the last chunk sent sets it; "" when none
    bool streaming_ = true;
  };
  // `max_chunk_writes`: a chunk's script keeps Redis busy while it runs, and is
  // what the caller's next chunk overlaps with.
  CombinedStream OpenCombined(size_t max_chunk_writes = kMaxChunkWrites) {
    return CombinedStream(*this, max_chunk_writes);
  }
  static constexpr size_t kMaxChunkWrites = 4096;
  // The failed_tag of a chunk refused because the chunk before it was.
  static constexpr char kChainTag[] = "chain";

  std::string SeenKey(const CloudEvent& event) const;
  // The failed_tag of a TryApplyOnce whose event had been applied before.
  static constexpr char kSeenTag[] = "seen";
  // A Try* result with nothing left to do: applied now, or before.
  static bool Applied(const CommitResult& r) { return r.committed || r.failed_tag == kSeenTag; }

 private:
  WriteBatch Guarded(const CloudEvent& event, WriteBatch batch) const;

  BatchCommitter& outbox_;
  std::string seen_prefix_;
  absl::Duration seen_ttl_;
  std::atomic<int64_t> combined_fallbacks_{0};
  // Chain markers: "<seen_prefix>chain:<random>:<n>", unique per store and chunk.
  const std::string chain_prefix_;
  std::atomic<uint64_t> chain_count_{0};
};

}  // namespace salesops
