"""Write cleaned frames back in the transfer syntax the object came in.

Redacted pixel data is re-encoded with an encoder from an installed package, chosen by
the input's transfer syntax (PS3.5 A.4 / 8.2):

* RLE Lossless: pydicom's native encoder (or pylibjpeg-rle);
* JPEG-LS lossless and near-lossless: ``pyjpegls`` through pydicom;
* JPEG 2000 lossless and lossy: ``pylibjpeg-openjpeg`` through pydicom (colour data
  with the reversible/irreversible colour transform, PhotometricInterpretation
  YBR_RCT / YBR_ICT as PS3.5 8.2.4 requires);
* JPEG baseline (8-bit lossy): Pillow's libjpeg at ``ImagePolicy.jpeg_quality``, colour
  as YBR_FULL_422 (4:2:2 subsampling, what the JPEG stream holds).

A lossy input re-encoded lossily records the new step in LossyImageCompression,
LossyImageCompressionRatio and LossyImageCompressionMethod (PS3.3 C.7.6.1.1.5). Where
no encoder exists (JPEG lossless processes 14/SV1, 12-bit JPEG extended, HTJ2K) or one
fails, the frames go to a lossless syntax instead: JPEG-LS lossless, JPEG 2000
lossless, RLE, then Deflated Explicit VR Little Endian. Nothing is ever re-encoded lossily from a lossless input.
"""

from __future__ import annotations

import io
import logging

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

log = logging.getLogger(__name__)

NATIVE_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        str(DeflatedExplicitVRLittleEndian),
    }
)
# Lossless fallbacks, in order of preference (size), for syntaxes we cannot write.
_LOSSLESS_CHAIN = (JPEGLSLossless, JPEG2000Lossless, RLELossless)
# Input syntax -> encoders to try, before the lossless chain.
_PREFERRED: dict[str, tuple[UID, ...]] = {
    str(RLELossless): (RLELossless,),
    str(JPEGLSLossless): (JPEGLSLossless,),
    str(JPEGLSNearLossless): (JPEGLSNearLossless,),
    str(JPEG2000Lossless): (JPEG2000Lossless,),
    str(JPEG2000): (JPEG2000,),
    str(JPEGBaseline8Bit): (JPEGBaseline8Bit,),
}
_LOSSY = {
    str(JPEGBaseline8Bit): "ISO_10918_1",
    str(JPEG2000): "ISO_15444_1",
    str(JPEGLSNearLossless): "ISO_14495_1",
}


def encode_frames(
    ds: Dataset,
    frames: np.ndarray,
    input_syntax: str,
    input_bytes: int,
    jpeg_quality: int,
) -> str:
    """Store ``frames`` (N, rows, cols[, 3]) in ``ds``, compressed like the input if we can.

    ``ds`` already describes the frames (Rows, Columns, SamplesPerPixel, Bits*,
    PhotometricInterpretation of the decoded data). Returns the output transfer syntax.
    ``input_bytes`` is the size of the encoded input pixel data (for the lossy ratio).
    """
    if input_syntax in NATIVE_SYNTAXES:
        # Deflated stays deflated; the others become Explicit VR Little Endian.
        deflated = input_syntax == str(DeflatedExplicitVRLittleEndian)
        return DeflatedExplicitVRLittleEndian if deflated else ExplicitVRLittleEndian
    candidates = list(_PREFERRED.get(input_syntax, ())) + [
        s for s in _LOSSLESS_CHAIN if s not in _PREFERRED.get(input_syntax, ())
    ]
    for syntax in candidates:
        try:
            _encode(ds, frames, syntax, input_bytes, jpeg_quality)
        except Exception as exc:  # no encoder installed, or it refuses this format
            log.debug("encoder %s unavailable: %s", syntax.name, type(exc).__name__)
            continue
        return str(syntax)
    # No encoder takes these frames (e.g. 32-bit RGB): native pixels in a deflated
    # dataset, still lossless and far smaller than uncompressed.
    return DeflatedExplicitVRLittleEndian


