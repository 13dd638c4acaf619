"""The invoices as a file: CSV, JSON Lines or XLSX, streamed (invoice_processor.export writes them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from ingest_api.auth import CallerDep
from ingest_api.filters import PAGING, InvoiceFilters, invoice_filters
from invoice_processor import export

router = APIRouter()

EXPORT_RESPONSES = {
    200: {
        "description": "The file, as an attachment named after the day (`invoices-2024-06-01.csv`)",
        "content": {fmt.media_type.split(";")[0]: {} for fmt in export.FORMATS.values()},
    },
    422: {"description": "An unknown format, filter or parameter (the detail says which)"},
}


@router.get("/invoices/export", tags=["invoices"], response_class=StreamingResponse, responses=EXPORT_RESPONSES)
def export_invoices(
    request: Request,
    caller: CallerDep,
    filters: Annotated[InvoiceFilters, Depends(invoice_filters)],
    format_: Annotated[str, Query(alias="format", description="csv, jsonl or xlsx.")] = "csv",
    lines: Annotated[bool, Query(description="true: one row per invoice line instead of one per invoice.")] = False,
):
    """Every invoice matching the filters of GET /invoices (`batch_id`, `provider`, `date_from`, `date_to`,
    `valid`, `reviewed`, `q`), oldest first, as `csv`, `jsonl` (one JSON object per line) or `xlsx`; no
    paging. One row per invoice, or with `lines=true` one per invoice line, the invoice's columns repeated
    on each (an invoice without lines keeps one row). Columns: `id`, the invoice's fields (`provider` ...
    `subtype`), `original_filename`, `batch_id`, `overall_valid`, `reviewed_at`, `corrected`, `created_at`,
    and with lines `line_position`, `line_designation`, `line_quantity`, `line_unit`, `line_unit_price`,
    `line_total_ht`, `line_vat_rate`. Amounts are exact decimals; `vat_breakdown` is a list in JSON Lines
    and JSON text in CSV and XLSX; times are UTC. A CSV text cell that starts with = + - @ gets a leading
    single quote, so that a spreadsheet shows it instead of running it as a formula."""
    try:
        export_format = export.check_format(format_)
    except ValueError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
    paging = [name for name in PAGING if name in request.query_params]
    if paging:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"The export has no paging: it holds every matching invoice. Remove {', '.join(map(repr, paging))}.",
        )
    names = export.columns(lines)
    today = datetime.now(timezone.utc).date()
    headers = {"Content-Disposition": f'attachment; filename="{export.filename(export_format, lines, today)}"'}
    session = request.app.state.sessions()
    try:
        rows = export.export_rows(session, filters.conditions(caller.tenant_id), lines=lines)
        if export_format.name == "xlsx":
            # A zip file cannot be sent before it is complete: written to a temporary file, then streamed.
            try:
                file = export.xlsx_file(rows, names)
            finally:
                session.close()
            return StreamingResponse(export.file_chunks(file), media_type=export_format.media_type, headers=headers)
        chunks = _closing(export.text_chunks(export_format, rows, names), session)
    except BaseException:
        session.close()
        raise
    return StreamingResponse(chunks, media_type=export_format.media_type, headers=headers)


def _closing(chunks: Iterator[bytes], session: Session) -> Iterator[bytes]:
    """The chunks, then the session closed (also when the client goes away before the end)."""
    try:
        yield from chunks
    finally:
        session.close()
