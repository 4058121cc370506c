#include "common/projection/projection_store.h"

#include <iterator>
#include <optional>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops {

namespace {

// A chain marker lives from one chunk's script to the next's, which deletes
// it; one left by a stream that stopped half-way expires.
constexpr long long kChainMarkerTtlSeconds = 300;

}  // namespace

ProjectionStore::ProjectionStore(BatchCommitter& outbox, std::string seen_prefix,
                                 absl::Duration seen_ttl)
    : outbox_(outbox),
      seen_prefix_(std::move(seen_prefix)),
      seen_ttl_(seen_ttl),
      chain_prefix_(absl::StrCat(
          seen_prefix_,
          "chain:", absl::Hex(absl::Uniform<uint64_t>(absl::BitGen()), absl::kZeroPad16), ":")) {}

std::string ProjectionStore::SeenKey(const CloudEvent& event) const {
  // (source, id) identifies an event.
  return absl::StrCat(seen_prefix_, event.source, ":", event.id);
}

WriteBatch ProjectionStore::Guarded(const CloudEvent& event, WriteBatch batch) const {
  std::string seen = SeenKey(event);
  WriteBatch marker;
  marker.ExpectAbsent(seen, kSeenTag);
  marker.Set(std::move(seen), "1", absl::ToInt64Seconds(seen_ttl_));
  batch.Prepend(std::move(marker));
  return batch;
}

absl::StatusOr<bool> ProjectionStore::ApplyOnce(const CloudEvent& event, WriteBatch batch) {
  absl::StatusOr<CommitResult> r = outbox_.Commit(Guarded(event, std::move(batch)));
  if (!r.ok()) {
    return r.status();
  }
  return r->committed;
}

absl::StatusOr<CommitResult> ProjectionStore::TryApplyOnce(const CloudEvent& event,
                                                           WriteBatch batch) {
  return outbox_.Commit(Guarded(event, std::move(batch)));
}

std::vector<absl::StatusOr<CommitResult>> ProjectionStore::TryApplyOnceMany(
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items) {
  std::vector<WriteBatch> batches;
  batches.reserve(items.size());
  for (auto& [event, batch] : items) {
    batches.push_back(Guarded(*event, std::move(batch)));
  }
  return outbox_.CommitMany(batches);
}

std::vector<absl::StatusOr<CommitResult>> ProjectionStore::TryApplyCombined(
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items) {
  CombinedStream stream = OpenCombined();
  for (auto& [event, batch] : items) {
    stream.Add(*event, std::move(batch));
  }
  return stream.Finish();
}

ProjectionStore::CombinedStream::CombinedStream(ProjectionStore& store, size_t max_chunk_writes)
    : store_(store), max_chunk_writes_(max_chunk_writes), stream_(store.outbox_.OpenStream()) {}

void ProjectionStore::CombinedStream::Add(const CloudEvent& event, WriteBatch batch) {
  WriteBatch guarded = store_.Guarded(event, std::move(batch));
  const size_t writes = guarded.op_count() + guarded.event_count();
  if (!open_.empty() && open_writes_ + writes > max_chunk_writes_) {
    Close(/*last=*/false);
  }
  open_.push_back(std::move(guarded));
  open_writes_ += writes;
}

void ProjectionStore::CombinedStream::Close(bool last) {
  if (open_.empty()) {
    return;
  }
  Chunk chunk;
  chunk.batches = std::move(open_);
  open_.clear();
  open_writes_ = 0;
  std::optional<WriteBatch> combined;
  if (streaming_) {
    combined = WriteBatch::Combine(chunk.batches, &chunk.published);
  }
  if (!combined.has_value()) {
    // One by one at Finish, after the chunks sent so far are answered; so is
    // everything after it, which must not overtake it.
    chunk.published.clear();  // read for sent chunks only
    streaming_ = false;
    chunks_.push_back(std::move(chunk));
    return;
  }
  if (!marker_.empty()) {
    combined->ExpectPresent(marker_, kChainTag);
    combined->Del(marker_);
    marker_.clear();
  }
  if (!last) {
    marker_ = absl::StrCat(store_.chain_prefix_, store_.chain_count_.fetch_add(1));
    combined->Set(marker_, "1", kChainMarkerTtlSeconds);
  } else {
    // Nothing chains on to it: should more be added (after SendLast), it
    // commits one event at a time at Finish, after this chunk's answer.
    streaming_ = false;
  }
  stream_->Add(*std::move(combined));
  chunk.sent = true;
  chunks_.push_back(std::move(chunk));
}

