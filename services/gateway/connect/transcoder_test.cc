// Connect → gRPC transcoding against a fake backend: routes from the
// descriptors, JSON and binary bodies both ways, the metadata passed on,
// deadlines, and every way a request can be refused before or after the call.
#include "services/gateway/connect/transcoder.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "salesops/customers/v1/customers_service.pb.h"
#include "salesops/org/v1/org_service.pb.h"

namespace salesops::gateway {
namespace {

using ::testing::Contains;
using ::testing::Pair;
namespace ov1 = salesops::org::v1;

class FakeBackend final : public UnaryBackend {
 public:
  bool Serves(absl::string_view family) const override { return family != "sync"; }
  BackendResult Call(const BackendCall& call) override {
    ++calls;
    last = call;
    return next;
  }
  int calls = 0;
  BackendCall last;
  BackendResult next;
};

class TranscoderTest : public ::testing::Test {
 protected:
  TranscoderTest()
      : registry_(MethodRegistry::FromGeneratedPool(KnownFamilies())),
        transcoder_(registry_, backend_, {.max_deadline = absl::Seconds(30)}) {}

  ConnectRequest Json(const std::string& path, const std::string& body) {
    ConnectRequest r;
    r.path = path;
    r.content_type = "application/json";
    r.authorization = "Bearer tok.en.sig";
    r.body = body;
    return r;
  }
  static nlohmann::json Body(const ConnectReply& r) { return nlohmann::json::parse(r.body); }
  static std::string Header(const ConnectReply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) {
        return v;
      }
    }
    return "";
  }

  MethodRegistry registry_;
  FakeBackend backend_;
  ConnectTranscoder transcoder_;
};

constexpr char kGetUnit[] = "/salesops.org.v1.OrgService/GetOrgUnit";

TEST_F(TranscoderTest, EveryMethodOfEveryLinkedServiceHasARoute) {
  std::set<std::string> families;
  for (const MethodInfo* m : registry_.All()) {
    EXPECT_EQ(registry_.Find(m->path), m);
    EXPECT_TRUE(absl::StartsWith(m->path, "/salesops.")) << m->path;
    EXPECT_NE(m->input_prototype, nullptr) << m->path;
    EXPECT_NE(m->output_prototype, nullptr) << m->path;
    families.insert(m->family);
  }
  EXPECT_GT(registry_.All().size(), 100u) << ::testing::PrintToString(families);
  EXPECT_TRUE(families.count("org") && families.count("customers") && families.count("targets") &&
              families.count("warning"))
      << ::testing::PrintToString(families);
  EXPECT_EQ(registry_.Find("/salesops.bench.v1.EchoService/Echo"),
            nullptr);  // not a service family
}

// The live stream renders events by type name from the same pool: every routed
// family's events file must be linked in as well (the linker drops what nothing
// refers to; LinkedServiceFiles refers to them).
TEST_F(TranscoderTest, EveryRoutedFamilysEventsAreInThePool) {
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& family : registry_.Families()) {
    const std::string file = absl::StrCat("salesops/", family, "/v1/", family, "_events.proto");
    EXPECT_NE(pool->FindFileByName(file), nullptr) << file;
  }
  EXPECT_NE(pool->FindMessageTypeByName("salesops.customers.v1.FollowUpTaskOverdue"), nullptr);
}

TEST_F(TranscoderTest, JsonInJsonOutInLowerCamelCase) {
  ov1::GetOrgUnitResponse resp;
  resp.mutable_org_unit()->set_name("orgUnits/east");
  resp.mutable_org_unit()->set_display_name("华东大区");
  backend_.next.response = resp.SerializeAsString();
  ConnectReply r = transcoder_.Handle(Json(kGetUnit, R"({"name":"orgUnits/east","unknown":1})"));
  ASSERT_EQ(r.http_status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Body(r)["orgUnit"]["displayName"], "华东大区");
  ASSERT_EQ(backend_.calls, 1);
  EXPECT_EQ(backend_.last.method->path, kGetUnit);
  ov1::GetOrgUnitRequest sent;
  ASSERT_TRUE(sent.ParseFromString(backend_.last.request));
  EXPECT_EQ(sent.name(), "orgUnits/east");
}

TEST_F(TranscoderTest, SnakeCaseFieldNamesAreAcceptedToo) {
  transcoder_.Handle(
      Json("/salesops.org.v1.OrgService/ListOrgUnits", R"({"page_size":5,"pageToken":"t"})"));
  ov1::ListOrgUnitsRequest sent;
  ASSERT_TRUE(sent.ParseFromString(backend_.last.request));
  EXPECT_EQ(sent.page_size(), 5);
  EXPECT_EQ(sent.page_token(), "t");
}

