# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,report,image,text,finetune,recommend,forecast,postgres

.PHONY: demo test lint bench clean browser postgres

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m automl_plugins.tabular.demo demo/customers.csv demo/new_customers.csv
	$(BIN)/automl fit demo/customers.csv --target churned --time-budget 60 --run-dir runs/demo --force
	$(BIN)/automl predict runs/demo demo/new_customers.csv --out demo/scored.csv --overwrite
	head -5 demo/scored.csv

test: $(STAMP) browser postgres
	$(BIN)/lint-imports  # the layers of automl/ (docs/architecture.md, "Layers"; contracts in pyproject.toml)
	$(BIN)/python -m pytest -q --durations=25  # the slowest tests, for the suite-time budget (docs/BENCHMARKS.md)

# Debian's chromium, for the report tests in a real headless browser (tests/report/). Playwright drives this one and
# downloads no browser. sudo when not root; apt-get update only when the first attempt fails. Without apt-get (or when
# the install fails) the browser tests skip, unless CI is set: then they fail (.ci/run installs chromium strictly).
browser:
	@if ! command -v chromium >/dev/null 2>&1 && ! test -x /usr/bin/chromium; then \
	  SUDO=; if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
	  echo "installing Debian's chromium (apt-get install -y chromium)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
	    || { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1; } \
	    || echo "warning: could not install chromium; the browser tests in tests/report/ will be skipped" >&2; \
	fi

# Debian's PostgreSQL server binaries (15 on bookworm), for the multi-machine tests in tests/scale/. The tests start
# their own throwaway server on 127.0.0.1 (initdb into a temporary folder) and stop it at the end, so the system
# service is never enabled or started here. Same rules as chromium: sudo when not root, skip with a warning locally.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then \
	  SUDO=; if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
	  echo "installing Debian's postgresql (apt-get install -y postgresql)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -qq postgresql >/dev/null 2>&1 \
	    || { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq postgresql >/dev/null 2>&1; } \
	    || echo "warning: could not install postgresql; the PostgreSQL tests in tests/scale/ will be skipped" >&2; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs demo build dist *.egg-info
