"""Terminal output: a rich progress bar on a TTY, plain periodic lines otherwise, a summary.

Nothing printed here names an input or a case: progress is counts, rates and times,
findings are kinds and counts.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

# Plain (non-terminal) progress: a line at every tenth of the files and at least every
# PLAIN_EVERY_SECONDS while files complete, plus one at the end. Logs of unattended runs
# then show progress without a line per case (5,000 cases would be 5,000 lines).
PLAIN_EVERY_SECONDS = 10.0
PLAIN_STEPS = 10


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Reporter:
    """Progress over files and the final summary, on ``stream`` (stderr by default).

    A live bar (rich) when the stream is a terminal; plain periodic lines otherwise;
    nothing but the summary with ``quiet``. Progress shows counts, rates and times only,
    never a file or case name (input names can carry PHI).
    """

    def __init__(
        self, *, quiet: bool, as_json: bool, stream: TextIO | None = None,
        every_seconds: float = PLAIN_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self.as_json = as_json
        self.stream = stream or sys.stderr
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_seconds = every_seconds
        self.clock = clock
        self._progress: Any = None
        self._task: Any = None
        self.files_total = 0
        self.files_done = 0
        self.scrubbed = 0
        self.withheld = 0
        self.cases_total = 0
        self.cases_done = 0
        self._t0 = 0.0
        self._last_line_at = 0.0
        self._last_step = 0
        self._started = False

    # --- events from run_batch ----------------------------------------------------------
    def set_files(self, total: int) -> None:
        self.files_total = total

    def start(self, total_cases: int) -> None:
        self.cases_total = total_cases
        self._t0 = self._last_line_at = self.clock()
        self._started = True
        if self.quiet:
            return
        if self.is_terminal:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]scrubbing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TextColumn("left"),
                TimeRemainingColumn(), console=Console(file=self.stream), transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("files", total=self.files_total, detail="(starting engines)")
        else:
            print(f"deid: {self.files_total} files in {self.cases_total} cases to scrub", file=self.stream,
                  flush=True)

    def case_done(self, outcome: Any) -> None:
        self.cases_done += 1
        self.files_done += len(outcome.entries)
        self.scrubbed += sum(e.status == "scrubbed" for e in outcome.entries)
        self.withheld += sum(e.status == "withheld" for e in outcome.entries)
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.update(self._task, completed=self.files_done, detail=self._detail())
            return
        now = self.clock()
        step = self.files_done * PLAIN_STEPS // max(1, self.files_total)
        if step > self._last_step or now - self._last_line_at >= self.every_seconds \
                or self.cases_done == self.cases_total:
            self._last_step = step
            self._last_line_at = now
            print(self.line(), file=self.stream, flush=True)

    def rate(self) -> float:
        return self.files_done / max(1e-9, self.clock() - self._t0)

    def _detail(self) -> str:
        return f"{self.withheld} withheld  {self.rate():.1f} files/s"

    def line(self) -> str:
        """One plain progress line: counts, rate, elapsed and estimated time left."""
        elapsed = self.clock() - self._t0
        rate = self.files_done / max(1e-9, elapsed)
        left = (self.files_total - self.files_done) / rate if rate > 0 else None
        pct = 100.0 * self.files_done / self.files_total if self.files_total else 100.0
        return (
            f"progress: {self.files_done}/{self.files_total} files ({pct:.0f}%), "
            f"{self.scrubbed} scrubbed, {self.withheld} withheld, "
            f"{self.cases_done}/{self.cases_total} cases, {rate:.2f} files/s, "
            f"elapsed {_clock(elapsed)}, left {_clock(left) if left is not None else '?'}"
        )

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def summary(self, s: dict[str, Any]) -> None:
        if self.as_json:
            print(json.dumps(s, sort_keys=True), flush=True)
            return
        rows = [
            ("cases", s["cases"]), ("files", s["inputs"]), ("scrubbed", s["scrubbed"]),
            ("withheld", s["withheld"]), ("skipped", s["skipped"]),
            ("already done (resume)", s["resumed"]), ("processed this run", s.get("files_processed", 0)),
            ("time", f"{s['seconds']:.1f} s"),
            ("rate", f"{s['files_per_second'] or 0:.2f} files/s"),
        ]
        if s.get("workers"):
            rows.append(("worker processes", s["workers"]))
        reasons = ", ".join(f"{k} {v}" for k, v in s["withheld_reasons"].items()) or "-"
        findings = ", ".join(f"{k} {v}" for k, v in s["findings"].items()) or "-"
        rows += [("withheld reasons", reasons), ("findings by kind", findings)]
        if s.get("dry_run"):
            rows.insert(0, ("DRY RUN", "nothing written; kinds: " + ", ".join(f"{k} {v}" for k, v in s["kinds"].items())))
        if self.is_terminal:
            from rich.console import Console
            from rich.table import Table

            t = Table(title="deid scrub summary", show_header=False)
            for k, v in rows:
                t.add_row(k, str(v))
            Console(file=self.stream).print(t)
        else:
            width = max(len(k) for k, _ in rows)
            for k, v in rows:
                print(f"{k:<{width}}  {v}", file=self.stream)
        if s.get("manifest"):
            print(f"manifest (operator record, names inputs: never publish): {s['manifest']}", file=self.stream)
        if s.get("report"):
            print(f"review report (CONTAINS PHI: reviewer only): {s['report']}", file=self.stream)
