"""A person corrects an invoice: PATCH /invoices/{id} changes fields or lines and marks it reviewed. Each
value that changes is kept in invoice_corrections (old and new value, who, when); the invoice row holds the
new value, its provenance says a person gave it, and the VAT arithmetic is checked again."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ingest_api.deps import source_key
from invoice_processor.db import Invoice, InvoiceCorrection, InvoiceLine, LayoutHint
from invoice_processor.storage import ObjectNotFound, ObjectStore
from invoice_processor.webhooks import WebhookOutbox
from invoice_reader.fields import FIELDS
from invoice_reader.layout_hints import HINTED_KINDS, KINDS, locate, seller_key
from invoice_reader.pdf_text import PdfFile
from invoice_reader.result import DocumentError, InvoiceFields, LineItem, VatRate
from invoice_reader.vat import check_vat

CODES = {"subtype": ("invoice", "credit_note")}


class VatRatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: Decimal | None = None
    base: Decimal | None = None
    amount: Decimal | None = None


class LinePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    designation: str = Field(min_length=1, max_length=2000)
    quantity: Decimal | None = None
    unit: str | None = Field(None, max_length=50)
    unit_price: Decimal | None = None
    total_ht: Decimal | None = None
    vat_rate: Decimal | None = None


_KIND_TYPES = {
    "name": str | None,
    "text": str | None,
    "id": str | None,
    "code": str | None,
    "amount": Decimal | None,
    "date": date | None,
    "rates": list[VatRatePatch] | None,
}

InvoicePatch = create_model(
    "InvoicePatch",
    __config__=ConfigDict(extra="forbid"),
    __doc__="What a person changes on an invoice: any of its fields (null clears one), its lines (the list "
    "given replaces them all), whether it is reviewed, and who did it. Fields left out stay as they are.",
    **{f.name: (_KIND_TYPES[f.kind], Field(None, description=f.description)) for f in FIELDS},
    lines=(list[LinePatch] | None, Field(None, description="Every line, in order: replaces the lines read.")),
    reviewed=(bool | None, Field(None, description="true: a person checked it; false: not any more.")),
    corrected_by=(
        str | None,
        Field(None, max_length=200, description="Who made the change (a name or e-mail); default: the tenant."),
    ),
)


def apply_patch(session: Session, invoice: Invoice, patch: BaseModel, by: str) -> list[InvoiceCorrection]:
    """Applies the patch to the invoice in the session's transaction; returns the corrections stored (none
    when every value sent was already the invoice's). Raises ValueError with a sentence for a bad value."""
    now = datetime.now(timezone.utc)
    sent = patch.model_fields_set - {"corrected_by"}
    corrections: list[InvoiceCorrection] = []

    def record(field: str, old: Any, new: Any) -> None:
        corrections.append(
            InvoiceCorrection(
                invoice_id=invoice.id, tenant_id=invoice.tenant_id, field=field,
                old_value=old, new_value=new, corrected_by=by,
            )
        )

    provenance = dict(invoice.provenance or {})
    for field in FIELDS:
        if field.name not in sent:
            continue
        new = _column_value(field.kind, field.name, getattr(patch, field.name))
        old = getattr(invoice, field.name)
        if field.kind == "rates":  # stored as strings as they were read ('20.00')
            old = [{key: _as_json(_decimal(v)) for key, v in rate.items()} for rate in old or []] or None
        if _as_json(old) == _as_json(new):
            continue
        record(field.name, _as_json(old), _as_json(new))
        setattr(invoice, field.name, new)
        provenance[field.name] = {"source": "correction", "by": by, "at": now.isoformat()}
    if "lines" in sent and patch.lines is not None:
        old_lines = [_line_json(line) for line in invoice.lines]
        new_lines = [_line_json(line) for line in patch.lines]
        if old_lines != new_lines:
            record("lines", old_lines, new_lines)
            invoice.lines = [
                InvoiceLine(position=i, provenance={"source": "correction", "by": by, "at": now.isoformat()},
                            **line.model_dump())
                for i, line in enumerate(patch.lines)
            ]
    if "reviewed" in sent and patch.reviewed is not None and patch.reviewed != (invoice.reviewed_at is not None):
        record("reviewed", invoice.reviewed_at is not None, patch.reviewed)
        invoice.reviewed_at, invoice.reviewed_by = (now, by) if patch.reviewed else (None, None)
    if any(c.field != "reviewed" for c in corrections):
        invoice.corrected = True
        invoice.provenance = provenance
        invoice.validation = {**check_vat(_fields_of(invoice)), "corrected": True}
    session.add_all(corrections)
    if corrections:  # in this transaction: the event is sent if and only if the correction is stored
        WebhookOutbox.record_event(session, invoice.tenant_id, "invoice.corrected", {
            "invoice_id": invoice.id,
            "corrected_by": by,
            "fields": [c.field for c in corrections],
            "changes": {c.field: {"old": c.old_value, "new": c.new_value} for c in corrections},
        })
    return corrections