std::vector<absl::StatusOr<CommitResult>> ProjectionStore::CombinedStream::Finish() {
  Close(/*last=*/true);
  std::vector<absl::StatusOr<CommitResult>> sent = stream_->Finish();
  std::vector<absl::StatusOr<CommitResult>> out;
  size_t next = 0;  // in `sent`
  // Whether a chunk sent so far failed without saying what it did. The batches
  // after it were made assuming its writes (a roll-up figure, a version), so
  // those it did not commit itself must not commit one by one: they could
  // state figures that count writes which never happened, or land before the
  // failed chunk's events when those are redone.
  absl::Status unknown;
  for (Chunk& chunk : chunks_) {
    if (chunk.sent) {
      absl::StatusOr<CommitResult> r =
          next < sent.size() ? std::move(sent[next])
                             : Internal("PROJECTION_STREAM", "a chunk went unanswered");
      ++next;
      if (!r.ok()) {
        // Nothing is known about whether it ran: the same error for each
        // (their seen guards make a retry safe).
        out.insert(out.end(), chunk.batches.size(), r.status());
        if (unknown.ok()) {
          unknown = r.status();
        }
        continue;
      }
      if (!r->committed && chunk.batches.size() == 1 && r->failed_tag != kChainTag) {
        // Its own guard: what it alone would get. After an unknown chunk, too:
        // not applied either way, so the caller redoes it as it would the error.
        out.push_back(*std::move(r));
        continue;
      }
      if (r->committed) {
        // The chunk's events are its entries', kEventsPerEntry to an entry:
        // each event gets the entries its events are in.
        size_t at = 0;  // the chunk's events so far
        for (size_t published : chunk.published) {
          CommitResult each;
          each.committed = true;
          for (size_t k = at; k < at + published; ++k) {
            const size_t entry = k / kEventsPerEntry;
            if (entry < r->outbox_ids.size() &&
                (each.outbox_ids.empty() || each.outbox_ids.back() != r->outbox_ids[entry])) {
              each.outbox_ids.push_back(r->outbox_ids[entry]);
            }
          }
          at += published;
          out.push_back(std::move(each));
        }
        continue;
      }
    }
    if (!unknown.ok()) {
      // Not applied (a combined commit is all or nothing): redone by the
      // caller from fresh reads, after the failed chunk's own events.
      out.insert(
          out.end(), chunk.batches.size(),
          Unavailable("PROJECTION_CHUNK_UNKNOWN",
                      absl::StrCat("an earlier chunk of the stream failed: ", unknown.message())));
      continue;
    }
    if (chunk.batches.size() > 1) {
      ++store_.combined_fallbacks_;
    }
    for (auto& r : store_.outbox_.CommitMany(chunk.batches)) {
      // One by one, the same holds for the chunks after it. (Within one
      // CommitMany, batches after one that failed are already sent; a lost
      // connection fails them all, but a script refused on its own, e.g. by
      // OOM, may leave later ones to commit.)
      if (!r.ok() && unknown.ok()) {
        unknown = r.status();
      }
      out.push_back(std::move(r));
    }
  }
  chunks_.clear();
  return out;
}

std::vector<absl::StatusOr<bool>> ProjectionStore::ApplyOnceMany(
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items) {
  std::vector<absl::StatusOr<bool>> out;
  for (auto& r : TryApplyOnceMany(std::move(items))) {
    if (r.ok()) {
      out.push_back(r->committed);
    } else {
      out.push_back(r.status());
    }
  }
  return out;
}

}  // namespace salesops
