"""The document pipeline: a PDF in, its text, type and invoice fields out.

Stages, in order: read the text layer (pdf_text), OCR pages without one (ocr), read an
embedded e-invoice (einvoice), classify (classify), extract fields (extract), check VAT (vat),
and, when a model is given, let Florence-2 read again where that reading is unsure (vlm_stage),
from the upright page images OCR prepared (ocr_engine).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import image_text
from .vlm import VlmError
from .classify import classify_pages
from .einvoice import EmbeddedInvoice, compare_with_print, read_embedded_invoice
from .extract import extract_invoice, rate_confidence
from .language import guess_language
from .layout_hints import apply_hints
from .ocr import OcrResult, ocr_pages
from .ocr_engine import PreparedPage
from .options import ReadOptions
from .party_roles import find_parties
from .party_words import with_key_words_repaired
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
from .text_lines import PageText
from .timing import timed
from .vat import check_vat
from .vlm_stage import (
    FlorenceEngine,
    Region,
    VlmReader,
    choose_regions,
    fallback_reasons,
    found_fields,
    merge_readings,
    read_regions,
)

log = logging.getLogger(__name__)

__all__ = [
    "process_document",
    "read_pages",
    "read_words",
    "ReadOptions",
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
    options: ReadOptions = ReadOptions(),
    *,
    check: Callable[[], None] | None = None,
    vlm: VlmReader | None = None,
) -> DocumentResult:
    """Read the PDF at path and return its text, type and, for an invoice, its fields.

    The fields come from the embedded Factur-X/ZUGFeRD/XRechnung/UBL XML when there is one and
    options.use_embedded_xml is set (source='xml'; validation['xml_vs_print'] then lists where the
    printed page disagrees), else from the text (source='text').
    With a vlm reader and options.vlm_mode 'fallback' or 'always', Florence-2 reads again the pages
    (or bands) that vlm_stage chooses, and the extraction takes its values where the first reading
    has none or fails the arithmetic (validation['vlm'] says what it read and what was taken; a
    model that fails leaves the first reading, with the error in validation['vlm']). The model
    reads the upright images OCR prepared, which are then kept in memory until the document is
    read (about 9 MB per A4 page at 300 DPI); without a model they are dropped page by page.
    Raises NotAPdf, CorruptPdf, EncryptedPdf, EmptyPdf (no pages, or no text even after
    OCR), TooManyPages (more than options.max_pages), PageTooLarge (a page to OCR would render to
    more than options.max_page_pixels) or OcrFailed; their messages are meant for the person who
    sent the file.
    check, if given, is called between stages (and OCR pages) and may raise to stop the work:
    the runner uses it to stop a job that was cancelled or whose lease was lost.
    """
    check = check or _go_on
    timings: dict[str, float] = {}
    with timed(timings, "read"):
        pdf = PdfFile.open(Path(path), max_pages=options.max_pages)
    with pdf:
        keep_images = vlm is not None and options.vlm_mode != "off"
        pages, ocr = read_pages(pdf, options, check=check, timings=timings, keep_images=keep_images)
        with timed(timings, "xml"):
            embedded = read_embedded_invoice(pdf.xml_attachments()) if options.use_embedded_xml else EmbeddedInvoice(None, None)
        check()
        reading = _understand(pages, set(ocr.pages), embedded, timings)
        if image_text.needed(reading.fields):
            with timed(timings, "image_text"):
                reading = _read_images(reading, pdf, set(ocr.pages), options, embedded)
        vlm_report = None
        regions = _regions_to_read_again(reading, ocr, options.vlm_mode, options.vlm_min_ocr_confidence) if vlm else None
        if regions:
            with timed(timings, "vlm"):
                reading, vlm_report = _read_again(reading, regions, pdf, ocr, vlm, options.dpi, embedded, check)
    if not reading.text.strip() and embedded.fields is None and not ocr.skipped:
        raise EmptyPdf(
            "This PDF has no readable text: its pages are blank or the scan is unreadable. Send a clearer copy."
        )
    fields = reading.fields
    if fields is not None and fields.source == "text" and options.layout_hints:
        applied = apply_hints(fields, pages, options.layout_hints)
        if applied:  # values read where a person's correction showed them: checked again
            fields.validation = {**fields.validation, **check_vat(fields), "layout_hints": applied}
    return DocumentResult(
        page_count=len(pages),
        text=reading.text,
        document_type=reading.document_type,
        invoice=fields,
        provider=fields.provider if fields else _sender(reading.pages),
        ocr_pages=sorted(ocr.pages),
        skipped_pages=ocr.skipped,
        timings=timings,
        ocr_confidence=ocr.mean_confidence,
        vlm=vlm_report,
        document_kind=reading.document_kind,
        language=guess_language(reading.text),
        ocr_languages=ocr.languages if ocr.pages or ocr.skipped else None,
        ocr_language_choice=ocr.language_choice,
    )


def read_pages(
    pdf: PdfFile,
    options: ReadOptions = ReadOptions(),
    *,
    check: Callable[[], None] | None = None,
    timings: dict[str, float] | None = None,
    keep_images: bool = False,
) -> tuple[list[PageText], OcrResult]:
    """Every page's words: from the text layer, or by OCR for pages that have (almost) none.
    keep_images keeps the upright image of each OCR page (OcrResult.reads[i].prepared).
    The training scripts read their documents through this too, so that the learned weights see
    the same words the runners do."""
    check = check or _go_on
    timings = {} if timings is None else timings
    with timed(timings, "read"):
        pages = pdf.read_text_layer()
    check()
    with timed(timings, "ocr"):
        scanned = [page.index for page in pages if page.printable_char_count() < MIN_TEXT_CHARS]
        ocr = ocr_pages(
            pdf,
            scanned,
            languages=options.ocr_languages,
            dpi=options.dpi,
            timeout_s=options.ocr_timeout_s,
            max_page_pixels=options.max_page_pixels,
            check=check,
            known_text="\n".join(page.text for page in pages if page.index not in scanned),
            keep_images=keep_images,
        )
        # Key words OCR misread at the start of a cell ("RECHNUNC AN") are put right here, so
        # that everything after reads them right.
        pages = [with_key_words_repaired(ocr.pages[page.index]) if page.index in ocr.pages else page
                 for page in pages]
    if ocr.language_choice and "seconds" in ocr.language_choice:
        timings["ocr_language"] = ocr.language_choice["seconds"]  # the probe's share of 'ocr'
    return pages, ocr


def read_words(pages: list[PageText], ocr_pages: set[int] | frozenset[int] = frozenset()) -> DocumentResult:
    """The document's type and invoice fields from words already read (read_pages), without the
    file: what the evaluation uses to score models on cached pages. ocr_pages: the pages read by OCR."""
    reading = _understand(pages, set(ocr_pages), EmbeddedInvoice(None, None), {})
    fields = reading.fields
    return DocumentResult(
        page_count=len(pages),
        text=reading.text,
        document_type=reading.document_type,
        invoice=fields,
        provider=fields.provider if fields else _sender(reading.pages),
        ocr_pages=sorted(ocr_pages),
        skipped_pages=[],
        timings={},
        document_kind=reading.document_kind,
    )


@dataclass
class _Reading:
    """One reading of the document: its pages, text, type and fields."""

    pages: list[PageText]
    text: str
    document_type: str
    fields: InvoiceFields | None
    document_kind: str | None = None
    """The kind within the type (classify.Classification.document_kind)."""


def _understand(
    pages: list[PageText], read_by_ocr: set[int], embedded: EmbeddedInvoice, timings: dict[str, float]
) -> _Reading:
    """Classify the pages, extract the invoice's fields and check them."""
    text = "\f".join(page.text for page in pages)
    einvoice = embedded.fields
    with timed(timings, "classify"):
        classification = classify_pages(pages, einvoice)
        document_type = classification.document_type
    with timed(timings, "extract"):
        fields = print_check = None
        if document_type == "invoice" and einvoice is not None:
            fields = einvoice
            # The XML is what gets booked; the page is what a person reads: compare them.
            print_check = _compare_xml_with_print(einvoice, pages, read_by_ocr)
        elif document_type == "invoice":
            fields = extract_invoice(pages, ocr_pages=read_by_ocr)
    with timed(timings, "validate"):
        if fields is not None:
            _validate(fields, embedded)
            if print_check is not None:
                fields.validation["xml_vs_print"] = print_check
    return _Reading(pages, text, document_type, fields, classification.document_kind)


