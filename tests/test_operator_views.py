"""The operator views of migration 0015 on rows the queue wrote: enqueued, claimed, retried, finished and
cancelled through JobQueue, then read back the way the README's "With SQL" queries read them."""

import uuid

import pytest
from sqlalchemy import text

from invoice_processor.queue import JobOutcome, NewFile

TIMINGS = {"read": 0.25, "ocr": 1.5, "classify": 0.01, "extract": 0.2, "validate": 0.05, "total": 2.1}


def _enqueue(queue, files):
    batch_id = uuid.uuid4()
    queue.enqueue_batch(batch_id, files, max_workers=8, source="upload")
    return batch_id


def _files(batch_id_hint, n):
    return [NewFile(f"f{i}.pdf", f"uploads/{batch_id_hint}/{i}", 10) for i in range(n)]


def _finish(queue, job, runner_id, state="succeeded", **outcome):
    with queue.sessions() as session:
        assert queue.finish_job(session, job, runner_id, JobOutcome(state=state, processing_time=2.5, **outcome))
        session.commit()


def _rows(queue, sql, **params):
    with queue.sessions() as session:
        return [dict(row) for row in session.execute(text(sql), params).mappings()]


@pytest.fixture
def worked_batch(queue):
    """Six files: f0 and f1 succeeded on r1 (f0 with timings), f2 failed for good on r1, f3 retried once
    (r2) and then failed on r3, f4 running on r2, f5 queued."""
    batch_id = _enqueue(queue, _files("a", 6))
    f0, f1, f2 = queue.claim_jobs("r1", 3)
    f3, f4 = queue.claim_jobs("r2", 2)
    _finish(queue, f0, "r1", timings=TIMINGS, document_type="invoice")
    _finish(queue, f1, "r1", document_type="invoice")
    _finish(queue, f2, "r1", "failed", error="The PDF is encrypted.", error_kind="permanent")
    assert queue.retry_later(f3, "r2", error="store down", delay_s=0, processing_time=0.1)
    (f3_again,) = queue.claim_jobs("r3", 1)
    assert f3_again.filename == "f3.pdf"
    _finish(queue, f3_again, "r3", "failed", error="store still down", error_kind="transient")
    return batch_id, f4


def test_batch_progress_counts_each_state_and_the_rate(queue, worked_batch):
    batch_id, _ = worked_batch
    (row,) = _rows(queue, "SELECT * FROM v_batch_progress WHERE batch_id = :id", id=batch_id)
    counts = {k: row[k] for k in ("total_files", "succeeded", "failed", "cancelled", "running", "queued")}
    assert counts == {"total_files": 6, "succeeded": 2, "failed": 2, "cancelled": 0, "running": 1, "queued": 1}
    assert (row["tenant"], row["status"], row["finished_at"]) == ("default", "running", None)
    assert float(row["percent_done"]) == 66.7
    assert row["elapsed_s"] > 0
    assert float(row["files_per_minute"]) == pytest.approx(60 * 4 / row["elapsed_s"], abs=0.01)


def test_completed_batch_progress_is_whole_and_stops_its_clock(queue, worked_batch):
    batch_id, f4 = worked_batch
    _finish(queue, f4, "r2")
    queue.cancel_batch(batch_id)  # f5, still queued
    first = _rows(queue, "SELECT * FROM v_batch_progress WHERE batch_id = :id", id=batch_id)[0]
    second = _rows(queue, "SELECT * FROM v_batch_progress WHERE batch_id = :id", id=batch_id)[0]
    assert (first["status"], first["succeeded"], first["failed"], first["cancelled"]) == ("completed", 3, 2, 1)
    assert (first["running"], first["queued"], float(first["percent_done"])) == (0, 0, 100.0)
    assert first["elapsed_s"] == pytest.approx((first["finished_at"] - first["created_at"]).total_seconds())
    assert second["elapsed_s"] == first["elapsed_s"]


def test_job_timings_list_finished_jobs_with_each_stage(queue, worked_batch):
    batch_id, _ = worked_batch
    rows = {
        r["filename"]: r
        for r in _rows(queue, "SELECT * FROM v_job_timings WHERE batch_id = :id", id=batch_id)
    }
    assert sorted(rows) == ["f0.pdf", "f1.pdf", "f2.pdf", "f3.pdf"]  # f4 runs, f5 waits
    f0 = rows["f0.pdf"]
    stages = {s: f0[f"{s}_s"] for s in ("read", "ocr", "xml", "classify", "extract", "validate", "vlm", "total")}
    assert stages == {**TIMINGS, "xml": None, "vlm": None}
    assert (f0["state"], f0["processing_time"], f0["attempts"], f0["failed_attempts"]) == ("succeeded", 2.5, 1, 0)
    assert rows["f1.pdf"]["ocr_s"] is None
    assert (rows["f3.pdf"]["state"], rows["f3.pdf"]["attempts"], rows["f3.pdf"]["failed_attempts"]) == ("failed", 2, 1)


def test_failures_newest_first_with_the_last_attempts_runner(queue, worked_batch):
    batch_id, _ = worked_batch
    refused = _enqueue(queue, [NewFile("huge.pdf", None, 10**9, error="The file is larger than 100 MiB.")])
    rows = _rows(queue, "SELECT * FROM v_failures")
    assert [(r["filename"], r["batch_id"]) for r in rows] == [
        ("huge.pdf", refused), ("f3.pdf", batch_id), ("f2.pdf", batch_id)
    ]
    huge, f3, f2 = rows
    assert (f3["error_kind"], f3["error"], f3["attempts"], f3["last_runner_id"]) == (
        "transient", "store still down", 2, "r3"
    )
    assert (f2["error_kind"], f2["error"], f2["attempts"], f2["last_runner_id"]) == (
        "permanent", "The PDF is encrypted.", 1, "r1"
    )
    assert (huge["attempts"], huge["last_runner_id"], huge["finished_at"] is not None) == (0, None, True)
