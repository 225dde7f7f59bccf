"""``deid inspect``: scrub the given files as one case in memory and print what was found.

Nothing is written. Files are listed by their position on the command line, not by name
(names may be PHI and terminal output ends up in tickets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deid.core.context import CaseContext
from deid.core.policy import Policy


def inspect_files(files: list[Path], policy: Policy, *, as_json: bool = False, quiet: bool = False) -> int:
    """Print kinds and counts per file; exit 3 if any file would be withheld."""
    from deid.case import CasePart, scrub_case

    result = scrub_case([CasePart(f) for f in files], policy, CaseContext.ephemeral())
    rows: list[dict[str, Any]] = []
    for part in result.parts:
        rows.append({
            "position": part.index + 1,
            "kind": part.kind,
            "would_be": "withheld" if part.withheld else "scrubbed",
            "reason": part.report.withheld_reason,
            "findings": part.report.counts_by_kind(),
            "residual_risk": part.report.residual_risk,
        })
    if as_json:
        print(json.dumps({"parts": rows, "case_residual_risk": result.report.residual_risk}, sort_keys=True))
    elif not quiet:
        for r in rows:
            counts = ", ".join(f"{k} {v}" for k, v in r["findings"].items()) or "nothing found"
            extra = f" ({r['reason']})" if r["reason"] else ""
            print(f"[{r['position']}] {r['kind']}: {counts}; would be {r['would_be']}{extra}")
        for risk in result.report.residual_risk:
            print(f"residual risk: {risk}")
    return 3 if any(p.withheld for p in result.parts) else 0
