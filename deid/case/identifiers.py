"""Learn a case's identifiers from its DICOM headers before anything is scrubbed.

deid.dicom learns identifiers while it scrubs a file; this pre-pass reads every header
first (no pixel data) so that the deny-list is complete before the first pixel or text
part is scrubbed. The attribute list is deid.dicom's, one data file for both:
``deid/dicom/data/identifier_tags.tsv``.
"""

from __future__ import annotations

import functools
import io
import logging
from typing import TYPE_CHECKING

from deid.core.context import CaseContext

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

log = logging.getLogger(__name__)

_SPECIFIC_CHARACTER_SET = 0x00080005


@functools.cache
def header_table() -> dict[str, str]:
    """DICOM keyword -> deny-list kind (deid.dicom's identifier list), loaded once."""
    from pydicom.datadict import keyword_for_tag

    from deid.dicom.profile import identifier_tags

    return {keyword_for_tag(tag): kind for tag, kind in identifier_tags().items()}


@functools.cache
def _tags() -> tuple[tuple[int, str], ...]:
    from deid.dicom.profile import identifier_tags

    return tuple(sorted(identifier_tags().items()))


def learn_from_dicom(data: bytes, context: CaseContext) -> bool:
    """Add the header identifiers of one DICOM file to ``context``.

    Returns False when the header cannot be read (the caller notes that identifiers
    held only by that file were not searched for elsewhere). Reads no pixel data and
    converts no element: only the listed attributes are kept, read as raw text.
    """
    import pydicom

    tags = _tags()
    try:
        ds = pydicom.dcmread(
            io.BytesIO(data),
            stop_before_pixels=True,
            force=True,
            specific_tags=[_SPECIFIC_CHARACTER_SET, 0x00080018] + [t for t, _ in tags],
        )
    except Exception as exc:  # noqa: BLE001 - any parse failure just means "not learned"
        log.debug("could not read a DICOM header (%s)", type(exc).__name__)
        return False
    return learn_from_dataset(ds, context)


def learn_from_dataset(ds: Dataset, context: CaseContext) -> bool:
    """:func:`learn_from_dicom` on a header already parsed (``deid.dicom.parse_dicom``:
    the case parses each file once). Converts no element."""
    from deid.dicom.rawvalues import read_values

    try:
        if "SOPInstanceUID" not in ds and "PatientID" not in ds and "PatientName" not in ds:
            return False  # parsed as nothing: a corrupt file, not an empty header
        patient_id = "\\".join(read_values(ds, 0x00100020)).strip()
        if patient_id:
            context.set_patient(patient_id)
        learned = 0
        for tag, kind in _tags():
            if tag not in ds._dict:  # type: ignore[operator]
                continue
            source = f"dicom:({tag >> 16:04X},{tag & 0xFFFF:04X})"
            for value in read_values(ds, tag):
                value = value.strip()
                if not value:
                    continue
                if kind == "PERSON":
                    # PN: "Family^Given^Middle^Prefix^Suffix" (groups by "="); also the
                    # natural order "Given Family".
                    for group in value.split("="):
                        parts = [p for p in group.split("^") if p.strip()]
                        if not parts:
                            continue
                        context.add_identifier(kind, " ".join(parts), source=source)
                        if len(parts) >= 2:
                            context.add_identifier(kind, f"{parts[1]} {parts[0]}", source=source)
                else:
                    context.add_identifier(kind, value, source=source)
                learned += 1
        log.debug("learned %d header identifiers", learned)
        return True
    except Exception as exc:  # noqa: BLE001 - any read failure just means "not learned"
        log.debug("could not read a DICOM header (%s)", type(exc).__name__)
        return False
