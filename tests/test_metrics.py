"""GET /metrics: Prometheus text read from the database at scrape time, over real PostgreSQL, a real
runner and the real pipeline; parsed with Prometheus' own parser."""

from __future__ import annotations

import io
import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import exists, func, select

from ingest_api.app import create_app
from invoice_processor.db import Job, make_engine, make_sessionmaker
from invoice_processor.queue import JobQueue
from invoice_reader.result import DocumentResult
from tests import pdf_factory
from tests.conftest import free_port
from tests.polling import wait_until

PDF = b"%PDF-1.4\n%%EOF\n"


def scrape(client: TestClient) -> dict[str, dict]:
    """{family name: {sample name + sorted labels: value}}, checking the exposition format on the way."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {}
    for family in text_string_to_metric_families(response.text):
        assert family.documentation, f"{family.name} has no HELP"
        families[family.name] = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value for sample in family.samples
        }
        if family.type == "histogram":
            _check_histogram(family)
    return families


def _check_histogram(family) -> None:
    """Buckets are cumulative and end with +Inf, which equals _count; for each label set."""
    series: dict[tuple, list] = {}
    counts = {}
    for sample in family.samples:
        labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        if sample.name.endswith("_bucket"):
            series.setdefault(labels, []).append((float(sample.labels["le"]), sample.value))
        elif sample.name.endswith("_count"):
            counts[labels] = sample.value
    for labels, buckets in series.items():
        bounds = [bound for bound, _ in buckets]
        values = [value for _, value in buckets]
        assert bounds == sorted(bounds) and bounds[-1] == float("inf")
        assert values == sorted(values), f"{family.name}{labels} buckets are not cumulative"
        assert values[-1] == counts[labels]


def value(families, family: str, sample: str | None = None, **labels) -> float:
    return families[family][(sample or family, tuple(sorted(labels.items())))]


@pytest.fixture
def metrics_client(sessions, folder_store):
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def test_metrics_count_the_jobs_and_stages_of_a_processed_batch(metrics_client, folder_store, runner_factory, tmp_path):
    pdf_factory.make_text_invoice(tmp_path / "invoice.pdf")
    pdf_factory.make_letter(tmp_path / "letter.pdf")
    pdf_factory.make_corrupt_pdf(tmp_path / "broken.pdf")
    runner_factory(folder_store)
    files = [
        ("files", (name, io.BytesIO((tmp_path / name).read_bytes()), "application/pdf"))
        for name in ("invoice.pdf", "letter.pdf", "broken.pdf")
    ]
    batch = metrics_client.post("/api/v1/invoices/batch-upload", files=files).json()
    assert (batch["successful"], batch["failed"]) == (2, 1)

    families = scrape(metrics_client)

    jobs = "invoice_processor_jobs"
    states = ("queued", "running", "succeeded", "failed", "cancelled")
    assert [value(families, jobs, state=state) for state in states] == [0, 0, 2, 1, 0]
    batches = "invoice_processor_batches"
    assert [value(families, batches, status=s) for s in ("queued", "running", "completed")] == [0, 0, 1]
    failures = "invoice_processor_job_failures"
    assert value(families, failures, f"{failures}_total", kind="permanent") == 1
    assert value(families, failures, f"{failures}_total", kind="crash") == 0
    assert value(families, "invoice_processor_job_retries", "invoice_processor_job_retries_total") == 0
    assert value(families, "invoice_processor_runners_active") == 0
    assert value(families, "invoice_processor_oldest_queued_job_age_seconds") == 0
    latency = "invoice_processor_claim_latency_seconds"
    assert value(families, latency, f"{latency}_count") == 3
    assert value(families, latency, f"{latency}_bucket", le="+Inf") == 3
    # Each processed file's stages; the broken file failed before it had any.
    stages = "invoice_processor_processing_seconds"
    stage_names = {dict(labels)["stage"] for name, labels in families[stages] if name == f"{stages}_count"}
    assert {"read", "classify", "total"} <= stage_names
    assert value(families, stages, f"{stages}_count", stage="total") == 2
    assert value(families, stages, f"{stages}_sum", stage="total") > 0


def test_metrics_show_running_and_queued_jobs_retries_and_active_runners(metrics_client, sessions):
    metrics_client.post("/api/v1/invoices/batch-upload", params={"wait": "false", "max_workers": 2}, files=[
        ("files", (f"{i}.pdf", io.BytesIO(PDF), "application/pdf")) for i in range(3)
    ])
    queue, short_leases = JobQueue(sessions), JobQueue(sessions, lease_s=2.0)
    assert len(queue.claim_jobs("runner-a", 1)) == 1
    assert len(short_leases.claim_jobs("runner-b", 1)) == 1
    assert short_leases.give_back_jobs("runner-b") == 1  # claimed again below: one retry
    assert len(short_leases.claim_jobs("runner-b", 1)) == 1
    time.sleep(0.1)

    families = scrape(metrics_client)

    assert value(families, "invoice_processor_jobs", state="running") == 2
    assert value(families, "invoice_processor_jobs", state="queued") == 1
    assert value(families, "invoice_processor_batches", status="running") == 1
    assert value(families, "invoice_processor_job_retries", "invoice_processor_job_retries_total") == 1
    assert value(families, "invoice_processor_runners_active") == 2
    assert value(families, "invoice_processor_oldest_queued_job_age_seconds") > 0

    def runner_b_holds_a_live_lease() -> bool:
        with sessions() as session:
            return session.scalar(
                select(exists().where(Job.runner_id == "runner-b", Job.lease_expires_at > func.clock_timestamp()))
            )

    # runner-b's lease (2 s) expires, by the database's clock; runner-a's (30 s) does not.
    assert wait_until(lambda: not runner_b_holds_a_live_lease())
    assert value(scrape(metrics_client), "invoice_processor_runners_active") == 1


def test_a_stage_time_equal_to_a_bucket_bound_counts_in_that_bucket(metrics_client, folder_store, runner_factory):
    def work(job, check) -> DocumentResult:
        return DocumentResult(
            page_count=1, text="A letter.", document_type="other", invoice=None, timings={"read": 0.01}
        )

    runner_factory(folder_store, threads=1, work=work)
    metrics_client.post("/api/v1/invoices/upload", files={"file": ("a.pdf", io.BytesIO(PDF), "application/pdf")})

    families = scrape(metrics_client)

    stages = "invoice_processor_processing_seconds"
    assert value(families, stages, f"{stages}_bucket", stage="read", le="0.005") == 0
    assert value(families, stages, f"{stages}_bucket", stage="read", le="0.01") == 1
    assert value(families, stages, f"{stages}_sum", stage="read") == 0.01


def test_metrics_answer_503_when_the_database_is_down(folder_store):
    engine = make_engine(f"postgresql://invoice:secret@127.0.0.1:{free_port()}/invoices")
    try:
        with TestClient(create_app(make_sessionmaker(engine), folder_store)) as client:
            response = client.get("/metrics")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"detail": "The database is not reachable right now; retry in a few seconds."}
