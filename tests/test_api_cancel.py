"""POST /api/v1/batches/{batch_id}/cancel with a real runner and real PostgreSQL. The runner's work
holds each job until the test releases it, checking for a stop as the pipeline does between stages,
so that a job is running when the batch is cancelled."""

from __future__ import annotations

import io
import threading
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ingest_api.app import create_app
from invoice_processor.db import Batch, Invoice, OtherDocument
from invoice_reader.result import DocumentResult
from job_runner.runner import JobStopped
from tests.polling import wait_until

CANCELLED = "Cancelled on request before it finished; upload it again to process it."
# Uploads need a PDF header; the work below never opens the file.
PDF = b"%PDF-1.4\n%%EOF\n"


class HeldWork:
    """A runner's work: holds each job until release is set, calling check() meanwhile."""

    def __init__(self):
        self.release = threading.Event()
        self.started: list[uuid.UUID] = []
        self.stopped: list[uuid.UUID] = []
        self.first_started = threading.Event()

    def __call__(self, job, check) -> DocumentResult:
        self.started.append(job.id)
        self.first_started.set()
        try:
            while not self.release.is_set():
                check()
                time.sleep(0.02)
        except JobStopped:
            self.stopped.append(job.id)
            raise
        return DocumentResult(
            page_count=1, text="A letter.", document_type="other", invoice=None, timings={"read": 0.01}
        )


@pytest.fixture
def work():
    held = HeldWork()
    yield held
    held.release.set()  # before the runner is stopped, so that it does not wait for the job


@pytest.fixture
def client(sessions, folder_store, runner_factory, work):
    runner_factory(folder_store, threads=1, work=work, shutdown_grace_s=2)
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def _pdfs(*names: str):
    return [("files", (name, io.BytesIO(PDF), "application/pdf")) for name in names]



def test_cancel_stops_the_running_job_and_cancels_the_queued_ones(client, work, sessions):
    upload = client.post(
        "/api/v1/invoices/batch-upload",
        params={"wait": "false", "max_workers": 1},
        files=_pdfs("a.pdf", "b.pdf", "c.pdf"),
    )
    batch_id = upload.json()["batch_id"]
    assert work.first_started.wait(10)
    before = client.get(f"/api/v1/batches/{batch_id}").json()
    assert [job["state"] for job in before["jobs"]] == ["running", "queued", "queued"]
    running_job = uuid.UUID(before["jobs"][0]["job_id"])

    response = client.post(f"/api/v1/batches/{batch_id}/cancel")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["batch_id"] == batch_id
    assert body["status"] == "completed"
    assert (body["total_files"], body["successful"], body["failed"]) == (3, 0, 3)
    assert [job["state"] for job in body["jobs"]] == ["cancelled", "cancelled", "cancelled"]
    assert [(r["filename"], r["success"], r["error"]) for r in body["results"]] == [
        ("a.pdf", False, CANCELLED),
        ("b.pdf", False, CANCELLED),
        ("c.pdf", False, CANCELLED),
    ]
    # The running job stops at its next check, and its result is never stored.
    assert wait_until(lambda: work.stopped == [running_job])
    assert work.started == [running_job]
    work.release.set()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OtherDocument)) == 0
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert session.get(Batch, uuid.UUID(batch_id)).cancelled_at is not None
    assert client.get(f"/api/v1/batches/{batch_id}").json() == body
    # Its slot is free again: the runner takes the next batch.
    after = client.post("/api/v1/invoices/batch-upload", files=_pdfs("d.pdf"))
    assert (after.json()["status"], after.json()["successful"]) == ("completed", 1)


def test_waiting_upload_answers_when_its_batch_is_cancelled(client, work):
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.append(client.post("/api/v1/invoices/batch-upload", files=_pdfs("a.pdf", "b.pdf")))
    )
    waiting.start()
    assert work.first_started.wait(10)
    batch_id = client.get(f"/api/v1/jobs/{work.started[0]}").json()["batch_id"]

    client.post(f"/api/v1/batches/{batch_id}/cancel")

    waiting.join(10)
    assert not waiting.is_alive()
    assert answers[0].status_code == 200
    body = answers[0].json()
    assert (body["status"], body["successful"], body["failed"]) == ("completed", 0, 2)
    assert {r["error"] for r in body["results"]} == {CANCELLED}


def test_cancelling_a_completed_batch_changes_nothing(client, work, sessions):
    work.release.set()
    done = client.post("/api/v1/invoices/batch-upload", files=_pdfs("a.pdf", "b.pdf")).json()
    assert (done["status"], done["successful"]) == ("completed", 2)

    response = client.post(f"/api/v1/batches/{done['batch_id']}/cancel")

    assert response.status_code == 200
    assert response.json() == done
    with sessions() as session:
        assert session.get(Batch, uuid.UUID(done["batch_id"])).cancelled_at is None


def test_cancelling_an_unknown_batch_is_404(client):
    response = client.post("/api/v1/batches/00000000-0000-0000-0000-000000000000/cancel")
    assert response.status_code == 404
    assert response.json() == {"detail": "Batch not found"}