def _validate(fields: InvoiceFields, embedded: EmbeddedInvoice) -> None:
    fields.validation = check_vat(fields)
    fields.confidence_score = rate_confidence(fields)
    if embedded.skipped:
        fields.validation["einvoice_skipped"] = embedded.skipped


@dataclass
class _Regions:
    """What Florence-2 is to read, in which mode, and why."""

    mode: str
    reasons: list[str]
    regions: list[Region]


def _regions_to_read_again(first: _Reading, ocr: OcrResult, mode: str, min_confidence: float) -> _Regions | None:
    """What Florence-2 should read in this mode, and why; None when nothing (see vlm_stage)."""
    if mode == "off" or (first.fields is not None and first.fields.source == "xml"):
        return None  # the XML is what gets booked: a second reading of the print adds nothing
    confidence = {index: read.confidence for index, read in ocr.reads.items()}
    if mode == "always":
        reasons = ["always"]
    else:
        reasons = fallback_reasons(first.document_type, first.fields, confidence, min_confidence)
    if not reasons:
        return None
    return _Regions(mode, reasons, choose_regions(mode, first.pages, confidence, first.fields, reasons, min_confidence))


def _read_again(
    first: _Reading,
    plan: _Regions,
    pdf: PdfFile,
    ocr: OcrResult,
    vlm: VlmReader,
    dpi: int,
    embedded: EmbeddedInvoice,
    check: Callable[[], None],
) -> tuple[_Reading, dict]:
    """Let Florence-2 read the planned regions and take what its reading adds (see vlm_stage).
    Returns the reading to keep and the report of what happened."""
    regions = plan.regions
    report: dict = {"mode": plan.mode, "reasons": plan.reasons, "regions": [region.as_json() for region in regions]}
    kept = {index: read.prepared for index, read in ocr.reads.items() if read.prepared is not None}

    def prepared(index: int) -> PreparedPage:
        # A page OCR read was prepared then; one with a text layer ('always') is rendered for the model alone.
        return kept[index] if index in kept else PreparedPage.prepare(pdf.render_page(index, dpi), index, dpi)

    try:
        second = read_regions(regions, first.pages, prepared, FlorenceEngine(vlm, check), check)
    except VlmError as e:
        log.warning("Florence-2 could not read this document (%s); keeping the OCR reading", e)
        report["error"] = str(e)
        return _with_report(first, report), report
    report.update(words=second.words, model_s=second.model_seconds)
    reading = _understand(second.pages, set(ocr.pages), embedded, {})
    if first.document_type != "invoice":
        if reading.document_type != "invoice":
            report["used"] = []
            return first, report
        # Only the model's reading shows an invoice: everything comes from it.
        report["used"] = found_fields(reading.fields)
        return _with_report(reading, report), report
    if reading.fields is None:  # the second reading alone would not call it an invoice: read its fields anyway
        reading.fields = extract_invoice(second.pages, ocr_pages=set(ocr.pages))
        _validate(reading.fields, embedded)
    fields, used = merge_readings(first.fields, reading.fields)
    report["used"] = used
    if used:
        _validate(fields, embedded)
    else:
        fields = first.fields
    return _with_report(replace(first, fields=fields), report), report


