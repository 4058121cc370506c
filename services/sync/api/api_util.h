// Helpers the SyncApi use-case files share: loading a document or answering
// NOT_FOUND, reading a page of an index with a bounded scan, the events'
// envelope, common field checks. Internal to services/sync/api.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/ids/ids.h"
#include "common/server/rpc.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/status/write_race.h"
#include "common/validation/validation.h"
#include "salesops/common/v1/common.pb.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// Index entries a filtered list reads at most per call before it returns a
// shorter page with a token to continue (AIP-158): a rare filter cannot make
// one call read everything.
inline constexpr int kMaxScanPerCall = 2000;

// A new event of the sync service about `subject` (key = the aggregate id).
inline CloudEvent SyncEvent(const std::string& key, const std::string& subject,
                            const google::protobuf::Message& payload, absl::Time now,
                            const CallContext* call) {
  return MakeCloudEvent(kSyncSource, key, subject, payload, now, call ? call->trace_id : "");
}

// The document, or NOT_FOUND `reason` naming `resource`.
template <typename M>
absl::StatusOr<Loaded<M>> MustLoad(SyncRepository& repo, DocKind kind, const std::string& id,
                                   const char* reason, const std::string& resource) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Loaded<M>> got, LoadDoc<M>(repo, kind, id));
  if (!got) {
    return NotFound(reason, absl::StrCat(resource, " does not exist"));
  }
  return *std::move(got);
}

// A page of an index, newest first: entries after the cursor, documents
// loaded, kept when `keep` says so, until page_size are found, the index ends,
// kMaxScanPerCall entries were read or the call's time is up (then a shorter
// page with a token).
template <typename M>
absl::Status ScanPage(SyncRepository& repo, const CallContext& call, DocKind kind,
                      const std::string& index, const std::optional<PageCursor>& cursor,
                      int page_size, const std::string& filter,
                      const std::function<bool(const M&)>& keep, std::vector<Loaded<M>>* out,
                      std::string* next_token) {
  std::string after = cursor ? cursor->after : "";
  std::string last_returned;
  int scanned = 0;
  const int chunk = std::max(page_size + 1, 100);
  while (static_cast<int>(out->size()) < page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      if (!after.empty()) {
        *next_token = EncodePageToken({after, filter});
      }
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> entries, repo.Range(index, after, chunk));
    if (entries.empty()) {
      return absl::OkStatus();
    }
    std::vector<std::string> ids;
    for (const std::string& e : entries) {
      ids.push_back(EntryId(e));
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<StoredDoc>> docs, repo.GetMany(kind, ids));
    for (size_t i = 0; i < entries.size(); ++i) {
      ++scanned;
      after = entries[i];
      if (!docs[i]) {
        continue;  // removed meanwhile
      }
      Loaded<M> l;
      if (!l.doc.ParseFromString(docs[i]->data)) {
        return Internal("CORRUPT_DOCUMENT", absl::StrCat("stored ", ids[i], " does not parse"));
      }
      l.version = docs[i]->version;
      if (!keep(l.doc)) {
        continue;
      }
      if (static_cast<int>(out->size()) == page_size) {
        // One more match exists: the page ends at the previous match.
        *next_token = EncodePageToken({last_returned, filter});
        return absl::OkStatus();
      }
      out->push_back(std::move(l));
      last_returned = entries[i];
    }
    if (static_cast<int>(entries.size()) < chunk) {
      return absl::OkStatus();
    }
  }
  // Full page: is there anything after it?
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> more, repo.Range(index, last_returned, 1));
  if (!more.empty()) {
    *next_token = EncodePageToken({last_returned, filter});
  }
  return absl::OkStatus();
}

// request_id replay (AIP-155): what `replay` answers for the resource an
// earlier request of `caller` with this id made; nullopt when there is none
// (or no request_id) and the call goes on. Used before a create, and after
// its commit lost to a racing retry (REQUEST_REPLAYED).
template <typename Replay>
std::optional<absl::Status> ReplayIfSeen(SyncRepository& repo, const std::string& caller,
                                         const std::string& request_id, Replay&& replay) {
  if (request_id.empty()) {
    return std::nullopt;
  }
  absl::StatusOr<std::optional<std::string>> seen = repo.FindRequest(caller, request_id);
  if (!seen.ok()) {
    return seen.status();
  }
  if (!*seen) {
    return std::nullopt;
  }
  return replay(**seen);
}

// Lists of a request: at most `max` entries (violation on `field`).
template <typename List>
bool CheckCount(Violations& v, const std::string& field, const List& list, int max) {
  if (static_cast<int>(list.size()) > max) {
    v.Add(field, absl::StrCat("at most ", max, " entries"));
    return false;
  }
  return true;
}

// A calendar date (when set).
inline void CheckDate(Violations& v, const std::string& field,
                      const salesops::common::v1::Date& d) {
  if (d.year() < 2000 || d.year() > 2100 || d.month() < 1 || d.month() > 12 || d.day() < 1 ||
      d.day() > 31 || absl::CivilDay(d.year(), d.month(), d.day()).day() != d.day()) {
    v.Add(field, "not a calendar date (year 2000..2100)");
  }
}

// "https://…", at most 2000 bytes.
inline void CheckHttpsUrl(Violations& v, const std::string& field, const std::string& url) {
  if (url.size() > 2000 || url.rfind("https://", 0) != 0 || url.size() <= 8) {
    v.Add(field, "an https:// URL of at most 2000 characters");
  }
}

// A caller-chosen id, or a new one that sorts newest first.
inline std::string NewId() { return NewUuid(); }

// Runs a read-modify-write under the one policy of common/status/write_race.h:
// a lost race runs again, except the caller's own ETAG_MISMATCH when it sent an
// etag (a race on another document, WRITE_CONFLICT, runs again either way).
template <typename F>
absl::Status WithRetry(bool client_etag, F&& attempt) {
  return RetryWriteRace(client_etag, std::forward<F>(attempt));
}

}  // namespace salesops::sync
