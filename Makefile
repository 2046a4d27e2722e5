# One entry point for users, developers and CI. `make test` on a fresh clone installs what it
# needs (npm packages; Kafka, kube-apiserver, etcd, helm and kubectl built into the user's cache),
# builds, lints and runs every test against the real components.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_ESM := NODE_OPTIONS=--experimental-vm-modules
JEST := $(NODE_ESM) node_modules/.bin/jest
STACK := node dist/tests/infra/stack.js

.PHONY: help prereqs deps build lint format infra test test-unit test-integration test-e2e demo bench image golden clean

help:
	@echo "make demo   - start Kafka + kube-apiserver, inject a pod, run the scenario through the bridge"
	@echo "make test   - install, build, lint and run every test (unit, integration, e2e)"
	@echo "make bench  - throughput, latency and memory against their baselines"
	@echo "make lint | make format | make golden | make image | make clean"

prereqs:
	@bash tests/infra/prereqs.sh

node_modules/.installed: package.json package-lock.json
	@bash tests/infra/prereqs.sh node
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

build: deps
	node_modules/.bin/tsc -p tsconfig.build.json
	@chmod +x dist/bridge/main.js dist/webhook/main.js 2>/dev/null || true

lint: deps
	node_modules/.bin/tsc --noEmit
	node_modules/.bin/biome check .

format: deps
	node_modules/.bin/biome check --write .

# Builds (or finds in the cache) every real component the tests run against.
infra: prereqs
	bash tests/infra/build-kafka.sh
	bash tests/infra/build-kube.sh

test-unit: build
	$(JEST) --selectProjects unit

test-integration: build infra
	$(STACK) run --kafka --kube -- $(JEST) --selectProjects integration --runInBand

# The scenario gets a stack of its own: a fresh broker and API server, as a new cluster would be.
test-e2e: build infra
	$(STACK) run --kafka --kube -- $(JEST) --selectProjects e2e --runInBand

test: lint test-unit test-integration test-e2e

demo: build infra
	$(STACK) run --kafka --kube -- node dist/tests/e2e/demo.js

bench: build infra
	$(STACK) run --kafka --kube -- node dist/bench/run.js

golden: build infra
	bash charts/update-golden.sh

image:
	bash charts/build-images.sh

clean:
	rm -rf dist node_modules/.installed
