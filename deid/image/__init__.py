"""The image core: photos and DICOM pixel data cleaned of burned-in PHI and faces.

Public API::

    scrub_image(source, policy=None, context=None, *, output_format=None) -> ImageResult
    scrub_pixels(frames, *, policy, context, text_mode, faces=False, part=None) -> PixelResult
    warm_up(policy=None) -> None     # load the OCR and face engines now

Engines are pluggable by name (:mod:`deid.image.ocr`, :mod:`deid.image.faces`) and
loaded once per process on first use; a missing engine withholds the input.
"""

from __future__ import annotations

from deid.core.policy import DEFAULT_POLICY, Policy
from deid.image.photo import ImageResult, scrub_image
from deid.image.pixels import PixelResult, scrub_pixels


def warm_up(policy: Policy | None = None) -> None:
    """Create the OCR engine and face detector the policy names (worker start-up)."""
    from deid.image.faces import get_face_detector
    from deid.image.ocr import get_ocr_engine

    policy = policy or DEFAULT_POLICY
    get_ocr_engine(policy.image.ocr_engine, policy.image.engine_threads)
    if policy.image.faces:
        get_face_detector(policy.image.face_detector, policy.image.engine_threads)


__all__ = ["ImageResult", "PixelResult", "scrub_image", "scrub_pixels", "warm_up"]
