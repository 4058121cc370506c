// The AsyncAPI document: docs/events/asyncapi.json is what the protos and
// topics.txt give today (else `make asyncapi`), every topic has a channel, and
// protobuf fields map to the proto3 JSON schema a reader expects.
#include "tools/asyncapi/asyncapi.h"

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace salesops::asyncapi {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The first line where two texts differ, for a readable failure.
std::string FirstDifference(const std::string& want, const std::string& got) {
  std::vector<std::string> a = absl::StrSplit(want, '\n');
  std::vector<std::string> b = absl::StrSplit(got, '\n');
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "<end>";
    const std::string y = i < b.size() ? b[i] : "<end>";
    if (x != y) {
      return "line " + std::to_string(i + 1) + ": generated `" + x + "`, committed `" + y + "`";
    }
  }
  return "";
}

TEST(AsyncApiDocTest, CommittedDocumentIsWhatTheProtosGive) {
  absl::StatusOr<google::protobuf::FileDescriptorSet> set =
      ReadDescriptorSet(SALESOPS_DESCRIPTOR_SET);
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<std::string> topics = ReadFile(SALESOPS_TOPICS_FILE);
  ASSERT_TRUE(topics.ok()) << topics.status();
  absl::StatusOr<std::string> generated = BuildAsyncApi(*set, *topics);
  ASSERT_TRUE(generated.ok()) << generated.status();
  absl::StatusOr<std::string> committed = ReadFile(SALESOPS_ASYNCAPI_DOC);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_TRUE(*generated == *committed)
      << "docs/events/asyncapi.json is stale: run `make asyncapi` and commit it ("
      << FirstDifference(*generated, *committed) << ")";
  // Every event topic of the suite is in it, with real messages.
  for (const char* topic :
       {"salesops.org.events.v1", "salesops.customers.events.v1", "salesops.targets.events.v1",
        "salesops.warning.events.v1", "salesops.performance.events.v1",
        "salesops.forecast.events.v1", "salesops.sync.events.v1", "salesops.share.customers.v1"}) {
    EXPECT_THAT(*generated, HasSubstr(std::string("\"address\": \"") + topic + "\""));
  }
  EXPECT_THAT(*generated,
              HasSubstr("\"const\": \"urn:salesops:proto:salesops.customers.v1.OpportunityWon\""));
}

// A small contract of its own: one events file, one topic of it, a DLQ.
google::protobuf::FileDescriptorSet DemoSet() {
  google::protobuf::FileDescriptorSet set;
  const char* kText = R"pb(
    file {
      name: "google/protobuf/timestamp.proto"
      package: "google.protobuf"
      message_type {
        name: "Timestamp"
        field {
          name: "seconds"
          number: 1
          label: LABEL_OPTIONAL
          type: TYPE_INT64
          json_name: "seconds"
        }
        field { name: "nanos" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "nanos" }
      }
      syntax: "proto3"
    }
    file {
      name: "salesops/demo/v1/demo_events.proto"
      package: "salesops.demo.v1"
      dependency: "google/protobuf/timestamp.proto"
      message_type {
        name: "Money"
        field {
          name: "amount_minor"
          number: 1
          label: LABEL_OPTIONAL
          type: TYPE_INT64
          json_name: "amountMinor"
        }
      }
      message_type {
        name: "DealWon"
        field {
          name: "amount"
          number: 1
          label: LABEL_OPTIONAL
          type: TYPE_MESSAGE
          type_name: ".salesops.demo.v1.Money"
          json_name: "amount"
        }
        field {
          name: "won_time"
          number: 2
          label: LABEL_OPTIONAL
          type: TYPE_MESSAGE
          type_name: ".google.protobuf.Timestamp"
          json_name: "wonTime"
        }
        field { name: "tags" number: 3 label: LABEL_REPEATED type: TYPE_STRING json_name: "tags" }
        field {
          name: "stage"
          number: 4
          label: LABEL_OPTIONAL
          type: TYPE_ENUM
          type_name: ".salesops.demo.v1.Stage"
          json_name: "stage"
        }
        field { name: "count" number: 5 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "count" }
        field { name: "blob" number: 6 label: LABEL_OPTIONAL type: TYPE_BYTES json_name: "blob" }
      }
      enum_type {
        name: "Stage"
        value { name: "STAGE_UNSPECIFIED" number: 0 }
        value { name: "STAGE_WON" number: 1 }
      }
      syntax: "proto3"
    }
  )pb";
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kText, &set));
  return set;
}

