// The dashboard's files: client-side routes get index.html, files their MIME
// type and cache policy, and nothing outside the root (or hidden) is served.
#include "services/gateway/http/static_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace salesops::gateway {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gw-static-XXXXXX";
    root_ = mkdtemp(tmpl);
    Write("index.html", "<!doctype html>");
    Write("assets/index-3f9a1c2e.js", "console.log(1)");
    Write("favicon.ico", "ico");
    Write("manifest.webmanifest", "{}");
    Write(".env", "SECRET=1");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << content;
  }
  std::string root_;
};

TEST_F(StaticFilesTest, RootAndClientRoutesServeIndexHtmlUncached) {
  StaticFiles files(root_);
  EXPECT_TRUE(files.enabled());
  for (const char* path : {"/", "/teams/east-1", "/warnings", "/teams/east-1/"}) {
    std::optional<StaticFiles::File> f = files.Resolve(path);
    ASSERT_TRUE(f.has_value()) << path;
    EXPECT_EQ(f->relative, "index.html") << path;
    EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(f->cache_control, "no-cache");
    EXPECT_FALSE(f->etag.empty());
  }
}

TEST_F(StaticFilesTest, FingerprintedBundlesAreImmutable) {
  std::optional<StaticFiles::File> f = StaticFiles(root_).Resolve("/assets/index-3f9a1c2e.js");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(f->cache_control, "public, max-age=31536000, immutable");
  EXPECT_EQ(f->size, 14u);
}

TEST_F(StaticFilesTest, OtherFilesAreCachedForAnHour) {
  std::optional<StaticFiles::File> f = StaticFiles(root_).Resolve("/favicon.ico");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->content_type, "image/x-icon");
  EXPECT_EQ(f->cache_control, "public, max-age=3600");
  EXPECT_EQ(StaticFiles(root_).Resolve("/manifest.webmanifest")->content_type,
            "application/manifest+json");
}

TEST_F(StaticFilesTest, MissingFilesWithAnExtensionAre404) {
  EXPECT_FALSE(StaticFiles(root_).Resolve("/assets/missing-12345678.js").has_value());
  EXPECT_FALSE(StaticFiles(root_).Resolve("/robots.txt").has_value());
}

TEST_F(StaticFilesTest, NothingOutsideTheRootOrHidden) {
  StaticFiles files(root_);
  for (const char* path : {"/../../etc/passwd", "/assets/../../etc/passwd", "/.env",
                           "/assets/./index-3f9a1c2e.js", "/a\\..\\b.js"}) {
    std::optional<StaticFiles::File> f = files.Resolve(path);
    EXPECT_FALSE(f.has_value()) << path;
  }
}

TEST_F(StaticFilesTest, NoRootNoFiles) {
  EXPECT_FALSE(StaticFiles("").Resolve("/").has_value());
  EXPECT_FALSE(StaticFiles("/nonexistent-dir-xyz").enabled());
  EXPECT_FALSE(StaticFiles("/nonexistent-dir-xyz").Resolve("/teams").has_value());
}

TEST(StaticFilesPolicyTest, MimeTypesAndHashes) {
  EXPECT_EQ(StaticFiles::MimeType("a/b.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::MimeType("x.woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::MimeType("x.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::MimeType("x.wasm"), "application/wasm");
  EXPECT_EQ(StaticFiles::MimeType("noext"), "application/octet-stream");
  EXPECT_EQ(StaticFiles::CacheControl("app.8b1d0c7a.css"), "public, max-age=31536000, immutable");
  EXPECT_EQ(StaticFiles::CacheControl("logo-dark.svg"), "public, max-age=3600");
  EXPECT_EQ(StaticFiles::CacheControl("sw.js"), "no-cache");
  EXPECT_TRUE(StaticFiles::Compressible("text/javascript; charset=utf-8"));
  EXPECT_TRUE(StaticFiles::Compressible("image/svg+xml"));
  EXPECT_FALSE(StaticFiles::Compressible("image/png"));
  EXPECT_FALSE(StaticFiles::Compressible("font/woff2"));
}

}  // namespace
}  // namespace salesops::gateway
