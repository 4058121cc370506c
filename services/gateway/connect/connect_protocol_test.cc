// The Connect protocol's rules: codecs by Content-Type, Connect-Timeout-Ms,
// every code's name and HTTP status (the spec's table), and the error body
// with google.rpc details (type, unpadded base64 value, debug JSON).
#include "services/gateway/connect/connect_protocol.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace salesops::gateway {
namespace {

TEST(ConnectProtocolTest, CodecsByContentType) {
  EXPECT_EQ(CodecOf("application/json"), Codec::kJson);
  EXPECT_EQ(CodecOf("Application/JSON; charset=utf-8"), Codec::kJson);
  EXPECT_EQ(CodecOf("application/json;charset=UTF-8"), Codec::kJson);
  EXPECT_EQ(CodecOf("application/proto"), Codec::kProto);
  EXPECT_EQ(CodecOf(" application/proto "), Codec::kProto);
  for (const char* ct : {"", "text/plain", "application/json; charset=latin1",
                         "application/protobuf", "application/connect+json", "application/jsonx",
                         "application/grpc", "application/x-www-form-urlencoded"}) {
    EXPECT_FALSE(CodecOf(ct).has_value()) << ct;
  }
  EXPECT_EQ(ContentTypeOf(Codec::kJson), "application/json");
  EXPECT_EQ(ContentTypeOf(Codec::kProto), "application/proto");
}

TEST(ConnectProtocolTest, TimeoutIsOneToTenDigitsOfMilliseconds) {
  EXPECT_FALSE(ParseTimeoutMs("")->has_value());
  EXPECT_EQ(**ParseTimeoutMs("250"), absl::Milliseconds(250));
  EXPECT_EQ(**ParseTimeoutMs("9999999999"), absl::Milliseconds(9999999999));
  EXPECT_EQ(**ParseTimeoutMs("0"), absl::ZeroDuration());
  for (const char* bad : {"12345678901", "-1", "1.5", "1s", "abc", "1 2"}) {
    EXPECT_EQ(ParseTimeoutMs(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConnectProtocolTest, CodesAndHttpStatusesFollowTheSpecTable) {
  struct Row {
    grpc::StatusCode code;
    const char* name;
    int http;
  };
  const Row table[] = {
      {grpc::StatusCode::CANCELLED, "canceled", 499},
      {grpc::StatusCode::UNKNOWN, "unknown", 500},
      {grpc::StatusCode::INVALID_ARGUMENT, "invalid_argument", 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, "deadline_exceeded", 504},
      {grpc::StatusCode::NOT_FOUND, "not_found", 404},
      {grpc::StatusCode::ALREADY_EXISTS, "already_exists", 409},
      {grpc::StatusCode::PERMISSION_DENIED, "permission_denied", 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "resource_exhausted", 429},
      {grpc::StatusCode::FAILED_PRECONDITION, "failed_precondition", 400},
      {grpc::StatusCode::ABORTED, "aborted", 409},
      {grpc::StatusCode::OUT_OF_RANGE, "out_of_range", 400},
      {grpc::StatusCode::UNIMPLEMENTED, "unimplemented", 501},
      {grpc::StatusCode::INTERNAL, "internal", 500},
      {grpc::StatusCode::UNAVAILABLE, "unavailable", 503},
      {grpc::StatusCode::DATA_LOSS, "data_loss", 500},
      {grpc::StatusCode::UNAUTHENTICATED, "unauthenticated", 401},
  };
  for (const Row& r : table) {
    EXPECT_EQ(ConnectCodeName(r.code), r.name);
    EXPECT_EQ(HttpStatusForCode(r.code), r.http) << r.name;
  }
  EXPECT_EQ(ConnectCodeName(static_cast<grpc::StatusCode>(99)), "unknown");
  EXPECT_EQ(HttpStatusForCode(static_cast<grpc::StatusCode>(99)), 500);
}

TEST(ConnectProtocolTest, Base64IsUnpadded) {
  EXPECT_EQ(Base64Unpadded("a"), "YQ");
  EXPECT_EQ(Base64Unpadded("ab"), "YWI");
  EXPECT_EQ(Base64Unpadded("abc"), "YWJj");
  EXPECT_EQ(Base64Unpadded(""), "");
}

TEST(ConnectProtocolTest, ErrorBodyCarriesTheDetailsWithTypeValueAndDebug) {
  google::rpc::ErrorInfo info;
  info.set_reason("ROLE_NOT_ALLOWED");
  info.set_domain("salesops");
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("customer.display_name");
  v->set_description("must not be empty");
  google::rpc::Status rpc;
  rpc.set_code(7);
  rpc.add_details()->PackFrom(info);
  rpc.add_details()->PackFrom(bad);
  const nlohmann::json body = nlohmann::json::parse(ConnectErrorJson(
      grpc::StatusCode::PERMISSION_DENIED, "role 'rep' may not call X", rpc.SerializeAsString()));
  EXPECT_EQ(body["code"], "permission_denied");
  EXPECT_EQ(body["message"], "role 'rep' may not call X");
  ASSERT_EQ(body["details"].size(), 2u);
  EXPECT_EQ(body["details"][0]["type"], "google.rpc.ErrorInfo");
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(body["details"][0]["value"].get<std::string>(), &raw));
  google::rpc::ErrorInfo back;
  ASSERT_TRUE(back.ParseFromString(raw));
  EXPECT_EQ(back.reason(), "ROLE_NOT_ALLOWED");
  EXPECT_EQ(body["details"][0]["value"].get<std::string>().find('='), std::string::npos);
  EXPECT_EQ(body["details"][0]["debug"]["reason"], "ROLE_NOT_ALLOWED");
  EXPECT_EQ(body["details"][1]["type"], "google.rpc.BadRequest");
  EXPECT_EQ(body["details"][1]["debug"]["fieldViolations"][0]["field"], "customer.display_name");
}

TEST(ConnectProtocolTest, ErrorBodyWithoutDetailsOrMessage) {
  const nlohmann::json body =
      nlohmann::json::parse(ConnectErrorJson(grpc::StatusCode::NOT_FOUND, ""));
  EXPECT_EQ(body["code"], "not_found");
  EXPECT_FALSE(body.contains("message"));
  EXPECT_FALSE(body.contains("details"));
}

TEST(ConnectProtocolTest, UnknownDetailTypesHaveNoDebugAndGarbageDetailsAreIgnored) {
  google::rpc::Status rpc;
  auto* any = rpc.add_details();
  any->set_type_url("type.googleapis.com/some.Unknown");
  any->set_value("\x08\x01");
  nlohmann::json body = nlohmann::json::parse(
      ConnectErrorJson(grpc::StatusCode::INTERNAL, "x", rpc.SerializeAsString()));
  EXPECT_EQ(body["details"][0]["type"], "some.Unknown");
  EXPECT_FALSE(body["details"][0].contains("debug"));
  body = nlohmann::json::parse(ConnectErrorJson(grpc::StatusCode::INTERNAL, "x", "\xff\xff"));
  EXPECT_FALSE(body.contains("details"));
}

TEST(ConnectProtocolTest, InvalidUtf8InMessagesDoesNotBreakTheBody) {
  const std::string body = ConnectErrorJson(grpc::StatusCode::INVALID_ARGUMENT, "bad \xff byte");
  EXPECT_NO_THROW(nlohmann::json::parse(body));
}

}  // namespace
}  // namespace salesops::gateway