TEST(AsyncApiDocTest, FieldsMapToTheProto3JsonSchema) {
  absl::StatusOr<std::string> doc =
      BuildAsyncApi(DemoSet(), "salesops.demo.events.v1 3\nsalesops.demo-x.dlq.v1 1  # dlq\n");
  ASSERT_TRUE(doc.ok()) << doc.status();
  // The event and its headers: type, source and schema fixed per message.
  EXPECT_THAT(*doc, HasSubstr("\"address\": \"salesops.demo.events.v1\""));
  EXPECT_THAT(*doc, HasSubstr("\"partitions\": 3"));
  EXPECT_THAT(*doc, HasSubstr("\"const\": \"salesops.demo.v1.DealWon\""));
  EXPECT_THAT(*doc, HasSubstr("\"const\": \"/salesops/demo\""));
  EXPECT_THAT(*doc, HasSubstr("\"const\": \"urn:salesops:proto:salesops.demo.v1.DealWon\""));
  // Money is a part of DealWon, not an event of the topic.
  EXPECT_THAT(*doc, Not(HasSubstr("\"#/components/messages/salesops.demo.v1.Money\"")));
  EXPECT_THAT(*doc, HasSubstr("\"salesops.demo.v1.Money\": {"));
  // int64 is a string in proto3 JSON, a Timestamp an RFC 3339 string, an enum its names.
  const std::string compact = absl::StrReplaceAll(*doc, {{" ", ""}, {"\n", ""}});
  EXPECT_THAT(compact, HasSubstr(R"("amountMinor":{"type":"string","format":"int64"})"));
  EXPECT_THAT(compact, HasSubstr(R"("wonTime":{"type":"string","format":"date-time"})"));
  EXPECT_THAT(compact,
              HasSubstr(R"("stage":{"type":"string","enum":["STAGE_UNSPECIFIED","STAGE_WON"])"));
  EXPECT_THAT(compact, HasSubstr(R"("tags":{"type":"array","items":{"type":"string"}})"));
  EXPECT_THAT(
      compact,
      HasSubstr(R"("amount":{"allOf":[{"$ref":"#/components/schemas/salesops.demo.v1.Money"}]})"));
  EXPECT_THAT(*doc, HasSubstr("\"contentEncoding\": \"base64\""));
  EXPECT_THAT(*doc, HasSubstr("\"format\": \"int32\""));
  // The dead-letter topic gets its channel and the dead-letter headers.
  EXPECT_THAT(*doc, HasSubstr("\"address\": \"salesops.demo-x.dlq.v1\""));
  EXPECT_THAT(*doc, HasSubstr("\"x-salesops-dlq-reason\""));
}

// A topic the generator cannot place fails the build of the document, so no
// topic goes undocumented; so does a service topic without its events file.
TEST(AsyncApiDocTest, UnknownTopicsAreErrors) {
  absl::StatusOr<std::string> doc = BuildAsyncApi(DemoSet(), "salesops.mystery.v1 1\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("salesops.mystery.v1"));
  doc = BuildAsyncApi(DemoSet(), "salesops.other.events.v1 3\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(std::string(doc.status().message()),
              HasSubstr("salesops/other/v1/other_events.proto"));
}

}  // namespace
}  // namespace salesops::asyncapi
