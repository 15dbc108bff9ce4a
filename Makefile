# Everything a fresh machine needs is installed by these targets.
#   make demo   run the example chat app on http://127.0.0.1:5000
#   make test   lint + the whole test suite (what CI runs)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
EXTRAS := test,eventlet,gevent,uwsgi,redis,kombu,msgpack,gunicorn

.PHONY: demo test lint node clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $@

tests/js/node_modules/.package-lock.json: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error

examples/chat/node_modules/.package-lock.json: examples/chat/package.json examples/chat/package-lock.json
	cd examples/chat && npm ci --no-audit --no-fund --loglevel=error

tests/browser/node_modules/.package-lock.json: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

node: tests/js/node_modules/.package-lock.json examples/chat/node_modules/.package-lock.json \
	tests/browser/node_modules/.package-lock.json

demo: $(STAMP) examples/chat/node_modules/.package-lock.json
	$(PY) examples/chat/app.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/mypy

test: $(STAMP) node lint
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) tests/js/node_modules examples/chat/node_modules
