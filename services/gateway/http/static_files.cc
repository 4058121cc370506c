#include "services/gateway/http/static_files.h"

#include <sys/stat.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace salesops::gateway {
namespace {

// The file name's extension, lower case, without the dot ("" if none).
std::string Extension(absl::string_view relative) {
  const size_t slash = relative.rfind('/');
  const absl::string_view name =
      slash == absl::string_view::npos ? relative : relative.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) {
    return "";
  }
  return absl::AsciiStrToLower(name.substr(dot + 1));
}

// A bundler's content hash: a run of 8+ letters/digits (with a digit) right
// before the extension, after '-' or '.' (index-3f9a1c2e.js, app.8b1d0c7a.css).
bool HasContentHash(absl::string_view relative) {
  const size_t slash = relative.rfind('/');
  absl::string_view name = slash == absl::string_view::npos ? relative : relative.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos) {
    return false;
  }
  name = name.substr(0, dot);
  const size_t sep = name.find_last_of("-.");
  if (sep == absl::string_view::npos) {
    return false;
  }
  const absl::string_view hash = name.substr(sep + 1);
  if (hash.size() < 8) {
    return false;
  }
  bool digit = false;
  for (char c : hash) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
    digit = digit || absl::ascii_isdigit(static_cast<unsigned char>(c));
  }
  return digit;
}

}  // namespace

std::string StaticFiles::MimeType(absl::string_view relative) {
  static const auto* types = new std::vector<std::pair<std::string, std::string>>{
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"txt", "text/plain; charset=utf-8"},
      {"xml", "application/xml"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
  };
  const std::string ext = Extension(relative);
  for (const auto& [e, type] : *types) {
    if (e == ext) {
      return type;
    }
  }
  return "application/octet-stream";
}

std::string StaticFiles::CacheControl(absl::string_view relative) {
  if (relative == "index.html" || absl::EndsWith(relative, "/index.html") || relative == "sw.js" ||
      relative == "service-worker.js") {
    return "no-cache";
  }
  if (absl::StartsWith(relative, "assets/") || HasContentHash(relative)) {
    return "public, max-age=31536000, immutable";
  }
  return "public, max-age=3600";
}

bool StaticFiles::Compressible(absl::string_view content_type) {
  return absl::StartsWith(content_type, "text/") || absl::StartsWith(content_type, "image/svg") ||
         absl::StartsWith(content_type, "application/json") ||
         absl::StartsWith(content_type, "application/manifest+json") ||
         absl::StartsWith(content_type, "application/xml") ||
         absl::StartsWith(content_type, "application/wasm");
}

std::optional<StaticFiles::File> StaticFiles::Stat(const std::string& relative) const {
  const std::string path = absl::StrCat(root_, "/", relative);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  File f;
  f.path = path;
  f.relative = relative;
  f.content_type = MimeType(relative);
  f.cache_control = CacheControl(relative);
  f.size = static_cast<size_t>(st.st_size);
  f.etag = absl::StrCat("W/\"", st.st_size, "-", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "\"");
  return f;
}

bool StaticFiles::enabled() const { return !root_.empty() && Stat("index.html").has_value(); }

std::optional<StaticFiles::File> StaticFiles::Resolve(absl::string_view url_path) const {
  if (root_.empty()) {
    return std::nullopt;
  }
  // The path as httplib decoded it: every segment must be a plain name (no
  // "..", no hidden files, no NUL or backslash), so nothing outside the root
  // (or a .git/.env inside it) can be named.
  std::vector<std::string> segments;
  for (absl::string_view s : absl::StrSplit(url_path, '/', absl::SkipEmpty())) {
    if (s.front() == '.' || absl::StrContains(s, '\\') || absl::StrContains(s, '\0')) {
      return std::nullopt;
    }
    segments.emplace_back(s);
  }
  std::string relative = absl::StrJoin(segments, "/");
  if (relative.empty() || absl::EndsWith(url_path, "/")) {
    relative = relative.empty() ? "index.html" : absl::StrCat(relative, "/index.html");
  }
  if (std::optional<File> f = Stat(relative); f.has_value()) {
    return f;
  }
  // A page of the client-side router, not a file.
  if (Extension(relative).empty() || absl::EndsWith(relative, "/index.html")) {
    return Stat("index.html");
  }
  return std::nullopt;
}

}  // namespace salesops::gateway
