"""The job queue on PostgreSQL: the only caller of queries.sql. The API enqueues and cancels; runners
claim, renew their leases, finish, retry, reap the leases of dead runners and give jobs back.

Every transition that moves a job into or out of 'running' also moves its batch's running_jobs count,
in the same transaction; locks are taken jobs first, then the batch, except by the claim, which locks
the batch first but never waits for a job row (SKIP LOCKED)."""

from __future__ import annotations

import functools
import json
import os
import socket
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from psycopg.rows import namedtuple_row
from sqlalchemy import func
from sqlalchemy.orm import Session, sessionmaker

from invoice_processor.db import DEFAULT_TENANT_ID, Batch, Job
from invoice_processor.queries import QUERIES

# Runners LISTEN here; a notification means "there may be work": new jobs, a freed slot, or room and jobs left
# after a claim. claim_jobs and finish_jobs in queries.sql notify it by name, inside their statement.
JOBS_CHANNEL = "invoice_processor_jobs"
# How many batches one claim looks at, oldest first.
CLAIM_BATCH_LIMIT = 20
# How many expired leases one reaper pass handles.
REAP_LIMIT = 500


@dataclass(frozen=True)
class ClaimedJob:
    id: uuid.UUID
    batch_id: uuid.UUID
    filename: str
    object_key: str
    attempts: int
    """This claim's attempt number: the fencing token that finish_job and retry_later check."""
    max_attempts: int = 3
    tenant_id: uuid.UUID = DEFAULT_TENANT_ID
    allow_duplicates: bool = False
    use_embedded_xml: bool | None = None
    """What the request said: read the PDF's e-invoice XML (True) or its printed page (False); None: the
    runner's USE_EMBEDDED_XML."""
    failed_attempts: int = 0
    """Attempts before this one that failed (transient error, lost lease); given-back ones do not count."""


class Claimed(list):
    """The jobs a claim took (a list of ClaimedJob), and whether a claim right after it could find more: a batch
    it looked at had room and jobs left. False for an empty claim."""

    more: bool = False


@dataclass(frozen=True)
class NewFile:
    filename: str
    object_key: str | None
    """None for a file refused at ingest, which was not stored."""
    size_bytes: int
    error: str | None = None
    """Set when the file was refused at ingest (too big, not a file, ...): its job is created failed,
    with this sentence, and never runs."""


@dataclass(frozen=True)
class JobOutcome:
    state: str
    """'succeeded' or 'failed'."""
    processing_time: float
    error: str | None = None
    error_kind: str | None = None
    """For a failure: 'permanent' (the file itself), 'transient', 'crash' (a bug); see Job.error_kind."""
    document_type: str | None = None
    invoice_id: int | None = None
    document_id: int | None = None
    timings: dict | None = None
    sha256: str | None = None
    duplicate_of_invoice_id: int | None = None
    duplicate_of_document_id: int | None = None
    possible_duplicate_of_invoice_id: int | None = None


