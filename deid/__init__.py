"""deid: offline, fail-closed PHI de-identification for medical case text, photos and DICOM.

Public entry points, each ``(input, policy=None, context=None) -> result`` with a
``.report`` that never holds PHI values:

* :func:`scrub_text`  - clinical free text
* :func:`scrub_image` - photos (JPEG, PNG, TIFF, WebP, HEIC)
* :func:`scrub_dicom` - DICOM files (header and pixel data)
* :func:`scrub_case`  - one case: text + photos + DICOM under one CaseContext

Heavy engines load lazily on first use, once per process.
"""

from __future__ import annotations

import os
from typing import Any

# Presidio's e-mail recognizer uses tldextract, which otherwise tries to download the
# public suffix list on first use (and can block behind a firewall). Stay offline.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from deid.core import (  # noqa: E402
    CaseContext,
    DeidError,
    EngineUnavailable,
    Finding,
    InputError,
    LimitExceeded,
    Policy,
    Report,
    WithheldError,
)

__version__ = "0.1.0"

_LAZY = {
    "scrub_text": ("deid.text", "scrub_text"),
    "scrub_texts": ("deid.text", "scrub_texts"),
    "TextResult": ("deid.text", "TextResult"),
    "scrub_dicom": ("deid.dicom", "scrub_dicom"),
    "DicomResult": ("deid.dicom", "DicomResult"),
    "scrub_image": ("deid.image", "scrub_image"),
    "ImageResult": ("deid.image", "ImageResult"),
    "scrub_case": ("deid.case", "scrub_case"),
    "CaseResult": ("deid.case", "CaseResult"),
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import deid` stays light (no spaCy, no ONNX) for the CLI and server.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(name)


__all__ = [
    "CaseContext",
    "DeidError",
    "EngineUnavailable",
    "Finding",
    "InputError",
    "LimitExceeded",
    "Policy",
    "Report",
    "WithheldError",
    "__version__",
    *_LAZY,
]
