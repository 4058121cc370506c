// Fuzzes what arrives from outside as raw bytes besides requests: bearer tokens
// (JWT verification) and Kafka records (CloudEvents decoding), plus page
// tokens. None may crash; a token built from fuzz bytes must never verify.
#include <fuzzer/FuzzedDataProvider.h>

#include "common/auth/jwt.h"
#include "common/events/cloud_event.h"
#include "common/validation/validation.h"
#include "salesops/org/v1/org_events.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesops;
  FuzzedDataProvider in(data, size);
  static SystemClock clock;
  static JwtVerifier verifier({.hs256_secret = "fuzz-secret-0123456789abcdefghijklmn"}, clock);
  const int what = in.ConsumeIntegralInRange(0, 2);
  if (what == 0) {
    const std::string token = in.ConsumeRemainingBytesAsString();
    if (verifier.Verify(token).ok()) __builtin_trap();  // nobody knows the secret
  } else if (what == 1) {
    KafkaHeaders headers;
    const int n = in.ConsumeIntegralInRange(0, 10);
    for (int i = 0; i < n; ++i) {
      std::string k =
          in.PickValueInArray({"ce_id", "ce_source", "ce_type", "ce_time", "ce_specversion",
                               "content-type", "ce_subject", "ce_traceparent", "x"});
      headers.emplace_back(k, in.ConsumeRandomLengthString(64));
    }
    std::string key = in.ConsumeRandomLengthString(32);
    auto e = FromKafkaRecord(key, in.ConsumeRemainingBytesAsString(), headers);
    if (e.ok()) (void)DecodePayload<salesops::org::v1::MemberMoved>(*e);
  } else {
    Violations v;
    std::string filter = in.ConsumeRandomLengthString(16);
    (void)DecodePageToken(v, "page_token", in.ConsumeRemainingBytesAsString(), filter);
  }
  return 0;
}
