// CORS: configured origins only (or *), preflights naming what a Connect or
// EventSource client sends, response headers only for allowed origins.
#include "services/gateway/http/cors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::gateway {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(CorsTest, ParsesOriginsAndRefusesWhatIsNotAnOrigin) {
  ASSERT_TRUE(CorsPolicy::Parse("").ok());
  ASSERT_TRUE(CorsPolicy::Parse("https://dash.example.com, http://localhost:5173").ok());
  ASSERT_TRUE(CorsPolicy::Parse("*").ok());
  for (const char* bad : {"dash.example.com", "https://dash.example.com/", "ftp://x.example",
                          "https://a.example/path", "https://user@a.example", "https://"}) {
    absl::StatusOr<CorsPolicy> p = CorsPolicy::Parse(bad);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(CorsTest, OnlyConfiguredOriginsCaseInsensitively) {
  CorsPolicy p = *CorsPolicy::Parse("https://Dash.example.com");
  EXPECT_TRUE(p.Allows("https://dash.example.com"));
  EXPECT_FALSE(p.Allows("https://evil.example.com"));
  EXPECT_FALSE(p.Allows("http://dash.example.com"));
  EXPECT_FALSE(p.Allows(""));
  EXPECT_FALSE(CorsPolicy().Allows("https://dash.example.com"));
  EXPECT_TRUE(CorsPolicy::Parse("*")->Allows("https://anything.example"));
}

TEST(CorsTest, PreflightForAConnectCallIsAllowed) {
  CorsPolicy p = *CorsPolicy::Parse("https://dash.example.com");
  CorsPolicy::Answer a = p.Preflight("https://dash.example.com", "POST",
                                     "content-type, connect-protocol-version, authorization, "
                                     "connect-timeout-ms");
  EXPECT_EQ(a.status, 204);
  EXPECT_THAT(a.headers, Contains(Pair("Access-Control-Allow-Origin", "https://dash.example.com")));
  EXPECT_THAT(a.headers, Contains(Pair("Access-Control-Allow-Methods", "GET, POST")));
  EXPECT_THAT(a.headers, Contains(Pair("Access-Control-Max-Age", "7200")));
  a = p.Preflight("https://dash.example.com", "GET", "authorization, last-event-id");
  EXPECT_EQ(a.status, 204);
}

TEST(CorsTest, PreflightRefusesOtherOriginsMethodsAndHeaders) {
  CorsPolicy p = *CorsPolicy::Parse("https://dash.example.com");
  EXPECT_EQ(p.Preflight("https://evil.example", "POST", "content-type").status, 403);
  EXPECT_EQ(p.Preflight("https://dash.example.com", "DELETE", "").status, 403);
  CorsPolicy::Answer a = p.Preflight("https://dash.example.com", "POST", "x-evil");
  EXPECT_EQ(a.status, 403);
  for (const auto& [k, v] : a.headers) {
    EXPECT_NE(k, "Access-Control-Allow-Origin");
  }
}

TEST(CorsTest, ResponseHeadersOnlyForAllowedOrigins) {
  CorsPolicy p = *CorsPolicy::Parse("https://dash.example.com");
  HeaderList h = p.ResponseHeaders("https://dash.example.com");
  EXPECT_THAT(h, Contains(Pair("Access-Control-Allow-Origin", "https://dash.example.com")));
  EXPECT_THAT(h, Contains(Pair("Vary", "Origin")));
  EXPECT_THAT(h, Contains(Pair("Access-Control-Expose-Headers",
                               "Content-Encoding, Connect-Content-Encoding, X-Trace-Id")));
  EXPECT_THAT(p.ResponseHeaders("https://evil.example"), IsEmpty());
  EXPECT_THAT(p.ResponseHeaders(""), IsEmpty());
  EXPECT_THAT(CorsPolicy::Parse("*")->ResponseHeaders("https://x.example"),
              Contains(Pair("Access-Control-Allow-Origin", "*")));
}

}  // namespace
}  // namespace salesops::gateway
