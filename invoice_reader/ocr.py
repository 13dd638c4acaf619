"""The one module that calls Tesseract: pages without a text layer, rendered, turned upright,
straightened (ocr_engine.PreparedPage) and read by OCR (TesseractEngine)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import lru_cache

import pytesseract
from PIL import Image

from .language import AUTO, LanguageChoice, can_choose, candidate_languages, choose_languages, fallback_languages
from .ocr_engine import Box, PreparedPage, RegionWords
from .pdf_text import PdfFile
from .result import OcrFailed, PageTooLarge
from .scan_cleanup import PageLayout, deskew, measure_layout, turn_upright
from .text_lines import PageText, Word, build_lines

OCR_PAGE_TIMEOUT_S = 120.0
"""A page Tesseract has not read in this time is skipped, not a failed document."""
OCR_MAX_WORKERS = 2
"""Pages of one document read at once; each Tesseract runs one thread (OMP_THREAD_LIMIT=1)."""
OCR_PSM = 6
"""Tesseract page segmentation mode: 6 reads the page as one block of text, which keeps table
rows whole. On our scanned invoices (benchmarks/ocr_psm.py) it recalls 98.3% of the printed
words unstraightened against 94.8% for the default 3, and ties 3 and 4 once deskewed; lines are
rebuilt from the word boxes (build_lines), so its single block costs nothing on columns."""
PROBE_DPI = 100
"""Resolution of the first pass that tells a scan's language: the English model at 100 DPI still
reads most words of a 9-10 pt text right, in about a third of a full reading's time."""
PROBE_BANDS = ((0.0, 0.4), (0.4, 1.0))
"""The parts of the page the probe reads, in turn, until their words decide."""
PROBE_MIN_WORD_CONFIDENCE = 60.0
"""Words the probe read with a lower confidence do not count."""
PROBE_UPSIDE_DOWN_CONFIDENCE = 40.0
"""A band whose words the probe read with a lower mean confidence is taken to be turned the wrong
way (upside down, or sideways the other way). On dev scans the top band read at 51-85 upright
and at 0-46 (mostly 17-38) turned the wrong way."""
PROBE_TIMEOUT_S = 20.0
UPRIGHT_MIN_CONFIDENCE = 70.0
"""A page read with a lower mean word confidence may be upside down or sideways, so Tesseract's
orientation detection (OSD) is asked. Upright scans read at 90-96, turned ones at 40-55;
asking OSD on every page would cost about 1 s each."""


@dataclass
class PageRead:
    """One page image as OCR read it."""

    page: PageText
    """The words, in points on the upright page."""
    confidence: float | None
    """Mean Tesseract word confidence, 0..100; None when no word was read."""
    rotate_deg: int
    """Clockwise turn applied to make the page upright: 0, 90, 180 or 270."""
    skew_deg: float
    """Counter-clockwise skew measured on the page (and straightened when large enough)."""
    prepared: PreparedPage | None = None
    """The upright image the words were read from; ocr_pages keeps it only when asked (keep_images),
    for Florence-2 to read parts of it again."""


@dataclass
class OcrResult:
    pages: dict[int, PageText] = field(default_factory=dict)
    """The pages read, by 0-based index."""
    skipped: list[int] = field(default_factory=list)
    """Pages whose OCR timed out, in order."""
    reads: dict[int, PageRead] = field(default_factory=dict)
    """How each page in pages was read: its confidence, turn and skew."""
    languages: str | None = None
    """The Tesseract languages the pages were read with ('deu', 'fra+eng'); None when there was no page to read."""
    language_choice: dict | None = None
    """How the languages were chosen among the candidates: {'by': 'probe' | 'text_layer' |
    'fallback', 'scores': {...}, 'seconds': ...}; None when the candidates were used as given."""

    @property
    def mean_confidence(self) -> float | None:
        """Mean of the pages' word confidences (0..100); None when no page had words."""
        values = [read.confidence for read in self.reads.values() if read.confidence is not None]
        return round(sum(values) / len(values), 2) if values else None


class PageTimedOut(Exception):
    """The page's OCR time ran out."""


