"""Creates a batch (once per Idempotency-Key), reads it back from the job table as a
BatchProcessingResponse, waits for it to finish, cancels it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ingest_api import idempotency
from ingest_api.auth import Caller
from ingest_api.schemas import (
    BatchesPublic,
    BatchProcessingResponse,
    BatchSummary,
    FileResult,
    InvoicePublic,
    JobSummary,
    OtherDocumentPublic,
    SkippedEntry,
    XmlPrintDifference,
)
from ingest_api.uploads import discard_objects
from invoice_processor.db import Batch, Invoice, Job, OtherDocument
from invoice_processor.queue import JobQueue, NewFile
from invoice_processor.storage import ObjectStore
from invoice_processor.transient import first_line, is_database_unavailable

log = logging.getLogger("ingest_api")

FINAL_STATES = ("succeeded", "failed", "cancelled")
WAIT_POLL_S = 0.2
# Polling a database that does not answer: slower, each try may wait for a connect timeout anyway.
OUTAGE_POLL_S = 1.0


def batch_response(
    session: Session, batch_id: uuid.UUID, tenant_id: uuid.UUID | None = None, *, include_fields: bool = False
) -> BatchProcessingResponse | None:
    """The batch as clients see it, or None if there is no such batch (or it is another tenant's). With
    include_fields, each succeeded result carries its invoice or other document."""
    batch = session.get(Batch, batch_id)
    if batch is None or (tenant_id is not None and batch.tenant_id != tenant_id):
        return None
    jobs = session.scalars(select(Job).where(Job.batch_id == batch_id).order_by(Job.position)).all()
    finished = [job for job in jobs if job.state in FINAL_STATES]
    differences = _xml_print_differences(session, {job.invoice_id for job in finished if job.invoice_id})
    records = _records(session, finished) if include_fields else {}
    end = batch.finished_at or datetime.now(timezone.utc)
    return BatchProcessingResponse(
        batch_id=batch.id,
        status=batch.status,
        total_files=batch.total_files,
        successful=sum(job.state == "succeeded" for job in finished),
        failed=sum(job.state != "succeeded" for job in finished),
        processing_time_seconds=round((end - batch.created_at).total_seconds(), 3),
        results=[
            FileResult(
                filename=job.filename,
                job_id=job.id,
                success=job.state == "succeeded",
                document_type=job.document_type,
                invoice_id=job.invoice_id,
                document_id=job.document_id,
                error=job.error if job.state != "succeeded" else None,
                processing_time=job.processing_time,
                timings=job.timings,
                duplicate_of_invoice_id=job.duplicate_of_invoice_id,
                duplicate_of_document_id=job.duplicate_of_document_id,
                possible_duplicate_of_invoice_id=job.possible_duplicate_of_invoice_id,
                xml_print_differences=differences.get(job.invoice_id),
                fields=records.get((job.invoice_id, job.document_id)) if job.state == "succeeded" else None,
            )
            for job in finished
        ],
        jobs=[JobSummary(job_id=job.id, filename=job.filename, state=job.state) for job in jobs],
        skipped=[SkippedEntry(**entry) for entry in batch.skipped or []],
    )


def _records(session: Session, jobs: list[Job]) -> dict[tuple, InvoicePublic | OtherDocumentPublic]:
    """(invoice_id, document_id) -> the record the job points to, read in two queries for the whole batch."""
    invoice_ids = {job.invoice_id for job in jobs if job.invoice_id}
    document_ids = {job.document_id for job in jobs if job.document_id}
    records: dict[tuple, InvoicePublic | OtherDocumentPublic] = {}
    if invoice_ids:
        invoices = session.scalars(
            select(Invoice).where(Invoice.id.in_(invoice_ids)).options(selectinload(Invoice.lines))
        )
        records.update({(row.id, None): InvoicePublic.model_validate(row) for row in invoices})
    if document_ids:
        documents = session.scalars(select(OtherDocument).where(OtherDocument.id.in_(document_ids)))
        records.update({(None, row.id): OtherDocumentPublic.model_validate(row) for row in documents})
    return records


def list_batch_summaries(session: Session, where: list, *, skip: int, limit: int) -> BatchesPublic:
    """The batches matching `where`, newest first, with their jobs counted by state (one query for the page)."""
    count = session.scalar(select(func.count()).select_from(Batch).where(*where))
    batches = session.scalars(
        select(Batch).where(*where).order_by(Batch.created_at.desc(), Batch.id).offset(skip).limit(limit)
    ).all()
    counts: dict[uuid.UUID, Counter] = {batch.id: Counter() for batch in batches}
    if batches:
        rows = session.execute(
            select(Job.batch_id, Job.state, func.count())
            .where(Job.batch_id.in_(list(counts)))
            .group_by(Job.batch_id, Job.state)
        )
        for batch_id, state, n in rows:
            counts[batch_id][state] = n
    return BatchesPublic(
        data=[
            BatchSummary(
                batch_id=batch.id,
                status=batch.status,
                source=batch.source,
                created_at=batch.created_at,
                finished_at=batch.finished_at,
                cancelled_at=batch.cancelled_at,
                max_workers=batch.max_workers,
                total_files=batch.total_files,
                succeeded=counts[batch.id]["succeeded"],
                failed=counts[batch.id]["failed"] + counts[batch.id]["cancelled"],
                running=counts[batch.id]["running"],
                queued=counts[batch.id]["queued"],
            )
            for batch in batches
        ],
        count=count,
    )


def _xml_print_differences(session: Session, invoice_ids: set[int]) -> dict[int, list[XmlPrintDifference]]:
    """invoice id -> where its printed page disagrees with its XML (validation.xml_vs_print as a list), for
    the invoices read from an e-invoice XML whose page was compared; the others are left out."""
    if not invoice_ids:
        return {}
    rows = session.execute(
        select(Invoice.id, Invoice.validation["xml_vs_print"]).where(Invoice.id.in_(invoice_ids))
    ).all()
    return {
        invoice_id: [
            XmlPrintDifference(field=field, xml=values["xml"], print=values["print"])
            for field, values in report.items()
        ]
        for invoice_id, report in rows
        if isinstance(report, dict)
    }


def cancel_batch(
    queue: JobQueue, session: Session, batch_id: uuid.UUID, tenant_id: uuid.UUID
) -> BatchProcessingResponse | None:
    """Cancels the batch's unfinished files (queued ones at once, running ones at their next stage)
    and returns the batch as clients see it; None if the tenant has no such batch. A completed batch
    is only read: cancelling it changes nothing."""
    status = session.scalar(select(Batch.status).where(Batch.id == batch_id, Batch.tenant_id == tenant_id))
    if status is None:
        return None
    if status != "completed":
        queue.cancel_batch(batch_id)
    return batch_response(session, batch_id, tenant_id)


def _poll(sessions: sessionmaker, batch_id: uuid.UUID) -> tuple[bool, BatchProcessingResponse | None]:
    """(False, None) while the batch runs; (True, the batch) once it is completed; (True, None) if it
    is gone."""
    with sessions() as session:
        status = session.scalar(select(Batch.status).where(Batch.id == batch_id))
        if status not in (None, "completed"):
            return False, None
        return True, batch_response(session, batch_id)


async def wait_for_batch(
    sessions: sessionmaker, batch_id: uuid.UUID, is_disconnected: Callable[[], Awaitable[bool]]
) -> BatchProcessingResponse | None:
    """Waits until the batch is completed and returns it. While the database is unreachable it keeps
    polling (the runners go on meanwhile, and it may be back in seconds). Returns None if the client
    went away first (the batch goes on regardless) or the batch is gone."""
    outage = False
    while True:
        try:
            done, body = await asyncio.to_thread(_poll, sessions, batch_id)
        except Exception as e:
            if not is_database_unavailable(e):
                raise
            if not outage:
                log.warning("batch %s: database unreachable while waiting (%s); still waiting", batch_id, first_line(e))
            outage, done, body = True, False, None
        else:
            if outage:
                log.info("batch %s: database reachable again", batch_id)
            outage = False
        if done:
            return body
        if await is_disconnected():
            return None
        await asyncio.sleep(OUTAGE_POLL_S if outage else WAIT_POLL_S)


async def create_and_answer(
    request: Request,
    caller: Caller,
    queue: JobQueue,
    store: ObjectStore,
    store_files: Callable[[uuid.UUID], list[NewFile]],
    *,
    max_workers: int,
    source: str,
    wait: bool,
    allow_duplicates: bool = False,
    idempotency_key: str | None = None,
    use_embedded_xml: bool | None = None,
    skipped: list[SkippedEntry] | None = None,
) -> Response:
    """Creates a batch of the files that store_files(batch_id) stores (it runs in a worker thread;
    its exceptions go up) and answers it: 202 at once, or 200 when done if wait. With an
    Idempotency-Key seen before, nothing is stored and the first batch is answered instead. skipped: a list
    that store_files fills with the entries it did not read, kept with the batch."""
    key = idempotency.checked_key(idempotency_key)
    name = idempotency.request_name(request)
    if key is not None:
        existing = await asyncio.to_thread(_find_idempotent_batch, queue.sessions, caller, key, name)
        if existing is not None:
            return await answer_batch(request, queue.sessions, caller, existing, wait, replayed=True)
    batch_id = uuid.uuid4()
    files = await asyncio.to_thread(store_files, batch_id)
    stored = [f.object_key for f in files if f.object_key]
    try:
        created = await asyncio.to_thread(
            _create_batch,
            queue,
            caller,
            batch_id,
            files,
            max_workers,
            source,
            allow_duplicates,
            key,
            name,
            use_embedded_xml,
            [entry.model_dump(mode="json") for entry in skipped or []],
        )
    except Exception:
        # No batch refers to the stored files: do not leave them behind.
        await asyncio.to_thread(discard_objects, store, stored)
        raise
    if created != batch_id:  # a concurrent request with the same Idempotency-Key won
        await asyncio.to_thread(discard_objects, store, stored)
    return await answer_batch(request, queue.sessions, caller, created, wait, replayed=created != batch_id)


def _find_idempotent_batch(sessions: sessionmaker, caller: Caller, key: str, name: str) -> uuid.UUID | None:
    with sessions() as session:
        return idempotency.find_batch(session, caller.tenant_id, key, name)


def _create_batch(
    queue: JobQueue,
    caller: Caller,
    batch_id: uuid.UUID,
    files: list[NewFile],
    max_workers: int,
    source: str,
    allow_duplicates: bool,
    key: str | None,
    name: str,
    use_embedded_xml: bool | None = None,
    skipped: list[dict] | None = None,
) -> uuid.UUID:
    """Inserts the batch, and its Idempotency-Key in the same transaction. Returns the batch's id, or
    the id of the batch that a concurrent request with the same key created first."""
    try:
        with queue.sessions.begin() as session:
            queue.enqueue_batch(
                batch_id,
                files,
                max_workers=max_workers,
                source=source,
                tenant_id=caller.tenant_id,
                allow_duplicates=allow_duplicates,
                use_embedded_xml=use_embedded_xml,
                skipped=skipped,
                session=session,
            )
            if key is not None:
                idempotency.remember(session, caller.tenant_id, key, name, batch_id)
    except IntegrityError:
        if key is None:
            raise
        existing = _find_idempotent_batch(queue.sessions, caller, key, name)
        if existing is None:
            raise
        return existing
    return batch_id


async def answer_batch(
    request: Request, sessions: sessionmaker, caller: Caller, batch_id: uuid.UUID, wait: bool, *, replayed: bool = False
) -> Response:
    """The batch as clients see it: 202 at once, or 200 once it is completed if wait."""
    headers = {"Location": request.url_for("get_batch", batch_id=str(batch_id)).path}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    if not wait:
        body = await asyncio.to_thread(_read_batch, sessions, batch_id, caller.tenant_id)
        return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED, headers=headers)
    body = await wait_for_batch(sessions, batch_id, request.is_disconnected)
    if body is None:  # the client went away: nobody reads this answer
        return Response(status_code=status.HTTP_202_ACCEPTED, headers=headers)
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


def _read_batch(sessions: sessionmaker, batch_id: uuid.UUID, tenant_id: uuid.UUID) -> BatchProcessingResponse:
    with sessions() as session:
        return batch_response(session, batch_id, tenant_id)
