// Tests for the CloudEvents Kafka binding (cloud_event.h) and the outbox
// stream entry encoding (outbox/write_batch.h) that carries events to it.
#include "common/events/cloud_event.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/outbox/write_batch.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/common/v1/common.pb.h"
#include "salesops/common/v1/outbox_entry.pb.h"

namespace salesops {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";

// 2023-11-14T22:13:20.123456Z
const absl::Time kTime = absl::FromUnixMicros(1'700'000'000'123'456);

common::v1::Actor SampleActor() {
  common::v1::Actor actor;
  actor.set_member_id("m-1");
  actor.set_role("manager");
  actor.set_org_unit_id("region-east");
  actor.set_trace_id(kTraceId);
  return actor;
}

CloudEvent SampleEvent() {
  return MakeCloudEvent("/salesops/org", "unit-1", "orgUnits/unit-1", SampleActor(), kTime,
                        kTraceId);
}

std::map<std::string, std::string> AsMap(const KafkaHeaders& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : headers) {
    EXPECT_TRUE(out.emplace(k, v).second) << "duplicate header " << k;
  }
  return out;
}

KafkaHeaders Without(KafkaHeaders headers, const std::string& name) {
  KafkaHeaders out;
  for (auto& h : headers) {
    if (h.first != name) {
      out.push_back(std::move(h));
    }
  }
  return out;
}

KafkaHeaders Replace(KafkaHeaders headers, const std::string& name, const std::string& value) {
  for (auto& h : headers) {
    if (h.first == name) {
      h.second = value;
    }
  }
  return headers;
}

// Expects INVALID_ARGUMENT with reason MALFORMED_CLOUD_EVENT and a violation naming `header`.
void ExpectRejectsHeader(const absl::StatusOr<CloudEvent>& result, const std::string& header) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(result.status()), "MALFORMED_CLOUD_EVENT");
  std::vector<FieldViolation> violations = FieldViolations(result.status());
  ASSERT_EQ(violations.size(), 1u) << result.status();
  EXPECT_EQ(violations[0].field, header);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(header));
}

