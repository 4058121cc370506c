#include "tools/asyncapi/asyncapi.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/events/cloud_event.h"
#include "google/protobuf/descriptor.h"
#include "nlohmann/json.hpp"

namespace salesops::asyncapi {
namespace {

namespace pb = google::protobuf;

// A small builder over nlohmann::ordered_json (objects keep insertion order,
// so the document is written the same way every time).
class Json {
 public:
  static Json Str(std::string s) { return Json(nlohmann::ordered_json(std::move(s))); }
  static Json Int(int64_t n) { return Json(nlohmann::ordered_json(n)); }
  static Json Object() { return Json(nlohmann::ordered_json::object()); }
  static Json Array() { return Json(nlohmann::ordered_json::array()); }
  static Json Ref(absl::string_view to) { return Object().Set("$ref", Str(std::string(to))); }
  static Json Strings(const std::vector<std::string>& items) {
    return Json(nlohmann::ordered_json(items));
  }

  Json& Set(const std::string& key, Json value) {
    j_[key] = std::move(value.j_);
    return *this;
  }
  Json& Push(Json value) {
    j_.push_back(std::move(value.j_));
    return *this;
  }
  bool empty() const { return j_.empty(); }
  std::string Dump() const { return j_.dump(2); }

 private:
  explicit Json(nlohmann::ordered_json j) : j_(std::move(j)) {}
  nlohmann::ordered_json j_;
};

// A comment as the protos wrote it: lines trimmed of the one space after "//".
std::string Clean(const std::string& comment) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(comment, '\n')) {
    absl::ConsumePrefix(&line, " ");
    lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  while (!lines.empty() && lines.back().empty()) {
    lines.pop_back();
  }
  return absl::StrJoin(lines, "\n");
}

template <typename D>
std::string CommentOf(const D* d) {
  pb::SourceLocation loc;
  if (!d->GetSourceLocation(&loc)) {
    return "";
  }
  std::string text = Clean(loc.leading_comments);
  const std::string trailing = Clean(loc.trailing_comments);
  if (!trailing.empty()) {
    text = text.empty() ? trailing : absl::StrCat(text, "\n", trailing);
  }
  return text;
}

// The file's opening comment (above `syntax`).
std::string FileComment(const pb::FileDescriptor* file, const pb::FileDescriptorProto& proto) {
  for (const pb::SourceCodeInfo::Location& loc : proto.source_code_info().location()) {
    if (loc.path_size() == 1 && loc.path(0) == pb::FileDescriptorProto::kSyntaxFieldNumber) {
      std::string text;
      for (const std::string& detached : loc.leading_detached_comments()) {
        absl::StrAppend(&text, text.empty() ? "" : "\n\n", Clean(detached));
      }
      const std::string leading = Clean(loc.leading_comments());
      if (!leading.empty()) {
        absl::StrAppend(&text, text.empty() ? "" : "\n\n", leading);
      }
      return text;
    }
  }
  (void)file;
  return "";
}

Json WithDescription(Json schema, const std::string& description) {
  if (!description.empty()) {
    schema.Set("description", Json::Str(description));
  }
  return schema;
}

class SchemaBuilder {
 public:
  // "#/components/schemas/<full name>", adding the message (and what it uses).
  Json RefTo(const pb::Descriptor* m) {
    Add(m);
    return Json::Ref(absl::StrCat("#/components/schemas/", m->full_name()));
  }

