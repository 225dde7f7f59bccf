"""``manifest.jsonl``: one JSON object per input, the operator's record of a run.

The manifest names inputs (their relative paths may themselves be PHI), so it is an
operator record for resume and audit: it is never published with the outputs, and
``deid verify`` does not count it as an output.

Crash safety: outputs of a chunk of cases (consecutive cases sent to a worker as one
task) are renamed into place and flushed to disk first, then the chunk's lines are
appended and fsync'd. A run killed in between leaves outputs without lines: their cases
are redone on resume and rewrites the same names (names derive from the key), so nothing is
duplicated. A line cut by a kill is ignored on read. At the end of a run the manifest is
compacted (last line per input wins) and replaced atomically.

Private: the manifest and its compaction temp file are created 0600 (``os.open`` with the
mode, so there is no moment at which others could open them); a manifest left 0644 by an
older version is tightened to 0600 when a run opens it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
PRIVATE_MODE = 0o600  # the manifest names inputs: readable by its owner only
Status = Literal["scrubbed", "withheld", "skipped"]


@dataclass(slots=True)
class Entry:
    input: str  # relative path in the source (operator record; may be PHI)
    output: str | None  # relative path in the destination, or None
    status: Status
    reason: str | None = None
    kind: str | None = None  # text | image | dicom | unknown
    case: str | None = None  # the case's output folder
    findings: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "input": self.input,
                "output": self.output,
                "status": self.status,
                "reason": self.reason,
                "kind": self.kind,
                "case": self.case,
                "findings": self.findings,
            },
            ensure_ascii=False,
            sort_keys=False,
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(
            input=str(d["input"]),
            output=d.get("output"),
            status=d["status"],
            reason=d.get("reason"),
            kind=d.get("kind"),
            case=d.get("case"),
            findings=dict(d.get("findings") or {}),
        )


def read_manifest(path: Path) -> dict[str, Entry]:
    """Input -> its last entry. Unparseable lines (a write cut by a kill) are skipped."""
    entries: dict[str, Entry] = {}
    if not path.exists():
        return entries
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                entry = Entry.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError):
                log.warning("ignored an unreadable manifest line (cut by an interrupted run?)")
                continue
            entries[entry.input] = entry
    return entries


class ManifestWriter:
    """Append-only, fsync'd after each append (a chunk of cases)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_MODE)
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, PRIVATE_MODE)  # written by an older version: make it private
        self._fh = os.fdopen(fd, "a+b")
        # A previous run killed mid-line leaves no newline: start on a fresh line.
        self._fh.seek(0, os.SEEK_END)
        if self._fh.tell() > 0:
            self._fh.seek(-1, os.SEEK_END)
            if self._fh.read(1) != b"\n":
                self._fh.write(b"\n")
        self._fh.seek(0, os.SEEK_END)

    def append(self, entries: Iterable[Entry]) -> None:
        data = "".join(e.to_json() + "\n" for e in entries).encode("utf-8")
        if data:
            self._fh.write(data)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def compact_manifest(path: Path, order: list[str] | None = None) -> dict[str, Entry]:
    """Rewrite the manifest with one line per input (last wins), atomically."""
    entries = read_manifest(path)
    keys = [k for k in (order or []) if k in entries] + sorted(set(entries) - set(order or []))
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # left by a run killed while compacting
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for k in keys:
            fh.write(entries[k].to_json() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return entries
