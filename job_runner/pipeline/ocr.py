"""The one module that calls Tesseract: pages without a text layer, rendered and read by OCR."""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import pytesseract
from PIL import Image

from .pdf_text import PdfFile
from .result import OcrFailed
from .text_lines import PageText, Word, build_lines

OCR_PAGE_TIMEOUT_S = 120.0
"""A page Tesseract has not read in this time is skipped, not a failed document."""
OCR_MAX_WORKERS = 2
"""Pages of one document read at once; each Tesseract runs one thread (OMP_THREAD_LIMIT=1)."""


@dataclass
class OcrResult:
    pages: dict[int, PageText] = field(default_factory=dict)
    """The pages read, by 0-based index."""
    skipped: list[int] = field(default_factory=list)
    """Pages whose OCR timed out, in order."""


def ocr_pages(
    pdf: PdfFile,
    indexes: list[int],
    *,
    languages: str,
    dpi: int,
    timeout_s: float = OCR_PAGE_TIMEOUT_S,
) -> OcrResult:
    """Render each page at dpi and read it with Tesseract, up to OCR_MAX_WORKERS at once.

    Rendering happens on the calling thread (PDFium is not thread-safe) and at most one page
    is rendered ahead of the workers, so memory stays bounded on long scans.
    Raises OcrFailed when Tesseract fails or is missing; the other pages are cancelled.
    """
    result = OcrResult()
    if not indexes:
        return result
    # Parallelism comes from pages and documents; one Tesseract thread each avoids oversubscription.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    workers = min(OCR_MAX_WORKERS, len(indexes))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr")
    futures: dict[int, Future[PageText | None]] = {}
    try:
        for index in indexes:
            running = [f for f in futures.values() if not f.done()]
            if len(running) > workers:
                wait(running, return_when=FIRST_COMPLETED)
            image = pdf.render_page(index, dpi)
            futures[index] = pool.submit(read_page_image, image, index, languages, dpi, timeout_s)
        for index, future in futures.items():
            page = future.result()
            if page is None:
                result.skipped.append(index)
            else:
                result.pages[index] = page
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return result


def read_page_image(image: Image.Image, index: int, languages: str, dpi: int, timeout_s: float) -> PageText | None:
    """The words Tesseract reads on a page image, as lines; None when it timed out.

    Raises OcrFailed when Tesseract is missing or fails.
    """
    try:
        data = pytesseract.image_to_data(
            image,
            lang=languages,
            config=f"--dpi {dpi}",
            output_type=pytesseract.Output.DICT,
            timeout=timeout_s,
        )
    except pytesseract.TesseractNotFoundError as e:
        raise OcrFailed("Tesseract is not installed on this server, so scanned pages cannot be read.") from e
    except pytesseract.TesseractError as e:
        raise OcrFailed(f"Tesseract failed on page {index + 1}: {e.message.strip()}") from e
    except RuntimeError as e:
        if "timeout" in str(e).lower():
            return None
        raise OcrFailed(f"Tesseract failed on page {index + 1}: {e}") from e
    scale = 72 / dpi
    words = _words(data, scale)
    return PageText(index=index, lines=build_lines(words), width=image.width * scale, height=image.height * scale)


def _words(data: dict[str, list], scale: float) -> list[Word]:
    """Words in points. Each word gets its Tesseract line's top and bottom, so that words
    have even heights like the text layer's loose boxes and line building treats both alike."""
    line_boxes: dict[tuple[int, int, int], tuple[int, int]] = {}
    for i, level in enumerate(data["level"]):
        if level == 4:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            line_boxes[key] = (data["top"][i], data["top"][i] + data["height"][i])
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if data["level"][i] != 5 or not text or float(data["conf"][i]) < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        top, bottom = line_boxes.get(key, (data["top"][i], data["top"][i] + data["height"][i]))
        left, width = data["left"][i], data["width"][i]
        words.append(Word(text, left * scale, top * scale, (left + width) * scale, bottom * scale))
    return words
