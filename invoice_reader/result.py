"""What the document pipeline hands back to the runner, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class DocumentError(Exception):
    """The document cannot be processed. The message is shown to the person who sent it."""


class NotAPdf(DocumentError):
    """The file is not a PDF."""


class CorruptPdf(DocumentError):
    """The PDF is damaged and cannot be read."""


class EncryptedPdf(DocumentError):
    """The PDF is password-protected."""


class EmptyPdf(DocumentError):
    """The PDF has no pages or no readable text."""


class OcrFailed(DocumentError):
    """Tesseract failed on a page."""


class TooManyPages(DocumentError):
    """The PDF has more pages than MAX_PDF_PAGES."""


class PageTooLarge(DocumentError):
    """A page to read by OCR would render to more pixels than MAX_PAGE_PIXELS."""


class ReaderCrashed(DocumentError):
    """The process reading the document died (a crash in PDFium or Tesseract, or out of memory)."""


class ReadingTimedOut(DocumentError):
    """Reading the document took longer than DOCUMENT_TIMEOUT_S."""


@dataclass
class FieldSource:
    """Where a value was read, so that a person can check it on the page."""

    source: str
    """'text_layer', 'ocr', 'image_ocr' (read by OCR in an image on a page with a text layer: a logo),
    'vlm' (read by Florence-2) or 'einvoice_xml'."""
    page: int | None = None
    """0-based page index; None for values from the XML."""
    box: tuple[float, float, float, float] | None = None
    """(x0, top, x1, bottom) in PDF points from the page's top-left corner."""
    confidence: float = 0.0
    """0..1: how sure the extractor is of this value."""

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "page": self.page,
            "box": [round(v, 2) for v in self.box] if self.box else None,
            "confidence": round(self.confidence, 3),
        }


@dataclass
class VatRate:
    """One line of a VAT breakdown: the base taxed at a rate and the VAT on it."""

    rate: Decimal | None
    """Percent, e.g. Decimal('20')."""
    base: Decimal | None = None
    amount: Decimal | None = None


@dataclass
class LineItem:
    designation: str
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    total_ht: Decimal | None = None
    """Line total without VAT."""
    vat_rate: Decimal | None = None
    """Percent, e.g. Decimal('20')."""
    provenance: FieldSource | None = None
    """Where the row was read (box around the whole row)."""


@dataclass
class InvoiceFields:
    """An invoice read from a document. Its fields are declared once in invoice_reader/fields.py, with
    their kinds; the table, the API schema and the scoring take their names from there."""

    provider: str | None = None
    provider_vat_id: str | None = None
    customer: str | None = None
    invoice_number: str | None = None
    date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    """ISO 4217."""
    total_without_vat: Decimal | None = None
    total_vat: Decimal | None = None
    total_with_vat: Decimal | None = None
    lines: list[LineItem] = field(default_factory=list)
    lines_total: Decimal | None = None
    """Sum of the line totals as the document states it (CII LineTotalAmount), when it does."""
    validation: dict = field(default_factory=dict)
    """At least {'overall_valid': bool, 'vat': {'is_valid': bool|None, 'difference': str|None}}."""
    confidence_score: float = 0.0
    """0..1."""
    source: str = "text"
    """Where the fields came from: 'text' (text layer/OCR) or 'xml' (embedded e-invoice)."""
    type_code: str | None = None
    """UNTDID 1001 document type of an e-invoice (380 invoice, 381 credit note, ...); None from text."""
    subtype: str = "invoice"
    """'invoice' or 'credit_note' (credit notes carry negative totals)."""
    customer_vat_id: str | None = None
    purchase_order: str | None = None
    amount_due: Decimal | None = None
    vat_breakdown: list[VatRate] = field(default_factory=list)
    iban: str | None = None
    bic: str | None = None
    payment_terms: str | None = None
    """The printed payment term ("30 days net"), when there is one."""
    provenance: dict[str, FieldSource] = field(default_factory=dict)
    """Field name -> where its value was read, for every field that has a value."""


@dataclass
class DocumentResult:
    page_count: int
    text: str
    """The document's text, pages separated by form feeds."""
    document_type: str
    """'invoice' or 'other'."""
    invoice: InvoiceFields | None
    """Set when document_type is 'invoice'."""
    provider: str | None = None
    """For other documents: the sender, if detectable."""
    ocr_pages: list[int] = field(default_factory=list)
    """0-based indexes of the pages read by OCR."""
    skipped_pages: list[int] = field(default_factory=list)
    """0-based indexes of pages whose OCR timed out; their text is empty."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage, e.g. {'read': 0.01, 'ocr': 2.3, 'classify': 0.0, 'extract': 0.01}."""
    ocr_confidence: float | None = None
    """Mean Tesseract word confidence (0..100) over the OCR pages; None when no page was OCR'd."""
    sha256: str | None = None
    """The SHA-256 of the file (hex), set by the runner: the same file sent again is recognised."""
    same_file_as: SameFile | None = None
    """Set by the runner, instead of reading the file, when the tenant already has a result for the
    same file: that earlier invoice or document."""
    vlm: dict | None = None
    """What Florence-2 was asked to read and what was taken from it (see vlm_stage); None when it was not
    asked. Also under invoice.validation['vlm']."""
    document_kind: str | None = None
    """The kind of document within its type (classify.Classification.document_kind): for an invoice
    'invoice', 'credit_note', 'correction', 'utility_bill', ...; for another document 'quote',
    'delivery_note', 'statement_of_account', ... or 'other'. None where it was not classified."""
    language: str | None = None
    """The language the document is written in, ISO 639-1 ('de', 'fr', 'en', 'nl', 'it', 'es'), guessed
    from its words (language.guess_language); None when its text holds too few common words."""
    ocr_languages: str | None = None
    """The Tesseract languages its scanned pages were read with ('deu+eng'); None when no page was."""
    ocr_language_choice: dict | None = None
    """How ocr_languages were chosen among the candidates (ReadOptions.ocr_languages): {'by': 'probe' (a
    quick reading of the first scanned page), 'text_layer' or 'fallback' (too few words to tell),
    'scores': common words found per language, 'seconds': the probe's time}; None when the
    candidates were used as given."""


@dataclass(frozen=True)
class SameFile:
    """An earlier result read from a file with the same SHA-256."""

    invoice_id: int | None = None
    document_id: int | None = None
