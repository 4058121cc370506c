# SalesOps: the two commands are `make run` and `make test` (see README.md).
# Both run `setup` first, which installs what is missing (as root on Debian
# bookworm) and fetches the Kafka broker; on a prepared machine it is a no-op.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup setup-test build web test test-unit run bench bench-forecast chaos fuzz format format-check test-alone clean asyncapi asyncapi-lint k8s-check image-check images

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
test: setup-test format-check build web
	@BUILD_DIR=$(BUILD_DIR) bash tests/run_tests.sh

# Unit tests only: no servers (in a random order, as make test runs them).
test-unit: build
	@GTEST_SHUFFLE=1 ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure -j $(JOBS)

# Every unit test case in a process of its own: a test that passes only after
# another one ran shows up here.
test-alone: build
	@BUILD_DIR=$(BUILD_DIR) bash tests/each_alone.sh

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

# C++ style: the root .clang-format (Google, 100 columns, braces on every body).
# `make format` rewrites the files; `make format-check` (part of `make test`)
# fails on any file clang-format would change, naming the file and line.
CLANG_FORMAT ?= clang-format-16
format: setup-test
	@git ls-files '*.cc' '*.h' | xargs $(CLANG_FORMAT) -i

format-check: setup-test
	@git ls-files '*.cc' '*.h' | xargs $(CLANG_FORMAT) --dry-run --Werror
	@echo "format-check: $$(git ls-files '*.cc' '*.h' | wc -l) C++ files formatted"

# Rewrites docs/events/asyncapi.json from the protos and deploy/local/topics.txt
# (asyncapi_doc_test in `make test` fails while it is stale).
asyncapi: build
	@$(BUILD_DIR)/tools/asyncapi/salesops-asyncapi $(BUILD_DIR)/salesops.binpb deploy/local/topics.txt > docs/events/asyncapi.json.tmp
	@mv docs/events/asyncapi.json.tmp docs/events/asyncapi.json
	@echo "asyncapi: docs/events/asyncapi.json ($$(wc -c < docs/events/asyncapi.json) bytes)"

# Developer check, needs the npm registry: the official AsyncAPI parser on the document.
ASYNCAPI_PARSER_VERSION = 3.6.6
asyncapi-lint:
	@mkdir -p .cache/asyncapi-lint
	@cd .cache/asyncapi-lint && [ -d node_modules/@asyncapi/parser ] || \
	  npm install --no-audit --no-fund --silent @asyncapi/parser@$(ASYNCAPI_PARSER_VERSION)
	@cp tools/asyncapi/lint.mjs .cache/asyncapi-lint/lint.mjs
	@node .cache/asyncapi-lint/lint.mjs docs/events/asyncapi.json

# Developer check, needs Go >= 1.26 and the Go module proxy (not on a fresh bookworm, so
# not part of `make test`): the Helm chart deploy/helm/salesops linted as `helm lint
# --strict` and rendered as `helm template` (Helm v4 SDK) for its defaults and each
# ci/*.yaml value set, every object decoded strictly into the k8s.io/api v0.37.2 types
# (and typed ServiceMonitor / Strimzi / cert-manager structs), then reviewed (probes,
# resources, security context, PDB/HPA/NetworkPolicy per Deployment, selectors, Secrets,
# who may call whom), and every flag the pods are given (args, SALESOPS_* twins, probe
# commands) asked of the built binaries' --helpfull; then the checker's own tests.
k8s-check: build
	@cd tools/k8scheck && go run . --chart ../../deploy/helm/salesops --topics ../../deploy/local/topics.txt \
	  --bin-dir $(abspath $(BUILD_DIR))
	@cd tools/k8scheck && go test ./...

# Developer check, needs root and the Debian mirror, no Docker (so not part of `make test`):
# the runtime stage's apt package list in deploy/docker/Dockerfile installed into a fresh
# minimal bookworm root (the cached debootstrap tarball of fresh-debian-check), then every
# per-service stage's binary and the probe copied in from the build, checked with ldd for
# a missing shared library and run with --helpfull as the images' user 10001. It does not
# build the images.
image-check: build
	@bash deploy/docker/check-runtime.sh $(abspath $(BUILD_DIR))

# Developer/release step, needs root and the Debian and npm mirrors (so not part of
# `make test`): builds deploy/docker/Dockerfile's image of every service
# (salesops-<service>:$(IMAGE_TAG)) with docker, or without a Docker engine with
# buildah (chroot isolation, base images from a debootstrap root when no registry is
# reachable), and checks each image's user, entrypoint and flags.
IMAGE_TAG ?= dev
images:
	@bash deploy/docker/build-images.sh $(IMAGE_TAG)

clean:
	rm -rf $(BUILD_DIR) build-fuzz