def _encode(
    ds: Dataset, frames: np.ndarray, syntax: UID, input_bytes: int, jpeg_quality: int
) -> None:
    samples = frames.shape[-1] if frames.ndim == 4 else 1
    arr = frames[0] if frames.shape[0] == 1 else frames
    native_bytes = frames.nbytes
    if syntax == JPEGBaseline8Bit:
        # Our quality first; if the clip grew by more than a tenth, lower it (to 75 at
        # most): the input's own quality is unknown, its size is not.
        for quality in sorted(
            {jpeg_quality, min(jpeg_quality, 85), min(jpeg_quality, 75)}, reverse=True
        ):
            encoded = _encode_jpeg_baseline(frames, quality)
            if sum(len(e) + 8 for e in encoded) <= 1.1 * input_bytes:
                break
        _set_encapsulated(ds, encoded, syntax)
        ds.PhotometricInterpretation = (
            "YBR_FULL_422" if samples == 3 else ds.PhotometricInterpretation
        )
    else:
        kwargs: dict[str, object] = {}
        if syntax == JPEG2000:
            # The input's own ratio: the output is about the size of the input.
            ratio = max(1.0, native_bytes / max(1, input_bytes))
            kwargs["j2k_cr"] = [ratio]
        elif syntax == JPEGLSNearLossless:
            kwargs["jls_error"] = 2
        if samples == 3 and syntax in (JPEG2000, JPEG2000Lossless):
            ds.PhotometricInterpretation = "RGB"  # the encoder applies the colour transform
        ds.compress(syntax, arr, generate_instance_uid=False, **kwargs)  # type: ignore[arg-type]
        if samples == 3 and syntax == JPEG2000Lossless:
            ds.PhotometricInterpretation = "YBR_RCT"
        elif samples == 3 and syntax == JPEG2000:
            ds.PhotometricInterpretation = "YBR_ICT"
    method = _LOSSY.get(str(syntax))
    if method is not None:
        encoded_size = len(ds.PixelData)
        _record_lossy(ds, method, native_bytes / max(1, encoded_size))


def _encode_jpeg_baseline(frames: np.ndarray, quality: int) -> list[bytes]:
    from PIL import Image

    if frames.dtype != np.uint8:
        raise ValueError("JPEG baseline holds 8-bit samples only")
    out = []
    for frame in frames:
        mode = "RGB" if frame.ndim == 3 else "L"
        buf = io.BytesIO()
        # subsampling=1 is 4:2:2 (YBR_FULL_422); no EXIF, no comment, no ICC written.
        Image.fromarray(frame, mode).save(
            buf, "JPEG", quality=quality, subsampling=1 if mode == "RGB" else 0
        )
        out.append(buf.getvalue())
    return out


def _set_encapsulated(ds: Dataset, frames: list[bytes], syntax: UID) -> None:
    from pydicom.encaps import encapsulate

    ds.PixelData = encapsulate(frames, has_bot=len(frames) > 1)
    elem = ds["PixelData"]
    elem.VR = "OB"
    elem.is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = syntax
    if int(ds.SamplesPerPixel) == 3:
        ds.PlanarConfiguration = 0


def _record_lossy(ds: Dataset, method: str, ratio: float) -> None:
    """Append this lossy step to the object's compression history (PS3.3 C.7.6.1.1.5)."""

    def listed(keyword: str) -> list[str]:
        value = ds.get(keyword)
        if value is None or value == "":
            return []
        if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
            return [str(value)]
        return [str(v) for v in value]

    ratios = listed("LossyImageCompressionRatio")
    methods = listed("LossyImageCompressionMethod")
    if methods and len(methods) < len(ratios) or not methods and ratios:
        # An earlier step without its method named: the step that made the input lossy
        # used the input's syntax, which is this one (we only re-encode lossily what
        # came lossy in the same syntax).
        methods += [method] * (len(ratios) - len(methods))
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = ratios + [f"{ratio:.2f}"[:16]]
    ds.LossyImageCompressionMethod = methods + [method]
