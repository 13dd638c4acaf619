"""Reads a batch back from the job table as a BatchProcessingResponse, and waits for it to finish."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest_api.schemas import BatchProcessingResponse, FileResult, JobSummary
from invoice_processor.db import Batch, Job

FINAL_STATES = ("succeeded", "failed", "cancelled")
WAIT_POLL_S = 0.2


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


def batch_status(sessions: sessionmaker, batch_id: uuid.UUID) -> str | None:
    with sessions() as session:
        return session.scalar(select(Batch.status).where(Batch.id == batch_id))


async def wait_for_batch(sessions: sessionmaker, batch_id: uuid.UUID, is_disconnected) -> bool:
    """Waits until the batch is completed. Returns False if the client went away first (the batch
    goes on regardless)."""
    while True:
        status = await asyncio.to_thread(batch_status, sessions, batch_id)
        if status in (None, "completed"):
            return True
        if await is_disconnected():
            return False
        await asyncio.sleep(WAIT_POLL_S)