TEST_F(TranscoderTest, AnEmptyBodyIsAnEmptyRequest) {
  ConnectReply r = transcoder_.Handle(Json(kGetUnit, ""));
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(backend_.last.request, "");
}

TEST_F(TranscoderTest, BinaryInBinaryOutPassesTheBytes) {
  ov1::GetOrgUnitRequest req;
  req.set_name("orgUnits/east");
  ov1::GetOrgUnitResponse resp;
  resp.mutable_org_unit()->set_display_name("华东");
  backend_.next.response = resp.SerializeAsString();
  ConnectRequest cr = Json(kGetUnit, req.SerializeAsString());
  cr.content_type = "application/proto";
  ConnectReply r = transcoder_.Handle(cr);
  ASSERT_EQ(r.http_status, 200);
  EXPECT_EQ(r.content_type, "application/proto");
  EXPECT_EQ(r.body, resp.SerializeAsString());
  EXPECT_EQ(backend_.last.request, req.SerializeAsString());
}

TEST_F(TranscoderTest, MalformedBodiesAreInvalidArgumentAndNeverReachTheService) {
  for (const char* body : {"{", "[1]", R"({"name": 5)", R"({"pageSize":"many"})"}) {
    ConnectReply r = transcoder_.Handle(Json(
        absl::StrContains(body, "page") ? "/salesops.org.v1.OrgService/ListOrgUnits" : kGetUnit,
        body));
    EXPECT_EQ(r.http_status, 400) << body;
    EXPECT_EQ(Body(r)["code"], "invalid_argument") << body;
  }
  ConnectRequest binary = Json(kGetUnit, "\xff\xff\xff");
  binary.content_type = "application/proto";
  EXPECT_EQ(transcoder_.Handle(binary).http_status, 400);
  EXPECT_EQ(backend_.calls, 0);
}

TEST_F(TranscoderTest, UnknownRoutesAre404WithAConnectBody) {
  ConnectReply r = transcoder_.Handle(Json("/salesops.org.v1.OrgService/NoSuchMethod", "{}"));
  EXPECT_EQ(r.http_status, 404);
  EXPECT_EQ(Body(r)["code"], "unimplemented");
  EXPECT_EQ(r.method, nullptr);
}

TEST_F(TranscoderTest, OnlyPost) {
  ConnectRequest cr = Json(kGetUnit, "");
  cr.http_method = "GET";
  ConnectReply r = transcoder_.Handle(cr);
  EXPECT_EQ(r.http_status, 405);
  EXPECT_THAT(r.headers, Contains(Pair("Allow", "POST")));
}

TEST_F(TranscoderTest, UnsupportedContentTypeIs415NamingWhatIsAccepted) {
  ConnectRequest cr = Json(kGetUnit, "{}");
  cr.content_type = "text/plain";
  ConnectReply r = transcoder_.Handle(cr);
  EXPECT_EQ(r.http_status, 415);
  EXPECT_EQ(Header(r, "Accept-Post"), "application/json, application/proto");
  EXPECT_EQ(backend_.calls, 0);
}

TEST_F(TranscoderTest, ProtocolVersionMustBeOneWhenGiven) {
  ConnectRequest cr = Json(kGetUnit, "{}");
  cr.protocol_version = "1";
  EXPECT_EQ(transcoder_.Handle(cr).http_status, 200);
  cr.protocol_version = "2";
  ConnectReply r = transcoder_.Handle(cr);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(Body(r)["code"], "invalid_argument");
}

TEST_F(TranscoderTest, TimeoutBecomesTheDeadlineCappedByTheGateway) {
  ConnectRequest cr = Json(kGetUnit, "{}");
  cr.timeout_ms = "1500";
  absl::Time before = absl::Now();
  transcoder_.Handle(cr);
  EXPECT_LE(backend_.last.deadline, absl::Now() + absl::Milliseconds(1500));
  EXPECT_GE(backend_.last.deadline, before + absl::Milliseconds(1500));
  cr.timeout_ms = "999999999";
  transcoder_.Handle(cr);
  EXPECT_LE(backend_.last.deadline, absl::Now() + absl::Seconds(30));
  cr.timeout_ms = "";
  before = absl::Now();
  transcoder_.Handle(cr);
  EXPECT_GE(backend_.last.deadline, before + absl::Seconds(30));
  cr.timeout_ms = "soon";
  EXPECT_EQ(transcoder_.Handle(cr).http_status, 400);
}

