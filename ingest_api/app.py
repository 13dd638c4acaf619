"""The ingest API: the HTTP edge. It only writes objects and job rows, and reads results back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from ingest_api.auth import UNAUTHORIZED_RESPONSES
from ingest_api.invalid_requests import add_request_error_handlers
from ingest_api.limits import JSON_MAX_BYTES, JSON_PATHS, RequestSizeLimit
from ingest_api.routes import batches, direct, einvoice, exports, metrics, pages, records, uploads, webhooks
from ingest_api.unavailable import OUTAGE_RESPONSES, add_outage_handlers
from invoice_processor.queue import JobQueue
from invoice_processor.settings import Settings
from invoice_processor.storage import ObjectStore

API_PREFIX = "/api/v1"
REVIEW_DIR = Path(__file__).with_name("review")
COMMON_RESPONSES = {
    400: {"description": "The request cannot be read (its detail says why)"},
    **UNAUTHORIZED_RESPONSES,
}


def create_app(
    sessions: sessionmaker,
    store: ObjectStore,
    *,
    settings: Settings | None = None,
    require_api_keys: bool = False,
) -> FastAPI:
    """The API over a database and an object store, with the limits and job settings of `settings`
    (defaults if None). With require_api_keys, every request under /api/v1 needs a key."""
    settings = settings or Settings()
    app = FastAPI(
        title="Invoice Processor",
        description="Turns invoice PDFs into validated data. Upload PDFs or ZIPs; runners process them.",
        version="0.1.0",
    )
    app.state.sessions = sessions
    app.state.settings = settings
    app.state.require_api_keys = require_api_keys
    app.state.queue = JobQueue(sessions, max_attempts=settings.job_max_attempts)
    app.state.store = store
    # exports before records: /invoices/{invoice_id} would otherwise take /invoices/export.
    for router in (
        uploads.router, direct.router, batches.router, exports.router, records.router, einvoice.router, webhooks.router
    ):
        app.include_router(router, prefix=API_PREFIX, responses={**COMMON_RESPONSES, **OUTAGE_RESPONSES})
    app.include_router(pages.router, prefix=API_PREFIX, responses={**COMMON_RESPONSES, **OUTAGE_RESPONSES})
    app.include_router(metrics.router, responses=OUTAGE_RESPONSES)
    # The review page: static files that call the API above from the browser.
    app.mount("/review", StaticFiles(directory=REVIEW_DIR, html=True), name="review")

    @app.get("/", include_in_schema=False)
    async def home():
        return RedirectResponse("/review/")

    add_outage_handlers(app)
    add_request_error_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(
        RequestSizeLimit,
        max_bytes=min(JSON_MAX_BYTES, settings.max_request_bytes),
        paths=JSON_PATHS,
        limit_name="the limit for JSON requests",
    )

    @app.get("/health", tags=["health"])
    async def health(request: Request):
        """200 when the database and the object store answer, 503 otherwise. `vlm` says, for each runner seen in
        the last minute, whether it reads with Florence-2 and, if not, why; it does not change the status."""
        checks = await asyncio.to_thread(_check_dependencies, request.app)
        healthy = all(value == "ok" for value in checks.values())
        body = {"status": "ok" if healthy else "unavailable", **checks}
        if checks["database"] == "ok":
            body["vlm"] = await asyncio.to_thread(_vlm_report, request.app)
        return JSONResponse(body, status_code=200 if healthy else 503)

    return app


RUNNER_SEEN_S = 60.0
"""A runner that has not renewed its row for this long is not counted (its heartbeat renews it every 10 s)."""


def _vlm_report(app: FastAPI) -> dict:
    """Which runners read with Florence-2: a summary sentence and one entry per live runner."""
    try:
        runners = app.state.queue.live_runners(RUNNER_SEEN_S)
    except Exception as e:  # noqa: BLE001 - health must answer whatever this query does
        return {"summary": f"unknown: {type(e).__name__}: {e}", "runners": []}
    entries = [
        {
            "runner_id": row["id"],
            "hostname": row["hostname"],
            "mode": row["vlm_mode"],
            "state": row["vlm_state"],
            "detail": row["vlm_detail"],
        }
        for row in runners
    ]
    on = [entry for entry in entries if entry["mode"] != "off" and entry["state"] in ("ready", "loaded")]
    if not entries:
        summary = "no runner seen in the last minute"
    elif len(on) == len(entries):
        summary = f"on in every runner ({len(entries)})"
    elif not on:
        reasons = sorted({entry["detail"] or entry["state"] for entry in entries})
        summary = "off in every runner: " + "; ".join(reasons)
    else:
        summary = f"on in {len(on)} of {len(entries)} runners"
    return {"summary": summary, "runners": entries}


def _check_dependencies(app: FastAPI) -> dict[str, str]:
    checks = {}
    try:
        with app.state.sessions() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as e:
        checks["database"] = f"error: {e}"
    try:
        app.state.store.check()
        checks["storage"] = "ok"
    except Exception as e:
        checks["storage"] = f"error: {e}"
    return checks
