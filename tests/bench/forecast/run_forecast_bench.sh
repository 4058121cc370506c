#!/usr/bin/env bash
# `make bench-forecast`: the pipeline-weighted forecast back-tested on the demo
# history (forecast_backtest_bench, bench-results/forecast_backtest.json), then
# accuracy and speed of salesops-forecast against
# statsforecast's AutoETS and AutoTheta on 1,000 synthetic monthly series
# (forecast_bench.py says how). Installs the pinned Python packages into
# .cache/forecast-venv once (again when requirements.txt changes), writes
# bench-results/forecast.json, prints PASS/FAIL per bar; exit 1 on a FAIL.
#
#   BUILD_DIR=build bash tests/bench/forecast/run_forecast_bench.sh [--series N] [--repeats R]
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
cli=${FORECAST_CLI:-$build_dir/tools/forecast/salesops-forecast}
venv="$root/.cache/forecast-venv"
requirements="$root/tests/bench/forecast/requirements.txt"
stamp="$venv/.requirements.sha256"

if [ ! -x "$cli" ]; then
  echo "run_forecast_bench: $cli not found; build the salesops-forecast target first" >&2
  exit 2
fi

# First the pipeline-weighted forecast back-tested on the demo history (each
# past quarter from its week-4 snapshot; C++ only): bench-results/forecast_backtest.json.
backtest="$build_dir/tests/bench/forecast/forecast_backtest_bench"
cmake --build "$build_dir" --target forecast_backtest_bench >/dev/null
"$backtest" --out="$root/bench-results/forecast_backtest.json"
echo
if [ ! -x "$venv/bin/python" ] || ! sha256sum --status -c "$stamp" 2>/dev/null; then
  echo "run_forecast_bench: installing pinned statsforecast into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  sha256sum "$requirements" >"$stamp"
fi

# Everyone single-threaded: no BLAS/OpenMP/numba thread pools.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1
exec "$venv/bin/python" "$root/tests/bench/forecast/forecast_bench.py" \
  --cli "$cli" --work "$root/.cache/forecast-bench" --out "$root/bench-results/forecast.json" "$@"
