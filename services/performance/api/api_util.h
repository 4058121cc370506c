// Helpers the PerformanceApi use-case files share: paging limits, event
// construction with the call's trace id, loading a stored resource,
// resource-name parsing. Internal to services/performance/api.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/server/api_support.h"
#include "common/server/rpc.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validation.h"
#include "google/protobuf/field_mask.pb.h"
#include "services/performance/api/performance_api.h"

namespace salesops::performance {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// Rows a filtered list reads at most per call before it returns a shorter
// page with a token to continue.
inline constexpr int kMaxScanPerCall = 2000;
// Most entries a request may carry in a repeated field (shares, key results…).
inline constexpr int kMaxRequestItems = 50;

inline CloudEvent CallEvent(const CallContext& call, const std::string& key,
                            const std::string& subject, const google::protobuf::Message& payload,
                            absl::Time now) {
  return MakeCloudEvent(kPerformanceSource, key, subject, payload, now, call.trace_id);
}

// A resource as it is stored: without its etag (the stored version is the etag).
template <typename T>
std::string StoredDoc(T doc) {
  doc.clear_etag();
  return doc.SerializeAsString();
}

// Resources with an etag carry their stored version as it.
template <typename T>
void SetEtag(T& doc, int64_t version) {
  if constexpr (requires { doc.set_etag(std::string()); }) {
    doc.set_etag(absl::StrCat(version));
  }
}

template <typename T>
absl::StatusOr<PerformanceApi::Loaded<T>> PerformanceApi::Load(DocKind kind, const std::string& id,
                                                               const std::string& name,
                                                               absl::string_view reason) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> d, repo_.GetDoc(kind, id));
  if (!d) {
    return NotFound(reason, absl::StrCat(QuoteUntrusted(name, 120), " does not exist"));
  }
  Loaded<T> out;
  if (!out.doc.ParseFromString(d->data)) {
    return Internal("CORRUPT_DOCUMENT", absl::StrCat(name, " does not parse"));
  }
  out.version = d->version;
  SetEtag(out.doc, d->version);
  return out;
}

// "kpis/x" → "x" (a violation on `field` when malformed or empty).
inline std::string IdOf(Violations& v, const std::string& field, const std::string& name,
                        absl::string_view collection) {
  if (name.empty()) {
    v.Add(field, "required");
    return "";
  }
  return ParseResourceName(v, field, name, collection);
}

// Statement and scorecard ids join a period and a member or unit with dots
// ("FY2026-Q4.rep-1", "FY2026-Q4.m.rep-1"): "<collection>/<id>" with an id of
// letters, digits, '-' and '.', at most 160 characters.
inline std::string ParseDottedName(Violations& v, const std::string& field, const std::string& name,
                                   absl::string_view collection) {
  const std::string prefix = absl::StrCat(collection, "/");
  std::string id;
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
    id = name.substr(prefix.size());
  }
  const bool ok = !id.empty() && id.size() <= 160 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
  if (!ok) {
    v.Add(field, absl::StrCat("must be '", collection, "/{id}'"));
    return "";
  }
  return id;
}

// Pages through `index` (members starting with `prefix`, after the cursor),
// loading documents of `kind` a chunk at a time and keeping those `keep`
// accepts (keep(T&) -> StatusOr<bool>, may edit the document), until
// `page_size` are kept, kMaxScanPerCall were read or the call's time is up.
// `next` is the token to continue with ("" when the index is exhausted).
template <typename T, typename Keep>
absl::Status ScanPage(PerformanceRepository& repo, const CallContext& call, DocKind kind,
                      const std::string& index, const std::string& prefix,
                      const std::optional<PageCursor>& cursor, const std::string& filter,
                      int page_size, Keep keep, std::vector<T>* out, std::string* next) {
  std::string after = cursor ? cursor->after : "";
  int scanned = 0;
  next->clear();
  while (static_cast<int>(out->size()) < page_size) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      // A shorter page: the caller continues from here.
      if (!after.empty()) {
        *next = EncodePageToken({after, filter});
      }
      return absl::OkStatus();
    }
    const int want = std::min(page_size - static_cast<int>(out->size()), 200);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo.Range(index, prefix, after, want));
    if (ids.empty()) {
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo.GetDocs(kind, ids));
    for (size_t i = 0; i < ids.size(); ++i) {
      after = ids[i];
      ++scanned;
      if (!docs[i]) {
        continue;
      }
      T doc;
      if (!doc.ParseFromString(docs[i]->data)) {
        continue;
      }
      SetEtag(doc, docs[i]->version);
      SALESOPS_ASSIGN_OR_RETURN(bool kept, keep(doc));
      if (kept) {
        out->push_back(std::move(doc));
      }
    }
    if (static_cast<int>(ids.size()) < want) {
      return absl::OkStatus();
    }
  }
  *next = EncodePageToken({after, filter});
  return absl::OkStatus();
}

// The members of a fresh FieldMask path list that are not in `allowed`, as
// violations on "update_mask.paths[i]"; "update_mask" when it is empty.
inline void CheckMask(Violations& v, const google::protobuf::FieldMask& mask,
                      std::initializer_list<absl::string_view> allowed) {
  if (mask.paths().empty()) {
    v.Add("update_mask", "must list the fields to change");
    return;
  }
  for (int i = 0; i < mask.paths_size(); ++i) {
    if (std::find(allowed.begin(), allowed.end(), mask.paths(i)) == allowed.end()) {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat(QuoteUntrusted(mask.paths(i)), " cannot be updated"));
    }
  }
}

inline bool InMask(const google::protobuf::FieldMask& mask, absl::string_view path) {
  return std::find(mask.paths().begin(), mask.paths().end(), path) != mask.paths().end();
}

// Marks every scorecard (every period and subject with inputs) or every rep's
// statements for recomputation, after a change of KPIs or plans. Bounded.
absl::Status MarkAllCards(PerformanceRepository& repo, Change& c);
absl::Status MarkAllReps(PerformanceRepository& repo, Change& c);

}  // namespace salesops::performance
