"""Reading documents in worker processes, so that a file that crashes PDFium or Tesseract (a
segfault, an abort, the out-of-memory killer) fails alone instead of killing the runner and every
job it holds.

Each runner thread gets a worker process of its own: started on its first job, reused for the next
ones, killed and replaced when it dies, when its job must stop, or when a file takes longer than
the time limit. Workers come from a forkserver that imported the pipeline once, so a new worker
starts in a fraction of a second, and never from a plain fork of the runner: that would copy the
runner's threads' locks (PDFIUM_LOCK, logging's) in whatever state they were at that instant.
As with every start method but fork, each worker imports the program's main module, so a script
that reads documents this way must keep its own work under `if __name__ == "__main__":`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from invoice_processor.logs import configure_logging, current_job_context, job_context_of
from invoice_reader import ReadOptions, process_document
from invoice_reader.vlm_stage import VlmReader
from invoice_reader.result import DocumentError, DocumentResult, ReaderCrashed, ReadingTimedOut
from job_runner.processes import exit_status as _how
from job_runner.processes import ignore_stop_signals

log = logging.getLogger("job_runner")

CHECK_INTERVAL_S = 0.2
"""How often a job waiting for its worker's answer checks whether it must stop."""
EXIT_WAIT_S = 5.0
"""How long to wait for a worker to exit after it was asked to, or killed."""
START_TIMEOUT_S = 60.0
"""How long a new worker may take to say it is ready (the first one also starts the forkserver)."""

Read = Callable[..., DocumentResult]
"""What a worker runs on each file: read(path, options, check=check, vlm=vlm) -> DocumentResult
(options an invoice_reader.ReadOptions, vlm a Florence-2 reader or None).
It travels to the worker by name, so it must be a module-level function."""


class WorkerError(Exception):
    """The pipeline raised an unexpected exception in a worker process: a bug. The worker's
    traceback is this error's cause, so that logging this error shows where it happened."""


class _WorkerTraceback(Exception):
    """The formatted traceback of an exception raised in a worker."""

    def __str__(self) -> str:
        return self.args[0]


class _RunnerGone(Exception):
    """The runner closed its end of the pipe: it stopped or died, and nobody waits for the answer."""


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection):
        self.process = process
        self.conn = conn


class DocumentWorkers:
    """Worker processes that read documents, one job at a time each. Safe to use from any number
    of threads: a call takes an idle worker or starts a new one, so there are as many workers as
    calls that ran at once (one per runner thread)."""

    def __init__(self, *, timeout_s: float, read: Read = process_document, start_method: str = "forkserver"):
        self.timeout_s = timeout_s
        self.read = read
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            # Only takes effect if this process has not started its forkserver yet.
            self._context.set_forkserver_preload(["job_runner.forkserver_preload"])
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers started and not stopped yet, idle or busy."""
        with self._lock:
            return [worker.process.pid for worker in self._workers]

    def process(
        self, path: Path, options: ReadOptions, check: Callable[[], None], vlm: VlmReader | None = None
    ) -> DocumentResult:
        """read(path, options, vlm=vlm) in a worker process, calling check() every CHECK_INTERVAL_S while
        it runs.

        Raises the DocumentError the pipeline raised (same class, same message); WorkerError when
        it raised any other exception; ReaderCrashed when the worker died; ReadingTimedOut when it
        ran past timeout_s; whatever check() raised. In the last three cases the worker is killed
        (if it was not dead already), and the next call starts a new one.
        """
        worker = self._send(path, options, vlm)
        try:
            answer = self._wait(worker, check, time.monotonic() + self.timeout_s)
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        kind, *content = answer
        if kind == "result":
            return content[0]
        if kind == "document_error":
            raise content[0]
        message, worker_traceback = content
        raise WorkerError(message) from _WorkerTraceback(worker_traceback)

    def close(self) -> None:
        """Stops every worker: idle ones are asked to exit, busy ones are killed (their jobs must
        have been stopped first). Later calls to process() raise RuntimeError."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = [worker for worker in self._workers if worker not in idle]
        for worker in idle:
            try:
                worker.conn.send(None)
            except OSError:
                pass  # already gone
        deadline = time.monotonic() + EXIT_WAIT_S
        for worker in idle:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in idle + busy:
            self._discard(worker)

    def _send(self, path: Path, options: ReadOptions, vlm: VlmReader | None) -> _Worker:
        """An idle or new worker, sent the job. A worker that died while idle is replaced."""
        for _ in range(3):
            worker = self._take()
            try:
                # The job's ids go along, so that the worker's log lines name the job too.
                worker.conn.send((self.read, str(path), options, vlm, current_job_context()))
                return worker
            except OSError:
                self._discard(worker)
            except BaseException:  # the job does not pickle: a bug in the caller
                self._release(worker)
                raise
        raise RuntimeError("document worker processes die as soon as they start; see the log")

    def _take(self) -> _Worker:
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the document workers are closed")
                if not self._idle:
                    break
                worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            log.warning("document worker %d died while idle (%s)", worker.process.pid, _how(worker.process.exitcode))
            self._discard(worker)
        return self._start()

    def _start(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child_end,), name="document-worker", daemon=True)
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        try:
            ready = parent_end.poll(START_TIMEOUT_S) and parent_end.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            # Not the file's fault: the error goes up as a bug, not as a crash on this file.
            _kill(worker)
            raise RuntimeError(f"a document worker process did not start ({_how(process.exitcode)}); see its output")
        with self._lock:
            closed = self._closed
            if not closed:
                self._workers.add(worker)
        if closed:
            _kill(worker)
            raise RuntimeError("the document workers are closed")
        log.debug("document worker %d started", process.pid)
        return worker

    def _wait(self, worker: _Worker, check: Callable[[], None], deadline: float) -> tuple:
        """The worker's answer. Raises what check() raises, ReaderCrashed or ReadingTimedOut."""
        while True:
            ready = wait([worker.conn, worker.process.sentinel], CHECK_INTERVAL_S)
            if worker.conn in ready:
                try:
                    return worker.conn.recv()
                except (EOFError, OSError):
                    ready = [worker.process.sentinel]  # it died, perhaps while answering
            if ready:
                worker.process.join(EXIT_WAIT_S)  # for its exit code
                check()  # a worker killed because its job was stopped did not crash
                if self._closed:
                    raise RuntimeError("the document workers were closed while this job ran")
                exitcode = worker.process.exitcode
                log.error(
                    "document worker %d died (%s); a new one takes the next job", worker.process.pid, _how(exitcode)
                )
                raise ReaderCrashed(_crash_message(exitcode))
            check()
            if time.monotonic() >= deadline:
                raise ReadingTimedOut(
                    f"Reading this file took longer than {self.timeout_s:g} s, the limit for one file "
                    "(DOCUMENT_TIMEOUT_S), and was stopped. Split it into smaller files or send a cleaner "
                    "scan; if such files are expected, an administrator can raise DOCUMENT_TIMEOUT_S."
                )

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed and worker in self._workers:
                self._idle.append(worker)
                return
        self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        _kill(worker)


