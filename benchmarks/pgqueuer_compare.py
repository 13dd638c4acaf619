"""Our queue against PgQueuer on no-op jobs, side by side on one PostgreSQL.

For each process count (1, 2, 8 by default), alternately: our no-op runners (benchmarks/noop_runner.py,
`--threads` threads each: the real claim, lease, fencing and result storing, the document work a no-op)
drain `--jobs` jobs of one batch, then PgQueuer consumers drain as many no-op jobs (an entrypoint that does
nothing; PgQueuer's defaults otherwise: batch_size 10, no concurrency cap). `--rounds` repeats the whole
alternation. Both rates are measured inside the database, with the consumers already started: ours from
the first job's started_at to the last one's finished_at, PgQueuer's from its log (the first 'picked' to
the last 'successful'). Prints a table of jobs/s and the ratio ours / PgQueuer (median over rounds), and
with `--json PATH` writes the figures.

    .venv/bin/python benchmarks/pgqueuer_compare.py [--jobs 5000] [--processes 1 2 8] [--rounds 1] [--json PATH]

PgQueuer is never a dependency of this project: it is installed (pgqueuer==1.6.0 and asyncpg, from PyPI)
into its own virtual environment, `--pgqueuer-venv` (default /tmp/ip-pgqueuer-venv), created on first use;
this file is run there too, for PgQueuer's side (`--pgqueuer-role`, which imports only PgQueuer and
asyncpg). Runs on DATABASE_URL if set (it adds tables to it: use a scratch database), else on an embedded
PostgreSQL started in a temporary folder, as queue_throughput.py does."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PGQUEUER_VERSION = "1.6.0"
DEFAULT_VENV = Path("/tmp/ip-pgqueuer-venv")
ENTRYPOINT = "noop"


# PgQueuer's side: run with the Python of PgQueuer's virtual environment; imports nothing of this project.


async def _pgqueuer_install(dsn: str) -> None:
    import asyncpg
    from pgqueuer import Queries
    from pgqueuer.db import AsyncpgDriver

    connection = await asyncpg.connect(dsn)
    try:
        queries = Queries(AsyncpgDriver(connection))
        if not await connection.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL"):
            await queries.install()
    finally:
        await connection.close()


async def _pgqueuer_enqueue(dsn: str, count: int) -> None:
    import asyncpg
    from pgqueuer import Queries
    from pgqueuer.db import AsyncpgDriver

    connection = await asyncpg.connect(dsn)
    try:
        # One statement for all of them, as our enqueue_batch inserts a batch's jobs in one transaction.
        await Queries(AsyncpgDriver(connection)).enqueue([ENTRYPOINT] * count, [None] * count, [0] * count)
    finally:
        await connection.close()


async def _pgqueuer_consume(dsn: str) -> None:
    from datetime import timedelta

    import asyncpg
    from pgqueuer import Queries, QueueManager
    from pgqueuer.db import AsyncpgDriver

    connection = await asyncpg.connect(dsn)
    manager = QueueManager(Queries(AsyncpgDriver(connection)))

    @manager.entrypoint(ENTRYPOINT)
    async def noop(job) -> None:
        pass

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, manager.shutdown.set)
    print("ready", flush=True)
    # Its log is what the rate is read from: not folded into statistics (which empties it) during the run.
    await manager.run(log_aggregation_interval=timedelta(0))
    await connection.close()


def pgqueuer_role(role: str, dsn: str, count: int) -> None:
    if role == "install":
        asyncio.run(_pgqueuer_install(dsn))
    elif role == "enqueue":
        asyncio.run(_pgqueuer_enqueue(dsn, count))
    else:
        asyncio.run(_pgqueuer_consume(dsn))


# Our side, and the comparison: run with this project's Python.


def ensure_pgqueuer_venv(venv: Path) -> Path:
    """The Python of a virtual environment with PgQueuer installed, created (from PyPI) if missing."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import asyncpg, pgqueuer; assert pgqueuer.__version__ == {PGQUEUER_VERSION!r}"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing pgqueuer=={PGQUEUER_VERSION} into {venv} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"pgqueuer=={PGQUEUER_VERSION}", "asyncpg"],
        check=True,
    )
    subprocess.run(check, check=True)
    return python


