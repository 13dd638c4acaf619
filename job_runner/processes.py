"""What the runner says about the processes it starts, and how they treat the signals meant for it."""

from __future__ import annotations

import signal

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def exit_status(exitcode: int | None) -> str:
    """A process's end in words: 'SIGKILL', 'signal 99', 'exit status 1' or 'exit status unknown'."""
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def ignore_stop_signals() -> None:
    """In a helper process (a document worker, the model process): SIGINT and SIGTERM are its runner's to act
    on, and the runner stops its helpers itself once their jobs are done or given back. Such a signal also
    reaches the helpers when it is sent to the whole process group (Ctrl-C in a terminal,
    `kill -TERM -<pgid>`, systemd's KillMode=control-group). A handler that does nothing, rather than
    SIG_IGN, so that the programs the helper runs (Tesseract) start with the default handling."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _meant_for_the_runner)


def _meant_for_the_runner(signum, frame) -> None:
    pass
