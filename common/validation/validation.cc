#include "common/validation/validation.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/ids/ids.h"

namespace salesops {

int Utf8Length(absl::string_view s) {
  int count = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
      cp = c & 0x07;
    } else {
      return -1;
    }
    if (i + len > s.size()) {
      return -1;
    }
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) {
        return -1;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return -1;
    }
    i += len;
    ++count;
  }
  return count;
}

void CheckText(Violations& v, const std::string& field, absl::string_view value, int min, int max) {
  int n = Utf8Length(value);
  if (n < 0) {
    v.Add(field, "must be valid UTF-8");
    return;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    // C0 controls (but tab and newline), DEL, and C1 controls U+0080..U+009F,
    // which in valid UTF-8 are exactly the pairs C2 80..C2 9F.
    const bool c1 =
        c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || c1) {
      v.Add(field, "must not contain control characters");
      return;
    }
  }
  if (n < min) {
    v.Add(field,
          min == 1 ? "must not be empty" : absl::StrCat("must have at least ", min, " characters"));
  } else if (n > max) {
    v.Add(field, absl::StrCat("must have at most ", max, " characters, has ", n));
  }
}

int CheckPageSize(Violations& v, const std::string& field, int page_size, int default_size,
                  int max_size) {
  if (page_size < 0) {
    v.Add(field, "must not be negative");
    return default_size;
  }
  if (page_size == 0) {
    return default_size;
  }
  return std::min(page_size, max_size);
}

std::string EncodePageToken(const PageCursor& cursor) {
  // Version prefix so the format can change without misreading old tokens.
  return absl::WebSafeBase64Escape(absl::StrCat("v1\n", cursor.filter, "\n", cursor.after));
}

std::optional<PageCursor> DecodePageToken(Violations& v, const std::string& field,
                                          absl::string_view token, absl::string_view filter) {
  if (token.empty()) {
    return std::nullopt;
  }
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    v.Add(field, "malformed page token");
    return std::nullopt;
  }
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('\n', 2));
  if (parts.size() != 3 || parts[0] != "v1" || parts[2].empty()) {
    v.Add(field, "malformed page token");
    return std::nullopt;
  }
  if (parts[1] != filter) {
    v.Add(field, "page token belongs to a list with other filters");
    return std::nullopt;
  }
  return PageCursor{parts[2], parts[1]};
}

std::string ParseResourceName(Violations& v, const std::string& field, absl::string_view name,
                              absl::string_view collection) {
  std::string prefix = absl::StrCat(collection, "/");
  if (name.empty()) {
    v.Add(field, absl::StrCat("required, e.g. '", prefix, "{id}'"));
    return "";
  }
  if (!absl::StartsWith(name, prefix) || !IsValidId(name.substr(prefix.size()))) {
    v.Add(field, absl::StrCat("must be '", prefix, "{id}' with an id of letters, digits and '-'"));
    return "";
  }
  return std::string(name.substr(prefix.size()));
}

}  // namespace salesops
