"""``deid verify DST``: re-detect identifiers in the outputs of a scrub run.

Texts are re-analysed with :func:`deid.text.find_phi`; images and DICOM files go through
the image / DICOM modules' verification. The manifest and the review report are operator
records, not outputs: they are listed as such and not verified (they name inputs / show
PHI by design and must never be published).

Kinds that the policy renders as realistic values on purpose (shifted dates; every kind
under the ``surrogate`` operator) cannot be told apart from real ones in the output, so
they are not counted; the report says which kinds were ignored.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from deid.batch.manifest import MANIFEST_NAME
from deid.batch.report_html import MARKER
from deid.batch.sources import is_archive, open_source
from deid.case.parts import sniff_kind
from deid.core.errors import reason_of
from deid.core.policy import Policy

log = logging.getLogger(__name__)


def ignored_text_kinds(policy: Policy) -> set[str]:
    kinds: set[str] = set(policy.text.keep_kinds)
    if policy.text.dates == "shift":
        kinds |= {"DATE"}
    if policy.text.operator == "surrogate":
        kinds |= {"*"}
    return kinds


def _verify_text(data: bytes, policy: Policy, ignored: set[str]) -> Counter[str]:
    from deid.text import find_phi

    text = data.decode("utf-8", errors="replace")
    if "*" in ignored:
        return Counter()
    return Counter(d.kind for d in find_phi(text, policy) if d.kind not in ignored)


def _verify_pixels(kind: str, data: bytes, policy: Policy) -> Counter[str]:
    """Findings still readable in an image or DICOM output (kinds -> counts)."""
    if kind == "image":
        from deid.image import verify_image  # type: ignore[attr-defined]

        return Counter(verify_image(data, policy))
    from deid.dicom import verify_dicom  # type: ignore[attr-defined]

    return Counter(verify_dicom(data, policy))


def verify_outputs(dst: Path, policy: Policy, *, as_json: bool = False, quiet: bool = False) -> bool:
    """True when nothing readable remains in any output."""
    ignored = ignored_text_kinds(policy)
    results: list[dict[str, Any]] = []
    records: list[str] = []
    with tempfile.TemporaryDirectory() as _tmp, open_source(dst, max_bytes=policy.dicom.max_file_bytes) as src:
        for case in src.cases:
            for rel in case.all_inputs:
                name = rel.rsplit("/", 1)[-1]
                if name == MANIFEST_NAME or name.endswith(".manifest.jsonl") or rel in case.ignored:
                    records.append(rel)
                    continue
                try:
                    data = src.read(rel)
                except Exception as exc:  # noqa: BLE001
                    results.append({"output": rel, "kind": "unknown", "ok": False, "error": reason_of(exc)})
                    continue
                if MARKER.encode() in data[:4096]:
                    records.append(rel)
                    continue
                kind = sniff_kind(data)
                row: dict[str, Any] = {"output": rel, "kind": kind}
                try:
                    if kind == "text":
                        found = _verify_text(data, policy, ignored)
                    elif kind in ("image", "dicom"):
                        found = _verify_pixels(kind, data, policy)
                    else:
                        raise ValueError("unknown output type")
                    row["found"] = dict(found)
                    row["ok"] = not found
                except Exception as exc:  # noqa: BLE001 - could not verify: that is a failure
                    row["ok"] = False
                    row["error"] = reason_of(exc)
                results.append(row)
    ok = all(r["ok"] for r in results)
    if as_json:
        print(json.dumps({"ok": ok, "outputs": results, "operator_records": len(records),
                          "ignored_text_kinds": sorted(ignored)}, sort_keys=True))
    elif not quiet:
        for r in results:
            if not r["ok"]:
                what = r.get("error") or ", ".join(f"{k} {v}" for k, v in r.get("found", {}).items())
                print(f"RESIDUAL {r['output']}: {what}")
        print(f"verified {len(results)} output(s): {'clean' if ok else 'IDENTIFIERS REMAIN'}"
              + (f"; ignored text kinds (realistic by policy): {', '.join(sorted(ignored))}" if ignored else ""))
        if records:
            print(f"{len(records)} operator record(s) not verified (manifest / review report: never publish)")
    if is_archive(dst):
        log.debug("verified an archive")
    return ok
