"""Stores what the pipeline found: invoices with their lines, or other documents."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from invoice_processor.db import Invoice, InvoiceLine, OtherDocument
from invoice_processor.queue import ClaimedJob
from invoice_reader.fields import FIELDS, Field
from invoice_reader.result import DocumentResult


def _number(value: Decimal | None) -> str | None:
    """Decimals go into JSON as strings, so that no digit is lost."""
    return str(value) if value is not None else None


# Postgres text cannot hold NUL characters, which some PDFs' text layers contain.
def _clean(text: str | None) -> str | None:
    return text.replace("\x00", "") if text else text


def _column_value(field: Field, value):
    """A field's value as its invoices column holds it."""
    if field.kind == "rates":
        return [{"rate": _number(v.rate), "base": _number(v.base), "amount": _number(v.amount)} for v in value]
    if field.kind in ("name", "text"):
        return _clean(value)
    return value


def result_ids(row: Invoice | OtherDocument) -> tuple[int | None, int | None]:
    """(invoice_id, document_id) of a flushed result row."""
    return (row.id, None) if isinstance(row, Invoice) else (None, row.id)


def add_result(
    session: Session, job: ClaimedJob, result: DocumentResult, *, possible_duplicate_of: int | None = None
) -> Invoice | OtherDocument:
    """Adds the result rows to the caller's session, not yet sent: the next flush inserts them (with those of
    other jobs recorded in the same transaction, in one statement per table) and gives them their ids."""
    if result.document_type == "invoice" and result.invoice is not None:
        fields = result.invoice
        invoice = Invoice(
            tenant_id=job.tenant_id,
            **{field.name: _column_value(field, getattr(fields, field.name)) for field in FIELDS},
            provenance={name: where.as_json() for name, where in fields.provenance.items()},
            ocr_confidence=result.ocr_confidence,
            validation=fields.validation,
            confidence_score=fields.confidence_score,
            extraction_source=fields.source,
            raw_text=_clean(result.text),
            original_filename=job.filename,
            page_count=result.page_count,
            batch_id=job.batch_id,
            job_id=job.id,
            sha256=result.sha256,
            possible_duplicate_of=possible_duplicate_of,
            lines=[
                InvoiceLine(
                    position=i,
                    designation=_clean(line.designation) or "",
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    total_ht=line.total_ht,
                    vat_rate=line.vat_rate,
                    provenance=line.provenance.as_json() if line.provenance else None,
                )
                for i, line in enumerate(fields.lines)
            ],
        )
        session.add(invoice)
        return invoice
    document = OtherDocument(
        tenant_id=job.tenant_id,
        provider=_clean(result.provider),
        raw_text=_clean(result.text),
        original_filename=job.filename,
        page_count=result.page_count,
        batch_id=job.batch_id,
        job_id=job.id,
        sha256=result.sha256,
        document_kind=result.document_kind,
    )
    session.add(document)
    return document
