"""The unit of work: scrub one case. Runs in-process, in a pool worker or on Dask.

Everything a worker needs travels in the task (input bytes, the policy as a dict, the
key), so workers need no shared file system. Workers warm the engines once
(:mod:`deid.runtime`).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deid.batch.manifest import Entry
from deid.core.errors import reason_of
from deid.runtime import time_budget, warm_engines

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CaseTask:
    case_key: str  # relative path of the case in the source (operator record)
    case_dir: str  # output folder name (keyed pseudonym)
    inputs: list[tuple[str, bytes | Path]]  # (relative path, content or a spooled private file)
    review: bool = False
    server: str | None = None  # scrub through a deid gRPC server at this address
    # The run this case belongs to: its DICOM slices use this worker process's series
    # memories for the run (loose slices of one series, each a case, share them). None:
    # the case keeps a book of its own (Dask worker threads, the server).
    series_run: str | None = None


@dataclass(slots=True)
class CaseOutcome:
    case_key: str
    case_dir: str
    entries: list[Entry]
    files: list[tuple[str, bytes]] = field(repr=False)  # (relative output path, bytes)
    report: dict[str, Any] = field(default_factory=dict)  # the case Report (no PHI)
    review: list[dict[str, Any]] | None = field(default=None, repr=False)  # HTML material (PHI)
    seconds: float = 0.0


@functools.cache
def _client(address: str) -> Any:
    """One gRPC client per process. Token from ``$DEID_TOKEN``, CA from ``$DEID_SERVER_CA``."""
    from deid.client import DeidClient

    return DeidClient(
        address, token=os.environ.get("DEID_TOKEN") or None,
        root_cert=os.environ.get("DEID_SERVER_CA") or None, timeout=600.0,
    )


def remote_case_id(key: bytes, case_dir: str) -> str:
    """The case id sent to a server: keyed, so not the published folder name.

    The folder name is public; a case id derived from it alone would let anyone who can
    call the same server replay it. Stable under the key, so a resumed case keeps its
    date shift and surrogates.
    """
    import hashlib
    import hmac

    return hmac.new(key, b"remote-case\x00" + case_dir.encode(), hashlib.sha256).hexdigest()


def _remote_case(task: CaseTask, policy_data: dict[str, Any], key: bytes) -> CaseOutcome:
    """The same case through the gRPC service (the server holds the key and engines)."""
    from deid.client import CaseInput
    from deid.core.report import Report

    t0 = time.perf_counter()
    parts = [CaseInput(data, id=f"part:{i}") for i, (_rel, data) in enumerate(task.inputs)]
    failure = "missing_part"
    try:
        result = _client(task.server).scrub_case(parts, policy_data, case_id=remote_case_id(key, task.case_dir))  # type: ignore[arg-type]
        remote = {p.id: p for p in result.parts}
        report = result.report.to_dict()
    except Exception as exc:  # noqa: BLE001 - the whole case is withheld with the reason
        remote, report = {}, {"withheld_reason": reason_of(exc)}
        failure = reason_of(exc)
    entries: list[Entry] = []
    files: list[tuple[str, bytes]] = []
    for i, (rel, _data) in enumerate(task.inputs):
        p = remote.get(f"part:{i}")
        if p is not None and not p.withheld and p.data is not None and p.name:
            out = f"{task.case_dir}/{p.name}"
            files.append((out, p.data))
            counts = (p.report or Report(input_kind=p.kind)).counts_by_kind()
            entries.append(Entry(rel, out, "scrubbed", kind=p.kind, case=task.case_dir, findings=counts))
        else:
            reason = (p.withheld_reason if p is not None else None) or failure
            entries.append(Entry(rel, None, "withheld", reason=reason, kind=p.kind if p else None, case=task.case_dir))
    return CaseOutcome(task.case_key, task.case_dir, entries, files, report, None, time.perf_counter() - t0)


def _kind_of(data: bytes | Path, sniff: Any) -> str:
    """The part kind of in-memory bytes, or of a spooled file by its first 64 KiB."""
    if isinstance(data, Path):
        with open(data, "rb") as fh:
            return str(sniff(fh.read(65536)))
    return str(sniff(data))


# The series memories of this worker process for the current run (one run at a time: a
# task of another run replaces them). Bounded: a CT slice's memory holds about a dozen
# renderings (~4 MB at 512x512), so these caps keep a worker under ~100 MB for them.
SERIES_BOOK_MAX_SERIES = 16
SERIES_BOOK_MAX_BYTES = 96 * 1024 * 1024
_SERIES_BOOK: list[Any] = []  # [(run id, SeriesBook)] or empty


def run_series_book(run: str) -> Any:
    """This process's series memories for ``run`` (a new, empty book for a new run)."""
    if not _SERIES_BOOK or _SERIES_BOOK[0][0] != run:
        from deid.image.series import SeriesBook

        _SERIES_BOOK[:] = [(run, SeriesBook(max_series=SERIES_BOOK_MAX_SERIES, max_bytes=SERIES_BOOK_MAX_BYTES))]
    return _SERIES_BOOK[0][1]


