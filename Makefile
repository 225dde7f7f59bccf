# Two entry points (see README): `make demo` and `make test`. Both set up first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench proto clean image container-test

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) -m deid.cli.main scrub sample_cases/ out/ --ephemeral-key --report out/report.html

test: setup
	$(PY) -m pytest -q -p no:cacheprovider tests

lint: setup
	$(VENV)/bin/ruff check deid bench tests
	$(VENV)/bin/mypy deid

bench: setup
	$(PY) -m bench.text_bench

# The service image (podman; a Debian base from mmdebstrap when no registry is
# reachable). IMAGE_ARGS passes options, e.g. IMAGE_ARGS="--wheelhouse wheels/".
image:
	bash scripts/build_image.sh $(IMAGE_ARGS)

# The container test against the image `make image` built (`make test` skips it, so a
# stale image is never tested by accident); here a missing podman or image is a failure.
container-test: setup
	DEID_CONTAINER_TEST=1 $(PY) -m pytest -q -s -p no:cacheprovider tests/container

proto: setup
	$(PY) scripts/gen_protos.py --force

clean:
	rm -rf out build dist *.egg-info
