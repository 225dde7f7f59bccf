"""DICOM de-identification throughput, leaks and output sizes, beside a floor and a peer.

    python -m bench.dicom_bench [--slices 100] [--size 512] [--repeat 5] [--cli-slices 200]

Four parts, all in one run:

1. in process (below);
2. through the command line: a ``--cli-slices`` CT series whose descriptors are
   clinical vocabulary ("CT CHEST W CONTRAST") and whose slices look like CT
   (``--cli-pixels ct``: a body phantom with noise, air and padding, anatomy changing
   from slice to slice; ``noise`` is the old uniform-noise variant), ``deid scrub SRC
   DST`` in a child process, net of process start (the same command on a one-slice
   series is subtracted), with ``--workers 1`` and ``--workers auto``, beside raw
   pydicom read+write in one process (the floor) and in as many processes as deid used
   (the pool started before the clock), and dicognito of the same files (file to file),
   in two layouts: nested (``SRC/ct/*.dcm``, one case: one process) and flat
   (``SRC/*.dcm``, every slice a case of its own); files/s wall and per CPU second
   (the CLI's CPU includes its worker processes); 2b. a ``--text-slices`` CT series
   with burned-in text (static name and birth date, a slice position line changing on
   every slice) through ``deid scrub``, nested and flat: PHI tokens RapidOCR still
   reads in every output slice (1x and 2x), beside the count on the inputs;
3. compressed inputs: an RLE CT slice (nothing to redact) and a JPEG baseline
   ultrasound clip with burned-in text: output transfer syntax, size against the input,
   decodable by pydicom;
4. pydicom's own test files (``pydicom.data.get_testdata_files()``) through
   ``scrub_dicom`` with the default policy: outputs and withheld inputs by reason.

Part 1:

Generates a synthetic CT series (``--slices`` 16-bit ``--size``² slices with PHI planted
in standard tags, a nested sequence, a private block and descriptors) in a temporary
folder, then, on the same files in the same run, measures files/s and MB/s for:

* ``pydicom read+write``: dcmread + save_as, nothing changed (the floor);
* ``deid scrub_dicom, header only``: our header profile alone (``clean_pixels: never``);
* ``deid scrub_dicom, default``: header and pixels (every slice searched for text: the
  first three of the series in full, later ones on what changed, deid/image/series.py);
* ``dicognito``: its default ``Anonymizer().anonymize`` + save_as (a peer);

and counts, for each, the planted values still present in the output bytes.
Throughput is per CPU second of this process (best round); wall-clock figures are
printed beside it.
Best of ``--repeat`` rounds (tools interleaved); model loading (the text scrubber) is warmed up first.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tests.support.dicom_build import attach_file_meta, ct12_pixel_module

PLANTED = {
    "name": "Zanzibarova^Quenthorpe",
    "family": "Zanzibarova",
    "given": "Quenthorpe",
    "mrn": "MRN4471923",
    "birth": "19520314",
    "institution": "Wexfordshire Memorial",
    "referring": "Okonkwodu",
    "operator": "Pembertonix",
    "accession": "ACC99887766",
    "station": "WEXCT01XY",
    "serial": "SN123456789Q",
    "private": "PRIVNOTEZX",
    "nested": "Thistlewaite",
    "address": "12 Harbourview Road",
    "study_date": "20240315",
    # times of day (StudyTime, SeriesTime, AcquisitionTime, ContentTime,
    # InstanceCreationTime, and the time part of AcquisitionDateTime)
    "study_time": "101517",
    "series_time": "102944",
    "acq_time": "103311",
    "content_time": "103402",
    "creation_time": "235958",
    "acq_dt_time": "20240315103311",
    "comment_surname": "Brackenwolde",  # an unknown surname, only in ImageComments
    "curve_label": "CURVELABELZX",  # retired curve group 5000
    "uid_root": "1.2.826.0.1.3680043.9.7777",
}


def slice_pixels(kind: str, i: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Stored values of slice ``i``: "noise" (uniform, the old worst case for a text
    detector), "ct" (a body phantom, see tests/support/ct_series.py) or "ct-text" (the
    phantom with a static name and birth date in the top-left corner and a slice position
    line that changes on every slice)."""
    if kind == "noise":
        return rng.integers(0, 4095, (size, size), dtype=np.uint16)
    from tests.support.ct_series import burn_text, ct_slice

    pixels = ct_slice(i, size)
    if kind == "ct-text":
        burn_text(pixels, [f"{PLANTED['family'].upper()} {PLANTED['given'].upper()}", f"DOB {PLANTED['birth']}"], corner="tl")
        burn_text(pixels, [f"IM {i + 1}  Z {-120.5 + i:.1f}"], corner="bl")
    return pixels


