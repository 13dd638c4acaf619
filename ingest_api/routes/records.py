"""Reading back invoices and other documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ingest_api.deps import SessionDep
from ingest_api.schemas import InvoicePublic, InvoicesPublic, OtherDocumentPublic, OtherDocumentsPublic
from invoice_processor.db import Invoice, Job, OtherDocument

router = APIRouter()

Skip = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/invoices", response_model=InvoicesPublic, tags=["invoices"])
def list_invoices(session: SessionDep, skip: Skip = 0, limit: Limit = 100):
    """Invoices, newest first."""
    count = session.scalar(select(func.count()).select_from(Invoice))
    rows = session.scalars(
        select(Invoice).options(selectinload(Invoice.lines)).order_by(Invoice.id.desc()).offset(skip).limit(limit)
    ).all()
    return InvoicesPublic(data=[InvoicePublic.model_validate(row) for row in rows], count=count)


@router.get("/invoices/{invoice_id}", response_model=InvoicePublic, tags=["invoices"])
def get_invoice(invoice_id: int, session: SessionDep):
    invoice = session.get(Invoice, invoice_id, options=[selectinload(Invoice.lines)])
    if invoice is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Invoice not found")
    return invoice


@router.delete("/invoices/{invoice_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["invoices"])
def delete_invoice(invoice_id: int, session: SessionDep):
    """Deletes an invoice and its lines; its job stays, with invoice_id cleared."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Invoice not found")
    session.execute(update(Job).where(Job.invoice_id == invoice_id).values(invoice_id=None))
    session.delete(invoice)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/other-documents", response_model=OtherDocumentsPublic, tags=["other documents"])
def list_other_documents(session: SessionDep, skip: Skip = 0, limit: Limit = 100):
    """Documents that are not invoices, newest first."""
    count = session.scalar(select(func.count()).select_from(OtherDocument))
    rows = session.scalars(select(OtherDocument).order_by(OtherDocument.id.desc()).offset(skip).limit(limit)).all()
    return OtherDocumentsPublic(data=[OtherDocumentPublic.model_validate(row) for row in rows], count=count)


@router.get("/other-documents/{document_id}", response_model=OtherDocumentPublic, tags=["other documents"])
def get_other_document(document_id: int, session: SessionDep):
    document = session.get(OtherDocument, document_id)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Document not found")
    return document
