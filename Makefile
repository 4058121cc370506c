# SalesOps: the two commands are `make run` and `make test` (see README.md).
# Both run `setup` first, which installs what is missing (as root on Debian
# bookworm) and fetches the Kafka broker; on a prepared machine it is a no-op.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup setup-test build web test test-unit run bench bench-forecast chaos fuzz format clean

all: build

setup:
	@bash deploy/local/setup.sh

# `make test` also needs Debian's chromium for the dashboard's browser tests.
setup-test:
	@SALESOPS_SETUP_BROWSER=1 bash deploy/local/setup.sh

build: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The phone dashboard (web/ → web/dist, served by the gateway): npm ci from the
# lock file, clients generated from protos/, type check, Vite build.
web: setup
	@bash deploy/local/web.sh

# Builds, starts Redis and Kafka on free loopback ports, runs every test
# (unit + integration), stops the servers by pid. Non-zero on any failure.
test: setup-test build web
	@BUILD_DIR=$(BUILD_DIR) bash tests/run_tests.sh

# Unit tests only: no servers.
test-unit: build
	@ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure -j $(JOBS)

# Starts Redis (6380), Kafka (9092/9093) and the services in the foreground,
# loads demo data, and stops everything on Ctrl-C.
run: build web
	@BUILD_DIR=$(BUILD_DIR) bash deploy/local/run.sh

# Throughput/latency as ratios against baselines measured in the same run.
bench: build
	@cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	@BUILD_DIR=$(BUILD_DIR) bash tests/bench/run_bench.sh

# Forecast engine vs statsforecast AutoETS/AutoTheta on 1,000 synthetic monthly
# series: sMAPE, MASE, ms/series and PASS/FAIL bars (bench-results/forecast.json).
bench-forecast: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) --target salesops-forecast forecast_backtest_bench -j $(JOBS)
	@BUILD_DIR=$(BUILD_DIR) bash tests/bench/forecast/run_forecast_bench.sh

# kill -9 of Kafka, Redis, the service and a consumer under load: no loss, no double-apply.
chaos: build
	@BUILD_DIR=$(BUILD_DIR) bash tests/run_tests.sh chaos

# libFuzzer (clang, ASan+UBSan) on request decoding/validation, tokens, events: 5 min each.
fuzz: setup
	@bash tests/fuzz/run_fuzz.sh $${FUZZ_SECONDS:-300}

# Developer-only: format C++ with the root .clang-format (installs clang-format-14).
format:
	@command -v clang-format-14 >/dev/null || apt-get install -y -qq clang-format-14 >/dev/null
	@git ls-files '*.cc' '*.h' | xargs clang-format-14 -i

clean:
	rm -rf $(BUILD_DIR) build-fuzz
