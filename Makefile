# Directory: the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash

GO       ?= go
# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with "context deadline exceeded" at the deadline
# (golang/go#75804) though nothing was found.
FUZZTIME ?= 200000x

.PHONY: run build test test-cluster generate migration bench bench-go fuzz lint ci

## run: serve on :8080 with the embedded SQLite database under ./data
run:
	$(GO) run ./cmd/directory serve

## build: the one binary, in bin/
build:
	$(GO) build -o bin/directory ./cmd/directory

## test: every test, on SQLite and on a throwaway PostgreSQL (subtests named sqlite / postgres);
## one line a package, failures in full, then the totals (gotestsum, a go.mod tool, over go test -json).
## Its exit status is the test run's. TESTFLAGS adds go test flags (TESTFLAGS=-run=TestX), PKGS the packages (default ./...).
TESTFLAGS ?=
PKGS      ?= ./...
test:
	$(GO) tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg --format-icons text \
		--hide-summary skipped -- -count=1 $(TESTFLAGS) $(PKGS)

## test-cluster: PostgreSQL, PgBouncer (transaction pooling), three replicas and HAProxy on loopback ports,
## with a kill -9, a rolling restart and a PgBouncer restart under load; prints a table (cluster/, build tag cluster)
test-cluster:
	$(GO) test -count=1 -v -tags cluster -run '^TestCluster$$' -timeout 12m ./cluster/ 2>&1 | grep -Ev '^(=== (RUN|PAUSE|CONT))' ; exit $${PIPESTATUS[0]}

## generate: regenerate ent and gqlgen code and the events' GraphQL types (graph/events.graphql, from
## events/payloads.go); all committed, CI checks they are current. gqlgen runs through graph/gqlgen,
## which has the executor resolve fields and list elements in line rather than a goroutine each
generate:
	$(GO) generate ./ent
	$(GO) run ./graph/eventschema
	@if [ -f graph/schema.graphql ]; then $(GO) run ./graph/gqlgen; fi

## migration: write the next versioned migration from the ent schema (make migration name=add_x)
migration:
	@test -n "$(name)" || (echo "usage: make migration name=add_something" && exit 2)
	$(GO) run ./store/migrationgen -name $(name)

## bench: build the server, run it on SQLite and on a throwaway PostgreSQL, print the table
## (requests/s, p50/p99, memory, ratios to baselines); bench/results/. BENCH_QUICK=1: under 2 minutes
bench: build
	$(GO) run ./bench -bin bin/directory

## bench-go: the Go micro-benchmarks (go test -bench)
bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: each fuzz target for FUZZTIME executions (or a duration, e.g. FUZZTIME=30s)
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./scim/filter/
	$(GO) test -run='^$$' -fuzz='^FuzzParsePath$$' -fuzztime=$(FUZZTIME) ./scim/filter/
	$(GO) test -run='^$$' -fuzz='^FuzzParseApply$$' -fuzztime=$(FUZZTIME) ./scim/patch/

## lint: gofmt, go vet and staticcheck (a go.mod tool; ent/staticcheck.conf for generated code)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags cluster ./cluster/
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck -tags cluster ./cluster/
