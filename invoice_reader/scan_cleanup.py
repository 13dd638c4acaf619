"""Scanned page images made ready for OCR: which way the text runs, how far it is skewed,
and the page turned and straightened accordingly. Pure Pillow; no external programs."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageStat

MAX_SKEW_DEG = 5.0
"""Skew searched for, either way; a page fed further askew than this is not straightened."""
MIN_DESKEW_DEG = 0.5
"""Skew below this is left alone: Tesseract reads pages skewed 0.3-0.7° as well either way
(benchmarks/ocr_psm.py), and rotating a 300 DPI page costs about 0.1 s."""
SKEW_STEP_DEG = 0.5
"""Coarse search step; the best coarse angle is then refined to SKEW_FINE_STEP_DEG."""
SKEW_FINE_STEP_DEG = 0.1
SKEW_WORK_DPI = 75
"""The page is measured at about this resolution: text lines stay a few pixels apart, and
the 30-odd trial rotations take milliseconds each."""
SIDEWAYS_RATIO = 1.5
"""Text runs up or down the page when its columns line up this much better than its rows."""
INK_THRESHOLD = 160
"""Grey levels darker than this count as ink when measuring."""
DESPECKLE_PX = 3
"""Side of the median filter run over a page before OCR: it removes specks, sensor noise and
JPEG ringing a pixel or two wide and keeps strokes of 300 DPI text. On the dev scans of both
synthetic generators it took field errors from 121 to 96 of 1360 before the models were trained again
on its output. Tried with it, Sauvola's adaptive threshold in Tesseract (thresholding_method=2) read
as many fields right but lost the dots of capital umlauts ('Überweisung' -> 'Uberweisung'): not kept."""


@dataclass(frozen=True)
class PageLayout:
    """How the text lies on a page image."""

    sideways: bool
    """True when the text lines run up or down the image (the page is turned 90° or 270°)."""
    row_skew_deg: float
    """Counter-clockwise skew, within ±MAX_SKEW_DEG, of lines running across the image."""
    column_skew_deg: float
    """The same for lines running up or down the image."""

    def skew_deg(self, rotate_deg: int) -> float:
        """The skew of the text once the image is turned by rotate_deg (0, 90, 180 or 270).
        Rotations commute, so a turn keeps the skew and only chooses the axis it is read on."""
        return self.column_skew_deg if rotate_deg % 180 else self.row_skew_deg


def measure_layout(image: Image.Image, dpi: int) -> PageLayout:
    """Which axis the text lines follow and their skew, by projection profiles: ink summed
    along rows is most uneven when the rows follow the text lines exactly."""
    ink = image.convert("L").point(lambda v: 255 if v < INK_THRESHOLD else 0)
    factor = max(1, round(dpi / SKEW_WORK_DPI))
    small = ink.reduce(factor) if factor > 1 else ink
    row_angle, row_score = _best_angle(small)
    column_angle, column_score = _best_angle(small.transpose(Image.Transpose.ROTATE_90))
    return PageLayout(
        sideways=column_score > SIDEWAYS_RATIO * row_score, row_skew_deg=row_angle, column_skew_deg=column_angle
    )


def turn_upright(image: Image.Image, rotate_deg: int) -> Image.Image:
    """The image turned clockwise by rotate_deg (0, 90, 180 or 270; Tesseract OSD's 'Rotate')."""
    turns = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return image.transpose(turns[rotate_deg]) if rotate_deg in turns else image


def deskew(image: Image.Image, skew_deg: float) -> Image.Image:
    """The image rotated so that text skewed by skew_deg runs level; same size, white corners.
    Skew under MIN_DESKEW_DEG returns the image itself."""
    if abs(skew_deg) < MIN_DESKEW_DEG:
        return image
    return image.rotate(-skew_deg, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)


def despeckle(image: Image.Image) -> Image.Image:
    """The image with specks and noise under DESPECKLE_PX pixels removed (a median filter)."""
    return image.filter(ImageFilter.MedianFilter(DESPECKLE_PX))


def _best_angle(ink: Image.Image) -> tuple[float, float]:
    """The counter-clockwise skew of the rows of ink (white on black) and its profile score."""
    scores: dict[float, float] = {}

    def score(angle: float) -> float:
        angle = round(angle, 2)
        if angle not in scores:
            rotated = ink.rotate(-angle, resample=Image.Resampling.NEAREST, fillcolor=0)
            profile = rotated.resize((1, rotated.height), Image.Resampling.BOX)
            scores[angle] = ImageStat.Stat(profile).var[0]
        return scores[angle]

    steps = round(MAX_SKEW_DEG / SKEW_STEP_DEG)
    # Ties (a blank page) go to the smallest angle, so that nothing is rotated for nothing.
    coarse = max((i * SKEW_STEP_DEG for i in range(-steps, steps + 1)), key=lambda a: (score(a), -abs(a)))
    fine_steps = round(SKEW_STEP_DEG / SKEW_FINE_STEP_DEG)
    best = max(
        (coarse + i * SKEW_FINE_STEP_DEG for i in range(-fine_steps + 1, fine_steps)),
        key=lambda a: (score(a), -abs(a)),
    )
    return round(best, 2), scores[round(best, 2)]
