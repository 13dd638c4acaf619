"""Request dependencies: the app's shared sessionmaker, queue and object store, and the options of
every batch-creating request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Iterator, TypeVar

from fastapi import Depends, Header, HTTPException, Query, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from invoice_processor.db import Job

from invoice_processor.queue import JobQueue
from invoice_processor.storage import ObjectStore

T = TypeVar("T")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_queue(request: Request) -> JobQueue:
    return request.app.state.queue


def get_store(request: Request) -> ObjectStore:
    return request.app.state.store


def owned(session: Session, model: type[T], key, tenant_id, not_found: str, **options) -> T:
    """The row of `model` with this primary key if it is the tenant's; else a 404 with `not_found` (another
    tenant's row is not found either: its existence is not told)."""
    row = session.get(model, key, **options)
    if row is None or row.tenant_id != tenant_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, not_found)
    return row


def source_key(session: Session, job_id: uuid.UUID | None) -> str | None:
    """The object key of the file a record (invoice, document) was read from: its job's; None when the job is
    gone (its batch was purged)."""
    return session.scalar(select(Job.object_key).where(Job.id == job_id)) if job_id else None


SessionDep = Annotated[Session, Depends(get_session)]
QueueDep = Annotated[JobQueue, Depends(get_queue)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]


@dataclass(frozen=True)
class BatchOptions:
    """What every batch-creating request may say besides its files."""

    max_workers: int
    wait: bool
    allow_duplicates: bool
    idempotency_key: str | None
    use_embedded_xml: bool | None = None

    def as_kwargs(self) -> dict:
        return {
            "max_workers": self.max_workers,
            "wait": self.wait,
            "allow_duplicates": self.allow_duplicates,
            "idempotency_key": self.idempotency_key,
            "use_embedded_xml": self.use_embedded_xml,
        }


def batch_options(
    max_workers: Annotated[
        int,
        Query(ge=1, le=64, description="How many of this batch's files are processed at once, across all runners."),
    ] = 4,
    wait: Annotated[
        bool, Query(description="true: answer when every file is done (200); false: answer 202 at once.")
    ] = True,
    allow_duplicates: Annotated[
        bool,
        Query(
            description="false: a file already read before (same SHA-256) points to its earlier result; "
            "true: it is read and stored again."
        ),
    ] = False,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retrying a request with the same key returns the batch the first one created.",
        ),
    ] = None,
    use_embedded_xml: Annotated[
        bool | None,
        Query(
            description="true: a PDF that carries an e-invoice XML (Factur-X, ZUGFeRD, XRechnung, UBL) is read from "
            "the XML; false: from its printed page, as any other PDF. Unset: the USE_EMBEDDED_XML setting "
            "(default true)."
        ),
    ] = None,
) -> BatchOptions:
    return BatchOptions(max_workers, wait, allow_duplicates, idempotency_key, use_embedded_xml)


BatchOptionsDep = Annotated[BatchOptions, Depends(batch_options)]