def _read_images(
    first: _Reading, pdf: PdfFile, read_by_ocr: set[int], options: ReadOptions, embedded: EmbeddedInvoice
) -> _Reading:
    """The first reading completed by the words in the images of its pages (image_text); the
    invoice's validation['image_text'] says what was read and which fields were taken ('used')."""
    regions = image_text.image_regions(pdf, first.pages, read_by_ocr)
    if not regions:
        return first
    read = image_text.read_images(
        pdf, first.pages, first.text, regions, options.ocr_languages, options.dpi, options.ocr_timeout_s
    )
    report = read.report
    first.fields.validation["image_text"] = report
    if "error" in report:
        log.warning("could not read the text in this document's images (%s); keeping the first reading", report["error"])
        return first
    second = extract_invoice(read.pages, ocr_pages=read_by_ocr)
    _validate(second, embedded)
    fields, used = merge_readings(first.fields, second)
    report["used"] = used
    if not used:
        return first
    _validate(fields, embedded)
    fields.validation["image_text"] = report
    return replace(first, pages=read.pages, text="\f".join(page.text for page in read.pages), fields=fields)


def _with_report(reading: _Reading, report: dict) -> _Reading:
    if reading.fields is not None:
        reading.fields.validation["vlm"] = report
    return reading


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
    sender = find_parties(pages).provider
    return sender.name if sender else None


def _go_on() -> None:
    pass

