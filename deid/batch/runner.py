"""run_batch: walk a source, scrub its cases (in-process, a process pool or Dask: see
:mod:`deid.batch.executors`), write outputs atomically, keep the manifest, resume.

The unit of work is a case (one CaseContext): a case is skipped on ``--resume`` when
every input of it is recorded as scrubbed with its output present, or withheld for a
permanent reason (a corrupt file stays corrupt); otherwise the whole case is redone,
because its parts share one deny-list. Output names derive from the key, so a redone
case overwrites its own earlier outputs instead of duplicating them.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deid.batch.executors import auto_workers, make_executor
from deid.batch.manifest import (
    MANIFEST_NAME,
    Entry,
    ManifestWriter,
    compact_manifest,
    read_manifest,
)
from deid.batch.sink import check_output_name, pack_archive, remove_temp_files, write_durably
from deid.batch.sources import CaseSpec, Source, SourceLimits, is_archive, open_source
from deid.batch.worker import CaseOutcome, CaseTask, drop_series_book, process_cases
from deid.core.context import CaseContext, key_id
from deid.core.errors import InputError, reason_of
from deid.core.policy import DEFAULT_POLICY, Policy

log = logging.getLogger(__name__)

# Withheld for these reasons -> retried on --resume (the cause may be gone next time).
TRANSIENT_REASONS = ("engine_unavailable", "deadline_exceeded", "worker_crashed", "internal_error", "unreadable_file")


@dataclass(slots=True)
class BatchOptions:
    policy: Policy = DEFAULT_POLICY
    key: bytes = b""
    workers: int = 1  # 0: auto (executors.auto_workers: usable CPUs, memory, cases to run)
    resume: bool = False
    dry_run: bool = False
    dask: str | None = None  # scheduler address, e.g. tcp://10.0.0.5:8786
    review: bool = False  # collect material for the HTML review report
    server: str | None = None  # scrub through a deid gRPC server (host:port)
    report_path: Path | None = None
    single_case: bool = False  # the whole source is one case (one deny-list, one date shift)
    source_limits: SourceLimits | None = None  # reading caps (None: SourceLimits() defaults)


@dataclass(slots=True)
class BatchSummary:
    cases: int = 0
    inputs: int = 0
    scrubbed: int = 0
    withheld: int = 0
    skipped: int = 0
    resumed: int = 0  # inputs skipped because a previous run did them
    cases_done: int = 0
    cases_resumed: int = 0
    files_processed: int = 0  # inputs of the cases this run processed (what progress counts)
    withheld_reasons: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    dry_run: bool = False
    workers: int = 0  # worker processes the run used (1: in this process)
    manifest: str | None = None
    output: str | None = None
    report: str | None = None
    key_id: str | None = None  # public fingerprint of the key: which release key made the outputs

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "cases": self.cases,
            "inputs": self.inputs,
            "scrubbed": self.scrubbed,
            "withheld": self.withheld,
            "skipped": self.skipped,
            "resumed": self.resumed,
            "cases_processed": self.cases_done,
            "cases_resumed": self.cases_resumed,
            "files_processed": self.files_processed,
            "withheld_reasons": dict(sorted(self.withheld_reasons.items())),
            "findings": dict(sorted(self.findings.items())),
            "kinds": dict(sorted(self.kinds.items())),
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.inputs / self.seconds, 3) if self.seconds > 0 else None,
            "dry_run": self.dry_run,
            "workers": self.workers,
            "manifest": self.manifest,
            "output": self.output,
            "report": self.report,
        }


# progress(event, done, total, outcome): ("files", 0, files to process, None), then
# ("start", 0, cases to process, None), then ("case", cases done, cases, outcome) per case.
ProgressFn = Callable[[str, int, int, "CaseOutcome | None"], None]


def _is_transient(reason: str | None) -> bool:
    return bool(reason) and any(str(reason).startswith(r) for r in TRANSIENT_REASONS)


def _case_done(case: CaseSpec, prior: dict[str, Entry], out_root: Path) -> bool:
    for rel in case.inputs:
        e = prior.get(rel)
        if e is None:
            return False
        if e.status == "scrubbed":
            if not e.output or not (out_root / e.output).is_file():
                return False
        elif e.status == "withheld":
            if _is_transient(e.reason):
                return False
        else:
            return False
    return True


def case_dirs(cases: list[CaseSpec], key: bytes) -> dict[str, str]:
    """Case key -> output folder name, a keyed pseudonym (unique within the run)."""
    ctx = CaseContext(key)
    out: dict[str, str] = {}
    used: set[str] = set()
    for case in cases:
        name = ctx.pseudonym("case-dir", case.key, prefix="case", length=12)
        n = 2
        base = name
        while name in used:  # keys equal after case-folding: keep both, never merge
            name = f"{base}-{n}"
            n += 1
        used.add(name)
        out[case.key] = name
    return out


def _make_executor(opts: BatchOptions) -> Any:
    return make_executor(opts.policy.to_dict(), workers=opts.workers, dask=opts.dask, server=opts.server)


def _read_case(source: Source, case: CaseSpec) -> tuple[list[tuple[str, bytes | Path]], list[Entry]]:
    """Read a case's inputs (bounded: see SourceLimits); unreadable ones are withheld."""
    inputs, reasons = source.read_case(case)
    failed = [Entry(input=rel, output=None, status="withheld", reason=why) for rel, why in reasons.items()]
    return inputs, failed