def learn_layout(
    session: Session, store: ObjectStore, invoice: Invoice, corrections: list[InvoiceCorrection]
) -> list[str]:
    """Corrections teach: for each corrected field whose new value is printed on the invoice's pages (their
    text layer: a scan's OCR words are not kept), stores where, as a layout hint for the seller's next
    invoices (invoice_reader/layout_hints.py). Returns the fields learned."""
    wanted = [c for c in corrections if KINDS.get(c.field) in HINTED_KINDS and c.new_value is not None]
    seller = _seller_as_read(session, invoice) if wanted else None
    key = source_key(session, invoice.job_id) if seller else None
    if not key:
        return []
    try:
        with store.local_copy(key) as path, PdfFile.open(path) as pdf:
            pages = pdf.read_text_layer()
    except (ObjectNotFound, DocumentError):
        return []
    learned = []
    for correction in wanted:
        found = locate(pages, correction.field, correction.new_value)
        if found is None:
            continue
        index, (x0, top, x1, bottom) = found
        where = {"page": index, "x0": x0, "top": top, "x1": x1, "bottom": bottom,
                 "page_width": pages[index].width, "page_height": pages[index].height, "invoice_id": invoice.id}
        session.execute(
            insert(LayoutHint)
            .values(tenant_id=invoice.tenant_id, seller=seller, field=correction.field, **where)
            .on_conflict_do_update(constraint="layout_hints_one_per_field", set_=where)
        )
        learned.append(correction.field)
    return learned


def _seller_as_read(session: Session, invoice: Invoice) -> str | None:
    """The seller's key from the values the reader gave, before any correction: the next invoice of the same
    seller will be read the same way."""
    session.flush()
    read = {}
    for name in ("provider_vat_id", "provider"):
        first = session.execute(
            select(InvoiceCorrection.old_value)
            .where(InvoiceCorrection.invoice_id == invoice.id, InvoiceCorrection.field == name)
            .order_by(InvoiceCorrection.id)
            .limit(1)
        ).first()
        read[name] = first.old_value if first is not None else getattr(invoice, name)
    return seller_key(read["provider_vat_id"], read["provider"])


def corrections_of(session: Session, invoice_id: int) -> list[InvoiceCorrection]:
    return list(
        session.scalars(
            select(InvoiceCorrection).where(InvoiceCorrection.invoice_id == invoice_id).order_by(InvoiceCorrection.id)
        )
    )


def _column_value(kind: str, name: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "rates":
        return [{key: _as_json(getattr(rate, key)) for key in ("rate", "base", "amount")} for rate in value]
    if kind in ("name", "text", "id", "code"):
        value = value.strip() or None
        if value is not None and "\x00" in value:
            raise ValueError(f"{name} holds a NUL character; send the text without it.")
        allowed = CODES.get(name)
        if value is not None and allowed and value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}; you sent {value!r}.")
        if name == "currency" and value is not None and not (len(value) == 3 and value.isalpha()):
            raise ValueError(f"currency must be an ISO 4217 code of three letters (EUR, USD, ...); you sent {value!r}.")
        return value.upper() if name == "currency" and value else value
    return value


def _as_json(value: Any) -> Any:
    """A value as JSON holds it, in one form whatever its origin: a column's 119.5000 and a patch's 119.5 are
    both '119.5', so that only a real change is recorded."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    return value


def _line_json(line: Any) -> dict:
    return {key: _as_json(getattr(line, key)) for key in ("designation", "quantity", "unit", "unit_price",
                                                           "total_ht", "vat_rate")}


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _fields_of(invoice: Invoice) -> InvoiceFields:
    """The invoice row as the reader's result type, for the VAT check."""
    return InvoiceFields(
        total_without_vat=invoice.total_without_vat,
        total_vat=invoice.total_vat,
        total_with_vat=invoice.total_with_vat,
        lines=[
            LineItem(line.designation, line.quantity, line.unit, line.unit_price, line.total_ht, line.vat_rate)
            for line in invoice.lines
        ],
        vat_breakdown=[
            VatRate(_decimal(rate.get("rate")), _decimal(rate.get("base")), _decimal(rate.get("amount")))
            for rate in invoice.vat_breakdown or []
        ],
    )
