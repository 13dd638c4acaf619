"""Reading back invoices and other documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ingest_api.auth import CallerDep
from ingest_api.deps import SessionDep, StoreDep, owned
from ingest_api.filters import InvoiceFilters, invoice_filters
from ingest_api.corrections import InvoicePatch, apply_patch, corrections_of, learn_layout
from ingest_api.schemas import (
    CorrectionPublic,
    CorrectionsPublic,
    InvoicePublic,
    InvoicesPublic,
    OtherDocumentPublic,
    OtherDocumentsPublic,
)
from invoice_processor.db import Invoice, Job, OtherDocument

router = APIRouter()

# Bounded to what PostgreSQL's integer columns hold: a bigger number is a 422, not a database error.
MAX_ID = 2**63 - 1  # ids are bigint
Skip = Annotated[int, Query(ge=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000)]
InvoiceId = Annotated[int, Path(ge=1, le=MAX_ID)]
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND = {404: {"description": "No such record for this tenant"}}
INVOICE_NOT_FOUND = "Invoice not found"
DOCUMENT_NOT_FOUND = "Document not found"


@router.get("/invoices", response_model=InvoicesPublic, tags=["invoices"])
def list_invoices(
    caller: CallerDep,
    session: SessionDep,
    filters: Annotated[InvoiceFilters, Depends(invoice_filters)],
    skip: Skip = 0,
    limit: Limit = 100,
):
    """Invoices, newest first, filtered: `batch_id`, `provider` (contains, any case), `date_from` and `date_to`
    (the invoice date, inclusive), `valid` (the VAT arithmetic and lines add up), `reviewed`, `q` (invoice
    number, provider, customer, file name or id). `count` is the number of matches over all pages. Any
    other query parameter is a 422 that names it."""
    where = filters.conditions(caller.tenant_id)
    count = session.scalar(select(func.count()).select_from(Invoice).where(*where))
    rows = session.scalars(
        select(Invoice)
        .where(*where)
        .options(selectinload(Invoice.lines))
        .order_by(Invoice.id.desc())
        .offset(skip)
        .limit(limit)
    ).all()
    return InvoicesPublic(data=[InvoicePublic.model_validate(row) for row in rows], count=count)


@router.get("/invoices/{invoice_id}", response_model=InvoicePublic, tags=["invoices"], responses=NOT_FOUND)
def get_invoice(invoice_id: InvoiceId, caller: CallerDep, session: SessionDep):
    return owned(session, Invoice, invoice_id, caller.tenant_id, INVOICE_NOT_FOUND, options=[selectinload(Invoice.lines)])


@router.patch("/invoices/{invoice_id}", response_model=InvoicePublic, tags=["invoices"], responses=NOT_FOUND)
def correct_invoice(
    invoice_id: InvoiceId, patch: InvoicePatch, caller: CallerDep, session: SessionDep, store: StoreDep
):
    """Corrects an invoice: the fields sent replace the invoice's (null clears one), `lines` replaces every
    line, `reviewed` marks it checked or not. Each value that changes is kept, with the value before, who
    (`corrected_by`, else the tenant's name) and when: GET /invoices/{id}/corrections. The VAT arithmetic is
    checked again on the corrected values. Where a corrected value is printed on the page, the seller's next
    invoices of the same layout are read there (corrections teach). Answers the invoice as it now is."""
    invoice = owned(
        session, Invoice, invoice_id, caller.tenant_id, INVOICE_NOT_FOUND, options=[selectinload(Invoice.lines)]
    )
    try:
        corrections = apply_patch(session, invoice, patch, patch.corrected_by or caller.tenant_name)
        learn_layout(session, store, invoice, corrections)
    except ValueError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
    session.commit()
    session.refresh(invoice)
    return invoice


@router.get(
    "/invoices/{invoice_id}/corrections", response_model=CorrectionsPublic, tags=["invoices"], responses=NOT_FOUND
)
def list_corrections(invoice_id: InvoiceId, caller: CallerDep, session: SessionDep):
    """Every value a person changed on this invoice, oldest first."""
    owned(session, Invoice, invoice_id, caller.tenant_id, INVOICE_NOT_FOUND)
    return CorrectionsPublic(data=[CorrectionPublic.model_validate(c) for c in corrections_of(session, invoice_id)])


@router.delete(
    "/invoices/{invoice_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["invoices"], responses=NOT_FOUND
)
def delete_invoice(invoice_id: InvoiceId, caller: CallerDep, session: SessionDep):
    """Deletes an invoice and its lines; its job stays, with invoice_id cleared."""
    invoice = owned(session, Invoice, invoice_id, caller.tenant_id, INVOICE_NOT_FOUND)
    session.execute(update(Job).where(Job.invoice_id == invoice_id).values(invoice_id=None))
    session.delete(invoice)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/other-documents", response_model=OtherDocumentsPublic, tags=["other documents"])
def list_other_documents(caller: CallerDep, session: SessionDep, skip: Skip = 0, limit: Limit = 100):
    """Documents that are not invoices, newest first."""
    mine = OtherDocument.tenant_id == caller.tenant_id
    count = session.scalar(select(func.count()).select_from(OtherDocument).where(mine))
    rows = session.scalars(
        select(OtherDocument).where(mine).order_by(OtherDocument.id.desc()).offset(skip).limit(limit)
    ).all()
    return OtherDocumentsPublic(data=[OtherDocumentPublic.model_validate(row) for row in rows], count=count)


@router.get(
    "/other-documents/{document_id}", response_model=OtherDocumentPublic, tags=["other documents"], responses=NOT_FOUND
)
def get_other_document(document_id: DocumentId, caller: CallerDep, session: SessionDep):
    return owned(session, OtherDocument, document_id, caller.tenant_id, DOCUMENT_NOT_FOUND)