def run_batch(
    src: str | Path,
    dst: str | Path,
    opts: BatchOptions,
    *,
    progress: ProgressFn | None = None,
) -> BatchSummary:
    """Scrub every case of ``src`` into ``dst`` (a folder, or an archive path)."""
    if len(opts.key) < 16 and not opts.dry_run:
        raise InputError("a pseudonymisation key is required", reason="missing_key")
    t0 = time.perf_counter()
    dst = Path(dst)
    src_dir = Path(src).resolve()
    if src_dir.is_dir() and (dst.resolve() == src_dir or src_dir in dst.resolve().parents):
        # Outputs inside the source would be read back as inputs by the next run.
        raise InputError("the destination must not be inside the source folder", reason="dst_inside_src")
    to_archive = is_archive(dst)
    out_root = dst.with_name(dst.name + ".partial") if to_archive else dst
    manifest_path = out_root / MANIFEST_NAME
    summary = BatchSummary(dry_run=opts.dry_run, key_id=None if opts.dry_run else key_id(opts.key))
    source = open_source(src, max_bytes=opts.policy.dicom.max_file_bytes, limits=opts.source_limits)
    try:
        if opts.single_case and len(source.cases) > 1:
            merged = CaseSpec(key=".")
            for c in source.cases:
                merged.inputs.extend(c.inputs)
                merged.rejected.update(c.rejected)
                merged.ignored.update(c.ignored)
            source.cases = [merged]
        cases = source.cases
        summary.cases = len(cases)
        dirs = case_dirs(cases, opts.key or b"0" * 32)
        prior = read_manifest(manifest_path) if opts.resume else {}
        todo: list[CaseSpec] = []
        static_entries: list[Entry] = []
        for case in cases:
            for rel, why in case.rejected.items():
                static_entries.append(Entry(input=rel, output=None, status="withheld", reason=why, case=dirs[case.key]))
            for rel, why in case.ignored.items():
                static_entries.append(Entry(input=rel, output=None, status="skipped", reason=why, case=dirs[case.key]))
            if opts.resume and case.inputs and _case_done(case, prior, out_root):
                summary.cases_resumed += 1
                for rel in case.inputs:
                    _count(summary, prior[rel], resumed=True)
            elif case.inputs:
                todo.append(case)
        for e in static_entries:
            _count(summary, e)

        if opts.dry_run:
            for case in todo:
                for rel in case.inputs:
                    summary.inputs += 1
                    summary.kinds[_sniff(source, rel)] += 1
            summary.seconds = time.perf_counter() - t0
            return summary

        if opts.workers < 1:
            # auto: never more processes than cases (a case runs in one process), nor than
            # gives each MIN_INPUTS_PER_WORKER inputs: a small run, or a single case, runs in
            # this process without starting a pool.
            inputs = sum(len(c.inputs) for c in todo)
            opts = dataclasses.replace(opts, workers=auto_workers(len(todo), inputs))
        # Local worker processes only: with --dask or --server the work runs elsewhere.
        summary.workers = 0 if (opts.dask or opts.server) else opts.workers
        remove_temp_files(out_root)
        if not opts.resume:
            _clear_previous_run(out_root, manifest_path)
        out_root.mkdir(parents=True, exist_ok=True)
        writer = ManifestWriter(manifest_path)
        writer.append(static_entries)
        reviews: list[dict[str, Any]] = []
        policy_data = opts.policy.to_dict()
        executor = _make_executor(opts)
        try:
            window = max(2, 2 * (opts.workers if not opts.dask else 8))
            queue: Iterator[list[CaseSpec]] = iter(_chunks(todo, opts))
            pending: dict[Any, tuple[list[CaseTask], list[tuple[CaseSpec, list[Entry]]]]] = {}
            total = len(todo)
            # Series memories per worker process for this run (loose slices of a series,
            # each a case, share them); Dask runs cases on worker threads: one per case.
            series_run = None if (opts.dask or opts.server) else secrets.token_hex(8)

            def fill() -> None:
                while len(pending) < window:
                    chunk = next(queue, None)
                    if chunk is None:
                        return
                    tasks, read = [], []
                    for case in chunk:
                        inputs, failed = _read_case(source, case)
                        if opts.dask:  # remote workers share no file system with us
                            inputs = [(r, d.read_bytes() if isinstance(d, Path) else d) for r, d in inputs]
                        tasks.append(CaseTask(case.key, dirs[case.key], inputs, review=opts.review and not opts.server,
                                              server=opts.server, series_run=series_run))
                        read.append((case, failed))
                    pending[executor.submit(process_cases, tasks, policy_data, opts.key)] = (tasks, read)

            if progress is not None:
                progress("files", 0, sum(len(c.inputs) for c in todo), None)
                progress("start", 0, total, None)
            fill()
            while pending:
                done, _ = executor.wait_any(set(pending))
                for fut in done:
                    tasks, read = pending.pop(fut)
                    try:
                        results: list[CaseOutcome | str] = fut.result()
                    except Exception as exc:  # noqa: BLE001 - the cases are withheld, the run goes on
                        if len(tasks) > 1:
                            # The chunk failed as a whole (a worker died): one case may be
                            # the cause. Each case is tried again alone, so only the culprit
                            # is withheld, and a resumed run does not fail the same way.
                            log.warning("a chunk of %d cases failed as a whole (%s): retried one by one",
                                        len(tasks), reason_of(exc))
                            for task, item in zip(tasks, read, strict=True):
                                pending[executor.submit(process_cases, [task], policy_data, opts.key)] = ([task], [item])
                            continue
                        results = [reason_of(exc)] * len(read)
                    for case, _failed in read:
                        source.release(case.key)  # its spooled members
                    outcomes: list[CaseOutcome] = []
                    for (case, failed), res in zip(read, results, strict=True):
                        if isinstance(res, str):
                            reason = res
                            if "BrokenProcessPool" in reason or "KilledWorker" in reason:
                                reason = "worker_crashed"
                            log.warning("a case failed as a whole: %s", reason)
                            res = CaseOutcome(
                                case.key, dirs[case.key],
                                [Entry(input=rel, output=None, status="withheld", reason=reason)
                                 for rel in case.inputs if rel not in {f.input for f in failed}],
                                files=[],
                            )
                        for e in failed:
                            e.case = res.case_dir
                            e.kind = "unknown"
                        res.entries.extend(failed)
                        for e in res.entries:
                            e.case = res.case_dir
                        outcomes.append(res)
                    # Every output of the chunk first (atomic, fsync'd), then its manifest
                    # lines in one fsync'd append: a crash in between leaves outputs without
                    # lines, and --resume redoes those cases (their names are keyed, so the
                    # redo overwrites them), as it does for a single case.
                    _write_outcomes(out_root, outcomes, writer)
                    for outcome in outcomes:
                        for e in outcome.entries:
                            _count(summary, e)
                        summary.cases_done += 1
                        summary.files_processed += len(outcome.entries)
                        if outcome.review is not None:
                            reviews.append({"case": outcome.case_dir, "parts": outcome.review,
                                            "report": outcome.report})
                        if progress is not None:
                            progress("case", summary.cases_done, total, outcome)
                fill()
        finally:
            executor.close()
            writer.close()
            drop_series_book()  # the in-process executor's memories (pool workers end)
        order = [e for c in cases for e in c.all_inputs]
        compact_manifest(manifest_path, order)
        summary.manifest = str(manifest_path)
        if to_archive:
            pack_archive(out_root, dst, exclude={MANIFEST_NAME})
            final_manifest = dst.with_name(dst.name + ".manifest.jsonl")
            shutil.move(str(manifest_path), final_manifest)
            shutil.rmtree(out_root)
            summary.manifest = str(final_manifest)
        summary.output = str(dst)
        summary.seconds = time.perf_counter() - t0
        if opts.report_path is not None:
            from deid.batch.report_html import write_report

            write_report(opts.report_path, reviews, summary)
            summary.report = str(opts.report_path)
        return summary
    finally:
        source.close()