  void Add(const pb::Descriptor* m) {
    if (!seen_.insert(m->full_name()).second) {
      return;
    }
    Json props = Json::Object();
    for (int i = 0; i < m->field_count(); ++i) {
      const pb::FieldDescriptor* f = m->field(i);
      props.Set(f->json_name(), FieldSchema(f));
    }
    Json schema = Json::Object();
    schema.Set("type", Json::Str("object"));
    schema = WithDescription(std::move(schema), CommentOf(m));
    schema.Set("x-protobuf-message", Json::Str(m->full_name()));
    if (!props.empty()) {
      schema.Set("properties", std::move(props));
    }
    Json oneofs = Json::Object();
    for (int i = 0; i < m->oneof_decl_count(); ++i) {
      const pb::OneofDescriptor* o = m->oneof_decl(i);
      if (o->is_synthetic()) {  // a proto3 `optional` field, not a choice
        continue;
      }
      std::vector<std::string> fields;
      for (int j = 0; j < o->field_count(); ++j) {
        fields.push_back(o->field(j)->json_name());
      }
      oneofs.Set(o->name(), Json::Strings(fields));
    }
    if (!oneofs.empty()) {
      schema.Set("x-protobuf-oneofs", std::move(oneofs));
    }
    schemas_.insert_or_assign(m->full_name(), std::move(schema));
  }

  // Sorted by full name.
  Json Schemas() const {
    Json out = Json::Object();
    for (const auto& [name, schema] : schemas_) {
      out.Set(name, schema);
    }
    return out;
  }

 private:
  Json FieldSchema(const pb::FieldDescriptor* f) {
    Json schema = Json::Object();
    if (f->is_map()) {
      schema.Set("type", Json::Str("object"));
      schema.Set("additionalProperties", ValueSchema(f->message_type()->map_value()));
    } else if (f->is_repeated()) {
      schema.Set("type", Json::Str("array"));
      schema.Set("items", ValueSchema(f));
    } else {
      Json value = ValueSchema(f);
      // A $ref takes no sibling keywords; the field's comment goes around it.
      if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && !IsWellKnown(f->message_type())) {
        schema.Set("allOf", Json::Array().Push(std::move(value)));
      } else {
        schema = std::move(value);
      }
    }
    return WithDescription(std::move(schema), CommentOf(f));
  }

  static bool IsWellKnown(const pb::Descriptor* m) {
    return absl::StartsWith(m->full_name(), "google.protobuf.");
  }

  Json ValueSchema(const pb::FieldDescriptor* f) {
    Json s = Json::Object();
    switch (f->type()) {
      case pb::FieldDescriptor::TYPE_DOUBLE:
      case pb::FieldDescriptor::TYPE_FLOAT:
        return s.Set("type", Json::Str("number"));
      case pb::FieldDescriptor::TYPE_INT32:
      case pb::FieldDescriptor::TYPE_SINT32:
      case pb::FieldDescriptor::TYPE_SFIXED32:
        return s.Set("type", Json::Str("integer")).Set("format", Json::Str("int32"));
      case pb::FieldDescriptor::TYPE_UINT32:
      case pb::FieldDescriptor::TYPE_FIXED32:
        return s.Set("type", Json::Str("integer"))
            .Set("format", Json::Str("uint32"))
            .Set("minimum", Json::Int(0));
      // proto3 JSON writes 64-bit integers as strings.
      case pb::FieldDescriptor::TYPE_INT64:
      case pb::FieldDescriptor::TYPE_SINT64:
      case pb::FieldDescriptor::TYPE_SFIXED64:
        return s.Set("type", Json::Str("string")).Set("format", Json::Str("int64"));
      case pb::FieldDescriptor::TYPE_UINT64:
      case pb::FieldDescriptor::TYPE_FIXED64:
        return s.Set("type", Json::Str("string")).Set("format", Json::Str("uint64"));
      case pb::FieldDescriptor::TYPE_BOOL:
        return s.Set("type", Json::Str("boolean"));
      case pb::FieldDescriptor::TYPE_STRING:
        return s.Set("type", Json::Str("string"));
      case pb::FieldDescriptor::TYPE_BYTES:
        return s.Set("type", Json::Str("string")).Set("contentEncoding", Json::Str("base64"));
      case pb::FieldDescriptor::TYPE_ENUM: {
        const pb::EnumDescriptor* e = f->enum_type();
        std::vector<std::string> names;
        for (int i = 0; i < e->value_count(); ++i) {
          names.push_back(e->value(i)->name());
        }
        s.Set("type", Json::Str("string")).Set("enum", Json::Strings(names));
        return s.Set("x-protobuf-enum", Json::Str(e->full_name()));
      }
      case pb::FieldDescriptor::TYPE_MESSAGE:
      case pb::FieldDescriptor::TYPE_GROUP:
        return MessageValue(f->message_type());
    }
    return s;
  }

