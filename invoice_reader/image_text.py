"""Words printed inside the images of pages that have a text layer: a seller who shows its name,
address and VAT id only in a logo or a letterhead image.

A born-digital invoice's text layer holds everything most sellers print, so this reading is asked
only when that text leaves the invoice without its seller (needed). It reads the images of the first
and the last page that could hold a line of text (image_regions), each cut from the page rendered
once, with Tesseract (ocr.TesseractEngine) in the document's languages; their words join the page's
own, and the fields the first reading lacks are taken from a second reading (vlm_stage.merge_readings,
as for Florence-2). A failure here never fails the document: the first reading stays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from PIL import Image, ImageOps

from .ocr import OcrFailed, PageTimedOut, TesseractEngine, document_languages
from .ocr_engine import Box, PreparedPage
from .pdf_text import PdfFile
from .result import InvoiceFields
from .text_lines import PageText, Word, build_lines

MIN_HEIGHT_PT = 8.0
MIN_WIDTH_PT = 24.0
"""An image smaller than this holds no line of text worth reading (bullets, icons, tick boxes)."""
MAX_PAGE_SHARE = 0.5
"""An image covering more of the page than this is a background or a scan of the page, not a logo."""
MAX_WORDS_UNDER = 2
"""An image with more of the text layer's words on it than this is a background behind text already read."""
MAX_IMAGES = 6
"""At most this many images are read a document, the largest first."""
PAD_PX = 20
"""White margin set around each image before it is read."""
IMAGE_PSM = 11
"""Tesseract's sparse-text mode: a logo's words are scattered, not a block of lines."""


@dataclass(frozen=True)
class ImageRegion:
    page: int
    box: Box


def needed(fields: InvoiceFields | None) -> bool:
    """Whether the images are worth reading: an invoice read from its print without a seller."""
    return fields is not None and fields.source == "text" and fields.provider is None


def image_regions(pdf: PdfFile, pages: list[PageText], read_by_ocr: set[int]) -> list[ImageRegion]:
    """The images of the first and last page with a text layer that may hold a line of text, largest first."""
    with_text = [page for page in pages if page.index not in read_by_ocr]
    chosen = {page.index: page for page in (with_text[:1] + with_text[-1:])}
    regions = []
    for index, page in chosen.items():
        words = [word for line in page.lines for word in line.words]
        for box in pdf.image_boxes(index):
            width, height = box[2] - box[0], box[3] - box[1]
            if width < MIN_WIDTH_PT or height < MIN_HEIGHT_PT:
                continue
            if page.width and page.height and width * height > MAX_PAGE_SHARE * page.width * page.height:
                continue
            if sum(_inside(word, box) for word in words) > MAX_WORDS_UNDER:
                continue
            regions.append(ImageRegion(index, box))
    regions.sort(key=lambda r: -(r.box[2] - r.box[0]) * (r.box[3] - r.box[1]))
    return regions[:MAX_IMAGES]


@dataclass
class ImageReading:
    pages: list[PageText]
    """The document's pages with the images' words added."""
    report: dict
    """What was read: pages, images, words, seconds; or the error."""


def read_images(
    pdf: PdfFile,
    pages: list[PageText],
    text: str,
    regions: list[ImageRegion],
    ocr_languages: str,
    dpi: int,
    timeout_s: float,
) -> ImageReading:
    """The pages with the words Tesseract reads in the regions added (Word.source 'image_ocr'), in the
    languages text (the pages' text, as read) is written in. On an OCR failure or timeout the pages come
    back as they were, with the error in the report."""
    started = time.perf_counter()
    report: dict = {"images": [{"page": r.page, "box": [round(v, 1) for v in r.box]} for r in regions]}
    added: dict[int, list[Word]] = {}
    try:
        languages = document_languages(ocr_languages, text)
        engine = TesseractEngine(languages, IMAGE_PSM, time.monotonic() + timeout_s)
        for index in sorted({r.page for r in regions}):
            boxes = [r.box for r in regions if r.page == index]
            images = _image_pictures(pdf.render_page(index, dpi), boxes, dpi)
            reads = engine.read([(PreparedPage(index, image, dpi), None) for image in images])
            for box, read in zip(boxes, reads, strict=True):
                dx, dy = box[0] - PAD_PX * 72 / dpi, box[1] - PAD_PX * 72 / dpi
                added.setdefault(index, []).extend(
                    replace(w, x0=w.x0 + dx, top=w.top + dy, x1=w.x1 + dx, bottom=w.bottom + dy, source="image_ocr")
                    for w in read.words
                    if _is_text(w.text)
                )
    except (OcrFailed, PageTimedOut) as e:
        report.update(error=str(e) or type(e).__name__, seconds=round(time.perf_counter() - started, 4))
        return ImageReading(pages, report)
    report.update(
        languages=languages,
        words=sum(len(words) for words in added.values()),
        seconds=round(time.perf_counter() - started, 4),
    )
    return ImageReading([_with_words(page, added.get(page.index, [])) for page in pages], report)


def _image_pictures(page: Image.Image, boxes: list[Box], dpi: int) -> list[Image.Image]:
    """Each box of the rendered page, its grey levels stretched to black and white (a logo's letters in a
    shade close to their background's, dark on a dark band or pale on white, read as well as black on
    white) and set on a white margin of PAD_PX pixels, as Tesseract reads best."""
    scale = dpi / 72
    pictures = []
    for box in boxes:
        crop = page.crop(tuple(round(v * scale) for v in box))
        pictures.append(ImageOps.expand(ImageOps.autocontrast(crop, cutoff=1), border=PAD_PX, fill=255))
    return pictures


def _with_words(page: PageText, words: list[Word]) -> PageText:
    if not words:
        return page
    return replace(page, lines=build_lines([word for line in page.lines for word in line.words] + words))


def _is_text(word: str) -> bool:
    """Whether an image's word is text, not a logo's symbol or mark read as one ("©", "(3", "®")."""
    return sum(c.isalnum() for c in word) >= 2 or word in {"&", "+"}


def _inside(word: Word, box: Box) -> bool:
    return box[0] <= (word.x0 + word.x1) / 2 <= box[2] and box[1] <= word.middle <= box[3]
