"""Hostile files in a real runner (real PostgreSQL, the folder store, worker processes): each one
fails alone with a sentence that tells the sender what to do, the good invoice sent with it
succeeds, and the runner takes the next batch.

No real file that crashes PDFium is at hand, so the crash, stop and time-limit tests give the
runner's worker processes a stand-in pipeline (read_or_misbehave below) that crashes or hangs on
a marked file and reads every other file with the real pipeline."""

from __future__ import annotations

import io
import os
import random
import signal
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from invoice_processor.db import Batch, Job
from invoice_processor.logs import current_job_context, job_context
from invoice_processor.queue import NewFile
from job_runner.isolation import DocumentWorkers, WorkerError
from invoice_reader import ReadOptions, process_document
from invoice_reader.result import DocumentResult, EncryptedPdf, ReaderCrashed
from tests import pdf_factory
from tests.polling import wait_until

CRASH_MARKER = b"%crash-me"
HANG_MARKER = b"%hang-me"


def read_or_misbehave(path: Path, options, **kwargs):
    """The pipeline, except on a file holding a marker: CRASH_MARKER kills this process with SIGSEGV
    as a crash inside PDFium would, HANG_MARKER never returns. Runs in the runner's worker
    processes, which find it by name."""
    data = Path(path).read_bytes()
    if CRASH_MARKER in data:
        os.kill(os.getpid(), signal.SIGSEGV)
    if HANG_MARKER in data:
        while True:
            time.sleep(1)
    return process_document(path, options, **kwargs)


def raise_value_error(path: Path, options, **kwargs):
    raise ValueError(f"a bug while reading {Path(path).name}")


def read_job_context(path: Path, options, **kwargs):
    """Answers with the job context the worker's log lines would carry."""
    return DocumentResult(page_count=1, text=current_job_context(), document_type="other", invoice=None)


def good_invoice(tmp_path: Path) -> bytes:
    """A born-digital invoice with a number of its own (the same file twice is a duplicate)."""
    path = tmp_path / f"good-{uuid.uuid4().hex[:8]}.pdf"
    pdf_factory.make_text_invoice(path, invoice_number=f"INV-{uuid.uuid4().hex[:8]}")
    return path.read_bytes()


def enqueue(queue, store, files: dict[str, bytes]) -> uuid.UUID:
    batch_id = uuid.uuid4()
    new_files = []
    for name, data in files.items():
        key = f"hostile/{batch_id}/{name}"
        new_files.append(NewFile(name, key, store.put(key, io.BytesIO(data))))
    queue.enqueue_batch(batch_id, new_files, max_workers=4, source="upload")
    return batch_id


def jobs_by_name(sessions, batch_id: uuid.UUID) -> dict[str, Job]:
    with sessions() as session:
        return {job.filename: job for job in session.scalars(select(Job).where(Job.batch_id == batch_id))}


def run_batch(queue, store, sessions, files: dict[str, bytes], timeout_s: float = 60) -> dict[str, Job]:
    """Enqueues the files as one batch and waits until it completes; returns its jobs by file name."""
    batch_id = enqueue(queue, store, files)

    def completed() -> bool:
        with sessions() as session:
            return session.get(Batch, batch_id).status == "completed"

    assert wait_until(completed, timeout_s), jobs_by_name(sessions, batch_id)
    return jobs_by_name(sessions, batch_id)


def assert_failed_saying(job: Job, *words: str) -> None:
    """The job failed as the file's fault (not a bug, not an outage), and its error holds each word."""
    assert (job.state, job.error_kind) == ("failed", "permanent"), (job.state, job.error_kind, job.error)
    for word in words:
        assert word.lower() in job.error.lower(), job.error


def assert_fails_alone(jobs: dict[str, Job], hostile: str, *words: str) -> None:
    """The hostile file failed saying each word; every other file of its batch succeeded."""
    assert_failed_saying(jobs[hostile], *words)
    others = {name: (job.state, job.error) for name, job in jobs.items() if name != hostile}
    assert others and all(state == "succeeded" for state, _ in others.values()), others


def assert_runner_goes_on(queue, store, sessions, tmp_path) -> None:
    jobs = run_batch(queue, store, sessions, {"next.pdf": good_invoice(tmp_path)})
    assert jobs["next.pdf"].state == "succeeded", jobs["next.pdf"].error


