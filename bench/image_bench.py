"""Image core benchmark: burned-in PHI recall, collateral damage, faces, time.

    python -m bench.image_bench [--engines rapidocr,tesseract] [--scale 1] [--no-peer]
                                [--one-core] [--no-timing]

For each OCR engine (and presidio-image-redactor from bench/.peer-venv, if set up with
bench/setup_peers.sh) on the same synthetic images (bench/image_synth.py):

* PHI text-box recall: a planted PHI box counts as caught only if a reference reader
  (RapidOCR, full-size and 0.75-scale detector, on a crop around the box) can no longer
  read any of its identifying tokens in the output; the deny-listed name separately;
* non-text pixels changed: pixels outside every planted text box (and planted heads)
  whose value moved by more than 12 levels;
* face recall by face width band (30-40 px, >= 40 px): the face's core area changed;
* changed pixels on faceless photos;
* time: a 640x480 ultrasound frame, a 12 MP photo, a 100-frame clip vs one frame.

Every image runs with the default policy: pixel-data kinds (us, xray) through
``scrub_pixels`` in the DICOM default text mode (``image.dicom_text``, "annotation": a
text line is kept only when every token is safe annotation), screenshots and photos
through ``scrub_image`` in the photo default (``image.photo_text``, also "annotation"),
with the patient's name in the CaseContext deny-list as a DICOM header would put it
there. The text detector runs on every image whatever its modality.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.image_synth import Gen, Sample, dataset

ROOT = Path(__file__).resolve().parent.parent
PEER_PY = ROOT / "bench" / ".peer-venv" / "bin" / "python"
_LABELS = {"ID", "MRN", "DOB", "PATIENT", "PHONE", "HOSPITAL"}


def _tokens(text: str) -> list[str]:
    out = []
    for tok in re.split(r"[\s:]+", text):
        t = tok.strip(".,()")
        if len(re.sub(r"[^0-9A-Za-z]", "", t)) >= 3 and t.upper() not in _LABELS:
            out.append(t)
    return out


class Reader:
    """Reference reader: can anything of a planted text still be read in the output?"""

    def __init__(self) -> None:
        from deid.image.ocr import get_ocr_engine

        self.ocr = get_ocr_engine("rapidocr", 1)

    def readable(self, img: np.ndarray, box: tuple[int, int, int, int], text: str) -> bool:
        from deid.image.judge import deny_match
        from deid.image.ocr import OcrOptions

        rgb = img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)
        x, y, w, h = box
        m = max(10, h)
        crop = np.ascontiguousarray(rgb[max(0, y - m) : y + h + m, max(0, x - 2 * m) : x + w + 2 * m, :3])
        read = []
        for s in (1.0, 0.75):
            read += [b.text for b in self.ocr.detect(crop, OcrOptions(scale=s))]
        joined = "\n".join(read)
        return any(deny_match(t, joined) for t in _tokens(text))


def _context(sample: Sample):
    from deid.core import CaseContext

    ctx = CaseContext(b"image-bench-key-0123456789abcdef", case_id="bench")
    ctx.add_identifier("PERSON", sample.patient, source="dicom:(0010,0010)")
    return ctx


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def run_ours(sample: Sample, engine: str) -> tuple[np.ndarray | None, float, str]:
    """(output pixels or None if withheld, seconds, outcome)."""
    from PIL import Image

    from deid.core import Policy
    from deid.core.errors import WithheldError
    from deid.image import scrub_image, scrub_pixels

    policy = Policy.from_dict({"image": {"ocr_engine": engine}})
    ctx = _context(sample)
    t0 = time.perf_counter()
    try:
        if sample.kind in ("us", "xray"):
            out = scrub_pixels(sample.image[None], policy=policy, context=ctx, text_mode=policy.image.dicom_text).frames[0]
        else:
            res = scrub_image(_png(sample.image), policy, ctx, output_format="PNG")
            out = np.array(Image.open(io.BytesIO(res.data)).convert("RGB"))
    except WithheldError as exc:
        return None, time.perf_counter() - t0, exc.reason
    return out, time.perf_counter() - t0, "scrubbed"


def _text_mask(sample: Sample) -> np.ndarray:
    h, w = sample.image.shape[:2]
    mask = np.zeros((h, w), bool)
    for t in sample.texts:
        x, y, bw, bh = t.box
        pad = int(0.5 * bh) + 4
        mask[max(0, y - pad) : y + bh + pad, max(0, x - pad) : x + bw + pad] = True
    for f in sample.faces:
        x, y, fw, fh = f.box
        mask[max(0, y - fh) : y + 2 * fh, max(0, x - fw) : x + 2 * fw] = True  # the whole head
    return mask


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return d.max(axis=2) > 12 if d.ndim == 3 else d > 12


def evaluate(samples: list[Sample], outputs: dict[int, np.ndarray | None], reader: Reader) -> dict[str, object]:
    phi = caught = names = names_caught = 0
    nontext_changed = nontext_total = 0
    faces: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    plain_fracs: list[float] = []
    withheld = 0
    for i, s in enumerate(samples):
        out = outputs.get(i)
        if out is None:
            withheld += 1
        for t in s.texts:
            if not t.phi:
                continue
            phi += 1
            ok = out is None or not reader.readable(out, t.box, t.text)
            caught += ok
            if t.name:
                names += 1
                names_caught += ok
        if out is None:
            continue
        ch = _changed(out, s.image)
        if s.kind == "plain_photo":
            plain_fracs.append(float(ch.mean()))
        else:
            m = ~_text_mask(s)
            nontext_changed += int((ch & m).sum())
            nontext_total += int(m.sum())
        for f in s.faces:
            band = "30-40" if f.size < 40 else ">=40"
            x, y, fw, fh = f.box
            core = (slice(y + fh // 5, y + 4 * fh // 5), slice(x + fw // 5, x + 4 * fw // 5))
            diff = np.abs(out[core].astype(np.int16) - s.image[core].astype(np.int16)).mean()
            faces[band][0] += 1
            faces[band][1] += int(diff > 6)
    return {
        "phi_text_recall": caught / max(1, phi),
        "phi_boxes": phi,
        "name_recall": names_caught / max(1, names),
        "names": names,
        "nontext_changed": nontext_changed / max(1, nontext_total),
        "face_recall": {k: (v[1] / max(1, v[0]), v[0]) for k, v in sorted(faces.items())},
        "faceless_changed_max": max(plain_fracs) if plain_fracs else 0.0,
        "withheld": withheld,
    }


def run_peer(samples: list[Sample]) -> dict[str, tuple[dict[int, np.ndarray | None], float]] | None:
    from PIL import Image

    if not PEER_PY.is_file():
        print("presidio peer: bench/.peer-venv missing (run bench/setup_peers.sh); skipped")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        index = []
        for i, s in enumerate(samples):
            (root / f"{i}.png").write_bytes(_png(s.image))
            index.append({"id": str(i), "file": f"{i}.png", "kind": s.kind})
        (root / "index.json").write_text(json.dumps(index))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        proc = subprocess.run([str(PEER_PY), str(ROOT / "bench" / "image_peer_presidio.py"), tmp], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print("presidio peer failed:", proc.stderr[-2000:])
            return None
        times = json.loads((root / "presidio_times.json").read_text())
        results: dict[str, tuple[dict[int, np.ndarray | None], float]] = {}
        for sub, key in (("presidio", "image"), ("presidio_dicom", "dicom")):
            outs: dict[int, np.ndarray | None] = {}
            tsum = n = 0
            for i, s in enumerate(samples):
                p = root / sub / f"{i}.png"
                if p.is_file():
                    im = Image.open(p)
                    outs[i] = np.array(im.convert("RGB") if s.image.ndim == 3 else im.convert("L"))
                    tsum += times[str(i)].get(key, 0.0)
                    n += 1
            if outs:
                results[sub] = (outs, tsum / max(1, n))
        return results


def timing(engine: str) -> dict[str, float]:
    from deid.core import Policy
    from deid.image import scrub_image, scrub_pixels, warm_up

    policy = Policy.from_dict({"image": {"ocr_engine": engine}})
    warm_up(policy)
    g = Gen(99)
    us = g.ultrasound()
    ctx = _context(us)
    frame = us.image[None]
    scrub_pixels(frame, policy=policy, context=ctx, text_mode=policy.image.dicom_text)
    t_frame = min(_timed(lambda: scrub_pixels(frame, policy=policy, context=ctx, text_mode=policy.image.dicom_text)) for _ in range(3))
    rng = np.random.default_rng(0)
    clip = np.repeat(frame, 100, axis=0)
    sector = clip[:, 60:440, 120:520]
    live = sector > 50
    noise = rng.normal(0, 25, sector.shape)
    clip[:, 60:440, 120:520] = np.where(live, (sector + noise).clip(0, 255), sector).astype(np.uint8)
    t_clip = _timed(lambda: scrub_pixels(clip, policy=policy, context=ctx, text_mode=policy.image.dicom_text))
    # 12 MP photo: faces and a wristband scaled up to 4000x3000.
    import cv2

    wb = g.wristband()
    photo = cv2.resize(wb.image, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    fp = g.face_photo([40, 80, 160], h=1000, w=1400)
    photo[1800:2800, 2400:3800] = fp.image[:1000, :1400]
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    t_photo = min(_timed(lambda: scrub_image(data, policy, _context(wb))) for _ in range(2))
    w0 = time.perf_counter()
    scrub_image(data, policy, _context(wb))
    wall_photo = time.perf_counter() - w0
    # A faster photo profile: coarser detectors (text >= ~30 px, faces >= ~55 px at 12 MP).
    fast = policy.merged({"image": {"ocr_max_pixels": 700_000, "face_max_pixels": 1_500_000}})
    t_fast = min(_timed(lambda: scrub_image(data, fast, _context(wb))) for _ in range(2))
    return {
        "us_frame_s": t_frame,
        "clip100_s": t_clip,
        "clip_over_frame": t_clip / t_frame,
        "photo12mp_s": t_photo,
        "photo12mp_wall_s": wall_photo,
        "photo12mp_fast_s": t_fast,
    }


def _cpu() -> float:
    t = os.times()
    # Children too: Tesseract runs as a child process of pytesseract.
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn) -> float:
    """CPU seconds of this process and its children (engines run one thread each).

    CPU time, not wall time: the development machine is shared, and wall time there
    measures the neighbours. Wall time is printed beside it by ``timing``.
    """
    t0 = _cpu()
    fn()
    return _cpu() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="rapidocr,tesseract")
    ap.add_argument("--scale", type=int, default=1, help="dataset size multiplier")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--one-core", action="store_true", help="pin this process to one CPU")
    args = ap.parse_args(argv)
    if args.one_core and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    samples = dataset(scale=args.scale)
    print(f"dataset: {len(samples)} images; kinds:", dict(sorted({s.kind: sum(x.kind == s.kind for x in samples) for s in samples}.items())))
    reader = Reader()
    rows = []
    for engine in [e for e in args.engines.split(",") if e]:
        outs: dict[int, np.ndarray | None] = {}
        times: dict[str, list[float]] = defaultdict(list)
        reasons: dict[str, int] = defaultdict(int)
        for i, s in enumerate(samples):
            out, dt, outcome = run_ours(s, engine)
            outs[i] = out
            times[s.kind].append(dt)
            if out is None:
                reasons[outcome] += 1
        m = evaluate(samples, outs, reader)
        m["mean_s"] = {k: sum(v) / len(v) for k, v in times.items()}
        m["withheld_reasons"] = dict(reasons)
        if not args.no_timing:
            m["timing"] = timing(engine)
        rows.append((f"deid[{engine}]", m))
    if not args.no_peer:
        peer = run_peer(samples)
        for name, (outs, mean_t) in (peer or {}).items():
            subset = [i for i in range(len(samples)) if i in outs]
            m = evaluate([samples[i] for i in subset], {k: outs[i] for k, i in enumerate(subset)}, reader)
            m["mean_s"] = {"all": mean_t}
            m["images"] = len(subset)
            rows.append((name, m))
    print()
    for name, m in rows:
        print(f"== {name}")
        print(f"  PHI text-box recall      {m['phi_text_recall']:.3f}  ({m['phi_boxes']} boxes; target >= 0.98)")
        print(f"  deny-listed name recall  {m['name_recall']:.3f}  ({m['names']} names; target >= 0.99)")
        print(f"  non-text pixels changed  {100 * m['nontext_changed']:.2f} %  (target <= 2 %)")
        for band, (r, n) in m["face_recall"].items():
            print(f"  face recall {band:>6} px   {r:.3f}  ({n} faces)")
        print(f"  faceless photo changed   {100 * m['faceless_changed_max']:.2f} % max  (target <= 0.5 %)")
        print(f"  withheld                 {m['withheld']} {m.get('withheld_reasons', '')}")
        print("  mean time per image      " + ", ".join(f"{k} {v:.2f}s" for k, v in m["mean_s"].items()))
        if "timing" in m:
            t = m["timing"]
            print(
                f"  640x480 US frame {t['us_frame_s']:.3f}s; 100-frame clip {t['clip100_s']:.2f}s "
                f"({t['clip_over_frame']:.1f}x a frame); 12 MP photo {t['photo12mp_s']:.2f}s "
                f"(wall {t['photo12mp_wall_s']:.2f}s; fast profile {t['photo12mp_fast_s']:.2f}s)  [CPU seconds, one thread]"
            )
    meta = metadata_check(samples)
    print(
        f"== metadata (ours): {meta['files']} photos (JPEG EXIF+GPS+XMP+comment, PNG text chunks, TIFF tags, WebP EXIF); "
        f"fields planted {meta['planted']}, fields left {meta['left']}, planted values found in output bytes {meta['values_left']}"
    )
    return 0


_PLANTED = ("Jane Q. Planted", "SN-PLANT-4471923", "MRN 4471923", "Planted Phone Co", "planted@example.com")


def _with_metadata(arr: np.ndarray, fmt: str) -> tuple[bytes, int]:
    """The image with metadata fields that carry identifying values; (bytes, fields)."""
    from PIL import Image, PngImagePlugin

    img = Image.fromarray(arr)
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = _PLANTED[3]  # Make
    exif[0x013B] = _PLANTED[0]  # Artist
    exif[0x8298] = _PLANTED[4]  # Copyright
    exif[0x010E] = _PLANTED[2]  # ImageDescription
    exif[0x0132] = "2024:03:12 09:41:00"  # DateTime
    exif.get_ifd(0x8769)[0xA431] = _PLANTED[1]  # BodySerialNumber
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 46.0, 30.0), 3: "W", 4: (122.0, 25.0, 10.0)})  # GPS
    xmp = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{_PLANTED[0]}</dc:creator></x:xmpmeta>').encode()
    if fmt == "JPEG":
        img.save(buf, "JPEG", exif=exif, comment=_PLANTED[2].encode(), xmp=xmp)
        return buf.getvalue(), 9
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", _PLANTED[0])
        info.add_itxt("Description", _PLANTED[2])
        info.add_text("Comment", _PLANTED[4])
        img.save(buf, "PNG", pnginfo=info, exif=exif)
        return buf.getvalue(), 10
    if fmt == "TIFF":
        img.save(buf, "TIFF", exif=exif)
        return buf.getvalue(), 7
    img.save(buf, "WEBP", exif=exif, xmp=xmp, quality=95)
    return buf.getvalue(), 8


def _fields_left(data: bytes) -> int:
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    exif = img.getexif()
    # TIFF's own structure (size, strips, compression, resolution) is not metadata
    structural = {256, 257, 258, 259, 262, 273, 277, 278, 279, 282, 283, 284, 296, 317, 338, 339, 532}
    n = sum(1 for tag in exif if tag not in structural) + len(exif.get_ifd(0x8769)) + len(exif.get_ifd(0x8825))
    harmless = {"resolution", "dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive", "progression",
                "compression", "loop", "background", "duration", "transparency", "gamma", "aspect", "adobe",
                "adobe_transform", "lossless", "icc_profile"}
    n += sum(1 for k in img.info if k not in harmless and k != "exif")
    return n


def metadata_check(samples: list[Sample]) -> dict[str, int]:
    """Photos (face, wristband, plain) in four formats with identifying metadata through
    scrub_image: fields left in the output and planted values found in its bytes."""
    from deid.core import Policy
    from deid.image import scrub_image

    policy = Policy()
    files = planted = left = values_left = 0
    photos = [s for s in samples if s.kind in ("face_photo", "wristband", "plain_photo")][:4]
    for s in photos:
        for fmt in ("JPEG", "PNG", "TIFF", "WEBP"):
            data, _n = _with_metadata(s.image, fmt)
            res = scrub_image(data, policy, _context(s))
            files += 1
            planted += _fields_left(data)  # as a reader sees them in the input
            left += _fields_left(res.data)
            values_left += sum(v.encode() in res.data for v in _PLANTED)
    return {"files": files, "planted": planted, "left": left, "values_left": values_left}


if __name__ == "__main__":
    sys.exit(main())
