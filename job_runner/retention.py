"""Retention: completed batches older than RETENTION_DAYS lose their job rows and uploaded files.
Invoices and other documents are the product and stay; their batch_id and job_id then name rows that
no longer exist. Runs in every runner's heartbeat (at most once an hour each) and as
`invoice-processor purge`. Deleting is idempotent, so runners doing it at once do no harm."""

from __future__ import annotations

import logging
import time

from invoice_processor.queue import JobQueue
from invoice_processor.storage import ObjectStore

log = logging.getLogger(__name__)

DAY_S = 86400.0
PURGE_EVERY_S = 3600.0


def purge_expired_batches(queue: JobQueue, store: ObjectStore, retention_days: float) -> int:
    """Deletes the files, then the rows, of batches completed more than retention_days ago.
    A batch whose files cannot all be deleted keeps its rows, so that a later pass finds it again.
    Returns how many batches were purged."""
    purged = 0
    while batch_ids := queue.expired_batches(retention_days * DAY_S):
        for batch_id in batch_ids:
            for key in queue.batch_object_keys(batch_id):
                store.delete(key)
            queue.delete_batch(batch_id)
            purged += 1
    if purged:
        log.info("retention: purged %d batches completed more than %g days ago", purged, retention_days)
    return purged


class PeriodicPurge:
    """The runner's housekeeping hook: purges at most once every PURGE_EVERY_S."""

    def __init__(self, queue: JobQueue, store: ObjectStore, retention_days: float):
        self.queue = queue
        self.store = store
        self.retention_days = retention_days
        self._next = 0.0

    def __call__(self) -> None:
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + PURGE_EVERY_S
        purge_expired_batches(self.queue, self.store, self.retention_days)