@pytest.fixture
def batch(tmp_path, queue, folder_store, sessions, runner_factory):
    """run(files, **runner_options): starts a runner, runs the files plus a good invoice as one batch,
    checks that the runner then takes another batch, and returns the batch's jobs by file name."""

    def run(files: dict[str, bytes], **runner_options) -> dict[str, Job]:
        runner_factory(folder_store, **runner_options)
        jobs = run_batch(queue, folder_store, sessions, {**files, "invoice.pdf": good_invoice(tmp_path)})
        assert_runner_goes_on(queue, folder_store, sessions, tmp_path)
        return jobs

    return run


def test_empty_file_fails_saying_it_is_empty(batch):
    jobs = batch({"empty.pdf": b""})
    assert_fails_alone(jobs, "empty.pdf", "not a PDF", "empty", "send the invoice again")


def test_random_bytes_and_png_named_pdf_fail_as_not_a_pdf(batch):
    noise = random.Random(5).randbytes(4096)
    png = b"\x89PNG\r\n\x1a\n" + random.Random(6).randbytes(4096)
    jobs = batch({"noise.pdf": noise, "photo.pdf": png})
    assert_failed_saying(jobs.pop("photo.pdf"), "not a PDF", "like a PNG image", "send the invoice as a PDF")
    assert_fails_alone(jobs, "noise.pdf", "not a PDF", "send the invoice as a PDF")


def test_html_page_named_pdf_fails_saying_it_is_a_web_page(batch):
    page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>...</form></body></html>"
    jobs = batch({"invoice-download.pdf": page})
    assert_fails_alone(jobs, "invoice-download.pdf", "not a PDF", "web page (HTML)", "login", "download the PDF itself")


def test_password_protected_pdf_fails_saying_to_remove_the_password(tmp_path, batch):
    pdf_factory.make_encrypted_pdf(tmp_path / "locked.pdf")
    jobs = batch({"locked.pdf": (tmp_path / "locked.pdf").read_bytes()})
    assert_fails_alone(jobs, "locked.pdf", "password-protected", "remove the password", "qpdf --decrypt")


def test_pdf_cut_in_half_fails_saying_it_is_incomplete(tmp_path, batch):
    """Decided: a truncated PDF fails, asking for the whole file. PDFium cannot open this half (its
    cross-reference table and the end of its page are gone); and a result read from the part of an
    invoice that arrived could book wrong totals without anybody noticing."""
    pdf_factory.make_truncated_pdf(tmp_path / "half.pdf")
    jobs = batch({"half.pdf": (tmp_path / "half.pdf").read_bytes()})
    assert_fails_alone(jobs, "half.pdf", "damaged", "incomplete", "cut short", "download it again")


def test_pdf_of_10000_pages_fails_at_open_naming_max_pdf_pages(tmp_path, batch):
    pdf_factory.make_many_pages_pdf(tmp_path / "long.pdf", 10_000)
    jobs = batch({"long.pdf": (tmp_path / "long.pdf").read_bytes()}, max_pdf_pages=1000)
    assert_fails_alone(jobs, "long.pdf", "10,000 pages", "1,000", "MAX_PDF_PAGES", "split it")


def test_page_of_20000_inches_is_refused_before_rendering_naming_max_page_pixels(tmp_path, batch):
    # At 300 DPI the bitmap would be 6 million pixels square: PDFium would try to allocate 36 TB.
    pdf_factory.make_huge_page_pdf(tmp_path / "huge.pdf", 20_000, 20_000)
    jobs = batch({"huge.pdf": (tmp_path / "huge.pdf").read_bytes()}, max_page_pixels=150_000_000)
    assert_fails_alone(jobs, "huge.pdf", "Page 1", "20,000.0 × 20,000.0 inches", "MAX_PAGE_PIXELS", "normal paper size")


def test_file_that_crashes_the_reader_fails_alone_and_the_runner_goes_on(tmp_path, batch):
    crashing = b"%PDF-1.4\n" + CRASH_MARKER + b"\n"
    jobs = batch({"crash.pdf": crashing, "invoice-2.pdf": good_invoice(tmp_path)}, pipeline=read_or_misbehave)
    assert_fails_alone(jobs, "crash.pdf", "renderer crashed", "SIGSEGV", "damaged", "download it again")


