# Named tasks for Vanishing Gradients, live. Everything runs inside .venv (created on demand).
#   make serve     install, then serve the site with live reload on http://127.0.0.1:8000
#   make test      install (+ Debian's chromium when missing), then the whole pytest suite (CI: .ci/run)
#   make test-fast the author's loop: the suite reading the experiment cache, without cold builds and browser
#   make build     strict, cold build of the site into site/
#   make lint      ruff format --check, ruff check (rules in pyproject.toml), zizmor on .github/
#   make engines   build with MkDocs, ProperDocs and Zensical; check each against the ledger; compare
#   make torch-test  only the tests that compare against PyTorch
#   make bench     build-speed benchmark (cold, warm, edits under serve, phases, per page, memory);
#                  BENCH="--tests" also times `make test` and `make test-fast`
#   make page-sizes  each built page's own HTML size against its budget
#   make constraints rewrite requirements/constraints.txt from the current .venv
#   make clean     remove site/ and build caches

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
# CPU build of torch. Here `pip install torch==2.13.0` finds a local CPU wheel; elsewhere pass
# e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" to avoid the CUDA build.
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
ADDR ?= 127.0.0.1:8000

export NO_MKDOCS_2_WARNING := 1
# Dates in the built site (sitemap) come from the last commit, so a rebuild of it is byte-identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install serve build test test-fast torch-test lint bench page-sizes chromium constraints clean engines

install: $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[docs,test,torch,engines]'
	touch $@

serve: install
	$(BIN)/python -m vgdocs serve --no-strict --dev-addr $(ADDR)

build: install
	VGDOCS_CACHE=0 $(BIN)/python -m vgdocs build -d site
	$(BIN)/python -m vgdocs check site

test: install chromium
	$(BIN)/pytest

# Every test but the `cold` ones (whole-site builds that must run without the experiment cache) and
# the `browser` ones (Chromium visiting every page: about three minutes on their own); the run's one
# site build and the experiment tests read .cache/vgdocs (tests/conftest.py, WARM). `make test` runs all.
test-fast: install
	VGDOCS_TEST_WARM=1 $(BIN)/pytest -m "not browser"

torch-test: install
	$(BIN)/pytest -m torch

BENCH ?=
bench: install
	$(BIN)/python benchmarks/build_speed.py $(BENCH)

page-sizes: install
	$(BIN)/python benchmarks/page_sizes.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/zizmor --offline .github/

# Browser tests drive Debian's Chromium; install it only where it is missing and apt-get exists.
# GitHub's runners bring Chrome, which the browser tests use there.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$${GITHUB_ACTIONS:-}" != true ] && command -v apt-get >/dev/null; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi

constraints:
	$(BIN)/python -m pip freeze --exclude-editable | sed -E 's/^(torch==[^+]+)\+.*/\1/' > $(CONSTRAINTS)

engines: install
	$(BIN)/python -m vgdocs engines mkdocs properdocs zensical --report .ci/engines.json --no-fail

clean:
	rm -rf site site.record .cache
