// gzip round trips, the Accept-Encoding check (q=0 refuses), and inflation limits.
#include "services/gateway/http/gzip.h"

#include "gtest/gtest.h"

namespace salesops::gateway {
namespace {

TEST(GzipTest, RoundTripsAndShrinksRepetitiveJson) {
  std::string json;
  for (int i = 0; i < 200; ++i) {
    json += R"({"displayName":"杭州西湖科技有限公司","tier":"A"},)";
  }
  const std::string gz = GzipCompress(json);
  ASSERT_FALSE(gz.empty());
  EXPECT_LT(gz.size(), json.size() / 10);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(*GzipDecompress(gz, 1 << 20), json);
}

TEST(GzipTest, InflationIsBounded) {
  const std::string zeros(1 << 20, '\0');
  const std::string gz = GzipCompress(zeros, 9);
  EXPECT_EQ(GzipDecompress(gz, 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipDecompress("not gzip", 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(GzipDecompress(gz.substr(0, gz.size() / 2), 2 << 20).ok());
}

TEST(GzipTest, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

}  // namespace
}  // namespace salesops::gateway
