"""The review report: one static HTML page, no scripts, no network, images inline.

It shows the "before" side, so it holds PHI: it is written only when asked for
(``--report``), says so in a banner at its top, and carries a marker
(``<meta name="deid-review-report">``) that ``deid verify`` uses to list it as an
operator record rather than an output.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deid.batch.sink import atomic_write

MARKER = '<meta name="deid-review-report" content="contains-phi">'

_CSS = """
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
.phi{background:#b00020;color:#fff;padding:14px 22px;font-size:17px;font-weight:600}
main{padding:16px 22px}
h1{font-size:22px;margin:8px 0 4px} h2{font-size:18px;margin:0 0 8px}
.summary td,.summary th{padding:3px 10px;text-align:left;border-bottom:1px solid #ddd}
.case{background:#fff;border:1px solid #d8dbe2;border-radius:8px;margin:16px 0;padding:14px}
.part{border-top:1px solid #eee;padding:10px 0}
.pair{display:flex;gap:18px;flex-wrap:wrap}
figure{margin:0} figcaption{font-size:12px;color:#555;margin-top:4px}
.frame{position:relative;display:inline-block;line-height:0;background:#000}
.box{position:absolute;border:2px solid #ff2d55;box-sizing:border-box}
.box.face{border-color:#ffcc00}
.scrubbed{white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;
 background:#fafafa;border:1px solid #e3e3e3;padding:10px;max-width:900px}
mark{background:#ffe08a;padding:0 1px}
.withheld{color:#b00020;font-weight:600}
.tag{display:inline-block;font-size:12px;background:#eef;border-radius:4px;padding:1px 6px;margin-right:4px}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _counts(counts: dict[str, int]) -> str:
    return "".join(f'<span class="tag">{_e(k)} {int(v)}</span>' for k, v in sorted(counts.items())) or "none"


def _image_part(p: dict[str, Any]) -> str:
    out = ['<div class="pair">']
    if p.get("before"):
        boxes = "".join(
            f'<div class="box{" face" if b["kind"] == "FACE" else ""}" title="{_e(b["kind"])}" '
            f'style="left:{int(b["x"])}px;top:{int(b["y"])}px;width:{int(b["w"])}px;height:{int(b["h"])}px"></div>'
            for b in p.get("boxes", [])
        )
        out.append(
            f'<figure><div class="frame"><img class="before" alt="before" src="{p["before"]}">{boxes}</div>'
            f"<figcaption>before (PHI) — {len(p.get('boxes', []))} region(s) outlined</figcaption></figure>"
        )
    if p.get("after"):
        out.append(
            f'<figure><div class="frame"><img class="after" alt="after" src="{p["after"]}"></div>'
            "<figcaption>after</figcaption></figure>"
        )
    if p.get("preview_error"):
        out.append(f'<p>preview unavailable ({_e(p["preview_error"])})</p>')
    out.append("</div>")
    return "".join(out)


def _text_part(p: dict[str, Any]) -> str:
    segs = p.get("segments") or []
    body = "".join(f"<mark>{_e(t)}</mark>" if changed else _e(t) for t, changed in segs)
    return f'<div class="scrubbed">{body}</div>'


def render_report(cases: Sequence[dict[str, Any]], summary: Any) -> str:
    """The whole page as a string."""
    s = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(s.get(k))}</td></tr>"
        for k in ("cases", "inputs", "scrubbed", "withheld", "skipped", "resumed", "seconds")
    )
    reasons = _counts(s.get("withheld_reasons", {}))
    parts_html: list[str] = []
    for case in sorted(cases, key=lambda c: c["case"]):
        blocks = []
        for p in case["parts"]:
            head = (
                f'<h3 style="font-size:15px;margin:4px 0">{_e(p["kind"])} part {_e(p["part"].split(":")[-1])}'
                f' → {_e(p.get("output") or "nothing written")}</h3>'
            )
            if p["withheld"]:
                body = f'<p class="withheld">withheld: {_e(p.get("reason") or "unknown")}</p>'
            elif p["kind"] == "text":
                body = _text_part(p)
            else:
                body = _image_part(p)
            risk = "".join(f"<li>{_e(r)}</li>" for r in [*p.get("residual_risk", []), *p.get("notes", [])])
            v = p.get("verification")
            if v and v.get("ran"):
                state = "passed" if v.get("passed") else f"FAILED ({int(v.get('residual', 0))} residual)"
                head += f'<div class="verify">verification: {_e(state)}</div>'
            blocks.append(
                f'<section class="part {"withheld-part" if p["withheld"] else "ok-part"}">{head}'
                f"<div>findings: {_counts(p.get('counts', {}))}</div>{body}"
                f"{'<ul>' + risk + '</ul>' if risk else ''}</section>"
            )
        case_risk = "".join(f"<li>{_e(r)}</li>" for r in case.get("report", {}).get("residual_risk", []))
        parts_html.append(
            f'<article class="case"><h2>{_e(case["case"])}</h2>'
            f"{'<ul class=withheld>' + case_risk + '</ul>' if case_risk else ''}{''.join(blocks)}</article>"
        )
    generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"{MARKER}"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; style-src \'unsafe-inline\'">'
        "<title>deid review report (contains PHI)</title>"
        f"<style>{_CSS}</style></head><body>"
        '<div class="phi" id="phi-warning">CONTAINS PHI — the "before" images show the original, '
        "identifiable data. For the reviewer only: do not publish, e-mail or share this page. "
        "Delete it after review.</div><main>"
        f"<h1>De-identification review</h1><p>Generated {generated}. Outlined regions: red = text "
        "redacted, yellow = face. Highlighted text = replaced spans.</p>"
        f'<table class="summary">{rows}<tr><th>withheld reasons</th><td>{reasons}</td></tr>'
        f"<tr><th>findings</th><td>{_counts(s.get('findings', {}))}</td></tr></table>"
        f"{''.join(parts_html)}</main></body></html>"
    )


def write_report(path: str | Path, cases: Sequence[dict[str, Any]], summary: Any) -> None:
    """Write the page atomically."""
    atomic_write(Path(path), render_report(cases, summary).encode("utf-8"))
