"""Two `invoice-processor runner` processes share one 40-file batch with max_workers=3, over a real
PostgreSQL and moto's S3 over HTTP. The job table proves each job ran once and never more than 3 at once."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ingest_api.app import create_app
from invoice_processor.db import Batch, Invoice, Job
from tests import pdf_factory
from tests.conftest import s3_settings_env

CLI = str(Path(sys.executable).with_name("invoice-processor"))
FILES = 40
MAX_WORKERS = 4


def max_overlap(intervals: list[tuple]) -> int:
    """The largest number of [start, end] intervals that hold at one instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda e: (e[0], e[1]))  # an end sorts before a start at the same instant
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def test_max_overlap_counts_simultaneous_intervals():
    assert max_overlap([(0, 2), (1, 3), (2, 4)]) == 2
    assert max_overlap([(0, 5), (1, 2), (1, 3), (4, 6)]) == 3


def test_two_runner_processes_share_a_batch_within_max_workers(tmp_path, database_url, sessions, s3_store):
    pdf_factory.make_text_invoice(tmp_path / "invoice.pdf")
    data = (tmp_path / "invoice.pdf").read_bytes()
    with TestClient(create_app(sessions, s3_store)) as api:
        response = api.post(
            "/api/v1/invoices/batch-upload",
            params={"max_workers": MAX_WORKERS, "wait": "false", "allow_duplicates": "true"},
            files=[("files", (f"invoice-{i:02d}.pdf", io.BytesIO(data), "application/pdf")) for i in range(FILES)],
        )
    assert response.status_code == 202, response.text
    batch_id = uuid.UUID(response.json()["batch_id"])

    env = {
        **s3_settings_env(database_url, s3_store),
        # Together the runners could exceed the batch's cap, and neither alone can fill it: a runner keeps the
        # slots it frees (it claims again in the transaction that records its jobs), so with a cap one runner
        # could fill, the first to claim would take every job.
        "RUNNER_THREADS": "3",
        "POLL_INTERVAL_S": "5",  # well above a job's time: the runners must wake on NOTIFY
    }
    logs = [(tmp_path / f"runner-{i}.log").open("wb") for i in range(2)]
    runners = [subprocess.Popen([CLI, "runner"], env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with sessions() as session:
                if session.get(Batch, batch_id).status == "completed":
                    break
            assert all(r.poll() is None for r in runners)
            time.sleep(0.25)
    finally:
        for r in runners:
            r.send_signal(signal.SIGTERM)
        codes = [r.wait(60) for r in runners]
        for log in logs:
            log.close()
    output = "\n".join((tmp_path / f"runner-{i}.log").read_text() for i in range(2))
    assert codes == [0, 0], output
    # Every line about a job names the job and its batch.
    job_lines = [line for line in output.splitlines() if re.search(r": (started|done): ", line)]
    assert len(job_lines) == 2 * FILES, output
    assert all(re.search(rf"job_id=[0-9a-f-]{{36}} batch_id={batch_id}:", line) for line in job_lines), output

    with sessions() as session:
        batch = session.get(Batch, batch_id)
        jobs = session.scalars(select(Job).where(Job.batch_id == batch_id)).all()
        invoices_per_job = session.execute(
            select(Invoice.job_id).where(Invoice.batch_id == batch_id)
        ).scalars().all()
    assert batch.status == "completed", output
    assert len(jobs) == FILES
    assert {job.state for job in jobs} == {"succeeded"}
    assert all(job.attempts == 1 for job in jobs)
    assert sorted(invoices_per_job) == sorted(job.id for job in jobs)  # one result per job, none twice
    assert len({job.runner_id for job in jobs}) == 2, "both runners should have taken jobs"
    peak = max_overlap([(job.started_at, job.finished_at) for job in jobs])
    assert 2 <= peak <= MAX_WORKERS
    # Jobs that waited for a free slot were claimed in the transaction that freed it or on its NOTIFY, not on
    # the 5 s poll: the median wait after the previous finish is far below the poll interval.
    finishes = sorted(job.finished_at for job in jobs)
    waits = sorted(
        (job.started_at - max(f for f in finishes if f <= job.started_at)).total_seconds()
        for job in jobs
        if any(f <= job.started_at for f in finishes)
    )
    assert waits and waits[len(waits) // 2] < 2.5, waits


def _wait_for_log(path: Path, pattern: str, count: int = 1, timeout_s: float = 30) -> list[str]:
    """Waits until the log has `count` lines matching the regular expression; returns the matches."""
    deadline = time.monotonic() + timeout_s
    while True:
        matches = re.findall(pattern, path.read_text())
        if len(matches) >= count or time.monotonic() > deadline:
            assert len(matches) >= count, f"{pattern!r} not {count}x in:\n{path.read_text()}"
            return matches
        time.sleep(0.1)


def test_runner_process_that_dies_is_started_again_and_goes_on(tmp_path, database_url, sessions, folder_store):
    """`invoice-processor runner` supervises its worker: kill -9 the worker, a new one takes the jobs."""
    pdf_factory.make_text_invoice(tmp_path / "invoice.pdf")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder_store.root.parent),
        "RUNNER_LEASE_S": "2",
    }
    env.pop("S3_BUCKET", None)
    log_path = tmp_path / "runner.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen([CLI, "runner"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            (first,) = _wait_for_log(log_path, r"runner process (\d+) started")
            _wait_for_log(log_path, r"runner \S+ started with")
            os.kill(int(first), signal.SIGKILL)
            second = _wait_for_log(log_path, r"runner process (\d+) started", count=2)[1]
            assert second != first
            assert "died (signal SIGKILL)" in log_path.read_text()

            with TestClient(create_app(sessions, folder_store)) as api:
                response = api.post(
                    "/api/v1/invoices/batch-upload",
                    files=[("files", ("invoice.pdf", (tmp_path / "invoice.pdf").read_bytes(), "application/pdf"))],
                )
            assert response.status_code == 200, response.text
            assert response.json()["successful"] == 1
        finally:
            supervisor.send_signal(signal.SIGTERM)
            code = supervisor.wait(60)
    assert code == 0, log_path.read_text()
    # The worker went with its supervisor.
    with pytest.raises(ProcessLookupError):
        os.kill(int(second), 0)


def test_sigterm_lets_running_jobs_finish_then_gives_back_the_rest(tmp_path, queue, database_url, folder_store):
    """A runner stopping with jobs that outlast its grace period stops them and returns them to the queue."""
    from invoice_processor.queue import NewFile
    from job_runner.runner import Runner

    def slow(job, check):
        while True:
            check()
            time.sleep(0.05)

    batch_id = uuid.uuid4()
    queue.enqueue_batch(batch_id, [NewFile(f"f{i}.pdf", f"k{i}", 1) for i in range(3)], max_workers=3, source="upload")
    runner = Runner(queue, folder_store, database_url=database_url, threads=2, shutdown_grace_s=0.5, work=slow)
    thread = threading.Thread(target=runner.run)
    thread.start()
    deadline = time.monotonic() + 10
    while runner._in_flight < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop()
    thread.join(10)
    assert not thread.is_alive()
    with queue.sessions() as session:
        jobs = session.scalars(select(Job).where(Job.batch_id == batch_id)).all()
        batch = session.get(Batch, batch_id)
    assert sorted((job.state, job.attempts) for job in jobs) == [("queued", 0), ("queued", 1), ("queued", 1)]
    assert batch.running_jobs == 0


def test_sigterm_to_the_runners_process_group_fails_no_good_file(tmp_path, database_url, sessions, queue, folder_store):
    """kill -TERM -<pgid> reaches the supervisor, the runner, its forkserver and its document workers at once
    (systemd's KillMode=control-group). The workers are the runner's to stop: the scan being read finishes
    within the grace period or goes back to the queue, it is never called damaged, and nothing is claimed
    after the signal."""
    import psutil

    from invoice_processor.queue import NewFile

    scans = []
    for i in range(4):
        pdf_factory.make_scanned_invoice(tmp_path / f"scan{i}.pdf", invoice_number=f"GRP-{i}", seed=i)
        key = f"scans/scan{i}.pdf"
        with (tmp_path / f"scan{i}.pdf").open("rb") as stream:
            folder_store.put(key, stream)
        scans.append(NewFile(f"scan{i}.pdf", key, (tmp_path / f"scan{i}.pdf").stat().st_size))
    batch_id = uuid.uuid4()
    queue.enqueue_batch(batch_id, scans, max_workers=4, source="upload")
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(folder_store.root.parent)}
    env.pop("S3_BUCKET", None)
    log_path = tmp_path / "runner.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(
            [CLI, "runner", "--threads", "1"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            tree = psutil.Process(supervisor.pid)
            deadline = time.monotonic() + 120
            # Tesseract runs inside the document worker (tesserocr): the signal comes once a scan is being read.
            while "started: scan" not in log_path.read_text():
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            os.killpg(supervisor.pid, signal.SIGTERM)
            code = supervisor.wait(90)
    output = log_path.read_text()
    assert code == 0, output
    assert "died" not in output, output
    with queue.sessions() as session:
        jobs = session.scalars(select(Job).where(Job.batch_id == batch_id)).all()
    assert [job.error for job in jobs if job.state == "failed"] == []
    # One thread: the scan it was reading when the signal came, and nothing after it. It finished within the
    # grace period (30 s): the runner stopped only then, and left nothing running.
    assert sum(job.attempts for job in jobs) == 1, [(j.filename, j.state, j.attempts) for j in jobs]
    assert sorted(job.state for job in jobs) == ["queued"] * 3 + ["succeeded"], [(j.filename, j.state) for j in jobs]
    assert re.search(r"runner \S+ stopped", output), output


def die_once_told(path: Path, options, check, vlm=None):
    """A worker's pipeline that waits for `<file>.die` to appear beside the file, then dies as a worker
    does when a signal meant for its runner kills it."""
    while not path.with_name(path.name + ".die").exists():
        check()
        time.sleep(0.02)
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_that_dies_while_its_runner_stops_gives_the_job_back_without_blaming_the_file(
    tmp_path, queue, folder_store, runner_factory
):
    from invoice_processor.queue import NewFile

    key = "stopping/file.pdf"
    folder_store.put(key, io.BytesIO(b"%PDF-1.4"))
    batch_id = uuid.uuid4()
    queue.enqueue_batch(batch_id, [NewFile("file.pdf", key, 8)], max_workers=1, source="upload")
    runner = runner_factory(folder_store, threads=1, pipeline=die_once_told)
    deadline = time.monotonic() + 60
    while not runner.documents.pids:  # the worker is reading the file
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with queue.sessions() as session:
        (job,) = session.scalars(select(Job).where(Job.batch_id == batch_id)).all()
    assert job.state == "running"
    runner.stop()
    # The folder store hands the worker the stored file itself: the marker goes beside it.
    with folder_store.local_copy(key) as stored:
        stored.with_name(stored.name + ".die").write_bytes(b"")
    deadline = time.monotonic() + 60
    while True:
        with queue.sessions() as session:
            job = session.get(Job, job.id)
        if job.state != "running":
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (job.state, job.error, job.error_kind) == ("queued", None, None)
