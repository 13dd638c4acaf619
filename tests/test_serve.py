"""Acceptance: the real `invoice-processor serve` in a subprocess, on its embedded defaults, driven by
the README's batch guide examples, stopped with Ctrl-C and SIGTERM, restarted on the same data."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

import psutil
import pytest
import requests

from tests import pdf_factory
from tests.conftest import free_port

README = Path(__file__).resolve().parents[1] / "README.md"
CLI = str(Path(sys.executable).with_name("invoice-processor"))


def guide_examples(language: str) -> list[str]:
    """The code blocks of the README's batch upload guide, verbatim."""
    text = README.read_text()
    section = text.split("## Batch upload guide", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


class Service:
    def __init__(self, data_dir: Path, port: int, *, own_group: bool = False):
        """own_group: in a process group of its own (as a supervisor starts it), which stop_group signals."""
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = (data_dir.parent / f"serve-{port}.log").open("ab")
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "S3_BUCKET")}
        self.process = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=own_group,
        )

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not become healthy:\n{self.output()}")

    def stop(self, sig: int) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(60)
        finally:
            self.log.close()

    def stop_group(self, sig: int) -> int:
        """The signal to every process of serve's group, as systemd's KillMode=control-group sends it."""
        os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(90)
        finally:
            self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.data_dir.parent / f"serve-{self.port}.log").read_text(errors="replace")[-5000:]


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """The embedded server's postmaster (from its pid file) and all its children."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
    return [postmaster, *postmaster.children(recursive=True)]


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def workdir(tmp_path):
    """A folder with the files the guide's examples name."""
    pdf_factory.make_text_invoice(tmp_path / "invoice1.pdf", invoice_number="G-001")
    pdf_factory.make_text_invoice(tmp_path / "invoice2.pdf", invoice_number="G-002")
    with zipfile.ZipFile(tmp_path / "invoices.zip", "w") as zf:
        zf.write(tmp_path / "invoice1.pdf", "2024/invoice1.pdf")
        zf.write(tmp_path / "invoice2.pdf", "2024/q2/invoice2.pdf")
        zf.writestr("notes.txt", "skipped")
    return tmp_path


def _on_port(code: str, port: int) -> str:
    return code.replace("localhost:8000", f"localhost:{port}")


@pytest.fixture
def database_watch():
    """Collects the embedded servers' processes seen by a test and kills any it leaves behind
    (only after a failure), so one failed run does not leak servers into the next."""
    seen: list[psutil.Process] = []
    yield seen
    for p in still_running(seen):
        p.kill()


def test_serve_runs_the_batch_guide_and_stops_cleanly(workdir, database_watch):
    data_dir = workdir / "data"
    port = free_port()
    service = Service(data_dir, port)
    try:
        service.wait_healthy()
        database = postgres_processes(data_dir)
        database_watch.extend(database)
        assert len(database) > 1
        python_examples = guide_examples("python")
        assert len(python_examples) == 2
        outputs = []
        for code in python_examples:
            done = subprocess.run(
                [sys.executable, "-c", _on_port(code, port)], cwd=workdir, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
        assert "Processed 2 files: 2 successful, 0 failed" in outputs[0]
        assert "invoice1.pdf: invoice" in outputs[0]
        assert "Processed 2 files from the ZIP: 2 successful" in outputs[1]
        if shutil.which("curl"):
            for command in guide_examples("bash"):
                done = subprocess.run(_on_port(command, port), shell=True, cwd=workdir, capture_output=True,
                                      text=True, timeout=120)
                assert done.returncode == 0 and '"successful":2' in done.stdout, done.stdout + done.stderr
        submitted = subprocess.run(
            [CLI, "submit", "invoice1.pdf", "invoices.zip", "--url", service.url],
            cwd=workdir, capture_output=True, text=True, timeout=120,
        )
        assert submitted.returncode == 0, submitted.stderr
        assert submitted.stdout.count(": 1 ok, 0 failed") == 1 and submitted.stdout.count(": 2 ok, 0 failed") == 1
        assert "ok      2024/q2/invoice2.pdf: invoice" in submitted.stdout
        assert "the same file was sent before" in submitted.stdout  # the guide's examples sent it already
        batches = requests.get(f"{service.url}/api/v1/invoices", timeout=5).json()
        # Every example sends the same two invoices: each is stored once, later copies point to it.
        assert batches["count"] == 2
        first_batch = batches["data"][-1]["batch_id"]
    finally:
        code = service.stop(signal.SIGINT)
    assert code == 0, service.output()
    assert still_running(database) == []

    # A restart finds the earlier batches; SIGTERM stops it as cleanly.
    service = Service(data_dir, port)
    try:
        service.wait_healthy()
        database = postgres_processes(data_dir)
        database_watch.extend(database)
        batch = requests.get(f"{service.url}/api/v1/batches/{first_batch}", timeout=5).json()
        assert batch["status"] == "completed" and batch["successful"] == 2
    finally:
        code = service.stop(signal.SIGTERM)
    assert code == 0, service.output()
    assert still_running(database) == [], service.output()


def _wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigterm_to_the_whole_process_group_fails_no_good_file(tmp_path, database_watch):
    """kill -TERM -<pgid> reaches serve, its document workers, their forkserver and its model process at
    once. The workers are serve's to stop: they ignore it, the jobs running finish within the grace
    period (or go back to the queue), nothing is claimed after the signal, and no good file is called
    damaged. A restart on the same data then reads every file."""
    scans = []
    for i in range(6):
        path = tmp_path / f"scan{i}.pdf"
        pdf_factory.make_scanned_invoice(path, invoice_number=f"PG-{i}", seed=i)
        scans.append(path)
    data_dir = tmp_path / "data"
    port = free_port()
    service = Service(data_dir, port, own_group=True)
    try:
        service.wait_healthy()
        database_watch.extend(postgres_processes(data_dir))
        response = requests.post(
            f"{service.url}/api/v1/invoices/batch-upload", params={"max_workers": 4, "wait": "false"},
            files=[("files", (p.name, p.read_bytes(), "application/pdf")) for p in scans], timeout=30,
        )
        assert response.status_code == 202, response.text
        batch_url = f"{service.url}/api/v1/batches/{response.json()['batch_id']}"
        # The signal comes while the runner's worker processes are reading scans (Tesseract runs inside them).
        _wait_for(
            lambda: any(job["state"] == "running" for job in requests.get(batch_url, timeout=5).json()["jobs"]),
            120, "a scan to be read",
        )
        time.sleep(0.5)
    finally:
        signalled_at = time.time()
        code = service.stop_group(signal.SIGTERM)
    log = service.output()
    assert code == 0, log
    assert "died" not in log, log

    restarted_at = time.time()
    service = Service(data_dir, port)
    try:
        service.wait_healthy()
        batch = _wait_for(
            lambda: (b := requests.get(batch_url, timeout=5).json())["status"] == "completed" and b, 300,
            "the batch to complete after the restart",
        )
        assert batch["successful"] == 6 and batch["failed"] == 0, batch
        for result in batch["results"]:
            job = requests.get(f"{service.url}/api/v1/jobs/{result['job_id']}", timeout=5).json()
            assert job["state"] == "succeeded" and job["failed_attempts"] == 0, job
            # Nothing was claimed between the signal and the restart.
            for attempt in job["attempt_history"]:
                started = datetime.fromisoformat(attempt["started_at"]).timestamp()
                assert not signalled_at < started < restarted_at, job
    finally:
        assert service.stop(signal.SIGTERM) == 0, service.output()
