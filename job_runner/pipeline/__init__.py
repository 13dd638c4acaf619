"""The document pipeline: a PDF in, its text, type and invoice fields out.

Stages, in order: read the text layer (pdf_text), OCR pages without one (ocr), read an
embedded e-invoice (einvoice), classify (classify), extract fields (extract), check VAT (vat).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .classify import classify_document
from .einvoice import EmbeddedInvoice, compare_with_print, read_embedded_invoice
from .extract import extract_invoice, rate_confidence
from .label_values import label_lines
from .labels import FIELD_LABELS
from .ocr import OCR_PAGE_TIMEOUT_S, ocr_pages
from .parties import find_provider
from .pdf_text import MIN_TEXT_CHARS, PdfFile
from .result import (
    CorruptPdf,
    DocumentError,
    DocumentResult,
    EmptyPdf,
    EncryptedPdf,
    InvoiceFields,
    LineItem,
    NotAPdf,
    OcrFailed,
    PageTooLarge,
    ReaderCrashed,
    ReadingTimedOut,
    TooManyPages,
)
from .vat import check_vat

log = logging.getLogger(__name__)

__all__ = [
    "process_document",
    "DocumentResult",
    "InvoiceFields",
    "LineItem",
    "DocumentError",
    "NotAPdf",
    "CorruptPdf",
    "EncryptedPdf",
    "EmptyPdf",
    "OcrFailed",
    "TooManyPages",
    "PageTooLarge",
    "ReaderCrashed",
    "ReadingTimedOut",
]


def process_document(
    path: Path,
    *,
    ocr_languages: str = "fra+eng",
    dpi: int = 300,
    use_embedded_xml: bool = True,
    ocr_timeout_s: float = OCR_PAGE_TIMEOUT_S,
    max_pages: int | None = None,
    max_page_pixels: int | None = None,
    check: Callable[[], None] | None = None,
) -> DocumentResult:
    """Read the PDF at path and return its text, type and, for an invoice, its fields.

    The fields come from the embedded Factur-X/ZUGFeRD/XRechnung/UBL XML when there is one and
    use_embedded_xml is set (source='xml'; validation['xml_vs_print'] then lists where the
    printed page disagrees), else from the text (source='text').
    Raises NotAPdf, CorruptPdf, EncryptedPdf, EmptyPdf (no pages, or no text even after
    OCR), TooManyPages (more than max_pages), PageTooLarge (a page to OCR would render to more
    than max_page_pixels) or OcrFailed; their messages are meant for the person who sent the file.
    None means no limit.
    check, if given, is called between stages (and OCR pages) and may raise to stop the work:
    the runner uses it to stop a job that was cancelled or whose lease was lost.
    """
    check = check or _go_on
    timings: dict[str, float] = {}
    with _timed(timings, "read"):
        pdf = PdfFile.open(Path(path), max_pages=max_pages)
    with pdf:
        with _timed(timings, "read"):
            pages = pdf.read_text_layer()
        check()
        with _timed(timings, "ocr"):
            scanned = [page.index for page in pages if page.printable_char_count() < MIN_TEXT_CHARS]
            ocr = ocr_pages(
                pdf,
                scanned,
                languages=ocr_languages,
                dpi=dpi,
                timeout_s=ocr_timeout_s,
                max_page_pixels=max_page_pixels,
                check=check,
            )
            pages = [ocr.pages.get(page.index, page) for page in pages]
        with _timed(timings, "xml"):
            embedded = read_embedded_invoice(pdf.xml_attachments()) if use_embedded_xml else EmbeddedInvoice(None, None)
            einvoice = embedded.fields
    text = "\f".join(page.text for page in pages)
    if not text.strip() and einvoice is None and not ocr.skipped:
        raise EmptyPdf(
            "This PDF has no readable text: its pages are blank or the scan is unreadable. Send a clearer copy."
        )

    check()
    with _timed(timings, "classify"):
        document_type = classify_document(text, einvoice)
    with _timed(timings, "extract"):
        fields = print_check = None
        read_by_ocr = set(ocr.pages)
        if document_type == "invoice" and einvoice is not None:
            fields = einvoice
            # The XML is what gets booked; the page is what a person reads: compare them.
            print_check = _compare_xml_with_print(einvoice, pages, read_by_ocr)
        elif document_type == "invoice":
            fields = extract_invoice(pages, ocr_pages=read_by_ocr)
    with _timed(timings, "validate"):
        if fields is not None:
            fields.validation = check_vat(fields)
            fields.confidence_score = rate_confidence(fields)
            if print_check is not None:
                fields.validation["xml_vs_print"] = print_check
            if embedded.skipped:
                fields.validation["einvoice_skipped"] = embedded.skipped

    return DocumentResult(
        page_count=len(pages),
        text=text,
        document_type=document_type,
        invoice=fields,
        provider=fields.provider if fields else _sender(pages),
        ocr_pages=sorted(ocr.pages),
        skipped_pages=ocr.skipped,
        timings=timings,
        ocr_confidence=ocr.mean_confidence,
    )


def _compare_xml_with_print(einvoice: InvoiceFields, pages, read_by_ocr: set[int]) -> dict:
    """Where the printed page disagrees with the XML. Best effort: the XML alone is a complete
    result, so a failure to read the print is reported, never a failed document."""
    try:
        return compare_with_print(einvoice, extract_invoice(pages, ocr_pages=read_by_ocr))
    except Exception as e:  # noqa: BLE001 - any bug in the print path must not lose the XML result
        log.warning("could not compare the e-invoice XML with its printed page: %r", e)
        return {"error": f"the printed page could not be read for comparison ({type(e).__name__})"}


def _sender(pages) -> str | None:
    """For a document that is not an invoice: the company it comes from, if one is named."""
    lines = [line for page in pages for line in page.lines]
    return find_provider(lines, label_lines(lines, FIELD_LABELS), customer=None)


def _go_on() -> None:
    pass


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds spent in the block to timings[stage]."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(timings.get(stage, 0.0) + time.perf_counter() - start, 4)