// MakeCloudEvent fills a fresh UUID, the payload's full proto name and its bytes.
TEST(CloudEventTest, MakeCloudEventFillsAttributes) {
  CloudEvent e = SampleEvent();
  EXPECT_THAT(e.id,
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_EQ(e.source, "/salesops/org");
  EXPECT_EQ(e.type, "salesops.common.v1.Actor");
  EXPECT_EQ(e.subject, "orgUnits/unit-1");
  EXPECT_EQ(e.key, "unit-1");
  EXPECT_EQ(e.time, kTime);
  EXPECT_EQ(e.trace_id, kTraceId);
  EXPECT_EQ(e.data, SampleActor().SerializeAsString());
  EXPECT_NE(SampleEvent().id, e.id);  // every event gets its own id
}

// The binary-mode headers carry every CloudEvents attribute in the agreed format.
TEST(CloudEventTest, ToKafkaHeaders) {
  CloudEvent e = SampleEvent();
  std::map<std::string, std::string> h = AsMap(ToKafkaHeaders(e));
  EXPECT_EQ(h["ce_specversion"], "1.0");
  EXPECT_EQ(h["ce_id"], e.id);
  EXPECT_EQ(h["ce_source"], "/salesops/org");
  EXPECT_EQ(h["ce_type"], "salesops.common.v1.Actor");
  EXPECT_EQ(h["ce_subject"], "orgUnits/unit-1");
  EXPECT_EQ(h["ce_time"], "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(h["content-type"], "application/protobuf");
  EXPECT_EQ(h["ce_traceparent"], "00-0af7651916cd43dd8448eb211c80319c-0000000000000001-01");
  EXPECT_EQ(h["ce_dataschema"], "urn:salesops:proto:salesops.common.v1.Actor");
  EXPECT_EQ(h.size(), 9u);
}

// ce_time is RFC 3339 in UTC with microseconds, also for whole seconds.
TEST(CloudEventTest, TimeIsRfc3339) {
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000000Z");
  EXPECT_THAT(FormatRfc3339(absl::Now()),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z"));
}

// Optional attributes are left out when empty instead of sent as empty headers.
TEST(CloudEventTest, OptionalHeadersOmittedWhenEmpty) {
  CloudEvent e = MakeCloudEvent("/salesops/org", "k", "", SampleActor(), kTime);
  KafkaHeaders h = ToKafkaHeaders(e);
  EXPECT_THAT(h, Not(Contains(Key("ce_subject"))));
  EXPECT_THAT(h, Not(Contains(Key("ce_traceparent"))));
  EXPECT_EQ(h.size(), 7u);
}

// FromKafkaRecord(ToKafkaHeaders(e)) gives back e, including time and trace id.
TEST(CloudEventTest, KafkaRoundTrip) {
  CloudEvent e = SampleEvent();
  absl::StatusOr<CloudEvent> back = FromKafkaRecord(e.key, e.data, ToKafkaHeaders(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->source, e.source);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->subject, e.subject);
  EXPECT_EQ(back->time, e.time);
  EXPECT_EQ(back->key, e.key);
  EXPECT_EQ(back->trace_id, e.trace_id);
  EXPECT_EQ(back->data, e.data);
}

// Unknown headers are ignored and a ce_time with an offset is read as the right instant.
TEST(CloudEventTest, AcceptsOffsetTimeAndExtraHeaders) {
  KafkaHeaders h = Replace(ToKafkaHeaders(SampleEvent()), "ce_time", "2023-11-15T06:13:20+08:00");
  h.emplace_back("x-unrelated", "1");
  absl::StatusOr<CloudEvent> back = FromKafkaRecord("k", "", h);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->time, absl::FromUnixSeconds(1'700'000'000));
}

// ce_dataschema is optional (records from before it existed have none), and
// when present it must name ce_type's message: a record whose schema and type
// disagree cannot be decoded safely.
TEST(CloudEventTest, DataSchemaMustNameTheType) {
  const CloudEvent e = SampleEvent();
  EXPECT_TRUE(FromKafkaRecord("k", e.data, Without(ToKafkaHeaders(e), "ce_dataschema")).ok());
  ExpectRejectsHeader(FromKafkaRecord("k", e.data,
                                      Replace(ToKafkaHeaders(e), "ce_dataschema",
                                              "urn:salesops:proto:salesops.org.v1.OrgUnitCreated")),
                      "ce_dataschema");
  ExpectRejectsHeader(FromKafkaRecord("k", e.data, Replace(ToKafkaHeaders(e), "ce_dataschema", "")),
                      "ce_dataschema");
}

// A record without ce_id is rejected naming ce_id.
TEST(CloudEventTest, MissingIdRejected) {
  ExpectRejectsHeader(FromKafkaRecord("k", "v", Without(ToKafkaHeaders(SampleEvent()), "ce_id")),
                      "ce_id");
}

// A record without ce_source or ce_type is rejected naming the header.
TEST(CloudEventTest, MissingSourceOrTypeRejected) {
  ExpectRejectsHeader(
      FromKafkaRecord("k", "v", Without(ToKafkaHeaders(SampleEvent()), "ce_source")), "ce_source");
  ExpectRejectsHeader(FromKafkaRecord("k", "v", Without(ToKafkaHeaders(SampleEvent()), "ce_type")),
                      "ce_type");
}

// A record that is not application/protobuf (or lacks content-type) is rejected naming it.
TEST(CloudEventTest, WrongContentTypeRejected) {
  ExpectRejectsHeader(
      FromKafkaRecord("k", "v",
                      Replace(ToKafkaHeaders(SampleEvent()), "content-type", "application/json")),
      "content-type");
  ExpectRejectsHeader(
      FromKafkaRecord("k", "v", Without(ToKafkaHeaders(SampleEvent()), "content-type")),
      "content-type");
}

// A ce_time that is not RFC 3339 is rejected naming ce_time.
TEST(CloudEventTest, BadTimeRejected) {
  for (const char* bad :
       {"yesterday", "2023-11-14 22:13:20", "1700000000", "2023-13-40T00:00:00Z"}) {
    SCOPED_TRACE(bad);
    ExpectRejectsHeader(
        FromKafkaRecord("k", "v", Replace(ToKafkaHeaders(SampleEvent()), "ce_time", bad)),
        "ce_time");
  }
}

// Only spec version 1.0 is accepted.
TEST(CloudEventTest, WrongSpecVersionRejected) {
  ExpectRejectsHeader(
      FromKafkaRecord("k", "v", Replace(ToKafkaHeaders(SampleEvent()), "ce_specversion", "0.3")),
      "ce_specversion");
  ExpectRejectsHeader(
      FromKafkaRecord("k", "v", Without(ToKafkaHeaders(SampleEvent()), "ce_specversion")),
      "ce_specversion");
}

// Several problems are all reported in one status.
TEST(CloudEventTest, ReportsEveryProblem) {
  absl::StatusOr<CloudEvent> r = FromKafkaRecord("k", "v", {});
  ASSERT_FALSE(r.ok());
  std::vector<std::string> fields;
  for (const auto& v : FieldViolations(r.status())) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, testing::UnorderedElementsAre("ce_specversion", "ce_id", "ce_source",
                                                    "ce_type", "content-type"));
}

// DecodePayload parses the payload when ce_type names the requested message.
TEST(CloudEventTest, DecodePayloadMatchingType) {
  absl::StatusOr<common::v1::Actor> actor = DecodePayload<common::v1::Actor>(SampleEvent());
  ASSERT_TRUE(actor.ok()) << actor.status();
  EXPECT_EQ(actor->member_id(), "m-1");
  EXPECT_EQ(actor->role(), "manager");
  EXPECT_EQ(actor->trace_id(), kTraceId);
}

// DecodePayload refuses an event whose ce_type names another message, naming ce_type.
TEST(CloudEventTest, DecodePayloadRejectsWrongType) {
  absl::StatusOr<common::v1::Money> money = DecodePayload<common::v1::Money>(SampleEvent());
  ASSERT_FALSE(money.ok());
  EXPECT_EQ(money.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<FieldViolation> v = FieldViolations(money.status());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "ce_type");
  EXPECT_THAT(v[0].description, HasSubstr("salesops.common.v1.Money"));
}

// DecodePayload reports bytes that do not parse as the named message.
TEST(CloudEventTest, DecodePayloadRejectsCorruptData) {
  CloudEvent e = SampleEvent();
  e.data = "\xff\xff\xff\xff";
  absl::StatusOr<common::v1::Actor> actor = DecodePayload<common::v1::Actor>(e);
  ASSERT_FALSE(actor.ok());
  EXPECT_EQ(actor.status().code(), absl::StatusCode::kInvalidArgument);
}

// TraceParent and TraceIdFromTraceParent are inverses; malformed inputs give "".
TEST(CloudEventTest, TraceParent) {
  EXPECT_EQ(TraceIdFromTraceParent(TraceParent(kTraceId)), kTraceId);
  EXPECT_EQ(TraceParent(""), "");
  EXPECT_EQ(TraceParent("abc"), "");
  EXPECT_EQ(TraceIdFromTraceParent(""), "");
  EXPECT_EQ(TraceIdFromTraceParent("00-abc-0000000000000001-01"), "");
  EXPECT_EQ(TraceIdFromTraceParent("garbage"), "");
}

// Pairs up the flat field/value list a stream entry is written as.
std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<std::string>& flat) {
  EXPECT_EQ(flat.size() % 2, 0u);
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    out.emplace_back(flat[i], flat[i + 1]);
  }
  return out;
}

// An event and its topic survive the trip through outbox stream fields.
TEST(OutboxFieldsTest, RoundTrip) {
  CloudEvent e = SampleEvent();
  absl::StatusOr<std::pair<CloudEvent, std::string>> back =
      FromOutboxFields(Pairs(ToOutboxFields(e, "salesops.org.events.v1")));
  ASSERT_TRUE(back.ok()) << back.status();
  const CloudEvent& b = back->first;
  EXPECT_EQ(back->second, "salesops.org.events.v1");
  EXPECT_EQ(b.id, e.id);
  EXPECT_EQ(b.source, e.source);
  EXPECT_EQ(b.type, e.type);
  EXPECT_EQ(b.subject, e.subject);
  EXPECT_EQ(b.key, e.key);
  EXPECT_EQ(b.time, e.time);
  EXPECT_EQ(b.trace_id, e.trace_id);
  EXPECT_EQ(b.data, e.data);
  // And the decoded event is still a valid Kafka record after the trip.
  EXPECT_TRUE(FromKafkaRecord(b.key, b.data, ToKafkaHeaders(b)).ok());
}

// Binary payloads (NUL and high bytes) are kept byte for byte.
TEST(OutboxFieldsTest, BinaryDataPreserved) {
  CloudEvent e = SampleEvent();
  e.data = std::string("\0\x01\xff\n", 4);
  auto back = FromOutboxFields(Pairs(ToOutboxFields(e, "t")));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->first.data, e.data);
}

