"""Print HTML to PDF with headless Chromium, one browser per process kept open between documents.

Starting Chromium takes about 2 s; printing one more page in an open browser about 0.1-0.3 s.
So the first call starts `chromium --headless --remote-debugging-pipe` and later calls reuse it,
talking the DevTools protocol over the pipe (NUL-separated JSON on file descriptors 3 and 4; no
websocket library, no port). Each document is written to a file in a private temporary folder,
loaded with Page.navigate, and printed with Page.printToPDF once its load event has fired (so
that data: images are decoded). A process that forks gets its own browser; the browser is
closed at exit.

The executable is $CHROMIUM, else the first of chromium, chromium-browser, google-chrome found
on PATH; without one, ChromiumMissing says how to install it.
"""

from __future__ import annotations

import atexit
import base64
import json
import multiprocessing.util
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_LAUNCHER = """
import fcntl, os, sys
r, w = int(sys.argv[1]), int(sys.argv[2])
a, b = fcntl.fcntl(r, fcntl.F_DUPFD, 10), fcntl.fcntl(w, fcntl.F_DUPFD, 10)
os.dup2(a, 3)
os.dup2(b, 4)
for fd in {a, b, r, w} - {3, 4}:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT_S = 60.0


class ChromiumMissing(RuntimeError):
    pass


class ChromiumError(RuntimeError):
    pass


def find_chromium() -> str:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        if shutil.which(explicit):
            return shutil.which(explicit)
        raise ChromiumMissing(f"CHROMIUM={explicit!r} is not an executable")
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise ChromiumMissing(
        "benchmarks.synthetic_html prints its HTML invoices with headless Chromium, and none was found "
        f"on PATH (looked for {', '.join(CANDIDATES)}). Install it: `apt-get install chromium` on "
        "Debian/Ubuntu (infra/install.sh does), or set CHROMIUM=/path/to/chrome."
    )


class Browser:
    """One headless Chromium and one tab, driven over --remote-debugging-pipe."""

    def __init__(self, executable: str | None = None):
        self.executable = executable or find_chromium()
        self.folder = tempfile.mkdtemp(prefix="synthetic-html-")
        self._id = 0
        self._buffer = b""
        self._events: list[dict] = []
        self._count = 0
        self._lock = threading.Lock()
        self._closed = False
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()

        # Chromium refuses its sandbox as root and in most containers; nothing untrusted is loaded.
        args = [
            self.executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.folder}/profile",
            "about:blank",
        ]
        # Chromium talks over fds 3 (it reads) and 4 (it writes): a tiny Python launcher puts the
        # pipe ends there and execs it (no preexec_fn, which is unsafe with threads).
        r, w = to_chrome_r, from_chrome_w
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(r), str(w), *args],
            pass_fds=(r, w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._write = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._read_fd = from_chrome_r
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.call("Page.enable", session=self.session)
        except (ChromiumError, OSError) as e:
            self.close()
            raise ChromiumError(f"{self.executable} did not start as a headless browser: {e}") from e

    # -- protocol ----------------------------------------------------------------------------

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError("Chromium did not answer in time")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if ready:
                chunk = os.read(self._read_fd, 1 << 20)
                if not chunk:
                    raise ChromiumError(f"Chromium exited (status {self.process.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def _wait_event(self, method: str) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == self.session:
                    del self._events[: i + 1]
                    return event
            self._events.clear()
            reply = self._message(deadline)
            if "method" in reply:
                self._events.append(reply)

    # -- printing ----------------------------------------------------------------------------

    def print_pdf(self, html: str) -> bytes:
        """The PDF Chromium prints for html (page size and margins from its CSS @page rule)."""
        with self._lock:
            self._count += 1
            path = Path(self.folder) / f"doc-{self._count % 2}.html"
            path.write_text(html, encoding="utf-8")
            self._events.clear()
            self.call("Page.navigate", {"url": path.as_uri() + f"?n={self._count}"}, session=self.session)
            self._wait_event("Page.loadEventFired")
            result = self.call(
                "Page.printToPDF",
                {
                    "printBackground": True,
                    "preferCSSPageSize": True,
                    "displayHeaderFooter": False,
                    "generateTaggedPDF": False,
                },
                session=self.session,
            )
            return base64.b64decode(result["data"])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.process.poll() is None:
                try:
                    self.call("Browser.close")
                except (ChromiumError, OSError, ValueError):
                    pass
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            for closer in (self._write.close, lambda: os.close(self._read_fd)):
                try:
                    closer()
                except OSError:
                    pass
            shutil.rmtree(self.folder, ignore_errors=True)


_browser: Browser | None = None
_owner_pid: int | None = None


def _start() -> Browser:
    global _browser, _owner_pid
    _browser, _owner_pid = Browser(), os.getpid()
    # Worker processes of multiprocessing / concurrent.futures skip atexit; they run these.
    multiprocessing.util.Finalize(_browser, _browser.close, exitpriority=10)
    return _browser


def print_pdf(html: str) -> bytes:
    """Print html with this process's browser, starting it (or a new one after a crash) as needed."""
    browser = _browser if _browser is not None and _owner_pid == os.getpid() else _start()
    try:
        return browser.print_pdf(html)
    except (ChromiumError, OSError):  # a crashed or hung browser: one more try with a new one
        close()
        return _start().print_pdf(html)


def close() -> None:
    """Close this process's browser, if it started one."""
    global _browser, _owner_pid
    if _browser is not None and _owner_pid == os.getpid():
        _browser.close()
    _browser, _owner_pid = None, None


atexit.register(close)
