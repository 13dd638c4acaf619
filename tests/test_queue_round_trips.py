"""What a job costs the database: the claim is one statement in autocommit, finishing a job is one
statement (two for a batch's last running job) that also frees the slot, commits without waiting for the
disk and wakes runners only when its batch was full; pooled connections are not pinged on every checkout,
yet one the server dropped is replaced before use. Each with the guarantee it must keep: fencing, the
running_jobs count, batch completion."""

import time
import uuid
from contextlib import contextmanager

import psycopg
from sqlalchemy import event, select, text

from invoice_processor.db import Batch, Job, libpq_url, make_engine
from invoice_processor.queue import JOBS_CHANNEL, JobOutcome, NewFile


def _enqueue(queue, n, max_workers):
    batch_id = uuid.uuid4()
    files = [NewFile(f"f{i}.pdf", f"uploads/{batch_id}/{i}", 10) for i in range(n)]
    queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="upload")
    return batch_id


def _running_and_status(sessions, batch_id) -> tuple[int, str]:
    with sessions() as session:
        batch = session.get(Batch, batch_id)
        return batch.running_jobs, batch.status


@contextmanager
def _statements(engine):
    """The SQL statements sent through the engine while the block runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _notifications(conn: psycopg.Connection) -> list[str]:
    return [notice.payload for notice in conn.notifies(timeout=0.3, stop_after=100)]


def test_claim_is_one_statement_outside_any_transaction(queue, sessions):
    _enqueue(queue, 3, max_workers=3)
    engine = sessions.kw["bind"]
    with _statements(engine) as sent:
        claimed = queue.claim_jobs("r1", 2)
    assert len(claimed) == 2
    assert len(sent) == 1 and "open_batches" in sent[0]
    with sessions() as session:
        running = session.scalar(select(Batch.running_jobs))
        states = sorted(session.scalars(select(Job.state)).all())
    assert running == 2
    assert states == ["queued", "running", "running"]  # committed: another session sees the claim


def test_finish_is_one_statement_that_frees_the_slot_and_commits_durably(queue, sessions):
    batch_id = _enqueue(queue, 3, max_workers=3)
    first, second = queue.claim_jobs("r1", 2)
    engine = sessions.kw["bind"]
    with sessions() as session, _statements(engine) as sent:
        assert queue.finish_job(session, first, "r1", JobOutcome("succeeded", 0.1))
        finish_statements = len(sent)
        # A result is durable once committed: never committed without waiting for the disk.
        assert session.execute(text("SHOW synchronous_commit")).scalar() == "on"
        session.commit()
    assert finish_statements == 1
    assert _running_and_status(sessions, batch_id) == (1, "running")
    with sessions() as session:
        job = session.get(Job, first.id)
        assert (job.state, [h["outcome"] for h in job.attempt_history]) == ("succeeded", ["succeeded"])


def test_the_last_running_job_completes_its_batch_in_a_second_statement(queue, sessions):
    batch_id = _enqueue(queue, 2, max_workers=2)
    first, second = queue.claim_jobs("r1", 2)
    engine = sessions.kw["bind"]
    for job, expected_statements, status in ((first, 1, "running"), (second, 2, "completed")):
        with sessions() as session, _statements(engine) as sent:
            assert queue.finish_job(session, job, "r1", JobOutcome("succeeded", 0.1))
            session.commit()
        assert len(sent) == expected_statements
        with sessions() as session:
            assert session.get(Batch, batch_id).status == status


def test_a_batch_with_queued_jobs_is_not_completed_when_its_running_count_reaches_zero(queue, sessions):
    batch_id = _enqueue(queue, 3, max_workers=1)
    (job,) = queue.claim_jobs("r1", 5)
    with sessions() as session:
        assert queue.finish_job(session, job, "r1", JobOutcome("succeeded", 0.1))
        session.commit()
    assert _running_and_status(sessions, batch_id) == (0, "running")


def test_finish_by_a_runner_that_lost_its_lease_writes_nothing_and_keeps_the_count(queue, sessions):
    batch_id = _enqueue(queue, 1, max_workers=1)
    (lost,) = queue.claim_jobs("r1", 1)
    with sessions.begin() as session:
        session.execute(text("UPDATE jobs SET lease_expires_at = clock_timestamp() - interval '1 second'"))
    assert [state for _, state, _, _ in queue.reap_expired_leases()] == ["queued"]
    (taken,) = queue.claim_jobs("r2", 1)
    assert (taken.id, taken.attempts) == (lost.id, 2)

    with sessions() as session:
        assert not queue.finish_job(session, lost, "r1", JobOutcome("succeeded", 0.1))
        session.commit()
    with sessions() as session:
        batch = session.get(Batch, batch_id)
        job = session.get(Job, lost.id)
        assert (batch.running_jobs, batch.status) == (1, "running")
        assert (job.state, job.runner_id, job.attempts) == ("running", "r2", 2)

    with sessions() as session:
        assert queue.finish_job(session, taken, "r2", JobOutcome("succeeded", 0.1))
        session.commit()
    with sessions() as session:
        assert session.get(Batch, batch_id).status == "completed"
        history = session.get(Job, lost.id).attempt_history
    assert [(h["attempt"], h["outcome"]) for h in history] == [(1, "lost"), (2, "succeeded")]


def test_runners_are_woken_by_a_full_claim_and_by_a_slot_freed_in_a_full_batch_only(queue, database_url):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {JOBS_CHANNEL}")
        batch_id = _enqueue(queue, 4, max_workers=2)
        assert _notifications(listener) == [str(batch_id)]  # the enqueue

        (first,) = queue.claim_jobs("r1", 1)  # full: there may be more
        assert _notifications(listener) == ["more"]
        (second,) = queue.claim_jobs("r1", 5)  # the batch's last slot, fewer than asked: no more to say
        assert _notifications(listener) == []

        with queue.sessions() as session:  # the batch was at its max_workers: a runner may be waiting
            assert queue.finish_job(session, first, "r1", JobOutcome("succeeded", 0.1))
            session.commit()
        assert _notifications(listener) == [str(batch_id)]

        (third,) = queue.claim_jobs("r1", 5)
        assert _notifications(listener) == []
        with queue.sessions() as session, queue.sessions() as other:
            # Two slots freed one after the other: only the first found the batch full.
            assert queue.finish_job(session, second, "r1", JobOutcome("succeeded", 0.1))
            session.commit()
            assert _notifications(listener) == [str(batch_id)]
            assert queue.finish_job(other, third, "r1", JobOutcome("succeeded", 0.1))
            other.commit()
        assert _notifications(listener) == []


def _counted_pings(engine, monkeypatch) -> list[int]:
    """A list that gets an item each time the engine pings a pooled connection."""
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or ping(conn))
    return pings


def test_a_connection_back_in_use_at_once_is_not_pinged(database_url, monkeypatch):
    engine = make_engine(database_url, pool_size=1)
    pings = _counted_pings(engine, monkeypatch)
    try:
        for _ in range(20):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
        assert pings == []
    finally:
        engine.dispose()


def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(database_url, monkeypatch):
    engine = make_engine(database_url, pool_size=1)
    pings = _counted_pings(engine, monkeypatch)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        time.sleep(0.5)  # the termination message reaches the idle pooled connection
        with engine.connect() as connection:  # no error: the dropped connection was pinged and replaced
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        assert pings == [1]
    finally:
        engine.dispose()


def test_a_connection_idle_for_long_is_pinged(database_url, monkeypatch):
    import invoice_processor.db as db

    monkeypatch.setattr(db, "IDLE_PING_S", 0.2)
    engine = make_engine(database_url, pool_size=1)
    pings = _counted_pings(engine, monkeypatch)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        time.sleep(0.3)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert pings == [1]
    finally:
        engine.dispose()


def test_the_runners_look_ups_before_reading_a_file_open_no_transaction(queue, database_url, folder_store):
    from job_runner.runner import Runner

    _enqueue(queue, 1, max_workers=1)
    (job,) = queue.claim_jobs("r1", 1)
    runner = Runner(queue, folder_store, database_url=database_url, threads=1, runner_id="r1")
    seen = []
    engine = queue.sessions.kw["bind"]

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append(conn.connection.dbapi_connection.info.transaction_status)

    event.listen(engine, "after_cursor_execute", after)
    try:
        assert runner._same_file(job, "00" * 32) is None
        assert runner._layout_hints(job) == ()
    finally:
        event.remove(engine, "after_cursor_execute", after)
    # Each SELECT ran on its own (no BEGIN before it, no ROLLBACK after): one round trip each.
    assert seen and all(status == psycopg.pq.TransactionStatus.IDLE for status in seen)


def test_a_group_of_finished_jobs_keeps_result_ids_past_32_bits(queue, sessions):
    """Result ids are bigint (migration 0008): the group's outcomes must not squeeze them into an integer."""
    _enqueue(queue, 2, max_workers=2)
    jobs = queue.claim_jobs("r1", 2)
    big = 3_000_000_000
    with sessions() as session:
        queue.finish_jobs(
            session, "r1",
            [(job, JobOutcome("succeeded", 0.1, document_type="other", document_id=big + i)) for i, job in enumerate(jobs)],
        )
        session.commit()
    with sessions() as session:
        assert sorted(session.scalars(select(Job.document_id))) == [big, big + 1]