def _clear_previous_run(out_root: Path, manifest_path: Path) -> None:
    """A run without --resume starts over: the outputs an earlier run recorded in this
    destination are removed (with another key they would sit beside the new ones under
    other names). Only files named by the old manifest are touched."""
    previous = read_manifest(manifest_path)
    if not previous:
        return
    removed = 0
    for entry in previous.values():
        if not entry.output:
            continue
        try:
            case_dir, name = entry.output.split("/", 1)
            path = out_root / check_output_name(case_dir) / check_output_name(name)
        except (ValueError, InputError):
            continue
        if path.is_file():
            path.unlink()
            removed += 1
        try:
            path.parent.rmdir()
        except OSError:
            pass  # not empty (or gone): leave it
    manifest_path.unlink()
    log.info("removed %d outputs of an earlier run (no --resume)", removed)


def _sniff(source: Source, rel: str) -> str:
    return source.sniff(rel)


def _count(summary: BatchSummary, e: Entry, *, resumed: bool = False) -> None:
    summary.inputs += 1
    if resumed:
        summary.resumed += 1
    if e.kind:
        summary.kinds[e.kind] += 1
    if e.status == "scrubbed":
        summary.scrubbed += 1
        summary.findings.update(e.findings)
    elif e.status == "withheld":
        summary.withheld += 1
        summary.withheld_reasons[e.reason or "unknown"] += 1
    else:
        summary.skipped += 1


