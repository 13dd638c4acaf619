"""The runner's completion buffer (job_runner/completions.py): finished jobs recorded in groups, one
transaction each, with every guarantee of a job recorded alone: each job fenced (a lost one's result is
dropped, the others of its group are stored), exactly one result per job, a runner that dies with jobs in
its buffer leaves them to the reaper, and a group that cannot be recorded together is recorded job by job."""

import threading
import time
import uuid
from decimal import Decimal

from sqlalchemy import func, select, text

from invoice_processor.db import Batch, Invoice, InvoiceLine, Job, OtherDocument
from invoice_processor.queue import JobOutcome, JobQueue, NewFile
from invoice_reader.result import DocumentResult, InvoiceFields, LineItem, SameFile, VatRate
from job_runner.completions import Completion, CompletionBuffer
from job_runner.runner import Runner


def _enqueue(queue, n, max_workers):
    batch_id = uuid.uuid4()
    files = [NewFile(f"f{i}.pdf", f"uploads/{batch_id}/{i}", 10) for i in range(n)]
    queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="upload")
    return batch_id


def _letter(text="A letter.") -> DocumentResult:
    return DocumentResult(page_count=1, text=text, document_type="other", invoice=None)


def _completion(runner, job, result=None) -> Completion:
    outcome = JobOutcome("succeeded", 0.01, document_type="other")
    return Completion(job, outcome, result or _letter(), alone=lambda: runner._record_success_alone(
        job, time.perf_counter(), outcome, result or _letter()))


def _documents_by_job(sessions) -> dict:
    with sessions() as session:
        rows = session.execute(select(OtherDocument.job_id, func.count()).group_by(OtherDocument.job_id)).all()
    return dict(rows)


def _lose(queue, sessions, job, thief: str):
    """job's lease expires, the reaper queues it again, and runner `thief` claims it."""
    with sessions.begin() as session:
        session.execute(
            text("UPDATE jobs SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE id = :id"),
            {"id": job.id},
        )
    assert job.id in [job_id for job_id, _, _, _ in queue.reap_expired_leases()]
    (taken,) = queue.claim_jobs(thief, 1)
    assert taken.id == job.id
    return taken


def test_a_group_stores_the_jobs_still_held_and_drops_the_result_of_one_that_was_lost(
    queue, sessions, database_url, folder_store
):
    batch_id = _enqueue(queue, 3, max_workers=3)
    runner = Runner(queue, folder_store, database_url=database_url, threads=3, runner_id="r1")
    first, lost, third = queue.claim_jobs("r1", 3)
    taken = _lose(queue, sessions, lost, "r2")

    runner._record_group([_completion(runner, job) for job in (first, lost, third)])

    with sessions() as session:
        states = {job.id: (job.state, job.runner_id) for job in session.scalars(select(Job))}
        assert session.get(Batch, batch_id).running_jobs == 1  # r2's
        stored = {job.id: job.document_id for job in session.scalars(select(Job))}
    assert states == {first.id: ("succeeded", "r1"), lost.id: ("running", "r2"), third.id: ("succeeded", "r1")}
    assert _documents_by_job(sessions) == {first.id: 1, third.id: 1}
    assert stored[first.id] is not None and stored[third.id] is not None and stored[first.id] != stored[third.id]

    # The runner that took it over finishes it: one result for each job, and the batch completes.
    other = Runner(queue, folder_store, database_url=database_url, threads=1, runner_id="r2")
    other._record_group([_completion(other, taken)])
    assert _documents_by_job(sessions) == {first.id: 1, lost.id: 1, third.id: 1}
    with sessions() as session:
        assert session.get(Batch, batch_id).status == "completed"
        history = session.get(Job, lost.id).attempt_history
    assert [(h["attempt"], h["runner_id"], h["outcome"]) for h in history] == [(1, "r1", "lost"), (2, "r2", "succeeded")]


