// Clears the fields of a client-sent resource that only the server sets
// (annotated [(salesops.common.v1.field_behavior) = OUTPUT_ONLY] in protos/),
// in nested messages too, so a handler never keeps a value the caller had no
// right to choose. Handlers call it on the resource of every create request.
//
//   v1::Customer c = req.customer();
//   ClearOutputOnly(&c);   // name, tier, team, state, timestamps … gone
//
// OutputOnlyFieldPaths lists the annotated paths of a message type
// ("score", "contacts.x" …) for tests that fill them with junk.
#pragma once

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace salesops {

bool IsOutputOnly(const google::protobuf::FieldDescriptor& field);
void ClearOutputOnly(google::protobuf::Message* message);
// Dotted paths of the OUTPUT_ONLY fields of `type`, nested ones included
// (at most `max_depth` levels, for recursive types).
std::vector<std::string> OutputOnlyFieldPaths(const google::protobuf::Descriptor& type,
                                              int max_depth = 4);

}  // namespace salesops
