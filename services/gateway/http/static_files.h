// The web dashboard's files (web/dist, built by the web app): which file a GET
// path names, its MIME type and cache policy. A path that names no file and
// whose last segment has no extension gets index.html (the app routes on the
// client: /teams/east-1 is a page of the app, not a file); a missing file with
// an extension is a 404. The root is looked at on every request, so a
// dashboard built while the gateway runs is served without a restart.
//
// Caching: index.html must always be revalidated (no-cache: it names the
// current bundles); fingerprinted bundles (under assets/, or with a content
// hash in the name such as index-3f9a1c2e.js) never change and are cached for
// a year (immutable); anything else for an hour. Every file has a weak ETag
// (size and modification time) for If-None-Match.
//
//   StaticFiles files("web/dist");
//   std::optional<StaticFiles::File> f = files.Resolve("/teams/east-1");   // index.html
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace salesops::gateway {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}

  struct File {
    std::string path;      // on disk
    std::string relative;  // under the root, e.g. "assets/index-3f9a1c2e.js"
    std::string content_type;
    std::string cache_control;
    std::string etag;
    size_t size = 0;
  };
  // nullopt: nothing to serve (no root, unsafe path, missing file with an extension).
  std::optional<File> Resolve(absl::string_view url_path) const;
  bool enabled() const;  // the root exists and holds index.html

  static std::string MimeType(absl::string_view relative);
  static std::string CacheControl(absl::string_view relative);
  // Text-like types worth compressing.
  static bool Compressible(absl::string_view content_type);

 private:
  std::optional<File> Stat(const std::string& relative) const;
  std::string root_;
};

}  // namespace salesops::gateway
