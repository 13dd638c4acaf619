"""503 with Retry-After when the database or the object store cannot be reached, instead of a 500 and a
stack trace: the client's request was fine, and the same request will work once the outage is over."""

from __future__ import annotations

import logging

import psycopg
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from invoice_processor.transient import first_line, is_database_unavailable, is_storage_unavailable

log = logging.getLogger("ingest_api")

RETRY_AFTER_S = 5
DATABASE_UNAVAILABLE = "The database is not reachable right now; retry in a few seconds."
STORAGE_UNAVAILABLE = (
    "The object store is not reachable right now, so the files were not accepted; retry in a few seconds."
)

# For the OpenAPI document of every route that reads or writes.
OUTAGE_RESPONSES = {
    503: {
        "description": "The database or the object store is not reachable; the `Retry-After` header says "
        "in how many seconds to try again."
    }
}

# The exception classes that can mean an outage; the handler tells outages from other errors.
_OUTAGE_CANDIDATES = (DBAPIError, PoolTimeout, psycopg.Error, BotoCoreError, ClientError, ConnectionError)


def service_unavailable(detail: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _answer_outage(request: Request, error: Exception) -> JSONResponse:
    """503 for an unreachable database or object store; any other error goes on to be a 500."""
    if is_database_unavailable(error):
        what, detail = "database", DATABASE_UNAVAILABLE
    elif is_storage_unavailable(error):
        what, detail = "object store", STORAGE_UNAVAILABLE
    else:
        raise error
    log.warning("%s %s: %s unreachable (%s); answered 503", request.method, request.url.path, what, first_line(error))
    return service_unavailable(detail)


def add_outage_handlers(app: FastAPI) -> None:
    for exception_class in _OUTAGE_CANDIDATES:
        app.add_exception_handler(exception_class, _answer_outage)

