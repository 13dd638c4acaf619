"""One Florence-2 model process per runner, which the document worker processes send page images to.

A model in every document worker (one per runner thread) would multiply memory and make the copies fight over
the same cores or GPU. So the runner starts one model process (`ModelProcess`), and hands the workers a
picklable `VlmClient` in each job's options. A worker's call goes over a UNIX socket to the model process, where
one thread per connection passes the pages to the process's `FlorenceModel`, whose queue batches the pages of
every worker that calls at the same time into shared `generate` calls.

Protocol. Runner and model process share a pipe: the child reports ("ready", socket address) or
("unavailable", sentence) on it once; then the runner sends ("status", n), answered ("status", n, dict), and
("stop",). The pipe is also the child's lifeline: it exits when the pipe closes or its parent changes, so a
runner killed with SIGKILL leaves no model process behind. Workers connect to the socket (in a temp folder only
this user can enter, and with a random key of 32 bytes for the handshake) and send (images, max_new_tokens);
the answer is ("pages", [VlmPage, ...]) or ("error", sentence).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from multiprocessing.connection import (
    AuthenticationError,
    Client,
    Connection,
    Listener,
    answer_challenge,
    deliver_challenge,
    wait,
)
from multiprocessing.process import BaseProcess

from PIL import Image

from invoice_processor.logs import configure_logging
from job_runner.processes import exit_status, ignore_stop_signals
from invoice_reader.vlm import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_NUM_BEAMS,
    FlorenceModel,
    VlmError,
    VlmPage,
    availability,
)

log = logging.getLogger("job_runner")

EXIT_WAIT_S = 5.0
"""How long to wait for the model process to exit after it was asked to, or terminated."""
STATUS_TIMEOUT_S = 1.0
"""How long status() waits for the model process's answer (or for a start in progress) before it reports what
it knows."""
RESTART_INTERVAL_S = 30.0
"""The least time between two restarts of a model process that died, so that a model that kills its process on
every load does not restart it in a hot loop."""
PARENT_CHECK_S = 1.0
"""How often the model process checks that the runner that started it is still alive."""
SOCKET_NAME = "model.sock"


class VlmUnavailable(VlmError):
    """The model process cannot be reached (not started, died, closed)."""


# -- worker side -----------------------------------------------------------------------------------------------

_pools: dict[tuple[int, str], list[Connection]] = {}
"""Idle connections per (process id, socket address). The process id keeps a forked child off its parent's."""
_pools_lock = threading.Lock()


