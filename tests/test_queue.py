"""The job queue on a real PostgreSQL: claims, the max_workers cap, batch completion, leases and
fencing, retries, fairness between batches, cancellation, and the claim's plan on a large table."""

import threading
import uuid

from sqlalchemy import func, select, text, update

from invoice_processor.db import DEFAULT_TENANT_ID, Batch, Job
from invoice_processor.queries import QUERIES
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


def _expire_leases(queue, batch_id):
    """Makes the batch's running jobs look as if their runner died a while ago."""
    with queue.sessions.begin() as session:
        session.execute(
            update(Job)
            .where(Job.batch_id == batch_id, Job.state == "running")
            .values(lease_expires_at=func.now() - text("interval '1 second'"))
        )


def _jobs(queue, batch_id):
    with queue.sessions() as session:
        return session.scalars(select(Job).where(Job.batch_id == batch_id).order_by(Job.position)).all()


def _batch(queue, batch_id):
    with queue.sessions() as session:
        return session.get(Batch, batch_id)


def test_claim_sets_a_lease_that_the_heartbeat_renews(queue):
    batch_id = _enqueue(queue, 2, max_workers=2)
    claimed = queue.claim_jobs("r1", 2)
    first_leases = {job.id: job.lease_expires_at for job in _jobs(queue, batch_id)}
    assert all(first_leases.values())
    assert queue.renew_leases("r1", claimed) == {job.id for job in claimed}
    assert all(job.lease_expires_at > first_leases[job.id] for job in _jobs(queue, batch_id))
    # Another runner's heartbeat holds nothing.
    assert queue.renew_leases("r2", claimed) == set()


def test_expired_lease_returns_the_job_to_the_queue_for_another_runner(queue):
    batch_id = _enqueue(queue, 1, max_workers=1)
    (lost,) = queue.claim_jobs("dead", 1)
    assert queue.reap_expired_leases() == []  # lease still valid
    _expire_leases(queue, batch_id)
    assert [(state, runner) for _, state, runner, _ in queue.reap_expired_leases()] == [("queued", "dead")]
    assert _batch(queue, batch_id).running_jobs == 0
    (again,) = queue.claim_jobs("alive", 1)
    assert (again.id, again.attempts) == (lost.id, 2)


def test_runner_that_lost_its_lease_cannot_finish_the_job(queue):
    batch_id = _enqueue(queue, 1, max_workers=1)
    (stale,) = queue.claim_jobs("paused", 1)
    _expire_leases(queue, batch_id)
    queue.reap_expired_leases()
    (fresh,) = queue.claim_jobs("paused", 1)  # even the same runner, on a later attempt
    assert queue.renew_leases("paused", [stale]) == set()
    with queue.sessions() as session:
        assert not queue.finish_job(session, stale, "paused", JobOutcome("succeeded", 0.1))
    _finish(queue, fresh, "paused")
    (job,) = _jobs(queue, batch_id)
    assert (job.state, job.attempts) == ("succeeded", 2)
    assert _batch(queue, batch_id).status == "completed"


def test_job_whose_runner_dies_every_time_fails_after_max_attempts(queue):
    batch_id = _enqueue(queue, 1, max_workers=1)
    for attempt in range(1, 4):
        (job,) = queue.claim_jobs(f"r{attempt}", 1)
        assert job.attempts == attempt
        _expire_leases(queue, batch_id)
        queue.reap_expired_leases()
    (job,) = _jobs(queue, batch_id)
    assert (job.state, job.error_kind, job.attempts) == ("failed", "lost", 3)
    assert "on each of its 3 attempts" in job.error
    assert queue.claim_jobs("r4", 1) == []
    batch = _batch(queue, batch_id)
    assert (batch.status, batch.running_jobs) == ("completed", 0)


def test_transient_failure_waits_before_the_next_attempt(queue):
    batch_id = _enqueue(queue, 1, max_workers=1)
    (job,) = queue.claim_jobs("r1", 1)
    assert queue.retry_later(job, "r1", error="store down; retrying.", delay_s=3600, processing_time=0.1)
    (row,) = _jobs(queue, batch_id)
    assert (row.state, row.error_kind) == ("queued", "transient")
    assert queue.claim_jobs("r1", 1) == []  # not before run_after
    with queue.sessions.begin() as session:
        session.execute(update(Job).where(Job.id == job.id).values(run_after=func.now()))
    (again,) = queue.claim_jobs("r1", 1)
    assert again.attempts == 2
    assert not queue.retry_later(job, "r1", error="late", delay_s=1, processing_time=0.1)  # stale attempt


