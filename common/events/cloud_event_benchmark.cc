// Cost of the CloudEvents envelope and the outbox entry encoding per event.
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/events/cloud_event.h"
#include "common/outbox/write_batch.h"
#include "salesops/common/v1/common.pb.h"

namespace salesops {
namespace {

CloudEvent Sample() {
  salesops::common::v1::Actor a;
  a.set_member_id("members/demo-rep-east-1-1");
  a.set_role("rep");
  a.set_org_unit_id("team-east-1");
  return MakeCloudEvent("/salesops/org", "demo-rep-east-1-1", "members/demo-rep-east-1-1", a,
                        absl::Now(), "0123456789abcdef0123456789abcdef");
}

void BM_ToKafkaHeaders(benchmark::State& state) {
  CloudEvent e = Sample();
  for (auto _ : state) {
    benchmark::DoNotOptimize(ToKafkaHeaders(e));
  }
}
BENCHMARK(BM_ToKafkaHeaders);

void BM_FromKafkaRecord(benchmark::State& state) {
  CloudEvent e = Sample();
  KafkaHeaders h = ToKafkaHeaders(e);
  for (auto _ : state) {
    benchmark::DoNotOptimize(FromKafkaRecord(e.key, e.data, h));
  }
}
BENCHMARK(BM_FromKafkaRecord);

void BM_OutboxFieldsRoundTrip(benchmark::State& state) {
  CloudEvent e = Sample();
  for (auto _ : state) {
    std::vector<std::string> f = ToOutboxFields(e, "salesops.org.events.v1");
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      pairs.emplace_back(f[i], f[i + 1]);
    }
    benchmark::DoNotOptimize(FromOutboxFields(pairs));
  }
}
BENCHMARK(BM_OutboxFieldsRoundTrip);

}  // namespace
}  // namespace salesops
