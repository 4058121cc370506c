#include "common/validation/output_only.h"

#include "salesops/common/v1/field_behavior.pb.h"

namespace salesops {

namespace pb = google::protobuf;

bool IsOutputOnly(const pb::FieldDescriptor& field) {
  const pb::FieldOptions& o = field.options();
  const int n = o.ExtensionSize(salesops::common::v1::field_behavior);
  for (int i = 0; i < n; ++i) {
    if (o.GetExtension(salesops::common::v1::field_behavior, i) ==
        salesops::common::v1::OUTPUT_ONLY) {
      return true;
    }
  }
  return false;
}

void ClearOutputOnly(pb::Message* m) {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (IsOutputOnly(*f)) {
      r->ClearField(m, f);
      continue;
    }
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) {
      continue;
    }
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j) {
        ClearOutputOnly(r->MutableRepeatedMessage(m, f, j));
      }
    } else if (r->HasField(*m, f)) {
      ClearOutputOnly(r->MutableMessage(m, f));
    }
  }
}

namespace {
void Collect(const pb::Descriptor& d, const std::string& prefix, int depth,
             std::vector<std::string>* out) {
  if (depth <= 0) {
    return;
  }
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor* f = d.field(i);
    const std::string path = prefix.empty() ? f->name() : prefix + "." + f->name();
    if (IsOutputOnly(*f)) {
      out->push_back(path);
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map()) {
      Collect(*f->message_type(), path, depth - 1, out);
    }
  }
}
}  // namespace

std::vector<std::string> OutputOnlyFieldPaths(const pb::Descriptor& type, int max_depth) {
  std::vector<std::string> out;
  Collect(type, "", max_depth, &out);
  return out;
}

}  // namespace salesops