# Tokens of the burned-in text that must not be readable in any output slice.
PIXEL_PHI = (PLANTED["family"].upper(), PLANTED["given"].upper(), PLANTED["birth"])


def make_series(
    folder: Path, slices: int, size: int, *, clinical_only: bool = False, pixels: str = "noise"
) -> list[Path]:
    """``slices`` CT files with PHI planted; ``clinical_only``: descriptors are clinical
    vocabulary only and there is no ImageComments (a typical series, for speed);
    ``pixels``: see :func:`slice_pixels`."""
    rng = np.random.default_rng(1)
    P = PLANTED
    paths = []
    for i in range(slices):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ds.SOPInstanceUID = f"{P['uid_root']}.100.{i + 1}"
        ds.StudyInstanceUID = P["uid_root"] + ".1"
        ds.SeriesInstanceUID = P["uid_root"] + ".2"
        ds.FrameOfReferenceUID = P["uid_root"] + ".3"
        ds.Modality = "CT"
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = P["study_date"]
        ds.StudyTime = P["study_time"]
        ds.SeriesTime = P["series_time"]
        ds.AcquisitionTime = P["acq_time"]
        ds.ContentTime = P["content_time"]
        ds.InstanceCreationDate = P["study_date"]
        ds.InstanceCreationTime = P["creation_time"]
        ds.AcquisitionDateTime = P["acq_dt_time"]
        ds.AccessionNumber = P["accession"]
        ds.PatientName = P["name"]
        ds.PatientID = P["mrn"]
        ds.PatientBirthDate = P["birth"]
        ds.PatientSex = "F"
        ds.PatientAge = "072Y"
        ds.PatientAddress = P["address"]
        ds.InstitutionName = P["institution"]
        ds.ReferringPhysicianName = P["referring"] + "^Ada"
        ds.OperatorsName = P["operator"] + "^Lys"
        ds.StationName = P["station"]
        ds.DeviceSerialNumber = P["serial"]
        ds.Manufacturer = "ACME Imaging"
        ds.ManufacturerModelName = "Scanner 9000"
        if clinical_only:
            ds.StudyDescription = "CT CHEST W CONTRAST"
            ds.SeriesDescription = "AX 1mm LUNG"
        else:
            ds.StudyDescription = f"CT chest follow-up {P['given']} {P['family']}"
            ds.SeriesDescription = "AXIAL 1mm LUNG"
            ds.ImageComments = f"Discussed with {P['comment_surname']}"
            ds.add_new(0x50000005, "US", 2)
            ds.add_new(0x50002500, "LO", P["curve_label"])
            ds.add_new(0x50003000, "OW", b"\x00\x01\x00\x02")
        ds.ProtocolName = "CHEST ROUTINE"
        ds.StudyID = "4711"
        ds.SeriesNumber = 2
        ds.InstanceNumber = i + 1
        req = Dataset()
        req.ScheduledPerformingPhysicianName = P["nested"] + "^Ivo"
        req.RequestedProcedureID = "RP4711"
        ds.RequestAttributesSequence = Sequence([req])
        block = ds.private_block(0x0029, "ACME PRIVATE", create=True)
        block.add_new(0x10, "LO", P["private"])
        block.add_new(0x11, "OB", bytes(2000))
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SliceThickness = "1"
        ds.KVP = "120"
        ds.ImagePositionPatient = [0, 0, i]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.7, 0.7]
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ct12_pixel_module(ds)
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
        ds.PixelData = slice_pixels(pixels, i, size, rng).tobytes()
        attach_file_meta(ds)
        path = folder / f"{P['family']}_{i:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def count_leaks(data: bytes) -> int:
    hay = data.lower()
    return sum(1 for v in PLANTED.values() if v.lower().encode() in hay)


