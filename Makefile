# Borne: the two commands are `make demo` and `make test`; both run the idempotent `make setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VAR := var
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

APT_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev swig softhsm2 cups printer-driver-cups-pdf \
	libcups2-dev poppler-utils qpdf fonts-dejavu-core gcc python3-dev python3-venv \
	libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 postgresql \
	libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 libxcb-cursor0 \
	libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxkbcommon-x11-0 xvfb xauth cage chromium espeak-ng

.PHONY: help setup system-packages venv pki test lint typecheck contracts pytest demo bench soak bundle bundle-test sim-up sim-down clean

help:
	@echo "make demo    set up everything and run the kiosk on simulated hardware (autoplay: make demo AUTOPLAY=1)"
	@echo "make test    set up everything and run ruff, mypy --strict, import-linter and pytest"
	@echo "make bench   run the benchmarks and write bench/RESULTS.md"
	@echo "make soak    500 scripted residents through the simulated stack: memory, fds, threads (SOAK_SESSIONS=n)"
	@echo "make bundle  build the one-folder PyInstaller bundle in dist/kiosk"
	@echo "make bundle-test  build it and smoke-test it: selftest and a headless journey on the simulators"

setup: system-packages venv pki

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "setup: installing system packages:$$missing"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "setup: no apt-get here; missing:$$missing (the demo falls back where it can, CI cannot)"; \
	  fi; \
	else echo "setup: system packages present"; fi

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

pki: venv
	$(PY) -m kiosk setup --var $(VAR)

lint: venv
	@echo "== ruff (lint)"; $(VENV)/bin/ruff check .
	@echo "== ruff (format)"; $(VENV)/bin/ruff format --check .

typecheck: venv
	@echo "== mypy --strict"; $(VENV)/bin/mypy

contracts: venv
	@echo "== import-linter"; $(VENV)/bin/lint-imports

pytest: setup
	@echo "== pytest"; BORNE_REQUIRE_REAL_STACK=1 QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: failing"; exit 1; fi; exit $$rc

test: setup lint typecheck contracts pytest

demo: setup
ifdef AUTOPLAY
	$(PY) -m kiosk demo --autoplay
else
	$(PY) -m kiosk demo
endif

sim-up: setup
	$(PY) -m kiosk sim up

sim-down:
	$(PY) -m kiosk sim down

bench: setup
	$(PY) -m bench

SOAK_SESSIONS ?= 500
soak: setup
	BORNE_REQUIRE_REAL_STACK=1 QT_QPA_PLATFORM=offscreen $(PY) -m tests.reliability.soak --sessions $(SOAK_SESSIONS) --results bench/RESULTS.md

bundle: venv
	$(VENV)/bin/pyinstaller --noconfirm --clean kiosk.spec

bundle-test: setup
	BORNE_REQUIRE_REAL_STACK=1 QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -p no:cacheprovider tests/kiosk/test_bundle.py

clean:
	rm -rf build dist $(VAR) .mypy_cache .ruff_cache .pytest_cache
