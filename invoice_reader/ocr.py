"""The one module that calls Tesseract: pages without a text layer, rendered, turned upright,
straightened (ocr_engine.PreparedPage) and read by OCR (TesseractEngine).

Tesseract runs in this process, through tesserocr: each loaded engine (its language models) is kept
for the next page and the next document of the worker process (LoadedTesseracts), instead of a
`tesseract` process that loads its models again for every call (about 0.2 s for fra+eng)."""

from __future__ import annotations

import glob
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache

# Parallelism comes from pages and documents; one Tesseract thread each avoids oversubscription.
# Set before tesserocr's Tesseract is loaded: a Tesseract built with OpenMP reads it once, at load.
os.environ["OMP_THREAD_LIMIT"] = "1"

import tesserocr  # noqa: E402
from PIL import Image  # noqa: E402

from .language import (  # noqa: E402
    AUTO,
    LanguageChoice,
    can_choose,
    candidate_languages,
    choose_languages,
    fallback_languages,
)
from .ocr_engine import Box, PreparedPage, RegionWords, clean_page  # noqa: E402
from .pdf_text import PdfFile  # noqa: E402
from .result import OcrFailed, PageTooLarge  # noqa: E402
from .scan_cleanup import PageLayout, content_box, deskew, measure_layout, turn_upright  # noqa: E402
from .text_lines import PageText, Word, build_lines  # noqa: E402
from .timing import add_seconds, timed  # noqa: E402

