"""Files that another system drops into the bucket become jobs: `invoice-processor ingest-incoming`.

Each tenant has an incoming folder, tenants/<tenant>/incoming/ (the tenant 'default' included). A scan
moves every PDF found there (any folder depth) into a new batch's prefix, creates the batch (one per
tenant and scan, at most BATCH_FILES files each) and deletes the originals. Other files are left
where they are, with a warning. `--watch N` scans every N seconds.

Order of work: copy, create the batch (commit), delete the original. A scan that dies between the
commit and the delete leaves originals behind; the next scan imports them again, and their results
point to the first copies (same SHA-256) instead of storing invoices twice. Two scanners never
import one tenant's folder at the same time: each holds a PostgreSQL advisory lock per tenant, for the
length of a transaction (so that it works behind PgBouncer in transaction pooling)."""

from __future__ import annotations

import logging
import posixpath
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from ingest_api.uploads import batch_prefix, object_key, tenant_prefix, too_big_error, uploaded_name
from invoice_processor.db import Tenant
from invoice_processor.queue import JobQueue, NewFile
from invoice_processor.storage import ObjectStore, safe_key

log = logging.getLogger("ingest_api.incoming")

BATCH_FILES = 1000


@dataclass(frozen=True)
class Imported:
    tenant: str
    batch_id: uuid.UUID
    files: int


def incoming_prefix(tenant: str) -> str:
    return safe_key(tenant_prefix(tenant), "incoming")


def ingest_incoming(
    queue: JobQueue, store: ObjectStore, *, max_workers: int = 4, max_pdf_bytes: int | None = None
) -> list[Imported]:
    """One scan of every tenant's incoming folder. Returns the batches it created."""
    with queue.sessions() as session:
        tenants = session.execute(select(Tenant.id, Tenant.name).order_by(Tenant.name)).all()
    imported = []
    for tenant_id, name in tenants:
        with _tenant_lock(queue.sessions, name) as locked:
            if not locked:
                log.info("tenant %s: another scanner is importing its incoming folder; skipped", name)
                continue
            imported += _ingest_tenant(queue, store, tenant_id, name, max_workers, max_pdf_bytes)
    return imported


@contextmanager
def _tenant_lock(sessions: sessionmaker, tenant: str) -> Iterator[bool]:
    """Yields whether this scanner got the tenant's advisory lock (without waiting for it). The lock is
    transaction-level, held by a transaction that stays open for the tenant's import and is then rolled
    back: no session state, so it holds behind PgBouncer in transaction pooling too (the transaction keeps
    its server connection)."""
    with sessions() as session:
        try:
            # The transaction waits while files are copied: exempt from a server's idle-in-transaction limit.
            session.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            yield session.scalar(
                text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"incoming:{tenant}"}
            )
        finally:
            session.rollback()


def _ingest_tenant(
    queue: JobQueue, store: ObjectStore, tenant_id: uuid.UUID, tenant: str, max_workers: int, max_pdf_bytes: int | None
) -> list[Imported]:
    prefix = incoming_prefix(tenant)
    pdfs = []
    for key in store.list_keys(prefix):
        if key.lower().endswith(".pdf"):
            pdfs.append(key)
        else:
            log.warning("tenant %s: %s is not a .pdf file; left in the incoming folder", tenant, key)
    imported = []
    for start in range(0, len(pdfs), BATCH_FILES):
        keys = pdfs[start : start + BATCH_FILES]
        batch_id = uuid.uuid4()
        files = [
            _move_in(store, key, prefix, batch_prefix(tenant, batch_id), index, max_pdf_bytes)
            for index, key in enumerate(keys)
        ]
        queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="incoming", tenant_id=tenant_id)
        for key in keys:
            store.delete(key)
        log.info("tenant %s: batch %s created from %d incoming files", tenant, batch_id, len(keys))
        imported.append(Imported(tenant, batch_id, len(keys)))
    return imported


def _move_in(
    store: ObjectStore, key: str, incoming: str, prefix: str, index: int, max_pdf_bytes: int | None
) -> NewFile:
    """Copies an incoming object into the batch's prefix (the original is deleted once the batch
    exists). A file over MAX_PDF_BYTES is kept with its batch too, and fails with that reason."""
    name = uploaded_name(posixpath.relpath(key, incoming))
    destination = object_key(prefix, index, name)
    store.copy(key, destination)
    size = store.size(destination) or 0
    if max_pdf_bytes is not None and size > max_pdf_bytes:
        return NewFile(name, destination, size, error=too_big_error(size, max_pdf_bytes))
    return NewFile(name, destination, size)
