"""The image core: photos and DICOM pixel data cleaned of burned-in PHI and faces.

Public API::

    scrub_image(source, policy=None, context=None, *, output_format=None) -> ImageResult
    scrub_pixels(frames, *, policy, context, text_mode, faces=False, part=None) -> PixelResult
    warm_up(policy=None) -> None     # load the OCR and face engines now
    residual_text(view, mode, policy, context=None) -> list[TextBox]   # what `deid verify` reads

Photos and DICOM frames share one redact-then-verify loop
(:func:`deid.image.pipeline.redact_and_verify`): fills cover the detector's rotated box
padded by 0.3 text heights, rings around them are re-read at a scale where the tops and
bottoms of glyphs are detector-sized, residual text is filled wider, and an input whose
text cannot be covered is withheld. In the default "annotation" mode a text box is kept
only when every token is safe annotation (``data/annotation_vocabulary.yaml``).

Engines are pluggable by name (:mod:`deid.image.ocr`, :mod:`deid.image.faces`) and
loaded once per process on first use; a missing engine withholds the input.
"""

from __future__ import annotations

from deid.core.policy import DEFAULT_POLICY, Policy
from deid.image.photo import ImageResult, scrub_image
from deid.image.pipeline import residual_text
from deid.image.pixels import PixelResult, scrub_pixels


def warm_up(policy: Policy | None = None) -> None:
    """Create the OCR engine and face detector the policy names (worker start-up)."""
    from deid.image.faces import get_face_detector
    from deid.image.ocr import get_ocr_engine

    policy = policy or DEFAULT_POLICY
    get_ocr_engine(policy.image.ocr_engine, policy.image.engine_threads)
    if policy.image.faces:
        get_face_detector(policy.image.face_detector, policy.image.engine_threads)


__all__ = ["ImageResult", "PixelResult", "residual_text", "scrub_image", "scrub_pixels", "warm_up"]
