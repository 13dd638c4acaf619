"""Request dependencies: the app's shared sessionmaker, queue and object store."""

from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from invoice_processor.queue import JobQueue
from invoice_processor.storage import ObjectStore


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_queue(request: Request) -> JobQueue:
    return request.app.state.queue


def get_store(request: Request) -> ObjectStore:
    return request.app.state.store


SessionDep = Annotated[Session, Depends(get_session)]
QueueDep = Annotated[JobQueue, Depends(get_queue)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
