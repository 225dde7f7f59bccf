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

import io
import json
import logging
import re
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


def _verify_image(data: bytes, policy: Policy) -> Counter[str]:
    """Text the photo scrubber would still fill, and faces still found."""
    import numpy as np
    from PIL import Image

    from deid.image.pipeline import find_faces, residual_text, to_rgb8

    view = to_rgb8(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    found: Counter[str] = Counter()
    found["PIXEL_TEXT"] += len(residual_text(view, policy.image.photo_text, policy))
    if policy.image.faces:
        found["FACE"] += len(find_faces(view, policy))
    return +found


def _verify_dicom(data: bytes, policy: Policy, ignored: set[str]) -> Counter[str]:
    """Identifiers still in the header text, and readable text left in burned-in pixels."""
    import numpy as np
    import pydicom

    from deid.dicom.profile import keep_public
    from deid.dicom.pseudonyms import is_scrubber_value
    from deid.image.pipeline import frame_view, frame_window, residual_text
    from deid.text import find_phi_many
    from deid.text.vocabulary import all_safe

    # Kept as they came by design (device make and model, code values and schemes):
    # the scrubber's keep list says so, the same file both read.
    kept = {tag for tag, rule in keep_public().items() if rule.action == "K"}
    ds = pydicom.dcmread(io.BytesIO(data))
    found: Counter[str] = Counter()
    texts: list[str] = []
    for elem in ds.iterall():
        if (
            elem.tag.group == 0x0002
            or elem.VR not in _TEXT_VRS
            or elem.tag in _OWN_MARKERS
            or elem.tag in kept
        ):
            continue
        for value in elem.value if isinstance(elem.value, list | tuple) or type(elem.value).__name__ == "MultiValue" else [elem.value]:
            text = str(value or "").strip()
            if (
                not text
                or text.upper() in _PLACEHOLDERS
                or _PSEUDONYM.match(text)
                or is_scrubber_value(text)
            ):
                continue
            if elem.VR == "PN":  # the scrubber empties or pseudonymises every person name
                found["HEADER_PERSON"] += 1
            elif not all_safe(text):  # known-safe vocabulary only: kept by the scrubber's rule
                texts.append(text)
    if texts and "*" not in ignored:
        for dets in find_phi_many(texts, policy):
            for d in dets:
                if d.kind not in ignored:
                    found[f"HEADER_{d.kind}"] += 1
    if "PixelData" in ds and policy.dicom.clean_pixels != "never":
        # Every modality, rendered as the scrubber renders it (same window, same reader).
        arr = np.asarray(ds.pixel_array)
        frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        stack = arr if frames > 1 else arr[None]
        if stack.dtype not in (np.uint8, np.uint16, np.int16):
            stack = stack.astype(np.int16 if stack.dtype.kind == "i" else np.uint16)
        sample = sorted({0, len(stack) // 2, len(stack) - 1})
        lo, hi = frame_window(stack, sample)
        for i in sample:
            found["PIXEL_TEXT"] += len(residual_text(frame_view(stack[i], lo, hi), policy.image.dicom_text, policy))
    return +found


# Values written on purpose: keyed pseudonyms and placeholders (the DICOM scrubber's
# own formats are checked by deid.dicom.pseudonyms.is_scrubber_value).
_PSEUDONYM = re.compile(r"^[A-Z]{2,4}-[0-9A-Z]{8,16}$")
_PLACEHOLDERS = {"ANONYMIZED", "ANONYMOUS", "REMOVED", "DEIDENTIFIED"}
# (0012,0063) De-identification Method, (0012,0064) its code sequence, (0008,0104) code meanings.
_OWN_MARKERS = {0x00120063, 0x00120064, 0x00080104}
# Free-text value representations (codes, dates and UIDs are not searched).
_TEXT_VRS = {"PN", "LO", "SH", "ST", "LT", "UT", "UC"}


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
                    elif kind == "image":
                        found = _verify_image(data, policy)
                    elif kind == "dicom":
                        found = _verify_dicom(data, policy, ignored)
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
