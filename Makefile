# Portcullis build and test targets. `make help` lists them.
GO        ?= go
BIN       ?= bin/portcullis
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# PostgreSQL used by the store tests; every store test also runs on SQLite.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export TEST_DATABASE_URL

.PHONY: help run demo test build generate css lint bench load

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## start the server on the embedded SQLite database in ./data
	$(GO) run ./cmd/portcullis serve

demo: ## seed the demo fixtures (idempotent), then start the server
	$(GO) run ./cmd/portcullis demo
	$(GO) run ./cmd/portcullis serve

test: ## run every test, store tests on SQLite and PostgreSQL, browser tests in chromium
	$(GO) test -count=1 -timeout 20m ./...

build: ## build the binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/portcullis

generate: ## regenerate the templ views (*_templ.go)
	$(GO) tool templ generate

css: ## rebuild static/css/app.css with Tailwind (needs Node and npm)
	npm ci --no-audit --no-fund
	npx tailwindcss -c tailwind.config.js -i static/src/input.css -o static/css/app.css --minify

lint: ## gofmt, go vet, and a check that generated files are current
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) tool templ generate
	@git diff --exit-code -- '*_templ.go' || (echo "generated views are stale: run make generate and commit"; exit 1)

bench: ## run the micro-benchmarks (not part of make test): make bench BENCH=TokenEndpoint COUNT=6
	$(GO) test -run '^$$' -bench '$(or $(BENCH),.)' -benchmem -count $(or $(COUNT),1) -timeout 30m ./...

load: build ## build, start a server on 127.0.0.1:18080 and run the load scenarios: make load ARGS='-scenarios token -c 64'
	$(GO) run ./cmd/portcullis-load suite -binary $(BIN) $(ARGS)