  Json MessageValue(const pb::Descriptor* m) {
    Json s = Json::Object();
    const std::string& name = m->full_name();
    if (name == "google.protobuf.Timestamp") {
      return s.Set("type", Json::Str("string")).Set("format", Json::Str("date-time"));
    }
    if (name == "google.protobuf.Duration") {
      return s.Set("type", Json::Str("string"))
          .Set("pattern", Json::Str("^-?[0-9]+(\\.[0-9]+)?s$"));
    }
    if (name == "google.protobuf.FieldMask") {
      return s.Set("type", Json::Str("string"))
          .Set("description", Json::Str("comma-separated field paths"));
    }
    if (IsWellKnown(m)) {
      return s.Set("x-protobuf-message", Json::Str(name));
    }
    return RefTo(m);
  }

  std::set<std::string> seen_;
  std::map<std::string, Json> schemas_;
};

struct Topic {
  std::string name;
  int partitions = 1;
  bool compact = false;
};

// deploy/local/topics.txt: "<name> <partitions> [compact]", '#' comments.
absl::StatusOr<std::vector<Topic>> ParseTopics(const std::string& text) {
  std::vector<Topic> topics;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (words.empty()) {
      continue;
    }
    Topic t;
    t.name = words[0];
    if (words.size() > 1 && !absl::SimpleAtoi(words[1], &t.partitions)) {
      return absl::InvalidArgumentError(absl::StrCat("topics: bad partitions in: ", line));
    }
    t.compact = words.size() > 2 && words[2] == "compact";
    topics.push_back(std::move(t));
  }
  return topics;
}

// "salesops.customers-org-directory.dlq.v1" → "customers-org-directory".
std::string Between(absl::string_view s, absl::string_view prefix, absl::string_view suffix) {
  if (!absl::ConsumePrefix(&s, prefix) || !absl::ConsumeSuffix(&s, suffix)) {
    return "";
  }
  return std::string(s);
}

// "org" → "org", "org-headcount" → "orgHeadcount": channel ids.
std::string Camel(absl::string_view s) {
  std::string out;
  bool up = false;
  for (char c : s) {
    if (c == '-' || c == '.') {
      up = true;
      continue;
    }
    out.push_back(up ? absl::ascii_toupper(c) : c);
    up = false;
  }
  return out;
}

constexpr char kBindingVersion[] = "0.5.0";

Json ChannelBindings(const Topic& t) {
  Json kafka = Json::Object();
  kafka.Set("topic", Json::Str(t.name));
  kafka.Set("partitions", Json::Int(t.partitions));
  if (t.compact) {
    kafka.Set("topicConfiguration",
              Json::Object().Set("cleanup.policy", Json::Strings({"compact"})));
  }
  kafka.Set("bindingVersion", Json::Str(kBindingVersion));
  return Json::Object().Set("kafka", std::move(kafka));
}

Json KeyBinding(const std::string& description) {
  return Json::Object().Set("kafka",
                            Json::Object()
                                .Set("key", Json::Object()
                                                .Set("type", Json::Str("string"))
                                                .Set("description", Json::Str(description)))
                                .Set("bindingVersion", Json::Str(kBindingVersion)));
}

// A string header with its meaning.
Json StringHeader(const char* description) {
  return Json::Object().Set("type", Json::Str("string")).Set("description", Json::Str(description));
}

