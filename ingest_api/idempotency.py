"""Idempotency-Key: a batch-creating request that is retried with the same key gets the first batch back
instead of creating a second one.

A key is remembered per tenant, with the request it was first used for (method and path) and the
batch it created, for as long as that batch is kept (RETENTION_DAYS). The key row is inserted in the
transaction that creates the batch: of two requests racing with one key, one creates the batch and
the other finds it."""

from __future__ import annotations

import uuid

from fastapi import HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from invoice_processor.db import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def checked_key(key: str | None) -> str | None:
    """The request's Idempotency-Key header, checked; None if it has none."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_LENGTH or not key.isprintable() or not key.isascii():
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"The {HEADER} header must be 1 to {MAX_LENGTH} printable ASCII characters, e.g. a UUID.",
        )
    return key


def request_name(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def find_batch(session: Session, tenant_id: uuid.UUID, key: str, request: str) -> uuid.UUID | None:
    """The batch created by the first request with this key, or None if the key is new. A key first
    used for another endpoint is refused (422): that is a client bug, not a retry."""
    row = session.execute(
        select(IdempotencyKey.batch_id, IdempotencyKey.request).where(
            IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request != request:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"This {HEADER} was already used for {row.request}; use a new key for each new request.",
        )
    return row.batch_id


def remember(session: Session, tenant_id: uuid.UUID, key: str, request: str, batch_id: uuid.UUID) -> None:
    """Inserts the key in the caller's transaction; the flush raises IntegrityError if a concurrent
    request took the key first."""
    session.add(IdempotencyKey(tenant_id=tenant_id, key=key, request=request, batch_id=batch_id))
    session.flush()