TEST_F(TranscoderTest, TheBearerTokenAndTraceIdAreForwardedUntouched) {
  ConnectRequest cr = Json(kGetUnit, "{}");
  cr.trace_id = "0123456789abcdef0123456789abcdef";
  cr.traceparent = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01";
  ConnectReply r = transcoder_.Handle(cr);
  EXPECT_THAT(backend_.last.metadata, Contains(Pair("authorization", "Bearer tok.en.sig")));
  EXPECT_THAT(backend_.last.metadata,
              Contains(Pair("x-trace-id", "0123456789abcdef0123456789abcdef")));
  EXPECT_THAT(backend_.last.metadata, Contains(Pair("traceparent", cr.traceparent)));
  EXPECT_EQ(Header(r, "X-Trace-Id"), "0123456789abcdef0123456789abcdef");
}

TEST_F(TranscoderTest, AMissingOrMalformedTraceIdIsReplaced) {
  ConnectRequest cr = Json(kGetUnit, "{}");
  cr.authorization = "";
  cr.trace_id = "not-a-trace-id";
  ConnectReply r = transcoder_.Handle(cr);
  const std::string id = Header(r, "X-Trace-Id");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_THAT(backend_.last.metadata, Contains(Pair("x-trace-id", id)));
  for (const auto& [k, v] : backend_.last.metadata) {
    EXPECT_NE(k, "authorization");
  }
}

TEST_F(TranscoderTest, ServiceErrorsKeepTheirCodeMessageAndDetails) {
  google::rpc::ErrorInfo info;
  info.set_reason("ROLE_NOT_ALLOWED");
  google::rpc::Status rpc;
  rpc.set_code(7);
  rpc.add_details()->PackFrom(info);
  backend_.next.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "role 'rep' may not",
                                      rpc.SerializeAsString());
  backend_.next.trace_id = "ffffffffffffffffffffffffffffffff";
  ConnectReply r = transcoder_.Handle(Json(kGetUnit, "{}"));
  EXPECT_EQ(r.http_status, 403);
  EXPECT_EQ(r.content_type, "application/json");
  nlohmann::json body = Body(r);
  EXPECT_EQ(body["code"], "permission_denied");
  EXPECT_EQ(body["message"], "role 'rep' may not");
  EXPECT_EQ(body["details"][0]["type"], "google.rpc.ErrorInfo");
  EXPECT_EQ(body["details"][0]["debug"]["reason"], "ROLE_NOT_ALLOWED");
  EXPECT_EQ(Header(r, "X-Trace-Id"), "ffffffffffffffffffffffffffffffff");

  backend_.next.status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "token expired");
  r = transcoder_.Handle(Json(kGetUnit, "{}"));
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(Body(r)["code"], "unauthenticated");
  backend_.next.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
  EXPECT_EQ(transcoder_.Handle(Json(kGetUnit, "{}")).http_status, 503);
}

TEST_F(TranscoderTest, AReplyThatDoesNotParseIsInternal) {
  backend_.next.response = "\xff\xff\xff";
  ConnectReply r = transcoder_.Handle(Json(kGetUnit, "{}"));
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(Body(r)["code"], "internal");
}

TEST_F(TranscoderTest, FamiliesWithoutABackendAreUnimplemented) {
  const MethodInfo* sync_method = nullptr;
  for (const MethodInfo* m : registry_.All()) {
    if (m->family == "sync") {
      sync_method = m;
    }
  }
  if (sync_method == nullptr) {
    GTEST_SKIP() << "sync protos not linked";
  }
  ConnectReply r = transcoder_.Handle(Json(sync_method->path, "{}"));
  EXPECT_EQ(r.http_status, 501);
  EXPECT_EQ(Body(r)["code"], "unimplemented");
  EXPECT_EQ(backend_.calls, 0);
}

TEST_F(TranscoderTest, ChineseTextSurvivesBothWays) {
  namespace cv1 = salesops::customers::v1;
  cv1::GetCustomerResponse resp;
  resp.mutable_customer()->set_display_name("杭州西湖科技有限公司");
  backend_.next.response = resp.SerializeAsString();
  ConnectReply r = transcoder_.Handle(
      Json("/salesops.customers.v1.CustomersService/GetCustomer", R"({"name":"customers/杭州"})"));
  ASSERT_EQ(r.http_status, 200);
  EXPECT_EQ(Body(r)["customer"]["displayName"], "杭州西湖科技有限公司");
  cv1::GetCustomerRequest sent;
  ASSERT_TRUE(sent.ParseFromString(backend_.last.request));
  EXPECT_EQ(sent.name(), "customers/杭州");
}

}  // namespace
}  // namespace salesops::gateway
