// Fuzzes what arrives from outside as raw bytes besides requests: bearer tokens
// (JWT verification) and Kafka records (CloudEvents decoding, then the payload
// decoded as the event type it names, for every org, customers and targets
// event, the way consumers' DecodePayload does), plus page tokens. None may
// crash; a token built from fuzz bytes must never verify; a payload decodes
// only as the type its ce_type names.
#include <fuzzer/FuzzedDataProvider.h>

#include <memory>
#include <string>
#include <vector>

#include "common/auth/jwt.h"
#include "common/events/cloud_event.h"
#include "common/validation/validation.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"

namespace {

// Every event message of the services whose events are consumed elsewhere.
const std::vector<const google::protobuf::Descriptor*>& EventTypes() {
  static const auto* types = [] {
    auto* out = new std::vector<const google::protobuf::Descriptor*>;
    for (const google::protobuf::FileDescriptor* f :
         {salesops::org::v1::MemberMoved::descriptor()->file(),
          salesops::customers::v1::CustomerCreated::descriptor()->file(),
          salesops::targets::v1::AttainmentUpdated::descriptor()->file()}) {
      for (int i = 0; i < f->message_type_count(); ++i) {
        out->push_back(f->message_type(i));
      }
    }
    return out;
  }();
  return *types;
}

// DecodePayload<M> for the M that `type` names.
void DecodeAs(const salesops::CloudEvent& e, const google::protobuf::Descriptor* type) {
  if (!salesops::CheckPayloadType(e, type->full_name()).ok()) {
    if (e.type == type->full_name()) {
      __builtin_trap();
    }
    return;
  }
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  (void)m->ParseFromString(e.data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesops;
  FuzzedDataProvider in(data, size);
  static SystemClock clock;
  static JwtVerifier verifier({.hs256_secret = "fuzz-secret-0123456789abcdefghijklmn"}, clock);
  const int what = in.ConsumeIntegralInRange(0, 2);
  if (what == 0) {
    const std::string token = in.ConsumeRemainingBytesAsString();
    if (verifier.Verify(token).ok()) {
      __builtin_trap();  // nobody knows the secret
    }
  } else if (what == 1) {
    KafkaHeaders headers;
    const int n = in.ConsumeIntegralInRange(0, 10);
    for (int i = 0; i < n; ++i) {
      std::string k =
          in.PickValueInArray({"ce_id", "ce_source", "ce_type", "ce_time", "ce_specversion",
                               "content-type", "ce_subject", "ce_traceparent", "x"});
      if (k == "ce_type" && in.ConsumeBool()) {
        const auto& types = EventTypes();
        headers.emplace_back(
            k, types[in.ConsumeIntegralInRange<size_t>(0, types.size() - 1)]->full_name());
      } else {
        headers.emplace_back(k, in.ConsumeRandomLengthString(64));
      }
    }
    std::string key = in.ConsumeRandomLengthString(32);
    const auto& types = EventTypes();
    const auto* as = types[in.ConsumeIntegralInRange<size_t>(0, types.size() - 1)];
    auto e = FromKafkaRecord(key, in.ConsumeRemainingBytesAsString(), headers);
    if (e.ok()) {
      (void)DecodePayload<salesops::org::v1::MemberMoved>(*e);
      DecodeAs(*e, as);
      const google::protobuf::Descriptor* named =
          google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(e->type);
      if (named != nullptr) {
        DecodeAs(*e, named);
      }
    }
  } else {
    Violations v;
    std::string filter = in.ConsumeRandomLengthString(16);
    (void)DecodePageToken(v, "page_token", in.ConsumeRemainingBytesAsString(), filter);
  }
  return 0;
}
