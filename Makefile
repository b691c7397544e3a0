# secwg build and test entry points. `make test` is what CI runs.
GO        ?= go
PKGS      := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/secwg/secwg/internal/version.Version=$(VERSION)
FUZZTIME  ?= 10s
# golangci-lint is pinned; `make lint` installs this version when it is missing.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(shell $(GO) env GOPATH)/bin/golangci-lint

# The shared corpora beside the clone, when they are there: `make test` is then
# the same run as CI. Variables already set (as .ci/run sets them) win.
SHARED := $(abspath $(wildcard ../shared))
ifneq ($(SHARED),)
export SECWG_SHARED         ?= $(SHARED)
export SECWG_OPENAPI        ?= $(SHARED)/corpus/openapi/api.github.com.subset.json
export SECWG_GRAPHQL_SCHEMA ?= $(SHARED)/corpus/graphql/schema.json
export SECWG_WEBHOOK_CORPUS ?= $(SHARED)/corpus/webhooks
endif

.PHONY: all build run test fmt-check vet unit threat-model fuzz lint bench bench-load docker clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/secwg ./cmd/secwg

run:
	$(GO) run ./cmd/secwg serve --log-format text

# Formatting, vet, lint, the race-enabled test suite, secwg's own threat model, then short
# fuzz runs of the parsers.
test: fmt-check vet lint unit threat-model fuzz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 $(PKGS)

# secwg's own threat model must lint without errors.
threat-model:
	$(GO) run ./cmd/secwg lint docs/threat-model.md

# Each fuzz target runs briefly; a crash fails the build and leaves its input in testdata/fuzz.
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash .ci/fuzz

# Static analysis with the linters in .golangci.yml (errorlint and gosec among them).
lint:
	@if [ "$$($(GOLANGCI_LINT) version --short 2>/dev/null)" != "$(GOLANGCI_LINT_VERSION:v%=%)" ]; then \
		echo "installing golangci-lint $(GOLANGCI_LINT_VERSION)"; \
		$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); \
	fi
	$(GOLANGCI_LINT) run $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# The acknowledgement path under load, on loopback: the real binary beside a bare
# HMAC server and, where node and npm are installed, @octokit/webhooks (npm puts it
# in a temporary folder). A fixed number of requests; it stops by itself within --deadline.
# LOADFLAGS passes flags on, e.g. LOADFLAGS=--json.
bench-load: build
	$(GO) run ./cmd/secwg-load --binary bin/secwg $(LOADFLAGS)

# The VERSION file lets any engine's plain `build .` stamp the same version later.
CONTAINER ?= docker
docker:
	printf '%s\n' '$(VERSION)' > VERSION
	$(CONTAINER) build -t secwg:$(VERSION) .

clean:
	rm -rf bin