def test_cancelled_job_kills_its_worker_process_at_once(tmp_path, queue, folder_store, sessions, runner_factory):
    runner = runner_factory(folder_store, pipeline=read_or_misbehave)
    batch_id = enqueue(queue, folder_store, {"hang.pdf": b"%PDF-1.4\n" + HANG_MARKER + b"\n"})
    assert wait_until(lambda: jobs_by_name(sessions, batch_id)["hang.pdf"].state == "running" and runner.documents.pids)
    (worker,) = runner.documents.pids

    queue.cancel_batch(batch_id)

    assert wait_until(lambda: not _alive(worker), timeout_s=5)
    assert jobs_by_name(sessions, batch_id)["hang.pdf"].state == "cancelled"
    assert_runner_goes_on(queue, folder_store, sessions, tmp_path)


def test_file_past_the_time_limit_fails_naming_document_timeout_s(tmp_path, batch):
    hanging = b"%PDF-1.4\n" + HANG_MARKER + b"\n"
    jobs = batch({"hang.pdf": hanging}, pipeline=read_or_misbehave, document_timeout_s=3)
    assert_fails_alone(jobs, "hang.pdf", "longer than 3 s", "DOCUMENT_TIMEOUT_S", "split it")


def test_stopped_runner_leaves_no_worker_process(tmp_path, queue, folder_store, sessions, runner_factory):
    runner = runner_factory(folder_store, threads=2)
    jobs = run_batch(queue, folder_store, sessions, {f"invoice-{i}.pdf": good_invoice(tmp_path) for i in range(4)})
    assert {job.state for job in jobs.values()} == {"succeeded"}
    workers = runner.documents.pids
    assert 1 <= len(workers) <= 2  # one per runner thread at most, reused across jobs

    runner.stop()

    assert wait_until(lambda: not any(_alive(pid) for pid in workers), timeout_s=30)
    assert runner.documents.pids == []


def test_document_errors_come_back_from_the_worker_as_the_same_class_and_message(tmp_path):
    pdf_factory.make_encrypted_pdf(tmp_path / "locked.pdf")
    workers = DocumentWorkers(timeout_s=60)
    try:
        with pytest.raises(EncryptedPdf) as raised:
            workers.process(tmp_path / "locked.pdf", ReadOptions(), lambda: None)
        assert type(raised.value) is EncryptedPdf
        with pytest.raises(EncryptedPdf) as in_process:
            process_document(tmp_path / "locked.pdf")
        assert str(raised.value) == str(in_process.value)
        assert len(workers.pids) == 1  # the worker survives a bad file
    finally:
        workers.close()


def test_other_exceptions_come_back_as_worker_errors_with_the_workers_traceback(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4\n")
    workers = DocumentWorkers(timeout_s=60, read=raise_value_error)
    try:
        with pytest.raises(WorkerError, match="ValueError: a bug while reading a.pdf") as raised:
            workers.process(tmp_path / "a.pdf", ReadOptions(), lambda: None)
        assert "in raise_value_error" in str(raised.value.__cause__)
    finally:
        workers.close()


def test_crashed_worker_is_replaced(tmp_path):
    (tmp_path / "crash.pdf").write_bytes(b"%PDF-1.4\n" + CRASH_MARKER)
    pdf_factory.make_text_invoice(tmp_path / "invoice.pdf")
    workers = DocumentWorkers(timeout_s=60, read=read_or_misbehave)
    try:
        first = workers.process(tmp_path / "invoice.pdf", ReadOptions(), lambda: None)
        (before,) = workers.pids
        with pytest.raises(ReaderCrashed, match="SIGSEGV"):
            workers.process(tmp_path / "crash.pdf", ReadOptions(), lambda: None)
        assert workers.pids == []
        second = workers.process(tmp_path / "invoice.pdf", ReadOptions(), lambda: None)
        assert workers.pids != [before]
        assert second.invoice == first.invoice  # Decimals and dates come back whole
    finally:
        workers.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_worker_log_lines_name_the_job(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    job_id, batch_id = uuid.uuid4(), uuid.uuid4()
    workers = DocumentWorkers(timeout_s=60, read=read_job_context)
    try:
        with job_context(job_id, batch_id):
            result = workers.process(tmp_path / "a.pdf", ReadOptions(), lambda: None)
        assert result.text == f" job_id={job_id} batch_id={batch_id}"
        assert workers.process(tmp_path / "a.pdf", ReadOptions(), lambda: None).text == ""  # not left behind
    finally:
        workers.close()
