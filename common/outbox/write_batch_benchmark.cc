// What a projection's wave costs the client to hand to Redis: one script per
// event (ProjectionStore::Stream) against the chunk combined into one
// (CombinedStream: WriteBatch::Combine, then the same encoding). The batches
// have the warning engine's shape for a raise: a seen marker, the deal's
// subject and its rep's period subject (a version chain across the chunk), the
// warning document, fifteen index entries and one event.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/events/cloud_event.h"
#include "common/outbox/write_batch.h"
#include "common/redis/redis_client.h"

namespace salesops {
namespace {

std::vector<WriteBatch> WarningWave(int events) {
  std::vector<WriteBatch> wave(events);
  const std::string p = "w:{warning}:";
  for (int i = 0; i < events; ++i) {
    WriteBatch& b = wave[i];
    const std::string id = absl::StrCat("wrn-", 100000 + i);
    const std::string seen = absl::StrCat(p, "seen:evt-", 100000 + i);
    b.ExpectAbsent(seen, "seen");
    const std::string subject = absl::StrCat(p, "doc:subject:deals/opp-", 100000 + i);
    b.ExpectHashField(subject, "v", "3", "version:subject");
    b.HSet(subject, {{"v", "4"}, {"pb", std::string(220, 's')}});
    const std::string period = p + "doc:subject:reps/demo-rep-east-1-1/2026-Q4";
    b.ExpectHashField(period, "v", absl::StrCat(10 + i), "version:period");
    b.HSet(period, {{"v", absl::StrCat(11 + i)}, {"pb", std::string(180, 'p')}});
    const std::string doc = absl::StrCat(p, "doc:warning:", id);
    b.ExpectAbsent(doc, "exists:warning");
    b.HSet(doc, {{"v", "1"}, {"pb", std::string(640, 'w')}});
    for (const char* dim :
         {"all", "unit:team-east-1", "unit:dept-east", "unit:div-sales",
          "supervisor:demo-sup-east-1", "rep:demo-rep-east-1-1", "subject:deals/opp-1"}) {
      b.ZAdd(absl::StrCat(p, "idx:w:", dim), 0, id);
      b.ZAdd(absl::StrCat(p, "idx:w:", dim, ":active"), 0, id);
    }
    b.ZAdd(p + "due", 1764633600, id);
    b.Set(seen, "1", 7 * 24 * 3600);
    CloudEvent e;
    e.id = absl::StrCat("0123456789abcdef-", i);
    e.source = "/salesops/warning";
    e.type = "salesops.warning.v1.WarningRaised";
    e.subject = absl::StrCat("warnings/", id);
    e.key = id;
    e.time = absl::FromUnixMicros(1764633600000000 + i);
    e.trace_id = "0123456789abcdef0123456789abcdef";
    e.data = std::string(700, 'd');
    b.Emit(e, "salesops.warning.events.v1");
  }
  return wave;
}

// The engine's chunk: 256 writes, ~12 events.
constexpr int kChunkEvents = 12;

void BM_OneScriptPerEvent(benchmark::State& state) {
  RedisClient redis(RedisOptions{});  // never connects: only the encoding is measured
  TransactionalOutbox outbox(redis, "w:{warning}:outbox");
  const std::vector<WriteBatch> wave = WarningWave(kChunkEvents);
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    for (const WriteBatch& b : wave) {
      outbox.AppendCommitCommand(b, &bytes);
    }
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetItemsProcessed(state.iterations() * kChunkEvents);
}
BENCHMARK(BM_OneScriptPerEvent);

void BM_CombinedScript(benchmark::State& state) {
  RedisClient redis(RedisOptions{});
  TransactionalOutbox outbox(redis, "w:{warning}:outbox");
  const std::vector<WriteBatch> wave = WarningWave(kChunkEvents);
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    std::optional<WriteBatch> combined = WriteBatch::Combine(wave);
    if (!combined.has_value()) {
      state.SkipWithError("the wave did not combine");
      break;
    }
    outbox.AppendCommitCommand(*combined, &bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetItemsProcessed(state.iterations() * kChunkEvents);
}
BENCHMARK(BM_CombinedScript);

}  // namespace
}  // namespace salesops
