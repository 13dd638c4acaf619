"""GET /metrics for Prometheus (outside /api/v1, where scrapers look for it)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from ingest_api.deps import SessionDep
from ingest_api.metrics import CONTENT_TYPE, scrape

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(session: SessionDep) -> Response:
    """The queue in Prometheus text format: jobs by state, batches by status, retries, failures by kind,
    claim latency, seconds per pipeline stage, active runners, the oldest queued job's wait. Read from
    the database at each scrape, so it covers every runner."""
    return Response(scrape(session), media_type=CONTENT_TYPE)
