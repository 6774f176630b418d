# wsrep_sst_rsync_tunnel: build, test and demo entry points.
SHELL := /bin/bash
.DEFAULT_GOAL := dist
BIN := dist/wsrep_sst_rsync_tunnel
NODE_TEST := node --test --test-concurrency=1 --test-reporter=spec

.PHONY: deps build dist test test-unit test-integration test-dist demo clean

deps:
	@scripts/install-deps.sh

build: deps
	@rm -rf build
	@node_modules/.bin/tsc -p tsconfig.json

dist: deps
	@scripts/build-sea.sh

test-unit: build
	$(NODE_TEST) build/test/unit/

test-integration: build
	$(NODE_TEST) build/test/integration/

test-dist: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) $(NODE_TEST) build/test/dist/

# The whole suite; integration tests run the single executable, as mariadbd would.
test: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) $(NODE_TEST) build/test/unit/ build/test/integration/ build/test/dist/

demo: build dist
	@node build/scripts/demo.js

clean:
	rm -rf build dist