def test_small_batch_behind_a_big_one_gets_the_next_free_slot(queue):
    big = _enqueue(queue, 50, max_workers=64)
    small = _enqueue(queue, 1, max_workers=4)
    first = queue.claim_jobs("r1", 4)
    # Oldest batch first, but one job per batch per turn: the small batch's only job is in this claim.
    assert [job.batch_id for job in first].count(small) == 1
    assert [job.batch_id for job in first].count(big) == 3


def test_cancel_stops_queued_and_running_jobs_and_completes_the_batch(queue):
    batch_id = _enqueue(queue, 3, max_workers=1)
    (running,) = queue.claim_jobs("r1", 1)
    previous = queue.cancel_batch(batch_id)
    assert sorted(previous.values()) == ["queued", "queued", "running"]
    assert {job.state for job in _jobs(queue, batch_id)} == {"cancelled"}
    batch = _batch(queue, batch_id)
    assert (batch.status, batch.running_jobs, batch.cancelled_at is not None) == ("completed", 0, True)
    assert queue.renew_leases("r1", [running]) == set()  # the runner learns it must stop
    with queue.sessions() as session:
        assert not queue.finish_job(session, running, "r1", JobOutcome("succeeded", 0.1))


def test_claim_on_a_large_job_table_uses_indexes_and_locks_only_what_it_claims(queue, sessions):
    """100,000 jobs over 200 batches: the claim statement must not scan the jobs table."""
    with sessions.begin() as session:
        session.execute(
            text(
                "INSERT INTO batches (id, tenant_id, max_workers, total_files, status, source, running_jobs) "
                "SELECT md5(b::text)::uuid, :tenant, 4, 500, CASE WHEN b < 190 THEN 'completed' ELSE 'queued' END, "
                "'upload', 0 FROM generate_series(1, 200) b"
            ),
            {"tenant": DEFAULT_TENANT_ID},
        )
        session.execute(
            text(
                "INSERT INTO jobs (id, batch_id, tenant_id, position, filename, object_key, state, attempts, "
                "max_attempts, finished_at) "
                "SELECT gen_random_uuid(), md5((1 + (n / 500))::text)::uuid, :tenant, n % 500, 'f.pdf', 'k', "
                "CASE WHEN n / 500 < 189 THEN 'succeeded' ELSE 'queued' END, 0, 3, "
                "CASE WHEN n / 500 < 189 THEN now() END "
                "FROM generate_series(0, 99999) n"
            ),
            {"tenant": DEFAULT_TENANT_ID},
        )
        session.execute(text("ANALYZE jobs"))
        session.execute(text("ANALYZE batches"))
    statement = QUERIES["claim_jobs"].text
    params = {"batch_limit": 20, "limit": 8, "runner_id": "r1", "lease_s": 30}
    with sessions() as session:
        plan = "\n".join(
            row[0] for row in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {statement}"), params)
        )
        session.rollback()
    assert "Seq Scan on jobs" not in plan, plan
    assert "jobs_claimable" in plan, plan
    claimed = queue.claim_jobs("r1", 8)
    assert len(claimed) == 8
    with sessions() as session:
        running = session.scalar(select(func.count()).select_from(Job).where(Job.state == "running"))
    assert running == 8


def test_jobs_given_back_on_shutdown_do_not_use_up_attempts(queue):
    """A rolling restart: three runners shut down in turn while the file is being read. The job goes back
    each time without a failed attempt, and a transient error after that is retried, not failed."""
    batch_id = _enqueue(queue, 1, max_workers=1)
    for restart in range(3):
        (job,) = queue.claim_jobs(f"r{restart}", 1)
        assert queue.give_back_jobs(f"r{restart}") == 1
    (row,) = _jobs(queue, batch_id)
    assert (row.state, row.attempts, row.failed_attempts, row.error) == ("queued", 3, 0, None)
    assert _batch(queue, batch_id).running_jobs == 0

    (job,) = queue.claim_jobs("r3", 1)
    assert (job.attempts, job.failed_attempts) == (4, 0)
    assert queue.retry_later(job, "r3", error="store down; retrying.", delay_s=0, processing_time=0.1)
    (job,) = queue.claim_jobs("r4", 1)
    assert (job.attempts, job.failed_attempts) == (5, 1)
    _finish(queue, job, "r4")
    (row,) = _jobs(queue, batch_id)
    assert (row.state, row.attempts, row.failed_attempts) == ("succeeded", 5, 1)


