"""Synthetic benchmark images with known boxes: burned-in PHI, faces, wristbands.

Everything is rendered in code (DejaVu/Liberation fonts, skimage's public-domain
astronaut face); names and numbers come from a seeded Faker. Each sample records
where every piece of text and every face was put, so recall can be measured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
]


@dataclass
class PlantedText:
    box: tuple[int, int, int, int]  # x, y, w, h
    text: str
    phi: bool
    name: bool = False  # the deny-listed patient name


@dataclass
class PlantedFace:
    box: tuple[int, int, int, int]  # the face itself (not the head crop)
    size: int


@dataclass
class Sample:
    kind: str  # us | xray | screen | wristband | face_photo | plain_photo
    image: np.ndarray  # uint8, (H, W) or (H, W, 3)
    mode: str  # "all" (DICOM pixel data default) or "phi" (photos, screenshots)
    patient: str
    texts: list[PlantedText] = field(default_factory=list)
    faces: list[PlantedFace] = field(default_factory=list)


def _font(rng: random.Random, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    avail = [f for f in FONTS if Path(f).is_file()]
    if not avail:
        return ImageFont.load_default(size)
    return ImageFont.truetype(rng.choice(avail), size)


def draw(img: Image.Image, xy: tuple[int, int], text: str, font, fill, angle: float = 0.0) -> tuple[int, int, int, int]:
    left, t, r, b = font.getbbox(text)
    pad = 3
    layer = Image.new("L", (r - left + 2 * pad, b - t + 2 * pad), 0)
    ImageDraw.Draw(layer).text((pad - left, pad - t), text, font=font, fill=255)
    if angle:
        layer = layer.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    img.paste(Image.new(img.mode, layer.size, fill), xy, layer)
    bb = layer.getbbox() or (0, 0, 1, 1)
    return xy[0] + bb[0], xy[1] + bb[1], bb[2] - bb[0], bb[3] - bb[1]


class Gen:
    def __init__(self, seed: int = 7) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)

    def person(self) -> str:
        return f"{self.fake.last_name().upper()} {self.fake.first_name().upper()}"

    def mrn(self) -> str:
        return str(self.rng.randint(1_000_000, 99_999_999))

    def date(self) -> str:
        d = self.fake.date_of_birth(minimum_age=1, maximum_age=95)
        return d.strftime(self.rng.choice(["%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%b-%Y"]))

    # ---- pixel-data like frames (text mode "all") -------------------------------
    def ultrasound(self) -> Sample:
        rng = self.rng
        base = self.np.normal(25, 10, (480, 640)).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(base)
        d = ImageDraw.Draw(img)
        d.pieslice([120, -220, 520, 440], 58, 122, fill=int(rng.uniform(60, 110)))
        # speckle in the sector
        arr = np.array(img).astype(np.int16)
        arr += (self.np.normal(0, 18, arr.shape) * (arr > 50)).astype(np.int16)
        img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
        bar = int(rng.uniform(22, 34))
        bar_grey = int(rng.uniform(30, 110))
        ImageDraw.Draw(img).rectangle([0, 0, 639, bar], fill=bar_grey)
        name = self.person()
        s = Sample("us", np.zeros(1), "all", name)
        size = rng.choice([10, 11, 12, 13, 14, 16])
        # One frame in three has low-contrast text: 55-80 grey levels above its bar.
        fg = int(rng.uniform(170, 255)) if rng.random() > 0.33 else bar_grey + int(rng.uniform(55, 80))
        x = 6
        for text, is_name in [(name, True), (f"ID {self.mrn()}", False), (self.date(), False)]:
            box = draw(img, (x, max(2, bar // 2 - size // 2 - 2)), text, _font(rng, size), fg)
            s.texts.append(PlantedText(box, text, True, is_name))
            x = box[0] + box[2] + rng.randint(20, 60)
        hosp = f"{self.fake.last_name()} Hospital"
        s.texts.append(PlantedText(draw(img, (rng.randint(380, 470), 470 - 2 * size), hosp, _font(rng, 10), int(rng.uniform(150, 240))), hosp, True))
        for t in ["C5-1", "ABD", "Gn 54", "FR 28Hz"]:
            box = draw(img, (rng.randint(540, 580), rng.randint(60, 400)), t, _font(rng, rng.choice([10, 11, 12])), 200)
            s.texts.append(PlantedText(box, t, False))
        s.image = np.array(img)
        return s

    def xray(self) -> Sample:
        rng = self.rng
        n = 768
        yy, xx = np.mgrid[:n, :n]
        body = 90 + 80 * np.exp(-(((yy - 400) / 260) ** 2 + ((xx - 384) / 180) ** 2))
        arr = (body + self.np.normal(0, 8, (n, n))).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(arr)
        name = self.person()
        s = Sample("xray", np.zeros(1), "all", name)
        corner = rng.choice(["tl", "tr", "bl"])
        size = rng.choice([10, 12, 14, 18, 24])
        angle = rng.choice([0, 0, 0, -10, 8, 15, -15])
        lines = [(name, True, True), (f"DOB {self.date()}", True, False), (f"MRN {self.mrn()}", True, False)]
        y = 12 if corner != "bl" else n - 4 * (size + 10)
        if rng.random() < 0.25:
            y = rng.randint(250, 450)  # over the bright body, not in a dark corner
        for text, phi, is_name in lines:
            x = 12 if corner != "tr" else n - int(size * 0.62 * len(text)) - 30
            box = draw(img, (x, y), text, _font(rng, size), 255, angle)
            s.texts.append(PlantedText(box, text, phi, is_name))
            y = box[1] + box[3] + 6
        s.texts.append(PlantedText(draw(img, (n - 60, n - 60), rng.choice(["L", "R"]), _font(rng, 28), 255), "L", False))
        s.image = np.array(img)
        return s

    # ---- screenshots / photos (text mode "phi") ----------------------------------
    def screenshot(self) -> Sample:
        rng = self.rng
        bgv = rng.randint(200, 250)
        img = Image.new("RGB", (1024, 640), (bgv,) * 3)
        name = self.person()
        s = Sample("screen", np.zeros(1), "phi", name)
        size = rng.choice([10, 11, 12, 13, 14, 16])
        color = (rng.randint(0, 80),) * 3 if rng.random() > 0.33 else (bgv - rng.randint(70, 100),) * 3
        y = 20
        rows = [
            (f"Patient: {name.title()}", True, True),
            (f"DOB: {self.date()}", True, False),
            (f"MRN: {self.mrn()}", True, False),
            ("Findings: mild pleural effusion on the left", False, False),
            ("Impression: no acute fracture", False, False),
            (f"Phone: {self.fake.numerify('(###) ###-####')}", True, False),
        ]
        rng.shuffle(rows)
        for text, phi, is_name in rows:
            box = draw(img, (rng.randint(20, 300), y), text, _font(rng, size), color)
            s.texts.append(PlantedText(box, text, phi, is_name))
            y = box[1] + box[3] + rng.randint(14, 40)
        s.image = np.array(img)
        return s

    def skin(self, h: int, w: int) -> np.ndarray:
        import cv2

        base = np.zeros((h, w, 3), np.float32)
        base[:] = (self.rng.randint(150, 225), self.rng.randint(110, 170), self.rng.randint(90, 140))
        base += self.np.normal(0, 5, (h, w, 3))
        cv2.ellipse(base, (w // 2 + self.rng.randint(-80, 80), h // 2), (w // 7, h // 8), self.rng.randint(0, 180), 0, 360, (160, 60, 55), -1)
        return cv2.GaussianBlur(base, (0, 0), 2).clip(0, 255).astype(np.uint8)

    def wristband(self) -> Sample:
        rng = self.rng
        h, w = 900, 1200
        img = Image.fromarray(self.skin(h, w))
        name = self.person()
        s = Sample("wristband", np.zeros(1), "phi", name)
        angle = rng.uniform(-15, 15)
        band = Image.new("L", (760, 120), 255)
        bimg = Image.new("RGB", band.size, (245, 245, 240))
        size = rng.choice([18, 22, 26, 30])
        lines = [(name, True), (f"MRN {self.mrn()}  DOB {self.date()}", False)]
        # Draw text on the band, then rotate band + text together and paste.
        layer = Image.new("L", band.size, 0)
        ld = ImageDraw.Draw(layer)
        y = 12
        spans = []
        for text, _ in lines:
            f = _font(rng, size)
            left, t, r, b = f.getbbox(text)
            ld.text((20 - left, y - t), text, font=f, fill=255)
            spans.append((20, y, r - left, b - t))
            y += (b - t) + 16
        bimg.paste(Image.new("RGB", band.size, (20, 20, 70)), (0, 0), layer)
        rot = bimg.rotate(angle, expand=True, fillcolor=(0, 0, 0))
        rmask = band.rotate(angle, expand=True)
        ox, oy = rng.randint(80, 300), rng.randint(300, 600)
        img.paste(rot, (ox, oy), rmask)
        # Planted boxes: rotate each text span's corners with the band.
        import math

        cx, cy = band.size[0] / 2, band.size[1] / 2
        rcx, rcy = rot.size[0] / 2, rot.size[1] / 2
        a = math.radians(-angle)
        for (x0, y0, bw, bh), (text, is_name) in zip(spans, lines, strict=True):
            pts = []
            for px, py in [(x0, y0), (x0 + bw, y0), (x0 + bw, y0 + bh), (x0, y0 + bh)]:
                dx, dy = px - cx, py - cy
                pts.append((ox + rcx + dx * math.cos(a) - dy * math.sin(a), oy + rcy + dx * math.sin(a) + dy * math.cos(a)))
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            box = (int(min(xs)), int(min(ys)), int(max(xs) - min(xs)), int(max(ys) - min(ys)))
            s.texts.append(PlantedText(box, text, True, is_name))
        s.image = np.array(img)
        return s

    def face_photo(self, sizes: list[int], h: int = 1200, w: int = 1600) -> Sample:
        import cv2
        from skimage import data

        rng = self.rng
        canvas = self.np.normal(rng.randint(90, 200), 25, (h, w, 3)).clip(0, 255).astype(np.uint8)
        s = Sample("face_photo", canvas, "phi", self.person())
        ast = data.astronaut()[0:260, 110:340]
        x, y = 30, 40
        for px in sizes:
            k = px / 100.0
            head = cv2.resize(ast, (max(1, int(230 * k)), max(1, int(260 * k))), interpolation=cv2.INTER_AREA)
            if rng.random() < 0.5:
                head = head[:, ::-1]
            if rng.random() < 0.3:
                head = np.repeat(cv2.cvtColor(head, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
            head = (head.astype(np.float32) * rng.uniform(0.7, 1.2)).clip(0, 255).astype(np.uint8)
            hh, hw = head.shape[:2]
            if x + hw > w - 20:
                x, y = 30, y + int(2.8 * max(sizes)) + 30
            if y + hh > h:
                break
            canvas[y : y + hh, x : x + hw] = head
            # The face inside the crop: x 65-165, y 55-185 of the 230x260 crop (scaled).
            s.faces.append(PlantedFace((x + int(65 * k), y + int(55 * k), int(100 * k), int(130 * k)), px))
            x += hw + rng.randint(40, 140)
        return s

    def big_photo(self) -> Sample:
        """A 12 MP photo: a wristband photo scaled up 3.3x, with a smaller text label
        and a face photo pasted in (boxes scaled with it)."""
        import cv2

        wb = self.wristband()
        k = 4000 / wb.image.shape[1]
        img = cv2.resize(wb.image, (4000, 3000), interpolation=cv2.INTER_CUBIC)
        s = Sample("big_photo", img, "phi", wb.patient)
        for t in wb.texts:
            x, y, w, h = t.box
            s.texts.append(PlantedText((int(x * k), int(y * k), int(w * k), int(h * k)), t.text, t.phi, t.name))
        fp = self.face_photo([32, 40, 80, 160], h=1000, w=1400)
        img[1900:2900, 2500:3900] = fp.image
        for f in fp.faces:
            x, y, w, h = f.box
            s.faces.append(PlantedFace((x + 2500, y + 1900, w, h), f.size))
        pil = Image.fromarray(img)
        label = f"{s.patient.title()} {self.date()}"
        box = draw(pil, (600, 300), label, _font(self.rng, 14), (30, 30, 30))
        s.texts.append(PlantedText(box, label, True, False))
        s.image = np.array(pil)
        return s

    def plain_photo(self) -> Sample:
        return Sample("plain_photo", self.skin(900, 1200), "phi", self.person())


def dataset(seed: int = 7, scale: int = 1) -> list[Sample]:
    g = Gen(seed)
    out: list[Sample] = []
    for _ in range(10 * scale):
        out.append(g.ultrasound())
    for _ in range(8 * scale):
        out.append(g.xray())
    for _ in range(6 * scale):
        out.append(g.screenshot())
    for _ in range(8 * scale):
        out.append(g.wristband())
    for _ in range(3 * scale):
        out.append(g.face_photo([30, 32, 34, 36, 38, 40]))
        out.append(g.face_photo([44, 56, 80, 120, 200]))
    for _ in range(5 * scale):
        out.append(g.plain_photo())
    for _ in range(2 * scale):
        out.append(g.big_photo())
    return out