def test_a_group_that_cannot_be_stored_together_is_recorded_job_by_job(queue, sessions, database_url, folder_store):
    _enqueue(queue, 2, max_workers=2)
    runner = Runner(queue, folder_store, database_url=database_url, threads=2, runner_id="r1")
    good, bad = queue.claim_jobs("r1", 2)
    # A copy of a file whose earlier result was deleted meanwhile (SameFileGone) fails its job, alone: the
    # other job's result is stored all the same.
    gone = DocumentResult(
        page_count=0, text="", document_type="other", invoice=None, sha256="ab" * 32,
        same_file_as=SameFile(document_id=987654),
    )
    runner._record_group([_completion(runner, good), _completion(runner, bad, gone)])
    with sessions() as session:
        jobs = {job.id: job for job in session.scalars(select(Job))}
    assert jobs[good.id].state == "succeeded"
    assert (jobs[bad.id].state, jobs[bad.id].error_kind) == ("failed", "permanent")
    assert "deleted" in jobs[bad.id].error
    assert _documents_by_job(sessions) == {good.id: 1}


def test_a_runner_that_dies_with_jobs_in_its_buffer_leaves_them_to_the_reaper(
    queue, sessions, database_url, folder_store, runner_factory, monkeypatch
):
    batch_id = _enqueue(queue, 2, max_workers=2)
    short = JobQueue(sessions, lease_s=1.5)
    dying = Runner(short, folder_store, database_url=database_url, threads=2, runner_id="dying",
                   work=lambda job, check: _letter(), poll_interval_s=0.2)
    # It dies between handing its jobs to the buffer and recording them: nothing is written, its heartbeat
    # stops. (Here it is only frozen: released at the end, its late group must be fenced off.)
    release = threading.Event()
    record_group = dying._record_group

    def frozen(group):
        release.wait(60)
        record_group(group)

    monkeypatch.setattr(dying, "_record_group", frozen)
    monkeypatch.setattr(dying, "_heartbeat", lambda: None)
    thread = threading.Thread(target=dying.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while dying._completions is None or len(dying._completions) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        dying.stop()  # it claims nothing more; its shutdown waits on the frozen group
        with sessions() as session:
            assert [job.state for job in session.scalars(select(Job))] == ["running", "running"]
        assert _documents_by_job(sessions) == {}

        # Their leases expire; the reaper queues them again, and another runner runs them.
        time.sleep(2)
        assert sorted(state for _, state, runner_id, _ in queue.reap_expired_leases()) == ["queued", "queued"]
        runner_factory(folder_store, threads=2, work=lambda job, check: _letter())
        deadline = time.monotonic() + 30
        while True:
            with sessions() as session:
                if session.get(Batch, batch_id).status == "completed":
                    break
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        release.set()  # the dead runner's group arrives late: fenced, nothing of it is stored
        dying.stop()
        thread.join(30)
    with sessions() as session:
        jobs = session.scalars(select(Job)).all()
    assert {job.id: 1 for job in jobs} == _documents_by_job(sessions)
    for job in jobs:
        assert [(h["runner_id"], h["outcome"]) for h in job.attempt_history][0] == ("dying", "lost")
        assert (job.state, job.attempt_history[-1]["outcome"]) == ("succeeded", "succeeded")
        assert job.runner_id != "dying"


def test_buffer_records_at_once_when_no_other_job_is_running_and_groups_the_rest():
    groups = []
    running = threading.Event()
    running.set()
    buffer = CompletionBuffer(groups.append, running.is_set, max_group=3, flush_after_s=5)
    thread = threading.Thread(target=buffer.run)
    thread.start()
    try:
        for i in range(3):  # a full group goes at once, before flush_after_s
            assert buffer.add(Completion(i, None, None, alone=lambda: None))
        deadline = time.monotonic() + 2
        while len(groups) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert [c.job for c in groups[0]] == [0, 1, 2]

        assert buffer.add(Completion(3, None, None, alone=lambda: None))
        time.sleep(0.2)
        assert len(groups) == 1  # a job still running may join it: it waits
        running.clear()
        buffer.nudge()  # the last running job ended
        deadline = time.monotonic() + 2
        while len(groups) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert [c.job for c in groups[1]] == [3]
    finally:
        buffer.close()
        thread.join(5)
    assert not buffer.add(Completion(4, None, None, alone=lambda: None))  # closed: the caller records alone


def test_a_runner_claims_for_the_threads_its_finished_jobs_free_in_the_transaction_that_records_them(
    queue, sessions, database_url, folder_store
):
    """A claim of its own after each job would find the batch full (the finished jobs hold its slots until
    recorded); the runner claims once at the start, then only while recording: every job runs, exactly once,
    and the batch's cap holds."""
    batch_id = _enqueue(queue, 30, max_workers=2)
    standalone = []
    claim_jobs = queue.claim_jobs
    queue.claim_jobs = lambda runner_id, limit: standalone.append(limit) or claim_jobs(runner_id, limit)
    overlap, peak = [0], [0]
    lock = threading.Lock()

    def work(job, check):
        with lock:
            overlap[0] += 1
            peak[0] = max(peak[0], overlap[0])
        time.sleep(0.01)
        with lock:
            overlap[0] -= 1
        return _letter()

    runner = Runner(queue, folder_store, database_url=database_url, threads=2, runner_id="r1", work=work)
    runner.run(burst=True)

    with sessions() as session:
        jobs = session.scalars(select(Job).where(Job.batch_id == batch_id)).all()
        assert session.get(Batch, batch_id).status == "completed"
    assert [(job.state, job.attempts) for job in jobs] == [("succeeded", 1)] * 30
    assert len(_documents_by_job(sessions)) == 30
    assert peak[0] <= 2
    # The first claim and the one that finds the queue empty at the end, a few more when a group is recorded
    # while the other thread's job still runs; before, a claim followed nearly every job.
    assert len(standalone) < 10, standalone


def test_a_claim_that_found_nothing_stops_freed_threads_claiming_unless_a_notification_came_while_it_ran(
    queue, database_url, folder_store
):
    from invoice_processor.queue import Claimed

    runner = Runner(queue, folder_store, database_url=database_url, threads=1, runner_id="r1")
    heard = runner._notifications
    runner._after_claim(Claimed(), heard)
    assert not runner._worth_claiming  # nothing more: a freed thread waits for its group's claim
    runner._notifications += 1  # the listener heard of new work while the claim ran
    runner._after_claim(Claimed(), heard)
    assert runner._worth_claiming
    more = Claimed()
    more.more = True
    runner._after_claim(more, runner._notifications)
    assert runner._worth_claiming


def test_an_idle_burst_runner_claims_whatever_its_last_claim_said(queue, sessions, database_url, folder_store):
    """A runner with nothing running and nothing to record looks for work even when its last claim said there
    was no more (that claim may have run while another runner held the batch): else a burst runner stops with
    jobs still queued."""
    batch_id = _enqueue(queue, 5, max_workers=2)
    runner = Runner(queue, folder_store, database_url=database_url, threads=2, runner_id="r1",
                    work=lambda job, check: _letter())
    runner._worth_claiming = False  # what an empty claim leaves behind
    runner.run(burst=True)
    with sessions() as session:
        states = sorted(session.scalars(select(Job.state).where(Job.batch_id == batch_id)))
        assert session.get(Batch, batch_id).status == "completed"
    assert states == ["succeeded"] * 5


def test_a_group_stores_invoices_with_their_lines_and_sees_its_own_rows_in_the_same_file_checks(
    queue, sessions, database_url, folder_store
):
    def invoice(number: str, lines: list[str], sha: str) -> DocumentResult:
        fields = InvoiceFields(
            provider="Acme SARL", invoice_number=number, total_without_vat=Decimal("30.00"),
            vat_breakdown=[VatRate(Decimal("20"), Decimal("30.00"), Decimal("6.00"))],
            lines=[LineItem(name, Decimal("1"), unit_price=Decimal("10"), total_ht=Decimal("10")) for name in lines],
        )
        return DocumentResult(
            page_count=1, text=f"Invoice {number}", document_type="invoice", invoice=fields, sha256=sha
        )

    _enqueue(queue, 6, max_workers=6)
    runner = Runner(queue, folder_store, database_url=database_url, threads=6, runner_id="r1")
    jobs = queue.claim_jobs("r1", 6)
    results = [
        invoice("A-1", ["bolts", "nuts", "washers"], None),
        invoice("A-1", ["bolts"], None),  # another file with the first one's provider and number
        invoice("B-2", ["gears"], "b" * 64),
        invoice("B-2", ["gears"], "b" * 64),  # the same file again, in the same group
        _letter("One letter."),
        _letter("Another letter."),
    ]
    runner._record_group([
        Completion(job, JobOutcome("succeeded", 0.01, document_type=r.document_type), r, alone=lambda: None)
        for job, r in zip(jobs, results)
    ])

    with sessions() as session:
        done = {job.id: job for job in session.scalars(select(Job))}
        invoices = {row.job_id: row for row in session.scalars(select(Invoice))}
        lines = session.execute(select(InvoiceLine.invoice_id, InvoiceLine.position, InvoiceLine.designation)).all()
        letters = {row.job_id: row for row in session.scalars(select(OtherDocument))}
    first, lookalike, other, copy, letter, another = (done[job.id] for job in jobs)
    assert all(job.state == "succeeded" for job in done.values())
    assert set(invoices) == {first.id, lookalike.id, other.id}
    assert [job.invoice_id for job in (first, lookalike, other)] == [
        invoices[job.id].id for job in (first, lookalike, other)
    ]
    assert (copy.invoice_id, copy.duplicate_of_invoice_id) == (other.invoice_id, other.invoice_id)
    assert invoices[lookalike.id].possible_duplicate_of == first.invoice_id
    assert invoices[first.id].vat_breakdown == [{"rate": "20", "base": "30.00", "amount": "6.00"}]
    assert sorted(lines) == sorted(
        [(first.invoice_id, i, name) for i, name in enumerate(["bolts", "nuts", "washers"])]
        + [(lookalike.invoice_id, 0, "bolts"), (other.invoice_id, 0, "gears")]
    )
    assert [(job.document_id, letters[job.id].raw_text) for job in (letter, another)] == [
        (letters[letter.id].id, "One letter."), (letters[another.id].id, "Another letter.")
    ]


def test_a_runner_does_not_claim_on_its_own_while_a_group_of_its_jobs_is_being_recorded(
    queue, sessions, database_url, folder_store
):
    """The group's transaction claims for the threads free by then. A claim of the main loop meanwhile held those
    threads and found the group's batch locked (skipped it): the group then freed its slots without taking them
    again and woke every runner for them, which, with many runners on one batch, made most claims empty."""
    batch_id = _enqueue(queue, 12, max_workers=4)
    runner = Runner(queue, folder_store, database_url=database_url, threads=2, runner_id="r1",
                    work=lambda job, check: _letter())
    while_recording = []
    claim_jobs, finish_jobs = queue.claim_jobs, queue.finish_jobs

    def claim(runner_id, limit):
        while_recording.append(runner._completions.recording())
        return claim_jobs(runner_id, limit)

    def slow_finish(*args, **kwargs):
        runner._worth_claiming = True  # as a notification of new work would, while the group is recorded
        runner._wake.set()
        time.sleep(0.1)
        return finish_jobs(*args, **kwargs)

    queue.claim_jobs, queue.finish_jobs = claim, slow_finish
    runner.run(burst=True)

    with sessions() as session:
        states = [job.state for job in session.scalars(select(Job).where(Job.batch_id == batch_id))]
    assert states == ["succeeded"] * 12
    assert while_recording and not any(while_recording), while_recording