def _kill(worker: _Worker) -> None:
    """Kills the worker and the programs it started (Tesseract), and waits for it to be gone."""
    if worker.process.exitcode is None:
        try:
            os.killpg(worker.process.pid, signal.SIGKILL)  # its group: see _serve
        except (ProcessLookupError, PermissionError):
            pass  # it had not made its group yet, or it is gone
        worker.process.kill()
    worker.process.join(EXIT_WAIT_S)
    worker.conn.close()


def _crash_message(exitcode: int | None) -> str:
    """What the person who sent the file reads when the worker reading it died."""
    if exitcode == -signal.SIGKILL:
        # Nobody else kills workers: the runner's own kills never get here.
        return (
            "The process reading this file was killed (SIGKILL), most likely because it ran out of memory. "
            "The file is probably damaged or far too large: export or download it again, or split it, and resend it."
        )
    if exitcode is not None and exitcode < 0:
        return (
            f"The PDF renderer crashed while reading this file ({_how(exitcode)}). The file is probably damaged: "
            "export or download it again and resend it."
        )
    return (
        f"The process reading this file stopped unexpectedly ({_how(exitcode)}). The file is probably damaged: "
        "export or download it again and resend it."
    )


def _serve(conn: Connection) -> None:
    """A worker's life: read the files the runner sends, one at a time, until it sends None or
    closes the pipe."""
    # A process group of its own, so that a kill also reaches the Tesseract processes it started,
    # and Ctrl-C on the runner's terminal is left to the runner. Stop signals sent to the runner's
    # group before that, or to this one, are the runner's too: it stops this worker itself.
    os.setsid()
    ignore_stop_signals()
    # Parallelism comes from runner threads and pages; one Tesseract thread each avoids oversubscription.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    configure_logging()
    conn.send("ready")

    def runner_gone() -> None:
        # The runner sends nothing while a job runs: anything readable is the end of the pipe.
        if conn.poll():
            raise _RunnerGone

    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            return
        try:
            request = pickle.loads(message)
        except Exception as e:  # e.g. the runner's `read` cannot be imported here: a bug, not the file's fault
            conn.send(("error", f"{type(e).__name__}: {e}", traceback.format_exc()))
            continue
        if request is None:
            return
        read, path, options, vlm, context = request
        try:
            with job_context_of(context):
                answer = _read(read, Path(path), options, vlm, runner_gone)
        except _RunnerGone:
            return
        try:
            conn.send(answer)
        except OSError:
            return  # the runner is gone
        except Exception as e:  # the result does not pickle: a bug
            conn.send(("error", f"{type(e).__name__}: {e}", traceback.format_exc()))


def _read(read: Read, path: Path, options: ReadOptions, vlm: VlmReader | None, check: Callable[[], None]) -> tuple:
    """The answer to send back: ('result', DocumentResult), ('document_error', DocumentError) or
    ('error', message, traceback)."""
    try:
        return ("result", read(path, options, check=check, vlm=vlm))
    except _RunnerGone:
        raise
    except DocumentError as e:
        return ("document_error", _portable(e))
    except Exception as e:
        return ("error", f"{type(e).__name__}: {e}", traceback.format_exc())


def _portable(error: DocumentError) -> DocumentError:
    """The error itself if it comes back from pickling as the same class with the same message;
    else a plain DocumentError with its message (a subclass whose __init__ takes other arguments)."""
    try:
        copy = pickle.loads(pickle.dumps(error))
        if type(copy) is type(error) and str(copy) == str(error):
            return error
    except Exception:  # noqa: BLE001 - any failure means: send the message alone
        pass
    return DocumentError(str(error))
