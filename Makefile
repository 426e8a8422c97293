# The project's verbs. Each target sets up what it needs, so a fresh machine needs nothing else.
PY      := .venv/bin/python
STAMP   := .venv/.installed
# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool).
CHROMIUM := /usr/bin/chromium
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# LibreOffice makes part of the PDF test corpus (tests/pdf_corpus.py) at test time.
SOFFICE := /usr/bin/soffice
# axe-core, injected into the app's pages by the accessibility tests (pinned in package-lock.json).
AXE     := node_modules/axe-core/axe.min.js
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test test-fast lint ingest eval bench bench-large clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned, so nothing else can pull a CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(SOFFICE):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

ingest: install
	$(PY) -m ingest

run: ingest
	$(PY) app.py

test: install $(CHROMIUM) $(SOFFICE) $(AXE)
	$(PY) -m pytest

test-fast: install $(SOFFICE)
	$(PY) -m pytest -m "not real and not slow"

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

eval: ingest
	$(PY) -m evals.run

bench: ingest
	$(PY) -m evals.bench

# Generated corpora of these many chunks (CHUNKS="1000 10000" for a shorter run; EMBEDDER=hash
# to build large sizes quickly, without the model's own time per question).
CHUNKS   ?= 1000 10000 100000
EMBEDDER ?= minilm
bench-large: install
	$(PY) -m evals.bench_large --chunks $(CHUNKS) --embedder $(EMBEDDER)

clean:
	rm -rf .index .pytest_cache .mypy_cache .ruff_cache test-artifacts