OCR_PAGE_TIMEOUT_S = 120.0
"""A page Tesseract has not read in this time is skipped, not a failed document. In-process, the
deadline is Tesseract's own (its recogniser stops when it passes; layout analysis before it is
not interrupted, about a tenth of a page's time); a worker stuck beyond that is the runner's
document timeout's to end (job_runner.isolation)."""
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
"""Where Tesseract's language data is looked for when TESSDATA_PREFIX is not set: Debian's and
Ubuntu's tesseract-ocr-* packages, then other systems' usual places."""
IDLE_TESSERACTS = 4
"""Loaded Tesseract engines a process keeps between pages, the most recently used: two pages of a
document read at once, plus the probe's English model and OSD. Each holds its models, 15-40 MiB."""
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
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent on the page per stage: 'layout' (axis and skew), 'osd', 'upright' (turned and
    straightened), 'cleanup' (despeckled, rules removed), 'recognise' (Tesseract)."""


@dataclass(frozen=True)
class PageSeen:
    """What the language probe found on a page image, for its reading: the layout it measured and, when its
    words decided the languages, the clockwise turn (0, 90, 180, 270) under which it read them."""

    layout: PageLayout
    turn: int | None


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
    seconds: dict[str, float] = field(default_factory=dict)
    """Time per stage over all pages: 'render', 'probe', and PageRead.seconds' stages summed. Pages
    are read two at a time, so the sum can exceed the wall time of OCR."""

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
    candidates = _candidates(languages)
    choose = can_choose(candidates)
    result.languages = "+".join(candidates) if languages.strip().lower() == AUTO else languages
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
            with timed(result.seconds, "render"):
                image = pdf.render_page(index, dpi)
            seen = None
            if choose and result.language_choice is None:
                # The probe and the page's reading share one measure of its layout, and the reading starts
                # from the turn under which the probe read the page.
                with timed(result.seconds, "layout"):
                    layout = measure_layout(image, dpi)
                result.languages, result.language_choice, turn = _languages_of_page(
                    image, index, candidates, dpi, layout
                )
                add_seconds(result.seconds, "probe", result.language_choice["seconds"])
                seen = PageSeen(layout, turn)
            futures[index] = pool.submit(
                _read_page, image, index, result.languages, dpi, timeout_s, keep_images, seen
            )
        for index, future in futures.items():
            read = future.result()
            if read is None:
                result.skipped.append(index)
            else:
                result.pages[index] = read.page
                result.reads[index] = read
                for stage, seconds in read.seconds.items():
                    add_seconds(result.seconds, stage, seconds)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return result


def document_languages(languages: str, known_text: str) -> str:
    """The Tesseract languages ('deu+eng') to read parts of a document with when no page is read whole: of more
    than two candidates (the setting, as in ocr_pages), the two that known_text (the document's text layer)
    is written in, else the first two. Raises OcrFailed when none is installed."""
    candidates = _candidates(languages)
    if not can_choose(candidates):
        return "+".join(candidates)
    known = choose_languages(known_text, candidates)
    return "+".join(known.languages if known.decided else fallback_languages(candidates))


def _candidates(languages: str) -> list[str]:
    """The languages the setting lets OCR choose from. Raises OcrFailed when there are none."""
    is_auto = languages.strip().lower() == AUTO
    candidates = candidate_languages(languages, installed_languages() if is_auto else frozenset())
    if not candidates:
        raise OcrFailed(
            "None of the OCR languages this server chooses from (OCR_LANGUAGES=auto: eng, fra, deu, nld, ita, "
            "spa) is installed for Tesseract, so scanned pages cannot be read."
        )
    return candidates


def _read_page(
    image: Image.Image,
    index: int,
    languages: str,
    dpi: int,
    timeout_s: float,
    keep_image: bool,
    seen: PageSeen | None = None,
) -> PageRead | None:
    read = read_page_image(image, index, languages, dpi, timeout_s, seen=seen)
    if read is not None and not keep_image:
        read.prepared = None  # the futures hold every page's read until the last is done
    return read


@lru_cache(maxsize=1)
def tessdata_dir() -> str:
    """The folder of Tesseract's language data (*.traineddata), with a trailing '/': TESSDATA_PREFIX
    when set, else the first of TESSDATA_DIRS that holds any. Raises OcrFailed when there is none."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    for folder in [prefix] if prefix else TESSDATA_DIRS:
        if glob.glob(os.path.join(folder, "*.traineddata")):
            return os.path.join(folder, "")
    raise OcrFailed(
        "Tesseract's language data is not installed on this server (no *.traineddata in "
        f"{prefix or ', '.join(TESSDATA_DIRS)}), so scanned pages cannot be read. Install the "
        "tesseract-ocr-eng, -fra and -deu packages, or set TESSDATA_PREFIX to the folder that holds them."
    )


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    """The languages Tesseract has data for (the *.traineddata of tessdata_dir). Raises OcrFailed
    when there are none."""
    return frozenset(tesserocr.get_languages(tessdata_dir())[1])


class LoadedTesseracts:
    """Tesseract engines with their models loaded, kept for the next page. An engine reads one
    image at a time; the pool lends each to one thread, and loads another when all of a kind are
    lent. Tesseract releases the GIL while it reads, so pages on several threads read at once."""

    def __init__(self, keep: int = IDLE_TESSERACTS):
        self._keep = keep
        self._idle: list[tuple[tuple[str, int], tesserocr.PyTessBaseAPI]] = []
        """(languages, psm) and engine, the most recently returned last."""
        self._lock = threading.Lock()

    @contextmanager
    def lend(self, languages: str, psm: int) -> Iterator[tesserocr.PyTessBaseAPI]:
        """An engine for languages ('fra+eng', 'osd') and page segmentation mode psm. Raises
        OcrFailed when its models cannot be loaded."""
        key = (languages, psm)
        with self._lock:
            found = next((i for i in range(len(self._idle) - 1, -1, -1) if self._idle[i][0] == key), None)
            engine = self._idle.pop(found)[1] if found is not None else None
        if engine is None:
            engine = _load_tesseract(languages, psm)
        try:
            yield engine
        except BaseException:
            engine.End()  # its state after a failure is unknown
            raise
        with self._lock:
            self._idle.append((key, engine))
            ended = self._idle[: -self._keep] if len(self._idle) > self._keep else []
            del self._idle[: len(ended)]
        for _, old in ended:
            old.End()

    def clear(self) -> None:
        """Forget every idle engine (after a fork, the child's copies are not the parent's to end)."""
        self._idle = []
        self._lock = threading.Lock()


def _load_tesseract(languages: str, psm: int) -> tesserocr.PyTessBaseAPI:
    try:
        return tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=languages, psm=psm)
    except RuntimeError as e:
        raise OcrFailed(
            f"Tesseract could not load the language data {languages!r} from {tessdata_dir()}, so scanned "
            "pages cannot be read. Install the missing tesseract-ocr-* package or choose other OCR_LANGUAGES."
        ) from e