// An entry is one field, a serialized OutboxEntry: Redis handles two
// arguments per event, not eighteen.
TEST(OutboxFieldsTest, AnEntryIsOneField) {
  const CloudEvent e = SampleEvent();
  const std::vector<std::string> flat = ToOutboxFields(e, "t");
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0], outbox_fields::kEntry);
  common::v1::OutboxEntry entry;
  ASSERT_TRUE(entry.ParseFromString(flat[1]));
  EXPECT_EQ(entry.id(), e.id);
  EXPECT_EQ(entry.topic(), "t");
}

// The fields an entry had before (one per attribute) as a stream holding
// entries from an older binary has them: read the same.
std::vector<std::pair<std::string, std::string>> AttributeFields(const CloudEvent& e,
                                                                 const std::string& topic) {
  namespace f = outbox_fields;
  return {{f::kId, e.id},          {f::kSource, e.source},
          {f::kType, e.type},      {f::kSubject, e.subject},
          {f::kKey, e.key},        {f::kTime, absl::StrCat(absl::ToUnixMicros(e.time))},
          {f::kTrace, e.trace_id}, {f::kTopic, topic},
          {f::kData, e.data}};
}

TEST(OutboxFieldsTest, EntriesOfAFieldPerAttributeStillRead) {
  const CloudEvent e = SampleEvent();
  auto older = FromOutboxFields(AttributeFields(e, "salesops.org.events.v1"));
  auto now = FromOutboxFields(Pairs(ToOutboxFields(e, "salesops.org.events.v1")));
  ASSERT_TRUE(older.ok()) << older.status();
  ASSERT_TRUE(now.ok()) << now.status();
  for (const auto* r : {&*older, &*now}) {
    EXPECT_EQ(r->second, "salesops.org.events.v1");
    EXPECT_EQ(r->first.id, e.id);
    EXPECT_EQ(r->first.type, e.type);
    EXPECT_EQ(r->first.subject, e.subject);
    EXPECT_EQ(r->first.key, e.key);
    EXPECT_EQ(r->first.time, e.time);
    EXPECT_EQ(r->first.trace_id, e.trace_id);
    EXPECT_EQ(r->first.data, e.data);
  }
}

