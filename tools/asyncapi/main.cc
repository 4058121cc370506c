// salesops-asyncapi DESCRIPTOR_SET TOPICS_TXT: prints the AsyncAPI document of
// SalesOps' topics (tools/asyncapi/asyncapi.h). `make asyncapi` writes it to
// docs/events/asyncapi.json.
#include <iostream>

#include "tools/asyncapi/asyncapi.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: salesops-asyncapi DESCRIPTOR_SET TOPICS_TXT > asyncapi.json\n";
    return 2;
  }
  absl::StatusOr<google::protobuf::FileDescriptorSet> set =
      salesops::asyncapi::ReadDescriptorSet(argv[1]);
  absl::StatusOr<std::string> topics = salesops::asyncapi::ReadFile(argv[2]);
  if (!set.ok() || !topics.ok()) {
    std::cerr << "salesops-asyncapi: " << (set.ok() ? topics.status() : set.status()) << "\n";
    return 1;
  }
  absl::StatusOr<std::string> doc = salesops::asyncapi::BuildAsyncApi(*set, *topics);
  if (!doc.ok()) {
    std::cerr << "salesops-asyncapi: " << doc.status() << "\n";
    return 1;
  }
  std::cout << *doc;
  return 0;
}
