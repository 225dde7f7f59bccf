# Two entry points (see README): `make demo` and `make test`. Both set up first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench proto clean

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) -m deid.cli.main scrub sample_cases/ out/ --ephemeral-key --report out/report.html

test: setup
	$(PY) -m pytest -q -p no:cacheprovider tests

lint: setup
	$(VENV)/bin/ruff check deid server bench tests
	$(VENV)/bin/mypy deid server

bench: setup
	$(PY) -m bench.text_bench

proto: setup
	$(PY) scripts/gen_protos.py --force

clean:
	rm -rf out build dist *.egg-info
