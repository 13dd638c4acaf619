"""Straight to the bucket: presigned PUT URLs, then a batch made from the uploaded objects' keys.

The files never pass through the API: a client asks for one URL per file, PUTs each file to the
S3/MinIO bucket, then creates the batch from the keys. Each URL is for one key under the caller's
own prefix (tenants/<tenant>/direct/<upload id>/), pins the content type to application/pdf, and
expires (PRESIGN_EXPIRES_S, 15 minutes by default). A batch may only name keys under that prefix."""

from __future__ import annotations

import asyncio
import posixpath
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from ingest_api.auth import Caller, CallerDep
from ingest_api.batches import create_and_answer
from ingest_api.deps import BatchOptionsDep, QueueDep, StoreDep
from ingest_api.schemas import BatchProcessingResponse
from ingest_api.uploads import key_name, tenant_prefix, too_big_error, uploaded_name
from invoice_processor.queue import NewFile
from invoice_processor.storage import ObjectStore, S3Store, UnsafeKey, safe_key

router = APIRouter(
    tags=["direct uploads"], responses={413: {"description": "The JSON body is over 32 MiB"}}
)

PDF_CONTENT_TYPE = "application/pdf"
# Azure's batch analysis takes up to 10,000 documents per request; so do we.
MAX_FILES = 10_000
# Object sizes are looked up this many at a time when a batch is created from keys.
HEAD_THREADS = 16
# The longest key S3 stores, in UTF-8 bytes; presigned keys are far shorter (a prefix and a 128-byte name).
MAX_KEY_BYTES = 1024

FOLDER_STORE_MESSAGE = (
    "Direct uploads need an S3-compatible object store, and this service keeps files in a local folder. "
    "Set S3_BUCKET (and S3_ENDPOINT_URL for MinIO, with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and "
    "restart it, or upload through POST /api/v1/invoices/batch-upload instead."
)


class PresignFile(BaseModel):
    filename: str = Field(min_length=1, max_length=1000, description="The file's name, as it will be shown.")


class PresignRequest(BaseModel):
    files: list[PresignFile] = Field(min_length=1, max_length=MAX_FILES)
    expires_in: int | None = Field(
        default=None, ge=1, le=7 * 24 * 3600, description="Seconds the URLs stay valid (default PRESIGN_EXPIRES_S)."
    )


class PresignedUpload(BaseModel):
    filename: str
    key: str
    """Name this key when creating the batch."""
    url: str
    method: str = "PUT"
    headers: dict[str, str]
    """Send exactly these headers with the PUT: the signature covers them."""
    expires_at: datetime


class PresignResponse(BaseModel):
    uploads: list[PresignedUpload]


class BatchFile(BaseModel):
    key: str = Field(min_length=1, max_length=1024)
    filename: str | None = Field(default=None, max_length=1000, description="Shown name; default: the key's.")


class CreateBatchRequest(BaseModel):
    files: list[BatchFile] = Field(min_length=1, max_length=MAX_FILES)


def direct_prefix(caller: Caller) -> str:
    return safe_key(tenant_prefix(caller.tenant_name), "direct")


def store_key(key: str) -> str | None:
    """The key as the store reads it (backslashes are separators, empty and '.' parts dropped), or None
    where the store refuses it (a '..' part, nothing left)."""
    try:
        return safe_key(key)
    except UnsafeKey:
        return None


def key_refusal(key: str) -> str | None:
    """Why no object is looked up at this key (one inside the caller's prefix), as its failed file's
    sentence; None if it may be. The key is quoted with its control characters escaped: PostgreSQL text
    cannot hold a NUL, and the sentence is shown to people."""
    if not key.isprintable():
        problem = "holds a control or invisible character"
    elif len(key.encode()) > MAX_KEY_BYTES:
        problem = f"is longer than the {MAX_KEY_BYTES:,} bytes an object key may have"
    else:
        return None
    return (
        f"The key {key!r} {problem}, and no presigned upload's key does: "
        "create the batch with the keys that POST /api/v1/uploads/presign gave you."
    )


