"""A runner process whose document work is a no-op: the real claim, heartbeat, reaper, fencing and
result storing, with the pipeline replaced by "sleep --sleep seconds, then store an empty 'other'
document". The fault tests and benchmarks/queue_throughput.py run it; so can anyone who wants to
load the queue without OCR.

    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/noop_runner.py [--sleep 0.3] [--burst] [--fetch]

Settings come from the environment exactly as for `invoice-processor runner --worker` (RUNNER_THREADS,
RUNNER_LEASE_S, JOB_MAX_ATTEMPTS, RUNNER_SHUTDOWN_GRACE_S, POLL_INTERVAL_S, S3_*). The object a job
points at is not read (it may not exist) unless --fetch is given: then it is downloaded through the
store, with the runner's own retry policy for an unreachable store. SIGTERM or Ctrl-C stops the
runner like the real one: running jobs get the grace period, then are given back."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from invoice_processor.logs import configure_logging  # noqa: E402
from invoice_processor.queue import ClaimedJob, JobQueue  # noqa: E402
from invoice_processor.settings import Settings  # noqa: E402
from invoice_processor.storage import ObjectStore  # noqa: E402
from invoice_reader.result import DocumentResult  # noqa: E402
from job_runner.runner import Runner, Work, run_until_signalled, with_local_copy  # noqa: E402

# How often a sleeping job asks whether it must stop (cancelled, lease lost, shutdown).
CHECK_EVERY_S = 0.05


def noop_work(store: ObjectStore, *, sleep_s: float, fetch: bool) -> Work:
    """The document work of this runner: optionally fetch the object, sleep, return an empty
    'other' document (which the runner stores in other_documents, fenced like any result)."""

    def work(job: ClaimedJob, check: Callable[[], None]) -> DocumentResult:
        started = time.perf_counter()
        size = with_local_copy(store, job, check, lambda path: path.stat().st_size) if fetch else None
        deadline = time.monotonic() + sleep_s
        check()
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(CHECK_EVERY_S, left))
            check()
        text = f"{size} bytes" if size is not None else ""
        return DocumentResult(
            page_count=0,
            text=text,
            document_type="other",
            invoice=None,
            timings={"noop": round(time.perf_counter() - started, 4)},
        )

    return work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds each job takes (default 0)")
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--fetch", action="store_true", help="download each job's object from the store")
    parser.add_argument("--threads", type=int, help="runner threads (default: RUNNER_THREADS)")
    args = parser.parse_args(argv)

    configure_logging(background=True)
    from invoice_processor.db import make_engine, make_sessionmaker
    from invoice_processor.storage import make_store

    settings = Settings(**({"runner_threads": args.threads} if args.threads else {}))
    if not settings.database_url:
        sys.exit("DATABASE_URL is not set.")
    store = make_store(settings)

    engine = make_engine(settings.database_url, pool_size=settings.runner_threads + 2)
    runner = Runner(
        JobQueue(make_sessionmaker(engine), lease_s=settings.runner_lease_s, max_attempts=settings.job_max_attempts),
        store,
        database_url=settings.database_url,
        threads=settings.runner_threads,
        poll_interval_s=settings.poll_interval_s,
        shutdown_grace_s=settings.runner_shutdown_grace_s,
        work=noop_work(store, sleep_s=args.sleep, fetch=args.fetch),
    )
    try:
        run_until_signalled(runner, burst=args.burst)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
