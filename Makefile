# Everything a fresh machine needs is installed by these targets.
#   make demo   run the example chat app on http://127.0.0.1:5000
#   make test   lint + the whole test suite (what CI runs)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
# One venv, two sets of extras: the demo's (the package and gevent, its async mode)
# and the test suite's, a superset (uWSGI among them, compiled from source: minutes).
# A stamp per set and per version of pyproject.toml: each is installed once, in
# either order, and the test set marks the demo's as done too.
DEMO_STAMP := $(VENV)/.installed-demo-$(HASH)
TEST_STAMP := $(VENV)/.installed-test-$(HASH)
DEMO_EXTRAS := gevent
TEST_EXTRAS := test,eventlet,gevent,uwsgi,redis,kombu,msgpack,gunicorn,metrics,admin

.PHONY: demo test lint node clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[$(DEMO_EXTRAS)]'
	rm -f $(VENV)/.installed-demo-*
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[$(TEST_EXTRAS)]'
	rm -f $(VENV)/.installed-test-* $(VENV)/.installed-demo-*
	touch $@ $(DEMO_STAMP)

tests/js/node_modules/.package-lock.json: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error

examples/chat/node_modules/.package-lock.json: examples/chat/package.json examples/chat/package-lock.json
	cd examples/chat && npm ci --no-audit --no-fund --loglevel=error

tests/browser/node_modules/.package-lock.json: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

node: tests/js/node_modules/.package-lock.json examples/chat/node_modules/.package-lock.json \
	tests/browser/node_modules/.package-lock.json

demo: $(DEMO_STAMP) examples/chat/node_modules/.package-lock.json
	$(PY) examples/chat/app.py

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/mypy

test: $(TEST_STAMP) node lint
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) tests/js/node_modules examples/chat/node_modules
