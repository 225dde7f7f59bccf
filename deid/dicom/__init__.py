"""DICOM de-identification: PS3.15 Annex E header profile (as data) and pixel plumbing.

Public API::

    scrub_dicom(source, policy=None, context=None) -> DicomResult
    parse_dicom(source, policy=None) -> ParsedDicom   (read and parse once, scrub later)
    is_dicom(head: bytes) -> bool
"""

from deid.dicom.api import DicomResult, ParsedDicom, parse_dicom, scrub_dicom
from deid.dicom.validate import is_dicom

__all__ = ["DicomResult", "ParsedDicom", "is_dicom", "parse_dicom", "scrub_dicom"]
