"""An invoice written out as an EN 16931 e-invoice: CII or UBL XML, or a Factur-X PDF built on the original."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from sqlalchemy.orm import selectinload

from ingest_api.auth import CallerDep
from ingest_api.deps import SessionDep, StoreDep, owned, source_key
from invoice_processor import einvoice_out
from invoice_processor.db import Invoice
from invoice_processor.storage import ObjectNotFound

router = APIRouter(prefix="/invoices", tags=["invoices"])

InvoiceId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ORIGINAL_GONE = (
    "The original PDF of this invoice is no longer stored (removed by retention), so no Factur-X PDF can be "
    "built on it. Ask for syntax=cii or syntax=ubl instead."
)


class Syntax(str, Enum):
    cii = "cii"
    ubl = "ubl"
    facturx = "facturx"


MEDIA_TYPES = {Syntax.cii: "application/xml", Syntax.ubl: "application/xml", Syntax.facturx: "application/pdf"}


@router.get(
    "/{invoice_id}/einvoice",
    response_class=Response,
    responses={
        200: {
            "description": "The e-invoice, as an attachment",
            "content": {"application/xml": {}, "application/pdf": {}},
        },
        404: {"description": "No such invoice for this tenant"},
        409: {"description": "syntax=facturx, but the original PDF is no longer stored"},
        422: {"description": "The invoice lacks what EN 16931 requires; the detail names it"},
    },
)
def get_einvoice(
    invoice_id: InvoiceId,
    caller: CallerDep,
    session: SessionDep,
    store: StoreDep,
    syntax: Annotated[
        Syntax,
        Query(
            description="cii: UN/CEFACT CII XML (Factur-X / ZUGFeRD 2 EN 16931 profile); ubl: OASIS UBL 2.1 "
            "Invoice, or CreditNote for a credit note; facturx: the original PDF with the CII XML embedded "
            "(PDF/A-3, factur-x.xml)."
        ),
    ] = Syntax.cii,
):
    """The invoice as an EN 16931 e-invoice built from its stored (and corrected) fields and lines. A 422
    names what EN 16931 requires that the invoice lacks; correct it with PATCH /api/v1/invoices/{id}."""
    invoice = owned(session, Invoice, invoice_id, caller.tenant_id, "Invoice not found",
                    options=[selectinload(Invoice.lines)])
    try:
        einvoice = einvoice_out.einvoice_from(invoice)
    except einvoice_out.NotExportable as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
    if syntax is Syntax.cii:
        content = einvoice_out.cii_xml(einvoice)
    elif syntax is Syntax.ubl:
        content = einvoice_out.ubl_xml(einvoice)
    else:
        content = einvoice_out.facturx_pdf(einvoice, _original_pdf(session, store, invoice))
    name = einvoice_out.filename(invoice, syntax.value)
    return Response(
        content,
        media_type=MEDIA_TYPES[syntax],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _original_pdf(session, store, invoice: Invoice) -> bytes:
    """The PDF the invoice was read from; a 409 when it is no longer in the object store."""
    key = source_key(session, invoice.job_id)
    if key is None:
        raise HTTPException(status.HTTP_409_CONFLICT, ORIGINAL_GONE)
    try:
        with store.local_copy(key) as path:
            return path.read_bytes()
    except ObjectNotFound:
        raise HTTPException(status.HTTP_409_CONFLICT, ORIGINAL_GONE) from None
