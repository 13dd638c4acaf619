"""Stores what the pipeline found: invoices with their lines, or other documents."""

from __future__ import annotations

from sqlalchemy.orm import Session

from invoice_processor.db import Invoice, InvoiceLine, OtherDocument
from invoice_processor.queue import ClaimedJob
from job_runner.pipeline.result import DocumentResult

# Postgres text cannot hold NUL characters, which some PDFs' text layers contain.
def _clean(text: str | None) -> str | None:
    return text.replace("\x00", "") if text else text


def store_result(session: Session, job: ClaimedJob, result: DocumentResult) -> tuple[int | None, int | None]:
    """Inserts the result rows in the caller's transaction. Returns (invoice_id, document_id)."""
    if result.document_type == "invoice" and result.invoice is not None:
        fields = result.invoice
        invoice = Invoice(
            provider=_clean(fields.provider),
            provider_vat_id=fields.provider_vat_id,
            customer=_clean(fields.customer),
            invoice_number=fields.invoice_number,
            date=fields.date,
            due_date=fields.due_date,
            currency=fields.currency,
            total_without_vat=fields.total_without_vat,
            total_vat=fields.total_vat,
            total_with_vat=fields.total_with_vat,
            validation=fields.validation,
            confidence_score=fields.confidence_score,
            extraction_source=fields.source,
            raw_text=_clean(result.text),
            original_filename=job.filename,
            page_count=result.page_count,
            batch_id=job.batch_id,
            job_id=job.id,
            lines=[
                InvoiceLine(
                    position=i,
                    designation=_clean(line.designation) or "",
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    total_ht=line.total_ht,
                    vat_rate=line.vat_rate,
                )
                for i, line in enumerate(fields.lines)
            ],
        )
        session.add(invoice)
        session.flush()
        return invoice.id, None
    document = OtherDocument(
        provider=_clean(result.provider),
        raw_text=_clean(result.text),
        original_filename=job.filename,
        page_count=result.page_count,
        batch_id=job.batch_id,
        job_id=job.id,
    )
    session.add(document)
    session.flush()
    return None, document.id
