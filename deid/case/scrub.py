"""scrub_case: one case (text + photos + DICOM) under one CaseContext.

Order matters: every DICOM header is read first (identifiers -> deny-list, PatientID ->
date-shift anchor), then the texts are analysed once for identifiers (deid.text learns
confident names and IDs into the context), then DICOM files are scrubbed (their
burned-in pixels see the full deny-list), then photos, then texts (deid.text searches
the deny-list, so a patient name learned from a header is removed from the text even
where NER misses it).

Withholding rule: a part that cannot be made safe is withheld with its reason and the
other parts still go out, because the deny-list learned from every readable header was
applied to them. When a withheld DICOM file's header could not even be read, its
identifiers were never searched for elsewhere: the case report says so in
``residual_risk`` so that a reviewer can hold the case back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from deid.case.identifiers import learn_from_dataset, learn_from_dicom
from deid.case.parts import CasePart, PartKind, load_part
from deid.core.context import CaseContext
from deid.core.errors import DeidError, InputError, reason_of
from deid.core.policy import DEFAULT_POLICY, Policy
from deid.core.report import Report

if TYPE_CHECKING:
    from deid.image.series import SeriesBook

log = logging.getLogger(__name__)

CaseItem = CasePart | bytes | str | os.PathLike[str] | tuple[str, bytes]

_IMAGE_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp"}
_PREFIX = {"text": "TXT", "image": "IMG", "dicom": "DCM", "unknown": "BIN"}


@dataclass(slots=True)
class PartResult:
    """The outcome for one item of a case.

    ``name`` is the output file name (from a keyed pseudonym or the new
    SOPInstanceUID, never from the input name); ``data`` the output bytes (UTF-8 for
    text) and ``text`` the scrubbed text for text parts. Both are None when withheld.
    ``source`` is the caller's reference for the input (may be PHI: operator use only).
    """

    index: int
    kind: PartKind
    report: Report
    name: str | None = None
    data: bytes | None = field(default=None, repr=False)
    text: str | None = field(default=None, repr=False)
    source: str | None = field(default=None, repr=False)
    # The input, for input_sha256 (computed on demand: nothing in the scrub path needs it).
    _input: bytes | str = field(default=b"", repr=False, compare=False)
    # Output facts (no PHI): image format and size; DICOM new UIDs and modality.
    format: str | None = None
    width: int | None = None
    height: int | None = None
    sop_instance_uid: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    modality: str | None = None

    @property
    def withheld(self) -> bool:
        return self.report.withheld

    @property
    def input_sha256(self) -> str:
        """SHA-256 of the input as it came (hex)."""
        data = self._input
        return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()

    @property
    def part_id(self) -> str:
        return f"{self.kind}:{self.index}"


@dataclass(slots=True)
class CaseResult:
    """All parts of a scrubbed case and the case Report (``report.parts`` in order)."""

    parts: list[PartResult]
    report: Report

    @property
    def outputs(self) -> list[PartResult]:
        return [p for p in self.parts if not p.withheld]

    @property
    def withheld(self) -> list[PartResult]:
        return [p for p in self.parts if p.withheld]


def _withheld_report(kind: str, exc: BaseException) -> Report:
    if isinstance(exc, ImportError):  # a scrubber or its engine is not installed
        from deid.core.errors import EngineUnavailable

        exc = EngineUnavailable(f"a required engine is not installed ({type(exc).__name__})")
    report = Report(input_kind=kind)
    detail = exc.message if isinstance(exc, DeidError) else ""
    report.withhold(reason_of(exc), detail)
    return report


def _tag_findings(report: Report, part_id: str) -> None:
    report.findings = [f if f.part else dataclasses.replace(f, part=part_id) for f in report.findings]


def scrub_case(
    items: Iterable[CaseItem],
    policy: Policy | None = None,
    context: CaseContext | None = None,
    *,
    series: SeriesBook | None = None,
) -> CaseResult:
    """Scrub every item of one case under one CaseContext.

    ``items``: :class:`CasePart`, ``bytes`` (kind sniffed from content), ``str`` (text
    content), a path (``os.PathLike``) or ``(name, bytes)``. Never raises for a bad part:
    that part is withheld with its reason. Raises InputError only for a bad argument.

    ``series``: the series memories to use (:class:`deid.image.series.SeriesBook`), for
    a caller that scrubs the slices of one series as several cases (the batch worker,
    for loose files: one book per worker process and run). Without it the case gets a
    book of its own, dropped when it returns.
    """
    policy = policy or DEFAULT_POLICY
    context = context or CaseContext.ephemeral()
    t0 = time.perf_counter()
    loaded: list[tuple[int, bytes | str, str | None, PartKind, BaseException | None]] = []
    for index, item in enumerate(items):
        try:
            content, label, sniffed = load_part(item)
            loaded.append((index, content, label, sniffed, None))
        except InputError as exc:
            if exc.reason == "invalid_input":
                raise
            loaded.append((index, b"", getattr(item, "name", None), "unknown", exc))

    results: dict[int, PartResult] = {}
    residual: list[str] = []

    def done(index: int, kind: PartKind, name: str | None, data: bytes | str, report: Report) -> PartResult:
        part = PartResult(index=index, kind=kind, report=report, source=name, _input=data)
        _tag_findings(report, part.part_id)
        results[index] = part
        return part

    for index, data, name, kind, err in loaded:
        if err is not None:
            done(index, kind, name, b"", _withheld_report(kind, err))
        elif kind == "unknown":
            rep = Report(input_kind="unknown")
            rep.withhold("unsupported_type", "not DICOM, a supported image or UTF-8 text")
            done(index, kind, name, data, rep)

    # 1. every DICOM header first: the deny-list and the date-shift anchor.
    dicoms = [(i, d, n) for i, d, n, k, e in loaded if k == "dicom" and e is None and isinstance(d, bytes)]
    unreadable_headers = 0
    # Each file is parsed once: the parse the scrubber needs is made here, learned from,
    # and handed to it in step 2. A file the scrubber cannot parse is still read for the
    # deny-list by the lenient pre-pass (it is withheld in step 2 with its reason).
    parsed: dict[int, object] = {}
    for i, raw, _n in dicoms:
        pre = _parse_dicom(raw, policy)
        if pre is not None and learn_from_dataset(pre.ds, context):
            parsed[i] = pre
        elif not learn_from_dicom(raw, context):
            unreadable_headers += 1

    # 1b. identifiers named in the case texts (detection only; deid.text learns them into
    # the context): a name written only in the post ("Mrs Hope") is then also searched
    # for on a wristband in a photo and in burned-in pixels.
    texts = [(i, d, n) for i, d, n, k, e in loaded if k == "text" and e is None]
    _learn_from_texts([d for _, d, _ in texts], policy, context)

    # 2. DICOM files (header + burned-in pixels, which see the whole deny-list).
    used_names: set[str] = set()
    withheld_dicom = 0
    # The slices of one series are searched for burned-in text as one clip is: the first
    # ones in full, later ones on what changed (deid.image.series). One book per case
    # unless the caller handed one over.
    book = series if series is not None else (_series_book() if dicoms else None)
    for index, raw, name in dicoms:
        part = _scrub_dicom_part(index, raw, name, policy, context, used_names, done, book, parsed.pop(index, None))
        withheld_dicom += part.withheld

    # 3. photos.
    for index, data, name, kind, err in loaded:
        if kind == "image" and err is None and isinstance(data, bytes):
            _scrub_image_part(index, data, name, policy, context, done)

    # 4. texts, in one batched pass.
    if texts:
        _scrub_text_parts(texts, policy, context, done)

    if unreadable_headers:
        residual.append(
            f"{unreadable_headers} DICOM part(s) could not be read: identifiers they hold were "
            "not searched for in the other parts of the case"
        )
    elif withheld_dicom and withheld_dicom == len(dicoms) and dicoms:
        residual.append("every DICOM part was withheld; their headers were still read for the deny-list")

    parts = [results[i] for i in sorted(results)]
    case_report = Report(input_kind="case", parts=[p.report for p in parts], residual_risk=residual)
    n_withheld = sum(p.withheld for p in parts)
    if parts and n_withheld == len(parts):
        case_report.withhold("all_parts_withheld", f"{n_withheld} part(s) withheld")
    elif n_withheld:
        case_report.notes.append(f"{n_withheld} of {len(parts)} part(s) withheld")
    case_report.timings["total"] = time.perf_counter() - t0
    log.info(
        "case scrubbed: %d parts, %d withheld, %d findings",
        len(parts), n_withheld, sum(case_report.counts_by_kind().values()),
    )
    return CaseResult(parts=parts, report=case_report)


def _pseudo_name(context: CaseContext, kind: str, index: int, data: bytes | str, suffix: str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    key = f"{kind}:{index}:{hashlib.sha256(raw).hexdigest()}"
    return context.pseudonym("part-name", key, prefix=_PREFIX[kind], length=12) + suffix


def _series_book() -> object | None:
    try:
        from deid.image.series import SeriesBook
    except ImportError:  # no image core: pixel scrubbing withholds on its own
        return None
    return SeriesBook()


def _parse_dicom(data: bytes, policy: Policy):  # type: ignore[no-untyped-def]
    """``deid.dicom.parse_dicom`` of one file, or None (not installed, or unreadable:
    the scrub of step 2 reports why)."""
    try:
        from deid.dicom import parse_dicom

        return parse_dicom(data, policy)
    except Exception:  # noqa: BLE001 - step 2 parses again and withholds with the reason
        return None


def _scrub_dicom_part(index, data: bytes, name, policy, context, used_names: set[str], done, series=None, parsed=None) -> PartResult:  # type: ignore[no-untyped-def]
    try:
        from deid.dicom import scrub_dicom

        result = scrub_dicom(parsed if parsed is not None else data, policy, context, series=series)
    except ImportError as exc:
        from deid.core.errors import EngineUnavailable

        return done(index, "dicom", name, data, _withheld_report("dicom", EngineUnavailable(
            f"the DICOM scrubber is not installed ({type(exc).__name__})")))
    except Exception as exc:  # noqa: BLE001 - fail closed: withhold with the reason code
        log.info("DICOM part %d withheld: %s", index, reason_of(exc))
        return done(index, "dicom", name, data, _withheld_report("dicom", exc))
    out_name = f"{result.sop_instance_uid}.dcm"
    if out_name in used_names:
        # Two inputs with one SOPInstanceUID (copies, or a conflicting pair): the second
        # would overwrite the first under its new UID. Withhold it rather than guess.
        rep = result.report
        rep.withhold("duplicate_sop_instance_uid", "another part of the case has the same SOPInstanceUID")
        return done(index, "dicom", name, data, rep)
    used_names.add(out_name)
    part = done(index, "dicom", name, data, result.report)
    if not part.withheld:
        part.name, part.data = out_name, result.data
        part.format = "DICOM"
        part.sop_instance_uid = result.sop_instance_uid
        part.study_instance_uid = result.study_instance_uid
        part.series_instance_uid = result.series_instance_uid
        part.modality = result.modality
    return part


def _scrub_image_part(index, data: bytes, name, policy, context, done) -> PartResult:  # type: ignore[no-untyped-def]
    try:
        from deid.image import scrub_image

        result = scrub_image(data, policy, context)
    except ImportError as exc:
        from deid.core.errors import EngineUnavailable

        return done(index, "image", name, data, _withheld_report("image", EngineUnavailable(
            f"the image scrubber is not installed ({type(exc).__name__})")))
    except Exception as exc:  # noqa: BLE001 - fail closed
        log.info("image part %d withheld: %s", index, reason_of(exc))
        return done(index, "image", name, data, _withheld_report("image", exc))
    part = done(index, "image", name, data, result.report)
    if not part.withheld:
        suffix = _IMAGE_SUFFIX.get(str(result.format).upper(), ".img")
        part.name, part.data = _pseudo_name(context, "image", index, data, suffix), result.data
        part.format, part.width, part.height = str(result.format).upper(), result.width, result.height
    return part


def _learn_from_texts(texts: Sequence[bytes | str], policy: Policy, context: CaseContext) -> None:
    decoded = []
    for data in texts:
        try:
            decoded.append(_decode_text(data))
        except InputError:
            continue  # withheld later, when the texts are scrubbed
    if not decoded:
        return
    try:
        from deid.text import find_phi_many

        find_phi_many(decoded, policy, context)
    except Exception as exc:  # noqa: BLE001 - the scrub pass reports (and withholds) for real
        log.info("text pre-pass skipped: %s", reason_of(exc))


def _decode_text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"text is not valid UTF-8 (bad byte at offset {exc.start})", reason="bad_encoding") from None


def _scrub_text_parts(texts: Sequence[tuple[int, bytes | str, str | None]], policy, context, done) -> None:  # type: ignore[no-untyped-def]
    decoded: list[tuple[int, str, bytes | str, str | None]] = []
    for index, data, name in texts:
        try:
            decoded.append((index, _decode_text(data), data, name))
        except InputError as exc:
            done(index, "text", name, data, _withheld_report("text", exc))
    if not decoded:
        return
    try:
        from deid.text import scrub_texts

        batch: list[object] = list(scrub_texts([t for _, t, _, _ in decoded], policy, context))
    except Exception:  # noqa: BLE001 - one bad text must not withhold its siblings: retry one by one
        batch = []
        for _index, text, _data, _name in decoded:
            try:
                batch.append(scrub_texts([text], policy, context)[0])
            except Exception as exc:  # noqa: BLE001 - fail closed: this text is withheld
                batch.append(exc)
    for (index, _text, data, name), res in zip(decoded, batch, strict=True):
        if isinstance(res, BaseException):
            log.info("text part %d withheld: %s", index, reason_of(res))
            done(index, "text", name, data, _withheld_report("text", res))
            continue
        part = done(index, "text", name, data, res.report)  # type: ignore[attr-defined]
        if not part.withheld:
            part.text = res.text  # type: ignore[attr-defined]
            part.data = part.text.encode("utf-8")
            part.name = _pseudo_name(context, "text", index, data, ".txt")
            part.format = "TEXT"


__all__ = ["CaseItem", "CaseResult", "PartResult", "scrub_case"]
