"""The job queue on a real PostgreSQL: claims, the max_workers cap, batch completion."""

import threading
import uuid

from sqlalchemy import select

from invoice_processor.db import Batch, Job
from invoice_processor.queue import JobOutcome, NewFile


def _enqueue(queue, n, max_workers):
    batch_id = uuid.uuid4()
    files = [NewFile(f"f{i}.pdf", f"uploads/{batch_id}/{i}", 10) for i in range(n)]
    queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="upload")
    return batch_id


def _finish(queue, job, runner_id, state="succeeded"):
    with queue.sessions() as session:
        assert queue.finish_job(session, job, runner_id, JobOutcome(state=state, processing_time=0.1))
        session.commit()


def test_claim_never_exceeds_batch_max_workers(queue):
    _enqueue(queue, 10, max_workers=3)
    first = queue.claim_jobs("r1", 8)
    second = queue.claim_jobs("r2", 8)
    assert len(first) == 3
    assert second == []
    _finish(queue, first[0], "r1")
    assert len(queue.claim_jobs("r2", 8)) == 1


def test_claims_follow_upload_order_and_count_attempts(queue):
    _enqueue(queue, 3, max_workers=4)
    claimed = queue.claim_jobs("r1", 2)
    assert [job.filename for job in claimed] == ["f0.pdf", "f1.pdf"]
    assert all(job.attempts == 1 for job in claimed)
    with queue.sessions() as session:
        job = session.get(Job, claimed[0].id)
        assert (job.state, job.runner_id, job.started_at is not None) == ("running", "r1", True)


def test_concurrent_claims_take_each_job_once_and_respect_cap(queue):
    _enqueue(queue, 30, max_workers=5)
    results: dict[str, list] = {}

    def claim(runner_id):
        results[runner_id] = queue.claim_jobs(runner_id, 4)

    threads = [threading.Thread(target=claim, args=(f"r{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [job.id for jobs in results.values() for job in jobs]
    assert len(ids) == len(set(ids))
    assert len(ids) <= 5


def test_batch_completes_when_last_job_finishes(queue):
    batch_id = _enqueue(queue, 2, max_workers=2)
    a, b = queue.claim_jobs("r1", 2)
    _finish(queue, a, "r1")
    with queue.sessions() as session:
        assert session.get(Batch, batch_id).status == "running"
    _finish(queue, b, "r1", state="failed")
    with queue.sessions() as session:
        batch = session.get(Batch, batch_id)
        assert (batch.status, batch.finished_at is not None) == ("completed", True)


def test_only_the_holding_runner_can_finish_a_job(queue):
    _enqueue(queue, 1, max_workers=1)
    (job,) = queue.claim_jobs("r1", 1)
    with queue.sessions() as session:
        assert not queue.finish_job(session, job, "someone-else", JobOutcome("succeeded", 0.1))


def test_given_back_jobs_are_claimable_again(queue):
    batch_id = _enqueue(queue, 2, max_workers=2)
    queue.claim_jobs("r1", 2)
    assert queue.give_back_jobs("r1") == 2
    again = queue.claim_jobs("r2", 2)
    assert [job.attempts for job in again] == [2, 2]
    with queue.sessions() as session:
        states = session.scalars(select(Job.state).where(Job.batch_id == batch_id)).all()
    assert states == ["running", "running"]
