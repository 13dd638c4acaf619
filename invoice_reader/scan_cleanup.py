"""Scanned page images made ready for OCR: which way the text runs, how far it is skewed,
and the page turned and straightened accordingly. Pillow, and OpenCV for the filters and morphology of
cleanup; no external programs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from PIL import Image, ImageFilter, ImageStat

if TYPE_CHECKING:
    import numpy as np

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


CONTENT_MARGIN_IN = 0.25
"""Paper kept around a page's ink when only its content is cleaned and read (content_box): a rule or a faint
mark near the text, lighter than the ink measured, stays inside."""
CONTENT_WORK_DPI = 75
"""Ink is located at about this resolution: a block of pixels counts when a third of it is ink, so text and
filled areas count and isolated specks of a noisy scan do not."""


RULE_MIN_LENGTH_IN = 0.25
"""A straight run of ink at least this long (inches) across or down the page is a rule (a table's
grid, a box, an underline), not a letter's stroke."""
RULE_MAX_WIDTH_IN = 0.03
"""Rules are thinner than this; a wider run of ink is a filled area (a dark header band with light
text on it) and stays."""
RULE_WORK_DPI = 150
"""Rules are looked for at about this resolution (a quarter of the pixels of a 300 DPI page)."""


@cache
def opencv():
    """OpenCV and numpy, imported when a scan is first cleaned: the processes that never clean one (the API,
    the runner around its document workers) do not carry their 40 MiB."""
    import cv2
    import numpy

    cv2.setNumThreads(1)  # pages and files are read in parallel already: one thread each
    return cv2, numpy


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
    small, _ = _ink(image.convert("L"), dpi, SKEW_WORK_DPI)
    row_angle, row_score = _best_angle(small)
    column_angle, column_score = _best_angle(small.transpose(Image.Transpose.ROTATE_90))
    return PageLayout(
        sideways=column_score > SIDEWAYS_RATIO * row_score, row_skew_deg=row_angle, column_skew_deg=column_angle
    )


def _ink(grey: Image.Image, dpi: int, work_dpi: int) -> tuple[Image.Image, int]:
    """The grey image's ink (levels under INK_THRESHOLD) at about work_dpi, each pixel the share of ink in the
    block of pixels it stands for (0-255), and the block's side in pixels."""
    factor = max(1, round(dpi / work_dpi))
    ink = grey.point(lambda v: 255 if v < INK_THRESHOLD else 0)
    return (ink.reduce(factor) if factor > 1 else ink), factor


def content_box(image: Image.Image, dpi: int) -> tuple[int, int, int, int] | None:
    """The pixel box (left, top, right, bottom) of the image that holds its ink, CONTENT_MARGIN_IN wider each way
    and within the image; None when no ink was found (a blank page). Cleaning and reading only this box
    skips the blank margins, which cost time and hold nothing to read."""
    ink, factor = _ink(image.convert("L"), dpi, CONTENT_WORK_DPI)
    found = ink.point(lambda v: 255 if v >= 85 else 0).getbbox()
    if found is None:
        return None
    margin = round(CONTENT_MARGIN_IN * dpi)
    left, top, right, bottom = (value * factor for value in found)
    return (
        max(0, left - margin),
        max(0, top - margin),
        min(image.width, right + margin),
        min(image.height, bottom + margin),
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
    """The image with specks and noise under DESPECKLE_PX pixels removed (a median filter): pixel for pixel
    Pillow's ImageFilter.MedianFilter, edges included (OpenCV's, in a few hundredths of its time)."""
    if image.mode != "L":
        return image.filter(ImageFilter.MedianFilter(DESPECKLE_PX))
    cv2, np = opencv()
    return Image.fromarray(cv2.medianBlur(np.asarray(image), DESPECKLE_PX))


def remove_rules(image: Image.Image, dpi: int) -> Image.Image:
    """The image with its rules painted over in the paper's grey: the lines of ruled tables and boxes, which
    Tesseract otherwise reads as letters ('|', '[', 'I') glued to the cells' words, or whose cells it
    fails to read at all. A rule is a run of ink RULE_MIN_LENGTH_IN long and under RULE_MAX_WIDTH_IN
    wide, across or down the page (the page is straightened first)."""
    grey = image.convert("L")
    ink, factor = _ink(grey, dpi, RULE_WORK_DPI)
    # Half of a pixel's ink or more: a thin rule that straddles two pixels is kept in both.
    ink = ink.point(lambda v: 255 if v >= 100 else 0)
    length = max(2, round(RULE_MIN_LENGTH_IN * dpi / factor))
    width = max(2, round(RULE_MAX_WIDTH_IN * dpi / factor))
    cv2, np = opencv()
    mask = np.asarray(ink)
    rules = np.zeros_like(mask)
    # Across the page, then down it (the transposed mask): runs of ink at least `length` long, less those at
    # least `width` thick.
    for down in (False, True):
        runs = _runs(np.ascontiguousarray(mask.T) if down else mask, length)
        if not runs.any():
            continue  # no rule this way (most pages have few): nothing thick to tell apart
        thick = _runs(np.ascontiguousarray(runs.T), width).T
        thin = cv2.subtract(runs, _grown(np.ascontiguousarray(thick)))
        rules = cv2.max(rules, np.ascontiguousarray(thin.T) if down else thin)
    if not rules.any():
        return image
    if factor > 1:
        large = cv2.resize(rules, (rules.shape[1] * factor, rules.shape[0] * factor), interpolation=cv2.INTER_NEAREST)
        rules = np.zeros((image.height, image.width), np.uint8)
        rows, columns = min(image.height, large.shape[0]), min(image.width, large.shape[1])
        rules[:rows, :columns] = large[:rows, :columns]
    # A pixel's margin around the rule: its blurred, anti-aliased edge, lighter than ink.
    rules = _grown(rules)
    # Painted in the paper's grey (the page's median level), not white: Tesseract's line recogniser
    # reads grey levels, and white stripes beside the digits of a grey scan change how it reads them.
    paper = int(ImageStat.Stat(grey.reduce(4)).median[0])
    return Image.composite(Image.new("L", image.size, paper).convert(image.mode), image, Image.fromarray(rules))


def _grown(mask: np.ndarray) -> np.ndarray:
    """The mask grown by a pixel each way (a 3x3 dilation); nothing comes in from beyond the edges."""
    cv2, np = opencv()
    return cv2.dilate(mask, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """The pixels of mask (255 = set) that lie in a horizontal run of at least length set pixels.
    Found as wholly set blocks of length pixels that start a quarter block apart (at columns whose offset
    in the row of blocks is a multiple of the step), then followed along the run for a quarter block more
    each way: a run of 1.25 x length is always found whole, a run shorter than length never (unless it lies
    within a quarter block of a run that is found)."""
    cv2, np = opencv()
    width = mask.shape[1]
    step = max(1, length // 4)
    if width < length:
        return np.zeros_like(mask)
    line = np.ones((1, length), np.uint8)
    # Set where the block starting at that column is wholly set; blocks reaching past the edge are not.
    whole = cv2.erode(mask, line, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    whole[:, (np.arange(width) % length) % step != 0] = 0
    # Each such block's pixels: set where a block starts up to length - 1 columns to the left.
    found = cv2.dilate(whole, line, anchor=(length - 1, 0), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    # The ends a block does not reach: the run's ink on either side, up to a step away.
    reach = cv2.dilate(found, np.ones((1, 2 * step + 1), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.min(reach, mask)


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
