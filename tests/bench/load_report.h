// The one JSON line every load client of `make bench` prints, so run_bench.sh
// reads grpc_load, customers_load and http_load alike:
//   {"target":…,"concurrency":…,"seconds":…,"calls":…,"qps":…,"p50_us":…,
//    "p99_us":…,"errors":…,"first_error":"…"<extra>}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace salesops::bench {

// Sorts `latencies_us` (one entry per call measured) and prints the line;
// `extra` is appended inside the object as is (",\"key\":value,…").
void PrintLoadLine(const std::string& target, int concurrency, double seconds,
                   std::vector<int64_t>& latencies_us, int64_t errors,
                   const std::string& first_error, const std::string& extra = "");

}  // namespace salesops::bench
