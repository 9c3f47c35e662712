# otelcol-tasker: build, run, test, bench, lint, generate.
# Needs only Go and the module proxy: tools are built from internal/tools into ./bin.

SHELL        := /bin/bash
GO           ?= go
export GOFLAGS := -buildvcs=false
BIN          := $(CURDIR)/bin
BUILD_DIR    := $(CURDIR)/_build
DIST         := $(BUILD_DIR)/otelcol-tasker
BUILDER      := $(BIN)/builder
MDATAGEN     := $(BIN)/mdatagen
TELEMETRYGEN := $(BIN)/telemetrygen
TASKERGEN    := $(BIN)/taskergen
TOOLS_MOD    := internal/tools/go.mod
CONFIG       ?= otelcol-config.yaml
# Packages of the distribution module (the bench module and the tools module are separate).
PKGS         := ./...
COMPONENTS   := connector/taskerconnector exporter/jsonexporter exporter/csvexporter processor/cacheprocessor extension/registryext receiver/taskerreceiver
SOURCES      := $(shell find . -name '*.go' -not -path './_build/*' -not -path './bin/*' -not -path './bench/*') go.mod go.sum builder-config.yaml
TEST_TIMEOUT ?= 15m
FUZZ_TIME    ?= 15s
# make bench's defaults keep it within 5 minutes on 2 cores (docs/BENCHMARKS.md); BENCH
# selects benchmarks (-bench), PROFILE=1 saves a CPU profile per package in bench-profiles/.
BENCH_TIME   ?= 1s
BENCH_COUNT  ?= 3
BENCH        ?= .
PROFILE      ?=

.PHONY: all build run test unit e2e soak fuzz bench lint generate tools taskergen clean image

all: build

$(BIN)/%: $(TOOLS_MOD) internal/tools/go.sum
	@mkdir -p $(BIN)
	cd internal/tools && $(GO) build -o $@ $(shell grep -h "/$*\"" internal/tools/tools.go | tr -d '\t_ "')

tools: $(BUILDER) $(MDATAGEN) $(TELEMETRYGEN) taskergen

# The workload generator (cmd/taskergen), for demos and the end-to-end tests.
taskergen:
	@mkdir -p $(BIN)
	$(GO) build -o $(TASKERGEN) ./cmd/taskergen

# The distribution: ocb generates _build/ (main.go, components.go, go.mod) and compiles it.
# -e lets ocb's `go mod tidy` pass over test-only dependencies the proxy does not serve.
$(DIST): $(BUILDER) $(SOURCES)
	GOFLAGS="-buildvcs=false -e" $(BUILDER) --config builder-config.yaml
	@touch $(DIST)

build: $(DIST)

# The container image (Dockerfile: static binary on distroless), for those who have a
# container builder; nothing here needs one. CONTAINER=docker|podman, IMAGE=name:tag.
VERSION      := $(shell sed -n 's/^  version: *//p' builder-config.yaml)
IMAGE        ?= otelcol-tasker:$(VERSION)
CONTAINER    ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
image:
	@[ -n "$(CONTAINER)" ] || { echo "make image needs a container builder: install docker or podman, or set CONTAINER=" >&2; exit 1; }
	$(CONTAINER) build --build-arg GO_VERSION=$$($(GO) env GOVERSION | sed 's/^go//; s/\.[0-9]*$$//') -t $(IMAGE) .

run: build
	@mkdir -p out
	$(DIST) --config $(CONFIG)

generate: $(MDATAGEN)
	@# go generate runs each component's doc.go directives (mdatagen, plus the receiver's
	@# clean-up). READMEs keep their hand-written status table: mdatagen's links point at contrib.
	@for c in $(COMPONENTS); do echo "generate $$c"; cp $$c/README.md $$c/README.md.keep; \
	  PATH="$(BIN):$$PATH" $(GO) generate ./$$c; rc=$$?; mv $$c/README.md.keep $$c/README.md; [ $$rc -eq 0 ] || exit 1; done

# go vet + all tests with the race detector + end-to-end tests of the built binary.
test: build $(TELEMETRYGEN) taskergen
	$(GO) vet $(PKGS)
	OTELCOL_TASKER_BIN=$(DIST) TELEMETRYGEN_BIN=$(TELEMETRYGEN) TASKERGEN_BIN=$(TASKERGEN) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

unit:
	$(GO) test -race -count=1 -short $(PKGS)

e2e: build $(TELEMETRYGEN) taskergen
	OTELCOL_TASKER_BIN=$(DIST) TELEMETRYGEN_BIN=$(TELEMETRYGEN) TASKERGEN_BIN=$(TASKERGEN) $(GO) test -count=1 -run 'E2E' -v ./test/e2e/...

# The reliability suite (test/e2e/reliability_*) in its long profile: more load, several
# kill -9 per case, 20 s faults. Figures of every case go to reliability.ndjson
# (docs/RELIABILITY.md quotes them). The short profile runs in `make test`.
soak: build taskergen
	rm -f $(CURDIR)/reliability.ndjson
	RELIABILITY_PROFILE=long RELIABILITY_REPORT=$(CURDIR)/reliability.ndjson OTELCOL_TASKER_BIN=$(DIST) TASKERGEN_BIN=$(TASKERGEN) \
	  $(GO) test -count=1 -timeout 60m -run 'Reliability' -v ./test/e2e/...

# Every fuzz target for a short bounded time (the seed corpus also runs in every `go test`).
fuzz:
	@set -e; for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./_build' | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$pkg $$f ($(FUZZ_TIME))"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZ_TIME) $$pkg; \
	  done; done

# Benchmarks of ours and of the contrib peers on the same data, in one run (see docs/BENCHMARKS.md).
# benchratio prints a line per result as it arrives (stderr), then the table of medians and
# ratios; the raw output is in bench.out.
bench:
	@mkdir -p $(BIN) && cd bench && GOFLAGS='-buildvcs=false -mod=mod' $(GO) build -o $(BIN)/benchratio ./cmd/benchratio
	@[ -z "$(PROFILE)" ] || mkdir -p $(CURDIR)/bench-profiles
	set -o pipefail; cd bench && export GOFLAGS='-buildvcs=false -mod=mod'; \
	  for pkg in $$($(GO) list -f '{{if .TestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
	    prof=; if [ -n "$(PROFILE)" ]; then n=$$(basename $$pkg); prof="-cpuprofile $(CURDIR)/bench-profiles/$$n.cpu.pprof -o $(CURDIR)/bench-profiles/$$n.test"; fi; \
	    $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCH_TIME) -count $(BENCH_COUNT) $$prof $$pkg || exit 1; \
	  done | tee $(CURDIR)/bench.out | $(BIN)/benchratio

lint:
	$(GO) vet $(PKGS)
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './_build/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

clean:
	rm -rf $(BUILD_DIR) $(BIN) out bench.out bench-profiles reliability.ndjson