@dataclass(frozen=True)
class VlmClient:
    """Picklable handle that document worker processes use; travels to them inside the per-job options dict.

    Any number of threads may call at once: each call takes an idle connection of this process to the model
    process, or opens one, and puts it back when answered.
    """

    address: str
    """The AF_UNIX socket path of the model process's Listener."""
    authkey: bytes = field(repr=False)
    """The key of the connection handshake; kept out of repr so that logging the job's options does not show it."""

    def ocr_with_region(self, images: list[Image.Image], max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> list[VlmPage]:
        """Read each image with Florence-2's `<OCR_WITH_REGION>` task; blocks until all are done.

        Returns one VlmPage per image, in order. The images are sent as they are: the caller chooses their size.
        Raises VlmUnavailable when the model process cannot be reached or dies during the call, and VlmError
        with a sentence saying what to do when the model could not be loaded or failed on these pages.
        """
        if not images:
            return []
        kind, content = self._call((list(images), max_new_tokens))
        if kind == "error":
            raise VlmError(content)
        return content

    def _call(self, request: tuple) -> tuple:
        """Send the request, return the answer. When the connection broke (an idle one was stale, or the process
        died during the call), the idle ones are dropped and the request is sent once more on a new one."""
        key = (os.getpid(), self.address)
        try:
            return self._exchange(key, request)
        except (EOFError, OSError):
            _drop_idle(key)
        try:
            return self._exchange(key, request)
        except (EOFError, OSError) as e:
            raise self._unreachable(key, e) from e

    def _exchange(self, key: tuple[int, str], request: tuple) -> tuple:
        conn = self._take(key)
        try:
            conn.send(request)
            answer = conn.recv()
        except BaseException:
            conn.close()  # broken, or its answer may still come: no later call may read it
            raise
        with _pools_lock:
            _pools.setdefault(key, []).append(conn)
        return answer

    def _take(self, key: tuple[int, str]) -> Connection:
        with _pools_lock:
            idle = _pools.get(key)
            if idle:
                return idle.pop()
        try:
            return Client(self.address, family="AF_UNIX", authkey=self.authkey)
        except (EOFError, OSError, AuthenticationError) as e:
            raise self._unreachable(key, e) from e

    def _unreachable(self, key: tuple[int, str], error: BaseException) -> VlmUnavailable:
        """The error to raise; the idle connections to this address are dead too, so they are closed."""
        _drop_idle(key)
        return VlmUnavailable(
            f"The VLM model process at {self.address} cannot be reached ({type(error).__name__}: {error}): it died "
            "or was stopped. The runner starts a new one for a later job; if this repeats, see the runner's log."
        )


def _drop_idle(key: tuple[int, str]) -> None:
    with _pools_lock:
        stale = _pools.pop(key, [])
    for conn in stale:
        conn.close()


# -- runner side -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    model: str
    device: str
    trust_remote_code: bool
    max_batch: int
    num_beams: int | None
    torch_threads: int | None


class ModelProcess:
    """Runner side: starts and owns the one model process of this runner.

    `model`, `device`, `trust_remote_code`, `max_batch` and `num_beams` are FlorenceModel's; `torch_threads`, if
    given, is passed to torch.set_num_threads in the model process. Safe to use from any number of threads.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        trust_remote_code: bool = False,
        max_batch: int = DEFAULT_MAX_BATCH,
        num_beams: int | None = DEFAULT_NUM_BEAMS,
        start_timeout_s: float = 120.0,
        torch_threads: int | None = None,
    ):
        self.model = model
        self.start_timeout_s = start_timeout_s
        self._settings = _Settings(model, device, trust_remote_code, max_batch, num_beams, torch_threads)
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        """Our end of the pipe to the model process."""
        self._socket_dir: str | None = None
        self._client: VlmClient | None = None
        self._state = "stopped"
        self._detail = "The VLM model process has not been started."
        self._device: str | None = None
        self._pages = 0
        self._batches = 0
        self._status_requests = 0
        self._last_restart = -math.inf
        self._closed = False

    def start(self) -> dict:
        """Start the model process and wait until it reports; return status().

        The process checks `availability(model)` first, and exits at once if the stage cannot run ('unavailable').
        The model itself is loaded on the first page. Does nothing if the process is running already; raises
        RuntimeError after close().
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the VLM model process was closed")
            if self._process is None:
                self._start_process()
        return self.status()

    def client(self) -> VlmClient | None:
        """The client for workers; None when the model is unavailable, stopped, or died and could not be restarted.

        If the process died since (crash, out-of-memory kill), logs a warning and starts a new one, at most once per
        RESTART_INTERVAL_S. A model that failed to load still gives a client: its calls raise the load error.
        """
        with self._lock:
            self._notice_death()
            restartable = self._process is None and self._state == "failed" and not self._closed
            if restartable and time.monotonic() - self._last_restart >= RESTART_INTERVAL_S:
                self._last_restart = time.monotonic()
                log.info("starting a new VLM model process for %s", self.model)
                self._start_process()
            return self._client

    def status(self) -> dict:
        """{"state", "detail", "model", "device", "pid", "pages", "batches"}.

        state: 'ready' (started, the model loads on the first page), 'loaded', 'unavailable' (the stage cannot
        run here; detail says why), 'failed' (the model could not be loaded, or the process died or did not
        start; detail says why), 'stopped' (not started, or closed). device is known once loaded. pages and
        batches count the pages read and the `generate` calls they took. Asks the model process, waiting at most
        STATUS_TIMEOUT_S; if it does not answer (or a start is in progress) it reports what it knew last.
        """
        if self._lock.acquire(timeout=STATUS_TIMEOUT_S):
            try:
                self._notice_death()
                if self._process is not None:
                    self._ask_status()
            finally:
                self._lock.release()
        return {
            "state": self._state,
            "detail": self._detail,
            "model": self.model,
            "device": self._device,
            "pid": self._process.pid if self._process is not None else None,
            "pages": self._pages,
            "batches": self._batches,
        }

    def close(self) -> None:
        """Stop the model process (ask, then terminate, then kill) and remove its socket folder. Idempotent."""
        with self._lock:
            self._closed = True
            self._end_process()
            self._state, self._detail = "stopped", "The VLM model process was stopped."

    def _start_process(self) -> None:
        """Start a model process and wait for its report; sets the state from it. Called with the lock held."""
        self._detail = "The VLM model process is starting."
        self._device = None
        self._socket_dir = tempfile.mkdtemp(prefix="invoice-vlm-")  # mode 0700: only this user can connect
        authkey = os.urandom(32)
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(self._settings, self._socket_dir, authkey, theirs), name="vlm-model", daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        kind, content = self._report()
        if kind == "ready":
            self._client = VlmClient(address=content, authkey=authkey)
            self._state = "ready"
            self._detail = f"The VLM model process is ready; {self.model} loads on the first page."
            log.info("VLM model process %d started for %s", process.pid, self.model)
            return
        self._end_process()
        if kind == "unavailable":
            self._state, self._detail = "unavailable", content
            log.info("%s", content)
        else:
            self._state, self._detail = "failed", content
            log.error("%s", content)

    def _report(self) -> tuple[str, str]:
        """The child's report: ('ready', address), ('unavailable', sentence), or ('failed', sentence) if it did
        not report in time or died first."""
        process, conn = self._process, self._conn
        if conn in wait([conn, process.sentinel], self.start_timeout_s):
            try:
                return conn.recv()
            except (EOFError, OSError):
                pass  # it died
        if process.is_alive():
            return "failed", (
                f"The VLM model process did not start within {self.start_timeout_s:g} s; the machine may be "
                "overloaded. See the runner's log; the start is tried again for a later job."
            )
        return "failed", (
            f"The VLM model process exited before it was ready ({exit_status(process.exitcode)}). See its output "
            "in the runner's log; the start is tried again for a later job."
        )

    def _notice_death(self) -> None:
        """If the process died since last looked at, log it and clean up after it. Called with the lock held."""
        process = self._process
        if process is None or process.is_alive():
            return
        how = exit_status(process.exitcode)
        log.warning("VLM model process %d died (%s); a new one starts for a later job", process.pid, how)
        hint = ", most likely because it ran out of memory" if process.exitcode == -signal.SIGKILL else ""
        self._state = "failed"
        self._detail = (
            f"The VLM model process died ({how}{hint}). A new one is started for a later job, at most every "
            f"{RESTART_INTERVAL_S:g} s; if it keeps dying, give the runner more memory or fewer RUNNER_THREADS."
        )
        self._end_process()

    def _ask_status(self) -> None:
        """Update state, device and counts from the model process's answer, if it comes within STATUS_TIMEOUT_S.
        Answers to earlier requests that came too late are skipped. Called with the lock held."""
        self._status_requests += 1
        deadline = time.monotonic() + STATUS_TIMEOUT_S
        try:
            self._conn.send(("status", self._status_requests))
            while self._conn.poll(max(0.0, deadline - time.monotonic())):
                _, number, answer = self._conn.recv()
                if number == self._status_requests:
                    self._apply_status(answer)
                    return
        except (EOFError, OSError):
            pass  # it is dying: the next call notices

    def _apply_status(self, answer: dict) -> None:
        self._pages, self._batches = answer["pages"], answer["batches"]
        if answer["error"]:
            self._state, self._detail = "failed", answer["error"]
        elif answer["loaded"]:
            self._device = answer["device"]
            self._state, self._detail = "loaded", f"{self.model} is loaded on {self._device}."

    def _end_process(self) -> None:
        """Stop the process if it runs (ask, terminate, kill), close the pipe, remove the socket folder."""
        process, conn = self._process, self._conn
        if process is None:
            return
        if process.is_alive():
            try:
                conn.send(("stop",))
            except OSError:
                pass  # it is exiting already
            process.join(EXIT_WAIT_S)
        if process.is_alive():
            process.terminate()
            process.join(EXIT_WAIT_S)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
        shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._process = self._conn = self._socket_dir = self._client = None


# -- the model process -----------------------------------------------------------------------------------------


class _Service:
    """The model process's FlorenceModel, with what status() reports about it."""

    def __init__(self, model: FlorenceModel):
        self.model = model
        self._lock = threading.Lock()
        self._pages = 0
        # Each page of a batch of n adds 1/n, so this is the number of generate calls (whole once all are answered).
        self._batches = Fraction(0)
        self._load_error: str | None = None

    def read(self, images: list[Image.Image], max_new_tokens: int) -> tuple:
        """The answer to one request: ('pages', [VlmPage]) or ('error', sentence)."""
        try:
            pages = self.model.ocr_with_region(images, max_new_tokens)
        except Exception as e:  # noqa: BLE001 - whatever it is, the worker must get a sentence
            return "error", self._failure(e)
        with self._lock:
            self._pages += len(pages)
            self._batches += sum(Fraction(1, page.batch_size) for page in pages)
        return "pages", pages

    def _failure(self, error: Exception) -> str:
        name, what = self.model.model_name, f"{type(error).__name__}: {error}"
        if self.model.loads == 0:  # the model loads before its first generate: this was the load
            sentence = (
                f"The Florence-2 model {name!r} could not be loaded ({what}). Set FLORENCE_MODEL to a hub id or to "
                "a folder that holds the model's files, or change the VLM device setting, then restart the runner."
            )
            self._load_error = sentence
            return sentence
        return (
            f"The Florence-2 model {name!r} failed on a batch of pages ({what}). If it ran out of memory, give the "
            "runner fewer RUNNER_THREADS or more memory; else report it with this message."
        )

    def status(self) -> dict:
        loaded = self.model.loads > 0
        with self._lock:
            return {
                "loaded": loaded,
                "device": self.model.device if loaded else None,
                "error": self._load_error,
                "pages": self._pages,
                "batches": int(self._batches),
            }


def _serve(settings: _Settings, socket_dir: str, authkey: bytes, runner: Connection) -> None:
    """The model process's life: check the stage can run, listen for workers, answer the runner until it says
    stop, closes the pipe, or dies."""
    ignore_stop_signals()  # Ctrl-C and SIGTERM are the runner's: it then stops us after its last job
    configure_logging()
    parent = os.getppid()
    ok, sentence = availability(settings.model)
    if not ok:
        _send(runner, ("unavailable", sentence))
        return
    listener, service = _listen(settings, socket_dir, authkey)
    if _send(runner, ("ready", listener.address)):
        log.info("VLM model process %d serving %s", os.getpid(), settings.model)
        _answer_runner(runner, service, parent)
    listener.close()
    # The runner removes the folder too, unless it was killed.
    shutil.rmtree(socket_dir, ignore_errors=True)
    # At once: the model thread may be inside generate, and nothing needs finalizing.
    os._exit(0)


def _send(runner: Connection, message: tuple) -> bool:
    """Send to the runner; False if it is gone."""
    try:
        runner.send(message)
    except OSError:
        return False
    return True


def _listen(settings: _Settings, socket_dir: str, authkey: bytes) -> tuple[Listener, _Service]:
    """Make the model (loaded on the first page) and the socket that workers connect to, with a thread that
    accepts them."""
    from transformers.utils import logging as transformers_logging

    # Progress bars are noise in the runner's log, and tqdm's lock is a named semaphore that a killed process
    # leaks (the runner's resource tracker then warns about it at exit).
    transformers_logging.disable_progress_bar()
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    service = _Service(
        FlorenceModel(
            settings.model,
            device=settings.device,
            trust_remote_code=settings.trust_remote_code,
            max_batch=settings.max_batch,
            num_beams=settings.num_beams,
        )
    )
    # No authkey here: each connection's thread does the handshake, so that a slow client holds up no other.
    listener = Listener(os.path.join(socket_dir, SOCKET_NAME), family="AF_UNIX")
    threading.Thread(target=_accept, args=(listener, service, authkey), name="vlm-accept", daemon=True).start()
    return listener, service


def _answer_runner(runner: Connection, service: _Service, parent: int) -> None:
    """Answer the runner's status requests until it says stop, closes the pipe, or is no longer our parent."""
    while True:
        if runner.poll(PARENT_CHECK_S):
            try:
                message = runner.recv()
            except (EOFError, OSError):
                return
            if message[0] == "stop" or not _send(runner, ("status", message[1], service.status())):
                return
        elif os.getppid() != parent:
            return


def _accept(listener: Listener, service: _Service, authkey: bytes) -> None:
    """Give every worker connection a thread of its own, until the listener is closed."""
    while True:
        try:
            conn = listener.accept()
        except OSError:
            return
        threading.Thread(target=_handle, args=(conn, service, authkey), name="vlm-connection", daemon=True).start()


def _handle(conn: Connection, service: _Service, authkey: bytes) -> None:
    """Answer one worker connection's requests, one at a time, until the worker closes it."""
    with conn:
        try:
            deliver_challenge(conn, authkey)
            answer_challenge(conn, authkey)
        except (EOFError, OSError, AuthenticationError):
            return
        while True:
            try:
                images, max_new_tokens = conn.recv()
                conn.send(service.read(images, max_new_tokens))
            except (EOFError, OSError):
                return