def ocr_pages(
    pdf: PdfFile,
    indexes: list[int],
    *,
    languages: str,
    dpi: int,
    timeout_s: float = OCR_PAGE_TIMEOUT_S,
    max_page_pixels: int | None = None,
    check: Callable[[], None] | None = None,
    known_text: str = "",
    keep_images: bool = False,
) -> OcrResult:
    """Render each page at dpi and read it with Tesseract, up to OCR_MAX_WORKERS at once.
    check, if given, is called before each page is rendered and may raise to stop the work.

    languages are the candidates ('auto', or Tesseract languages joined by '+'). When there are
    more than two, all with a word list (language.can_choose), the document is read with the
    language it is written in and a second (language.choose_languages): chosen from known_text
    (the document's text layer) when that says enough, else from a quick reading of its first
    scanned page (probe_languages), else the first two candidates.

    Rendering happens on the calling thread (PDFium is not thread-safe) and at most one page
    is rendered ahead of the workers, so memory stays bounded on long scans. keep_images keeps each
    page's upright image (PageRead.prepared) for a later reader; without it the image is dropped
    as soon as the page is read.
    Raises PageTooLarge, before any page is rendered, when a page's image would have more than
    max_page_pixels pixels; OcrFailed when Tesseract fails or is missing (the other pages are
    cancelled).
    """
    result = OcrResult()
    if not indexes:
        return result
    if max_page_pixels is not None:
        refuse_oversized_pages(pdf, indexes, dpi, max_page_pixels)
    # Parallelism comes from pages and documents; one Tesseract thread each avoids oversubscription.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    is_auto = languages.strip().lower() == AUTO
    candidates = candidate_languages(languages, installed_languages() if is_auto else frozenset())
    if not candidates:
        raise OcrFailed(
            "None of the OCR languages this server chooses from (OCR_LANGUAGES=auto: eng, fra, deu, nld, ita, "
            "spa) is installed for Tesseract, so scanned pages cannot be read."
        )
    choose = can_choose(candidates)
    result.languages = "+".join(candidates) if is_auto else languages
    if choose:
        known = choose_languages(known_text, candidates)
        if known.decided:
            result.languages = "+".join(known.languages)
            result.language_choice = {"by": "text_layer", "scores": known.scores}
    workers = min(OCR_MAX_WORKERS, len(indexes))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr")
    futures: dict[int, Future[PageRead | None]] = {}
    try:
        for index in indexes:
            if check is not None:
                check()
            running = [f for f in futures.values() if not f.done()]
            if len(running) > workers:
                wait(running, return_when=FIRST_COMPLETED)
            image = pdf.render_page(index, dpi)
            if choose and result.language_choice is None:
                result.languages, result.language_choice = _languages_of_page(image, index, candidates, dpi)
            futures[index] = pool.submit(_read_page, image, index, result.languages, dpi, timeout_s, keep_images)
        for index, future in futures.items():
            read = future.result()
            if read is None:
                result.skipped.append(index)
            else:
                result.pages[index] = read.page
                result.reads[index] = read
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return result


def _read_page(
    image: Image.Image, index: int, languages: str, dpi: int, timeout_s: float, keep_image: bool
) -> PageRead | None:
    read = read_page_image(image, index, languages, dpi, timeout_s)
    if read is not None and not keep_image:
        read.prepared = None  # the futures hold every page's read until the last is done
    return read


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    """The languages Tesseract has data for (tesseract --list-langs). Raises OcrFailed when
    Tesseract is missing."""
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except pytesseract.TesseractNotFoundError as e:
        raise OcrFailed("Tesseract is not installed on this server, so scanned pages cannot be read.") from e
    except (pytesseract.TesseractError, OSError) as e:
        raise OcrFailed(f"Tesseract could not list its languages: {e}") from e


def _languages_of_page(image: Image.Image, index: int, candidates: list[str], dpi: int) -> tuple[str, dict]:
    """The languages to read a document with, from a probe of its first scanned page."""
    started = time.perf_counter()
    choice, rotate = probe_languages(image, index, candidates, dpi)
    how = {"by": "probe", "scores": choice.scores, "seconds": round(time.perf_counter() - started, 4)}
    if rotate:
        how["probe_rotate_deg"] = rotate
    if not choice.decided:
        how["by"] = "fallback"
        return "+".join(fallback_languages(candidates)), how
    return "+".join(choice.languages), how


