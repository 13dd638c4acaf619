"""A batch's progress and its jobs; cancelling a batch."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from ingest_api.auth import CallerDep
from ingest_api.batches import batch_response, cancel_batch, list_batch_summaries
from ingest_api.deps import QueueDep, SessionDep, owned
from ingest_api.filters import BatchFilters, batch_filters
from ingest_api.schemas import BatchesPublic, BatchProcessingResponse, JobPublic
from invoice_processor.db import Job

router = APIRouter(tags=["batches"])


@router.get("/batches", response_model=BatchesPublic, name="list_batches")
def list_batches(
    caller: CallerDep,
    session: SessionDep,
    filters: Annotated[BatchFilters, Depends(batch_filters)],
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
):
    """Batches, newest first, with their progress (files succeeded, failed, running, queued), filtered by
    `status` (queued, running, completed) and `created_after` / `created_before` (ISO 8601). `count` is the
    number of matches over all pages."""
    return list_batch_summaries(session, filters.conditions(caller.tenant_id), skip=skip, limit=limit)


@router.get(
    "/batches/{batch_id}",
    response_model=BatchProcessingResponse,
    name="get_batch",
    responses={404: {"description": "No such batch for this tenant"}},
)
def get_batch(
    batch_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    include: Annotated[Literal["fields"] | None, Query(description="fields: each result's invoice or document inline")] = None,
):
    """A batch with its status and the results so far; with `include=fields`, each result carries its
    invoice (or other document) as GET /invoices/{id} answers it."""
    body = batch_response(session, batch_id, caller.tenant_id, include_fields=include == "fields")
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
    return owned(session, Job, job_id, caller.tenant_id, "Job not found")
