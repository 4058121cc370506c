#include "common/ids/ids.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
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

std::string NewUuid() {
  uint64_t hi = absl::Uniform<uint64_t>(Gen());
  uint64_t lo = absl::Uniform<uint64_t>(Gen());
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                         lo >> 48, lo & 0xFFFFFFFFFFFFULL);
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
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(Gen()),
                         absl::Uniform<uint64_t>(Gen()));
}

}  // namespace salesops