def probe_languages(
    image: Image.Image, index: int, candidates: list[str], dpi: int, timeout_s: float = PROBE_TIMEOUT_S
) -> tuple[LanguageChoice, int]:
    """The languages a page image is written in (language.choose_languages), from a quick reading
    with the English model (or the first candidate when English is not one) at PROBE_DPI, and the
    clockwise turn under which it was read.

    The page is turned by its layout, and its top band (PROBE_BANDS) is read first: title, parties
    and labels mostly say enough. When they do not, the rest of the page is read too. A band read
    with a very low mean confidence (PROBE_UPSIDE_DOWN_CONFIDENCE) is a page turned the wrong way:
    the other turns are read instead, the layout's axis first. Words read with a confidence under
    PROBE_MIN_WORD_CONFIDENCE are not counted, so that the noise of a wrongly turned page never
    decides."""
    deadline = time.monotonic() + timeout_s
    factor = max(1, round(dpi / PROBE_DPI))
    gray = image.convert("L")
    small = gray.reduce(factor) if factor > 1 else gray
    small_dpi = round(dpi / factor)
    layout = measure_layout(small, small_dpi)
    language = "eng" if "eng" in candidates else candidates[0]
    choice = LanguageChoice((), {})
    # The layout's axis first; a landscape scan of a portrait page may still lie the other way.
    for rotate in (90, 270, 0, 180) if layout.sideways else (0, 180, 90, 270):
        upright = deskew(turn_upright(small, rotate), layout.skew_deg(rotate))
        text = ""
        for top, bottom in PROBE_BANDS:
            band = upright.crop((0, round(top * upright.height), upright.width, round(bottom * upright.height)))
            try:
                data = _call_tesseract(
                    pytesseract.image_to_data,
                    band,
                    index,
                    deadline,
                    lang=language,
                    config=f"--psm {OCR_PSM} --dpi {small_dpi}",
                    output_type=pytesseract.Output.DICT,
                )
            except PageTimedOut:
                return choice, 0
            words = [
                (t.strip(), float(c)) for t, c in zip(data["text"], data["conf"], strict=True) if (t or "").strip()
            ]
            text += " " + " ".join(t for t, c in words if c >= PROBE_MIN_WORD_CONFIDENCE)
            choice = choose_languages(text, candidates)
            if choice.decided:
                return choice, rotate
            if not words or sum(c for _, c in words) / len(words) < PROBE_UPSIDE_DOWN_CONFIDENCE:
                break  # turned the wrong way: try the other turn
        else:
            return choice, 0  # read the right way up, and the page does not say
    return choice, 0


def refuse_oversized_pages(pdf: PdfFile, indexes: list[int], dpi: int, max_pixels: int) -> None:
    """Raises PageTooLarge for the first page whose image at dpi would have more than max_pixels
    pixels. Checked from the page size alone: the bitmap of a 200 × 200 inch page at 300 DPI
    would take 3.6 GB, and PDFium would try to allocate it."""
    for index in indexes:
        width_pt, height_pt = pdf.page_size(index)
        pixels = round(width_pt * dpi / 72) * round(height_pt * dpi / 72)
        if pixels > max_pixels:
            raise PageTooLarge(
                f"Page {index + 1} of this PDF is {width_pt / 72:,.1f} × {height_pt / 72:,.1f} inches: read by "
                f"OCR at {dpi} DPI it would be {pixels / 1e6:,.0f} million pixels, more than the "
                f"{max_pixels / 1e6:,.0f} million allowed (MAX_PAGE_PIXELS). Scan or export the page at a "
                "normal paper size and send it again."
            )


def read_page_image(
    image: Image.Image, index: int, languages: str, dpi: int, timeout_s: float, *, psm: int = OCR_PSM
) -> PageRead | None:
    """The page image turned upright, straightened and read; None when timeout_s ran out. The
    PageRead carries the upright image it was read from (prepared).

    The text's axis and skew come from projection profiles (scan_cleanup). Tesseract's OSD
    picks the turn for sideways text, and is asked when an unturned page reads with a low
    confidence (upside down); when OSD cannot tell (too few letters), the turns it leaves
    open are prepared and read, and the one read with the higher confidence wins.
    Raises OcrFailed when Tesseract is missing or fails.
    """
    deadline = time.monotonic() + timeout_s
    engine = TesseractEngine(languages, psm, deadline)
    try:
        layout = measure_layout(image, dpi)
        asked_osd = layout.sideways
        if layout.sideways:
            rotate = _osd_rotate(image, index, dpi, deadline)
            first = [90, 270] if rotate is None else [rotate]
        else:
            first = [0]
        reads = {r: _read_turned(image, r, layout, index, dpi, engine) for r in first}
        best = max(reads.values(), key=_confidence)
        if best.confidence is not None and best.confidence < UPRIGHT_MIN_CONFIDENCE:
            rotate = None if asked_osd else _osd_rotate(image, index, dpi, deadline)
            if rotate is None:
                rotate = (best.rotate_deg + 180) % 360
            if rotate not in reads:
                reads[rotate] = _read_turned(image, rotate, layout, index, dpi, engine)
                best = max(reads.values(), key=_confidence)
        return best
    except PageTimedOut:
        return None


def read_words(
    image: Image.Image, index: int, languages: str, dpi: int, psm: int, timeout_s: float
) -> tuple[list[Word], float | None] | None:
    """The words Tesseract reads on the image as it is (in points) and their mean confidence
    (None without words); None when timeout_s ran out. Raises OcrFailed."""
    try:
        return _tesseract_words(image, index, languages, dpi, psm, time.monotonic() + timeout_s)
    except PageTimedOut:
        return None


