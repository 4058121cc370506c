// Opaque identifiers: random UUIDv4 strings for resources and events, and the
// validation rule for caller-chosen ids.
//
//   std::string id = NewUuid();            // "3f2b…-4…"
//   if (!IsValidId(req.org_unit_id())) …   // letters, digits, '-', 3..63 chars
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace salesops {

// A random (version 4) UUID in canonical lower-case form. Thread-safe.
std::string NewUuid();

// Caller-chosen ids: [A-Za-z0-9-], 3..63 characters, starting with a letter or digit.
bool IsValidId(absl::string_view id);

// 32 lowercase hex characters, as a W3C trace id.
std::string NewTraceId();

}  // namespace salesops