def test_a_lost_lease_after_restarts_is_one_failed_attempt_of_max_attempts(queue):
    batch_id = _enqueue(queue, 1, max_workers=1)
    for restart in range(2):
        queue.claim_jobs(f"r{restart}", 1)
        queue.give_back_jobs(f"r{restart}")
    for attempt in range(3):
        queue.claim_jobs("dies", 1)
        _expire_leases(queue, batch_id)
        queue.reap_expired_leases()
        (row,) = _jobs(queue, batch_id)
        assert row.failed_attempts == attempt + 1
        assert row.state == ("failed" if attempt == 2 else "queued")
    assert "on each of its 3 attempts" in row.error and row.attempts == 5


def test_every_attempts_end_is_kept_in_order(queue):
    batch_id = _enqueue(queue, 1, max_workers=1)
    queue.claim_jobs("stopping", 1)
    queue.give_back_jobs("stopping")
    (job,) = queue.claim_jobs("flaky", 1)
    queue.retry_later(job, "flaky", error="The object store was unreachable; retrying.", delay_s=0,
                      processing_time=0.1)
    queue.claim_jobs("killed", 1)
    _expire_leases(queue, batch_id)
    queue.reap_expired_leases()
    (job,) = queue.claim_jobs("good", 1)
    with queue.sessions() as session:
        outcome = JobOutcome(state="failed", processing_time=0.1, error="Not a PDF.", error_kind="permanent")
        assert queue.finish_job(session, job, "good", outcome)
        session.commit()
    (row,) = _jobs(queue, batch_id)
    history = row.attempt_history
    assert [(h["attempt"], h["runner_id"], h["outcome"], h["error_kind"]) for h in history] == [
        (1, "stopping", "given_back", None),
        (2, "flaky", "retried", "transient"),
        (3, "killed", "lost", "lost"),
        (4, "good", "failed", "permanent"),
    ]
    assert history[1]["error"] == "The object store was unreachable; retrying."
    assert "Runner killed stopped renewing its lease" in history[2]["error"]
    assert history[3]["error"] == "Not a PDF." == row.error
    assert all(h["started_at"] and h["ended_at"] and h["started_at"] <= h["ended_at"] for h in history)
    # The same, in SQL, as people query it.
    with queue.sessions() as session:
        outcomes = session.execute(
            text(
                "SELECT h.outcome FROM jobs j, jsonb_to_recordset(j.attempt_history) AS h(outcome text) "
                "WHERE j.batch_id = :b"
            ),
            {"b": batch_id},
        ).scalars().all()
    assert outcomes == ["given_back", "retried", "lost", "failed"]


def test_a_cancelled_running_attempt_is_kept_too(queue):
    batch_id = _enqueue(queue, 2, max_workers=1)
    queue.claim_jobs("r1", 1)
    queue.cancel_batch(batch_id)
    histories = sorted(len(job.attempt_history) for job in _jobs(queue, batch_id))
    assert histories == [0, 1]  # the queued one never ran
    (ran,) = [job for job in _jobs(queue, batch_id) if job.attempt_history]
    assert ran.attempt_history[0]["outcome"] == "cancelled"


def test_the_schema_refuses_rows_that_break_the_queues_invariants(queue):
    """CHECK constraints: a miscount or an unknown state fails the statement instead of being stored."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    batch_id = _enqueue(queue, 2, max_workers=2)
    (job, _) = queue.claim_jobs("r1", 2)
    broken = [
        update(Job).where(Job.id == job.id).values(state="done"),
        update(Job).where(Job.id == job.id).values(error_kind="oops"),
        update(Job).where(Job.id == job.id).values(state="succeeded", finished_at=None),
        update(Job).where(Job.id == job.id).values(failed_attempts=job.attempts + 1),
        update(Batch).where(Batch.id == batch_id).values(status="paused"),
        update(Batch).where(Batch.id == batch_id).values(max_workers=0),
    ]
    for statement in broken:
        with pytest.raises(IntegrityError, match="check constraint"):
            with queue.sessions.begin() as session:
                session.execute(statement)
    # Releasing more slots than the batch has running is a miscount: it fails loudly, it is not clamped.
    with pytest.raises(IntegrityError, match="batches_running_jobs_not_negative"):
        with queue.sessions.begin() as session:
            session.execute(QUERIES["release_slots"], {"batch_id": batch_id, "count": 3})
    assert _batch(queue, batch_id).running_jobs == 2
