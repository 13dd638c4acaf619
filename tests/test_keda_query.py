"""The query KEDA scales the runners by (infra/keda/runners_wanted.sql) on a real PostgreSQL: its answer
at each state of the queue, its plan on a large job table, and the ScaledObject manifest that carries it."""

import re
import uuid
from pathlib import Path

import yaml
from sqlalchemy import text

from invoice_processor.db import DEFAULT_TENANT_ID
from invoice_processor.queue import JobOutcome, NewFile

KEDA = Path(__file__).resolve().parents[1] / "infra" / "keda"
RUNNER_THREADS_ANNOTATION = "invoice-processor/runner-threads"


def _statement(threads: int | str) -> str:
    """runners_wanted.sql below its header comment, with the placeholder replaced by threads."""
    lines = (KEDA / "runners_wanted.sql").read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if not line.startswith("--"))
    return "\n".join(lines[start:]).strip().replace(":runner_threads", str(threads))


def _manifests() -> dict[str, dict]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all((KEDA / "scaledobject.yaml").read_text())}


def _manifest_query() -> str:
    return _manifests()["ScaledObject"]["spec"]["triggers"][0]["metadata"]["query"]


def _runners_wanted(sessions, threads: int | None = None) -> int:
    """The answer KEDA gets: the manifest's query as written, or the .sql file's with other threads."""
    statement = _manifest_query() if threads is None else _statement(threads)
    with sessions() as session:
        return session.execute(text(statement)).scalar_one()


def _enqueue(queue, n, max_workers):
    batch_id = uuid.uuid4()
    files = [NewFile(f"f{i}.pdf", f"uploads/{batch_id}/{i}", 10) for i in range(n)]
    queue.enqueue_batch(batch_id, files, max_workers=max_workers, source="upload")
    return batch_id


def _insert_batches(sessions, batches: int, jobs_per_batch: int, max_workers: int, run_after: str = "now()"):
    """Queued batches of queued jobs, written with generate_series (enqueue_batch is slow at 10,000)."""
    with sessions.begin() as session:
        ids = session.execute(
            text(
                "INSERT INTO batches (id, tenant_id, max_workers, total_files, status, source, running_jobs) "
                "SELECT gen_random_uuid(), :tenant, :max_workers, :n, 'queued', 'upload', 0 "
                "FROM generate_series(1, :batches) RETURNING id"
            ),
            {"tenant": DEFAULT_TENANT_ID, "max_workers": max_workers, "n": jobs_per_batch, "batches": batches},
        ).scalars().all()
        session.execute(
            text(
                "INSERT INTO jobs (id, batch_id, tenant_id, position, filename, object_key, state, attempts, "
                "max_attempts, run_after) "
                f"SELECT gen_random_uuid(), b, :tenant, n, 'f.pdf', 'k', 'queued', 0, 3, {run_after} "
                "FROM unnest(CAST(:ids AS uuid[])) b, generate_series(0, :n - 1) n"
            ),
            {"tenant": DEFAULT_TENANT_ID, "ids": ids, "n": jobs_per_batch},
        )
    return ids


def test_idle_queue_wants_no_runner(sessions):
    assert _runners_wanted(sessions) == 0


def test_one_ready_job_wants_one_runner(queue, sessions):
    _enqueue(queue, 1, max_workers=4)
    assert _runners_wanted(sessions) == 1


def test_a_big_batch_wants_its_max_workers_over_runner_threads(sessions):
    _insert_batches(sessions, batches=1, jobs_per_batch=10_000, max_workers=64)
    assert _runners_wanted(sessions) == 16  # ceil(64 / 4), not 10,000 / 4


def test_ten_batches_of_four_workers_want_ten_runners(sessions):
    _insert_batches(sessions, batches=10, jobs_per_batch=1_000, max_workers=4)
    assert _runners_wanted(sessions) == 10