def raw_pydicom(path: Path) -> bytes:
    ds = pydicom.dcmread(path)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def make_ours(*, header_only: bool = False) -> Callable[[Path], bytes]:
    """``scrub_dicom`` as ``deid scrub`` runs it in a case: one series memory per round
    (a new book whenever the round starts again at its first file). ``header_only``:
    ``clean_pixels: never``, the header path alone."""
    from deid.core.context import CaseContext
    from deid.core.policy import Policy
    from deid.dicom import scrub_dicom
    from deid.image.series import SeriesBook

    policy = Policy.from_dict({"dicom": {"clean_pixels": "never"}}) if header_only else Policy()
    context = CaseContext(b"bench-key-0123456789abcdef", case_id="bench")
    state: dict[str, object] = {}

    def run(path: Path) -> bytes:
        if state.get("first") in (None, path):
            state["first"], state["book"] = path, SeriesBook()
        return scrub_dicom(path, policy, context, series=state["book"]).data  # type: ignore[arg-type]

    return run


def make_dicognito() -> Callable[[Path], bytes] | None:
    try:
        from dicognito.anonymizer import Anonymizer
    except ImportError:
        return None
    anonymizer = Anonymizer(seed="bench")

    def run(path: Path) -> bytes:
        ds = pydicom.dcmread(path)
        anonymizer.anonymize(ds)
        out = io.BytesIO()
        ds.save_as(out)
        return out.getvalue()

    return run


def measure(
    runners: list[tuple[str, Callable[[Path], bytes]]], paths: list[Path], repeat: int
) -> dict[str, tuple[float, int]]:
    """Best CPU time (and best wall time) of each runner over ``repeat`` rounds,
    interleaved round by round. CPU time of this one-threaded process is the figure
    compared: on a shared machine wall time swings with other people's load. Leaks are counted afterwards,
    outside the timing (searching a clean 0.5 MB output costs more than scrubbing it)."""
    for _, fn in runners:
        fn(paths[0])  # warm-up (imports, text engine)
    best = {name: float("inf") for name, _ in runners}
    best_wall = {name: float("inf") for name, _ in runners}
    last: dict[str, list[bytes]] = {}
    for _ in range(repeat):
        for name, fn in runners:
            outputs = []
            start, start_cpu = time.perf_counter(), time.process_time()
            for path in paths:
                outputs.append(fn(path))
            best[name] = min(best[name], time.process_time() - start_cpu)
            best_wall[name] = min(best_wall[name], time.perf_counter() - start)
            last[name] = outputs
    return {
        name: (best[name], best_wall[name], sum(count_leaks(d) for d in last[name]))
        for name, _ in runners
    }


def _run_cli(src: Path, dst: Path, *args: str) -> tuple[float, float, int]:
    """(wall s, CPU s of the child and its worker processes, workers it used) of
    ``deid scrub SRC DST [args]`` in a fresh process."""
    import json
    import resource
    import shutil
    import subprocess
    import sys

    shutil.rmtree(dst, ignore_errors=True)
    # 32 bytes of key material as hex: the CLI refuses passphrases and short keys.
    env = dict(os.environ, DEID_KEY="0123456789abcdef" * 4)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deid.cli.main", "scrub", str(src), str(dst), "-q", "--json", *args],
        env=env,
        check=False,
        capture_output=True,
    )
    if done.returncode not in (0, 3):  # 3: completed with withheld inputs (counted below)
        raise SystemExit(f"deid scrub failed (exit {done.returncode}): {done.stderr.decode(errors='replace')[-400:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        workers = int(json.loads(done.stdout.decode())["workers"] or 1)
    except (ValueError, KeyError, TypeError):
        workers = 1
    return wall, cpu, workers


def _raw_copy(src: str, dst: str) -> float:
    """pydicom read + write of one file (in a pool worker); returns its CPU seconds."""
    c0 = time.process_time()
    pydicom.dcmread(src).save_as(dst)
    return time.process_time() - c0


def _raw_pool(paths: list[Path], out: Path, workers: int) -> tuple[float, float]:
    """(wall s, CPU s of the work) of raw pydicom read+write in ``workers`` spawned
    processes, the pool started and warmed before the clock starts."""
    import concurrent.futures as cf
    import multiprocessing

    with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_raw_copy, [str(paths[0])] * workers, [str(out / "warm.dcm")] * workers))
        start = time.perf_counter()
        cpu = sum(pool.map(_raw_copy, [str(p) for p in paths], [str(out / p.name) for p in paths], chunksize=8))
        return time.perf_counter() - start, cpu