// The CloudEvents binary-mode headers every record carries (common/events/cloud_event.h).
Json CloudEventHeaders() {
  Json props = Json::Object();
  props.Set("ce_specversion", Json::Object()
                                  .Set("type", Json::Str("string"))
                                  .Set("const", Json::Str(kCloudEventsSpecVersion)));
  props.Set("ce_id", StringHeader("unique per event with ce_source; a consumer treats a repeated "
                                  "(ce_source, ce_id) as the same event"));
  props.Set("ce_source", StringHeader("the publishing service, /salesops/<service>"));
  props.Set("ce_type", StringHeader("the payload's full protobuf message name"));
  props.Set("ce_time", Json::Object()
                           .Set("type", Json::Str("string"))
                           .Set("format", Json::Str("date-time"))
                           .Set("description",
                                Json::Str("when it happened, RFC 3339 in UTC with microseconds")));
  props.Set(
      "ce_subject",
      StringHeader(
          "the aggregate's resource name (e.g. opportunities/123); absent when there is none"));
  props.Set("ce_dataschema",
            Json::Object()
                .Set("type", Json::Str("string"))
                .Set("format", Json::Str("uri"))
                .Set("description",
                     Json::Str(absl::StrCat(
                         "the payload's protobuf message as a URI, ", kDataSchemaPrefix,
                         "<ce_type>; resolve the name in the descriptor set salesops.binpb"))));
  props.Set(
      "ce_traceparent",
      StringHeader("W3C trace context of the request that caused the event; absent when none"));
  props.Set("content-type", Json::Object()
                                .Set("type", Json::Str("string"))
                                .Set("const", Json::Str(kProtobufContentType)));
  return Json::Object()
      .Set("type", Json::Str("object"))
      .Set("required", Json::Strings({"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
                                      "ce_dataschema", "content-type"}))
      .Set("properties", std::move(props));
}

// The headers of one message: the CloudEvents headers with its type, source
// and schema fixed.
Json HeadersOf(const std::string& type, const std::string& source) {
  Json fixed = Json::Object();
  fixed.Set("ce_type", Json::Object().Set("const", Json::Str(type)));
  fixed.Set("ce_source", Json::Object().Set("const", Json::Str(source)));
  fixed.Set("ce_dataschema", Json::Object().Set("const", Json::Str(DataSchemaOf(type))));
  return Json::Object().Set("allOf", Json::Array()
                                         .Push(Json::Ref("#/components/schemas/CloudEventHeaders"))
                                         .Push(Json::Object().Set("properties", std::move(fixed))));
}

Json DeadLetterHeaders() {
  Json props = Json::Object();
  props.Set("x-salesops-dlq-reason", StringHeader("why the consumer gave up (the error message)"));
  props.Set("x-salesops-dlq-code",
            StringHeader("the error's canonical code, e.g. INVALID_ARGUMENT"));
  props.Set("x-salesops-dlq-topic", StringHeader("the topic the record was read from"));
  props.Set("x-salesops-dlq-partition", StringHeader("its partition (decimal)"));
  props.Set("x-salesops-dlq-offset", StringHeader("its offset (decimal)"));
  props.Set("x-salesops-dlq-attempts",
            StringHeader("how many times the handler tried it (decimal)"));
  props.Set("x-salesops-dlq-group", StringHeader("the consumer group that gave up"));
  return Json::Object()
      .Set("type", Json::Str("object"))
      .Set("description", Json::Str("The original record's headers (its CloudEvents headers when "
                                    "it had valid ones) plus these."))
      .Set("required",
           Json::Strings({"x-salesops-dlq-reason", "x-salesops-dlq-code", "x-salesops-dlq-topic",
                          "x-salesops-dlq-partition", "x-salesops-dlq-offset",
                          "x-salesops-dlq-attempts", "x-salesops-dlq-group"}))
      .Set("properties", std::move(props));
}

