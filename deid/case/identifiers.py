"""Learn a case's identifiers from its DICOM headers before anything is scrubbed.

deid.dicom learns identifiers while it scrubs a file; this pre-pass reads every header
first (no pixel data) so that the deny-list is complete before the first pixel or text
part is scrubbed. The attribute table is data: ``data/header_identifiers.yaml``.
"""

from __future__ import annotations

import functools
import io
import logging
from importlib import resources

import yaml

from deid.core.context import CaseContext

log = logging.getLogger(__name__)


@functools.cache
def header_table() -> dict[str, str]:
    """DICOM keyword -> deny-list kind, loaded once."""
    text = resources.files("deid.case").joinpath("data/header_identifiers.yaml").read_text("utf-8")
    table = yaml.safe_load(text) or {}
    return {str(k): str(v) for k, v in table.items()}


def _values(elem_value: object) -> list[str]:
    if elem_value is None:
        return []
    if isinstance(elem_value, list | tuple) or type(elem_value).__name__ == "MultiValue":
        return [str(v) for v in elem_value if v is not None and str(v).strip()]  # type: ignore[attr-defined]
    text = str(elem_value).strip()
    return [text] if text else []


def learn_from_dicom(data: bytes, context: CaseContext) -> bool:
    """Add the header identifiers of one DICOM file to ``context``.

    Returns False when the header cannot be read (the caller notes that identifiers
    held only by that file were not searched for elsewhere). Reads no pixel data.
    """
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
        if "SOPInstanceUID" not in ds and "PatientID" not in ds and "PatientName" not in ds:
            return False  # parsed as nothing: a corrupt file, not an empty header
        patient_id = str(ds.get("PatientID", "") or "").strip()
        if patient_id:
            context.set_patient(patient_id)
        learned = 0
        for keyword, kind in header_table().items():
            elem = ds.get(keyword)
            for value in _values(elem):
                if kind == "PERSON":
                    # PN: "Family^Given^Middle^Prefix^Suffix"; also the natural order.
                    parts = [p for p in value.split("^") if p.strip()]
                    context.add_identifier(kind, " ".join(parts), source=f"dicom:{keyword}")
                    if len(parts) >= 2:
                        context.add_identifier(kind, f"{parts[1]} {parts[0]}", source=f"dicom:{keyword}")
                else:
                    context.add_identifier(kind, value, source=f"dicom:{keyword}")
                learned += 1
        log.debug("learned %d header identifiers", learned)
        return True
    except Exception as exc:  # noqa: BLE001 - any parse failure just means "not learned"
        log.debug("could not read a DICOM header (%s)", type(exc).__name__)
        return False
