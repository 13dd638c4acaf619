"""The runner's completion buffer: jobs whose work is done wait here, a few milliseconds at most, to have
their results and final states recorded together, in one transaction per group instead of one per job.

A job's thread hands it over and is free for the next job at once. Until its group is committed the job
stays this runner's: the heartbeat renews its lease, and nothing of it is written. So a runner that dies
with jobs in its buffer leaves them 'running' under leases nobody renews, and the reaper queues them
again: never a result without its final state, nor two results. The group's transaction fences each job
(finish_jobs): a job that was lost or cancelled meanwhile is left out, its result dropped."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from invoice_processor.queue import ClaimedJob, JobOutcome
from invoice_reader.result import DocumentResult

log = logging.getLogger("job_runner")

# A group is recorded once this many jobs wait, once the oldest has waited FLUSH_AFTER_S, or at once when no
# other job is running that could join it.
MAX_GROUP = 64
FLUSH_AFTER_S = 0.005


@dataclass(frozen=True)
class Completion:
    job: ClaimedJob
    outcome: JobOutcome
    result: DocumentResult | None
    """What to store with a success; None for a failure (only the job's state is written)."""
    alone: Callable[[], object]
    """Records this job by itself, as without a buffer: for a group that could not be recorded together."""


class CompletionBuffer:
    """Collects completions and records them in groups from its own thread (run), with record_group;
    more_coming() says whether a job that may soon join the group is still running."""

    def __init__(
        self,
        record_group: Callable[[list[Completion]], None],
        more_coming: Callable[[], bool],
        *,
        max_group: int = MAX_GROUP,
        flush_after_s: float = FLUSH_AFTER_S,
    ):
        self.record_group = record_group
        self.more_coming = more_coming
        self.max_group = max_group
        self.flush_after_s = flush_after_s
        self._waiting: list[Completion] = []
        self._recording: list[Completion] = []
        self._changed = threading.Condition()
        self._closing = False

    def add(self, completion: Completion) -> bool:
        """Hands a completion over; False once the buffer is closing (the caller records it alone)."""
        with self._changed:
            if self._closing:
                return False
            self._waiting.append(completion)
            self._changed.notify_all()
        return True

    def jobs(self) -> list[ClaimedJob]:
        """The jobs waiting or being recorded: still this runner's, their leases to be renewed."""
        with self._changed:
            return [c.job for c in self._recording + self._waiting]

    def recording(self) -> bool:
        """Whether a group's transaction is under way: it ends with a claim for the threads free by then."""
        with self._changed:
            return bool(self._recording)

    def __len__(self) -> int:
        with self._changed:
            return len(self._waiting) + len(self._recording)

    def run(self) -> None:
        """Records groups until close(); then records what is left and returns."""
        while True:
            with self._changed:
                while not self._waiting and not self._closing:
                    self._changed.wait()
                if not self._waiting:
                    return  # closing, nothing left
                deadline = time.monotonic() + self.flush_after_s
                while len(self._waiting) < self.max_group and not self._closing and self.more_coming():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
                group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
                self._recording = group
            try:
                self.record_group(group)
            except Exception:
                log.exception("could not record a group of %d jobs; they will run again when their leases expire",
                              len(group))
            finally:
                with self._changed:
                    self._recording = []
                    self._changed.notify_all()

    def nudge(self) -> None:
        """Says that more_coming() may have changed (a job ended)."""
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        """Asks run() to record what waits and return."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
