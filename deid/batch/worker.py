"""The unit of work: scrub one case. Runs in-process, in a pool worker or on Dask.

Everything a worker needs travels in the task (input bytes, the policy as a dict, the
key), so workers need no shared file system. Workers warm the engines once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from deid.batch.manifest import Entry
from deid.core.errors import reason_of

log = logging.getLogger(__name__)

_WARM = False


def warm_engines() -> None:
    """Load the NLP, OCR and face engines once in this process (pool initializer)."""
    global _WARM
    if _WARM:
        return
    _WARM = True
    for module in ("deid.text", "deid.image"):
        try:
            import importlib

            importlib.import_module(module).warm_up()
        except Exception as exc:  # noqa: BLE001 - a missing engine withholds parts later
            log.warning("could not warm %s (%s); its parts will be withheld", module, reason_of(exc))


@dataclass(slots=True)
class CaseTask:
    case_key: str  # relative path of the case in the source (operator record)
    case_dir: str  # output folder name (keyed pseudonym)
    inputs: list[tuple[str, bytes]]  # (relative path, content)
    review: bool = False


@dataclass(slots=True)
class CaseOutcome:
    case_key: str
    case_dir: str
    entries: list[Entry]
    files: list[tuple[str, bytes]] = field(repr=False)  # (relative output path, bytes)
    report: dict[str, Any] = field(default_factory=dict)  # the case Report (no PHI)
    review: list[dict[str, Any]] | None = field(default=None, repr=False)  # HTML material (PHI)
    seconds: float = 0.0


def process_case(task: CaseTask, policy_data: dict[str, Any], key: bytes) -> CaseOutcome:
    """Scrub one case; never raises for a bad input (its parts are withheld)."""
    from deid.case import CasePart, scrub_case
    from deid.core.context import CaseContext
    from deid.core.policy import Policy

    warm_engines()
    t0 = time.perf_counter()
    policy = Policy.from_dict(policy_data)
    context = CaseContext(key, case_id=task.case_dir)
    items = [CasePart(data, name=rel) for rel, data in task.inputs]
    result = scrub_case(items, policy, context)
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

            review.append(part_review(part, task.inputs[part.index][1], policy))
    return CaseOutcome(
        case_key=task.case_key,
        case_dir=task.case_dir,
        entries=entries,
        files=files,
        report=result.report.to_dict(),
        review=review,
        seconds=time.perf_counter() - t0,
    )