def _read_turned(
    image: Image.Image, rotate_deg: int, layout: PageLayout, index: int, dpi: int, engine: TesseractEngine
) -> PageRead:
    prepared = PreparedPage.prepare(image, index, dpi, rotate_deg, layout.skew_deg(rotate_deg))
    [read] = engine.read([(prepared, None)])
    width, height = prepared.size_pt
    page = PageText(index=index, lines=build_lines(read.words), width=width, height=height)
    return PageRead(page, read.confidence, rotate_deg, prepared.skew_deg, prepared)


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract as an ocr_engine.OcrEngine: reads prepared pages, or boxes of them, with languages
    and page segmentation mode psm, each call within the time left to deadline (time.monotonic())."""

    languages: str
    psm: int
    deadline: float

    def read(self, regions: Sequence[tuple[PreparedPage, Box | None]]) -> list[RegionWords]:
        """The words of each region, in the page's points, and their mean confidence. Raises
        PageTimedOut once the deadline has passed, OcrFailed when Tesseract is missing or fails."""
        reads = []
        for page, box in regions:
            image, (x_origin, y_origin) = page.crop(box)
            words, confidence = _tesseract_words(image, page.index, self.languages, page.dpi, self.psm, self.deadline)
            if box is not None:
                words = [replace(w, x0=w.x0 + x_origin, top=w.top + y_origin, x1=w.x1 + x_origin,
                                 bottom=w.bottom + y_origin) for w in words]  # fmt: skip
            reads.append(RegionWords(words, confidence))
        return reads


def _confidence(read: PageRead) -> float:
    return -1.0 if read.confidence is None else read.confidence


def _tesseract_words(
    image: Image.Image, index: int, languages: str, dpi: int, psm: int, deadline: float
) -> tuple[list[Word], float | None]:
    data = _call_tesseract(
        pytesseract.image_to_data,
        image,
        index,
        deadline,
        lang=languages,
        config=f"--psm {psm} --dpi {dpi}",
        output_type=pytesseract.Output.DICT,
    )
    return _words(data, 72 / dpi)


_OSD_ROTATE = re.compile(r"Rotate:\s*(\d+)")


def _osd_rotate(image: Image.Image, index: int, dpi: int, deadline: float) -> int | None:
    """Tesseract OSD's clockwise turn that makes the page upright; None when OSD cannot tell
    (too few letters on the page, or the osd data is not installed)."""
    try:
        osd = _call_tesseract(pytesseract.image_to_osd, image, index, deadline, config=f"--psm 0 --dpi {dpi}")
    except OcrFailed:
        return None
    found = _OSD_ROTATE.search(osd)
    return int(found.group(1)) % 360 if found else None


def _call_tesseract(function, image: Image.Image, index: int, deadline: float, **kwargs):
    """function(image, **kwargs) with the time left to the deadline.

    Raises PageTimedOut, or OcrFailed when Tesseract is missing or fails.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise PageTimedOut()
    try:
        return function(image, timeout=remaining, **kwargs)
    except pytesseract.TesseractNotFoundError as e:
        raise OcrFailed("Tesseract is not installed on this server, so scanned pages cannot be read.") from e
    except pytesseract.TesseractError as e:
        raise OcrFailed(f"Tesseract failed on page {index + 1}: {e.message.strip()}") from e
    except RuntimeError as e:
        if "timeout" in str(e).lower():
            raise PageTimedOut() from e
        raise OcrFailed(f"Tesseract failed on page {index + 1}: {e}") from e


def _words(data: dict[str, list], scale: float) -> tuple[list[Word], float | None]:
    """Words in points and their mean confidence. Each word gets its Tesseract line's top and
    bottom, so that words have even heights like the text layer's loose boxes and line
    building treats both alike."""
    line_boxes: dict[tuple[int, int, int], tuple[int, int]] = {}
    for i, level in enumerate(data["level"]):
        if level == 4:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            line_boxes[key] = (data["top"][i], data["top"][i] + data["height"][i])
    words = []
    confidences = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        confidence = float(data["conf"][i])
        if data["level"][i] != 5 or not text or confidence < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        top, bottom = line_boxes.get(key, (data["top"][i], data["top"][i] + data["height"][i]))
        left, width = data["left"][i], data["width"][i]
        words.append(Word(text, left * scale, top * scale, (left + width) * scale, bottom * scale, confidence=confidence))
        confidences.append(confidence)
    return words, (round(sum(confidences) / len(confidences), 2) if confidences else None)