def _s3(store: ObjectStore) -> S3Store:
    if not isinstance(store, S3Store):
        raise HTTPException(status.HTTP_409_CONFLICT, FOLDER_STORE_MESSAGE)
    return store


@router.post(
    "/uploads/presign",
    response_model=PresignResponse,
    responses={409: {"description": "The service keeps files in a folder, not in S3"}},
)
def presign(body: PresignRequest, request: Request, caller: CallerDep, store: StoreDep):
    """One presigned PUT URL per file: upload each file to its URL, with the headers given, before it
    expires; then create the batch with `POST /api/v1/batches` and the keys."""
    s3 = _s3(store)
    expires_s = body.expires_in or request.app.state.settings.presign_expires_s
    expires_at = datetime.now(timezone.utc) + timedelta(seconds=expires_s)
    prefix = direct_prefix(caller)
    uploads = []
    for file in body.files:
        name = uploaded_name(file.filename)
        key = safe_key(prefix, uuid.uuid4().hex, key_name(name))
        url = s3.presigned_put_url(key, expires_s=expires_s, content_type=PDF_CONTENT_TYPE)
        uploads.append(
            PresignedUpload(
                filename=name, key=key, url=url, headers={"Content-Type": PDF_CONTENT_TYPE}, expires_at=expires_at
            )
        )
    return PresignResponse(uploads=uploads)


@router.post(
    "/batches",
    response_model=BatchProcessingResponse,
    responses={
        202: {"model": BatchProcessingResponse},
        403: {"description": "A key is outside the caller's upload prefix"},
        409: {"description": "The service keeps files in a folder, not in S3"},
    },
)
async def create_batch(
    body: CreateBatchRequest,
    request: Request,
    caller: CallerDep,
    queue: QueueDep,
    store: StoreDep,
    options: BatchOptionsDep,
):
    """A batch of files already uploaded with presigned URLs, named by their keys. A key that was
    never uploaded, one with control characters, or a file too big, fails alone with its reason; the
    others run. A key outside the caller's prefix, read as the store reads it, is a 403. Set
    `wait=false` to be answered at once (202) — advised for large batches."""
    s3 = _s3(store)
    prefix = direct_prefix(caller) + "/"
    keys = [store_key(f.key) for f in body.files]
    outside = [f.key for f, key in zip(body.files, keys) if key is None or not key.startswith(prefix)]
    if outside:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{len(outside)} key(s) are outside your upload prefix {prefix}, e.g. {outside[0]!r}. "
            "Use the keys that POST /api/v1/uploads/presign gave you.",
        )
    max_pdf_bytes = request.app.state.settings.max_pdf_bytes
    # The keys as the store reads them: the ones the jobs keep, and the ones the runners read.
    named = [f.model_copy(update={"key": key}) for f, key in zip(body.files, keys)]
    files = await asyncio.to_thread(_check_objects, s3, named, max_pdf_bytes)
    return await create_and_answer(
        request, caller, queue, store, lambda batch_id: files, **options.as_kwargs(), source="direct"
    )


def _check_objects(store: S3Store, files: list[BatchFile], max_pdf_bytes: int) -> list[NewFile]:
    """Looks up each key's object: a key refused by key_refusal, or a missing or oversized object,
    becomes a failed file with its reason."""
    refusals = [key_refusal(f.key) for f in files]
    with ThreadPoolExecutor(HEAD_THREADS) as pool:
        sizes = list(pool.map(lambda f, refusal: None if refusal else store.size(f.key), files, refusals))
    checked = []
    for file, refusal, size in zip(files, refusals, sizes):
        name = uploaded_name(file.filename or posixpath.basename(file.key))
        if refusal:
            checked.append(NewFile(name, None, 0, error=refusal))
        elif size is None:
            error = (
                f"Nothing was uploaded at {file.key}: PUT the file to its presigned URL (before it expires), "
                "then create the batch."
            )
            checked.append(NewFile(name, None, 0, error=error))
        elif size > max_pdf_bytes:
            checked.append(NewFile(name, None, size, error=too_big_error(size, max_pdf_bytes)))
        else:
            checked.append(NewFile(name, file.key, size))
    return checked