def _write_outcomes(out_root: Path, outcomes: list[CaseOutcome], writer: ManifestWriter) -> None:
    """Outputs first (atomic renames, on disk), then the manifest lines (one fsync'd append)."""
    items = []
    for outcome in outcomes:
        for rel, data in outcome.files:
            case_dir, name = rel.split("/", 1)
            check_output_name(case_dir)
            check_output_name(name)
            items.append((out_root / case_dir / name, data))
    write_durably(items)
    writer.append([e for outcome in outcomes for e in outcome.entries])


# Consecutive cases sent to a worker as one task: loose files (each its own case) of a
# series stay together in one worker's series memory, in order, and a task's overhead
# (pickling, the policy, one manifest fsync) is paid once per chunk, not per file.
CHUNK_INPUTS = 32
# With several workers a chunk is a contiguous share of the run, up to this many inputs:
# a worker whose next chunk starts far into a series it was reading meets slices unlike
# those it has seen and reads what changed (on the 200-slice CT phantom, flat, 2 workers,
# chunks of 25 cost about the CPU of shares of 100, 10.0 against 9.9 s, but one run
# filled anatomy read as text at chunk starts); fewer, longer shares keep a series in
# order. Bounded because up to 2 chunks per worker are in flight, in memory (64 CT
# slices: ~32 MB).
CHUNK_INPUTS_POOL = 64


def _chunks(todo: list[CaseSpec], opts: BatchOptions) -> Iterator[list[CaseSpec]]:
    """Consecutive cases: in one process up to ``CHUNK_INPUTS`` inputs a chunk (a bigger
    case alone); with several workers an equal contiguous share per worker, up to
    ``CHUNK_INPUTS_POOL`` inputs (so a series split across workers is split once per
    worker, not every 32 slices). One case per chunk on Dask and with a server (remote
    workers balance better)."""
    total = sum(len(c.inputs) for c in todo)
    if opts.dask or opts.server:
        limit = 1
    elif opts.workers > 1:
        limit = max(1, min(CHUNK_INPUTS_POOL, -(-total // opts.workers)))
    else:
        limit = max(1, min(CHUNK_INPUTS, -(-total // 4)))
    chunk: list[CaseSpec] = []
    size = 0
    for case in todo:
        n = len(case.inputs)
        if chunk and size + n > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(case)
        size += n
    if chunk:
        yield chunk
