"""Which failures are worth retrying: the database or the object store being unreachable, timing out
or answering 5xx. Everything else (a bad file, a bug) is not retried."""

from __future__ import annotations

import random

import psycopg
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

_S3_RETRYABLE_CODES = {"SlowDown", "RequestTimeout", "ServiceUnavailable", "InternalError", "503", "500"}


def is_database_unavailable(error: BaseException) -> bool:
    """The database is down, restarting or unreachable (not: a bad query, a constraint violation)."""
    if isinstance(error, (SAOperationalError, PoolTimeout, psycopg.OperationalError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def is_storage_unavailable(error: BaseException) -> bool:
    """The object store is unreachable, timing out or answering 5xx (not: a missing object, a denied key)."""
    if isinstance(error, (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)):
        return True
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or error.response.get("Error", {}).get("Code") in _S3_RETRYABLE_CODES
    return isinstance(error, ConnectionError)


def is_transient(error: BaseException) -> bool:
    return is_database_unavailable(error) or is_storage_unavailable(error)


def backoff_delay(attempt: int, *, base_s: float = 5.0, cap_s: float = 300.0) -> float:
    """Seconds to wait before attempt `attempt + 1` of a job: exponential with full jitter, drawn
    uniformly from [0, min(cap_s, base_s * 2 ** (attempt - 1))].

    Full jitter rather than equal jitter (half fixed, half random): drawing from the whole range halves
    the peak rate at which jobs failed by one outage become ready again, which spreads many runners'
    load best (AWS, "Exponential Backoff And Jitter"). Equal jitter's minimum wait would buy little: a
    job only comes here after the runner has already waited within the attempt (job_runner's
    with_local_copy retries an unreachable store, with full jitter too)."""
    ceiling = min(cap_s, base_s * 2 ** max(attempt - 1, 0))
    return random.uniform(0, ceiling)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (SQLAlchemy's run on with the statement and a link)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