def cli_bench(slices: int, size: int, repeat: int, pixels: str = "ct") -> None:
    """Part 2: ``deid scrub`` on a CT series, net of process start, beside raw pydicom
    (one process: the floor; and as many processes as deid used) and dicognito (file to
    file, in this process), in two layouts of the source: nested (``SRC/ct/*.dcm``: one
    case, which runs in one process whatever ``--workers`` says) and flat (``SRC/*.dcm``:
    every slice a case of its own, the slices of a worker sharing its series memory),
    each with ``--workers 1`` and ``--workers auto``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "series" / "ct").mkdir(parents=True)
        (root / "one" / "ct").mkdir(parents=True)
        (root / "flat").mkdir()
        (root / "flat1").mkdir()
        paths = make_series(root / "series" / "ct", slices, size, clinical_only=True, pixels=pixels)
        for path in paths:
            (root / "flat" / path.name).write_bytes(path.read_bytes())
        dicognito = make_dicognito()
        best_dcg = (float("inf"), float("inf"))
        (root / "one" / "ct" / paths[0].name).write_bytes(paths[0].read_bytes())
        (root / "flat1" / paths[0].name).write_bytes(paths[0].read_bytes())
        raw_out = root / "raw"
        raw_out.mkdir()
        inf = (float("inf"), float("inf"))
        best_raw = inf
        best_pool: dict[int, tuple[float, float]] = {}
        layouts = {"nested": ("one", "series"), "flat": ("flat1", "flat")}
        # auto keeps a 200-slice series in one process (deid.batch.executors): the flat
        # layout also runs with one worker per usable CPU, for the multi-process figure.
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        runs = [(layout, w) for layout in layouts for w in ("1", "auto")]
        if cpus > 1:
            runs.append(("flat", str(cpus)))
        best = {run: {"one": inf, "full": inf} for run in runs}
        used: dict[tuple[str, str], int] = {}
        written: dict[tuple[str, str], int] = {}
        leaks: dict[tuple[str, str], int] = {}

        def keep(old: tuple[float, float], new: tuple[float, float]) -> tuple[float, float]:
            return (min(old[0], new[0]), min(old[1], new[1]))

        for _ in range(repeat):
            start, cpu0 = time.perf_counter(), time.process_time()
            for path in paths:
                pydicom.dcmread(path).save_as(raw_out / path.name)
            best_raw = keep(best_raw, (time.perf_counter() - start, time.process_time() - cpu0))
            if dicognito is not None:
                start, cpu0 = time.perf_counter(), time.process_time()
                for path in paths:
                    (raw_out / path.name).write_bytes(dicognito(path))
                best_dcg = keep(best_dcg, (time.perf_counter() - start, time.process_time() - cpu0))
            for layout, w in runs:
                one_src, full_src = layouts[layout]
                one = _run_cli(root / one_src, root / f"out1-{layout}-{w}", "--workers", w)
                full = _run_cli(root / full_src, root / f"outN-{layout}-{w}", "--workers", w)
                best[(layout, w)]["one"] = keep(best[(layout, w)]["one"], one[:2])
                best[(layout, w)]["full"] = keep(best[(layout, w)]["full"], full[:2])
                used[(layout, w)] = full[2]
            for n in sorted({v for v in used.values() if v > 1}):
                best_pool[n] = keep(best_pool.get(n, inf), _raw_pool(paths, raw_out, n))
        for run in runs:
            outputs = list((root / f"outN-{run[0]}-{run[1]}").rglob("*.dcm"))
            written[run] = len(outputs)
            leaks[run] = sum(count_leaks(p.read_bytes()) for p in outputs)
    n = slices - 1  # the one-slice run is subtracted: its start-up and one file
    raw_fps = (slices / best_raw[0], slices / best_raw[1])
    print(
        f"\n`deid scrub` on a {slices}-slice CT series ({pixels} pixels, clinical descriptors), best of {repeat}; "
        f"process start (a 1-slice run of the same layout and --workers) subtracted; {os.cpu_count()} CPUs here, "
        f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} usable"
    )
    print(f"{'':52} {'files/s wall':>13} {'files/s CPU':>12}   wall / CPU ratio to the 1-process floor")
    print(f"{'pydicom read+write, 1 process (floor)':52} {raw_fps[0]:13.1f} {raw_fps[1]:12.1f}")
    for k, (wall, cpu) in sorted(best_pool.items()):
        fps = (slices / wall, slices / cpu)
        print(
            f"{f'pydicom read+write, {k} processes (peer)':52} {fps[0]:13.1f} {fps[1]:12.1f}   "
            f"{fps[0] / raw_fps[0]:.2f}x / {fps[1] / raw_fps[1]:.2f}x (pool started before the clock)"
        )
    if best_dcg[0] < float("inf"):
        dcg_fps = (slices / best_dcg[0], slices / best_dcg[1])
        print(
            f"{'dicognito 0.19 (in process)':52} {dcg_fps[0]:13.1f} {dcg_fps[1]:12.1f}   "
            f"{dcg_fps[0] / raw_fps[0]:.2f}x / {dcg_fps[1] / raw_fps[1]:.2f}x (header only)"
        )
    labels = {"nested": "nested (SRC/ct/*.dcm)", "flat": "flat (SRC/*.dcm)"}
    for run in runs:
        one, full = best[run]["one"], best[run]["full"]
        fps = (n / max(1e-9, full[0] - one[0]), n / max(1e-9, full[1] - one[1]))
        k = used[run]
        peer = best_pool.get(k)
        vs_peer = f", {fps[0] / (slices / peer[0]):.2f}x of {k}-process pydicom (wall)" if peer else ""
        label = f"deid scrub, {labels[run[0]]}, --workers {run[1]}" + (f" ({k})" if run[1] == "auto" else "")
        print(
            f"{label:52} {fps[0]:13.1f} {fps[1]:12.1f}   "
            f"{fps[0] / raw_fps[0]:.2f}x / {fps[1] / raw_fps[1]:.2f}x{vs_peer}; "
            f"{written[run]} files written, {leaks[run]} planted values left "
            f"(start: {one[0]:.1f} s wall, {one[1]:.1f} s CPU)"
        )


def _read_phi(ocr, pixels: np.ndarray) -> int:  # type: ignore[no-untyped-def]
    """PHI tokens of :data:`PIXEL_PHI` RapidOCR reads in a slice (whole image, 1x and 2x)."""
    from deid.image.ocr import OcrOptions

    lo, hi = np.percentile(pixels, [0.5, 99.5])
    grey = np.clip((pixels.astype(np.float32) - lo) * 255.0 / max(1.0, hi - lo), 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    text = "".join(b.text for s in (1.0, 2.0) for b in ocr.detect(rgb, OcrOptions(scale=s))).upper().replace(" ", "")
    return sum(tok in text for tok in PIXEL_PHI)


def text_series_bench(slices: int, size: int) -> None:
    """Part 2b: a CT series with burned-in text (static name and birth date, a slice
    position line changing on every slice) through ``deid scrub``, nested and flat: PHI
    tokens RapidOCR still reads in every output slice, beside the same count on the
    inputs."""
    from deid.image.ocr import get_ocr_engine

    ocr = get_ocr_engine("rapidocr", 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "series" / "ct").mkdir(parents=True)
        (root / "flat").mkdir()
        paths = make_series(root / "series" / "ct", slices, size, clinical_only=True, pixels="ct-text")
        for path in paths:
            (root / "flat" / path.name).write_bytes(path.read_bytes())
        control = sum(_read_phi(ocr, pydicom.dcmread(p).pixel_array) for p in paths)
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        runs = [("nested", root / "series", "auto"), ("flat", root / "flat", "auto")]
        if cpus > 1:  # the series split across workers, each worker's memory on its own
            runs.append(("flat", root / "flat", str(cpus)))
        for name, src, want in runs:
            out = root / f"out-{name}-{want}"
            wall, cpu, workers = _run_cli(src, out, "--workers", want)
            outputs = sorted(out.rglob("*.dcm"))
            leaks = sum(_read_phi(ocr, pydicom.dcmread(p).pixel_array) for p in outputs)
            manifest = (out / "manifest.jsonl").read_text()
            residual = manifest.count('"status": "withheld"')
            print(
                f"\nCT series with burned-in text, {name} ({slices} slices: name + birth date static, slice line "
                f"changing), `deid scrub`: {len(outputs)} written, {residual} withheld; PHI tokens read by RapidOCR "
                f"(1x+2x) in outputs {leaks} of {control} in the inputs; {wall:.1f} s wall, {cpu:.1f} s CPU with "
                f"process start (--workers {want}: {workers})"
            )


def _jpeg_clip(frames: int, rows: int, columns: int) -> bytes:
    """A JPEG baseline (YBR_FULL_422) ultrasound clip with burned-in text on each frame."""
    import cv2
    from PIL import Image
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    rng = np.random.default_rng(3)
    encoded = []
    for f in range(frames):
        img = np.zeros((rows, columns, 3), np.uint8)
        cv2.ellipse(
            img, (columns // 2, rows // 8), (columns // 2, rows), 0, 60, 120, (70, 70, 70), -1
        )
        speckle = rng.integers(0, 60, (rows, columns, 1), dtype=np.uint8)
        img = np.where(img > 0, np.clip(img.astype(int) + speckle - 30, 0, 255), 0).astype(np.uint8)
        cv2.putText(
            img,
            f"{PLANTED['family'].upper()} {PLANTED['mrn']}",
            (8, 24),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (255, 255, 255),
            1,
        )
        cv2.putText(
            img,
            f"12:0{f % 10}:11",
            (columns - 110, 24),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (255, 255, 255),
            1,
        )
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=90, subsampling=1)
        encoded.append(buf.getvalue())
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    ds.SOPInstanceUID = PLANTED["uid_root"] + ".900"
    ds.StudyInstanceUID = PLANTED["uid_root"] + ".1"
    ds.SeriesInstanceUID = PLANTED["uid_root"] + ".901"
    ds.Modality = "US"
    ds.PatientName = PLANTED["name"]
    ds.PatientID = PLANTED["mrn"]
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate(encoded, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    attach_file_meta(ds, JPEGBaseline8Bit)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def compressed_bench() -> None:
    """Part 3: compressed inputs keep their syntax; sizes against the input."""
    from pydicom.uid import RLELossless

    from deid.core.context import CaseContext
    from deid.dicom import scrub_dicom

    with tempfile.TemporaryDirectory() as tmp:
        ct = pydicom.dcmread(make_series(Path(tmp), 1, 512, clinical_only=True)[0])
        ct.compress(RLELossless, generate_instance_uid=False)
        buf = io.BytesIO()
        ct.save_as(buf)
    inputs = [
        ("CT slice, RLE Lossless (no text)", buf.getvalue()),
        ("US clip 20 frames, JPEG baseline, burned-in text", _jpeg_clip(20, 480, 640)),
    ]
    print("\nCompressed inputs through scrub_dicom (default policy)")
    print(f"{'':50} {'in KB':>7} {'out KB':>7} {'ratio':>6}  output syntax / photometric")
    for label, data in inputs:
        context = CaseContext(b"bench-key-0123456789abcdef", case_id="bench")
        try:
            result = scrub_dicom(data, None, context)
        except Exception as exc:  # noqa: BLE001 - a withheld input is a result here
            print(f"{label:50} withheld: {getattr(exc, 'reason', type(exc).__name__)}")
            continue
        back = pydicom.dcmread(io.BytesIO(result.data))
        back.pixel_array  # decodable  # noqa: B018
        src_pixels = pydicom.dcmread(io.BytesIO(data)).PixelData
        same = "pixel data copied byte for byte" if back.PixelData == src_pixels else "re-encoded"
        print(
            f"{label:50} {len(data) / 1e3:7.1f} {len(result.data) / 1e3:7.1f} "
            f"{len(result.data) / len(data):6.2f}  {back.file_meta.TransferSyntaxUID.name} / "
            f"{back.PhotometricInterpretation}; {same}; leaks {count_leaks(result.data)}"
        )


def pydicom_files_bench() -> None:
    """Part 4: pydicom's own test files: outputs and withheld by reason."""
    import collections
    import warnings

    from pydicom.data import get_testdata_files

    from deid.core.context import CaseContext
    from deid.core.errors import DeidError
    from deid.dicom import scrub_dicom

    files = [f for f in get_testdata_files() if os.path.isfile(f)]
    counts: collections.Counter[str] = collections.Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            try:
                scrub_dicom(path, None, CaseContext(b"bench-key-0123456789abcdef"))
                counts["scrubbed"] += 1
            except DeidError as exc:
                counts[exc.reason] += 1
    print(f"\npydicom test files ({len(files)}) through scrub_dicom, default policy:")
    print("  " + ", ".join(f"{k}: {v}" for k, v in counts.most_common()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=100)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli-slices", type=int, default=200)
    parser.add_argument("--cli-repeat", type=int, default=2)
    parser.add_argument("--cli-pixels", choices=("ct", "ct-text", "noise"), default="ct",
                        help="pixels of the series of parts 1 and 2: a CT phantom (default), with burned-in text, or uniform noise")
    parser.add_argument("--text-slices", type=int, default=60,
                        help="slices of the burned-in text series (0: skip that part)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_series(Path(tmp), args.slices, args.size, pixels=args.cli_pixels)
        total_mb = sum(os.path.getsize(p) for p in paths) / 1e6
        runners: list[tuple[str, Callable[[Path], bytes] | None]] = [
            ("pydicom read+write (floor)", raw_pydicom),
            ("deid scrub_dicom, header only", make_ours(header_only=True)),
            ("deid scrub_dicom, default", make_ours()),
            ("dicognito 0.19 default (peer)", make_dicognito()),
        ]
        present = [(name, fn) for name, fn in runners if fn is not None]
        results = measure(present, paths, args.repeat)
        rows = []
        for name, fn in runners:
            if fn is None:
                rows.append((name, None, None, None, None))
                continue
            cpu, wall, leaks = results[name]
            rows.append((name, len(paths) / cpu, total_mb / cpu, leaks, len(paths) / wall))
    print(
        f"\nDICOM header de-identification: {args.slices} CT slices {args.size}x{args.size} 16-bit, {total_mb:.1f} MB, best of {args.repeat}"
    )
    print(
        f"{'':32} {'files/s':>9} {'MB/s':>8} {'leaks':>6}  (per CPU second; leaks = planted values left in output, of {len(PLANTED) * args.slices})"
    )
    floor = rows[0][1]
    for name, fps, mbps, leaks, wall_fps in rows:
        if fps is None:
            print(f"{name:32} {'n/a (not installed)':>26}")
            continue
        print(
            f"{name:32} {fps:9.1f} {mbps:8.1f} {leaks:6d}   {100 * fps / floor:5.0f}% of floor"
            f"   (wall: {wall_fps:.1f} files/s)"
        )
    if args.cli_slices > 1:
        cli_bench(args.cli_slices, args.size, args.cli_repeat, args.cli_pixels)
    if args.text_slices > 0:
        text_series_bench(args.text_slices, args.size)
    compressed_bench()
    pydicom_files_bench()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
