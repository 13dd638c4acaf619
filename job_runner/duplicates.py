"""Recognising a file sent again, and an invoice seen before in another file.

Same file: same SHA-256, within one tenant. Its job points to the earlier invoice or document and no
second one is stored, unless the request asked for it (allow_duplicates). Two runners finishing two
copies of one file at once are serialised by a transaction-level advisory lock on (tenant, hash), so
exactly one of them stores a result.

Possible duplicate: another file of the same tenant whose invoice has the same invoice number and the
same provider (by VAT id when both have one, else by name). It is stored, and flagged."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from invoice_processor.db import Invoice, OtherDocument
from invoice_reader.result import InvoiceFields, SameFile

HASH_CHUNK_BYTES = 1024 * 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def lock_file_hash(session: Session, tenant_id: uuid.UUID, sha256: str) -> None:
    """Held until the caller's transaction ends: one runner at a time decides about this file."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"same-file:{tenant_id}:{sha256}"}
    )


def find_same_file(session: Session, tenant_id: uuid.UUID, sha256: str) -> SameFile | None:
    """The tenant's earliest invoice, else earliest other document, read from a file with this hash."""
    invoice_id = session.scalar(
        select(func.min(Invoice.id)).where(Invoice.tenant_id == tenant_id, Invoice.sha256 == sha256)
    )
    if invoice_id is not None:
        return SameFile(invoice_id=invoice_id)
    document_id = session.scalar(
        select(func.min(OtherDocument.id)).where(OtherDocument.tenant_id == tenant_id, OtherDocument.sha256 == sha256)
    )
    if document_id is not None:
        return SameFile(document_id=document_id)
    return None


def _normalised(value: str) -> str:
    return "".join(value.split()).casefold()


def find_same_invoice(session: Session, tenant_id: uuid.UUID, fields: InvoiceFields, sha256: str | None) -> int | None:
    """The tenant's earliest invoice from another file with the same provider and invoice number."""
    if not fields.invoice_number or not (fields.provider_vat_id or fields.provider):
        return None
    number = _normalised(fields.invoice_number)
    query = select(Invoice.id, Invoice.provider, Invoice.provider_vat_id).where(
        Invoice.tenant_id == tenant_id,
        func.lower(func.regexp_replace(Invoice.invoice_number, r"\s", "", "g")) == number.lower(),
    )
    if sha256:
        query = query.where(or_(Invoice.sha256.is_(None), Invoice.sha256 != sha256))
    for invoice_id, provider, provider_vat_id in session.execute(query.order_by(Invoice.id)):
        if fields.provider_vat_id and provider_vat_id:
            if _normalised(fields.provider_vat_id) == _normalised(provider_vat_id):
                return invoice_id
        elif fields.provider and provider and _normalised(fields.provider) == _normalised(provider):
            return invoice_id
    return None
