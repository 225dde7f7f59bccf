"""What runs inside the worker processes: engines warmed once, then library calls.

The gRPC process never loads spaCy or ONNX: it parses requests, applies limits and hands
each call to a worker process through :mod:`deid.server.pool`. Each worker holds the key
(given once at start) and bounds every call by its absolute deadline with a SIGALRM
timer (:func:`deid.runtime.deadline_budget`), so a call whose client has gone or whose
deadline has passed cannot keep a worker forever (pure-Python work is interrupted; a
native call is interrupted when it returns to Python).

Everything here takes and returns picklable values only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import signal
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from deid.core.context import CaseContext
from deid.core.errors import InputError, WithheldError
from deid.core.logconfig import hold_third_party_loggers
from deid.core.policy import Policy
from deid.core.report import Report
from deid.runtime import deadline_budget, load_engine

log = logging.getLogger(__name__)

_KEY: bytes | None = None
_TEMP_DIR: str | None = None
# Outputs larger than this are handed back as a file in the private temp folder.
_SPOOL_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class WorkOutput:
    """The result of one call. ``data`` or ``path`` (a temp file the caller deletes)."""

    report: Report
    text: str | None = None
    data: bytes | None = None
    path: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    parts: list[PartOutput] = field(default_factory=list)


@dataclass(slots=True)
class PartOutput:
    """One case part's output (``index`` into the request's parts)."""

    index: int
    kind: str
    outcome: str
    withheld_reason: str = ""
    name: str = ""
    data: bytes | None = None
    path: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def init_worker(key: bytes, lane: str, temp_dir: str, spool_bytes: int, log_level: str, nice: int = 0) -> None:
    """Process initializer: keep the key, quiet thread pools, load the engines now."""
    global _KEY, _TEMP_DIR, _SPOOL_BYTES
    if nice > 0:
        # Lower CPU priority for the slow lane: when cores are short, the scheduler
        # favours short interactive text calls over a photo's OCR pass.
        os.nice(nice)
    # onnxruntime and BLAS use every core by default; several worker processes on a few
    # cores would then fight over them.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    # SIGINT goes to the whole process group on Ctrl-C; the parent decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    setup_worker_logging(log_level)
    _KEY, _TEMP_DIR, _SPOOL_BYTES = key, temp_dir, spool_bytes
    t0 = time.perf_counter()
    load_engine("text")
    if lane == "files":
        try:
            import deid.image  # noqa: F401 - only whether it imports
        except ImportError:
            log.warning("deid.image is not importable: image calls will be withheld")
        else:
            load_engine("image")
    _first_calls(lane)
    hold_third_party_loggers()  # again: RapidOCR resets its own level when imported
    log.info("worker ready (lane=%s, pid=%d, warm-up %.1f s)", lane, os.getpid(), time.perf_counter() - t0)


def setup_worker_logging(log_level: str) -> None:
    """Worker log lines go to stderr; third-party loggers stay at WARNING (no values)."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s [worker] %(name)s: %(message)s")
    hold_third_party_loggers()


def _first_calls(lane: str) -> None:
    """One real call per engine on synthetic input before the worker counts as warm.

    Loading a model is not the whole warm-up: the first inference allocates buffers
    and caches (ONNX arenas, spaCy tables), which would otherwise land on the first
    client's latency and show up as memory growth after SERVING.
    """
    import io

    from deid.core.errors import DeidError

    ctx = CaseContext.ephemeral(case_id="warm-up")
    try:
        from deid.text import scrub_text as _text

        _text("Warm-up note: Jane Example, MRN 00000000, seen 01/02/2020 at 555-000-0000.", None, ctx)
        if lane == "files":
            try:
                from deid.image import scrub_image as _image
            except ImportError:
                return
            from PIL import Image, ImageDraw

            img = Image.new("RGB", (640, 480), (90, 90, 90))
            ImageDraw.Draw(img).text((20, 20), "WARM UP 01/02/2020", fill=(255, 255, 255))
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            _image(buf.getvalue(), None, ctx)
    except DeidError as exc:
        # A refusal on synthetic input is the scrubber doing its job; engines did run.
        log.warning("warm-up call ended with %s (%s)", type(exc).__name__, exc.reason)


def ping() -> int:
    """A no-op task: returns once this worker's initializer (warm-up) has finished."""
    return os.getpid()


CaseRef = tuple[str, str]  # (caller fingerprint, the case id the client sent)


def server_case_id(key: bytes, caller: str, client_case_id: str) -> str:
    """The case id the library sees: never the client's own string.

    An empty client case id gets a fresh random case (no two calls share a date shift
    or surrogates by accident). Otherwise the client's id is mixed, under the key, with
    the caller's identity (token or certificate fingerprint): the same caller sending
    the same case id continues the same case (consistent shift and surrogates across
    calls), while another caller, or anyone who learns a published folder name, cannot
    reproduce that case's shift or surrogates.
    """
    if not client_case_id:
        return "random:" + secrets.token_hex(16)
    mac = hmac.new(key, b"client-case\x00" + caller.encode() + b"\x00" + client_case_id.encode("utf-8"),
                   hashlib.sha256)
    return "client:" + mac.hexdigest()