// Top-level messages of an events file that other messages of the file use
// as a field type are parts of events, not events.
bool UsedWithinFile(const pb::Descriptor* m) {
  const pb::FileDescriptor* file = m->file();
  for (int i = 0; i < file->message_type_count(); ++i) {
    const pb::Descriptor* other = file->message_type(i);
    for (int j = 0; j < other->field_count(); ++j) {
      if (other->field(j)->message_type() == m) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

absl::StatusOr<pb::FileDescriptorSet> ReadDescriptorSet(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) {
    return bytes.status();
  }
  pb::FileDescriptorSet set;
  if (!set.ParseFromString(*bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a FileDescriptorSet"));
  }
  return set;
}

absl::StatusOr<std::string> BuildAsyncApi(const pb::FileDescriptorSet& set,
                                          const std::string& topics_txt) {
  pb::DescriptorPool pool;
  std::map<std::string, const pb::FileDescriptorProto*> protos;
  for (const pb::FileDescriptorProto& file : set.file()) {
    if (pool.BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("descriptor set: cannot build ", file.name()));
    }
    protos[file.name()] = &file;
  }
  absl::StatusOr<std::vector<Topic>> topics = ParseTopics(topics_txt);
  if (!topics.ok()) {
    return topics.status();
  }

  SchemaBuilder schemas;
  Json channels = Json::Object();
  Json operations = Json::Object();
  Json messages = Json::Object();
  bool any_dead_letters = false;
  for (const Topic& t : *topics) {
    Json channel = Json::Object();
    channel.Set("address", Json::Str(t.name));
    Json channel_messages = Json::Object();
    std::string id;
    if (std::string owner = Between(t.name, "salesops.", ".events.v1"); !owner.empty()) {
      id = Camel(owner) + "Events";
      const std::string path = absl::StrCat("salesops/", owner, "/v1/", owner, "_events.proto");
      const pb::FileDescriptor* file = pool.FindFileByName(path);
      if (file == nullptr) {
        return absl::NotFoundError(absl::StrCat(t.name, ": no ", path, " in the descriptor set"));
      }
      channel.Set("title", Json::Str(absl::StrCat("Events of the ", owner, " service")));
      channel = WithDescription(std::move(channel), FileComment(file, *protos[path]));
      for (int i = 0; i < file->message_type_count(); ++i) {
        const pb::Descriptor* m = file->message_type(i);
        if (UsedWithinFile(m)) {
          schemas.Add(m);
          continue;
        }
        Json message = Json::Object();
        message.Set("name", Json::Str(m->name()));
        message.Set("title", Json::Str(m->full_name()));
        message = WithDescription(std::move(message), CommentOf(m));
        message.Set("contentType", Json::Str(kProtobufContentType));
        message.Set("headers", HeadersOf(m->full_name(), absl::StrCat("/salesops/", owner)));
        message.Set("payload", schemas.RefTo(m));
        message.Set(
            "bindings",
            KeyBinding(
                "the aggregate's id: all events of one aggregate share a partition, in order"));
        messages.Set(m->full_name(), std::move(message));
        channel_messages.Set(m->name(),
                             Json::Ref(absl::StrCat("#/components/messages/", m->full_name())));
      }
    } else if (t.name == "salesops.share.customers.v1") {
      id = "customerShares";
      const pb::Descriptor* m = pool.FindMessageTypeByName("salesops.sync.v1.SharedCustomerRecord");
      if (m == nullptr) {
        return absl::NotFoundError(
            "salesops.sync.v1.SharedCustomerRecord is not in the descriptor set");
      }
      channel.Set("title", Json::Str("Customers shared with other departments"));
      channel.Set("description",
                  Json::Str("Compacted: the latest record of every shared customer, key = customer "
                            "id. A record with a null value (tombstone) means the customer's last "
                            "share ended: delete what you hold. See services/sync/README.md."));
      Json message = Json::Object();
      message.Set("name", Json::Str(m->name()));
      message.Set("title", Json::Str(m->full_name()));
      message = WithDescription(std::move(message), CommentOf(m));
      message.Set("contentType", Json::Str(kProtobufContentType));
      message.Set("headers", HeadersOf(m->full_name(), "/salesops/sync"));
      message.Set("payload", schemas.RefTo(m));
      message.Set("bindings", KeyBinding("the customer id"));
      messages.Set(m->full_name(), std::move(message));
      channel_messages.Set(m->name(),
                           Json::Ref(absl::StrCat("#/components/messages/", m->full_name())));
    } else if (std::string group = Between(t.name, "salesops.", ".dlq.v1"); !group.empty()) {
      id = Camel(group) + "DeadLetters";
      any_dead_letters = true;
      channel.Set("title", Json::Str(absl::StrCat("Dead letters of the ", group, " consumer")));
      channel.Set(
          "description",
          Json::Str(
              "Records the consumer could not apply (a poison message, or an error that outlasted "
              "its retries), copied unchanged for an operator to inspect and replay."));
      channel_messages.Set("DeadLetter", Json::Ref("#/components/messages/DeadLetter"));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("topic ", t.name,
                       " (deploy/local/topics.txt) has no place in the AsyncAPI document; add it "
                       "to tools/asyncapi"));
    }
    channel.Set("messages", channel_messages);
    channel.Set("bindings", ChannelBindings(t));
    Json op = Json::Object();
    op.Set("action", Json::Str("send"));
    op.Set("channel", Json::Ref(absl::StrCat("#/channels/", id)));
    operations.Set(
        absl::StrCat("publish", std::string(1, absl::ascii_toupper(id[0])), id.substr(1)),
        std::move(op));
    channels.Set(id, std::move(channel));
  }
  if (any_dead_letters) {
    Json dlq = Json::Object();
    dlq.Set("name", Json::Str("DeadLetter"));
    dlq.Set("title", Json::Str("A record a consumer gave up on"));
    dlq.Set("contentType", Json::Str("application/octet-stream"));
    dlq.Set("headers", Json::Ref("#/components/schemas/DeadLetterHeaders"));
    dlq.Set("payload",
            Json::Object().Set("description",
                               Json::Str("The original record's value, byte for byte (usually the "
                                         "protobuf message named by its ce_type).")));
    dlq.Set("bindings", KeyBinding("the original record's key"));
    messages.Set("DeadLetter", std::move(dlq));
  }

  Json component_schemas = schemas.Schemas();
  component_schemas.Set("CloudEventHeaders", CloudEventHeaders());
  if (any_dead_letters) {
    component_schemas.Set("DeadLetterHeaders", DeadLetterHeaders());
  }

  Json doc = Json::Object();
  doc.Set("asyncapi", Json::Str("3.0.0"));
  doc.Set("info",
          Json::Object()
              .Set("title", Json::Str("SalesOps domain events"))
              .Set("version", Json::Str("1.0.0"))
              .Set("description",
                   Json::Str(
                       "The Kafka topics SalesOps publishes for other company systems. Every "
                       "record is a CloudEvents 1.0 event in the Kafka binary binding: attributes "
                       "in ce_* headers, the payload a binary protobuf message named by ce_type "
                       "and ce_dataschema. The payload schemas below are the proto3 JSON mapping "
                       "of those messages, for reading; decode the bytes with the protobuf "
                       "descriptor set (salesops.binpb, written by every build and shipped in each "
                       "image). Generated from protos/ and deploy/local/topics.txt by "
                       "tools/asyncapi; `make test` fails when this file is stale.")));
  doc.Set("defaultContentType", Json::Str(kProtobufContentType));
  doc.Set("servers",
          Json::Object().Set(
              "local", Json::Object()
                           .Set("host", Json::Str("127.0.0.1:9092"))
                           .Set("protocol", Json::Str("kafka"))
                           .Set("description",
                                Json::Str("The broker `make run` starts (SALESOPS_KAFKA_PORT); in "
                                          "production, your cluster's bootstrap servers."))));
  doc.Set("channels", std::move(channels));
  doc.Set("operations", std::move(operations));
  doc.Set("components", Json::Object()
                            .Set("messages", std::move(messages))
                            .Set("schemas", std::move(component_schemas)));
  return doc.Dump() + "\n";
}

}  // namespace salesops::asyncapi