class JobQueue:
    def __init__(self, sessions: sessionmaker, *, lease_s: float = 30.0, max_attempts: int = 3):
        self.sessions = sessions
        self.lease_s = lease_s
        self.max_attempts = max_attempts

    def enqueue_batch(
        self,
        batch_id: uuid.UUID,
        files: list[NewFile],
        *,
        max_workers: int,
        source: str,
        tenant_id: uuid.UUID = DEFAULT_TENANT_ID,
        allow_duplicates: bool = False,
        use_embedded_xml: bool | None = None,
        skipped: list[dict] | None = None,
        session: Session | None = None,
    ) -> Batch:
        """Inserts a batch and one job per file, then wakes the runners. Files refused at ingest get a
        failed job with their reason; a batch with nothing to run is completed at once. Runs in the
        caller's transaction if a session is given (committed by the caller), else in its own. skipped:
        the archive's entries that were not read ({name, reason}), kept with the batch.
        Returns the batch with its jobs."""
        if session is None:
            with self.sessions.begin() as own:
                return self.enqueue_batch(
                    batch_id, files, max_workers=max_workers, source=source, tenant_id=tenant_id,
                    allow_duplicates=allow_duplicates, use_embedded_xml=use_embedded_xml, skipped=skipped,
                    session=own,
                )
        runnable = sum(f.error is None for f in files)
        batch = Batch(
            id=batch_id,
            tenant_id=tenant_id,
            max_workers=max_workers,
            total_files=len(files),
            status="queued" if runnable else "completed",
            finished_at=None if runnable else func.now(),
            source=source,
            running_jobs=0,
            skipped=skipped or [],
        )
        batch.jobs = [
            Job(
                tenant_id=tenant_id,
                filename=f.filename,
                object_key=f.object_key or "",
                size_bytes=f.size_bytes,
                position=i,
                state="queued" if f.error is None else "failed",
                error=f.error,
                error_kind=None if f.error is None else "permanent",
                finished_at=None if f.error is None else func.now(),
                attempts=0,
                max_attempts=self.max_attempts,
                allow_duplicates=allow_duplicates,
                use_embedded_xml=use_embedded_xml,
            )
            for i, f in enumerate(files)
        ]
        session.add(batch)
        session.flush()
        if runnable:
            self._notify(session, str(batch_id))
        return batch

    def claim_jobs(self, runner_id: str, limit: int) -> Claimed:
        """Claims up to `limit` ready jobs in one statement, fairly between batches, never letting a
        batch run more than its max_workers jobs at once across all runners. Returns [] if none was ready."""
        if limit <= 0:
            return Claimed()
        with self.sessions() as session:
            # One statement is its own transaction: in autocommit it costs one round trip, not three.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            return self._claim(session, runner_id, limit)

    def _claim(self, session: Session, runner_id: str, limit: int) -> Claimed:
        return self._claimed(session.execute(QUERIES["claim_jobs"], self._claim_parameters(runner_id, limit)).all())

    def _claim_parameters(self, runner_id: str, limit: int) -> dict:
        return {"batch_limit": CLAIM_BATCH_LIMIT, "limit": limit, "runner_id": runner_id, "lease_s": self.lease_s}

    @staticmethod
    def _claimed(rows: list) -> Claimed:
        """The jobs of claim_jobs' rows (their last two columns say whether there is more, and a notification)."""
        claimed = Claimed(ClaimedJob(*row[:-2]) for row in rows)
        claimed.more = bool(rows) and rows[0].more
        return claimed

    def renew_leases(self, runner_id: str, jobs: list[ClaimedJob]) -> set[uuid.UUID]:
        """The heartbeat. Returns the ids of the jobs this runner still holds; the others were lost."""
        if not jobs:
            return set()
        with self.sessions.begin() as session:
            rows = session.execute(
                QUERIES["renew_leases"],
                {
                    "job_ids": [job.id for job in jobs],
                    "attempts": [job.attempts for job in jobs],
                    "runner_id": runner_id,
                    "lease_s": self.lease_s,
                },
            ).all()
        return {row[0] for row in rows}

    def finish_job(self, session: Session, job: ClaimedJob, runner_id: str, outcome: JobOutcome) -> bool:
        """Records a job's final state inside the caller's transaction (the one that stores its result),
        frees its batch slot, completes the batch if this was its last job, and wakes runners for the
        freed slot if the batch was at its max_workers: one statement, two for a batch's last running job.
        Returns False, and writes nothing, if this attempt of the job is no longer this runner's."""
        return bool(self._finish(session, runner_id, [(job, outcome)])[0])

    def finish_jobs(
        self, session: Session, runner_id: str, finished: list[tuple[ClaimedJob, JobOutcome]], *, claim: int = 0
    ) -> tuple[set[uuid.UUID], Claimed]:
        """finish_job for a group of jobs, in the caller's transaction (the one that stores their results), in
        one statement, plus one per batch whose last running job this was. Each job is fenced: one no longer
        this runner's (lease lost, cancelled) is left alone, and its result must not be committed.
        With claim > 0, then claims up to that many jobs for the runner in the same transaction, as claim_jobs
        would: the slots just freed are taken again without a transaction of their own, and a batch that goes
        on needs no completion check. The claimed jobs are the runner's once the caller commits; if the
        transaction rolls back, they stay queued.
        Returns the ids of the jobs finished (those still held) and the claimed jobs."""
        released, claimed = self._finish(session, runner_id, finished, claim)
        return {job_id for batch in released for job_id in batch.job_ids}, claimed

    def _finish(
        self, session: Session, runner_id: str, finished: list[tuple[ClaimedJob, JobOutcome]], claim: int = 0
    ) -> tuple[list, Claimed]:
        """The finish_jobs statement, the claim of up to `claim` jobs, then complete_batch_if_done for each
        batch left with no job running. Returns the batches whose slots were freed, with the ids of the jobs
        finished (none when no job of `finished` was still held), and the claimed jobs.
        The finish and the claim are sent together, in one round trip (psycopg's pipeline mode): the server
        runs them one after the other, in the caller's transaction, as if each had waited for the other."""
        statements = []
        if finished:
            outcomes = [
                {"job_id": str(job.id), "attempt": job.attempts, **_outcome_columns(outcome)}
                for job, outcome in finished
            ]
            statements.append(
                ("finish_jobs", {"outcomes": json.dumps(outcomes), "runner_id": runner_id, "wake_full": claim <= 0})
            )
        if claim > 0:
            statements.append(("claim_jobs", self._claim_parameters(runner_id, claim)))
        answers = _pipelined(session, statements)
        released = answers.pop(0) if finished else []
        claimed = self._claimed(answers.pop(0)) if claim > 0 else Claimed()
        going_on = {job.batch_id for job in claimed}
        for batch in sorted(released, key=lambda row: row.id):
            if batch.running_jobs == 0 and batch.id not in going_on:
                # Only a batch with no job running can be complete; while others run, one of them checks later.
                session.execute(QUERIES["complete_batch_if_done"], {"batch_id": batch.id})
        return released, claimed

    def retry_later(
        self, job: ClaimedJob, runner_id: str, *, error: str, delay_s: float, processing_time: float
    ) -> bool:
        """Puts a job that failed for a transient reason back in the queue, not before delay_s.
        Returns False if this attempt of the job is no longer this runner's."""
        with self.sessions.begin() as session:
            batch_id = session.execute(
                QUERIES["retry_job_later"],
                {
                    "job_id": job.id,
                    "runner_id": runner_id,
                    "attempt": job.attempts,
                    "error": error,
                    "delay_s": delay_s,
                    "processing_time": processing_time,
                },
            ).scalar_one_or_none()
            if batch_id is None:
                return False
            self._release_slots(session, {batch_id: 1})
        return True

    def reap_expired_leases(self) -> list[tuple[uuid.UUID, str, str, int]]:
        """Requeues (or, after max_attempts, fails) the jobs whose lease expired. Returns
        (job_id, new_state, runner_id, attempts) for each."""
        with self.sessions.begin() as session:
            rows = session.execute(QUERIES["reap_expired_leases"], {"limit": REAP_LIMIT}).all()
            if rows:
                self._release_slots(session, Counter(row.batch_id for row in rows))
        return [(row.id, row.state, row.runner_id, row.attempts) for row in rows]

    def give_back_jobs(self, runner_id: str, jobs: list[ClaimedJob] | None = None) -> int:
        """Returns this runner's running jobs (or only `jobs`) to the queue. Returns how many."""
        job_ids = None if jobs is None else [job.id for job in jobs]
        with self.sessions.begin() as session:
            rows = session.execute(QUERIES["give_back_jobs"], {"runner_id": runner_id, "job_ids": job_ids}).all()
            if rows:
                self._release_slots(session, Counter(row.batch_id for row in rows))
        return len(rows)

    def register_runner(self, runner_id: str, *, threads: int, vlm_mode: str, vlm_state: str, vlm_detail: str) -> None:
        """Says that the runner in this process runs, with its model's state: at its start and at each heartbeat."""
        with self.sessions.begin() as session:
            session.execute(
                QUERIES["register_runner"],
                {
                    "runner_id": runner_id,
                    "hostname": socket.gethostname(),
                    "pid": os.getpid(),
                    "threads": threads,
                    "vlm_mode": vlm_mode,
                    "vlm_state": vlm_state,
                    "vlm_detail": vlm_detail,
                },
            )

    def forget_runner(self, runner_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(QUERIES["forget_runner"], {"runner_id": runner_id})

    def live_runners(self, seen_s: float) -> list[dict]:
        """The runners that said they run within seen_s seconds, as dicts of the runners table's columns."""
        with self.sessions() as session:
            rows = session.execute(QUERIES["live_runners"], {"seen_s": seen_s}).mappings().all()
        return [dict(row) for row in rows]

    def cancel_batch(self, batch_id: uuid.UUID) -> dict[uuid.UUID, str]:
        """Cancels the batch's queued and running jobs; runners stop the running ones at their next
        stage. Returns {job_id: state it had} for each cancelled job."""
        with self.sessions.begin() as session:
            rows = session.execute(QUERIES["cancel_batch_jobs"], {"batch_id": batch_id}).all()
            session.execute(QUERIES["mark_batch_cancelled"], {"batch_id": batch_id})
            running = sum(row.previous_state == "running" for row in rows)
            self._release_slots(session, {batch_id: running})
            self._notify(session, f"cancel:{batch_id}")
        return {row.id: row.previous_state for row in rows}

    def expired_batches(self, retention_s: float, limit: int = 100) -> list[uuid.UUID]:
        """Completed batches that finished more than retention_s ago, oldest first."""
        with self.sessions() as session:
            return list(
                session.execute(QUERIES["expired_batches"], {"retention_s": retention_s, "limit": limit}).scalars()
            )

    def batch_object_keys(self, batch_id: uuid.UUID) -> list[str]:
        with self.sessions() as session:
            return list(session.execute(QUERIES["batch_object_keys"], {"batch_id": batch_id}).scalars())

    def delete_batch(self, batch_id: uuid.UUID) -> None:
        """Deletes a batch and its jobs; its invoices and other documents stay."""
        with self.sessions.begin() as session:
            session.execute(QUERIES["delete_batch"], {"batch_id": batch_id})

    def _release_slots(self, session: Session, running_by_batch: Mapping[uuid.UUID, int]) -> None:
        """Lowers each batch's running count, completes the batches that have nothing left to run and
        wakes the runners. Batches are locked in id order, so two callers cannot deadlock. (finish_jobs
        does the same in its own statement.)"""
        for batch_id in sorted(running_by_batch):
            session.execute(QUERIES["release_slots"], {"batch_id": batch_id, "count": running_by_batch[batch_id]})
            session.execute(QUERIES["complete_batch_if_done"], {"batch_id": batch_id})
            self._notify(session, str(batch_id))

    @staticmethod
    def _notify(session: Session, payload: str) -> None:
        session.execute(QUERIES["notify"], {"channel": JOBS_CHANNEL, "payload": payload})


def _pipelined(session: Session, statements: list[tuple[str, dict]]) -> list[list]:
    """Runs named statements of queries.sql in the session's transaction, sent together and answered together
    (one round trip instead of one each), and returns each one's rows (named tuples), in order. An error raises
    here, once the server has answered; the transaction is then aborted, as after any failed statement. A
    single statement goes through the session as any other."""
    if len(statements) == 1:
        name, parameters = statements[0]
        return [session.execute(QUERIES[name], parameters).all()]
    connection = session.connection()
    driver = connection.connection.driver_connection
    cursors = []
    with driver.pipeline():
        for name, parameters in statements:
            cursor = driver.cursor(row_factory=namedtuple_row)
            cursor.execute(_driver_sql(name, connection.dialect), parameters)
            cursors.append(cursor)
    return [cursor.fetchall() for cursor in cursors]


@functools.cache
def _driver_sql(name: str, dialect) -> str:
    """A statement of queries.sql as the driver takes it (%(name)s parameters)."""
    return str(QUERIES[name].compile(dialect=dialect))


def _outcome_columns(outcome: JobOutcome) -> dict:
    """The job columns an outcome writes, as finish_job and finish_jobs take them."""
    return {
        "state": outcome.state,
        "processing_time": outcome.processing_time,
        "error": outcome.error,
        "error_kind": outcome.error_kind,
        "document_type": outcome.document_type,
        "invoice_id": outcome.invoice_id,
        "document_id": outcome.document_id,
        "timings": outcome.timings,
        "sha256": outcome.sha256,
        "duplicate_of_invoice_id": outcome.duplicate_of_invoice_id,
        "duplicate_of_document_id": outcome.duplicate_of_document_id,
        "possible_duplicate_of_invoice_id": outcome.possible_duplicate_of_invoice_id,
    }