TESSERACTS = LoadedTesseracts()
"""This process's engines."""
os.register_at_fork(after_in_child=TESSERACTS.clear)


def _languages_of_page(
    image: Image.Image, index: int, candidates: list[str], dpi: int, layout: PageLayout
) -> tuple[str, dict, int | None]:
    """The languages to read a document with, from a probe of its first scanned page, how they were
    chosen, and the clockwise turn under which the probe read the page (None when its words did not decide)."""
    started = time.perf_counter()
    choice, rotate = probe_languages(image, index, candidates, dpi, layout=layout)
    how = {"by": "probe", "scores": choice.scores, "seconds": round(time.perf_counter() - started, 4)}
    if rotate:
        how["probe_rotate_deg"] = rotate
    if not choice.decided:
        how["by"] = "fallback"
        return "+".join(fallback_languages(candidates)), how, None
    return "+".join(choice.languages), how, rotate


def probe_languages(
    image: Image.Image,
    index: int,
    candidates: list[str],
    dpi: int,
    timeout_s: float = PROBE_TIMEOUT_S,
    *,
    layout: PageLayout | None = None,
) -> tuple[LanguageChoice, int]:
    """The languages a page image is written in (language.choose_languages), from a quick reading
    with the English model (or the first candidate when English is not one) at PROBE_DPI, and the
    clockwise turn under which it was read.

    The page is turned by its layout, and its top band (PROBE_BANDS) is read first: title, parties
    and labels mostly say enough. When they do not, the rest of the page is read too. A band read
    with a very low mean confidence (PROBE_UPSIDE_DOWN_CONFIDENCE) is a page turned the wrong way:
    the other turns are read instead, the layout's axis first. Words read with a confidence under
    PROBE_MIN_WORD_CONFIDENCE are not counted, so that the noise of a wrongly turned page never
    decides. layout: the page's layout (measure_layout of image) when the caller has measured it already."""
    deadline = time.monotonic() + timeout_s
    factor = max(1, round(dpi / PROBE_DPI))
    gray = image.convert("L")
    small = gray.reduce(factor) if factor > 1 else gray
    small_dpi = round(dpi / factor)
    if layout is None:
        layout = measure_layout(image, dpi)
    language = "eng" if "eng" in candidates else candidates[0]
    choice = LanguageChoice((), {})
    # The layout's axis first; a landscape scan of a portrait page may still lie the other way.
    for rotate in (90, 270, 0, 180) if layout.sideways else (0, 180, 90, 270):
        upright = deskew(turn_upright(small, rotate), layout.skew_deg(rotate))
        text = ""
        for top, bottom in PROBE_BANDS:
            band = upright.crop((0, round(top * upright.height), upright.width, round(bottom * upright.height)))
            try:
                data = _recognise(band, index, language, OCR_PSM, small_dpi, deadline)
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
    image: Image.Image,
    index: int,
    languages: str,
    dpi: int,
    timeout_s: float,
    *,
    psm: int = OCR_PSM,
    seen: PageSeen | None = None,
) -> PageRead | None:
    """The page image turned upright, straightened and read; None when timeout_s ran out. The
    PageRead carries the upright image it was read from (prepared).

    The text's axis and skew come from projection profiles (scan_cleanup). Tesseract's OSD
    picks the turn for sideways text, and is asked when an unturned page reads with a low
    confidence (upside down); when OSD cannot tell (too few letters), the turns it leaves
    open are prepared and read, and the one read with the higher confidence wins. seen: what the
    language probe found on this image: its layout is not measured again, and the page is read first
    under the turn the probe read it (OSD is asked only if that reading is poor).
    Raises OcrFailed when Tesseract is missing or fails.
    """
    deadline = time.monotonic() + timeout_s
    engine = TesseractEngine(languages, psm, deadline)
    seconds: dict[str, float] = {}
    try:
        if seen is None:
            with timed(seconds, "layout"):
                layout = measure_layout(image, dpi)
        else:
            layout = seen.layout
        asked_osd = layout.sideways and (seen is None or seen.turn is None)
        if seen is not None and seen.turn is not None:
            first = [seen.turn]
        elif layout.sideways:
            with timed(seconds, "osd"):
                rotate = _osd_rotate(image, index, dpi, deadline)
            first = [90, 270] if rotate is None else [rotate]
        else:
            first = [0]
        reads = {r: _read_turned(image, r, layout, index, dpi, engine, seconds) for r in first}
        best = max(reads.values(), key=_confidence)
        if best.confidence is not None and best.confidence < UPRIGHT_MIN_CONFIDENCE:
            with timed(seconds, "osd"):
                rotate = None if asked_osd else _osd_rotate(image, index, dpi, deadline)
            if rotate is None:
                rotate = (best.rotate_deg + 180) % 360
            if rotate not in reads:
                reads[rotate] = _read_turned(image, rotate, layout, index, dpi, engine, seconds)
                best = max(reads.values(), key=_confidence)
        best.seconds = seconds
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
    image: Image.Image,
    rotate_deg: int,
    layout: PageLayout,
    index: int,
    dpi: int,
    engine: TesseractEngine,
    seconds: dict[str, float],
) -> PageRead:
    skew_deg = layout.skew_deg(rotate_deg)
    with timed(seconds, "upright"):
        upright = deskew(turn_upright(image, rotate_deg), skew_deg)
    with timed(seconds, "cleanup"):
        # Only the part of the page that holds ink is cleaned and read: its blank margins hold nothing.
        content = content_box(upright, dpi)
        prepared = PreparedPage(index, clean_page(upright, dpi, content), dpi, rotate_deg, skew_deg)
    box = None if content is None else tuple(value * prepared.points_per_pixel for value in content)
    with timed(seconds, "recognise"):
        [read] = engine.read([(prepared, box)])
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
    return _words(_recognise(image, index, languages, psm, dpi, deadline), 72 / dpi)


_TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height")


def _recognise(
    image: Image.Image, index: int, languages: str, psm: int, dpi: int, deadline: float
) -> dict[str, list]:
    """What Tesseract reads on the image, as the columns of its TSV output (level, block_num, ...,
    conf, text; as `tesseract ... tsv` writes them), within the time left to the deadline.

    Raises PageTimedOut, or OcrFailed when Tesseract cannot load its models or fails."""
    remaining_ms = int((deadline - time.monotonic()) * 1000)
    if remaining_ms <= 0:
        raise PageTimedOut()
    with TESSERACTS.lend(languages, psm) as engine:
        try:
            engine.SetImage(image)
            engine.SetSourceResolution(dpi)
            if not engine.Recognize(timeout=remaining_ms):
                if time.monotonic() >= deadline:
                    raise PageTimedOut()
                raise OcrFailed(f"Tesseract failed on page {index + 1}: it could not read the page image.")
            tsv = engine.GetTSVText(0)
        except RuntimeError as e:
            raise OcrFailed(f"Tesseract failed on page {index + 1}: {e}") from e
    data: dict[str, list] = {name: [] for name in (*_TSV_COLUMNS, "conf", "text")}
    for row in tsv.splitlines():
        cells = row.split("\t", 11)
        if len(cells) < 11:
            continue
        for name, cell in zip(_TSV_COLUMNS, cells, strict=False):
            data[name].append(int(cell))
        # Whole numbers, as pytesseract gave them (int() of the CLI's value) when the reader's models
        # were trained on the words' confidences.
        data["conf"].append(float(int(float(cells[10]))))
        data["text"].append(cells[11] if len(cells) > 11 else "")
    return data


def _osd_rotate(image: Image.Image, index: int, dpi: int, deadline: float) -> int | None:
    """Tesseract OSD's clockwise turn that makes the page upright; None when OSD cannot tell
    (too few letters on the page, or the osd data is not installed)."""
    if deadline <= time.monotonic():
        raise PageTimedOut()
    try:
        with TESSERACTS.lend("osd", tesserocr.PSM.OSD_ONLY) as engine:
            engine.SetImage(image)
            engine.SetSourceResolution(dpi)
            found = engine.DetectOrientationScript()
    except (OcrFailed, RuntimeError):
        return None
    # OSD gives the turn the page has been given; the clockwise turn that undoes it is the rest of 360.
    return (360 - found["orient_deg"]) % 360 if found else None


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
