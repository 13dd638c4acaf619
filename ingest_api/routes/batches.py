"""A batch's progress and its jobs; cancelling a batch."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status

from ingest_api.auth import CallerDep
from ingest_api.batches import batch_response, cancel_batch
from ingest_api.deps import QueueDep, SessionDep
from ingest_api.schemas import BatchProcessingResponse, JobPublic
from invoice_processor.db import Job

router = APIRouter(tags=["batches"])


@router.get(
    "/batches/{batch_id}",
    response_model=BatchProcessingResponse,
    name="get_batch",
    responses={404: {"description": "No such batch for this tenant"}},
)
def get_batch(batch_id: uuid.UUID, caller: CallerDep, session: SessionDep):
    """A batch with its status and the results so far."""
    body = batch_response(session, batch_id, caller.tenant_id)
    if body is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Batch not found")
    return body


@router.post(
    "/batches/{batch_id}/cancel",
    response_model=BatchProcessingResponse,
    name="cancel_batch",
    responses={404: {"description": "No such batch"}},
)
def cancel(batch_id: uuid.UUID, caller: CallerDep, queue: QueueDep, session: SessionDep):
    """Cancels the batch's unfinished files: queued ones at once, running ones at their next stage
    (their results are not stored). Files already done keep their results. Answers the batch as
    `GET /batches/{batch_id}` does; cancelled files are failed results with their reason. Cancelling
    a completed batch changes nothing."""
    body = cancel_batch(queue, session, batch_id, caller.tenant_id)
    if body is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Batch not found")
    return body


@router.get("/jobs/{job_id}", response_model=JobPublic, responses={404: {"description": "No such job for this tenant"}})
def get_job(job_id: uuid.UUID, caller: CallerDep, session: SessionDep):
    job = session.get(Job, job_id)
    if job is None or job.tenant_id != caller.tenant_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Job not found")
    return job
