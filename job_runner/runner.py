"""A runner: claims jobs from PostgreSQL and runs the document pipeline on a local thread pool.

Runners are stateless: start as many as the load needs, on as many machines. They wake on
LISTEN/NOTIFY within a fraction of a second, and poll every `poll_interval_s` in case a
notification was missed.

Every claimed job carries a lease that a heartbeat thread renews every third of its length. A runner
that dies stops renewing; any other runner's heartbeat then finds the expired lease and puts the job
back in the queue (or fails it after max_attempts). Results are recorded only for the attempt the
runner claimed, in the transaction that stores them, so a runner that lost its lease cannot
overwrite the runner that took over."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random_exponential

from invoice_processor.db import LayoutHint as LayoutHintRow
from invoice_processor.db import behind_pgbouncer, libpq_url, network_timeouts
from invoice_processor.logs import job_context
from invoice_processor.queue import JOBS_CHANNEL, Claimed, ClaimedJob, JobOutcome, JobQueue
from invoice_processor.storage import ObjectNotFound, ObjectStore
from invoice_processor.transient import (
    backoff_delay,
    first_line,
    is_database_unavailable,
    is_storage_unavailable,
    is_transient,
)
from invoice_reader import ReadOptions, process_document
from invoice_reader.layout_hints import LayoutHint
from invoice_reader.result import DocumentError, DocumentResult, ReaderCrashed, SameFile
from invoice_reader.vlm_stage import DEFAULT_MIN_OCR_CONFIDENCE
from job_runner.completions import Completion, CompletionBuffer
from job_runner.duplicates import file_sha256, find_same_file, find_same_invoice, lock_file_hash
from job_runner.isolation import DocumentWorkers, Read
from job_runner.results import StagedResult, StagedResults
from job_runner.webhooks import WebhookSender

if TYPE_CHECKING:
    from job_runner.vlm_service import ModelProcess

log = logging.getLogger("job_runner")

SHUTDOWN_GRACE_S = 30.0
LISTEN_RECONNECT_S = 2.0
# How long one step keeps retrying an unreachable object store before the job is retried later.
STORAGE_PATIENCE_S = 30.0
# The most layout hints (corrections teach) a job is given: the tenant's newest.
MAX_LAYOUT_HINTS = 5000
# How long a finished job keeps retrying to record its result while the database is unreachable.
# Past it the job's lease has expired and another runner will run it again.
RECORD_PATIENCE_S = 120.0

T = TypeVar("T")

Work = Callable[[ClaimedJob, Callable[[], None]], DocumentResult]
"""What a job does: (job, check) -> result. check() raises JobStopped once the job must stop."""


class JobStopped(Exception):
    """The job was cancelled, or this runner lost its lease: stop and record nothing."""


@dataclass
class _Running:
    job: ClaimedJob
    stop: threading.Event = field(default_factory=threading.Event)


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
        ocr_languages: str = "auto",
        ocr_dpi: int = 300,
        poll_interval_s: float = 2.0,
        shutdown_grace_s: float = SHUTDOWN_GRACE_S,
        runner_id: str | None = None,
        work: Work | None = None,
        housekeeping: Callable[[], None] | None = None,
        max_pdf_pages: int = 1000,
        max_page_pixels: int = 150_000_000,
        document_timeout_s: float = 900.0,
        pipeline: Read = process_document,
        vlm_mode: str = "off",
        vlm_off_reason: str = "VLM_MODE is off",
        model: ModelProcess | None = None,
        vlm_min_ocr_confidence: float = DEFAULT_MIN_OCR_CONFIDENCE,
        use_embedded_xml: bool = True,
        webhooks: WebhookSender | None = None,
    ):
        """work replaces read_document (tests). pipeline is what the worker processes of
        read_document run on each file: process_document, or a test's stand-in; it travels to them
        by name, so it must be a module-level function.
        model is this runner's Florence-2 process (started by run(), used when vlm_mode is not 'off');
        vlm_off_reason says why there is none. use_embedded_xml (USE_EMBEDDED_XML) is for the jobs whose
        request did not say whether to read a PDF's e-invoice XML or its printed page."""
        self.queue = queue
        self.store = store
        self.database_url = database_url
        self.threads = threads
        self.ocr_languages = ocr_languages
        self.ocr_dpi = ocr_dpi
        self.poll_interval_s = poll_interval_s
        self.shutdown_grace_s = shutdown_grace_s
        self.runner_id = runner_id or make_runner_id()
        self.max_pdf_pages = max_pdf_pages
        self.max_page_pixels = max_page_pixels
        # No process starts until the first document is read.
        self.documents = DocumentWorkers(timeout_s=document_timeout_s, read=pipeline)
        self.vlm_mode = vlm_mode if model is not None else "off"
        self.vlm_off_reason = vlm_off_reason
        self.model = model
        self.vlm_min_ocr_confidence = vlm_min_ocr_confidence
        self.use_embedded_xml = use_embedded_xml
        self.work = work or self.read_document
        self.housekeeping = housekeeping
        # Webhook deliveries are sent from their own thread, with its own poll interval (WEBHOOK_* settings).
        self.webhooks = webhooks or WebhookSender.from_settings(queue.sessions)
        self.heartbeat_s = min(queue.lease_s / 3, 10.0)
        self._stop = threading.Event()
        self._stop_heartbeat = threading.Event()
        self._wake = threading.Event()
        self._running: dict[uuid.UUID, _Running] = {}
        self._in_flight = 0
        # Threads held for the jobs a claim under way may bring (_free_threads): the main loop and the
        # completion recorder both claim, and together never take more jobs than the runner has threads.
        self._reserved = 0
        # The job threads, while run() runs; the completion recorder hands the jobs it claims to them.
        self._pool: ThreadPoolExecutor | None = None
        # Whether a claim now may find work: the last claim said so (a batch it looked at had room and jobs
        # left), or a notification or the poll came since. A thread freed meanwhile does not claim: its finished
        # job holds its batch's slot until recorded, and the recorder claims for it then.
        self._worth_claiming = True
        # How many notifications the listener has had: a claim that started before one came cannot say that it
        # saw that one's work.
        self._notifications = 0
        # Finished jobs waiting to be recorded together (job_runner/completions.py), while run() runs; without
        # it (run_job called directly) each job is recorded by its own thread, in its own transaction.
        self._completions: CompletionBuffer | None = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Asks the runner to stop: no new claims; running jobs get the grace period to finish."""
        self._stop.set()
        self._wake.set()

    def run(self, *, burst: bool = False) -> None:
        """Claims and runs jobs until stop() is called; with burst=True, until the queue is empty."""
        if self.model is not None:
            self.model.start()
        _, detail = self.vlm_status()
        log.info("runner %s started with %d threads; %s", self.runner_id, self.threads, detail)
        self._register()
        threads = [
            threading.Thread(target=self._heartbeat, name="runner-heartbeat", daemon=True),
            threading.Thread(target=self.webhooks.run, args=(self._stop,), name="runner-webhooks", daemon=True),
        ]
        # Behind PgBouncer in transaction mode a LISTEN is dropped with its server connection's transaction and
        # no notification ever arrives: the runner only polls (poll_interval_s), and opens no listening connection.
        if not burst and not behind_pgbouncer(self.database_url):
            threads.append(threading.Thread(target=self._listen, name="runner-listen", daemon=True))
        completions = CompletionBuffer(self._record_group, self._jobs_in_flight)
        recorder = threading.Thread(target=completions.run, name="runner-completions", daemon=True)
        self._completions = completions
        recorder.start()
        for thread in threads:
            thread.start()
        pool = self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="runner-job")
        try:
            while not self._stop.is_set():
                self._wake.clear()
                # Read before the claim: a job finishing meanwhile may hold its batch's row lock while
                # the claim runs, and the claim skips a locked batch; an empty claim ends a burst only
                # if none of this runner's jobs could have been finishing during it.
                with self._lock:
                    idle = not self._in_flight
                idle = idle and not len(completions)
                # A runner with nothing running and nothing to record always looks; threads are held for a claim
                # only when one is made, so that the recorder, claiming meanwhile, is not left without them. While a
                # group is being recorded it does not look: the group's transaction claims for every thread free
                # by then, and a claim of its own now would hold those threads and find the group's batches
                # locked (skipped): the group would free its slots without taking them again, and wake every
                # runner for them.
                claimed = []
                if (idle or self._worth_claiming) and not completions.recording():
                    with self._free_threads() as free:
                        claimed = self._claim(free) if free else []
                        if self._start(claimed):
                            break
                    if burst and not claimed and idle:
                        break
                if not claimed and not self._wake.wait(self.poll_interval_s):
                    self._worth_claiming = True  # the poll: look again, whatever the last claim said
        finally:
            self._shutdown(pool, completions, recorder)
            self.documents.close()
            if self.model is not None:
                self.model.close()
            self._forget()
            self._stop.set()
            self._stop_heartbeat.set()
            for thread in threads:
                thread.join(LISTEN_RECONNECT_S)
        log.info("runner %s stopped", self.runner_id)

    def vlm_status(self) -> tuple[str, str]:
        """(state, sentence) of this runner's Florence-2: 'off', or the model process's state ('ready', 'loaded',
        'failed', 'unavailable', 'stopped')."""
        if self.model is None or self.vlm_mode == "off":
            return "off", f"VLM off: {self.vlm_off_reason}"
        status = self.model.status()
        if status["state"] in ("ready", "loaded"):
            return status["state"], f"VLM {self.vlm_mode}: {status['detail']}"
        detail = status["detail"]
        return status["state"], detail if detail.startswith("VLM off") else f"VLM off: {detail}"

    def _register(self) -> None:
        """Tells the runners table that this runner runs, and how its model is; logs a failure and goes on."""
        state, detail = self.vlm_status()
        try:
            self.queue.register_runner(
                self.runner_id, threads=self.threads, vlm_mode=self.vlm_mode, vlm_state=state, vlm_detail=detail
            )
        except Exception as e:
            log.warning("runner %s could not update its row in runners (%s)", self.runner_id, first_line(e))

    def _forget(self) -> None:
        try:
            self.queue.forget_runner(self.runner_id)
        except Exception as e:
            log.warning("runner %s could not remove its row from runners (%s)", self.runner_id, first_line(e))

    def _claim(self, limit: int) -> list[ClaimedJob]:
        try:
            heard = self._notifications
            claimed = self.queue.claim_jobs(self.runner_id, limit)
            self._after_claim(claimed, heard)
            return claimed
        except Exception as e:
            if is_database_unavailable(e):
                log.warning("runner %s cannot reach the database (%s); retrying", self.runner_id, first_line(e))
            else:
                log.exception("runner %s could not claim jobs; retrying", self.runner_id)
            self._stop.wait(self.poll_interval_s)
            return []

    def _after_claim(self, claimed: Claimed, heard: int) -> None:
        """Whether the next freed thread should claim: if this claim said there is more, or a notification
        came while it ran (its work may be newer than what the claim saw)."""
        self._worth_claiming = claimed.more or self._notifications != heard

    @contextmanager
    def _free_threads(self) -> Iterator[int]:
        """How many jobs a claim may take now: the threads neither running a job nor held for another claim
        under way (0 once the runner stops, or outside run()). They stay held until the block ends; start the
        jobs claimed in it before that."""
        with self._lock:
            stopped = self._stop.is_set() or self._pool is None
            free = 0 if stopped else max(self.threads - self._in_flight - self._reserved, 0)
            self._reserved += free
        try:
            yield free
        finally:
            with self._lock:
                self._reserved -= free

    def _start(self, claimed: list[ClaimedJob]) -> bool:
        """Hands claimed jobs to the job threads. Returns True, and gives them back untouched, if the runner
        was told to stop while they were being claimed."""
        if claimed and self._stop.is_set():
            self._give_back(claimed, "claimed as it was told to stop")
            return True
        for job in claimed:
            running = _Running(job)
            with self._lock:
                self._running[job.id] = running
                self._in_flight += 1
            future = self._pool.submit(self.run_job, job, running.stop)
            future.add_done_callback(lambda f, job_id=job.id: self._job_done(job_id))
        return False

    def _job_done(self, job_id: uuid.UUID) -> None:
        with self._lock:
            self._running.pop(job_id, None)
            self._in_flight -= 1
        self._wake.set()
        if self._completions is not None:
            self._completions.nudge()

    def _jobs_in_flight(self) -> bool:
        with self._lock:
            return self._in_flight > 0

    def _shutdown(self, pool: ThreadPoolExecutor, completions: CompletionBuffer, recorder: threading.Thread) -> None:
        deadline = time.monotonic() + self.shutdown_grace_s
        while True:
            with self._lock:
                pending = self._in_flight
            if not pending or time.monotonic() >= deadline:
                break
            self._wake.wait(0.1)
            self._wake.clear()
        # Finished jobs are recorded before anything is given back; a straggler finishing later records alone.
        completions.close()
        recorder.join()
        if pending:
            # Stop the stragglers at their next stage, then hand their jobs to other runners.
            self._stop_jobs(lambda running: True)
            self._give_back(None, "unfinished at the end of the grace period")
        pool.shutdown(wait=False, cancel_futures=True)

    def _give_back(self, jobs: list[ClaimedJob] | None, why: str) -> None:
        """Returns jobs (None: all this runner's running jobs) to the queue, for another runner or the next
        start; a job that cannot be given back runs again when its lease expires."""
        try:
            given_back = self.queue.give_back_jobs(self.runner_id, jobs)
            log.warning("runner %s gave back %d jobs (%s)", self.runner_id, given_back, why)
        except Exception as e:
            log.warning("runner %s could not give jobs back (%s); their leases will expire", self.runner_id, e)

    def _stop_jobs(self, which: Callable[[_Running], bool]) -> list[ClaimedJob]:
        with self._lock:
            chosen = [running for running in self._running.values() if which(running) and not running.stop.is_set()]
        for running in chosen:
            running.stop.set()
        return [running.job for running in chosen]

    def _heartbeat(self) -> None:
        """Renews the leases of this runner's jobs, stops the jobs it no longer holds, and requeues
        the jobs of runners that died (their leases expired). Runs until the runner has stopped."""
        while not self._stop_heartbeat.wait(self.heartbeat_s):
            try:
                with self._lock:
                    jobs = [running.job for running in self._running.values()]
                # Read after the running ones: a job leaves _running only once it is in the buffer.
                if self._completions is not None:
                    jobs += [job for job in self._completions.jobs() if job not in jobs]
                held = self.queue.renew_leases(self.runner_id, jobs)
                for job in self._stop_jobs(lambda running: running.job.id not in held and running.job in jobs):
                    log.warning("job %s is no longer this runner's (lease lost or cancelled); stopping it", job.id)
                for job_id, state, runner_id, attempts in self.queue.reap_expired_leases():
                    log.warning(
                        "job %s: runner %s stopped renewing its lease (attempt %d); job is now %s",
                        job_id, runner_id, attempts, state,
                    )
                self._register()
                if self.housekeeping is not None:
                    self.housekeeping()
            except Exception as e:
                log.warning("runner %s heartbeat failed (%s); retrying", self.runner_id, first_line(e))

    def _listen(self) -> None:
        """Sets the wake event on every notification, stops the jobs of cancelled batches, and
        reconnects if the connection drops."""
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    libpq_url(self.database_url), autocommit=True, **network_timeouts(self.database_url)
                ) as conn:
                    conn.execute(f"LISTEN {JOBS_CHANNEL}")
                    self._worth_claiming = True  # anything queued while we were not listening
                    self._wake.set()
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=0.5, stop_after=1):
                            if notice.payload.startswith("cancel:"):
                                self._stop_cancelled(notice.payload.removeprefix("cancel:"))
                            self._notifications += 1
                            self._worth_claiming = True
                            self._wake.set()
            except Exception as e:  # the poll keeps the runner going meanwhile
                log.warning("runner %s lost its LISTEN connection (%s); reconnecting", self.runner_id, first_line(e))
                self._stop.wait(LISTEN_RECONNECT_S)

    def _stop_cancelled(self, batch_id: str) -> None:
        for job in self._stop_jobs(lambda running: str(running.job.batch_id) == batch_id):
            log.info("job %s: batch %s was cancelled; stopping it", job.id, batch_id)

    def read_document(self, job: ClaimedJob, check: Callable[[], None]) -> DocumentResult:
        """The real work: fetch the file (retrying an unreachable store for a while) and read it in
        a worker process, so that a file that crashes the PDF renderer fails alone. A file the tenant
        already sent is not read again (unless the request allowed duplicates)."""
        client = self.model.client() if self.model is not None and self.vlm_mode != "off" else None
        options = ReadOptions(
            ocr_languages=self.ocr_languages,
            dpi=self.ocr_dpi,
            max_pages=self.max_pdf_pages,
            max_page_pixels=self.max_page_pixels,
            vlm_mode=self.vlm_mode if client is not None else "off",
            vlm_min_ocr_confidence=self.vlm_min_ocr_confidence,
            use_embedded_xml=self.use_embedded_xml if job.use_embedded_xml is None else job.use_embedded_xml,
        )

        def read(path: Path) -> DocumentResult:
            sha256 = file_sha256(path)
            same_file = None if job.allow_duplicates else self._same_file(job, sha256)
            if same_file is not None:
                kind = "invoice" if same_file.invoice_id else "other"
                return DocumentResult(0, "", kind, None, sha256=sha256, same_file_as=same_file)
            # The tenant's layout hints are read only for a file that is read (not for a copy of one).
            taught = replace(options, layout_hints=self._layout_hints(job))
            return replace(self.documents.process(path, taught, check, client), sha256=sha256)

        return with_local_copy(self.store, job, check, read)

    def _layout_hints(self, job: ClaimedJob) -> tuple[LayoutHint, ...]:
        """Where people's corrections showed the tenant's sellers' fields to be printed, newest first."""
        with self._reading() as session:
            rows = session.scalars(
                select(LayoutHintRow)
                .where(LayoutHintRow.tenant_id == job.tenant_id)
                .order_by(LayoutHintRow.id.desc())
                .limit(MAX_LAYOUT_HINTS)
            ).all()
        return tuple(
            LayoutHint(row.seller, row.field, row.page, (row.x0, row.top, row.x1, row.bottom),
                       (row.page_width, row.page_height))
            for row in rows
        )

    def _same_file(self, job: ClaimedJob, sha256: str) -> SameFile | None:
        with self._reading() as session:
            return find_same_file(session, job.tenant_id, sha256)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session for look-ups outside any transaction (autocommit): each SELECT is one round trip, with no
        BEGIN before it nor ROLLBACK after."""
        with self.queue.sessions() as session:
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    def run_job(self, job: ClaimedJob, stop: threading.Event | None = None) -> JobOutcome | None:
        """Runs one job and records how it ended. Never raises: a failure is the job's outcome.
        Returns None when the job was stopped (cancelled, lease lost) or went back to the queue."""
        stop = stop or threading.Event()

        def check() -> None:
            if stop.is_set():
                raise JobStopped

        with job_context(job.id, job.batch_id):
            log.info(
                "started: %s (attempt %d; %d failed so far, %d allowed)",
                job.filename, job.attempts, job.failed_attempts, job.max_attempts,
            )
            started = time.perf_counter()
            try:
                result = self.work(job, check)
            except JobStopped:
                log.info("stopped before the end: cancelled, or its lease was lost")
                return None
            except ReaderCrashed as e:
                if self._stop.is_set():
                    # A worker that dies while its runner stops was most likely stopped with it (a signal to
                    # the whole process group, the machine shutting down): not the file's fault.
                    log.warning("its worker process stopped while the runner was stopping (%s)", e)
                    self._give_back([job], "its worker stopped while the runner was stopping")
                    return None
                return self._record_failure(job, started, str(e), "permanent")
            except DocumentError as e:
                return self._record_failure(job, started, str(e), "permanent")
            except ObjectNotFound:
                missing = "The uploaded file is missing from storage; upload it again."
                return self._record_failure(job, started, missing, "permanent")
            except Exception as e:
                if is_transient(e):
                    return self._retry_or_fail(job, started, e)
                log.error("crashed:\n%s", traceback.format_exc())
                message = f"Internal error while processing this file ({type(e).__name__}: {e}); it was logged."
                return self._record_failure(job, started, message, "crash")
            return self._record_success(job, started, result)

    def _record_success(self, job: ClaimedJob, started: float, result: DocumentResult) -> JobOutcome | None:
        elapsed = round(time.perf_counter() - started, 4)
        outcome = JobOutcome(
            state="succeeded",
            processing_time=elapsed,
            document_type=result.document_type,
            timings={**result.timings, "total": elapsed},
        )
        alone = lambda: self._record_success_alone(job, started, outcome, result)  # noqa: E731
        if self._completions is not None and self._completions.add(Completion(job, outcome, result, alone)):
            return outcome
        return alone()

    def _record_success_alone(
        self, job: ClaimedJob, started: float, outcome: JobOutcome, result: DocumentResult
    ) -> JobOutcome | None:
        try:
            return self._with_database(lambda: self._record(job, outcome, result))
        except DocumentError as e:  # the file's own state, not a bug: SameFileGone
            return self._record_failure(job, started, str(e), "permanent")
        except Exception as e:
            if is_database_unavailable(e):
                log.error("could not record the result: the database stayed unreachable; the job will run again")
                return None
            log.exception("could not store the result")
            message = f"Could not store the result ({type(e).__name__}: {e}); it was logged."
            return self._record_failure(job, started, message, "crash")

    def _record_failure(self, job: ClaimedJob, started: float, error: str, kind: str) -> JobOutcome | None:
        outcome = JobOutcome(
            state="failed", processing_time=round(time.perf_counter() - started, 4), error=error, error_kind=kind
        )
        alone = lambda: self._record_failure_alone(job, outcome)  # noqa: E731
        if self._completions is not None and self._completions.add(Completion(job, outcome, None, alone)):
            return outcome
        return alone()

    def _record_failure_alone(self, job: ClaimedJob, outcome: JobOutcome) -> JobOutcome | None:
        try:
            return self._with_database(lambda: self._record(job, outcome, None))
        except Exception:
            log.exception("could not record the failure; the job will run again when its lease expires")
            return None

    def _retry_or_fail(self, job: ClaimedJob, started: float, error: Exception) -> JobOutcome | None:
        where = "database" if is_database_unavailable(error) else "object store"
        reason = f"The {where} was unreachable ({type(error).__name__}: {first_line(error)})"
        failed = job.failed_attempts + 1  # with this one; attempts given back on a shutdown do not count
        if failed >= job.max_attempts:
            message = f"{reason}, on each of {failed} attempts. The file is kept: send the batch again later."
            return self._record_failure(job, started, message, "transient")
        delay = backoff_delay(failed)
        elapsed = round(time.perf_counter() - started, 4)
        try:
            kept = self._with_database(
                lambda: self.queue.retry_later(
                    job, self.runner_id, error=f"{reason}; retrying.", delay_s=delay, processing_time=elapsed
                )
            )
        except Exception:
            log.exception("could not queue the retry; the job will run again when its lease expires")
            return None
        if kept:
            log.warning("%s; failed attempt %d of %d, retrying in %.0f s", reason, failed, job.max_attempts, delay)
        return None

    def _with_database(self, operation: Callable):
        """Runs a database operation, retrying while the database is unreachable (it may be restarting)."""
        for attempt in retrying_while(is_database_unavailable, RECORD_PATIENCE_S, max_wait_s=5):
            with attempt:
                return operation()

    def _record_group(self, group: list[Completion]) -> None:
        """Records a group of finished jobs in one transaction: their results, their final states (each job
        fenced), and the claim of the next jobs for the threads free now, which start once it commits. If that
        fails (a result that cannot be stored, the database gone), nothing of it is kept and each job is recorded
        alone, as without a buffer."""
        try:
            recorded, dropped = self._record_together(group)
        except Exception as e:
            log.warning("could not record %d jobs together (%s); recording each alone", len(group), first_line(e))
            for completion in group:
                with job_context(completion.job.id, completion.job.batch_id):
                    completion.alone()
            self._worth_claiming = True  # their threads' next jobs were not claimed with them
            return
        finally:
            self._wake.set()  # the group's batch locks are released: a claim may find more now
        for completion in dropped:
            with job_context(completion.job.id, completion.job.batch_id):
                log.warning("no longer held by runner %s (lease lost or cancelled); result dropped", self.runner_id)
        for job, outcome in recorded:
            with job_context(job.id, job.batch_id):
                self._log_recorded(outcome)

    def _record_together(
        self, group: list[Completion]
    ) -> tuple[list[tuple[ClaimedJob, JobOutcome]], list[Completion]]:
        """(recorded (job, outcome) pairs, completions dropped because their jobs were no longer held).
        The results are sent first and the final states after them, fenced (finish_jobs): if a job of the group
        was no longer this runner's, nothing is committed and the others are recorded again without it."""
        dropped: list[Completion] = []
        while group:
            with self.queue.sessions() as session:
                results = StagedResults()
                staged = []
                for completion in group:
                    outcome, row = completion.outcome, None
                    if completion.result is not None:
                        outcome, row = self._stage(session, completion.job, outcome, completion.result, results)
                    staged.append((completion.job, outcome, row))
                # The result rows not sent yet: one INSERT per table for those no look-up came between (a real
                # document's same-file check sends the rows staged before it).
                results.insert(session)
                recorded = [
                    (job, outcome if row is None else self._with_ids(outcome, row)) for job, outcome, row in staged
                ]
                with self._free_threads() as free:
                    heard = self._notifications
                    held, claimed = self.queue.finish_jobs(session, self.runner_id, recorded, claim=free)
                    if len(held) == len(group):
                        session.commit()
                        if free:
                            self._after_claim(claimed, heard)
                        self._start(claimed)
                        return recorded, dropped
                    session.rollback()
            dropped += [completion for completion in group if completion.job.id not in held]
            group = [completion for completion in group if completion.job.id in held]
        return [], dropped

    @staticmethod
    def _log_recorded(outcome: JobOutcome) -> None:
        if outcome.state == "succeeded":
            log.info("done: %s in %.2fs", outcome.document_type, outcome.processing_time)
        else:
            log.info("failed in %.2fs: %s", outcome.processing_time, outcome.error)

    def _record(self, job: ClaimedJob, outcome: JobOutcome, result: DocumentResult | None) -> JobOutcome | None:
        """Stores the result and the job's final state in one transaction: a job never ends without
        its result, nor gets two. Returns None if the job was no longer this runner's to finish."""
        with self.queue.sessions() as session:
            if result is not None:
                outcome = self._store(session, job, outcome, result)
            if not self.queue.finish_job(session, job, self.runner_id, outcome):
                session.rollback()
                log.warning("no longer held by runner %s (lease lost or cancelled); result dropped", self.runner_id)
                return None
            session.commit()
        self._log_recorded(outcome)
        return outcome

    @staticmethod
    def _store(session: Session, job: ClaimedJob, outcome: JobOutcome, result: DocumentResult) -> JobOutcome:
        """Stores the result in the session's transaction, unless the tenant already has one for the
        same file (and the request did not ask for a second): then the job points to the earlier one."""
        results = StagedResults()
        outcome, row = Runner._stage(session, job, outcome, result, results)
        if row is None:
            return outcome
        results.insert(session)
        return Runner._with_ids(outcome, row)

    @staticmethod
    def _with_ids(outcome: JobOutcome, row: StagedResult) -> JobOutcome:
        invoice_id, document_id = row.ids()
        return replace(outcome, invoice_id=invoice_id, document_id=document_id)

    @staticmethod
    def _stage(
        session: Session, job: ClaimedJob, outcome: JobOutcome, result: DocumentResult, results: StagedResults
    ) -> tuple[JobOutcome, StagedResult | None]:
        """_store up to the insert: the outcome, and the result's rows staged in results, not sent yet (their id
        comes with results.insert); None for a copy of a file read before, which points to the earlier result.
        The rows staged before are sent first if a look-up must see them."""
        outcome = replace(outcome, sha256=result.sha256)
        same_file = None
        if result.sha256 and not job.allow_duplicates:
            results.insert(session)
            lock_file_hash(session, job.tenant_id, result.sha256)
            same_file = find_same_file(session, job.tenant_id, result.sha256)
        if same_file is not None:
            return replace(
                outcome,
                document_type="invoice" if same_file.invoice_id else "other",
                invoice_id=same_file.invoice_id,
                document_id=same_file.document_id,
                duplicate_of_invoice_id=same_file.invoice_id,
                duplicate_of_document_id=same_file.document_id,
            ), None
        if result.same_file_as is not None:
            # The earlier copy was deleted between the check before reading and now: nothing to point to.
            raise SameFileGone
        possible = None
        if result.document_type == "invoice" and result.invoice is not None:
            results.insert(session)
            possible = find_same_invoice(session, job.tenant_id, result.invoice, result.sha256)
        row = results.add(job, result, possible_duplicate_of=possible)
        return replace(outcome, possible_duplicate_of_invoice_id=possible), row


class SameFileGone(DocumentError):
    """The earlier result this file was recognised as a copy of was deleted before this job could point to
    it. The user's doing, not a bug: the job fails with this sentence, and sending the file again reads it."""

    def __init__(self):
        super().__init__(
            "This file was recognised as a copy of one read before, but that earlier result was deleted while "
            "this job was pointing to it; send the file again to read it anew."
        )


def run_until_signalled(runner: Runner, *, burst: bool = False) -> None:
    """Runs the runner in a thread of its own until it ends (burst) or SIGTERM or Ctrl-C asks it to stop; then
    stops it as Runner.stop says (running jobs get the grace period, the rest is given back) and returns once
    it has stopped. A second signal is ignored: it must not cut the grace period short.
    The signal handler only notes the request. Raising KeyboardInterrupt from it, as before, interrupted the
    main thread's Thread.join, which on Python 3.11 can mark the runner's thread as ended while it still runs:
    join then returned at once and the process exited under the runner, its jobs cut short."""
    requested = False

    def request_stop(signum, frame):
        nonlocal requested
        requested = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    thread = threading.Thread(target=runner.run, kwargs={"burst": burst}, name="runner")
    thread.start()
    while thread.is_alive() and not requested:
        thread.join(0.5)
    if requested:
        log.info("runner %s stopping", runner.runner_id)
        runner.stop()
        thread.join()


def retrying_while(is_retryable: Callable[[BaseException], bool], patience_s: float, *, max_wait_s: float) -> Retrying:
    """Retries while is_retryable(error), with exponential backoff and jitter, for up to patience_s;
    then the last error goes up."""
    return Retrying(
        retry=retry_if_exception(is_retryable),
        wait=wait_random_exponential(multiplier=0.5, max=max_wait_s),
        stop=stop_after_delay(patience_s),
        reraise=True,
    )


def with_local_copy(store: ObjectStore, job: ClaimedJob, check: Callable[[], None], use: Callable[[Path], T]) -> T:
    """Fetches the job's file and returns use(path). An unreachable store is retried with backoff for
    STORAGE_PATIENCE_S; past that the error goes up, and the runner retries the job later."""
    for attempt in retrying_while(is_storage_unavailable, STORAGE_PATIENCE_S, max_wait_s=8):
        with attempt:
            check()
            with store.local_copy(job.object_key) as path:
                return use(path)
    raise AssertionError("unreachable")

