"""The pages of a stored invoice or document as images, for a person checking the extracted values
against the page (the boxes in `provenance` are in PDF points from the page's top-left corner: at `dpi`,
a point is dpi / 72 pixels)."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from sqlalchemy.orm import Session

from ingest_api.auth import CallerDep
from ingest_api.deps import SessionDep, StoreDep, owned, source_key
from invoice_processor.db import Invoice, OtherDocument
from invoice_processor.storage import ObjectNotFound, ObjectStore
from invoice_reader.pdf_text import PdfFile
from invoice_reader.result import DocumentError

router = APIRouter(tags=["pages"])

MAX_DIMENSION_PX = 4000
"""A page image's longest side at most: a poster-sized page is rendered at a lower dpi than asked."""

PageNumber = Annotated[int, Path(ge=1, le=100_000, description="1 for the first page.")]
Dpi = Annotated[int, Query(ge=36, le=200, description="Resolution; a PDF point is dpi / 72 pixels.")]
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PNG = {
    200: {"content": {"image/png": {}}, "description": "The page as a PNG image"},
    404: {"description": "No such record for this tenant, no such page, or the file is no longer stored"},
}


@router.get("/invoices/{invoice_id}/pages/{page}", response_class=Response, responses=PNG)
async def invoice_page(
    invoice_id: RecordId, page: PageNumber, caller: CallerDep, session: SessionDep, store: StoreDep, dpi: Dpi = 100
):
    """Page `page` of the PDF this invoice was read from, as a PNG image."""
    invoice = owned(session, Invoice, invoice_id, caller.tenant_id, "Invoice not found")
    return await _page_image(session, store, invoice.job_id, page, dpi)


@router.get("/other-documents/{document_id}/pages/{page}", response_class=Response, responses=PNG)
async def document_page(
    document_id: RecordId, page: PageNumber, caller: CallerDep, session: SessionDep, store: StoreDep, dpi: Dpi = 100
):
    """Page `page` of the PDF this document was read from, as a PNG image."""
    document = owned(session, OtherDocument, document_id, caller.tenant_id, "Document not found")
    return await _page_image(session, store, document.job_id, page, dpi)


async def _page_image(session: Session, store: ObjectStore, job_id: uuid.UUID | None, page: int, dpi: int) -> Response:
    key = source_key(session, job_id)
    gone = HTTPException(
        status.HTTP_404_NOT_FOUND,
        "The file this was read from is no longer stored (its batch passed the retention period, or it was "
        "deleted): the extracted values remain, the page cannot be shown.",
    )
    if not key:
        raise gone
    try:
        png, (width, height) = await asyncio.to_thread(_render, store, key, page, dpi)
    except ObjectNotFound:
        raise gone from None
    except DocumentError as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(e)) from None
    # The page's size in points, so that a client can place provenance boxes whatever dpi it was rendered at.
    headers = {"Cache-Control": "private, max-age=3600", "X-Page-Size": f"{width:.2f} {height:.2f}"}
    return Response(png, media_type="image/png", headers=headers)


def _render(store: ObjectStore, key: str, page: int, dpi: int) -> tuple[bytes, tuple[float, float]]:
    with store.local_copy(key) as path, PdfFile.open(path) as pdf:
        if page > pdf.page_count:
            raise DocumentError(f"This file has {pdf.page_count} page(s); there is no page {page}.")
        width, height = pdf.page_size(page - 1)
        dpi = min(dpi, int(MAX_DIMENSION_PX * 72 / max(width, height, 1)))
        image = pdf.render_page(page - 1, max(dpi, 1))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue(), (width, height)
