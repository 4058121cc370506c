#include "services/gateway/domain/stream_position.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace salesops::gateway {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty() || s.size() > 19) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string FormatStreamId(const StreamPosition& p) {
  return absl::StrCat(p.topic, "-", p.partition, "-", p.offset);
}

std::optional<StreamPosition> ParseStreamId(absl::string_view id) {
  const size_t last = id.rfind('-');
  if (last == absl::string_view::npos || last == 0) {
    return std::nullopt;
  }
  const size_t middle = id.rfind('-', last - 1);
  if (middle == absl::string_view::npos || middle == 0) {
    return std::nullopt;
  }
  const absl::string_view partition = id.substr(middle + 1, last - middle - 1);
  const absl::string_view offset = id.substr(last + 1);
  StreamPosition p;
  p.topic = std::string(id.substr(0, middle));
  if (!AllDigits(partition) || !AllDigits(offset) || !absl::SimpleAtoi(partition, &p.partition) ||
      !absl::SimpleAtoi(offset, &p.offset)) {
    return std::nullopt;
  }
  return p;
}

}  // namespace salesops::gateway
