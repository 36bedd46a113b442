# losslab — every command sets itself up first, so `make demo` and `make test` work on a
# fresh clone. The virtual environment lives in .venv; it is rebuilt when pyproject.toml
# changes.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: setup demo test test-fast test-jax test-backends lint bench clean

# the tests share one persistent JAX compilation cache: the same small models are compiled by
# many tests (and by both xdist workers); a fresh clone starts it empty
test test-jax test-backends test-fast: export JAX_COMPILATION_CACHE_DIR := $(CURDIR)/.cache/jax-tests
test test-jax test-backends test-fast: export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS := 0
test test-jax test-backends test-fast: export JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES := 0

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev,torch,tensorflow,spark]"
	bash scripts/setup-system.sh
	touch $(STAMP)

setup: $(STAMP)

## demo: set up, then run the main job on bundled data
demo: setup
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} bash scripts/demo.sh

## test: set up, then run every test (the catalog conformance suite on jax, torch and tensorflow)
test: setup
	$(MAKE) --no-print-directory test-jax
	$(MAKE) --no-print-directory test-backends

test-jax: setup
	KERAS_BACKEND=jax $(PYTEST) -n 2 --dist loadgroup --durations=10 -m "not backends" tests

test-backends: setup
	KERAS_BACKEND=jax $(PYTEST) -n 2 -m backends tests
	KERAS_BACKEND=torch $(PYTEST) -n 2 -m backends tests
	KERAS_BACKEND=tensorflow $(PYTEST) -n 2 -m backends tests

## test-fast: skip the slow tests (for development only; CI runs everything)
test-fast: setup
	KERAS_BACKEND=jax $(PYTEST) -n 2 -m "not slow and not backends" tests

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src/losslab

## bench: every benchmark script (prints ratios against baselines measured in the same run)
bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; KERAS_BACKEND=jax $(PY) $$b || exit 1; done

bench-%: setup
	KERAS_BACKEND=jax $(PY) bench/bench_$*.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .cache demo-run
