"""DICOM de-identification: PS3.15 Annex E header profile (as data) and pixel plumbing.

Public API::

    scrub_dicom(source, policy=None, context=None) -> DicomResult
    is_dicom(head: bytes) -> bool
"""

from deid.dicom.api import DicomResult, scrub_dicom
from deid.dicom.validate import is_dicom

__all__ = ["DicomResult", "is_dicom", "scrub_dicom"]
