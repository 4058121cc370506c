#include "services/gateway/connect/method_registry.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace salesops::gateway {

const std::vector<std::string>& KnownFamilies() {
  static const auto* families = new std::vector<std::string>{
      "org", "targets", "customers", "performance", "forecast", "warning", "sync"};
  return *families;
}

MethodRegistry MethodRegistry::FromGeneratedPool(const std::vector<std::string>& families) {
  MethodRegistry r;
  if (LinkedServiceFiles() == 0) {
    return r;
  }
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  for (const std::string& family : families) {
    const google::protobuf::FileDescriptor* file =
        pool->FindFileByName(absl::StrCat("salesops/", family, "/v1/", family, "_service.proto"));
    if (file == nullptr) {
      continue;  // not linked into this binary
    }
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const google::protobuf::MethodDescriptor* method = service->method(m);
        MethodInfo info;
        info.path = absl::StrCat("/", service->full_name(), "/", method->name());
        info.family = family;
        info.service = service->full_name();
        info.method = method->name();
        info.input = method->input_type();
        info.output = method->output_type();
        info.input_prototype = factory->GetPrototype(info.input);
        info.output_prototype = factory->GetPrototype(info.output);
        info.streaming = method->client_streaming() || method->server_streaming();
        r.methods_.emplace(info.path, std::move(info));
      }
    }
  }
  return r;
}

const MethodInfo* MethodRegistry::Find(absl::string_view path) const {
  auto it = methods_.find(path);
  return it == methods_.end() ? nullptr : &it->second;
}

std::vector<const MethodInfo*> MethodRegistry::All() const {
  std::vector<const MethodInfo*> out;
  out.reserve(methods_.size());
  for (const auto& [path, info] : methods_) {
    out.push_back(&info);
  }
  return out;
}

std::vector<std::string> MethodRegistry::Families() const {
  std::set<std::string> families;
  for (const auto& [path, info] : methods_) {
    families.insert(info.family);
  }
  return {families.begin(), families.end()};
}

}  // namespace salesops::gateway
