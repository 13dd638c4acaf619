"""The queue in Prometheus text format (version 0.0.4), for GET /metrics.

Everything is read from the database at scrape time, in one snapshot: any API instance answers for
every runner, and keeps no state of its own. The counts cover the jobs and batches the database
holds; batches deleted by retention drop out of them (Prometheus' rate() reads that as a reset)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from invoice_processor.queries import load_queries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "invoice_processor"

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
BATCH_STATUSES = ("queued", "running", "completed")
# Why a failed job's last attempt ended; cancelled jobs are not failed.
FAILURE_KINDS = ("permanent", "transient", "lost", "crash")
# From a busy runner's instant claim to a batch waiting behind others for an hour.
CLAIM_LATENCY_BUCKETS_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
# From a text layer read in milliseconds to many pages of OCR.
STAGE_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

QUERIES = load_queries(Path(__file__).with_name("metrics.sql"))


@dataclass
class Family:
    """One metric: its HELP and TYPE lines and its samples (name suffix, labels, value)."""

    name: str
    type: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> None:
        self.samples.append((suffix, labels, value))

    def add_histogram(self, bounds: tuple[float, ...], rows, **labels: str) -> None:
        """Adds cumulative _bucket, _sum and _count samples from (bucket, observations, seconds) rows,
        where bucket is the index of the first bound that holds the values (len(bounds): above all)."""
        per_bucket = [0] * (len(bounds) + 1)
        total = 0.0
        for bucket, observations, seconds in rows:
            per_bucket[bucket] += observations
            total += seconds
        cumulative = 0
        for bound, observations in zip(bounds, per_bucket):
            cumulative += observations
            self.add(cumulative, "_bucket", **labels, le=_number(bound))
        count = sum(per_bucket)
        self.add(count, "_bucket", **labels, le="+Inf")
        self.add(total, "_sum", **labels)
        self.add(count, "_count", **labels)


def scrape(session: Session) -> str:
    """The metrics text, read from one consistent, read-only snapshot of the database. Raises the
    database's error if it cannot be reached."""
    session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    jobs = Family(f"{PREFIX}_jobs", "gauge", "Jobs by state.")
    by_state = dict(session.execute(QUERIES["job_states"]).all())
    for state in sorted(set(JOB_STATES) | set(by_state)):
        jobs.add(by_state.get(state, 0), state=state)

    batches = Family(f"{PREFIX}_batches", "gauge", "Batches by status.")
    by_status = dict(session.execute(QUERIES["batch_statuses"]).all())
    for batch_status in sorted(set(BATCH_STATUSES) | set(by_status)):
        batches.add(by_status.get(batch_status, 0), status=batch_status)

    failures = Family(
        f"{PREFIX}_job_failures_total", "counter", "Failed jobs by why their last attempt ended (error_kind)."
    )
    by_kind = dict(session.execute(QUERIES["job_failures"]).all())
    for kind in sorted(set(FAILURE_KINDS) | set(by_kind)):
        failures.add(by_kind.get(kind, 0), kind=kind)

    totals = session.execute(QUERIES["job_totals"]).one()
    retries = Family(f"{PREFIX}_job_retries_total", "counter", "Claims of jobs beyond their first (attempts - 1).")
    retries.add(totals.retries)
    runners = Family(
        f"{PREFIX}_runners_active", "gauge", "Runners holding at least one job with an unexpired lease."
    )
    runners.add(totals.runners_active)
    oldest = Family(
        f"{PREFIX}_oldest_queued_job_age_seconds",
        "gauge",
        "Seconds the longest-waiting ready job has been waiting to be claimed (0 when none waits).",
    )
    oldest.add(totals.oldest_queued_age_s)

    claim_latency = Family(
        f"{PREFIX}_claim_latency_seconds", "histogram", "Seconds from a job being ready to a runner claiming it."
    )
    latency_rows = session.execute(QUERIES["claim_latency"], _bucket_params(CLAIM_LATENCY_BUCKETS_S))
    claim_latency.add_histogram(CLAIM_LATENCY_BUCKETS_S, latency_rows)

    stage_seconds = Family(
        f"{PREFIX}_processing_seconds",
        "histogram",
        "Seconds per pipeline stage of each processed job ('total': the whole job).",
    )
    by_stage: dict[str, list] = {}
    for row in session.execute(QUERIES["stage_seconds"], _bucket_params(STAGE_BUCKETS_S)):
        by_stage.setdefault(row.stage, []).append((row.bucket, row.observations, row.seconds))
    for stage in sorted(by_stage):
        stage_seconds.add_histogram(STAGE_BUCKETS_S, by_stage[stage], stage=stage)

    families = [jobs, batches, retries, failures, claim_latency, stage_seconds, runners, oldest]
    return "".join(_render(family) for family in families)


def _bucket_params(bounds: tuple[float, ...]) -> dict:
    """The histogram queries' parameters (see claim_latency in metrics.sql)."""
    return {"bucket_count": len(bounds), "negated_bounds": [-bound for bound in reversed(bounds)]}


def _render(family: Family) -> str:
    lines = [f"# HELP {family.name} {_escape_help(family.help)}", f"# TYPE {family.name} {family.type}"]
    for suffix, labels, value in family.samples:
        label_text = ",".join(f'{key}="{_escape_label(val)}"' for key, val in labels.items())
        braces = f"{{{label_text}}}" if labels else ""
        lines.append(f"{family.name}{suffix}{braces} {_number(value)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(value)


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")
