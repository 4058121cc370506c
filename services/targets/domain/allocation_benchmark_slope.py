#!/usr/bin/env python3
"""Growth exponent of a Google Benchmark family: least-squares slope of
log(time) against log(n) over the iteration rows (1.0 = linear).

  build-targets/services/targets/allocation_benchmark --benchmark_min_time=0.2 \
      --benchmark_filter='BM_AllocatePlan/' --benchmark_format=json \
    | python3 services/targets/domain/allocation_benchmark_slope.py
"""
import collections
import json
import math
import sys

# Uses the median rows when run with --benchmark_repetitions, else every run.
benchmarks = json.load(sys.stdin)["benchmarks"]
medians = [b for b in benchmarks if b.get("aggregate_name") == "median"]
rows = collections.defaultdict(list)
for b in medians or [b for b in benchmarks if b.get("run_type") == "iteration"]:
    if "/" in b["run_name"]:
        family, n = b["run_name"].split("/")[0], int(b["run_name"].split("/")[1])
        rows[family].append((math.log(n), math.log(b["real_time"])))
for family, pts in rows.items():
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    ends = (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])
    print(f"{family}: slope {slope:.3f} (least squares over {len(pts)} sizes), "
          f"{ends:.3f} (smallest to largest)")
