"""Retention on a real PostgreSQL and both stores: old completed batches lose their jobs and files,
their invoices stay; recent and unfinished batches are untouched."""

import io
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

from invoice_processor.db import DEFAULT_TENANT_ID, Batch, Job, OtherDocument
from invoice_processor.queue import JobOutcome, NewFile
from invoice_processor.storage import ObjectNotFound
from job_runner.retention import purge_expired_batches

CLI = str(Path(sys.executable).with_name("invoice-processor"))


def _batch_with_files(queue, store, n, *, finish: bool) -> uuid.UUID:
    batch_id = uuid.uuid4()
    files = []
    for i in range(n):
        key = f"uploads/{batch_id}/{i}/f{i}.pdf"
        store.put(key, io.BytesIO(b"%PDF-1.4 test"))
        files.append(NewFile(f"f{i}.pdf", key, 13))
    queue.enqueue_batch(batch_id, files, max_workers=n, source="upload")
    if finish:
        for job in queue.claim_jobs("r1", n):
            with queue.sessions() as session:
                document = OtherDocument(
                    tenant_id=DEFAULT_TENANT_ID,
                    raw_text="x",
                    original_filename=job.filename,
                    batch_id=batch_id,
                    job_id=job.id,
                )
                session.add(document)
                assert queue.finish_job(session, job, "r1", JobOutcome("succeeded", 0.1, document_type="other"))
                session.commit()
    return batch_id


def _age(queue, batch_id, days):
    with queue.sessions.begin() as session:
        session.execute(
            text("UPDATE batches SET finished_at = now() - make_interval(days => :days) WHERE id = :id"),
            {"days": days, "id": batch_id},
        )


def _exists(store, key) -> bool:
    try:
        with store.local_copy(key):
            return True
    except ObjectNotFound:
        return False


def test_purge_deletes_old_batches_jobs_and_files_but_keeps_documents(queue, store):
    old = _batch_with_files(queue, store, 2, finish=True)
    recent = _batch_with_files(queue, store, 1, finish=True)
    unfinished = _batch_with_files(queue, store, 1, finish=False)
    _age(queue, old, 40)
    _age(queue, recent, 5)
    old_keys = queue.batch_object_keys(old)

    assert purge_expired_batches(queue, store, retention_days=30) == 1

    with queue.sessions() as session:
        assert session.get(Batch, old) is None
        assert session.scalar(select(func.count()).select_from(Job).where(Job.batch_id == old)) == 0
        assert session.scalar(select(func.count()).select_from(OtherDocument).where(OtherDocument.batch_id == old)) == 2
        assert session.get(Batch, recent) is not None and session.get(Batch, unfinished) is not None
    assert not any(_exists(store, key) for key in old_keys)
    assert all(_exists(store, key) for key in queue.batch_object_keys(recent) + queue.batch_object_keys(unfinished))
    assert purge_expired_batches(queue, store, retention_days=30) == 0


def test_purge_command_needs_a_retention_period(database_url):
    result = subprocess.run([CLI, "purge"], env={"DATABASE_URL": database_url, "PATH": ""}, capture_output=True, text=True)
    assert result.returncode == 1
    assert "Give --older-than-days N, or set RETENTION_DAYS." in result.stderr