def libpq_dsn(url: str) -> str:
    """The URL as asyncpg and libpq take it (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class PgQueuerSide:
    """PgQueuer consumers (processes of PgQueuer's venv) and its log, read with our engine."""

    def __init__(self, python: Path, url: str, engine, log_dir: Path):
        self.python = python
        self.dsn = libpq_dsn(url)
        self.engine = engine
        self.log_dir = log_dir
        self._runs = 0
        self._role("install")

    def _role(self, role: str, count: int = 0, **popen) -> subprocess.Popen | None:
        command = [str(self.python), __file__, "--pgqueuer-role", role, "--dsn", self.dsn, "--jobs", str(count)]
        if role == "consume":
            return subprocess.Popen(command, **popen)
        subprocess.run(command, check=True)
        return None

    def measure(self, processes: int, jobs: int) -> dict:
        from sqlalchemy import text

        self._runs += 1
        with self.engine.begin() as connection:
            # Each run starts from an empty queue and log (the previous run drained the queue).
            connection.execute(text("TRUNCATE pgqueuer_log"))
        logs = [self.log_dir / f"pgqueuer-{self._runs:02d}-{i}.log" for i in range(processes)]
        consumers = []
        for path in logs:
            with path.open("wb") as log:
                consumers.append(self._role("consume", stdout=log, stderr=subprocess.STDOUT))
        try:
            deadline = time.monotonic() + 120
            while not all("ready" in path.read_text() for path in logs):
                if time.monotonic() > deadline or any(c.poll() is not None for c in consumers):
                    sys.exit(f"PgQueuer consumers did not start; see {self.log_dir}")
                time.sleep(0.1)
            time.sleep(1.0)  # past "ready": connected and listening
            self._role("enqueue", jobs)
            deadline = time.monotonic() + 1200
            while self._count("SELECT count(*) FROM pgqueuer WHERE entrypoint = :e"):
                if time.monotonic() > deadline:
                    sys.exit(f"PgQueuer did not drain {jobs} jobs; see {self.log_dir}")
                time.sleep(0.05)
        finally:
            for consumer in consumers:
                consumer.send_signal(signal.SIGTERM)
            for consumer in consumers:
                try:
                    consumer.wait(30)
                except subprocess.TimeoutExpired:
                    consumer.kill()
                    consumer.wait()
        with self.engine.connect() as connection:
            first, last, succeeded = connection.execute(
                text(
                    "SELECT min(created) FILTER (WHERE status = 'picked'), max(created) FILTER (WHERE status = "
                    "'successful'), count(*) FILTER (WHERE status = 'successful') FROM pgqueuer_log "
                    "WHERE entrypoint = :e"
                ),
                {"e": ENTRYPOINT},
            ).one()
        seconds = (last - first).total_seconds()
        return {"seconds": seconds, "rate": succeeded / seconds, "succeeded": succeeded}

    def _count(self, sql: str) -> int:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            return connection.execute(text(sql), {"e": ENTRYPOINT}).scalar_one()


def compare(
    *, jobs: int = 5000, processes: list[int] | None = None, threads: int = 4, rounds: int = 1,
    pgqueuer_venv: Path = DEFAULT_VENV,
) -> dict:
    """Runs the comparison; returns {"jobs", "threads", "rounds", "rows": [{processes, ours_jobs_s,
    pgqueuer_jobs_s, ratio, ours_runs, pgqueuer_runs}]} with the median rate of each side per process count."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from queue_throughput import Runners, database, measure_throughput

    from invoice_processor.db import make_engine, make_sessionmaker

    processes = processes or [1, 2, 8]
    python = ensure_pgqueuer_venv(pgqueuer_venv)
    log_dir = Path(tempfile.mkdtemp(prefix="ip-pgqueuer-compare-"))
    ours: dict[int, list[dict]] = {p: [] for p in processes}
    theirs: dict[int, list[dict]] = {p: [] for p in processes}
    with database() as url:
        engine = make_engine(url, pool_size=4)
        sessions = make_sessionmaker(engine)
        runners = Runners(url, log_dir)
        pgqueuer = PgQueuerSide(python, url, engine, log_dir)
        try:
            for round_number in range(rounds):
                for count in processes:
                    ours[count].append(measure_throughput(sessions, runners, count, threads, jobs, 1, 0.0))
                    theirs[count].append(pgqueuer.measure(count, jobs))
                    print(
                        f"round {round_number + 1}, {count} processes: ours {ours[count][-1]['rate']:.0f} jobs/s, "
                        f"PgQueuer {theirs[count][-1]['rate']:.0f} jobs/s",
                        flush=True,
                    )
        finally:
            runners.stop_all()
            engine.dispose()
    rows = []
    for count in processes:
        ours_rate = statistics.median(r["rate"] for r in ours[count])
        theirs_rate = statistics.median(r["rate"] for r in theirs[count])
        rows.append(
            {
                "processes": count, "ours_jobs_s": round(ours_rate, 1), "pgqueuer_jobs_s": round(theirs_rate, 1),
                "ratio": round(ours_rate / theirs_rate, 3), "ours_runs": ours[count], "pgqueuer_runs": theirs[count],
            }
        )
    return {
        "jobs": jobs, "threads": threads, "rounds": rounds, "pgqueuer": PGQUEUER_VERSION, "cpus": os.cpu_count(),
        "logs": str(log_dir), "rows": rows,
    }


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 8])
    parser.add_argument("--threads", type=int, default=4, help="threads of each of our runner processes")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pgqueuer-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--pgqueuer-role", choices=["install", "enqueue", "consume"], help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pgqueuer_role:
        pgqueuer_role(args.pgqueuer_role, args.dsn, args.jobs)
        return None

    figures = compare(
        jobs=args.jobs, processes=args.processes, threads=args.threads, rounds=args.rounds,
        pgqueuer_venv=args.pgqueuer_venv,
    )
    print(
        f"\n{figures['jobs']} no-op jobs per run, our runners with {figures['threads']} threads each, "
        f"PgQueuer {figures['pgqueuer']} with its defaults; median of {figures['rounds']} round(s), "
        f"{figures['cpus']} CPUs"
    )
    print(f"{'processes':>9} {'ours jobs/s':>11} {'PgQueuer jobs/s':>15} {'ours/PgQueuer':>13}")
    for row in figures["rows"]:
        print(f"{row['processes']:>9} {row['ours_jobs_s']:>11.0f} {row['pgqueuer_jobs_s']:>15.0f} {row['ratio']:>13.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
        print(f"figures written to {args.json}")
    return figures


if __name__ == "__main__":
    main()
