"""What every OCR engine reads and returns: a page image prepared once (rendered, turned upright,
straightened) and the words it holds, in the page's points.

Tesseract (ocr.TesseractEngine) reads the pages without a text layer; Florence-2
(vlm_stage.FlorenceEngine) reads parts of them again from the same prepared images, so that a page
is rendered and straightened once and both engines' words land on the same points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from .scan_cleanup import despeckle, deskew, remove_rules, turn_upright
from .text_lines import Word

Box = tuple[float, float, float, float]
"""(x0, top, x1, bottom) in the page's points, from its top-left corner."""


@dataclass(frozen=True)
class PreparedPage:
    """One page image made ready to read: rendered once, turned upright, straightened, despeckled
    and its rules (table grids, boxes) removed."""

    index: int
    """0-based page index."""
    image: Image.Image
    """The upright, straightened, despeckled image without rules (grayscale)."""
    dpi: int
    """Resolution of the image: one pixel is 72 / dpi points."""
    rotate_deg: int = 0
    """Clockwise turn applied to the rendered page: 0, 90, 180 or 270."""
    skew_deg: float = 0.0
    """Counter-clockwise skew measured on the rendered page (straightened when large enough)."""

    @classmethod
    def prepare(
        cls, rendered: Image.Image, index: int, dpi: int, rotate_deg: int = 0, skew_deg: float = 0.0
    ) -> PreparedPage:
        """The rendered page turned clockwise by rotate_deg, straightened by skew_deg, despeckled and
        its rules removed (scan_cleanup.turn_upright, deskew, despeckle, remove_rules)."""
        upright = deskew(turn_upright(rendered, rotate_deg), skew_deg)
        return cls(index, clean_page(upright, dpi), dpi, rotate_deg, skew_deg)

    @property
    def points_per_pixel(self) -> float:
        return 72 / self.dpi

    @property
    def size_pt(self) -> tuple[float, float]:
        """(width, height) of the upright page in points."""
        return self.image.width * self.points_per_pixel, self.image.height * self.points_per_pixel

    def crop(self, box: Box | None) -> tuple[Image.Image, tuple[float, float]]:
        """The part of the image inside box (None: the whole image) and the page point at its top-left
        pixel, to which the words read on it are relative."""
        if box is None:
            return self.image, (0.0, 0.0)
        scale = self.points_per_pixel
        left, top = int(box[0] / scale), int(box[1] / scale)
        right = min(self.image.width, max(left + 1, round(box[2] / scale)))
        bottom = min(self.image.height, max(top + 1, round(box[3] / scale)))
        return self.image.crop((left, top, right, bottom)), (left * scale, top * scale)


def clean_page(upright: Image.Image, dpi: int, box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """An upright, straightened page image despeckled and its rules removed (scan_cleanup.despeckle,
    remove_rules): what Tesseract reads. With a pixel box (scan_cleanup.content_box), only that part is
    cleaned; the rest of the image is left as it was."""
    if box is None:
        return remove_rules(despeckle(upright), dpi)
    cleaned = upright.copy()
    cleaned.paste(remove_rules(despeckle(upright.crop(box)), dpi), box[:2])
    return cleaned


@dataclass(frozen=True)
class RegionWords:
    """What an engine read in one region of a prepared page."""

    words: list[Word]
    """The words, in the page's points."""
    confidence: float | None
    """Mean word confidence, 0..100; None without words, or from an engine that has none (Florence-2)."""


class OcrEngine(Protocol):
    """Reads regions of prepared pages into words."""

    def read(self, regions: Sequence[tuple[PreparedPage, Box | None]]) -> list[RegionWords]:
        """The words of each (page, box) in order; box None reads the whole page. Raises what the
        engine raises (ocr.OcrFailed, ocr.PageTimedOut, vlm.VlmError)."""
        ...
