"""Response shapes. BatchProcessingResponse is the original batch upload guide's, with additions only."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

# Amounts go out as JSON numbers (the shortest form that reads back exactly), not strings.
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class XmlPrintDifference(BaseModel):
    """A field on which the printed page of an e-invoice PDF says otherwise than its XML."""

    field: str
    """invoice_number, date, total_without_vat, total_vat, total_with_vat, currency or provider_vat_id."""
    xml: str
    """The value in the XML, which is the one stored (dates ISO 8601, amounts as decimal strings)."""
    print: str
    """The value read from the printed page."""


class FileResult(BaseModel):
    filename: str
    job_id: uuid.UUID
    success: bool
    document_type: str | None = None
    invoice_id: int | None = None
    document_id: int | None = None
    error: str | None = None
    processing_time: float | None = None
    timings: dict[str, float] | None = None
    """Seconds per stage of this file: read, ocr, xml, classify, extract, validate, vlm (Florence-2: rendering,
    the model and the second extraction; only when the model was asked) and total."""
    duplicate_of_invoice_id: int | None = None
    """The same file (same SHA-256) was read before: this is its invoice, and no second one was stored."""
    duplicate_of_document_id: int | None = None
    """The same for a document that is not an invoice."""
    possible_duplicate_of_invoice_id: int | None = None
    """Another file with the same provider and invoice number was read before: this is its invoice."""
    xml_print_differences: list[XmlPrintDifference] | None = None
    """For an invoice read from the e-invoice XML its PDF carries: the fields on which its printed page
    disagrees with the XML ([] when they agree), as the invoice's validation.xml_vs_print. null when the
    invoice was not read from XML (none attached, or use_embedded_xml=false) or the page could not be read."""
    fields: InvoicePublic | OtherDocumentPublic | None = None
    """With `?include=fields`: the invoice or other document this file gave, as GET /invoices/{id} or
    GET /other-documents/{id} answers it; null otherwise, and for files that failed."""


class JobSummary(BaseModel):
    job_id: uuid.UUID
    filename: str
    state: str


class SkippedEntry(BaseModel):
    """An entry of a ZIP archive that was not read and is not a file of the batch."""

    name: str
    """Its path in the archive, cleaned as the batch's file names are (a folder ends with '/')."""
    reason: str
    """Why, as a sentence (a folder, macOS metadata, a name that does not end in .pdf)."""


class BatchProcessingResponse(BaseModel):
    batch_id: uuid.UUID
    status: str
    total_files: int
    successful: int
    failed: int
    processing_time_seconds: float
    results: list[FileResult]
    """Finished files, in upload order."""
    jobs: list[JobSummary]
    """Every file of the batch with its job state, finished or not."""
    skipped: list[SkippedEntry] = []
    """The ZIP's entries that were not read, in archive order (kept with the batch: GET /api/v1/batches/{id}
    lists them too); [] for a batch that was not a ZIP."""


class AttemptPublic(BaseModel):
    """How one attempt at a job ended."""

    attempt: int
    """The claim's number (1 for the first)."""
    runner_id: str | None
    started_at: datetime | None
    ended_at: datetime
    outcome: str
    """'succeeded', 'failed', 'retried' (a transient error; queued again), 'lost' (its runner stopped renewing
    the lease), 'given_back' (its runner shut down; not a failed attempt) or 'cancelled'."""
    error_kind: str | None = None
    error: str | None = None


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    batch_id: uuid.UUID
    filename: str
    object_key: str
    state: str
    attempts: int
    """How many times a runner claimed it."""
    failed_attempts: int = 0
    """How many of those failed (transient error, lost lease): at max_attempts the job fails for good."""
    attempt_history: list[AttemptPublic] = []
    """Every ended attempt, oldest first."""
    runner_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    processing_time: float | None
    error: str | None
    document_type: str | None
    invoice_id: int | None
    document_id: int | None
    timings: dict | None
    sha256: str | None = None
    duplicate_of_invoice_id: int | None = None
    duplicate_of_document_id: int | None = None
    possible_duplicate_of_invoice_id: int | None = None
    use_embedded_xml: bool | None = None
    """What the request said: read an attached e-invoice XML (true) or the printed page (false); null: it
    did not say, and the runner's USE_EMBEDDED_XML decided."""


class InvoiceLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    designation: str
    quantity: Number | None
    unit: str | None
    unit_price: Number | None
    total_ht: Number | None
    vat_rate: Number | None
    provenance: dict | None = None


class VatRatePublic(BaseModel):
    rate: Number | None
    base: Number | None
    amount: Number | None


class InvoicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    provider: str | None
    provider_vat_id: str | None
    customer: str | None
    invoice_number: str | None
    date: date | None
    due_date: date | None
    currency: str | None
    total_without_vat: Number | None
    total_vat: Number | None
    total_with_vat: Number | None
    amount_due: Number | None
    subtype: str
    """'invoice' or 'credit_note'."""
    customer_vat_id: str | None
    purchase_order: str | None
    vat_breakdown: list[VatRatePublic] | None
    iban: str | None
    bic: str | None
    payment_terms: str | None
    provenance: dict | None
    """Field name -> {source, page, box [x0, top, x1, bottom] in PDF points, confidence}."""
    ocr_confidence: float | None
    lines: list[InvoiceLinePublic]
    validation: dict | None
    confidence_score: float | None
    extraction_source: str | None
    original_filename: str | None
    page_count: int | None
    batch_id: uuid.UUID | None
    job_id: uuid.UUID | None
    sha256: str | None = None
    possible_duplicate_of: int | None = None
    """An earlier invoice with the same provider and invoice number, read from another file."""
    reviewed_at: datetime | None = None
    """When a person marked it reviewed (PATCH with "reviewed": true); null until then."""
    reviewed_by: str | None = None
    corrected: bool = False
    """A person changed at least one value (GET /invoices/{id}/corrections lists them)."""
    created_at: datetime
    updated_at: datetime


class InvoicesPublic(BaseModel):
    data: list[InvoicePublic]
    count: int


class OtherDocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    provider: str | None
    raw_text: str | None
    original_filename: str | None
    page_count: int | None
    batch_id: uuid.UUID | None
    job_id: uuid.UUID | None
    created_at: datetime
    document_kind: str | None = None
    """What kind of document it is: 'quote', 'purchase_order', 'order_confirmation', 'delivery_note',
    'statement_of_account', 'payment_reminder', 'letter', 'contract', 'payment_receipt', 'pro_forma', or
    'other' when it names none; null for documents stored before kinds were recorded."""


class OtherDocumentsPublic(BaseModel):
    data: list[OtherDocumentPublic]
    count: int


class BatchSummary(BaseModel):
    """A batch in the list of batches: its progress, without its results."""

    batch_id: uuid.UUID
    status: str
    """'queued', 'running' or 'completed'."""
    source: str
    created_at: datetime
    finished_at: datetime | None
    cancelled_at: datetime | None
    max_workers: int
    total_files: int
    succeeded: int
    failed: int
    """Failed or cancelled."""
    running: int
    queued: int


class BatchesPublic(BaseModel):
    data: list[BatchSummary]
    """Newest first."""
    count: int
    """How many batches match the filters, all pages together."""


class CorrectionPublic(BaseModel):
    """One value a person changed: what the reader gave (or the previous correction) and what it is now."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    field: str
    """An invoice field ('provider', 'total_with_vat', ...), 'lines' for the line items, or 'reviewed'."""
    old_value: Any
    new_value: Any
    corrected_by: str
    corrected_at: datetime


class CorrectionsPublic(BaseModel):
    data: list[CorrectionPublic]
    """Oldest first."""


FileResult.model_rebuild()
