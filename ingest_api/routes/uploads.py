"""The batch upload guide's endpoints: upload PDFs or a ZIP, get a BatchProcessingResponse."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile

from ingest_api.auth import CallerDep
from ingest_api.batches import create_and_answer
from ingest_api.deps import BatchOptions, BatchOptionsDep, QueueDep, StoreDep
from ingest_api.limits import upload_limits
from ingest_api.schemas import BatchProcessingResponse, SkippedEntry
from ingest_api.uploads import UploadRejected, batch_prefix, check_pdf_uploads, store_pdfs, store_zip

router = APIRouter(
    prefix="/invoices",
    tags=["uploads"],
    responses={413: {"description": "The request or the ZIP is over a limit, which the detail names"}},
)


async def _upload_pdfs(
    request, caller, queue, store, uploads: list[UploadFile], options: BatchOptions, source: str
):
    files = [(upload.filename or f"file-{i + 1}.pdf", upload.file) for i, upload in enumerate(uploads)]
    try:
        await asyncio.to_thread(check_pdf_uploads, files)
    except UploadRejected as e:
        raise HTTPException(e.status_code, str(e)) from e
    return await create_and_answer(
        request,
        caller,
        queue,
        store,
        lambda batch_id: store_pdfs(
            store, batch_prefix(caller.tenant_name, batch_id), files, limits=upload_limits(request)
        ),
        **options.as_kwargs(),
        source=source,
    )


@router.post(
    "/batch-upload",
    response_model=BatchProcessingResponse,
    responses={
        202: {"model": BatchProcessingResponse},
        400: {"description": "A file is not a PDF, or is a ZIP (send it to batch-upload-zip)"},
    },
)
async def batch_upload(
    request: Request,
    caller: CallerDep,
    queue: QueueDep,
    store: StoreDep,
    files: Annotated[list[UploadFile], File(description="The PDFs, as repeated `files` fields.")],
    options: BatchOptionsDep,
):
    """Process several PDFs as one batch."""
    return await _upload_pdfs(request, caller, queue, store, files, options, "upload")


@router.post(
    "/upload",
    response_model=BatchProcessingResponse,
    responses={
        202: {"model": BatchProcessingResponse},
        400: {"description": "The file is not a PDF, or is a ZIP (send it to batch-upload-zip)"},
    },
)
async def upload(
    request: Request,
    caller: CallerDep,
    queue: QueueDep,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="One PDF.")],
    options: BatchOptionsDep,
):
    """Process one PDF (a batch of one)."""
    return await _upload_pdfs(request, caller, queue, store, [file], options, "upload")


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
    options: BatchOptionsDep,
):
    """Process every PDF of a ZIP archive as one batch; other entries are skipped and listed in `skipped`."""
    skipped: list[SkippedEntry] = []

    def store_files(batch_id):
        stored = store_zip(store, batch_prefix(caller.tenant_name, batch_id), file.file, limits=upload_limits(request))
        skipped.extend(stored.skipped)
        return stored.files

    try:
        return await create_and_answer(
            request, caller, queue, store, store_files, **options.as_kwargs(), source="zip", skipped=skipped
        )
    except UploadRejected as e:
        raise HTTPException(e.status_code, str(e)) from e