def test_a_group_that_frees_slots_claims_the_next_jobs_in_its_own_transaction(queue, sessions, monkeypatch):
    from invoice_processor import queue as queue_module

    batch_id = _enqueue(queue, 4, max_workers=2)
    first, second = queue.claim_jobs("r1", 2)
    engine = sessions.kw["bind"]
    together = []
    pipelined = queue_module._pipelined
    monkeypatch.setattr(
        queue_module, "_pipelined",
        lambda session, statements: together.append([name for name, _ in statements]) or pipelined(session, statements),
    )
    with sessions() as session, _statements(engine) as sent:
        held, claimed = queue.finish_jobs(
            session, "r1", [(job, JobOutcome("succeeded", 0.1)) for job in (first, second)], claim=2
        )
        # The fenced finish and the claim, sent together (one round trip); the batch goes on, so its completion
        # is not checked: no other statement.
        assert together == [["finish_jobs", "claim_jobs"]] and sent == []
        assert held == {first.id, second.id}
        with sessions() as other:  # not the runner's before the commit
            assert sorted(other.scalars(select(Job.state))) == ["queued", "queued", "running", "running"]
        session.commit()
    assert len(claimed) == 2 and {job.id for job in claimed}.isdisjoint({first.id, second.id})
    assert all(job.attempts == 1 for job in claimed)
    assert _running_and_status(sessions, batch_id) == (2, "running")  # the freed slots, taken again

    with sessions() as session:  # the last two: nothing left to claim, and the batch completes
        held, more = queue.finish_jobs(session, "r1", [(job, JobOutcome("succeeded", 0.1)) for job in claimed], claim=2)
        assert held == {job.id for job in claimed} and more == []
        session.commit()
    assert _running_and_status(sessions, batch_id) == (0, "completed")


