"""The job queue on PostgreSQL: the only caller of queries.sql. The API enqueues, runners claim and finish."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from invoice_processor.db import Batch, Job
from invoice_processor.queries import QUERIES

# Runners LISTEN here; a notification means "there may be work": new jobs, or a freed slot.
JOBS_CHANNEL = "invoice_processor_jobs"
# How many batches one claim looks at, oldest first.
CLAIM_BATCH_LIMIT = 20


@dataclass(frozen=True)
class ClaimedJob:
    id: uuid.UUID
    batch_id: uuid.UUID
    filename: str
    object_key: str
    attempts: int


@dataclass(frozen=True)
class NewFile:
    filename: str
    object_key: str
    size_bytes: int


@dataclass(frozen=True)
class JobOutcome:
    state: str
    """'succeeded' or 'failed'."""
    processing_time: float
    error: str | None = None
    document_type: str | None = None
    invoice_id: int | None = None
    document_id: int | None = None
    timings: dict | None = None


class JobQueue:
    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions

    def enqueue_batch(
        self, batch_id: uuid.UUID, files: list[NewFile], *, max_workers: int, source: str
    ) -> Batch:
        """Inserts a batch and one queued job per file in one transaction, then wakes the runners.
        Returns the batch with its jobs."""
        with self.sessions.begin() as session:
            batch = Batch(
                id=batch_id, max_workers=max_workers, total_files=len(files), status="queued", source=source
            )
            batch.jobs = [
                Job(
                    filename=f.filename,
                    object_key=f.object_key,
                    size_bytes=f.size_bytes,
                    position=i,
                    state="queued",
                    attempts=0,
                )
                for i, f in enumerate(files)
            ]
            session.add(batch)
            session.flush()
            self._notify(session, str(batch_id))
        return batch

    def claim_jobs(self, runner_id: str, limit: int) -> list[ClaimedJob]:
        """Claims up to `limit` queued jobs in one short transaction, never letting a batch run more
        than its max_workers jobs at once across all runners. Returns [] if no job was ready."""
        claimed: list[ClaimedJob] = []
        if limit <= 0:
            return claimed
        with self.sessions.begin() as session:
            batches = session.execute(
                QUERIES["lock_claimable_batches"], {"batch_limit": CLAIM_BATCH_LIMIT}
            ).all()
            for batch_id, max_workers in batches:
                running = session.execute(QUERIES["count_running_jobs"], {"batch_id": batch_id}).scalar_one()
                room = min(limit - len(claimed), max_workers - running)
                if room <= 0:
                    continue
                rows = session.execute(
                    QUERIES["claim_batch_jobs"],
                    {"batch_id": batch_id, "limit": room, "runner_id": runner_id},
                ).all()
                if rows:
                    session.execute(QUERIES["mark_batch_running"], {"batch_id": batch_id})
                claimed.extend(ClaimedJob(*row) for row in rows)
                if len(claimed) >= limit:
                    break
        return claimed

    def finish_job(self, session: Session, job_id: uuid.UUID, runner_id: str, outcome: JobOutcome) -> bool:
        """Records a job's final state inside the caller's transaction (with its stored result), completes
        the batch if this was its last job, and wakes runners for the freed slot. Returns False, and
        writes nothing, if the job is no longer held by this runner."""
        batch_id = session.execute(
            QUERIES["finish_job"],
            {
                "job_id": job_id,
                "runner_id": runner_id,
                "state": outcome.state,
                "processing_time": outcome.processing_time,
                "error": outcome.error,
                "document_type": outcome.document_type,
                "invoice_id": outcome.invoice_id,
                "document_id": outcome.document_id,
                "timings": json.dumps(outcome.timings) if outcome.timings is not None else None,
            },
        ).scalar_one_or_none()
        if batch_id is None:
            return False
        session.execute(QUERIES["lock_batch"], {"batch_id": batch_id})
        session.execute(QUERIES["complete_batch_if_done"], {"batch_id": batch_id})
        self._notify(session, str(batch_id))
        return True

    def give_back_jobs(self, runner_id: str) -> int:
        """Returns this runner's running jobs to the queue. Returns how many."""
        with self.sessions.begin() as session:
            rows = session.execute(QUERIES["give_back_jobs"], {"runner_id": runner_id}).all()
            if rows:
                self._notify(session, "given-back")
        return len(rows)

    @staticmethod
    def _notify(session: Session, payload: str) -> None:
        session.execute(QUERIES["notify"], {"channel": JOBS_CHANNEL, "payload": payload})
