"""What the runner says about the processes it starts."""

from __future__ import annotations

import signal


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