def test_each_batch_counts_at_most_its_max_workers(queue, sessions):
    for _ in range(3):
        _enqueue(queue, 1_000 // 3, max_workers=2)  # 6 slots in all, whatever the queue holds
    assert _runners_wanted(sessions) == 2
    assert _runners_wanted(sessions, threads=1) == 6
    assert _runners_wanted(sessions, threads=8) == 1


def test_running_and_ready_jobs_of_a_batch_share_its_max_workers(queue, sessions):
    _enqueue(queue, 10, max_workers=6)
    assert len(queue.claim_jobs("r1", 4)) == 4
    assert _runners_wanted(sessions, threads=1) == 6  # 4 running + 2 of the 6 ready


def test_running_jobs_count_as_work(queue, sessions):
    _enqueue(queue, 8, max_workers=8)
    assert len(queue.claim_jobs("r1", 8)) == 8
    assert _runners_wanted(sessions) == 2  # nothing ready, 8 running: ceil(8 / 4)


def test_jobs_waiting_on_a_future_run_after_are_not_work(sessions):
    _insert_batches(sessions, batches=2, jobs_per_batch=50, max_workers=4, run_after="now() + interval '1 hour'")
    assert _runners_wanted(sessions) == 0


def test_a_retried_job_is_work_again_once_its_backoff_ends(queue, sessions):
    _enqueue(queue, 1, max_workers=1)
    (job,) = queue.claim_jobs("r1", 1)
    assert queue.retry_later(job, "r1", error="store down; retrying.", delay_s=3600, processing_time=0.1)
    assert _runners_wanted(sessions) == 0
    with sessions.begin() as session:
        session.execute(text("UPDATE jobs SET run_after = now() - interval '1 second'"))
    assert _runners_wanted(sessions) == 1


def test_completed_and_cancelled_batches_want_no_runner(queue, sessions):
    _enqueue(queue, 2, max_workers=2)
    for job in queue.claim_jobs("r1", 2):
        with queue.sessions() as session:
            assert queue.finish_job(session, job, "r1", JobOutcome(state="succeeded", processing_time=0.1))
            session.commit()
    cancelled = _enqueue(queue, 100, max_workers=4)
    queue.claim_jobs("r2", 2)
    assert _runners_wanted(sessions) == 1
    queue.cancel_batch(cancelled)
    with sessions() as session:
        statuses = session.execute(text("SELECT status FROM batches")).scalars().all()
    assert sorted(statuses) == ["completed", "completed"]
    assert _runners_wanted(sessions) == 0


def test_query_on_a_large_job_table_uses_indexes_not_a_scan_of_jobs(sessions):
    """100,000 jobs over 200 batches, 190 of them completed: the query reads the open batches' claimable
    jobs through jobs_claimable, at most max_workers entries each, and never scans the jobs table."""
    with sessions.begin() as session:
        session.execute(
            text(
                "INSERT INTO batches (id, tenant_id, max_workers, total_files, status, source, running_jobs, "
                "finished_at) "
                "SELECT md5(b::text)::uuid, :tenant, 4, 500, CASE WHEN b <= 190 THEN 'completed' ELSE 'queued' END, "
                "'upload', 0, CASE WHEN b <= 190 THEN now() END FROM generate_series(1, 200) b"
            ),
            {"tenant": DEFAULT_TENANT_ID},
        )
        session.execute(
            text(
                "INSERT INTO jobs (id, batch_id, tenant_id, position, filename, object_key, state, attempts, "
                "max_attempts, finished_at) "
                "SELECT gen_random_uuid(), md5((1 + (n / 500))::text)::uuid, :tenant, n % 500, 'f.pdf', 'k', "
                "CASE WHEN n / 500 < 190 THEN 'succeeded' ELSE 'queued' END, "
                "CASE WHEN n / 500 < 190 THEN 1 ELSE 0 END, 3, "
                "CASE WHEN n / 500 < 190 THEN now() END "
                "FROM generate_series(0, 99999) n"
            ),
            {"tenant": DEFAULT_TENANT_ID},
        )
        session.execute(text("ANALYZE jobs"))
        session.execute(text("ANALYZE batches"))
    with sessions() as session:
        plan = "\n".join(
            row[0] for row in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {_manifest_query()}"))
        )
    assert "Seq Scan on jobs" not in plan, plan
    assert "jobs_claimable" in plan, plan
    assert _runners_wanted(sessions) == 10  # 10 open batches of max_workers 4, 4 threads a runner


def test_manifest_is_a_scaled_object_for_the_runner_deployment():
    manifests = _manifests()
    scaled = manifests["ScaledObject"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["metadata"]["name"]
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == "invoice-processor-runner"
    assert spec["minReplicaCount"] == 0
    assert isinstance(spec["maxReplicaCount"], int) and spec["maxReplicaCount"] >= 1
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "postgresql"
    metadata = trigger["metadata"]
    # KEDA reads trigger metadata as a map of strings: an unquoted 1 or 5432 is refused.
    assert all(isinstance(value, str) for value in metadata.values()), metadata
    assert (metadata["targetQueryValue"], metadata["activationTargetQueryValue"]) == ("1", "0")
    assert {"host", "port", "userName", "dbName", "sslmode", "query"} <= metadata.keys()
    assert "password" not in metadata and "connection" not in metadata  # secrets only through the Secret

    auth = manifests["TriggerAuthentication"]
    assert auth["apiVersion"] == "keda.sh/v1alpha1"
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    (password,) = auth["spec"]["secretTargetRef"]
    assert password["parameter"] == "password" and password["name"] and password["key"]


def test_manifest_query_is_the_sql_file_with_the_runner_threads_filled_in():
    scaled = _manifests()["ScaledObject"]
    threads = scaled["metadata"]["annotations"][RUNNER_THREADS_ANNOTATION]
    assert re.fullmatch(r"[1-9][0-9]*", threads), threads
    assert ":runner_threads" in (KEDA / "runners_wanted.sql").read_text()
    assert _manifest_query().strip() == _statement(threads)
