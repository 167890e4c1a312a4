# Two commands matter: `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := libssl-dev libnghttp2-dev libcurl4-openssl-dev libldns-dev zlib1g-dev libsqlite3-dev pebble pkg-config openssl curl nghttp2-client prometheus bind9 bind9-utils bind9-dnsutils postfix
PYTHON ?= python3
# pip name[:import name]
PY_PACKAGES := pytest h2 prometheus_client pyyaml:yaml dnslib tlsrpt-reporter:tlsrpt_reporter
BIN_DEBUG := .build/debug/mta-sts-host
BIN_RELEASE := .build/release/mta-sts-host

.PHONY: deps build release run test test-unit test-e2e test-long audit test-container bench clean

# Installs the Debian and Python packages the build and the tests need, only when missing.
# postfix (the `verify` tests' SMTP server, run by them from a config directory of their own) is preseeded to "No
# configuration": its postinst then writes no /etc/postfix/main.cf, and without one the init script starts nothing,
# so no system postfix takes port 25, with or without systemd or a policy-rc.d.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@for p in $(PY_PACKAGES); do $(PYTHON) -c "import $${p##*:}" 2>/dev/null || { echo "installing Python package $${p%%:*}"; $(PYTHON) -m pip install -q $${p%%:*}; }; done

build: deps
	$(SWIFT) build

# Static Swift runtime: the binary runs on bookworm-slim (the container) and maps fewer shared libraries.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# Serves the shipped sample policy on 127.0.0.1:8443 with a locally generated CA.
run: release
	$(BIN_RELEASE) serve --listen 127.0.0.1:8443 --policies policies --certs certs --self-signed --state-dir .state $(if $(filter 0,$(shell id -u)),--allow-root)

test: build
	$(SWIFT) test
	MTA_STS_HOST_BIN=$(CURDIR)/$(BIN_DEBUG) $(PYTHON) -m pytest -q -m "not long" Tests/EndToEnd

# The minute-scale hostile-traffic tests (`@pytest.mark.long`) that `make test` skips.
test-long: build
	MTA_STS_HOST_BIN=$(CURDIR)/$(BIN_DEBUG) $(PYTHON) -m pytest -q -s -m long Tests/EndToEnd

# testssl.sh and sslscan against a local server, judged by Tests/Audit/check_findings.py; fails on a finding.
# `make audit AUDIT_BIN=path/to/mta-sts-host` audits that binary and skips `make build`.
audit: $(if $(AUDIT_BIN),,build)
	AUDIT_BIN="$(if $(AUDIT_BIN),$(AUDIT_BIN),$(CURDIR)/$(BIN_DEBUG))" Tests/Audit/tls-audit.sh

# The image for real (root, podman): static release build, `podman build --target prebuilt`, run locked down,
# fetch, SIGHUP reload, HEALTHCHECK, SIGTERM stop. ~2 min from a cold build, ~30 s with the binary built.
# Not part of `make test`.
test-container:
	Tests/Container/test_container.sh

# nginx vs mta-sts-host with bench/anchors.sh (see bench/run.sh for BENCH_N, BENCH_RUNS, BENCH_SECS, BENCH_TESTS).
# `make bench BIN=path/to/mta-sts-host` benchmarks that binary and skips `make release`.
bench: $(if $(BIN),,release)
	BIN="$(if $(BIN),$(BIN),$(CURDIR)/$(BIN_RELEASE))" bench/run.sh

clean:
	rm -rf .build .state

# libFuzzer targets in Fuzz/ (a package of its own, with AddressSanitizer; see Fuzz/README.md): replays
# Fuzz/regressions/, then fuzzes each target FUZZ_SECONDS from its seeds in Fuzz/corpus/.
FUZZ_SECONDS ?= 60
.PHONY: fuzz test-asan test-tsan
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Fuzz/run.sh

# Unit tests, then the end-to-end subset SAN_E2E (pytest -k, default "curl or http1_raw or http2") against the server
# built with AddressSanitizer / ThreadSanitizer (.build-asan, .build-tsan); any sanitizer report fails (Tests/Sanitizers/).
test-asan: deps
	SWIFT=$(SWIFT) PYTHON=$(PYTHON) SAN_E2E="$(SAN_E2E)" Tests/Sanitizers/run.sh address

test-tsan: deps
	SWIFT=$(SWIFT) PYTHON=$(PYTHON) SAN_E2E="$(SAN_E2E)" Tests/Sanitizers/run.sh thread