def drop_series_book(run: str | None = None) -> None:
    """Forget this process's series memories (of ``run``, or whatever run they are of)."""
    if _SERIES_BOOK and (run is None or _SERIES_BOOK[0][0] == run):
        _SERIES_BOOK.clear()


def process_cases(tasks: list[CaseTask], policy_data: dict[str, Any], key: bytes) -> list[CaseOutcome | str]:
    """Scrub consecutive cases in one task (loose slices of a series stay together in
    one worker, and the policy is parsed once): each outcome, or the reason its case
    failed as a whole."""
    from deid.core.policy import Policy

    policy = Policy.from_dict(policy_data)
    out: list[CaseOutcome | str] = []
    for task in tasks:
        try:
            out.append(process_case(task, policy_data, key, policy=policy))
        except Exception as exc:  # noqa: BLE001 - this case is withheld, its neighbours go on
            out.append(reason_of(exc))
    return out


def process_case(task: CaseTask, policy_data: dict[str, Any], key: bytes, *, policy: Any = None) -> CaseOutcome:
    """Scrub one case; never raises for a bad input (its parts are withheld)."""
    from deid.case import CasePart, scrub_case
    from deid.core.context import CaseContext
    from deid.core.policy import Policy

    if task.server:
        return _remote_case(task, policy_data, key)
    from deid.case.parts import sniff_kind

    # Engines the case's text and photo parts need load before its time budget starts.
    warm_engines(policy_data, {_kind_of(data, sniff_kind) for _rel, data in task.inputs})
    t0 = time.perf_counter()
    policy = policy if policy is not None else Policy.from_dict(policy_data)
    context = CaseContext(key, case_id=task.case_dir)
    items = [CasePart(data, name=rel) for rel, data in task.inputs]
    book = run_series_book(task.series_run) if task.series_run else None
    # limits.timeout_s per input, as one budget for the case (SIGALRM, main thread only:
    # not enforced on Dask worker threads, see the README).
    try:
        with time_budget(policy.limits.timeout_s * len(items)):
            result = scrub_case(items, policy, context, series=book)
    except BaseException:
        if book is not None:  # a memory cut off mid-slice is not trusted by the next case
            drop_series_book()
        raise
    entries: list[Entry] = []
    files: list[tuple[str, bytes]] = []
    review: list[dict[str, Any]] | None = [] if task.review else None
    for part in result.parts:
        rel = task.inputs[part.index][0]
        out = f"{task.case_dir}/{part.name}" if (part.name and part.data is not None and not part.withheld) else None
        if out is not None:
            files.append((out, part.data))  # type: ignore[arg-type]
        entries.append(
            Entry(
                input=rel,
                output=out,
                status="withheld" if out is None else "scrubbed",
                reason=part.report.withheld_reason if out is None else None,
                kind=part.kind,
                case=task.case_dir,
                findings=part.report.counts_by_kind(),
            )
        )
        if review is not None:
            from deid.batch.review import part_review

            raw = task.inputs[part.index][1]
            review.append(part_review(part, raw.read_bytes() if isinstance(raw, Path) else raw, policy))
    return CaseOutcome(
        case_key=task.case_key,
        case_dir=task.case_dir,
        entries=entries,
        files=files,
        report=result.report.to_dict(),
        review=review,
        seconds=time.perf_counter() - t0,
    )