// An entry without id, type or topic (either form), one that is not an
// OutboxEntry, or an older one with a non-numeric time, is rejected.
TEST(OutboxFieldsTest, RejectsIncompleteEntries) {
  for (int which = 0; which < 3; ++which) {
    SCOPED_TRACE(which);
    CloudEvent e = SampleEvent();
    std::string topic = "t";
    (which == 0 ? e.id : which == 1 ? e.type : topic).clear();
    for (const auto& fields : {Pairs(ToOutboxFields(e, topic)), AttributeFields(e, topic)}) {
      auto r = FromOutboxFields(fields);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  auto garbage = FromOutboxFields({{outbox_fields::kEntry, std::string("\xff\xff\xff", 3)}});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_time = AttributeFields(SampleEvent(), "t");
  for (auto& f : bad_time) {
    if (f.first == outbox_fields::kTime) {
      f.second = "soon";
    }
  }
  auto r = FromOutboxFields(bad_time);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(FieldViolations(r.status()).size(), 1u);
  EXPECT_EQ(FieldViolations(r.status())[0].field, "outbox.time");
}

// A commit's several events are one entry (kEntries): read back in order,
// each whole, also with a payload long enough for a multi-byte length; an
// entry of one event and an older one read as one event. FromOutboxFields,
// which answers one event, refuses a bundle instead of answering its first.
TEST(OutboxFieldsTest, AnEntryOfSeveralEventsReadsBackInOrder) {
  std::vector<std::string> serialized;
  std::vector<CloudEvent> in;
  for (int i = 0; i < 3; ++i) {
    CloudEvent e = SampleEvent();
    e.id = absl::StrCat("e-", i);
    e.data = std::string(i == 1 ? 70'000 : 5 + i, static_cast<char>('a' + i));
    in.push_back(e);
    serialized.push_back(ToOutboxFields(e, absl::StrCat("topic-", i))[1]);
  }
  const std::string bundle = OutboxEntriesOf({serialized[0], serialized[1], serialized[2]});
  common::v1::OutboxEntries parsed;
  ASSERT_TRUE(parsed.ParseFromString(bundle)) << "protobuf's own encoding of OutboxEntries";
  ASSERT_EQ(parsed.entries_size(), 3);
  auto back = FromOutboxEntry({{outbox_fields::kEntries, bundle}});
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*back)[i].first.id, in[i].id);
    EXPECT_EQ((*back)[i].first.data, in[i].data);
    EXPECT_EQ((*back)[i].first.time, in[i].time);
    EXPECT_EQ((*back)[i].second, absl::StrCat("topic-", i));
  }
  for (const auto& one : {Pairs(ToOutboxFields(in[0], "t")), AttributeFields(in[0], "t")}) {
    auto r = FromOutboxEntry(one);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].first.id, "e-0");
  }
  auto refused = FromOutboxFields({{outbox_fields::kEntries, bundle}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  // Nothing in it, not an OutboxEntries, or one of its events incomplete.
  CloudEvent no_type = SampleEvent();
  no_type.type.clear();
  for (const std::string& bad :
       {std::string(), std::string("\xff\xff\xff", 3),
        OutboxEntriesOf({serialized[0], ToOutboxFields(no_type, "t")[1]})}) {
    auto r = FromOutboxEntry({{outbox_fields::kEntries, bad}});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad.size();
  }
}

}  // namespace
}  // namespace salesops

