// gzip for HTTP responses (zlib from Debian), and the Accept-Encoding check.
// The gateway compresses its own responses instead of leaving it to
// cpp-httplib, which compresses every compressible body and prefers brotli at
// its slowest setting (tens of milliseconds for a 100 KB page of customers).
//
//   if (AcceptsGzip(accept_encoding) && body.size() >= 1024) body = GzipCompress(body);
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salesops::gateway {

// True when the header lists gzip (or *) without q=0.
bool AcceptsGzip(absl::string_view accept_encoding);

// gzip member of `data` at zlib `level` (1 fast … 9 small).
std::string GzipCompress(absl::string_view data, int level = 6);

// The inflated data; INVALID_ARGUMENT when it is not gzip or grows past `max_bytes`.
absl::StatusOr<std::string> GzipDecompress(absl::string_view data, size_t max_bytes);

}  // namespace salesops::gateway
