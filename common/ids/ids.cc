#include "common/ids/ids.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace salesops {
namespace {

absl::BitGen& Gen() {
  // One generator per thread: absl::BitGen is not thread-safe, and a shared
  // locked one would serialise every request.
  thread_local absl::BitGen gen;
  return gen;
}

}  // namespace

namespace {

// `digits` lowercase hex digits of v, most significant first, at out[at…].
void PutHex(uint64_t v, int digits, std::string& out, size_t at) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[at++] = kHex[(v >> (4 * i)) & 0xF];
  }
}

}  // namespace

std::string NewUuid() {
  uint64_t hi = absl::Uniform<uint64_t>(Gen());
  uint64_t lo = absl::Uniform<uint64_t>(Gen());
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  // 8-4-4-4-12 hex digits (every event's id: written here, not by a formatter).
  std::string out(36, '-');
  PutHex(hi >> 32, 8, out, 0);
  PutHex(hi >> 16, 4, out, 9);
  PutHex(hi, 4, out, 14);
  PutHex(lo >> 48, 4, out, 19);
  PutHex(lo, 12, out, 24);
  return out;
}

bool IsValidId(absl::string_view id) {
  if (id.size() < 3 || id.size() > 63 || id.front() == '-') {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

std::string NewTraceId() {
  std::string out(32, '0');
  PutHex(absl::Uniform<uint64_t>(Gen()), 16, out, 0);
  PutHex(absl::Uniform<uint64_t>(Gen()), 16, out, 16);
  return out;
}

}  // namespace salesops
