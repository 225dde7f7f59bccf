import numpy as np
import pytest
import synth
from PIL import Image

from deid.core.errors import EngineUnavailable
from deid.image.ocr import OcrOptions, get_ocr_engine


def _rgb(img):
    return np.ascontiguousarray(np.array(img.convert("RGB")))


def _texts(ocr, arr, scale=0.75):
    return " ".join(b.text for b in ocr.detect(arr, OcrOptions(scale=scale))).upper()


def test_rapidocr_reads_small_light_on_dark_and_dark_on_light(ocr):
    img = Image.fromarray(synth.noisy(200, 420, 40, 10, seed=1)).convert("RGB")
    synth.draw_text(img, (10, 20), "MRN 5528193", 10, (235, 235, 235))
    img2 = Image.fromarray(synth.noisy(200, 420, 215, 10, seed=2)).convert("RGB")
    synth.draw_text(img2, (10, 20), "WALSH BRIDGET", 12, (20, 20, 20))
    assert "5528193" in _texts(ocr, _rgb(img)).replace(" ", "")
    assert "WALSH" in _texts(ocr, _rgb(img2))


@pytest.mark.parametrize("angle", [-15, 15])
def test_rapidocr_finds_rotated_label(ocr, angle):
    img = Image.fromarray(synth.noisy(300, 400, 200, 8, seed=3)).convert("RGB")
    synth.draw_text(img, (60, 100), "OKAFOR CHIDI", 22, (10, 10, 10), angle=angle)
    boxes = ocr.detect(_rgb(img), OcrOptions(scale=0.75))
    assert any("OKAFOR" in b.text.upper() for b in boxes)
    # The polygon follows the rotation (not an axis-aligned strip through the middle).
    b = next(b for b in boxes if "OKAFOR" in b.text.upper())
    assert b.box[3] > 30


def test_detector_only_mode_returns_boxes_without_text(ocr):
    arr = np.repeat(synth.ultrasound_frame()[:, :, None], 3, axis=2)
    boxes = ocr.detect(arr, OcrOptions(scale=0.75, recognize=False))
    assert len(boxes) >= 3 and all(b.text == "" for b in boxes)


def test_tesseract_reads_plain_text():
    engine = get_ocr_engine("tesseract", 1)
    img = Image.new("RGB", (420, 80), (255, 255, 255))
    synth.draw_text(img, (10, 20), "PATIENT BRENNAN", 24, (0, 0, 0))
    assert "BRENNAN" in " ".join(b.text for b in engine.detect(_rgb(img))).upper()


def test_unknown_engine_is_unavailable():
    with pytest.raises(EngineUnavailable):
        get_ocr_engine("no-such-ocr", 1)


def test_textbox_repr_hides_text(ocr):
    img = Image.fromarray(synth.noisy(100, 300, 40, 10)).convert("RGB")
    synth.draw_text(img, (10, 30), "ZELIGMAN", 18, (240, 240, 240))
    boxes = ocr.detect(_rgb(img))
    assert boxes and all("ZELIGMAN" not in repr(b).upper() for b in boxes)


def test_flushing_denormal_weights_keeps_the_detector_output():
    """The detector model with its denormal weights zeroed (deid.image._onnx_shapes)
    gives the same probability map as the model file shipped in the wheel."""
    from pathlib import Path

    import onnxruntime as ort
    import rapidocr

    from deid.image._onnx_shapes import flush_denormals

    raw = (Path(rapidocr.__file__).resolve().parent / "models" / "PP-OCRv6_det_small.onnx").read_bytes()
    flushed, n = flush_denormals(raw)
    assert n > 100_000  # the two 768->384 convolutions of PP-OCRv6 small
    assert len(flushed) == len(raw)
    assert flush_denormals(flushed)[1] == 0
    frame = np.repeat(synth.ultrasound_frame()[:, :, None], 3, axis=2)[:256, :320]
    blob = np.ascontiguousarray(frame[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 127.5 - 1.0
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    maps = [ort.InferenceSession(m, so, providers=["CPUExecutionProvider"]).run(None, {"x": blob})[0] for m in (raw, flushed)]
    assert maps[0].max() > 0.5  # the frame has text
    np.testing.assert_allclose(maps[1], maps[0], atol=1e-6)


def test_read_keeps_what_an_engine_that_always_reads_already_read():
    """OcrEngine.read (used by the inverted pass on boxes found with recognize=False)
    must not replace Tesseract's own line reads with a re-read of a crop around each
    box: on closely spaced lines the crop's best line was a fragment or nothing, and a
    box that reads nothing at a low detector score is dropped, not redacted."""
    from PIL import ImageDraw, ImageFont

    engine = get_ocr_engine("tesseract", 1)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 18)
    img = Image.new("RGB", (520, 140), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    draw.text((20, 40), "QUELMARK ZORVAN", font=font, fill=(10, 10, 10))
    draw.text((20, 56), "LT KIDNEY  LONG", font=font, fill=(10, 10, 10))
    arr = _rgb(img)
    boxes = engine.detect(arr, OcrOptions(scale=1.0, recognize=False))
    before = [(b.text, b.score) for b in boxes]
    assert any("ZORVAN" in t for t, _s in before), before  # the test can fail: it was read
    engine.read(arr, boxes)
    assert [(b.text, b.score) for b in boxes] == before


def test_a_model_the_denormal_flush_cannot_parse_makes_the_engine_unavailable(monkeypatch):
    """A detector or recogniser file that is not the ONNX protobuf flush_denormals reads
    (truncated, another format) stops the engine with EngineUnavailable (callers
    withhold), never a session built from a half-read model."""
    from deid.image import _onnx_shapes

    real = _onnx_shapes.flush_denormals
    monkeypatch.setattr(_onnx_shapes, "flush_denormals", lambda model: real(model[: len(model) // 2]))
    with pytest.raises(EngineUnavailable):
        get_ocr_engine("rapidocr", 5)



def test_default_read_keeps_every_line_of_the_crop():
    """The default OcrEngine.read (for engines that cannot read a given quad) keeps every
    line it reads around a box, not the best-scored one: a safe neighbouring line read
    more surely must not hide the box's own text from the judge. The engine here is the
    base class's contract with fixed reads (two lines in the crop, the name read less
    surely), so the test does not depend on what a real engine happens to score."""
    from deid.image.ocr import OcrEngine, TextBox

    def quad(x: float, y: float, w: float, h: float) -> np.ndarray:
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)

    class FixedReads(OcrEngine):
        name = "fixed"

        def detect(self, image, options=None):
            return [
                TextBox(quad(2, 30, 90, 10), "LT KIDNEY", 0.97),
                TextBox(quad(2, 4, 90, 10), "QUELMARK ZORVAN", 0.61),
            ]

    box = TextBox(quad(10, 10, 80, 12))
    FixedReads().read(np.zeros((60, 120, 3), np.uint8), [box])
    assert box.text == "QUELMARK ZORVAN LT KIDNEY"
    assert box.score == pytest.approx(0.97)
