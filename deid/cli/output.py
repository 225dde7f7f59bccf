"""Terminal output: a rich progress bar on a TTY, plain lines otherwise, a summary table.

Nothing printed here names an input: cases appear under their output folder
pseudonyms, findings as kinds and counts.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


class Reporter:
    def __init__(self, *, quiet: bool, as_json: bool, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.as_json = as_json
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) and not (quiet or as_json)
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if self.tty:
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
                TextColumn("[bold]scrubbing cases"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._progress.start()
            self._task = self._progress.add_task("cases", total=total, rate="")
            self._t0 = __import__("time").perf_counter()
            self._files = 0

    def case_done(self, done: int, total: int, outcome: Any) -> None:
        n_ok = sum(e.status == "scrubbed" for e in outcome.entries)
        n_wh = sum(e.status == "withheld" for e in outcome.entries)
        if self._progress is not None:
            import time

            self._files += len(outcome.entries)
            rate = self._files / max(1e-9, time.perf_counter() - self._t0)
            self._progress.update(self._task, completed=done, rate=f"{rate:.1f} files/s")
        elif not (self.quiet or self.as_json):
            print(
                f"[{done}/{total}] {outcome.case_dir}: {n_ok} scrubbed, {n_wh} withheld "
                f"({outcome.seconds:.1f} s)",
                file=self.stream, flush=True,
            )

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def summary(self, s: dict[str, Any]) -> None:
        if self.as_json:
            print(json.dumps(s, sort_keys=True), flush=True)
            return
        if self.quiet:
            return
        rows = [
            ("cases", s["cases"]), ("files", s["inputs"]), ("scrubbed", s["scrubbed"]),
            ("withheld", s["withheld"]), ("skipped", s["skipped"]),
            ("already done (resume)", s["resumed"]), ("time", f"{s['seconds']:.1f} s"),
            ("rate", f"{s['files_per_second'] or 0:.2f} files/s"),
        ]
        reasons = ", ".join(f"{k} {v}" for k, v in s["withheld_reasons"].items()) or "-"
        findings = ", ".join(f"{k} {v}" for k, v in s["findings"].items()) or "-"
        rows += [("withheld reasons", reasons), ("findings by kind", findings)]
        if s.get("dry_run"):
            rows.insert(0, ("DRY RUN", "nothing written; kinds: " + ", ".join(f"{k} {v}" for k, v in s["kinds"].items())))
        if self.tty:
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
