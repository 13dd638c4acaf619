"""A runner: claims jobs from PostgreSQL and runs the document pipeline on a local thread pool.

Runners are stateless: start as many as the load needs, on as many machines. They wake on
LISTEN/NOTIFY within a fraction of a second, and poll every `poll_interval_s` in case a
notification was missed."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg

from invoice_processor.db import libpq_url
from invoice_processor.queue import JOBS_CHANNEL, ClaimedJob, JobOutcome, JobQueue
from invoice_processor.storage import ObjectNotFound, ObjectStore
from job_runner.pipeline import process_document
from job_runner.pipeline.result import DocumentError
from job_runner.results import store_result

log = logging.getLogger("job_runner")

SHUTDOWN_GRACE_S = 30.0
LISTEN_RECONNECT_S = 2.0


def make_runner_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Runner:
    def __init__(
        self,
        queue: JobQueue,
        store: ObjectStore,
        *,
        database_url: str,
        threads: int,
        ocr_languages: str = "fra+eng",
        ocr_dpi: int = 300,
        poll_interval_s: float = 2.0,
        shutdown_grace_s: float = SHUTDOWN_GRACE_S,
        runner_id: str | None = None,
    ):
        self.queue = queue
        self.store = store
        self.database_url = database_url
        self.threads = threads
        self.ocr_languages = ocr_languages
        self.ocr_dpi = ocr_dpi
        self.poll_interval_s = poll_interval_s
        self.shutdown_grace_s = shutdown_grace_s
        self.runner_id = runner_id or make_runner_id()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._in_flight: set[Future] = set()
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Asks the runner to stop: no new claims; running jobs get the grace period to finish."""
        self._stop.set()
        self._wake.set()

    def run(self, *, burst: bool = False) -> None:
        """Claims and runs jobs until stop() is called; with burst=True, until the queue is empty."""
        log.info("runner %s started with %d threads", self.runner_id, self.threads)
        listener = None
        if not burst:
            listener = threading.Thread(target=self._listen, name="runner-listen", daemon=True)
            listener.start()
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="runner-job")
        try:
            while not self._stop.is_set():
                self._wake.clear()
                claimed = self._claim()
                if burst and not claimed and not self._in_flight:
                    break
                if not claimed:
                    self._wake.wait(self.poll_interval_s)
                for job in claimed:
                    self._submit(pool, job)
        finally:
            self._shutdown(pool)
            if listener is not None:
                listener.join(LISTEN_RECONNECT_S)
        log.info("runner %s stopped", self.runner_id)

    def _claim(self) -> list[ClaimedJob]:
        with self._lock:
            free = self.threads - len(self._in_flight)
        if free <= 0:
            return []
        try:
            return self.queue.claim_jobs(self.runner_id, free)
        except Exception:
            log.exception("runner %s could not claim jobs; retrying", self.runner_id)
            self._stop.wait(self.poll_interval_s)
            return []

    def _submit(self, pool: ThreadPoolExecutor, job: ClaimedJob) -> None:
        future = pool.submit(self.run_job, job)
        with self._lock:
            self._in_flight.add(future)
        future.add_done_callback(self._job_done)

    def _job_done(self, future: Future) -> None:
        with self._lock:
            self._in_flight.discard(future)
        self._wake.set()

    def _shutdown(self, pool: ThreadPoolExecutor) -> None:
        deadline = time.monotonic() + self.shutdown_grace_s
        while True:
            with self._lock:
                pending = len(self._in_flight)
            if not pending or time.monotonic() >= deadline:
                break
            self._wake.wait(0.1)
            self._wake.clear()
        if pending:
            given_back = self.queue.give_back_jobs(self.runner_id)
            log.warning("runner %s gave back %d unfinished jobs", self.runner_id, given_back)
        pool.shutdown(wait=False, cancel_futures=True)

    def _listen(self) -> None:
        """Sets the wake event on every notification; reconnects if the connection drops."""
        while not self._stop.is_set():
            try:
                with psycopg.connect(libpq_url(self.database_url), autocommit=True) as conn:
                    conn.execute(f"LISTEN {JOBS_CHANNEL}")
                    self._wake.set()  # anything queued while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake.set()
            except Exception as e:  # the poll keeps the runner going meanwhile
                log.warning("runner %s lost its LISTEN connection (%s); reconnecting", self.runner_id, e)
                self._stop.wait(LISTEN_RECONNECT_S)

    def run_job(self, job: ClaimedJob) -> JobOutcome:
        """Runs one job and records its final state. Never raises: a failure is the job's outcome."""
        log.info("job %s started: %s (attempt %d)", job.id, job.filename, job.attempts)
        started = time.perf_counter()
        result = None
        error = None
        try:
            with self.store.local_copy(job.object_key) as path:
                result = process_document(path, ocr_languages=self.ocr_languages, dpi=self.ocr_dpi)
        except DocumentError as e:
            error = str(e)
        except ObjectNotFound:
            error = "The uploaded file is missing from storage; upload it again."
        except Exception as e:
            log.error("job %s crashed:\n%s", job.id, traceback.format_exc())
            error = f"Internal error while processing this file ({type(e).__name__}: {e}); it was logged."
        try:
            outcome = self._record(job, result, error, round(time.perf_counter() - started, 4))
        except Exception as e:
            log.exception("job %s: could not store its result", job.id)
            outcome = self._record(
                job, None, f"Could not store the result ({type(e).__name__}: {e}).", round(time.perf_counter() - started, 4)
            )
        if outcome.state == "succeeded":
            log.info("job %s done: %s in %.2fs", job.id, outcome.document_type, outcome.processing_time)
        else:
            log.info("job %s failed in %.2fs: %s", job.id, outcome.processing_time, outcome.error)
        return outcome

    def _record(self, job: ClaimedJob, result, error: str | None, elapsed: float) -> JobOutcome:
        """Stores the result and the job's final state in one transaction."""
        with self.queue.sessions() as session:
            if result is not None:
                invoice_id, document_id = store_result(session, job, result)
                outcome = JobOutcome(
                    state="succeeded",
                    processing_time=elapsed,
                    document_type=result.document_type,
                    invoice_id=invoice_id,
                    document_id=document_id,
                    timings={**result.timings, "total": round(elapsed, 4)},
                )
            else:
                outcome = JobOutcome(state="failed", processing_time=elapsed, error=error)
            if self.queue.finish_job(session, job.id, self.runner_id, outcome):
                session.commit()
            else:
                session.rollback()
                log.warning("job %s was no longer held by runner %s; result dropped", job.id, self.runner_id)
        return outcome