def test_a_group_finishes_only_the_jobs_the_runner_still_holds_and_says_which(queue, sessions):
    batch_id = _enqueue(queue, 3, max_workers=3)
    first, lost, third = queue.claim_jobs("r1", 3)
    with sessions.begin() as session:
        session.execute(
            text("UPDATE jobs SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE id = :id"),
            {"id": lost.id},
        )
    queue.reap_expired_leases()
    (taken,) = queue.claim_jobs("r2", 1)
    with sessions() as session:
        held, _ = queue.finish_jobs(session, "r1", [(job, JobOutcome("succeeded", 0.1)) for job in (first, lost, third)])
        session.commit()
    assert held == {first.id, third.id}
    with sessions() as session:
        assert session.get(Job, lost.id).runner_id == "r2" and session.get(Job, lost.id).state == "running"
        assert session.get(Batch, batch_id).running_jobs == 1  # r2's


def test_jobs_claimed_in_a_group_that_rolls_back_stay_queued(queue, sessions):
    batch_id = _enqueue(queue, 3, max_workers=1)
    (first,) = queue.claim_jobs("r1", 1)
    with sessions() as session:
        _, (taken,) = queue.finish_jobs(session, "r1", [(first, JobOutcome("succeeded", 0.1))], claim=1)
        session.rollback()
    with sessions() as session:
        assert session.get(Job, taken.id).state == "queued"
        assert session.get(Job, first.id).state == "running"
        assert session.get(Batch, batch_id).running_jobs == 1
    assert queue.claim_jobs("r2", 1) == []  # the one slot is still first's


def test_a_claim_says_whether_another_could_find_more_and_wakes_runners_only_then(queue, database_url):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {JOBS_CHANNEL}")
        _enqueue(queue, 5, max_workers=3)
        _notifications(listener)  # the enqueue's

        first = queue.claim_jobs("r1", 1)  # room and jobs left
        assert len(first) == 1 and first.more
        assert _notifications(listener) == ["more"]
        rest = queue.claim_jobs("r2", 5)  # the batch's last two slots: full, jobs still queued
        assert len(rest) == 2 and not rest.more
        assert _notifications(listener) == []
        none = queue.claim_jobs("r3", 5)
        assert none == [] and not none.more

        with queue.sessions() as session:  # a group that takes its freed slot again wakes nobody
            held, again = queue.finish_jobs(session, "r1", [(first[0], JobOutcome("succeeded", 0.1))], claim=1)
            session.commit()
        assert held == {first[0].id} and len(again) == 1 and not again.more
        assert _notifications(listener) == []

        with queue.sessions() as session:  # one that cannot (no thread free) wakes the others for the slot
            queue.finish_jobs(session, "r2", [(rest[0], JobOutcome("succeeded", 0.1))])
            session.commit()
        assert _notifications(listener) == [str(rest[0].batch_id)]

        last = queue.claim_jobs("r3", 5)  # the last queued job: nothing left to claim
        assert len(last) == 1 and not last.more
        assert _notifications(listener) == []


def test_a_group_whose_statements_fail_together_leaves_its_jobs_running_and_claims_nothing(queue, sessions):
    """The finish and the claim are answered together: an error in the first aborts the transaction, the claim
    with it, and the caller's rollback leaves everything as it was."""
    import pytest

    batch_id = _enqueue(queue, 4, max_workers=2)
    first, second = queue.claim_jobs("r1", 2)
    with sessions() as session:
        with pytest.raises(Exception, match="jobs_state|check constraint"):
            queue.finish_jobs(session, "r1", [(first, JobOutcome("no such state", 0.1))], claim=1)
        session.rollback()
        held, claimed = queue.finish_jobs(session, "r1", [(second, JobOutcome("succeeded", 0.1))], claim=1)
        session.commit()
    assert held == {second.id} and len(claimed) == 1
    with sessions() as session:
        states = {job.id: job.state for job in session.scalars(select(Job).where(Job.batch_id == batch_id))}
    assert states[first.id] == "running" and states[second.id] == "succeeded"
    assert sorted(states.values()) == ["queued", "running", "running", "succeeded"]