def _context(case: CaseRef) -> CaseContext:
    if _KEY is None:
        raise WithheldError("the worker has no pseudonymisation key", reason="missing_key")
    caller, client_case_id = case
    return CaseContext(_KEY, case_id=server_case_id(_KEY, caller, client_case_id))


def _with_timeout(policy: Policy, deadline_ts: float) -> Policy:
    """Tell the library its own budget, so it can withhold cleanly before SIGALRM."""
    remaining = max(0.001, deadline_ts - time.time())
    current = policy.limits.timeout_s
    if current <= 0 or current > remaining:
        return replace(policy, limits=replace(policy.limits, timeout_s=remaining))
    return policy


def _load_source(source: bytes | str) -> bytes | Path:
    # A str is a spooled upload in the server's private temp folder.
    return Path(source) if isinstance(source, str) else source


def _hand_back(data: bytes) -> tuple[bytes | None, str | None]:
    if len(data) <= _SPOOL_BYTES or _TEMP_DIR is None:
        return data, None
    fd, path = tempfile.mkstemp(prefix="out-", dir=_TEMP_DIR)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return None, path


def scrub_text(text: str, policy: Policy, case_id: CaseRef, deadline_ts: float) -> WorkOutput:
    from deid.text import scrub_text as _scrub

    with deadline_budget(deadline_ts):
        result = _scrub(text, _with_timeout(policy, deadline_ts), _context(case_id))
    return WorkOutput(report=result.report, text=result.text)


def scrub_image(
    source: bytes | str, policy: Policy, case_id: CaseRef, output_format: str | None, deadline_ts: float
) -> WorkOutput:
    from deid.image import scrub_image as _scrub

    with deadline_budget(deadline_ts):
        result = _scrub(
            _load_source(source), _with_timeout(policy, deadline_ts), _context(case_id),
            output_format=output_format or None,
        )
    _refuse_withheld(result.report)
    data, path = _hand_back(result.data)
    info = {"size": len(result.data), "format": result.format, "width": result.width, "height": result.height}
    return WorkOutput(report=result.report, data=data, path=path, info=info)


def scrub_dicom(source: bytes | str, policy: Policy, case_id: CaseRef, deadline_ts: float) -> WorkOutput:
    from deid.dicom import scrub_dicom as _scrub

    with deadline_budget(deadline_ts):
        result = _scrub(_load_source(source), _with_timeout(policy, deadline_ts), _context(case_id))
    _refuse_withheld(result.report)
    data, path = _hand_back(result.data)
    info = {
        "size": len(result.data),
        "format": "DICOM",
        "sop_instance_uid": result.sop_instance_uid,
        "study_instance_uid": result.study_instance_uid,
        "series_instance_uid": result.series_instance_uid,
        "modality": result.modality or "",
    }
    return WorkOutput(report=result.report, data=data, path=path, info=info)


def scrub_case(
    parts: list[tuple[str, bytes | str]], policy: Policy, case_id: CaseRef, deadline_ts: float
) -> WorkOutput:
    """``parts``: (kind, content) where kind is "text", "image", "dicom" or "" (sniff)."""
    from deid.case import CasePart
    from deid.case import scrub_case as _scrub

    items = []
    for kind, source in parts:
        content: Any = _load_source(source)
        if kind == "text":
            raw = content.read_bytes() if isinstance(content, Path) else content
            try:
                content = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("a text part is not valid UTF-8", reason="bad_encoding") from None
        items.append(CasePart(content, kind=kind or None))  # type: ignore[arg-type]
    with deadline_budget(deadline_ts):
        result = _scrub(items, _with_timeout(policy, deadline_ts), _context(case_id))
    outputs: list[PartOutput] = []
    for p in result.parts:
        out = PartOutput(index=p.index, kind=p.kind, outcome=p.report.outcome,
                         withheld_reason=p.report.withheld_reason or "", name=p.name or "")
        if not p.withheld:
            payload = p.data if p.data is not None else (p.text or "").encode("utf-8")
            out.data, out.path = _hand_back(payload)
            out.info = {"size": len(payload), **_part_info(p)}
        outputs.append(out)
    return WorkOutput(report=result.report, parts=outputs)


def _part_info(part: Any) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for attr in ("format", "width", "height", "sop_instance_uid", "study_instance_uid",
                 "series_instance_uid", "modality"):
        value = getattr(part, attr, None)
        if value is not None:
            info[attr] = value
    if part.kind == "text":
        info.setdefault("format", "TEXT")
    elif part.kind == "dicom":
        info.setdefault("format", "DICOM")
    return info


def _refuse_withheld(report: Report) -> None:
    # A scrubber that reports "withheld" instead of raising still must not hand out bytes.
    if report.withheld:
        raise WithheldError(report.withheld_detail or "the input was withheld",
                            reason=report.withheld_reason or "withheld")
