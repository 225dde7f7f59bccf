"""Pixel data plumbing (placeholder until the decode/re-encode path lands)."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from deid.core.context import CaseContext
from deid.core.errors import EngineUnavailable
from deid.core.policy import Policy
from deid.core.report import Report


@dataclass
class PixelOutcome:
    transfer_syntax: str
    faces: bool = False


def pixels_need_cleaning(ds: Dataset, policy: Policy) -> bool:
    mode = policy.dicom.clean_pixels
    if mode == "never":
        return False
    if mode == "always":
        return True
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    modality = str(ds.get("Modality", "") or "").strip().upper()
    return burned == "YES" or modality in policy.image.burned_in_modalities


def clean_pixel_data(
    ds: Dataset, transfer_syntax: str, policy: Policy, context: CaseContext, report: Report
) -> PixelOutcome:
    raise EngineUnavailable("pixel cleaning is not available yet", reason="engine_unavailable")
