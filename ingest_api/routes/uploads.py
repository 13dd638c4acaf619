"""The batch upload guide's endpoints: upload PDFs or a ZIP, get a BatchProcessingResponse."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from ingest_api.auth import Caller, CallerDep
from ingest_api.batches import batch_response, wait_for_batch
from ingest_api.deps import QueueDep, StoreDep
from ingest_api.schemas import BatchProcessingResponse
from ingest_api.uploads import (
    UploadRejected,
    batch_prefix,
    check_pdf_uploads,
    discard_objects,
    store_pdfs,
    store_zip,
)
from invoice_processor.queue import JobQueue, NewFile
from invoice_processor.storage import ObjectStore

router = APIRouter(prefix="/invoices", tags=["uploads"])

MaxWorkers = Annotated[
    int, Query(ge=1, le=64, description="How many of this batch's files are processed at once, across all runners.")
]
Wait = Annotated[
    bool, Query(description="true: answer when every file is done (200); false: answer 202 at once.")
]


async def _enqueue_and_answer(
    request: Request,
    caller: Caller,
    queue: JobQueue,
    store: ObjectStore,
    batch_id: uuid.UUID,
    files: list[NewFile],
    max_workers: int,
    source: str,
    wait: bool,
) -> Response:
    try:
        await asyncio.to_thread(
            queue.enqueue_batch, batch_id, files, max_workers=max_workers, source=source, tenant_id=caller.tenant_id
        )
    except Exception:
        # No batch refers to the stored files: do not leave them behind.
        await asyncio.to_thread(discard_objects, store, [f.object_key for f in files if f.object_key])
        raise
    location = request.url_for("get_batch", batch_id=str(batch_id)).path
    if not wait:
        body = await asyncio.to_thread(_read_batch, queue.sessions, batch_id)
        return JSONResponse(
            body.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )
    body = await wait_for_batch(queue.sessions, batch_id, request.is_disconnected)
    if body is None:  # the client went away: nobody reads this answer
        return Response(status_code=status.HTTP_202_ACCEPTED, headers={"Location": location})
    return JSONResponse(body.model_dump(mode="json"), headers={"Location": location})


def _read_batch(sessions, batch_id: uuid.UUID) -> BatchProcessingResponse:
    with sessions() as session:
        return batch_response(session, batch_id)


async def _upload_pdfs(
    request, caller, queue, store, uploads: list[UploadFile], max_workers: int, wait: bool, source: str
):
    files = [(upload.filename or f"file-{i + 1}.pdf", upload.file) for i, upload in enumerate(uploads)]
    batch_id = uuid.uuid4()
    try:
        await asyncio.to_thread(check_pdf_uploads, files)
    except UploadRejected as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(e)) from e
    stored = await asyncio.to_thread(store_pdfs, store, batch_prefix(caller.tenant_name, batch_id), files)
    return await _enqueue_and_answer(request, caller, queue, store, batch_id, stored, max_workers, source, wait)


@router.post(
    "/batch-upload",
    response_model=BatchProcessingResponse,
    responses={202: {"model": BatchProcessingResponse}, 400: {"description": "A file is not a PDF"}},
)
async def batch_upload(
    request: Request,
    caller: CallerDep,
    queue: QueueDep,
    store: StoreDep,
    files: Annotated[list[UploadFile], File(description="The PDFs, as repeated `files` fields.")],
    max_workers: MaxWorkers = 4,
    wait: Wait = True,
):
    """Process several PDFs as one batch."""
    return await _upload_pdfs(request, caller, queue, store, files, max_workers, wait, "upload")


@router.post(
    "/upload",
    response_model=BatchProcessingResponse,
    responses={202: {"model": BatchProcessingResponse}, 400: {"description": "The file is not a PDF"}},
)
async def upload(
    request: Request,
    caller: CallerDep,
    queue: QueueDep,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="One PDF.")],
    max_workers: MaxWorkers = 4,
    wait: Wait = True,
):
    """Process one PDF (a batch of one)."""
    return await _upload_pdfs(request, caller, queue, store, [file], max_workers, wait, "upload")


@router.post(
    "/batch-upload-zip",
    response_model=BatchProcessingResponse,
    responses={202: {"model": BatchProcessingResponse}, 400: {"description": "Not a ZIP, or no PDF in it"}},
)
async def batch_upload_zip(
    request: Request,
    caller: CallerDep,
    queue: QueueDep,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="A ZIP archive; PDFs in any folder are processed.")],
    max_workers: MaxWorkers = 4,
    wait: Wait = True,
):
    """Process every PDF of a ZIP archive as one batch; other entries are skipped."""
    batch_id = uuid.uuid4()
    try:
        stored = await asyncio.to_thread(store_zip, store, batch_prefix(caller.tenant_name, batch_id), file.file)
    except UploadRejected as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(e)) from e
    return await _enqueue_and_answer(request, caller, queue, store, batch_id, stored, max_workers, "zip", wait)
