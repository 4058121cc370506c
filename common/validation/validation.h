// Request validation helpers shared by every API: string lengths in Unicode
// characters (names are Chinese), page size and opaque page tokens, resource
// names, etags. They add to a Violations list so one response names every
// bad field.
//
//   Violations v;
//   CheckText(v, "org_unit.display_name", unit.display_name(), 1, 100);
//   int page_size = CheckPageSize(v, "page_size", req.page_size(), 50, 500);
//   std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
//   SALESOPS_RETURN_IF_ERROR(v.Finish());
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/status/errors.h"

namespace salesops {

// Number of Unicode code points, or -1 when `s` is not valid UTF-8.
int Utf8Length(absl::string_view s);

// Adds a violation unless min <= length(value) <= max and value is UTF-8
// without control characters.
void CheckText(Violations& v, const std::string& field, absl::string_view value, int min, int max);

// 0 → default; negative → violation; above max → max (AIP-158).
int CheckPageSize(Violations& v, const std::string& field, int page_size, int default_size,
                  int max_size);

// Where the next page starts, and a fingerprint of the list's filter so a
// token cannot be replayed against a different query.
struct PageCursor {
  std::string after;   // last key returned
  std::string filter;  // fingerprint of the request's filter fields
};
std::string EncodePageToken(const PageCursor& cursor);
// Empty token → nullopt; malformed or from another filter → violation.
std::optional<PageCursor> DecodePageToken(Violations& v, const std::string& field,
                                          absl::string_view token, absl::string_view filter);

// "orgUnits/abc" with collection "orgUnits" → "abc"; violation when malformed.
std::string ParseResourceName(Violations& v, const std::string& field, absl::string_view name,
                              absl::string_view collection);

}  // namespace salesops