namespace salesops {
namespace {

// Bytes from a poison record's headers never reach an error message as
// invalid UTF-8 (error details are protobuf strings): found by fuzzing.
TEST(CloudEventTest, ErrorMessagesEscapeUntrustedBytes) {
  const std::string bad("\xff\xfe\x01x", 4);
  KafkaHeaders headers = {{"ce_specversion", bad}, {"content-type", bad}, {"ce_time", bad},
                          {"ce_id", "1"},          {"ce_source", "/s"},   {"ce_type", "t"}};
  absl::StatusOr<CloudEvent> e = FromKafkaRecord("k", "v", headers);
  ASSERT_FALSE(e.ok());
  for (char c : e.status().message()) {
    const unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "raw byte " << static_cast<int>(u) << " in message";
  }
  for (const auto& v : FieldViolations(e.status())) {
    for (char c : v.description) {
      EXPECT_LT(static_cast<unsigned char>(c), 0x80);
    }
  }
  EXPECT_NE(e.status().message().find("\\xff\\xfe"), absl::string_view::npos);
}

// Long untrusted values are cut.
TEST(CloudEventTest, QuoteUntrustedCuts) {
  EXPECT_EQ(QuoteUntrusted(std::string(100, 'a'), 4), "'aaaa'...");
  EXPECT_EQ(QuoteUntrusted("1.0"), "'1.0'");
}

}  // namespace
}  // namespace salesops
