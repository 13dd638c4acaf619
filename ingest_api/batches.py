"""Reads a batch back from the job table as a BatchProcessingResponse, waits for it to finish, cancels it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest_api.schemas import BatchProcessingResponse, FileResult, JobSummary
from invoice_processor.db import Batch, Job
from invoice_processor.queue import JobQueue
from invoice_processor.transient import first_line, is_database_unavailable

log = logging.getLogger("ingest_api")

FINAL_STATES = ("succeeded", "failed", "cancelled")
WAIT_POLL_S = 0.2
# Polling a database that does not answer: slower, each try may wait for a connect timeout anyway.
OUTAGE_POLL_S = 1.0


def batch_response(session: Session, batch_id: uuid.UUID) -> BatchProcessingResponse | None:
    """The batch as clients see it, or None if there is no such batch."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        return None
    jobs = session.scalars(select(Job).where(Job.batch_id == batch_id).order_by(Job.position)).all()
    finished = [job for job in jobs if job.state in FINAL_STATES]
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
            )
            for job in finished
        ],
        jobs=[JobSummary(job_id=job.id, filename=job.filename, state=job.state) for job in jobs],
    )


def cancel_batch(queue: JobQueue, session: Session, batch_id: uuid.UUID) -> BatchProcessingResponse | None:
    """Cancels the batch's unfinished files (queued ones at once, running ones at their next stage)
    and returns the batch as clients see it; None if there is no such batch. A completed batch is
    only read: cancelling it changes nothing."""
    status = session.scalar(select(Batch.status).where(Batch.id == batch_id))
    if status is None:
        return None
    if status != "completed":
        queue.cancel_batch(batch_id)
    return batch_response(session, batch_id)


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
