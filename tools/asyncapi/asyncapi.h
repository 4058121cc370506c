// The AsyncAPI 3.0 document of SalesOps' Kafka topics, generated from the
// protobuf descriptor set the build writes from protos/ (salesops.binpb, with
// the protos' comments): one channel per service topic
// (salesops.<service>.events.v1) with every top-level message of
// salesops/<service>/v1/<service>_events.proto as a message, the compacted
// customer share topic, and the dead-letter topics. Each message names its
// CloudEvents headers (ce_type, ce_source, ce_dataschema fixed per message)
// and its payload: the protobuf message, described as a JSON Schema of its
// proto3 JSON mapping (the wire format is binary protobuf; decode it with the
// descriptor set).
//
// docs/events/asyncapi.json is this function's output; asyncapi_doc_test
// fails when it differs from what the protos give (`make asyncapi` rewrites it).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.pb.h"

namespace salesops::asyncapi {

// The document as JSON (2-space indent, trailing newline), deterministic.
// `topics_txt`: deploy/local/topics.txt, the topics a deployment creates; a
// topic the generator cannot place is an error, so none goes undocumented.
absl::StatusOr<std::string> BuildAsyncApi(const google::protobuf::FileDescriptorSet& set,
                                          const std::string& topics_txt);

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Reads a FileDescriptorSet file (protoc --descriptor_set_out).
absl::StatusOr<google::protobuf::FileDescriptorSet> ReadDescriptorSet(const std::string& path);

}  // namespace salesops::asyncapi
